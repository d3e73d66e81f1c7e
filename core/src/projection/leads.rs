//! How the CRM view keeps lead records in the `Leads` table.
//!
//! sled's cost grows with the size of the values it holds inline (a leaf of
//! up to 16 entries is copied on every change), and a lead record is about
//! 1.5 KB: one key per record made the records most of a commit's time.
//! So records are stored in pages:
//! - `p` + page number (u64 BE): the records of CRM IDs
//!   `page * PAGE_SIZE .. (page + 1) * PAGE_SIZE` as they were while at
//!   version 1 (created, with the contacts, communications and
//!   opportunities that only their creating import adds);
//! - `r` + CRM ID (u64 BE): the current record of a lead updated since
//!   (version > 1). It shadows that lead's copy in its page, which is never
//!   rewritten for an update, so an update writes one small key rather than
//!   a whole page.
//!
//! Both parts are a function of the events alone (not of how they were
//! chunked while projecting), so a rebuild gives the same bytes.

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use super::records::LeadRecord;
use crate::codec::{self, CodecError};
use crate::event::CrmId;
use crate::store::{ScanIter, Store, StoreError, Table};

/// Records per page: 4 records of about 1.5 KB keep a full sled leaf (up to
/// 17 values) under sled's blob threshold of 128 KiB. Pages of 16 were
/// faster but made every leaf a blob, which sled's cache does not count, so
/// memory grew with the ledger (see `BLOCK_BYTES` in `app/mod.rs`).
pub const PAGE_SIZE: u64 = 4;

const PAGE: u8 = b'p';
const CURRENT: u8 = b'r';

pub fn page_of(crm_id: CrmId) -> u64 {
    crm_id / PAGE_SIZE
}

pub fn page_key(page: u64) -> Vec<u8> {
    let mut k = vec![PAGE];
    k.extend_from_slice(&page.to_be_bytes());
    k
}

/// The key of a lead's current record once it has been updated.
pub fn current_key(crm_id: CrmId) -> Vec<u8> {
    let mut k = vec![CURRENT];
    k.extend_from_slice(&crm_id.to_be_bytes());
    k
}

/// A page: its records in CRM ID order, each encoded on its own so that
/// reading one lead decodes one record.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct LeadPage {
    /// Byte strings, decoded as one copy each rather than byte by byte.
    pub records: Vec<(CrmId, ByteBuf)>,
}

impl LeadPage {
    pub fn decode(bytes: &[u8]) -> Result<LeadPage, CodecError> {
        codec::decode(bytes)
    }

    pub fn encode(&self) -> Result<Vec<u8>, CodecError> {
        codec::encode(self)
    }

    /// Adds or replaces a record, keeping CRM ID order.
    pub fn put(&mut self, record: &LeadRecord) -> Result<(), CodecError> {
        let bytes = codec::encode(record)?;
        match self
            .records
            .binary_search_by_key(&record.crm_id, |(id, _)| *id)
        {
            Ok(idx) => self.records[idx].1 = ByteBuf::from(bytes),
            Err(idx) => self
                .records
                .insert(idx, (record.crm_id, ByteBuf::from(bytes))),
        }
        Ok(())
    }

    pub fn get(&self, crm_id: CrmId) -> Result<Option<LeadRecord>, CodecError> {
        match self.records.binary_search_by_key(&crm_id, |(id, _)| *id) {
            Ok(idx) => codec::decode(&self.records[idx].1).map(Some),
            Err(_) => Ok(None),
        }
    }
}

fn corrupt(what: &str, e: CodecError) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// The stored page `page` (empty when none).
pub fn load_page(store: &dyn Store, page: u64) -> Result<LeadPage, StoreError> {
    match store.get(Table::Leads, &page_key(page))? {
        Some(bytes) => LeadPage::decode(&bytes).map_err(|e| corrupt("lead page", e)),
        None => Ok(LeadPage::default()),
    }
}

/// The updated record of a lead, if it was updated since it was created.
pub fn load_current(store: &dyn Store, crm_id: CrmId) -> Result<Option<LeadRecord>, StoreError> {
    match store.get(Table::Leads, &current_key(crm_id))? {
        Some(bytes) => codec::decode(&bytes)
            .map(Some)
            .map_err(|e| corrupt(&format!("lead {crm_id}"), e)),
        None => Ok(None),
    }
}

