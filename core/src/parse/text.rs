//! Text-like fields: plain text (and list, country and state fields, which
//! are resolved against reference data later), e-mail addresses, web
//! addresses and Yes/No values.

use super::{cell_text, Parsed, Shown};
use crate::catalogue::FieldDef;
use crate::cell::Cell;
use crate::value::Value;

/// Text, trimmed, within the field's length limit.
pub(super) fn plain(field: &FieldDef, cell: &Cell) -> Parsed {
    let text = cell_text(cell);
    if text.is_empty() {
        return Parsed::Blank;
    }
    if let Some(too_long) = check_length(field, &text) {
        return too_long;
    }
    Parsed::Value(Value::Text(compact_str::CompactString::new(&text)))
}

/// An e-mail address: kept as written, but flagged when it does not look
/// like `local@domain.tld`.
pub(super) fn email(field: &FieldDef, cell: &Cell) -> Parsed {
    checked(field, cell, looks_like_email, "an e-mail address")
}

/// A web address: kept as written, but flagged when it does not look like
/// `https://host.tld/...` or `host.tld/...`.
pub(super) fn url(field: &FieldDef, cell: &Cell) -> Parsed {
    checked(field, cell, looks_like_url, "a web address")
}

fn checked(field: &FieldDef, cell: &Cell, looks_ok: fn(&str) -> bool, what: &str) -> Parsed {
    let text = cell_text(cell);
    if text.is_empty() {
        return Parsed::Blank;
    }
    if let Some(too_long) = check_length(field, &text) {
        return too_long;
    }
    if looks_ok(&text) {
        return Parsed::Value(Value::Text(compact_str::CompactString::new(&text)));
    }
    let message = format!(
        "{} does not look like {what}; it was imported as written: check it",
        Shown(&text)
    );
    Parsed::Suspicious(Value::Text(compact_str::CompactString::new(&text)), message)
}

/// `TooLong` when `text` has more characters than the field allows.
pub(super) fn check_length(field: &FieldDef, text: &str) -> Option<Parsed> {
    // A string never has more characters than bytes, so short strings (all
    // of them, nearly) skip counting characters.
    if text.len() <= field.max_len {
        return None;
    }
    let chars = text.chars().count();
    (chars > field.max_len).then(|| {
        Parsed::TooLong(format!(
            "is {chars} characters long; the limit is {}: shorten it",
            field.max_len
        ))
    })
}

/// One `@`, a non-empty local part, a domain of non-empty labels with a
/// top-level domain of two letters or more, no spaces anywhere.
fn looks_like_email(s: &str) -> bool {
    if s.is_ascii() {
        ascii::email(s.as_bytes())
    } else {
        looks_like_email_any(s)
    }
}

/// `http://` or `https://` (any case) or no scheme, then a host with a dot,
/// an optional port, and anything after `/`, `?` or `#`.
fn looks_like_url(s: &str) -> bool {
    if s.is_ascii() {
        ascii::url(s.as_bytes())
    } else {
        looks_like_url_any(s)
    }
}

/// The same checks on ASCII text, byte by byte: nearly every address in a
/// file is ASCII, and decoding characters for the general checks was a
/// third of validating a row (callgrind, 20,000 rows). Each check is one
/// pass over the bytes with a table of byte classes: the passes the
/// general checks make (spaces, the `@`, each label's letters and digits)
/// were about 1,100 instructions an address. A property test holds them
/// to the general checks.
mod ascii {
    const LETTER: u8 = 1;
    const DIGIT: u8 = 2;
    const HYPHEN: u8 = 4;
    const DOT: u8 = 8;
    /// What `char::is_whitespace` is in ASCII (which, unlike
    /// `u8::is_ascii_whitespace`, includes the vertical tab).
    const SPACE: u8 = 16;
    /// Every other byte.
    const OTHER: u8 = 32;
    /// What may stand in a host name's label.
    const LABEL: u8 = LETTER | DIGIT | HYPHEN;

    /// Each byte's class: one bit each.
    static CLASS: [u8; 256] = {
        let mut class = [0u8; 256];
        let mut b = 0;
        while b < 256 {
            let c = b as u8;
            class[b] = if c.is_ascii_alphabetic() {
                LETTER
            } else if c.is_ascii_digit() {
                DIGIT
            } else if c == b'-' {
                HYPHEN
            } else if c == b'.' {
                DOT
            } else if c == b' ' || (c >= 0x09 && c <= 0x0d) {
                SPACE
            } else {
                OTHER
            };
            b += 1;
        }
        class
    };

    fn class(b: u8) -> u8 {
        CLASS[usize::from(b)]
    }

    fn space(b: &u8) -> bool {
        class(*b) == SPACE
    }

