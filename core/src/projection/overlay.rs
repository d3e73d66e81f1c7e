//! A write buffer over the store: reads see the buffered writes first, so a
//! chunk of events can be applied with plain gets and puts and then land as
//! one atomic batch.
//!
//! Lead records are buffered decoded: a created lead with a contact, a
//! communication and an opportunity is touched by four events in a row, and
//! keeping it as a value saves three decode/encode round trips per lead.
//! They are encoded once, when the chunk becomes a batch, so the bytes
//! stored are the same as if each event had saved its record.

use std::collections::HashMap;

use super::keys;
use super::records::LeadRecord;
use crate::codec::{self, CodecError};
use crate::event::CrmId;
use crate::store::{Store, StoreError, Table, WriteBatch};

pub struct Overlay<'a> {
    store: &'a dyn Store,
    writes: HashMap<(Table, Vec<u8>), Option<Vec<u8>>>,
    leads: HashMap<CrmId, LeadRecord>,
}

/// Why a buffered lead could not be read.
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
            leads: HashMap::new(),
        }
    }

    /// The lead record `crm_id`, buffered for change (read from the store
    /// the first time), or `None` when there is no such lead.
    pub fn lead_mut(&mut self, crm_id: CrmId) -> Result<Option<&mut LeadRecord>, OverlayError> {
        if !self.leads.contains_key(&crm_id) {
            let Some(bytes) = self.store.get(Table::Leads, &keys::lead(crm_id))? else {
                return Ok(None);
            };
            self.leads.insert(crm_id, codec::decode(&bytes)?);
        }
        Ok(self.leads.get_mut(&crm_id))
    }

    /// Takes the lead record `crm_id` out of the buffer (to change it while
    /// writing other keys; put it back with [`Overlay::put_lead`]).
    pub fn take_lead(&mut self, crm_id: CrmId) -> Result<Option<LeadRecord>, OverlayError> {
        self.lead_mut(crm_id)?;
        Ok(self.leads.remove(&crm_id))
    }

    /// Buffers a (new or replaced) lead record.
    pub fn put_lead(&mut self, record: LeadRecord) {
        self.leads.insert(record.crm_id, record);
    }

    /// Reads a key (lead records only through [`Overlay::lead_mut`]).
    pub fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        debug_assert!(table != Table::Leads, "lead records are read with lead_mut");
        match self.writes.get(&(table, key.to_vec())) {
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
        self.writes.insert((table, key), Some(value));
    }

    pub fn remove(&mut self, table: Table, key: Vec<u8>) {
        self.writes.insert((table, key), None);
    }

    pub fn len(&self) -> usize {
        self.writes.len() + self.leads.len()
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty() && self.leads.is_empty()
    }

    /// The buffered writes as one batch (each key once, last write wins).
    pub fn into_batch(self) -> Result<WriteBatch, CodecError> {
        let mut batch = WriteBatch::default();
        let mut ops: Vec<_> = self.writes.into_iter().collect();
        ops.reserve(self.leads.len());
        for (crm_id, record) in self.leads {
            ops.push((
                (Table::Leads, keys::lead(crm_id)),
                Some(codec::encode(&record)?),
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
