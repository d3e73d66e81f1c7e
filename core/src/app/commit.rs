//! The commit command: apply exactly the frozen plan of a preview, or
//! refuse (errors, already committed, or a record changed since).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};

use super::plan::{self, PlanAhead, PlanStep};
use super::report::{CommitReport, StreamedCommitReport};
use super::{CatchUp, Ledger, LedgerError, NoProgress, Progress};
use crate::catalogue::ids;
use crate::event::{CommitCounts, CrmId, Event, Hash, ImportId, Kind, PlannedCreate, RowOutcome};
use crate::matching::CrmView;
use crate::projection::records::{CommitInfo, ImportState, ImportStatus, PlannedRow};
use crate::store::Store;

/// Turns the plan rows of an import into the events of its commit.
struct CommitEvents<'a> {
    rows: PlanAhead,
    /// The CRM view as it was before this commit, for the staleness check
    /// of each row (the commit's own events are not projected until the
    /// whole commit is appended).
    view: CrmView<'a>,
    /// Whether rows are checked for staleness: not when nothing was
    /// appended since the preview, whose plan was made against this view.
    check_stale: bool,
    import_id: ImportId,
    kind: Kind,
    next_crm_id: u64,
    pending: VecDeque<Event>,
    counts: CommitCounts,
    fields_touched: u64,
    n_events: u64,
    finished: bool,
    n_rows: u64,
    progress: &'a dyn Progress,
}

impl CommitEvents<'_> {
    /// Refuses the commit (by ending the event stream with an error, so
    /// nothing is appended) when a row's plan no longer holds.
    fn check(
        view: &CrmView<'_>,
        import_id: ImportId,
        kind: Kind,
        planned: &PlannedRow,
    ) -> Result<(), LedgerError> {
        check_not_stale(view, import_id, kind, planned)
    }

    /// Checks one step of the plan (when rows are checked) and queues
    /// its events.
    fn plan_step(&mut self, step: PlanStep) -> Result<(), LedgerError> {
        match step {
            PlanStep::Row(seq, planned) => {
                if self.check_stale {
                    Self::check(&self.view, self.import_id, self.kind, &planned)?;
                }
                self.plan_events(seq, planned);
            }
            // Read raw or staged only when rows are not checked
            // (`read_ahead`, `read_staged`).
            PlanStep::Create(create, touched) => {
                self.fields_touched |= touched;
                self.create(create);
            }
            PlanStep::Unchanged => self.counts.unchanged += 1,
        }
        Ok(())
    }

    /// Queues the events of a planned create, with the next CRM ID.
    fn create(&mut self, create: PlannedCreate) {
        let crm_id = self.next_crm_id;
        self.next_crm_id += 1;
        self.counts.created += 1;
        self.pending
            .extend(create.events(self.import_id, crm_id, self.kind));
    }

    fn plan_events(&mut self, seq: u64, planned: PlannedRow) {
        let import_id = self.import_id;
        let row = planned.row;
        if let Some((fields, subs)) = planned.outcome.as_create() {
            self.fields_touched |= PlannedCreate::touched(fields, subs);
            self.create(PlannedCreate::of(seq, row, fields, subs));
            return;
        }
        match planned.outcome {
            RowOutcome::Update {
                crm_id,
                base_version,
                changes,
            } => {
                self.counts.updated += 1;
                for c in &changes {
                    self.fields_touched |= 1u64 << c.field.0;
                }
                self.pending.push_back(Event::LeadUpdated {
                    import_id,
                    row,
                    crm_id,
                    version: base_version + 1,
                    changes,
                });
            }
            RowOutcome::Unchanged { .. } => self.counts.unchanged += 1,
            // A preview with invalid rows has errors and is never
            // committed; creates are taken above.
            RowOutcome::Invalid | RowOutcome::Create { .. } => {}
        }
    }
}

