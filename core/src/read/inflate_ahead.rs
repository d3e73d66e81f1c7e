//! An .xlsx archive whose large entries a second thread inflates ahead.
//!
//! calamine reads a workbook on one thread, and an xlsx preview waits for
//! that thread: a 1M-row sheet is 0.9 GB of XML deflated into 0.15 GB,
//! and inflating it was about a tenth of the thread's work. [`wrap`] hands
//! calamine, instead of the file, a zip archive laid out anew: its headers
//! and central directory are made here, each large deflated entry is
//! *stored* in it (method 0, with the original's CRC-32 and size), and the
//! bytes of that entry come from a second thread that inflates the original
//! entry a few chunks ahead of calamine's reading. The other entries keep
//! their compressed bytes, which the same thread copies. zip reads it as
//! any archive: a stored entry's CRC-32 is checked as calamine reads it,
//! and the inflating thread checks the original's too.
//!
//! Archives this layout cannot describe without zip64, or with encrypted
//! entries, names that are not ASCII or repeated names, are read as they
//! are, and so is an archive with no entry large enough to be worth a
//! thread.

use std::io::{self, Read, Seek, SeekFrom};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};

use zip::{CompressionMethod, ZipArchive};

use super::{zipguard, ReadError};
use crate::store::BlobReader;

/// Deflated entries at least this large (uncompressed) are inflated
/// ahead: a sheet of a few thousand rows or more, and its shared strings.
pub(super) const AHEAD_FROM: u64 = 1 << 20;

/// Bytes per chunk the inflating thread hands over, and chunks in flight:
/// each hand-over may wake a thread (see `xlsx::BATCH`).
const CHUNK: usize = 1024 * 1024;
const IN_FLIGHT: usize = 4;

/// The largest archive the plain (not zip64) layout can describe.
const MAX_OFFSET: u64 = u32::MAX as u64 - 1;
const MAX_ENTRIES: usize = u16::MAX as usize;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_DIRECTORY: u32 = 0x0605_4b50;
/// Version 2.0: deflate, no zip64.
const VERSION: u16 = 20;
/// 1980-01-01 00:00 in MS-DOS date and time.
const DOS_DATE: u16 = 0x21;
const STORED: u16 = 0;
const DEFLATED: u16 = 8;

/// A run of the laid-out archive's bytes.
enum Part {
    /// Headers made here.
    Bytes(Vec<u8>),
    /// Entry `entry`'s data: inflated (stored in this layout) or as
    /// compressed in the file.
    Data {
        entry: usize,
        len: u64,
        inflate: bool,
    },
}

/// What the thread is asked for: entry `entry`'s data from byte `skip` on.
struct Request {
    entry: usize,
    inflate: bool,
    skip: u64,
    chunks: SyncSender<io::Result<Vec<u8>>>,
    spare: Receiver<Vec<u8>>,
}

/// The entry being read: where in it, and the chunks coming.
struct Stream {
    part: usize,
    /// Offset in the part of the next byte handed out.
    at: u64,
    chunks: Receiver<io::Result<Vec<u8>>>,
    spare: SyncSender<Vec<u8>>,
    chunk: Vec<u8>,
    used: usize,
}

/// The laid-out archive (see the module's documentation).
pub(super) struct InflatedZip {
    /// Each part with its first byte's offset, in order, none empty.
    parts: Vec<(u64, Part)>,
    len: u64,
    pos: u64,
    requests: Sender<Request>,
    stream: Option<Stream>,
}

/// `archive` as calamine should read it: laid out with its deflated
/// entries of `ahead_from` bytes or more inflated ahead, or as it is
/// (rewound) when no entry is worth it or the layout cannot describe it.
pub(super) fn wrap(
    archive: ZipArchive<Box<dyn BlobReader>>,
    ahead_from: u64,
) -> Result<Box<dyn BlobReader>, ReadError> {
    let Some((parts, len)) = layout(&archive, ahead_from) else {
        return zipguard::rewound(archive);
    };
    let (requests, asked) = channel();
    std::thread::Builder::new()
        .name("leadger-inflate".to_string())
        .spawn(move || inflate(archive, &asked))
        .map_err(|e| {
            ReadError::Unreadable(format!(
                "could not start reading the workbook: {e}; try again"
            ))
        })?;
    Ok(Box::new(InflatedZip {
        parts,
        len,
        pos: 0,
        requests,
        stream: None,
    }))
}

