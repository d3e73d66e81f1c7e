//! A write buffer over the store: reads see the buffered writes first, so a
//! chunk of events can be applied with plain gets and puts and then land as
//! one atomic batch.
//!
//! Lead records are buffered decoded: a created lead with a contact, a
//! communication and an opportunity is touched by four events in a row, and
//! keeping it as a value saves three decode/encode round trips per lead.
//! They are encoded once, when the chunk becomes a batch, into the layout
//! of [`super::leads`]: records at version 1 into their pages, updated
//! records under their own keys.

use std::collections::{BTreeMap, HashMap};

use super::index;
use super::leads::{self, LeadPage};
use super::records::LeadRecord;
use crate::codec::CodecError;
use crate::event::CrmId;
use crate::store::{Store, StoreError, Table, WriteBatch};

pub struct Overlay<'a> {
    store: &'a dyn Store,
    /// Per table, so that a read looks a key up without copying it.
    writes: HashMap<Table, HashMap<Vec<u8>, Option<Vec<u8>>>>,
    /// Records at version 1 to write into their pages.
    paged: BTreeMap<CrmId, LeadRecord>,
    /// Updated records (version > 1) to write under their own keys.
    current: HashMap<CrmId, LeadRecord>,
    /// Lead index writes, written as runs by [`super::index::flush`].
    index: index::Writes,
}

/// Why a buffered lead could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum OverlayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Codec(#[from] CodecError),
}

impl<'a> Overlay<'a> {
    pub fn new(store: &'a dyn Store) -> Self {
        Overlay {
            store,
            writes: HashMap::new(),
            paged: BTreeMap::new(),
            current: HashMap::new(),
            index: index::Writes::new(),
        }
    }

    /// Buffers a lead index entry (its full key) pointing to `crm_id`.
    pub fn index_put(&mut self, key: Vec<u8>, crm_id: CrmId) {
        self.index.insert(key, Some(crm_id));
    }

    /// Buffers the removal of a lead index entry.
    pub fn index_remove(&mut self, key: Vec<u8>) {
        self.index.insert(key, None);
    }

    /// The buffered lead index writes, for [`super::index::flush`].
    pub fn take_index(&mut self) -> index::Writes {
        std::mem::take(&mut self.index)
    }

    /// The lead record `crm_id` as it is now, buffered for change where it
    /// lives (read from the store the first time), or `None` when there is
    /// no such lead.
    pub fn lead_mut(&mut self, crm_id: CrmId) -> Result<Option<&mut LeadRecord>, OverlayError> {
        if !self.current.contains_key(&crm_id) && !self.paged.contains_key(&crm_id) {
            if let Some(record) = leads::load_current(self.store, crm_id)? {
                self.current.insert(crm_id, record);
            } else if let Some(record) =
                leads::load_page(self.store, leads::page_of(crm_id))?.get(crm_id)?
            {
                self.paged.insert(crm_id, record);
            } else {
                return Ok(None);
            }
        }
        Ok(match self.current.get_mut(&crm_id) {
            Some(record) => Some(record),
            None => self.paged.get_mut(&crm_id),
        })
    }

    /// The lead record `crm_id` as it is now, to be changed and put back
    /// with [`Overlay::put_lead`]. A version-1 record stays buffered for its
    /// page as it is: the page keeps it even once the lead is updated.
    pub fn take_lead(&mut self, crm_id: CrmId) -> Result<Option<LeadRecord>, OverlayError> {
        if let Some(record) = self.current.remove(&crm_id) {
            return Ok(Some(record));
        }
        if let Some(record) = self.paged.get(&crm_id) {
            return Ok(Some(record.clone()));
        }
        if let Some(record) = leads::load_current(self.store, crm_id)? {
            return Ok(Some(record));
        }
        Ok(leads::load_page(self.store, leads::page_of(crm_id))?.get(crm_id)?)
    }

    /// Buffers a new or changed lead record.
    pub fn put_lead(&mut self, record: LeadRecord) {
        if record.version > 1 {
            self.current.insert(record.crm_id, record);
        } else {
            self.paged.insert(record.crm_id, record);
        }
    }

    /// Reads a key (lead records only through [`Overlay::lead_mut`]).
    pub fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        debug_assert!(table != Table::Leads, "lead records are read with lead_mut");
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
        self.writes
            .entry(table)
            .or_default()
            .insert(key, Some(value));
    }

    pub fn remove(&mut self, table: Table, key: Vec<u8>) {
        self.writes.entry(table).or_default().insert(key, None);
    }

    pub fn len(&self) -> usize {
        self.writes.values().map(HashMap::len).sum::<usize>()
            + self.paged.len()
            + self.current.len()
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
        debug_assert!(self.index.is_empty(), "index writes were not taken");
        let mut batch = WriteBatch::default();
        let mut ops: Vec<_> = self
            .writes
            .into_iter()
            .flat_map(|(table, writes)| writes.into_iter().map(move |(k, v)| ((table, k), v)))
            .collect();
        ops.reserve(self.current.len() + self.paged.len() / leads::PAGE_SIZE as usize + 1);
        for (crm_id, record) in self.current {
            ops.push((
                (Table::Leads, leads::current_key(crm_id)),
                Some(crate::codec::encode(&record)?),
            ));
        }
        let mut records = self.paged.into_values().peekable();
        let mut in_page: Vec<LeadRecord> = Vec::with_capacity(leads::PAGE_SIZE as usize);
        while let Some(first) = records.next() {
            let page_no = leads::page_of(first.crm_id);
            in_page.push(first);
            while let Some(record) = records.next_if(|r| leads::page_of(r.crm_id) == page_no) {
                in_page.push(record);
            }
            // A page whose every record is buffered is written whole (the
            // records are distinct CRM IDs of one page); only one that
            // keeps records of earlier chunks is read and merged.
            let stored = if in_page.len() as u64 == leads::PAGE_SIZE {
                None
            } else {
                self.store.get(Table::Leads, &leads::page_key(page_no))?
            };
            let mut page = match stored {
                Some(bytes) => LeadPage::decode(&bytes)?,
                None => LeadPage::default(),
            };
            for record in in_page.drain(..) {
                page.put(&record)?;
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
        Ok(batch)
    }
}
