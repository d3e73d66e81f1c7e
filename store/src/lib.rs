//! `leadger-store`: the [`Store`] port of `leadger-core` implemented on sled
//! 0.34, plus content-addressed file blobs on the filesystem.
//!
//! Layout of a data directory `DIR`: the sled database in `DIR/db` (one sled
//! tree per [`Table`], named by [`Table::name`]) and uploaded files in
//! `DIR/files/<64 hex blake3>`.
//!
//! What sled needs from us, and why the code looks the way it does:
//! - **Durability is explicit.** A sled write is in memory until the log is
//!   flushed; sled's background thread flushes every 500 ms (kept: it bounds
//!   the loss of unflushed work), but that is not a promise. The application
//!   calls [`Store::flush`] (`Db::flush`) before acknowledging anything.
//! - **`Tree::apply_batch` is atomic in one tree only.** A batch touching a
//!   single table uses it (fast path). A batch touching several tables runs
//!   as one sled transaction over exactly the involved trees, which sled
//!   commits atomically across them (see [`batch`]). Transactions stage
//!   everything in memory, so callers keep batches bounded.
//! - **`Db::generate_id` leaves gaps** (it reserves ranges and skips ahead
//!   after a crash), so it is never used: the application keeps its own
//!   gap-free sequence counter in `LogMeta`, written with the events.
//! - **The cache is set deliberately.** sled's default page cache is 1 GB;
//!   a CLI that opens, imports and exits wants far less, so
//!   [`StoreOptions::cache_bytes`] defaults to 32 MiB (what sled keeps
//!   beyond it: `docs/PERFORMANCE.md`, "sled's memory").
//! - **One process at a time.** sled takes an exclusive file lock on the
//!   database; a second open (another process or another `SledStore` in
//!   this one) fails, reported as [`StoreError::Locked`].

mod batch;
mod blob;
mod error;
mod scan;
mod spool;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock, RwLockReadGuard};

use leadger_core::store::{
    BlobReader, BlobRef, ScanIter, Spool, Store, StoreError, Table, WriteBatch,
};

use crate::error::{from_sled, from_sled_open, io};

/// Tuning of a [`SledStore`].
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// sled page cache size in bytes. Default 32 MiB: sled's own default,
    /// 1 GB, is too much for a CLI, and 64 MiB was no faster in alternating
    /// runs of a 1M-row preview, commit, update commit and rebuild, and
    /// kept about 30 MB more.
    pub cache_bytes: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            cache_bytes: 32 * 1024 * 1024,
        }
    }
}

/// The sled-backed store of one data directory.
pub struct SledStore {
    dir: PathBuf,
    files: PathBuf,
    /// Staged files (`DIR/staged`): a preview's plan, kept for its commit.
    staged: PathBuf,
    db: sled::Db,
    /// The three sled trees: see [`place`]. Behind a lock only because
    /// [`Store::clear_all`] replaces the projections tree with a new one.
    trees: RwLock<Vec<sled::Tree>>,
    /// Files put whose fsync and rename run in the background (see
    /// [`Store::put_blob`]), until [`Store::sync_blobs`] waits for them.
    pending: Mutex<Vec<PendingBlob>>,
    /// The first failure to make a file durable. `sync_blobs` reports it
    /// from then on, to every append of this process: it cannot tell
    /// whose file failed (two HTTP uploads may be pending at once), and a
    /// disk that failed an fsync is not to be trusted again.
    failed: Mutex<Option<String>>,
}

/// A file being made durable under its hash on a thread of its own.
struct PendingBlob {
    hash: [u8; 32],
    /// Where it is read from until then.
    tmp: PathBuf,
    thread: std::thread::JoinHandle<Result<(), StoreError>>,
}

impl Drop for SledStore {
    fn drop(&mut self) {
        // A file put for a preview that failed before its append is still
        // stored; a failure here leaves its temp file, removed on open.
        if let Err(e) = self.sync_blobs() {
            tracing::warn!(problem = %e, "an upload could not be stored");
        }
    }
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore").field("dir", &self.dir).finish()
    }
}

