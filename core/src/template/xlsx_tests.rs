//! The `.xlsx` template read back with calamine (the reader imports use):
//! sheets, header order and text, the Instructions rows, the Lists values.
//! Formatting (fonts, notes, validations, number formats) is checked by the
//! black-box suite with openpyxl, which reads those parts.
#![allow(clippy::unwrap_used)]

use std::io::Cursor;

use calamine::{Reader, SheetVisible, Xlsx};

use super::instructions::INSTRUCTIONS;
use super::xlsx::{sheet_name, LISTS};
use super::{render, TemplateFormat, TemplateRequest};
use crate::catalogue::{FieldDef, ListName, FIELDS};
use crate::event::Kind;
use crate::reference::ReferenceData;

/// Every row of a sheet as text, from A1.
pub(super) fn sheet_rows(bytes: &[u8], name: &str) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range(name).unwrap();
    assert_eq!(
        range.start().unwrap_or((0, 0)),
        (0, 0),
        "{name} starts at A1"
    );
    range
        .rows()
        .map(|row| row.iter().map(|c| c.to_string()).collect())
        .collect()
}

fn build(kind: Kind, fields: &[&str], categories: &[&str], data: &ReferenceData) -> Vec<u8> {
    let req = TemplateRequest {
        kind,
        fields: fields.iter().map(|s| s.to_string()).collect(),
        categories: categories.iter().map(|s| s.to_string()).collect(),
        format: TemplateFormat::Xlsx,
    };
    let selected: Vec<&'static FieldDef> = req.selected_fields().unwrap();
    render(kind, &selected, data, req.format, created())
        .unwrap()
        .bytes
}

fn created() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 3, 4).unwrap()
}

#[test]
fn the_workbook_is_created_on_the_date_given_and_the_same_date_gives_the_same_bytes() {
    let data = ReferenceData::defaults();
    let bytes = build(Kind::Leads, &[], &["Lead"], &data);
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.clone())).unwrap();
    let mut core = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("docProps/core.xml").unwrap(), &mut core)
        .unwrap();
    assert!(core.contains("2026-03-04T00:00:00Z"), "{core}");
    // A second later, still the same bytes.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert!(build(Kind::Leads, &[], &["Lead"], &data) == bytes);
}

#[test]
fn sheets_are_data_instructions_and_hidden_lists() {
    let bytes = build(Kind::Organizations, &[], &[], &ReferenceData::defaults());
    let book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    let sheets: Vec<(String, bool)> = book
        .sheets_metadata()
        .iter()
        .map(|s| (s.name.clone(), s.visible == SheetVisible::Visible))
        .collect();
    assert_eq!(
        sheets,
        [
            ("Organizations".to_string(), true),
            (INSTRUCTIONS.to_string(), true),
            (LISTS.to_string(), false)
        ]
    );
    assert_eq!(sheet_name(Kind::Leads), "Leads");
}

#[test]
fn header_row_is_the_selection_in_catalogue_order() {
    let data = ReferenceData::defaults();
    let bytes = build(Kind::Leads, &[], &[], &data);
    let rows = sheet_rows(&bytes, "Leads");
    assert_eq!(rows.len(), 1, "the header row only");
    let all: Vec<&str> = FIELDS.iter().map(|f| f.header).collect();
    assert_eq!(rows[0], all);

    let bytes = build(Kind::Leads, &["country", "Contact Mobile"], &[], &data);
    assert_eq!(
        sheet_rows(&bytes, "Leads")[0],
        [
            "Account CRM ID",
            "Lead Name",
            "Export Value",
            "Country",
            "Contact First Name",
            "Contact Last Name",
            "Contact Mobile"
        ]
    );
}

#[test]
fn instructions_have_one_row_per_field() {
    let data = ReferenceData::defaults();
    let bytes = build(Kind::Leads, &["Postal Code", "Lead Status"], &[], &data);
    let rows = sheet_rows(&bytes, INSTRUCTIONS);
    assert_eq!(
        rows[0],
        [
            "Field",
            "Category",
            "Key identifier",
            "Type",
            "Allowed values",
            "Example"
        ]
    );
    let table: Vec<&Vec<String>> = rows[1..].iter().take_while(|r| !r[0].is_empty()).collect();
    let names: Vec<&str> = table.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        names,
        [
            "Account CRM ID",
            "Lead Name",
            "Export Value",
            "Lead Status",
            "Postal Code"
        ]
    );
    assert_eq!(table[1][1..4], ["Main (Lead)", "Yes", "text"]);
    assert_eq!(table[1][4], "text, up to 200 characters");
    assert_eq!(table[3][2], "No");
    assert_eq!(
        table[3][4],
        "one of: New, Contacted, Qualified, Unqualified, Customer (any case)"
    );
    assert_eq!(table[4][5], "02134", "examples stay text");
    assert!(
        rows.len() > table.len() + 2,
        "general rules follow the table"
    );
}

#[test]
fn lists_hold_the_current_reference_data() {
    let mut data = ReferenceData::defaults();
    data.retire_item(ListName::Industry, "Retail").unwrap();
    let bytes = build(Kind::Leads, &["State", "Industry", "Country"], &[], &data);
    let rows = sheet_rows(&bytes, LISTS);
    assert_eq!(rows[0], ["Industry", "State", "Country"]);
    let column = |idx: usize| -> Vec<&str> {
        rows[1..]
            .iter()
            .map(|r| r[idx].as_str())
            .filter(|v| !v.is_empty())
            .collect()
    };
    let industries = column(0);
    assert_eq!(industries.len(), 12);
    assert!(!industries.contains(&"Retail"));
    let states = column(1);
    assert_eq!(states.len(), data.states.len());
    assert!(states.contains(&"Illinois") && states.contains(&"Ontario"));
    let countries = column(2);
    assert_eq!(countries.len(), data.countries.len());
    assert_eq!(countries.first(), Some(&"Afghanistan"));
    assert!(countries.contains(&"United States"));
}

#[test]
fn a_template_without_list_fields_has_an_empty_lists_sheet() {
    let bytes = build(Kind::Leads, &["Notes"], &[], &ReferenceData::defaults());
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    assert!(book.worksheet_range(LISTS).unwrap().is_empty());
}
