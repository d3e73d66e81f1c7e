//! Typed parsing of cells: turns one spreadsheet [`Cell`] into a [`Value`]
//! following its field's rules (PRODUCT.md section 1).
//!
//! The outcome is a [`Parsed`], never an error type: the caller (row
//! validation) decides what a blank, a suspicious value or an unreadable
//! value means for the row, and adds the row and column to the message.
//!
//! Files can hold a million rows, so the common path does not allocate
//! beyond the final `String` of a text value: numbers and dates are read by
//! scanning bytes of a trimmed `&str`, never through a regex or a temporary
//! copy. Messages are only built on the (rare) failure paths.

mod date;
mod number;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
mod text;

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalogue::{FieldDef, FieldType};
use crate::cell::Cell;
use crate::value::Value;

/// How day and month are ordered in dates written as text.
///
/// Year-first ISO dates (`YYYY-MM-DD`) are unambiguous and accepted in every
/// format; the choice only matters for `03/04/2025`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DateFormat {
    /// `MM/DD/YYYY` (month first), the default.
    #[default]
    Us,
    /// `DD/MM/YYYY` (day first).
    Eu,
    /// `YYYY-MM-DD` only.
    Iso,
}

impl DateFormat {
    pub const ALL: [DateFormat; 3] = [DateFormat::Us, DateFormat::Eu, DateFormat::Iso];

    /// Reads the name users type: `us`, `eu` or `iso`, any case.
    pub fn parse(s: &str) -> Option<DateFormat> {
        let s = s.trim();
        DateFormat::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
    }

    /// The lower-case name, as [`DateFormat::parse`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            DateFormat::Us => "us",
            DateFormat::Eu => "eu",
            DateFormat::Iso => "iso",
        }
    }
}

/// What reading one cell gave.
#[derive(Clone, Debug, PartialEq)]
pub enum Parsed {
    /// Empty or only spaces: the field is not given.
    Blank,
    /// Read fine.
    Value(Value),
    /// Read, but looks wrong (badly formed e-mail / URL): imported as
    /// written, with this warning message.
    Suspicious(Value, String),
    /// Could not be read (date, number, boolean, percent): the value is
    /// ignored; the message says why and what to type instead.
    Unreadable(String),
    /// Text longer than the field's limit: an error; the message names the
    /// limit and the length.
    TooLong(String),
}

/// Reads one cell with the rules of `field`; `dates` orders day and month of
/// dates written as text.
pub fn parse_cell(field: &FieldDef, cell: &Cell, dates: DateFormat) -> Parsed {
    match cell {
        Cell::Empty => return Parsed::Blank,
        Cell::Text(s) | Cell::DateIso(s) | Cell::Error(s) if crate::cell::trim(s).is_empty() => {
            return Parsed::Blank
        }
        // A formula error is never the value the user meant, whatever the
        // field: importing `#N/A` as a phone number would hide the problem.
        Cell::Error(e) => {
            return Parsed::Unreadable(format!(
                "the cell holds the formula error {}: fix the formula or type the value; \
                 the value was ignored",
                Shown(e.trim())
            ))
        }
        _ => {}
    }
    match field.ty {
        FieldType::Text | FieldType::List(_) | FieldType::Country | FieldType::State => {
            text::plain(field, cell)
        }
        FieldType::Email => text::email(field, cell),
        FieldType::Url => text::url(field, cell),
        FieldType::Bool => text::boolean(cell),
        FieldType::Integer => number::integer(field, cell),
        FieldType::Decimal => number::decimal(cell),
        FieldType::Percent => number::percent(cell),
        FieldType::Date => date::date(cell, dates),
        FieldType::DateOrDateTime => date::date_or_datetime(cell, dates),
    }
}

/// The cell as text, as a person would read it: trimmed text, numbers
/// without `.0` or exponent, `TRUE`/`FALSE`, date cells as ISO dates.
/// Borrows when it can, so text cells cost no copy until the final value.
fn cell_text(cell: &Cell) -> Cow<'_, str> {
    match cell {
        Cell::Empty => Cow::Borrowed(""),
        Cell::Text(s) | Cell::DateIso(s) | Cell::Error(s) => Cow::Borrowed(crate::cell::trim(s)),
        Cell::Number(n) => Cow::Owned(crate::cell::format_number(*n)),
        Cell::Bool(true) => Cow::Borrowed("TRUE"),
        Cell::Bool(false) => Cow::Borrowed("FALSE"),
        Cell::DateSerial(n) => {
            Cow::Owned(date::serial_text(*n).unwrap_or_else(|| crate::cell::format_number(*n)))
        }
    }
}

/// Longest part of a value quoted in a message: a 10,000-character note
/// pasted into a date column should not make a 10,000-character message.
const SHOWN_CHARS: usize = 60;

/// A value quoted in a message: in backticks, cut to [`SHOWN_CHARS`].
struct Shown<'a>(&'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.char_indices().nth(SHOWN_CHARS) {
            Some((cut, _)) => write!(f, "`{}…`", &self.0[..cut]),
            None => write!(f, "`{}`", self.0),
        }
    }
}
