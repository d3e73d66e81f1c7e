//! Updates (PRODUCT.md section 3): only filled cells change a record, a
//! row that changes nothing is unchanged, and renamed names and export
//! values match by their new text.

use serde_json::json;

use crate::support::{assert_mentions, counts, issue, plan, Env};

#[test]
fn blank_cells_never_erase_data() {
    let env = Env::new();
    env.import_csv(
        "a.csv",
        "Export Value,Lead Name,City,Phone,Employees,Do Not Contact\nE1,Acme,Paris,555,10,Yes\n",
    );
    let file = env.write_csv(
        "b.csv",
        "Export Value,Lead Name,City,Phone,Employees,Do Not Contact\nE1,,,0800,,\n",
    );
    let preview = env.preview_json(&file, &[]);
    assert_eq!(plan(&preview), [(2, "update".into(), Some(1))]);
    env.commit_json(&preview["import_id"]);
    assert_eq!(
        env.lead(1)["fields"],
        json!({"Lead Name": "Acme", "Export Value": "E1", "Phone": "0800", "City": "Paris",
               "Employees": 10, "Do Not Contact": true})
    );
}

#[test]
fn rows_that_change_nothing_are_counted_unchanged() {
    let env = Env::with_two_leads();
    let file = env.write_csv(
        "same.csv",
        "City,Lead Name,Export Value\nParis,Acme,E1\nOslo,,E2\n",
    );
    let preview = env.preview_json(&file, &[]);
    assert_eq!(counts(&preview), [0, 1, 1, 0, 0]);
    assert_eq!(
        plan(&preview),
        [
            (2, "unchanged".into(), Some(1)),
            (3, "update".into(), Some(2))
        ]
    );
    let commit = env.commit_json(&preview["import_id"]);
    assert_eq!(
        commit["counts"],
        json!({"imported": 2, "created": 0, "updated": 1, "unchanged": 1})
    );
    assert_eq!(env.lead(1)["version"], 1);
    assert_eq!(env.lead(2)["version"], 2);
}

#[test]
fn renamed_lead_is_matched_by_its_new_name_only() {
    let env = Env::with_two_leads();
    env.import_csv("r.csv", "Account CRM ID,Lead Name\n1,Acme Corp\n");
    let file = env.write_csv("n.csv", "Lead Name,City\nacme corp,Oslo\nAcme,Bern\n");
    let preview = env.preview_json(&file, &[]);
    assert_eq!(
        plan(&preview),
        [(2, "update".into(), Some(1)), (3, "create".into(), None)]
    );
}

#[test]
fn changed_export_value_is_matched_by_its_new_value_only() {
    let env = Env::with_two_leads();
    env.import_csv("r.csv", "Account CRM ID,Export Value\n1,E9\n");
    let file = env.write_csv("e.csv", "Export Value,Lead Name\nE9,Acme\nE1,Other\n");
    let preview = env.preview_json(&file, &[]);
    assert_eq!(
        plan(&preview),
        [(2, "unchanged".into(), Some(1)), (3, "create".into(), None)]
    );
}

#[test]
fn export_value_of_another_record_cannot_be_taken_by_an_update() {
    let env = Env::with_two_leads();
    let file = env.write_csv("e.csv", "Account CRM ID,Export Value\n1,E2\n");
    let preview = env.preview_json(&file, &[]);
    let e = issue(&preview, "errors", 2, "Export Value");
    assert_mentions(&e["message"], &["already belongs to CRM ID 2"]);
}

#[test]
fn equal_values_written_differently_leave_the_row_unchanged() {
    let env = Env::new();
    env.import_csv(
        "a.csv",
        "Export Value,Lead Name,Country,State,Lead Status,Birthdate,Annual Revenue,Do Not Contact\n\
         E1,Acme,US,IL,New,1980-04-30,1234.50,Yes\n",
    );
    let file = env.write_csv(
        "b.csv",
        "Export Value,Lead Name,Country,State,Lead Status,Birthdate,Annual Revenue,Do Not Contact\n\
         E1, Acme ,united states,illinois,new,04/30/1980,\"$1,234.50\",y\n",
    );
    let preview = env.preview_json(&file, &[]);
    assert_eq!(
        plan(&preview),
        [(2, "unchanged".into(), Some(1))],
        "{preview}"
    );
}
