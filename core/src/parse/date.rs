//! Date fields: dates written as text (ISO, US or EU order), date cells
//! (serial numbers or ISO text), and an optional time of day for
//! `Communication Date`.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};

use super::{cell_text, DateFormat, Parsed, Shown};
use crate::cell::Cell;
use crate::value::Value;

/// Day number (from 0001-01-01 = 1) of 1899-12-30, day 0 of spreadsheet
/// serials in the 1900 date system. Excel's fictitious 1900-02-29 makes its
/// serials before 61 one day off; no CRM date is that old, so it is ignored.
const SERIAL_EPOCH_CE: i32 = 693_594;

/// Serial of 9999-12-31, the last day spreadsheets know.
const MAX_SERIAL: f64 = 2_958_465.0;

const SECONDS_PER_DAY: f64 = 86_400.0;

const IGNORED: &str = "the value was ignored";

/// A date and, when one was given, a time of day.
type Stamp = (NaiveDate, Option<NaiveTime>);

enum DateError {
    /// Not a date in an accepted shape.
    Malformed,
    /// The right shape, but no such day or time (`02/30/2024`, `25:00`).
    Impossible,
    /// Month above 12 where the day would fit: the file's date order is
    /// probably the other one.
    WrongOrder,
}

/// A `Date` field: any time of day is dropped.
pub(super) fn date(cell: &Cell, dates: DateFormat) -> Parsed {
    match read(cell, dates) {
        Ok((d, _)) => Parsed::Value(Value::Date(d)),
        Err(e) => unreadable(cell, dates, false, e),
    }
}

/// A `DateOrDateTime` field: a date-time when a time was given, else a date.
pub(super) fn date_or_datetime(cell: &Cell, dates: DateFormat) -> Parsed {
    match read(cell, dates) {
        Ok((d, Some(t))) => Parsed::Value(Value::DateTime(NaiveDateTime::new(d, t))),
        Ok((d, None)) => Parsed::Value(Value::Date(d)),
        Err(e) => unreadable(cell, dates, true, e),
    }
}

fn read(cell: &Cell, dates: DateFormat) -> Result<Stamp, DateError> {
    match cell {
        Cell::Text(s) => parse_text(crate::cell::trim(s), dates),
        // Readers hand over ISO text for date cells; a time of midnight is
        // how they write a date-only cell, so it does not make a date-time.
        Cell::DateIso(s) => parse_text(crate::cell::trim(s), DateFormat::Iso)
            .map(|(d, t)| (d, t.filter(|t| *t != NaiveTime::MIN))),
        // A number in a date column is a date cell that lost its format.
        Cell::DateSerial(n) | Cell::Number(n) => from_serial(*n).ok_or(DateError::Malformed),
        _ => Err(DateError::Malformed),
    }
}

/// The date (and time, unless midnight) of a serial number. The time is
/// rounded to the second, so 23:59:59.7 becomes midnight of the next day.
fn from_serial(n: f64) -> Option<Stamp> {
    if !n.is_finite() || !(0.0..MAX_SERIAL + 1.0).contains(&n) {
        return None;
    }
    let mut days = n.floor() as i32;
    let mut secs = ((n - n.floor()) * SECONDS_PER_DAY).round() as u32;
    if secs >= 86_400 {
        days += 1;
        secs = 0;
    }
    let date = NaiveDate::from_num_days_from_ce_opt(SERIAL_EPOCH_CE + days)?;
    let time = match secs {
        0 => None,
        s => NaiveTime::from_num_seconds_from_midnight_opt(s, 0),
    };
    Some((date, time))
}

/// A date cell as text for a text field: `2023-03-15`, or
/// `2023-03-15 14:30` (with `:SS` when the seconds are not zero).
pub(super) fn serial_text(n: f64) -> Option<String> {
    let (date, time) = from_serial(n)?;
    Some(match time {
        None => date.format("%Y-%m-%d").to_string(),
        Some(t) if t.second() == 0 => NaiveDateTime::new(date, t)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        Some(t) => NaiveDateTime::new(date, t)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
    })
}

/// A byte cursor over the text of a date.
struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn at_end(&self) -> bool {
        self.i == self.b.len()
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.peek() == Some(c);
        self.i += usize::from(hit);
        hit
    }

    /// `min` to `max` digits, not followed by another digit.
    fn number(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.i;
        let mut n = 0;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            if self.i - start == max {
                return None;
            }
            n = n * 10 + u32::from(d - b'0');
            self.i += 1;
        }
        (self.i - start >= min).then_some(n)
    }

    fn spaces(&mut self) -> usize {
        let start = self.i;
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
        self.i - start
    }

    /// `AM` or `PM`, any case: `Some(true)` for PM.
    fn meridiem(&mut self) -> Option<bool> {
        let rest = self.b.get(self.i..self.i + 2)?;
        let pm = if rest.eq_ignore_ascii_case(b"am") {
            false
        } else if rest.eq_ignore_ascii_case(b"pm") {
            true
        } else {
            return None;
        };
        self.i += 2;
        Some(pm)
    }
}

