//! The warnings of PRODUCT.md section 4: values that cannot be read are
//! ignored (and leave the field as it was), suspicious e-mail addresses and
//! URLs are imported as written, and sub-record fields on an updating row
//! are ignored. Warnings never block a commit.

use serde_json::json;

use crate::support::{assert_mentions, counts, issue, Env};

const UNREADABLE_HEADER: &str =
    "Export Value,Lead Name,City,Birthdate,Employees,Annual Revenue,Do Not Contact";

#[test]
fn unreadable_date_number_and_boolean_warn_and_are_left_out_of_a_new_lead() {
    let env = Env::new();
    let file = env.write_csv(
        "w.csv",
        &format!("{UNREADABLE_HEADER}\nE1,Acme,Paris,cat,many,lots,maybe\n"),
    );
    let preview = env.preview_json(&file, &[]);
    assert_eq!(counts(&preview), [1, 0, 0, 0, 4]);
    for (column, value, what) in [
        ("Birthdate", "cat", "as a date"),
        ("Employees", "many", "as a whole number"),
        ("Annual Revenue", "lots", "as a decimal number"),
        ("Do Not Contact", "maybe", "as Yes/No"),
    ] {
        let w = issue(&preview, "warnings", 2, column);
        assert_eq!(w["value"], value);
        assert_mentions(
            &w["message"],
            &[
                &format!("cannot read `{value}` {what}"),
                "the value was ignored",
            ],
        );
    }
    let commit = env.commit_json(&preview["import_id"]);
    assert_eq!(commit["counts"]["created"], 1);
    assert_eq!(
        env.lead(1)["fields"],
        json!({"Lead Name": "Acme", "Export Value": "E1", "City": "Paris"})
    );
}

#[test]
fn unreadable_values_leave_the_fields_of_an_updated_lead_as_they_were() {
    let env = Env::new();
    env.import_csv(
        "a.csv",
        &format!("{UNREADABLE_HEADER}\nE1,Acme,Paris,1980-01-31,10,100.50,Yes\n"),
    );
    let before = env.lead(1)["fields"].clone();
    let file = env.write_csv(
        "b.csv",
        &format!("{UNREADABLE_HEADER}\nE1,,Lyon,cat,many,lots,maybe\n"),
    );
    let preview = env.preview_json(&file, &[]);
    assert_eq!(counts(&preview), [0, 1, 0, 0, 4]);
    env.commit_json(&preview["import_id"]);
    let mut expected = before;
    expected["City"] = json!("Lyon");
    assert_eq!(env.lead(1)["fields"], expected);
    assert_eq!(env.lead(1)["fields"]["Birthdate"], "1980-01-31");
}

#[test]
fn a_row_whose_only_values_are_unreadable_is_unchanged() {
    let env = Env::new();
    env.import_csv("a.csv", "Export Value,Lead Name,Employees\nE1,Acme,10\n");
    let file = env.write_csv("b.csv", "Export Value,Employees\nE1,ten\n");
    let preview = env.preview_json(&file, &[]);
    assert_eq!(counts(&preview), [0, 0, 1, 0, 1]);
    assert_eq!(env.lead(1)["fields"]["Employees"], 10);
}

#[test]
fn unreadable_percent_and_sub_record_dates_warn_and_are_ignored() {
    let env = Env::new();
    let file = env.write_csv(
        "s.csv",
        "Lead Name,Opportunity Title,Opportunity Probability,Opportunity Close Date,Communication Subject,Communication Date\n\
         Acme,Deal,140%,someday,Call,never\n",
    );
    let preview = env.preview_json(&file, &[]);
    assert_eq!(counts(&preview), [1, 0, 0, 0, 3], "{preview}");
    for (column, value) in [
        ("Opportunity Probability", "140%"),
        ("Opportunity Close Date", "someday"),
        ("Communication Date", "never"),
    ] {
        let w = issue(&preview, "warnings", 2, column);
        assert_eq!(w["value"], value);
        assert_mentions(&w["message"], &["ignored"]);
    }
    env.commit_json(&preview["import_id"]);
    let lead = env.lead(1);
    assert_eq!(
        lead["opportunities"],
        json!([{"Opportunity Title": "Deal"}])
    );
    assert_eq!(
        lead["communications"],
        json!([{"Communication Subject": "Call"}])
    );
}

