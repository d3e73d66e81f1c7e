//! Tests of the validation rules of PRODUCT.md section 4 through
//! [`map_headers`] and [`parse_row`] with the default reference data: each
//! finding asserted whole (severity, row, column, value, message), and what
//! the row keeps.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::cell::Cell;

fn strings(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|t| t.to_string()).collect()
}

fn err(row: u32, column: &str, value: &str, message: &str) -> Issue {
    error(row, column, value, message.to_string())
}

fn warn(row: u32, column: &str, value: &str, message: &str) -> Issue {
    warning(row, column, value, message.to_string())
}

/// The findings of a header row.
fn header_issues(headers: &[&str]) -> (HeaderMap, Vec<Issue>) {
    let mut issues = Vec::new();
    let map = map_headers(&strings(headers), &mut issues);
    (map, issues)
}

/// Reads one data row (row 2) under these headers, which must be valid.
fn parse(headers: &[&str], cells: &[&str]) -> (ParsedRow, Vec<Issue>) {
    let (map, header_issues) = header_issues(headers);
    assert_eq!(header_issues, []);
    let sheet_row = SheetRow {
        row: 2,
        cells: cells.iter().map(|c| Cell::Text(c.to_string())).collect(),
    };
    let mut resolver = Resolver::new(ReferenceData::defaults());
    let mut issues = Vec::new();
    let parsed = parse_row(&map, &sheet_row, DateFormat::Us, &mut resolver, &mut issues);
    (parsed, issues)
}

fn field(header: &str) -> FieldId {
    crate::catalogue::field_by_header(header).unwrap().id
}

fn text_of(parsed: &ParsedRow, header: &str) -> Option<String> {
    parsed.text(field(header))
}

// The header row.

#[test]
fn an_unknown_header_is_an_error_suggesting_the_closest_field() {
    let (map, issues) = header_issues(&["Lead Name", " Emial ", "Favourite Colour"]);
    assert_eq!(
        issues,
        [
            err(
                1,
                "Emial",
                " Emial ",
                "`Emial` (column B) is not a template field: did you mean `Email`? rename the \
                 column"
            ),
            err(
                1,
                "Favourite Colour",
                "Favourite Colour",
                "`Favourite Colour` (column C) is not a template field: rename it to a template \
                 field or delete the column"
            ),
        ]
    );
    assert_eq!(map.columns, [Some(ids::LEAD_NAME), None, None]);
}

#[test]
fn a_header_twice_is_an_error_and_only_the_first_column_is_read() {
    let (map, issues) = header_issues(&["Lead Name", "City", "LEAD NAME "]);
    assert_eq!(
        issues,
        [err(
            1,
            "LEAD NAME",
            "LEAD NAME ",
            "the header `Lead Name` appears twice (columns A and C): keep one column and \
             delete the other"
        )]
    );
    assert_eq!(
        map.columns,
        [Some(ids::LEAD_NAME), Some(field("City")), None]
    );
}

#[test]
fn a_file_without_a_key_identifier_column_is_an_error() {
    let (map, issues) = header_issues(&["City", "Phone"]);
    assert!(!map.has_key_column);
    assert_eq!(
        issues,
        [err(
            1,
            "",
            "",
            "the file has none of the key identifier columns (Account CRM ID, Export Value, \
             Lead Name): add at least one"
        )]
    );
    for key in ["Account CRM ID", "Export Value", "Lead Name"] {
        let (map, issues) = header_issues(&["City", key]);
        assert!(map.has_key_column, "{key}");
        assert_eq!(issues, [], "{key}");
    }
}

#[test]
fn a_value_under_no_header_is_an_error() {
    let (parsed, issues) = parse(
        &["Lead Name", "", "City"],
        &["Acme", "stray", "Springfield"],
    );
    assert_eq!(
        issues,
        [err(
            2,
            "column B",
            "stray",
            "this cell has a value but its column has no header: add the header or delete the \
             value"
        )]
    );
    assert_eq!(text_of(&parsed, "City").as_deref(), Some("Springfield"));
}

