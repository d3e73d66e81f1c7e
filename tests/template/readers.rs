//! The `.xlsx` template as two independent readers see it: calamine (what
//! imports use) for the text, openpyxl for everything a spreadsheet program
//! shows: fonts, notes, the frozen pane, drop-downs and column formats.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;

use crate::support::{calamine_rows, column, openpyxl_describe, App};

/// The catalogue of PRODUCT.md section 1, in template order.
const HEADERS: [&str; 37] = [
    "Account CRM ID",
    "Lead Name",
    "Export Value",
    "Lead Status",
    "Lead Source",
    "Industry",
    "Email",
    "Phone",
    "Website",
    "Address 1",
    "Address 2",
    "City",
    "State",
    "Postal Code",
    "Country",
    "Birthdate",
    "Annual Revenue",
    "Employees",
    "Do Not Contact",
    "Notes",
    "Contact First Name",
    "Contact Last Name",
    "Contact Title",
    "Contact Email",
    "Contact Phone",
    "Contact Mobile",
    "Contact Birthdate",
    "Communication Subject",
    "Communication Type",
    "Communication Date",
    "Communication Notes",
    "Opportunity Title",
    "Opportunity Stage",
    "Opportunity Amount",
    "Opportunity Close Date",
    "Opportunity Probability",
    "Opportunity Notes",
];

const KEYS: [&str; 7] = [
    "Account CRM ID",
    "Lead Name",
    "Export Value",
    "Contact First Name",
    "Contact Last Name",
    "Communication Subject",
    "Opportunity Title",
];

/// Column letters to a 1-based index (`A` = 1, `AC` = 29).
fn col_index(letters: &str) -> usize {
    letters.bytes().fold(0, |n, b| {
        n * 26 + usize::from(b.to_ascii_uppercase() - b'A' + 1)
    })
}

fn letters(idx: usize) -> String {
    let (mut n, mut out) = (idx, Vec::new());
    while n > 0 {
        out.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap()
}

/// `$A$2` or `D10001` as (column letters, row).
fn cell(reference: &str) -> (String, usize) {
    let text = reference.replace('$', "");
    let split = text.find(|c: char| c.is_ascii_digit()).unwrap();
    (text[..split].to_string(), text[split..].parse().unwrap())
}

/// The validation of the data sheet's column `header`, if any.
fn validation<'a>(book: &'a Value, header: &str) -> Option<&'a Value> {
    let idx = HEADERS.iter().position(|h| *h == header).unwrap() + 1;
    book["validations"].as_array().unwrap().iter().find(|v| {
        v["sqref"].as_str().unwrap().split(' ').any(|range| {
            let (from, to) = range.split_once(':').unwrap_or((range, range));
            col_index(&cell(from).0) <= idx && idx <= col_index(&cell(to).0)
        })
    })
}

/// The drop-down values of `header`: its validation's range must cover
/// rows 2 to 10001 of its column and point into the Lists sheet.
fn drop_down(book: &Value, header: &str) -> (Vec<String>, String) {
    let v = validation(book, header).unwrap_or_else(|| panic!("no drop-down on {header}"));
    assert_eq!(v["type"], "list", "{header}");
    let col = letters(HEADERS.iter().position(|h| *h == header).unwrap() + 1);
    let (from, to) = v["sqref"].as_str().unwrap().split_once(':').unwrap();
    let ((from_col, first), (to_col, last)) = (cell(from), cell(to));
    assert_eq!(
        (from_col.as_str(), to_col.as_str()),
        (col.as_str(), col.as_str())
    );
    assert!(first <= 2 && last >= 10_001, "{header}: {from}:{to}");

    let formula = v["formula1"].as_str().unwrap();
    let range = formula
        .strip_prefix("Lists!")
        .unwrap_or_else(|| panic!("{formula}"));
    let (top, bottom) = range.split_once(':').unwrap();
    let ((list_col, top_row), (_, bottom_row)) = (cell(top), cell(bottom));
    let lists: Vec<Vec<String>> = serde_json::from_value(book["values"]["Lists"].clone()).unwrap();
    let values = (top_row..=bottom_row)
        .map(|row| lists[row - 1][col_index(&list_col) - 1].clone())
        .collect();
    (values, v["error_style"].as_str().unwrap().to_string())
}

