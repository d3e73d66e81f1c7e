//! The CRM view over HTTP: listing with paging and kind filter, one
//! record with its sub-records, and its history.

use crate::support::{leads_csv, spawn_app};

#[test]
fn leads_list_pages_and_filters_by_kind() {
    let app = spawn_app();
    app.import("a.csv", &leads_csv("L", 5));
    let orgs = app
        .upload_as(
            &app.admin,
            "?kind=organizations",
            "o.csv",
            &leads_csv("O", 2),
        )
        .ok();
    app.commit(orgs["import_id"].as_u64().unwrap()).ok();

    let all = app.get("/api/leads").ok();
    assert_eq!(all["total"], 7);
    assert_eq!(all["limit"], 100);
    assert_eq!(all["leads"].as_array().unwrap().len(), 7);

    let page = app.get("/api/leads?limit=2&offset=3").ok();
    assert_eq!(page["offset"], 3);
    let ids: Vec<u64> = page["leads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["crm_id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [4, 5]);

    let only = app.get("/api/leads?kind=organizations&limit=0").ok();
    assert_eq!(only["total"], 2);
    assert!(only["leads"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["kind"] == "organizations"));
}

#[test]
fn one_lead_shows_sub_records_and_its_history() {
    let app = spawn_app();
    let csv =
        "Lead Name,Export Value,Employees,Contact First Name,Contact Last Name,Contact Email\n\
               Acme,E1,12,Joe,Bloggs,joe@acme.com\n";
    app.import("c.csv", csv.as_bytes());
    app.import("u.csv", b"Export Value,City\nE1,Boston\n");

    let lead = app.get("/api/leads/1").ok();
    assert_eq!(lead["crm_id"], 1);
    assert_eq!(lead["fields"]["Lead Name"], "Acme");
    assert_eq!(lead["fields"]["Employees"], 12);
    assert_eq!(lead["contacts"][0]["Contact First Name"], "Joe");
    assert_eq!(lead["created_by_import"], 1);
    assert_eq!(lead["version"], 2);

    let history = app.get("/api/leads/1/history").ok();
    let events: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["LeadCreated", "ContactCreated", "LeadUpdated"]);
    let update = &history[2];
    assert_eq!(update["import_id"], 2);
    assert_eq!(update["actor"], "ops");
    assert_eq!(update["changes"][0]["field"], "City");
    assert_eq!(update["changes"][0]["before"], serde_json::Value::Null);
    assert_eq!(update["changes"][0]["after"], "Boston");
}
