//! A template filled in the way a person would (openpyxl types into the
//! cells, drop-down values included, dates as real dates, each cell taking
//! its column's format) imports with no errors, and the records hold what
//! was typed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};

use crate::support::{openpyxl_fill, App};

/// Previews `file` (no errors, no warnings, `names` created in order),
/// commits it, and returns the CRM IDs created.
fn import_clean(app: &App, file: &std::path::Path, kind: &str, names: &[&str]) -> Vec<u64> {
    let preview = app.json([
        "import".as_ref(),
        file.as_os_str(),
        "--kind".as_ref(),
        kind.as_ref(),
    ]);
    assert_eq!(preview["counts"]["errors"], 0, "{preview:#}");
    assert_eq!(preview["counts"]["warnings"], 0, "{preview:#}");
    assert_eq!(preview["counts"]["create"], names.len(), "{preview:#}");
    let planned: Vec<(&str, &str)> = preview["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["lead_name"].as_str().unwrap(),
                r["action"].as_str().unwrap(),
            )
        })
        .collect();
    let want: Vec<(&str, &str)> = names.iter().map(|n| (*n, "create")).collect();
    assert_eq!(planned, want);

    let commit = app.import_commit(file, kind);
    assert_eq!(commit["counts"]["created"], names.len(), "{commit:#}");
    commit["leads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["crm_id"].as_u64().unwrap())
        .collect()
}

fn show(app: &App, crm_id: u64) -> Value {
    app.json(["leads", "show", &crm_id.to_string()])
}

#[test]
fn a_filled_leads_template_imports_without_errors() {
    let app = App::new();
    let template = app.template("leads-template.xlsx", &[]);
    let rows = json!([
        {
            "Lead Name": "Acme Corporation", "Export Value": "ACME-001",
            "Lead Status": "Qualified", "Lead Source": "Referral", "Industry": "Manufacturing",
            "Email": "info@acme.example", "Phone": "0800 555 0100",
            "Website": "https://acme.example", "Address 1": "1 Main Street",
            "City": "Springfield", "State": "Illinois", "Postal Code": "02134",
            "Country": "United States", "Birthdate": {"date": "1980-04-30"},
            "Annual Revenue": 1250000.5, "Employees": 250, "Do Not Contact": "No",
            "Notes": "Met at the spring fair",
            "Contact First Name": "Jane", "Contact Last Name": "Doe",
            "Contact Phone": "0800 555 0101", "Contact Mobile": "07009001234",
            "Contact Birthdate": {"date": "1975-11-02"},
            "Communication Subject": "Introductory call", "Communication Type": "Phone Call",
            "Communication Date": {"datetime": "2026-03-01T14:30:00"},
            "Opportunity Title": "Spring order", "Opportunity Stage": "Proposal",
            "Opportunity Amount": 12500, "Opportunity Close Date": {"date": "2026-06-30"},
            "Opportunity Probability": 40
        },
        {
            "Lead Name": "Maple Leaf Supplies", "Export Value": "00042",
            "Country": "Canada", "State": "Ontario", "Postal Code": "00501",
            "Do Not Contact": "Yes"
        }
    ]);
    let filled = openpyxl_fill(&app, &template, "leads.xlsx", &rows);
    let ids = import_clean(
        &app,
        &filled,
        "leads",
        &["Acme Corporation", "Maple Leaf Supplies"],
    );

    let acme = show(&app, ids[0]);
    assert_eq!(acme["kind"], "leads");
    let f = &acme["fields"];
    assert_eq!(f["Lead Status"], "Qualified");
    assert_eq!(f["Postal Code"], "02134", "the text column kept the zero");
    assert_eq!(f["Phone"], "0800 555 0100");
    assert_eq!(f["Country"], "US");
    assert_eq!(f["State"], "IL");
    assert_eq!(f["Birthdate"], "1980-04-30");
    assert_eq!(f["Employees"], 250);
    assert_eq!(f["Do Not Contact"], false);
    assert_eq!(acme["contacts"][0]["Contact Mobile"], "07009001234");
    assert_eq!(acme["contacts"][0]["Contact Birthdate"], "1975-11-02");
    let communication = &acme["communications"][0];
    assert_eq!(communication["Communication Type"], "Phone Call");
    assert!(communication["Communication Date"]
        .as_str()
        .unwrap()
        .starts_with("2026-03-01T14:30"));
    let opportunity = &acme["opportunities"][0];
    assert_eq!(opportunity["Opportunity Stage"], "Proposal");
    assert_eq!(opportunity["Opportunity Close Date"], "2026-06-30");
    assert_eq!(opportunity["Opportunity Probability"], 40);

    let maple = show(&app, ids[1]);
    let f = &maple["fields"];
    assert_eq!(f["Export Value"], "00042", "the text column kept the zeros");
    assert_eq!(f["Postal Code"], "00501");
    assert_eq!((&f["Country"], &f["State"]), (&json!("CA"), &json!("ON")));
    assert_eq!(f["Do Not Contact"], true);
}

#[test]
fn a_filled_organizations_template_imports_without_errors() {
    let app = App::new();
    let template = app.template(
        "organizations-template.xlsx",
        &[
            "--kind",
            "organizations",
            "--categories",
            "main,opportunity",
        ],
    );
    let rows = json!([{
        "Lead Name": "Globex", "Lead Status": "Customer", "Industry": "Technology",
        "Postal Code": "00501", "Country": "United States", "State": "New York",
        "Annual Revenue": 99000, "Opportunity Title": "Renewal",
        "Opportunity Stage": "Closed Won", "Opportunity Close Date": {"date": "2026-01-15"}
    }]);
    let filled = openpyxl_fill(&app, &template, "orgs.xlsx", &rows);
    let ids = import_clean(&app, &filled, "organizations", &["Globex"]);

    let globex = show(&app, ids[0]);
    assert_eq!(globex["kind"], "organizations");
    assert_eq!(globex["fields"]["Lead Status"], "Customer");
    assert_eq!(globex["fields"]["Postal Code"], "00501");
    assert_eq!(globex["fields"]["State"], "NY");
    assert_eq!(
        globex["opportunities"][0]["Opportunity Stage"],
        "Closed Won"
    );
}

#[test]
fn a_filled_csv_template_imports_without_errors() {
    let app = App::new();
    let template = app.template("t.csv", &["--fields", "Lead Status,Postal Code,Country"]);
    let mut bytes = std::fs::read(&template).unwrap();
    bytes.extend_from_slice(",Initech,EXP-7,contacted,02134,us\r\n".as_bytes());
    let filled = app.path("filled.csv");
    std::fs::write(&filled, bytes).unwrap();
    let ids = import_clean(&app, &filled, "leads", &["Initech"]);
    let f = &show(&app, ids[0])["fields"];
    assert_eq!(f["Lead Status"], "Contacted");
    assert_eq!(f["Postal Code"], "02134");
}
