//! Streaming .xlsx rows with calamine's worksheet cell reader.
//!
//! `Xlsx::worksheet_cells_reader` borrows the workbook mutably for as long
//! as it reads, and a [`RowSource`](super::RowSource) must own everything
//! it reads from; without `unsafe` (forbidden here) the two cannot live in
//! one struct. So a reader thread owns the workbook and its cell reader and
//! hands rows over a bounded channel: memory stays at a few batches of rows
//! and the thread simply waits while the caller is busy. When the caller
//! drops the source, the channel closes and the thread ends at its next
//! send.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use calamine::{DataRef, Dimensions, Reader, Xlsx};

use super::rows::RawRows;
use super::sheet::{first_worksheet, from_data_ref, not_readable, MAX_COLUMNS};
use super::ReadError;
use crate::cell::Cell;
use crate::store::BlobReader;

/// Rows per message: one channel hop per row would cost more than the row,
/// and each hop may wake a thread that then takes this one's core (256 rows
/// a message made 5,069 preemptions of this thread in a 1M preview; see
/// `docs/PERFORMANCE.md`, item 72).
const BATCH: usize = 2048;
/// Batches in flight between the thread and the caller.
const IN_FLIGHT: usize = 4;

type Row = (u32, Vec<Cell>);

enum Msg {
    /// The sheet is open; its declared last row (1-based), 0 if unknown.
    Start(u64),
    Rows(Vec<Row>),
    Failed(ReadError),
    /// The sheet was read to its end. Without this, a closed channel means
    /// the thread died (a panic in calamine), which must not pass for the
    /// end of the data.
    End,
}

pub(super) struct XlsxRows {
    rx: Receiver<Msg>,
    batch: std::vec::IntoIter<Row>,
    /// Row number of the last row handed out.
    done: u64,
    total: u64,
    finished: bool,
    /// Text buffers of rows handed back, sent to the reader thread in
    /// batches for the next cells' text (see [`TextPool`]).
    returning: Vec<String>,
    spare_tx: SyncSender<Vec<String>>,
}

/// Text buffers sent back to the reader thread per batch, batches in
/// flight, and the longest buffer sent back.
const SPARE_BATCH: usize = 2048;
const SPARE_IN_FLIGHT: usize = 2;
const MAX_SPARE_BYTES: usize = 1024;

/// The reader thread's text buffers: a cell's text is copied into one the
/// rows' reader handed back instead of a new `String` (one allocation on
/// this thread and one free on the other per text cell, 25 million of
/// each in a 1M-row sheet).
struct TextPool {
    spare: Vec<String>,
    returned: Receiver<Vec<String>>,
}

impl TextPool {
    /// The cell of a text (an empty text is an empty cell, as
    /// [`from_data_ref`] makes it).
    fn text(&mut self, s: &str) -> Cell {
        if s.is_empty() {
            return Cell::Empty;
        }
        if self.spare.is_empty() {
            if let Ok(more) = self.returned.try_recv() {
                self.spare = more;
            }
        }
        let mut text = self.spare.pop().unwrap_or_default();
        text.clear();
        text.push_str(s);
        Cell::Text(text)
    }
}

impl XlsxRows {
    /// Opens the workbook on the reader thread and waits until its first
    /// sheet is open, so a file that is no workbook fails here.
    pub(super) fn open(reader: Box<dyn BlobReader>) -> Result<XlsxRows, ReadError> {
        let (tx, rx) = sync_channel(IN_FLIGHT);
        let (spare_tx, returned) = sync_channel(SPARE_IN_FLIGHT);
        std::thread::Builder::new()
            .name("leadger-xlsx-reader".to_string())
            .spawn(move || {
                let pool = TextPool {
                    spare: Vec::new(),
                    returned,
                };
                if let Err(e) = produce(reader, &tx, pool) {
                    // The caller may be gone already; nothing to tell then.
                    let _ = tx.send(Msg::Failed(e));
                }
            })
            .map_err(|e| {
                ReadError::Unreadable(format!(
                    "could not start reading the workbook: {e}; try again"
                ))
            })?;
        let mut rows = XlsxRows {
            rx,
            batch: Vec::new().into_iter(),
            done: 0,
            total: 0,
            finished: false,
            returning: Vec::new(),
            spare_tx,
        };
        match rows.rx.recv() {
            Ok(Msg::Start(total)) => rows.total = total,
            Ok(Msg::Failed(e)) => return Err(e),
            _ => return Err(died()),
        }
        Ok(rows)
    }
}

