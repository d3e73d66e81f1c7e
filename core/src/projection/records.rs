//! The records the projections keep. They are derived data: each is
//! rebuilt byte for byte by replaying the log.

use serde::{Deserialize, Serialize};

use crate::catalogue::FieldId;
use crate::event::{
    CommitCounts, CrmId, Event, Fields, Hash, ImportId, Issue, Kind, PreviewCounts, Role,
    RowOutcome,
};
use crate::parse::DateFormat;
use crate::read::FileFormat;
use crate::value::Value;

/// A lead or organization in the CRM view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LeadRecord {
    pub crm_id: CrmId,
    pub kind: Kind,
    pub fields: Fields,
    pub contacts: Vec<SubRecord>,
    pub communications: Vec<SubRecord>,
    pub opportunities: Vec<SubRecord>,
    pub created_by_import: ImportId,
    /// 1 when created; each update adds one.
    pub version: u64,
    /// Sequence numbers of every event that touched the record, oldest
    /// first: its history, kept in the record so that creating a lead
    /// writes one key rather than one per event.
    pub history: Vec<u64>,
}

impl LeadRecord {
    /// The record a `LeadCreated` event (at `seq`) makes.
    pub fn created(
        seq: u64,
        import_id: ImportId,
        crm_id: CrmId,
        kind: Kind,
        fields: Fields,
    ) -> LeadRecord {
        LeadRecord {
            crm_id,
            kind,
            fields,
            contacts: Vec::new(),
            communications: Vec::new(),
            opportunities: Vec::new(),
            created_by_import: import_id,
            version: 1,
            history: vec![seq],
        }
    }

    /// Adds the contact, communication or opportunity that `event` (at
    /// `seq`) creates for this record: `false`, and nothing added, for any
    /// other event or one for another lead.
    pub fn add_sub(&mut self, seq: u64, event: Event) -> bool {
        if sub_of(&event) != Some(self.crm_id) {
            return false;
        }
        let (list, fields, import_id, row) = match event {
            Event::ContactCreated {
                import_id,
                row,
                fields,
                ..
            } => (&mut self.contacts, fields, import_id, row),
            Event::CommunicationCreated {
                import_id,
                row,
                fields,
                ..
            } => (&mut self.communications, fields, import_id, row),
            Event::OpportunityCreated {
                import_id,
                row,
                fields,
                ..
            } => (&mut self.opportunities, fields, import_id, row),
            _ => return false,
        };
        list.push(SubRecord {
            fields,
            import_id,
            row,
        });
        self.history.push(seq);
        true
    }

    pub fn get(&self, field: FieldId) -> Option<&Value> {
        self.fields
            .binary_search_by_key(&field, |(f, _)| *f)
            .ok()
            .map(|idx| &self.fields[idx].1)
    }

    pub fn set(&mut self, field: FieldId, value: Value) {
        match self.fields.binary_search_by_key(&field, |(f, _)| *f) {
            Ok(idx) => self.fields[idx].1 = value,
            Err(idx) => self.fields.insert(idx, (field, value)),
        }
    }

    /// Empties a field (only ever to show a record as it was before an
    /// update that filled it).
    pub fn clear(&mut self, field: FieldId) {
        if let Ok(idx) = self.fields.binary_search_by_key(&field, |(f, _)| *f) {
            self.fields.remove(idx);
        }
    }

    pub fn text(&self, field: FieldId) -> Option<String> {
        self.get(field).map(|v| v.to_string())
    }
}

/// The lead a contact, communication or opportunity event adds to, or
/// `None` for any other event.
pub fn sub_of(event: &Event) -> Option<CrmId> {
    match event {
        Event::ContactCreated { crm_id, .. }
        | Event::CommunicationCreated { crm_id, .. }
        | Event::OpportunityCreated { crm_id, .. } => Some(*crm_id),
        _ => None,
    }
}

/// A contact, communication or opportunity of a lead.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubRecord {
    pub fields: Fields,
    pub import_id: ImportId,
    pub row: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportStatus {
    /// File received; rows being validated (only seen mid-append).
    Previewing,
    Previewed,
    Committed,
}

/// What the import's commit did, and where its events are in the log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommitInfo {
    pub actor: String,
    pub at_ms: i64,
    pub counts: CommitCounts,
    pub first_seq: u64,
    pub last_seq: u64,
    /// Bit `f` set when the commit wrote field `f` (creates included).
    pub fields_touched: u64,
    /// The CRM ID of the first lead the commit created: a commit creates
    /// consecutive IDs in row order, so its answer needs no more than this
    /// and the plan (`app/plan.rs`). With no creates, the next free ID.
    pub first_crm_id: CrmId,
}

impl CommitInfo {
    /// What the `ImportCommitted` at `seq`, appended by `actor` at `at_ms`
    /// after `events` events of its commit, says; `first_crm_id` as above.
    pub fn of(
        actor: String,
        at_ms: i64,
        counts: CommitCounts,
        seq: u64,
        events: u64,
        fields_touched: u64,
        first_crm_id: CrmId,
    ) -> CommitInfo {
        CommitInfo {
            actor,
            at_ms,
            counts,
            first_seq: seq.saturating_sub(events),
            last_seq: seq,
            fields_touched,
            first_crm_id: first_crm_id.max(1),
        }
    }
}

/// One import as the imports projection keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportState {
    pub import_id: ImportId,
    pub kind: Kind,
    pub file_name: String,
    pub size: u64,
    pub blake3: Hash,
    pub format: FileFormat,
    pub date_format: DateFormat,
    pub actor: String,
    pub received_at_ms: i64,
    pub status: ImportStatus,
    pub counts: PreviewCounts,
    pub file_issues: Vec<Issue>,
    /// A committed import of the same bytes that came before this one.
    pub already_imported_as: Option<ImportId>,
    /// The sequence numbers of the preview's `FileReceived` and
    /// `PreviewSummarised` events: its `RowValidated` events (the frozen
    /// plan) lie between them.
    pub preview_seqs: (u64, u64),
    pub commit: Option<CommitInfo>,
    /// The digest of the plan the preview staged for its commit
    /// (`Event::PreviewSummarisedStaged`), if it staged one.
    pub staged_plan: Option<crate::event::Hash>,
}

/// One previewed row: its frozen plan and findings (read from its
/// `RowValidated` event).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedRow {
    pub row: u32,
    pub lead_name: String,
    pub outcome: RowOutcome,
    pub issues: Vec<crate::event::Issue>,
}

/// An API token, kept only as its hash.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenRecord {
    pub name: String,
    pub role: Role,
    pub token_hash: Hash,
    pub created_at_ms: i64,
    pub created_by: String,
    pub revoked_at_ms: Option<i64>,
}
