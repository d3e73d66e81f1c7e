//! The `.xlsx` template, written with `rust_xlsxwriter` to memory.
//!
//! Three sheets: the data sheet ("Leads" or "Organizations") that users
//! fill, "Instructions" (one row per field, written by `instructions`), and
//! a hidden "Lists" sheet holding the drop-down values. Drop-downs point at ranges of the Lists
//! sheet rather than holding their items inline, because an inline list is
//! limited to 255 characters and the country names alone are thousands.

use rust_xlsxwriter::{
    column_number_to_name, ColNum, Color, DataValidation, DataValidationErrorStyle, DocProperties,
    ExcelDateTime, Format, Formula, Note, Workbook, Worksheet, XlsxError,
};

use chrono::Datelike;

use super::describe;
use super::instructions;
use crate::catalogue::{FieldDef, FieldType, ListName};
use crate::event::Kind;
use crate::reference::ReferenceData;

pub(super) const LISTS: &str = "Lists";
/// The last row (0-based) the drop-downs cover: Excel's last row, so every
/// row a user fills has its drop-down. A validation's range costs the
/// same whatever its size.
pub(super) const LAST_ROW: u32 = 1_048_575;
pub(super) const KEY_RED: u32 = 0xFF0000;

/// Where a drop-down's values come from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    List(ListName),
    Country,
    State,
}

impl Source {
    fn of(field: &FieldDef) -> Option<Source> {
        match field.ty {
            FieldType::List(list) => Some(Source::List(list)),
            FieldType::Country => Some(Source::Country),
            FieldType::State => Some(Source::State),
            _ => None,
        }
    }
}

/// One column of the Lists sheet.
struct ListColumn {
    source: Source,
    title: &'static str,
    values: Vec<String>,
}

pub(super) fn workbook(
    kind: Kind,
    fields: &[&FieldDef],
    reference: &ReferenceData,
    created: chrono::NaiveDate,
) -> Result<Vec<u8>, XlsxError> {
    let lists = list_columns(fields, reference);
    let mut book = Workbook::new();
    // Without it the writer stamps the system clock's time to the second.
    let day = ExcelDateTime::from_ymd(
        u16::try_from(created.year()).unwrap_or(1970),
        created.month() as u8,
        created.day() as u8,
    )?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&day));
    book.push_worksheet(data_sheet(kind, fields, reference, &lists)?);
    book.push_worksheet(instructions::sheet(kind, fields, reference)?);
    book.push_worksheet(lists_sheet(&lists)?);
    book.save_to_buffer()
}

/// The data sheet's name.
pub(super) fn sheet_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Leads => "Leads",
        Kind::Organizations => "Organizations",
    }
}

pub(super) fn noun(kind: Kind) -> &'static str {
    match kind {
        Kind::Leads => "lead",
        Kind::Organizations => "organization",
    }
}

/// The drop-down values the fields need, one column each, in field order:
/// active list items, country names (sorted, as people look them up),
/// state names (grouped by country, as the reference data holds them).
fn list_columns(fields: &[&FieldDef], reference: &ReferenceData) -> Vec<ListColumn> {
    let mut columns: Vec<ListColumn> = Vec::new();
    for field in fields {
        let Some(source) = Source::of(field) else {
            continue;
        };
        if columns.iter().any(|c| c.source == source) {
            continue;
        }
        let values = match source {
            Source::List(list) => reference
                .active_items(list)
                .into_iter()
                .map(String::from)
                .collect(),
            Source::Country => {
                let mut names: Vec<String> =
                    reference.countries.iter().map(|c| c.name.clone()).collect();
                names.sort_by_key(|n| n.to_lowercase());
                names
            }
            Source::State => {
                let mut names: Vec<String> = Vec::new();
                for state in &reference.states {
                    if !names.iter().any(|n| n.eq_ignore_ascii_case(&state.name)) {
                        names.push(state.name.clone());
                    }
                }
                names
            }
        };
        columns.push(ListColumn {
            source,
            title: field.header,
            values,
        });
    }
    columns
}

/// The range of the Lists sheet holding `source`'s values, as a formula
/// (`=Lists!$A$2:$A$6`), or `None` when it has no values.
fn list_range(lists: &[ListColumn], source: Source) -> Option<String> {
    let (idx, column) = lists.iter().enumerate().find(|(_, c)| c.source == source)?;
    if column.values.is_empty() {
        return None;
    }
    let letter = column_number_to_name(idx as ColNum);
    Some(format!(
        "={LISTS}!${letter}$2:${letter}${}",
        column.values.len() + 1
    ))
}

