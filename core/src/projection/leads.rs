//! How the CRM view keeps lead records in the `Leads` table.
//!
//! A lead at version 1 (created, with the contacts, communications and
//! opportunities that only its creating import adds) is exactly what its
//! events say, and those events are in the log. So its record is not
//! copied: the table keeps where its events are, and reading the lead
//! folds them again ([`build`]). Copying the values made a lead record
//! about 1.5 KB, written once more beside the events; 437 MB of a 1M
//! commit's 1.3 GB written (`docs/PERFORMANCE.md`, item 28).
//! - `p` + page number (u64 BE): for the CRM IDs
//!   `page * PAGE_SIZE .. (page + 1) * PAGE_SIZE` at version 1, the
//!   sequence numbers of the events each was built from (its history);
//! - `r` + page number (u64 BE): for the leads of that page updated since
//!   (version > 1), the sequence numbers of every event of each: its
//!   page's entry, then each update and anything added since. An entry
//!   here shadows the lead's entry in its `p` page, which is never
//!   rewritten for an update, and an update reads no values. (One key per
//!   updated lead cost sled a leaf split every 16 or so of them: a 1M
//!   rebuild spent 0.6 s on its last 105k updates.)
//!
//! Both parts are a function of the events alone (not of how they were
//! chunked while projecting), so a rebuild gives the same bytes.

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use super::records::LeadRecord;
use crate::codec::{self, CodecError};
use crate::cursor::{EventCursor, ReadFailure};
use crate::event::{CrmId, Event};
use crate::log::{self, Recorded};
use crate::store::{ScanIter, Store, StoreError, Table};

/// CRM IDs per page. An entry is about 20 bytes, so a page of 64 is about
/// 1.3 KB: one key per 64 leads created.
pub const PAGE_SIZE: u64 = 64;

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

/// The key of the page of updated leads `page` (the same CRM IDs as the
/// lead page `page`).
pub fn updated_key(page: u64) -> Vec<u8> {
    let mut k = vec![CURRENT];
    k.extend_from_slice(&page.to_be_bytes());
    k
}

/// A page: for each of its leads at version 1, in CRM ID order, the
/// sequence numbers of its events, each list encoded on its own so that
/// reading one lead decodes one list.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct LeadPage {
    /// Byte strings, decoded as one copy each rather than byte by byte.
    pub leads: Vec<(CrmId, ByteBuf)>,
}

impl LeadPage {
    pub fn decode(bytes: &[u8]) -> Result<LeadPage, CodecError> {
        codec::decode(bytes)
    }

    pub fn encode(&self) -> Result<Vec<u8>, CodecError> {
        codec::encode(self)
    }

    /// Adds or replaces a lead's events, keeping CRM ID order.
    pub fn put(&mut self, crm_id: CrmId, history: &[u64]) -> Result<(), CodecError> {
        let bytes = ByteBuf::from(codec::encode(history)?);
        match self.leads.binary_search_by_key(&crm_id, |(id, _)| *id) {
            Ok(idx) => self.leads[idx].1 = bytes,
            Err(idx) => self.leads.insert(idx, (crm_id, bytes)),
        }
        Ok(())
    }

    pub fn get(&self, crm_id: CrmId) -> Result<Option<Vec<u64>>, CodecError> {
        match self.leads.binary_search_by_key(&crm_id, |(id, _)| *id) {
            Ok(idx) => codec::decode(&self.leads[idx].1).map(Some),
            Err(_) => Ok(None),
        }
    }
}