// Lists, countries and states.

#[test]
fn a_list_value_not_in_its_list_is_an_error_naming_the_allowed_items() {
    let (parsed, issues) = parse(
        &["Lead Name", "Lead Status", "Lead Source"],
        &["Acme", "Hot", "refferal"],
    );
    assert_eq!(
        issues,
        [
            err(
                2,
                "Lead Status",
                "Hot",
                "`Hot` is not an item of the Lead Status list: use one of: New, Contacted, \
                 Qualified, Unqualified, Customer"
            ),
            err(
                2,
                "Lead Source",
                "refferal",
                "`refferal` is not an item of the Lead Source list: did you mean `Referral`? use \
                 one of: Web, Referral, Trade Show, Cold Call, Advertisement, Partner, Other"
            ),
        ]
    );
    assert_eq!(text_of(&parsed, "Lead Status"), None);
}

#[test]
fn list_values_match_in_any_case_and_keep_the_items_spelling() {
    let (parsed, issues) = parse(&["Lead Name", "Lead Status"], &["Acme", " qualified "]);
    assert_eq!(issues, []);
    assert_eq!(
        text_of(&parsed, "Lead Status").as_deref(),
        Some("Qualified")
    );
}

#[test]
fn a_country_not_in_the_reference_is_an_error_with_a_suggestion() {
    let (parsed, issues) = parse(&["Lead Name", "Country"], &["Acme", "USA"]);
    assert_eq!(
        issues,
        [err(
            2,
            "Country",
            "USA",
            "`USA` is not a country: did you mean `US`? use a two-letter ISO 3166 code (US, CA, \
             GB, …) or the English name"
        )]
    );
    assert_eq!(text_of(&parsed, "Country"), None);
    let (parsed, issues) = parse(&["Lead Name", "Country"], &["Acme", "canada"]);
    assert_eq!(issues, []);
    assert_eq!(text_of(&parsed, "Country").as_deref(), Some("CA"));
}

#[test]
fn a_state_not_of_the_rows_country_is_an_error() {
    let (parsed, issues) = parse(&["Lead Name", "Country", "State"], &["Acme", "CA", "IL"]);
    assert_eq!(
        issues,
        [err(
            2,
            "State",
            "IL",
            "`IL` is not a state of CA: did you mean `NL`? use the state's code or name, or fix the Country"
        )]
    );
    assert_eq!(text_of(&parsed, "State"), None);
}

/// The State cell may come before the Country cell; with no Country the
/// state must be one of `US`.
#[test]
fn a_state_is_checked_against_the_country_of_its_row_or_us() {
    let (parsed, issues) = parse(
        &["Lead Name", "State", "Country"],
        &["Acme", "ontario", "ca"],
    );
    assert_eq!(issues, []);
    assert_eq!(text_of(&parsed, "State").as_deref(), Some("ON"));
    let (_, issues) = parse(&["Lead Name", "State"], &["Acme", "ON"]);
    assert_eq!(
        issues,
        [err(
            2,
            "State",
            "ON",
            "`ON` is not a state of US: did you mean `IN`? use the state's code or name, or fix \
             the Country"
        )]
    );
}

/// docs/decisions.md: countries without a state list accept any State text.
#[test]
fn a_state_of_a_country_without_states_is_kept_as_written() {
    let (parsed, issues) = parse(
        &["Lead Name", "Country", "State"],
        &["Acme", "FR", "Île-de-France"],
    );
    assert_eq!(issues, []);
    assert_eq!(text_of(&parsed, "Country").as_deref(), Some("FR"));
    assert_eq!(text_of(&parsed, "State").as_deref(), Some("Île-de-France"));
}

// Length limits.

