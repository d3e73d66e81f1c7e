//! The wire types answer exactly the CLI's `--json`: every report the API
//! returns is serialised both ways (serde on the core report, as the CLI
//! prints it; poem-openapi on its mirror, as the API sends it) and the two
//! must be the same JSON. A field added to a core report and not to its
//! mirror fails here.
#![allow(clippy::unwrap_used)]

use leadger_core::app::{NoProgress, PreviewImport, SystemClock};
use leadger_core::event::Kind;
use leadger_core::memstore::MemStore;
use leadger_core::parse::DateFormat;
use leadger_core::{Ledger, LedgerOptions};
use poem_openapi::types::ToJSON;
use serde::Serialize;

fn same_json<C: Serialize + Clone, W: From<C> + ToJSON>(what: &str, core: &C) {
    let cli = serde_json::to_value(core).unwrap();
    let api = W::from(core.clone()).to_json().unwrap();
    assert_eq!(cli, api, "{what}: the API's JSON differs from the CLI's");
}

fn preview(l: &Ledger<MemStore>, name: &str, csv: &str) -> leadger_core::app::report::ImportReport {
    let cmd = PreviewImport {
        file_name: name.into(),
        kind: Kind::Leads,
        date_format: DateFormat::Us,
        actor: "ops".into(),
    };
    l.preview(cmd, &mut csv.as_bytes(), &NoProgress).unwrap()
}

#[test]
fn every_report_serialises_as_the_cli_prints_it() {
    use super::*;
    let l = Ledger::open(
        MemStore::new(),
        Box::new(SystemClock),
        LedgerOptions::default(),
    )
    .unwrap();
    let first = preview(
        &l,
        "first.csv",
        "Lead Name,Export Value,Employees,Do Not Contact,Email,Contact First Name,Contact Last Name\n\
         Acme,E1,12,Yes,joe@acmecom,Joe,Bloggs\n\
         Beta,E2,many,No,,,\n",
    );
    assert!(first.counts.warnings > 0 && first.counts.errors == 0);
    same_json::<_, ImportReport>("preview with warnings", &first);
    let commit = l.commit(first.import_id, "ops", &NoProgress).unwrap();
    same_json::<_, CommitReport>("commit", &commit);

    // The same bytes again: flagged as already imported.
    let again = preview(
        &l,
        "first.csv",
        "Lead Name,Export Value,Employees,Do Not Contact,Email,Contact First Name,Contact Last Name\n\
         Acme,E1,12,Yes,joe@acmecom,Joe,Bloggs\n\
         Beta,E2,many,No,,,\n",
    );
    assert!(again.already_imported_as.is_some());
    same_json::<_, ImportReport>("preview of a known file", &again);

    let update = preview(&l, "update.csv", "Export Value,City\nE1,Boston\nE2,\n");
    same_json::<_, ImportReport>("preview with updates", &update);
    l.commit(update.import_id, "ops", &NoProgress).unwrap();
    same_json::<_, ImportReport>(
        "committed import with results",
        &l.import_report(update.import_id).unwrap(),
    );

    let bad = preview(&l, "bad.csv", "Lead Nmae,Country\nAcme,USA\n");
    assert!(bad.counts.errors > 0);
    same_json::<_, ImportReport>("preview with errors", &bad);

    same_json::<_, ImportListing>("imports list", &l.imports(0, 100).unwrap());
    same_json::<_, LeadListing>("leads list", &l.leads(None, 0, 0).unwrap());
    same_json::<_, LeadView>("one lead", &l.lead(1).unwrap());
    for entry in l.lead_history(1).unwrap() {
        same_json::<_, leads::ChangeEntry>("lead history", &entry);
    }
    for entry in l.audit_import(update.import_id).unwrap() {
        same_json::<_, leads::ChangeEntry>("import changes", &entry);
    }
    same_json::<_, VerifyReport>("verify", &l.verify().unwrap());
}