/// A [`LeadPage`] borrowed from its stored bytes.
#[derive(Deserialize)]
struct LeadPageRef<'a> {
    #[serde(borrow)]
    leads: Vec<(CrmId, &'a [u8])>,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// The stored page `page` (empty when none).
pub fn load_page(store: &dyn Store, page: u64) -> Result<LeadPage, StoreError> {
    load_page_at(store, &page_key(page))
}

/// The stored page of updated leads `page` (empty when none).
pub fn load_updated_page(store: &dyn Store, page: u64) -> Result<LeadPage, StoreError> {
    load_page_at(store, &updated_key(page))
}

fn load_page_at(store: &dyn Store, key: &[u8]) -> Result<LeadPage, StoreError> {
    match store.get(Table::Leads, key)? {
        Some(bytes) => LeadPage::decode(&bytes).map_err(|e| corrupt("lead page", e)),
        None => Ok(LeadPage::default()),
    }
}

/// The events of `crm_id` as the page under `key` keeps them (`None`
/// when it does not have it), decoding only that lead's list.
fn load_entry(
    store: &dyn Store,
    key: &[u8],
    crm_id: CrmId,
) -> Result<Option<Vec<u64>>, StoreError> {
    let Some(bytes) = store.get(Table::Leads, key)? else {
        return Ok(None);
    };
    let page: LeadPageRef<'_> = codec::decode_head(&bytes).map_err(|e| corrupt("lead page", e))?;
    match page.leads.binary_search_by_key(&crm_id, |(id, _)| *id) {
        Ok(idx) => codec::decode(page.leads[idx].1)
            .map(Some)
            .map_err(|e| corrupt(&format!("lead {crm_id}"), e)),
        Err(_) => Ok(None),
    }
}

/// The events a lead at version 1 was built from, as its page keeps them
/// (`None` when its page does not have it).
pub fn load_events(store: &dyn Store, crm_id: CrmId) -> Result<Option<Vec<u64>>, StoreError> {
    load_entry(store, &page_key(page_of(crm_id)), crm_id)
}

/// The events of a lead updated since it was created (its whole history,
/// the page's entry and each update after), if it was updated.
pub fn load_updated(store: &dyn Store, crm_id: CrmId) -> Result<Option<Vec<u64>>, StoreError> {
    load_entry(store, &updated_key(page_of(crm_id)), crm_id)
}

/// The events of a lead as they are now: its updated history, or its
/// page's entry; `None` when there is no such lead.
pub fn load_history(store: &dyn Store, crm_id: CrmId) -> Result<Option<Vec<u64>>, StoreError> {
    match load_updated(store, crm_id)? {
        Some(history) => Ok(Some(history)),
        None => load_events(store, crm_id),
    }
}

/// Reads events by sequence number, moving one cursor forward while the
/// events asked for come in order and close together (a lead's events are
/// consecutive, and so are the leads of one commit), and starting a new
/// one otherwise.
struct RawReader<'a> {
    store: &'a dyn Store,
    cursor: Option<EventCursor<'a>>,
    /// The sequence number the cursor yields next.
    next: u64,
}

/// How far ahead of the cursor an event may be for the cursor to read up
/// to it rather than start again: about two blocks of events.
const READ_AHEAD: u64 = 32;

impl<'a> RawReader<'a> {
    fn new(store: &'a dyn Store) -> Self {
        RawReader {
            store,
            cursor: None,
            next: 0,
        }
    }

    /// Event `seq`, its hash checked.
    fn read(&mut self, seq: u64) -> Result<Recorded, StoreError> {
        if self.cursor.is_none() || seq < self.next || seq > self.next + READ_AHEAD {
            self.cursor = Some(EventCursor::new(self.store, seq, u64::MAX));
            self.next = seq;
        }
        let cursor = self
            .cursor
            .as_mut()
            .ok_or_else(|| corrupt("log", "no cursor"))?;
        loop {
            let (at, bytes) = match cursor.next_event() {
                Some(Ok(found)) => found,
                Some(Err(ReadFailure::Store(e))) => return Err(e),
                Some(Err(ReadFailure::Damaged { problem, .. })) => {
                    return Err(StoreError::Corrupt(problem))
                }
                None => return Err(StoreError::Corrupt(format!("event {seq} is missing"))),
            };
            self.next = at + 1;
            if at == seq {
                return log::read_event(at, bytes).map_err(|e| corrupt("log", e));
            }
        }
    }
}