/// The parts of the new layout and its length, or `None` to read the
/// archive as it is.
fn layout<R: Read + Seek>(
    archive: &ZipArchive<R>,
    ahead_from: u64,
) -> Option<(Vec<(u64, Part)>, u64)> {
    if archive.len() > MAX_ENTRIES || archive.has_duplicate_names() {
        return None;
    }
    let mut parts: Vec<(u64, Part)> = Vec::new();
    let mut directory = Vec::new();
    let mut at: u64 = 0;
    let mut any_ahead = false;
    for entry in 0..archive.len() {
        let file = archive.by_index_data(entry).ok()?;
        let name = file.name_raw();
        if file.encrypted() || !name.is_ascii() || name.len() > usize::from(u16::MAX) {
            return None;
        }
        let inflate =
            file.compression() == CompressionMethod::Deflated && file.size() >= ahead_from;
        any_ahead |= inflate;
        let method = match file.compression() {
            _ if inflate => STORED,
            CompressionMethod::Stored => STORED,
            CompressionMethod::Deflated => DEFLATED,
            // calamine reads only these two; another method is passed on
            // as it is only to fail there, so the archive is read as is.
            _ => return None,
        };
        let stored_len = if inflate {
            file.size()
        } else {
            file.compressed_size()
        };
        let fields = Fields {
            method,
            crc: file.crc32(),
            compressed: u32::try_from(stored_len).ok()?,
            size: u32::try_from(file.size()).ok()?,
            name,
        };
        let header_at = u32::try_from(at).ok()?;
        let header = fields.local_header();
        at += header.len() as u64;
        parts.push((at - header.len() as u64, Part::Bytes(header)));
        if stored_len > 0 {
            parts.push((
                at,
                Part::Data {
                    entry,
                    len: stored_len,
                    inflate,
                },
            ));
            at += stored_len;
        }
        fields.central_header(header_at, &mut directory);
        if at > MAX_OFFSET {
            return None;
        }
    }
    if !any_ahead {
        return None;
    }
    let directory_at = u32::try_from(at).ok()?;
    let count = u16::try_from(archive.len()).ok()?;
    let directory_len = u32::try_from(directory.len()).ok()?;
    put32(&mut directory, END_OF_DIRECTORY);
    put16(&mut directory, 0); // this disk
    put16(&mut directory, 0); // the directory's disk
    put16(&mut directory, count);
    put16(&mut directory, count);
    put32(&mut directory, directory_len);
    put32(&mut directory, directory_at);
    put16(&mut directory, 0); // no comment
    let len = at + directory.len() as u64;
    if len > MAX_OFFSET {
        return None;
    }
    parts.push((at, Part::Bytes(directory)));
    Some((parts, len))
}

/// What an entry's local and central headers say.
struct Fields<'a> {
    method: u16,
    crc: u32,
    compressed: u32,
    size: u32,
    name: &'a [u8],
}

impl Fields<'_> {
    fn local_header(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(30 + self.name.len());
        put32(&mut out, LOCAL_HEADER);
        put16(&mut out, VERSION);
        self.common(&mut out);
        put16(&mut out, 0); // no extra field
        out.extend_from_slice(self.name);
        out
    }

    fn central_header(&self, local_at: u32, out: &mut Vec<u8>) {
        put32(out, CENTRAL_HEADER);
        put16(out, VERSION); // made by
        put16(out, VERSION); // needed
        self.common(out);
        put16(out, 0); // no extra field
        put16(out, 0); // no comment
        put16(out, 0); // disk
        put16(out, 0); // internal attributes
        put32(out, 0); // external attributes
        put32(out, local_at);
        out.extend_from_slice(self.name);
    }

    /// From the flags to the name's length, the same in both headers.
    fn common(&self, out: &mut Vec<u8>) {
        put16(out, 0); // flags: no data descriptor, no encryption
        put16(out, self.method);
        put16(out, 0); // time
        put16(out, DOS_DATE);
        put32(out, self.crc);
        put32(out, self.compressed);
        put32(out, self.size);
        // The caller checked that the name fits.
        put16(out, u16::try_from(self.name.len()).unwrap_or(u16::MAX));
    }
}

