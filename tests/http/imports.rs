//! Imports over HTTP: preview (CSV and xlsx), preview with errors,
//! commit, stale and repeated commits, listing, one import, the original
//! file and the changes a commit made.

use crate::support::{leads_csv, spawn_app, xlsx};

#[test]
fn csv_preview_then_commit_creates_the_leads() {
    let app = spawn_app();
    let preview = app.upload("leads.csv", &leads_csv("A", 3)).ok();
    assert_eq!(preview["kind"], "leads");
    assert_eq!(preview["status"], "previewed");
    assert_eq!(preview["file"]["name"], "leads.csv");
    assert_eq!(preview["uploaded_by"], "ops");
    assert_eq!(preview["counts"]["create"], 3);
    assert_eq!(preview["counts"]["errors"], 0);
    assert_eq!(preview["rows"][0]["action"], "create");
    assert_eq!(preview["rows"][0]["crm_id"], serde_json::Value::Null);
    let id = preview["import_id"].as_u64().unwrap();

    let commit = app.commit(id).ok();
    assert_eq!(commit["import_id"], id);
    assert_eq!(commit["committed_by"], "ops");
    assert_eq!(commit["counts"]["imported"], 3);
    assert_eq!(commit["counts"]["created"], 3);
    assert_eq!(commit["leads"][0]["url"], "/leads/1");

    let shown = app.get(&format!("/api/imports/{id}")).ok();
    assert_eq!(shown["status"], "committed");
    assert_eq!(shown["results"], commit);

    let listing = app.get("/api/imports").ok();
    assert_eq!(listing["total"], 1);
    assert_eq!(listing["limit"], 100);
    assert_eq!(listing["imports"][0]["committed_by"], "ops");

    let changes = app.get(&format!("/api/imports/{id}/changes")).ok();
    let changes = changes.as_array().unwrap();
    assert_eq!(changes.len(), 3);
    assert_eq!(changes[0]["event"], "LeadCreated");
    assert_eq!(changes[0]["actor"], "ops");
}

#[test]
fn xlsx_uploads_preview_and_download_byte_for_byte() {
    let app = spawn_app();
    let book = xlsx(&[
        vec!["Lead Name", "Export Value", "Postal Code", "Do Not Contact"],
        vec!["Acme", "X-1", "02134", "Yes"],
        vec!["Beta", "X-2", "", "No"],
    ]);
    let preview = app
        .upload_as(
            &app.admin,
            "?kind=organizations&date_format=eu",
            "orgs.xlsx",
            &book,
        )
        .ok();
    assert_eq!(preview["kind"], "organizations");
    assert_eq!(preview["date_format"], "eu");
    assert_eq!(preview["counts"]["create"], 2);
    let id = preview["import_id"].as_u64().unwrap();

    let file = app.get(&format!("/api/imports/{id}/file"));
    assert_eq!(file.status, 200);
    assert_eq!(file.body, book, "the download differs from the upload");
    assert!(
        file.disposition.contains("filename=\"orgs.xlsx\""),
        "{}",
        file.disposition
    );

    app.commit(id).ok();
    let lead = app.get("/api/leads/1").ok();
    assert_eq!(lead["kind"], "organizations");
    assert_eq!(lead["fields"]["Postal Code"], "02134");
    assert_eq!(lead["fields"]["Do Not Contact"], true);
}

#[test]
fn a_preview_with_errors_is_content_and_cannot_be_committed() {
    let app = spawn_app();
    let csv = "Lead Name,Country,Birthdate\nAcme,USA,cat\n,,\nBeta,US,01/02/2000\n";
    let preview = app.upload("bad.csv", csv.as_bytes()).ok();
    assert_eq!(preview["counts"]["errors"], 1);
    assert_eq!(preview["counts"]["warnings"], 1);
    let error = &preview["errors"][0];
    assert_eq!(error["row"], 2);
    assert_eq!(error["column"], "Country");
    assert_eq!(error["value"], "USA");
    assert!(error["message"].as_str().unwrap().contains("US"));
    assert_eq!(preview["warnings"][0]["column"], "Birthdate");

    let id = preview["import_id"].as_u64().unwrap();
    let message = app.commit(id).error(409, "has_errors");
    assert!(message.contains("validation errors"), "{message}");
    assert_eq!(app.get("/api/leads").ok()["total"], 0);
}

#[test]
fn a_commit_is_refused_when_repeated_or_stale() {
    let app = spawn_app();
    app.import("base.csv", b"Lead Name,Export Value,City\nAcme,E1,Boston\n");

    // Preview A plans to update E1; then B updates E1 first.
    let a = app.upload("a.csv", b"Export Value,City\nE1,Denver\n").ok();
    assert_eq!(a["rows"][0]["action"], "update");
    assert_eq!(a["rows"][0]["crm_id"], 1);
    let b = app.upload("b.csv", b"Export Value,City\nE1,Austin\n").ok();
    let b_id = b["import_id"].as_u64().unwrap();
    app.commit(b_id).ok();

    let message = app
        .commit(a["import_id"].as_u64().unwrap())
        .error(409, "conflict");
    assert!(message.contains("preview the file again"), "{message}");
    let message = app.commit(b_id).error(409, "conflict");
    assert!(message.contains("already committed"), "{message}");

    let lead = app.get("/api/leads/1").ok();
    assert_eq!(lead["fields"]["City"], "Austin");
    assert_eq!(lead["version"], 2);
}

#[test]
fn the_same_file_twice_is_flagged() {
    let app = spawn_app();
    let csv = leads_csv("S", 2);
    let first = app.import("same.csv", &csv);
    let again = app.upload("same-again.csv", &csv).ok();
    assert_eq!(again["already_imported_as"], first["import_id"]);
    assert!(again["already_imported_on"].is_string());
}
