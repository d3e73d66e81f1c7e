//! Matching (PRODUCT.md section 3): Account CRM ID, then Export Value, then
//! Lead Name; records of the other kind are never matched; two rows that
//! resolve to one record are an error.

use serde_json::json;

use crate::support::{assert_mentions, counts, issue, plan, Env};

#[test]
fn account_crm_id_updates_that_record() {
    let env = Env::with_two_leads();
    let file = env.write_csv("u.csv", "Account CRM ID,Lead Name,City\n2,Beta Ltd,Oslo\n");
    let preview = env.preview_json(&file, &[]);
    assert_eq!(plan(&preview), [(2, "update".into(), Some(2))]);
    env.commit_json(&preview["import_id"]);
    assert_eq!(
        env.lead(2)["fields"],
        json!({"Lead Name": "Beta Ltd", "Export Value": "E2", "City": "Oslo"})
    );
    assert_eq!(env.lead(1)["fields"]["City"], "Paris");
}

#[test]
fn unknown_account_crm_id_is_an_error() {
    let env = Env::with_two_leads();
    let file = env.write_csv("u.csv", "Account CRM ID,Lead Name\n99,Ghost\n");
    let preview = env.preview_json(&file, &[]);
    assert_eq!(counts(&preview), [0, 0, 0, 1, 0]);
    let e = issue(&preview, "errors", 2, "Account CRM ID");
    assert_eq!(e["value"], "99");
    assert_mentions(&e["message"], &["no record with Account CRM ID 99"]);
}

#[test]
fn account_crm_id_of_the_other_kind_is_an_error() {
    let env = Env::with_two_leads();
    let file = env.write_csv("o.csv", "Lead Name\nOrgCo\n");
    env.import_file(&file, &["--kind", "organizations"]);
    let file = env.write_csv("u.csv", "Account CRM ID,City\n3,Bern\n");
    let preview = env.preview_json(&file, &[]);
    let e = issue(&preview, "errors", 2, "Account CRM ID");
    assert_mentions(
        &e["message"],
        &["Account CRM ID 3 belongs to organizations"],
    );
    let file = env.write_csv("v.csv", "Account CRM ID,City\n1,Bern\n");
    let preview = env.preview_json(&file, &["--kind", "organizations"]);
    let e = issue(&preview, "errors", 2, "Account CRM ID");
    assert_mentions(&e["message"], &["Account CRM ID 1 belongs to leads"]);
}

#[test]
fn account_crm_id_that_is_not_a_number_is_an_error() {
    let env = Env::with_two_leads();
    let file = env.write_csv("n.csv", "Account CRM ID,Lead Name\nabc,Acme\n1.5,Beta\n");
    let preview = env.preview_json(&file, &[]);
    assert_eq!(counts(&preview)[3], 2);
    assert_eq!(
        issue(&preview, "errors", 2, "Account CRM ID")["value"],
        "abc"
    );
    assert_eq!(
        issue(&preview, "errors", 3, "Account CRM ID")["value"],
        "1.5"
    );
}

/// Regression: an Account CRM ID of `0` or a negative number made the row
/// silently invalid without an error, so the preview showed no errors and
/// `import --commit` "succeeded" importing nothing.
#[test]
fn account_crm_id_zero_or_negative_is_an_error_not_a_silently_dropped_row() {
    let env = Env::with_two_leads();
    let file = env.write_csv("z.csv", "Account CRM ID,Lead Name\n0,Zero\n-3,Negative\n");
    let preview = env.preview_json(&file, &[]);
    assert_eq!(counts(&preview)[3], 2, "{preview}");
    assert_eq!(issue(&preview, "errors", 2, "Account CRM ID")["value"], "0");
    assert_eq!(
        issue(&preview, "errors", 3, "Account CRM ID")["value"],
        "-3"
    );
}

#[test]
fn export_value_updates_its_record_or_creates_one() {
    let env = Env::with_two_leads();
    let file = env.write_csv(
        "e.csv",
        "Export Value,Lead Name,City\nE2,,Oslo\nE3,Gamma,Bern\n",
    );
    let preview = env.preview_json(&file, &[]);
    assert_eq!(
        plan(&preview),
        [(2, "update".into(), Some(2)), (3, "create".into(), None)]
    );
    // An update row without a name shows the record's name.
    assert_eq!(preview["rows"][0]["lead_name"], "Beta");
    let commit = env.commit_json(&preview["import_id"]);
    assert_eq!(commit["leads"][0]["lead_name"], "Beta");
    assert_eq!(commit["leads"][1]["crm_id"], 3);
    assert_eq!(env.lead(2)["fields"]["City"], "Oslo");
    assert_eq!(
        env.lead(3)["fields"],
        json!({"Lead Name": "Gamma", "Export Value": "E3", "City": "Bern"})
    );
}

