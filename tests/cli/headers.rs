//! The header row (PRODUCT.md sections 2 and 4): headers in any order,
//! case and subset; unknown and repeated headers, a file without data rows
//! or without a key identifier column, and values without a header.

use serde_json::json;

use crate::support::{assert_mentions, counts, issue, Env};

#[test]
fn unknown_header_is_an_error_suggesting_the_closest_field() {
    let env = Env::new();
    let file = env.write_csv("h.csv", "Lead Nme,Citty\nAcme,Paris\n");
    let preview = env.preview_json(&file, &[]);
    let e = issue(&preview, "errors", 1, "Lead Nme");
    assert_eq!(e["value"], "Lead Nme");
    assert_mentions(&e["message"], &["column A", "did you mean `Lead Name`?"]);
    let e = issue(&preview, "errors", 1, "Citty");
    assert_mentions(&e["message"], &["column B", "did you mean `City`?"]);
}

#[test]
fn header_written_twice_is_an_error_naming_both_columns() {
    let env = Env::new();
    let file = env.write_csv("h.csv", "Lead Name,City,city \nAcme,Paris,Lyon\n");
    let preview = env.preview_json(&file, &[]);
    assert_eq!(counts(&preview)[3], 1, "{preview}");
    let e = issue(&preview, "errors", 1, "city");
    assert_mentions(&e["message"], &["`City` appears twice", "columns B and C"]);
}

#[test]
fn header_without_data_rows_is_an_error() {
    for text in ["Lead Name,City\n", "Lead Name,City\n,\n\n  ,  \n"] {
        let env = Env::new();
        let file = env.write_csv("empty.csv", text);
        let preview = env.preview_json(&file, &[]);
        assert_eq!(counts(&preview), [0, 0, 0, 1, 0], "{text:?}");
        assert_mentions(&preview["errors"][0]["message"], &["no data rows"]);
        let out = env.run(&["import", file.to_str().expect("path"), "--commit"]);
        out.expect_code(3);
        assert_eq!(env.all_leads(), Vec::<serde_json::Value>::new());
    }
}

#[test]
fn file_without_any_key_identifier_column_is_an_error() {
    let env = Env::new();
    let file = env.write_csv("k.csv", "City,Country\nParis,FR\n");
    let preview = env.preview_json(&file, &[]);
    let e = issue(&preview, "errors", 1, "");
    assert_mentions(
        &e["message"],
        &["Account CRM ID", "Export Value", "Lead Name"],
    );
}

#[test]
fn headers_match_in_any_order_case_and_surrounding_spaces() {
    let env = Env::new();
    env.import_csv(
        "headers.csv",
        "  city ,EXPORT VALUE,lead name  ,Lead STATUS\nParis,X-1,Acme,qualified\n",
    );
    assert_eq!(
        env.lead(1)["fields"],
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
fn value_beyond_the_last_header_is_an_error() {
    let env = Env::new();
    let file = env.write_csv("x.csv", "Lead Name,City\nAcme,Paris,extra\n");
    let preview = env.preview_json(&file, &[]);
    assert_eq!(counts(&preview)[3], 1);
    let e = issue(&preview, "errors", 2, "column C");
    assert_eq!(e["value"], "extra");
    assert_mentions(&e["message"], &["no header"]);
}

/// Regression: a value in a column whose header cell is blank, between
/// named columns, was silently dropped (the same value right of the last
/// header is an error), so data vanished without a word.
#[test]
fn value_under_a_blank_header_between_columns_is_an_error() {
    let env = Env::new();
    let file = env.write_csv("x.csv", "Lead Name,,City\nAcme,lost,Paris\n");
    let preview = env.preview_json(&file, &[]);
    assert_eq!(counts(&preview)[3], 1, "{preview}");
    let e = issue(&preview, "errors", 2, "column B");
    assert_eq!(e["value"], "lost");
}

#[test]
fn a_blank_header_over_an_empty_column_is_harmless() {
    let env = Env::new();
    env.import_csv("x.csv", "Lead Name,,City\nAcme,,Paris\n");
    assert_eq!(
        env.lead(1)["fields"],
        json!({"Lead Name": "Acme", "City": "Paris"})
    );
}
