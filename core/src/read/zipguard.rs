//! The zip-bomb guard for .xlsx and .ods.
//!
//! Both are zip archives, and calamine inflates whole entries (shared
//! strings, styles, the .ods content) into memory. A few kilobytes of zip
//! can declare gigabytes, so before calamine reads anything we sum the
//! uncompressed sizes the central directory declares and refuse the file
//! when the sum passes [`Limits::max_unpacked_bytes`].
//!
//! The check trusts the declared sizes; an archive that lies about them is
//! caught only by calamine's own reading (deflate cannot expand more than
//! about 1000:1, so the file's size still bounds the damage).

use std::io::{Seek, SeekFrom};

use zip::ZipArchive;

use super::{FileFormat, Limits, ReadError};
use crate::store::BlobReader;

/// Checks the archive and hands the reader back, rewound.
pub(super) fn check(
    reader: Box<dyn BlobReader>,
    limits: &Limits,
    format: FileFormat,
) -> Result<Box<dyn BlobReader>, ReadError> {
    rewound(open(reader, limits, format)?)
}

/// Reads the archive's central directory and checks it: the archive, for
/// a reader that goes on from there (see `inflate_ahead`).
pub(super) fn open(
    reader: Box<dyn BlobReader>,
    limits: &Limits,
    format: FileFormat,
) -> Result<ZipArchive<Box<dyn BlobReader>>, ReadError> {
    let ext = format.extension();
    let archive = ZipArchive::new(reader).map_err(|e| {
        ReadError::Unreadable(format!(
            "the file is not a readable {ext} workbook: it is not a valid zip archive ({e}); save it again from your spreadsheet program"
        ))
    })?;
    let mut declared: u64 = 0;
    for i in 0..archive.len() {
        let size = archive.by_index_data(i).map_or(0, |entry| entry.size());
        declared = declared.saturating_add(size);
    }
    if declared > limits.max_unpacked_bytes {
        return Err(ReadError::TooLarge(format!(
            "the {ext} file unpacks to {}, more than the limit of {}; split the leads into smaller files, or save them as CSV",
            size(declared),
            size(limits.max_unpacked_bytes)
        )));
    }
    Ok(archive)
}

/// The archive's reader, back at its start.
pub(super) fn rewound(
    archive: ZipArchive<Box<dyn BlobReader>>,
) -> Result<Box<dyn BlobReader>, ReadError> {
    let mut reader = archive.into_inner();
    reader.seek(SeekFrom::Start(0)).map_err(|e| {
        ReadError::Unreadable(format!(
            "the file could not be read again: {e}; upload it again"
        ))
    })?;
    Ok(reader)
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes.div_ceil(1 << 20))
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn workbook() -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        book.add_worksheet().write_string(0, 0, "Name").unwrap();
        book.save_to_buffer().unwrap()
    }

    #[test]
    fn a_small_workbook_passes_and_is_rewound() {
        let mut back = check(
            Box::new(Cursor::new(workbook())),
            &Limits::default(),
            FileFormat::Xlsx,
        )
        .unwrap();
        assert_eq!(back.stream_position().unwrap(), 0);
    }

    #[test]
    fn declared_size_over_the_limit_is_too_large() {
        let tiny = Limits {
            max_unpacked_bytes: 100,
        };
        let err = check(Box::new(Cursor::new(workbook())), &tiny, FileFormat::Xlsx)
            .err()
            .unwrap();
        assert!(matches!(err, ReadError::TooLarge(_)), "{err}");
        assert!(err.to_string().contains("split the leads"), "{err}");
    }

    #[test]
    fn not_a_zip_is_unreadable() {
        let err = check(
            Box::new(Cursor::new(b"PK\x03\x04 but no more".to_vec())),
            &Limits::default(),
            FileFormat::Ods,
        )
        .err()
        .unwrap();
        assert!(matches!(err, ReadError::Unreadable(_)), "{err}");
        assert!(err.to_string().contains(".ods"), "{err}");
    }
}
