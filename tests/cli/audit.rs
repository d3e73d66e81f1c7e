//! The audit questions of PRODUCT.md section 6: a lead's history, what an
//! import changed, and which imports touched a field between two dates,
//! each with before and after values, the import and who did it.

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::support::Env;

/// Lead 1 (Acme) created by alice in import 1 with a contact, then its City
/// changed by bob in import 2, which also creates lead 2 (Beta).
fn two_imports_by_two_users() -> Env {
    let env = Env::new();
    let a = env.write_csv(
        "a.csv",
        "Export Value,Lead Name,City,Contact First Name,Contact Last Name\nE1,Acme,Paris,Jane,Doe\n",
    );
    env.run_as("alice", &["import", a.to_str().expect("path"), "--commit"])
        .expect_code(0);
    let b = env.write_csv(
        "b.csv",
        "Export Value,Lead Name,City,Phone\nE1,,Lyon,\nE2,Beta,,555\n",
    );
    env.run_as("bob", &["import", b.to_str().expect("path"), "--commit"])
        .expect_code(0);
    env
}

/// The entries without the fields that vary from run to run (`seq`, `at`).
fn stable(entries: &Value) -> Vec<Value> {
    entries
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            let mut e = e.clone();
            let object = e.as_object_mut().expect("an entry");
            assert!(object.remove("at").is_some_and(|at| at.is_string()));
            assert!(object.remove("seq").is_some_and(|seq| seq.is_u64()));
            e
        })
        .collect()
}

#[test]
fn lead_history_shows_each_change_with_import_actor_before_and_after() {
    let env = two_imports_by_two_users();
    let history = env.json(&["leads", "history", "1"]);
    assert_eq!(
        stable(&history),
        [
            json!({"actor": "cli:alice", "import_id": 1, "crm_id": 1, "row": 2, "event": "LeadCreated",
            "changes": [
                {"field": "Lead Name", "before": null, "after": "Acme"},
                {"field": "Export Value", "before": null, "after": "E1"},
                {"field": "City", "before": null, "after": "Paris"},
            ]}),
            json!({"actor": "cli:alice", "import_id": 1, "crm_id": 1, "row": 2, "event": "ContactCreated",
            "changes": [
                {"field": "Contact First Name", "before": null, "after": "Jane"},
                {"field": "Contact Last Name", "before": null, "after": "Doe"},
            ]}),
            json!({"actor": "cli:bob", "import_id": 2, "crm_id": 1, "row": 2, "event": "LeadUpdated",
                   "changes": [{"field": "City", "before": "Paris", "after": "Lyon"}]}),
        ]
    );
    let seqs: Vec<u64> = history
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["seq"].as_u64().expect("seq"))
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "oldest first: {seqs:?}"
    );
}

#[test]
fn lead_history_table_names_the_import_and_the_user() {
    let env = two_imports_by_two_users();
    let out = env.run(&["leads", "history", "1"]);
    out.expect_code(0);
    let update = out
        .stdout
        .lines()
        .find(|l| l.contains("LeadUpdated"))
        .unwrap_or_else(|| panic!("no update line in\n{}", out.stdout));
    for part in ["cli:bob", "City", "Paris", "Lyon"] {
        assert!(update.contains(part), "{part} missing from {update:?}");
    }
}

#[test]
fn audit_import_lists_every_change_the_import_made() {
    let env = two_imports_by_two_users();
    let changes = env.json(&["audit", "import", "2"]);
    assert_eq!(
        stable(&changes),
        [
            json!({"actor": "cli:bob", "import_id": 2, "crm_id": 1, "row": 2, "event": "LeadUpdated",
                   "changes": [{"field": "City", "before": "Paris", "after": "Lyon"}]}),
            json!({"actor": "cli:bob", "import_id": 2, "crm_id": 2, "row": 3, "event": "LeadCreated",
            "changes": [
                {"field": "Lead Name", "before": null, "after": "Beta"},
                {"field": "Export Value", "before": null, "after": "E2"},
                {"field": "Phone", "before": null, "after": "555"},
            ]}),
        ]
    );
}

#[test]
fn audit_import_of_an_uncommitted_preview_lists_nothing() {
    let env = two_imports_by_two_users();
    let c = env.write_csv("c.csv", "Export Value,City\nE1,Nice\n");
    env.preview_json(&c, &[]);
    assert_eq!(env.json(&["audit", "import", "3"]), json!([]));
    env.run(&["audit", "import", "99"]).expect_code(1);
}

#[test]
fn audit_field_lists_the_changes_to_one_field_within_the_dates() {
    let env = two_imports_by_two_users();
    let today = Utc::now().date_naive();
    let day = |offset: i64| {
        (today + Duration::days(offset))
            .format("%Y-%m-%d")
            .to_string()
    };
    let (yesterday, tomorrow) = (day(-1), day(1));
    let city = env.json(&[
        "audit", "field", "City", "--from", &yesterday, "--to", &tomorrow,
    ]);
    assert_eq!(
        stable(&city),
        [
            json!({"actor": "cli:alice", "import_id": 1, "crm_id": 1, "row": 2, "event": "LeadCreated",
                   "changes": [{"field": "City", "before": null, "after": "Paris"}]}),
            json!({"actor": "cli:bob", "import_id": 2, "crm_id": 1, "row": 2, "event": "LeadUpdated",
                   "changes": [{"field": "City", "before": "Paris", "after": "Lyon"}]}),
        ]
    );
    // Open-ended ranges and the header in any case.
    assert_eq!(env.json(&["audit", "field", "city"]), city);
    let phone = env.json(&["audit", "field", "Phone", "--from", &yesterday]);
    assert_eq!(stable(&phone).len(), 1);
    assert_eq!(phone[0]["import_id"], 2);
    // Ranges that miss today find nothing.
    let before = env.json(&["audit", "field", "City", "--to", &day(-2)]);
    assert_eq!(before, json!([]));
    let after = env.json(&["audit", "field", "City", "--from", &day(2)]);
    assert_eq!(after, json!([]));
}

#[test]
fn audit_field_rejects_a_field_that_is_not_in_the_catalogue() {
    let env = Env::new();
    let out = env.run(&["audit", "field", "Citty"]);
    out.expect_code(2);
    assert!(
        out.stderr.contains("did you mean `City`?"),
        "{}",
        out.stderr
    );
    env.run(&["audit", "field", "City", "--from", "yesterday"])
        .expect_code(2);
}