    /// A non-empty local part without spaces, then `@` and a host (which
    /// has neither spaces nor a second `@`).
    pub(super) fn email(s: &[u8]) -> bool {
        for (at, &b) in s.iter().enumerate() {
            if b == b'@' {
                return at > 0 && host(&s[at + 1..]);
            }
            if class(b) == SPACE {
                return false;
            }
        }
        false
    }

    /// No spaces; a scheme or not; a host up to the first `/`, `?` or
    /// `#`, with a port of digits after its last `:` or not. (A scheme has
    /// no spaces, and the host part none once it passes.)
    pub(super) fn url(s: &[u8]) -> bool {
        let rest = strip_scheme(s, b"https://")
            .or_else(|| strip_scheme(s, b"http://"))
            .unwrap_or(s);
        let end = rest
            .iter()
            .position(|b| matches!(b, b'/' | b'?' | b'#'))
            .unwrap_or(rest.len());
        let (host_part, path) = rest.split_at(end);
        if path.iter().any(space) {
            return false;
        }
        // A port is digits after the last `:`; a second `:` before it
        // would be in the host, which cannot hold one: so after the
        // first `:` only digits may follow, at least one.
        let name = match host_part.iter().position(|&b| b == b':') {
            Some(colon) => {
                let port = &host_part[colon + 1..];
                if port.is_empty() || !port.iter().all(|&b| class(b) == DIGIT) {
                    return false;
                }
                &host_part[..colon]
            }
            None => host_part,
        };
        host(name)
    }

    fn strip_scheme<'a>(s: &'a [u8], scheme: &[u8]) -> Option<&'a [u8]> {
        let head = s.get(..scheme.len())?;
        head.eq_ignore_ascii_case(scheme)
            .then(|| &s[scheme.len()..])
    }

    /// Labels of letters, digits and `-` between dots, at least two, the
    /// last of two letters or more unless the host is four numbers.
    pub(super) fn host(host: &[u8]) -> bool {
        let mut labels = 0u32;
        let mut numeric = 0u32;
        // The label being read: its length, and the classes of its bytes
        // (each byte has one: a label of digits has only `DIGIT`).
        let mut len = 0usize;
        let mut seen = 0u8;
        for &b in host {
            let c = class(b);
            if c == DOT {
                if len == 0 || seen & !LABEL != 0 {
                    return false;
                }
                labels += 1;
                numeric += u32::from(seen == DIGIT);
                len = 0;
                seen = 0;
            } else {
                len += 1;
                seen |= c;
            }
        }
        if len == 0 || seen & !LABEL != 0 {
            return false;
        }
        labels += 1;
        numeric += u32::from(seen == DIGIT);
        labels >= 2 && ((labels == 4 && numeric == 4) || (len >= 2 && seen == LETTER))
    }
}

/// [`looks_like_email`] for any text.
fn looks_like_email_any(s: &str) -> bool {
    if s.chars().any(char::is_whitespace) {
        return false;
    }
    match s.split_once('@') {
        Some((local, domain)) => !local.is_empty() && !domain.contains('@') && is_host(domain),
        None => false,
    }
}

/// [`looks_like_url`] for any text.
fn looks_like_url_any(s: &str) -> bool {
    if s.chars().any(char::is_whitespace) {
        return false;
    }
    let rest = strip_prefix_ignore_case(s, "https://")
        .or_else(|| strip_prefix_ignore_case(s, "http://"))
        .unwrap_or(s);
    let host = match rest.find(['/', '?', '#']) {
        Some(end) => &rest[..end],
        None => rest,
    };
    let host = match host.rsplit_once(':') {
        Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
        Some(_) => return false,
        None => host,
    };
    is_host(host)
}

