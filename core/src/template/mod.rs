//! Templates users fill in (PRODUCT.md section 1): the fields a user chose,
//! as an `.xlsx` workbook with guard rails (frozen bold header, red key
//! identifiers, notes, drop-downs fed by the current reference data, text
//! and date column formats, an Instructions sheet) or as a `.csv` header.
//!
//! Both front ends call [`Ledger::template`]: the CLI writes the bytes to a
//! file, the HTTP API sends them. Like the rest of `core`, this module does
//! no I/O: the workbook is written to memory.
//!
//! Module map: `select` turns names into catalogue fields, `describe` says
//! what each field accepts (for notes and the Instructions sheet), `xlsx`
//! (with `instructions`) and `csv` write the two formats.

mod csv;
mod describe;
mod instructions;
mod select;
mod xlsx;
#[cfg(test)]
mod xlsx_tests;

use crate::app::{Ledger, LedgerError};
use crate::catalogue::FieldDef;
use crate::event::Kind;
use crate::reference::ReferenceData;
use crate::store::Store;

/// The two formats a template downloads as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TemplateFormat {
    Xlsx,
    Csv,
}

impl TemplateFormat {
    /// `xlsx` or `csv`, any case, surrounding spaces and a leading dot
    /// ignored (so a file extension parses too).
    pub fn parse(text: &str) -> Option<TemplateFormat> {
        let text = text.trim();
        let text = text.strip_prefix('.').unwrap_or(text);
        if text.eq_ignore_ascii_case("xlsx") {
            Some(TemplateFormat::Xlsx)
        } else if text.eq_ignore_ascii_case("csv") {
            Some(TemplateFormat::Csv)
        } else {
            None
        }
    }

    /// The file extension, without the dot; also the format's name.
    pub fn extension(self) -> &'static str {
        match self {
            TemplateFormat::Xlsx => "xlsx",
            TemplateFormat::Csv => "csv",
        }
    }

    /// The MIME type to send the file with.
    pub fn content_type(self) -> &'static str {
        match self {
            TemplateFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            TemplateFormat::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// What a user asked for. Names are matched ignoring case and spaces; an
/// entry may also hold several names separated by commas (`"Email,Phone"`),
/// as they arrive from a query string.
#[derive(Clone, Debug)]
pub struct TemplateRequest {
    pub kind: Kind,
    /// Header texts of the fields wanted (e.g. `Lead Status`).
    pub fields: Vec<String>,
    /// Whole categories wanted: `main` (or `lead`), `contact`,
    /// `communication`, `opportunity`.
    pub categories: Vec<String>,
    pub format: TemplateFormat,
}

impl TemplateRequest {
    /// The fields the template will hold, in catalogue order: every field
    /// when nothing was chosen; otherwise the chosen fields and categories
    /// plus the key identifiers of every category involved (and of Main,
    /// which every row needs). Unknown names are a `BadRequest` that
    /// suggests the closest name and lists the valid ones.
    pub fn selected_fields(&self) -> Result<Vec<&'static FieldDef>, LedgerError> {
        select::select(&self.fields, &self.categories).map_err(LedgerError::BadRequest)
    }
}

/// A template, ready to save or send.
#[derive(Clone, Debug)]
pub struct TemplateFile {
    /// e.g. `leads-template.xlsx`.
    pub file_name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

impl<S: Store> Ledger<S> {
    /// Builds the template a user asked for, with the drop-downs and
    /// allowed values of the current reference data (retired list items
    /// are no longer offered).
    ///
    /// The workbook's creation date is today's, by the ledger's clock (UTC,
    /// at midnight): the same request gives the same bytes all day, and the
    /// writer does not read the system clock behind the ledger's back.
    pub fn template(&self, req: &TemplateRequest) -> Result<TemplateFile, LedgerError> {
        let fields = req.selected_fields()?;
        let reference = self.reference()?;
        let today = chrono::DateTime::from_timestamp_millis(self.now())
            .unwrap_or_default()
            .date_naive();
        render(req.kind, &fields, &reference, req.format, today)
    }
}

/// Writes the template of `fields` against `reference`, an xlsx workbook
/// created on `created`; what [`Ledger::template`] does once it has the
/// fields and the data.
pub fn render(
    kind: Kind,
    fields: &[&'static FieldDef],
    reference: &ReferenceData,
    format: TemplateFormat,
    created: chrono::NaiveDate,
) -> Result<TemplateFile, LedgerError> {
    let bytes = match format {
        TemplateFormat::Csv => csv::header(fields),
        TemplateFormat::Xlsx => xlsx::workbook(kind, fields, reference, created).map_err(|e| {
            // Only a bug can make writing to memory fail, and the error
            // enum has no "internal" variant: Corrupt maps to 500 / exit 1,
            // which is what a bug deserves.
            LedgerError::Internal(format!("could not write the template workbook: {e}"))
        })?,
    };
    Ok(TemplateFile {
        file_name: format!("{}-template.{}", kind.name(), format.extension()),
        content_type: format.content_type(),
        bytes,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::app::{LedgerOptions, SystemClock};
    use crate::catalogue::ListName;
    use crate::memstore::MemStore;

    fn request(fields: &[&str], format: TemplateFormat) -> TemplateRequest {
        TemplateRequest {
            kind: Kind::Organizations,
            fields: fields.iter().map(|f| f.to_string()).collect(),
            categories: Vec::new(),
            format,
        }
    }

    #[test]
    fn formats_parse_in_any_case() {
        assert_eq!(TemplateFormat::parse("XLSX"), Some(TemplateFormat::Xlsx));
        assert_eq!(TemplateFormat::parse(" csv "), Some(TemplateFormat::Csv));
        assert_eq!(TemplateFormat::parse(".Csv"), Some(TemplateFormat::Csv));
        assert_eq!(TemplateFormat::parse("xls"), None);
        assert_eq!(TemplateFormat::Csv.extension(), "csv");
        assert!(TemplateFormat::Xlsx
            .content_type()
            .contains("spreadsheetml"));
    }

    #[test]
    fn the_ledger_names_the_file_and_uses_its_reference_data() {
        let ledger = Ledger::open(
            MemStore::new(),
            Box::new(SystemClock),
            LedgerOptions::default(),
        )
        .unwrap();
        let file = ledger
            .template(&request(&["Lead Status"], TemplateFormat::Csv))
            .unwrap();
        assert_eq!(file.file_name, "organizations-template.csv");
        assert_eq!(file.content_type, "text/csv; charset=utf-8");

        ledger
            .retire_list_item(ListName::LeadStatus, "Unqualified", "test")
            .unwrap();
        let file = ledger
            .template(&request(&["Lead Status"], TemplateFormat::Xlsx))
            .unwrap();
        assert_eq!(file.file_name, "organizations-template.xlsx");
        let lists = xlsx_tests::sheet_rows(&file.bytes, "Lists");
        assert_eq!(lists[0], ["Lead Status"]);
        let items: Vec<&str> = lists[1..].iter().map(|r| r[0].as_str()).collect();
        assert_eq!(items, ["New", "Contacted", "Qualified", "Customer"]);
    }

    #[test]
    fn unknown_names_are_bad_requests() {
        let ledger = Ledger::open(
            MemStore::new(),
            Box::new(SystemClock),
            LedgerOptions::default(),
        )
        .unwrap();
        let err = ledger
            .template(&request(&["Lead Nmae"], TemplateFormat::Xlsx))
            .unwrap_err();
        assert!(matches!(&err, LedgerError::BadRequest(m) if m.contains("`Lead Name`")));
    }
}
