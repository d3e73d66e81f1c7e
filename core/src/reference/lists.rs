//! The reference lists (Lead Status, Lead Source, ...): their default items,
//! the per-cell lookup, and the edits that manage them.
//!
//! Lists hold at most a few dozen items, so a linear scan with a
//! non-allocating comparison beats any index.

use std::collections::BTreeMap;

use super::text::{same_text, Needle};
use super::{ListItem, NotFound, ReferenceData};
use crate::catalogue::ListName;
use crate::suggest::closest;

/// The default items of each list, in display order.
const DEFAULTS: &[(ListName, &[&str])] = &[
    (
        ListName::LeadStatus,
        &["New", "Contacted", "Qualified", "Unqualified", "Customer"],
    ),
    (
        ListName::LeadSource,
        &[
            "Web",
            "Referral",
            "Trade Show",
            "Cold Call",
            "Advertisement",
            "Partner",
            "Other",
        ],
    ),
    (
        ListName::Industry,
        &[
            "Agriculture",
            "Construction",
            "Education",
            "Finance",
            "Government",
            "Healthcare",
            "Hospitality",
            "Manufacturing",
            "Nonprofit",
            "Retail",
            "Technology",
            "Transportation",
            "Other",
        ],
    ),
    (
        ListName::CommunicationType,
        &["Email", "Phone Call", "Meeting", "Letter", "Note"],
    ),
    (
        ListName::OpportunityStage,
        &[
            "Prospecting",
            "Qualification",
            "Proposal",
            "Negotiation",
            "Closed Won",
            "Closed Lost",
        ],
    ),
];

pub(super) fn defaults() -> BTreeMap<ListName, Vec<ListItem>> {
    DEFAULTS
        .iter()
        .map(|&(list, items)| {
            let items = items
                .iter()
                .map(|&name| ListItem {
                    name: name.into(),
                    retired: false,
                })
                .collect();
            (list, items)
        })
        .collect()
}

impl ReferenceData {
    fn items(&self, list: ListName) -> &[ListItem] {
        self.lists.get(&list).map_or(&[], Vec::as_slice)
    }

    /// The canonical spelling of the active (not retired) item that `input`
    /// names, ignoring case and spaces; otherwise the closest active item
    /// as the suggestion.
    pub fn list_item(&self, list: ListName, input: &str) -> Result<&str, NotFound> {
        let mut active = self.items(list).iter().filter(|i| !i.retired);
        let needle = Needle::new(input);
        match active.find(|i| needle.matches(&i.name)) {
            Some(item) => Ok(&item.name),
            None => Err(NotFound {
                suggestion: closest(input, self.active_items(list)).map(String::from),
            }),
        }
    }

    /// The active items, in order.
    pub fn active_items(&self, list: ListName) -> Vec<&str> {
        self.items(list)
            .iter()
            .filter(|i| !i.retired)
            .map(|i| i.name.as_str())
            .collect()
    }

    /// Adds an item at the end of the list, or brings a retired one back
    /// (keeping its original spelling and place, so old records and new ones
    /// agree on it).
    pub fn add_item(&mut self, list: ListName, name: &str) -> Result<(), String> {
        let name = name.trim();
        if name.is_empty() {
            return Err(format!("an item of {} needs a name", list.title()));
        }
        let items = self.lists.entry(list).or_default();
        match items.iter_mut().find(|i| same_text(&i.name, name)) {
            Some(item) if !item.retired => {
                Err(format!("{} already has `{}`", list.title(), item.name))
            }
            Some(item) => {
                item.retired = false;
                Ok(())
            }
            None => {
                items.push(ListItem {
                    name: name.into(),
                    retired: false,
                });
                Ok(())
            }
        }
    }

