//! Number fields: whole numbers, decimal amounts and percentages.
//!
//! Text is read by one byte scanner ([`scan`]) that accepts digits with
//! thousands commas and a `.` decimal point, and keeps the digits as written
//! (`1,234.50` keeps its scale of 2). A comma is never a decimal point: in a
//! file of US-style numbers `1,234` must mean one thousand, so a comma out of
//! a thousands position is rejected rather than guessed at.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use super::{cell_text, Parsed, Shown};
use crate::catalogue::{FieldDef, FieldId};
use crate::cell::Cell;
use crate::value::Value;

/// `Employees` cannot be negative; the catalogue has no id constant for it.
const EMPLOYEES: FieldId = FieldId(17);

/// Most digits after the point a [`Decimal`] can hold.
const MAX_SCALE: u32 = 28;

/// A number as written, separators removed.
#[derive(Debug, PartialEq)]
struct Written {
    negative: bool,
    /// All digits, before and after the point, as one integer.
    mantissa: u128,
    /// Digits after the point.
    scale: u32,
}

#[derive(Debug, PartialEq)]
enum NumError {
    /// Not a number as we accept them.
    Malformed,
    /// Well formed, but too big (or too precise) to hold.
    TooLarge,
}

impl Written {
    /// The value when it is whole (`12` or `12.00`), else `Malformed`.
    fn whole(&self) -> Result<i128, NumError> {
        let mut m = self.mantissa;
        for _ in 0..self.scale {
            if !m.is_multiple_of(10) {
                return Err(NumError::Malformed);
            }
            m /= 10;
        }
        // A u128 of 39 digits can exceed i128: that is a number too large.
        let m = i128::try_from(m).map_err(|_| NumError::TooLarge)?;
        Ok(if self.negative { -m } else { m })
    }
}

/// Splits a leading `+` or `-`.
fn sign(s: &str) -> (bool, &str) {
    match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

/// Reads `[+-]digits[,ddd...][.digits]`: the whole string, nothing around.
fn scan(s: &str) -> Result<Written, NumError> {
    let (negative, body) = sign(s);
    let b = body.as_bytes();
    let mut i = 0;
    let mut mantissa: u128 = 0;
    let mut push = |d: u8| -> Result<(), NumError> {
        mantissa = mantissa
            .checked_mul(10)
            .and_then(|m| m.checked_add(u128::from(d - b'0')))
            .ok_or(NumError::TooLarge)?;
        Ok(())
    };
    // Integer part: digits in groups; once a comma appears every group
    // after the first must have exactly three digits.
    let mut int_digits = 0;
    let mut group = 0;
    let mut grouped = false;
    while i < b.len() {
        match b[i] {
            d @ b'0'..=b'9' => {
                push(d)?;
                group += 1;
                int_digits += 1;
            }
            b',' => {
                let first_ok = !grouped && (1..=3).contains(&group);
                if !(first_ok || grouped && group == 3) {
                    return Err(NumError::Malformed);
                }
                grouped = true;
                group = 0;
            }
            _ => break,
        }
        i += 1;
    }
    if grouped && group != 3 {
        return Err(NumError::Malformed);
    }
    let mut scale = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while let Some(&d @ b'0'..=b'9') = b.get(i) {
            push(d)?;
            scale += 1;
            i += 1;
        }
    }
    if i != b.len() || int_digits + scale == 0 {
        return Err(NumError::Malformed);
    }
    Ok(Written {
        negative,
        mantissa,
        scale,
    })
}

/// Writes a number cell the way [`crate::cell::format_number`] would, but
/// into a stack buffer: number cells are the common case in xlsx files.
fn scan_number(n: f64) -> Result<Written, NumError> {
    if !n.is_finite() {
        return Err(NumError::Malformed);
    }
    let mut buf = StackBuf::new();
    // `{}` on f64 never uses an exponent and drops a `.0`; the longest
    // values that fit a Decimal take about 30 characters.
    if write!(buf, "{n}").is_err() {
        return Err(NumError::TooLarge);
    }
    scan(buf.as_str())
}

struct StackBuf {
    bytes: [u8; 64],
    len: usize,
}

