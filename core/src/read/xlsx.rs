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
//!
//! That thread is the one an xlsx preview waits for, so it does as little
//! as it can: it copies each cell's text into one buffer per batch
//! ([`Packed`]) and the caller's thread makes the [`Cell`]s, into the text
//! buffers and row vectors of rows handed back to it
//! ([`RawRows::recycle`]).

use std::fmt::Write as _;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use calamine::{DataRef, Dimensions, Reader, Xlsx};

use super::rows::RawRows;
use super::sheet::{first_worksheet, not_readable, serial, MAX_COLUMNS};
use super::ReadError;
use crate::cell::Cell;
use crate::store::BlobReader;

/// Rows per message: one channel hop per row would cost more than the row,
/// and each hop may wake a thread that then takes this one's core (256 rows
/// a message made 5,069 preemptions of this thread in a 1M preview; see
/// `docs/PERFORMANCE.md`, item 72).
const BATCH: usize = 2048;
/// A batch is sent early once its texts pass this many bytes.
const BATCH_TEXT: usize = 8 << 20;
/// Batches in flight between the thread and the caller.
const IN_FLIGHT: usize = 4;

/// Text buffers of rows handed back, kept by the caller for the next
/// rows' text cells, and the longest one kept.
const SPARE_TEXTS: usize = 4096;
const MAX_SPARE_BYTES: usize = 1024;
/// Row vectors handed back and kept for the next rows.
const SPARE_ROWS: usize = 64;

/// A cell as the reader thread packs it: a text is a range of the batch's
/// [`Packed::text`].
#[derive(Clone, Copy)]
enum Val {
    Text(usize, usize),
    DateIso(usize, usize),
    Error(usize, usize),
    Number(f64),
    Bool(bool),
    DateSerial(f64),
}

/// Rows as the reader thread hands them over: every cell's text copied
/// into one buffer, so that the thread, the one an xlsx preview waits
/// for, allocates nothing per cell; the caller makes the [`Cell`]s (from
/// the text buffers it has been handed back).
#[derive(Default)]
struct Packed {
    /// Each row's number and the end of its cells in `cells`.
    rows: Vec<(u32, usize)>,
    /// Column and value of each non-empty cell, row after row.
    cells: Vec<(u32, Val)>,
    text: String,
}

impl Packed {
    fn clear(&mut self) {
        self.rows.clear();
        self.cells.clear();
        self.text.clear();
    }

    /// Copies `s` into the text buffer; its range there.
    fn put(&mut self, s: &str) -> (usize, usize) {
        let start = self.text.len();
        self.text.push_str(s);
        (start, self.text.len())
    }
}

enum Msg {
    /// The sheet is open; its declared last row (1-based), 0 if unknown.
    Start(u64),
    Rows(Packed),
    Failed(ReadError),
    /// The sheet was read to its end. Without this, a closed channel means
    /// the thread died (a panic in calamine), which must not pass for the
    /// end of the data.
    End,
}

