//! The subcommands, one file each, and the top-level parser.

mod audit;
mod import;
mod imports;
mod leads;
mod ledger;
mod lists;
mod serve;
mod template;
mod tokens;

use clap::{Parser, Subcommand};

use crate::context::Global;

/// Import CRM leads and organizations from spreadsheets into an
/// append-only, tamper-evident ledger.
#[derive(Debug, Parser)]
#[command(name = "leadger", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Preview a spreadsheet import (and commit it with --commit).
    Import(import::ImportArgs),
    /// Commit, list and show imports, or download an import's file.
    #[command(subcommand)]
    Imports(imports::ImportsCommand),
    /// The CRM view: list and show leads and organizations, and history.
    #[command(subcommand)]
    Leads(leads::LeadsCommand),
    /// What an import changed; every change to a field.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Verify the hash chain; rebuild every projection from the log.
    #[command(subcommand)]
    Ledger(ledger::LedgerCommand),
    /// Reference lists: show, add and retire list items.
    #[command(subcommand)]
    Lists(lists::ListsCommand),
    /// Download an import template (.xlsx or .csv).
    Template(template::Args),
    /// Run the HTTP API, its docs page and the web page.
    Serve(serve::Args),
    /// API tokens: create, list, revoke.
    Tokens(tokens::Args),
}

impl Cli {
    pub fn run(self) -> anyhow::Result<()> {
        let g = self.global;
        match self.command {
            Command::Import(args) => args.run(&g),
            Command::Imports(cmd) => cmd.run(&g),
            Command::Leads(cmd) => cmd.run(&g),
            Command::Audit(cmd) => cmd.run(&g),
            Command::Ledger(cmd) => cmd.run(&g),
            Command::Lists(cmd) => cmd.run(&g),
            Command::Template(cmd) => cmd.run(&g),
            Command::Serve(cmd) => cmd.run(&g),
            Command::Tokens(cmd) => cmd.run(&g),
        }
    }
}