#[test]
fn export_value_wins_over_a_matching_name() {
    let env = Env::with_two_leads();
    // "Acme" names lead 1, but the export value is new: a new lead.
    let file = env.write_csv("e.csv", "Export Value,Lead Name\nE9,Acme\n");
    let preview = env.preview_json(&file, &[]);
    assert_eq!(plan(&preview), [(2, "create".into(), None)]);
}

#[test]
fn lead_name_matches_ignoring_case_and_surrounding_spaces() {
    let env = Env::with_two_leads();
    let file = env.write_csv("n.csv", "Lead Name,City\n\"  ACME \",Vienna\n");
    let preview = env.preview_json(&file, &[]);
    assert_eq!(plan(&preview), [(2, "update".into(), Some(1))]);
    env.commit_json(&preview["import_id"]);
    assert_eq!(env.lead(1)["fields"]["City"], "Vienna");
    assert_eq!(env.all_leads().len(), 2);
}

#[test]
fn lead_name_without_a_match_creates_a_lead() {
    let env = Env::with_two_leads();
    let file = env.write_csv("n.csv", "Lead Name,City\nAcme Two,Vienna\n");
    let preview = env.preview_json(&file, &[]);
    assert_eq!(plan(&preview), [(2, "create".into(), None)]);
}

#[test]
fn lead_name_shared_by_several_records_is_ambiguous_naming_their_ids() {
    let env = Env::with_two_leads();
    env.import_csv("more.csv", "Export Value,Lead Name\nE3,acme\nE4,Other\n");
    let file = env.write_csv("n.csv", "Lead Name,City\nAcme,Vienna\n");
    let preview = env.preview_json(&file, &[]);
    assert_eq!(counts(&preview), [0, 0, 0, 1, 0]);
    let e = issue(&preview, "errors", 2, "Lead Name");
    assert_mentions(&e["message"], &["CRM IDs 1, 3"]);
}

#[test]
fn matching_never_crosses_kinds() {
    let env = Env::with_two_leads();
    let file = env.write_csv("o.csv", "Export Value,Lead Name\nE1,Acme\n");
    let preview = env.preview_json(&file, &["--kind", "organizations"]);
    assert_eq!(preview["kind"], "organizations");
    assert_eq!(plan(&preview), [(2, "create".into(), None)]);
    env.commit_json(&preview["import_id"]);
    assert_eq!(env.lead(3)["kind"], "organizations");
    let file = env.write_csv("n.csv", "Lead Name,City\nacme,Oslo\n");
    let preview = env.preview_json(&file, &["--kind", "organizations"]);
    assert_eq!(plan(&preview), [(2, "update".into(), Some(3))]);
}

#[test]
fn two_rows_with_one_account_crm_id_is_an_error_naming_both_rows() {
    let env = Env::with_two_leads();
    let file = env.write_csv("d.csv", "Account CRM ID,City\n1,Oslo\n2,Bern\n1,Rome\n");
    let preview = env.preview_json(&file, &[]);
    assert_eq!(counts(&preview)[3], 1);
    let e = &preview["errors"][0];
    assert_eq!(e["row"], 4);
    assert_mentions(&e["message"], &["rows 2 and 4", "CRM ID 1"]);
}

#[test]
fn two_rows_with_one_export_value_is_an_error_naming_both_rows() {
    let env = Env::with_two_leads();
    let file = env.write_csv(
        "d.csv",
        "Export Value,Lead Name\nE7,New\nE2,Beta\nE7,Newer\n",
    );
    let preview = env.preview_json(&file, &[]);
    assert_eq!(counts(&preview)[3], 1);
    let e = issue(&preview, "errors", 4, "Export Value");
    assert_mentions(&e["message"], &["rows 2 and 4", "`E7`"]);
}

#[test]
fn two_rows_with_one_name_is_an_error_naming_both_rows() {
    let env = Env::with_two_leads();
    let file = env.write_csv(
        "d.csv",
        "Lead Name,City\nZeta,Oslo\nBeta,Rome\n zeta ,Bern\n",
    );
    let preview = env.preview_json(&file, &[]);
    assert_eq!(counts(&preview)[3], 1);
    let e = issue(&preview, "errors", 4, "Lead Name");
    assert_mentions(&e["message"], &["rows 2 and 4"]);
}

#[test]
fn rows_reaching_one_record_by_different_keys_is_an_error() {
    let env = Env::with_two_leads();
    let file = env.write_csv(
        "d.csv",
        "Account CRM ID,Export Value,Lead Name\n,,beta\n,E2,\n",
    );
    let preview = env.preview_json(&file, &[]);
    assert_eq!(counts(&preview)[3], 1, "{preview}");
    assert_mentions(&preview["errors"][0]["message"], &["rows 2 and 3"]);
}