/// A [`LeadPage`] borrowed from its stored bytes: reading one lead copies
/// and decodes only its record.
#[derive(Deserialize)]
struct LeadPageRef<'a> {
    #[serde(borrow)]
    records: Vec<(CrmId, &'a [u8])>,
}

/// The lead record as it is now, or `None` when there is no such lead.
pub fn read(store: &dyn Store, crm_id: CrmId) -> Result<Option<LeadRecord>, StoreError> {
    if let Some(record) = load_current(store, crm_id)? {
        return Ok(Some(record));
    }
    let Some(bytes) = store.get(Table::Leads, &page_key(page_of(crm_id)))? else {
        return Ok(None);
    };
    let page: LeadPageRef<'_> = codec::decode_head(&bytes).map_err(|e| corrupt("lead page", e))?;
    match page.records.binary_search_by_key(&crm_id, |(id, _)| *id) {
        Ok(idx) => codec::decode(page.records[idx].1)
            .map(Some)
            .map_err(|e| corrupt(&format!("lead {crm_id}"), e)),
        Err(_) => Ok(None),
    }
}

/// Every lead record as it is now, in CRM ID order: the pages' records,
/// each replaced by its updated record where there is one.
pub fn scan(store: &dyn Store) -> LeadScan<'_> {
    LeadScan {
        pages: store.scan(Table::Leads, &[PAGE], &[PAGE]),
        currents: store.scan(Table::Leads, &[CURRENT], &[CURRENT]).peekable(),
        in_page: std::collections::VecDeque::new(),
        failed: false,
    }
}

/// The iterator of [`scan`].
pub struct LeadScan<'a> {
    pages: ScanIter<'a>,
    currents: std::iter::Peekable<ScanIter<'a>>,
    in_page: std::collections::VecDeque<(CrmId, Vec<u8>)>,
    failed: bool,
}

impl LeadScan<'_> {
    /// The updated record of `crm_id`, if it has one. Updated records are
    /// a subset of the paged ones, in the same order.
    fn current_of(&mut self, crm_id: CrmId) -> Result<Option<Vec<u8>>, StoreError> {
        loop {
            let id = match self.currents.peek() {
                None => return Ok(None),
                Some(Err(_)) => return self.currents.next().transpose().map(|_| None),
                Some(Ok((key, _))) => super::keys::tail_u64(key).unwrap_or(u64::MAX),
            };
            if id > crm_id {
                return Ok(None);
            }
            let taken = self.currents.next().transpose()?;
            if id == crm_id {
                return Ok(taken.map(|(_, value)| value));
            }
        }
    }

    fn step(&mut self) -> Result<Option<LeadRecord>, StoreError> {
        while self.in_page.is_empty() {
            let Some(entry) = self.pages.next() else {
                return Ok(None);
            };
            let (_, bytes) = entry?;
            let page = LeadPage::decode(&bytes).map_err(|e| corrupt("lead page", e))?;
            self.in_page
                .extend(page.records.into_iter().map(|(id, b)| (id, b.into_vec())));
        }
        let Some((crm_id, paged)) = self.in_page.pop_front() else {
            return Ok(None);
        };
        let bytes = self.current_of(crm_id)?.unwrap_or(paged);
        codec::decode(&bytes)
            .map(Some)
            .map_err(|e| corrupt(&format!("lead {crm_id}"), e))
    }
}

