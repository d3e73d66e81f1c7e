//! The answers of the application layer, shaped exactly as the JSON both
//! front ends print (PRODUCT.md section 7). Field names here are a public
//! contract: scripts depend on them.

use std::cell::RefCell;

use serde::{Deserialize, Serialize};

use super::LedgerError;

use crate::catalogue::FieldId;
use crate::event::{CommitCounts, CrmId, Fields, ImportId, Issue, Kind, PreviewCounts};
use crate::projection::records::{ImportStatus, SubRecord};
use crate::value::Value;

/// Lower-case hex of a hash.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// A timestamp as RFC 3339 in UTC (`2026-11-25T10:00:00.000Z`).
pub fn timestamp(at_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(at_ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileInfo {
    pub name: String,
    pub size: u64,
    pub blake3: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IssueView {
    pub row: u32,
    pub column: String,
    pub value: String,
    pub message: String,
}

impl From<&Issue> for IssueView {
    fn from(issue: &Issue) -> Self {
        IssueView {
            row: issue.row,
            column: issue.column.clone(),
            value: issue.value.clone(),
            message: issue.message.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanRowView {
    pub row: u32,
    pub lead_name: String,
    pub action: String,
    pub crm_id: Option<CrmId>,
}

/// A preview, and (from `imports show`) what its commit did.
///
/// `Rows` and `Leads` are lists held in memory by default; the CLI's
/// `--json` answers use [`Streamed`] lists instead, read from the log while
/// the JSON is written, so that printing a million rows does not hold them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportReport<Rows = Vec<PlanRowView>, Leads = Vec<CommitLeadView>> {
    pub import_id: ImportId,
    pub kind: Kind,
    pub status: ImportStatus,
    pub file: FileInfo,
    pub date_format: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
    pub already_imported_as: Option<ImportId>,
    /// When the earlier import of the same file was committed.
    pub already_imported_on: Option<String>,
    pub counts: PreviewCounts,
    pub errors: Vec<IssueView>,
    pub warnings: Vec<IssueView>,
    pub rows: Rows,
    /// The commit's answer, once committed.
    pub results: Option<CommitReport<Leads>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommitLeadView {
    pub row: u32,
    pub crm_id: CrmId,
    pub lead_name: String,
    pub action: String,
    pub url: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommitReport<Leads = Vec<CommitLeadView>> {
    pub import_id: ImportId,
    pub committed_by: String,
    pub committed_at: String,
    pub counts: CommitCounts,
    pub leads: Leads,
}

/// A list read lazily from the log: serialised as a JSON array item by
/// item, once (a second serialisation writes an empty array), or collected.
pub struct Streamed<'a, T>(RefCell<Option<StreamIter<'a, T>>>);

/// The items of a [`Streamed`] list.
pub type StreamIter<'a, T> = Box<dyn Iterator<Item = Result<T, LedgerError>> + 'a>;

/// A preview whose lists are read while they are written.
pub type StreamedImportReport<'a> =
    ImportReport<Streamed<'a, PlanRowView>, Streamed<'a, CommitLeadView>>;

/// A commit's answer whose leads are read while they are written.
pub type StreamedCommitReport<'a> = CommitReport<Streamed<'a, CommitLeadView>>;

impl<'a, T: 'a> Streamed<'a, T> {
    pub fn new(items: impl Iterator<Item = Result<T, LedgerError>> + 'a) -> Self {
        Streamed(RefCell::new(Some(Box::new(items))))
    }

    /// The items, each read from the log as it is asked for.
    pub fn items(self) -> StreamIter<'a, T> {
        self.0
            .into_inner()
            .unwrap_or_else(|| Box::new(std::iter::empty()))
    }

    /// Reads every item into memory.
    pub fn collect(self) -> Result<Vec<T>, LedgerError> {
        self.items().collect()
    }
}

impl<T: Serialize + super::json::JsonItem> Serialize for Streamed<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let items = self.0.borrow_mut().take();
        if super::json::writing_compact() {
            // Written ahead, in its place an empty list (`app::json`).
            super::json::write_list(items.into_iter().flatten()).map_err(S::Error::custom)?;
            return serializer.serialize_seq(Some(0))?.end();
        }
        let mut seq = serializer.serialize_seq(None)?;
        for item in items.into_iter().flatten() {
            seq.serialize_element(&item.map_err(S::Error::custom)?)?;
        }
        seq.end()
    }
}

impl<T> std::fmt::Debug for Streamed<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Streamed(..)")
    }
}

