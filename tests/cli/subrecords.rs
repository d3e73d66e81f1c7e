//! Contacts, communications and opportunities (PRODUCT.md section 3): only
//! created, only with a new lead, and only with all of their category's key
//! identifiers.

use serde_json::json;

use crate::support::{assert_mentions, counts, issue, Env};

const ALL_SUB_FIELDS: &str = "Lead Name,Contact First Name,Contact Last Name,Contact Title,Contact Email,Contact Phone,Contact Mobile,Contact Birthdate,\
Communication Subject,Communication Type,Communication Date,Communication Notes,\
Opportunity Title,Opportunity Stage,Opportunity Amount,Opportunity Close Date,Opportunity Probability,Opportunity Notes";

#[test]
fn a_new_lead_is_created_with_its_contact_communication_and_opportunity() {
    let env = Env::new();
    let commit = env.import_csv(
        "s.csv",
        &format!(
            "{ALL_SUB_FIELDS}\nAcme,Jane,Doe,Buyer,jane@acme.com,0800 1,0700 2,11/02/1975,\
             Intro call,phone call,2026-03-01 14:30,Asked for a quote,\
             Spring order,closed won,\"$12,500.00\",06/30/2026,40%,Needs sign-off\n"
        ),
    );
    assert_eq!(commit["counts"]["created"], 1);
    let lead = env.lead(1);
    assert_eq!(lead["fields"], json!({"Lead Name": "Acme"}));
    assert_eq!(
        lead["contacts"],
        json!([{
            "Contact First Name": "Jane", "Contact Last Name": "Doe", "Contact Title": "Buyer",
            "Contact Email": "jane@acme.com", "Contact Phone": "0800 1", "Contact Mobile": "0700 2",
            "Contact Birthdate": "1975-11-02"
        }])
    );
    assert_eq!(
        lead["communications"],
        json!([{
            "Communication Subject": "Intro call", "Communication Type": "Phone Call",
            "Communication Date": "2026-03-01T14:30:00", "Communication Notes": "Asked for a quote"
        }])
    );
    assert_eq!(
        lead["opportunities"],
        json!([{
            "Opportunity Title": "Spring order", "Opportunity Stage": "Closed Won",
            "Opportunity Amount": "12500.00", "Opportunity Close Date": "2026-06-30",
            "Opportunity Probability": 40, "Opportunity Notes": "Needs sign-off"
        }])
    );
}

#[test]
fn only_the_filled_sub_categories_are_created() {
    let env = Env::new();
    env.import_csv(
        "s.csv",
        "Lead Name,Contact First Name,Contact Last Name,Opportunity Title\nAcme,Jane,Doe,\nBeta,,,Deal\n",
    );
    let acme = env.lead(1);
    assert_eq!(acme["contacts"].as_array().map(Vec::len), Some(1));
    assert_eq!(acme["opportunities"], json!([]));
    let beta = env.lead(2);
    assert_eq!(beta["contacts"], json!([]));
    assert_eq!(
        beta["opportunities"],
        json!([{"Opportunity Title": "Deal"}])
    );
    assert_eq!(beta["communications"], json!([]));
}

#[test]
fn sub_category_fields_without_their_key_identifiers_are_an_error() {
    let env = Env::new();
    let file = env.write_csv(
        "s.csv",
        "Lead Name,Contact First Name,Contact Last Name,Contact Title,Communication Type,Opportunity Stage\n\
         Acme,,,Buyer,,\n\
         Beta,Jane,,,,\n\
         Gamma,,,,Meeting,\n\
         Delta,,,,,Proposal\n",
    );
    let preview = env.preview_json(&file, &[]);
    assert_eq!(counts(&preview)[3], 4, "{}", preview["errors"]);
    let e = issue(&preview, "errors", 2, "Contact First Name");
    assert_mentions(&e["message"], &["Contact First Name and Contact Last Name"]);
    let e = issue(&preview, "errors", 3, "Contact Last Name");
    assert_mentions(&e["message"], &["Contact Last Name"]);
    let e = issue(&preview, "errors", 4, "Communication Subject");
    assert_mentions(&e["message"], &["Communication Subject"]);
    let e = issue(&preview, "errors", 5, "Opportunity Title");
    assert_mentions(&e["message"], &["Opportunity Title"]);
}

#[test]
fn sub_records_are_never_added_to_an_existing_lead() {
    let env = Env::new();
    env.import_csv(
        "a.csv",
        "Lead Name,Contact First Name,Contact Last Name\nAcme,Jane,Doe\n",
    );
    let file = env.write_csv(
        "b.csv",
        "Lead Name,Contact First Name,Contact Last Name\nAcme,John,Roe\n",
    );
    let preview = env.preview_json(&file, &[]);
    assert_eq!(counts(&preview), [0, 0, 1, 0, 1]);
    env.commit_json(&preview["import_id"]);
    let contacts = &env.lead(1)["contacts"];
    assert_eq!(
        contacts,
        &json!([{"Contact First Name": "Jane", "Contact Last Name": "Doe"}])
    );
}

#[test]
fn sub_record_key_identifiers_are_not_required_when_the_row_updates() {
    let env = Env::new();
    env.import_csv("a.csv", "Export Value,Lead Name\nE1,Acme\n");
    // An incomplete contact on an updating row is ignored (a warning), not
    // an error: the fields would be ignored whatever they held.
    let file = env.write_csv("b.csv", "Export Value,Contact Title\nE1,Buyer\n");
    let preview = env.preview_json(&file, &[]);
    assert_eq!(counts(&preview), [0, 0, 1, 0, 1], "{preview}");
}
