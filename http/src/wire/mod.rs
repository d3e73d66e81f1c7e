//! The wire types of the API: poem-openapi mirrors of the application
//! layer's reports (`leadger_core::app::report`), so the OpenAPI document
//! describes the real answers. Each converts from its core report field by
//! field; a test (see `tests`) serialises both and requires the same JSON,
//! which is what the CLI's `--json` prints.

mod imports;
mod leads;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use leadger_core::event;
use leadger_core::parse;
use leadger_core::projection::records;
use leadger_core::template;
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use poem_openapi::Enum;
use serde_json::Value;

pub use imports::{CommitReport, ImportListing, ImportReport};
pub use leads::{ChangeEntry, LeadListing, LeadView, VerifyReport};

/// What an import creates and matches.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum Kind {
    Leads,
    Organizations,
}

impl From<event::Kind> for Kind {
    fn from(k: event::Kind) -> Self {
        match k {
            event::Kind::Leads => Kind::Leads,
            event::Kind::Organizations => Kind::Organizations,
        }
    }
}

impl From<Kind> for event::Kind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Leads => event::Kind::Leads,
            Kind::Organizations => event::Kind::Organizations,
        }
    }
}

/// Where an import is: previewing (only mid-append), previewed, committed.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum ImportStatus {
    Previewing,
    Previewed,
    Committed,
}

impl From<records::ImportStatus> for ImportStatus {
    fn from(s: records::ImportStatus) -> Self {
        match s {
            records::ImportStatus::Previewing => ImportStatus::Previewing,
            records::ImportStatus::Previewed => ImportStatus::Previewed,
            records::ImportStatus::Committed => ImportStatus::Committed,
        }
    }
}

/// How to read dates like 03/04/2025: `us` (MM/DD/YYYY, the default),
/// `eu` (DD/MM/YYYY) or `iso` (YYYY-MM-DD only).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum DateFormat {
    Us,
    Eu,
    Iso,
}

impl From<DateFormat> for parse::DateFormat {
    fn from(f: DateFormat) -> Self {
        match f {
            DateFormat::Us => parse::DateFormat::Us,
            DateFormat::Eu => parse::DateFormat::Eu,
            DateFormat::Iso => parse::DateFormat::Iso,
        }
    }
}

/// The format a template downloads as.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum TemplateFormat {
    Xlsx,
    Csv,
}

impl From<TemplateFormat> for template::TemplateFormat {
    fn from(f: TemplateFormat) -> Self {
        match f {
            TemplateFormat::Xlsx => template::TemplateFormat::Xlsx,
            TemplateFormat::Csv => template::TemplateFormat::Csv,
        }
    }
}

/// A record's fields keyed by the template's header text (`"City"`), in
/// template order. Values are strings, except integers and booleans.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FieldMap(pub serde_json::Map<String, Value>);

impl Type for FieldMap {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "FieldMap".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            description: Some("fields keyed by their header text, e.g. \"City\""),
            additional_properties: Some(Box::new(MetaSchemaRef::Inline(Box::new(MetaSchema::ANY)))),
            ..MetaSchema::new("object")
        }))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromJSON for FieldMap {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::Object(map) => Ok(FieldMap(map)),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl ToJSON for FieldMap {
    fn to_json(&self) -> Option<Value> {
        Some(Value::Object(self.0.clone()))
    }
}
