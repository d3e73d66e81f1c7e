//! Reading a preview's frozen plan back from the log, row by row: what the
//! commit applies ([`PlanRows::new`], each event's hash checked), the
//! findings an answer lists ([`PlanRows::for_report`]), and the rows and a
//! commit's leads the answers show ([`PlanHeads`], [`CommitLeads`]: only
//! each row's head decoded), streamed so that no answer holds every row.
//!
//! The preview and the commit that answer at once write those heads to a
//! [`HeadSpool`] as their rows go by, and answer from it ([`SpooledHeads`])
//! instead of reading the plan back: reading a million plan rows back
//! through sled's cache was a commit's peak of memory, and a second.
//!
//! A preview's spool also stages its plan for the commit ([`StagedRow`]):
//! each row's head and, for a create, what committing it needs of its
//! plan row. When the plan can be committed and has no updates, the
//! preview keeps that file and records its blake3 digest in its summary
//! event; a commit that directly follows its preview reads the staged
//! plan ([`read_staged`]) instead of the plan rows, and uses it only if it
//! has that digest (a staged plan that is missing or differs is read past:
//! the commit reads the log as before).

use std::borrow::Cow;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use super::events::EventCursor;
use super::report::{self, CommitLeadView};
use super::{Ledger, LedgerError};
use crate::catalogue::ids;
use crate::codec;
use crate::event::{self, CrmId, Event, Fields, Hash, OutcomeHead, PlannedCreate};
use crate::log;
use crate::projection;
use crate::projection::records::{ImportState, PlannedRow};
use crate::store::{Spool, Store, StoreError};
use crate::value::Value;

/// The rows of a preview, read from its `RowValidated` events in log
/// order (which is row order), streaming.
pub(super) struct PlanRows<'a> {
    events: EventCursor<'a>,
    /// Check each event's hash (the commit acts on the plan; the reports
    /// only show it).
    checked: bool,
}

impl<'a> PlanRows<'a> {
    /// The plan, each event's hash checked: what the commit applies.
    pub(super) fn new<S: Store>(ledger: &'a Ledger<S>, state: &ImportState) -> Self {
        let (first, last) = state.preview_seqs;
        PlanRows {
            events: EventCursor::new(&ledger.store, first + 1, last),
            checked: true,
        }
    }

    /// The plan for an answer's findings, read without checking hashes
    /// (`ledger verify` is what proves the log).
    pub(super) fn for_report<S: Store>(ledger: &'a Ledger<S>, state: &ImportState) -> Self {
        PlanRows {
            checked: false,
            ..PlanRows::new(ledger, state)
        }
    }
}

/// The plan row a decoded event is, if it is one.
fn planned(event: Event) -> Option<PlannedRow> {
    match event {
        Event::RowValidated {
            row,
            lead_name,
            outcome,
            issues,
            ..
        } => Some(PlannedRow {
            row,
            lead_name,
            outcome,
            issues,
        }),
        _ => None,
    }
}

impl Iterator for PlanRows<'_> {
    type Item = Result<PlannedRow, LedgerError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let rec = match self.events.next_event()? {
                Ok((seq, bytes)) if self.checked => log::read_event(seq, bytes),
                Ok((seq, bytes)) => log::open_unchecked(seq, bytes)
                    .and_then(|(envelope, hash)| log::decode_payload(envelope, hash)),
                Err(e) => return Some(Err(e.into())),
            };
            match rec {
                Ok(rec) => {
                    if let Some(planned) = planned(rec.event) {
                        return Some(Ok(planned));
                    }
                }
                Err(e) => return Some(Err(e.into())),
            }
        }
    }
}

/// A step of the plan as the commit reads it: a row decoded (with its
/// sequence number), or a create read without decoding its values
/// ([`PlannedCreate::read`]) and the mask of the fields it writes.
pub(super) enum PlanStep {
    Row(u64, PlannedRow),
    Create(PlannedCreate, u64),
    /// An unchanged row, read from a staged plan (which is read only when
    /// rows are not checked).
    Unchanged,
}

