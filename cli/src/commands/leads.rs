//! `leadger leads …`: the CRM view and a record's history.

use leadger_core::app::query::DEFAULT_LIMIT;
use leadger_core::app::report::{ChangeEntry, LeadView};
use leadger_core::event::Kind;

use super::import::parse_kind;
use crate::context::Global;
use crate::output::{self, Table};

#[derive(Debug, clap::Subcommand)]
pub enum LeadsCommand {
    /// Records in CRM ID order, a page at a time (--limit 0: all).
    List {
        #[arg(long, value_parser = parse_kind)]
        kind: Option<Kind>,
        #[arg(long, default_value_t = DEFAULT_LIMIT)]
        limit: u64,
        #[arg(long, default_value_t = 0)]
        offset: u64,
    },
    /// One record with its contacts, communications and opportunities.
    Show { id: u64 },
    /// Every change to a record: which import, who, when, before and after.
    History { id: u64 },
}

fn field(lead: &LeadView, name: &str) -> String {
    match lead.fields.get(name) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn json_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn print_changes(entries: &[ChangeEntry]) -> anyhow::Result<()> {
    let mut t = Table::new(&[
        "seq", "when", "who", "import", "crm id", "event", "field", "before", "after",
    ]);
    for e in entries {
        for c in &e.changes {
            t.row(vec![
                e.seq.to_string(),
                e.at.clone(),
                e.actor.clone(),
                output::opt(&e.import_id),
                e.crm_id.to_string(),
                e.event.clone(),
                c.field.clone(),
                c.before.as_ref().map(json_text).unwrap_or_default(),
                json_text(&c.after),
            ]);
        }
    }
    t.print()
}

impl LeadsCommand {
    pub fn run(self, g: &Global) -> anyhow::Result<()> {
        let ledger = g.open()?;
        match self {
            LeadsCommand::List {
                kind,
                limit,
                offset,
            } => {
                let listing = ledger.leads(kind, offset, limit)?;
                if g.json {
                    return output::json(&listing);
                }
                let mut t = Table::new(&[
                    "crm id",
                    "kind",
                    "lead name",
                    "export value",
                    "status",
                    "city",
                    "country",
                ]);
                for l in &listing.leads {
                    t.row(vec![
                        l.crm_id.to_string(),
                        l.kind.name().into(),
                        field(l, "Lead Name"),
                        field(l, "Export Value"),
                        field(l, "Lead Status"),
                        field(l, "City"),
                        field(l, "Country"),
                    ]);
                }
                t.print()?;
                println!(
                    "{} of {} records (offset {})",
                    listing.leads.len(),
                    listing.total,
                    listing.offset
                );
                Ok(())
            }
            LeadsCommand::Show { id } => {
                let lead = ledger.lead(id)?;
                if g.json {
                    return output::json(&lead);
                }
                println!(
                    "CRM ID {} ({}), version {}, created by import {}",
                    lead.crm_id,
                    lead.kind.name(),
                    lead.version,
                    lead.created_by_import
                );
                let mut t = Table::new(&["field", "value"]);
                for (name, value) in &lead.fields {
                    t.row(vec![name.clone(), json_text(value)]);
                }
                t.print()?;
                for (title, subs) in [
                    ("contacts", &lead.contacts),
                    ("communications", &lead.communications),
                    ("opportunities", &lead.opportunities),
                ] {
                    for (idx, sub) in subs.iter().enumerate() {
                        println!("\n{title} #{}", idx + 1);
                        let mut t = Table::new(&["field", "value"]);
                        for (name, value) in sub {
                            t.row(vec![name.clone(), json_text(value)]);
                        }
                        t.print()?;
                    }
                }
                Ok(())
            }
            LeadsCommand::History { id } => {
                let history = ledger.lead_history(id)?;
                if g.json {
                    output::json(&history)
                } else {
                    print_changes(&history)
                }
            }
        }
    }
}
