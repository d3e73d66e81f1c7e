//! The server's life: the CLI is refused in one clear line while `serve`
//! holds the data directory, and SIGTERM stops the server cleanly with
//! everything it acknowledged intact, even with a large commit in flight.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crate::support::{cli, cli_json, leads_csv, spawn_app};

#[test]
fn the_cli_is_refused_in_one_line_while_serve_holds_the_directory() {
    let app = spawn_app();
    let run = cli(&app.data(), &["leads", "list"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stderr.lines().count(),
        1,
        "not one line: {}",
        run.stderr
    );
    assert!(run.stderr.starts_with("leadger: "), "{}", run.stderr);
    assert!(
        run.stderr.contains("in use by another leadger process"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("stop it or use the HTTP API"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
    // The server is unaffected.
    app.get("/api/leads").ok();
}

#[test]
fn sigterm_stops_the_server_and_keeps_what_it_acknowledged() {
    let mut app = spawn_app();
    let commit = app.import("a.csv", &leads_csv("T", 50));
    assert_eq!(commit["counts"]["created"], 50);

    app.stop();

    // The directory is free again and the ledger intact.
    let run = cli(&app.data(), &["--json", "ledger", "verify"]);
    assert_eq!(run.code, 0, "{run:?}");
    let verify: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(verify["ok"], true);
    let run = cli(&app.data(), &["--json", "leads", "list", "--limit", "1"]);
    let leads: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(leads["total"], 50);
}

/// Rows of the import whose commit is in flight at SIGTERM: enough that
/// the commit takes a second or more, so the signal lands mid-commit.
const IN_FLIGHT_ROWS: usize = 30_000;

/// Every file under `dir` with its size and modification time: when this
/// changes, something wrote to the directory.
fn footprint(dir: &Path) -> Vec<(PathBuf, u64, SystemTime)> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            // A file sled removes between listing and stat is skipped.
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                dirs.push(path);
            } else {
                files.push((path, meta.len(), meta.modified().unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn sigterm_during_a_large_commit_applies_all_of_it_or_none() {
    let mut app = spawn_app();
    let preview = app.upload("big.csv", &leads_csv("G", IN_FLIGHT_ROWS)).ok();
    let id = preview["import_id"].as_u64().unwrap();
    let events_before = app.get("/api/ledger/verify").ok()["events"]
        .as_u64()
        .unwrap();
    // The preview's answer came after its events were flushed; from here
    // on only the commit writes to the store.
    let db = app.data().join("db");
    let idle = footprint(&db);

    let answered = AtomicBool::new(false);
    let outcome = std::thread::scope(|s| {
        let committer = s.spawn(|| {
            let outcome = app.try_commit(id);
            answered.store(true, Ordering::SeqCst);
            outcome
        });
        // The commit is in flight once the store changes under it.
        let deadline = Instant::now() + Duration::from_secs(120);
        while footprint(&db) == idle {
            assert!(
                !answered.load(Ordering::SeqCst),
                "the commit was answered before it wrote anything"
            );
            assert!(Instant::now() < deadline, "the commit never started");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(
            !answered.load(Ordering::SeqCst),
            "the commit finished before SIGTERM could be sent: raise IN_FLIGHT_ROWS"
        );
        app.sigterm();
        committer.join().unwrap()
    });
    // The grace period for in-flight requests is 120 s.
    let status = app.wait_exit(Duration::from_secs(180));
    assert!(status.success(), "serve exited with {status}");

    let data = app.data();
    let verify = cli_json(&data, &["ledger", "verify"]);
    assert_eq!(verify["ok"], true, "{verify}");
    let events_after = verify["events"].as_u64().unwrap();
    let shown = cli_json(&data, &["imports", "show", &id.to_string()]);
    let leads = cli_json(&data, &["leads", "list", "--limit", "1"])["total"].clone();
    match outcome {
        Ok(answer) if answer.status == 200 => {
            let commit = answer.json();
            assert_eq!(commit["counts"]["created"], IN_FLIGHT_ROWS as u64);
            assert_eq!(shown["status"], "committed", "acknowledged, then lost");
            assert_eq!(leads, IN_FLIGHT_ROWS as u64);
            assert!(events_after > events_before + IN_FLIGHT_ROWS as u64);
        }
        // No successful answer: then nothing of it may be there.
        unanswered => {
            assert_eq!(
                shown["status"], "previewed",
                "unacknowledged: {unanswered:?}"
            );
            assert_eq!(leads, 0, "half applied: {unanswered:?}");
            assert_eq!(events_after, events_before, "stray events: {unanswered:?}");
        }
    }
}