/// The plan that the commit applies, with the creates read raw when
/// `raw_creates` (they need no staleness check: their events only name
/// their plan row). Each event's sealed bytes are copied to `sealed`, for
/// the receiving side to check its hash ([`PlanAhead`]).
struct PlanSteps<'a> {
    events: EventCursor<'a>,
    raw_creates: bool,
    sealed: log::SealedBatch,
}

impl PlanSteps<'_> {
    fn step(seq: u64, bytes: &[u8], raw_creates: bool) -> Result<Option<PlanStep>, LedgerError> {
        let hash = log::stored_hash(seq, bytes)?;
        let envelope = log::open_head(seq, bytes)?;
        if raw_creates {
            let raw = PlannedCreate::read(seq, envelope.payload)
                .map_err(|source| log::LogError::Decode { seq, source })?;
            if let Some((create, touched)) = raw {
                return Ok(Some(PlanStep::Create(create, touched)));
            }
        }
        let rec = log::decode_payload(envelope.to_envelope(), hash)?;
        Ok(planned(rec.event).map(|p| PlanStep::Row(seq, p)))
    }
}

impl Iterator for PlanSteps<'_> {
    type Item = Result<PlanStep, LedgerError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let step = match self.events.next_event()? {
                Ok((seq, bytes)) => {
                    self.sealed.push(seq, bytes);
                    Self::step(seq, bytes, self.raw_creates)
                }
                Err(e) => return Some(Err(e.into())),
            };
            match step {
                Ok(Some(step)) => return Some(Ok(step)),
                Ok(None) => {}
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// Rows read ahead per batch, and batches in flight.
const AHEAD_BATCH: usize = 256;
pub(super) const AHEAD_BATCHES: usize = 8;

/// A batch of the plan's steps and the events they were read from, whose
/// hashes the receiving side checks before it gives out any step of it.
pub(super) struct AheadBatch {
    steps: Vec<Result<PlanStep, LedgerError>>,
    sealed: log::SealedBatch,
}

/// Reads the plan that the commit applies (creates raw when
/// `raw_creates`, see [`PlanSteps`]) on a second thread and hands the rows
/// over in bounded batches, with the events they were read from; stops
/// after an error or once the receiver is gone. Reading, checking and
/// decoding the plan was a third of a commit's appending. The receiving
/// side checks the hashes ([`PlanAhead`]): on this thread they were 40% of
/// its time, and this thread was the one the commit waited for.
///
/// Each row's head is written to `spool` as the row is read (for the
/// commit's answer); a spool that fails fails the read.
pub(super) fn read_ahead<S: Store>(
    ledger: &Ledger<S>,
    state: &ImportState,
    raw_creates: bool,
    tx: &std::sync::mpsc::SyncSender<AheadBatch>,
    spool: &mut HeadSpool,
) {
    let mut batch = Vec::with_capacity(AHEAD_BATCH);
    let (first, last) = state.preview_seqs;
    let mut steps = PlanSteps {
        events: EventCursor::new(&ledger.store, first + 1, last),
        raw_creates,
        sealed: log::SealedBatch::default(),
    };
    let send = |steps: Vec<Result<PlanStep, LedgerError>>, sealed: &mut log::SealedBatch| {
        tx.send(AheadBatch {
            steps,
            sealed: std::mem::take(sealed),
        })
        .is_ok()
    };
    while let Some(row) = steps.next() {
        let row = row.and_then(|step| {
            match &step {
                PlanStep::Row(_, p) => {
                    spool.push_head(p.row, &p.lead_name, OutcomeHead::of(&p.outcome))?
                }
                PlanStep::Create(c, _) => {
                    spool.push_head(c.row, &c.lead_name, OutcomeHead::Create)?
                }
                // `PlanSteps` reads no staged plan.
                PlanStep::Unchanged => {}
            }
            Ok(step)
        });
        let failed = row.is_err();
        batch.push(row);
        if failed || batch.len() >= AHEAD_BATCH {
            // An error goes over with the rows before it, and ends the read.
            let sent = send(std::mem::take(&mut batch), &mut steps.sealed);
            if !sent || failed {
                return;
            }
        }
    }
    // The heads still buffered go to the spool now, so that a spool that
    // fails fails the commit, not its answer.
    if let Err(e) = spool.write_buffered() {
        batch.push(Err(e));
    }
    if !batch.is_empty() {
        send(batch, &mut steps.sealed);
    }
}

/// The receiving end of [`read_ahead`]: the plan's rows, in order, each
/// batch's hashes checked before its first row is given (an event that
/// does not match its hash ends the plan with that error, so no row of
/// its batch is applied).
pub(super) struct PlanAhead {
    rx: std::sync::mpsc::Receiver<AheadBatch>,
    batch: std::vec::IntoIter<Result<PlanStep, LedgerError>>,
    failed: bool,
}

impl PlanAhead {
    pub(super) fn new(rx: std::sync::mpsc::Receiver<AheadBatch>) -> Self {
        PlanAhead {
            rx,
            batch: Vec::new().into_iter(),
            failed: false,
        }
    }
}

impl Iterator for PlanAhead {
    type Item = Result<PlanStep, LedgerError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.failed {
                return None;
            }
            if let Some(step) = self.batch.next() {
                return Some(step);
            }
            let batch = self.rx.recv().ok()?;
            if let Err(e) = batch.sealed.check() {
                self.failed = true;
                return Some(Err(e.into()));
            }
            self.batch = batch.steps.into_iter();
        }
    }
}

