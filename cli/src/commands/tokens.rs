//! `leadger tokens` (in progress).

use crate::context::Global;

#[derive(Debug, clap::Args)]
pub struct Args {}

impl Args {
    pub fn run(self, _g: &Global) -> anyhow::Result<()> {
        anyhow::bail!("`leadger tokens` is not built yet")
    }
}
