//! The storage port: the small trait through which the domain reads and
//! writes its tables and file blobs. `leadger-store` implements it with sled;
//! the domain never sees the engine.
//!
//! The trait is deliberately dumb (get, scan, atomic batch, flush): every
//! rule about what the bytes mean lives in `core`, so another engine only
//! has to keep bytes.

use std::io::{Read, Seek, Write};

/// The tables the domain keeps. Each is a sled tree in `leadger-store`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// The event log: sequence number (u64, big-endian) to encoded event.
    Events,
    /// State of the log itself: its head (next sequence, hash of the last
    /// event) and stream versions. Written with the events it describes.
    LogMeta,
    /// Projection bookkeeping: checkpoint (next sequence to apply) and the
    /// id counters derived from the log.
    ProjMeta,
    /// CRM view: crm_id to lead record.
    Leads,
    /// Lookup indexes of the CRM view (export value, name, kind).
    LeadIndex,
    /// Imports: id to import state (file, counts, status, event range).
    Imports,
    /// Current reference data (countries, states, list items).
    Reference,
    /// API tokens (hashes only).
    Tokens,
}

impl Table {
    pub const ALL: [Table; 8] = [
        Table::Events,
        Table::LogMeta,
        Table::ProjMeta,
        Table::Leads,
        Table::LeadIndex,
        Table::Imports,
        Table::Reference,
        Table::Tokens,
    ];

    /// The tables that are projections of the log: `ledger rebuild` clears
    /// them and replays every event into them.
    pub const PROJECTIONS: [Table; 6] = [
        Table::ProjMeta,
        Table::Leads,
        Table::LeadIndex,
        Table::Imports,
        Table::Reference,
        Table::Tokens,
    ];

    /// A stable name, used as the sled tree name.
    pub fn name(self) -> &'static str {
        match self {
            Table::Events => "events",
            Table::LogMeta => "log_meta",
            Table::ProjMeta => "proj_meta",
            Table::Leads => "leads",
            Table::LeadIndex => "lead_index",
            Table::Imports => "imports",
            Table::Reference => "reference",
            Table::Tokens => "tokens",
        }
    }
}

/// One change of a [`WriteBatch`]: `None` removes the key.
pub type WriteOp = (Table, Vec<u8>, Option<Vec<u8>>);

/// Writes that must land together or not at all.
#[derive(Debug, Default, Clone)]
pub struct WriteBatch {
    pub ops: Vec<WriteOp>,
}

impl WriteBatch {
    pub fn put(&mut self, table: Table, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.ops.push((table, key.into(), Some(value.into())));
    }

    pub fn remove(&mut self, table: Table, key: impl Into<Vec<u8>>) {
        self.ops.push((table, key.into(), None));
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }
}

/// A stored file: its blake3 hash and size in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlobRef {
    pub hash: [u8; 32],
    pub size: u64,
}

/// A readable, seekable stored file.
pub trait BlobReader: Read + Seek + Send {
    /// A hint: from its position on, the file is read once to its end and
    /// never sought back. A reader of a file on disk may then drop what it
    /// has read from the operating system's page cache as it goes (the CSV
    /// reader's last pass over an upload: `leadger-store`'s blobs do), so
    /// that reading a large upload does not crowd out the ledger's own
    /// pages. Only a hint: reading and seeking stay correct after it.
    fn read_once_to_end(&mut self) {}
}
impl<T: AsRef<[u8]> + Send> BlobReader for std::io::Cursor<T> {}
impl BlobReader for std::fs::File {}
impl<R: BlobReader> BlobReader for std::io::BufReader<R> {
    fn read_once_to_end(&mut self) {
        self.get_mut().read_once_to_end();
    }
}
impl<R: BlobReader + ?Sized> BlobReader for Box<R> {
    fn read_once_to_end(&mut self) {
        (**self).read_once_to_end();
    }
}

/// A scratch file, written once and then read back once from its start:
/// the rows of an answer, spooled while a preview or a commit goes through
/// them, so that the answer is not read back from the log (through the
/// engine's cache) after. Not part of the ledger: it is gone once dropped,
/// also after a crash.
pub trait Spool: Write + Send {
    /// Ends the writing and reads what was written, from the start.
    fn into_reader(self: Box<Self>) -> Result<Box<dyn Read + Send>, StoreError>;