impl Iterator for LeadScan<'_> {
    type Item = Result<LeadRecord, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let step = self.step();
        self.failed = step.is_err();
        step.transpose()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::memstore::MemStore;
    use crate::projection::overlay::Overlay;

    fn record(crm_id: CrmId, version: u64) -> LeadRecord {
        LeadRecord {
            crm_id,
            kind: crate::event::Kind::Leads,
            fields: Vec::new(),
            contacts: Vec::new(),
            communications: Vec::new(),
            opportunities: Vec::new(),
            created_by_import: 1,
            version,
            history: vec![crm_id],
        }
    }

    /// Writes the records through an overlay, `per_chunk` at a time.
    fn write(store: &MemStore, records: Vec<LeadRecord>, per_chunk: usize) {
        for chunk in records.chunks(per_chunk) {
            let mut ov = Overlay::new(store);
            for r in chunk {
                ov.put_lead(r.clone());
            }
            store.write(ov.into_batch().unwrap()).unwrap();
        }
    }

    fn dump(store: &MemStore) -> Vec<(Vec<u8>, Vec<u8>)> {
        store
            .scan(Table::Leads, &[], &[])
            .map(|e| e.unwrap())
            .collect()
    }

    #[test]
    fn records_fill_pages_whatever_the_chunks() {
        let all: Vec<_> = (1..=40).map(|id| record(id, 1)).collect();
        let one_go = MemStore::new();
        write(&one_go, all.clone(), 40);
        let by_sevens = MemStore::new();
        write(&by_sevens, all, 7);
        assert_eq!(dump(&one_go), dump(&by_sevens));
        // CRM IDs 1..=40 fill pages 0 to 40 / PAGE_SIZE, the first one
        // without CRM ID 0.
        let keys: Vec<_> = dump(&one_go).into_iter().map(|(k, _)| k).collect();
        let pages: Vec<_> = (0..=40 / PAGE_SIZE).map(page_key).collect();
        assert_eq!(keys, pages);
        assert_eq!(
            load_page(&one_go, 0).unwrap().records.len() as u64,
            PAGE_SIZE - 1
        );
        assert_eq!(
            load_page(&one_go, 1).unwrap().records.len() as u64,
            PAGE_SIZE
        );
    }

    #[test]
    fn a_lead_is_read_from_its_page_alone() {
        let store = MemStore::new();
        write(&store, vec![record(1, 1), record(3, 1), record(9, 1)], 8);
        assert_eq!(page_of(1), page_of(2), "one page holds 1 to 3");
        assert_eq!(read(&store, 3).unwrap().unwrap().crm_id, 3);
        assert_eq!(read(&store, 2).unwrap(), None, "absent from a stored page");
        assert_eq!(read(&store, 400).unwrap(), None, "no page at all");
        assert_eq!(read(&store, 9).unwrap(), Some(record(9, 1)));
    }

    #[test]
    fn an_update_shadows_the_paged_record_and_leaves_the_page() {
        let store = MemStore::new();
        write(&store, (1..=20).map(|id| record(id, 1)).collect(), 20);
        let page_before = store.get(Table::Leads, &page_key(page_of(5))).unwrap();
        let mut ov = Overlay::new(&store);
        let mut r = ov.take_lead(5).unwrap().unwrap();
        r.version = 2;
        r.history.push(99);
        ov.put_lead(r);
        store.write(ov.into_batch().unwrap()).unwrap();
        assert_eq!(
            store.get(Table::Leads, &page_key(page_of(5))).unwrap(),
            page_before
        );
        assert_eq!(read(&store, 5).unwrap().unwrap().version, 2);
        assert_eq!(read(&store, 6).unwrap().unwrap().version, 1);
        assert_eq!(read(&store, 21).unwrap(), None);
        let versions: Vec<_> = scan(&store)
            .map(|r| r.unwrap())
            .map(|r| (r.crm_id, r.version))
            .collect();
        let expected: Vec<_> = (1..=20)
            .map(|id| (id, if id == 5 { 2 } else { 1 }))
            .collect();
        assert_eq!(versions, expected);
    }

    #[test]
    fn created_and_updated_in_one_chunk_is_stored_as_in_two() {
        // As in a rebuild, where a lead's creation and a later import's
        // update can fall into one chunk: the page still gets version 1.
        let one_chunk = MemStore::new();
        let mut ov = Overlay::new(&one_chunk);
        ov.put_lead(record(3, 1));
        let mut r = ov.take_lead(3).unwrap().unwrap();
        r.version = 2;
        ov.put_lead(r);
        one_chunk.write(ov.into_batch().unwrap()).unwrap();

        let two_chunks = MemStore::new();
        write(&two_chunks, vec![record(3, 1)], 1);
        let mut ov = Overlay::new(&two_chunks);
        let mut r = ov.take_lead(3).unwrap().unwrap();
        r.version = 2;
        ov.put_lead(r);
        two_chunks.write(ov.into_batch().unwrap()).unwrap();
        assert_eq!(dump(&one_chunk), dump(&two_chunks));
    }
}
