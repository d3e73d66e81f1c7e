//! Tests of matching (PRODUCT.md section 3) on the in-memory store: given
//! these records in the CRM view, when the rows of one file are planned,
//! then each row's outcome and findings are exactly these.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::catalogue::field_by_header;
use crate::cell::Cell;
use crate::event::Event;
use crate::event::Fields;
use crate::memstore::MemStore;
use crate::parse::DateFormat;
use crate::read::SheetRow;
use crate::reference::ReferenceData;
use crate::validate::{map_headers, parse_row, HeaderMap, Resolver};
use crate::value::Value;

/// The id of the field with this header.
fn f(header: &str) -> FieldId {
    field_by_header(header).unwrap().id
}

fn text(header: &str, value: &str) -> (FieldId, Value) {
    (f(header), Value::Text(value.into()))
}

/// Puts a record into the CRM view the way the projections keep it: its
/// events in the log (its creation and two updates, so that it is at
/// version 3 and tests see the planned `base_version` is the record's
/// own), its events' sequence numbers, its name index entry and, when it
/// has one, its export value index entry.
fn seed(store: &MemStore, crm_id: CrmId, kind: Kind, fields: &[(&str, &str)]) {
    let mut fields: Fields = fields.iter().map(|(h, v)| text(h, v)).collect();
    fields.sort_by_key(|(id, _)| *id);
    let name = crate::event::field_text(&fields, ids::LEAD_NAME).unwrap_or_default();
    let export = crate::event::field_text(&fields, ids::EXPORT_VALUE);
    let first = crm_id * 10;
    let updated = |version| Event::LeadUpdated {
        import_id: 1,
        row: 2,
        crm_id,
        version,
        changes: Vec::new(),
    };
    let events = [
        Event::LeadCreated {
            import_id: 1,
            row: 2,
            crm_id,
            kind,
            fields,
        },
        updated(2),
        updated(3),
    ];
    let mut block = crate::log::BlockBuilder::new(first, 0);
    for (seq, event) in (first..).zip(&events) {
        block.push(&crate::log::test_envelope(seq, event)).unwrap();
    }
    let (key, value) = block.finish().unwrap();
    let mut log = crate::store::WriteBatch::default();
    log.put(crate::store::Table::Events, key.to_vec(), value);
    store.write(log).unwrap();
    // The record and its index entries in the projection's own layout, as
    // one chunk of a catch-up would write them.
    let mut ov = crate::projection::overlay::Overlay::new(store);
    ov.index_put(keys::by_name(kind, &name, crm_id), crm_id);
    if let Some(export) = export {
        ov.index_put(keys::by_export(kind, &export), crm_id);
    }
    ov.put_updated(crm_id, (first..first + 3).collect());
    let writes = ov.take_index();
    let mut batch = ov.into_batch().unwrap();
    crate::projection::index::flush(
        store,
        &mut batch,
        Default::default(),
        crm_id,
        crm_id + 1,
        writes,
        &mut crate::projection::index::Held::none(),
    )
    .unwrap();
    store.write(batch).unwrap();
}

/// One file being previewed: its header row, then data rows numbered from 2
/// as a spreadsheet numbers them.
struct File<'a> {
    map: HeaderMap,
    resolver: Resolver,
    matcher: Matcher<'a>,
    next_row: u32,
}

/// What planning one row gave.
#[derive(Debug, PartialEq)]
struct Planned {
    outcome: RowOutcome,
    lead_name: String,
    issues: Vec<Issue>,
}

impl<'a> File<'a> {
    fn new(store: &'a MemStore, kind: Kind, headers: &[&str]) -> Self {
        let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
        let mut header_issues = Vec::new();
        let map = map_headers(&headers, &mut header_issues);
        assert_eq!(header_issues, []);
        File {
            map,
            resolver: Resolver::new(ReferenceData::defaults()),
            matcher: Matcher::new(store, kind),
            next_row: 2,
        }
    }

