//! `/api/templates/{kind}`: a blank import template, as .xlsx or .csv.

use leadger_core::store::Store;
use leadger_core::template::TemplateRequest;
use poem::Body;
use poem_openapi::param::{Path, Query};
use poem_openapi::OpenApi;

use super::{blocking, Area, Download, Shared};
use crate::auth::BearerAuth;
use crate::error::ApiError;
use crate::wire::{Kind, TemplateFormat};

pub struct TemplatesApi<S: Store> {
    ledger: Shared<S>,
}

impl<S: Store> TemplatesApi<S> {
    pub fn new(ledger: Shared<S>) -> Self {
        TemplatesApi { ledger }
    }
}

/// `"a,b"` as the list the template request takes (it splits on commas).
fn names(list: Option<String>) -> Vec<String> {
    list.into_iter().filter(|s| !s.trim().is_empty()).collect()
}

#[OpenApi(tag = "Area::Templates")]
impl<S: Store + 'static> TemplatesApi<S> {
    /// Download an import template
    ///
    /// The chosen fields and categories (all fields when none), always with
    /// the key identifiers of every chosen category.
    #[oai(path = "/templates/:kind", method = "get")]
    async fn template(
        &self,
        _auth: BearerAuth,
        kind: Path<Kind>,
        /// Header texts, comma separated, e.g. `Email,Lead Status`.
        fields: Query<Option<String>>,
        /// Whole categories, comma separated: main, contact, communication, opportunity.
        categories: Query<Option<String>>,
        /// `xlsx` (the default) or `csv`.
        format: Query<Option<TemplateFormat>>,
    ) -> Result<Download, ApiError> {
        let req = TemplateRequest {
            kind: kind.0.into(),
            fields: names(fields.0),
            categories: names(categories.0),
            format: format.0.unwrap_or(TemplateFormat::Xlsx).into(),
        };
        let file = blocking(&self.ledger, move |l| l.template(&req)).await?;
        Ok(Download {
            body: Body::from(file.bytes),
            file_name: file.file_name,
            content_type: file.content_type.to_string(),
        })
    }
}