/// Reads events by sequence number, as their readers see them: an event
/// that names its plan row for its values (a commit's creates,
/// [`crate::event::resolve`]) with those values. The plan rows are read
/// with a cursor of their own, which moves forward as the events do (the
/// creates of a commit follow its plan's order).
pub struct EventReader<'a> {
    events: RawReader<'a>,
    plans: RawReader<'a>,
    /// The last plan row read (a lead's events share one).
    plan: Option<(u64, Event)>,
}

impl<'a> EventReader<'a> {
    pub fn new(store: &'a dyn Store) -> Self {
        EventReader {
            events: RawReader::new(store),
            plans: RawReader::new(store),
            plan: None,
        }
    }

    /// Event `seq`, its hash checked (and its plan row's, if it names one),
    /// with its plan row's values.
    pub fn read(&mut self, seq: u64) -> Result<Recorded, StoreError> {
        let rec = self.events.read(seq)?;
        self.resolve(rec)
    }

    /// Event `seq`, its hash checked, as stored (an event that names its
    /// plan row without that row's values).
    pub fn read_unresolved(&mut self, seq: u64) -> Result<Recorded, StoreError> {
        self.events.read(seq)
    }

    /// An event read otherwise, with its plan row's values if it names
    /// one (read with this reader's plan cursor).
    pub fn resolve(&mut self, mut rec: Recorded) -> Result<Recorded, StoreError> {
        let seq = rec.envelope.seq;
        let Some(plan) = rec.event.plan_row() else {
            return Ok(rec);
        };
        let plan_row = match self.plan.take() {
            Some((at, event)) if at == plan => event,
            _ if plan >= seq => {
                return Err(corrupt(
                    "log",
                    format!("event {seq} names event {plan}, after it, as its plan row"),
                ))
            }
            _ => self.plans.read(plan)?.event,
        };
        let resolved = crate::event::resolve(rec.event, &plan_row);
        self.plan = Some((plan, plan_row));
        rec.event = resolved.map_err(|e| corrupt("log", format!("event {seq}: {e}")))?;
        Ok(rec)
    }
}

/// Folds a lead's events (`history`, as its page or its updated entry
/// keeps them) into its record: its `LeadCreated`, then each sub-record it
/// created and each update, in order.
pub fn build(
    reader: &mut EventReader<'_>,
    crm_id: CrmId,
    history: &[u64],
) -> Result<LeadRecord, StoreError> {
    let mismatch = |seq: u64| {
        corrupt(
            &format!("lead {crm_id}"),
            format!("event {seq} is not one of its own"),
        )
    };
    let mut events = history.iter();
    let Some(&first) = events.next() else {
        return Err(corrupt(&format!("lead {crm_id}"), "it has no events"));
    };
    let mut record = match reader.read(first)?.event {
        Event::LeadCreated {
            import_id,
            crm_id: id,
            kind,
            fields,
            ..
        } if id == crm_id => LeadRecord::created(first, import_id, crm_id, kind, fields),
        _ => return Err(mismatch(first)),
    };
    for &seq in events {
        match reader.read(seq)?.event {
            Event::LeadUpdated {
                crm_id: id,
                version,
                changes,
                ..
            } if id == crm_id => {
                for change in changes {
                    record.set(change.field, change.after);
                }
                record.version = version;
                record.history.push(seq);
            }
            event => {
                if !record.add_sub(seq, event) {
                    return Err(mismatch(seq));
                }
            }
        }
    }
    Ok(record)
}

/// The lead record as it is now, or `None` when there is no such lead.
pub fn read(store: &dyn Store, crm_id: CrmId) -> Result<Option<LeadRecord>, StoreError> {
    read_with(&mut EventReader::new(store), store, crm_id)
}