impl Iterator for CommitEvents<'_> {
    type Item = Result<Event, LedgerError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                self.n_events += 1;
                return Some(Ok(event));
            }
            if self.finished {
                return None;
            }
            match self.rows.next() {
                Some(step) => match step.and_then(|step| self.plan_step(step)) {
                    Ok(()) => {
                        self.n_rows += 1;
                        if self.n_rows.is_multiple_of(4096) {
                            self.progress.advance(self.n_rows);
                        }
                    }
                    Err(e) => {
                        self.finished = true;
                        return Some(Err(e));
                    }
                },
                None => {
                    self.finished = true;
                    let mut counts = self.counts;
                    counts.imported = counts.created + counts.updated + counts.unchanged;
                    return Some(Ok(Event::ImportCommitted {
                        import_id: self.import_id,
                        counts,
                        events: self.n_events,
                        fields_touched: self.fields_touched,
                    }));
                }
            }
        }
    }
}

impl<S: Store> Ledger<S> {
    /// Commits a previewed import: all of its plan, or nothing.
    pub fn commit(
        &self,
        import_id: ImportId,
        actor: &str,
        progress: &dyn Progress,
    ) -> Result<CommitReport, LedgerError> {
        self.commit_streamed(import_id, actor, progress)?.collect()
    }