impl<'a> StreamedCommitReport<'a> {
    /// Reads every lead into memory.
    pub fn collect(self) -> Result<CommitReport, LedgerError> {
        Ok(CommitReport {
            import_id: self.import_id,
            committed_by: self.committed_by,
            committed_at: self.committed_at,
            counts: self.counts,
            leads: self.leads.collect()?,
        })
    }
}

impl<'a> StreamedImportReport<'a> {
    /// Reads every row and lead into memory.
    pub fn collect(self) -> Result<ImportReport, LedgerError> {
        Ok(ImportReport {
            import_id: self.import_id,
            kind: self.kind,
            status: self.status,
            file: self.file,
            date_format: self.date_format,
            uploaded_by: self.uploaded_by,
            uploaded_at: self.uploaded_at,
            already_imported_as: self.already_imported_as,
            already_imported_on: self.already_imported_on,
            counts: self.counts,
            errors: self.errors,
            warnings: self.warnings,
            rows: self.rows.collect()?,
            results: self.results.map(|r| r.collect()).transpose()?,
        })
    }
}

/// The link to a lead's page in the web front end.
pub fn lead_url(crm_id: CrmId) -> String {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(crm_id);
    let mut url = String::with_capacity(7 + digits.len());
    url.push_str("/leads/");
    url.push_str(digits);
    url
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub import_id: ImportId,
    pub kind: Kind,
    pub status: ImportStatus,
    pub file: FileInfo,
    pub uploaded_by: String,
    pub uploaded_at: String,
    pub counts: PreviewCounts,
    pub committed_by: Option<String>,
    pub committed_at: Option<String>,
    pub commit_counts: Option<CommitCounts>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportListing {
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
    pub imports: Vec<ImportSummary>,
}

/// Fields keyed by their header text, in template order.
pub type FieldMap = serde_json::Map<String, serde_json::Value>;

pub fn field_map(fields: &Fields) -> FieldMap {
    fields
        .iter()
        .map(|(f, v)| (f.def().header.to_string(), v.to_json()))
        .collect()
}

fn sub_maps(subs: &[SubRecord]) -> Vec<FieldMap> {
    subs.iter().map(|s| field_map(&s.fields)).collect()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LeadView {
    pub crm_id: CrmId,
    pub kind: Kind,
    pub fields: FieldMap,
    pub contacts: Vec<FieldMap>,
    pub communications: Vec<FieldMap>,
    pub opportunities: Vec<FieldMap>,
    pub created_by_import: ImportId,
    pub version: u64,
}

impl From<&crate::projection::records::LeadRecord> for LeadView {
    fn from(r: &crate::projection::records::LeadRecord) -> Self {
        LeadView {
            crm_id: r.crm_id,
            kind: r.kind,
            fields: field_map(&r.fields),
            contacts: sub_maps(&r.contacts),
            communications: sub_maps(&r.communications),
            opportunities: sub_maps(&r.opportunities),
            created_by_import: r.created_by_import,
            version: r.version,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LeadListing {
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
    pub leads: Vec<LeadView>,
}

/// One field's change: `before` is null when the field was empty.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeView {
    pub field: String,
    pub before: Option<serde_json::Value>,
    pub after: serde_json::Value,
}

impl ChangeView {
    pub fn new(field: FieldId, before: Option<&Value>, after: &Value) -> Self {
        ChangeView {
            field: field.def().header.to_string(),
            before: before.map(Value::to_json),
            after: after.to_json(),
        }
    }
}

/// One event of a lead's history, or of an import's changes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeEntry {
    pub seq: u64,
    pub at: String,
    pub actor: String,
    pub import_id: Option<ImportId>,
    pub crm_id: CrmId,
    pub row: u32,
    /// The event: `LeadCreated`, `LeadUpdated`, `ContactCreated`, …
    pub event: String,
    pub changes: Vec<ChangeView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerifyReport {
    pub ok: bool,
    pub events: u64,
    pub tip: String,
    /// The first event that does not match its hash or its predecessor.
    pub first_bad_seq: Option<u64>,
    pub problem: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RebuildReport {
    pub events: u64,
    pub digest_before: String,
    pub digest_after: String,
    pub identical: bool,
}
