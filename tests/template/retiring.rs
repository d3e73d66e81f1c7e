//! Retiring a list item takes it out of the next template (its drop-down,
//! the hidden Lists sheet, the Instructions) but never out of the records
//! that already hold it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;

use crate::support::{column, openpyxl_describe, App};

/// The Lead Status drop-down: the Lists column and the validation formula.
fn lead_status(book: &Value) -> (Vec<String>, String) {
    let lists: Vec<Vec<String>> = serde_json::from_value(book["values"]["Lists"].clone()).unwrap();
    let idx = lists[0].iter().position(|t| t == "Lead Status").unwrap();
    let items = column(&lists, idx)[1..].to_vec();
    let formula = book["validations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["sqref"].as_str().unwrap().starts_with("D2:"))
        .map(|v| v["formula1"].as_str().unwrap().to_string())
        .unwrap();
    (items, formula)
}

#[test]
fn a_retired_item_leaves_the_next_template_but_not_the_records() {
    let app = App::new();
    let fields = ["--fields", "Lead Status,Country"];
    let before = openpyxl_describe(&app, &app.template("before.xlsx", &fields));
    let (items, formula) = lead_status(&before);
    assert_eq!(
        items,
        ["New", "Contacted", "Qualified", "Unqualified", "Customer"]
    );
    assert_eq!(formula, "Lists!$A$2:$A$6");

    let csv = app.template("t.csv", &["--fields", "Lead Status"]);
    let mut bytes = std::fs::read(&csv).unwrap();
    bytes.extend_from_slice(b",Hooli,H-1,Unqualified\r\n");
    std::fs::write(&csv, bytes).unwrap();
    let commit = app.import_commit(&csv, "leads");
    let crm_id = commit["leads"][0]["crm_id"].as_u64().unwrap().to_string();

    app.ok(["lists", "retire", "Lead Status", "Unqualified"]);

    let after = openpyxl_describe(&app, &app.template("after.xlsx", &fields));
    let (items, formula) = lead_status(&after);
    assert_eq!(items, ["New", "Contacted", "Qualified", "Customer"]);
    assert_eq!(formula, "Lists!$A$2:$A$5");
    let instructions: Vec<Vec<String>> =
        serde_json::from_value(after["values"]["Instructions"].clone()).unwrap();
    let row = instructions.iter().find(|r| r[0] == "Lead Status").unwrap();
    assert!(!row[4].contains("Unqualified"), "{}", row[4]);

    let hooli = app.json(["leads", "show", &crm_id]);
    assert_eq!(hooli["fields"]["Lead Status"], "Unqualified");
}
