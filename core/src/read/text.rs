//! Byte-level helpers for CSV: which encoding, which delimiter, line-ending
//! normalisation and byte counting for progress.
//!
//! Each look at the file is one streaming pass followed by a seek back to
//! the start, so no CSV is ever held in memory whole.

use std::io::{self, Read, SeekFrom};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use encoding_rs::{Encoding, WINDOWS_1252};
use encoding_rs_io::DecodeReaderBytesBuilder;

use super::ReadError;
use crate::store::BlobReader;

const CHUNK: usize = 64 * 1024;

/// The decoder for `encoding`; `None` lets it sniff a BOM (UTF-8 or
/// UTF-16) and pass BOM-less UTF-8 through untouched.
pub(super) fn decoder(encoding: Option<&'static Encoding>) -> DecodeReaderBytesBuilder {
    let mut builder = DecodeReaderBytesBuilder::new();
    builder
        .encoding(encoding)
        .bom_sniffing(true)
        .strip_bom(true);
    builder
}

/// Decides the encoding: a BOM names it; otherwise the bytes are UTF-8 if
/// they all validate, else Windows-1252 (what Excel writes for "CSV" on a
/// western Windows). Leaves the reader at the start.
pub(super) fn detect_encoding(
    reader: &mut dyn BlobReader,
) -> Result<Option<&'static Encoding>, ReadError> {
    let mut buf = vec![0u8; CHUNK];
    let n = read_full(reader, &mut buf).map_err(io_failed)?;
    let head = &buf[..n];
    let has_bom = [&[0xEF, 0xBB, 0xBF][..], &[0xFF, 0xFE], &[0xFE, 0xFF]]
        .iter()
        .any(|bom| head.starts_with(bom));
    // CSV text never holds NUL bytes; a file that does is binary (or
    // UTF-16 without a BOM, which we cannot tell from binary).
    if !has_bom && head.contains(&0) {
        return Err(ReadError::Unreadable(
            "the file is not a text CSV file (it holds binary data); upload the spreadsheet itself (.xlsx, .xls, .ods) or save it as \"CSV UTF-8\"".to_string(),
        ));
    }
    let encoding = if has_bom || utf8_all_through(reader, &mut buf, n)? {
        None
    } else {
        Some(WINDOWS_1252)
    };
    reader.seek(SeekFrom::Start(0)).map_err(io_failed)?;
    Ok(encoding)
}

/// Validates the stream as UTF-8, `buf[..filled]` being its start.
fn utf8_all_through(
    reader: &mut dyn BlobReader,
    buf: &mut [u8],
    filled: usize,
) -> Result<bool, ReadError> {
    let mut len = filled;
    loop {
        if len == 0 {
            return Ok(true);
        }
        let carry = match std::str::from_utf8(&buf[..len]) {
            Ok(_) => 0,
            // Cut inside a character at the chunk's end: keep its start
            // (at most 3 bytes) for the next chunk.
            Err(e) if e.error_len().is_none() => {
                let valid = e.valid_up_to();
                buf.copy_within(valid..len, 0);
                len - valid
            }
            Err(_) => return Ok(false),
        };
        let n = read_full(reader, &mut buf[carry..]).map_err(io_failed)?;
        if n == 0 {
            // A character cut off by the end of the file is invalid.
            return Ok(carry == 0);
        }
        len = carry + n;
    }
}

/// The delimiter of the header line: the most frequent of `,` `;` tab
/// outside quotes (comma on a tie or when none occurs). Excel writes `;`
/// where the decimal separator is a comma, and tab for "Unicode Text".
/// Leaves the reader at the start.
pub(super) fn sniff_delimiter(
    reader: &mut dyn BlobReader,
    encoding: Option<&'static Encoding>,
) -> Result<u8, ReadError> {
    let mut head = vec![0u8; CHUNK];
    let n = read_full(&mut decoder(encoding).build(&mut *reader), &mut head).map_err(io_failed)?;
    reader.seek(SeekFrom::Start(0)).map_err(io_failed)?;
    Ok(delimiter_of(&head[..n]))
}

