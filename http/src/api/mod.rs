//! The operations under `/api`, one `#[OpenApi]` struct per area, each
//! holding the shared ledger. Handlers only translate: every rule is the
//! ledger's, and every ledger call runs on the blocking pool so a long
//! preview or commit never stalls the async runtime.

mod download;
mod imports;
mod leads;
mod ledger;
mod templates;

use std::sync::Arc;

use leadger_core::store::Store;
use leadger_core::{Ledger, LedgerError};
use poem_openapi::{OpenApiService, Tags};

use crate::error::ApiError;

pub use download::Download;

/// The ledger, shared by every handler.
pub type Shared<S> = Arc<Ledger<S>>;

#[derive(Tags)]
pub enum Area {
    /// Upload a spreadsheet (preview), commit it, list and inspect imports.
    Imports,
    /// The CRM view: leads and organizations, and their history.
    Leads,
    /// Blank import templates.
    Templates,
    /// The event log itself.
    Ledger,
}

/// Runs `work` on the blocking pool and maps its error to an answer.
pub async fn blocking<S, T, F>(ledger: &Shared<S>, work: F) -> Result<T, ApiError>
where
    S: Store + 'static,
    T: Send + 'static,
    F: FnOnce(&Ledger<S>) -> Result<T, LedgerError> + Send + 'static,
{
    let ledger = Arc::clone(ledger);
    match tokio::task::spawn_blocking(move || work(&ledger)).await {
        Ok(answer) => answer.map_err(ApiError::from),
        Err(e) => Err(ApiError::internal(format!(
            "the request's work failed: {e}"
        ))),
    }
}

/// The four areas, as one service.
pub type Api<S> = (
    imports::ImportsApi<S>,
    leads::LeadsApi<S>,
    templates::TemplatesApi<S>,
    ledger::LedgerApi<S>,
    crate::web::SessionApi,
);

/// The API service: routes relative to `/api`, and the document that
/// describes them.
pub fn service<S: Store + 'static>(ledger: Shared<S>) -> OpenApiService<Api<S>, ()> {
    let board = Arc::new(crate::progress::Board::default());
    let api = (
        imports::ImportsApi::new(Arc::clone(&ledger), board),
        leads::LeadsApi::new(Arc::clone(&ledger)),
        templates::TemplatesApi::new(Arc::clone(&ledger)),
        ledger::LedgerApi::new(ledger),
        crate::web::SessionApi,
    );
    OpenApiService::new(api, "leadger", env!("CARGO_PKG_VERSION"))
        .description(
            "Import CRM leads from spreadsheets into an append-only, tamper-evident ledger. \
             Every route needs a bearer token (`leadger tokens create NAME --role admin|auditor`); \
             auditors may only read. Errors answer {\"error\", \"message\"}.",
        )
        .server("/api")
}
