//! Validation of the header row and of each data row: parse, don't
//! validate. A row becomes its typed values per category plus a list of
//! findings (errors and warnings), never a first-error stop.

use crate::catalogue::{
    field_by_header, ids, Category, FieldDef, FieldId, FieldType, FIELDS, N_FIELDS,
};
use crate::event::{Fields, Issue, Severity};
use crate::parse::{parse_cell, DateFormat, Parsed};
use crate::read::SheetRow;
use crate::reference::ReferenceData;
use crate::suggest;
use crate::value::Value;

/// Which field each column holds.
#[derive(Clone, Debug)]
pub struct HeaderMap {
    pub columns: Vec<Option<FieldId>>,
    pub headers: Vec<String>,
    /// True when at least one main key identifier column is present.
    pub has_key_column: bool,
}

/// A spreadsheet column letter (0 → A, 26 → AA), for messages.
pub fn column_letter(mut idx: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (idx % 26) as u8);
        if idx < 26 {
            break;
        }
        idx = idx / 26 - 1;
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

pub fn error(row: u32, column: &str, value: &str, message: String) -> Issue {
    Issue {
        severity: Severity::Error,
        row,
        column: column.to_string(),
        value: value.to_string(),
        message,
    }
}

pub fn warning(row: u32, column: &str, value: &str, message: String) -> Issue {
    Issue {
        severity: Severity::Warning,
        row,
        column: column.to_string(),
        value: value.to_string(),
        message,
    }
}

/// Maps the header row to fields, reporting unknown and repeated headers.
pub fn map_headers(headers: &[String], issues: &mut Vec<Issue>) -> HeaderMap {
    let mut columns = Vec::with_capacity(headers.len());
    let mut seen: [Option<usize>; N_FIELDS] = [None; N_FIELDS];
    for (col_idx, header) in headers.iter().enumerate() {
        if header.trim().is_empty() {
            columns.push(None);
            continue;
        }
        match field_by_header(header) {
            Some(def) => {
                let slot = &mut seen[def.id.0 as usize];
                if let Some(first) = *slot {
                    issues.push(error(
                        1,
                        header.trim(),
                        header,
                        format!(
                            "the header `{}` appears twice (columns {} and {}): keep one column and delete the other",
                            def.header,
                            column_letter(first),
                            column_letter(col_idx)
                        ),
                    ));
                    columns.push(None);
                } else {
                    *slot = Some(col_idx);
                    columns.push(Some(def.id));
                }
            }
            None => {
                let hint = match suggest::closest(header, FIELDS.iter().map(|f| f.header)) {
                    Some(best) => format!("did you mean `{best}`? rename the column"),
                    None => "rename it to a template field or delete the column".to_string(),
                };
                issues.push(error(
                    1,
                    header.trim(),
                    header,
                    format!(
                        "`{}` (column {}) is not a template field: {hint}",
                        header.trim(),
                        column_letter(col_idx)
                    ),
                ));
                columns.push(None);
            }
        }
    }
    let has_key_column = [ids::CRM_ID, ids::LEAD_NAME, ids::EXPORT_VALUE]
        .iter()
        .any(|id| seen[id.0 as usize].is_some());
    if !has_key_column && !headers.is_empty() {
        issues.push(error(
            1,
            "",
            "",
            "the file has none of the key identifier columns (Account CRM ID, Export Value, Lead Name): add at least one".to_string(),
        ));
    }
    HeaderMap {
        columns,
        headers: headers.to_vec(),
        has_key_column,
    }
}