/// `YYYY-MM-DD` always; `MM/DD/YYYY` (Us) or `DD/MM/YYYY` (Eu) with `/`,
/// `-` or `.` between the parts; then optionally a time.
fn parse_text(s: &str, dates: DateFormat) -> Result<Stamp, DateError> {
    let b = s.as_bytes();
    let mut sc = Scanner { b, i: 0 };
    let iso = b.len() >= 5 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-';
    let (year, month, day) = if iso {
        let y = sc.number(4, 4).ok_or(DateError::Malformed)?;
        sc.eat(b'-');
        let m = sc.number(1, 2).ok_or(DateError::Malformed)?;
        if !sc.eat(b'-') {
            return Err(DateError::Malformed);
        }
        let d = sc.number(1, 2).ok_or(DateError::Malformed)?;
        (y, m, d)
    } else if dates != DateFormat::Iso {
        let first = sc.number(1, 2).ok_or(DateError::Malformed)?;
        let sep = sc.peek().filter(|c| matches!(c, b'/' | b'-' | b'.'));
        let sep = sep.ok_or(DateError::Malformed)?;
        sc.i += 1;
        let second = sc.number(1, 2).ok_or(DateError::Malformed)?;
        if !sc.eat(sep) {
            return Err(DateError::Malformed);
        }
        let y = sc.number(4, 4).ok_or(DateError::Malformed)?;
        match dates {
            DateFormat::Eu => (y, second, first),
            _ => (y, first, second),
        }
    } else {
        return Err(DateError::Malformed);
    };
    let time = if sc.at_end() {
        None
    } else {
        let t_sep = iso && sc.eat(b'T');
        if !t_sep && sc.spaces() == 0 {
            return Err(DateError::Malformed);
        }
        Some(parse_time(&mut sc, iso)?)
    };
    let year = i32::try_from(year).map_err(|_| DateError::Malformed)?;
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => Ok((date, time)),
        None if !iso && month > 12 && day <= 12 => Err(DateError::WrongOrder),
        None => Err(DateError::Impossible),
    }
}

/// `HH:MM[:SS[.fff]]`, then `AM`/`PM` or, after an ISO date, `Z`; up to the
/// end of the text. Fractions of a second are dropped.
fn parse_time(sc: &mut Scanner<'_>, iso: bool) -> Result<NaiveTime, DateError> {
    let mut hour = sc.number(1, 2).ok_or(DateError::Malformed)?;
    if !sc.eat(b':') {
        return Err(DateError::Malformed);
    }
    let minute = sc.number(2, 2).ok_or(DateError::Malformed)?;
    let mut second = 0;
    if sc.eat(b':') {
        second = sc.number(2, 2).ok_or(DateError::Malformed)?;
        if sc.eat(b'.') {
            sc.number(1, 9).ok_or(DateError::Malformed)?;
        }
    }
    sc.spaces();
    if let Some(pm) = sc.meridiem() {
        if !(1..=12).contains(&hour) {
            return Err(DateError::Impossible);
        }
        hour = hour % 12 + if pm { 12 } else { 0 };
    } else if iso {
        sc.eat(b'Z');
    }
    if !sc.at_end() {
        return Err(DateError::Malformed);
    }
    NaiveTime::from_hms_opt(hour, minute, second).ok_or(DateError::Impossible)
}

fn unreadable(cell: &Cell, dates: DateFormat, with_time: bool, e: DateError) -> Parsed {
    let formats = match dates {
        DateFormat::Us => "MM/DD/YYYY or YYYY-MM-DD",
        DateFormat::Eu => "DD/MM/YYYY or YYYY-MM-DD",
        DateFormat::Iso => "YYYY-MM-DD",
    };
    let time = if with_time {
        ", optionally followed by a time such as 14:30"
    } else {
        ""
    };
    let help = format!("write it as {formats}{time}");
    let shown = cell_text(cell);
    let shown = Shown(&shown);
    Parsed::Unreadable(match e {
        DateError::Malformed if with_time => {
            format!("cannot read {shown} as a date or date and time: {help}; {IGNORED}")
        }
        DateError::Malformed => format!("cannot read {shown} as a date: {help}; {IGNORED}"),
        DateError::Impossible => format!("{shown} is not a real date or time: {help}; {IGNORED}"),
        DateError::WrongOrder => {
            let (order, other) = match dates {
                DateFormat::Eu => ("day first (DD/MM/YYYY)", "US"),
                _ => ("month first (MM/DD/YYYY)", "EU"),
            };
            format!(
                "{shown} is not a real date: dates are read {order}; {help}, \
                 or import with the {other} date format; {IGNORED}"
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn serial_epoch_is_1899_12_30() {
        assert_eq!(from_serial(0.0).map(|s| s.0), Some(ymd(1899, 12, 30)));
        assert_eq!(from_serial(45_000.0).map(|s| s.0), Some(ymd(2023, 3, 15)));
        assert_eq!(
            from_serial(MAX_SERIAL).map(|s| s.0),
            Some(ymd(9999, 12, 31))
        );
        assert!(from_serial(MAX_SERIAL + 1.0).is_none());
        assert!(from_serial(-1.0).is_none());
        assert!(from_serial(f64::NAN).is_none());
    }

    #[test]
    fn serial_fraction_is_time_rounded_to_the_second() {
        let t = |h, m, s| NaiveTime::from_hms_opt(h, m, s);
        assert_eq!(from_serial(45_000.5).and_then(|s| s.1), t(12, 0, 0));
        // 14:30 is 0.604166…; the float is a hair under it.
        assert_eq!(
            from_serial(45_000.604_166_666).and_then(|s| s.1),
            t(14, 30, 0)
        );
        let late = from_serial(45_000.999_999_9);
        assert_eq!(late, Some((ymd(2023, 3, 16), None)));
    }

    #[test]
    fn serial_text_for_text_fields() {
        assert_eq!(serial_text(45_000.0).as_deref(), Some("2023-03-15"));
        assert_eq!(serial_text(45_000.5).as_deref(), Some("2023-03-15 12:00"));
        let with_seconds = 45_000.0 + 61.0 / SECONDS_PER_DAY;
        assert_eq!(
            serial_text(with_seconds).as_deref(),
            Some("2023-03-15 00:01:01")
        );
        assert_eq!(serial_text(-3.0), None);
    }
}