/// Dot-separated labels of letters, digits and `-` (any script, for
/// internationalised names); the last label is two letters or more, unless
/// the whole host is an IPv4 address.
fn is_host(host: &str) -> bool {
    let mut labels = 0;
    let mut numeric = 0;
    let mut last = "";
    for label in host.split('.') {
        if label.is_empty() || !label.chars().all(|c| c.is_alphanumeric() || c == '-') {
            return false;
        }
        labels += 1;
        if label.bytes().all(|b| b.is_ascii_digit()) {
            numeric += 1;
        }
        last = label;
    }
    if labels < 2 {
        return false;
    }
    let ipv4 = labels == 4 && numeric == 4;
    ipv4 || (last.chars().count() >= 2 && last.chars().all(char::is_alphabetic))
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

const TRUE_WORDS: [&str; 4] = ["yes", "true", "y", "1"];
const FALSE_WORDS: [&str; 4] = ["no", "false", "n", "0"];

/// Yes/No, True/False, Y/N, 1/0 in any case; boolean cells; number cells 1
/// and 0.
pub(super) fn boolean(cell: &Cell) -> Parsed {
    let value = match cell {
        Cell::Bool(b) => Some(*b),
        Cell::Number(n) if *n == 1.0 => Some(true),
        Cell::Number(n) if *n == 0.0 => Some(false),
        Cell::Text(s) => {
            let s = crate::cell::trim(s);
            if TRUE_WORDS.iter().any(|w| w.eq_ignore_ascii_case(s)) {
                Some(true)
            } else if FALSE_WORDS.iter().any(|w| w.eq_ignore_ascii_case(s)) {
                Some(false)
            } else {
                None
            }
        }
        _ => None,
    };
    match value {
        Some(b) => Parsed::Value(Value::Bool(b)),
        None => Parsed::Unreadable(format!(
            "cannot read {} as Yes/No: write Yes or No (True/False, Y/N and 1/0 also work); \
             the value was ignored",
            Shown(&cell_text(cell))
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
        /// The ASCII checks agree with the general ones on ASCII text
        /// made of what addresses are made of (and what breaks them).
        #[test]
        fn ascii_checks_agree_with_the_general_ones(
            s in proptest::prop_oneof![
                // Host-shaped, with a scheme, port and path or not.
                "(https?://|HTtp://)?(([a-zA-Z]{1,3}|[0-9]{1,3}|-|\\x0b)[.]){0,4}[a-zA-Z0-9]{0,3}(:[0-9]{0,2}|:a)?([/?#][a-z \t]{0,2})?",
                // E-mail-shaped.
                "[a-z.+ \\x0b@]{0,3}@?(([a-z]{1,3}|[0-9]{1,3}|-)[.@]){0,3}[a-z0-9]{0,3}",
                // Anything of what addresses are made of, spaces included.
                "[a-z0-9@.:/?#\\- \t\x0b_+A-Z]{0,24}",
            ]
        ) {
            proptest::prop_assert_eq!(ascii::email(s.as_bytes()), looks_like_email_any(&s), "email {:?}", s);
            proptest::prop_assert_eq!(ascii::url(s.as_bytes()), looks_like_url_any(&s), "url {:?}", s);
            proptest::prop_assert_eq!(ascii::host(s.as_bytes()), is_host(&s), "host {:?}", s);
        }
    }

    #[test]
    fn ascii_checks_agree_on_edge_cases() {
        let cases = [
            "1.2.3.4",
            "1.2.3.a-",
            "1.2.3.4.5",
            "1.2.3",
            "1.2.3.ab",
            "ab.cd:",
            "ab.cd:80",
            "ab.cd:8a",
            "ab.cd:80/x",
            "http://ab.cd:/",
            "HTTPS://ab.cd",
            "https://",
            "ab.c",
            "ab.c1",
            "ab.-",
            "-.ab",
            "a\x0bb@c.de",
            "a\tb.cd",
            "a@b@c.de",
            "@c.de",
            "a@c.de",
            "a@.de",
            "a@c..de",
            "a@c.de.",
            "ab.cd?q=1",
            "ab.cd#x:y",
            "ab:1.cd",
            "",
        ];
        for s in cases {
            assert_eq!(
                ascii::email(s.as_bytes()),
                looks_like_email_any(s),
                "email {s:?}"
            );
            assert_eq!(ascii::url(s.as_bytes()), looks_like_url_any(s), "url {s:?}");
            assert_eq!(ascii::host(s.as_bytes()), is_host(s), "host {s:?}");
        }
    }

    #[test]
    fn email_shapes() {
        let good = ["joe@acme.com", "j.o+e@mail.acme.co.uk", "ana@münchen.de"];
        for s in good {
            assert!(looks_like_email(s), "{s}");
        }
        let bad = [
            "joe@acmecom",
            "joe",
            "@acme.com",
            "joe@@acme.com",
            "joe@a@acme.com",
            "joe @acme.com",
            "joe@acme.c",
            "joe@acme.c0m",
            "joe@.com",
            "joe@acme..com",
            "joe@acme.com.",
            "joe@acme,com",
        ];
        for s in bad {
            assert!(!looks_like_email(s), "{s}");
        }
    }

    #[test]
    fn url_shapes() {
        let good = [
            "https://acme.example",
            "HTTP://www.acme.com/about?x=1#top",
            "acme.com",
            "www.acme.com/contact",
            "acme.com:8080/x",
            "http://192.168.1.10/admin",
        ];
        for s in good {
            assert!(looks_like_url(s), "{s}");
        }
        let bad = [
            "acme",
            "https://acme",
            "http:/acme.com",
            "ftp://acme.com",
            "acme .com",
            "www.acme.com:http",
            "joe@acme.com",
            "https://",
            "acme.com.",
        ];
        for s in bad {
            assert!(!looks_like_url(s), "{s}");
        }
    }
}
