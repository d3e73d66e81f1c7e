//! Several clients upload, commit and read while one commits a large
//! import: every answer is right, the counts add up, and reads are
//! answered while the large commit runs.

use std::collections::BTreeSet;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::support::{leads_csv, spawn_app, App};

const BIG: usize = 20_000;
const WORKERS: usize = 4;
const SMALL: usize = 5;

#[test]
fn clients_work_while_a_large_import_commits() {
    let app = spawn_app();
    let preview = app.upload("big.csv", &leads_csv("Big", BIG)).ok();
    assert_eq!(preview["counts"]["create"], BIG as u64);
    let big_id = preview["import_id"].as_u64().unwrap();

    let answered = AtomicBool::new(false);
    let (big_commit, window, reads, small_commits) = std::thread::scope(|s| {
        let app = &app;
        let answered = &answered;
        let committer = s.spawn(move || {
            let sent_at = Instant::now();
            let commit = app.try_commit(big_id);
            let answered_at = Instant::now();
            // Set before any assertion, so the watcher stops either way.
            answered.store(true, Ordering::SeqCst);
            (commit.unwrap().ok(), sent_at..answered_at)
        });
        let watcher = s.spawn(move || watch_reads(app, answered));
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
        let (commit, window) = committer.join().unwrap();
        (commit, window, watcher.join().unwrap(), small)
    });
    assert_reads_answered_during(&window, &reads);

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

/// One read the watcher made: which route, when it was sent and answered,
/// and the lead total it saw (for `/api/leads`).
struct Read {
    route: &'static str,
    span: Range<Instant>,
    total: Option<u64>,
}

/// Reads `/healthz` and `/api/leads` in turn until the big commit is
/// answered, recording when each read was sent and answered.
fn watch_reads(app: &App, answered: &AtomicBool) -> Vec<Read> {
    let mut reads = Vec::new();
    while !answered.load(Ordering::SeqCst) {
        for route in ["/healthz", "/api/leads?limit=1"] {
            let sent = Instant::now();
            let answer = app.get_as(&app.auditor, route).ok();
            reads.push(Read {
                route,
                span: sent..Instant::now(),
                total: answer["total"].as_u64(),
            });
        }
        // Pacing, not synchronisation: leave the two cores to the commit.
        std::thread::sleep(Duration::from_millis(10));
    }
    reads
}

/// The server answered reads while the big commit ran: some of each
/// route were sent after the commit and answered before it, some of them
/// in the second half of its wait (a server stalled by the commit would
/// answer nothing between its first moments and its end), and the lead
/// total one client sees never goes down.
fn assert_reads_answered_during(commit: &Range<Instant>, reads: &[Read]) {
    let mid = commit.start + (commit.end - commit.start) / 2;
    let inside = |r: &&Read| r.span.start >= commit.start && r.span.end <= commit.end;
    for route in ["/healthz", "/api/leads?limit=1"] {
        let during: Vec<&Read> = reads
            .iter()
            .filter(|r| r.route == route)
            .filter(inside)
            .collect();
        assert!(
            during.iter().any(|r| r.span.start >= mid),
            "no {route} was answered in the second half of the commit's {:?} ({} during it)",
            commit.end - commit.start,
            during.len()
        );
    }
    let totals: Vec<u64> = reads.iter().filter_map(|r| r.total).collect();
    assert!(
        totals.windows(2).all(|w| w[0] <= w[1]),
        "the lead total went down: {totals:?}"
    );
    // A commit is all or nothing for readers too: the big import's leads
    // are either all counted or none (the small imports add at most
    // WORKERS * SMALL), never the part of it already projected.
    let small = (WORKERS * SMALL) as u64;
    assert!(
        totals
            .iter()
            .all(|t| *t <= small || (BIG as u64..=BIG as u64 + small).contains(t)),
        "a reader saw part of a commit: {totals:?}"
    );
}
