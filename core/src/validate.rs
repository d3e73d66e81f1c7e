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
    /// Main fields, sorted by id once the row is parsed (without the
    /// Account CRM ID).
    pub main: Fields,
    pub contact: Fields,
    pub communication: Fields,
    pub opportunity: Fields,
    /// The Account CRM ID: `Some(Ok)` when given and readable.
    pub crm_id: Option<Result<u64, ()>>,
    /// Categories with at least one non-blank cell (even an unreadable one).
    pub filled: [bool; 4],
    /// The first non-blank cell of each sub-category (header, value as
    /// written), for the warning that an updating row ignores it; none
    /// for the main category, which no message quotes as a whole.
    pub first_filled: [Option<(&'static str, compact_str::CompactString)>; 4],
    /// A main key identifier cell was filled, even if it was rejected.
    pub key_given: bool,
}

impl ParsedRow {
    pub fn get(&self, field: FieldId) -> Option<&Value> {
        self.main.iter().find(|(f, _)| *f == field).map(|(_, v)| v)
    }

    pub fn text(&self, field: FieldId) -> Option<String> {
        self.text_ref(field).map(std::borrow::Cow::into_owned)
    }

    /// A main field's value as text, borrowed when it is text
    /// ([`Value::as_text`]).
    pub fn text_ref(&self, field: FieldId) -> Option<std::borrow::Cow<'_, str>> {
        self.get(field).map(Value::as_text)
    }

    pub fn category(&self, cat: Category) -> &Fields {
        match cat {
            Category::Main => &self.main,
            Category::Contact => &self.contact,
            Category::Communication => &self.communication,
            Category::Opportunity => &self.opportunity,
        }
    }

    /// Moves a category's values out (leaving it empty).
    pub fn take_category(&mut self, cat: Category) -> Fields {
        std::mem::take(self.category_mut(cat))
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

/// The reference data of one preview, with a memory of the values it
/// rejected: working out a "did you mean" costs tens of microseconds (it
/// compares against hundreds of names), and a large file tends to repeat
/// the same bad value on many rows.
pub struct Resolver {
    pub reference: ReferenceData,
    rejected: std::collections::HashMap<(FieldId, String), String>,
    /// What each accepted (context-qualified) value of a field resolved
    /// to, by field number: a file repeats a few list items, countries and
    /// states on every row, and looking each up again (a scan of the list
    /// comparing spellings) was a tenth of reading a row. Hashed with
    /// foldhash (hashbrown's default, seeded per process) rather than
    /// std's SipHash, which was 2.6% of a preview's instructions.
    accepted: Vec<std::collections::HashMap<String, String, foldhash::fast::RandomState>>,
    n_accepted: usize,
}

/// At most this many distinct rejected values, and as many accepted ones,
/// are remembered, so the memory stays bounded whatever the file holds.
const MAX_REMEMBERED: usize = 10_000;

impl Resolver {
    pub fn new(reference: ReferenceData) -> Self {
        Resolver {
            reference,
            rejected: Default::default(),
            accepted: (0..crate::catalogue::FIELDS.len())
                .map(|_| Default::default())
                .collect(),
            n_accepted: 0,
        }
    }

    /// What this field's (context-qualified) value resolved to before,
    /// if it was accepted before.
    fn known_good(&self, field: FieldId, key: &str) -> Option<&str> {
        self.accepted
            .get(usize::from(field.0))?
            .get(key)
            .map(String::as_str)
    }

    fn accept(&mut self, field: FieldId, key: &str, resolved: &str) {
        if self.n_accepted < MAX_REMEMBERED {
            self.n_accepted += 1;
            if let Some(memo) = self.accepted.get_mut(usize::from(field.0)) {
                memo.insert(key.to_string(), resolved.to_string());
            }
        }
    }

    /// The message given before for this field and (context-qualified)
    /// value, if it was rejected before.
    fn known_bad(&self, field: FieldId, key: &str) -> Option<String> {
        if self.rejected.is_empty() {
            return None;
        }
        self.rejected.get(&(field, key.to_string())).cloned()
    }

    fn remember(&mut self, field: FieldId, key: String, message: &str) {
        if self.rejected.len() < MAX_REMEMBERED {
            self.rejected.insert((field, key), message.to_string());
        }
    }
}

/// Reads one data row; findings go to `issues`.
pub fn parse_row(
    map: &HeaderMap,
    sheet_row: &SheetRow,
    dates: DateFormat,
    resolver: &mut Resolver,
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
        // U+FFFD is not ASCII: most cells are, which `is_ascii` tells a
        // word at a time (looking for its first byte, EF, went a byte at a
        // time through short cells: 3% of a preview's instructions).
        if !shown.is_ascii() && shown.contains(char::REPLACEMENT_CHARACTER) {
            // The file's bytes were not valid in its encoding (a CSV saved
            // as UTF-8 with some other encoding's bytes in it): the text
            // was kept with `�` in their place, which the user must know.
            issues.push(warning(
                row,
                def.header,
                &shown,
                "some characters of this cell could not be read in the file's encoding and are shown as `�`: save the file as \"CSV UTF-8\" from your spreadsheet program and import it again, or correct the value".into(),
            ));
        }
        let cat = cat_idx(def.category);
        if !parsed.filled[cat] {
            parsed.filled[cat] = true;
            if def.category != Category::Main {
                parsed.first_filled[cat] = Some((def.header, shown.as_ref().into()));
            }
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
                    resolver,
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
        let reference = &resolver.reference;
        if reference.has_states(&country) {
            let key = format!("{country}/{text}");
            let found = match resolver.known_bad(def.id, &key) {
                Some(message) => Err(message),
                None => match resolver.known_good(def.id, &key) {
                    Some(code) => Ok(code.to_string()),
                    None => match reference.state(&country, &text) {
                        Ok(state) => {
                            let code = state.code.clone();
                            resolver.accept(def.id, &key, &code);
                            Ok(code)
                        }
                        Err(nf) => {
                            let hint = did_you_mean(nf);
                            let message = format!("`{text}` is not a state of {country}: {hint}use the state's code or name, or fix the Country");
                            resolver.remember(def.id, key, &message);
                            Err(message)
                        }
                    },
                },
            };
            match found {
                Ok(code) => store_value(&mut parsed, def, Value::Text(code.into()), issues),
                Err(message) => issues.push(error(row, def.header, &text, message)),
            }
        } else {
            store_value(&mut parsed, def, Value::Text(text.into()), issues);
        }
    }
    // Sorted once, here, not on every value: a stable sort keeps the
    // order the values came in for a field given twice.
    for fields in [
        &mut parsed.main,
        &mut parsed.contact,
        &mut parsed.communication,
        &mut parsed.opportunity,
    ] {
        fields.sort_by_key(|(f, _)| *f);
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
    if fields.capacity() == 0 {
        // Room for a category's fields at once (the main one has 19).
        fields.reserve(if def.category == Category::Main {
            20
        } else {
            8
        });
    }
    fields.push((def.id, value));
}

/// Resolves list, country and state values against the reference data.
/// Returns the value to keep, or `None` when it was rejected (or deferred).
#[allow(clippy::too_many_arguments)]
fn resolve<'a>(
    def: &'a FieldDef,
    value: Value,
    shown: &str,
    row: u32,
    resolver: &mut Resolver,
    issues: &mut Vec<Issue>,
    country_code: &mut Option<String>,
    state_cell: &mut Option<(&'a FieldDef, String)>,
) -> Option<Value> {
    // Only reference fields are looked up (and only they need the text).
    if !matches!(
        def.ty,
        FieldType::List(_) | FieldType::Country | FieldType::State
    ) {
        return Some(value);
    }
    // Borrowed when it is text (nearly always): this runs for five or so
    // cells of every row.
    let text = value.as_text();
    if matches!(def.ty, FieldType::List(_) | FieldType::Country) {
        if let Some(message) = resolver.known_bad(def.id, &text) {
            issues.push(error(row, def.header, shown, message));
            if def.ty == FieldType::Country {
                *country_code = Some(String::new());
            }
            return None;
        }
    }
    let known = match def.ty {
        FieldType::List(_) | FieldType::Country => resolver.known_good(def.id, &text),
        _ => None,
    };
    if let Some(resolved) = known {
        if def.ty == FieldType::Country {
            *country_code = Some(resolved.to_string());
        }
        return Some(Value::Text(resolved.into()));
    }
    let reference = &resolver.reference;
    let rejected = match def.ty {
        FieldType::List(list) => match reference.list_item(list, &text) {
            Ok(item) => {
                let item = item.to_string();
                resolver.accept(def.id, &text, &item);
                return Some(Value::Text(item.into()));
            }
            Err(nf) => {
                let allowed = reference.active_items(list).join(", ");
                let hint = did_you_mean(nf);
                format!(
                    "`{text}` is not an item of the {} list: {hint}use one of: {allowed}",
                    list.title()
                )
            }
        },
        FieldType::Country => match reference.country(&text) {
            Ok(country) => {
                let code = country.code.clone();
                resolver.accept(def.id, &text, &code);
                *country_code = Some(code.clone());
                return Some(Value::Text(code.into()));
            }
            Err(nf) => {
                // An unknown country must not make a valid state look wrong.
                *country_code = Some(String::new());
                let hint = did_you_mean(nf);
                format!("`{text}` is not a country: {hint}use a two-letter ISO 3166 code (US, CA, GB, …) or the English name")
            }
        },
        FieldType::State => {
            *state_cell = Some((def, text.into_owned()));
            return None;
        }
        _ => return Some(value),
    };
    resolver.remember(def.id, text.into_owned(), &rejected);
    issues.push(error(row, def.header, shown, rejected));
    None
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

#[cfg(test)]
mod resolver_tests {
    use super::*;
    use crate::cell::Cell;

    fn row(n: u32, country: &str, state: &str) -> SheetRow {
        SheetRow {
            row: n,
            cells: vec![
                Cell::Text("Acme".into()),
                Cell::Text(country.into()),
                Cell::Text(state.into()),
            ],
        }
    }

    /// A bad value repeated on many rows gets the same full message on each
    /// row, whether the "did you mean" was worked out or remembered.
    #[test]
    fn repeated_bad_values_get_the_same_message_on_every_row() {
        let headers: Vec<String> = ["Lead Name", "Country", "State"].map(String::from).into();
        let mut file_issues = Vec::new();
        let map = map_headers(&headers, &mut file_issues);
        let mut resolver = Resolver::new(ReferenceData::defaults());
        let mut per_row = Vec::new();
        for n in 2..5 {
            let mut issues = Vec::new();
            parse_row(
                &map,
                &row(n, "USA", "ZZ"),
                DateFormat::Us,
                &mut resolver,
                &mut issues,
            );
            let mut again = Vec::new();
            parse_row(
                &map,
                &row(n, "US", "ZZ"),
                DateFormat::Us,
                &mut resolver,
                &mut again,
            );
            per_row.push((issues, again));
        }
        for (issues, again) in &per_row {
            assert_eq!(issues.len(), 1, "{issues:?}");
            assert_eq!(issues[0].message, per_row[0].0[0].message);
            assert!(
                issues[0].message.contains("did you mean `US`"),
                "{}",
                issues[0].message
            );
            assert_eq!(again.len(), 1);
            assert_eq!(again[0].column, "State");
            assert_eq!(again[0].message, per_row[0].1[0].message);
        }
        let mut fine = Vec::new();
        let parsed = parse_row(
            &map,
            &row(9, "ca", "on"),
            DateFormat::Us,
            &mut resolver,
            &mut fine,
        );
        assert!(fine.is_empty(), "{fine:?}");
        assert_eq!(
            parsed.text(crate::catalogue::ids::STATE).as_deref(),
            Some("ON")
        );
    }
}

#[cfg(test)]
mod accepted_tests {
    use super::*;
    use crate::cell::Cell;

    /// A value accepted before resolves as it did the first time: the same
    /// list item, country code and state, and the country still sets the
    /// state's context.
    #[test]
    fn remembered_accepted_values_resolve_as_looked_up_ones() {
        let headers: Vec<String> = ["Lead Name", "Lead Status", "Industry", "Country", "State"]
            .map(String::from)
            .into();
        let mut file_issues = Vec::new();
        let map = map_headers(&headers, &mut file_issues);
        let rows = [
            ["A", "new", "manufacturing", "Canada", "Ontario"],
            ["B", "NEW", "Manufacturing", "canada", "on"],
            ["C", "new", "manufacturing", "US", "Ontario"],
            ["D", "new", "Mining and stuff", "Canada", "Ontario"],
            ["E", "new", "manufacturing", "Canada", "Ontario"],
            ["F", "new", "manufacturing", "", "ca"],
        ];
        let sheet_row = |n: u32, cells: &[&str; 5]| SheetRow {
            row: n,
            cells: cells.iter().map(|c| Cell::Text((*c).into())).collect(),
        };
        let mut shared = Resolver::new(ReferenceData::defaults());
        for round in 0..2 {
            for (n, cells) in rows.iter().enumerate() {
                let row = sheet_row(n as u32 + 2, cells);
                let (mut once, mut again) = (Vec::new(), Vec::new());
                let mut fresh = Resolver::new(ReferenceData::defaults());
                let expected = parse_row(&map, &row, DateFormat::Us, &mut fresh, &mut once);
                let got = parse_row(&map, &row, DateFormat::Us, &mut shared, &mut again);
                assert_eq!(got.main, expected.main, "round {round}, row {cells:?}");
                assert_eq!(again.len(), once.len(), "{again:?} against {once:?}");
                for (a, b) in again.iter().zip(&once) {
                    assert_eq!(a.message, b.message);
                }
            }
        }
        assert!(shared.n_accepted > 0);
        let a = parse_row(
            &map,
            &sheet_row(2, &rows[1]),
            DateFormat::Us,
            &mut shared,
            &mut Vec::new(),
        );
        assert_eq!(a.text(crate::catalogue::ids::STATE).as_deref(), Some("ON"));
        assert_eq!(
            a.text(crate::catalogue::ids::COUNTRY).as_deref(),
            Some("CA")
        );
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod rule_tests;
