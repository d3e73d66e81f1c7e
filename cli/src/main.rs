//! `leadger`: the command-line front end. Parses arguments (clap), opens the
//! ledger in the data directory, calls the application layer, and prints
//! its answers as tables or JSON.
//!
//! Exit status: 0 success; 2 bad usage; 3 the file has validation errors
//! (nothing committed); 1 any other failure, with a one-line reason on
//! stderr.
#![forbid(unsafe_code)]

mod commands;
mod context;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser;

use commands::Cli;

/// jemalloc frees memory allocated on another thread cheaply, and a
/// preview parses rows on one thread and matches them on another; a
/// catch-up decodes events on one and applies them on another (see
/// docs/PERFORMANCE.md: with glibc's malloc two threads were slower than
/// one).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// An error whose exit status is not 1.
#[derive(Debug)]
pub struct Exit {
    pub code: u8,
    pub message: String,
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Exit {}

fn exit_code(err: &anyhow::Error) -> u8 {
    if let Some(exit) = err.downcast_ref::<Exit>() {
        return exit.code;
    }
    match err.downcast_ref::<leadger_core::LedgerError>() {
        Some(leadger_core::LedgerError::BadRequest(_)) => 2,
        Some(leadger_core::LedgerError::HasErrors { .. }) => 3,
        _ => 1,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LEADGER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let code = exit_code(&err);
            if !err.is::<Exit>() || !err.to_string().is_empty() {
                eprintln!("leadger: {err:#}");
            }
            ExitCode::from(code)
        }
    }
}