    fn plan(&mut self, cells: &[&str]) -> Planned {
        let sheet_row = SheetRow {
            row: self.next_row,
            cells: cells.iter().map(|c| Cell::Text(c.to_string())).collect(),
        };
        self.next_row += 1;
        let mut issues = Vec::new();
        let parsed = parse_row(
            &self.map,
            &sheet_row,
            DateFormat::Us,
            &mut self.resolver,
            &mut issues,
        );
        let (outcome, lead_name) = self.matcher.plan(parsed, &mut issues).unwrap();
        Planned {
            outcome,
            lead_name,
            issues,
        }
    }
}

fn err(row: u32, column: &str, value: &str, message: &str) -> Issue {
    error(row, column, value, message.to_string())
}

fn change(header: &str, before: Option<&str>, after: &str) -> FieldChange {
    FieldChange {
        field: f(header),
        before: before.map(|b| Value::Text(b.into())),
        after: Value::Text(after.into()),
    }
}

fn update(crm_id: CrmId, changes: Vec<FieldChange>) -> RowOutcome {
    RowOutcome::Update {
        crm_id,
        base_version: 3,
        changes,
    }
}

fn create(fields: &[(&str, &str)]) -> RowOutcome {
    let mut fields: Fields = fields.iter().map(|(h, v)| text(h, v)).collect();
    fields.sort_by_key(|(id, _)| *id);
    RowOutcome::Create {
        fields,
        contact: None,
        communication: None,
        opportunity: None,
    }
}

/// A store holding lead 7, "Acme Corp", export value `E1`, in Springfield.
fn acme() -> MemStore {
    let store = MemStore::new();
    seed(
        &store,
        7,
        Kind::Leads,
        &[
            ("Lead Name", "Acme Corp"),
            ("Export Value", "E1"),
            ("City", "Springfield"),
            ("Phone", "555 0100"),
        ],
    );
    store
}

// Rule 1: the Account CRM ID.

#[test]
fn a_known_crm_id_updates_that_record() {
    let store = acme();
    let mut file = File::new(&store, Kind::Leads, &["Account CRM ID", "City"]);
    assert_eq!(
        file.plan(&["7", "Ogdenville"]),
        Planned {
            outcome: update(7, vec![change("City", Some("Springfield"), "Ogdenville")]),
            lead_name: "Acme Corp".into(),
            issues: vec![],
        }
    );
}

#[test]
fn an_unknown_crm_id_is_an_error() {
    let store = acme();
    let mut file = File::new(&store, Kind::Leads, &["Account CRM ID", "Lead Name"]);
    let planned = file.plan(&["8", "Acme Corp"]);
    assert_eq!(planned.outcome, RowOutcome::Invalid);
    assert_eq!(
        planned.issues,
        [err(
            2,
            "Account CRM ID",
            "8",
            "there is no record with Account CRM ID 8: IDs are made by leadger, never typed; \
             leave it empty to create a new lead"
        )]
    );
}

#[test]
fn a_crm_id_of_the_other_kind_is_an_error() {
    let store = MemStore::new();
    seed(&store, 4, Kind::Organizations, &[("Lead Name", "Acme")]);
    let mut file = File::new(&store, Kind::Leads, &["Account CRM ID"]);
    let planned = file.plan(&["4"]);
    assert_eq!(planned.outcome, RowOutcome::Invalid);
    assert_eq!(
        planned.issues,
        [err(
            2,
            "Account CRM ID",
            "4",
            "Account CRM ID 4 belongs to organizations, not leads: import this row as \
             organizations or fix the ID"
        )]
    );
}

/// A rejected ID never falls back to the Export Value or the Lead Name,
/// even when those would match a record.
#[test]
fn a_crm_id_that_is_not_a_positive_whole_number_is_an_error() {
    let store = acme();
    let mut file = File::new(
        &store,
        Kind::Leads,
        &["Account CRM ID", "Lead Name", "Export Value"],
    );
    let typed = "IDs are whole numbers made by leadger; leave it empty to match by Export \
                 Value or Lead Name";
    let positive = "IDs are positive whole numbers made by leadger; leave it empty to match \
                    by Export Value or Lead Name";
    let cases = [
        ("abc", format!("`abc` is not an Account CRM ID: {typed}")),
        ("7.5", format!("`7.5` is not an Account CRM ID: {typed}")),
        ("0", format!("`0` is not an Account CRM ID: {positive}")),
        ("-7", format!("`-7` is not an Account CRM ID: {positive}")),
    ];
    for (row, (id, message)) in (2..).zip(cases) {
        let planned = file.plan(&[id, "Acme Corp", ""]);
        assert_eq!(planned.outcome, RowOutcome::Invalid, "{id}");
        assert_eq!(
            planned.issues,
            [err(row, "Account CRM ID", id, &message)],
            "{id}"
        );
    }
}