/// [`read`], folding a version-1 lead with `events` (a reader kept for
/// many leads moves forward instead of seeking for each).
pub fn read_with(
    events: &mut EventReader<'_>,
    store: &dyn Store,
    crm_id: CrmId,
) -> Result<Option<LeadRecord>, StoreError> {
    match load_history(store, crm_id)? {
        Some(history) => build(events, crm_id, &history).map(Some),
        None => Ok(None),
    }
}

/// Every lead record as it is now, in CRM ID order: the pages' leads,
/// each replaced by its updated record where there is one.
pub fn scan(store: &dyn Store) -> LeadScan<'_> {
    LeadScan {
        pages: PageEntries::new(store, PAGE),
        currents: PageEntries::new(store, CURRENT).peekable(),
        events: EventReader::new(store),
        failed: false,
    }
}

/// The entries of every page under one prefix (lead pages, or pages of
/// updated leads), a lead at a time, in CRM ID order: each lead's events
/// as its page keeps them, encoded.
struct PageEntries<'a> {
    pages: ScanIter<'a>,
    /// The rest of the page read last.
    in_page: std::collections::VecDeque<(CrmId, Vec<u8>)>,
}

impl<'a> PageEntries<'a> {
    fn new(store: &'a dyn Store, prefix: u8) -> Self {
        PageEntries {
            pages: store.scan(Table::Leads, &[prefix], &[prefix]),
            in_page: std::collections::VecDeque::new(),
        }
    }
}