    /// [`Ledger::commit`] with its answer's leads read while they are
    /// serialised, from the heads of the plan's rows that the commit
    /// spooled as it read them (memory flat in the rows, and the plan is
    /// not read a second time).
    pub fn commit_streamed(
        &self,
        import_id: ImportId,
        actor: &str,
        progress: &dyn Progress,
    ) -> Result<StreamedCommitReport<'_>, LedgerError> {
        // Made before the catch-up and returned after it: the same answer
        // (`commit_answering`).
        self.commit_answering(import_id, actor, progress, |report| report)
    }

    /// [`Ledger::commit_streamed`], its answer given to `answer` as soon as
    /// the commit is acknowledged (durable), and written on this thread while
    /// the projections catch up on another: a 1M commit's JSON answer took
    /// about 0.25 s after a catch-up of about 1.4 s that left a core idle.
    /// (A commit right after its preview has projected its events while it
    /// appended them: its catch-up has nothing left to do.)
    /// The answer reads no projection: it is made from the commit's last
    /// event (`ImportCommitted`, read from the log) and the heads the
    /// commit spooled, and it is what [`Ledger::commit_report`] gives once
    /// the projections have caught up (tested). Returns what `answer`
    /// returns, once the projections have caught up too; an error when
    /// they could not, even though the commit and its answer stand (the
    /// next open catches them up).
    pub fn commit_answering<'a, R>(
        &'a self,
        import_id: ImportId,
        actor: &str,
        progress: &dyn Progress,
        answer: impl FnOnce(StreamedCommitReport<'a>) -> R,
    ) -> Result<R, LedgerError> {
        let mut spool = plan::HeadSpool::new(self)?;
        let committed = self.commit_with(import_id, actor, progress, &mut spool)?;
        // Committed whatever happens next: the catch-up runs even when the
        // answer cannot be made.
        let report = spool
            .into_heads()
            .and_then(|heads| self.answer_before_catch_up(&committed, heads));
        let Committed {
            _writer, catch_up, ..
        } = committed;
        std::thread::scope(|scope| {
            let catching_up = scope.spawn(move || catch_up.run(self, &NoProgress));
            let answered = report.map(answer);
            catching_up
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
            drop(_writer);
            answered
        })
    }

    /// The answer of a commit appended and not yet projected: its
    /// import's state as projecting its `ImportCommitted` makes it.
    fn answer_before_catch_up<'a>(
        &'a self,
        committed: &Committed<'_>,
        heads: plan::SpooledHeads,
    ) -> Result<StreamedCommitReport<'a>, LedgerError> {
        let import_id = committed.state.import_id;
        let seq = committed.catch_up.appended.end - 1;
        let last = self.event(seq)?;
        let Event::ImportCommitted {
            import_id: committed_id,
            counts,
            events,
            fields_touched,
        } = last.event
        else {
            return Err(no_commit_record(import_id));
        };
        if committed_id != import_id {
            return Err(no_commit_record(import_id));
        }
        let mut state = committed.state.clone();
        state.status = ImportStatus::Committed;
        state.commit = Some(CommitInfo::of(
            last.envelope.actor,
            last.envelope.at_ms,
            counts,
            seq,
            events,
            fields_touched,
            committed.first_crm_id,
        ));
        self.commit_report_from(&state, heads)
            .ok_or_else(|| no_commit_record(import_id))
    }

    /// Runs the commit, its plan rows' heads spooled as they are read, up
    /// to its acknowledgement: the caller runs its catch-up.
    fn commit_with(
        &self,
        import_id: ImportId,
        actor: &str,
        progress: &dyn Progress,
        spool: &mut plan::HeadSpool,
    ) -> Result<Committed<'_>, LedgerError> {
        let writer = self.lock();
        let state = self.import_state(import_id)?;
        match state.status {
            ImportStatus::Committed => {
                let when = state
                    .commit
                    .as_ref()
                    .map(|c| format!(" on {} by {}", super::report::timestamp(c.at_ms), c.actor))
                    .unwrap_or_default();
                return Err(LedgerError::Conflict(format!(
                    "import {import_id} was already committed{when}: an import is committed at most once"
                )));
            }
            ImportStatus::Previewing => {
                return Err(LedgerError::Conflict(format!(
                    "the preview of import {import_id} did not finish: upload the file again"
                )))
            }
            ImportStatus::Previewed => {}
        }
        if state.counts.errors > 0 {
            return Err(LedgerError::HasErrors {
                import_id,
                errors: state.counts.errors,
            });
        }
        let total = state.counts.create + state.counts.update + state.counts.unchanged;
        progress.start("committing", total);
        // The preview's last event is its summary: when it is still the
        // log's last, nothing changed the CRM view since the plan was made
        // against it (under this same lock), so no row can be stale.
        let unchanged_since_preview = self.head()?.next_seq == state.preview_seqs.1 + 1;
        // And then the plan the preview staged, if it did, stands for its
        // plan rows (`plan::read_staged`); one that cannot is read past.
        let staged = match state.staged_plan {
            Some(digest) if unchanged_since_preview && state.counts.update == 0 => self
                .store
                .open_staged(&plan::staged_name(&digest))?
                .map(|input| (input, digest)),
            _ => None,
        };
        let unusable = AtomicBool::new(false);
        let first_crm_id = self.next_crm_id()?;
        let plan = Plan {
            state: &state,
            unchanged_since_preview,
            first_crm_id,
        };
        let committed = self.commit_plan(&plan, actor, staged, spool, progress, &unusable);
        let catch_up = match committed {
            Err(e) if unusable.load(Ordering::SeqCst) => {
                tracing::warn!(import_id, problem = %e, "the staged plan is unusable: committing from the log");
                *spool = plan::HeadSpool::new(self)?;
                self.commit_plan(&plan, actor, None, spool, progress, &unusable)?
            }
            other => other?,
        };
        if state.staged_plan.is_some() {
            // Committed: no later commit can use a staged plan (the log
            // moved past every preview).
            if let Err(e) = self.store.clear_staged() {
                tracing::warn!(problem = %e, "cannot remove staged plans");
            }
        }
        progress.finish();
        Ok(Committed {
            _writer: writer,
            catch_up,
            state,
            first_crm_id,
        })
    }

    /// Appends the commit's events, reading the plan from `staged` (a
    /// staged plan and its digest) or from the log.
    fn commit_plan(
        &self,
        plan: &Plan<'_>,
        actor: &str,
        staged: Option<(Box<dyn std::io::Read + Send>, Hash)>,
        spool: &mut plan::HeadSpool,
        progress: &dyn Progress,
        unusable: &AtomicBool,
    ) -> Result<CatchUp, LedgerError> {
        let Plan {
            state,
            unchanged_since_preview,
            first_crm_id,
        } = *plan;
        let (tx, rx) = std::sync::mpsc::sync_channel(plan::AHEAD_BATCHES);
        let events = CommitEvents {
            rows: PlanAhead::new(rx),
            view: CrmView::new(&self.store),
            check_stale: !unchanged_since_preview,
            import_id: state.import_id,
            kind: state.kind,
            next_crm_id: first_crm_id,
            pending: VecDeque::new(),
            counts: CommitCounts::default(),
            fields_touched: 0,
            n_events: 0,
            finished: false,
            n_rows: 0,
            progress,
        };
        std::thread::scope(|scope| {
            let raw_creates = unchanged_since_preview;
            match staged {
                Some((input, digest)) => scope
                    .spawn(move || plan::read_staged(input, &digest, state, &tx, spool, unusable)),
                None => scope.spawn(move || plan::read_ahead(self, state, raw_creates, &tx, spool)),
            };
            // On an error `events` is dropped with its receiver, which
            // stops the reading thread; the scope waits for it.
            let handing = if unchanged_since_preview {
                // No row is checked against the CRM view, so the
                // projections can follow the append while it runs.
                super::feed::Handing::Live(Vec::new())
            } else {
                super::feed::Handing::new(plan::HeadSpool::new(self)?)
            };
            self.append_only(actor, events, Some(handing))
        })
    }
}

