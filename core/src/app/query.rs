//! Queries of the application layer, and the ledger-wide commands
//! (verify, rebuild, reference data).

use super::events::{self, EventCursor, ReadFailure};
use super::plan::{CommitLeads, PlanHead, PlanHeads, PlanRows};
use super::report::{
    self, ChangeEntry, ChangeView, CommitReport, FileInfo, ImportListing, ImportReport,
    ImportSummary, IssueView, LeadListing, LeadView, PlanRowView, RebuildReport, VerifyReport,
};
use super::report::{Streamed, StreamedCommitReport, StreamedImportReport};
use super::{Ledger, LedgerError, SYSTEM};
use crate::catalogue::{FieldId, ListName};
use crate::codec;
use crate::event::{CrmId, Event, ImportId, Kind, Severity};
use crate::log::{self, GENESIS};
use crate::projection::records::{ImportState, LeadRecord};
use crate::projection::{self, keys};
use crate::reference::ReferenceData;
use crate::store::{BlobReader, Store, Table};

/// Default page size of listings.
pub const DEFAULT_LIMIT: u64 = 100;

impl<S: Store> Ledger<S> {
    fn get_decoded<T: serde::de::DeserializeOwned>(
        &self,
        table: Table,
        key: &[u8],
    ) -> Result<Option<T>, LedgerError> {
        match self.store.get(table, key)? {
            Some(bytes) => Ok(Some(codec::decode(&bytes)?)),
            None => Ok(None),
        }
    }

    pub(super) fn next_import_id(&self) -> Result<ImportId, LedgerError> {
        Ok(self
            .get_decoded::<u64>(Table::ProjMeta, keys::NEXT_IMPORT_ID)?
            .unwrap_or(0)
            .max(1))
    }

    pub(super) fn next_crm_id(&self) -> Result<CrmId, LedgerError> {
        Ok(self
            .get_decoded::<u64>(Table::ProjMeta, keys::NEXT_CRM_ID)?
            .unwrap_or(0)
            .max(1))
    }

    /// The current reference data.
    pub fn reference(&self) -> Result<ReferenceData, LedgerError> {
        self.get_decoded(Table::Reference, keys::REFERENCE)?
            .ok_or_else(|| LedgerError::Corrupt("reference data was never seeded".into()))
    }

    /// Adds an item to a list (or brings back a retired one).
    pub fn add_list_item(
        &self,
        list: ListName,
        item: &str,
        actor: &str,
    ) -> Result<(), LedgerError> {
        let _w = self.lock();
        let mut data = self.reference()?;
        data.add_item(list, item).map_err(LedgerError::BadRequest)?;
        let event = Event::ListItemAdded {
            list,
            item: item.trim().to_string(),
        };
        self.append_one(actor, event)?;
        Ok(())
    }

    /// Retires a list item: new imports and templates no longer offer it;
    /// existing records keep it.
    pub fn retire_list_item(
        &self,
        list: ListName,
        item: &str,
        actor: &str,
    ) -> Result<(), LedgerError> {
        let _w = self.lock();
        let mut data = self.reference()?;
        data.retire_item(list, item)
            .map_err(LedgerError::BadRequest)?;
        let canonical = data
            .lists
            .get(&list)
            .and_then(|items| {
                items
                    .iter()
                    .find(|i| i.name.eq_ignore_ascii_case(item.trim()))
            })
            .map(|i| i.name.clone())
            .unwrap_or_else(|| item.trim().to_string());
        let event = Event::ListItemRetired {
            list,
            item: canonical,
        };
        self.append_one(actor, event)?;
        Ok(())
    }

    pub(super) fn import_state(&self, import_id: ImportId) -> Result<ImportState, LedgerError> {
        self.get_decoded(Table::Imports, &keys::import(import_id))?
            .ok_or_else(|| {
                LedgerError::NotFound(format!(
                    "there is no import {import_id}: `leadger imports list` shows them"
                ))
            })
    }

    /// One import: its preview (errors, warnings, plan) and its results.
    pub fn import_report(&self, import_id: ImportId) -> Result<ImportReport, LedgerError> {
        self.import_report_streamed(import_id)?.collect()
    }

