//! `leadger imports …`: commit a preview; list; show one; download its file.

use std::path::PathBuf;

use anyhow::Context as _;
use leadger_core::app::query::DEFAULT_LIMIT;

use super::import::{print_commit, print_preview};
use crate::context::Global;
use crate::output::{self, Table};

#[derive(Debug, clap::Subcommand)]
pub enum ImportsCommand {
    /// Commit a previewed import (the Import button).
    Commit { id: u64 },
    /// Imports, newest first.
    List {
        #[arg(long, default_value_t = DEFAULT_LIMIT)]
        limit: u64,
        #[arg(long, default_value_t = 0)]
        offset: u64,
    },
    /// One import with its errors, warnings, plan and results.
    Show { id: u64 },
    /// Write the original uploaded file, byte for byte.
    File {
        id: u64,
        #[arg(long)]
        out: PathBuf,
    },
}

impl ImportsCommand {
    pub fn run(self, g: &Global) -> anyhow::Result<()> {
        let ledger = g.open()?;
        match self {
            ImportsCommand::Commit { id } => {
                let progress = crate::progress::for_terminal(g.json);
                // Written as soon as the commit is durable, while its
                // projections catch up.
                ledger.commit_answering(id, &g.actor(), progress.as_ref(), |report| {
                    if g.json {
                        output::json(&report)
                    } else {
                        print_commit(report)
                    }
                })?
            }
            ImportsCommand::List { limit, offset } => {
                let listing = ledger.imports(offset, limit)?;
                if g.json {
                    return output::json(&listing);
                }
                let mut t = Table::new(&[
                    "id",
                    "kind",
                    "status",
                    "file",
                    "uploaded",
                    "by",
                    "create",
                    "update",
                    "unchanged",
                    "errors",
                ]);
                for i in &listing.imports {
                    t.row(vec![
                        i.import_id.to_string(),
                        i.kind.name().into(),
                        serde_json::to_value(i.status)?
                            .as_str()
                            .unwrap_or_default()
                            .into(),
                        i.file.name.clone(),
                        i.uploaded_at.clone(),
                        i.uploaded_by.clone(),
                        i.counts.create.to_string(),
                        i.counts.update.to_string(),
                        i.counts.unchanged.to_string(),
                        i.counts.errors.to_string(),
                    ]);
                }
                t.print()?;
                println!("{} of {} imports", listing.imports.len(), listing.total);
                Ok(())
            }
            ImportsCommand::Show { id } => {
                if g.json {
                    return output::json(&ledger.import_report_streamed(id)?);
                }
                let mut report = ledger.import_report_streamed(id)?;
                let results = report.results.take();
                print_preview(report)?;
                if let Some(results) = results {
                    println!();
                    print_commit(results)?;
                }
                Ok(())
            }
            ImportsCommand::File { id, out } => {
                let (name, mut reader) = ledger.import_file(id)?;
                let mut file = std::fs::File::create(&out)
                    .with_context(|| format!("cannot create {}", out.display()))?;
                let n = std::io::copy(&mut reader, &mut file)
                    .with_context(|| format!("cannot write {}", out.display()))?;
                file.sync_all()?;
                if g.json {
                    output::json(
                        &serde_json::json!({"import_id": id, "name": name, "size": n, "out": out}),
                    )
                } else {
                    println!("wrote {} ({n} bytes, uploaded as {name})", out.display());
                    Ok(())
                }
            }
        }
    }
}
