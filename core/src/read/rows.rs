//! The format-independent layer over raw rows: finds the header, skips
//! empty rows and shapes every data row to the header's width.
//!
//! Format readers only say "row N has these cells"; the rules the rest of
//! leadger relies on (row numbers, padding, extra cells) live here once.

use super::{ReadError, RowSource, SheetRow};
use crate::cell::Cell;

/// A format reader's rows: the spreadsheet's row number (1-based) and the
/// cells, column A at index 0 (trailing cells may be missing).
pub(super) trait RawRows: Send {
    fn next_raw(&mut self) -> Option<Result<(u32, Vec<Cell>), ReadError>>;
    fn progress(&self) -> (u64, u64);
    /// A row's cells handed back (see [`RowSource::recycle`]).
    fn recycle(&mut self, _cells: Vec<Cell>) {}
}

/// A [`RowSource`] over any [`RawRows`].
pub(super) struct HeaderedRows<R> {
    raw: R,
    headers: Vec<String>,
}

/// Reads up to the first non-empty row and takes it as the header.
pub(super) fn with_header<R: RawRows + 'static>(
    mut raw: R,
) -> Result<Box<dyn RowSource>, ReadError> {
    loop {
        match raw.next_raw() {
            None => return Err(ReadError::NoHeader),
            Some(Err(e)) => return Err(e),
            Some(Ok((_, cells))) if cells.iter().all(Cell::is_blank) => continue,
            Some(Ok((_, cells))) => {
                let mut headers: Vec<String> =
                    cells.iter().map(|c| c.display().into_owned()).collect();
                // Formatted but empty cells right of the last header are
                // not columns; blank headers in between are kept so the
                // column indexes stay right.
                while headers.last().is_some_and(|h| h.trim().is_empty()) {
                    headers.pop();
                }
                return Ok(Box::new(HeaderedRows { raw, headers }));
            }
        }
    }
}

impl<R: RawRows> RowSource for HeaderedRows<R> {
    fn headers(&self) -> &[String] {
        &self.headers
    }

    fn next_row(&mut self) -> Option<Result<SheetRow, ReadError>> {
        loop {
            let (row, mut cells) = match self.raw.next_raw()? {
                Ok(raw) => raw,
                Err(e) => return Some(Err(e)),
            };
            if cells.iter().all(Cell::is_blank) {
                self.raw.recycle(cells);
                continue;
            }
            shape(&mut cells, self.headers.len());
            return Some(Ok(SheetRow { row, cells }));
        }
    }

    fn progress(&self) -> (u64, u64) {
        self.raw.progress()
    }

    fn recycle(&mut self, row: SheetRow) {
        self.raw.recycle(row.cells);
    }
}

/// Pads `cells` to `width` and drops blank cells beyond it after the last
/// non-blank one (a value without a header is kept for the caller to
/// report; blank ones would only be noise).
fn shape(cells: &mut Vec<Cell>, width: usize) {
    let keep = cells
        .iter()
        .rposition(|c| !c.is_blank())
        .map_or(0, |i| i + 1)
        .max(width);
    cells.truncate(keep);
    cells.resize(keep, Cell::Empty);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    struct Fixed(std::vec::IntoIter<(u32, Vec<Cell>)>);

    impl RawRows for Fixed {
        fn next_raw(&mut self) -> Option<Result<(u32, Vec<Cell>), ReadError>> {
            self.0.next().map(Ok)
        }
        fn progress(&self) -> (u64, u64) {
            (0, 0)
        }
    }

    fn text(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }

    #[test]
    fn header_is_first_non_empty_row_and_rows_are_shaped() {
        let raw = Fixed(
            vec![
                (1, vec![Cell::Empty, text(" ")]),
                (2, vec![text("Name "), Cell::Number(2024.0), Cell::Empty]),
                (3, vec![text("a")]),
                (4, vec![]),
                (
                    5,
                    vec![text("b"), text("c"), Cell::Empty, text("x"), Cell::Empty],
                ),
                (6, vec![text("d"), Cell::Empty, text(" ")]),
            ]
            .into_iter(),
        );
        let mut rows = with_header(raw).unwrap();
        assert_eq!(rows.headers(), ["Name ", "2024"]);
        let r = rows.next_row().unwrap().unwrap();
        assert_eq!((r.row, r.cells), (3, vec![text("a"), Cell::Empty]));
        let r = rows.next_row().unwrap().unwrap();
        assert_eq!(r.row, 5);
        assert_eq!(r.cells, vec![text("b"), text("c"), Cell::Empty, text("x")]);
        let r = rows.next_row().unwrap().unwrap();
        assert_eq!((r.row, r.cells), (6, vec![text("d"), Cell::Empty]));
        assert!(rows.next_row().is_none());
    }

    #[test]
    fn no_rows_means_no_header() {
        let raw = Fixed(vec![(1, vec![Cell::Empty])].into_iter());
        assert!(matches!(with_header(raw), Err(ReadError::NoHeader)));
    }
}