fn delimiter_of(text: &[u8]) -> u8 {
    const CANDIDATES: [u8; 3] = [b',', b';', b'\t'];
    let mut counts = [0usize; 3];
    let mut quoted = false;
    // Blank lines above the header do not count as the header line.
    let start = text
        .iter()
        .position(|b| !matches!(b, b'\r' | b'\n'))
        .unwrap_or(text.len());
    for &b in &text[start..] {
        match b {
            b'"' => quoted = !quoted,
            _ if quoted => {}
            b'\r' | b'\n' => break,
            _ => {
                if let Some(i) = CANDIDATES.iter().position(|&c| c == b) {
                    counts[i] += 1;
                }
            }
        }
    }
    let mut best = 0;
    for i in 1..CANDIDATES.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    CANDIDATES[best]
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

pub(super) fn io_failed(e: io::Error) -> ReadError {
    ReadError::Unreadable(format!("the file could not be read: {e}; upload it again"))
}

/// Counts the bytes read through it into a shared counter (the progress
/// of a CSV import, read from another thread).
pub(super) struct Counting<R> {
    pub inner: R,
    pub count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Turns CRLF and lone CR line ends into LF, and remembers how the text
/// ended. With one kind of line end, the CSV parser's line counter gives
/// exact row numbers (it counts LF only), and old Mac CR-only files work.
/// A CRLF inside a quoted field becomes LF, which is what it means.
pub(super) struct Newlines<R> {
    inner: R,
    after_cr: bool,
    /// Bytes handed out so far.
    pub total: u64,
    /// The last byte handed out.
    pub last: Option<u8>,
    /// True once the input has ended.
    pub eof: bool,
}

impl<R> Newlines<R> {
    pub fn new(inner: R) -> Self {
        Newlines {
            inner,
            after_cr: false,
            total: 0,
            last: None,
            eof: false,
        }
    }
}

impl<R: Read> Read for Newlines<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            let n = self.inner.read(out)?;
            if n == 0 {
                self.eof = true;
                return Ok(0);
            }
            // Most files end lines with LF alone: a block without a CR
            // (after none) passes through as it is.
            if !self.after_cr && memchr::memchr(b'\r', &out[..n]).is_none() {
                self.total += n as u64;
                self.last = Some(out[n - 1]);
                return Ok(n);
            }
            let mut w = 0;
            for i in 0..n {
                let b = out[i];
                if b == b'\n' && self.after_cr {
                    self.after_cr = false;
                    continue;
                }
                self.after_cr = b == b'\r';
                out[w] = if b == b'\r' { b'\n' } else { b };
                w += 1;
            }
            // All dropped (the LF of a CRLF split across reads): read on,
            // since 0 would mean the end.
            if w > 0 {
                self.total += w as u64;
                self.last = Some(out[w - 1]);
                return Ok(w);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn delimiters() {
        assert_eq!(delimiter_of(b"a,b;c,d\n1;2;3;4;5"), b',');
        assert_eq!(delimiter_of(b"\r\n\"a,b\";c;d\n"), b';');
        assert_eq!(delimiter_of(b"a\tb\tc"), b'\t');
        assert_eq!(delimiter_of(b"name"), b',');
    }

    /// A reader that hands out its bytes a few at a time, to cut CRLFs
    /// across reads.
    struct Dribble<'a>(&'a [u8], usize);

    impl Read for Dribble<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(out.len()).min(self.0.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn newlines_normalised_across_reads() {
        let input = b"ab\r\ncd\nef\rgh\r\r\nij\n\nkl";
        for step in 1..=input.len() {
            let mut n = Newlines::new(Dribble(input, step));
            let mut out = Vec::new();
            n.read_to_end(&mut out).unwrap();
            assert_eq!(out, b"ab\ncd\nef\ngh\n\nij\n\nkl", "reads of {step}");
            assert_eq!((n.total, n.last), (out.len() as u64, Some(b'l')));
        }
    }

    #[test]
    fn newlines_normalised() {
        let mut n = Newlines::new(&b"a\r\nb\rc\n\r\n"[..]);
        let mut out = Vec::new();
        n.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"a\nb\nc\n\n");
        assert!(n.eof && n.total == 7 && n.last == Some(b'\n'));
    }
}
