//! Reading files (PRODUCT.md section 2): CSV encodings, `.xlsx` cells of
//! every kind, headers in any order or case, skipped empty rows and the
//! spreadsheet's own row numbers, and the cell types of section 1.

use serde_json::json;

use crate::support::{counts, issue, plan, Env, XCell};

/// Imports `bytes` as `name` with `--commit` and returns lead 1's fields.
fn fields_of_first_lead(env: &Env, name: &str, bytes: &[u8]) -> serde_json::Value {
    let file = env.write_bytes(name, bytes);
    let commit = env.import_file(&file, &[]);
    assert_eq!(commit["counts"]["created"], 1, "{commit}");
    env.lead(1)["fields"].clone()
}

#[test]
fn utf8_csv_keeps_accented_text() {
    let env = Env::new();
    let fields = fields_of_first_lead(
        &env,
        "utf8.csv",
        "Lead Name,City\nCafé Müller,Zürich\n".as_bytes(),
    );
    assert_eq!(fields, json!({"Lead Name": "Café Müller", "City": "Zürich"}));
}

#[test]
fn utf8_csv_with_bom_reads_the_first_header() {
    let env = Env::new();
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice("Lead Name,City\nÉcole Acme,Montréal\n".as_bytes());
    let fields = fields_of_first_lead(&env, "bom.csv", &bytes);
    assert_eq!(
        fields,
        json!({"Lead Name": "École Acme", "City": "Montréal"})
    );
}

#[test]
fn windows_1252_csv_is_decoded() {
    let env = Env::new();
    let (bytes, _, unmappable) =
        encoding_rs::WINDOWS_1252.encode("Lead Name,City,Notes\nSeñor Café,Köln,“quoted” – €5\n");
    assert!(!unmappable);
    assert!(bytes.contains(&0xE9), "the file really is Windows-1252");
    let fields = fields_of_first_lead(&env, "excel.csv", &bytes);
    assert_eq!(
        fields,
        json!({"Lead Name": "Señor Café", "City": "Köln", "Notes": "“quoted” – €5"})
    );
}

#[test]
fn utf16le_csv_with_bom_and_tabs_is_read() {
    let env = Env::new();
    let text = "Lead Name\tCity\tPostal Code\r\nÅngström AB\tMalmö\t02134\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let fields = fields_of_first_lead(&env, "unicode.txt", &bytes);
    assert_eq!(
        fields,
        json!({"Lead Name": "Ångström AB", "City": "Malmö", "Postal Code": "02134"})
    );
}

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
            "Annual Revenue": "1234.5",
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
fn csv_empty_rows_are_skipped_and_rows_keep_sheet_numbers() {
    let env = Env::new();
    let file = env.write_csv(
        "gaps.csv",
        "Lead Name,Birthdate\nAcme,\n,\n\nBeta,cat\n  ,  \nGamma,dog\n",
    );
    let preview = env.preview_json(&file, &[]);
    assert_eq!(
        plan(&preview),
        [
            (2, "create".into(), None),
            (5, "create".into(), None),
            (7, "create".into(), None)
        ]
    );
    assert_eq!(issue(&preview, "warnings", 5, "Birthdate")["value"], "cat");
    assert_eq!(issue(&preview, "warnings", 7, "Birthdate")["value"], "dog");
}

#[test]
fn headers_match_in_any_order_case_and_surrounding_spaces() {
    let env = Env::new();
    let fields = fields_of_first_lead(
        &env,
        "headers.csv",
        b"  city ,EXPORT VALUE,lead name  ,Lead STATUS\nParis,X-1,Acme,qualified\n",
    );
    assert_eq!(
        fields,
        json!({"Lead Name": "Acme", "Export Value": "X-1", "Lead Status": "Qualified", "City": "Paris"})
    );
}

#[test]
fn a_subset_of_headers_is_enough() {
    let env = Env::new();
    let file = env.write_csv("name.csv", "Lead Name\nSolo\n");
    let preview = env.preview_json(&file, &[]);
    assert_eq!(counts(&preview), [1, 0, 0, 0, 0]);
    assert_eq!(preview["errors"], json!([]));
}

#[test]
fn csv_values_are_trimmed_and_typed() {
    let env = Env::new();
    let fields = fields_of_first_lead(
        &env,
        "typed.csv",
        b"Lead Name,Postal Code,Phone,Annual Revenue,Employees,Do Not Contact,Birthdate\n  Acme  ,02134,0049 30 1234,\"$1,234.50\",\"1,200\",n,2024-02-29\n",
    );
    assert_eq!(
        fields,
        json!({
            "Lead Name": "Acme",
            "Phone": "0049 30 1234",
            "Postal Code": "02134",
            "Birthdate": "2024-02-29",
            "Annual Revenue": "1234.50",
            "Employees": 1200,
            "Do Not Contact": false,
        })
    );
}

#[test]
fn date_format_option_orders_day_and_month() {
    let csv = "Lead Name,Birthdate\nAcme,03/04/2025\nBeta,2025-12-31\n";
    for (extra, expected) in [
        (&[][..], "2025-03-04"),
        (&["--date-format", "us"][..], "2025-03-04"),
        (&["--date-format", "eu"][..], "2025-04-03"),
    ] {
        let env = Env::new();
        let file = env.write_csv("dates.csv", csv);
        env.import_file(&file, extra);
        assert_eq!(env.lead(1)["fields"]["Birthdate"], expected, "{extra:?}");
        assert_eq!(env.lead(2)["fields"]["Birthdate"], "2025-12-31", "{extra:?}");
    }
}

#[test]
fn iso_date_format_accepts_iso_and_warns_on_slashed_dates() {
    let env = Env::new();
    let file = env.write_csv("iso.csv", "Lead Name,Birthdate\nAcme,2025-03-04\nBeta,03/04/2025\n");
    let preview = env.preview_json(&file, &["--date-format", "iso"]);
    assert_eq!(counts(&preview), [2, 0, 0, 0, 1]);
    assert_eq!(issue(&preview, "warnings", 3, "Birthdate")["value"], "03/04/2025");
}
