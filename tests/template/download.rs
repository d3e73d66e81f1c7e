//! `leadger template` as a command: which file it writes, in which format,
//! what `--json` answers, and how it refuses bad names (exit 2).

use crate::support::{describe, App};

const BOM: &[u8] = b"\xef\xbb\xbf";

#[test]
fn every_field_by_default_and_a_json_answer() {
    let app = App::new();
    let out = app.path("t.xlsx");
    let answer = app.json(["template".as_ref(), "--out".as_ref(), out.as_os_str()]);
    assert_eq!(answer["kind"], "leads");
    assert_eq!(answer["format"], "xlsx");
    assert_eq!(answer["file"], out.display().to_string());
    let fields = answer["fields"].as_array().expect("fields");
    assert_eq!(fields.len(), 37);
    assert_eq!(fields[0], "Account CRM ID");
    assert_eq!(fields[36], "Opportunity Notes");
    let bytes = std::fs::read(&out).expect("written");
    assert!(bytes.starts_with(b"PK"), "an .xlsx is a zip file");
}

#[test]
fn csv_is_utf8_with_bom_and_one_crlf_header_line() {
    let app = App::new();
    let file = app.template(
        "orgs.csv",
        &[
            "--kind",
            "organizations",
            "--fields",
            "Lead Status, postal code",
        ],
    );
    let bytes = std::fs::read(file).expect("written");
    let mut want = BOM.to_vec();
    want.extend_from_slice(b"Account CRM ID,Lead Name,Export Value,Lead Status,Postal Code\r\n");
    assert_eq!(
        String::from_utf8_lossy(&bytes),
        String::from_utf8_lossy(&want)
    );
}

#[test]
fn categories_and_fields_combine_with_their_key_identifiers() {
    let app = App::new();
    let out = app.path("t.csv");
    let answer = app.json([
        "template".as_ref(),
        "--categories".as_ref(),
        "communication".as_ref(),
        "--fields".as_ref(),
        "Contact Title".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(answer["format"], "csv");
    assert_eq!(
        answer["fields"],
        serde_json::json!([
            "Account CRM ID",
            "Lead Name",
            "Export Value",
            "Contact First Name",
            "Contact Last Name",
            "Contact Title",
            "Communication Subject",
            "Communication Type",
            "Communication Date",
            "Communication Notes"
        ])
    );
}

#[test]
fn the_format_comes_from_the_extension_or_format() {
    let app = App::new();
    let upper = app.template("T.XLSX", &[]);
    assert!(std::fs::read(upper).expect("written").starts_with(b"PK"));

    let txt = app.path("t.txt");
    let out = app.run(["template".as_ref(), "--out".as_ref(), txt.as_os_str()]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(".txt") && stderr.contains("FILE.xlsx or FILE.csv"),
        "{stderr}"
    );
    assert!(!txt.exists());

    let csv = app.template("t.txt", &["--format", "CSV"]);
    assert!(std::fs::read(csv).expect("written").starts_with(BOM));
}

#[test]
fn an_unknown_field_is_bad_usage_with_a_suggestion() {
    let app = App::new();
    let file = app.path("t.xlsx");
    let out = app.run([
        "template".as_ref(),
        "--fields".as_ref(),
        "Email,Lead Nmae".as_ref(),
        "--out".as_ref(),
        file.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("`Lead Nmae`"), "{stderr}");
    assert!(stderr.contains("did you mean `Lead Name`"), "{stderr}");
    assert!(
        stderr.contains("Opportunity Notes"),
        "lists the fields: {stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(!file.exists());
}

#[test]
fn an_unknown_category_is_bad_usage_with_a_suggestion() {
    let app = App::new();
    let file = app.path("t.xlsx");
    let out = app.run([
        "template".as_ref(),
        "--categories".as_ref(),
        "main,contacts".as_ref(),
        "--out".as_ref(),
        file.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did you mean `contact`"), "{stderr}");
    assert!(
        stderr.contains("main (or lead), contact, communication, opportunity"),
        "{stderr}"
    );
    assert!(!file.exists());
}

#[test]
fn an_unknown_kind_is_bad_usage() {
    let app = App::new();
    let file = app.path("t.xlsx");
    let out = app.run([
        "template".as_ref(),
        "--kind".as_ref(),
        "contacts".as_ref(),
        "--out".as_ref(),
        file.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(!file.exists());
}
