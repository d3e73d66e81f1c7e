//! `GET /api/progress`: what a running preview or commit is doing, for the
//! web page's progress bar. It answers while a large commit runs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::Value;

use crate::support::{leads_csv, spawn_app};

const BIG: usize = 20_000;

#[test]
fn progress_follows_a_large_commit_and_is_idle_after_it() {
    let app = spawn_app();
    let idle = app.get_as(&app.auditor, "/api/progress").ok();
    assert_eq!(idle["phase"], Value::Null, "{idle}");
    let preview = app.upload("big.csv", &leads_csv("Big", BIG)).ok();
    let id = preview["import_id"].as_u64().unwrap();
    assert_eq!(app.get("/api/progress").ok()["phase"], Value::Null);

    let answered = AtomicBool::new(false);
    let (commit, seen) = std::thread::scope(|s| {
        let app = &app;
        let answered = &answered;
        let committer = s.spawn(move || {
            let commit = app.try_commit(id);
            answered.store(true, Ordering::SeqCst);
            commit
        });
        let mut seen: Vec<Value> = Vec::new();
        while !answered.load(Ordering::SeqCst) {
            let view = app.get_as(&app.auditor, "/api/progress").ok();
            if view["phase"] != Value::Null {
                seen.push(view);
            }
            // Pacing, not synchronisation: leave the cores to the commit.
            std::thread::sleep(Duration::from_millis(20));
        }
        (committer.join().unwrap(), seen)
    });
    assert_eq!(commit.unwrap().ok()["counts"]["created"], BIG as u64);
    // Whatever the timing, every report seen is well formed, and a long
    // commit was seen at work at least once.
    assert!(!seen.is_empty(), "the commit was never seen in progress");
    for view in &seen {
        let phase = view["phase"].as_str().unwrap();
        assert!(["committing", "applying"].contains(&phase), "{view}");
        let (done, total) = (
            view["done"].as_u64().unwrap(),
            view["total"].as_u64().unwrap(),
        );
        assert!(total > 0 && done <= total, "{view}");
    }
    assert_eq!(app.get("/api/progress").ok()["phase"], Value::Null);
}
