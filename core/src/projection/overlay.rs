//! A write buffer over the store: reads see the buffered writes first, so a
//! chunk of events can be applied with plain gets and puts and then land as
//! one atomic batch.
//!
//! Leads are buffered in the two forms of [`super::leads`]: a lead at
//! version 1 as the sequence numbers of its events (a created lead with a
//! contact, a communication and an opportunity is touched by four events in
//! a row, each adding one number), an updated lead as the sequence
//! numbers of all its events. They are encoded once, when the chunk
//! becomes a batch: each into its page (version-1 leads) or its page of
//! updated leads, which a catch-up of several chunks may carry to a later
//! chunk ([`Overlay::carrying`]).

use std::collections::{BTreeMap, HashMap};

use super::index;
use super::leads::{self, EventReader, LeadPage};
use crate::codec::CodecError;
use crate::event::{CrmId, Kind};
use crate::store::{Store, StoreError, Table, WriteBatch};

pub struct Overlay<'a> {
    store: &'a dyn Store,
    /// Per table, so that a read looks a key up without copying it.
    writes: HashMap<Table, HashMap<Vec<u8>, Option<Vec<u8>>>>,
    /// Leads at version 1 to write into their pages: their events.
    paged: BTreeMap<CrmId, Vec<u64>>,
    /// The events of updated leads (version > 1), to write into their
    /// pages of updated leads.
    updated: Updated,
    /// Updated leads that earlier chunks of the same catch-up projected
    /// but did not write (see [`Overlay::carrying`]): read before the
    /// store, never changed here.
    carried: Option<&'a Updated>,
    /// Lead index writes in the order they were made (a later write of a
    /// key wins), written as runs by [`super::index::flush`]. A list
    /// sorted once when taken: inserting each into a map was half of
    /// projecting a lead's creation.
    index: Vec<(Vec<u8>, Option<CrmId>)>,
    /// Counters (u64 values) kept decoded: every lead created changes two.
    /// A few keys, so a list; written only if changed.
    counters: Vec<Counter>,
    /// Reads the first event of each lead a chunk renames or gives a new
    /// export value, for its kind:
    /// one reader for the chunk, whose cursor moves forward while the
    /// leads come in the order they were created, instead of a new cursor
    /// (a seek in sled) for every lead.
    events: Option<EventReader<'a>>,
}

struct Counter {
    table: Table,
    key: Vec<u8>,
    value: u64,
    changed: bool,
}

/// Why a buffered lead could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum OverlayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Codec(#[from] CodecError),
}

/// Updated leads' events by CRM ID, as their pages keep them.
pub type Updated = HashMap<CrmId, Vec<u64>>;

impl<'a> Overlay<'a> {
    pub fn new(store: &'a dyn Store) -> Self {
        Overlay {
            store,
            writes: HashMap::new(),
            paged: BTreeMap::new(),
            updated: HashMap::new(),
            carried: None,
            index: Vec::new(),
            counters: Vec::new(),
            events: None,
        }
    }

    /// An overlay over the store and the updated leads that earlier
    /// chunks of a catch-up carried instead of writing them
    /// ([`Overlay::into_batch_carrying`]). The updates of a large import
    /// are spread over most pages of updated leads, so a catch-up that
    /// wrote each chunk's read and wrote most pages again for every chunk
    /// (a 1M rebuild's 105k updates: 51 chunks); carried, each page is
    /// read and written once, by a later chunk.
    pub fn carrying(store: &'a dyn Store, carried: &'a Updated) -> Self {
        Overlay {
            carried: Some(carried),
            ..Overlay::new(store)
        }
    }

    /// A lead's events as an earlier chunk of this catch-up left them.
    fn carried(&self, crm_id: CrmId) -> Option<Vec<u64>> {
        self.carried.and_then(|c| c.get(&crm_id)).cloned()
    }

    /// The u64 under `key` in `table` (0 when there is none), buffered
    /// decoded for change: what [`Overlay::get`] and a decode would give,
    /// without either on every lead. Set `*changed` when changing it.
    pub fn counter(
        &mut self,
        table: Table,
        key: &[u8],
    ) -> Result<(&mut u64, &mut bool), OverlayError> {
        let idx = match self
            .counters
            .iter()
            .position(|c| c.table == table && c.key == key)
        {
            Some(idx) => idx,
            None => {
                let value = match self.get_uncounted(table, key)? {
                    Some(bytes) => crate::codec::decode(&bytes)?,
                    None => 0,
                };
                self.counters.push(Counter {
                    table,
                    key: key.to_vec(),
                    value,
                    changed: false,
                });
                self.counters.len() - 1
            }
        };
        let c = &mut self.counters[idx];
        Ok((&mut c.value, &mut c.changed))
    }

