//! Reading `.xlsx` files (PRODUCT.md sections 1 and 2): text, number and
//! real date cells keep their meaning, empty rows are skipped, and row
//! numbers are the sheet's own.

use serde_json::json;

use crate::support::{issue, plan, Env, XCell};

#[test]
fn xlsx_text_number_and_date_cells_keep_their_meaning() {
    let env = Env::new();
    let file = env.write_xlsx(
        "cells.xlsx",
        &[
            vec![
                XCell::Text("Lead Name"),
                XCell::Text("Postal Code"),
                XCell::Text("Phone"),
                XCell::Text("Birthdate"),
                XCell::Text("Employees"),
                XCell::Text("Annual Revenue"),
                XCell::Text("Do Not Contact"),
            ],
            vec![
                XCell::Text("Acme"),
                XCell::Text("02134"),
                XCell::Number(1_234_500_000.0),
                XCell::Date(1980, 4, 30),
                XCell::Number(250.0),
                XCell::Number(1234.5),
                XCell::Text("Yes"),
            ],
            vec![
                XCell::Text("Beta"),
                XCell::Number(2134.0),
                XCell::Text("0800 555 0100"),
                XCell::Text("04/30/1980"),
                XCell::Text("1,200"),
                XCell::Text("$1,234.50"),
                XCell::Number(0.0),
            ],
        ],
    );
    let commit = env.import_file(&file, &[]);
    assert_eq!(commit["counts"]["created"], 2);
    assert_eq!(
        env.lead(1)["fields"],
        json!({
            "Lead Name": "Acme",
            "Phone": "1234500000",
            "Postal Code": "02134",
            "Birthdate": "1980-04-30",
            "Annual Revenue": "1234.50",
            "Employees": 250,
            "Do Not Contact": true,
        })
    );
    assert_eq!(
        env.lead(2)["fields"],
        json!({
            "Lead Name": "Beta",
            "Phone": "0800 555 0100",
            "Postal Code": "2134",
            "Birthdate": "1980-04-30",
            "Annual Revenue": "1234.50",
            "Employees": 1200,
            "Do Not Contact": false,
        })
    );
}

#[test]
fn xlsx_empty_rows_are_skipped_and_rows_keep_sheet_numbers() {
    let env = Env::new();
    let file = env.write_xlsx(
        "gaps.xlsx",
        &[
            vec![XCell::Text("Lead Name"), XCell::Text("Birthdate")],
            vec![XCell::Text("Acme"), XCell::Date(2001, 2, 3)],
            vec![],
            vec![XCell::Empty, XCell::Empty],
            vec![XCell::Text("Beta"), XCell::Text("cat")],
        ],
    );
    let preview = env.preview_json(&file, &[]);
    assert_eq!(
        plan(&preview),
        [(2, "create".into(), None), (5, "create".into(), None)]
    );
    assert_eq!(issue(&preview, "warnings", 5, "Birthdate")["value"], "cat");
}

#[test]
fn xlsx_header_below_an_empty_first_row_keeps_sheet_row_numbers() {
    let env = Env::new();
    let file = env.write_xlsx(
        "low.xlsx",
        &[
            vec![],
            vec![XCell::Text("Lead Name"), XCell::Text("Employees")],
            vec![XCell::Text("Acme"), XCell::Text("many")],
        ],
    );
    let preview = env.preview_json(&file, &[]);
    assert_eq!(plan(&preview), [(3, "create".into(), None)]);
    assert_eq!(issue(&preview, "warnings", 3, "Employees")["value"], "many");
}

