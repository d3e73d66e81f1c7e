//! Country and state lookups, through a hash index of folded names built
//! lazily on first use: lookups run once per cell of million-row files.
//!
//! The index is a cache of [`ReferenceData`], never serialized or compared.
//! Every hit is re-checked against the data and every miss falls back to a
//! linear scan, so an index gone stale (the tables are public fields) can
//! only cost time, never give a wrong answer.

use std::collections::HashMap;

use super::text::{same_text, Key, Needle};
use super::{countries, Country, NotFound, ReferenceData, State};
use crate::suggest::closest;

/// Folded text (see [`Key`]) to a position in `countries` or `states`.
#[derive(Clone, Default)]
pub(super) struct Index {
    countries: HashMap<Box<str>, usize>,
    /// Keyed by country code and state code or name.
    states: HashMap<Box<str>, usize>,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index").finish_non_exhaustive()
    }
}

impl Index {
    fn build(data: &ReferenceData) -> Index {
        fn insert(map: &mut HashMap<Box<str>, usize>, parts: &[&str], at: usize) {
            // Too long for a key: such names are found by the linear scan.
            if let Some(key) = Key::of(parts).as_ref().and_then(Key::as_str) {
                // The first entry wins, as it does in the linear scan.
                map.entry(key.into()).or_insert(at);
            }
        }
        let mut index = Index::default();
        for (at, c) in data.countries.iter().enumerate() {
            insert(&mut index.countries, &[&c.code], at);
            insert(&mut index.countries, &[&c.name], at);
        }
        for &(alias, code) in countries::ALIASES {
            if let Some(at) = data.countries.iter().position(|c| c.code == code) {
                insert(&mut index.countries, &[alias], at);
            }
        }
        for (at, s) in data.states.iter().enumerate() {
            insert(&mut index.states, &[&s.country, &s.code], at);
            insert(&mut index.states, &[&s.country, &s.name], at);
        }
        index
    }

    fn get(map: &HashMap<Box<str>, usize>, parts: &[&str]) -> Option<usize> {
        let key = Key::of(parts)?;
        map.get(key.as_str()?).copied()
    }
}

impl ReferenceData {
    fn index(&self) -> &Index {
        self.index.get_or_init(|| Index::build(self))
    }

    /// A country by alpha-2 code or English name, any case, surrounding
    /// spaces ignored. An alpha-3 code (e.g. "USA") is not accepted but
    /// suggests its alpha-2 code; otherwise the suggestion is the alpha-2
    /// code of the closest code or name.
    pub fn country(&self, input: &str) -> Result<&Country, NotFound> {
        let hit = Index::get(&self.index().countries, &[input])
            .and_then(|at| self.countries.get(at))
            .filter(|c| country_matches(c, Needle::new(input)));
        match hit.or_else(|| self.scan_country(input)) {
            Some(country) => Ok(country),
            None => Err(NotFound {
                suggestion: self.suggest_country(input),
            }),
        }
    }

    /// The slow path, for inputs the index misses: keys too long, non-ASCII
    /// case differences, or data edited after the index was built.
    fn scan_country(&self, input: &str) -> Option<&Country> {
        let input = Needle::new(input);
        let by_name = |c: &&Country| input.matches(&c.code) || input.matches(&c.name);
        self.countries.iter().find(by_name).or_else(|| {
            let (_, code) = countries::ALIASES.iter().find(|(a, _)| input.matches(a))?;
            self.by_code(code)
        })
    }

    /// The country with exactly this alpha-2 code, for codes taken from the
    /// static tables (aliases, near misses) that edited data may lack.
    fn by_code(&self, code: &str) -> Option<&Country> {
        Index::get(&self.index().countries, &[code])
            .and_then(|at| self.countries.get(at))
            .filter(|c| c.code == code)
            .or_else(|| self.countries.iter().find(|c| c.code == code))
    }

