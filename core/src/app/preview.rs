//! The preview command: store the upload, read and validate every row,
//! match it, and record the frozen plan as events.

use std::io::Read;

use super::report::ImportReport;
use super::{Ledger, LedgerError, Progress};
use crate::event::{Event, ImportId, Issue, Kind, PreviewCounts, RowOutcome, Severity};
use crate::matching::Matcher;
use crate::parse::DateFormat;
use crate::read::{self, FileFormat, RowSource};
use crate::store::Store;
use crate::validate::{self, HeaderMap};

/// Preview an uploaded file (the upload button).
#[derive(Clone, Debug)]
pub struct PreviewImport {
    pub file_name: String,
    pub kind: Kind,
    pub date_format: DateFormat,
    /// Who uploaded it.
    pub actor: String,
}

/// Yields the events of a preview lazily, so a file of any size is read
/// once, row by row, while its events stream into the log.
struct PreviewEvents<'a> {
    first: Option<Event>,
    rows: Box<dyn RowSource>,
    map: HeaderMap,
    matcher: Matcher<'a>,
    resolver: validate::Resolver,
    import_id: u64,
    date_format: DateFormat,
    counts: PreviewCounts,
    file_issues: Vec<Issue>,
    n_rows: u64,
    done: bool,
    progress: &'a dyn Progress,
}

impl PreviewEvents<'_> {
    fn row_event(&mut self, sheet_row: read::SheetRow) -> Result<Event, LedgerError> {
        let mut issues = Vec::new();
        let parsed = validate::parse_row(
            &self.map,
            &sheet_row,
            self.date_format,
            &mut self.resolver,
            &mut issues,
        );
        let (outcome, lead_name) = if self.map.has_key_column {
            self.matcher.plan(&parsed, &mut issues)?
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
        match outcome {
            RowOutcome::Create { .. } => self.counts.create += 1,
            RowOutcome::Update { .. } => self.counts.update += 1,
            RowOutcome::Unchanged { .. } => self.counts.unchanged += 1,
            RowOutcome::Invalid => {}
        }
        Ok(Event::RowValidated {
            import_id: self.import_id,
            row: sheet_row.row,
            lead_name,
            outcome,
            issues,
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
        match self.rows.next_row() {
            Some(Ok(sheet_row)) => {
                self.n_rows += 1;
                if self.n_rows.is_multiple_of(4096) {
                    self.progress.advance(self.rows.progress().0);
                }
                Some(self.row_event(sheet_row))
            }
            Some(Err(e)) => {
                self.done = true;
                Some(Err(e.into()))
            }
            None => {
                self.done = true;
                if self.n_rows == 0 {
                    self.file_issues.push(validate::error(
                        2,
                        "",
                        "",
                        "the file has no data rows: fill at least one row below the header row"
                            .into(),
                    ));
                }
                self.counts.errors += self
                    .file_issues
                    .iter()
                    .filter(|i| i.severity == Severity::Error)
                    .count() as u64;
                self.counts.warnings += self
                    .file_issues
                    .iter()
                    .filter(|i| i.severity == Severity::Warning)
                    .count() as u64;
                Some(Ok(Event::PreviewSummarised {
                    import_id: self.import_id,
                    counts: self.counts,
                    file_issues: std::mem::take(&mut self.file_issues),
                }))
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
        let import_id = self.preview_import(cmd, src, progress)?;
        self.import_report(import_id)
    }

    /// [`Ledger::preview`] without reading the report back: the new
    /// import's id (for [`Ledger::import_report_streamed`]).
    pub fn preview_import(
        &self,
        cmd: PreviewImport,
        src: &mut dyn Read,
        progress: &dyn Progress,
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
        progress.start("previewing", rows.progress().1);

        let _w = self.lock();
        let import_id = self.next_import_id()?;
        let reference = self.reference()?;
        let mut file_issues = Vec::new();
        let map = validate::map_headers(rows.headers(), &mut file_issues);
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
            rows,
            map,
            matcher: Matcher::new(&self.store, cmd.kind),
            resolver: validate::Resolver::new(reference),
            import_id,
            date_format: cmd.date_format,
            counts: PreviewCounts::default(),
            file_issues,
            n_rows: 0,
            done: false,
            progress,
        };
        self.append(&cmd.actor, events, progress)?;
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
