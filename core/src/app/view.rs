//! What readers see while the projections catch up: the CRM view as of the
//! last append whose projection is complete, never part of a commit.
//!
//! A commit's events are appended all or nothing, but its projection is
//! written a chunk at a time. While that runs, the ledger keeps (in memory,
//! for readers in this process; a new process completes any catch-up before
//! it answers anything) where the events being projected begin and how many
//! leads of each kind they have created so far. Readers hold the marker's
//! read lock for the length of a query, and each chunk is written under its
//! write lock, so a query sees whole chunks and the marker that goes with
//! them. A record the in-flight events created is not there yet; one they
//! updated is shown as it was, its changes undone from their `before`
//! values (which the events carry).

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::{Ledger, LedgerError};
use crate::event::{Event, Kind};
use crate::projection::records::LeadRecord;
use crate::store::Store;

/// The append whose projection is being written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct InFlight {
    /// Its first event: records touched at or after it are in flight.
    pub begin: u64,
    /// Leads and organizations it created in the chunks written so far.
    pub created: [u64; 2],
}

pub(crate) fn kind_index(kind: Kind) -> usize {
    match kind {
        Kind::Leads => 0,
        Kind::Organizations => 1,
    }
}

/// The marker, behind its lock.
#[derive(Debug, Default)]
pub(crate) struct ReadView(RwLock<Option<InFlight>>);

impl ReadView {
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Option<InFlight>> {
        // The marker is a plain value: a panic elsewhere cannot leave it
        // half-written, so a poisoned lock is safe to take over.
        self.0.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Option<InFlight>> {
        self.0.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl<S: Store> Ledger<S> {
    /// `record` as a reader may see it while `in_flight` is projected:
    /// `None` if the in-flight events created it; otherwise with their
    /// changes undone.
    pub(crate) fn visible(
        &self,
        in_flight: Option<&InFlight>,
        mut record: LeadRecord,
    ) -> Result<Option<LeadRecord>, LedgerError> {
        let Some(flight) = in_flight else {
            return Ok(Some(record));
        };
        if record
            .history
            .first()
            .is_some_and(|seq| *seq >= flight.begin)
        {
            return Ok(None);
        }
        while let Some(&seq) = record.history.last() {
            if seq < flight.begin {
                break;
            }
            match self.event(seq)?.event {
                Event::LeadUpdated { changes, .. } => {
                    for change in changes.iter().rev() {
                        match &change.before {
                            Some(before) => record.set(change.field, before.clone()),
                            None => record.clear(change.field),
                        }
                    }
                    record.version = record.version.saturating_sub(1);
                }
                // Sub-records are only created with their lead, so on a
                // record created before the in-flight events these do not
                // occur; undone all the same.
                Event::ContactCreated { .. } => {
                    record.contacts.pop();
                }
                Event::CommunicationCreated { .. } => {
                    record.communications.pop();
                }
                Event::OpportunityCreated { .. } => {
                    record.opportunities.pop();
                }
                _ => {}
            }
            record.history.pop();
        }
        Ok(Some(record))
    }
}