    fn suggest_country(&self, input: &str) -> Option<String> {
        let known = |code: &str| self.by_code(code).is_some();
        if let Some(c) = self.countries.iter().find(|c| same_text(&c.alpha3, input)) {
            return Some(c.code.clone());
        }
        if let Some((_, code)) = countries::NEAR_MISSES
            .iter()
            .find(|(t, _)| same_text(t, input))
        {
            if known(code) {
                return Some((*code).to_string());
            }
        }
        let aliases = countries::ALIASES.iter().filter(|(_, code)| known(code));
        let pairs: Vec<(&str, &str)> = self
            .countries
            .iter()
            .flat_map(|c| {
                [
                    (c.code.as_str(), c.code.as_str()),
                    (c.name.as_str(), c.code.as_str()),
                ]
            })
            .chain(aliases.map(|&(alias, code)| (alias, code)))
            .collect();
        let hit = closest(input, pairs.iter().map(|&(text, _)| text))?;
        let (_, code) = pairs.iter().find(|&&(text, _)| std::ptr::eq(text, hit))?;
        Some((*code).to_string())
    }

    /// A state of the country `country_code` by code or name, any case;
    /// the suggestion is the closest state code of that country.
    pub fn state(&self, country_code: &str, input: &str) -> Result<&State, NotFound> {
        let (country, wanted) = (Needle::new(country_code), Needle::new(input));
        let matches = |s: &&State| {
            country.matches(&s.country) && (wanted.matches(&s.code) || wanted.matches(&s.name))
        };
        let hit = Index::get(&self.index().states, &[country_code, input])
            .and_then(|at| self.states.get(at))
            .filter(|s| matches(s));
        match hit.or_else(|| self.states.iter().find(matches)) {
            Some(state) => Ok(state),
            None => Err(NotFound {
                suggestion: self.suggest_state(country_code, input),
            }),
        }
    }

    fn suggest_state(&self, country_code: &str, input: &str) -> Option<String> {
        let pairs: Vec<(&str, &str)> = self
            .states
            .iter()
            .filter(|s| same_text(&s.country, country_code))
            .flat_map(|s| {
                [
                    (s.code.as_str(), s.code.as_str()),
                    (s.name.as_str(), s.code.as_str()),
                ]
            })
            .collect();
        let hit = closest(input, pairs.iter().map(|&(text, _)| text))?;
        let (_, code) = pairs.iter().find(|&&(text, _)| std::ptr::eq(text, hit))?;
        Some((*code).to_string())
    }

    /// Whether a country has a state list at all (US, CA by default): rows
    /// of other countries take any State text.
    pub fn has_states(&self, country_code: &str) -> bool {
        // States are grouped by country, so comparing once per group makes
        // this a handful of two-letter comparisons: cheaper than hashing.
        let wanted = Needle::new(country_code);
        let mut previous: Option<&str> = None;
        self.states.iter().any(|s| {
            let fresh = previous != Some(s.country.as_str());
            previous = Some(&s.country);
            fresh && wanted.matches(&s.country)
        })
    }
}