    /// [`Spool::into_reader`], and the file stays, under `name`, for a
    /// later command to read ([`Store::open_staged`]), replacing one of
    /// that name. Only a spool from [`Store::staging`] can stay; another
    /// is read back and gone, as with `into_reader`. Not flushed: a staged
    /// file is a shortcut that its reader checks before trusting it (a
    /// preview's staged plan, checked against the digest its summary event
    /// records), never the only copy of anything.
    fn keep(self: Box<Self>, name: &str) -> Result<Box<dyn Read + Send>, StoreError> {
        let _ = name;
        self.into_reader()
    }
}

/// Why the store failed. Every variant is a failure of the machine, not of
/// the user's input: the CLI exits 1, HTTP answers 500 (503 for `Locked`).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process has the data directory open (sled locks it).
    #[error("the data directory {path} is in use by another leadger process (a running `leadger serve`?); stop it or use the HTTP API")]
    Locked { path: String },
    #[error("storage i/o failed: {0}")]
    Io(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("no stored file with hash {0}")]
    MissingBlob(String),
}

/// Key/value pairs in key order.
pub type ScanIter<'a> = Box<dyn Iterator<Item = Result<(Vec<u8>, Vec<u8>), StoreError>> + 'a>;

/// The storage engine behind the ledger.
///
/// Implementations must make [`Store::write`] atomic across every table the
/// batch touches, and [`Store::flush`] durable for every write made before
/// it. Writers are serialised by the caller (the application layer holds
/// one writer lock), so implementations need not order concurrent writes.
pub trait Store: Send + Sync {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// Entries whose key starts with `prefix`, in key order, from the first
    /// key at or after `start` (pass `prefix` itself to scan it all).
    fn scan<'a>(&'a self, table: Table, prefix: &[u8], start: &[u8]) -> ScanIter<'a>;

    /// Entries of the table in reverse key order, from the last.
    fn scan_rev<'a>(&'a self, table: Table, prefix: &[u8]) -> ScanIter<'a>;

    /// Applies every op of the batch, atomically across tables. Not durable
    /// until [`Store::flush`] returns.
    fn write(&self, batch: WriteBatch) -> Result<(), StoreError>;

    /// Applies every op of the batch as [`Store::write`] does (a later op
    /// on a key replaces an earlier one), but one key after another,
    /// without atomicity: a crash may leave any part of it. An engine may
    /// do that much faster (sled's atomic batch cost about twice as much
    /// per key). Only for writes nothing can read as a whole before a later
    /// atomic write makes them reachable (events past the log's head), or
    /// behind a marker that says their table may hold part of a batch (the
    /// projections' `partial` marker). Not durable until [`Store::flush`].
    fn write_each(&self, batch: WriteBatch) -> Result<(), StoreError> {
        self.write(batch)
    }

    /// Makes every earlier write durable.
    fn flush(&self) -> Result<(), StoreError>;

    /// Removes every entry of one table (used by rebuild, on projections).
    fn clear(&self, table: Table) -> Result<(), StoreError>;

    /// Removes every entry of each of the tables (an engine may do it
    /// faster than one table at a time). Not durable until [`Store::flush`].
    fn clear_all(&self, tables: &[Table]) -> Result<(), StoreError> {
        for table in tables {
            self.clear(*table)?;
        }
        Ok(())
    }

    /// Stores a file's bytes under their blake3 hash (streaming: the file is
    /// never held in memory whole). Storing the same bytes twice keeps one
    /// copy. Readable ([`Store::open_blob`]) when it returns; durable once
    /// [`Store::sync_blobs`] has returned (a store may make it durable in
    /// the background meanwhile).
    fn put_blob(&self, src: &mut dyn Read) -> Result<BlobRef, StoreError>;

    /// Waits until every file put so far is durable under its hash; the
    /// first failure to make one so. An append calls it before it writes
    /// the head that moves the log over an event naming a file.
    fn sync_blobs(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Opens a stored file by its hash.
    fn open_blob(&self, hash: &[u8; 32]) -> Result<Box<dyn BlobReader>, StoreError>;

    /// A new, empty [`Spool`] (on disk for a real store: its size grows
    /// with the rows, and memory must not).
    fn spool(&self) -> Result<Box<dyn Spool>, StoreError>;

    /// A new, empty [`Spool`] that may be kept for a later command
    /// ([`Spool::keep`]). An engine that keeps nothing gives a plain one.
    fn staging(&self) -> Result<Box<dyn Spool>, StoreError> {
        self.spool()
    }

    /// The staged file kept under `name`, if there is one.
    fn open_staged(&self, name: &str) -> Result<Option<Box<dyn Read + Send>>, StoreError> {
        let _ = name;
        Ok(None)
    }

    /// Removes every staged file.
    fn clear_staged(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