fn died() -> ReadError {
    not_readable(".xlsx", &"the reader stopped on its contents")
}

/// The reader thread: streams the first worksheet's cells and groups them
/// into rows. Returns early (`Ok`) when the caller hung up.
fn produce(
    reader: Box<dyn BlobReader>,
    tx: &SyncSender<Msg>,
    mut pool: TextPool,
) -> Result<(), ReadError> {
    let mut book: Xlsx<_> = Xlsx::new(reader).map_err(|e| not_readable(".xlsx", &e))?;
    let is_1904 = book.has_1904_epoch();
    let name = first_worksheet(book.sheets_metadata())?;
    let mut cells = book
        .worksheet_cells_reader(&name)
        .map_err(|e| not_readable(".xlsx", &e))?;
    let dims = cells.dimensions();
    // A sheet without a `dimension` element reports the default (A1).
    let total = if dims == Dimensions::default() {
        0
    } else {
        u64::from(dims.end.0) + 1
    };
    if tx.send(Msg::Start(total)).is_err() {
        return Ok(());
    }
    let mut batch: Vec<Row> = Vec::with_capacity(BATCH);
    let mut current: Option<Row> = None;
    // The widest row so far: a new row's cells are allocated at once.
    let mut width = 0;
    while let Some(cell) = cells.next_cell().map_err(|e| not_readable(".xlsx", &e))? {
        let (r, col) = cell.get_position();
        // calamine positions are 0-based; users count rows from 1.
        let row = r.saturating_add(1);
        if current.as_ref().is_some_and(|(n, _)| *n != row) {
            batch.extend(current.take());
            if batch.len() >= BATCH && tx.send(Msg::Rows(std::mem::take(&mut batch))).is_err() {
                return Ok(());
            }
        }
        let value = match cell.get_value() {
            DataRef::String(s) => pool.text(s),
            DataRef::SharedString(s) => pool.text(s),
            other => from_data_ref(other, is_1904),
        };
        if value == Cell::Empty {
            // Formatted but empty cells: padding covers them if needed.
            continue;
        }
        if col >= MAX_COLUMNS {
            return Err(not_readable(
                ".xlsx",
                &format!("a cell in row {row} lies beyond the last column XFD"),
            ));
        }
        let (_, values) = current.get_or_insert_with(|| (row, Vec::with_capacity(width)));
        let col = col as usize;
        if col == values.len() {
            // Cells come in column order; most follow the one before.
            values.push(value);
        } else {
            if values.len() <= col {
                values.resize(col + 1, Cell::Empty);
            }
            values[col] = value;
        }
        width = width.max(values.len());
    }
    batch.extend(current.take());
    if !batch.is_empty() && tx.send(Msg::Rows(batch)).is_err() {
        return Ok(());
    }
    let _ = tx.send(Msg::End);
    Ok(())
}

impl RawRows for XlsxRows {
    fn next_raw(&mut self) -> Option<Result<Row, ReadError>> {
        loop {
            if let Some(row) = self.batch.next() {
                self.done = u64::from(row.0);
                return Some(Ok(row));
            }
            if self.finished {
                return None;
            }
            match self.rx.recv() {
                Ok(Msg::Rows(rows)) => self.batch = rows.into_iter(),
                Ok(Msg::End) => self.finished = true,
                Ok(Msg::Failed(e)) => {
                    self.finished = true;
                    return Some(Err(e));
                }
                Ok(Msg::Start(_)) | Err(_) => {
                    self.finished = true;
                    return Some(Err(died()));
                }
            }
        }
    }

    fn progress(&self) -> (u64, u64) {
        (self.done, self.total.max(self.done))
    }

    fn recycle(&mut self, cells: Vec<Cell>) {
        for cell in cells {
            if let Cell::Text(text) = cell {
                if text.capacity() <= MAX_SPARE_BYTES {
                    self.returning.push(text);
                }
            }
        }
        if self.returning.len() >= SPARE_BATCH {
            // When the reader thread has enough (or is gone), they are
            // freed here as before.
            let _ = self.spare_tx.try_send(std::mem::take(&mut self.returning));
        }
    }
}