/// One row of a preview's plan as the answers show it: its row, the name
/// the preview showed, and what it plans (read with [`event::row_head`]:
/// no values or findings decoded).
pub(super) struct PlanHead {
    pub(super) row: u32,
    pub(super) lead_name: String,
    pub(super) outcome: OutcomeHead,
}

/// The rows of a preview for its answers, in row order, reading only each
/// event's head; hashes are not checked (`ledger verify` proves the log).
pub(super) struct PlanHeads<'a> {
    events: EventCursor<'a>,
}

impl<'a> PlanHeads<'a> {
    pub(super) fn new<S: Store>(ledger: &'a Ledger<S>, state: &ImportState) -> Self {
        let (first, last) = state.preview_seqs;
        PlanHeads {
            events: EventCursor::new(&ledger.store, first + 1, last),
        }
    }
}

impl Iterator for PlanHeads<'_> {
    type Item = Result<PlanHead, LedgerError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (seq, bytes) = match self.events.next_event()? {
                Ok(next) => next,
                Err(e) => return Some(Err(e.into())),
            };
            let head = log::open_head(seq, bytes).and_then(|envelope| {
                if envelope.type_tag != projection::UNPROJECTED {
                    return Ok(None);
                }
                let row = event::row_head(envelope.payload)
                    .map_err(|source| log::LogError::Decode { seq, source })?;
                Ok(Some(PlanHead {
                    row: row.row,
                    lead_name: row.lead_name.to_owned(),
                    outcome: row.outcome,
                }))
            });
            match head {
                Ok(Some(head)) => return Some(Ok(head)),
                Ok(None) => continue,
                Err(e) => return Some(Err(e.into())),
            }
        }
    }
}

/// What committing a planned create needs of its plan row, beyond the
/// row's head ([`PlannedCreate`], and the mask of the fields it writes):
/// staged by the preview ([`StagedRow`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct StagedCreate {
    /// The lead name committed, when it is not the head's.
    pub(super) lead_name: Option<String>,
    pub(super) export_value: Option<String>,
    pub(super) subs: [bool; 3],
    pub(super) touched: u64,
}

impl StagedCreate {
    /// What a planned create stages, given the head's lead name.
    pub(super) fn of(create: PlannedCreate, touched: u64, head_name: &str) -> Self {
        StagedCreate {
            lead_name: (create.lead_name != head_name).then_some(create.lead_name),
            export_value: create.export_value,
            subs: create.subs,
            touched,
        }
    }
}

/// A [`StagedCreate`] as the preview writes it, borrowed from the planned
/// create's values where they are text (the same encoding: a `Cow<str>`
/// is encoded as the `String` it reads back as).
#[derive(Serialize)]
pub(super) struct StagedCreateRef<'a> {
    lead_name: Option<Cow<'a, str>>,
    export_value: Option<Cow<'a, str>>,
    subs: [bool; 3],
    touched: u64,
}

