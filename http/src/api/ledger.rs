//! `/api/ledger…`: checks of the event log itself.

use leadger_core::store::Store;
use poem_openapi::payload::Json;
use poem_openapi::OpenApi;

use super::{blocking, Area, Shared};
use crate::auth::BearerAuth;
use crate::error::ApiError;
use crate::wire::VerifyReport;

pub struct LedgerApi<S: Store> {
    ledger: Shared<S>,
}

impl<S: Store> LedgerApi<S> {
    pub fn new(ledger: Shared<S>) -> Self {
        LedgerApi { ledger }
    }
}

#[OpenApi(tag = "Area::Ledger")]
impl<S: Store + 'static> LedgerApi<S> {
    /// Verify the hash chain
    ///
    /// Walks every event from the first and proves the log intact, or names
    /// the first event that was altered, removed or reordered (still 200:
    /// read `ok`).
    #[oai(path = "/ledger/verify", method = "get")]
    async fn verify(&self, _auth: BearerAuth) -> Result<Json<VerifyReport>, ApiError> {
        let report = blocking(&self.ledger, |l| l.verify()).await?;
        Ok(Json(report.into()))
    }
}
