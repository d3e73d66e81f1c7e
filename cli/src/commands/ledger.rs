//! `leadger ledger …`: check the hash chain; rebuild the projections.

use crate::context::Global;
use crate::output;
use crate::Exit;

#[derive(Debug, clap::Subcommand)]
pub enum LedgerCommand {
    /// Walk the hash chain and name the first altered event.
    Verify,
    /// Drop every projection and replay the whole log.
    Rebuild,
}

impl LedgerCommand {
    pub fn run(self, g: &Global) -> anyhow::Result<()> {
        let ledger = g.open()?;
        match self {
            LedgerCommand::Verify => {
                let report = ledger.verify()?;
                if g.json {
                    output::json(&report)?;
                } else if report.ok {
                    println!(
                        "ledger intact: {} events, tip {}",
                        report.events, report.tip
                    );
                }
                if !report.ok {
                    let seq = report.first_bad_seq.unwrap_or_default();
                    let problem = report.problem.unwrap_or_default();
                    return Err(Exit {
                        code: 1,
                        message: format!("ledger verification failed at event {seq}: {problem}"),
                    }
                    .into());
                }
                Ok(())
            }
            LedgerCommand::Rebuild => {
                let progress = crate::progress::for_terminal(g.json);
                let report = ledger.rebuild(progress.as_ref())?;
                if g.json {
                    output::json(&report)
                } else {
                    println!(
                        "rebuilt the projections from {} events: {} (digest {})",
                        report.events,
                        if report.identical {
                            "identical to before"
                        } else {
                            "they differed from before and were replaced"
                        },
                        report.digest_after
                    );
                    Ok(())
                }
            }
        }
    }
}