// Rule 2: the Export Value.

#[test]
fn a_known_export_value_updates_its_record() {
    let store = acme();
    let mut file = File::new(&store, Kind::Leads, &["Export Value", "City"]);
    assert_eq!(
        file.plan(&[" E1 ", "Ogdenville"]),
        Planned {
            outcome: update(7, vec![change("City", Some("Springfield"), "Ogdenville")]),
            lead_name: "Acme Corp".into(),
            issues: vec![],
        }
    );
}

/// Export values are unique per kind and compared case-sensitively, so
/// `e1` and an organization's `E9` are new export values for leads.
#[test]
fn an_unknown_export_value_creates_a_lead() {
    let store = acme();
    seed(
        &store,
        9,
        Kind::Organizations,
        &[("Lead Name", "Nine"), ("Export Value", "E9")],
    );
    let mut file = File::new(&store, Kind::Leads, &["Export Value", "Lead Name"]);
    for export in ["E2", "e1", "E9"] {
        let planned = file.plan(&[export, "Beta"]);
        assert_eq!(planned.issues, [], "{export}");
        assert_eq!(
            planned.outcome,
            create(&[("Export Value", export), ("Lead Name", "Beta")])
        );
    }
}

#[test]
fn an_unknown_export_value_without_a_lead_name_is_an_error() {
    let store = acme();
    let mut file = File::new(&store, Kind::Leads, &["Export Value", "Lead Name", "City"]);
    let planned = file.plan(&["E2", " ", "Ogdenville"]);
    assert_eq!(planned.outcome, RowOutcome::Invalid);
    assert_eq!(
        planned.issues,
        [err(
            2,
            "Lead Name",
            "",
            "a new lead needs a Lead Name: fill it, or give the Account CRM ID or Export \
             Value of an existing lead"
        )]
    );
}

// Rule 3: the Lead Name.

/// The name is matched ignoring case and surrounding spaces; the Lead Name
/// cell is filled, so its new spelling is an update like any other field.
#[test]
fn a_lead_name_of_exactly_one_record_updates_it() {
    let store = acme();
    seed(
        &store,
        9,
        Kind::Organizations,
        &[("Lead Name", "Acme Corp")],
    );
    let mut file = File::new(&store, Kind::Leads, &["Lead Name", "City"]);
    assert_eq!(
        file.plan(&["  ACME corp ", "Ogdenville"]),
        Planned {
            outcome: update(
                7,
                vec![
                    change("Lead Name", Some("Acme Corp"), "ACME corp"),
                    change("City", Some("Springfield"), "Ogdenville"),
                ]
            ),
            lead_name: "ACME corp".into(),
            issues: vec![],
        }
    );
}

#[test]
fn a_lead_name_of_no_record_creates_a_lead() {
    let store = acme();
    let mut file = File::new(&store, Kind::Leads, &["Lead Name", "City"]);
    assert_eq!(
        file.plan(&["Acme", "Ogdenville"]),
        Planned {
            outcome: create(&[("Lead Name", "Acme"), ("City", "Ogdenville")]),
            lead_name: "Acme".into(),
            issues: vec![],
        }
    );
}

