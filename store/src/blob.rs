//! Uploaded files, content-addressed: `DIR/files/<64 hex blake3>`.
//!
//! `put` streams the source, a chunk at a time, to a second thread that
//! feeds a blake3 hasher and a temp file in the same directory (so the
//! final rename is atomic). What is left ([`Pending::finish`]) fsyncs the
//! file, renames it to its hash (dropping it if that hash is already
//! stored: same bytes, one copy) and fsyncs the directory so the name is
//! durable too; the store runs it in the background and waits for it
//! before any event can name the file (`Store::sync_blobs`). Until then
//! the file is read under its temp name. Temp files left by a crash start
//! with [`TEMP_PREFIX`] and are removed when the store is opened (the
//! store holds the directory lock): a file is never under its hash before
//! its bytes are durable.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use leadger_core::store::{BlobReader, BlobRef, StoreError};

use crate::error::io;

/// Name prefix of files being written.
pub(crate) const TEMP_PREFIX: &str = ".tmp-";

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Bytes read from the source at a time.
const CHUNK: usize = 1 << 20;
/// Chunks read ahead of the hashing and writing thread.
const CHUNKS_IN_FLIGHT: usize = 4;

/// Hashes and writes the chunks `rx` brings to `file`, handing each buffer
/// back for the next read; the hash and size of what it wrote.
fn hash_and_write(
    mut file: File,
    tmp: &Path,
    rx: Receiver<(Vec<u8>, usize)>,
    spare: SyncSender<Vec<u8>>,
) -> Result<(blake3::Hash, u64, File), StoreError> {
    let mut hasher = blake3::Hasher::new();
    let mut size = 0u64;
    for (buf, n) in rx {
        hasher.update(&buf[..n]);
        file.write_all(&buf[..n])
            .map_err(|e| io("cannot write", tmp, e))?;
        size += n as u64;
        let _ = spare.try_send(buf);
    }
    Ok((hasher.finalize(), size, file))
}

/// Copies `src` into `file` and hashes it: this thread reads (`src` need
/// not be `Send`: an HTTP body, say) while a second one hashes and writes,
/// a chunk of 1 MiB at a time. Storing an upload is the first step of a
/// preview and nothing overlaps it. On one thread, through `io::copy`'s
/// 8 KiB reads, storing a 364 MB CSV took 0.38 to 0.46 s of a preview
/// here (fsync included), against 0.33 to 0.38 s this way.
fn copy_hashed(
    src: &mut dyn Read,
    file: File,
    tmp: &Path,
) -> Result<(blake3::Hash, u64, File), StoreError> {
    let (tx, rx) = sync_channel::<(Vec<u8>, usize)>(CHUNKS_IN_FLIGHT);
    let (spare_tx, spare_rx) = sync_channel::<Vec<u8>>(CHUNKS_IN_FLIGHT + 2);
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| hash_and_write(file, tmp, rx, spare_tx));
        let read = (|| -> Result<(), StoreError> {
            loop {
                let mut buf = spare_rx.try_recv().unwrap_or_else(|_| vec![0u8; CHUNK]);
                let n = match src.read(&mut buf) {
                    Ok(0) => return Ok(()),
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(io("cannot read the upload into", tmp, e)),
                };
                if tx.send((buf, n)).is_err() {
                    // The writer stopped on an error, which it returns.
                    return Ok(());
                }
            }
        })();
        drop(tx);
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(StoreError::Io("the upload's writer panicked".into())));
        // A failed read is the error to report; else the writer's.
        read.and(written)
    })
}

/// Removes the temp file unless disarmed (on every error path).
struct TempGuard(Option<PathBuf>);

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = fs::remove_file(p);
        }
    }
}

pub(crate) fn path_of(files: &Path, hash: &[u8; 32]) -> PathBuf {
    files.join(blake3::Hash::from_bytes(*hash).to_hex().as_str())
}

/// Writes `src` to a temp file and hashes it. The file is stored once
/// [`Pending::finish`] has run (`None`: those bytes are stored already).
pub(crate) fn put(
    files: &Path,
    src: &mut dyn Read,
) -> Result<(BlobRef, Option<Pending>), StoreError> {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = files.join(format!("{TEMP_PREFIX}{}-{n}", std::process::id()));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| io("cannot create", &tmp, e))?;
    let guard = TempGuard(Some(tmp.clone()));
    let (hash, size, file) = copy_hashed(src, file, &tmp)?;
    let hash = *hash.as_bytes();
    let blob = BlobRef { hash, size };
    let dest = path_of(files, &hash);
    if dest.exists() {
        // Same hash, same bytes: keep the stored copy; the guard drops ours.
        return Ok((blob, None));
    }
    let pending = Pending {
        file,
        tmp,
        dest,
        files: files.to_path_buf(),
        guard,
    };
    Ok((blob, Some(pending)))
}

