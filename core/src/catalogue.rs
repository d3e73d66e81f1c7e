//! The field catalogue: every column a template may hold, its category, its
//! type and its rules (PRODUCT.md section 1). Everything else (reading,
//! validation, templates, JSON) looks fields up here; nothing keeps a copy.

use serde::{Deserialize, Serialize};

/// Index of a field in [`FIELDS`]. Stored in events, so the order of
/// [`FIELDS`] is part of the event schema: only ever append to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FieldId(pub u8);

/// The four field categories of a template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Category {
    Main,
    Contact,
    Communication,
    Opportunity,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Category::Main,
        Category::Contact,
        Category::Communication,
        Category::Opportunity,
    ];

    /// The lower-case name users type (`--categories main,contact`).
    pub fn name(self) -> &'static str {
        match self {
            Category::Main => "main",
            Category::Contact => "contact",
            Category::Communication => "communication",
            Category::Opportunity => "opportunity",
        }
    }

    pub fn parse(name: &str) -> Option<Category> {
        let name = name.trim().to_ascii_lowercase();
        Category::ALL
            .into_iter()
            .find(|c| c.name() == name || (name == "lead" && *c == Category::Main))
    }

    /// The fields of this category, in template order.
    pub fn fields(self) -> impl Iterator<Item = &'static FieldDef> {
        FIELDS.iter().filter(move |f| f.category == self)
    }
}

/// The reference lists that list fields draw their items from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ListName {
    LeadStatus,
    LeadSource,
    Industry,
    CommunicationType,
    OpportunityStage,
}

impl ListName {
    pub const ALL: [ListName; 5] = [
        ListName::LeadStatus,
        ListName::LeadSource,
        ListName::Industry,
        ListName::CommunicationType,
        ListName::OpportunityStage,
    ];

    /// The list's name as users see it: the header of the field that uses it.
    pub fn title(self) -> &'static str {
        match self {
            ListName::LeadStatus => "Lead Status",
            ListName::LeadSource => "Lead Source",
            ListName::Industry => "Industry",
            ListName::CommunicationType => "Communication Type",
            ListName::OpportunityStage => "Opportunity Stage",
        }
    }

    pub fn parse(name: &str) -> Option<ListName> {
        let wanted = normalize_header(name);
        ListName::ALL
            .into_iter()
            .find(|l| normalize_header(l.title()) == wanted)
    }
}

/// How a field's cells are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldType {
    /// Whole number; `Account CRM ID`, `Employees`.
    Integer,
    /// Decimal amount; accepts `1234.5`, `1,234.50`, `$1,234.50`.
    Decimal,
    /// Whole number 0 to 100; accepts `40` and `40%`.
    Percent,
    Date,
    /// A date or a date with a time (`Communication Date`).
    DateOrDateTime,
    /// Yes/No, True/False, Y/N, 1/0.
    Bool,
    Email,
    Url,
    List(ListName),
    Country,
    /// A state of the row's country (or of `US` when none).
    State,
    /// Text, trimmed; numbers from spreadsheet cells are written without a
    /// trailing `.0` or an exponent, so leading digits survive.
    Text,
}

impl FieldType {
    /// A short name for the type, for templates and messages.
    pub fn describe(self) -> &'static str {
        match self {
            FieldType::Integer => "whole number",
            FieldType::Decimal => "decimal number",
            FieldType::Percent => "whole number from 0 to 100, % allowed",
            FieldType::Date => "date",
            FieldType::DateOrDateTime => "date or date and time",
            FieldType::Bool => "Yes/No",
            FieldType::Email => "e-mail address",
            FieldType::Url => "web address",
            FieldType::List(_) => "list item",
            FieldType::Country => "country code or name",
            FieldType::State => "state or province code or name",
            FieldType::Text => "text",
        }
    }
}

/// One column of the catalogue.
#[derive(Debug)]
pub struct FieldDef {
    pub id: FieldId,
    /// The header text, exactly as a template writes it.
    pub header: &'static str,
    pub category: Category,
    /// A key identifier (marked `*` in the specification, red in templates).
    pub key: bool,
    pub ty: FieldType,
    /// Longest text accepted, in characters.
    pub max_len: usize,
    /// An example value, for the template's instructions.
    pub example: &'static str,
}

const TEXT_LIMIT: usize = 255;

macro_rules! fields {
    ($( $idx:literal $header:literal $cat:ident $key:literal $ty:expr, $max:expr, $example:literal; )*) => {
        /// The catalogue, in template order. Append only: indexes are stored.
        pub static FIELDS: &[FieldDef] = &[
            $( FieldDef {
                id: FieldId($idx),
                header: $header,
                category: Category::$cat,
                key: $key,
                ty: $ty,
                max_len: $max,
                example: $example,
            }, )*
        ];
    };
}

