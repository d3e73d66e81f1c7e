//! The reading half of a catch-up: a second thread reads the events to
//! project from the log, checks their hashes and decodes them, and hands
//! them over in order, in bounded batches, while the calling thread applies
//! the previous ones and writes them. Decoding and hashing were about a
//! third of a catch-up; sled's reads still wait for its writes (a global
//! lock), but this work does not.

use std::ops::Range;
use std::sync::mpsc::{Receiver, SyncSender};

use serde::{Deserialize, Serialize};

use super::plan::{HeadSpool, SpooledHeads};
use super::LedgerError;
use crate::cursor::{EventCursor, Next};
use crate::event::{self, CrmId, Event, Kind};
use crate::log::{self, Recorded};
use crate::projection;
use crate::store::Store;

/// Events handed over per batch, and batches in flight: up to 32,768
/// events, four index ranges, so that the reading thread goes on while the
/// applying one writes a chunk (a whole range of creations at a time)
/// instead of stopping 2,048 events in. Alternating 1M rebuilds (six
/// each): median 3.41 s with 128 batches in flight against 3.86 s with 8,
/// in the same memory (64 and 256 were no different from 128). A third
/// thread that wrote each chunk while the next was applied was slower
/// (3.69 s): sled's writes and reads take one lock, and three busy threads
/// on two cores waited for it and each other.
///
/// A batch closes at `BATCH` steps, an event read whole (an update, with
/// its values before and after) counting `WHOLE` steps: without the
/// weight, the read-ahead of an update commit's catch-up held up to
/// 32,768 decoded updates, and a 1M update commit peaked at 144 to 160
/// MB against 133 to 139 MB with it (three runs each, the same time).
const BATCH: usize = 256;
const WHOLE: usize = 4;
pub(super) const BATCHES_IN_FLIGHT: usize = 128;

/// One step of the log, in sequence order.
pub(super) enum Fed {
    /// A projected event: its hash checked, decoded.
    Event(Box<Recorded>),
    /// A lead's creation or one of its sub-records: its hash checked,
    /// read lean (what the projections need, not the values).
    Lean(u64, event::Lean),
    /// An event that projects nothing (a plan row): read, not decoded.
    Unprojected(u64),
    /// Events not read at all: the append that wrote them said they
    /// project nothing.
    Skipped(Range<u64>),
    /// The events end here: the append that is projected while it
    /// appends ([`read_live`]) was acknowledged, and ended before this
    /// event.
    End(u64),
}

pub(super) type Batch = Vec<Result<Fed, LedgerError>>;

impl Fed {
    /// What the step weighs in a batch: an event read whole [`WHOLE`],
    /// any other step 1.
    fn weight(&self) -> usize {
        if matches!(self, Fed::Event(_)) {
            WHOLE
        } else {
            1
        }
    }

    /// Whether the step lies wholly before event `seq`.
    fn before(&self, seq: u64) -> bool {
        match self {
            Fed::Event(rec) => rec.envelope.seq < seq,
            Fed::Lean(at, _) | Fed::Unprojected(at) => *at < seq,
            Fed::Skipped(range) => range.end <= seq,
            Fed::End(_) => false,
        }
    }
}

/// What an append hands its own catch-up of one event it appended, in
/// the append's order ([`Handing`]): the lean reading of a lead's or a
/// sub-record's creation, or that the catch-up reads the event from the
/// log. The catch-up of a 1M-row commit read its 2.3 million events back
/// from sled (sled's reads, the blocks' frames, the lean decoding) on a
/// thread that was a seventh of the commit's CPU; what the append built
/// them from says the same in far fewer bytes.
#[derive(Serialize)]
enum HandedRef<'a> {
    FromLog,
    LeadCreated {
        crm_id: CrmId,
        kind: Kind,
        lead_name: &'a str,
        export_value: Option<&'a str>,
    },
    Sub {
        crm_id: CrmId,
    },
}

/// [`HandedRef`] read back (the same variants and fields, owned).
#[derive(Deserialize)]
pub(super) enum Handed {
    FromLog,
    LeadCreated {
        crm_id: CrmId,
        kind: Kind,
        lead_name: String,
        export_value: Option<String>,
    },
    Sub {
        crm_id: CrmId,
    },
}