/// A file written and hashed under its temp name, not yet durable.
pub(crate) struct Pending {
    file: File,
    tmp: PathBuf,
    dest: PathBuf,
    files: PathBuf,
    /// Removes the temp file if `finish` fails or never runs to its end.
    guard: TempGuard,
}

impl Pending {
    /// Where the file is until it is stored.
    pub(crate) fn tmp(&self) -> &Path {
        &self.tmp
    }

    /// Makes the file durable under its hash: fsyncs it, renames it, and
    /// fsyncs the directory. A 364 MB upload's fsync took 0.21 s here, on
    /// the preview's critical path before the store ran this in the
    /// background.
    pub(crate) fn finish(mut self) -> Result<(), StoreError> {
        self.file
            .sync_all()
            .map_err(|e| io("cannot sync", &self.tmp, e))?;
        if self.dest.exists() {
            // Stored meanwhile (the same bytes): the guard drops ours.
            return Ok(());
        }
        fs::rename(&self.tmp, &self.dest).map_err(|e| io("cannot rename into", &self.dest, e))?;
        self.guard.0 = None;
        sync_dir(&self.files)
    }
}

pub(crate) fn open(files: &Path, hash: &[u8; 32]) -> Result<Box<dyn BlobReader>, StoreError> {
    open_path(&path_of(files, hash), hash)
}

/// Opens the file at `path` (a stored file, or one pending under its temp
/// name), reported missing as the blob of `hash`.
pub(crate) fn open_path(path: &Path, hash: &[u8; 32]) -> Result<Box<dyn BlobReader>, StoreError> {
    let path = path.to_path_buf();
    match File::open(&path) {
        Ok(f) => Ok(Box::new(BufReader::new(StoredFile::new(f)))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(StoreError::MissingBlob(
            blake3::Hash::from_bytes(*hash).to_hex().to_string(),
        )),
        Err(e) => Err(io("cannot open", &path, e)),
    }
}

/// Bytes read between two calls that drop them from the page cache.
const DROP_EVERY: u64 = 8 << 20;

/// A stored file opened for reading. After
/// [`BlobReader::read_once_to_end`] it drops what it has read from the
/// page cache, [`DROP_EVERY`] bytes at a time (`posix_fadvise(DONTNEED)`:
/// the pages are clean once the file is synced, which its background sync
/// does well ahead of a preview's reading; a page still dirty is kept),
/// until it is sought again.
///
/// Why: a preview reads a CSV upload through once more after checking it
/// and never again, while the ledger writes the preview's plan into new
/// pages of its own files. Kept, the upload's pages (364 MB for a
/// million rows) only crowd the cache; dropped, the kernel hands the same
/// memory to those writes. On the virtual machines here that is also
/// faster: their kernel gives memory it has had free for about two
/// seconds back to the host, and the first touch of a page given back
/// costs about ten times an ordinary write (`docs/PERFORMANCE.md`,
/// "The machine's memory"). Alternating 1M-row CSV previews took 7.27 to
/// 7.87 s against 7.55 to 9.30 s, with 1.1 to 1.6 s less system time.
pub(crate) struct StoredFile {
    file: File,
    /// The file's position.
    pos: u64,
    /// Where the pages not yet dropped start, while dropping is on.
    drop_from: Option<u64>,
    /// Bytes dropped so far (for the tests).
    dropped: u64,
}

impl StoredFile {
    fn new(file: File) -> StoredFile {
        StoredFile {
            file,
            pos: 0,
            drop_from: None,
            dropped: 0,
        }
    }

    /// Drops `[from, pos)` rounded down to whole pages, when that is at
    /// least `at_least` bytes; where the next drop starts.
    fn drop_behind(&mut self, from: u64, at_least: u64) -> u64 {
        let to = self.pos & !(PAGE - 1);
        if to < from + at_least.max(1) {
            return from;
        }
        #[cfg(target_os = "linux")]
        {
            // Only advice: if the kernel refuses, the pages stay cached.
            let _ = rustix::fs::fadvise(
                &self.file,
                from,
                std::num::NonZeroU64::new(to - from),
                rustix::fs::Advice::DontNeed,
            );
        }
        self.dropped += to - from;
        to
    }
}

/// The page size the drops are rounded to (a multiple of the real one).
const PAGE: u64 = 4096;

impl Read for StoredFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        self.pos += n as u64;
        if let Some(from) = self.drop_from {
            // At the end, drop the rest too.
            let at_least = if n == 0 { 0 } else { DROP_EVERY };
            self.drop_from = Some(self.drop_behind(from, at_least));
        }
        Ok(n)
    }
}