impl<'a> StagedCreateRef<'a> {
    /// What a planned create of `fields` (with `subs`) stages, given the
    /// head's lead name: as [`StagedCreate::of`] of
    /// [`PlannedCreate::of`] and [`PlannedCreate::touched`], in one walk.
    pub(super) fn of(fields: &'a Fields, subs: [Option<&Fields>; 3], head_name: &str) -> Self {
        let text = |v: &'a Value| match v {
            Value::Text(s) => Cow::Borrowed(s.as_str()),
            other => Cow::Owned(other.to_string()),
        };
        let (mut lead_name, mut export_value) = (None, None);
        let mut touched = 0u64;
        for (field, value) in fields {
            touched |= 1u64 << field.0;
            if *field == ids::LEAD_NAME {
                lead_name = Some(text(value));
            } else if *field == ids::EXPORT_VALUE {
                export_value = Some(text(value));
            }
        }
        for list in subs.iter().flatten() {
            touched |= PlannedCreate::touched(list, [None; 3]);
        }
        let lead_name = lead_name.unwrap_or_default();
        StagedCreateRef {
            lead_name: (lead_name != head_name).then_some(lead_name),
            export_value,
            subs: subs.map(|s| s.is_some()),
            touched,
        }
    }
}

/// One record of a [`HeadSpool`]: a row's head (row, the name the preview
/// showed, what it plans) and, in a staged plan, what committing a create
/// needs ([`StagedCreate`]). Encoded as a tuple: `(row, lead_name,
/// outcome, create)`.
type StagedRow = (u32, String, OutcomeHead, Option<StagedCreate>);

/// The heads of a preview's rows, written to a scratch file ([`Spool`])
/// while the rows go by: each `[length: u32 LE][encoded StagedRow]`. A
/// staging spool ([`HeadSpool::staging`]) also hashes what it writes, and
/// can be kept as the preview's staged plan ([`HeadSpool::keep`]).
pub(super) struct HeadSpool {
    out: Box<dyn Spool>,
    buf: Vec<u8>,
    /// The digest of the records written so far, when staging.
    staging: Option<blake3::Hasher>,
}

fn spool_io(e: std::io::Error) -> LedgerError {
    LedgerError::Store(StoreError::Io(format!("an answer's spool failed: {e}")))
}

/// Encodes one record of a [`HeadSpool`] at the end of `buf`: `[length:
/// u32 LE][encoded StagedRow]`.
fn encode_record<C: Serialize>(
    buf: &mut Vec<u8>,
    row: u32,
    lead_name: &str,
    outcome: OutcomeHead,
    create: Option<&C>,
) -> Result<(), crate::codec::CodecError> {
    encode_framed(buf, &(row, lead_name, outcome, create))
}

/// Encodes `value` at the end of `buf` as a spool's record: `[length:
/// u32 LE][encoding]`.
fn encode_framed<T: Serialize>(
    buf: &mut Vec<u8>,
    value: &T,
) -> Result<(), crate::codec::CodecError> {
    let start = buf.len();
    buf.extend_from_slice(&[0; 4]);
    codec::encode_into(value, buf)?;
    let len = u32::try_from(buf.len() - start - 4)
        .map_err(|_| crate::codec::CodecError::Encode("a spool's record is too long".into()))?;
    buf[start..start + 4].copy_from_slice(&len.to_le_bytes());
    Ok(())
}

/// Records are hashed and written this many bytes at a time: blake3
/// hashes a long input several chunks at once, and a record at a time
/// one block after another (half of what staging cost a preview).
const RECORDS_BATCH: usize = 64 * 1024;

/// The digest of the plan a preview would stage, recomputed from its plan
/// rows as stored in the log (`ledger verify` proves a recorded digest
/// with it): the same records as the preview's [`HeadSpool`] wrote, each
/// made from a plan row's head and, for a create, what
/// [`PlannedCreate::read`] reads of its values.
#[derive(Default)]
pub(super) struct StagedDigest {
    /// `None` once a row that a staged plan cannot hold was seen.
    hasher: Option<blake3::Hasher>,
    buf: Vec<u8>,
}

impl StagedDigest {
    /// A digest of no rows yet: a preview's `FileReceived`.
    pub(super) fn start(&mut self) {
        self.hasher = Some(blake3::Hasher::new());
        self.buf.clear();
    }

