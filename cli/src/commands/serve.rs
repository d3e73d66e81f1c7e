//! `leadger serve`: the HTTP API, its docs page and the web page.
//!
//! Prints, on stdout and in this order: the first admin token when the
//! ledger has no active token (`created admin token: …`), then
//! `listening on http://ADDR` with the port actually bound (scripts and
//! tests start it on port 0 and read that line).

use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;

use anyhow::Context as _;
use leadger_core::event::Role;

use crate::context::Global;

const MIB: u64 = 1024 * 1024;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address to listen on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// Uploads larger than this many MiB are refused (413).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    max_upload_mb: u64,
    /// Spreadsheets that would unpack past this many MiB are refused (413).
    #[arg(long, default_value_t = 4096, value_parser = clap::value_parser!(u64).range(1..))]
    max_unpacked_mb: u64,
}

impl Args {
    pub fn run(self, g: &Global) -> anyhow::Result<()> {
        let ledger = g.open_with(|options| {
            options.limits.max_unpacked_bytes = self.max_unpacked_mb.saturating_mul(MIB);
        })?;
        let mut out = std::io::stdout();
        if !ledger.has_tokens()? {
            let token = ledger.create_token("admin", Role::Admin, &g.actor())?;
            writeln!(out, "created admin token: {token}")?;
            eprintln!(
                "leadger: no API token existed, so an admin token named `admin` was created; it is shown only once"
            );
        }
        let config = leadger_http::Config {
            max_upload_bytes: self.max_upload_mb.saturating_mul(MIB),
            ..Default::default()
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        // The signal handlers go in before the address is printed: whoever
        // reads it may stop the server at once.
        let shutdown = {
            let _in_runtime = runtime.enter();
            leadger_http::shutdown_signal().context("cannot install the signal handlers")?
        };
        let listener = TcpListener::bind(&self.addr)
            .with_context(|| format!("cannot listen on {}", self.addr))?;
        let bound = listener.local_addr()?;
        writeln!(out, "listening on http://{bound}")?;
        out.flush()?;
        runtime
            .block_on(leadger_http::serve(
                listener,
                Arc::new(ledger),
                config,
                shutdown,
            ))
            .context("the server failed")?;
        // Dropping the runtime waits for work still on the blocking pool
        // (a commit whose client went away), then the ledger closes.
        drop(runtime);
        eprintln!("leadger: stopped");
        Ok(())
    }
}