    /// [`Ledger::import_report`] with its plan rows and result leads read
    /// from the log while they are serialised (memory flat in the rows).
    pub fn import_report_streamed(
        &self,
        import_id: ImportId,
    ) -> Result<StreamedImportReport<'_>, LedgerError> {
        let state = self.import_state(import_id)?;
        let rows = PlanHeads::new(self, &state);
        self.import_report_from(state, rows)
    }

    /// An import's answer with its rows from `heads`: the plan's heads in
    /// row order, read from the log ([`PlanHeads`]) or from the spool the
    /// preview wrote them to.
    pub(super) fn import_report_from<'a>(
        &'a self,
        state: ImportState,
        heads: impl Iterator<Item = Result<PlanHead, LedgerError>> + 'a,
    ) -> Result<StreamedImportReport<'a>, LedgerError> {
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let mut sort_issues = |issues: &[crate::event::Issue]| {
            for issue in issues {
                match issue.severity {
                    Severity::Error => errors.push(IssueView::from(issue)),
                    Severity::Warning => warnings.push(IssueView::from(issue)),
                }
            }
        };
        sort_issues(&state.file_issues);
        // The rows' findings are in the plan's events: a first pass reads
        // them, only when the preview counted some.
        if state.counts.errors + state.counts.warnings > 0 {
            for planned in PlanRows::for_report(self, &state) {
                sort_issues(&planned?.issues);
            }
        }
        // File-level findings (row 1, or row 2 for "no data rows") come
        // first; keep every list in row order.
        errors.sort_by_key(|i| i.row);
        warnings.sort_by_key(|i| i.row);
        let rows = heads.filter_map(|planned| {
            let planned = match planned {
                Ok(p) => p,
                Err(e) => return Some(Err(e)),
            };
            let action = planned.outcome.action()?;
            Some(Ok(PlanRowView {
                row: planned.row,
                lead_name: planned.lead_name,
                action: action.to_string(),
                crm_id: planned.outcome.crm_id(),
            }))
        });
        let already_imported_on = match state.already_imported_as {
            Some(earlier) => self
                .import_state(earlier)
                .ok()
                .and_then(|s| s.commit.map(|c| report::timestamp(c.at_ms))),
            None => None,
        };
        Ok(ImportReport {
            import_id: state.import_id,
            kind: state.kind,
            status: state.status,
            file: file_info(&state),
            date_format: state.date_format.name().to_string(),
            uploaded_by: state.actor.clone(),
            uploaded_at: report::timestamp(state.received_at_ms),
            already_imported_as: state.already_imported_as,
            already_imported_on,
            counts: state.counts,
            errors,
            warnings,
            rows: Streamed::new(rows),
            results: self.commit_report_of(&state),
        })
    }

    /// What an import's commit did, or `None` before it is committed:
    /// every applied row in row order, created and updated rows with what
    /// the commit's events say, unchanged rows from the plan.
    pub fn commit_report(&self, import_id: ImportId) -> Result<Option<CommitReport>, LedgerError> {
        self.commit_report_streamed(import_id)?
            .map(|r| r.collect())
            .transpose()
    }

    /// [`Ledger::commit_report`] with its leads read from the log while
    /// they are serialised.
    pub fn commit_report_streamed(
        &self,
        import_id: ImportId,
    ) -> Result<Option<StreamedCommitReport<'_>>, LedgerError> {
        Ok(self.commit_report_of(&self.import_state(import_id)?))
    }

    fn commit_report_of(&self, state: &ImportState) -> Option<StreamedCommitReport<'_>> {
        self.commit_report_from(state, PlanHeads::new(self, state))
    }

    /// A commit's answer with its leads from `heads` (as in
    /// [`Ledger::import_report_from`]), or `None` before the commit.
    pub(super) fn commit_report_from<'a>(
        &'a self,
        state: &ImportState,
        heads: impl Iterator<Item = Result<PlanHead, LedgerError>> + 'a,
    ) -> Option<StreamedCommitReport<'a>> {
        let commit = state.commit.clone()?;
        let leads = CommitLeads {
            plan: heads,
            next_created: commit.first_crm_id,
        };
        Some(CommitReport {
            import_id: state.import_id,
            committed_by: commit.actor,
            committed_at: report::timestamp(commit.at_ms),
            counts: commit.counts,
            leads: Streamed::new(leads),
        })
    }

    /// Reads event `seq`, checking its hash.
    pub(super) fn event(&self, seq: u64) -> Result<log::Recorded, LedgerError> {
        let mut found = None;
        self.recorded_in(seq, seq + 1, |rec| {
            found = Some(rec);
            Ok(())
        })?;
        found.ok_or_else(|| LedgerError::Corrupt(format!("event {seq} is missing")))
    }

    /// Calls `f` with each event `from..end`, decoded and hash-checked.
    fn recorded_in(
        &self,
        from: u64,
        end: u64,
        mut f: impl FnMut(log::Recorded) -> Result<(), LedgerError>,
    ) -> Result<(), LedgerError> {
        let mut plans = crate::projection::leads::EventReader::new(&self.store);
        events::for_each(&self.store, from, end, |seq, bytes| {
            f(plans.resolve(log::read_event(seq, bytes)?)?)
        })
    }

    /// Imports, newest first.
    pub fn imports(&self, offset: u64, limit: u64) -> Result<ImportListing, LedgerError> {
        let limit = if limit == 0 { u64::MAX } else { limit };
        let mut total = 0u64;
        let mut imports = Vec::new();
        for entry in self.store.scan_rev(Table::Imports, keys::IMPORT_PREFIX) {
            let (_, bytes) = entry?;
            if total >= offset && (imports.len() as u64) < limit {
                let state: ImportState = codec::decode(&bytes)?;
                imports.push(summary(&state));
            }
            total += 1;
        }
        Ok(ImportListing {
            total,
            offset,
            limit: if limit == u64::MAX { 0 } else { limit },
            imports,
        })
    }

    /// The original uploaded file of an import, with its name.
    pub fn import_file(
        &self,
        import_id: ImportId,
    ) -> Result<(String, Box<dyn BlobReader>), LedgerError> {
        let state = self.import_state(import_id)?;
        Ok((state.file_name, self.store.open_blob(&state.blake3)?))
    }

    /// A record as readers see it: while a commit's projection is being
    /// written, as it was before that commit (see `view.rs`).
    pub fn lead_record(&self, crm_id: CrmId) -> Result<LeadRecord, LedgerError> {
        let marker = self.view.read();
        let record = match crate::projection::leads::read(&self.store, crm_id)? {
            Some(record) => self.visible(marker.as_ref(), record)?,
            None => None,
        };
        record.ok_or_else(|| {
            LedgerError::NotFound(format!(
                "there is no lead or organization with CRM ID {crm_id}"
            ))
        })
    }

    pub fn lead(&self, crm_id: CrmId) -> Result<LeadView, LedgerError> {
        Ok(LeadView::from(&self.lead_record(crm_id)?))
    }

    /// Records of the CRM view in CRM ID order; `limit` 0 means all.
    pub fn leads(
        &self,
        kind: Option<Kind>,
        offset: u64,
        limit: u64,
    ) -> Result<LeadListing, LedgerError> {
        let page = if limit == 0 { u64::MAX } else { limit };
        let kinds: Vec<Kind> = match kind {
            Some(k) => vec![k],
            None => vec![Kind::Leads, Kind::Organizations],
        };
        // Held for the whole listing: the total and the records are of one
        // moment, never part of a commit (see `view.rs`).
        let marker = self.view.read();
        let mut total = 0;
        for k in &kinds {
            let in_flight = marker
                .as_ref()
                .map_or(0, |f| f.created[super::view::kind_index(*k)]);
            total += self
                .get_decoded::<u64>(Table::ProjMeta, &keys::count(*k))?
                .unwrap_or(0)
                .saturating_sub(in_flight);
        }
        // Filtering by kind scans records: a kind index would cost one more
        // key for every lead created, on the import's hot path.
        let mut leads = Vec::new();
        let mut skipped = 0;
        for record in crate::projection::leads::scan(&self.store) {
            if leads.len() as u64 >= page {
                break;
            }
            let Some(record) = self.visible(marker.as_ref(), record?)? else {
                continue;
            };
            if kind.is_some_and(|k| k != record.kind) {
                continue;
            }
            if skipped < offset {
                skipped += 1;
                continue;
            }
            leads.push(LeadView::from(&record));
        }
        Ok(LeadListing {
            total,
            offset,
            limit,
            leads,
        })
    }

    /// Every event that touched a lead, oldest first.
    pub fn lead_history(&self, crm_id: CrmId) -> Result<Vec<ChangeEntry>, LedgerError> {
        let record = self.lead_record(crm_id)?;
        let mut out = Vec::new();
        for seq in record.history {
            out.extend(change_entries(&self.event(seq)?, None));
        }
        Ok(out)
    }

    /// Every change an import's commit made, in log order.
    pub fn audit_import(&self, import_id: ImportId) -> Result<Vec<ChangeEntry>, LedgerError> {
        let state = self.import_state(import_id)?;
        let Some(commit) = state.commit.clone() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        self.recorded_in(commit.first_seq, commit.last_seq, |rec| {
            out.extend(change_entries(&rec, None));
            Ok(())
        })?;
        Ok(out)
    }

    /// Every change to one field by imports committed between two times
    /// (milliseconds, inclusive; `None` leaves that end open).
    pub fn audit_field(
        &self,
        field: FieldId,
        from_ms: Option<i64>,
        to_ms: Option<i64>,
    ) -> Result<Vec<ChangeEntry>, LedgerError> {
        let mut out = Vec::new();
        for entry in self
            .store
            .scan(Table::Imports, keys::IMPORT_PREFIX, keys::IMPORT_PREFIX)
        {
            let (_, bytes) = entry?;
            let state: ImportState = codec::decode(&bytes)?;
            let Some(commit) = state.commit.clone() else {
                continue;
            };
            let in_range = from_ms.is_none_or(|f| commit.at_ms >= f)
                && to_ms.is_none_or(|t| commit.at_ms <= t);
            if !in_range || commit.fields_touched & (1u64 << field.0) == 0 {
                continue;
            }
            self.recorded_in(commit.first_seq, commit.last_seq, |rec| {
                out.extend(change_entries(&rec, Some(field)));
                Ok(())
            })?;
        }
        Ok(out)
    }

    /// Walks the hash chain from the first event and names the first one
    /// that was altered, removed or reordered, or whose staged plan's
    /// digest is not its plan rows' (proved by a second walk of the log,
    /// on a thread of its own: `prove_staged_plans`).
    pub fn verify(&self) -> Result<VerifyReport, LedgerError> {
        let head = self.head()?;
        std::thread::scope(|scope| {
            let prover = scope.spawn(|| prove_staged_plans(&self.store, head.next_seq));
            let chain = self.verify_chain(head);
            let proved = prover
                .join()
                .unwrap_or_else(|_| Some((0, "the proof of the staged plans failed".to_string())));
            let mut report = chain?;
            if let Some((seq, problem)) = proved {
                // Of two problems, the first in log order is the answer.
                if report.first_bad_seq.is_none_or(|bad| seq < bad) {
                    report.ok = false;
                    report.first_bad_seq = Some(seq);
                    report.problem = Some(problem);
                }
            }
            Ok(report)
        })
    }

    /// [`Ledger::verify`]'s walk of the hash chain.
    fn verify_chain(&self, head: log::LogHead) -> Result<VerifyReport, LedgerError> {
        /// Events whose hashes are checked at once.
        const VERIFY_BATCH: usize = 256;
        let mut prev = GENESIS;
        let mut expected = 0u64;
        let bad = |seq: u64, problem: String, events: u64| VerifyReport {
            ok: false,
            events,
            tip: report::hex(&head.tip),
            first_bad_seq: Some(seq),
            problem: Some(problem),
        };
        // The runs of plan rows that catch-ups pass over must hold nothing
        // else (see `runs`).
        let recorded = match super::runs::load(&self.store, head.next_seq)? {
            Ok(recorded) => recorded,
            Err(run) => return Ok(bad(run.seq, run.problem, head.next_seq)),
        };
        let mut recorded = recorded.iter().peekable();
        let mut cursor = EventCursor::new(&self.store, 0, head.next_seq);
        // Events are checked a batch at a time, their hashes several at
        // once; the first bad event in log order is the answer.
        let mut batch = log::SealedBatch::default();
        loop {
            let entry = cursor.next_event();
            let done = entry.is_none();
            let failure = match entry {
                Some(Ok((seq, bytes))) => {
                    batch.push(seq, bytes);
                    if batch.len() < VERIFY_BATCH {
                        continue;
                    }
                    None
                }
                Some(Err(ReadFailure::Damaged { seq, problem })) => Some((seq, problem)),
                Some(Err(ReadFailure::Store(e))) => return Err(e.into()),
                None => None,
            };
            let events = batch.events();
            let hashes = log::checked_hashes(&events);
            for (&(seq, bytes), hash) in events.iter().zip(hashes) {
                let hash = match hash {
                    Ok(hash) => hash,
                    Err(e) => return Ok(bad(seq, e.to_string(), head.next_seq)),
                };
                let envelope = match log::open_head(seq, bytes) {
                    Ok(envelope) => envelope,
                    Err(e) => return Ok(bad(seq, e.to_string(), head.next_seq)),
                };
                if envelope.seq != seq {
                    return Ok(bad(
                        seq,
                        format!("event {seq} claims to be event {}", envelope.seq),
                        head.next_seq,
                    ));
                }
                if envelope.prev_hash != prev {
                    return Ok(bad(
                        seq,
                        format!(
                            "event {seq} does not chain to event {}",
                            seq.wrapping_sub(1)
                        ),
                        head.next_seq,
                    ));
                }
                while recorded.next_if(|run| run.end <= seq).is_some() {}
                if let Some(run) = recorded.peek().filter(|run| run.contains(&seq)) {
                    if envelope.type_tag != projection::UNPROJECTED {
                        return Ok(bad(
                            seq,
                            format!(
                                "event {seq} is {} {}, but the log's meta records it as a plan row (events {}..{}), which a rebuild passes over",
                                article(envelope.type_tag),
                                envelope.type_tag,
                                run.start,
                                run.end
                            ),
                            head.next_seq,
                        ));
                    }
                }
                prev = hash;
                expected += 1;
            }
            if let Some((seq, problem)) = failure {
                return Ok(bad(seq, problem, head.next_seq));
            }
            if done {
                break;
            }
            batch.clear();
        }
        if expected != head.next_seq {
            return Ok(bad(
                expected,
                format!("event {expected} is missing"),
                head.next_seq,
            ));
        }
        if prev != head.tip {
            return Ok(bad(
                expected.saturating_sub(1),
                "the last event does not match the log head".into(),
                head.next_seq,
            ));
        }
        Ok(VerifyReport {
            ok: true,
            events: head.next_seq,
            tip: report::hex(&head.tip),
            first_bad_seq: None,
            problem: None,
        })
    }

    /// A blake3 digest of every projection table's bytes.
    pub fn projection_digest(&self) -> Result<String, LedgerError> {
        // A second thread scans and frames the entries into large buffers
        // while this one hashes them: scanning and hashing were each half of
        // a digest, and blake3 hashes a large buffer several chunks at once.
        // The bytes hashed are the same as hashing entry by entry.
        const BUFFER: usize = 256 * 1024;
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<u8>, LedgerError>>(4);
        std::thread::scope(|scope| {
            scope.spawn(move || {
                let mut buf = Vec::with_capacity(BUFFER + 4096);
                for table in Table::PROJECTIONS {
                    buf.extend_from_slice(table.name().as_bytes());
                    for entry in self.store.scan(table, &[], &[]) {
                        let (key, value) = match entry {
                            Ok(kv) => kv,
                            Err(e) => {
                                let _ = tx.send(Err(e.into()));
                                return;
                            }
                        };
                        buf.extend_from_slice(&(key.len() as u64).to_le_bytes());
                        buf.extend_from_slice(&key);
                        buf.extend_from_slice(&(value.len() as u64).to_le_bytes());
                        buf.extend_from_slice(&value);
                        if buf.len() >= BUFFER {
                            let full =
                                std::mem::replace(&mut buf, Vec::with_capacity(BUFFER + 4096));
                            if tx.send(Ok(full)).is_err() {
                                return;
                            }
                        }
                    }
                }
                let _ = tx.send(Ok(buf));
            });
            let mut hasher = blake3::Hasher::new();
            for buf in rx {
                hasher.update(&buf?);
            }
            Ok(report::hex(hasher.finalize().as_bytes()))
        })
    }

    /// Drops every projection and replays the whole log into them.
    pub fn rebuild(&self, progress: &dyn super::Progress) -> Result<RebuildReport, LedgerError> {
        let _w = self.lock();
        let digest_before = self.projection_digest()?;
        self.store.clear_all(&Table::PROJECTIONS)?;
        self.store.flush()?;
        let events = self.catch_up(progress)?;
        let digest_after = self.projection_digest()?;
        Ok(RebuildReport {
            events,
            identical: digest_before == digest_after,
            digest_before,
            digest_after,
        })
    }

    /// The actor name recorded for work the system does on its own.
    pub fn system_actor() -> &'static str {
        SYSTEM
    }
}

