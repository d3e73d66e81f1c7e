//! A commit killed at any point leaves the CRM view before it or after it,
//! never between, and the hash chain intact.
#![allow(clippy::unwrap_used)]

use crate::support::{big_csv, path_str, Env};

const ROWS: u64 = 3000;

fn lead_total(env: &Env) -> u64 {
    let out = env.run(&["--json", "leads", "list", "--limit", "1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.json()["total"].as_u64().unwrap()
}

fn verify_ok(env: &Env) {
    let out = env.run(&["--json", "ledger", "verify"]);
    assert_eq!(
        out.code, 0,
        "verify failed after a crash: {}{}",
        out.stdout, out.stderr
    );
    assert_eq!(out.json()["ok"], true);
}

/// Previews a big file (a normal run) and returns its import id.
fn preview(env: &Env) -> String {
    let file = env.write("big.csv", &big_csv(ROWS as usize, "A"));
    let out = env.run(&["--json", "import", path_str(&file)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["counts"]["create"], ROWS);
    out.json()["import_id"].to_string()
}

/// Kills `imports commit` at `point`, reopens, and checks all or nothing.
/// Returns the number of leads seen after the crash.
fn kill_commit_at(point: &str) -> u64 {
    kill_commit_at_with(point, &[])
}

/// [`kill_commit_at`], with more environment for the commit.
fn kill_commit_at_with(point: &str, env_vars: &[(&str, &str)]) -> u64 {
    let env = Env::new();
    let id = preview(&env);
    assert!(
        env.run_and_kill_at_with(&["imports", "commit", &id], point, env_vars),
        "the commit never reached {point}"
    );
    let total = lead_total(&env);
    assert!(
        total == 0 || total == ROWS,
        "after a kill at {point} the CRM view holds {total} of {ROWS} leads: half-applied"
    );
    verify_ok(&env);
    // Each lead has exactly its one contact: no half-applied record either.
    if total == ROWS {
        let out = env.run(&["--json", "leads", "show", &ROWS.to_string()]);
        assert_eq!(
            out.json()["contacts"].as_array().unwrap().len(),
            1,
            "{point}"
        );
    }
    // The import can be committed afterwards exactly when it was not.
    let again = env.run(&["--json", "imports", "commit", &id]);
    if total == 0 {
        assert_eq!(again.code, 0, "{}", again.stderr);
        assert_eq!(lead_total(&env), ROWS);
    } else {
        assert_eq!(again.code, 1);
        assert!(
            again.stderr.contains("already committed"),
            "{}",
            again.stderr
        );
    }
    verify_ok(&env);
    total
}

#[test]
fn killed_while_writing_unacknowledged_events_leaves_nothing() {
    assert_eq!(kill_commit_at("events_written:1"), 0);
    assert_eq!(kill_commit_at("events_written:7"), 0);
}

#[test]
fn killed_after_the_head_moved_but_before_the_flush_is_all_or_nothing() {
    // Whether sled persisted the unflushed head is up to the OS; either
    // answer is fine, a half-applied one is not (checked inside).
    kill_commit_at("head_written:1");
}

#[test]
fn killed_after_acknowledgement_keeps_the_whole_commit() {
    assert_eq!(kill_commit_at("acknowledged:1"), ROWS);
}

/// A commit right after its preview projects while it appends, so a
/// chunk may be projected before the commit is acknowledged. Killed after
/// any chunk, the reopen shows all of it or nothing (checked inside);
/// after the last, which waits for the acknowledgement, all of it; and
/// after a chunk projected once the commit was acknowledged (the
/// projecting thread held back 3 s after its first chunk, while the
/// append went on), all of it.
#[test]
fn killed_while_projecting_completes_on_reopen() {
    // The commit's 6,001 events project in four chunks (chunks of
    // creations hold four times `CHUNK`, and none crosses an index range).
    for point in ["projected:1", "projected:2", "projected:3"] {
        kill_commit_at(point);
    }
    assert_eq!(kill_commit_at("projected:4"), ROWS);
    let behind = [("LEADGER_DELAY_AT", "projected:3000")];
    assert_eq!(kill_commit_at_with("projected:2", &behind), ROWS);
    assert_eq!(kill_commit_at_with("projected:3", &behind), ROWS);
}

/// Killed after a chunk projected before the commit was acknowledged (the
/// log's writer held back 500 ms after each of its twelve chunks, so the
/// first projection chunk, four of them, is written some three seconds
/// before the last): the reopen finds the `partial` marker, drops the
/// events past the head and rebuilds the projections without them, so
/// nothing of the commit shows, and it can be committed again.
#[test]
fn killed_after_projecting_ahead_of_the_acknowledgement_leaves_nothing() {
    let env = Env::new();
    let id = preview(&env);
    let slow_log = [("LEADGER_DELAY_AT", "events_written:500")];
    assert!(env.run_and_kill_at_with(&["imports", "commit", &id], "projected:1", &slow_log));
    let out = env.run(&["--json", "leads", "list", "--limit", "1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("discarding unacknowledged events past the log head"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("a catch-up was cut short while writing: rebuilding the projections"),
        "{}",
        out.stderr
    );
    assert_eq!(out.json()["total"].as_u64(), Some(0));
    verify_ok(&env);
    let again = env.run(&["--json", "imports", "commit", &id]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(lead_total(&env), ROWS);
    verify_ok(&env);
}

/// A commit's catch-up of several chunks writes them key by key behind the
/// `partial` marker, so the process that finds the marker after a kill
/// rebuilds the projections from the log (and says so) instead of going on
/// from a checkpoint a torn chunk may have overwritten.
#[test]
fn killed_while_projecting_is_rebuilt_from_the_log_on_reopen() {
    let env = Env::new();
    let id = preview(&env);
    // The projecting thread held back after its first chunk, so the
    // commit is acknowledged before the second.
    let behind = [("LEADGER_DELAY_AT", "projected:3000")];
    assert!(env.run_and_kill_at_with(&["imports", "commit", &id], "projected:2", &behind));
    let out = env.run(&["--json", "leads", "list", "--limit", "1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("a catch-up was cut short while writing: rebuilding the projections"),
        "{}",
        out.stderr
    );
    assert_eq!(out.json()["total"].as_u64(), Some(ROWS));
    // Rebuilt once: the next process finds no marker.
    let again = env.run(&["--json", "leads", "list", "--limit", "1"]);
    assert!(!again.stderr.contains("cut short"), "{}", again.stderr);
    verify_ok(&env);
}

/// An update commit's catch-up carries the updated leads from chunk to
/// chunk and writes them with its last (`app::Carry`). Killed before
/// that, none of them is lost: the reopen rebuilds the projections from
/// the log, and every lead shows its update.
#[test]
fn an_update_commit_killed_while_projecting_shows_every_update_on_reopen() {
    let env = Env::new();
    let id = preview(&env);
    let out = env.run(&["--json", "imports", "commit", &id]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut text = String::from("Lead Name,Export Value,City\n");
    for idx in 0..ROWS {
        text.push_str(&format!("Lead A {idx},A-{idx},Shelbyville\n"));
    }
    let file = env.write("update.csv", &text);
    let out = env.run(&["--json", "import", path_str(&file)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["counts"]["update"], ROWS);
    let update = out.json()["import_id"].to_string();
    // 3,000 updates project in chunks of `CHUNK` (500) events read whole.
    // Held back after each chunk, so the commit is acknowledged first.
    let behind = [("LEADGER_DELAY_AT", "projected:3000")];
    assert!(env.run_and_kill_at_with(&["imports", "commit", &update], "projected:3", &behind));
    for (n, crm_id) in [1, ROWS / 2, ROWS].into_iter().enumerate() {
        let out = env.run(&["--json", "leads", "show", &crm_id.to_string()]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(
            out.stderr.contains("rebuilding the projections"),
            n == 0,
            "{}",
            out.stderr
        );
        let lead = out.json();
        assert_eq!(lead["fields"]["City"], "Shelbyville", "lead {crm_id}");
        assert_eq!(lead["version"], 2, "lead {crm_id}");
    }
    verify_ok(&env);
}

/// A preview killed while it appends leaves its staged plan half written,
/// under a temporary name in `staged/`; the next process removes it, and
/// the file previewed again commits from its new staged plan.
#[test]
fn a_preview_killed_mid_way_leaves_no_staged_plan_behind() {
    let env = Env::new();
    let staged = |env: &Env| -> Vec<String> {
        std::fs::read_dir(env.data_dir().join("staged"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let file = env.write("big.csv", &big_csv(ROWS as usize, "A"));
    assert!(env.run_and_kill_at(&["import", path_str(&file)], "events_written:1"));
    let left = staged(&env);
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].starts_with(".staging-"), "{left:?}");
    assert_eq!(lead_total(&env), 0);
    assert!(staged(&env).is_empty(), "removed by the next open");
    let id = preview(&env);
    let kept = staged(&env);
    assert_eq!(kept.len(), 1);
    assert!(kept[0].starts_with("plan-"), "{kept:?}");
    let out = env.run(&["--json", "imports", "commit", &id]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(lead_total(&env), ROWS);
    assert!(staged(&env).is_empty());
    verify_ok(&env);
}