fn data_sheet(
    kind: Kind,
    fields: &[&FieldDef],
    reference: &ReferenceData,
    lists: &[ListColumn],
) -> Result<Worksheet, XlsxError> {
    let mut sheet = Worksheet::new();
    sheet.set_name(sheet_name(kind))?;
    sheet.set_default_note_author("leadger");
    let header = Format::new().set_bold();
    let key_header = Format::new().set_bold().set_font_color(Color::RGB(KEY_RED));
    let text = Format::new().set_num_format("@");
    for (idx, field) in fields.iter().enumerate() {
        let col = idx as ColNum;
        let format = if field.key { &key_header } else { &header };
        sheet.write_string_with_format(0, col, field.header, format)?;
        sheet.insert_note(0, col, &note(&describe::note(field, reference, noun(kind))))?;
        if describe::is_text_column(field) {
            sheet.set_column_format(col, &text)?;
        } else if let Some(date) = describe::date_format(field) {
            sheet.set_column_format(col, &Format::new().set_num_format(date))?;
        }
        let longest_value = Source::of(field)
            .and_then(|source| lists.iter().find(|c| c.source == source))
            .and_then(|c| c.values.iter().map(|v| v.chars().count()).max())
            .unwrap_or(0);
        sheet.set_column_width(col, column_width(field, longest_value))?;
        if let Some(validation) = validation(field, lists)? {
            sheet.add_data_validation(1, col, LAST_ROW, col, &validation)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_active(true);
    Ok(sheet)
}

/// A header note, sized to its text (about 50 characters a line).
fn note(text: &str) -> Note {
    let lines: usize = text.lines().map(|l| l.chars().count() / 50 + 1).sum();
    Note::new(text)
        .add_author_prefix(false)
        .set_width(330)
        .set_height((lines * 14 + 12) as u32)
}

/// Room for the header (and a drop-down arrow), the example and most
/// drop-down values, within bounds.
fn column_width(field: &FieldDef, longest_value: usize) -> f64 {
    let header = field.header.chars().count() + 4;
    let example = field.example.chars().count() + 2;
    let value = (longest_value + 3).min(30);
    header.max(example).max(value).clamp(10, 40) as f64
}

/// The drop-down of a list, Country or State field, or the Yes/No of a
/// boolean. List items are all the importer accepts, so other values are
/// refused (Stop); countries, states and booleans also take codes and
/// spellings the drop-down does not show, so there a Warning lets a user
/// keep what they typed.
fn validation(field: &FieldDef, lists: &[ListColumn]) -> Result<Option<DataValidation>, XlsxError> {
    let (validation, title, message) = match (field.ty, Source::of(field)) {
        (FieldType::Bool, _) => (
            DataValidation::new()
                .allow_list_strings(&["Yes", "No"])?
                .set_error_style(DataValidationErrorStyle::Warning),
            "Yes or No",
            format!(
                "{} takes Yes or No; True/False, Y/N and 1/0 are accepted too. \
                 To keep what you typed, answer Yes.",
                field.header
            ),
        ),
        (_, Some(source)) => {
            let Some(range) = list_range(lists, source) else {
                return Ok(None);
            };
            let validation = DataValidation::new().allow_list_formula(Formula::new(range));
            match source {
                Source::List(list) => (
                    validation,
                    "Not an item of the list",
                    format!(
                        "Pick an item of {} from the drop-down list; the Instructions \
                         sheet lists them.",
                        list.title()
                    ),
                ),
                Source::Country => (
                    validation.set_error_style(DataValidationErrorStyle::Warning),
                    "Country not in the list",
                    "Pick a country from the drop-down list. An ISO code such as US is \
                     accepted too: to keep what you typed, answer Yes."
                        .to_string(),
                ),
                Source::State => (
                    validation.set_error_style(DataValidationErrorStyle::Warning),
                    "State not in the list",
                    "Pick a state or province from the drop-down list. A code such as IL, \
                     or a state of a country without a state list, is accepted too: to \
                     keep what you typed, answer Yes."
                        .to_string(),
                ),
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(
        validation
            .set_error_title(title)?
            .set_error_message(message)?,
    ))
}

fn lists_sheet(lists: &[ListColumn]) -> Result<Worksheet, XlsxError> {
    let mut sheet = Worksheet::new();
    sheet.set_name(LISTS)?;
    let bold = Format::new().set_bold();
    for (idx, column) in lists.iter().enumerate() {
        let col = idx as ColNum;
        sheet.write_string_with_format(0, col, column.title, &bold)?;
        for (row, value) in column.values.iter().enumerate() {
            sheet.write_string(row as u32 + 1, col, value)?;
        }
        sheet.set_column_width(col, 28)?;
    }
    sheet.set_hidden(true);
    Ok(sheet)
}