    /// Adds the plan row at `seq` (`payload`: its event's encoding).
    pub(super) fn row(&mut self, seq: u64, payload: &[u8]) -> Result<(), log::LogError> {
        let Some(hasher) = &mut self.hasher else {
            return Ok(());
        };
        let decode = |source| log::LogError::Decode { seq, source };
        let head = event::row_head(payload).map_err(decode)?;
        let create = match head.outcome {
            OutcomeHead::Create => PlannedCreate::read(seq, payload)
                .map_err(decode)?
                .map(|(create, touched)| StagedCreate::of(create, touched, head.lead_name)),
            OutcomeHead::Unchanged { .. } => None,
            OutcomeHead::Update { .. } | OutcomeHead::Invalid => {
                self.hasher = None;
                self.buf.clear();
                return Ok(());
            }
        };
        encode_record(
            &mut self.buf,
            head.row,
            head.lead_name,
            head.outcome,
            create.as_ref(),
        )
        .map_err(log::LogError::Encode)?;
        if self.buf.len() >= RECORDS_BATCH {
            hasher.update(&self.buf);
            self.buf.clear();
        }
        Ok(())
    }

    /// The digest of the rows since [`StagedDigest::start`], if a staged
    /// plan could hold them all.
    pub(super) fn finish(&mut self) -> Option<Hash> {
        let rest = std::mem::take(&mut self.buf);
        self.hasher
            .take()
            .map(|mut h| *h.update(&rest).finalize().as_bytes())
    }
}

/// The name a staged plan is kept under: its digest.
pub(super) fn staged_name(digest: &Hash) -> String {
    format!("plan-{}", report::hex(digest))
}

impl HeadSpool {
    pub(super) fn new<S: Store>(ledger: &Ledger<S>) -> Result<Self, LedgerError> {
        Ok(HeadSpool {
            out: ledger.store.spool()?,
            buf: Vec::with_capacity(RECORDS_BATCH + 1024),
            staging: None,
        })
    }

    /// A spool that stages the plan: a preview's.
    pub(super) fn staging<S: Store>(ledger: &Ledger<S>) -> Result<Self, LedgerError> {
        Ok(HeadSpool {
            out: ledger.store.staging()?,
            buf: Vec::with_capacity(RECORDS_BATCH + 1024),
            staging: Some(blake3::Hasher::new()),
        })
    }

    /// Hashes (when staging) and writes the records buffered.
    pub(super) fn write_buffered(&mut self) -> Result<(), LedgerError> {
        if let Some(hasher) = &mut self.staging {
            hasher.update(&self.buf);
        }
        self.out.write_all(&self.buf).map_err(spool_io)?;
        self.buf.clear();
        Ok(())
    }

    /// Writes one row's record: `create` is a [`StagedCreate`] or a
    /// [`StagedCreateRef`], for a create in a staged plan.
    pub(super) fn push<C: Serialize>(
        &mut self,
        row: u32,
        lead_name: &str,
        outcome: OutcomeHead,
        create: Option<&C>,
    ) -> Result<(), LedgerError> {
        self.push_record(&(row, lead_name, outcome, create))
    }

    /// Writes a record of another shape (what an append hands its
    /// catch-up: `feed::Handing`), read back with
    /// [`SpooledHeads::next_bytes`].
    pub(super) fn push_record<T: Serialize>(&mut self, value: &T) -> Result<(), LedgerError> {
        encode_framed(&mut self.buf, value)?;
        if self.buf.len() >= RECORDS_BATCH {
            self.write_buffered()?;
        }
        Ok(())
    }

    /// Writes one row's head, with nothing staged.
    pub(super) fn push_head(
        &mut self,
        row: u32,
        lead_name: &str,
        outcome: OutcomeHead,
    ) -> Result<(), LedgerError> {
        self.push::<StagedCreate>(row, lead_name, outcome, None)
    }

    /// The digest of what a staging spool holds so far.
    pub(super) fn digest(&mut self) -> Result<Option<Hash>, LedgerError> {
        self.write_buffered()?;
        Ok(self.staging.as_ref().map(|h| *h.finalize().as_bytes()))
    }

    /// The heads written, in the order they were pushed.
    pub(super) fn into_heads(mut self) -> Result<SpooledHeads, LedgerError> {
        self.write_buffered()?;
        Ok(SpooledHeads::new(self.out.into_reader()?))
    }