    /// Buffers a lead index entry (its full key) pointing to `crm_id`.
    pub fn index_put(&mut self, key: Vec<u8>, crm_id: CrmId) {
        self.index.push((key, Some(crm_id)));
    }

    /// Buffers the removal of a lead index entry.
    pub fn index_remove(&mut self, key: Vec<u8>) {
        self.index.push((key, None));
    }

    /// The buffered lead index writes, for [`super::index::flush`].
    pub fn take_index(&mut self) -> index::Sorted {
        index::sorted(std::mem::take(&mut self.index))
    }

    /// Buffers a lead created by the event at `seq` (at version 1).
    pub fn create_lead(&mut self, crm_id: CrmId, seq: u64) {
        self.paged.insert(crm_id, vec![seq]);
    }

    /// Adds a contact, communication or opportunity, created by the event
    /// at `seq`, to the events of lead `crm_id`. `Ok(false)` when there is
    /// no such lead.
    pub fn add_sub(&mut self, seq: u64, crm_id: CrmId) -> Result<bool, OverlayError> {
        if let Some(history) = self.updated.get_mut(&crm_id) {
            history.push(seq);
            return Ok(true);
        }
        if !self.paged.contains_key(&crm_id) {
            let updated = match self.carried(crm_id) {
                Some(history) => Some(history),
                None => leads::load_updated(self.store, crm_id)?,
            };
            if let Some(mut history) = updated {
                history.push(seq);
                self.updated.insert(crm_id, history);
                return Ok(true);
            }
            match leads::load_events(self.store, crm_id)? {
                Some(history) => self.paged.insert(crm_id, history),
                None => return Ok(false),
            };
        }
        match self.paged.get_mut(&crm_id) {
            Some(history) => {
                history.push(seq);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The events of lead `crm_id` as they are now, to be added to and put
    /// back with [`Overlay::put_updated`]; `None` when there is no such
    /// lead. A version-1 lead stays buffered for its page as it is: the
    /// page keeps it even once the lead is updated.
    pub fn take_history(&mut self, crm_id: CrmId) -> Result<Option<Vec<u64>>, OverlayError> {
        if let Some(history) = self.updated.remove(&crm_id) {
            return Ok(Some(history));
        }
        if let Some(history) = self.carried(crm_id) {
            return Ok(Some(history));
        }
        Ok(match self.paged.get(&crm_id) {
            Some(history) => Some(history.clone()),
            None => leads::load_history(self.store, crm_id)?,
        })
    }

    /// The kind of the lead whose events are `history`: read from its
    /// first event (not its values).
    pub fn kind_of(&mut self, crm_id: CrmId, history: &[u64]) -> Result<Kind, OverlayError> {
        let store = self.store;
        let events = self.events.get_or_insert_with(|| EventReader::new(store));
        let first = history
            .first()
            .copied()
            .ok_or_else(|| StoreError::Corrupt(format!("lead {crm_id} has no events")))?;
        Ok(events
            .read_unresolved(first)?
            .event
            .created_kind()
            .ok_or_else(|| {
                StoreError::Corrupt(format!("lead {crm_id}: event {first} does not create it"))
            })?)
    }

    /// Buffers the events of an updated lead.
    pub fn put_updated(&mut self, crm_id: CrmId, history: Vec<u64>) {
        self.updated.insert(crm_id, history);
    }

    /// Reads a key (lead records only through [`Overlay::take_lead`]).
    pub fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(c) = self
            .counters
            .iter()
            .find(|c| c.table == table && c.key == key)
        {
            if c.changed {
                return crate::codec::encode(&c.value)
                    .map(Some)
                    .map_err(|e| StoreError::Corrupt(e.to_string()));
            }
        }
        self.get_uncounted(table, key)
    }

    fn get_uncounted(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        debug_assert!(
            table != Table::Leads,
            "lead records are read with take_lead"
        );
        debug_assert!(table != Table::LeadIndex, "the lead index is read by runs");
        match self.writes.get(&table).and_then(|t| t.get(key)) {
            Some(buffered) => Ok(buffered.clone()),
            None => self.store.get(table, key),
        }
    }

    /// Buffers a write (lead records only through [`Overlay::put_lead`]).
    pub fn put(&mut self, table: Table, key: Vec<u8>, value: Vec<u8>) {
        debug_assert!(
            table != Table::Leads,
            "lead records are written with put_lead"
        );
        debug_assert!(table != Table::LeadIndex, "use index_put");
        self.counters
            .retain(|c| !(c.table == table && c.key == key));
        self.writes
            .entry(table)
            .or_default()
            .insert(key, Some(value));
    }

    pub fn remove(&mut self, table: Table, key: Vec<u8>) {
        self.counters
            .retain(|c| !(c.table == table && c.key == key));
        self.writes.entry(table).or_default().insert(key, None);
    }

    pub fn len(&self) -> usize {
        self.writes.values().map(HashMap::len).sum::<usize>()
            + self.counters.iter().filter(|c| c.changed).count()
            + self.paged.len()
            + self.updated.len()
            + self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The buffered writes as one batch (each key once, last write wins).
    /// A page that already holds records is read and merged.
    /// Lead index writes are not part of it: take them first
    /// ([`Overlay::take_index`]).
    pub fn into_batch(self) -> Result<WriteBatch, OverlayError> {
        Ok(self.into_batch_carrying(false)?.0)
    }

    /// [`Overlay::into_batch`] for a chunk of a catch-up that carries
    /// updated leads: with `carry`, this chunk's updated leads are
    /// returned (for the caller to add to what it carries once the batch
    /// is written) instead of written; without, they are written and so
    /// is every carried lead this chunk did not change, and nothing is
    /// returned.
    pub fn into_batch_carrying(self, carry: bool) -> Result<(WriteBatch, Updated), OverlayError> {
        debug_assert!(self.index.is_empty(), "index writes were not taken");
        let mut batch = WriteBatch::default();
        let mut writes = self.writes;
        for c in self.counters.into_iter().filter(|c| c.changed) {
            writes
                .entry(c.table)
                .or_default()
                .insert(c.key, Some(crate::codec::encode(&c.value)?));
        }
        let mut ops: Vec<_> = writes
            .into_iter()
            .flat_map(|(table, writes)| writes.into_iter().map(move |(k, v)| ((table, k), v)))
            .collect();
        let mut updated = self.updated;
        if !carry {
            // By page of updated leads: this chunk's, and those carried
            // from earlier chunks that this one did not change, added to
            // what the store's page keeps.
            let mut by_page: BTreeMap<u64, Vec<(CrmId, &[u64])>> = BTreeMap::new();
            let carried = self.carried.into_iter().flatten();
            for (crm_id, history) in carried.filter(|(id, _)| !updated.contains_key(id)) {
                by_page
                    .entry(leads::page_of(*crm_id))
                    .or_default()
                    .push((*crm_id, history));
            }
            for (crm_id, history) in &updated {
                by_page
                    .entry(leads::page_of(*crm_id))
                    .or_default()
                    .push((*crm_id, history));
            }
            for (page_no, entries) in by_page {
                let mut page = leads::load_updated_page(self.store, page_no)?;
                for (crm_id, history) in entries {
                    page.put(crm_id, history)?;
                }
                ops.push((
                    (Table::Leads, leads::updated_key(page_no)),
                    Some(page.encode()?),
                ));
            }
            updated.clear();
        }
        let mut leads = self.paged.into_iter().peekable();
        let mut in_page: Vec<(CrmId, Vec<u64>)> = Vec::with_capacity(leads::PAGE_SIZE as usize);
        while let Some(first) = leads.next() {
            let page_no = leads::page_of(first.0);
            in_page.push(first);
            while let Some(lead) = leads.next_if(|(id, _)| leads::page_of(*id) == page_no) {
                in_page.push(lead);
            }
            // A page whose every lead is buffered is written whole (the
            // leads are distinct CRM IDs of one page); only one that keeps
            // leads of earlier chunks is read and merged.
            let stored = if in_page.len() as u64 == leads::PAGE_SIZE {
                None
            } else {
                self.store.get(Table::Leads, &leads::page_key(page_no))?
            };
            let mut page = match stored {
                Some(bytes) => LeadPage::decode(&bytes)?,
                None => LeadPage::default(),
            };
            for (crm_id, history) in in_page.drain(..) {
                page.put(crm_id, &history)?;
            }
            ops.push((
                (Table::Leads, leads::page_key(page_no)),
                Some(page.encode()?),
            ));
        }
        // A stable order keeps the batch deterministic, which makes the
        // store's work (and any debugging of it) repeatable.
        ops.sort_by(|a, b| a.0.cmp(&b.0));
        for ((table, key), value) in ops {
            match value {
                Some(v) => batch.put(table, key, v),
                None => batch.remove(table, key),
            }
        }
        Ok((batch, updated))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::memstore::MemStore;

    fn stored(store: &MemStore, key: &[u8]) -> Option<u64> {
        store
            .get(Table::ProjMeta, key)
            .unwrap()
            .map(|b| crate::codec::decode(&b).unwrap())
    }

    #[test]
    fn the_last_index_write_of_a_key_wins_in_key_order() {
        let store = MemStore::new();
        let mut ov = Overlay::new(&store);
        ov.index_put(b"b".to_vec(), 1);
        ov.index_put(b"a".to_vec(), 2);
        ov.index_remove(b"b".to_vec());
        ov.index_remove(b"c".to_vec());
        ov.index_put(b"c".to_vec(), 3);
        ov.index_put(b"a".to_vec(), 4);
        let writes: Vec<_> = ov.take_index().into_iter().collect();
        assert_eq!(
            writes,
            vec![
                (b"a".to_vec(), Some(4)),
                (b"b".to_vec(), None),
                (b"c".to_vec(), Some(3))
            ]
        );
        assert!(ov.take_index().is_empty());
    }

    /// A chunk that carries updated leads reads what earlier chunks
    /// carried before the store and writes no lead key; the chunk that
    /// stops carrying writes its own and every carried lead.
    #[test]
    fn carried_updated_leads_are_read_first_and_written_when_carrying_ends() {
        let store = MemStore::new();
        let mut seed = WriteBatch::default();
        let mut page = LeadPage::default();
        page.put(7, &[1, 5]).unwrap();
        seed.put(Table::Leads, leads::updated_key(0), page.encode().unwrap());
        store.write(seed).unwrap();
        let mut carried = Updated::new();
        carried.insert(7, vec![1, 5, 9]);
        carried.insert(8, vec![2, 6]);

        let mut ov = Overlay::carrying(&store, &carried);
        assert!(ov.add_sub(12, 7).unwrap());
        let (batch, updated) = ov.into_batch_carrying(true).unwrap();
        assert!(batch.is_empty(), "nothing written while carrying");
        assert_eq!(updated.len(), 1);
        assert_eq!(updated.get(&7), Some(&vec![1, 5, 9, 12]));
        carried.extend(updated);

        let mut ov = Overlay::carrying(&store, &carried);
        assert_eq!(ov.take_history(8).unwrap(), Some(vec![2, 6]));
        ov.put_updated(8, vec![2, 6, 13]);
        let (batch, rest) = ov.into_batch_carrying(false).unwrap();
        assert!(rest.is_empty());
        store.write(batch).unwrap();
        assert_eq!(
            leads::load_updated(&store, 7).unwrap(),
            Some(vec![1, 5, 9, 12])
        );
        assert_eq!(
            leads::load_updated(&store, 8).unwrap(),
            Some(vec![2, 6, 13])
        );
    }

    #[test]
    fn counters_read_and_write_as_plain_values_do() {
        let store = MemStore::new();
        let mut seed = WriteBatch::default();
        seed.put(
            Table::ProjMeta,
            b"a".to_vec(),
            crate::codec::encode(&5u64).unwrap(),
        );
        store.write(seed).unwrap();

        let mut ov = Overlay::new(&store);
        assert_eq!(*ov.counter(Table::ProjMeta, b"a").unwrap().0, 5);
        let (b, changed) = ov.counter(Table::ProjMeta, b"b").unwrap();
        assert_eq!(*b, 0, "absent reads as 0");
        *b = 9;
        *changed = true;
        // Read through `get` as any other value, changed or not.
        let got = |ov: &Overlay<'_>, key: &[u8]| {
            ov.get(Table::ProjMeta, key)
                .unwrap()
                .map(|b| crate::codec::decode::<u64>(&b).unwrap())
        };
        assert_eq!(got(&ov, b"b"), Some(9));
        assert_eq!(got(&ov, b"a"), Some(5));
        // A plain write replaces the counter.
        ov.put(
            Table::ProjMeta,
            b"c".to_vec(),
            crate::codec::encode(&1u64).unwrap(),
        );
        *ov.counter(Table::ProjMeta, b"c").unwrap().0 += 0;
        ov.put(
            Table::ProjMeta,
            b"c".to_vec(),
            crate::codec::encode(&7u64).unwrap(),
        );
        assert_eq!(*ov.counter(Table::ProjMeta, b"c").unwrap().0, 7);
        // An unchanged counter writes nothing (not even a 0 for a key
        // that was absent), a changed one its value.
        assert_eq!(*ov.counter(Table::ProjMeta, b"d").unwrap().0, 0);
        assert_eq!(ov.len(), 2);
        store.write(ov.into_batch().unwrap()).unwrap();
        assert_eq!(stored(&store, b"a"), Some(5));
        assert_eq!(stored(&store, b"b"), Some(9));
        assert_eq!(stored(&store, b"c"), Some(7));
        assert_eq!(stored(&store, b"d"), None);
        let dump: Vec<_> = store.scan(Table::ProjMeta, &[], &[]).collect();
        assert_eq!(dump.len(), 3);
    }
}
