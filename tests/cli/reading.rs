//! Reading CSV files (PRODUCT.md section 2): UTF-8 with and without BOM,
//! Windows-1252 and UTF-16, skipped empty rows and the spreadsheet's own
//! row numbers, and the cell types and date formats of section 1.

use serde_json::json;

use crate::support::{counts, issue, plan, Env};

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
    assert_eq!(
        fields,
        json!({"Lead Name": "Café Müller", "City": "Zürich"})
    );
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
        assert_eq!(
            env.lead(2)["fields"]["Birthdate"],
            "2025-12-31",
            "{extra:?}"
        );
    }
}

#[test]
fn iso_date_format_accepts_iso_and_warns_on_slashed_dates() {
    let env = Env::new();
    let file = env.write_csv(
        "iso.csv",
        "Lead Name,Birthdate\nAcme,2025-03-04\nBeta,03/04/2025\n",
    );
    let preview = env.preview_json(&file, &["--date-format", "iso"]);
    assert_eq!(counts(&preview), [2, 0, 0, 0, 1]);
    assert_eq!(
        issue(&preview, "warnings", 3, "Birthdate")["value"],
        "03/04/2025"
    );
}

#[test]
fn csv_line_breaks_inside_quoted_cells_do_not_shift_row_numbers() {
    let env = Env::new();
    let file = env.write_csv(
        "ml.csv",
        "Lead Name,Notes,Birthdate\r\nAcme,\"line 1\r\nline 2\r\nline 3\",\r\n\r\nBeta,x,cat\r\nGamma,\"a\nb\",dog",
    );
    let preview = env.preview_json(&file, &[]);
    assert_eq!(
        plan(&preview),
        [
            (2, "create".into(), None),
            (4, "create".into(), None),
            (5, "create".into(), None)
        ]
    );
    assert_eq!(issue(&preview, "warnings", 4, "Birthdate")["value"], "cat");
    assert_eq!(issue(&preview, "warnings", 5, "Birthdate")["value"], "dog");
    env.commit_json(&preview["import_id"]);
    assert_eq!(env.lead(1)["fields"]["Notes"], "line 1\nline 2\nline 3");
}

/// Bytes that are not UTF-8 in a file marked as UTF-8 are kept as `�` with
/// a warning naming the row and the column, never changed silently.
#[test]
fn undecodable_bytes_in_a_utf8_csv_are_a_warning_naming_the_cell() {
    let env = Env::new();
    let mut bytes = b"\xEF\xBB\xBFLead Name,City\nAcme,Paris\nBeta,K\xF6ln\n".to_vec();
    bytes.extend_from_slice(b"Gamma,Rome\n");
    let file = env.write_bytes("mixed.csv", &bytes);
    let preview = env.preview_json(&file, &[]);
    assert_eq!(preview["counts"]["warnings"], 1, "{preview}");
    let warning = &preview["warnings"][0];
    assert_eq!(warning["row"], 3);
    assert_eq!(warning["column"], "City");
    assert_eq!(warning["value"], "K\u{FFFD}ln");
    assert!(
        warning["message"]
            .as_str()
            .unwrap_or_default()
            .contains("CSV UTF-8"),
        "{warning}"
    );
}
