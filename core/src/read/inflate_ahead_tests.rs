#![allow(clippy::unwrap_used)]

use std::io::{Cursor, Read, Seek, SeekFrom};

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use zip::{CompressionMethod, ZipArchive};

use super::*;
use crate::read::rows::RawRows;
use crate::read::xlsx::XlsxRows;
use crate::read::ReadError;

/// A workbook of `rows` rows of text, numbers and dates (shared strings),
/// and a second sheet.
fn workbook(rows: u32) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (col, header) in ["Name", "Amount", "Since", "City"].into_iter().enumerate() {
        sheet.write_string(0, col as u16, header).unwrap();
    }
    for row in 1..=rows {
        sheet.write_string(row, 0, format!("Lead {row}")).unwrap();
        sheet.write_number(row, 1, f64::from(row) * 1.5).unwrap();
        let day =
            ExcelDateTime::from_ymd(2024, 1 + (row % 12) as u8, 1 + (row % 28) as u8).unwrap();
        sheet.write_date_with_format(row, 2, &day, &date).unwrap();
        if row % 3 == 0 {
            sheet.write_string(row, 3, "Zürich").unwrap();
        }
    }
    book.add_worksheet().write_string(0, 0, "second").unwrap();
    book.save_to_buffer().unwrap()
}

fn wrapped(bytes: &[u8], ahead_from: u64) -> Box<dyn BlobReader> {
    let archive = zipguard::open(
        Box::new(Cursor::new(bytes.to_vec())),
        &crate::read::Limits::default(),
        crate::read::FileFormat::Xlsx,
    )
    .unwrap();
    wrap(archive, ahead_from).unwrap()
}

/// Every entry's name, method and content, read through zip.
fn entries<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
) -> Vec<(String, CompressionMethod, Vec<u8>)> {
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            file.read_to_end(&mut content).unwrap();
            (
                file.name().unwrap().to_string(),
                file.compression(),
                content,
            )
        })
        .collect()
}

#[test]
fn large_entries_are_stored_and_read_back_the_same() {
    let bytes = workbook(300);
    let mut original = ZipArchive::new(Cursor::new(&bytes)).unwrap();
    let want = entries(&mut original);
    let mut laid_out = ZipArchive::new(wrapped(&bytes, 1000)).unwrap();
    let got = entries(&mut laid_out);
    assert_eq!(got.len(), want.len());
    let mut inflated = 0;
    for ((name, method, content), (want_name, want_method, want_content)) in got.iter().zip(&want) {
        assert_eq!(name, want_name);
        assert_eq!(content, want_content, "{name}");
        if *want_method == CompressionMethod::Deflated && want_content.len() >= 1000 {
            assert_eq!(*method, CompressionMethod::Stored, "{name}");
            inflated += 1;
        } else {
            assert_eq!(method, want_method, "{name}");
        }
    }
    // The sheet and its shared strings at least.
    assert!(inflated >= 2, "{inflated} entries inflated ahead");
}

#[test]
fn the_layout_is_the_same_archive_read_whole_or_streamed() {
    let bytes = workbook(200);
    let mut whole = Vec::new();
    wrapped(&bytes, 0).read_to_end(&mut whole).unwrap();
    let mut from_bytes = ZipArchive::new(Cursor::new(&whole)).unwrap();
    let mut streamed = ZipArchive::new(wrapped(&bytes, 0)).unwrap();
    assert_eq!(entries(&mut from_bytes), entries(&mut streamed));

    // Reads from anywhere, in any order: each seek into an entry's data
    // asks the thread again, skipping to the place.
    let mut reader = wrapped(&bytes, 0);
    let len = whole.len() as u64;
    for at in [len / 2, 7, len - 3, len / 3, len / 2 + 1, 0, len / 5] {
        reader.seek(SeekFrom::Start(at)).unwrap();
        let mut got = vec![0; 5000];
        let n = read_full(&mut reader, &mut got);
        assert_eq!(&got[..n], &whole[at as usize..(at as usize + n)], "at {at}");
        assert_eq!(n, 5000.min((len - at) as usize), "at {at}");
    }
    reader.seek(SeekFrom::End(-4)).unwrap();
    let mut tail = Vec::new();
    reader.read_to_end(&mut tail).unwrap();
    assert_eq!(tail, &whole[whole.len() - 4..]);
}

fn read_full(reader: &mut dyn BlobReader, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]).unwrap() {
            0 => break,
            k => n += k,
        }
    }
    n
}

