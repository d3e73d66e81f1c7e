//! The server's life: the CLI is refused in one clear line while `serve`
//! holds the data directory, and SIGTERM stops the server cleanly with
//! everything it acknowledged intact.

use std::process::Command;
use std::time::Duration;

use crate::support::{cli, leads_csv, spawn_app};

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

    let sent = Command::new("kill")
        .args(["-TERM", &app.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
    let status = app.wait_exit(Duration::from_secs(60));
    assert!(status.success(), "serve exited with {status}");

    // The directory is free again and the ledger intact.
    let run = cli(&app.data(), &["--json", "ledger", "verify"]);
    assert_eq!(run.code, 0, "{run:?}");
    let verify: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(verify["ok"], true);
    let run = cli(&app.data(), &["--json", "leads", "list", "--limit", "1"]);
    let leads: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(leads["total"], 50);
}