    /// [`HeadSpool::into_heads`], the file kept as the staged plan whose
    /// digest is `digest` (see [`Spool::keep`]).
    pub(super) fn keep(mut self, digest: &Hash) -> Result<SpooledHeads, LedgerError> {
        self.write_buffered()?;
        Ok(SpooledHeads::new(self.out.keep(&staged_name(digest))?))
    }
}

/// The records of a [`HeadSpool`] or a staged plan, read back once (a
/// batch of bytes at a time); with a digest of the bytes read, when asked
/// for.
pub(super) struct SpooledHeads {
    input: Box<dyn Read + Send>,
    /// Bytes read and not yet taken, from `pos`.
    buf: Vec<u8>,
    pos: usize,
    hasher: Option<blake3::Hasher>,
}

impl SpooledHeads {
    fn new(input: Box<dyn Read + Send>) -> Self {
        SpooledHeads {
            input,
            buf: Vec::new(),
            pos: 0,
            hasher: None,
        }
    }

    /// Reads until `need` bytes are buffered from `pos`: false when the
    /// input ended with none. The buffer grows by what is read, a batch at
    /// a time, never by `need` at once: a damaged length in a staged plan
    /// cannot make it allocate more than the file holds.
    fn fill(&mut self, need: usize) -> Result<bool, LedgerError> {
        while self.buf.len() - self.pos < need {
            self.buf.drain(..self.pos);
            self.pos = 0;
            let old = self.buf.len();
            self.buf.resize(old + RECORDS_BATCH, 0);
            let n = loop {
                match self.input.read(&mut self.buf[old..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(spool_io(e)),
                }
            };
            self.buf.truncate(old + n);
            if let Some(hasher) = &mut self.hasher {
                hasher.update(&self.buf[old..]);
            }
            if n == 0 {
                // The spool ends where a record would start; anywhere else
                // is a cut record (whose bytes go: the next read ends).
                self.buf.clear();
                return match old {
                    0 => Ok(false),
                    _ => Err(spool_io(std::io::ErrorKind::UnexpectedEof.into())),
                };
            }
        }
        Ok(true)
    }

    /// The next record's encoded bytes (valid until the next read).
    pub(super) fn next_bytes(&mut self) -> Result<Option<&[u8]>, LedgerError> {
        if !self.fill(4)? {
            return Ok(None);
        }
        let at = self.pos;
        let len = u32::from_le_bytes(self.buf[at..at + 4].try_into().expect("4 bytes")) as usize;
        if !self.fill(4 + len)? {
            return Err(spool_io(std::io::ErrorKind::UnexpectedEof.into()));
        }
        let start = self.pos + 4;
        self.pos = start + len;
        Ok(Some(&self.buf[start..start + len]))
    }

    fn read_record(&mut self) -> Result<Option<StagedRow>, LedgerError> {
        match self.next_bytes()? {
            Some(bytes) => Ok(Some(codec::decode(bytes)?)),
            None => Ok(None),
        }
    }

    /// The next record's head only (what an answer shows): what a create
    /// stages after it is not decoded.
    fn read_head(&mut self) -> Result<Option<PlanHead>, LedgerError> {
        let Some(bytes) = self.next_bytes()? else {
            return Ok(None);
        };
        let (row, lead_name, outcome): (u32, &str, OutcomeHead) = codec::decode_head(bytes)?;
        Ok(Some(PlanHead {
            row,
            lead_name: lead_name.to_owned(),
            outcome,
        }))
    }
}

impl Iterator for SpooledHeads {
    type Item = Result<PlanHead, LedgerError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.read_head().transpose()
    }
}

