//! Writing the generated rows as CSV (the `csv` crate) and as xlsx
//! (`rust_xlsxwriter` in constant-memory mode, so a million rows never sit
//! in memory; strings inline, or with `--xlsx-shared-strings` in a
//! shared-string table as Excel writes them, via its low-memory mode),
//! cached under `target/bench/data/` by version, N and format.
//!
//! A file is written to `*.partial` and renamed when complete, so an
//! interrupted run never leaves a truncated file that a later run would
//! reuse.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use rust_xlsxwriter::{Format, Workbook, Worksheet};

use crate::generator::{self, Value};
use crate::words::{HEADERS, UPDATE_HEADERS};

/// Bump when the generator changes, so cached files are regenerated.
const VERSION: &str = "v2";

/// Days from 1899-12-30 (spreadsheet serial 0) to 1970-01-01.
const SERIAL_1970: f64 = 25_569.0;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    #[default]
    Csv,
    Xlsx,
}

impl FileKind {
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Csv => "csv",
            FileKind::Xlsx => "xlsx",
        }
    }
}

/// The two files of one series.
pub struct Files {
    pub main: PathBuf,
    pub update: PathBuf,
    /// Data rows of the update file.
    pub update_rows: u64,
}

/// The files for `rows` leads in `kind`, generated unless cached.
/// `shared` (xlsx only): strings in a shared-string table, as Excel saves
/// them, instead of inline.
pub fn ensure(dir: &Path, kind: FileKind, rows: u64, shared: bool) -> anyhow::Result<Files> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let ext = kind.name();
    let shared = shared && kind == FileKind::Xlsx;
    let sst = if shared { "-sst" } else { "" };
    let main = dir.join(format!("leads-{VERSION}-{rows}{sst}.{ext}"));
    let update = dir.join(format!("update-{VERSION}-{rows}{sst}.{ext}"));
    let updated: Vec<u64> = (0..rows).filter(|&i| generator::updated(i)).collect();
    let lead_rows = (0..rows).map(generator::lead);
    let update_rows = updated.iter().map(|&i| generator::update(i));
    cached(&main, |tmp| {
        write(kind, shared, tmp, dir, &HEADERS, lead_rows)
    })?;
    cached(&update, |tmp| {
        write(kind, shared, tmp, dir, &UPDATE_HEADERS, update_rows)
    })?;
    Ok(Files {
        main,
        update,
        update_rows: updated.len() as u64,
    })
}

fn cached(path: &Path, make: impl FnOnce(&Path) -> anyhow::Result<()>) -> anyhow::Result<()> {
    if path.is_file() {
        eprintln!("bench: reusing {}", path.display());
        return Ok(());
    }
    let started = Instant::now();
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    make(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot rename to {}", path.display()))?;
    eprintln!(
        "bench: generated {} in {:.1} s",
        path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn write(
    kind: FileKind,
    shared: bool,
    path: &Path,
    tmp_dir: &Path,
    headers: &[&str],
    rows: impl Iterator<Item = Vec<Value>>,
) -> anyhow::Result<()> {
    match kind {
        FileKind::Csv => write_csv(path, headers, rows),
        FileKind::Xlsx => write_xlsx(path, tmp_dir, shared, headers, rows),
    }
}

fn write_csv(
    path: &Path,
    headers: &[&str],
    rows: impl Iterator<Item = Vec<Value>>,
) -> anyhow::Result<()> {
    let mut out = csv::Writer::from_path(path)?;
    out.write_record(headers)?;
    let mut record: Vec<String> = Vec::with_capacity(headers.len());
    for row in rows {
        record.clear();
        record.extend(row.iter().map(csv_text));
        out.write_record(&record)?;
    }
    out.flush()?;
    Ok(())
}

/// A value as a CSV cell, the way a spreadsheet program exports it.
fn csv_text(value: &Value) -> String {
    match value {
        Value::Empty => String::new(),
        Value::Text(s) => s.clone(),
        Value::Money { cents, symbol } => {
            let sign = if *symbol { "$" } else { "" };
            format!("{sign}{}.{:02}", thousands(cents / 100), cents % 100)
        }
        Value::Int(n) => n.to_string(),
        Value::Percent { value, sign } => format!("{value}{}", if *sign { "%" } else { "" }),
        Value::Date { days, us } => {
            let (y, m, d) = generator::civil_from_days(*days);
            if *us {
                format!("{m:02}/{d:02}/{y:04}")
            } else {
                format!("{y:04}-{m:02}-{d:02}")
            }
        }
        Value::DateTime { days, minutes } => {
            let (y, m, d) = generator::civil_from_days(*days);
            format!(
                "{y:04}-{m:02}-{d:02} {:02}:{:02}",
                minutes / 60,
                minutes % 60
            )
        }
    }
}

/// `1234567` → `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Cell formats of the xlsx file.
struct Formats {
    header: Format,
    date: Format,
    datetime: Format,
    money: Format,
}

fn write_xlsx(
    path: &Path,
    tmp_dir: &Path,
    shared: bool,
    headers: &[&str],
    rows: impl Iterator<Item = Vec<Value>>,
) -> anyhow::Result<()> {
    let formats = Formats {
        header: Format::new().set_bold(),
        date: Format::new().set_num_format("yyyy-mm-dd"),
        datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
        money: Format::new().set_num_format("$#,##0.00"),
    };
    let mut book = Workbook::new();
    book.set_tempdir(tmp_dir)?;
    // Both modes keep one row in memory; "low memory" also keeps the
    // shared-string table until the file is saved.
    let sheet = if shared {
        book.add_worksheet_with_low_memory()?
    } else {
        book.add_worksheet_with_constant_memory()?
    };
    sheet.set_name("Leads")?;
    for (col, header) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *header, &formats.header)?;
    }
    for (i, row) in rows.enumerate() {
        let r = i as u32 + 1;
        for (col, value) in row.iter().enumerate() {
            write_cell(sheet, r, col as u16, value, &formats)?;
        }
    }
    book.save(path)?;
    Ok(())
}

/// A value as a typed cell: dates are date cells, amounts and counts are
/// numbers, phones and postal codes stay text (leading zeros kept).
fn write_cell(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    value: &Value,
    f: &Formats,
) -> anyhow::Result<()> {
    match value {
        Value::Empty => {}
        Value::Text(s) => {
            sheet.write_string(row, col, s)?;
        }
        Value::Money { cents, .. } => {
            sheet.write_number_with_format(row, col, *cents as f64 / 100.0, &f.money)?;
        }
        Value::Int(n) => {
            sheet.write_number(row, col, *n as f64)?;
        }
        Value::Percent { value, .. } => {
            sheet.write_number(row, col, *value as f64)?;
        }
        Value::Date { days, .. } => {
            let serial = *days as f64 + SERIAL_1970;
            sheet.write_number_with_format(row, col, serial, &f.date)?;
        }
        Value::DateTime { days, minutes } => {
            let serial = *days as f64 + SERIAL_1970 + f64::from(*minutes) / 1440.0;
            sheet.write_number_with_format(row, col, serial, &f.datetime)?;
        }
    }
    Ok(())
}