/// A data row, read into typed values per category.
#[derive(Clone, Debug, Default)]
pub struct ParsedRow {
    pub row: u32,
    /// Main fields, sorted by id (without the Account CRM ID).
    pub main: Fields,
    pub contact: Fields,
    pub communication: Fields,
    pub opportunity: Fields,
    /// The Account CRM ID: `Some(Ok)` when given and readable.
    pub crm_id: Option<Result<u64, ()>>,
    /// Categories with at least one non-blank cell (even an unreadable one).
    pub filled: [bool; 4],
    /// The first non-blank cell of each category (header, value as
    /// written), for messages about the category as a whole.
    pub first_filled: [Option<(&'static str, String)>; 4],
    /// A main key identifier cell was filled, even if it was rejected.
    pub key_given: bool,
}

impl ParsedRow {
    pub fn get(&self, field: FieldId) -> Option<&Value> {
        self.main.iter().find(|(f, _)| *f == field).map(|(_, v)| v)
    }

    pub fn text(&self, field: FieldId) -> Option<String> {
        self.get(field).map(|v| v.to_string())
    }

    pub fn category(&self, cat: Category) -> &Fields {
        match cat {
            Category::Main => &self.main,
            Category::Contact => &self.contact,
            Category::Communication => &self.communication,
            Category::Opportunity => &self.opportunity,
        }
    }

    fn category_mut(&mut self, cat: Category) -> &mut Fields {
        match cat {
            Category::Main => &mut self.main,
            Category::Contact => &mut self.contact,
            Category::Communication => &mut self.communication,
            Category::Opportunity => &mut self.opportunity,
        }
    }
}

fn cat_idx(cat: Category) -> usize {
    cat as usize
}

/// Reads one data row; findings go to `issues`.
pub fn parse_row(
    map: &HeaderMap,
    sheet_row: &SheetRow,
    dates: DateFormat,
    reference: &ReferenceData,
    issues: &mut Vec<Issue>,
) -> ParsedRow {
    let row = sheet_row.row;
    let mut parsed = ParsedRow {
        row,
        ..Default::default()
    };
    let mut state_cell: Option<(&FieldDef, String)> = None;
    let mut country_code: Option<String> = None;
    for (col_idx, cell) in sheet_row.cells.iter().enumerate() {
        let Some(Some(field)) = map.columns.get(col_idx) else {
            // Unknown and repeated headers are reported once, on the header
            // row; a value under no header at all would be lost silently.
            let no_header = map.headers.get(col_idx).is_none_or(|h| h.trim().is_empty());
            if no_header && !cell.is_blank() {
                issues.push(error(
                    row,
                    &format!("column {}", column_letter(col_idx)),
                    &cell.display(),
                    "this cell has a value but its column has no header: add the header or delete the value".into(),
                ));
            }
            continue;
        };
        if cell.is_blank() {
            continue;
        }
        let def = field.def();
        let shown = cell.display();
        let cat = cat_idx(def.category);
        if !parsed.filled[cat] {
            parsed.filled[cat] = true;
            parsed.first_filled[cat] = Some((def.header, shown.clone()));
        }
        if def.key && def.category == Category::Main {
            parsed.key_given = true;
        }
        match parse_cell(def, cell, dates) {
            Parsed::Blank => {}
            Parsed::Value(value) => {
                if let Some(value) = resolve(
                    def,
                    value,
                    &shown,
                    row,
                    reference,
                    issues,
                    &mut country_code,
                    &mut state_cell,
                ) {
                    store_value(&mut parsed, def, value, issues);
                }
            }
            Parsed::Suspicious(value, message) => {
                issues.push(warning(row, def.header, &shown, message));
                store_value(&mut parsed, def, value, issues);
            }
            Parsed::Unreadable(message) => {
                if def.id == ids::CRM_ID {
                    parsed.crm_id = Some(Err(()));
                    issues.push(error(
                        row,
                        def.header,
                        &shown,
                        format!("`{}` is not an Account CRM ID: IDs are whole numbers made by leadger; leave it empty to match by Export Value or Lead Name", shown.trim()),
                    ));
                } else {
                    issues.push(warning(row, def.header, &shown, message));
                }
            }
            Parsed::TooLong(message) => {
                issues.push(error(row, def.header, &shown, message));
            }
        }
    }
    if let Some((def, text)) = state_cell {
        let country = country_code.unwrap_or_else(|| "US".to_string());
        if reference.has_states(&country) {
            match reference.state(&country, &text) {
                Ok(state) => {
                    let code = state.code.clone();
                    store_value(&mut parsed, def, Value::Text(code), issues);
                }
                Err(nf) => {
                    let hint = did_you_mean(nf);
                    issues.push(error(
                        row,
                        def.header,
                        &text,
                        format!("`{text}` is not a state of {country}: {hint}use the state's code or name, or fix the Country"),
                    ));
                }
            }
        } else {
            store_value(&mut parsed, def, Value::Text(text), issues);
        }
    }
    parsed
}

/// The "did you mean" part of a message, when a close value exists.
fn did_you_mean(nf: crate::reference::NotFound) -> String {
    nf.suggestion
        .map(|s| format!("did you mean `{s}`? "))
        .unwrap_or_default()
}

fn store_value(parsed: &mut ParsedRow, def: &FieldDef, value: Value, issues: &mut Vec<Issue>) {
    if def.id == ids::CRM_ID {
        parsed.crm_id = Some(match value {
            Value::Integer(n) if n > 0 => Ok(n as u64),
            other => {
                issues.push(error(
                    parsed.row,
                    def.header,
                    &other.to_string(),
                    format!("`{other}` is not an Account CRM ID: IDs are positive whole numbers made by leadger; leave it empty to match by Export Value or Lead Name"),
                ));
                Err(())
            }
        });
        return;
    }
    let fields = parsed.category_mut(def.category);
    fields.push((def.id, value));
    fields.sort_by_key(|(f, _)| *f);
}

/// Resolves list, country and state values against the reference data.
/// Returns the value to keep, or `None` when it was rejected (or deferred).
#[allow(clippy::too_many_arguments)]
fn resolve<'a>(
    def: &'a FieldDef,
    value: Value,
    shown: &str,
    row: u32,
    reference: &ReferenceData,
    issues: &mut Vec<Issue>,
    country_code: &mut Option<String>,
    state_cell: &mut Option<(&'a FieldDef, String)>,
) -> Option<Value> {
    let text = value.to_string();
    match def.ty {
        FieldType::List(list) => match reference.list_item(list, &text) {
            Ok(item) => Some(Value::Text(item.to_string())),
            Err(nf) => {
                let allowed = reference.active_items(list).join(", ");
                let hint = did_you_mean(nf);
                issues.push(error(
                    row,
                    def.header,
                    shown,
                    format!(
                        "`{text}` is not an item of the {} list: {hint}use one of: {allowed}",
                        list.title()
                    ),
                ));
                None
            }
        },
        FieldType::Country => match reference.country(&text) {
            Ok(country) => {
                *country_code = Some(country.code.clone());
                Some(Value::Text(country.code.clone()))
            }
            Err(nf) => {
                let hint = did_you_mean(nf);
                issues.push(error(
                    row,
                    def.header,
                    shown,
                    format!("`{text}` is not a country: {hint}use a two-letter ISO 3166 code (US, CA, GB, …) or the English name"),
                ));
                // An unknown country must not make a valid state look wrong.
                *country_code = Some(String::new());
                None
            }
        },
        FieldType::State => {
            *state_cell = Some((def, text));
            None
        }
        _ => Some(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
    }
}
