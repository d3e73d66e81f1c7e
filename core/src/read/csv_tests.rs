//! Tests of the CSV reader through the public [`open_rows`].

#![allow(clippy::unwrap_used)]

use std::io::Cursor;

use crate::cell::Cell;
use crate::read::{open_rows, FileFormat, Limits, ReadError, RowSource, SheetRow};

fn open(bytes: &[u8]) -> Box<dyn RowSource> {
    open_rows(
        FileFormat::Csv,
        Box::new(Cursor::new(bytes.to_vec())),
        &Limits::default(),
    )
    .unwrap()
}

fn all(source: &mut dyn RowSource) -> Vec<SheetRow> {
    std::iter::from_fn(|| source.next_row())
        .map(Result::unwrap)
        .collect()
}

fn t(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

#[test]
fn utf8_with_and_without_bom() {
    for bytes in [
        &b"Name,City\nM\xc3\xbcller, Berlin \n"[..],
        b"\xEF\xBB\xBFName,City\r\nM\xc3\xbcller, Berlin \r\n",
    ] {
        let mut rows = open(bytes);
        assert_eq!(rows.headers(), ["Name", "City"]);
        let got = all(&mut *rows);
        assert_eq!(
            got,
            vec![SheetRow {
                row: 2,
                cells: vec![t("Müller"), t(" Berlin ")]
            }]
        );
    }
}

#[test]
fn windows_1252_when_not_utf8() {
    let mut rows = open(b"Name;Stra\xdfe\nM\xfcller;\x80 5\n");
    assert_eq!(rows.headers(), ["Name", "Straße"]);
    assert_eq!(all(&mut *rows)[0].cells, vec![t("Müller"), t("€ 5")]);
}

#[test]
fn utf16le_unicode_text_is_tab_separated() {
    let text = "Name\tEmail\r\nMüller\tm@x.de\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let mut rows = open(&bytes);
    assert_eq!(rows.headers(), ["Name", "Email"]);
    assert_eq!(
        all(&mut *rows),
        vec![SheetRow {
            row: 2,
            cells: vec![t("Müller"), t("m@x.de")]
        }]
    );
}

#[test]
fn utf16be_with_bom() {
    let mut bytes = vec![0xFE, 0xFF];
    bytes.extend("A\tB\n1\t2\n".encode_utf16().flat_map(u16::to_be_bytes));
    let mut rows = open(&bytes);
    assert_eq!(rows.headers(), ["A", "B"]);
    assert_eq!(all(&mut *rows)[0].cells, vec![t("1"), t("2")]);
}

#[test]
fn semicolons() {
    let mut rows = open(b"Name;Amount;Note\nAcme;1,5;\"a;b\"\n");
    assert_eq!(rows.headers(), ["Name", "Amount", "Note"]);
    assert_eq!(
        all(&mut *rows)[0].cells,
        vec![t("Acme"), t("1,5"), t("a;b")]
    );
}

#[test]
fn quoted_newlines_keep_row_numbers() {
    let mut rows = open(b"Name,Note\r\nA,\"line 1\r\nline 2\"\r\nB,x\r\n");
    let got = all(&mut *rows);
    assert_eq!(
        got[0],
        SheetRow {
            row: 2,
            cells: vec![t("A"), t("line 1\nline 2")]
        }
    );
    assert_eq!(got[1].row, 3);
}

#[test]
fn blank_rows_are_skipped_but_counted() {
    for (bytes, last_row) in [
        (&b"Name,City\n\nA,x\n,\n  , \n\n\nB,y\n"[..], 8),
        (
            b"\nName,City\r\n\r\nA,x\r\n,\r\n  , \r\n\r\n\r\nB,y\r\n\r\n",
            9,
        ),
        (b"Name,City\rA,x\r\rB,y", 4),
        (b"Name,City\n\"A\",x\n\n\"B\nb\",y\n\nC,z", 6),
    ] {
        let mut rows = open(bytes);
        assert_eq!(rows.headers(), ["Name", "City"]);
        let got = all(&mut *rows);
        let numbers: Vec<u32> = got.iter().map(|r| r.row).collect();
        assert_eq!(
            numbers.last(),
            Some(&last_row),
            "{numbers:?} in {:?}",
            String::from_utf8_lossy(bytes)
        );
        assert_eq!(got[0].cells[0], t("A"));
    }
}

#[test]
fn blank_line_before_an_unterminated_last_row() {
    let mut rows = open(b"Name\nA\n\nB");
    let numbers: Vec<u32> = all(&mut *rows).iter().map(|r| r.row).collect();
    assert_eq!(numbers, [2, 4]);
}

#[test]
fn short_rows_padded_and_extra_values_kept() {
    let mut rows = open(b"A,B,C\n1\n1,2,3,,4,,\n1,2,3,,\n");
    let got = all(&mut *rows);
    assert_eq!(got[0].cells, vec![t("1"), Cell::Empty, Cell::Empty]);
    assert_eq!(
        got[1].cells,
        vec![t("1"), t("2"), t("3"), Cell::Empty, t("4")]
    );
    assert_eq!(got[2].cells.len(), 3);
}

#[test]
fn progress_reaches_the_file_size() {
    let bytes = b"A,B\n1,2\n3,4\n";
    let mut rows = open(bytes);
    all(&mut *rows);
    assert_eq!(rows.progress(), (bytes.len() as u64, bytes.len() as u64));
}

#[test]
fn empty_file_has_no_header() {
    let err = open_rows(
        FileFormat::Csv,
        Box::new(Cursor::new(b"\r\n,,\n".to_vec())),
        &Limits::default(),
    );
    assert!(matches!(err, Err(ReadError::NoHeader)));
}

#[test]
fn binary_file_is_unreadable() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let err = open_rows(
        FileFormat::Csv,
        Box::new(Cursor::new(png)),
        &Limits::default(),
    )
    .err()
    .unwrap();
    assert!(matches!(err, ReadError::Unreadable(_)), "{err}");
}