#[test]
fn a_lead_name_of_several_records_is_an_error_naming_their_ids() {
    let store = acme();
    seed(&store, 3, Kind::Leads, &[("Lead Name", "ACME CORP ")]);
    seed(
        &store,
        9,
        Kind::Organizations,
        &[("Lead Name", "Acme Corp")],
    );
    let mut file = File::new(&store, Kind::Leads, &["Lead Name"]);
    let planned = file.plan(&["acme corp"]);
    assert_eq!(planned.outcome, RowOutcome::Invalid);
    assert_eq!(
        planned.issues,
        [err(
            2,
            "Lead Name",
            "acme corp",
            "several leads are named `acme corp` (CRM IDs 3, 7): add the Account CRM ID or \
             the Export Value to say which"
        )]
    );
}

#[test]
fn an_ambiguous_name_lists_at_most_ten_ids() {
    let store = MemStore::new();
    for crm_id in 1..=12 {
        seed(&store, crm_id, Kind::Leads, &[("Lead Name", "Acme")]);
    }
    let mut file = File::new(&store, Kind::Leads, &["Lead Name"]);
    let planned = file.plan(&["Acme"]);
    assert_eq!(planned.outcome, RowOutcome::Invalid);
    assert_eq!(
        planned.issues[0].message,
        "several leads are named `Acme` (CRM IDs 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, …): add the \
         Account CRM ID or the Export Value to say which"
    );
}

#[test]
fn a_row_without_a_key_identifier_is_an_error() {
    let store = acme();
    let mut file = File::new(
        &store,
        Kind::Leads,
        &["Account CRM ID", "Lead Name", "City"],
    );
    let planned = file.plan(&["", "", "Ogdenville"]);
    assert_eq!(planned.outcome, RowOutcome::Invalid);
    assert_eq!(
        planned.issues,
        [err(
            2,
            "",
            "",
            "the row has no key identifier: fill the Account CRM ID, the Export Value or the \
             Lead Name"
        )]
    );
}

/// A key cell that was filled but rejected has its own error; the row does
/// not get a second one saying it has no key.
#[test]
fn a_rejected_lead_name_is_not_also_a_missing_key() {
    let store = acme();
    let mut file = File::new(&store, Kind::Leads, &["Lead Name"]);
    let long = "x".repeat(201);
    let planned = file.plan(&[&long]);
    assert_eq!(planned.outcome, RowOutcome::Invalid);
    assert_eq!(
        planned.issues,
        [err(
            2,
            "Lead Name",
            &long,
            "is 201 characters long; the limit is 200: shorten it"
        )]
    );
}

// One lead, one row: two rows of a file resolving to the same record.

#[test]
fn two_rows_with_the_same_crm_id_are_an_error_naming_both() {
    let store = acme();
    let mut file = File::new(&store, Kind::Leads, &["Account CRM ID", "City"]);
    assert_eq!(file.plan(&["7", "Ogdenville"]).issues, []);
    let second = file.plan(&["7", "Shelbyville"]);
    assert_eq!(second.outcome, RowOutcome::Invalid);
    assert_eq!(
        second.issues,
        [err(
            3,
            "Account CRM ID",
            "7",
            "rows 2 and 3 both match the record with CRM ID 7 (one lead, one row): merge them \
             into one row"
        )]
    );
}

/// Different key identifiers that land on one record are caught too.
#[test]
fn rows_matching_one_record_by_different_keys_are_an_error() {
    let store = acme();
    let mut file = File::new(
        &store,
        Kind::Leads,
        &["Account CRM ID", "Export Value", "Lead Name"],
    );
    assert_eq!(file.plan(&["", "", "acme corp"]).issues, []);
    let by_export = file.plan(&["", "E1", ""]);
    assert_eq!(by_export.outcome, RowOutcome::Invalid);
    assert_eq!(
        (
            by_export.issues[0].column.as_str(),
            by_export.issues[0].value.as_str()
        ),
        ("Export Value", "E1")
    );
    assert_eq!(
        by_export.issues[0].message,
        "rows 2 and 3 both match the record with CRM ID 7 (one lead, one row): merge them into \
         one row"
    );
    let by_id = file.plan(&["7", "", ""]);
    assert_eq!(
        by_id.issues[0].message,
        "rows 2 and 4 both match the record with CRM ID 7 (one lead, one row): merge them into \
         one row"
    );
}

