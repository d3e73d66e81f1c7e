//! Text comparison for reference lookups: "any case, spaces ignored",
//! without allocating, because lookups run once per cell of files with
//! millions of rows.

/// Whether two texts are the same value: surrounding spaces are ignored, a
/// run of inner whitespace (including the non-breaking spaces spreadsheets
/// love) equals one space, and case is ignored (Unicode-aware, so
/// `ÅLAND ISLANDS` matches `Åland Islands`).
pub(crate) fn same_text(a: &str, b: &str) -> bool {
    Needle::new(a).matches(b)
}

/// A text being looked up, prepared once for comparison with many entries:
/// most comparisons in a scan are mismatches, and for plain text they end
/// after one ASCII comparison.
#[derive(Clone, Copy)]
pub(crate) struct Needle<'a> {
    text: &'a str,
    plain: bool,
}

impl<'a> Needle<'a> {
    pub(crate) fn new(text: &'a str) -> Needle<'a> {
        let text = text.trim();
        Needle {
            text,
            plain: plain(text),
        }
    }

    /// Whether `candidate` is the same value, as [`same_text`].
    pub(crate) fn matches(&self, candidate: &str) -> bool {
        let candidate = candidate.trim();
        // The common cases (exact spelling, or another ASCII case) end here.
        if candidate.eq_ignore_ascii_case(self.text) {
            return true;
        }
        // For plain ASCII text with single spaces that answer is final.
        if self.plain && plain(candidate) {
            return false;
        }
        let mut a_words = self.text.split_whitespace();
        let mut b_words = candidate.split_whitespace();
        loop {
            match (a_words.next(), b_words.next()) {
                (None, None) => return true,
                (Some(x), Some(y)) if same_word(x, y) => {}
                _ => return false,
            }
        }
    }
}

/// Trimmed ASCII whose only whitespace is single spaces.
fn plain(text: &str) -> bool {
    let mut after_space = false;
    text.bytes().all(|b| {
        let ok = match b {
            b' ' => !after_space,
            // The other ASCII bytes `split_whitespace` splits on.
            b'\t' | b'\n' | 0x0b | 0x0c | b'\r' => false,
            _ => b.is_ascii(),
        };
        after_space = b == b' ';
        ok
    })
}

fn same_word(x: &str, y: &str) -> bool {
    if x.eq_ignore_ascii_case(y) {
        return true;
    }
    // Only non-ASCII letters can still differ by case alone.
    (!x.is_ascii() || !y.is_ascii())
        && x.chars()
            .flat_map(char::to_lowercase)
            .eq(y.chars().flat_map(char::to_lowercase))
}

/// Longest hash key built on the stack; longer inputs skip the index and
/// take the linear scan, which is still correct.
const KEY_MAX: usize = 96;

/// A hash key for the lookup index, built in a stack buffer: the words of
/// each part, ASCII-lower-cased and joined by one space, parts separated by a
/// newline (which folded text never contains). Non-ASCII letters keep their
/// case; inputs that differ from the index only there fall back to
/// [`same_text`].
pub(crate) struct Key {
    buf: [u8; KEY_MAX],
    len: usize,
}

impl Key {
    /// The key of `parts`, or `None` when it does not fit.
    pub(crate) fn of(parts: &[&str]) -> Option<Key> {
        let mut key = Key {
            buf: [0; KEY_MAX],
            len: 0,
        };
        for (p, part) in parts.iter().enumerate() {
            if p > 0 {
                key.push(b"\n")?;
            }
            for (w, word) in part.split_whitespace().enumerate() {
                if w > 0 {
                    key.push(b" ")?;
                }
                key.push(word.as_bytes())?;
            }
        }
        key.buf[..key.len].make_ascii_lowercase();
        Some(key)
    }

    fn push(&mut self, bytes: &[u8]) -> Option<()> {
        let end = self.len.checked_add(bytes.len())?;
        self.buf.get_mut(self.len..end)?.copy_from_slice(bytes);
        self.len = end;
        Some(())
    }

    /// The key as text. Always `Some`: whole words of valid UTF-8, joined by
    /// ASCII bytes and ASCII-lower-cased, stay valid UTF-8.
    pub(crate) fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.buf[..self.len]).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_text_ignores_case_and_spacing() {
        assert!(same_text("United States", "united states"));
        assert!(same_text("  Closed Won ", "closed\u{a0} won"));
        assert!(same_text("Åland Islands", "ÅLAND ISLANDS"));
        assert!(same_text("Åland Islands", "åland islands"));
        assert!(!same_text("Closed Won", "ClosedWon"));
        assert!(!same_text("US", "USA"));
        assert!(!same_text("New", ""));
        assert!(same_text(" ", ""));
        assert!(same_text("Closed\tWon", "closed won"));
        assert!(same_text("Closed\u{b}Won", "closed won"));
        assert!(!same_text("Closed Won", "Closed Lost"));
    }

    #[test]
    fn keys_fold_like_same_text() {
        let key = |parts: &[&str]| Key::of(parts).and_then(|k| k.as_str().map(String::from));
        assert_eq!(key(&["  Lead   Status "]).as_deref(), Some("lead status"));
        assert_eq!(key(&["us", "New York"]).as_deref(), Some("us\nnew york"));
        assert_eq!(key(&["Åland Islands"]).as_deref(), Some("Åland islands"));
        assert!(Key::of(&[&"x".repeat(KEY_MAX + 1)]).is_none());
        assert!(Key::of(&[&"x".repeat(KEY_MAX)]).is_some());
    }
}
