//! The JSON contract of PRODUCT.md section 7: the fields of a preview, a
//! commit, a listing and a record, and the paging of `leads list`.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::support::Env;

/// The keys of a JSON object.
fn keys(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect()
}

/// Asserts that `value` has at least the keys `wanted`.
fn has_keys(value: &Value, wanted: &[&str]) {
    let have = keys(value);
    for key in wanted {
        assert!(have.contains(key), "no `{key}` in {value}");
    }
}

#[test]
fn preview_has_the_fields_of_the_contract() {
    let env = Env::new();
    env.import_csv("seed.csv", "Export Value,Lead Name\nE1,Acme\n");
    let text = "Export Value,Lead Name,Email,Country\nE1,Acme,,\nE2,Beta,b@beta,\nE3,Gamma,,USA\n";
    let file = env.write_csv("p.csv", text);
    let p = env.preview_json(&file, &[]);
    has_keys(
        &p,
        &[
            "import_id",
            "kind",
            "file",
            "already_imported_as",
            "counts",
            "errors",
            "warnings",
            "rows",
        ],
    );
    assert_eq!(p["import_id"], 2);
    assert_eq!(p["kind"], "leads");
    assert_eq!(keys(&p["file"]), BTreeSet::from(["name", "size", "blake3"]));
    assert_eq!(p["file"]["name"], "p.csv");
    assert_eq!(p["file"]["size"], text.len());
    assert_eq!(p["already_imported_as"], Value::Null);
    assert_eq!(
        p["counts"],
        json!({"create": 2, "update": 0, "unchanged": 1, "errors": 1, "warnings": 1})
    );
    assert_eq!(
        p["errors"][0],
        json!({"row": 4, "column": "Country", "value": "USA",
               "message": p["errors"][0]["message"].clone()})
    );
    assert_eq!(
        keys(&p["warnings"][0]),
        BTreeSet::from(["row", "column", "value", "message"])
    );
    assert_eq!(p["warnings"][0]["value"], "b@beta");
    assert_eq!(
        p["rows"],
        json!([
            {"row": 2, "lead_name": "Acme", "action": "unchanged", "crm_id": 1},
            {"row": 3, "lead_name": "Beta", "action": "create", "crm_id": null},
            {"row": 4, "lead_name": "Gamma", "action": "create", "crm_id": null},
        ])
    );
}

