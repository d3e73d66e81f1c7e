//! The floor: a bare read of the same file, in a child process like every
//! measured step (the bench binary re-executes itself with the hidden
//! `--baseline-csv FILE` / `--baseline-xlsx FILE` options), so its wall
//! time and peak memory are comparable with `leadger`'s.
//!
//! CSV: the `csv` crate's `ByteRecord` reader, touching every field (its
//! length and first byte go into a checksum). xlsx: calamine's streaming
//! `worksheet_cells_reader` on the first worksheet, touching every cell.
//! Each prints one JSON line `{"rows", "cells", "checksum"}`; the checksum
//! only keeps the optimiser from skipping the work.

use std::path::Path;

use anyhow::Context as _;
use calamine::{DataRef, Reader, Xlsx};

/// What a bare read saw.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Seen {
    /// Records or rows, header included.
    pub rows: u64,
    /// Fields or non-empty cells.
    pub cells: u64,
    pub checksum: u64,
}

impl Seen {
    fn mix(&mut self, x: u64) {
        self.checksum = (self.checksum ^ x).wrapping_mul(0x0100_0000_01B3);
    }
}

/// Reads every field of a CSV file.
pub fn read_csv(path: &Path) -> anyhow::Result<Seen> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let mut record = csv::ByteRecord::new();
    let mut seen = Seen::default();
    while reader.read_byte_record(&mut record)? {
        seen.rows += 1;
        for field in record.iter() {
            seen.cells += 1;
            let first = field.first().copied().unwrap_or(0);
            seen.mix(field.len() as u64 ^ (u64::from(first) << 32));
        }
    }
    Ok(seen)
}

/// Reads every cell of the first worksheet of an xlsx file, streaming.
pub fn read_xlsx(path: &Path) -> anyhow::Result<Seen> {
    let mut book: Xlsx<_> =
        calamine::open_workbook(path).with_context(|| format!("cannot open {}", path.display()))?;
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .context("the workbook has no sheet")?;
    let mut cells = book.worksheet_cells_reader(&name)?;
    let mut seen = Seen::default();
    let mut last_row = None;
    while let Some(cell) = cells.next_cell()? {
        let (row, col) = cell.get_position();
        if last_row != Some(row) {
            last_row = Some(row);
            seen.rows += 1;
        }
        let x = match cell.get_value() {
            DataRef::Empty => continue,
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
                s.len() as u64
            }
            DataRef::SharedString(s) => s.len() as u64,
            DataRef::Float(f) => f.to_bits(),
            DataRef::Int(i) => *i as u64,
            DataRef::Bool(b) => u64::from(*b),
            DataRef::DateTime(dt) => dt.as_f64().to_bits(),
            DataRef::Error(_) => 1,
        };
        seen.cells += 1;
        seen.mix(x ^ u64::from(col));
    }
    Ok(seen)
}

/// The hidden child mode: read `path` and print what was seen.
pub fn run(csv: bool, path: &Path) -> anyhow::Result<()> {
    let seen = if csv {
        read_csv(path)?
    } else {
        read_xlsx(path)?
    };
    println!("{}", serde_json::to_string(&seen)?);
    Ok(())
}