/// Rows handed back lend their text buffers to the next rows: whatever the
/// pattern of empty cells, long texts and embedded line breaks, the rows
/// read with every row handed back are the rows read without.
#[test]
fn rows_handed_back_do_not_change_the_rows_read() {
    let long = "n".repeat(3000);
    let mut csv = String::from("A,B,C,D\n");
    for i in 0..300 {
        match i % 5 {
            0 => csv.push_str(&format!("a{i},,c{i},\n")),
            1 => csv.push_str(&format!(",b{i},,d{i}\n")),
            2 => csv.push_str(&format!("a{i},\"{long}\",,\"line\nbreak {i}\"\n")),
            3 => csv.push_str(&format!("{i}\n")),
            _ => csv.push_str(&format!("a{i},b{i},c{i},d{i},extra{i}\n")),
        }
    }
    let kept = all(&mut *open(csv.as_bytes()));
    let mut rows = open(csv.as_bytes());
    let mut recycled = Vec::new();
    while let Some(row) = rows.next_row() {
        let row = row.unwrap();
        recycled.push(row.clone());
        rows.recycle(row);
    }
    assert_eq!(kept.len(), 300);
    assert_eq!(recycled, kept);
    assert_eq!(kept[2].cells[1], t(&long));
    assert_eq!(kept[3].row, 5);
    assert_eq!(
        kept[3].cells,
        vec![t("3"), Cell::Empty, Cell::Empty, Cell::Empty]
    );
    assert_eq!(kept[4].cells.len(), 5);
}

/// A reader that records where [`BlobReader::read_once_to_end`] was asked
/// for and every seek after it.
struct Hinted {
    inner: Cursor<Vec<u8>>,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl std::io::Read for Hinted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf)
    }
}

impl std::io::Seek for Hinted {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.log.lock().unwrap().push(format!("seek {to:?}"));
        self.inner.seek(to)
    }
}

impl crate::store::BlobReader for Hinted {
    fn read_once_to_end(&mut self) {
        let at = self.inner.position();
        self.log.lock().unwrap().push(format!("once from {at}"));
    }
}

#[test]
fn the_rows_pass_is_announced_as_read_once_from_the_start() {
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let bytes = b"Name,City\nAda,London\nGrace,Arlington\n".to_vec();
    let reader = Hinted {
        inner: Cursor::new(bytes),
        log: log.clone(),
    };
    let mut rows = open_rows(FileFormat::Csv, Box::new(reader), &Limits::default()).unwrap();
    assert_eq!(all(&mut *rows).len(), 2);
    let log = log.lock().unwrap().clone();
    // The hint comes once, at the start, after the last seek: the encoding
    // and delimiter checks seek back, the rows pass does not.
    let hint = log.iter().position(|l| l.starts_with("once")).unwrap();
    assert_eq!(log[hint], "once from 0");
    assert_eq!(hint, log.len() - 1, "seeks after the hint: {log:?}");
    assert_eq!(log[hint - 1], "seek Start(0)");
}