impl SledStore {
    /// Opens (creating if needed) the data directory: sled db in `DIR/db`,
    /// uploaded files in `DIR/files/<hex blake3>`.
    pub fn open(dir: &Path, opts: StoreOptions) -> Result<SledStore, StoreError> {
        let files = dir.join("files");
        std::fs::create_dir_all(&files).map_err(|e| io("cannot create", &files, e))?;
        let db = sled::Config::new()
            .path(dir.join("db"))
            .cache_capacity(opts.cache_bytes)
            .mode(sled::Mode::HighThroughput)
            .open()
            .map_err(|e| from_sled_open(e, dir))?;
        let trees = TREES
            .iter()
            .map(|name| db.open_tree(name))
            .collect::<Result<Vec<_>, _>>()
            .map_err(from_sled)?;
        // sled holds the lock now: no other writer can be mid-upload.
        blob::remove_stale_temps(&files)?;
        let staged = dir.join("staged");
        std::fs::create_dir_all(&staged).map_err(|e| io("cannot create", &staged, e))?;
        spool::remove_stale_staging(&staged)?;
        tracing::debug!(dir = %dir.display(), cache_bytes = opts.cache_bytes, "store opened");
        Ok(SledStore {
            dir: dir.to_path_buf(),
            files,
            staged,
            db,
            trees: RwLock::new(trees),
            pending: Mutex::new(Vec::new()),
            failed: Mutex::new(None),
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Bytes used on disk by the database and the stored files.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        let mut total = 0u64;
        for dir in [self.dir.join("db"), self.files.clone(), self.staged.clone()] {
            total = total
                .checked_add(dir_size(&dir)?)
                .ok_or_else(|| StoreError::Io("size overflow".to_string()))?;
        }
        Ok(total)
    }

    fn pending_blobs(&self) -> std::sync::MutexGuard<'_, Vec<PendingBlob>> {
        // Pushing and taking cannot leave the list half-changed.
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn trees(&self) -> RwLockReadGuard<'_, Vec<sled::Tree>> {
        // Nothing panics while holding the lock, and a tree handle cannot
        // be left half-replaced, so a poisoned lock is safe to take over.
        self.trees.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The tree a table lives in (a cheap handle), and its key prefix there.
    fn tree(&self, table: Table) -> (sled::Tree, Option<u8>) {
        let (idx, prefix) = place(table);
        (self.trees()[idx].clone(), prefix)
    }

    /// Applies a batch (see [`Store::write`]); `abort_after` is for tests
    /// only and makes a multi-tree transaction abort after that many trees.
    pub(crate) fn write_with(
        &self,
        batch: WriteBatch,
        abort_after: Option<usize>,
    ) -> Result<(), StoreError> {
        let trees = self.trees();
        batch::apply(|idx| &trees[idx], batch::group(placed(batch)), abort_after)
    }
}

/// The sled trees: the event log, the log's head, and every projection.
const TREES: [&str; 3] = ["events", "log_meta", "projections"];

/// Where a table lives: the event log and its head have a tree each; all
/// projection tables share one tree, each under a one-byte key prefix.
/// That makes a chunk of projection writes with its checkpoint a
/// single-tree `apply_batch`, atomic and several times cheaper than a sled
/// transaction over seven trees (measured: the transaction was a third of
/// a commit's time). The head moves with the last events in a real
/// multi-tree transaction.
fn place(table: Table) -> (usize, Option<u8>) {
    match table {
        Table::Events => (0, None),
        Table::LogMeta => (1, None),
        other => (2, Some(other as u8)),
    }
}

/// A batch's ops as sled sees them: the tree's index and the prefixed key.
fn placed(batch: WriteBatch) -> impl Iterator<Item = (usize, Vec<u8>, Option<Vec<u8>>)> {
    batch.ops.into_iter().map(|(table, key, value)| {
        let (idx, prefix) = place(table);
        (idx, with_prefix(prefix, &key), value)
    })
}

fn with_prefix(prefix: Option<u8>, key: &[u8]) -> Vec<u8> {
    match prefix {
        Some(p) => {
            let mut k = Vec::with_capacity(key.len() + 1);
            k.push(p);
            k.extend_from_slice(key);
            k
        }
        None => key.to_vec(),
    }
}

fn dir_size(dir: &Path) -> Result<u64, StoreError> {
    let mut total = 0u64;
    let entries = std::fs::read_dir(dir).map_err(|e| io("cannot list", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io("cannot list", dir, e))?;
        let path = entry.path();
        let meta = entry.metadata().map_err(|e| io("cannot stat", &path, e))?;
        total += if meta.is_dir() {
            dir_size(&path)?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

impl Store for SledStore {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let (tree, prefix) = self.tree(table);
        Ok(tree
            .get(with_prefix(prefix, key))
            .map_err(from_sled)?
            .map(|v| v.to_vec()))
    }

    fn scan<'a>(&'a self, table: Table, prefix: &[u8], start: &[u8]) -> ScanIter<'a> {
        let (tree, p) = self.tree(table);
        let it = scan::forward(&tree, &with_prefix(p, prefix), &with_prefix(p, start));
        scan::strip(it, p.is_some())
    }

    fn scan_rev<'a>(&'a self, table: Table, prefix: &[u8]) -> ScanIter<'a> {
        let (tree, p) = self.tree(table);
        scan::strip(scan::reverse(&tree, &with_prefix(p, prefix)), p.is_some())
    }

    fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        self.write_with(batch, None)
    }

    fn write_each(&self, batch: WriteBatch) -> Result<(), StoreError> {
        let trees = self.trees();
        batch::apply_each(|idx| &trees[idx], placed(batch))
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map(|_| ()).map_err(from_sled)
    }

    fn clear(&self, table: Table) -> Result<(), StoreError> {
        let (tree, prefix) = self.tree(table);
        let Some(p) = prefix else {
            return tree.clear().map_err(from_sled);
        };
        // A shared tree: remove the table's keys in bounded batches.
        loop {
            let mut batch = sled::Batch::default();
            let mut n = 0;
            for entry in tree.scan_prefix([p]).keys().take(10_000) {
                batch.remove(entry.map_err(from_sled)?);
                n += 1;
            }
            if n == 0 {
                return Ok(());
            }
            tree.apply_batch(batch).map_err(from_sled)?;
        }
    }

    /// Clearing every table of the shared projections tree (what `ledger
    /// rebuild` does) drops that sled tree and opens a new, empty one:
    /// sled frees it node by node instead of removing each key, which was
    /// a quarter of a rebuild's time.
    fn clear_all(&self, tables: &[Table]) -> Result<(), StoreError> {
        let shared = Table::ALL.iter().filter(|t| place(**t).1.is_some());
        if !shared.clone().all(|t| tables.contains(t)) {
            for table in tables {
                self.clear(*table)?;
            }
            return Ok(());
        }
        for table in tables.iter().filter(|t| place(**t).1.is_none()) {
            self.clear(*table)?;
        }
        let mut trees = self.trees.write().unwrap_or_else(|p| p.into_inner());
        let idx = place(Table::ProjMeta).0;
        self.db.drop_tree(TREES[idx]).map_err(from_sled)?;
        trees[idx] = self.db.open_tree(TREES[idx]).map_err(from_sled)?;
        Ok(())
    }

    fn put_blob(&self, src: &mut dyn Read) -> Result<BlobRef, StoreError> {
        let (blob, pending) = blob::put(&self.files, src)?;
        if let Some(pending) = pending {
            let tmp = pending.tmp().to_path_buf();
            let thread = std::thread::Builder::new()
                .name("leadger-blob-sync".into())
                .spawn(move || pending.finish())
                .map_err(|e| StoreError::Io(format!("cannot start storing an upload: {e}")))?;
            self.pending_blobs().push(PendingBlob {
                hash: blob.hash,
                tmp,
                thread,
            });
        }
        Ok(blob)
    }

    fn open_blob(&self, hash: &[u8; 32]) -> Result<Box<dyn BlobReader>, StoreError> {
        match blob::open(&self.files, hash) {
            Err(StoreError::MissingBlob(missing)) => {
                let tmp = self
                    .pending_blobs()
                    .iter()
                    .find(|p| p.hash == *hash)
                    .map(|p| p.tmp.clone());
                match tmp.map(|tmp| blob::open_path(&tmp, hash)) {
                    // Renamed between the two opens: it is stored now.
                    Some(Err(StoreError::MissingBlob(_))) => blob::open(&self.files, hash),
                    Some(opened) => opened,
                    None => Err(StoreError::MissingBlob(missing)),
                }
            }
            opened => opened,
        }
    }

    fn sync_blobs(&self) -> Result<(), StoreError> {
        let pending = std::mem::take(&mut *self.pending_blobs());
        let mut failed = self.failed.lock().unwrap_or_else(|p| p.into_inner());
        for p in pending {
            let done = p
                .thread
                .join()
                .unwrap_or_else(|_| Err(StoreError::Io("storing an upload panicked".into())));
            if let Err(e) = done {
                failed.get_or_insert_with(|| e.to_string());
            }
        }
        match &*failed {
            Some(why) => Err(StoreError::Io(format!(
                "an upload could not be stored, so nothing more is recorded until leadger restarts: {why}"
            ))),
            None => Ok(()),
        }
    }

    fn spool(&self) -> Result<Box<dyn Spool>, StoreError> {
        spool::FileSpool::create(&self.files)
    }

    fn staging(&self) -> Result<Box<dyn Spool>, StoreError> {
        spool::FileSpool::staging(&self.staged)
    }

    fn open_staged(&self, name: &str) -> Result<Option<Box<dyn Read + Send>>, StoreError> {
        spool::open_staged(&self.staged, name)
    }

    fn clear_staged(&self) -> Result<(), StoreError> {
        spool::remove_all(&self.staged)
    }
}

#[cfg(test)]
mod tests;
