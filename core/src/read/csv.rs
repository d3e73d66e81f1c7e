//! CSV rows, streamed: raw bytes → byte counter → decoder (UTF-8, UTF-16
//! by BOM, or Windows-1252) → line-end normaliser → `csv::Reader`.
//!
//! Row numbers are the ones a spreadsheet program shows for the file: one
//! per record plus one per blank line (which the csv crate skips without a
//! trace), not counting line breaks inside quoted fields. They come from
//! the parser's line counter; see [`CsvRows::next_raw`].

use std::io::{Seek, SeekFrom};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use encoding_rs_io::DecodeReaderBytes;

use super::rows::RawRows;
use super::text::{self, Counting, Newlines};
use super::ReadError;
use crate::cell::Cell;
use crate::store::BlobReader;

type Source = Newlines<DecodeReaderBytes<Counting<Box<dyn BlobReader>>, Vec<u8>>>;

pub(super) struct CsvRows {
    reader: ::csv::Reader<Source>,
    /// Reused for every row: the parser fills it in place.
    record: ::csv::StringRecord,
    consumed: Arc<AtomicU64>,
    size: u64,
    /// Line breaks inside quoted fields of the records read so far.
    embedded: u64,
    failed: bool,
    /// The text buffers of rows handed back, and a row's list of cells:
    /// a row's text is copied into them instead of into a new `String`
    /// per cell (30 million allocations and frees for a million rows).
    spare_text: Vec<String>,
    spare_cells: Vec<Cell>,
}

/// Text buffers kept for the next rows, and the longest kept.
const MAX_SPARE_TEXT: usize = 64;
const MAX_SPARE_BYTES: usize = 1024;

impl CsvRows {
    pub(super) fn open(mut reader: Box<dyn BlobReader>) -> Result<CsvRows, ReadError> {
        let size = reader.seek(SeekFrom::End(0)).map_err(text::io_failed)?;
        reader.seek(SeekFrom::Start(0)).map_err(text::io_failed)?;
        let encoding = text::detect_encoding(&mut *reader)?;
        let delimiter = text::sniff_delimiter(&mut *reader, encoding)?;
        // The rows are this one pass, start to end.
        reader.read_once_to_end();
        let consumed = Arc::new(AtomicU64::new(0));
        let counted = Counting {
            inner: reader,
            count: Arc::clone(&consumed),
        };
        let decoded = text::decoder(encoding).build(counted);
        let reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            // `Newlines` leaves LF as the only line end.
            .terminator(::csv::Terminator::Any(b'\n'))
            .from_reader(Newlines::new(decoded));
        Ok(CsvRows {
            reader,
            record: ::csv::StringRecord::new(),
            consumed,
            size,
            embedded: 0,
            failed: false,
            spare_text: Vec::new(),
            spare_cells: Vec::new(),
        })
    }
}

impl RawRows for CsvRows {
    /// The row number: after a record, the parser's line counter (1 + LFs
    /// consumed) has passed any blank lines before it, its embedded LFs and
    /// its own terminating LF, so its first line is that minus the embedded
    /// and terminating LFs. A last record without a final line end has no
    /// terminating LF: then the parser consumed everything and the text did
    /// not end in LF. Subtracting the embedded LFs of earlier records turns
    /// lines into rows.
    fn next_raw(&mut self) -> Option<Result<(u32, Vec<Cell>), ReadError>> {
        if self.failed {
            return None;
        }
        match self.reader.read_record(&mut self.record) {
            Ok(false) => None,
            Err(e) => {
                self.failed = true;
                let line = self.reader.position().line();
                Some(Err(ReadError::Unreadable(format!(
                    "the CSV file could not be read near line {line}: {e}; save it again as \"CSV UTF-8\" from your spreadsheet program"
                ))))
            }
            Ok(true) => {
                let position = self.reader.position();
                let source = self.reader.get_ref();
                let unterminated =
                    source.eof && source.total == position.byte() && source.last != Some(b'\n');
                // Line ends inside quoted fields (the record's fields side
                // by side: one vectorised search, not a loop over bytes).
                let embedded =
                    memchr::memchr_iter(b'\n', self.record.as_slice().as_bytes()).count() as u64;
                let first_line = position
                    .line()
                    .saturating_sub(embedded + u64::from(!unterminated));
                let row = first_line.saturating_sub(self.embedded).max(1);
                self.embedded += embedded;
                let mut cells = std::mem::take(&mut self.spare_cells);
                cells.clear();
                cells.extend(self.record.iter().map(|f| {
                    if f.is_empty() {
                        Cell::Empty
                    } else {
                        let mut text = self.spare_text.pop().unwrap_or_default();
                        text.clear();
                        text.push_str(f);
                        Cell::Text(text)
                    }
                }));
                Some(Ok((u32::try_from(row).unwrap_or(u32::MAX), cells)))
            }
        }
    }

    fn recycle(&mut self, mut cells: Vec<Cell>) {
        // Keeps at most one row's buffers, none of a long text: what is
        // kept stays a few KiB whatever the file holds.
        for cell in cells.drain(..) {
            if let Cell::Text(text) = cell {
                if self.spare_text.len() < MAX_SPARE_TEXT && text.capacity() <= MAX_SPARE_BYTES {
                    self.spare_text.push(text);
                }
            }
        }
        self.spare_cells = cells;
    }

    fn progress(&self) -> (u64, u64) {
        let done = self.consumed.load(Ordering::Relaxed);
        (done.min(self.size), self.size)
    }
}
