//! Preview and commit (PRODUCT.md section 5) and the exit statuses of
//! section 7: re-uploads flagged, commits refused when the preview had
//! errors, when already committed and when stale; bad usage is exit 2.

use serde_json::json;

use crate::support::{Env, ACTOR};

fn path(file: &std::path::Path) -> &str {
    file.to_str().expect("a UTF-8 path")
}

#[test]
fn re_upload_of_a_committed_file_is_flagged_with_the_earlier_import() {
    let env = Env::new();
    let text = "Lead Name,City\nAcme,Paris\n";
    let first = env.import_csv("a.csv", text);
    assert_eq!(first["import_id"], 1);
    assert_eq!(first["preview"]["already_imported_as"], json!(null));
    // Same bytes under another name: the hash decides.
    let file = env.write_csv("renamed.csv", text);
    let again = env.preview_json(&file, &[]);
    assert_eq!(again["import_id"], 2);
    assert_eq!(again["already_imported_as"], 1);
    let committed_at = env.json(&["imports", "show", "1"])["results"]["committed_at"].clone();
    assert_eq!(again["already_imported_on"], committed_at);
    // The table output says it in words.
    let out = env.run(&["import", path(&file)]);
    out.expect_code(0);
    assert!(
        out.stdout.contains("already imported as import 1 on"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_file_only_previewed_before_is_not_flagged() {
    let env = Env::new();
    let file = env.write_csv("a.csv", "Lead Name\nAcme\n");
    env.preview_json(&file, &[]);
    let again = env.preview_json(&file, &[]);
    assert_eq!(again["import_id"], 2);
    assert_eq!(again["already_imported_as"], json!(null));
}

#[test]
fn commit_of_a_preview_with_errors_is_refused_with_exit_3() {
    let env = Env::new();
    let file = env.write_csv("bad.csv", "Lead Name,Country\nAcme,USA\nBeta,US\n");
    let preview = env.preview_json(&file, &[]);
    assert_eq!(preview["counts"]["errors"], 1);
    let out = env.run(&["imports", "commit", "1"]);
    out.expect_code(3);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("1 validation errors"), "{}", out.stderr);
    assert_eq!(env.json(&["leads", "list"])["total"], 0);
    assert_eq!(env.json(&["imports", "show", "1"])["status"], "previewed");
}

#[test]
fn import_with_commit_does_not_commit_a_file_with_errors() {
    let env = Env::new();
    let file = env.write_csv("bad.csv", "Lead Name,Lead Status\nAcme,Hot\nBeta,New\n");
    let out = env.run(&["--json", "import", path(&file), "--commit"]);
    out.expect_code(3);
    // The preview is printed so the user sees the errors.
    assert_eq!(out.json()["counts"]["errors"], 1);
    assert_eq!(env.json(&["leads", "list"])["total"], 0);
}

#[test]
fn second_commit_of_an_import_is_refused() {
    let env = Env::new();
    let file = env.write_csv("a.csv", "Lead Name\nAcme\n");
    let preview = env.preview_json(&file, &[]);
    env.commit_json(&preview["import_id"]);
    let out = env.run(&["imports", "commit", "1"]);
    out.expect_code(1);
    assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("already committed"), "{}", out.stderr);
    assert_eq!(env.all_leads().len(), 1);
}

#[test]
fn commit_is_refused_when_a_record_it_updates_changed_since_the_preview() {
    let env = Env::new();
    env.import_csv("seed.csv", "Export Value,Lead Name,City\nE1,Acme,Paris\n");
    let a = env.write_csv("a.csv", "Export Value,City\nE1,Lyon\n");
    let preview_a = env.preview_json(&a, &[]);
    assert_eq!(preview_a["rows"][0]["crm_id"], 1);
    env.import_csv("b.csv", "Export Value,City\nE1,Nice\n");
    let out = env.run(&["imports", "commit", &preview_a["import_id"].to_string()]);
    out.expect_code(1);
    assert!(out.stderr.contains("stale"), "{}", out.stderr);
    assert!(out.stderr.contains("preview"), "{}", out.stderr);
    assert_eq!(env.lead(1)["fields"]["City"], "Nice");
    assert_eq!(env.lead(1)["version"], 2);
}

#[test]
fn commit_is_refused_when_a_lead_it_would_create_was_created_since() {
    let env = Env::new();
    let a = env.write_csv("a.csv", "Lead Name,City\nZeta,Lyon\n");
    let preview_a = env.preview_json(&a, &[]);
    env.import_csv("b.csv", "Lead Name,City\nzeta,Nice\n");
    let out = env.run(&["imports", "commit", &preview_a["import_id"].to_string()]);
    out.expect_code(1);
    assert!(out.stderr.contains("stale"), "{}", out.stderr);
    assert_eq!(env.all_leads().len(), 1);
}

/// Regression: a preview that moves lead 1 to a new Export Value was
/// committed although another import had given that export value to a new
/// lead in the meantime, leaving two records with one export value (export
/// values are unique per kind) and the second one unreachable by it.
#[test]
fn commit_is_refused_when_the_export_value_it_assigns_was_taken_since() {
    let env = Env::new();
    env.import_csv("seed.csv", "Export Value,Lead Name\nE1,Acme\n");
    let a = env.write_csv("a.csv", "Account CRM ID,Export Value\n1,E7\n");
    let preview_a = env.preview_json(&a, &[]);
    assert_eq!(preview_a["rows"][0]["action"], "update");
    env.import_csv("b.csv", "Export Value,Lead Name\nE7,Newco\n");
    let out = env.run(&["imports", "commit", &preview_a["import_id"].to_string()]);
    out.expect_code(1);
    assert!(out.stderr.contains("stale"), "{}", out.stderr);
    let exports: Vec<_> = env
        .all_leads()
        .iter()
        .map(|l| l["fields"]["Export Value"].clone())
        .collect();
    assert_eq!(exports, [json!("E1"), json!("E7")]);
}

#[test]
fn an_unchanged_row_whose_record_changed_since_makes_the_commit_stale() {
    let env = Env::new();
    env.import_csv("seed.csv", "Export Value,Lead Name,City\nE1,Acme,Paris\n");
    let a = env.write_csv("a.csv", "Export Value,City\nE1,Paris\n");
    let preview_a = env.preview_json(&a, &[]);
    assert_eq!(preview_a["rows"][0]["action"], "unchanged");
    env.import_csv("b.csv", "Export Value,City\nE1,Nice\n");
    let out = env.run(&["imports", "commit", &preview_a["import_id"].to_string()]);
    out.expect_code(1);
}

#[test]
fn import_with_commit_answers_the_commit_with_the_preview_inside() {
    let env = Env::new();
    let commit = env.import_csv("a.csv", "Lead Name\nAcme\n");
    assert_eq!(commit["import_id"], 1);
    assert_eq!(commit["committed_by"], format!("cli:{ACTOR}"));
    assert_eq!(
        commit["counts"],
        json!({"imported": 1, "created": 1, "updated": 0, "unchanged": 0})
    );
    assert_eq!(commit["preview"]["import_id"], 1);
    assert_eq!(commit["preview"]["uploaded_by"], format!("cli:{ACTOR}"));
    assert_eq!(commit["preview"]["rows"][0]["action"], "create");
}

#[test]
fn commit_of_an_unknown_import_fails_with_exit_1() {
    let env = Env::new();
    let out = env.run(&["imports", "commit", "42"]);
    out.expect_code(1);
    assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("no import 42"), "{}", out.stderr);
}