#[test]
fn calamine_reads_the_headers_and_the_instructions() {
    let app = App::new();
    let file = app.template("leads.xlsx", &[]);
    assert_eq!(calamine_rows(&file, "Leads"), [HEADERS]);

    let rows = calamine_rows(&file, "Instructions");
    assert_eq!(
        rows[0][..6],
        [
            "Field",
            "Category",
            "Key identifier",
            "Type",
            "Allowed values",
            "Example"
        ]
    );
    assert_eq!(column(&rows[1..], 0), HEADERS);
    for row in &rows[1..=37] {
        let key = if KEYS.contains(&row[0].as_str()) {
            "Yes"
        } else {
            "No"
        };
        assert_eq!(row[2], key, "{}", row[0]);
        assert!(!row[3].is_empty() && !row[4].is_empty() && !row[5].is_empty());
    }
    let row = |header: &str| rows.iter().find(|r| r[0] == header).unwrap();
    assert_eq!(row("Lead Name")[1], "Main (Lead)");
    assert_eq!(row("Contact Mobile")[1], "Contact");
    assert!(row("Lead Status")[4].contains("New, Contacted, Qualified, Unqualified, Customer"));
    assert!(row("Country")[4].contains("ISO 3166 country code or English name"));
    assert!(row("State")[4].contains("of the row's Country (US when empty)"));
    assert!(row("Lead Name")[4].contains("up to 200 characters"));
    assert_eq!(row("Postal Code")[5], "02134");
}

#[test]
fn openpyxl_sees_the_guard_rails() {
    let app = App::new();
    let file = app.template("leads.xlsx", &[]);
    let book = openpyxl_describe(&app, &file);

    let sheets: Vec<(&str, &str)> = book["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        sheets,
        [
            ("Leads", "visible"),
            ("Instructions", "visible"),
            ("Lists", "hidden")
        ]
    );
    assert_eq!(book["active"], "Leads");
    assert_eq!(book["freeze_panes"], "A2");
    assert_eq!(book["max_row"], 1, "no rows to fill around");

    let headers = book["headers"].as_array().unwrap();
    let texts: Vec<&str> = headers
        .iter()
        .map(|h| h["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, HEADERS);
    for h in headers {
        let text = h["text"].as_str().unwrap();
        assert_eq!(h["bold"], true, "{text}");
        let red = h["color"].as_str().is_some_and(|c| c.ends_with("FF0000"));
        assert_eq!(red, KEYS.contains(&text), "{text}: {}", h["color"]);
        if red {
            assert_eq!(h["color"], "FFFF0000");
        }
        let note = h["note"]
            .as_str()
            .unwrap_or_else(|| panic!("{text} has no note"));
        assert!(note.starts_with(text) && note.contains("Type: "), "{note}");
        assert_eq!(
            note.contains("Key identifier"),
            KEYS.contains(&text),
            "{note}"
        );
    }
    let format = |header: &str| {
        let idx = HEADERS.iter().position(|h| *h == header).unwrap();
        headers[idx]["number_format"].as_str().unwrap().to_string()
    };
    for text in ["Postal Code", "Phone", "Contact Phone", "Contact Mobile"] {
        assert_eq!(format(text), "@", "{text} keeps leading zeros");
    }
    for date in ["Birthdate", "Contact Birthdate", "Opportunity Close Date"] {
        assert_eq!(format(date), "yyyy-mm-dd", "{date}");
    }
    assert!(format("Communication Date").starts_with("yyyy-mm-dd"));
    assert_eq!(format("City"), "General");

    let (status, style) = drop_down(&book, "Lead Status");
    assert_eq!(
        status,
        ["New", "Contacted", "Qualified", "Unqualified", "Customer"]
    );
    assert_eq!(style, "stop");
    let (stages, _) = drop_down(&book, "Opportunity Stage");
    assert_eq!(stages.len(), 6);
    for list in ["Lead Source", "Industry", "Communication Type"] {
        assert!(!drop_down(&book, list).0.is_empty(), "{list}");
    }
    let (countries, style) = drop_down(&book, "Country");
    assert!(countries.len() >= 249, "{}", countries.len());
    assert!(countries.iter().any(|c| c == "United States"));
    assert!(countries.iter().any(|c| c == "Canada"));
    assert_eq!(style, "warning", "codes such as US are accepted too");
    let (states, _) = drop_down(&book, "State");
    assert!(states.iter().any(|s| s == "Illinois") && states.iter().any(|s| s == "Ontario"));
    assert!(validation(&book, "City").is_none());

    let instructions: Vec<Vec<String>> =
        serde_json::from_value(book["values"]["Instructions"].clone()).unwrap();
    assert_eq!(column(&instructions[1..], 0), HEADERS);
}

#[test]
fn a_custom_organizations_template_holds_only_its_fields() {
    let app = App::new();
    let file = app.template(
        "orgs.xlsx",
        &[
            "--kind",
            "organizations",
            "--fields",
            "Country,Opportunity Stage",
        ],
    );
    let book = openpyxl_describe(&app, &file);
    assert_eq!(book["sheets"][0]["name"], "Organizations");
    let texts: Vec<&str> = book["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "Account CRM ID",
            "Lead Name",
            "Export Value",
            "Country",
            "Opportunity Title",
            "Opportunity Stage"
        ]
    );
    assert_eq!(book["validations"].as_array().unwrap().len(), 2);
    let lists: Vec<Vec<String>> = serde_json::from_value(book["values"]["Lists"].clone()).unwrap();
    assert_eq!(lists[0], ["Country", "Opportunity Stage"]);
    assert_eq!(calamine_rows(&file, "Organizations"), [texts]);
}