#[test]
fn text_longer_than_its_limit_is_an_error() {
    for (header, limit) in [("Lead Name", 200), ("Notes", 10_000), ("City", 255)] {
        let (parsed, issues) = parse(&["Export Value", header], &["E1", &"x".repeat(limit)]);
        assert_eq!(issues, [], "{header} at its limit");
        assert_eq!(text_of(&parsed, header).map(|t| t.len()), Some(limit));

        let long = "é".repeat(limit + 1);
        let (parsed, issues) = parse(&["Export Value", header], &["E1", &long]);
        let message = format!(
            "is {} characters long; the limit is {limit}: shorten it",
            limit + 1
        );
        assert_eq!(issues, [err(2, header, &long, &message)]);
        assert_eq!(text_of(&parsed, header), None);
    }
}

// Values that cannot be read, or look wrong.

#[test]
fn an_unreadable_date_number_or_boolean_is_a_warning_and_ignored() {
    let headers = [
        "Lead Name",
        "Birthdate",
        "Employees",
        "Annual Revenue",
        "Do Not Contact",
    ];
    let (parsed, issues) = parse(&headers, &["Acme", "cat", "many", "1.2.3", "maybe"]);
    assert_eq!(
        issues,
        [
            warn(
                2,
                "Birthdate",
                "cat",
                "cannot read `cat` as a date: write it as MM/DD/YYYY or YYYY-MM-DD; the value \
                 was ignored"
            ),
            warn(
                2,
                "Employees",
                "many",
                "cannot read `many` as a whole number: write digits only, such as 1250 or \
                 1,250; the value was ignored"
            ),
            warn(
                2,
                "Annual Revenue",
                "1.2.3",
                "cannot read `1.2.3` as a decimal number: write it like 1234.50, 1,234.50 or \
                 $1,234.50, with `.` before the decimals; the value was ignored"
            ),
            warn(
                2,
                "Do Not Contact",
                "maybe",
                "cannot read `maybe` as Yes/No: write Yes or No (True/False, Y/N and 1/0 also \
                 work); the value was ignored"
            ),
        ]
    );
    assert_eq!(parsed.main, [(ids::LEAD_NAME, Value::Text("Acme".into()))]);
}

#[test]
fn a_badly_formed_email_or_url_is_a_warning_and_kept_as_written() {
    let (parsed, issues) = parse(
        &["Lead Name", "Email", "Website"],
        &["Acme", "joe@acmecom", "acme"],
    );
    assert_eq!(
        issues,
        [
            warn(
                2,
                "Email",
                "joe@acmecom",
                "`joe@acmecom` does not look like an e-mail address; it was imported as \
                 written: check it"
            ),
            warn(
                2,
                "Website",
                "acme",
                "`acme` does not look like a web address; it was imported as written: check it"
            ),
        ]
    );
    assert_eq!(text_of(&parsed, "Email").as_deref(), Some("joe@acmecom"));
    assert_eq!(text_of(&parsed, "Website").as_deref(), Some("acme"));
}

#[test]
fn a_rows_text_is_lent_and_only_sub_categories_keep_their_first_cell() {
    let (parsed, issues) = parse(
        &["Lead Name", "Employees", "Contact First Name"],
        &["  Acme ", "12", "Ana"],
    );
    assert_eq!(issues, []);
    let name = parsed.text_ref(field("Lead Name")).unwrap();
    assert!(
        matches!(name, std::borrow::Cow::Borrowed("Acme")),
        "{name:?}"
    );
    // A value that is not text is written out, as `text` writes it.
    assert_eq!(
        parsed.text_ref(field("Employees")).unwrap(),
        text_of(&parsed, "Employees").unwrap()
    );
    assert_eq!(text_of(&parsed, "Employees").as_deref(), Some("12"));
    assert_eq!(parsed.first_filled[Category::Main as usize], None);
    assert_eq!(
        parsed.first_filled[Category::Contact as usize],
        Some(("Contact First Name", "Ana".into()))
    );
}