/// Whether `input` names `country` by code, name or alias.
fn country_matches(country: &Country, input: Needle<'_>) -> bool {
    input.matches(&country.code)
        || input.matches(&country.name)
        || countries::ALIASES
            .iter()
            .any(|(alias, code)| *code == country.code && input.matches(alias))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Result<&Country, NotFound>) -> Result<&str, Option<String>> {
        r.map(|c| c.code.as_str()).map_err(|e| e.suggestion)
    }

    #[test]
    fn default_counts() {
        let data = ReferenceData::defaults();
        assert_eq!(data.countries.len(), 249);
        assert_eq!(data.states.iter().filter(|s| s.country == "US").count(), 57);
        assert_eq!(data.states.iter().filter(|s| s.country == "CA").count(), 13);
    }

    #[test]
    fn default_tables_are_well_formed() {
        let data = ReferenceData::defaults();
        let mut seen = std::collections::HashSet::new();
        for c in &data.countries {
            assert!(
                c.code.len() == 2 && c.code.bytes().all(|b| b.is_ascii_uppercase()),
                "{c:?}"
            );
            assert!(
                c.alpha3.len() == 3 && c.alpha3.bytes().all(|b| b.is_ascii_uppercase()),
                "{c:?}"
            );
            for text in [&c.code, &c.alpha3, &c.name] {
                assert!(seen.insert(text.to_lowercase()), "duplicate {text}");
            }
        }
        for (alias, code) in countries::ALIASES {
            assert!(seen.insert(alias.to_lowercase()), "alias {alias} clashes");
            assert!(
                data.countries.iter().any(|c| c.code == *code),
                "alias {alias}"
            );
        }
        let mut seen = std::collections::HashSet::new();
        for s in &data.states {
            assert!(data.country(&s.country).is_ok(), "{s:?}");
            assert!(seen.insert((s.country.clone(), s.code.clone())), "{s:?}");
            assert!(
                seen.insert((s.country.clone(), s.name.to_lowercase())),
                "{s:?}"
            );
        }
    }

    #[test]
    fn countries_resolve_by_code_or_name() {
        let data = ReferenceData::defaults();
        assert_eq!(code(data.country("US")), Ok("US"));
        assert_eq!(code(data.country(" us ")), Ok("US"));
        assert_eq!(code(data.country("United States")), Ok("US"));
        assert_eq!(code(data.country("UNITED  STATES")), Ok("US"));
        assert_eq!(code(data.country("united states of america")), Ok("US"));
        assert_eq!(code(data.country("Côte d'Ivoire")), Ok("CI"));
        assert_eq!(code(data.country("côte d'ivoire")), Ok("CI"));
        assert_eq!(code(data.country("CÔTE D'IVOIRE")), Ok("CI"));
        assert_eq!(code(data.country("Ivory Coast")), Ok("CI"));
        assert_eq!(
            code(data.country("South Georgia and the South Sandwich Islands")),
            Ok("GS")
        );
    }

    #[test]
    fn failed_countries_suggest_a_code() {
        let data = ReferenceData::defaults();
        assert_eq!(code(data.country("USA")), Err(Some("US".into())));
        assert_eq!(code(data.country("gbr")), Err(Some("GB".into())));
        assert_eq!(code(data.country("UK")), Err(Some("GB".into())));
        assert_eq!(code(data.country("Untied States")), Err(Some("US".into())));
        assert_eq!(code(data.country("Germnay")), Err(Some("DE".into())));
        assert_eq!(code(data.country("xyzzy")), Err(None));
        assert_eq!(code(data.country("")), Err(None));
    }

    #[test]
    fn states_resolve_within_their_country() {
        let data = ReferenceData::defaults();
        let state = |country, input| data.state(country, input).map(|s| s.name.as_str());
        assert_eq!(state("US", "ca"), Ok("California"));
        assert_eq!(state("us", " new   york "), Ok("New York"));
        assert_eq!(state("CA", "ON"), Ok("Ontario"));
        assert_eq!(state("CA", "ontario"), Ok("Ontario"));
        assert!(state("US", "ON").is_err());
        assert!(state("FR", "CA").is_err());
        let suggestion =
            |country, input| data.state(country, input).err().and_then(|e| e.suggestion);
        assert_eq!(suggestion("US", "Califronia").as_deref(), Some("CA"));
        assert_eq!(suggestion("CA", "Ontaryo").as_deref(), Some("ON"));
        assert_eq!(suggestion("FR", "Ontario"), None);
    }

    #[test]
    fn only_us_and_canada_have_states() {
        let data = ReferenceData::defaults();
        assert!(data.has_states("US"));
        assert!(data.has_states("ca"));
        assert!(!data.has_states("FR"));
        assert!(!data.has_states(""));
    }

    #[test]
    fn a_stale_index_never_gives_a_wrong_answer() {
        let mut data = ReferenceData::defaults();
        assert!(data.country("US").is_ok()); // builds the index
        data.countries.retain(|c| c.code != "US");
        data.countries.insert(
            0,
            Country {
                code: "XK".into(),
                alpha3: "XKX".into(),
                name: "Kosovo".into(),
            },
        );
        assert!(data.country("US").is_err());
        assert_eq!(code(data.country("kosovo")), Ok("XK"));
        assert_eq!(code(data.country("FR")), Ok("FR"));
    }
}
