//! `/api/leads…`: the CRM view, one record, its history.

use leadger_core::store::Store;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::OpenApi;

use super::imports::default_limit;
use super::{blocking, Area, Shared};
use crate::auth::BearerAuth;
use crate::error::ApiError;
use crate::wire::{ChangeEntry, Kind, LeadListing, LeadView};

pub struct LeadsApi<S: Store> {
    ledger: Shared<S>,
}

impl<S: Store> LeadsApi<S> {
    pub fn new(ledger: Shared<S>) -> Self {
        LeadsApi { ledger }
    }
}

#[OpenApi(tag = "Area::Leads")]
impl<S: Store + 'static> LeadsApi<S> {
    /// List leads and organizations in CRM ID order
    #[oai(path = "/leads", method = "get")]
    async fn list(
        &self,
        _auth: BearerAuth,
        /// Only this kind (default: both).
        kind: Query<Option<Kind>>,
        /// Page size (default 100; 0 for all).
        #[oai(default = "default_limit")]
        limit: Query<u64>,
        #[oai(default)] offset: Query<u64>,
    ) -> Result<Json<LeadListing>, ApiError> {
        let kind = kind.0.map(Into::into);
        // Converted on the blocking pool too (`limit=0` lists every lead).
        let listing = blocking(&self.ledger, move |l| {
            l.leads(kind, offset.0, limit.0).map(LeadListing::from)
        })
        .await?;
        Ok(Json(listing))
    }

    /// One record, with its contacts, communications and opportunities
    #[oai(path = "/leads/:id", method = "get")]
    async fn show(&self, _auth: BearerAuth, id: Path<u64>) -> Result<Json<LeadView>, ApiError> {
        let lead = blocking(&self.ledger, move |l| l.lead(id.0)).await?;
        Ok(Json(lead.into()))
    }

    /// What happened to a record over time, and which import and user did it
    #[oai(path = "/leads/:id/history", method = "get")]
    async fn history(
        &self,
        _auth: BearerAuth,
        id: Path<u64>,
    ) -> Result<Json<Vec<ChangeEntry>>, ApiError> {
        let entries = blocking(&self.ledger, move |l| {
            l.lead_history(id.0)
                .map(|e| e.into_iter().map(Into::into).collect())
        })
        .await?;
        Ok(Json(entries))
    }
}