/// New export values count as much as known ones: two rows creating the
/// same export value would be one lead written twice.
#[test]
fn two_rows_with_the_same_export_value_are_an_error_naming_both() {
    let store = acme();
    let mut file = File::new(&store, Kind::Leads, &["Export Value", "Lead Name"]);
    assert_eq!(file.plan(&["E2", "Beta"]).issues, []);
    let second = file.plan(&[" E2", "Gamma"]);
    assert_eq!(second.outcome, RowOutcome::Invalid);
    assert_eq!(
        second.issues,
        [err(
            3,
            "Export Value",
            "E2",
            "rows 2 and 3 both have Export Value `E2` (one lead, one row): merge them into one row"
        )]
    );
    assert_eq!(file.plan(&["E3", "Delta"]).issues, []);
}

#[test]
fn two_rows_matched_by_the_same_name_are_an_error_naming_both() {
    let store = acme();
    let mut file = File::new(&store, Kind::Leads, &["Lead Name"]);
    assert_eq!(
        file.plan(&["Beta"]).outcome,
        create(&[("Lead Name", "Beta")])
    );
    assert_eq!(file.plan(&["Gamma"]).issues, []);
    let again = file.plan(&[" BETA "]);
    assert_eq!(again.outcome, RowOutcome::Invalid);
    assert_eq!(
        again.issues,
        [err(
            4,
            "Lead Name",
            "BETA",
            "rows 2 and 4 both match Lead Name `BETA` (one lead, one row): merge them into one \
             row, or add an Export Value to tell them apart"
        )]
    );
}

// What an update changes.

#[test]
fn blank_cells_never_erase_and_only_filled_fields_change() {
    let store = acme();
    let mut file = File::new(
        &store,
        Kind::Leads,
        &["Export Value", "City", "Phone", "Notes"],
    );
    let planned = file.plan(&["E1", "", "555 0199", "   "]);
    assert_eq!(planned.issues, []);
    assert_eq!(
        planned.outcome,
        update(7, vec![change("Phone", Some("555 0100"), "555 0199")])
    );
}

#[test]
fn a_field_the_record_lacks_is_added() {
    let store = acme();
    let mut file = File::new(&store, Kind::Leads, &["Account CRM ID", "Notes"]);
    assert_eq!(
        file.plan(&["7", "Met at the fair"]).outcome,
        update(7, vec![change("Notes", None, "Met at the fair")])
    );
}

#[test]
fn a_row_that_changes_nothing_is_unchanged() {
    let store = acme();
    let mut file = File::new(&store, Kind::Leads, &["Export Value", "Lead Name", "City"]);
    assert_eq!(
        file.plan(&["E1", "Acme Corp", "Springfield"]),
        Planned {
            outcome: RowOutcome::Unchanged {
                crm_id: 7,
                base_version: 3
            },
            lead_name: "Acme Corp".into(),
            issues: vec![],
        }
    );
}

#[test]
fn an_update_may_not_take_another_records_export_value() {
    let store = acme();
    seed(
        &store,
        8,
        Kind::Leads,
        &[("Lead Name", "Beta"), ("Export Value", "E8")],
    );
    let mut file = File::new(&store, Kind::Leads, &["Account CRM ID", "Export Value"]);
    let planned = file.plan(&["7", "E8"]);
    assert_eq!(planned.outcome, RowOutcome::Invalid);
    assert_eq!(
        planned.issues,
        [err(
            2,
            "Export Value",
            "E8",
            "Export Value `E8` already belongs to CRM ID 8: export values are unique; fix one \
             of them"
        )]
    );
}

// Contacts, communications and opportunities.

const SUB_HEADERS: [&str; 6] = [
    "Export Value",
    "Lead Name",
    "Contact First Name",
    "Contact Last Name",
    "Communication Subject",
    "Opportunity Amount",
];

