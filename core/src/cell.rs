//! A spreadsheet cell as a reader hands it over, before any field rules.
//!
//! CSV gives only text; xlsx, xls and ods also give numbers, booleans and
//! date cells. Keeping the cell's own kind lets the field parsers treat a
//! date cell as a date and write a number cell in a text field without
//! turning `02134` into `2134.0` (which a reader cannot undo, so the
//! template formats those columns as text).

/// One cell of a data row.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    /// A number cell (spreadsheets store every number as a float).
    Number(f64),
    Bool(bool),
    /// A date or date-time cell, as the spreadsheet's serial number (days
    /// since 1899-12-30, fractional part is the time of day).
    DateSerial(f64),
    /// A date or date-time cell that the file stored as ISO 8601 text
    /// (ods and some xlsx writers do).
    DateIso(String),
    /// A formula error such as `#N/A`; shown to the user as written.
    Error(String),
}

impl Cell {
    /// True for a cell that holds nothing, or only white space.
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => trim(s).is_empty(),
            _ => false,
        }
    }

    /// The cell as the user would read it, for messages (borrowed when
    /// it is text: this runs for every cell of a file).
    pub fn display(&self) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow;
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(s) | Cell::DateIso(s) | Cell::Error(s) => Cow::Borrowed(s),
            Cell::Number(n) => Cow::Owned(format_number(*n)),
            Cell::Bool(b) => Cow::Borrowed(if *b { "TRUE" } else { "FALSE" }),
            Cell::DateSerial(n) => Cow::Owned(format_number(*n)),
        }
    }
}

/// `s.trim()`, answered at once when the text starts and ends with a
/// printable ASCII character (nearly every cell): `str::trim` searches
/// from both ends through a generic pattern, and it ran two or three times
/// for every cell (6% of a preview's instructions, callgrind).
pub fn trim(s: &str) -> &str {
    let bytes = s.as_bytes();
    let plain = |b: u8| b > b' ' && b < 0x7f;
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) if plain(first) && plain(last) => s,
        _ => s.trim(),
    }
}

/// Writes a number the way a person typed it: integers without `.0` and
/// without an exponent (`1234500000`, never `1.2345E+9`).
pub fn format_number(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e17 {
        format!("{}", n as i64)
    } else {
        let s = format!("{n}");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn trim_is_str_trim(s in "[ \t\r\n\x0b\x0c\x00\x7f\u{a0}\u{3000}a-z~!]{0,6}|\\PC{0,6}") {
            proptest::prop_assert_eq!(trim(&s), s.trim());
        }
    }

    #[test]
    fn numbers_display_without_trailing_zero_or_exponent() {
        assert_eq!(format_number(2134.0), "2134");
        assert_eq!(format_number(1_234_500_000.0), "1234500000");
        assert_eq!(format_number(12.5), "12.5");
        assert_eq!(Cell::Number(-3.0).display(), "-3");
    }

    #[test]
    fn blank_cells() {
        assert!(Cell::Empty.is_blank());
        assert!(Cell::Text("  ".into()).is_blank());
        assert!(!Cell::Number(0.0).is_blank());
    }
}