fn file_info(state: &ImportState) -> FileInfo {
    FileInfo {
        name: state.file_name.clone(),
        size: state.size,
        blake3: report::hex(&state.blake3),
    }
}

fn summary(state: &ImportState) -> ImportSummary {
    ImportSummary {
        import_id: state.import_id,
        kind: state.kind,
        status: state.status,
        file: file_info(state),
        uploaded_by: state.actor.clone(),
        uploaded_at: report::timestamp(state.received_at_ms),
        counts: state.counts,
        committed_by: state.commit.as_ref().map(|c| c.actor.clone()),
        committed_at: state.commit.as_ref().map(|c| report::timestamp(c.at_ms)),
        commit_counts: state.commit.as_ref().map(|c| c.counts),
    }
}

/// What an event changed (limited to one field when `only` is given).
fn change_entries(rec: &log::Recorded, only: Option<FieldId>) -> Option<ChangeEntry> {
    let keep = |f: FieldId| only.is_none_or(|o| o == f);
    let (crm_id, row, changes) = match &rec.event {
        Event::LeadCreated {
            crm_id,
            row,
            fields,
            ..
        }
        | Event::ContactCreated {
            crm_id,
            row,
            fields,
            ..
        }
        | Event::CommunicationCreated {
            crm_id,
            row,
            fields,
            ..
        }
        | Event::OpportunityCreated {
            crm_id,
            row,
            fields,
            ..
        } => (
            *crm_id,
            *row,
            fields
                .iter()
                .filter(|(f, _)| keep(*f))
                .map(|(f, v)| ChangeView::new(*f, None, v))
                .collect::<Vec<_>>(),
        ),
        Event::LeadUpdated {
            crm_id,
            row,
            changes,
            ..
        } => (
            *crm_id,
            *row,
            changes
                .iter()
                .filter(|c| keep(c.field))
                .map(|c| ChangeView::new(c.field, c.before.as_ref(), &c.after))
                .collect(),
        ),
        _ => return None,
    };
    if changes.is_empty() {
        return None;
    }
    Some(ChangeEntry {
        seq: rec.envelope.seq,
        at: report::timestamp(rec.envelope.at_ms),
        actor: rec.envelope.actor.clone(),
        import_id: rec.event.import_id(),
        crm_id,
        row,
        event: rec.envelope.type_tag.clone(),
        changes,
    })
}