pub(super) struct XlsxRows {
    rx: Receiver<Msg>,
    /// The batch being handed out, and its next row.
    batch: Packed,
    next: usize,
    /// Batches handed out, sent back to the reader thread for reuse.
    spent: SyncSender<Packed>,
    /// Row number of the last row handed out.
    done: u64,
    total: u64,
    finished: bool,
    /// Text buffers and row vectors of rows handed back.
    texts: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

impl XlsxRows {
    /// Opens the workbook on the reader thread and waits until its first
    /// sheet is open, so a file that is no workbook fails here.
    pub(super) fn open(reader: Box<dyn BlobReader>) -> Result<XlsxRows, ReadError> {
        let (tx, rx) = sync_channel(IN_FLIGHT);
        let (spent, reuse) = sync_channel(IN_FLIGHT);
        std::thread::Builder::new()
            .name("leadger-xlsx-reader".to_string())
            .spawn(move || {
                if let Err(e) = produce(reader, &tx, &reuse) {
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
            batch: Packed::default(),
            next: 0,
            spent,
            done: 0,
            total: 0,
            finished: false,
            texts: Vec::new(),
            rows: Vec::new(),
        };
        match rows.rx.recv() {
            Ok(Msg::Start(total)) => rows.total = total,
            Ok(Msg::Failed(e)) => return Err(e),
            _ => return Err(died()),
        }
        Ok(rows)
    }

    /// Row `self.next` of the batch as cells.
    fn unpack(&mut self) -> (u32, Vec<Cell>) {
        let (row, end) = self.batch.rows[self.next];
        let start = match self.next {
            0 => 0,
            i => self.batch.rows[i - 1].1,
        };
        self.next += 1;
        let packed = &self.batch.cells[start..end];
        let width = packed
            .iter()
            .map(|(col, _)| *col as usize + 1)
            .max()
            .unwrap_or(0);
        let mut cells = self.rows.pop().unwrap_or_default();
        cells.clear();
        cells.resize(width, Cell::Empty);
        for &(col, val) in packed {
            let text = |texts: &mut Vec<String>, (from, to): (usize, usize)| {
                let mut s = texts.pop().unwrap_or_default();
                s.clear();
                s.push_str(&self.batch.text[from..to]);
                s
            };
            cells[col as usize] = match val {
                Val::Text(from, to) => Cell::Text(text(&mut self.texts, (from, to))),
                Val::DateIso(from, to) => Cell::DateIso(text(&mut self.texts, (from, to))),
                Val::Error(from, to) => Cell::Error(text(&mut self.texts, (from, to))),
                Val::Number(x) => Cell::Number(x),
                Val::Bool(b) => Cell::Bool(b),
                Val::DateSerial(x) => Cell::DateSerial(x),
            };
        }
        (row, cells)
    }
}

fn died() -> ReadError {
    not_readable(".xlsx", &"the reader stopped on its contents")
}

/// The reader thread: streams the first worksheet's cells and packs them
/// into batches of rows. Returns early (`Ok`) when the caller hung up.
fn produce(
    reader: Box<dyn BlobReader>,
    tx: &SyncSender<Msg>,
    reuse: &Receiver<Packed>,
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
    let mut batch = Packed::default();
    // The row whose cells are being packed.
    let mut current: Option<u32> = None;
    while let Some(cell) = cells.next_cell().map_err(|e| not_readable(".xlsx", &e))? {
        let (r, col) = cell.get_position();
        // calamine positions are 0-based; users count rows from 1.
        let row = r.saturating_add(1);
        let value = cell.get_value();
        // Formatted but empty cells, and empty texts (Excel writes them for
        // formulas returning ""): padding covers them if needed.
        let empty = match value {
            DataRef::Empty => true,
            DataRef::String(s) => s.is_empty(),
            DataRef::SharedString(s) => s.is_empty(),
            _ => false,
        };
        if empty {
            continue;
        }
        if col >= MAX_COLUMNS {
            return Err(not_readable(
                ".xlsx",
                &format!("a cell in row {row} lies beyond the last column XFD"),
            ));
        }
        if current != Some(row) {
            if let Some(done) = current {
                let end = batch.cells.len();
                batch.rows.push((done, end));
                if batch.rows.len() >= BATCH || batch.text.len() >= BATCH_TEXT {
                    let mut next = reuse.try_recv().unwrap_or_default();
                    next.clear();
                    if tx
                        .send(Msg::Rows(std::mem::replace(&mut batch, next)))
                        .is_err()
                    {
                        return Ok(());
                    }
                }
            }
            current = Some(row);
        }
        let val = pack(value, is_1904, &mut batch);
        batch.cells.push((col, val));
    }
    if let Some(done) = current {
        let end = batch.cells.len();
        batch.rows.push((done, end));
    }
    if !batch.rows.is_empty() && tx.send(Msg::Rows(batch)).is_err() {
        return Ok(());
    }
    let _ = tx.send(Msg::End);
    Ok(())
}

/// A non-empty cell's value, its text (if any) copied into `batch`.
fn pack(value: &DataRef<'_>, is_1904: bool, batch: &mut Packed) -> Val {
    match value {
        DataRef::String(s) => {
            let (from, to) = batch.put(s);
            Val::Text(from, to)
        }
        DataRef::SharedString(s) => {
            let (from, to) = batch.put(s);
            Val::Text(from, to)
        }
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
            let (from, to) = batch.put(s);
            Val::DateIso(from, to)
        }
        DataRef::Error(e) => {
            let from = batch.text.len();
            let _ = write!(batch.text, "{e}");
            Val::Error(from, batch.text.len())
        }
        DataRef::Float(x) => Val::Number(*x),
        DataRef::Int(i) => Val::Number(*i as f64),
        DataRef::Bool(b) => Val::Bool(*b),
        DataRef::DateTime(dt) => Val::DateSerial(serial(dt, is_1904)),
        // Left out by the caller.
        DataRef::Empty => Val::Text(0, 0),
    }
}

impl RawRows for XlsxRows {
    fn next_raw(&mut self) -> Option<Result<(u32, Vec<Cell>), ReadError>> {
        loop {
            if self.next < self.batch.rows.len() {
                let (row, cells) = self.unpack();
                self.done = u64::from(row);
                return Some(Ok((row, cells)));
            }
            if self.finished {
                return None;
            }
            match self.rx.recv() {
                Ok(Msg::Rows(rows)) => {
                    let spent = std::mem::replace(&mut self.batch, rows);
                    self.next = 0;
                    // When the reader thread has enough (or is gone), it is
                    // freed here.
                    let _ = self.spent.try_send(spent);
                }
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

    fn recycle(&mut self, mut cells: Vec<Cell>) {
        for cell in cells.drain(..) {
            if let Cell::Text(text) | Cell::DateIso(text) | Cell::Error(text) = cell {
                if text.capacity() <= MAX_SPARE_BYTES && self.texts.len() < SPARE_TEXTS {
                    self.texts.push(text);
                }
            }
        }
        if self.rows.len() < SPARE_ROWS {
            self.rows.push(cells);
        }
    }
}
