//! `leadger template`: writes an import template (.xlsx or .csv) with the
//! chosen fields, built by the application layer from the current
//! reference data.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use leadger_core::event::Kind;
use leadger_core::template::{TemplateFormat, TemplateRequest};
use serde::Serialize;

use super::import::parse_kind;
use crate::context::Global;
use crate::output;
use crate::Exit;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What the rows will be: leads or organizations.
    #[arg(long, default_value = "leads", value_parser = parse_kind)]
    kind: Kind,
    /// Fields to include, by header text, comma-separated (e.g. "Lead Status,Email");
    /// the key identifiers of their categories are always added.
    #[arg(long, value_delimiter = ',')]
    fields: Vec<String>,
    /// Whole categories to include, comma-separated: main (or lead), contact,
    /// communication, opportunity. With neither --fields nor --categories,
    /// every field.
    #[arg(long, value_delimiter = ',')]
    categories: Vec<String>,
    /// Where to write the template: FILE.xlsx or FILE.csv.
    #[arg(long)]
    out: PathBuf,
    /// xlsx or csv, when not the extension of --out.
    #[arg(long, value_parser = parse_format)]
    format: Option<TemplateFormat>,
}

fn parse_format(text: &str) -> Result<TemplateFormat, String> {
    TemplateFormat::parse(text)
        .ok_or_else(|| format!("`{text}` is not a template format: use xlsx or csv"))
}

/// What `--json` prints once the file is written.
#[derive(Serialize)]
struct Written<'a> {
    file: String,
    kind: &'static str,
    format: &'static str,
    fields: Vec<&'a str>,
    size: usize,
}

impl Args {
    pub fn run(self, g: &Global) -> anyhow::Result<()> {
        let format = match self.format {
            Some(format) => format,
            None => format_of(&self.out)?,
        };
        let req = TemplateRequest {
            kind: self.kind,
            fields: self.fields,
            categories: self.categories,
            format,
        };
        // Checked before the ledger opens, so a typo costs nothing.
        let fields = req.selected_fields()?;
        let ledger = g.open()?;
        let file = ledger.template(&req)?;
        std::fs::write(&self.out, &file.bytes)
            .with_context(|| format!("cannot write {}", self.out.display()))?;
        let written = Written {
            file: self.out.display().to_string(),
            kind: self.kind.name(),
            format: format.extension(),
            fields: fields.iter().map(|f| f.header).collect(),
            size: file.bytes.len(),
        };
        if g.json {
            return output::json(&written);
        }
        println!(
            "wrote the {} template ({}, {} fields) to {}",
            written.kind,
            written.format,
            written.fields.len(),
            written.file
        );
        println!("fields: {}", written.fields.join(", "));
        Ok(())
    }
}

/// The format named by the file's extension; any other extension is bad
/// usage (exit 2), since the file would not open as what its name says.
fn format_of(path: &Path) -> anyhow::Result<TemplateFormat> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default();
    TemplateFormat::parse(&ext).ok_or_else(|| {
        let why = if ext.is_empty() {
            "has no extension".to_string()
        } else {
            format!("ends in .{ext}")
        };
        Exit {
            code: 2,
            message: format!(
                "--out {} {why}: name it FILE.xlsx or FILE.csv (or give --format xlsx|csv)",
                path.display()
            ),
        }
        .into()
    })
}