#[test]
fn xlsx_sub_record_cells_read_percent_amount_and_date_cells() {
    let env = Env::new();
    let file = env.write_xlsx(
        "opp.xlsx",
        &[
            vec![
                XCell::Text("Lead Name"),
                XCell::Text("Opportunity Title"),
                XCell::Text("Opportunity Probability"),
                XCell::Text("Opportunity Amount"),
                XCell::Text("Opportunity Close Date"),
            ],
            vec![
                XCell::Text("Acme"),
                XCell::Text("Deal"),
                XCell::Number(0.4),
                XCell::Number(12500.0),
                XCell::Date(2026, 6, 30),
            ],
            vec![
                XCell::Text("Beta"),
                XCell::Text("Deal"),
                XCell::Number(40.0),
                XCell::Text("$12,500.00"),
                XCell::Text("06/30/2026"),
            ],
        ],
    );
    env.import_file(&file, &[]);
    assert_eq!(
        env.lead(1)["opportunities"],
        json!([{"Opportunity Title": "Deal", "Opportunity Amount": "12500.00",
                "Opportunity Close Date": "2026-06-30", "Opportunity Probability": 40}])
    );
    assert_eq!(
        env.lead(2)["opportunities"],
        json!([{"Opportunity Title": "Deal", "Opportunity Amount": "12500.00",
                "Opportunity Close Date": "2026-06-30", "Opportunity Probability": 40}])
    );
}

#[test]
fn xlsx_date_cells_are_read_as_they_are_whatever_the_date_format() {
    for format in ["us", "eu", "iso"] {
        let env = Env::new();
        let file = env.write_xlsx(
            "d.xlsx",
            &[
                vec![XCell::Text("Lead Name"), XCell::Text("Birthdate")],
                vec![XCell::Text("Acme"), XCell::Date(2025, 3, 4)],
            ],
        );
        env.import_file(&file, &["--date-format", format]);
        assert_eq!(env.lead(1)["fields"]["Birthdate"], "2025-03-04", "{format}");
    }
}

/// A sheet of more than a mebibyte of XML is read through the archive the
/// reader lays out anew, its large entries inflated ahead on a second
/// thread (`core/src/read/inflate_ahead.rs`); smaller ones are read as
/// they are. Every row still arrives, in order, with its sheet row number.
#[test]
fn xlsx_large_sheet_reads_every_row_in_order() {
    const ROWS: u32 = 8000;
    let env = Env::new();
    let mut rows = vec![vec![
        XCell::Text("Lead Name"),
        XCell::Text("Employees"),
        XCell::Text("Birthdate"),
        XCell::Text("City"),
    ]];
    for n in 1..=ROWS {
        // Each name once; the sheet's cells borrow them for the test's life.
        let name: &'static str = Box::leak(format!("Lead number {n:05}").into_boxed_str());
        let employees = if n == 7001 {
            XCell::Text("many")
        } else {
            XCell::Number(f64::from(n))
        };
        rows.push(vec![
            XCell::Text(name),
            employees,
            XCell::Date(
                1950 + (n % 50) as u16,
                1 + (n % 12) as u8,
                1 + (n % 28) as u8,
            ),
            XCell::Text("Springfield"),
        ]);
    }
    let file = env.write_xlsx("large.xlsx", &rows);
    let preview = env.preview_json(&file, &[]);
    assert_eq!(preview["counts"]["create"], ROWS);
    assert_eq!(preview["counts"]["warnings"], 1);
    assert_eq!(
        issue(&preview, "warnings", 7002, "Employees")["value"],
        "many"
    );
    let planned = plan(&preview);
    assert_eq!(planned.len(), ROWS as usize);
    assert!(planned
        .iter()
        .zip(2..)
        .all(|((row, action, _), want)| *row == want && action == "create"));

    let id = preview["import_id"]
        .as_u64()
        .expect("an import id")
        .to_string();
    let commit = env.json(&["imports", "commit", &id]);
    assert_eq!(commit["counts"]["created"], ROWS);
    assert_eq!(
        env.lead(u64::from(ROWS))["fields"],
        json!({
            "Lead Name": "Lead number 08000",
            "Employees": 8000,
            "Birthdate": "1950-09-21",
            "City": "Springfield",
        })
    );
}
