//! A write buffer over the store: reads see the buffered writes first, so a
//! chunk of events can be applied with plain gets and puts and then land as
//! one atomic batch.

use std::collections::HashMap;

use crate::store::{Store, StoreError, Table, WriteBatch};

pub struct Overlay<'a> {
    store: &'a dyn Store,
    writes: HashMap<(Table, Vec<u8>), Option<Vec<u8>>>,
}

impl<'a> Overlay<'a> {
    pub fn new(store: &'a dyn Store) -> Self {
        Overlay {
            store,
            writes: HashMap::new(),
        }
    }

    pub fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self.writes.get(&(table, key.to_vec())) {
            Some(buffered) => Ok(buffered.clone()),
            None => self.store.get(table, key),
        }
    }

    pub fn put(&mut self, table: Table, key: Vec<u8>, value: Vec<u8>) {
        self.writes.insert((table, key), Some(value));
    }

    pub fn remove(&mut self, table: Table, key: Vec<u8>) {
        self.writes.insert((table, key), None);
    }

    pub fn len(&self) -> usize {
        self.writes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// The buffered writes as one batch (each key once, last write wins).
    pub fn into_batch(self) -> WriteBatch {
        let mut batch = WriteBatch::default();
        let mut ops: Vec<_> = self.writes.into_iter().collect();
        // A stable order keeps the batch deterministic, which makes the
        // store's work (and any debugging of it) repeatable.
        ops.sort_by(|a, b| a.0.cmp(&b.0));
        for ((table, key), value) in ops {
            match value {
                Some(v) => batch.put(table, key, v),
                None => batch.remove(table, key),
            }
        }
        batch
    }
}