#[test]
fn sub_category_fields_on_an_updating_row_are_ignored_with_a_warning() {
    let store = acme();
    let mut file = File::new(&store, Kind::Leads, &SUB_HEADERS);
    let planned = file.plan(&["E1", "", "Ann", "Lee", "", "12"]);
    assert_eq!(
        planned.outcome,
        RowOutcome::Unchanged {
            crm_id: 7,
            base_version: 3
        }
    );
    let ignored = |cat: &str| {
        format!(
            "the {cat} fields were ignored: {cat}s are only created together with a new lead, \
             and this row updates CRM ID 7"
        )
    };
    assert_eq!(
        planned.issues,
        [
            warning(2, "Contact First Name", "Ann", ignored("contact")),
            warning(2, "Opportunity Amount", "12", ignored("opportunity")),
        ]
    );
}

#[test]
fn a_new_lead_gets_the_sub_records_of_its_row() {
    let store = acme();
    let mut file = File::new(&store, Kind::Leads, &SUB_HEADERS[..5]);
    let planned = file.plan(&["E2", "Beta", "Ann", "Lee", "Intro call"]);
    assert_eq!(planned.issues, []);
    assert_eq!(
        planned.outcome,
        RowOutcome::Create {
            fields: vec![text("Lead Name", "Beta"), text("Export Value", "E2")],
            contact: Some(vec![
                text("Contact First Name", "Ann"),
                text("Contact Last Name", "Lee"),
            ]),
            communication: Some(vec![text("Communication Subject", "Intro call")]),
            opportunity: None,
        }
    );
}

#[test]
fn sub_category_fields_without_all_its_key_identifiers_are_an_error() {
    let store = acme();
    let mut file = File::new(&store, Kind::Leads, &SUB_HEADERS);
    let planned = file.plan(&["", "Beta", "Ann", "", "Intro call", "12"]);
    let missing = |cat: &str, header: &str| {
        format!(
            "the row fills {cat} fields but not {header}: a {cat} needs all of its key \
             identifiers; fill them or clear the {cat} fields"
        )
    };
    assert_eq!(
        planned.issues,
        [
            error(
                2,
                "Contact Last Name",
                "",
                missing("contact", "Contact Last Name")
            ),
            error(
                2,
                "Opportunity Title",
                "",
                missing("opportunity", "Opportunity Title")
            ),
        ]
    );
    // Regression: the row used to stay planned as a create (counted both
    // as a lead to create and as an error); like every other matching
    // error, it now plans nothing.
    assert_eq!(planned.outcome, RowOutcome::Invalid);
}

/// An unreadable value is ignored (a warning from validation): the record's
/// field is left as it was.
#[test]
fn an_unreadable_value_leaves_the_field_as_it_was() {
    let store = MemStore::new();
    let fields = [
        ("Lead Name", "Acme"),
        ("Export Value", "E1"),
        ("Employees", "250"),
    ];
    seed(&store, 7, Kind::Leads, &fields);
    let mut file = File::new(&store, Kind::Leads, &["Export Value", "Employees"]);
    let planned = file.plan(&["E1", "many"]);
    assert_eq!(
        planned.outcome,
        RowOutcome::Unchanged {
            crm_id: 7,
            base_version: 3
        }
    );
    assert_eq!(
        planned.issues,
        [warning(
            2,
            "Employees",
            "many",
            "cannot read `many` as a whole number: write digits only, such as 1250 or 1,250; \
             the value was ignored"
                .into()
        )]
    );
}

#[test]
fn a_remembered_key_costs_twenty_bytes_and_tells_keys_apart() {
    // The maps of keys seen hold a million entries in a million-row
    // preview: a fingerprint and a row, without padding.
    assert_eq!(std::mem::size_of::<(Fingerprint, u32)>(), 20);
    let keys: Vec<String> = (0..10_000).map(|n| format!("E{n}")).collect();
    let mut seen: HashMap<Fingerprint, u32, Fingerprinted> = HashMap::default();
    for (row, key) in keys.iter().enumerate() {
        assert!(seen.insert(fingerprint(key), row as u32).is_none(), "{key}");
    }
    for (row, key) in keys.iter().enumerate() {
        assert_eq!(seen.get(&fingerprint(key)), Some(&(row as u32)));
    }
    assert!(!seen.contains_key(&fingerprint("E10000")));
}
