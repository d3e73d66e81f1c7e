//! An in-memory [`Store`], for tests of the domain and for anything that
//! wants a throwaway ledger. Same contract as the sled store: batches are
//! atomic (one lock), `flush` is a no-op because nothing is durable.

use std::collections::{BTreeMap, HashMap};
use std::io::{Cursor, Read};
use std::sync::{Arc, RwLock};

use crate::store::{BlobReader, BlobRef, ScanIter, Spool, Store, StoreError, Table, WriteBatch};

type Tables = BTreeMap<Table, BTreeMap<Vec<u8>, Vec<u8>>>;

#[derive(Default)]
pub struct MemStore {
    tables: RwLock<Tables>,
    blobs: RwLock<BTreeMap<[u8; 32], Vec<u8>>>,
    staged: Staged,
}

impl MemStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Tables> {
        self.tables.read().unwrap_or_else(|p| p.into_inner())
    }
}

impl Store for MemStore {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.read().get(&table).and_then(|t| t.get(key)).cloned())
    }

    fn scan<'a>(&'a self, table: Table, prefix: &[u8], start: &[u8]) -> ScanIter<'a> {
        let from = if start > prefix { start } else { prefix }.to_vec();
        let prefix = prefix.to_vec();
        // Collected: the in-memory store serves tests and small data.
        let items: Vec<_> = self
            .read()
            .get(&table)
            .map(|t| {
                t.range(from..)
                    .take_while(|(k, _)| k.starts_with(&prefix))
                    .map(|(k, v)| Ok((k.clone(), v.clone())))
                    .collect()
            })
            .unwrap_or_default();
        Box::new(items.into_iter())
    }

    fn scan_rev<'a>(&'a self, table: Table, prefix: &[u8]) -> ScanIter<'a> {
        let mut items: Vec<_> = self.scan(table, prefix, prefix).collect();
        items.reverse();
        Box::new(items.into_iter())
    }

    fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        let mut tables = self.tables.write().unwrap_or_else(|p| p.into_inner());
        for (table, key, value) in batch.ops {
            let t = tables.entry(table).or_default();
            match value {
                Some(v) => {
                    t.insert(key, v);
                }
                None => {
                    t.remove(&key);
                }
            }
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn clear(&self, table: Table) -> Result<(), StoreError> {
        self.tables
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&table);
        Ok(())
    }

    fn put_blob(&self, src: &mut dyn Read) -> Result<BlobRef, StoreError> {
        let mut bytes = Vec::new();
        src.read_to_end(&mut bytes)
            .map_err(|e| StoreError::Io(e.to_string()))?;
        let hash = *blake3::hash(&bytes).as_bytes();
        let size = bytes.len() as u64;
        self.blobs
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(hash, bytes);
        Ok(BlobRef { hash, size })
    }

    fn open_blob(&self, hash: &[u8; 32]) -> Result<Box<dyn BlobReader>, StoreError> {
        let blobs = self.blobs.read().unwrap_or_else(|p| p.into_inner());
        let bytes = blobs
            .get(hash)
            .cloned()
            .ok_or_else(|| StoreError::MissingBlob(crate::app::report::hex(hash)))?;
        Ok(Box::new(Cursor::new(bytes)))
    }

    fn spool(&self) -> Result<Box<dyn Spool>, StoreError> {
        Ok(Box::new(MemSpool(Vec::new(), None)))
    }

    fn staging(&self) -> Result<Box<dyn Spool>, StoreError> {
        Ok(Box::new(MemSpool(
            Vec::new(),
            Some(Arc::clone(&self.staged)),
        )))
    }

    fn open_staged(&self, name: &str) -> Result<Option<Box<dyn Read + Send>>, StoreError> {
        let staged = self.staged.read().unwrap_or_else(|p| p.into_inner());
        Ok(staged
            .get(name)
            .map(|bytes| Box::new(Cursor::new(bytes.clone())) as Box<dyn Read + Send>))
    }

    fn clear_staged(&self) -> Result<(), StoreError> {
        self.staged
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        Ok(())
    }
}

impl MemStore {
    /// The staged files, by name (for tests that damage or remove one).
    pub fn staged(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Vec<u8>>> {
        self.staged.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// The staged files of a [`MemStore`].
type Staged = Arc<RwLock<HashMap<String, Vec<u8>>>>;

/// A [`Spool`] in memory: the in-memory store keeps nothing on disk. One
/// from [`Store::staging`] keeps its bytes in the store's staged files.
pub struct MemSpool(Vec<u8>, Option<Staged>);

impl std::io::Write for MemSpool {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Spool for MemSpool {
    fn into_reader(self: Box<Self>) -> Result<Box<dyn Read + Send>, StoreError> {
        Ok(Box::new(Cursor::new(self.0)))
    }

    fn keep(self: Box<Self>, name: &str) -> Result<Box<dyn Read + Send>, StoreError> {
        if let Some(staged) = &self.1 {
            staged
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .insert(name.to_string(), self.0.clone());
        }
        Ok(Box::new(Cursor::new(self.0)))
    }
}