/// Reads a preview's staged plan (`input`, kept under the name of
/// `digest`) as the commit's plan, as [`read_ahead`] reads the plan rows:
/// creates as [`PlanStep::Create`], unchanged rows as
/// [`PlanStep::Unchanged`], each row's head spooled for the answer, in
/// bounded batches. Only for a commit whose rows are not checked, of a
/// plan without updates (what a preview stages).
///
/// The staged plan is trusted only once whole: when its bytes do not have
/// `digest`, hold another number of rows than the plan, or cannot be read
/// or decoded, the last batch ends with an error (so nothing is appended)
/// and `unusable` is set, for the caller to commit from the log instead.
pub(super) fn read_staged(
    input: Box<dyn Read + Send>,
    digest: &Hash,
    state: &ImportState,
    tx: &std::sync::mpsc::SyncSender<AheadBatch>,
    spool: &mut HeadSpool,
    unusable: &AtomicBool,
) {
    let mut records = SpooledHeads::new(input);
    records.hasher = Some(blake3::Hasher::new());
    let (first, last) = state.preview_seqs;
    let mut seq = first + 1;
    let mut batch = Vec::with_capacity(AHEAD_BATCH);
    let fail = |batch: &mut Vec<_>, why: String| {
        unusable.store(true, Ordering::SeqCst);
        batch.push(Err(LedgerError::Corrupt(format!(
            "the staged plan of import {}: {why}",
            state.import_id
        ))));
    };
    let send = |batch: Vec<_>| {
        tx.send(AheadBatch {
            steps: batch,
            sealed: log::SealedBatch::default(),
        })
        .is_ok()
    };
    loop {
        let record = match records.read_record() {
            Ok(Some(record)) => record,
            Ok(None) => break,
            Err(e) => {
                fail(&mut batch, e.to_string());
                send(batch);
                return;
            }
        };
        let (row, head_name, outcome, create) = record;
        let step = match (outcome, create) {
            (OutcomeHead::Create, Some(c)) => PlanStep::Create(
                PlannedCreate {
                    plan: seq,
                    row,
                    lead_name: c.lead_name.unwrap_or_else(|| head_name.clone()),
                    export_value: c.export_value,
                    subs: c.subs,
                },
                c.touched,
            ),
            (OutcomeHead::Unchanged { .. }, None) => PlanStep::Unchanged,
            _ => {
                fail(
                    &mut batch,
                    format!("row {row} is not a create or unchanged"),
                );
                send(batch);
                return;
            }
        };
        if let Err(e) = spool.push_head(row, &head_name, outcome) {
            batch.push(Err(e));
            send(batch);
            return;
        }
        seq += 1;
        batch.push(Ok(step));
        if batch.len() >= AHEAD_BATCH
            && !send(std::mem::replace(
                &mut batch,
                Vec::with_capacity(AHEAD_BATCH),
            ))
        {
            return;
        }
    }
    let read = records.hasher.take().map(|h| *h.finalize().as_bytes());
    if let Err(e) = spool.write_buffered() {
        batch.push(Err(e));
    } else if read.as_ref() != Some(digest) {
        fail(
            &mut batch,
            "its bytes do not have the digest its preview recorded".into(),
        );
    } else if seq != last {
        fail(
            &mut batch,
            format!(
                "it holds {} rows, the plan {}",
                seq - first - 1,
                last - first - 1
            ),
        );
    }
    send(batch);
}

/// The leads of a commit's answer, in row order, from the plan alone: the
/// commit gave its created leads consecutive CRM IDs in row order from
/// `next_created` (its record's `first_crm_id`), wrote one event per
/// created or updated row, and none for an unchanged one.
pub(super) struct CommitLeads<I> {
    /// The plan's heads: [`PlanHeads`] or [`SpooledHeads`].
    pub(super) plan: I,
    pub(super) next_created: CrmId,
}

impl<I: Iterator<Item = Result<PlanHead, LedgerError>>> Iterator for CommitLeads<I> {
    type Item = Result<CommitLeadView, LedgerError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let planned = match self.plan.next()? {
                Ok(p) => p,
                Err(e) => return Some(Err(e)),
            };
            let (crm_id, action) = match planned.outcome {
                OutcomeHead::Invalid => continue,
                OutcomeHead::Create => {
                    let crm_id = self.next_created;
                    self.next_created += 1;
                    (crm_id, "create")
                }
                OutcomeHead::Update { crm_id } => (crm_id, "update"),
                OutcomeHead::Unchanged { crm_id } => (crm_id, "unchanged"),
            };
            return Some(Ok(CommitLeadView {
                row: planned.row,
                crm_id,
                lead_name: planned.lead_name,
                action: action.into(),
                url: report::lead_url(crm_id),
            }));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::memstore::MemStore;

