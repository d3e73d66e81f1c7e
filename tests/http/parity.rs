//! The CLI's `--json` and the API give the same JSON for the same file:
//! preview (CSV and xlsx), commit, listing, one lead and its history, and
//! the ledger check. Only who acted and when differ (a CLI user against a
//! token), so those are set aside.

use serde_json::Value;
use tempfile::TempDir;

use crate::support::{cli, create_token, spawn_app, xlsx};

/// Removes the fields that name who acted and when, at any depth.
fn normalise(mut v: Value) -> Value {
    const AWAY: [&str; 6] = [
        "import_id",
        "uploaded_at",
        "uploaded_by",
        "committed_at",
        "committed_by",
        "at",
    ];
    match &mut v {
        Value::Object(map) => {
            for key in AWAY.iter().chain(&["actor"]) {
                map.remove(*key);
            }
            for value in map.values_mut() {
                *value = normalise(value.take());
            }
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                *item = normalise(item.take());
            }
        }
        _ => {}
    }
    v
}

fn cli_json(data: &std::path::Path, args: &[&str], code: i32) -> Value {
    let run = cli(data, args);
    assert_eq!(run.code, code, "{run:?}");
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"))
}

#[test]
fn the_cli_and_the_api_answer_the_same_json() {
    let files = TempDir::new().unwrap();
    let cli_data = files.path().join("cli-data");
    let good = "Lead Name,Export Value,Employees,Email,Do Not Contact,Birthdate,Contact First Name,Contact Last Name\n\
                Acme,E1,12,joe@acmecom,Y,cat,Joe,Bloggs\n\
                Beta,E2,,,No,03/04/1990,,\n";
    let bad = "Lead Name,Country,Industy\nGamma,USA,Retail\n";
    std::fs::write(files.path().join("good.csv"), good).unwrap();
    std::fs::write(files.path().join("bad.csv"), bad).unwrap();
    let path = |name: &str| files.path().join(name).display().to_string();

    let app = spawn_app();
    // The same tokens as the server's, so the two logs line up event for
    // event (history entries carry their sequence numbers).
    create_token(&cli_data, "ops", "admin");
    create_token(&cli_data, "audit", "auditor");

    // A preview with warnings and sub-records.
    let by_cli = cli_json(&cli_data, &["--json", "import", &path("good.csv")], 0);
    let by_api = app.upload("good.csv", good.as_bytes()).ok();
    assert!(by_api["counts"]["warnings"].as_u64().unwrap() > 0);
    assert_eq!(normalise(by_cli.clone()), normalise(by_api.clone()));
    // What was set aside is there in both, with the same shape.
    for key in ["import_id", "uploaded_at", "uploaded_by"] {
        assert!(by_cli[key].is_number() || by_cli[key].is_string(), "{key}");
        assert_eq!(by_cli[key].is_number(), by_api[key].is_number(), "{key}");
    }

    // Its commit.
    let by_cli = cli_json(&cli_data, &["--json", "imports", "commit", "1"], 0);
    let by_api = app.commit(1).ok();
    assert_eq!(normalise(by_cli), normalise(by_api));

    // A preview with errors (the CLI exits 3 and still prints it).
    let by_cli = cli_json(&cli_data, &["--json", "import", &path("bad.csv")], 3);
    let by_api = app.upload("bad.csv", bad.as_bytes()).ok();
    assert!(by_api["counts"]["errors"].as_u64().unwrap() >= 2);
    assert_eq!(normalise(by_cli), normalise(by_api));

    // An .xlsx preview: an update of Acme (CRM ID 1) and a new lead.
    let book = xlsx(&[
        vec!["Export Value", "Lead Name", "City", "Employees", "Email"],
        vec!["E1", "Acme", "Boston", "40", ""],
        vec!["E3", "Delta", "", "7", "ann@delta.example"],
    ]);
    std::fs::write(files.path().join("book.xlsx"), &book).unwrap();
    let by_cli = cli_json(&cli_data, &["--json", "import", &path("book.xlsx")], 0);
    let by_api = app.upload("book.xlsx", &book).ok();
    assert_eq!(by_api["rows"][0]["action"], "update");
    assert_eq!(by_api["rows"][1]["action"], "create");
    assert_eq!(normalise(by_cli), normalise(by_api));

    // Listings, one record, history, one import, changes.
    let pairs = [
        (vec!["leads", "list"], "/api/leads"),
        (vec!["leads", "show", "1"], "/api/leads/1"),
        (vec!["leads", "history", "1"], "/api/leads/1/history"),
        (vec!["imports", "list"], "/api/imports"),
        (vec!["imports", "show", "1"], "/api/imports/1"),
        (vec!["audit", "import", "1"], "/api/imports/1/changes"),
    ];
    for (args, route) in pairs {
        let mut full = vec!["--json"];
        full.extend(args.iter().copied());
        let by_cli = cli_json(&cli_data, &full, 0);
        let by_api = app.get(route).ok();
        assert_eq!(normalise(by_cli), normalise(by_api), "{route}");
    }
    // Without normalising, the CRM view is identical.
    let by_cli = cli_json(&cli_data, &["--json", "leads", "list"], 0);
    assert_eq!(by_cli, app.get("/api/leads").ok());

    // The ledger check: both logs hold as many events and are intact.
    // Only the tips differ, as each seals who acted and when.
    let mut by_cli = cli_json(&cli_data, &["--json", "ledger", "verify"], 0);
    let mut by_api = app.get("/api/ledger/verify").ok();
    assert_eq!(by_api["ok"], true, "{by_api}");
    for verify in [&mut by_cli, &mut by_api] {
        let tip = verify.as_object_mut().unwrap().remove("tip").unwrap();
        let tip = tip.as_str().unwrap();
        assert!(
            tip.len() == 64 && tip.bytes().all(|b| b.is_ascii_hexdigit()),
            "{tip}"
        );
    }
    assert_eq!(by_cli, by_api);
}
