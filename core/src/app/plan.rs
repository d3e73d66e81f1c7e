//! Reading a preview's frozen plan and a commit's results back from the
//! log, row by row: what the commit applies ([`PlanRows::new`], each
//! event's hash checked) and what the answers show ([`PlanRows::for_report`]
//! and [`CommitLeads`]), streamed so that no answer holds every row.

use super::events::EventCursor;
use super::report::{self, CommitLeadView};
use super::{Ledger, LedgerError};
use crate::catalogue::ids;
use crate::event::{CrmId, Event, RowOutcome};
use crate::log;
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

    /// The plan for an answer, read without checking hashes (`ledger
    /// verify` is what proves the log).
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

/// The leads of a commit's answer, in row order: the plan's rows joined
/// with the commit's events (one `LeadCreated` or `LeadUpdated` per created
/// or updated row, in row order; unchanged rows write no event).
pub(super) struct CommitLeads<'a> {
    pub(super) plan: PlanRows<'a>,
    pub(super) events: EventCursor<'a>,
}

impl CommitLeads<'_> {
    /// The next event that created or updated a lead: its row, CRM id and,
    /// for a creation only, `Some` of the lead's name as created.
    fn next_applied(&mut self) -> Result<(u32, CrmId, Option<Option<String>>), LedgerError> {
        loop {
            let Some(next) = self.events.next_event() else {
                return Err(LedgerError::Corrupt(
                    "a commit has fewer lead events than its plan has rows to create or update"
                        .into(),
                ));
            };
            let (seq, bytes) = next?;
            let (envelope, hash) = log::open_unchecked(seq, bytes)?;
            if envelope.type_tag != "LeadCreated" && envelope.type_tag != "LeadUpdated" {
                continue;
            }
            match log::decode_payload(envelope, hash)?.event {
                Event::LeadCreated {
                    row,
                    crm_id,
                    fields,
                    ..
                } => {
                    let name = fields
                        .into_iter()
                        .find(|(f, _)| *f == ids::LEAD_NAME)
                        .map(|(_, v)| v.to_string());
                    return Ok((row, crm_id, Some(name)));
                }
                Event::LeadUpdated { row, crm_id, .. } => return Ok((row, crm_id, None)),
                _ => continue,
            }
        }
    }

    fn view(&mut self, planned: PlannedRow) -> Result<Option<CommitLeadView>, LedgerError> {
        let (crm_id, lead_name, action) = match planned.outcome {
            RowOutcome::Invalid => return Ok(None),
            RowOutcome::Unchanged { crm_id, .. } => (crm_id, planned.lead_name, "unchanged"),
            // The plan's name is the one the preview showed (for an update
            // matched by id, the record's name at the time).
            RowOutcome::Update { .. } | RowOutcome::Create { .. } => {
                let (row, crm_id, created_name) = self.next_applied()?;
                if row != planned.row {
                    return Err(LedgerError::Corrupt(format!(
                        "the commit's event for row {row} does not follow the plan (row {})",
                        planned.row
                    )));
                }
                match created_name {
                    Some(name) => (crm_id, name.unwrap_or_default(), "create"),
                    None => (crm_id, planned.lead_name, "update"),
                }
            }
        };
        Ok(Some(CommitLeadView {
            row: planned.row,
            crm_id,
            lead_name,
            action: action.into(),
            url: report::lead_url(crm_id),
        }))
    }
}

impl Iterator for CommitLeads<'_> {
    type Item = Result<CommitLeadView, LedgerError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let planned = match self.plan.next()? {
                Ok(p) => p,
                Err(e) => return Some(Err(e)),
            };
            match self.view(planned) {
                Ok(Some(view)) => return Some(Ok(view)),
                Ok(None) => continue,
                Err(e) => return Some(Err(e)),
            }
        }
    }
}
