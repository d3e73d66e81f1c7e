//! Telling the file type from its name and first bytes.
//!
//! Users rename files and web exports lie about their type, so the magic
//! bytes decide when they can: a zip is a workbook (xlsx, or ods when its
//! `mimetype` entry says so) and an OLE compound file is an .xls. The
//! extension still has to be one of ours: a `.docx` or `.zip` is also a zip,
//! and reading it as a workbook would only give a confusing error.

use super::{FileFormat, ReadError};

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0];
/// The first entry of every OpenDocument file is an uncompressed
/// `mimetype` whose text sits in the first bytes of the file.
const ODS_MIME: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";

pub(super) fn detect(file_name: &str, head: &[u8]) -> Result<FileFormat, ReadError> {
    let ext = extension(file_name);
    let by_ext = match ext.as_str() {
        "csv" | "tsv" | "txt" => Some(FileFormat::Csv),
        "xlsx" | "xlsm" => Some(FileFormat::Xlsx),
        "xls" => Some(FileFormat::Xls),
        "ods" => Some(FileFormat::Ods),
        _ => None,
    };
    // Files without a name (an upload without a file name) are judged by
    // their magic alone.
    if by_ext.is_none() && !ext.is_empty() {
        return Err(unsupported(&format!("`.{ext}` files are not")));
    }
    if head.starts_with(OLE_MAGIC) {
        return Ok(FileFormat::Xls);
    }
    if head.starts_with(ZIP_MAGIC) {
        let ods = by_ext == Some(FileFormat::Ods) || contains(head, ODS_MIME);
        return Ok(if ods {
            FileFormat::Ods
        } else {
            FileFormat::Xlsx
        });
    }
    // No magic: a CSV, or a workbook that is damaged or only named like
    // one; the reader of the named type says which.
    by_ext.ok_or_else(|| unsupported("a file without a type extension is not"))
}

/// The lower-cased extension, without the dot; empty when there is none.
fn extension(file_name: &str) -> String {
    // Browsers may send a full Windows path as the file name.
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    match base.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.trim().to_ascii_lowercase(),
        _ => String::new(),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn unsupported(what: &str) -> ReadError {
    ReadError::Unsupported(format!(
        "{what} supported: upload a .csv, .xlsx, .xls or .ods file (save the spreadsheet in one of those types)"
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn by_extension_case_insensitive() {
        assert_eq!(detect("leads.CSV", b"a,b\n").unwrap(), FileFormat::Csv);
        assert_eq!(detect("leads.tsv", b"a\tb\n").unwrap(), FileFormat::Csv);
        assert_eq!(
            detect("Leads.XLSX", b"PK\x03\x04..").unwrap(),
            FileFormat::Xlsx
        );
        assert_eq!(
            detect("C:\\x\\l.xls", &[0xD0, 0xCF, 0x11, 0xE0]).unwrap(),
            FileFormat::Xls
        );
        assert_eq!(detect("l.ods", b"PK\x03\x04..").unwrap(), FileFormat::Ods);
    }

    #[test]
    fn magic_wins_over_a_wrong_extension() {
        assert_eq!(
            detect("leads.csv", b"PK\x03\x04rest").unwrap(),
            FileFormat::Xlsx
        );
        assert_eq!(
            detect("leads.xlsx", &[0xD0, 0xCF, 0x11, 0xE0, 0xA1]).unwrap(),
            FileFormat::Xls
        );
        assert_eq!(
            detect("leads.xls", b"PK\x03\x04rest").unwrap(),
            FileFormat::Xlsx
        );
        let mut ods = b"PK\x03\x04".to_vec();
        ods.extend_from_slice(&[0; 26]);
        ods.extend_from_slice(b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet");
        assert_eq!(detect("leads.xlsx", &ods).unwrap(), FileFormat::Ods);
        assert_eq!(
            detect("upload", b"PK\x03\x04rest").unwrap(),
            FileFormat::Xlsx
        );
    }

    #[test]
    fn a_named_workbook_without_magic_keeps_its_type() {
        // The reader then reports it as damaged, which names the type.
        assert_eq!(detect("leads.xlsx", b"<html>").unwrap(), FileFormat::Xlsx);
    }

    #[test]
    fn unknown_types_are_unsupported() {
        for (name, head) in [
            ("report.pdf", &b"%PDF-1.7"[..]),
            ("letter.docx", b"PK\x03\x04"),
            ("leads", b"a,b\n"),
            (".csv", b"a,b\n"),
        ] {
            let err = detect(name, head).unwrap_err();
            assert!(matches!(err, ReadError::Unsupported(_)), "{name}");
            assert!(err.to_string().contains(".xlsx"), "{err}");
        }
    }
}
