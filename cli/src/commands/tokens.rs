//! `leadger tokens …`: create, list and revoke the bearer tokens of the
//! HTTP API. A new token's secret is printed once; the ledger keeps only
//! its hash.

use leadger_core::event::Role;
use serde::Serialize;

use crate::context::Global;
use crate::output::{self, Table};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: TokensCommand,
}

#[derive(Debug, clap::Subcommand)]
enum TokensCommand {
    /// Create a token and print its secret (shown only this once).
    Create {
        /// A name for the token: letters, digits, `.`, `_` or `-`. It is
        /// the actor recorded for everything done with the token.
        name: String,
        /// admin (import, commit, change reference data) or auditor (read only).
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// Every token, with its role and whether it is revoked.
    List,
    /// Revoke a token: it stops working at once.
    Revoke { name: String },
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| format!("`{text}` is not a role: use admin or auditor"))
}

/// The answer of `tokens create --json`.
#[derive(Serialize)]
struct Created<'a> {
    name: &'a str,
    role: Role,
    token: &'a str,
}

impl Args {
    pub fn run(self, g: &Global) -> anyhow::Result<()> {
        let ledger = g.open()?;
        match self.command {
            TokensCommand::Create { name, role } => {
                let token = ledger.create_token(&name, role, &g.actor())?;
                if g.json {
                    return output::json(&Created {
                        name: &name,
                        role,
                        token: &token,
                    });
                }
                println!("{token}");
                eprintln!(
                    "created {} token `{name}`: keep the line above, it is shown only once",
                    role.name()
                );
                Ok(())
            }
            TokensCommand::List => {
                let tokens = ledger.list_tokens()?;
                if g.json {
                    return output::json(&tokens);
                }
                let mut t = Table::new(&["name", "role", "created", "by", "revoked"]);
                for tok in &tokens {
                    t.row(vec![
                        tok.name.clone(),
                        tok.role.name().into(),
                        tok.created_at.clone(),
                        tok.created_by.clone(),
                        output::opt(&tok.revoked_at),
                    ]);
                }
                t.print()?;
                println!("{} tokens", tokens.len());
                Ok(())
            }
            TokensCommand::Revoke { name } => {
                ledger.revoke_token(&name, &g.actor())?;
                if g.json {
                    output::json(&serde_json::json!({"name": name, "revoked": true}))
                } else {
                    println!("revoked token `{name}`");
                    Ok(())
                }
            }
        }
    }
}