#[test]
fn bad_usage_exits_with_status_2() {
    let env = Env::new();
    let file = env.write_csv("a.csv", "Lead Name\nAcme\n");
    let cases: Vec<Vec<&str>> = vec![
        vec!["import", path(&file), "--frobnicate"],
        vec!["import", path(&file), "--kind", "foo"],
        vec!["import", path(&file), "--date-format", "mars"],
        vec!["import"],
        vec!["leads", "show", "abc"],
        vec!["leads", "list", "--limit", "-1"],
        vec!["imports", "commit"],
        vec!["imports", "file", "1"],
        vec!["audit", "field"],
        vec!["bogus-command"],
        vec![],
    ];
    for args in cases {
        let out = env.run(&args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(!out.stderr.trim().is_empty(), "{args:?}");
    }
    // Nothing was imported along the way.
    assert_eq!(env.json(&["imports", "list"])["total"], 0);
}

#[test]
fn other_failures_exit_with_status_1_and_a_one_line_reason() {
    let env = Env::new();
    let pdf = env.write_bytes("leads.pdf", b"%PDF-1.4\n");
    let missing = env.path("missing.csv");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["import", path(&missing)], "missing.csv"),
        (vec!["import", path(&pdf)], ".pdf"),
        (vec!["leads", "show", "7"], "7"),
        (vec!["leads", "history", "7"], "7"),
        (vec!["imports", "show", "3"], "3"),
    ];
    for (args, mention) in cases {
        let out = env.run(&args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert_eq!(
            out.stderr.trim().lines().count(),
            1,
            "{args:?}: {}",
            out.stderr
        );
        assert!(out.stderr.contains(mention), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn successful_commands_exit_with_status_0() {
    let env = Env::new();
    let file = env.write_csv("a.csv", "Lead Name\nAcme\n");
    for args in [
        vec!["import", path(&file)],
        vec!["imports", "commit", "1"],
        vec!["imports", "list"],
        vec!["imports", "show", "1"],
        vec!["leads", "list"],
        vec!["leads", "show", "1"],
        vec!["leads", "history", "1"],
        vec!["audit", "import", "1"],
        vec!["audit", "field", "Lead Name"],
        vec!["ledger", "verify"],
        vec!["ledger", "rebuild"],
    ] {
        let out = env.run(&args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert!(!out.stdout.trim().is_empty(), "{args:?} printed nothing");
        // No progress bar or log noise when stderr is not a terminal.
        assert_eq!(out.stderr, "", "{args:?}");
    }
}

#[test]
fn a_data_directory_in_use_fails_with_exit_1_and_says_so() {
    let env = Env::new();
    env.json(&["leads", "list"]);
    let _held =
        leadger_store::SledStore::open(&env.data_dir(), leadger_store::StoreOptions::default())
            .expect("hold the data directory");
    let out = env.run(&["leads", "list"]);
    out.expect_code(1);
    assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("in use"), "{}", out.stderr);
}

/// `imports show` answers the preview as it was (errors, warnings, plan,
/// counts) with the commit's answer under `results`, and `import --commit`
/// puts the same preview under `preview`. These answers are streamed from
/// the log as they are printed, so each is checked against the other.
#[test]
fn imports_show_answers_the_preview_and_the_commit_as_they_were_given() {
    let env = Env::new();
    env.import_csv("first.csv", "Lead Name,Export Value\nAcme,A1\n");
    let text =
        "Lead Name,Export Value,City,Email\nAcme,A1,Paris,\nBeta,,Rome,bad@mail\nAcme,A1,,\n";
    let file = env.write_csv("second.csv", text);
    // The third row repeats the first's export value: an error.
    let preview = env.preview_json(&file, &[]);
    assert_eq!(preview["counts"]["errors"], 1, "{preview}");
    let shown = env.json(&["imports", "show", "2"]);
    for field in [
        "import_id",
        "kind",
        "file",
        "counts",
        "errors",
        "warnings",
        "rows",
    ] {
        assert_eq!(shown[field], preview[field], "{field}");
    }
    assert_eq!(shown["warnings"][0]["column"], "Email");
    assert_eq!(shown["results"], json!(null));

    let clean = env.write_csv(
        "third.csv",
        "Lead Name,Export Value,City\nAcme,A1,Lyon\nGamma,G1,\n",
    );
    let answer = env.import_file(&clean, &[]);
    let id = answer["import_id"]
        .as_u64()
        .expect("an import id")
        .to_string();
    let shown = env.json(&["imports", "show", &id]);
    assert_eq!(shown["status"], "committed");
    for field in ["counts", "errors", "warnings", "rows"] {
        assert_eq!(shown[field], answer["preview"][field], "{field}");
    }
    assert_eq!(answer["preview"]["status"], "previewed");
    let results = &shown["results"];
    for field in [
        "import_id",
        "committed_by",
        "committed_at",
        "counts",
        "leads",
    ] {
        assert_eq!(results[field], answer[field], "{field}");
    }
    let leads: Vec<_> = results["leads"]
        .as_array()
        .expect("leads")
        .iter()
        .map(|l| (l["row"].clone(), l["action"].clone(), l["crm_id"].clone()))
        .collect();
    assert_eq!(
        leads,
        [
            (json!(2), json!("update"), json!(1)),
            (json!(3), json!("create"), json!(2))
        ]
    );
    // The table prints the plan and the results too.
    let out = env.run(&["imports", "show", &id]);
    out.expect_code(0);
    assert!(out.stdout.contains("committed import"), "{}", out.stdout);
    assert!(out.stdout.contains("Gamma"), "{}", out.stdout);
}

/// A preview of creates stages its plan for the commit in
/// `DIR/staged`; the commit right after reads it instead of the plan rows
/// once its digest is the one the preview recorded, and removes it. A
/// staged file damaged in between is read past: the commit reads the plan
/// from the log and commits exactly the same.
#[test]
fn a_commit_reads_past_a_damaged_staged_plan() {
    let staged = |env: &Env| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(env.data_dir().join("staged"))
            .expect("staged dir")
            .map(|e| e.expect("entry").path())
            .collect()
    };
    let mut text = String::from("Lead Name,Export Value,City\n");
    for i in 0..300 {
        text.push_str(&format!("Lead {i},E{i},Paris\n"));
    }
    let mut answers = Vec::new();
    for damage in [false, true] {
        let env = Env::new();
        let file = env.write_csv("a.csv", &text);
        let preview = env.preview_json(&file, &[]);
        let files = staged(&env);
        assert_eq!(files.len(), 1, "{files:?}");
        if damage {
            let mut bytes = std::fs::read(&files[0]).expect("read");
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0x20;
            std::fs::write(&files[0], bytes).expect("write");
        }
        let mut commit = env.commit_json(&preview["import_id"]);
        assert_eq!(commit["counts"]["created"], 300);
        assert!(staged(&env).is_empty(), "removed once committed");
        assert_eq!(env.lead(300)["fields"]["Export Value"], "E299");
        assert_eq!(env.json(&["ledger", "verify"])["ok"], true);
        commit["committed_at"] = json!(null);
        answers.push(commit);
    }
    assert_eq!(answers[0], answers[1]);
}
