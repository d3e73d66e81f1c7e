//! Several clients upload, commit and read while one commits a large
//! import: every answer is right and the counts add up.

use std::collections::BTreeSet;

use crate::support::{leads_csv, spawn_app};

const BIG: usize = 20_000;
const WORKERS: usize = 4;
const SMALL: usize = 5;

#[test]
fn clients_work_while_a_large_import_commits() {
    let app = spawn_app();
    let preview = app.upload("big.csv", &leads_csv("Big", BIG)).ok();
    assert_eq!(preview["counts"]["create"], BIG as u64);
    let big_id = preview["import_id"].as_u64().unwrap();

    let (big_commit, small_commits) = std::thread::scope(|s| {
        let app = &app;
        let committer = s.spawn(move || app.commit(big_id).ok());
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                s.spawn(move || {
                    let prefix = format!("W{w}");
                    let csv = leads_csv(&prefix, SMALL);
                    let preview = app.upload(&format!("{prefix}.csv"), &csv).ok();
                    assert_eq!(preview["counts"]["create"], SMALL as u64);
                    assert_eq!(preview["uploaded_by"], "ops");
                    for _ in 0..5 {
                        let page = app.get_as(&app.auditor, "/api/leads?limit=3").ok();
                        assert!(page["leads"].as_array().unwrap().len() <= 3);
                        app.get("/api/imports").ok();
                        assert_eq!(app.get_anon("/healthz").status, 200);
                    }
                    let id = preview["import_id"].as_u64().unwrap();
                    let file = app.get(&format!("/api/imports/{id}/file"));
                    assert_eq!(file.body, csv);
                    app.commit(id).ok()
                })
            })
            .collect();
        let small: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        (committer.join().unwrap(), small)
    });

    assert_eq!(big_commit["counts"]["created"], BIG as u64);
    let mut created = big_commit["counts"]["created"].as_u64().unwrap();
    for c in &small_commits {
        assert_eq!(c["counts"]["created"], SMALL as u64);
        created += c["counts"]["created"].as_u64().unwrap();
    }
    let total = (BIG + WORKERS * SMALL) as u64;
    assert_eq!(created, total);

    let all = app.get("/api/leads?limit=0").ok();
    assert_eq!(all["total"], total);
    let leads = all["leads"].as_array().unwrap();
    let ids: BTreeSet<u64> = leads
        .iter()
        .map(|l| l["crm_id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, (1..=total).collect::<BTreeSet<u64>>());
    let exports: BTreeSet<&str> = leads
        .iter()
        .map(|l| l["fields"]["Export Value"].as_str().unwrap())
        .collect();
    assert_eq!(
        exports.len() as u64,
        total,
        "an export value is missing or doubled"
    );

    assert_eq!(app.get("/api/imports").ok()["total"], (1 + WORKERS) as u64);
    assert_eq!(app.get("/api/ledger/verify").ok()["ok"], true);
}