#[test]
fn preview_file_hash_is_the_blake3_of_the_bytes_kept_under_it() {
    let env = Env::new();
    let bytes = b"Lead Name\nAcme\n";
    let file = env.write_bytes("h.csv", bytes);
    let p = env.preview_json(&file, &[]);
    let hash = p["file"]["blake3"].as_str().expect("a hash");
    assert_eq!(hash.len(), 64);
    assert!(hash
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    let kept = std::fs::read(env.data_dir().join("files").join(hash)).expect("the kept file");
    assert_eq!(kept, bytes);
    let other = env.write_bytes("i.csv", b"Lead Name\nBeta\n");
    assert_ne!(env.preview_json(&other, &[])["file"]["blake3"], hash);
}

#[test]
fn commit_has_the_fields_of_the_contract() {
    let env = Env::new();
    env.import_csv(
        "seed.csv",
        "Export Value,Lead Name,City\nE1,Acme,Paris\nE2,Beta,Rome\n",
    );
    let file = env.write_csv(
        "c.csv",
        "Export Value,Lead Name,City\nE1,Acme,Paris\nE2,Beta,Oslo\nE3,Gamma,Bern\n",
    );
    let preview = env.preview_json(&file, &[]);
    let c = env.commit_json(&preview["import_id"]);
    has_keys(&c, &["import_id", "counts", "leads"]);
    assert_eq!(c["import_id"], 2);
    assert_eq!(
        c["counts"],
        json!({"imported": 3, "created": 1, "updated": 1, "unchanged": 1})
    );
    assert_eq!(
        c["leads"],
        json!([
            {"row": 2, "crm_id": 1, "lead_name": "Acme", "action": "unchanged", "url": "/leads/1"},
            {"row": 3, "crm_id": 2, "lead_name": "Beta", "action": "update", "url": "/leads/2"},
            {"row": 4, "crm_id": 3, "lead_name": "Gamma", "action": "create", "url": "/leads/3"},
        ])
    );
    // `imports show` keeps the same answer under `results`.
    assert_eq!(env.json(&["imports", "show", "2"])["results"], c);
}

#[test]
fn record_has_the_fields_of_the_contract() {
    let env = Env::new();
    env.import_csv(
        "r.csv",
        "Lead Name,City,Employees,Do Not Contact,Contact First Name,Contact Last Name\nAcme,Paris,12,No,Jane,Doe\n",
    );
    env.import_csv("u.csv", "Lead Name,City\nAcme,Lyon\n");
    let record = env.lead(1);
    assert_eq!(
        record,
        json!({
            "crm_id": 1,
            "kind": "leads",
            "fields": {"Lead Name": "Acme", "City": "Lyon", "Employees": 12, "Do Not Contact": false},
            "contacts": [{"Contact First Name": "Jane", "Contact Last Name": "Doe"}],
            "communications": [],
            "opportunities": [],
            "created_by_import": 1,
            "version": 2,
        })
    );
    let listing = env.json(&["leads", "list"]);
    assert_eq!(listing["leads"][0], record);
}

#[test]
fn listings_have_total_offset_limit_and_items() {
    let env = Env::new();
    env.import_csv("a.csv", "Lead Name\nAcme\nBeta\n");
    env.import_csv("b.csv", "Lead Name\nGamma\n");
    let leads = env.json(&["leads", "list"]);
    assert_eq!(
        keys(&leads),
        BTreeSet::from(["total", "offset", "limit", "leads"])
    );
    assert_eq!(
        (&leads["total"], &leads["offset"], &leads["limit"]),
        (&json!(3), &json!(0), &json!(100))
    );
    let imports = env.json(&["imports", "list"]);
    assert_eq!(
        keys(&imports),
        BTreeSet::from(["total", "offset", "limit", "imports"])
    );
    assert_eq!(imports["total"], 2);
    let ids: Vec<&Value> = imports["imports"]
        .as_array()
        .expect("imports")
        .iter()
        .map(|i| &i["import_id"])
        .collect();
    assert_eq!(ids, [&json!(2), &json!(1)], "newest first");
    let page = env.json(&["imports", "list", "--limit", "1", "--offset", "1"]);
    assert_eq!(page["imports"][0]["import_id"], 1);
    assert_eq!(
        (&page["total"], &page["limit"], &page["offset"]),
        (&json!(2), &json!(1), &json!(1))
    );
}

fn crm_ids(listing: &Value) -> Vec<u64> {
    listing["leads"]
        .as_array()
        .expect("leads")
        .iter()
        .map(|l| l["crm_id"].as_u64().expect("crm_id"))
        .collect()
}

#[test]
fn leads_list_pages_100_by_default_all_with_limit_0_and_honours_offset() {
    let env = Env::new();
    let mut csv = String::from("Lead Name\n");
    for n in 1..=105 {
        csv.push_str(&format!("Lead {n:03}\n"));
    }
    env.import_csv("many.csv", &csv);
    let first = env.json(&["leads", "list"]);
    assert_eq!(
        (&first["total"], &first["limit"]),
        (&json!(105), &json!(100))
    );
    assert_eq!(crm_ids(&first), (1..=100).collect::<Vec<_>>());
    let all = env.json(&["leads", "list", "--limit", "0"]);
    assert_eq!(crm_ids(&all), (1..=105).collect::<Vec<_>>());
    let rest = env.json(&["leads", "list", "--offset", "100"]);
    assert_eq!(crm_ids(&rest), (101..=105).collect::<Vec<_>>());
    let page = env.json(&["leads", "list", "--limit", "10", "--offset", "3"]);
    assert_eq!(crm_ids(&page), (4..=13).collect::<Vec<_>>());
    assert_eq!(
        (&page["offset"], &page["limit"], &page["total"]),
        (&json!(3), &json!(10), &json!(105))
    );
    let past = env.json(&["leads", "list", "--offset", "200"]);
    assert_eq!((crm_ids(&past), &past["total"]), (vec![], &json!(105)));
}

#[test]
fn leads_list_filters_by_kind() {
    let env = Env::new();
    env.import_csv("a.csv", "Lead Name\nAcme\nBeta\n");
    let org = env.write_csv("o.csv", "Lead Name\nOrgCo\n");
    env.import_file(&org, &["--kind", "organizations"]);
    let orgs = env.json(&["leads", "list", "--kind", "organizations"]);
    assert_eq!((crm_ids(&orgs), &orgs["total"]), (vec![3], &json!(1)));
    assert_eq!(orgs["leads"][0]["kind"], "organizations");
    let leads = env.json(&["leads", "list", "--kind", "leads", "--offset", "1"]);
    assert_eq!((crm_ids(&leads), &leads["total"]), (vec![2], &json!(2)));
    let all = env.json(&["leads", "list"]);
    assert_eq!((crm_ids(&all), &all["total"]), (vec![1, 2, 3], &json!(3)));
}

#[test]
fn without_json_the_output_is_a_readable_table() {
    let env = Env::new();
    env.import_csv("a.csv", "Lead Name,City\nAcme,Paris\n");
    let out = env.run(&["leads", "list"]);
    out.expect_code(0);
    assert!(
        serde_json::from_str::<Value>(&out.stdout).is_err(),
        "{}",
        out.stdout
    );
    let header = out.stdout.lines().next().expect("a header line");
    assert!(
        header.contains("crm id") && header.contains("lead name"),
        "{header}"
    );
    assert!(
        out.stdout.contains("Acme") && out.stdout.contains("Paris"),
        "{}",
        out.stdout
    );
}

#[test]
fn data_directory_comes_from_the_flag_the_environment_or_the_default() {
    let env = Env::new();
    let file = env.write_csv("a.csv", "Lead Name\nAcme\n");
    let work = env.path("work");
    std::fs::create_dir(&work).expect("a working directory");
    let run = |data_env: Option<&std::path::Path>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_leadger"));
        cmd.current_dir(&work).env_remove("LEADGER_DATA_DIR");
        if let Some(dir) = data_env {
            cmd.env("LEADGER_DATA_DIR", dir);
        }
        let out = cmd
            .args(["--json", "import", file.to_str().expect("path"), "--commit"])
            .output()
            .expect("run leadger");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let from_env = env.path("from-env");
    run(Some(&from_env));
    assert!(from_env.join("db").is_dir());
    run(None);
    assert!(work.join("leadger-data").join("db").is_dir());
    // Neither run touched the test's own data directory.
    assert!(!env.data_dir().exists());
}

/// A program reading `--json` through a pipe gets one compact line (no
/// indentation: a million-row answer is a third smaller), with the same
/// fields an indented answer at a terminal has.
#[test]
fn piped_json_is_one_compact_line() {
    let env = Env::new();
    let p = env.import_csv("c.csv", "Export Value,Lead Name\nE1,Acme\nE2,Beta\n");
    let out = env.run(&["--json", "imports", "show", &p["import_id"].to_string()]);
    out.expect_code(0);
    let body = out
        .stdout
        .strip_suffix('\n')
        .expect("the answer ends its line");
    assert!(!body.contains('\n'), "more than one line:\n{}", out.stdout);
    assert!(
        body.starts_with("{\"import_id\":"),
        "not compact:\n{}",
        out.stdout
    );
    let shown = out.json();
    has_keys(&shown, &["import_id", "kind", "file", "counts", "rows"]);
    assert_eq!(shown["rows"].as_array().map(Vec::len), Some(2), "{shown}");
}