/// "a" or "an", for a type tag.
fn article(word: &str) -> &'static str {
    match word.chars().next() {
        Some('A' | 'E' | 'I' | 'O' | 'U') => "an",
        _ => "a",
    }
}

/// `ledger verify`'s proof of the staged plans, a walk of the log beside
/// the walk of the hash chain (on the other core: it was about a seventh
/// of a verify on the chain's walk): the digest a preview's summary
/// records (schema 2 of `PreviewSummarised`) must be the digest of the
/// plan its rows, as stored, stage. The first event with a problem, and
/// the problem. It stops, with nothing to say, at an event it cannot read:
/// the chain's walk names that one.
fn prove_staged_plans<S: Store>(store: &S, end: u64) -> Option<(u64, String)> {
    let mut staged = super::plan::StagedDigest::default();
    let mut cursor = EventCursor::new(store, 0, end);
    while let Some(Ok((seq, bytes))) = cursor.next_event() {
        let envelope = log::open_head(seq, bytes).ok()?;
        if let Some(problem) = prove_staged(&mut staged, seq, &envelope) {
            return Some((seq, problem));
        }
    }
    None
}

/// One event of [`prove_staged_plans`]. The rows of one preview lie
/// between its `FileReceived` and its summary (previews append under the
/// writer lock). The problem with the event at `seq`, if any.
fn prove_staged(
    staged: &mut super::plan::StagedDigest,
    seq: u64,
    envelope: &log::EnvelopeHead<'_>,
) -> Option<String> {
    match (envelope.type_tag, envelope.schema) {
        ("FileReceived", _) => staged.start(),
        (projection::UNPROJECTED, _) => {
            if let Err(e) = staged.row(seq, envelope.payload) {
                return Some(e.to_string());
            }
        }
        ("PreviewSummarised", 2) => {
            let recomputed = staged.finish();
            let recorded = match crate::codec::decode(envelope.payload) {
                Ok(crate::event::Event::PreviewSummarisedStaged { staged_plan, .. }) => staged_plan,
                Ok(other) => {
                    return Some(format!(
                        "event {seq} is tagged PreviewSummarised, schema 2, but holds {}",
                        other.type_tag().0
                    ))
                }
                Err(e) => return Some(format!("event {seq} cannot be decoded: {e}")),
            };
            if recomputed != Some(recorded) {
                return Some(format!(
                    "event {seq} records a staged plan whose digest is not that of its preview's plan rows"
                ));
            }
        }
        ("PreviewSummarised", _) => {
            staged.finish();
        }
        _ => {}
    }
    None
}
