//! Wire mirrors of the import reports: preview, commit, listing.

use leadger_core::app::report as core;
use leadger_core::event;
use poem_openapi::Object;

use super::{ImportStatus, Kind};

/// The uploaded file as received.
#[derive(Object, Clone, Debug, PartialEq)]
pub struct FileInfo {
    pub name: String,
    /// Bytes.
    pub size: u64,
    /// The blake3 hash of the bytes, lower-case hex.
    pub blake3: String,
}

impl From<core::FileInfo> for FileInfo {
    fn from(f: core::FileInfo) -> Self {
        FileInfo {
            name: f.name,
            size: f.size,
            blake3: f.blake3,
        }
    }
}

/// One validation finding: the spreadsheet's row (the header is row 1),
/// the column's header text, the value and what to do.
#[derive(Object, Clone, Debug, PartialEq)]
pub struct IssueView {
    pub row: u32,
    pub column: String,
    pub value: String,
    pub message: String,
}

impl From<core::IssueView> for IssueView {
    fn from(i: core::IssueView) -> Self {
        IssueView {
            row: i.row,
            column: i.column,
            value: i.value,
            message: i.message,
        }
    }
}

/// What a previewed row will do.
#[derive(Object, Clone, Debug, PartialEq)]
pub struct PlanRowView {
    pub row: u32,
    pub lead_name: String,
    /// `create`, `update` or `unchanged`.
    pub action: String,
    /// The matched record (null for a row that creates one).
    pub crm_id: Option<u64>,
}

impl From<core::PlanRowView> for PlanRowView {
    fn from(r: core::PlanRowView) -> Self {
        PlanRowView {
            row: r.row,
            lead_name: r.lead_name,
            action: r.action,
            crm_id: r.crm_id,
        }
    }
}

/// The counts a preview found.
#[derive(Object, Clone, Copy, Debug, PartialEq)]
pub struct PreviewCounts {
    pub create: u64,
    pub update: u64,
    pub unchanged: u64,
    pub errors: u64,
    pub warnings: u64,
}

impl From<event::PreviewCounts> for PreviewCounts {
    fn from(c: event::PreviewCounts) -> Self {
        PreviewCounts {
            create: c.create,
            update: c.update,
            unchanged: c.unchanged,
            errors: c.errors,
            warnings: c.warnings,
        }
    }
}

/// The counts of a commit; `imported` = created + updated + unchanged.
#[derive(Object, Clone, Copy, Debug, PartialEq)]
pub struct CommitCounts {
    pub imported: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl From<event::CommitCounts> for CommitCounts {
    fn from(c: event::CommitCounts) -> Self {
        CommitCounts {
            imported: c.imported,
            created: c.created,
            updated: c.updated,
            unchanged: c.unchanged,
        }
    }
}

/// A preview, and (once committed) what its commit did.
#[derive(Object, Clone, Debug, PartialEq)]
pub struct ImportReport {
    pub import_id: u64,
    pub kind: Kind,
    pub status: ImportStatus,
    pub file: FileInfo,
    /// `us`, `eu` or `iso`.
    pub date_format: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
    /// The earlier import of the same bytes, if any.
    pub already_imported_as: Option<u64>,
    /// When that earlier import was committed.
    pub already_imported_on: Option<String>,
    pub counts: PreviewCounts,
    pub errors: Vec<IssueView>,
    pub warnings: Vec<IssueView>,
    pub rows: Vec<PlanRowView>,
    /// The commit's answer, once committed.
    pub results: Option<CommitReport>,
}

impl From<core::ImportReport> for ImportReport {
    fn from(r: core::ImportReport) -> Self {
        ImportReport {
            import_id: r.import_id,
            kind: r.kind.into(),
            status: r.status.into(),
            file: r.file.into(),
            date_format: r.date_format,
            uploaded_by: r.uploaded_by,
            uploaded_at: r.uploaded_at,
            already_imported_as: r.already_imported_as,
            already_imported_on: r.already_imported_on,
            counts: r.counts.into(),
            errors: r.errors.into_iter().map(Into::into).collect(),
            warnings: r.warnings.into_iter().map(Into::into).collect(),
            rows: r.rows.into_iter().map(Into::into).collect(),
            results: r.results.map(Into::into),
        }
    }
}

/// One lead a commit applied, with the link to it.
#[derive(Object, Clone, Debug, PartialEq)]
pub struct CommitLeadView {
    pub row: u32,
    pub crm_id: u64,
    pub lead_name: String,
    /// `created`, `updated` or `unchanged`.
    pub action: String,
    pub url: String,
}

impl From<core::CommitLeadView> for CommitLeadView {
    fn from(l: core::CommitLeadView) -> Self {
        CommitLeadView {
            row: l.row,
            crm_id: l.crm_id,
            lead_name: l.lead_name,
            action: l.action,
            url: l.url,
        }
    }
}

/// What a commit did.
#[derive(Object, Clone, Debug, PartialEq)]
pub struct CommitReport {
    pub import_id: u64,
    pub committed_by: String,
    pub committed_at: String,
    pub counts: CommitCounts,
    pub leads: Vec<CommitLeadView>,
}

impl From<core::CommitReport> for CommitReport {
    fn from(c: core::CommitReport) -> Self {
        CommitReport {
            import_id: c.import_id,
            committed_by: c.committed_by,
            committed_at: c.committed_at,
            counts: c.counts.into(),
            leads: c.leads.into_iter().map(Into::into).collect(),
        }
    }
}

/// One import in a listing.
#[derive(Object, Clone, Debug, PartialEq)]
pub struct ImportSummary {
    pub import_id: u64,
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

impl From<core::ImportSummary> for ImportSummary {
    fn from(s: core::ImportSummary) -> Self {
        ImportSummary {
            import_id: s.import_id,
            kind: s.kind.into(),
            status: s.status.into(),
            file: s.file.into(),
            uploaded_by: s.uploaded_by,
            uploaded_at: s.uploaded_at,
            counts: s.counts.into(),
            committed_by: s.committed_by,
            committed_at: s.committed_at,
            commit_counts: s.commit_counts.map(Into::into),
        }
    }
}

/// A page of imports, newest first (`limit` 0: all).
#[derive(Object, Clone, Debug, PartialEq)]
pub struct ImportListing {
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
    pub imports: Vec<ImportSummary>,
}

impl From<core::ImportListing> for ImportListing {
    fn from(l: core::ImportListing) -> Self {
        ImportListing {
            total: l.total,
            offset: l.offset,
            limit: l.limit,
            imports: l.imports.into_iter().map(Into::into).collect(),
        }
    }
}
