//! `leadger import FILE`: preview, and with `--commit` commit when clean.

use std::path::PathBuf;

use anyhow::Context as _;
use leadger_core::app::report::{StreamedCommitReport, StreamedImportReport};
use leadger_core::app::PreviewImport;
use leadger_core::event::Kind;
use leadger_core::parse::DateFormat;
use serde::Serialize;

use crate::context::Global;
use crate::output::{self, Table};
use crate::Exit;

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The spreadsheet: .xlsx, .xls, .ods or .csv.
    #[arg(required_unless_present = "example")]
    pub file: Option<PathBuf>,
    /// Import the example file bundled with leadger instead of FILE.
    #[arg(long, conflicts_with = "file")]
    pub example: bool,
    /// What the rows are.
    #[arg(long, default_value = "leads", value_parser = parse_kind)]
    pub kind: Kind,
    /// How to read dates like 03/04/2025: us (MM/DD/YYYY), eu (DD/MM/YYYY) or iso.
    #[arg(long, default_value = "us", value_parser = parse_date_format)]
    pub date_format: DateFormat,
    /// Commit the import when the preview has no errors.
    #[arg(long)]
    pub commit: bool,
}

pub fn parse_kind(text: &str) -> Result<Kind, String> {
    Kind::parse(text).ok_or_else(|| format!("`{text}` is not a kind: use leads or organizations"))
}

fn parse_date_format(text: &str) -> Result<DateFormat, String> {
    DateFormat::parse(text)
        .ok_or_else(|| format!("`{text}` is not a date format: use us, eu or iso"))
}

/// The example import bundled into the binary (`import --example`).
const EXAMPLE: &[u8] = include_bytes!("../../example/leads.csv");
const EXAMPLE_NAME: &str = "example-leads.csv";

/// The answer of `import --commit`: the commit, with the preview inside.
/// Both lists are read from the log while the JSON is written.
#[derive(Serialize)]
struct CommitWithPreview<'a> {
    #[serde(flatten)]
    commit: StreamedCommitReport<'a>,
    preview: StreamedImportReport<'a>,
}

impl ImportArgs {
    pub fn run(self, g: &Global) -> anyhow::Result<()> {
        let (file_name, mut file): (String, Box<dyn std::io::Read>) = match &self.file {
            Some(path) => {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let file = std::fs::File::open(path)
                    .with_context(|| format!("cannot open {}", path.display()))?;
                (name, Box::new(file))
            }
            None => (EXAMPLE_NAME.to_string(), Box::new(EXAMPLE)),
        };
        let ledger = g.open()?;
        let progress = crate::progress::for_terminal(g.json);
        let cmd = PreviewImport {
            file_name,
            kind: self.kind,
            date_format: self.date_format,
            actor: g.actor(),
        };
        // The answers are streamed (from the heads the preview and commit
        // spool) as they are printed, so a million-row preview is never
        // held in memory as a whole.
        let preview = ledger.preview_streamed(cmd, &mut file, progress.as_ref())?;
        let import_id = preview.import_id;
        if preview.counts.errors > 0 {
            let errors = preview.counts.errors;
            if g.json {
                output::json(&preview)?;
            } else {
                print_preview(preview)?;
            }
            return Err(Exit {
                code: 3,
                message: format!(
                    "the file has {errors} validation errors; nothing was committed: fix them and import the file again"
                ),
            }
            .into());
        }
        if !self.commit {
            return if g.json {
                output::json(&preview)
            } else {
                print_preview(preview)
            };
        }
        // `preview` stays the answer as it was before the commit (status
        // previewed, no results): its rows come from the frozen plan.
        // Written as soon as the commit is durable, while its projections
        // catch up.
        ledger.commit_answering(import_id, &g.actor(), progress.as_ref(), |commit| {
            if g.json {
                output::json(&CommitWithPreview { commit, preview })
            } else {
                print_preview(preview)?;
                println!();
                print_commit(commit)
            }
        })?
    }
}

/// How many plan rows a table shows before summarising the rest.
const SHOWN_ROWS: usize = 50;

pub fn print_preview(p: StreamedImportReport<'_>) -> anyhow::Result<()> {
    println!(
        "import {} ({}) of {} ({} bytes, blake3 {}) — {}",
        p.import_id,
        p.kind.name(),
        p.file.name,
        p.file.size,
        &p.file.blake3[..16],
        serde_json::to_value(p.status)?.as_str().unwrap_or_default()
    );
    if let Some(earlier) = p.already_imported_as {
        let on = p
            .already_imported_on
            .as_deref()
            .unwrap_or("an earlier date");
        println!("note: this file was already imported as import {earlier} on {on}");
    }
    let c = &p.counts;
    println!(
        "create {}, update {}, unchanged {}, errors {}, warnings {}",
        c.create, c.update, c.unchanged, c.errors, c.warnings
    );
    for (title, issues) in [("errors", &p.errors), ("warnings", &p.warnings)] {
        if issues.is_empty() {
            continue;
        }
        println!("\n{title}:");
        let mut t = Table::new(&["row", "column", "value", "message"]);
        for i in issues.iter() {
            t.row(vec![
                i.row.to_string(),
                i.column.clone(),
                i.value.clone(),
                i.message.clone(),
            ]);
        }
        t.print()?;
    }
    let n_rows = c.create + c.update + c.unchanged;
    if p.errors.is_empty() && n_rows > 0 {
        println!();
        let mut t = Table::new(&["row", "action", "crm id", "lead name"]);
        for r in p.rows.items().take(SHOWN_ROWS) {
            let r = r?;
            t.row(vec![
                r.row.to_string(),
                r.action.clone(),
                output::opt(&r.crm_id),
                r.lead_name.clone(),
            ]);
        }
        t.print()?;
        if n_rows > SHOWN_ROWS as u64 {
            println!(
                "… and {} more rows (--json lists them all)",
                n_rows - SHOWN_ROWS as u64
            );
        }
    }
    Ok(())
}

pub fn print_commit(c: StreamedCommitReport<'_>) -> anyhow::Result<()> {
    println!(
        "committed import {}: imported {}, created {}, updated {}, unchanged {}",
        c.import_id, c.counts.imported, c.counts.created, c.counts.updated, c.counts.unchanged
    );
    let mut t = Table::new(&["row", "action", "crm id", "lead name", "url"]);
    for l in c.leads.items().take(SHOWN_ROWS) {
        let l = l?;
        t.row(vec![
            l.row.to_string(),
            l.action.clone(),
            l.crm_id.to_string(),
            l.lead_name.clone(),
            l.url.clone(),
        ]);
    }
    if !t.is_empty() {
        t.print()?;
    }
    if c.counts.imported > SHOWN_ROWS as u64 {
        println!(
            "… and {} more leads (--json lists them all)",
            c.counts.imported - SHOWN_ROWS as u64
        );
    }
    Ok(())
}
