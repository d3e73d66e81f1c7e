//! Tests of the workbook readers (.xlsx, .ods, .xls) through the public
//! [`open_rows`], on files written in the test.

#![allow(clippy::unwrap_used)]

use std::io::{Cursor, Write};

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use crate::cell::Cell;
use crate::read::{open_rows, FileFormat, Limits, ReadError, RowSource, SheetRow};

fn open(format: FileFormat, bytes: Vec<u8>) -> Result<Box<dyn RowSource>, ReadError> {
    open_rows(format, Box::new(Cursor::new(bytes)), &Limits::default())
}

fn all(source: &mut dyn RowSource) -> Vec<SheetRow> {
    std::iter::from_fn(|| source.next_row())
        .map(Result::unwrap)
        .collect()
}

fn t(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

fn leads_xlsx() -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let stamp = Format::new().set_num_format("dd.mm.yyyy hh:mm");
    for (col, header) in ["Name", "Amount", "Since", "Active", "Zip"]
        .into_iter()
        .enumerate()
    {
        sheet.write_string(0, col as u16, header).unwrap();
    }
    sheet.write_string(1, 0, "Acme").unwrap();
    sheet.write_number(1, 1, 12.5).unwrap();
    let day = ExcelDateTime::from_ymd(2024, 3, 15).unwrap();
    sheet.write_date_with_format(1, 2, &day, &date).unwrap();
    sheet.write_boolean(1, 3, true).unwrap();
    sheet.write_string(1, 4, "02134").unwrap();
    // Row 3 stays empty but formatted, as sheets often are.
    sheet.write_blank(2, 1, &date).unwrap();
    sheet.write_string(3, 0, "Beta").unwrap();
    let at = ExcelDateTime::parse_from_str("2024-03-15 12:00:00").unwrap();
    sheet.write_datetime_with_format(3, 2, &at, &stamp).unwrap();
    sheet.write_string(3, 6, "stray").unwrap();
    book.add_worksheet()
        .write_string(0, 0, "second sheet")
        .unwrap();
    book.save_to_buffer().unwrap()
}

#[test]
fn xlsx_streams_the_first_sheet_with_cell_kinds() {
    let mut rows = open(FileFormat::Xlsx, leads_xlsx()).unwrap();
    assert_eq!(rows.headers(), ["Name", "Amount", "Since", "Active", "Zip"]);
    let got = all(&mut *rows);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].row, 2);
    assert_eq!(
        got[0].cells,
        vec![
            t("Acme"),
            Cell::Number(12.5),
            Cell::DateSerial(45366.0),
            Cell::Bool(true),
            t("02134")
        ]
    );
    // The empty row 3 is skipped, row 4 keeps its number; the value in G
    // (no header) is kept for the caller to report.
    assert_eq!(got[1].row, 4);
    assert_eq!(
        got[1].cells,
        vec![
            t("Beta"),
            Cell::Empty,
            Cell::DateSerial(45366.5),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            t("stray")
        ]
    );
    let (done, total) = rows.progress();
    assert_eq!((done, total), (4, 4));
}

#[test]
fn xlsx_header_below_empty_rows() {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(2, 1, "Name").unwrap();
    sheet.write_string(3, 1, "Acme").unwrap();
    let mut rows = open(FileFormat::Xlsx, book.save_to_buffer().unwrap()).unwrap();
    assert_eq!(rows.headers(), ["", "Name"]);
    assert_eq!(
        all(&mut *rows),
        vec![SheetRow {
            row: 4,
            cells: vec![Cell::Empty, t("Acme")]
        }]
    );
}

#[test]
fn empty_xlsx_has_no_header() {
    let mut book = Workbook::new();
    book.add_worksheet();
    let err = open(FileFormat::Xlsx, book.save_to_buffer().unwrap())
        .err()
        .unwrap();
    assert!(matches!(err, ReadError::NoHeader), "{err}");
}

#[test]
fn xlsx_over_the_limit_is_too_large() {
    let tiny = Limits {
        max_unpacked_bytes: 1000,
    };
    let err = open_rows(FileFormat::Xlsx, Box::new(Cursor::new(leads_xlsx())), &tiny)
        .err()
        .unwrap();
    assert!(matches!(err, ReadError::TooLarge(_)), "{err}");
}

