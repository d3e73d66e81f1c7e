//! The benchmark's vocabulary: the template's columns, the default list
//! items of PRODUCT.md section 8, and names, streets and places to draw
//! realistic values from (US and CA places with a valid state).

/// The 37 template columns, in catalogue order (checked against
/// `leadger_core::catalogue::FIELDS` at start-up).
pub const HEADERS: [&str; 37] = [
    "Account CRM ID",
    "Lead Name",
    "Export Value",
    "Lead Status",
    "Lead Source",
    "Industry",
    "Email",
    "Phone",
    "Website",
    "Address 1",
    "Address 2",
    "City",
    "State",
    "Postal Code",
    "Country",
    "Birthdate",
    "Annual Revenue",
    "Employees",
    "Do Not Contact",
    "Notes",
    "Contact First Name",
    "Contact Last Name",
    "Contact Title",
    "Contact Email",
    "Contact Phone",
    "Contact Mobile",
    "Contact Birthdate",
    "Communication Subject",
    "Communication Type",
    "Communication Date",
    "Communication Notes",
    "Opportunity Title",
    "Opportunity Stage",
    "Opportunity Amount",
    "Opportunity Close Date",
    "Opportunity Probability",
    "Opportunity Notes",
];

/// Columns of the update file: leads found by Export Value, 2–3 changes.
pub const UPDATE_HEADERS: [&str; 4] = ["Export Value", "City", "Lead Status", "Phone"];

pub const LEAD_STATUS: [&str; 5] = ["New", "Contacted", "Qualified", "Unqualified", "Customer"];
pub const LEAD_SOURCE: [&str; 7] = [
    "Web",
    "Referral",
    "Trade Show",
    "Cold Call",
    "Advertisement",
    "Partner",
    "Other",
];
pub const INDUSTRY: [&str; 13] = [
    "Agriculture",
    "Construction",
    "Education",
    "Finance",
    "Government",
    "Healthcare",
    "Hospitality",
    "Manufacturing",
    "Nonprofit",
    "Retail",
    "Technology",
    "Transportation",
    "Other",
];
pub const COMM_TYPE: [&str; 5] = ["Email", "Phone Call", "Meeting", "Letter", "Note"];
pub const OPP_STAGE: [&str; 6] = [
    "Prospecting",
    "Qualification",
    "Proposal",
    "Negotiation",
    "Closed Won",
    "Closed Lost",
];
pub const ADJ: [&str; 16] = [
    "Northwind",
    "Blue Ridge",
    "Summit",
    "Harbor",
    "Pioneer",
    "Granite",
    "Silver Oak",
    "Evergreen",
    "Redwood",
    "Lakeside",
    "Keystone",
    "Beacon",
    "Crescent",
    "Highland",
    "Meridian",
    "Sterling",
];
pub const NOUN: [&str; 12] = [
    "Logistics",
    "Foods",
    "Dental",
    "Builders",
    "Analytics",
    "Outfitters",
    "Bakery",
    "Motors",
    "Media",
    "Robotics",
    "Textiles",
    "Energy",
];
pub const SUFFIX: [&str; 6] = ["Inc.", "LLC", "Ltd", "GmbH", "Co.", "Group"];
pub const FIRST: [&str; 12] = [
    "Jane", "John", "Maria", "Ahmed", "Chen", "Olivia", "Lukas", "Sofia", "Liam", "Aisha", "Noah",
    "Emma",
];
pub const LAST: [&str; 12] = [
    "Doe", "Smith", "García", "Khan", "Li", "Brown", "Müller", "Rossi", "O'Neil", "Okafor",
    "Nguyen", "Novak",
];
pub const TITLE: [&str; 6] = [
    "Purchasing Manager",
    "CEO",
    "Office Manager",
    "IT Director",
    "Head of Sales",
    "Buyer",
];
pub const STREET: [&str; 6] = [
    "Main Street",
    "Oak Avenue",
    "Elm Road",
    "Market Street",
    "High Street",
    "Mill Lane",
];
pub const SUBJECT: [&str; 6] = [
    "Introductory call",
    "Follow-up on quote",
    "Demo scheduled",
    "Pricing question",
    "Contract review",
    "Site visit",
];
pub const OPP_TITLE: [&str; 6] = [
    "Spring order",
    "Annual renewal",
    "Fleet upgrade",
    "Pilot project",
    "Expansion",
    "Support plan",
];
pub const NOTE: [&str; 5] = [
    "Met at the spring fair",
    "Asked for a quote, call back in May",
    "Prefers e-mail; \"no calls before 10\"",
    "Existing customer of a partner",
    "Budget approved for next quarter",
];

/// (country, city, state, postal-code prefix, phone prefix)
pub type Place = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);
pub const PLACES: [Place; 16] = [
    ("US", "Boston", "MA", "021", "(617) 555-"),
    ("US", "Providence", "RI", "029", "(401) 555-"),
    ("US", "Newark", "NJ", "071", "(973) 555-"),
    ("US", "Chicago", "IL", "606", "(312) 555-"),
    ("US", "Austin", "TX", "787", "(512) 555-"),
    ("US", "Seattle", "WA", "981", "(206) 555-"),
    ("US", "Denver", "CO", "802", "(303) 555-"),
    ("US", "Miami", "FL", "331", "(305) 555-"),
    ("CA", "Toronto", "ON", "M5V", "(416) 555-"),
    ("CA", "Montreal", "QC", "H2Y", "(514) 555-"),
    ("CA", "Vancouver", "BC", "V6B", "(604) 555-"),
    ("GB", "London", "", "SW1A", "020 7946 "),
    ("GB", "Manchester", "", "M1", "0161 496 "),
    ("DE", "Berlin", "", "10", "030 9018 "),
    ("DE", "Dresden", "", "01", "0351 4190 "),
    ("DE", "Leipzig", "", "04", "0341 2250 "),
];
