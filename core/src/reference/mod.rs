//! Reference data: the countries, states and lists that Country, State and
//! list fields are checked against. This file holds the types and the
//! defaults; the lookups validation calls once per cell live in `places`
//! (countries, states) and `lists`, with the edits that manage lists.

mod countries;
mod lists;
mod places;
mod states;
mod text;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::catalogue::ListName;
use places::Index;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Country {
    /// ISO 3166-1 alpha-2, upper case: the canonical value stored.
    pub code: String,
    /// ISO 3166-1 alpha-3: not accepted as input, only used to suggest.
    pub alpha3: String,
    /// English short name.
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// The alpha-2 code of the country the state belongs to.
    pub country: String,
    pub code: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListItem {
    pub name: String,
    /// Retired items stay so that old records still name them, but new
    /// values may no longer use them.
    pub retired: bool,
}

/// A failed lookup: the closest allowed value, if any, for "did you mean".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotFound {
    pub suggestion: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReferenceData {
    pub countries: Vec<Country>,
    pub states: Vec<State>,
    pub lists: BTreeMap<ListName, Vec<ListItem>>,
    /// Lazily built lookup index: a cache, see `places`.
    #[serde(skip)]
    index: OnceLock<Index>,
}

/// The index is a cache: two data sets are equal whatever their caches hold.
impl PartialEq for ReferenceData {
    fn eq(&self, other: &Self) -> bool {
        self.countries == other.countries
            && self.states == other.states
            && self.lists == other.lists
    }
}

impl Eq for ReferenceData {}

impl ReferenceData {
    pub fn defaults() -> ReferenceData {
        let countries = countries::COUNTRIES
            .iter()
            .map(|&(code, alpha3, name)| Country {
                code: code.into(),
                alpha3: alpha3.into(),
                name: name.into(),
            })
            .collect();
        let states = states::STATES
            .iter()
            .map(|&(country, code, name)| State {
                country: country.into(),
                code: code.into(),
                name: name.into(),
            })
            .collect();
        ReferenceData {
            countries,
            states,
            lists: lists::defaults(),
            index: OnceLock::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_round_trip_ignores_the_index() -> Result<(), serde_json::Error> {
        let data = ReferenceData::defaults();
        assert!(data.country("US").is_ok());
        let json = serde_json::to_string(&data)?;
        assert!(!json.contains("index"));
        let back: ReferenceData = serde_json::from_str(&json)?;
        assert_eq!(back, data);
        assert_eq!(back.clone(), ReferenceData::defaults());
        assert_eq!(back.country("Canada").map(|c| c.code.as_str()), Ok("CA"));
        Ok(())
    }
}
