//! `/api/imports…`: upload (preview), commit, list, one import, its
//! original file and the changes its commit made.

use std::io::Read;

use std::sync::Arc;

use leadger_core::app::PreviewImport;
use leadger_core::store::{BlobReader, Store};
use poem::web::Data;
use poem::Body;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::multipart::Upload;
use poem_openapi::{Multipart, OpenApi};

use super::{blocking, Area, Download, Shared};
use crate::auth::{BearerAuth, Caller};
use crate::error::ApiError;
use crate::progress::{Board, ProgressView};
use crate::wire::{ChangeEntry, CommitReport, DateFormat, ImportListing, ImportReport, Kind};

/// The upload form.
#[derive(Multipart)]
pub struct UploadForm {
    /// The spreadsheet: .xlsx, .xls, .ods or .csv (its name tells the type).
    file: Upload,
}

pub struct ImportsApi<S: Store> {
    ledger: Shared<S>,
    /// The progress of the preview or commit running now.
    board: Arc<Board>,
}

impl<S: Store> ImportsApi<S> {
    pub fn new(ledger: Shared<S>, board: Arc<Board>) -> Self {
        ImportsApi { ledger, board }
    }
}

/// Streams a stored file from the blocking pool, a chunk at a time.
fn stream_blob(mut reader: Box<dyn BlobReader>) -> Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Vec<u8>>>(4);
    tokio::task::spawn_blocking(move || loop {
        let mut buf = vec![0u8; 64 * 1024];
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                buf.truncate(n);
                if tx.blocking_send(Ok(buf)).is_err() {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                break;
            }
        }
    });
    Body::from_bytes_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    }))
}

#[OpenApi(tag = "Area::Imports")]
impl<S: Store + 'static> ImportsApi<S> {
    /// Upload a spreadsheet and preview it
    ///
    /// Stores the file and records what validation and matching found: the
    /// import's id, its errors and warnings, the rows that would be created,
    /// updated or left unchanged, and the counts. Validation findings are
    /// the preview's content, not an HTTP error. Admins only.
    #[oai(path = "/imports", method = "post")]
    async fn preview(
        &self,
        _auth: BearerAuth,
        caller: Data<&Caller>,
        /// `leads` (the default) or `organizations`.
        kind: Query<Option<Kind>>,
        /// How to read dates like 03/04/2025 (default `us`).
        date_format: Query<Option<DateFormat>>,
        form: UploadForm,
    ) -> Result<Json<ImportReport>, ApiError> {
        let file_name = form.file.file_name().unwrap_or_default().to_string();
        // The upload was streamed to a temporary file; the preview reads it
        // from there, on the blocking pool.
        let mut file = form.file.into_file().into_std().await;
        let cmd = PreviewImport {
            file_name,
            kind: kind.0.unwrap_or(Kind::Leads).into(),
            date_format: date_format.0.unwrap_or(DateFormat::Us).into(),
            actor: caller.name.clone(),
        };
        // The answer is also built on the blocking pool: for a large file it
        // is a large value.
        let board = Arc::clone(&self.board);
        let report = blocking(&self.ledger, move |l| {
            l.preview(cmd, &mut file, &*board).map(ImportReport::from)
        })
        .await?;
        Ok(Json(report))
    }

    /// Commit a previewed import
    ///
    /// Applies exactly what was previewed, all or nothing. Refused (409) when
    /// the preview has errors, was already committed, or a record it would
    /// update changed since the preview. Admins only.
    #[oai(path = "/imports/:id/commit", method = "post")]
    async fn commit(
        &self,
        _auth: BearerAuth,
        caller: Data<&Caller>,
        id: Path<u64>,
    ) -> Result<Json<CommitReport>, ApiError> {
        let actor = caller.name.clone();
        let board = Arc::clone(&self.board);
        let report = blocking(&self.ledger, move |l| {
            l.commit(id.0, &actor, &*board).map(CommitReport::from)
        })
        .await?;
        Ok(Json(report))
    }

    /// What the running preview or commit is doing
    ///
    /// Its phase and how far it got, for a progress bar; `phase` is null
    /// when nothing long is running. Answers at once, whatever is running.
    #[oai(path = "/progress", method = "get")]
    async fn progress(&self, _auth: BearerAuth) -> Json<ProgressView> {
        Json(self.board.view())
    }

    /// List imports, newest first
    #[oai(path = "/imports", method = "get")]
    async fn list(
        &self,
        _auth: BearerAuth,
        /// Page size (default 100; 0 for all).
        #[oai(default = "default_limit")]
        limit: Query<u64>,
        #[oai(default)] offset: Query<u64>,
    ) -> Result<Json<ImportListing>, ApiError> {
        let listing = blocking(&self.ledger, move |l| l.imports(offset.0, limit.0)).await?;
        Ok(Json(listing.into()))
    }

    /// One import: its errors, warnings, plan and results
    #[oai(path = "/imports/:id", method = "get")]
    async fn show(&self, _auth: BearerAuth, id: Path<u64>) -> Result<Json<ImportReport>, ApiError> {
        let report = blocking(&self.ledger, move |l| {
            l.import_report(id.0).map(ImportReport::from)
        })
        .await?;
        Ok(Json(report))
    }

    /// The original uploaded file, byte for byte
    #[oai(path = "/imports/:id/file", method = "get")]
    async fn file(&self, _auth: BearerAuth, id: Path<u64>) -> Result<Download, ApiError> {
        let (file_name, reader) = blocking(&self.ledger, move |l| l.import_file(id.0)).await?;
        Ok(Download {
            body: stream_blob(reader),
            file_name,
            content_type: "application/octet-stream".into(),
        })
    }

    /// Every change the import's commit made
    ///
    /// Each field of each record, before and after, in log order (empty
    /// before the import is committed).
    #[oai(path = "/imports/:id/changes", method = "get")]
    async fn changes(
        &self,
        _auth: BearerAuth,
        id: Path<u64>,
    ) -> Result<Json<Vec<ChangeEntry>>, ApiError> {
        let entries = blocking(&self.ledger, move |l| {
            l.audit_import(id.0)
                .map(|e| e.into_iter().map(Into::into).collect())
        })
        .await?;
        Ok(Json(entries))
    }
}

pub fn default_limit() -> u64 {
    leadger_core::app::query::DEFAULT_LIMIT
}