#[test]
fn a_zip_that_is_no_workbook_is_unreadable() {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file("readme.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"hello").unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    let err = open(FileFormat::Xlsx, bytes).err().unwrap();
    assert!(matches!(err, ReadError::Unreadable(_)), "{err}");
    assert!(
        err.to_string().contains("not a readable .xlsx workbook"),
        "{err}"
    );
}

#[test]
fn non_spreadsheets_are_unreadable() {
    for format in [FileFormat::Xlsx, FileFormat::Xls, FileFormat::Ods] {
        let err = open(format, b"%PDF-1.7 not a spreadsheet".to_vec())
            .err()
            .unwrap();
        assert!(matches!(err, ReadError::Unreadable(_)), "{format:?}: {err}");
        assert!(err.to_string().contains(format.extension()), "{err}");
    }
}

const ODS_CONTENT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Leads">
<table:table-row><table:table-cell office:value-type="string"><text:p>Name</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Since</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Amount</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell table:number-columns-repeated="3"/></table:table-row>
<table:table-row><table:table-cell office:value-type="string"><text:p>Acme</text:p></table:table-cell><table:table-cell office:value-type="date" office:date-value="2024-03-15"><text:p>15.03.24</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="3"><text:p>3</text:p></table:table-cell></table:table-row>
</table:table></office:spreadsheet></office:body></office:document-content>"#;

#[test]
fn ods_reads_the_first_sheet() {
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    zip.start_file("META-INF/manifest.xml", stored).unwrap();
    zip.write_all(br#"<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>"#).unwrap();
    zip.start_file("content.xml", stored).unwrap();
    zip.write_all(ODS_CONTENT.as_bytes()).unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    assert_eq!(
        FileFormat::detect("leads.xlsx", &bytes[..100]).unwrap(),
        FileFormat::Ods
    );
    let mut rows = open(FileFormat::Ods, bytes).unwrap();
    assert_eq!(rows.headers(), ["Name", "Since", "Amount"]);
    assert_eq!(
        all(&mut *rows),
        vec![SheetRow {
            row: 3,
            cells: vec![
                t("Acme"),
                Cell::DateIso("2024-03-15".into()),
                Cell::Number(3.0)
            ]
        }]
    );
}

/// Rows handed back lend their text buffers to the next rows: with
/// every row handed back (more rows than a batch of buffers, texts long
/// and short, numbers among them), the rows read are the rows read
/// without.
#[test]
fn xlsx_rows_handed_back_do_not_change_the_rows_read() {
    let long = "n".repeat(3000);
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (col, header) in ["A", "B", "C", "D"].into_iter().enumerate() {
        sheet.write_string(0, col as u16, header).unwrap();
    }
    for r in 1..3000u32 {
        sheet.write_string(r, 0, format!("name {r}")).unwrap();
        match r % 4 {
            0 => sheet.write_string(r, 1, &long).map(|_| ()).unwrap(),
            1 => sheet.write_number(r, 1, f64::from(r)).map(|_| ()).unwrap(),
            2 => sheet
                .write_string(r, 2, format!("c{r}"))
                .map(|_| ())
                .unwrap(),
            _ => sheet.write_string(r, 3, "").map(|_| ()).unwrap(),
        }
    }
    let bytes = book.save_to_buffer().unwrap();
    let kept = all(&mut *open(FileFormat::Xlsx, bytes.clone()).unwrap());
    let mut rows = open(FileFormat::Xlsx, bytes).unwrap();
    let mut recycled = Vec::new();
    while let Some(row) = rows.next_row() {
        let row = row.unwrap();
        recycled.push(row.clone());
        rows.recycle(row);
    }
    assert_eq!(kept.len(), 2999);
    assert_eq!(recycled, kept);
    assert_eq!(kept[3].cells[1], t(&long));
    assert_eq!(kept[0].cells[1], Cell::Number(1.0));
    assert_eq!(kept[1].cells[2], t("c2"));
}

/// The streaming reader packs its rows into batches (a batch ends after
/// 2,048 rows or 8 MiB of text): across several of each, every row is the
/// one calamine reads when it loads the whole sheet at once.
#[test]
fn xlsx_streamed_rows_are_the_sheet_read_whole() {
    use super::rows::RawRows;
    use super::sheet::RangeRows;
    use super::xlsx::XlsxRows;
    use calamine::{Reader, Xlsx};

    let long = "L".repeat(32_000);
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for r in 0..6000u32 {
        if r % 97 == 5 {
            continue; // an empty row
        }
        sheet.write_string(r, 0, format!("name {r}")).unwrap();
        if r % 3 != 0 {
            sheet.write_number(r, 1, f64::from(r) / 4.0).unwrap();
        }
        let day = ExcelDateTime::from_ymd(2000 + (r % 30) as u16, 1, 1 + (r % 28) as u8).unwrap();
        sheet.write_date_with_format(r, 2, &day, &date).unwrap();
        if (100..450).contains(&r) {
            // 350 texts of 32,000 bytes: batches end on their text's size.
            sheet.write_string(r, 3, &long).unwrap();
        }
        if r % 11 == 0 {
            sheet.write_string(r, 4, "").unwrap();
        }
        if r % 7 == 0 {
            sheet.write_boolean(r, 6, r % 2 == 0).unwrap();
        }
    }
    let bytes = book.save_to_buffer().unwrap();

    let mut streamed = XlsxRows::open(Box::new(Cursor::new(bytes.clone()))).unwrap();
    let streamed: Vec<_> = std::iter::from_fn(|| streamed.next_raw())
        .map(Result::unwrap)
        .collect();
    let mut whole: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    let range = whole.worksheet_range("Sheet1").unwrap();
    let mut whole = RangeRows::new(range, false);
    let whole: Vec<_> = std::iter::from_fn(|| whole.next_raw())
        .map(Result::unwrap)
        .map(|(row, mut cells)| {
            // A whole sheet's rows are as wide as the sheet.
            while cells.last() == Some(&Cell::Empty) {
                cells.pop();
            }
            (row, cells)
        })
        .filter(|(_, cells)| !cells.is_empty())
        .collect();
    assert_eq!(streamed.len(), 6000 - 62);
    assert_eq!(streamed.len(), whole.len());
    for (got, want) in streamed.iter().zip(&whole) {
        assert_eq!(got, want);
    }
    assert_eq!(streamed[101].1[3], t(&long));
}
