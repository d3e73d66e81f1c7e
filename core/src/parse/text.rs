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
    Parsed::Value(Value::Text(text.into_owned()))
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
        return Parsed::Value(Value::Text(text.into_owned()));
    }
    let message = format!(
        "{} does not look like {what}; it was imported as written: check it",
        Shown(&text)
    );
    Parsed::Suspicious(Value::Text(text.into_owned()), message)
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
    if s.chars().any(char::is_whitespace) {
        return false;
    }
    match s.split_once('@') {
        Some((local, domain)) => !local.is_empty() && !domain.contains('@') && is_host(domain),
        None => false,
    }
}

/// `http://` or `https://` (any case) or no scheme, then a host with a dot,
/// an optional port, and anything after `/`, `?` or `#`.
fn looks_like_url(s: &str) -> bool {
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
            let s = s.trim();
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
