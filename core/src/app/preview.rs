//! The preview command: store the upload, read and validate every row,
//! match it, and record the frozen plan as events.

use std::io::Read;
use std::sync::mpsc::{Receiver, SyncSender};

use super::plan::{HeadSpool, StagedCreateRef};
use super::report::{ImportReport, StreamedImportReport};
use super::{Ledger, LedgerError, Progress};
use crate::event::{
    Event, ImportId, Issue, Kind, OutcomeHead, PreviewCounts, RowOutcome, Severity,
};
use crate::matching::Matcher;
use crate::parse::DateFormat;
use crate::read::{self, FileFormat, ReadError, RowSource};
use crate::store::Store;
use crate::validate::{self, HeaderMap, ParsedRow};

/// Preview an uploaded file (the upload button).
#[derive(Clone, Debug)]
pub struct PreviewImport {
    pub file_name: String,
    pub kind: Kind,
    pub date_format: DateFormat,
    /// Who uploaded it.
    pub actor: String,
}

/// Rows per hand-over from the reading thread to the matching one.
const ROWS_PER_BATCH: usize = 256;
/// Batches in flight between the two threads: bounds the memory.
const BATCHES_IN_FLIGHT: usize = 8;

/// A row read, parsed and validated on the reading thread, with its
/// findings so far.
struct Validated {
    row: u32,
    parsed: ParsedRow,
    issues: Vec<Issue>,
}

/// What the reading thread hands over.
enum Batch {
    Rows(Vec<Validated>),
    /// The file could not be read further.
    Failed(ReadError),
}

/// The reading thread of a preview: reads each row, parses and validates
/// it, and hands the rows over in batches, in row order. This is half of a
/// preview's work, so it runs beside the other half (matching, encoding,
/// hashing, writing). It stops when the other side hangs up.
fn read_rows(
    mut rows: Box<dyn RowSource>,
    map: &HeaderMap,
    date_format: DateFormat,
    mut resolver: validate::Resolver,
    tx: &SyncSender<Batch>,
    progress: &dyn Progress,
) {
    let mut batch = Vec::with_capacity(ROWS_PER_BATCH);
    let mut n_rows = 0u64;
    loop {
        match rows.next_row() {
            Some(Ok(sheet_row)) => {
                let mut issues = Vec::new();
                let parsed =
                    validate::parse_row(map, &sheet_row, date_format, &mut resolver, &mut issues);
                batch.push(Validated {
                    row: sheet_row.row,
                    parsed,
                    issues,
                });
                rows.recycle(sheet_row);
                n_rows += 1;
                if n_rows.is_multiple_of(4096) {
                    progress.advance(rows.progress().0);
                }
                if batch.len() == ROWS_PER_BATCH
                    && tx.send(Batch::Rows(std::mem::take(&mut batch))).is_err()
                {
                    return;
                }
            }
            Some(Err(e)) => {
                let _ = tx.send(Batch::Rows(batch));
                let _ = tx.send(Batch::Failed(e));
                return;
            }
            None => {
                let _ = tx.send(Batch::Rows(batch));
                return;
            }
        }
    }
}

/// Yields the events of a preview lazily, so a file of any size is read
/// once, row by row, while its events stream into the log.
struct PreviewEvents<'a> {
    first: Option<Event>,
    rows: Receiver<Batch>,
    batch: std::vec::IntoIter<Validated>,
    has_key_column: bool,
    matcher: Matcher<'a>,
    import_id: u64,
    counts: PreviewCounts,
    file_issues: Vec<Issue>,
    n_rows: u64,
    done: bool,
    /// Where each row's head goes, for the answer.
    spool: &'a mut HeadSpool,
}

impl PreviewEvents<'_> {
    fn row_event(&mut self, validated: Validated) -> Result<Event, LedgerError> {
        let Validated {
            row,
            parsed,
            mut issues,
        } = validated;
        let (outcome, lead_name) = if self.has_key_column {
            self.matcher.plan(parsed, &mut issues)?
        } else {
            (
                RowOutcome::Invalid,
                parsed
                    .text(crate::catalogue::ids::LEAD_NAME)
                    .unwrap_or_default(),
            )
        };
        for issue in &issues {
            match issue.severity {
                Severity::Error => self.counts.errors += 1,
                Severity::Warning => self.counts.warnings += 1,
            }
        }
        // A create stages what its commit needs of it (`plan::StagedRow`).
        let staged = outcome
            .as_create()
            .map(|(fields, subs)| StagedCreateRef::of(fields, subs, &lead_name));
        self.spool
            .push(row, &lead_name, OutcomeHead::of(&outcome), staged.as_ref())?;
        match outcome {
            RowOutcome::Create { .. } => self.counts.create += 1,
            RowOutcome::Update { .. } => self.counts.update += 1,
            RowOutcome::Unchanged { .. } => self.counts.unchanged += 1,
            RowOutcome::Invalid => {}
        }
        Ok(Event::RowValidated {
            import_id: self.import_id,
            row,
            lead_name,
            outcome,
            issues,
        })
    }

    /// The next row from the reading thread, or why there is none.
    fn next_validated(&mut self) -> Option<Result<Validated, ReadError>> {
        loop {
            if let Some(validated) = self.batch.next() {
                return Some(Ok(validated));
            }
            match self.rows.recv().ok()? {
                Batch::Rows(rows) => self.batch = rows.into_iter(),
                Batch::Failed(e) => return Some(Err(e)),
            }
        }
    }

    fn summary(&mut self) -> Result<Event, LedgerError> {
        if self.n_rows == 0 {
            self.file_issues.push(validate::error(
                2,
                "",
                "",
                "the file has no data rows: fill at least one row below the header row".into(),
            ));
        }
        for issue in &self.file_issues {
            match issue.severity {
                Severity::Error => self.counts.errors += 1,
                Severity::Warning => self.counts.warnings += 1,
            }
        }
        let (import_id, counts) = (self.import_id, self.counts);
        let file_issues = std::mem::take(&mut self.file_issues);
        // A plan its commit can take from the staged file alone: one that
        // can be committed, without updates (whose changes only the plan
        // rows hold).
        let stageable = counts.errors == 0 && counts.update == 0 && counts.create > 0;
        let digest = self.spool.digest()?.filter(|_| stageable);
        Ok(match digest {
            Some(staged_plan) => Event::PreviewSummarisedStaged {
                import_id,
                counts,
                file_issues,
                staged_plan,
            },
            None => Event::PreviewSummarised {
                import_id,
                counts,
                file_issues,
            },
        })
    }
}