impl<'a> HandedRef<'a> {
    /// What the catch-up is handed of `event`: what [`event::lean`] reads
    /// of its encoding, for the events a commit makes of its plan (a
    /// lead's creation of schema 1, whose name and export value are among
    /// its values, is read from the log).
    fn of(event: &'a Event) -> Self {
        match event {
            Event::LeadCreatedAsPlanned {
                crm_id,
                kind,
                lead_name,
                export_value,
                ..
            } => HandedRef::LeadCreated {
                crm_id: *crm_id,
                kind: *kind,
                lead_name,
                export_value: export_value.as_deref(),
            },
            Event::SubCreatedAsPlanned { crm_id, .. }
            | Event::ContactCreated { crm_id, .. }
            | Event::CommunicationCreated { crm_id, .. }
            | Event::OpportunityCreated { crm_id, .. } => HandedRef::Sub { crm_id: *crm_id },
            _ => HandedRef::FromLog,
        }
    }
}

impl Handed {
    /// What the catch-up is handed of `event`, owned (see [`HandedRef::of`]).
    fn of(event: &Event) -> Self {
        match HandedRef::of(event) {
            HandedRef::FromLog => Handed::FromLog,
            HandedRef::LeadCreated {
                crm_id,
                kind,
                lead_name,
                export_value,
            } => Handed::LeadCreated {
                crm_id,
                kind,
                lead_name: lead_name.to_owned(),
                export_value: export_value.map(str::to_owned),
            },
            HandedRef::Sub { crm_id } => Handed::Sub { crm_id },
        }
    }

    fn into_lean(self) -> Option<event::Lean> {
        match self {
            Handed::FromLog => None,
            Handed::LeadCreated {
                crm_id,
                kind,
                lead_name,
                export_value,
            } => Some(event::Lean::LeadCreated {
                crm_id,
                kind,
                lead_name,
                export_value,
            }),
            Handed::Sub { crm_id } => Some(event::Lean::Sub { crm_id }),
        }
    }
}

/// The writing half: what an append hands its own catch-up of each event
/// it builds.
pub(super) enum Handing {
    /// Recorded in a spool (a file the store gives, written 64 KiB at a
    /// time), so that a million-row commit holds none of it in memory;
    /// read back by the catch-up that runs once the append is
    /// acknowledged ([`Handover`]).
    Spooled(Box<HeadSpool>),
    /// Kept a chunk at a time for a catch-up that runs while the append
    /// does, each chunk sent to it once written ([`Ahead`]).
    Live(Vec<Handed>),
}

impl Handing {
    pub(super) fn new(spool: HeadSpool) -> Self {
        Handing::Spooled(Box::new(spool))
    }

    /// Records what is handed over of the append's next event.
    pub(super) fn push(&mut self, event: &Event) -> Result<(), LedgerError> {
        match self {
            Handing::Spooled(spool) => spool.push_record(&HandedRef::of(event)),
            Handing::Live(chunk) => {
                chunk.push(Handed::of(event));
                Ok(())
            }
        }
    }

    /// What was handed over of the events since the last call, for a
    /// catch-up that runs while the append does (nothing for a spool).
    pub(super) fn take_chunk(&mut self) -> Vec<Handed> {
        match self {
            Handing::Spooled(_) => Vec::new(),
            Handing::Live(chunk) => std::mem::take(chunk),
        }
    }

    /// The records, to be read back by the catch-up of the events
    /// `appended` (`None` when they were handed over live).
    pub(super) fn into_handover(
        self,
        appended: Range<u64>,
    ) -> Result<Option<Handover>, LedgerError> {
        match self {
            Handing::Spooled(spool) => Ok(Some(Handover {
                records: spool.into_heads()?,
                next: appended.start,
                appended,
            })),
            Handing::Live(_) => Ok(None),
        }
    }
}

/// What an append sends the catch-up that runs while it appends
/// ([`read_live`]).
pub(super) enum Ahead {
    /// The next chunk of events is written (past the head, not yet
    /// acknowledged): what was handed over of each of them.
    Written(Vec<Handed>),
    /// The append is acknowledged, and ends before this event.
    Acknowledged(u64),
}

