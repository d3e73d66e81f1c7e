//! What each field accepts, in words: the header notes and the rows of the
//! Instructions sheet. The words follow the rules the importer applies
//! (PRODUCT.md sections 1, 3 and 4), and list items come from the current
//! reference data, so the text never promises what an import refuses.

use crate::catalogue::{ids, Category, FieldDef, FieldType};
use crate::reference::ReferenceData;

/// Fields whose cells must stay text in a spreadsheet program: typed into a
/// General cell, `02134` becomes the number 2134 and a long phone number
/// `1.2345E+9`. Export Value is here too, because an export value that
/// loses its leading zeros no longer matches its record.
const TEXT_COLUMNS: [&str; 5] = [
    "Export Value",
    "Phone",
    "Postal Code",
    "Contact Phone",
    "Contact Mobile",
];

/// The category as the specification names it.
pub(super) fn category_label(category: Category) -> &'static str {
    match category {
        Category::Main => "Main (Lead)",
        Category::Contact => "Contact",
        Category::Communication => "Communication",
        Category::Opportunity => "Opportunity",
    }
}

/// Whether the field's column is formatted as text (`@`).
pub(super) fn is_text_column(field: &FieldDef) -> bool {
    TEXT_COLUMNS.contains(&field.header)
}

/// The number format of a date column, if the field is a date.
pub(super) fn date_format(field: &FieldDef) -> Option<&'static str> {
    match field.ty {
        FieldType::Date => Some("yyyy-mm-dd"),
        // A date-only value shows as midnight, which the importer reads
        // back as a date without a time.
        FieldType::DateOrDateTime => Some("yyyy-mm-dd hh:mm"),
        _ => None,
    }
}

/// The type, for the Instructions sheet and the notes.
pub(super) fn type_text(field: &FieldDef) -> &'static str {
    if field.id == ids::CRM_ID {
        "whole number (system generated)"
    } else {
        field.ty.describe()
    }
}

/// The values the importer accepts in the field, in one line.
pub(super) fn allowed_values(field: &FieldDef, reference: &ReferenceData) -> String {
    let max = field.max_len;
    match field.ty {
        FieldType::Integer if field.id == ids::CRM_ID => {
            "the CRM ID of an existing record, to update it; leave empty for new records \
             (IDs are given by the system, never invent one)"
                .into()
        }
        FieldType::Integer => "a whole number, e.g. 250 or 1,250".into(),
        FieldType::Decimal => "a number; 1234.5, 1,234.50 and $1,234.50 are accepted".into(),
        FieldType::Percent => "a whole number from 0 to 100; 40 and 40% are accepted".into(),
        FieldType::Date => format!("a date: {DATES}"),
        FieldType::DateOrDateTime => {
            format!("a date, optionally with a time (2026-03-01 14:30): {DATES}")
        }
        FieldType::Bool => "Yes/No, True/False, Y/N or 1/0".into(),
        FieldType::Email => format!("an e-mail address, up to {max} characters"),
        FieldType::Url => format!("a web address, up to {max} characters"),
        FieldType::List(list) => {
            let items = reference.active_items(list);
            if items.is_empty() {
                format!("{} has no active items: leave empty", list.title())
            } else {
                format!("one of: {} (any case)", items.join(", "))
            }
        }
        FieldType::Country => "ISO 3166 country code or English name (US or United States); \
             the drop-down lists the names"
            .into(),
        FieldType::State => "state or province of the row's Country (US when empty), code or name \
             (IL or Illinois); any text for a country without a state list"
            .into(),
        FieldType::Text => format!("text, up to {} characters", thousands(max)),
    }
}

const DATES: &str = "YYYY-MM-DD, MM/DD/YYYY (or DD/MM/YYYY when the import says so), \
                     or a date cell";

/// What a key identifier is for, or `None` for other fields.
pub(super) fn key_rule(field: &FieldDef, noun: &str) -> Option<String> {
    if !field.key {
        return None;
    }
    if field.category == Category::Main {
        return Some(format!(
            "key identifier: a row finds its {noun} by Account CRM ID, else Export Value, \
             else Lead Name; a new {noun} needs a Lead Name"
        ));
    }
    let keys: Vec<&str> = field
        .category
        .fields()
        .filter(|f| f.key)
        .map(|f| f.header)
        .collect();
    let what = category_label(field.category).to_lowercase();
    Some(format!(
        "key identifier: {} needed to create a {what}, which is only created with a new {noun}",
        match keys.as_slice() {
            [one] => format!("{one} is"),
            _ => format!("{} are", keys.join(" and ")),
        }
    ))
}

/// The note on a header cell: type, rules, example.
pub(super) fn note(field: &FieldDef, reference: &ReferenceData, noun: &str) -> String {
    let mut text = format!("{}\nType: {}", field.header, type_text(field));
    if let Some(rule) = key_rule(field, noun) {
        text.push_str(&format!("\n{}", capitalise(&rule)));
    }
    text.push_str(&format!(
        "\nAllowed: {}\nExample: {}",
        allowed_values(field, reference),
        field.example
    ));
    text
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `10000` as `10,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (idx, c) in digits.chars().enumerate() {
        if idx > 0 && (digits.len() - idx).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::catalogue::{field_by_header, ListName};

    fn field(header: &str) -> &'static FieldDef {
        field_by_header(header).unwrap()
    }

    #[test]
    fn text_columns_are_catalogue_fields() {
        for header in TEXT_COLUMNS {
            assert_eq!(field(header).ty, FieldType::Text, "{header}");
        }
    }

    #[test]
    fn allowed_values_follow_the_current_lists() {
        let mut data = ReferenceData::defaults();
        let status = field("Lead Status");
        assert!(allowed_values(status, &data).contains("Qualified, Unqualified"));
        data.retire_item(ListName::LeadStatus, "Unqualified")
            .unwrap();
        let text = allowed_values(status, &data);
        assert_eq!(
            text,
            "one of: New, Contacted, Qualified, Customer (any case)"
        );
        assert_eq!(
            allowed_values(field("Notes"), &data),
            "text, up to 10,000 characters"
        );
    }

    #[test]
    fn notes_name_type_rules_and_example() {
        let data = ReferenceData::defaults();
        let note = note(field("Contact Last Name"), &data, "lead");
        assert!(note.starts_with("Contact Last Name\nType: text\nKey identifier: "));
        assert!(note.contains("Contact First Name and Contact Last Name are needed"));
        assert!(note.ends_with("Example: Doe"), "{note}");
        let note = super::note(field("Communication Subject"), &data, "organization");
        assert!(note.contains("Communication Subject is needed to create a communication"));
        assert!(note.contains("with a new organization"));
        assert!(key_rule(field("City"), "lead").is_none());
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(255), "255");
        assert_eq!(thousands(10_000), "10,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
