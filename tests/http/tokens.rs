//! Tokens: the first start creates and prints an admin token once; the
//! CLI creates, lists and revokes; a revoked token stops working; the
//! token's name is the actor of what it does; creating and revoking are
//! events, and no secret is ever written to the data directory.

use std::path::Path;

use tempfile::TempDir;

use crate::support::{cli, cli_json, create_token, data_dir, serve};

#[test]
fn the_first_start_prints_an_admin_token_once() {
    let app = serve(TempDir::new().unwrap(), &[]);
    let token = app.printed_token.clone().expect("no admin token printed");
    assert!(token.starts_with("ldg_"));
    let preview = app.upload("a.csv", b"Lead Name\nAcme\n").ok();
    assert_eq!(preview["uploaded_by"], "admin");

    let app = app.restart(&[]);
    assert_eq!(app.printed_token, None, "a second admin token was printed");
    let listing = app.get_as(&token, "/api/imports").ok();
    assert_eq!(listing["total"], 1);
}

#[test]
fn the_cli_creates_lists_and_revokes_tokens() {
    let dir = TempDir::new().unwrap();
    let data = data_dir(&dir);
    let run = cli(
        &data,
        &["--json", "tokens", "create", "ops", "--role", "admin"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let created: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(created["name"], "ops");
    assert_eq!(created["role"], "admin");
    let ops = created["token"].as_str().unwrap().to_string();
    assert_eq!(created.as_object().unwrap().len(), 3);

    let old = create_token(&data, "old", "auditor");
    let dup = cli(&data, &["tokens", "create", "ops", "--role", "auditor"]);
    assert_eq!(dup.code, 1);
    assert!(dup.stderr.contains("already an active token"), "{dup:?}");
    let bad_role = cli(&data, &["tokens", "create", "x", "--role", "owner"]);
    assert_eq!(bad_role.code, 2, "{bad_role:?}");

    let revoked = cli(&data, &["tokens", "revoke", "old"]);
    assert_eq!(revoked.code, 0, "{revoked:?}");
    let again = cli(&data, &["tokens", "revoke", "old"]);
    assert_eq!(again.code, 1, "{again:?}");

    let run = cli(&data, &["--json", "tokens", "list"]);
    let list: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let old_row = list.iter().find(|t| t["name"] == "old").unwrap();
    assert!(old_row["revoked_at"].is_string());
    assert_eq!(old_row["role"], "auditor");
    assert_eq!(old_row["created_by"], "cli:tester");
    assert!(!run.stdout.contains(&ops), "the list shows a secret");

    // An active token exists, so serve prints none; the revoked one fails.
    let app = serve(dir, &[]);
    assert_eq!(app.printed_token, None);
    app.get_as(&old, "/api/leads").error(401, "unauthorized");
    app.get_as(&ops, "/api/leads").ok();
}

/// The number of events in the log and its tip, by `ledger verify`.
fn log_state(data: &Path) -> (u64, String) {
    let verify = cli_json(data, &["ledger", "verify"]);
    assert_eq!(verify["ok"], true, "{verify}");
    let tip = verify["tip"].as_str().unwrap().to_string();
    (verify["events"].as_u64().unwrap(), tip)
}

/// The paths of the files under `dir` whose bytes contain `needle`.
fn files_holding(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                if bytes.windows(needle.len()).any(|w| w == needle) {
                    found.push(path.display().to_string());
                }
            }
        }
    }
    found
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn creating_and_revoking_tokens_are_events_and_secrets_are_never_stored() {
    let dir = TempDir::new().unwrap();
    let data = data_dir(&dir);
    // A new ledger holds one event: the seeded reference data.
    let (n_seeded, _) = log_state(&data);

    // The admin token `serve` creates on a first start is an event too.
    let mut app = serve(dir, &[]);
    let printed = app.printed_token.clone().expect("no admin token printed");
    app.stop();
    let (n_served, tip_served) = log_state(&data);
    assert_eq!(n_served, n_seeded + 1);

    let ops = create_token(&data, "ops", "admin");
    let (n_created, tip_created) = log_state(&data);
    assert_eq!(n_created, n_served + 1, "tokens create wrote no event");
    assert_ne!(tip_created, tip_served);
    let old = create_token(&data, "old", "auditor");
    let revoked = cli(&data, &["tokens", "revoke", "old"]);
    assert_eq!(revoked.code, 0, "{revoked:?}");
    let (n_revoked, _) = log_state(&data);
    assert_eq!(n_revoked, n_created + 2, "tokens revoke wrote no event");

    // Rebuilt from the log alone, the tokens are the same: they live in
    // events, not only in a table.
    let listed = cli_json(&data, &["tokens", "list"]);
    let rebuilt = cli_json(&data, &["ledger", "rebuild"]);
    assert_eq!(rebuilt["identical"], true, "{rebuilt}");
    assert_eq!(cli_json(&data, &["tokens", "list"]), listed);
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin", "old", "ops"]);

    // No secret is in any file of the data directory, as text, as its hex
    // digits or as the bytes they spell; each one's blake3 hash is (which
    // shows the search reads what the store wrote).
    let mut app = app.restart(&[]);
    app.get_as(&ops, "/api/leads").ok();
    app.get_as(&old, "/api/leads").error(401, "unauthorized");
    app.stop();
    for secret in [&printed, &ops, &old] {
        let digits = secret.strip_prefix("ldg_").unwrap();
        for needle in [secret.as_bytes(), digits.as_bytes(), &hex_bytes(digits)] {
            let holding = files_holding(&data, needle);
            assert!(
                holding.is_empty(),
                "a token secret is stored in {holding:?}"
            );
        }
        let hash = blake3::hash(secret.as_bytes());
        assert!(
            !files_holding(&data, hash.as_bytes()).is_empty(),
            "no file holds the hash of {secret}"
        );
    }
}
