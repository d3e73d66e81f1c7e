//! `leadger audit …`: what an import changed; every change to a field.

use anyhow::anyhow;
use chrono::NaiveDate;
use leadger_core::catalogue::{field_by_header, FIELDS};

use super::leads::print_changes;
use crate::context::Global;
use crate::output;
use crate::Exit;

#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Every change an import made (each field, before and after).
    Import { id: u64 },
    /// Every change to one field (its header text, e.g. "City"), by imports
    /// committed between two dates (YYYY-MM-DD, inclusive, UTC).
    Field {
        field: String,
        #[arg(long)]
        from: Option<NaiveDate>,
        #[arg(long)]
        to: Option<NaiveDate>,
    },
}

impl AuditCommand {
    pub fn run(self, g: &Global) -> anyhow::Result<()> {
        let entries = match self {
            AuditCommand::Import { id } => g.open()?.audit_import(id)?,
            AuditCommand::Field { field, from, to } => {
                let def = field_by_header(&field).ok_or_else(|| {
                    let hint = leadger_core::suggest::closest(&field, FIELDS.iter().map(|f| f.header))
                        .map(|s| format!("did you mean `{s}`? "))
                        .unwrap_or_default();
                    Exit { code: 2, message: format!("`{field}` is not a field: {hint}use a template header such as \"City\"") }
                })?;
                let start = |d: NaiveDate| {
                    d.and_hms_opt(0, 0, 0)
                        .map(|t| t.and_utc().timestamp_millis())
                };
                let end = |d: NaiveDate| {
                    d.and_hms_milli_opt(23, 59, 59, 999)
                        .map(|t| t.and_utc().timestamp_millis())
                };
                let from_ms = from
                    .map(|d| start(d).ok_or_else(|| anyhow!("bad --from date")))
                    .transpose()?;
                let to_ms = to
                    .map(|d| end(d).ok_or_else(|| anyhow!("bad --to date")))
                    .transpose()?;
                g.open()?.audit_field(def.id, from_ms, to_ms)?
            }
        };
        if g.json {
            output::json(&entries)
        } else {
            print_changes(&entries)
        }
    }
}
