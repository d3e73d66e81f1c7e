//! Reading spreadsheet rows: CSV, .xlsx, .xls and .ods files become a
//! header row and a stream of [`SheetRow`]s of [`Cell`]s.
//!
//! Every format goes through the same two layers: a format reader yields
//! "raw" rows (the spreadsheet's own row number and its cells, column A at
//! index 0), and [`rows::HeaderedRows`] picks the header (the first non-empty
//! row), skips empty rows and pads each row to the header's width. So the
//! rules about blank rows and extra cells are written once.
//!
//! Nothing here holds a whole file in memory where the format allows
//! streaming: CSV is decoded on the fly and .xlsx is read cell by cell. The
//! .xls and .ods readers of calamine have no streaming mode, so those load
//! the first sheet whole (see [`sheet`]).

mod csv;
mod detect;
mod inflate_ahead;
mod rows;
mod sheet;
mod text;
mod xlsx;
mod zipguard;

#[cfg(test)]
mod csv_tests;
#[cfg(test)]
mod workbook_tests;

use crate::cell::Cell;
use crate::store::BlobReader;

/// The file types leadger reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FileFormat {
    Csv,
    Xlsx,
    Xls,
    Ods,
}

impl FileFormat {
    /// From the file name's extension (case-insensitive) and the first bytes
    /// (zip magic `PK\x03\x04` for xlsx/ods, OLE magic `D0 CF 11 E0` for
    /// xls); magic wins over a wrong extension when unambiguous. Unknown →
    /// [`ReadError::Unsupported`] naming the accepted types.
    pub fn detect(file_name: &str, head: &[u8]) -> Result<FileFormat, ReadError> {
        detect::detect(file_name, head)
    }

    /// The usual extension, for messages (`.xlsx`).
    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Csv => ".csv",
            FileFormat::Xlsx => ".xlsx",
            FileFormat::Xls => ".xls",
            FileFormat::Ods => ".ods",
        }
    }
}

/// Bounds on what a file may make the reader do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Zip-based files (.xlsx, .ods) whose entries declare more unpacked
    /// bytes than this in total are refused before anything is unpacked
    /// (a zip bomb is tiny on disk and huge once inflated). The default,
    /// 4 GiB, is well above a full worksheet of every template column
    /// (1,048,575 rows of 37 columns unpack to about 1.4 GiB).
    pub max_unpacked_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_unpacked_bytes: 4 << 30,
        }
    }
}

/// One data row of the file.
#[derive(Clone, Debug, PartialEq)]
pub struct SheetRow {
    /// The spreadsheet's own row number: the header is usually 1, the first
    /// data row 2. Empty rows are skipped but still counted, so the number
    /// is the one the user sees in their spreadsheet program.
    pub row: u32,
    /// `cells[i]` is column `i` (A = 0): exactly `headers().len()` cells,
    /// padded with [`Cell::Empty`]; cells beyond the header count are kept
    /// only up to the last non-blank one, so the caller can report them.
    pub cells: Vec<Cell>,
}

/// A stream of data rows under a header row.
pub trait RowSource: Send {
    /// Header row texts as written (not trimmed). Column A is index 0, so a
    /// sheet that starts in column B has an empty first header; blank
    /// headers after the last named one are dropped.
    fn headers(&self) -> &[String];
    /// Next data row; fully empty rows are skipped (but row numbers keep
    /// counting); `None` at the end.
    fn next_row(&mut self) -> Option<Result<SheetRow, ReadError>>;
    /// `(done, total)` in any unit (bytes for CSV, rows for sheets), for a
    /// progress bar; `total` is 0 when unknown.
    fn progress(&self) -> (u64, u64);
    /// Hands a row back once read, so that its cells' text buffers can
    /// hold later rows' text (a reader may ignore it).
    fn recycle(&mut self, _row: SheetRow) {}
}

/// Why a file could not be read. The messages are lower-case fragments
/// that say what to do; `Display` shows them as they are.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Not a type leadger reads.
    #[error("{0}")]
    Unsupported(String),
    /// The right type, but damaged or not what its name says.
    #[error("{0}")]
    Unreadable(String),
    /// Refused by [`Limits`].
    #[error("{0}")]
    TooLarge(String),
    /// No non-empty row at all.
    #[error("the file has no header row: the first non-empty row must hold the column names; add them (download the template for the exact names) and upload again")]
    NoHeader,
}

/// Opens `reader` as a file of `format` and reads up to its header row.
///
/// Errors in the header or the file's structure come back here; errors
/// further down come back from [`RowSource::next_row`].
pub fn open_rows(
    format: FileFormat,
    reader: Box<dyn BlobReader>,
    limits: &Limits,
) -> Result<Box<dyn RowSource>, ReadError> {
    match format {
        FileFormat::Csv => rows::with_header(self::csv::CsvRows::open(reader)?),
        FileFormat::Xlsx => {
            let archive = zipguard::open(reader, limits, format)?;
            let reader = inflate_ahead::wrap(archive, inflate_ahead::AHEAD_FROM)?;
            rows::with_header(xlsx::XlsxRows::open(reader)?)
        }
        FileFormat::Xls => rows::with_header(sheet::RangeRows::open_xls(reader)?),
        FileFormat::Ods => {
            let reader = zipguard::check(reader, limits, format)?;
            rows::with_header(sheet::RangeRows::open_ods(reader)?)
        }
    }
}