    /// Retires an active item: new values may no longer use it, but it
    /// stays in the list for the records that already do.
    pub fn retire_item(&mut self, list: ListName, name: &str) -> Result<(), String> {
        let suggestion = closest(name, self.active_items(list)).map(String::from);
        let item = self
            .lists
            .get_mut(&list)
            .and_then(|items| items.iter_mut().find(|i| same_text(&i.name, name)));
        match item {
            Some(item) if item.retired => Err(format!(
                "`{}` of {} is already retired",
                item.name,
                list.title()
            )),
            Some(item) => {
                item.retired = true;
                Ok(())
            }
            None => {
                let mut message = format!("{} has no item `{}`", list.title(), name.trim());
                if let Some(suggestion) = suggestion {
                    message.push_str(&format!("; did you mean `{suggestion}`?"));
                }
                Err(message)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_has_its_defaults() {
        let data = ReferenceData::defaults();
        for list in ListName::ALL {
            assert!(!data.active_items(list).is_empty(), "{}", list.title());
        }
        assert_eq!(data.active_items(ListName::LeadSource).len(), 7);
        assert_eq!(data.active_items(ListName::Industry).len(), 13);
        assert_eq!(
            data.active_items(ListName::OpportunityStage)[4],
            "Closed Won"
        );
    }

    #[test]
    fn items_match_ignoring_case_and_spaces() {
        let data = ReferenceData::defaults();
        assert_eq!(
            data.list_item(ListName::LeadStatus, "qualified"),
            Ok("Qualified")
        );
        assert_eq!(
            data.list_item(ListName::OpportunityStage, " closed  won "),
            Ok("Closed Won")
        );
        assert_eq!(
            data.list_item(ListName::LeadStatus, "Qualifed"),
            Err(NotFound {
                suggestion: Some("Qualified".into())
            })
        );
        assert_eq!(
            data.list_item(ListName::LeadStatus, "xyzzy"),
            Err(NotFound { suggestion: None })
        );
        // An item of another list is not an item of this one.
        assert!(data.list_item(ListName::LeadStatus, "Web").is_err());
    }

    #[test]
    fn retired_items_are_rejected() {
        let mut data = ReferenceData::defaults();
        assert_eq!(data.retire_item(ListName::LeadStatus, "customer"), Ok(()));
        assert!(data.list_item(ListName::LeadStatus, "Customer").is_err());
        assert!(!data
            .active_items(ListName::LeadStatus)
            .contains(&"Customer"));
        assert!(data.retire_item(ListName::LeadStatus, "Customer").is_err());
        assert!(data.add_item(ListName::LeadStatus, "New").is_err());
        // Bringing it back keeps its spelling and place.
        assert_eq!(data.add_item(ListName::LeadStatus, "CUSTOMER"), Ok(()));
        assert_eq!(data, ReferenceData::defaults());
    }

    #[test]
    fn adding_and_retiring_report_mistakes() {
        let mut data = ReferenceData::defaults();
        assert!(data.add_item(ListName::LeadSource, "  ").is_err());
        assert_eq!(data.add_item(ListName::LeadSource, " Webinar "), Ok(()));
        assert_eq!(
            data.list_item(ListName::LeadSource, "webinar"),
            Ok("Webinar")
        );
        assert_eq!(
            data.active_items(ListName::LeadSource).last(),
            Some(&"Webinar")
        );
        let err = data.retire_item(ListName::LeadSource, "Refferal");
        assert!(
            matches!(&err, Err(e) if e.contains("did you mean `Referral`")),
            "{err:?}"
        );
    }

    #[test]
    fn a_missing_list_is_empty_and_can_be_filled() {
        let mut data = ReferenceData::defaults();
        data.lists.remove(&ListName::Industry);
        assert!(data.active_items(ListName::Industry).is_empty());
        assert!(data.list_item(ListName::Industry, "Retail").is_err());
        assert!(data.retire_item(ListName::Industry, "Retail").is_err());
        assert_eq!(data.add_item(ListName::Industry, "Retail"), Ok(()));
        assert_eq!(data.list_item(ListName::Industry, "retail"), Ok("Retail"));
    }
}
