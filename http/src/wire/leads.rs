//! Wire mirrors of the CRM view, history and ledger reports.

use leadger_core::app::report as core;
use poem_openapi::Object;
use serde_json::Value;

use super::{FieldMap, Kind};

/// A lead or organization with its contacts, communications and
/// opportunities (each a map of the same form as `fields`).
#[derive(Object, Clone, Debug, PartialEq)]
pub struct LeadView {
    pub crm_id: u64,
    pub kind: Kind,
    pub fields: FieldMap,
    pub contacts: Vec<FieldMap>,
    pub communications: Vec<FieldMap>,
    pub opportunities: Vec<FieldMap>,
    pub created_by_import: u64,
    pub version: u64,
}

fn maps(v: Vec<core::FieldMap>) -> Vec<FieldMap> {
    v.into_iter().map(FieldMap).collect()
}

impl From<core::LeadView> for LeadView {
    fn from(l: core::LeadView) -> Self {
        LeadView {
            crm_id: l.crm_id,
            kind: l.kind.into(),
            fields: FieldMap(l.fields),
            contacts: maps(l.contacts),
            communications: maps(l.communications),
            opportunities: maps(l.opportunities),
            created_by_import: l.created_by_import,
            version: l.version,
        }
    }
}

/// A page of the CRM view in CRM ID order (`limit` 0: all).
#[derive(Object, Clone, Debug, PartialEq)]
pub struct LeadListing {
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
    pub leads: Vec<LeadView>,
}

impl From<core::LeadListing> for LeadListing {
    fn from(l: core::LeadListing) -> Self {
        LeadListing {
            total: l.total,
            offset: l.offset,
            limit: l.limit,
            leads: l.leads.into_iter().map(Into::into).collect(),
        }
    }
}

/// One field's change; `before` is null when the field was empty.
#[derive(Object, Clone, Debug, PartialEq)]
pub struct ChangeView {
    pub field: String,
    pub before: Option<Value>,
    pub after: Value,
}

impl From<core::ChangeView> for ChangeView {
    fn from(c: core::ChangeView) -> Self {
        ChangeView {
            field: c.field,
            before: c.before,
            after: c.after,
        }
    }
}

/// One event of a lead's history or of an import's changes.
#[derive(Object, Clone, Debug, PartialEq)]
pub struct ChangeEntry {
    /// The event's sequence number in the log.
    pub seq: u64,
    pub at: String,
    pub actor: String,
    pub import_id: Option<u64>,
    pub crm_id: u64,
    pub row: u32,
    /// `LeadCreated`, `LeadUpdated`, `ContactCreated`, …
    pub event: String,
    pub changes: Vec<ChangeView>,
}

impl From<core::ChangeEntry> for ChangeEntry {
    fn from(e: core::ChangeEntry) -> Self {
        ChangeEntry {
            seq: e.seq,
            at: e.at,
            actor: e.actor,
            import_id: e.import_id,
            crm_id: e.crm_id,
            row: e.row,
            event: e.event,
            changes: e.changes.into_iter().map(Into::into).collect(),
        }
    }
}

/// Whether the hash chain is intact, or the first event that is not.
#[derive(Object, Clone, Debug, PartialEq)]
pub struct VerifyReport {
    pub ok: bool,
    pub events: u64,
    /// The hash of the last event, lower-case hex.
    pub tip: String,
    pub first_bad_seq: Option<u64>,
    pub problem: Option<String>,
}

impl From<core::VerifyReport> for VerifyReport {
    fn from(v: core::VerifyReport) -> Self {
        VerifyReport {
            ok: v.ok,
            events: v.events,
            tip: v.tip,
            first_bad_seq: v.first_bad_seq,
            problem: v.problem,
        }
    }
}