impl Iterator for PreviewEvents<'_> {
    type Item = Result<Event, LedgerError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(first) = self.first.take() {
            return Some(Ok(first));
        }
        if self.done {
            return None;
        }
        match self.next_validated() {
            Some(Ok(validated)) => {
                self.n_rows += 1;
                Some(self.row_event(validated))
            }
            Some(Err(e)) => {
                self.done = true;
                Some(Err(e.into()))
            }
            None => {
                self.done = true;
                Some(self.summary())
            }
        }
    }
}

impl<S: Store> Ledger<S> {
    /// Stores the file, validates and matches every row, and records the
    /// preview. Validation findings are the report's content, not an error;
    /// an error means the file could not be read at all.
    pub fn preview(
        &self,
        cmd: PreviewImport,
        src: &mut dyn Read,
        progress: &dyn Progress,
    ) -> Result<ImportReport, LedgerError> {
        self.preview_streamed(cmd, src, progress)?.collect()
    }

    /// [`Ledger::preview`] with its answer's rows read while they are
    /// serialised, from the heads the preview spooled as it planned them
    /// (memory flat in the rows, and the plan is not read back).
    pub fn preview_streamed(
        &self,
        cmd: PreviewImport,
        src: &mut dyn Read,
        progress: &dyn Progress,
    ) -> Result<StreamedImportReport<'_>, LedgerError> {
        let mut spool = HeadSpool::staging(self)?;
        let import_id = self.preview_with(cmd, src, progress, &mut spool)?;
        let state = self.import_state(import_id)?;
        let heads = match &state.staged_plan {
            Some(digest) => spool.keep(digest)?,
            None => spool.into_heads()?,
        };
        self.import_report_from(state, heads)
    }

    /// Runs the preview, its rows' heads spooled; the new import's id.
    fn preview_with(
        &self,
        cmd: PreviewImport,
        src: &mut dyn Read,
        progress: &dyn Progress,
        spool: &mut HeadSpool,
    ) -> Result<ImportId, LedgerError> {
        if cmd.file_name.trim().is_empty() {
            return Err(LedgerError::BadRequest(
                "the upload has no file name: name the file, e.g. leads.csv".into(),
            ));
        }
        let blob = self.store.put_blob(src)?;
        let mut head = [0u8; 8];
        let n_head = {
            let mut reader = self.store.open_blob(&blob.hash)?;
            read_up_to(&mut reader, &mut head)?
        };
        let format = FileFormat::detect(&cmd.file_name, &head[..n_head])?;
        let rows = read::open_rows(
            format,
            self.store.open_blob(&blob.hash)?,
            &self.options.limits,
        )?;
        // Progress starts once this preview has the writer lock: a preview
        // waiting for another's must not take over the progress it reports.
        let _w = self.lock();
        // This preview's events end every earlier preview's chance of a
        // commit from its staged plan (see `commit`).
        if let Err(e) = self.store.clear_staged() {
            tracing::warn!(problem = %e, "cannot remove staged plans");
        }
        progress.start("previewing", rows.progress().1);
        let import_id = self.next_import_id()?;
        let reference = self.reference()?;
        let mut file_issues = Vec::new();
        let map = validate::map_headers(rows.headers(), &mut file_issues);
        let (tx, rx) = std::sync::mpsc::sync_channel(BATCHES_IN_FLIGHT);
        let events = PreviewEvents {
            first: Some(Event::FileReceived {
                import_id,
                kind: cmd.kind,
                file_name: cmd.file_name.clone(),
                size: blob.size,
                blake3: blob.hash,
                format,
                date_format: cmd.date_format,
            }),
            rows: rx,
            batch: Vec::new().into_iter(),
            has_key_column: map.has_key_column,
            matcher: Matcher::new(&self.store, cmd.kind),
            import_id,
            counts: PreviewCounts::default(),
            file_issues,
            n_rows: 0,
            done: false,
            spool,
        };
        let resolver = validate::Resolver::new(reference);
        std::thread::scope(|scope| {
            let map = &map;
            scope.spawn(move || read_rows(rows, map, cmd.date_format, resolver, &tx, progress));
            // On an error `events` is dropped with its receiver, which
            // stops the reading thread; the scope waits for it.
            self.append(&cmd.actor, events, progress)
        })?;
        progress.finish();
        drop(_w);
        Ok(import_id)
    }
}

fn read_up_to(reader: &mut dyn Read, buf: &mut [u8]) -> Result<usize, LedgerError> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(LedgerError::Store(crate::store::StoreError::Io(
                    e.to_string(),
                )))
            }
        }
    }
    Ok(filled)
}

#[cfg(test)]
#[path = "preview_tests.rs"]
mod tests;