fn put16(out: &mut Vec<u8>, x: u16) {
    out.extend_from_slice(&x.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, x: u32) {
    out.extend_from_slice(&x.to_le_bytes());
}

/// The inflating thread: serves one request after the other until the
/// archive's reader is dropped.
fn inflate(mut archive: ZipArchive<Box<dyn BlobReader>>, requests: &Receiver<Request>) {
    for request in requests {
        serve(&mut archive, &request);
    }
}

/// Sends entry `request.entry`'s data from byte `request.skip` on, a chunk
/// at a time, until its end, a failure (sent too) or the reader hanging up.
fn serve(archive: &mut ZipArchive<Box<dyn BlobReader>>, request: &Request) {
    let opened = if request.inflate {
        archive.by_index(request.entry)
    } else {
        archive.by_index_raw(request.entry)
    };
    let mut file = match opened {
        Ok(file) => file,
        Err(e) => {
            let _ = request.chunks.send(Err(io::Error::other(e)));
            return;
        }
    };
    if request.skip > 0 {
        if let Err(e) = io::copy(&mut (&mut file).take(request.skip), &mut io::sink()) {
            let _ = request.chunks.send(Err(e));
            return;
        }
    }
    loop {
        let mut chunk = request
            .spare
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        chunk.clear();
        match (&mut file).take(CHUNK as u64).read_to_end(&mut chunk) {
            Ok(0) => return,
            Ok(_) => {
                if request.chunks.send(Ok(chunk)).is_err() {
                    return;
                }
            }
            Err(e) => {
                let _ = request.chunks.send(Err(e));
                return;
            }
        }
    }
}

impl InflatedZip {
    /// Copies into `buf` from part `part` (entry data), `at` bytes into it.
    fn read_data(
        &mut self,
        part: usize,
        entry: usize,
        len: u64,
        inflate: bool,
        at: u64,
        buf: &mut [u8],
    ) -> io::Result<usize> {
        let stream = match self.stream.take() {
            Some(stream) if stream.part == part && stream.at == at => stream,
            // Another entry, or a seek within this one: ask again (the
            // thread drops what it was sending when the old channel
            // closes).
            _ => self.ask(part, entry, inflate, at)?,
        };
        let stream = self.stream.insert(stream);
        if stream.used == stream.chunk.len() {
            let done = std::mem::take(&mut stream.chunk);
            let _ = stream.spare.try_send(done);
            stream.used = 0;
            match stream.chunks.recv() {
                Ok(Ok(chunk)) => stream.chunk = chunk,
                Ok(Err(e)) => {
                    self.stream = None;
                    return Err(e);
                }
                Err(_) => {
                    self.stream = None;
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("entry {entry} of the archive ended before the size it declares"),
                    ));
                }
            }
        }
        let left = usize::try_from(len - at).unwrap_or(usize::MAX);
        let n = buf.len().min(left).min(stream.chunk.len() - stream.used);
        buf[..n].copy_from_slice(&stream.chunk[stream.used..stream.used + n]);
        stream.used += n;
        stream.at += n as u64;
        Ok(n)
    }

    fn ask(&mut self, part: usize, entry: usize, inflate: bool, skip: u64) -> io::Result<Stream> {
        let (chunks_tx, chunks) = sync_channel(IN_FLIGHT);
        let (spare, spare_rx) = sync_channel(IN_FLIGHT);
        self.requests
            .send(Request {
                entry,
                inflate,
                skip,
                chunks: chunks_tx,
                spare: spare_rx,
            })
            .map_err(|_| io::Error::other("the workbook's inflating thread has stopped"))?;
        Ok(Stream {
            part,
            at: skip,
            chunks,
            spare,
            chunk: Vec::new(),
            used: 0,
        })
    }
}

impl Read for InflatedZip {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || self.pos >= self.len {
            return Ok(0);
        }
        let index = self.parts.partition_point(|(start, _)| *start <= self.pos) - 1;
        let (start, part) = &self.parts[index];
        let at = self.pos - start;
        let n = match *part {
            Part::Bytes(ref bytes) => {
                let from = &bytes[usize::try_from(at).unwrap_or(usize::MAX).min(bytes.len())..];
                let n = from.len().min(buf.len());
                buf[..n].copy_from_slice(&from[..n]);
                n
            }
            Part::Data {
                entry,
                len,
                inflate,
            } => self.read_data(index, entry, len, inflate, at, buf)?,
        };
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for InflatedZip {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the archive's start",
            )
        })?;
        Ok(self.pos)
    }
}

impl BlobReader for InflatedZip {}

#[cfg(test)]
#[path = "inflate_ahead_tests.rs"]
mod tests;