/// What committing a plan goes by (read under the writer lock).
#[derive(Clone, Copy)]
struct Plan<'a> {
    /// The import's state, previewed.
    state: &'a ImportState,
    /// Whether nothing was appended since the preview.
    unchanged_since_preview: bool,
    /// The CRM ID of the first lead the commit creates.
    first_crm_id: CrmId,
}

/// A commit appended and acknowledged, its catch-up still to run, under
/// the writer lock it holds.
struct Committed<'a> {
    _writer: std::sync::MutexGuard<'a, ()>,
    catch_up: CatchUp,
    /// The import's state before the commit.
    state: ImportState,
    first_crm_id: CrmId,
}

/// The error for an import that committed but has no commit record.
pub(crate) fn no_commit_record(import_id: ImportId) -> LedgerError {
    LedgerError::Corrupt(format!(
        "import {import_id} committed but has no commit record"
    ))
}

/// Refuses a row whose plan relies on a record that changed since the
/// preview: updated (version moved), or newly taking an export value or
/// name the plan would create.
fn check_not_stale(
    view: &CrmView<'_>,
    import_id: ImportId,
    kind: Kind,
    planned: &PlannedRow,
) -> Result<(), LedgerError> {
    {
        let stale = |why: String| {
            LedgerError::Conflict(format!(
                    "row {} of import {import_id} is stale: {why} since the preview; preview the file again",
                    planned.row
                ))
        };
        match &planned.outcome {
            RowOutcome::Update {
                crm_id,
                base_version,
                changes,
            } => {
                let current = view.lead(*crm_id)?.map(|r| r.version);
                if current != Some(*base_version) {
                    return Err(stale(format!("the record with CRM ID {crm_id} changed")));
                }
                // Export values are unique per kind: one the update
                // assigns may have been taken by a record created since.
                let export = changes.iter().find(|c| c.field == ids::EXPORT_VALUE);
                if let Some(change) = export {
                    let export = change.after.to_string();
                    if let Some(other) = view.by_export(kind, &export)?.filter(|id| id != crm_id) {
                        return Err(stale(format!(
                            "CRM ID {other} took Export Value `{export}`"
                        )));
                    }
                }
            }
            RowOutcome::Unchanged {
                crm_id,
                base_version,
            } => {
                let current = view.lead(*crm_id)?.map(|r| r.version);
                if current != Some(*base_version) {
                    return Err(stale(format!("the record with CRM ID {crm_id} changed")));
                }
            }
            RowOutcome::Create { fields, .. } => {
                let text = |id| crate::event::field_text(fields, id);
                if let Some(export) = text(ids::EXPORT_VALUE) {
                    if let Some(other) = view.by_export(kind, &export)? {
                        return Err(stale(format!(
                            "CRM ID {other} took Export Value `{export}`"
                        )));
                    }
                } else if let Some(name) = text(ids::LEAD_NAME) {
                    if let Some(other) = view.by_name(kind, &name, 1)?.first() {
                        return Err(stale(format!(
                            "CRM ID {other} was created with the name `{name}`"
                        )));
                    }
                }
            }
            RowOutcome::Invalid => {}
        }
    }
    Ok(())
}