    fn spooled(heads: &[(u32, &str, OutcomeHead)]) -> Vec<u8> {
        let mut spool = HeadSpool {
            out: MemStore::new().spool().unwrap(),
            buf: Vec::new(),
            staging: None,
        };
        for (row, name, outcome) in heads {
            spool.push_head(*row, name, *outcome).unwrap();
        }
        spool.write_buffered().unwrap();
        let mut bytes = Vec::new();
        spool
            .out
            .into_reader()
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        bytes
    }

    fn read_back(bytes: Vec<u8>) -> Vec<Result<PlanHead, LedgerError>> {
        SpooledHeads::new(Box::new(std::io::Cursor::new(bytes))).collect()
    }

    /// A staging spool of many batches gives its records back in order,
    /// its digest is the blake3 of its bytes, and reading it back with a
    /// hasher gives the same digest.
    #[test]
    fn a_staging_spool_of_many_batches_reads_back_with_its_digest() {
        let store = MemStore::new();
        let mut spool = HeadSpool {
            out: store.staging().unwrap(),
            buf: Vec::new(),
            staging: Some(blake3::Hasher::new()),
        };
        let create = StagedCreate {
            lead_name: None,
            export_value: Some("E1".into()),
            subs: [true, false, true],
            touched: 1 << 36 | 5,
        };
        let n = 3 * RECORDS_BATCH / 20;
        for row in 0..n as u32 {
            let staged = (row % 3 == 0).then_some(&create);
            let outcome = match staged {
                Some(_) => OutcomeHead::Create,
                None => OutcomeHead::Unchanged { crm_id: row.into() },
            };
            spool
                .push(row, &format!("Lead {row}"), outcome, staged)
                .unwrap();
        }
        let digest = spool.digest().unwrap().unwrap();
        let mut heads = spool.keep(&digest).unwrap();
        let bytes = store.staged().get(&staged_name(&digest)).cloned().unwrap();
        assert!(bytes.len() > 2 * RECORDS_BATCH, "{}", bytes.len());
        assert_eq!(*blake3::hash(&bytes).as_bytes(), digest);
        for row in 0..n as u32 {
            let head = heads.next().unwrap().unwrap();
            assert_eq!((head.row, head.lead_name), (row, format!("Lead {row}")));
        }
        assert!(heads.next().is_none());
        let mut again = SpooledHeads::new(Box::new(std::io::Cursor::new(bytes)));
        again.hasher = Some(blake3::Hasher::new());
        let mut creates = 0;
        while let Some((_, _, _, staged)) = again.read_record().unwrap() {
            if let Some(staged) = staged {
                assert_eq!(staged, create);
                creates += 1;
            }
        }
        assert_eq!(creates, n.div_ceil(3));
        assert_eq!(*again.hasher.unwrap().finalize().as_bytes(), digest);
    }

    /// Heads come back in order; a spool cut anywhere but between two
    /// heads is an error, not a shorter answer.
    #[test]
    fn a_spool_gives_its_heads_back_and_a_cut_one_fails() {
        let heads = [
            (2, "Acme", OutcomeHead::Create),
            (3, "", OutcomeHead::Update { crm_id: 1 << 40 }),
            (4, "Beta Ltd", OutcomeHead::Invalid),
        ];
        let bytes = spooled(&heads);
        let back: Vec<_> = read_back(bytes.clone())
            .into_iter()
            .map(|h| {
                let h = h.unwrap();
                (h.row, h.lead_name, h.outcome)
            })
            .collect();
        let expected: Vec<_> = heads
            .iter()
            .map(|(r, n, o)| (*r, n.to_string(), *o))
            .collect();
        assert_eq!(back, expected);
        for cut in 1..bytes.len() {
            let results = read_back(bytes[..cut].to_vec());
            let whole = results.iter().filter(|r| r.is_ok()).count();
            let at_boundary = (0..=heads.len()).any(|n| spooled(&heads[..n]).len() == cut);
            if at_boundary {
                assert!(results.iter().all(Result::is_ok), "cut at {cut}");
            } else {
                assert!(
                    matches!(results.last(), Some(Err(_))),
                    "cut at {cut}: {whole} heads and no error"
                );
            }
        }
    }
}
