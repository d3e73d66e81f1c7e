//! Closest-name suggestions: the "did you mean `Lead Name`?" that follows a
//! mistyped header, list item, country or state.
//!
//! Suggestions are only computed once a lookup has already failed, so this
//! module favours clear ranking over speed; it still reuses its buffers so
//! that a report of many bad cells stays cheap.

/// The candidate nearest to `input`, ignoring case, surrounding spaces and
/// runs of inner spaces, or `None` when nothing is reasonably close.
///
/// Ranking, best first:
/// 1. the same text (only case or spacing differ);
/// 2. a candidate that starts with the input (a value typed half-way);
/// 3. a candidate that the input starts with (a value with extra words);
/// 4. a candidate within a small edit distance: transpositions, like
///    `Emial`, count as one edit. Short texts allow a single edit, longer ones
///    up to a third of the input's length.
///
/// Within a rank the smaller edit distance wins, then the earlier candidate,
/// so callers control ties by the order they pass candidates in.
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut wanted = Vec::new();
    fold_into(input, &mut wanted);
    if wanted.is_empty() {
        return None;
    }
    let mut folded = Vec::new();
    let mut rows = Rows::default();
    let mut best: Option<((u8, usize), &'a str)> = None;
    for candidate in candidates {
        fold_into(candidate, &mut folded);
        if folded.is_empty() {
            continue;
        }
        let Some(rank) = rank(&wanted, &folded, &mut rows) else {
            continue;
        };
        if best.as_ref().is_none_or(|(b, _)| rank < *b) {
            best = Some((rank, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// How well `candidate` fits `wanted`: (tier, edit distance), lower is
/// better; `None` when it is too far off to be worth suggesting.
fn rank(wanted: &[char], candidate: &[char], rows: &mut Rows) -> Option<(u8, usize)> {
    let (n, m) = (wanted.len(), candidate.len());
    let tier = if wanted == candidate {
        0
    } else if n >= 2 && candidate.starts_with(wanted) {
        // A single letter is a prefix of too much to mean anything.
        1
    } else if m >= 3 && 2 * m >= n && wanted.starts_with(candidate) {
        // The candidate must be a real word and most of the input, so that
        // "Germnay" does not become a two-letter code that it happens to
        // start with.
        2
    } else {
        3
    };
    let limit = if n.max(m) <= 3 { 1 } else { (n / 3).max(2) };
    if tier == 3 && n.abs_diff(m) > limit {
        // The distance is at least the length difference: skip the work.
        return None;
    }
    // Only the last tier has a limit, and knowing it lets the table stop
    // early: most candidates are nowhere near and fail within a few rows.
    let cap = if tier == 3 { limit } else { usize::MAX };
    let distance = rows.distance(wanted, candidate, cap)?;
    if tier == 3 && distance >= n.max(m) {
        return None;
    }
    Some((tier, distance))
}

/// Lower-cases `text` into `out`, trimmed, with each run of whitespace
/// folded to one space: the comparison users expect from "any case, spaces
/// ignored".
fn fold_into(text: &str, out: &mut Vec<char>) {
    out.clear();
    for (i, word) in text.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if word.is_ascii() {
            // The common case, and much cheaper than Unicode lower-casing.
            out.extend(word.bytes().map(|b| char::from(b.to_ascii_lowercase())));
        } else {
            out.extend(word.chars().flat_map(char::to_lowercase));
        }
    }
}

/// The three rows of the optimal-string-alignment (restricted
/// Damerau–Levenshtein) table, kept between candidates to avoid
/// reallocating.
#[derive(Default)]
struct Rows {
    before: Vec<usize>,
    previous: Vec<usize>,
    current: Vec<usize>,
}

impl Rows {
    /// The distance from `a` to `b`, or `None` once it is sure to exceed
    /// `cap`.
    fn distance(&mut self, a: &[char], b: &[char], cap: usize) -> Option<usize> {
        let width = b.len() + 1;
        for row in [&mut self.before, &mut self.previous, &mut self.current] {
            row.clear();
            row.resize(width, 0);
        }
        for (j, cell) in self.previous.iter_mut().enumerate() {
            *cell = j;
        }
        for (i, &ca) in a.iter().enumerate() {
            self.current[0] = i + 1;
            for (j, &cb) in b.iter().enumerate() {
                let cost = usize::from(ca != cb);
                let mut d = (self.previous[j] + cost)
                    .min(self.previous[j + 1] + 1)
                    .min(self.current[j] + 1);
                if i > 0 && j > 0 && ca == b[j - 1] && a[i - 1] == cb {
                    d = d.min(self.before[j - 1] + 1);
                }
                self.current[j + 1] = d;
            }
            // A cell comes from its own row or the row above at no cost
            // saving, or from two rows above plus one (a transposition), so
            // once two consecutive rows exceed the cap every later row does.
            let row_min = self.current.iter().min().copied().unwrap_or(0);
            let prev_min = self.previous.iter().min().copied().unwrap_or(0);
            if row_min > cap && prev_min > cap {
                return None;
            }
            // Rotate: current becomes previous, previous becomes before.
            std::mem::swap(&mut self.before, &mut self.previous);
            std::mem::swap(&mut self.previous, &mut self.current);
        }
        let d = self.previous[b.len()];
        (d <= cap).then_some(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADERS: [&str; 6] = [
        "Lead Name",
        "Lead Status",
        "Lead Source",
        "Email",
        "Contact Email",
        "Phone",
    ];

    fn distance(a: &str, b: &str) -> usize {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        Rows::default()
            .distance(&a, &b, usize::MAX)
            .unwrap_or(usize::MAX)
    }

    #[test]
    fn edit_distance_counts_transpositions_once() {
        assert_eq!(distance("", ""), 0);
        assert_eq!(distance("abc", ""), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("emial", "email"), 1);
        assert_eq!(distance("ca", "abc"), 3);
    }

    #[test]
    fn edit_distance_stops_past_the_cap() {
        let chars = |s: &str| s.chars().collect::<Vec<_>>();
        let mut rows = Rows::default();
        let (a, b) = (chars("kitten"), chars("sitting"));
        assert_eq!(rows.distance(&a, &b, 3), Some(3));
        assert_eq!(rows.distance(&a, &b, 2), None);
        let (a, b) = (chars("abcdefgh"), chars("badcfehg"));
        assert_eq!(rows.distance(&a, &b, 4), Some(4));
        assert_eq!(rows.distance(&a, &b, 3), None);
    }

    #[test]
    fn typos_find_the_intended_header() {
        assert_eq!(closest("Lead Nmae", HEADERS), Some("Lead Name"));
        assert_eq!(closest("Emial", HEADERS), Some("Email"));
        assert_eq!(closest("  lead   status ", HEADERS), Some("Lead Status"));
        assert_eq!(closest("Phnoe", HEADERS), Some("Phone"));
    }

    #[test]
    fn nothing_close_gives_none() {
        assert_eq!(closest("xyzzy", HEADERS), None);
        assert_eq!(closest("", HEADERS), None);
        assert_eq!(closest("   ", HEADERS), None);
        assert_eq!(closest("Lead", std::iter::empty()), None);
        assert_eq!(closest("zz", ["US", "CA"]), None);
    }

    #[test]
    fn prefixes_are_preferred() {
        assert_eq!(closest("Lead Sou", HEADERS), Some("Lead Source"));
        assert_eq!(closest("Contact", HEADERS), Some("Contact Email"));
        assert_eq!(closest("Nigeri", ["Niger", "Nigeria"]), Some("Nigeria"));
        assert_eq!(
            closest(
                "United States of America",
                ["United Kingdom", "United States"]
            ),
            Some("United States")
        );
        // Two letters the input starts with are not a suggestion.
        assert_eq!(closest("Germnay", ["GE", "Germany"]), Some("Germany"));
    }

    #[test]
    fn short_texts_allow_one_edit() {
        assert_eq!(closest("Wbe", ["Web", "Other"]), Some("Web"));
        assert_eq!(closest("uss", ["CA", "US"]), Some("US"));
        assert_eq!(closest("xyz", ["Web"]), None);
    }

    #[test]
    fn ties_go_to_the_earlier_candidate() {
        assert_eq!(closest("ab", ["ac", "bb"]), Some("ac"));
        assert_eq!(closest("ab", ["bb", "ac"]), Some("bb"));
    }

    #[test]
    fn case_folding_is_unicode_aware() {
        assert_eq!(
            closest("ÅLAND ISLANDS", ["Åland Islands"]),
            Some("Åland Islands")
        );
    }
}