impl Seek for StoredFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = self.file.seek(to)?;
        self.drop_from = None;
        Ok(self.pos)
    }
}

impl BlobReader for StoredFile {
    fn read_once_to_end(&mut self) {
        self.drop_from = Some(self.pos & !(PAGE - 1));
    }
}

/// Removes temp files a crashed writer left behind.
pub(crate) fn remove_stale_temps(files: &Path) -> Result<(), StoreError> {
    let entries = fs::read_dir(files).map_err(|e| io("cannot list", files, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io("cannot list", files, e))?;
        if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            let p = entry.path();
            fs::remove_file(&p).map_err(|e| io("cannot remove", &p, e))?;
        }
    }
    Ok(())
}

/// Makes directory entries (a create or rename) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io("cannot sync directory", dir, e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use leadger_core::store::Store;

    use crate::{SledStore, StoreOptions};

    use super::*;

    fn content() -> Vec<u8> {
        // 3 MiB of varied bytes: larger than every buffer on the way.
        (0..3 * 1024 * 1024u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect()
    }

    fn stored_files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir.join("files"))
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn read_all(store: &SledStore, hash: &[u8; 32]) -> Vec<u8> {
        let mut back = Vec::new();
        let mut reader = store.open_blob(hash).expect("open blob");
        reader.read_to_end(&mut back).expect("read");
        back
    }

    #[test]
    fn put_then_open_round_trips_byte_for_byte() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(dir.path(), StoreOptions::default()).expect("open");
        let data = content();
        let r = store.put_blob(&mut data.as_slice()).expect("put");
        assert_eq!(r.size, data.len() as u64);
        assert_eq!(r.hash, *blake3::hash(&data).as_bytes());
        // Readable at once, wherever it is while it is made durable.
        assert!(read_all(&store, &r.hash) == data, "blob bytes differ");
        store.sync_blobs().expect("sync");
        assert_eq!(
            stored_files(dir.path()),
            vec![blake3::hash(&data).to_hex().to_string()]
        );

        assert!(read_all(&store, &r.hash) == data, "blob bytes differ");
        let mut reader = store.open_blob(&r.hash).expect("open blob");
        reader.seek(SeekFrom::Start(10)).expect("seek");
        let mut ten = [0u8; 10];
        reader.read_exact(&mut ten).expect("read");
        assert_eq!(&ten[..], &data[10..20]);
    }

    /// A file put is under its temp name (never under its hash) until it
    /// is durable; a reader opened meanwhile reads every byte after the
    /// rename; and a store dropped before an append synced it still
    /// stores it.
    #[test]
    fn a_file_is_under_its_hash_only_once_durable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(dir.path(), StoreOptions::default()).expect("open");
        let data = content();
        let hash = *blake3::hash(&data).as_bytes();
        let mut src = Trickle {
            data: &data,
            interrupt: false,
        };
        let blob = {
            // Listed as pending, read from its temp name, until synced.
            let r = store.put_blob(&mut src).expect("put");
            let pending = store.pending_blobs();
            assert_eq!(pending.len(), 1);
            assert!(pending[0].tmp.starts_with(dir.path().join("files")));
            assert!(pending[0]
                .tmp
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(TEMP_PREFIX));
            r
        };
        assert_eq!(blob.hash, hash);
        let mut early = store.open_blob(&hash).expect("open while pending");
        store.sync_blobs().expect("sync");
        assert!(store.pending_blobs().is_empty());
        let mut back = Vec::new();
        early.read_to_end(&mut back).expect("read after the rename");
        assert!(back == data, "blob bytes differ");
        assert_eq!(
            stored_files(dir.path()),
            vec![blake3::hash(&data).to_hex().to_string()]
        );

        let other: Vec<u8> = data.iter().map(|b| b ^ 0x5a).collect();
        let r = store.put_blob(&mut other.as_slice()).expect("put");
        drop(store);
        let store = crate::tests::reopen(dir.path());
        assert!(read_all(&store, &r.hash) == other, "blob bytes differ");
        assert_eq!(stored_files(dir.path()).len(), 2);
    }

    /// A file that could not be made durable fails every later sync of
    /// the store, whichever append asks: it cannot tell whose file it was.
    #[test]
    fn a_failed_sync_fails_every_later_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(dir.path(), StoreOptions::default()).expect("open");
        store.put_blob(&mut &b"fine"[..]).expect("put");
        store.sync_blobs().expect("a good file syncs");
        store.pending_blobs().push(crate::PendingBlob {
            hash: [1; 32],
            tmp: dir.path().join("files").join(".tmp-gone"),
            thread: std::thread::spawn(|| Err(StoreError::Io("fsync failed".into()))),
        });
        for _ in 0..2 {
            let e = store.sync_blobs().unwrap_err();
            assert!(e.to_string().contains("fsync failed"), "{e}");
        }
        store.put_blob(&mut &b"later"[..]).expect("put");
        assert!(store.sync_blobs().is_err(), "still failing");
    }

    #[test]
    fn same_content_twice_is_one_file_and_empty_blob_works() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(dir.path(), StoreOptions::default()).expect("open");
        let a = store.put_blob(&mut &b"hello leads"[..]).expect("put a");
        let b = store.put_blob(&mut &b"hello leads"[..]).expect("put b");
        assert_eq!(a, b);
        store.sync_blobs().expect("sync");
        assert_eq!(stored_files(dir.path()).len(), 1);
        // Stored already: nothing is pending for the same bytes again.
        store.put_blob(&mut &b"hello leads"[..]).expect("put again");
        assert!(store.pending_blobs().is_empty());
        let e = store.put_blob(&mut io::empty()).expect("put empty");
        assert_eq!(e.size, 0);
        assert_eq!(e.hash, *blake3::hash(b"").as_bytes());
        store.sync_blobs().expect("sync");
        assert_eq!(stored_files(dir.path()).len(), 2);
    }

    #[test]
    fn missing_blob_and_failed_reader_leave_no_temp_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(dir.path(), StoreOptions::default()).expect("open");
        let hash = [7u8; 32];
        match store.open_blob(&hash) {
            Err(StoreError::MissingBlob(h)) => assert_eq!(h, "07".repeat(32)),
            Err(e) => panic!("unexpected error {e}"),
            Ok(_) => panic!("found a blob that was never stored"),
        }
        let mut failing = (&b"partial"[..]).chain(FailingReader);
        assert!(matches!(
            store.put_blob(&mut failing),
            Err(StoreError::Io(_))
        ));
        assert!(stored_files(dir.path()).is_empty());
    }

    #[test]
    fn open_removes_stale_temp_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        drop(SledStore::open(dir.path(), StoreOptions::default()).expect("open"));
        fs::write(dir.path().join("files").join(".tmp-1-0"), b"junk").expect("write");
        // Reopened in this process: sled lets go of its lock a moment after
        // the drop (`tests::reopen` waits for it).
        drop(crate::tests::reopen(dir.path()));
        assert!(stored_files(dir.path()).is_empty());
    }

    /// Gives its bytes a few at a time, with an interruption before each
    /// read, as a slow upload does.
    struct Trickle<'a> {
        data: &'a [u8],
        interrupt: bool,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.interrupt = !self.interrupt;
            if self.interrupt {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = buf.len().min(self.data.len()).min(70_001);
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn short_and_interrupted_reads_store_every_byte() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(dir.path(), StoreOptions::default()).expect("open");
        // Over two chunks, and not a whole number of them.
        let data: Vec<u8> = content().into_iter().chain(0..=200u8).collect();
        let mut src = Trickle {
            data: &data,
            interrupt: false,
        };
        let r = store.put_blob(&mut src).expect("put");
        assert_eq!(r.size, data.len() as u64);
        assert_eq!(r.hash, *blake3::hash(&data).as_bytes());
        let mut back = Vec::new();
        let mut reader = store.open_blob(&r.hash).expect("open blob");
        reader.read_to_end(&mut back).expect("read");
        assert!(back == data, "blob bytes differ");
    }

    #[test]
    fn a_file_read_once_drops_what_it_read_and_still_reads_every_byte() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Over two drops, and not a whole number of pages.
        let data: Vec<u8> = content().repeat(6).into_iter().chain(0..=200u8).collect();
        let path = dir.path().join("blob");
        fs::write(&path, &data).expect("write");
        let mut reader = BufReader::new(StoredFile::new(File::open(&path).expect("open")));

        // Without the hint nothing is dropped.
        let mut head = vec![0u8; 9 << 20];
        reader.read_exact(&mut head).expect("read");
        assert_eq!(reader.get_ref().dropped, 0);

        reader.seek(SeekFrom::Start(0)).expect("rewind");
        reader.read_once_to_end();
        let mut back = Vec::new();
        reader.read_to_end(&mut back).expect("read");
        assert!(back == data, "bytes differ after dropping");
        let whole_pages = data.len() as u64 & !(PAGE - 1);
        assert_eq!(reader.get_ref().dropped, whole_pages);

        // A seek ends the dropping; what was dropped reads back the same.
        reader.seek(SeekFrom::Start(5)).expect("seek");
        let mut some = vec![0u8; 10 << 20];
        reader.read_exact(&mut some).expect("read again");
        assert_eq!(&some[..], &data[5..5 + (10 << 20)]);
        assert_eq!(reader.get_ref().dropped, whole_pages);
    }

    struct FailingReader;

    impl Read for FailingReader {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("disk gone"))
        }
    }
}
