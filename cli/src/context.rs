//! What every command needs: the global options and the opened ledger.

use std::path::PathBuf;

use anyhow::Context as _;
use leadger_core::app::SystemClock;
use leadger_core::{Ledger, LedgerOptions};
use leadger_store::{SledStore, StoreOptions};

/// Global options, shared by every subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct Global {
    /// The data directory (the event log, projections and uploaded files).
    #[arg(
        long,
        global = true,
        env = "LEADGER_DATA_DIR",
        default_value = "./leadger-data"
    )]
    pub data_dir: PathBuf,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
}

impl Global {
    /// Opens the ledger in the data directory (creating it if needed).
    pub fn open(&self) -> anyhow::Result<Ledger<SledStore>> {
        self.open_with(|_| {})
    }

    /// Opens the ledger with adjusted options (`serve` sets its limits).
    /// A data directory held by another process fails with the store's
    /// one-line `Locked` message, unwrapped.
    pub fn open_with(
        &self,
        adjust: impl FnOnce(&mut LedgerOptions),
    ) -> anyhow::Result<Ledger<SledStore>> {
        let mut options = options_from_env();
        adjust(&mut options);
        let mut store_options = StoreOptions::default();
        // A tuning knob for large imports and the benchmark: sled's cache.
        if let Some(mb) = std::env::var("LEADGER_CACHE_MB")
            .ok()
            .and_then(|m| m.parse::<u64>().ok())
        {
            store_options.cache_bytes = mb * 1024 * 1024;
        }
        let store = SledStore::open(&self.data_dir, store_options)?;
        let ledger = Ledger::open(store, Box::new(SystemClock), options)
            .with_context(|| format!("cannot open the ledger in {}", self.data_dir.display()))?;
        Ok(ledger)
    }

    /// Who is acting, recorded in every event the CLI writes.
    pub fn actor(&self) -> String {
        std::env::var("LEADGER_ACTOR")
            .or_else(|_| std::env::var("USER"))
            .ok()
            .filter(|s| !s.trim().is_empty())
            .map(|user| format!("cli:{user}"))
            .unwrap_or_else(|| "cli".to_string())
    }
}

/// Ledger options, with three switches for the tests: `LEADGER_CHUNK`
/// (events per write); `LEADGER_PAUSE_AT=point:n`, which makes the process
/// announce `paused at point:n` on stderr and wait there for ever, so the
/// crash tests can SIGKILL it at that exact moment; and
/// `LEADGER_DELAY_AT=point:ms`, which makes it wait `ms` milliseconds each
/// time it passes `point`, so a web test can watch a command's progress
/// whatever the machine's speed.
fn options_from_env() -> LedgerOptions {
    let mut options = LedgerOptions::default();
    if let Some(chunk) = std::env::var("LEADGER_CHUNK")
        .ok()
        .and_then(|c| c.parse().ok())
    {
        options.chunk = chunk;
    }
    let spec = |var: &str| {
        let spec = std::env::var(var).ok()?;
        let (name, n) = spec.split_once(':')?;
        Some((name.to_string(), n.parse::<u64>().unwrap_or(1)))
    };
    let pause = spec("LEADGER_PAUSE_AT");
    let delay = spec("LEADGER_DELAY_AT");
    if pause.is_some() || delay.is_some() {
        options.fail_point = Some(std::sync::Arc::new(move |point: &str, at: u64| {
            if let Some((name, ms)) = &delay {
                if point == name {
                    std::thread::sleep(std::time::Duration::from_millis(*ms));
                }
            }
            if pause
                .as_ref()
                .is_some_and(|(name, n)| point == name && at == *n)
            {
                eprintln!("paused at {point}:{at}");
                loop {
                    std::thread::park();
                }
            }
        }));
    }
    options
}
