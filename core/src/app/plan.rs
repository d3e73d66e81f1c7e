//! Reading a preview's frozen plan back from the log, row by row: what the
//! commit applies ([`PlanRows::new`], each event's hash checked), the
//! findings an answer lists ([`PlanRows::for_report`]), and the rows and a
//! commit's leads the answers show ([`PlanHeads`], [`CommitLeads`]: only
//! each row's head decoded), streamed so that no answer holds every row.

use super::events::EventCursor;
use super::report::{self, CommitLeadView};
use super::{Ledger, LedgerError};
use crate::event::{self, CrmId, Event, OutcomeHead};
use crate::log;
use crate::projection;
use crate::projection::records::{ImportState, PlannedRow};
use crate::store::Store;

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
                    if let Event::RowValidated {
                        row,
                        lead_name,
                        outcome,
                        issues,
                        ..
                    } = rec.event
                    {
                        return Some(Ok(PlannedRow {
                            row,
                            lead_name,
                            outcome,
                            issues,
                        }));
                    }
                }
                Err(e) => return Some(Err(e.into())),
            }
        }
    }
}

/// Rows read ahead per batch, and batches in flight.
const AHEAD_BATCH: usize = 256;
pub(super) const AHEAD_BATCHES: usize = 8;

pub(super) type AheadBatch = Vec<Result<PlannedRow, LedgerError>>;

/// Reads the plan that the commit applies ([`PlanRows::new`]: each event's
/// hash checked) on a second thread and hands the rows over in bounded
/// batches; stops after an error or once the receiver is gone. Reading,
/// checking and decoding the plan was a third of a commit's appending.
pub(super) fn read_ahead<S: Store>(
    ledger: &Ledger<S>,
    state: &ImportState,
    tx: &std::sync::mpsc::SyncSender<AheadBatch>,
) {
    let mut batch = Vec::with_capacity(AHEAD_BATCH);
    for row in PlanRows::new(ledger, state) {
        let failed = row.is_err();
        batch.push(row);
        if failed || batch.len() >= AHEAD_BATCH {
            // An error goes over with the rows before it, and ends the read.
            let sent = tx.send(std::mem::take(&mut batch)).is_ok();
            if !sent || failed {
                return;
            }
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(batch);
    }
}

/// The receiving end of [`read_ahead`]: the plan's rows, in order.
pub(super) type PlanAhead = super::feed::Batched<Result<PlannedRow, LedgerError>>;

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

/// The leads of a commit's answer, in row order, from the plan alone: the
/// commit gave its created leads consecutive CRM IDs in row order from
/// `next_created` (its record's `first_crm_id`), wrote one event per
/// created or updated row, and none for an unchanged one.
pub(super) struct CommitLeads<'a> {
    pub(super) plan: PlanHeads<'a>,
    pub(super) next_created: CrmId,
}

impl Iterator for CommitLeads<'_> {
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