impl StackBuf {
    fn new() -> StackBuf {
        StackBuf {
            bytes: [0; 64],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// A whole number: `42`, `1,250`; number cells without a fraction.
pub(super) fn integer(field: &FieldDef, cell: &Cell) -> Parsed {
    let read = match cell {
        Cell::Text(s) => scan(crate::cell::trim(s)).and_then(|w| w.whole()),
        Cell::Number(n) if n.is_finite() && n.fract() == 0.0 => Ok(*n as i128),
        _ => Err(NumError::Malformed),
    };
    let shown = || cell_text(cell);
    match read.map(i64::try_from) {
        Ok(Ok(n)) if n < 0 && field.id == EMPLOYEES => Parsed::Unreadable(format!(
            "{} must be zero or more: write a whole number such as 250; the value was ignored",
            Shown(&shown())
        )),
        Ok(Ok(n)) => Parsed::Value(Value::Integer(n)),
        Ok(Err(_)) | Err(NumError::TooLarge) => Parsed::Unreadable(format!(
            "{} is too large for a whole number: check it; the value was ignored",
            Shown(&shown())
        )),
        Err(NumError::Malformed) => Parsed::Unreadable(format!(
            "cannot read {} as a whole number: write digits only, such as 1250 or 1,250; \
             the value was ignored",
            Shown(&shown())
        )),
    }
}

/// A decimal amount: `1234.5`, `-12`, `1,234.50`, `$1,234.50`, `-€12`,
/// `£-12`; number cells.
pub(super) fn decimal(cell: &Cell) -> Parsed {
    let read = match cell {
        Cell::Text(s) => scan_amount(crate::cell::trim(s)),
        Cell::Number(n) => scan_number(*n),
        _ => Err(NumError::Malformed),
    };
    let read = read.and_then(|w| {
        let Written {
            negative,
            mut mantissa,
            mut scale,
        } = w;
        // Trailing zeros beyond what a Decimal holds carry no value.
        while scale > MAX_SCALE && mantissa.is_multiple_of(10) {
            mantissa /= 10;
            scale -= 1;
        }
        let m = i128::try_from(mantissa).map_err(|_| NumError::TooLarge)?;
        Decimal::try_from_i128_with_scale(if negative { -m } else { m }, scale)
            .map_err(|_| NumError::TooLarge)
    });
    match read {
        // Amounts keep at least cents, so the same value reads the same
        // from a number cell (`1234.5`) and from text (`1,234.50`).
        Ok(mut d) => {
            if d.scale() < 2 {
                d.rescale(2);
            }
            Parsed::Value(Value::Decimal(d))
        }
        Err(NumError::TooLarge) => Parsed::Unreadable(format!(
            "{} has too many digits for an amount: check it; the value was ignored",
            Shown(&cell_text(cell))
        )),
        Err(NumError::Malformed) => Parsed::Unreadable(format!(
            "cannot read {} as a decimal number: write it like 1234.50, 1,234.50 or $1,234.50, \
             with `.` before the decimals; the value was ignored",
            Shown(&cell_text(cell))
        )),
    }
}

/// An amount with an optional currency sign before the digits, and the
/// minus sign before or after it.
fn scan_amount(s: &str) -> Result<Written, NumError> {
    let (negative, rest) = sign(s);
    let Some(rest) = rest.strip_prefix(['$', '€', '£']) else {
        return scan(s);
    };
    let rest = rest.trim_start();
    if negative {
        // `-$-12` is not an amount.
        return match sign(rest) {
            (false, r) if r.len() == rest.len() => scan(rest).map(|w| Written { negative, ..w }),
            _ => Err(NumError::Malformed),
        };
    }
    scan(rest)
}

const PERCENT_HELP: &str = "write a whole number from 0 to 100, such as 40 or 40%; \
                            the value was ignored";

/// A whole percentage 0 to 100: `40`, `40%`; a percent-formatted number cell
/// holding the fraction (0.4 for 40%).
pub(super) fn percent(cell: &Cell) -> Parsed {
    let read = match cell {
        Cell::Text(s) => {
            let s = crate::cell::trim(s);
            let s = s.strip_suffix('%').map_or(s, str::trim_end);
            scan(s).and_then(|w| w.whole())
        }
        Cell::Number(n) if n.is_finite() => {
            // A cell formatted as a percentage stores the fraction; 1.0 is
            // ambiguous (100% or 1) and is read as typed, i.e. 1.
            let v = if *n > 0.0 && *n < 1.0 { n * 100.0 } else { *n };
            let whole = v.round();
            // 0.07 * 100 is 7.000000000000001: allow for the float error.
            if (v - whole).abs() < 1e-9 {
                Ok(whole as i128)
            } else {
                Err(NumError::Malformed)
            }
        }
        _ => Err(NumError::Malformed),
    };
    match read {
        Ok(n @ 0..=100) => Parsed::Value(Value::Integer(n as i64)),
        Ok(_) | Err(NumError::TooLarge) => Parsed::Unreadable(format!(
            "{} must be between 0 and 100: {PERCENT_HELP}",
            Shown(&cell_text(cell))
        )),
        Err(NumError::Malformed) => Parsed::Unreadable(format!(
            "cannot read {} as a percentage: {PERCENT_HELP}",
            Shown(&cell_text(cell))
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(negative: bool, mantissa: u128, scale: u32) -> Result<Written, NumError> {
        Ok(Written {
            negative,
            mantissa,
            scale,
        })
    }

    #[test]
    fn scanner_accepts_digits_groups_and_point() {
        let table = [
            ("0", w(false, 0, 0)),
            ("42", w(false, 42, 0)),
            ("+42", w(false, 42, 0)),
            ("-12", w(true, 12, 0)),
            ("1,250", w(false, 1250, 0)),
            ("12,345,678", w(false, 12_345_678, 0)),
            ("1,234.50", w(false, 123_450, 2)),
            ("1234.5", w(false, 12_345, 1)),
            (".5", w(false, 5, 1)),
            ("12.", w(false, 12, 0)),
            ("007", w(false, 7, 0)),
        ];
        for (s, want) in table {
            assert_eq!(scan(s), want, "{s}");
        }
    }

    #[test]
    fn scanner_rejects_misplaced_separators() {
        let malformed = [
            "", "-", ".", "1,25", "1,2345", "1234,567", ",123", "123,", "1,,234", "1.234,50",
            "1.2.3", "12a", "1 250", "--1", "1e5", "١٢",
        ];
        for s in malformed {
            assert_eq!(scan(s), Err(NumError::Malformed), "{s}");
        }
        assert_eq!(scan(&"9".repeat(40)), Err(NumError::TooLarge));
    }

    #[test]
    fn number_cells_scan_as_displayed() {
        assert_eq!(scan_number(2134.0), w(false, 2134, 0));
        assert_eq!(scan_number(-1234.5), w(true, 12_345, 1));
        assert_eq!(scan_number(1e300), Err(NumError::TooLarge));
        assert_eq!(scan_number(f64::NAN), Err(NumError::Malformed));
    }
}