#[test]
fn an_entry_left_half_read_can_be_read_again() {
    let bytes = workbook(300);
    let mut archive = ZipArchive::new(wrapped(&bytes, 0)).unwrap();
    let mut first = [0; 100];
    archive
        .by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    let mut strings = Vec::new();
    archive
        .by_name("xl/sharedStrings.xml")
        .unwrap()
        .read_to_end(&mut strings)
        .unwrap();
    let mut sheet = Vec::new();
    archive
        .by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_end(&mut sheet)
        .unwrap();
    assert_eq!(&sheet[..100], &first);
    let mut original = ZipArchive::new(Cursor::new(&bytes)).unwrap();
    let mut want = Vec::new();
    original
        .by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_end(&mut want)
        .unwrap();
    assert_eq!(sheet, want);
}

#[test]
fn calamine_reads_the_same_rows_through_the_layout() {
    let bytes = workbook(3000);
    let read = |reader: Box<dyn BlobReader>| {
        let mut rows = XlsxRows::open(reader).unwrap();
        std::iter::from_fn(|| rows.next_raw())
            .map(Result::unwrap)
            .collect::<Vec<_>>()
    };
    let plain = read(Box::new(Cursor::new(bytes.clone())));
    let ahead = read(wrapped(&bytes, 0));
    assert_eq!(plain.len(), 3001);
    assert_eq!(ahead, plain);
}

#[test]
fn small_archives_are_read_as_they_are() {
    let bytes = workbook(5);
    let mut reader = wrapped(&bytes, u64::MAX);
    let mut back = Vec::new();
    reader.read_to_end(&mut back).unwrap();
    assert_eq!(back, bytes);
}

/// Offset and length of entry `name`'s compressed data in `bytes`.
fn data_of(bytes: &[u8], name: &str) -> (usize, usize) {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).unwrap();
    let file = archive.by_name(name).unwrap();
    (
        file.data_start().unwrap() as usize,
        file.compressed_size() as usize,
    )
}

#[test]
fn a_damaged_entry_fails_its_reading_as_it_does_in_the_file() {
    let mut bytes = workbook(2000);
    let (start, len) = data_of(&bytes, "xl/worksheets/sheet1.xml");
    for b in &mut bytes[start + len / 2..start + len / 2 + 64] {
        *b ^= 0x5a;
    }
    let read_sheet = |reader: Box<dyn BlobReader>| {
        let mut archive = ZipArchive::new(reader).unwrap();
        let mut file = archive.by_name("xl/worksheets/sheet1.xml").unwrap();
        let mut content = Vec::new();
        file.read_to_end(&mut content).map(|_| content)
    };
    assert!(read_sheet(Box::new(Cursor::new(bytes.clone()))).is_err());
    assert!(read_sheet(wrapped(&bytes, 0)).is_err());
    // And the rows' reader says so, on opening or at a row (depending on
    // how far ahead the damage lies), instead of handing out what it got.
    let failed = match XlsxRows::open(wrapped(&bytes, 0)) {
        Err(e) => matches!(e, ReadError::Unreadable(_)),
        Ok(mut rows) => std::iter::from_fn(|| rows.next_raw()).any(|row| row.is_err()),
    };
    assert!(failed);
}

#[test]
fn an_entry_shorter_than_declared_is_an_error_not_an_end() {
    let mut bytes = workbook(300);
    let name = "xl/worksheets/sheet1.xml";
    let (local, central, size) = {
        let archive = ZipArchive::new(Cursor::new(&bytes)).unwrap();
        let index = archive.index_for_name(name).unwrap();
        let file = archive.by_index_data(index).unwrap();
        (
            file.header_start() as usize,
            file.central_header_start() as usize,
            u32::try_from(file.size()).unwrap(),
        )
    };
    // Both headers declare ten bytes more than the entry inflates to.
    let more = (size + 10).to_le_bytes();
    bytes[local + 22..local + 26].copy_from_slice(&more);
    bytes[central + 24..central + 28].copy_from_slice(&more);
    let mut archive = ZipArchive::new(wrapped(&bytes, 0)).unwrap();
    let mut content = Vec::new();
    let err = archive
        .by_name(name)
        .unwrap()
        .read_to_end(&mut content)
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{err}");
}

#[test]
fn an_archive_with_a_name_the_layout_does_not_write_is_read_as_it_is() {
    use std::io::Write as _;
    let mut bytes = workbook(300);
    {
        let mut writer = zip::ZipWriter::new_append(Cursor::new(&mut bytes)).unwrap();
        writer
            .start_file("docProps/née.xml", zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(b"<x/>").unwrap();
        writer.finish().unwrap();
    }
    let mut reader = wrapped(&bytes, 0);
    let mut back = Vec::new();
    reader.read_to_end(&mut back).unwrap();
    assert_eq!(back, bytes);
}
