//! The ledger (PRODUCT.md section 6): `ledger rebuild` gives byte-for-byte
//! the same projections, `ledger verify` names an altered event, and the
//! original upload comes back byte for byte. The tests read and alter the
//! sled database directly (see `database`), after the binary has exited.

use serde_json::json;

use crate::database;
use crate::support::{Env, XCell};

/// A ledger with creates, updates, sub-records, an organization, an
/// unchanged row, reference data changes and a preview never committed.
fn busy_ledger() -> Env {
    let env = Env::new();
    env.import_csv(
        "a.csv",
        "Export Value,Lead Name,City,Contact First Name,Contact Last Name,Opportunity Title\n\
         E1,Acme,Paris,Jane,Doe,Deal\nE2,Beta,Rome,,,\n",
    );
    env.import_csv(
        "b.csv",
        "Export Value,City,Employees\nE1,Lyon,12\nE2,Rome,\n",
    );
    let org = env.write_csv("o.csv", "Lead Name,Country\nOrgCo,de\n");
    env.import_file(&org, &["--kind", "organizations"]);
    env.run(&["lists", "retire", "Lead Source", "Cold Call"])
        .expect_code(0);
    env.run(&["lists", "add", "Industry", "Mining"])
        .expect_code(0);
    let open = env.write_csv("open.csv", "Lead Name,Country\nDelta,USA\n");
    env.preview_json(&open, &[]);
    env
}

#[test]
fn rebuild_gives_identical_projections() {
    let env = busy_ledger();
    let leads_before = env.json(&["leads", "list", "--limit", "0"]);
    let imports_before = env.json(&["imports", "list"]);
    let bytes_before = database::run(&env, "dump-projections");
    // Lead records live in pages (`p` + page number, 0x70).
    assert!(bytes_before.contains("table leads\n70"), "{bytes_before}");
    let raw_before = database::run(&env, "dump-raw");

    let report = env.json(&["ledger", "rebuild"]);
    let events = env.json(&["ledger", "verify"])["events"].clone();
    assert_eq!(report["events"], events);
    assert_eq!(report["identical"], true, "{report}");
    assert_eq!(report["digest_before"], report["digest_after"]);

    assert_eq!(database::run(&env, "dump-projections"), bytes_before);
    assert_eq!(database::run(&env, "dump-raw"), raw_before);
    assert_eq!(env.json(&["leads", "list", "--limit", "0"]), leads_before);
    assert_eq!(env.json(&["imports", "list"]), imports_before);
}

#[test]
fn rebuild_restores_a_damaged_projection_from_the_log() {
    let env = busy_ledger();
    let bytes_before = database::run(&env, "dump-projections");
    let damaged = database::run(&env, "clear-leads");
    assert!(
        damaged.contains("table leads\ntable lead_index\ntable"),
        "{damaged}"
    );
    let report = env.json(&["ledger", "rebuild"]);
    assert_eq!(report["identical"], false, "{report}");
    assert_ne!(report["digest_before"], report["digest_after"]);
    assert_eq!(database::run(&env, "dump-projections"), bytes_before);
    assert_eq!(env.lead(1)["fields"]["City"], "Lyon");
}

/// A data directory whose projections were built with an older layout
/// (here: the lead index as a key per entry, and no layout marker) has
/// them rebuilt from the log when it is opened, so matching still finds
/// the leads it holds.
#[test]
fn projections_of_an_older_layout_are_rebuilt_on_open() {
    let env = Env::new();
    env.import_csv("a.csv", "Lead Name,Export Value,City\nAcme,E1,Paris\n");
    let bytes_before = database::run(&env, "dump-projections");
    let old = database::run(&env, "old-layout");
    assert_ne!(old, bytes_before);
    let update = env.import_csv("b.csv", "Export Value,City\nE1,Lyon\n");
    assert_eq!(update["counts"]["updated"], 1, "{update}");
    assert_eq!(update["counts"]["created"], 0, "{update}");
    assert_eq!(env.lead(1)["fields"]["City"], "Lyon");
    assert_eq!(env.all_leads().len(), 1);
    let report = env.json(&["ledger", "rebuild"]);
    assert_eq!(report["identical"], true, "{report}");
}

#[test]
fn verify_passes_on_an_untouched_ledger() {
    let env = Env::new();
    env.import_csv("a.csv", "Lead Name\nAcme\n");
    let report = env.json(&["ledger", "verify"]);
    // Seeded reference data; file received, row validated, preview
    // summarised; lead created, import committed.
    assert_eq!(report["ok"], true);
    assert_eq!(report["events"], 6);
    assert_eq!(report["first_bad_seq"], json!(null));
    let out = env.run(&["ledger", "verify"]);
    out.expect_code(0);
    assert!(
        out.stdout.contains("ledger intact: 6 events"),
        "{}",
        out.stdout
    );
}

#[test]
fn verify_names_the_event_whose_stored_bytes_were_altered() {
    let env = busy_ledger();
    let total = env.json(&["ledger", "verify"])["events"]
        .as_u64()
        .expect("events");
    let altered_seq: u64 = 4;
    assert!(altered_seq + 1 < total);
    database::run(&env, &format!("flip-event-byte {altered_seq}"));
    let out = env.run(&["--json", "ledger", "verify"]);
    out.expect_code(1);
    let report = out.json();
    assert_eq!(report["ok"], false);
    assert_eq!(report["first_bad_seq"], altered_seq);
    assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("event 4"), "{}", out.stderr);
}

#[test]
fn verify_names_a_removed_event() {
    let env = busy_ledger();
    database::run(&env, "remove-event 7");
    let out = env.run(&["--json", "ledger", "verify"]);
    out.expect_code(1);
    assert_eq!(out.json()["first_bad_seq"], 7);
}

#[test]
fn imports_file_returns_the_original_bytes() {
    let env = Env::new();
    let (csv, _, _) = encoding_rs::WINDOWS_1252.encode("Lead Name,City\r\nCafé,Köln\r\n\r\n");
    let csv_file = env.write_bytes("cafe.csv", &csv);
    env.import_file(&csv_file, &[]);
    let xlsx_file = env.write_xlsx(
        "book.xlsx",
        &[
            vec![XCell::Text("Lead Name"), XCell::Text("Birthdate")],
            vec![XCell::Text("Acme"), XCell::Date(1999, 12, 31)],
        ],
    );
    env.import_file(&xlsx_file, &[]);
    let bad = env.write_csv("bad.csv", "Lead Name,Country\nBeta,USA\n");
    env.preview_json(&bad, &[]);

    for (id, original) in [("1", &csv_file), ("2", &xlsx_file), ("3", &bad)] {
        let out_path = env.path(&format!("download-{id}"));
        let out_str = out_path.to_str().expect("path");
        let answer = env.json(&["imports", "file", id, "--out", out_str]);
        let expected = std::fs::read(original).expect("the original");
        assert_eq!(
            std::fs::read(&out_path).expect("the download"),
            expected,
            "import {id}"
        );
        assert_eq!(answer["size"], expected.len(), "import {id}");
        let name = original.file_name().and_then(|n| n.to_str()).expect("name");
        assert_eq!(answer["name"], name);
    }
}

#[test]
fn imports_file_of_an_unknown_import_fails() {
    let env = Env::new();
    let out_path = env.path("x.csv");
    let out = env.run(&[
        "imports",
        "file",
        "9",
        "--out",
        out_path.to_str().expect("path"),
    ]);
    out.expect_code(1);
    assert!(out.stderr.contains("no import 9"), "{}", out.stderr);
}