use FieldType as T;
fields! {
    0 "Account CRM ID" Main true T::Integer, 20, "1042";
    1 "Lead Name" Main true T::Text, 200, "Acme Corporation";
    2 "Export Value" Main true T::Text, TEXT_LIMIT, "ACME-001";
    3 "Lead Status" Main false T::List(ListName::LeadStatus), TEXT_LIMIT, "New";
    4 "Lead Source" Main false T::List(ListName::LeadSource), TEXT_LIMIT, "Referral";
    5 "Industry" Main false T::List(ListName::Industry), TEXT_LIMIT, "Manufacturing";
    6 "Email" Main false T::Email, TEXT_LIMIT, "info@acme.example";
    7 "Phone" Main false T::Text, TEXT_LIMIT, "0800 555 0100";
    8 "Website" Main false T::Url, TEXT_LIMIT, "https://acme.example";
    9 "Address 1" Main false T::Text, TEXT_LIMIT, "1 Main Street";
    10 "Address 2" Main false T::Text, TEXT_LIMIT, "Suite 200";
    11 "City" Main false T::Text, TEXT_LIMIT, "Springfield";
    12 "State" Main false T::State, TEXT_LIMIT, "IL";
    13 "Postal Code" Main false T::Text, TEXT_LIMIT, "02134";
    14 "Country" Main false T::Country, TEXT_LIMIT, "US";
    15 "Birthdate" Main false T::Date, TEXT_LIMIT, "1980-04-30";
    16 "Annual Revenue" Main false T::Decimal, TEXT_LIMIT, "$1,250,000.00";
    17 "Employees" Main false T::Integer, TEXT_LIMIT, "250";
    18 "Do Not Contact" Main false T::Bool, TEXT_LIMIT, "No";
    19 "Notes" Main false T::Text, 10_000, "Met at the spring fair";
    20 "Contact First Name" Contact true T::Text, TEXT_LIMIT, "Jane";
    21 "Contact Last Name" Contact true T::Text, TEXT_LIMIT, "Doe";
    22 "Contact Title" Contact false T::Text, TEXT_LIMIT, "Purchasing Manager";
    23 "Contact Email" Contact false T::Email, TEXT_LIMIT, "jane.doe@acme.example";
    24 "Contact Phone" Contact false T::Text, TEXT_LIMIT, "0800 555 0101";
    25 "Contact Mobile" Contact false T::Text, TEXT_LIMIT, "0700 900 123";
    26 "Contact Birthdate" Contact false T::Date, TEXT_LIMIT, "1975-11-02";
    27 "Communication Subject" Communication true T::Text, TEXT_LIMIT, "Introductory call";
    28 "Communication Type" Communication false T::List(ListName::CommunicationType), TEXT_LIMIT, "Phone Call";
    29 "Communication Date" Communication false T::DateOrDateTime, TEXT_LIMIT, "2026-03-01 14:30";
    30 "Communication Notes" Communication false T::Text, TEXT_LIMIT, "Asked for a quote";
    31 "Opportunity Title" Opportunity true T::Text, TEXT_LIMIT, "Spring order";
    32 "Opportunity Stage" Opportunity false T::List(ListName::OpportunityStage), TEXT_LIMIT, "Proposal";
    33 "Opportunity Amount" Opportunity false T::Decimal, TEXT_LIMIT, "12,500.00";
    34 "Opportunity Close Date" Opportunity false T::Date, TEXT_LIMIT, "2026-06-30";
    35 "Opportunity Probability" Opportunity false T::Percent, TEXT_LIMIT, "40%";
    36 "Opportunity Notes" Opportunity false T::Text, TEXT_LIMIT, "Needs sign-off";
}

/// Well-known field ids, for the rules that name a field.
pub mod ids {
    use super::FieldId;
    pub const CRM_ID: FieldId = FieldId(0);
    pub const LEAD_NAME: FieldId = FieldId(1);
    pub const EXPORT_VALUE: FieldId = FieldId(2);
    pub const STATE: FieldId = FieldId(12);
    pub const COUNTRY: FieldId = FieldId(14);
}

/// Number of fields in the catalogue.
pub const N_FIELDS: usize = 37;

impl FieldId {
    pub fn def(self) -> &'static FieldDef {
        &FIELDS[self.0 as usize]
    }
}

/// Folds a header for comparison: case and surrounding spaces are ignored.
pub fn normalize_header(text: &str) -> String {
    text.trim().to_lowercase()
}

/// Finds a field by its header text (any case, surrounding spaces ignored).
pub fn field_by_header(header: &str) -> Option<&'static FieldDef> {
    let wanted = normalize_header(header);
    FIELDS.iter().find(|f| normalize_header(f.header) == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_has_37_fields_in_id_order() {
        assert_eq!(FIELDS.len(), N_FIELDS);
        for (idx, f) in FIELDS.iter().enumerate() {
            assert_eq!(f.id.0 as usize, idx, "{}", f.header);
        }
    }

    #[test]
    fn every_category_has_key_identifiers() {
        let keys: Vec<_> = FIELDS.iter().filter(|f| f.key).map(|f| f.header).collect();
        assert_eq!(
            keys,
            [
                "Account CRM ID",
                "Lead Name",
                "Export Value",
                "Contact First Name",
                "Contact Last Name",
                "Communication Subject",
                "Opportunity Title"
            ]
        );
    }

    #[test]
    fn headers_match_ignoring_case_and_spaces() {
        assert_eq!(
            field_by_header("  lead name ").map(|f| f.id),
            Some(ids::LEAD_NAME)
        );
        assert_eq!(field_by_header("COUNTRY").map(|f| f.id), Some(ids::COUNTRY));
        assert!(field_by_header("Lead Nam").is_none());
    }

    #[test]
    fn list_names_round_trip() {
        for l in ListName::ALL {
            assert_eq!(ListName::parse(l.title()), Some(l));
        }
    }
}
