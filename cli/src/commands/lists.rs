//! `leadger lists …`: the reference lists, and adding or retiring items.

use leadger_core::catalogue::ListName;

use crate::context::Global;
use crate::output::{self, Table};

fn parse_list(text: &str) -> Result<ListName, String> {
    ListName::parse(text).ok_or_else(|| {
        let names: Vec<&str> = ListName::ALL.iter().map(|l| l.title()).collect();
        format!("`{text}` is not a list: use one of {}", names.join(", "))
    })
}

#[derive(Debug, clap::Subcommand)]
pub enum ListsCommand {
    /// Every list with its active items.
    Show,
    /// Add an item to a list (or bring back a retired one).
    Add {
        #[arg(value_parser = parse_list)]
        list: ListName,
        item: String,
    },
    /// Retire an item: new imports and templates stop offering it;
    /// existing records keep it.
    Retire {
        #[arg(value_parser = parse_list)]
        list: ListName,
        item: String,
    },
}

impl ListsCommand {
    pub fn run(self, g: &Global) -> anyhow::Result<()> {
        let ledger = g.open()?;
        match self {
            ListsCommand::Add { list, item } => ledger.add_list_item(list, &item, &g.actor())?,
            ListsCommand::Retire { list, item } => {
                ledger.retire_list_item(list, &item, &g.actor())?
            }
            ListsCommand::Show => {}
        }
        let reference = ledger.reference()?;
        if g.json {
            let lists: serde_json::Map<String, serde_json::Value> = ListName::ALL
                .iter()
                .map(|l| {
                    (
                        l.title().to_string(),
                        serde_json::json!(reference.active_items(*l)),
                    )
                })
                .collect();
            return output::json(&lists);
        }
        let mut t = Table::new(&["list", "items"]);
        for l in ListName::ALL {
            t.row(vec![
                l.title().to_string(),
                reference.active_items(l).join(", "),
            ]);
        }
        t.print()
    }
}
