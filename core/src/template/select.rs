//! Which fields a template holds, from the names a user typed.
//!
//! Rules (PRODUCT.md section 1): nothing chosen means every field; chosen
//! fields and whole categories are unioned; the key identifiers of every
//! category involved are always added. Main's key identifiers are added
//! even to a template of, say, contact fields only: every row is a lead
//! first, and a row without Account CRM ID, Export Value or Lead Name can
//! never import (section 3), so a template without them would be a trap.

use std::collections::BTreeSet;

use crate::catalogue::{Category, FieldDef, FIELDS};
use crate::suggest::closest;

/// The selected fields in catalogue order, or a message naming every
/// unknown name, its closest valid name, and the valid names.
pub(super) fn select(
    fields: &[String],
    categories: &[String],
) -> Result<Vec<&'static FieldDef>, String> {
    let field_names = split(fields);
    let category_names = split(categories);
    if field_names.is_empty() && category_names.is_empty() {
        return Ok(FIELDS.iter().collect());
    }
    let mut chosen = BTreeSet::new();
    let mut involved = BTreeSet::from([Category::Main]);
    let mut problems = Vec::new();
    let (mut bad_field, mut bad_category) = (false, false);
    for name in category_names {
        match Category::parse(name) {
            Some(category) => {
                involved.insert(category);
                chosen.extend(category.fields().map(|f| f.id));
            }
            None => {
                bad_category = true;
                let names = Category::ALL.map(Category::name);
                problems.push(unknown("category", name, closest(name, names)));
            }
        }
    }
    for name in field_names {
        match find_field(name) {
            Some(field) => {
                involved.insert(field.category);
                chosen.insert(field.id);
            }
            None => {
                bad_field = true;
                let headers = FIELDS.iter().map(|f| f.header);
                problems.push(unknown("field", name, closest(name, headers)));
            }
        }
    }
    if !problems.is_empty() {
        if bad_field {
            let headers: Vec<&str> = FIELDS.iter().map(|f| f.header).collect();
            problems.push(format!("the fields are: {}", headers.join(", ")));
        }
        if bad_category {
            problems.push(
                "the categories are: main (or lead), contact, communication, opportunity".into(),
            );
        }
        return Err(problems.join("; "));
    }
    chosen.extend(
        FIELDS
            .iter()
            .filter(|f| f.key && involved.contains(&f.category))
            .map(|f| f.id),
    );
    Ok(FIELDS.iter().filter(|f| chosen.contains(&f.id)).collect())
}

/// The names in `entries`, each entry split at commas, trimmed, empty
/// ones dropped.
fn split(entries: &[String]) -> Vec<&str> {
    entries
        .iter()
        .flat_map(|entry| entry.split(','))
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .collect()
}

/// A field by its header, ignoring case, spaces, `_` and `-` (so
/// `lead_status`, `LeadStatus` and `e-mail` all work) and a trailing `*`
/// (as the specification marks key identifiers).
fn find_field(name: &str) -> Option<&'static FieldDef> {
    let wanted = fold(name.trim().trim_end_matches('*'));
    FIELDS.iter().find(|f| fold(f.header) == wanted)
}

fn fold(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

fn unknown(what: &str, name: &str, suggestion: Option<&str>) -> String {
    match suggestion {
        Some(s) => format!("there is no {what} `{name}` (did you mean `{s}`?)"),
        None => format!("there is no {what} `{name}`"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn headers(fields: &[&str], categories: &[&str]) -> Result<Vec<&'static str>, String> {
        let owned = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        select(&owned(fields), &owned(categories))
            .map(|fields| fields.iter().map(|f| f.header).collect())
    }

    #[test]
    fn nothing_chosen_is_every_field() {
        assert_eq!(headers(&[], &[]).unwrap().len(), FIELDS.len());
        assert_eq!(headers(&[" ", ","], &[""]).unwrap().len(), FIELDS.len());
    }

    #[test]
    fn main_key_identifiers_are_always_included() {
        assert_eq!(
            headers(&["lead status"], &[]).unwrap(),
            ["Account CRM ID", "Lead Name", "Export Value", "Lead Status"]
        );
    }

    #[test]
    fn a_sub_category_field_brings_its_keys() {
        assert_eq!(
            headers(&["Contact Title", "Postal Code"], &[]).unwrap(),
            [
                "Account CRM ID",
                "Lead Name",
                "Export Value",
                "Postal Code",
                "Contact First Name",
                "Contact Last Name",
                "Contact Title"
            ]
        );
    }

    #[test]
    fn categories_bring_all_their_fields_in_catalogue_order() {
        let got = headers(&["Notes"], &["OPPORTUNITY"]).unwrap();
        assert_eq!(
            got[..4],
            ["Account CRM ID", "Lead Name", "Export Value", "Notes"]
        );
        assert_eq!(got[4], "Opportunity Title");
        assert_eq!(got.len(), 4 + 6);
        let main = headers(&[], &["lead"]).unwrap();
        assert_eq!(main.len(), 20);
        assert_eq!(main.last(), Some(&"Notes"));
    }

    #[test]
    fn names_match_ignoring_case_spaces_and_separators() {
        let got = headers(&["  EMAIL ", "lead_status,postalcode", "Lead Name*"], &[]).unwrap();
        assert_eq!(
            got,
            [
                "Account CRM ID",
                "Lead Name",
                "Export Value",
                "Lead Status",
                "Email",
                "Postal Code"
            ]
        );
    }

    #[test]
    fn folded_headers_are_unique() {
        let folded: BTreeSet<String> = FIELDS.iter().map(|f| fold(f.header)).collect();
        assert_eq!(folded.len(), FIELDS.len());
    }

    #[test]
    fn unknown_names_suggest_and_list_the_valid_ones() {
        let err = headers(&["Lead Nmae", "Email"], &[]).unwrap_err();
        assert!(
            err.starts_with("there is no field `Lead Nmae` (did you mean `Lead Name`?); "),
            "{err}"
        );
        assert!(
            err.contains("the fields are: Account CRM ID, Lead Name,"),
            "{err}"
        );
        assert!(!err.contains("categories"), "{err}");

        let err = headers(&[], &["contacts", "xyzzy"]).unwrap_err();
        assert!(
            err.contains("there is no category `contacts` (did you mean `contact`?); "),
            "{err}"
        );
        assert!(err.contains("there is no category `xyzzy`;"), "{err}");
        assert!(err.ends_with("main (or lead), contact, communication, opportunity"));
    }
}
