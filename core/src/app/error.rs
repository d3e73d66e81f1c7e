//! The application layer's errors, split by how a caller reacts.

use crate::codec::CodecError;
use crate::log::LogError;
use crate::projection::ProjectionError;
use crate::read::ReadError;
use crate::store::StoreError;

/// Why a command or query failed.
///
/// | variant | HTTP | CLI exit |
/// |---|---|---|
/// | `BadRequest` | 400 | 2 |
/// | `NotFound` | 404 | 1 |
/// | `Conflict` (stale or repeated commit) | 409 | 1 |
/// | `HasErrors` (commit of a preview with errors) | 409 | 3 |
/// | `Unsupported` (not a spreadsheet type) | 415 | 1 |
/// | `Unreadable` (a spreadsheet that cannot be read) | 422 | 1 |
/// | `TooLarge` | 413 | 1 |
/// | `Store`, `Corrupt`, `Internal` | 500 (503 when locked) | 1 |
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("import {import_id} has {errors} validation errors, so nothing was committed: fix the file and preview it again")]
    HasErrors { import_id: u64, errors: u64 },
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    Unreadable(String),
    #[error("{0}")]
    TooLarge(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the ledger is damaged: {0}")]
    Corrupt(String),
    /// A failure of leadger itself (a bug), not of the input or the disk.
    #[error("internal error: {0}")]
    Internal(String),
}

impl LedgerError {
    /// The short machine-readable name of the error (the `error` field of
    /// an HTTP error body).
    pub fn code(&self) -> &'static str {
        match self {
            LedgerError::BadRequest(_) => "bad_request",
            LedgerError::NotFound(_) => "not_found",
            LedgerError::Conflict(_) => "conflict",
            LedgerError::HasErrors { .. } => "has_errors",
            LedgerError::Unsupported(_) => "unsupported_media_type",
            LedgerError::Unreadable(_) => "unreadable_file",
            LedgerError::TooLarge(_) => "too_large",
            LedgerError::Store(StoreError::Locked { .. }) => "locked",
            LedgerError::Store(_) | LedgerError::Corrupt(_) | LedgerError::Internal(_) => {
                "internal"
            }
        }
    }
}

impl From<ReadError> for LedgerError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Unsupported(_) => LedgerError::Unsupported(e.to_string()),
            ReadError::TooLarge(_) => LedgerError::TooLarge(e.to_string()),
            _ => LedgerError::Unreadable(e.to_string()),
        }
    }
}

impl From<CodecError> for LedgerError {
    fn from(e: CodecError) -> Self {
        LedgerError::Corrupt(e.to_string())
    }
}

impl From<LogError> for LedgerError {
    fn from(e: LogError) -> Self {
        LedgerError::Corrupt(e.to_string())
    }
}

impl From<ProjectionError> for LedgerError {
    fn from(e: ProjectionError) -> Self {
        match e {
            ProjectionError::Store(s) => LedgerError::Store(s),
            other => LedgerError::Corrupt(other.to_string()),
        }
    }
}
