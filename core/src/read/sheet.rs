//! Workbook cells as [`Cell`]s, the choice of sheet, and the .xls / .ods
//! readers.
//!
//! calamine has a streaming cell reader for .xlsx only (see
//! [`super::xlsx`]); for .xls and .ods it can only load a sheet as a whole
//! `Range`. So those two formats hold their first sheet in memory. For .ods
//! the zip-bomb guard bounds that; an .xls is not compressed, so its sheet
//! is no bigger than the file.

use std::panic::{catch_unwind, AssertUnwindSafe};

use calamine::{Data, ExcelDateTime, Ods, Range, Reader, Sheet, SheetType, SheetVisible};

use super::rows::RawRows;
use super::ReadError;
use crate::cell::Cell;
use crate::store::BlobReader;

/// Days from the 1900 epoch (1899-12-30) to the 1904 epoch: a workbook
/// saved with the "1904 date system" counts from there, and [`Cell`]
/// promises the 1900 serial.
const EPOCH_1904_OFFSET: f64 = 1462.0;

/// The highest column a spreadsheet has (XFD); a cell beyond it can only
/// come from a damaged or hostile file, which would make us pad a huge row.
pub(super) const MAX_COLUMNS: u32 = 16_384;

pub(super) fn from_data(data: &Data, is_1904: bool) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(s) => text(s),
        Data::Float(f) => Cell::Number(*f),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => Cell::DateSerial(serial(dt, is_1904)),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::DateIso(s.clone()),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

/// An empty string cell is an empty cell (Excel writes them for formulas
/// returning "").
fn text(s: &str) -> Cell {
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s.to_string())
    }
}

pub(super) fn serial(dt: &ExcelDateTime, is_1904: bool) -> f64 {
    // A duration (`[h]:mm`) is a length, not a point in time: no epoch.
    if is_1904 && dt.is_datetime() {
        dt.as_f64() + EPOCH_1904_OFFSET
    } else {
        dt.as_f64()
    }
}

/// The sheet to read: the first visible worksheet (what the user sees
/// first when opening the file), else the first worksheet at all. Chart
/// and macro sheets hold no rows.
pub(super) fn first_worksheet(sheets: &[Sheet]) -> Result<String, ReadError> {
    let worksheets = || sheets.iter().filter(|s| s.typ == SheetType::WorkSheet);
    worksheets()
        .find(|s| s.visible == SheetVisible::Visible)
        .or_else(|| worksheets().next())
        .map(|s| s.name.clone())
        .ok_or_else(|| {
            ReadError::Unreadable(
                "the workbook has no worksheet; put the leads on its first sheet".to_string(),
            )
        })
}

pub(super) fn not_readable(ext: &str, why: &dyn std::fmt::Display) -> ReadError {
    ReadError::Unreadable(format!(
        "the file is not a readable {ext} workbook: {why}; save it again from your spreadsheet program (if it is password-protected, remove the password first)"
    ))
}

/// Rows of a sheet loaded whole (.xls, .ods).
pub(super) struct RangeRows {
    range: Range<Data>,
    /// Next row, relative to the range.
    next: usize,
    /// Absolute (0-based) position of the range's top-left cell.
    start: (u32, u32),
    is_1904: bool,
}

impl RangeRows {
    pub(super) fn open_xls(reader: Box<dyn BlobReader>) -> Result<RangeRows, ReadError> {
        load(".xls", || {
            let mut book = calamine::Xls::new(reader).map_err(|e| not_readable(".xls", &e))?;
            let name = first_worksheet(book.sheets_metadata())?;
            let range = book
                .worksheet_range(&name)
                .map_err(|e| not_readable(".xls", &e))?;
            Ok(RangeRows::new(range, book.has_1904_epoch()))
        })
    }

    pub(super) fn open_ods(reader: Box<dyn BlobReader>) -> Result<RangeRows, ReadError> {
        load(".ods", || {
            let mut book: Ods<_> = Ods::new(reader).map_err(|e| not_readable(".ods", &e))?;
            let name = first_worksheet(book.sheets_metadata())?;
            let range = book
                .worksheet_range(&name)
                .map_err(|e| not_readable(".ods", &e))?;
            // ods stores dates as ISO text, never as serials.
            Ok(RangeRows::new(range, false))
        })
    }

    pub(super) fn new(range: Range<Data>, is_1904: bool) -> RangeRows {
        let start = range.start().unwrap_or((0, 0));
        RangeRows {
            range,
            next: 0,
            start,
            is_1904,
        }
    }
}

/// Runs a calamine load, turning a panic inside calamine (a bug it may have
/// on a malformed file) into an error about the file instead of a crash.
fn load(
    ext: &str,
    f: impl FnOnce() -> Result<RangeRows, ReadError>,
) -> Result<RangeRows, ReadError> {
    catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(not_readable(ext, &"the reader failed on its contents")))
}

impl RawRows for RangeRows {
    fn next_raw(&mut self) -> Option<Result<(u32, Vec<Cell>), ReadError>> {
        if self.next >= self.range.height() {
            return None;
        }
        let width = self.range.width();
        let mut cells = vec![Cell::Empty; self.start.1 as usize];
        cells.extend((0..width).map(|col| {
            self.range
                .get((self.next, col))
                .map_or(Cell::Empty, |d| from_data(d, self.is_1904))
        }));
        let row = u32::try_from(self.next)
            .ok()
            .and_then(|r| r.checked_add(self.start.0 + 1))
            .unwrap_or(u32::MAX);
        self.next += 1;
        Some(Ok((row, cells)))
    }

    fn progress(&self) -> (u64, u64) {
        (self.next as u64, self.range.height() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::ExcelDateTimeType;

    #[test]
    fn maps_calamine_data() {
        let dt = ExcelDateTime::new(45000.5, ExcelDateTimeType::DateTime, false);
        assert_eq!(
            from_data(&Data::DateTime(dt), false),
            Cell::DateSerial(45000.5)
        );
        let dt = ExcelDateTime::new(100.0, ExcelDateTimeType::DateTime, true);
        assert_eq!(
            from_data(&Data::DateTime(dt), true),
            Cell::DateSerial(1562.0)
        );
        let dur = ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, true);
        assert_eq!(from_data(&Data::DateTime(dur), true), Cell::DateSerial(1.5));
        assert_eq!(from_data(&Data::Int(7), false), Cell::Number(7.0));
        assert_eq!(from_data(&Data::String(String::new()), false), Cell::Empty);
        let iso = Data::DateTimeIso("2024-03-15".into());
        assert_eq!(from_data(&iso, false), Cell::DateIso("2024-03-15".into()));
        let err = Data::Error(calamine::CellErrorType::NA);
        assert_eq!(from_data(&err, false), Cell::Error("#N/A".into()));
    }

    #[test]
    fn a_range_keeps_its_absolute_position() {
        let mut range = Range::new((1, 1), (2, 2));
        range.set_value((1, 1), Data::String("Name".into()));
        range.set_value((2, 2), Data::Float(3.0));
        let mut rows = RangeRows::new(range, false);
        let (row, cells) = rows.next_raw().and_then(Result::ok).unwrap_or_default();
        assert_eq!((row, cells.len()), (2, 3));
        assert_eq!(cells[1], Cell::Text("Name".into()));
        let (row, cells) = rows.next_raw().and_then(Result::ok).unwrap_or_default();
        assert_eq!((row, &cells[2]), (3, &Cell::Number(3.0)));
        assert!(rows.next_raw().is_none());
    }
}