/// The reading half: what the append handed over of each of its events
/// (`appended`), read in order.
pub(super) struct Handover {
    records: SpooledHeads,
    appended: Range<u64>,
    /// The event whose record is read next.
    next: u64,
}

impl Handover {
    /// The lean reading handed over for event `seq`, if it is one of the
    /// append's and was handed over lean (the records before it are passed
    /// over: events skipped as projecting nothing); `None` for an event
    /// to read from the log.
    fn take(&mut self, seq: u64) -> Result<Option<event::Lean>, LedgerError> {
        if !self.appended.contains(&seq) || seq < self.next {
            return Ok(None);
        }
        // The records of events passed over (skipped as projecting
        // nothing), then this event's.
        loop {
            let Some(bytes) = self.records.next_bytes()? else {
                return Err(LedgerError::Corrupt(format!(
                    "the catch-up was handed no record of event {}",
                    self.next
                )));
            };
            self.next += 1;
            if self.next > seq {
                let handed: Handed = crate::codec::decode(bytes)?;
                return Ok(handed.into_lean());
            }
        }
    }
}

/// Reads events `begin..end` (jumping over `skips`, ordered and not
/// overlapping) and sends them to `tx`, an error last; stops when the
/// receiver is gone. The hashes of the events in `sealed_here` are not
/// checked again: this process sealed them in the append just before (a
/// catch-up on open and a rebuild check every one, and so does `ledger
/// verify`).
pub(super) fn read<S: Store>(
    store: &S,
    begin: u64,
    end: u64,
    skips: &[Range<u64>],
    sealed_here: Range<u64>,
    handed: Option<Handover>,
    tx: &SyncSender<Batch>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut unchecked = log::SealedBatch::default();
    let read = read_into(
        store,
        begin,
        end,
        skips,
        &sealed_here,
        handed,
        tx,
        &mut batch,
        &mut unchecked,
    );
    // An event before the one that failed may not match its hash: that
    // is the first error.
    if checked(&mut batch, &unchecked) {
        if let Err(e) = read {
            batch.push(Err(e));
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(batch);
    }
}

/// Reads the events of an append from `begin` while it appends, as it
/// says each chunk of them is written ([`Ahead`]), and sends them to `tx`
/// ending with [`Fed::End`] once it is acknowledged, or with an error if
/// it stops before; stops when the receiver is gone. What was handed over
/// lean stands for its event; the others are read from the log (their
/// blocks are written before their chunk is announced). This process
/// sealed every one of them, so no hash is checked again.
pub(super) fn read_live<S: Store>(
    store: &S,
    begin: u64,
    written: &Receiver<Ahead>,
    tx: &SyncSender<Batch>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    if let Err(e) = read_live_into(store, begin, written, tx, &mut batch) {
        batch.push(Err(e));
    }
    if !batch.is_empty() {
        let _ = tx.send(batch);
    }
}

fn read_live_into<S: Store>(
    store: &S,
    begin: u64,
    written: &Receiver<Ahead>,
    tx: &SyncSender<Batch>,
    batch: &mut Batch,
) -> Result<(), LedgerError> {
    let sealed_here = begin..u64::MAX;
    let mut unchecked = log::SealedBatch::default();
    let mut next = begin;
    let mut weight = 0;
    loop {
        let Ok(message) = written.recv() else {
            return Err(LedgerError::Corrupt(format!(
                "the append stopped at event {next}, before it was acknowledged"
            )));
        };
        let records = match message {
            Ahead::Acknowledged(end) if end == next => {
                batch.push(Ok(Fed::End(end)));
                return Ok(());
            }
            Ahead::Acknowledged(end) => {
                return Err(LedgerError::Corrupt(format!(
                    "the append was acknowledged up to event {end}, but its events were handed over up to {next}"
                )))
            }
            Ahead::Written(records) => records,
        };
        let chunk_end = next + records.len() as u64;
        // A cursor over the chunk's blocks, made for the first event read
        // from the log and again after events handed over lean.
        let mut cursor: Option<(EventCursor<'_>, u64)> = None;
        for handed in records {
            let fed = match handed.into_lean() {
                Some(lean) => Fed::Lean(next, lean),
                None => {
                    if cursor.as_ref().is_none_or(|(_, at)| *at != next) {
                        cursor = Some((EventCursor::new(store, next, chunk_end), next));
                    }
                    let Some((cursor, at)) = cursor.as_mut() else {
                        return Err(LedgerError::Corrupt("no cursor over the log".into()));
                    };
                    let Some(entry) = cursor.next_unless(None) else {
                        return Err(LedgerError::Corrupt(format!(
                            "event {next} is missing from the log"
                        )));
                    };
                    *at += 1;
                    fed(entry?, &sealed_here, &mut unchecked)?
                }
            };
            next += 1;
            weight += fed.weight();
            batch.push(Ok(fed));
            if batch.len() >= BATCH || weight >= BATCH {
                weight = 0;
                if tx.send(std::mem::take(batch)).is_err() {
                    return Ok(());
                }
            }
        }
        // What the chunk gave goes now: the next may be a while coming.
        if !batch.is_empty() {
            weight = 0;
            if tx.send(std::mem::take(batch)).is_err() {
                return Ok(());
            }
        }
    }
}

/// Checks the hashes of the batch's events collected in `unchecked`,
/// several at a time. When one does not match, the batch is cut before
/// it, ends with that error, and `false` is returned.
fn checked(batch: &mut Batch, unchecked: &log::SealedBatch) -> bool {
    if unchecked.is_empty() {
        return true;
    }
    let Err(e) = unchecked.check() else {
        return true;
    };
    let bad = match e {
        log::LogError::HashMismatch { seq } | log::LogError::Truncated { seq } => seq,
        _ => 0,
    };
    batch.retain(|fed| matches!(fed, Ok(fed) if fed.before(bad)));
    batch.push(Err(e.into()));
    false
}

#[allow(clippy::too_many_arguments)]
fn read_into<S: Store>(
    store: &S,
    begin: u64,
    end: u64,
    skips: &[Range<u64>],
    sealed_here: &Range<u64>,
    mut handed: Option<Handover>,
    tx: &SyncSender<Batch>,
    batch: &mut Batch,
    unchecked: &mut log::SealedBatch,
) -> Result<(), LedgerError> {
    let mut skips = skips.iter().peekable();
    let mut next = begin;
    let mut cursor = EventCursor::new(store, next, end);
    // The event the cursor reads next: events handed over lean are not
    // read from the log, and the cursor starts again after them.
    let mut cursor_next = next;
    let mut weight = 0;
    while next < end {
        while skips.next_if(|r| r.end <= next).is_some() {}
        if let Some(skip) = skips.peek().filter(|r| r.start <= next) {
            let to = skip.end.min(end);
            batch.push(Ok(Fed::Skipped(next..to)));
            next = to;
            cursor = EventCursor::new(store, next, end);
            cursor_next = next;
        } else if let Some(lean) = match handed.as_mut() {
            Some(handed) => handed.take(next)?,
            None => None,
        } {
            // The append that wrote this event handed over what its
            // catch-up needs of it: nothing is read from the log.
            batch.push(Ok(Fed::Lean(next, lean)));
            next += 1;
        } else {
            if cursor_next != next {
                cursor = EventCursor::new(store, next, end);
            }
            // The plan rows of a preview stay in the log and project to
            // nothing: skip them without hashing them again (a tenth of a
            // preview; `ledger verify` proves them), and in a compact
            // block without even making them whole again. Every event
            // that changes a projection has its hash checked first.
            let Some(entry) = cursor.next_unless(Some(projection::UNPROJECTED)) else {
                return Err(LedgerError::Corrupt(format!(
                    "event {next} is missing from the log"
                )));
            };
            let fed = fed(entry?, sealed_here, unchecked)?;
            next += 1;
            cursor_next = next;
            weight += fed.weight();
            batch.push(Ok(fed));
        }
        if batch.len() >= BATCH || weight >= BATCH {
            weight = 0;
            let ok = checked(batch, unchecked);
            unchecked.clear();
            if tx.send(std::mem::take(batch)).is_err() || !ok {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// What the applying side is fed for one event the cursor read: a plan
/// row passed over, or the event read lean or whole, its bytes added to
/// `unchecked` for its hash to be checked with its batch's (unless this
/// process sealed it).
fn fed(
    next: Next<'_>,
    sealed_here: &Range<u64>,
    unchecked: &mut log::SealedBatch,
) -> Result<Fed, LedgerError> {
    let (seq, bytes, parts) = match next {
        Next::Skipped(seq) => return Ok(Fed::Unprojected(seq)),
        Next::Event(seq, bytes, parts) => (seq, bytes, parts),
    };
    // The type tag and payload: from the compact frame when the cursor
    // read one, else from the event's bytes.
    let (type_tag, payload) = match parts {
        Some(parts) => parts,
        None => {
            let envelope = log::open_head(seq, bytes)?;
            (envelope.type_tag, envelope.payload)
        }
    };
    if type_tag == projection::UNPROJECTED {
        return Ok(Fed::Unprojected(seq));
    }
    let hash = log::stored_hash(seq, bytes)?;
    if !sealed_here.contains(&seq) {
        unchecked.push(seq, bytes);
    }
    // Most of a commit is leads and their sub-records, whose values the
    // projections do not copy: only their keys are read, without copying
    // the envelope or the values.
    let lean = match type_tag {
        "LeadCreated" | "ContactCreated" | "CommunicationCreated" | "OpportunityCreated" => {
            event::lean(payload).map_err(|source| {
                LedgerError::Corrupt(format!("event {seq} cannot be decoded: {source}"))
            })?
        }
        _ => None,
    };
    Ok(match lean {
        Some(lean) => Fed::Lean(seq, lean),
        None => {
            let envelope = log::open_head(seq, bytes)?;
            Fed::Event(Box::new(log::decode_payload(envelope.to_envelope(), hash)?))
        }
    })
}

/// The receiving end of a reading thread: its items in order, a batch at a
/// time; it ends when the thread is done (and drops its sender).
pub(super) struct Batched<T> {
    rx: Receiver<Vec<T>>,
    batch: std::vec::IntoIter<T>,
}

impl<T> Batched<T> {
    pub(super) fn new(rx: Receiver<Vec<T>>) -> Self {
        Batched {
            rx,
            batch: Vec::new().into_iter(),
        }
    }
}

impl<T> Iterator for Batched<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        loop {
            if let Some(item) = self.batch.next() {
                return Some(item);
            }
            self.batch = self.rx.recv().ok()?.into_iter();
        }
    }
}

/// The applying side: the fed steps one at a time.
pub(super) struct Feed {
    steps: Batched<Result<Fed, LedgerError>>,
    /// A step put back (a skipped range cut at a chunk's end, or one
    /// taken to see whether the events end).
    back: Option<Fed>,
    /// Where the events end, once known: from the start for a catch-up
    /// after an append, from [`Fed::End`] for one that runs while it
    /// appends.
    end: Option<u64>,
}

impl Feed {
    pub(super) fn new(rx: Receiver<Batch>, end: Option<u64>) -> Self {
        Feed {
            steps: Batched::new(rx),
            back: None,
            end,
        }
    }

    fn ended() -> LedgerError {
        LedgerError::Corrupt("the log ended before the projections caught up".into())
    }

    /// The next step; an error when the reading thread stopped early.
    pub(super) fn next(&mut self) -> Result<Fed, LedgerError> {
        if let Some(fed) = self.back.take() {
            return Ok(fed);
        }
        match self.steps.next() {
            Some(Ok(Fed::End(end))) => {
                self.end = Some(end);
                Err(Self::ended())
            }
            Some(step) => step,
            None => Err(Self::ended()),
        }
    }

    /// Whether the events end before event `next` (waiting, when their
    /// end is not known yet, for the next step or the end).
    pub(super) fn at_end(&mut self, next: u64) -> Result<bool, LedgerError> {
        if let Some(end) = self.end {
            return Ok(next >= end);
        }
        if self.back.is_some() {
            return Ok(false);
        }
        match self.steps.next() {
            Some(Ok(Fed::End(end))) => {
                self.end = Some(end);
                Ok(next >= end)
            }
            Some(Ok(fed)) => {
                self.back = Some(fed);
                Ok(false)
            }
            Some(Err(e)) => Err(e),
            None => Err(Self::ended()),
        }
    }

    /// Where the events end, if known.
    pub(super) fn end(&self) -> Option<u64> {
        self.end
    }

    pub(super) fn put_back(&mut self, fed: Fed) {
        debug_assert!(self.back.is_none());
        self.back = Some(fed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Ledger, LedgerOptions, SystemClock};
    use crate::event::{CommitCounts, SubKind};
    use crate::memstore::MemStore;

    fn ledger() -> Ledger<MemStore> {
        Ledger::open(
            MemStore::new(),
            Box::new(SystemClock),
            LedgerOptions::default(),
        )
        .unwrap()
    }

    /// The events a commit makes, and others.
    fn events() -> Vec<Event> {
        let planned = |crm_id, export: Option<&str>| Event::LeadCreatedAsPlanned {
            import_id: 7,
            row: 2,
            crm_id,
            kind: if crm_id % 2 == 0 {
                Kind::Leads
            } else {
                Kind::Organizations
            },
            plan: 40 + crm_id,
            lead_name: format!("Zoë's Bäckerei {crm_id}"),
            export_value: export.map(str::to_owned),
        };
        let mut out = vec![
            planned(1, Some("E-1")),
            planned(2, None),
            planned(3, Some("")),
        ];
        for sub in SubKind::ALL {
            out.push(Event::SubCreatedAsPlanned {
                import_id: 7,
                row: 2,
                crm_id: 3,
                sub,
                plan: 43,
            });
        }
        out.push(Event::ContactCreated {
            import_id: 7,
            row: 3,
            crm_id: 9,
            fields: Vec::new(),
        });
        out.push(Event::ImportCommitted {
            import_id: 7,
            counts: CommitCounts::default(),
            events: 7,
            fields_touched: 1,
        });
        out
    }

    /// What the catch-up is handed of an event is what it reads of the
    /// event's encoding: for every event a commit makes of its plan,
    /// through a spool and handed over live.
    #[test]
    fn what_is_handed_over_is_what_the_log_would_give() {
        for event in events() {
            let mut bytes = Vec::new();
            crate::codec::encode_into(&HandedRef::of(&event), &mut bytes).unwrap();
            let spooled: Handed = crate::codec::decode(&bytes).unwrap();
            let live = Handed::of(&event);
            let from_log = event::lean(&crate::codec::encode(&event).unwrap()).unwrap();
            for handed in [spooled, live] {
                match handed.into_lean() {
                    Some(lean) => assert_eq!(Some(lean), from_log, "{event:?}"),
                    None => assert!(
                        matches!(event, Event::ImportCommitted { .. }),
                        "{event:?} is read from the log"
                    ),
                }
            }
        }
    }

    /// A handover gives each appended event's record in order, passes over
    /// the records of events skipped, leaves events outside the append
    /// to the log, and names an event it has no record of.
    #[test]
    fn a_handover_is_read_in_the_append_s_order() {
        let l = ledger();
        let events = events();
        let mut handing = Handing::new(HeadSpool::new(&l).unwrap());
        for event in &events {
            handing.push(event).unwrap();
        }
        let lean = |i: usize| event::lean(&crate::codec::encode(&events[i]).unwrap()).unwrap();
        let mut handover = handing.into_handover(100..108).unwrap().unwrap();
        assert_eq!(handover.take(99).unwrap(), None, "before the append");
        assert_eq!(handover.take(100).unwrap(), lean(0));
        // 101 and 102 skipped.
        assert_eq!(handover.take(103).unwrap(), lean(3));
        assert_eq!(handover.take(102).unwrap(), None, "already passed");
        assert_eq!(
            handover.take(107).unwrap(),
            None,
            "the commit, from the log"
        );
        assert_eq!(handover.take(108).unwrap(), None, "after the append");
        let mut short = Handing::new(HeadSpool::new(&l).unwrap());
        short.push(&events[0]).unwrap();
        let mut short = short.into_handover(100..102).unwrap().unwrap();
        assert_eq!(short.take(100).unwrap(), lean(0));
        let e = short.take(101).unwrap_err();
        assert!(e.to_string().contains("event 101"), "{e}");
    }
}