impl Iterator for PageEntries<'_> {
    type Item = Result<(CrmId, Vec<u8>), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(entry) = self.in_page.pop_front() {
                return Some(Ok(entry));
            }
            let page = self.pages.next()?.and_then(|(_, bytes)| {
                LeadPage::decode(&bytes).map_err(|e| corrupt("lead page", e))
            });
            match page {
                Ok(page) => self
                    .in_page
                    .extend(page.leads.into_iter().map(|(id, b)| (id, b.into_vec()))),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// The iterator of [`scan`].
pub struct LeadScan<'a> {
    pages: PageEntries<'a>,
    currents: std::iter::Peekable<PageEntries<'a>>,
    events: EventReader<'a>,
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
                Some(Ok((id, _))) => *id,
            };
            if id > crm_id {
                return Ok(None);
            }
            let taken = self.currents.next().transpose()?;
            if id == crm_id {
                return Ok(taken.map(|(_, history)| history));
            }
        }
    }

    fn step(&mut self) -> Result<Option<LeadRecord>, StoreError> {
        let Some(entry) = self.pages.next() else {
            return Ok(None);
        };
        let (crm_id, history) = entry?;
        let decode_err = |e| corrupt(&format!("lead {crm_id}"), e);
        let history: Vec<u64> = match self.current_of(crm_id)? {
            Some(bytes) => codec::decode(&bytes).map_err(decode_err)?,
            None => codec::decode(&history).map_err(decode_err)?,
        };
        build(&mut self.events, crm_id, &history).map(Some)
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
    use crate::catalogue::ids;
    use crate::event::{FieldChange, Kind};
    use crate::log::BlockBuilder;
    use crate::memstore::MemStore;
    use crate::projection::overlay::Overlay;
    use crate::store::WriteBatch;
    use crate::value::Value;

    fn name(crm_id: CrmId) -> (crate::catalogue::FieldId, Value) {
        (ids::LEAD_NAME, Value::Text(format!("Lead {crm_id}").into()))
    }

    fn created(crm_id: CrmId) -> Event {
        Event::LeadCreated {
            import_id: 1,
            row: crm_id as u32 + 1,
            crm_id,
            kind: Kind::Leads,
            fields: vec![name(crm_id)],
        }
    }

    fn contact(crm_id: CrmId) -> Event {
        Event::ContactCreated {
            import_id: 1,
            row: crm_id as u32 + 1,
            crm_id,
            fields: vec![(ids::EXPORT_VALUE, Value::Text(format!("c{crm_id}").into()))],
        }
    }

    fn renamed(crm_id: CrmId, version: u64) -> Event {
        Event::LeadUpdated {
            import_id: 2,
            row: 2,
            crm_id,
            version,
            changes: vec![FieldChange {
                field: ids::LEAD_NAME,
                before: None,
                after: Value::Text(format!("Renamed {version}").into()),
            }],
        }
    }

    /// Stores `events` in the log (blocks of 3) and returns them recorded.
    fn append(store: &MemStore, first: u64, events: Vec<Event>) -> Vec<Recorded> {
        let mut batch = WriteBatch::default();
        let mut out = Vec::new();
        for (i, chunk) in events.chunks(3).enumerate() {
            let start = first + 3 * i as u64;
            let mut block = BlockBuilder::new(start, 0);
            for (j, event) in chunk.iter().enumerate() {
                let seq = start + j as u64;
                let envelope = log::test_envelope(seq, event);
                let hash = block.push(&envelope).unwrap();
                out.push(Recorded {
                    envelope,
                    event: event.clone(),
                    hash,
                });
            }
            let (key, value) = block.finish().unwrap();
            batch.put(Table::Events, key.to_vec(), value);
        }
        store.write(batch).unwrap();
        out
    }

    /// Applies `events` through overlays, `per_chunk` at a time (the lead
    /// index is left out: these tests look at the `Leads` table).
    fn project(store: &MemStore, events: Vec<Recorded>, per_chunk: usize) {
        let mut events = events.into_iter().peekable();
        while events.peek().is_some() {
            let mut ov = Overlay::new(store);
            for rec in events.by_ref().take(per_chunk) {
                crate::projection::apply(&mut ov, rec).unwrap();
            }
            ov.take_index();
            store.write(ov.into_batch().unwrap()).unwrap();
        }
    }

    /// Leads 1..=n created with a contact each: events 0..2n.
    fn leads_with_contacts(n: u64) -> Vec<Event> {
        (1..=n).flat_map(|id| [created(id), contact(id)]).collect()
    }

    fn dump(store: &MemStore) -> Vec<(Vec<u8>, Vec<u8>)> {
        store
            .scan(Table::Leads, &[], &[])
            .map(|e| e.unwrap())
            .collect()
    }

    #[test]
    fn pages_are_the_same_whatever_the_chunks() {
        let n = 3 * PAGE_SIZE / 2;
        let one_go = MemStore::new();
        let events = append(&one_go, 0, leads_with_contacts(n));
        project(&one_go, events.clone(), events.len());
        let by_sevens = MemStore::new();
        append(&by_sevens, 0, leads_with_contacts(n));
        project(&by_sevens, events, 7);
        let leads_only = |s: &MemStore| -> Vec<_> {
            dump(s).into_iter().filter(|(k, _)| k[0] == PAGE).collect()
        };
        assert_eq!(leads_only(&one_go), leads_only(&by_sevens));
        // CRM IDs 1..=n fill pages 0 and 1, the first one without CRM ID 0.
        let keys: Vec<_> = leads_only(&one_go).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, vec![page_key(0), page_key(1)]);
        assert_eq!(
            load_page(&one_go, 0).unwrap().leads.len() as u64,
            PAGE_SIZE - 1
        );
        // A lead and its contact are events 2(id-1) and 2(id-1)+1, whichever
        // chunk each fell in.
        assert_eq!(load_events(&by_sevens, 4).unwrap(), Some(vec![6, 7]));
    }

    #[test]
    fn a_version_1_lead_is_read_from_its_events() {
        let store = MemStore::new();
        let events = append(&store, 0, leads_with_contacts(5));
        project(&store, events, 4);
        let lead = read(&store, 3).unwrap().unwrap();
        let mut expected = LeadRecord::created(4, 1, 3, Kind::Leads, vec![name(3)]);
        assert!(expected.add_sub(5, contact(3)));
        assert_eq!(lead, expected);
        assert_eq!(lead.contacts.len(), 1);
        assert_eq!(read(&store, 6).unwrap(), None, "absent from a stored page");
        assert_eq!(read(&store, 400).unwrap(), None, "no page at all");
        let all: Vec<_> = scan(&store).map(|r| r.unwrap().crm_id).collect();
        assert_eq!(all, vec![1, 2, 3, 4, 5]);
    }

    /// Leads 1..=n as a commit makes them: the plan rows (a create with a
    /// contact each, events 0..n), then each lead and its contact naming
    /// their plan row (events n..3n).
    fn leads_as_planned(n: u64) -> Vec<Event> {
        let plan_row = |id: CrmId| {
            let Event::ContactCreated { fields, .. } = contact(id) else {
                unreachable!()
            };
            Event::RowValidated {
                import_id: 1,
                row: id as u32 + 1,
                lead_name: String::new(),
                outcome: crate::event::RowOutcome::Create {
                    fields: vec![name(id)],
                    contact: Some(fields),
                    communication: None,
                    opportunity: None,
                },
                issues: Vec::new(),
            }
        };
        let commit = (1..=n).flat_map(|id| {
            crate::event::PlannedCreate {
                plan: id - 1,
                row: id as u32 + 1,
                lead_name: format!("Lead {id}"),
                export_value: None,
                subs: [true, false, false],
            }
            .events(1, id, Kind::Leads)
        });
        (1..=n).map(plan_row).chain(commit).collect()
    }

    #[test]
    fn a_lead_whose_events_name_their_plan_row_reads_as_one_that_copies_it() {
        let n = 40;
        let as_planned = MemStore::new();
        let events = append(&as_planned, 0, leads_as_planned(n));
        project(&as_planned, events, 7);
        // The same leads with their values copied into their events, at
        // the same sequence numbers (events 0..n project nothing).
        let copied = MemStore::new();
        let mut events = leads_as_planned(n);
        events.truncate(n as usize);
        events.extend(leads_with_contacts(n));
        let events = append(&copied, 0, events);
        project(&copied, events, 7);
        assert_eq!(dump(&as_planned), dump(&copied), "the same pages");
        for id in 1..=n {
            let lead = read(&as_planned, id).unwrap().unwrap();
            assert_eq!(lead, read(&copied, id).unwrap().unwrap());
            assert_eq!(lead.contacts.len(), 1);
        }
        let all: Vec<_> = scan(&as_planned).map(|r| r.unwrap()).collect();
        let expected: Vec<_> = scan(&copied).map(|r| r.unwrap()).collect();
        assert_eq!(all, expected);
    }

    #[test]
    fn a_lead_naming_a_plan_row_not_its_own_is_corrupt() {
        let store = MemStore::new();
        let mut events = leads_as_planned(2);
        // Lead 2 names lead 1's plan row.
        if let Event::LeadCreatedAsPlanned { plan, .. } = &mut events[4] {
            *plan = 0;
        }
        let events = append(&store, 0, events);
        project(&store, events, 10);
        assert!(read(&store, 1).unwrap().is_some());
        match read(&store, 2) {
            Err(StoreError::Corrupt(problem)) => {
                assert!(problem.contains("event 4"), "{problem}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_update_shadows_the_paged_lead_and_leaves_the_page() {
        let store = MemStore::new();
        let mut events = leads_with_contacts(20);
        events.push(renamed(5, 2));
        let events = append(&store, 0, events);
        let (created, update) = events.split_at(40);
        project(&store, created.to_vec(), 40);
        let page_before = store.get(Table::Leads, &page_key(page_of(5))).unwrap();
        project(&store, update.to_vec(), 1);
        assert_eq!(
            store.get(Table::Leads, &page_key(page_of(5))).unwrap(),
            page_before
        );
        let updated = read(&store, 5).unwrap().unwrap();
        assert_eq!(
            (updated.version, updated.history.clone()),
            (2, vec![8, 9, 40])
        );
        assert_eq!(updated.text(ids::LEAD_NAME).unwrap(), "Renamed 2");
        assert_eq!(updated.contacts.len(), 1, "the contact stays");
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
        let events = vec![created(3), contact(3), renamed(3, 2), renamed(3, 3)];
        let one_chunk = MemStore::new();
        let recorded = append(&one_chunk, 0, events.clone());
        project(&one_chunk, recorded.clone(), 4);
        let two_chunks = MemStore::new();
        append(&two_chunks, 0, events);
        project(&two_chunks, recorded, 2);
        assert_eq!(dump(&one_chunk), dump(&two_chunks));
        assert_eq!(load_events(&one_chunk, 3).unwrap(), Some(vec![0, 1]));
        assert_eq!(read(&one_chunk, 3).unwrap().unwrap().version, 3);
    }

    #[test]
    fn a_page_naming_another_leads_event_is_corrupt() {
        let store = MemStore::new();
        let events = append(&store, 0, leads_with_contacts(2));
        project(&store, events, 4);
        let mut page = load_page(&store, 0).unwrap();
        page.put(2, &[0, 1]).unwrap();
        let mut batch = WriteBatch::default();
        batch.put(Table::Leads, page_key(0), page.encode().unwrap());
        store.write(batch).unwrap();
        assert!(matches!(read(&store, 2), Err(StoreError::Corrupt(_))));
        assert!(read(&store, 1).unwrap().is_some());
        page.put(1, &[0, 3]).unwrap();
        let mut batch = WriteBatch::default();
        batch.put(Table::Leads, page_key(0), page.encode().unwrap());
        store.write(batch).unwrap();
        assert!(matches!(read(&store, 1), Err(StoreError::Corrupt(_))));
        page.put(1, &[99]).unwrap();
        let mut batch = WriteBatch::default();
        batch.put(Table::Leads, page_key(0), page.encode().unwrap());
        store.write(batch).unwrap();
        assert!(
            matches!(read(&store, 1), Err(StoreError::Corrupt(_))),
            "past the log's end"
        );
    }

    #[test]
    fn lean_events_project_as_whole_ones() {
        // Lead 2 is updated, then gets a contact: only then does the lean
        // path read the whole event (from the log).
        let mut events = leads_with_contacts(3);
        events.push(renamed(2, 2));
        events.push(contact(2));
        events.push(created(4));
        let whole = MemStore::new();
        let recorded = append(&whole, 0, events.clone());
        project(&whole, recorded.clone(), 3);
        let lean = MemStore::new();
        append(&lean, 0, events);
        for chunk in recorded.chunks(3) {
            let mut ov = Overlay::new(&lean);
            for rec in chunk {
                let payload = &rec.envelope.payload;
                match crate::event::lean(payload).unwrap() {
                    Some(l) => crate::projection::apply_lean(&mut ov, rec.envelope.seq, l).unwrap(),
                    None => crate::projection::apply(&mut ov, rec.clone()).unwrap(),
                }
            }
            ov.take_index();
            lean.write(ov.into_batch().unwrap()).unwrap();
        }
        let projections = |s: &MemStore| -> Vec<_> {
            crate::store::Table::PROJECTIONS
                .iter()
                .flat_map(|t| s.scan(*t, &[], &[]).map(|e| e.unwrap()).collect::<Vec<_>>())
                .collect()
        };
        assert_eq!(projections(&whole), projections(&lean));
        assert_eq!(read(&lean, 2).unwrap().unwrap().contacts.len(), 2);
    }

    #[test]
    fn the_reader_reads_events_in_any_order() {
        let store = MemStore::new();
        append(&store, 0, leads_with_contacts(100));
        let mut reader = EventReader::new(&store);
        for seq in [5, 6, 7, 150, 3, 199, 0, 40, 41, 100] {
            assert_eq!(reader.read(seq).unwrap().envelope.seq, seq);
        }
    }
}