#[test]
fn badly_formed_email_and_url_warn_and_are_imported_as_written() {
    let env = Env::new();
    let file = env.write_csv(
        "e.csv",
        "Lead Name,Email,Website,Contact First Name,Contact Last Name,Contact Email\n\
         Acme,joe@acmecom,acme,Jane,Doe,jane@\n",
    );
    let preview = env.preview_json(&file, &[]);
    assert_eq!(counts(&preview), [1, 0, 0, 0, 3]);
    for (column, value, what) in [
        ("Email", "joe@acmecom", "an e-mail address"),
        ("Website", "acme", "a web address"),
        ("Contact Email", "jane@", "an e-mail address"),
    ] {
        let w = issue(&preview, "warnings", 2, column);
        assert_eq!(w["value"], value);
        assert_mentions(
            &w["message"],
            &[
                &format!("`{value}` does not look like {what}"),
                "imported as written",
            ],
        );
    }
    env.commit_json(&preview["import_id"]);
    let lead = env.lead(1);
    assert_eq!(lead["fields"]["Email"], "joe@acmecom");
    assert_eq!(lead["fields"]["Website"], "acme");
    assert_eq!(lead["contacts"][0]["Contact Email"], "jane@");
}

#[test]
fn well_formed_email_and_url_give_no_warning() {
    let env = Env::new();
    let file = env.write_csv(
        "e.csv",
        "Lead Name,Email,Website\nAcme,joe@acme.com,https://www.acme.com/about\nBeta,b@beta.co.uk,beta.io\n",
    );
    assert_eq!(counts(&env.preview_json(&file, &[])), [2, 0, 0, 0, 0]);
}

const SUB_FIELDS: &str = "Export Value,City,Contact First Name,Contact Last Name,Communication Subject,Opportunity Title";

#[test]
fn sub_record_fields_on_an_updating_row_warn_and_are_ignored() {
    let env = Env::new();
    env.import_csv("a.csv", "Export Value,Lead Name,City\nE1,Acme,Paris\n");
    let file = env.write_csv(
        "b.csv",
        &format!("{SUB_FIELDS}\nE1,Lyon,Jane,Doe,Hello,Deal\n"),
    );
    let preview = env.preview_json(&file, &[]);
    assert_eq!(counts(&preview), [0, 1, 0, 0, 3], "{preview}");
    let messages: Vec<&str> = preview["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| {
            assert_eq!(w["row"], 2);
            w["message"].as_str().expect("message")
        })
        .collect();
    for (message, what) in messages
        .iter()
        .zip(["contact", "communication", "opportunity"])
    {
        assert!(
            message.contains(&format!("the {what} fields were ignored"))
                && message.contains("CRM ID 1"),
            "{message}"
        );
    }
    env.commit_json(&preview["import_id"]);
    let lead = env.lead(1);
    assert_eq!(lead["fields"]["City"], "Lyon");
    assert_eq!(
        (
            &lead["contacts"],
            &lead["communications"],
            &lead["opportunities"]
        ),
        (&json!([]), &json!([]), &json!([]))
    );
}

/// PRODUCT.md section 4: "Every message names the row, the column, the
/// value". The ignored-sub-record warning names a category (`Contact`)
/// rather than a column of the file, and an empty value.
#[test]
fn ignored_sub_record_warning_names_a_real_column_and_its_value() {
    let env = Env::new();
    env.import_csv("a.csv", "Export Value,Lead Name\nE1,Acme\n");
    let file = env.write_csv(
        "b.csv",
        "Export Value,Contact First Name,Contact Last Name\nE1,Jane,Doe\n",
    );
    let preview = env.preview_json(&file, &[]);
    assert_eq!(counts(&preview), [0, 0, 1, 0, 1]);
    let w = &preview["warnings"][0];
    assert_eq!(
        (&w["row"], &w["column"], &w["value"]),
        (&json!(2), &json!("Contact First Name"), &json!("Jane")),
        "{w}"
    );
}
