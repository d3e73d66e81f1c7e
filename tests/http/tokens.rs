//! Tokens: the first start creates and prints an admin token once; the
//! CLI creates, lists and revokes; a revoked token stops working; the
//! token's name is the actor of what it does.

use tempfile::TempDir;

use crate::support::{cli, create_token, data_dir, serve};

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
