//! Tests of the application layer on the in-memory store: given a ledger,
//! when commands run, then the projections and answers are these.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;

use super::{Clock, Ledger, LedgerError, LedgerOptions, NoProgress, PreviewImport};
use crate::event::Kind;
use crate::memstore::MemStore;
use crate::parse::DateFormat;

struct FixedClock(i64);
impl Clock for FixedClock {
    fn now_ms(&self) -> i64 {
        self.0
    }
}

fn ledger(chunk: usize) -> Ledger<MemStore> {
    ledger_with_index(chunk, Default::default())
}

fn ledger_with_index(chunk: usize, index: crate::projection::index::Layout) -> Ledger<MemStore> {
    ledger_with(LedgerOptions {
        chunk,
        index,
        ..Default::default()
    })
}

/// A ledger over a fresh [`MemStore`] with `options`, at a fixed time.
fn ledger_with(options: LedgerOptions) -> Ledger<MemStore> {
    Ledger::open(
        MemStore::new(),
        Box::new(FixedClock(1_764_000_000_000)),
        options,
    )
    .unwrap()
}

/// A preview of a leads CSV by `tester`.
fn preview_cmd() -> PreviewImport {
    PreviewImport {
        file_name: "rows.csv".into(),
        kind: Kind::Leads,
        date_format: DateFormat::Us,
        actor: "tester".into(),
    }
}

fn preview(l: &Ledger<MemStore>, csv: &str) -> super::report::ImportReport {
    l.preview(preview_cmd(), &mut csv.as_bytes(), &NoProgress)
        .unwrap()
}

#[test]
fn commit_applies_the_plan_and_refuses_a_second_time() {
    let l = ledger(3);
    let p = preview(
        &l,
        "Lead Name,Export Value,City\nAcme,A1,Springfield\nBeta,B1,Shelbyville\n",
    );
    assert_eq!((p.counts.create, p.counts.errors), (2, 0));
    let c = l.commit(p.import_id, "tester", &NoProgress).unwrap();
    assert_eq!(c.counts.created, 2);
    assert_eq!(l.lead(1).unwrap().fields["City"], "Springfield");
    let again = l.commit(p.import_id, "tester", &NoProgress);
    assert!(matches!(again, Err(LedgerError::Conflict(m)) if m.contains("already committed")));
}

#[test]
fn a_stale_plan_is_refused() {
    let l = ledger(8192);
    let first = preview(&l, "Lead Name,Export Value\nAcme,A1\n");
    l.commit(first.import_id, "t", &NoProgress).unwrap();
    let a = preview(&l, "Export Value,City\nA1,Springfield\n");
    let b = preview(&l, "Export Value,City\nA1,Ogdenville\n");
    l.commit(b.import_id, "t", &NoProgress).unwrap();
    let refused = l.commit(a.import_id, "t", &NoProgress);
    assert!(
        matches!(refused, Err(LedgerError::Conflict(ref m)) if m.contains("stale")),
        "{refused:?}"
    );
    assert_eq!(l.lead(1).unwrap().fields["City"], "Ogdenville");
}

#[test]
fn a_preview_with_errors_cannot_be_committed() {
    let l = ledger(8192);
    let p = preview(&l, "Lead Name,Country\nAcme,USA\n");
    assert_eq!(p.counts.errors, 1);
    let refused = l.commit(p.import_id, "t", &NoProgress);
    assert!(matches!(
        refused,
        Err(LedgerError::HasErrors { errors: 1, .. })
    ));
}

/// A random import: rows naming leads from small pools, so that later
/// imports update, leave unchanged, collide and create.
fn import_csv() -> impl Strategy<Value = String> {
    let row = (
        0..6u8,
        prop::option::of(0..4u8),
        prop::option::of(0..3u8),
        any::<bool>(),
    );
    prop::collection::vec(row, 1..6).prop_map(|rows| {
        let mut csv =
            String::from("Lead Name,Export Value,City,Contact First Name,Contact Last Name\n");
        for (name, export, city, contact) in rows {
            let export = export.map(|e| format!("E{e}")).unwrap_or_default();
            let city = city
                .map(|c| ["Springfield", "Ogdenville", "Shelbyville"][c as usize])
                .unwrap_or("");
            let contact = if contact { "Ann,Lee" } else { "," };
            csv.push_str(&format!("Lead {name},{export},{city},{contact}\n"));
        }
        csv
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Projections built event by event equal projections rebuilt from
    /// scratch, whatever the imports and wherever the chunks fall.
    #[test]
    fn projections_built_incrementally_equal_a_rebuild(
        imports in prop::collection::vec(import_csv(), 1..7),
        chunk in 1usize..6,
        span in 1u64..12,
        fanout in 2u64..4,
    ) {
        // Small index ranges, so that runs are sealed and merged.
        let l = ledger_with_index(chunk, crate::projection::index::Layout { span, fanout });
        for csv in &imports {
            let p = preview(&l, csv);
            if p.counts.errors == 0 {
                l.commit(p.import_id, "tester", &NoProgress).unwrap();
            }
        }
        let incremental = l.projection_digest().unwrap();
        let report = l.rebuild(&NoProgress).unwrap();
        prop_assert_eq!(&report.digest_before, &incremental);
        prop_assert_eq!(report.digest_after, incremental);
        prop_assert!(l.verify().unwrap().ok);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// The answers a preview and a commit give at once, from the heads
    /// they spooled, are the answers read from the log later.
    #[test]
    fn spooled_answers_equal_the_answers_read_from_the_log(
        imports in prop::collection::vec(import_csv(), 1..5),
    ) {
        let l = ledger(3);
        for (i, csv) in imports.iter().enumerate() {
            let p = preview(&l, csv);
            prop_assert_eq!(&p, &l.import_report(p.import_id).unwrap());
            if p.counts.errors == 0 {
                // Every other commit answers while its projections catch up.
                let c = if i % 2 == 0 {
                    l.commit(p.import_id, "tester", &NoProgress).unwrap()
                } else {
                    l.commit_answering(p.import_id, "tester", &NoProgress, |r| r.collect())
                        .unwrap()
                        .unwrap()
                };
                let read_later = l.commit_report(p.import_id).unwrap();
                prop_assert_eq!(Some(&c), read_later.as_ref());
                prop_assert_eq!(
                    c.leads.len() as u64,
                    c.counts.created + c.counts.updated + c.counts.unchanged
                );
            }
        }
    }
}

/// A spool that fails (a full disk) once it would hold more than `limit`
/// bytes.
struct FailingSpool {
    inner: Box<dyn crate::store::Spool>,
    written: usize,
    limit: usize,
    /// Whether reading it back fails.
    unreadable: bool,
}

impl std::io::Write for FailingSpool {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.written + buf.len() > self.limit {
            return Err(std::io::Error::other("disk full"));
        }
        self.written += buf.len();
        self.inner.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl crate::store::Spool for FailingSpool {
    fn into_reader(
        self: Box<Self>,
    ) -> Result<Box<dyn std::io::Read + Send>, crate::store::StoreError> {
        if self.unreadable {
            return Err(crate::store::StoreError::Io("the spool is gone".into()));
        }
        self.inner.into_reader()
    }
    fn keep(
        self: Box<Self>,
        name: &str,
    ) -> Result<Box<dyn std::io::Read + Send>, crate::store::StoreError> {
        self.inner.keep(name)
    }
}

/// An answer's spool that fails (a full disk) fails the preview or the
/// commit with it, and nothing of either is appended.
#[test]
fn a_failing_spool_fails_the_command_and_appends_nothing() {
    let store = CountingStore::new();
    store
        .spool_limit
        .store(1000, std::sync::atomic::Ordering::Relaxed);
    let options = LedgerOptions {
        chunk: 16,
        ..Default::default()
    };
    let l = Ledger::open(store, Box::new(FixedClock(1_764_000_000_000)), options).unwrap();
    let head = l.head().unwrap();
    let failed = l.preview_streamed(
        preview_cmd(),
        &mut numbered_leads_csv(500).as_bytes(),
        &NoProgress,
    );
    assert!(
        matches!(&failed, Err(LedgerError::Store(e)) if e.to_string().contains("disk full")),
        "{:?}",
        failed.err()
    );
    assert_eq!(l.head().unwrap(), head);
    assert_eq!(l.imports(0, 10).unwrap().imports.len(), 0);
    // A preview whose heads fit, then a commit whose spool fails.
    let p = l
        .preview_streamed(
            preview_cmd(),
            &mut numbered_leads_csv(10).as_bytes(),
            &NoProgress,
        )
        .unwrap();
    let import_id = p.import_id;
    drop(p);
    let head = l.head().unwrap();
    l.store
        .spool_limit
        .store(0, std::sync::atomic::Ordering::Relaxed);
    let failed = l.commit_streamed(import_id, "tester", &NoProgress);
    assert!(
        matches!(&failed, Err(LedgerError::Store(e)) if e.to_string().contains("disk full")),
        "{:?}",
        failed.err()
    );
    assert_eq!(l.head().unwrap(), head);
    assert_eq!(
        l.import_state(import_id).unwrap().status,
        crate::projection::records::ImportStatus::Previewed
    );
    assert!(l.lead(1).is_err());
}

/// Regression (found by the HTTP concurrency test): a reader that came
/// while a commit's projection was being written saw part of it, a chunk
/// at a time. Now it sees the CRM view as before the commit until the last
/// chunk is written: no record it creates, every record it updates as it
/// was, and totals to match.
#[test]
fn a_reader_during_a_commits_projection_sees_the_view_before_it() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc;
    use std::sync::{Arc, Mutex};

    let armed = Arc::new(AtomicBool::new(false));
    let (paused_tx, paused_rx) = mpsc::channel::<()>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let hook_armed = Arc::clone(&armed);
    let channels = Mutex::new((paused_tx, go_rx));
    let options = LedgerOptions {
        // A chunk of one update (weight 4) and four creations (1 each).
        chunk: 2,
        fail_point: Some(Arc::new(move |point: &str, n: u64| {
            if point == "projected" && n == 1 && hook_armed.swap(false, Ordering::SeqCst) {
                let channels = channels.lock().unwrap();
                channels.0.send(()).unwrap();
                channels.1.recv().unwrap();
            }
        })),
        ..Default::default()
    };
    let l = ledger_with(options);
    let first = preview(&l, "Lead Name,Export Value,City\nAcme,A1,Springfield\n");
    l.commit(first.import_id, "t", &NoProgress).unwrap();
    let second = preview(
        &l,
        "Lead Name,Export Value,City\nAcme,A1,Ogdenville\nBeta,B1,\nGamma,C1,\nDelta,D1,\nEps,E1,\n",
    );
    assert_eq!((second.counts.create, second.counts.update), (4, 1));

    armed.store(true, Ordering::SeqCst);
    std::thread::scope(|s| {
        let committer = s.spawn(|| l.commit(second.import_id, "t", &NoProgress));
        paused_rx.recv().unwrap();
        // The first chunk (the update and the four creations) is written;
        // the commit's last event is not. Read everything, let the commit
        // go on, then check (a failed check must not leave it waiting).
        let listing = l.leads(None, 0, 0);
        let created = l.lead(2);
        let history = l.lead_history(1);
        go_tx.send(()).unwrap();
        let listing = listing.unwrap();
        assert_eq!(listing.total, 1);
        assert_eq!(listing.leads.len(), 1);
        assert_eq!(listing.leads[0].fields["City"], "Springfield");
        assert_eq!(listing.leads[0].version, 1);
        assert!(
            matches!(created, Err(LedgerError::NotFound(_))),
            "{created:?}"
        );
        assert_eq!(history.unwrap().len(), 1);
        committer.join().unwrap().unwrap();
    });
    let listing = l.leads(None, 0, 0).unwrap();
    assert_eq!(listing.total, 5);
    assert_eq!(listing.leads[0].fields["City"], "Ogdenville");
    assert_eq!(listing.leads[0].version, 2);
    assert_eq!(l.lead(2).unwrap().fields["Lead Name"], "Beta");
    assert_eq!(l.lead_history(1).unwrap().len(), 2);
}

use crate::store::Table;

/// An in-memory store that counts what is read from it, and whose spools
/// can be made to fail.
struct CountingStore {
    inner: MemStore,
    /// Blocks of events read.
    event_blocks: std::sync::atomic::AtomicUsize,
    /// Reads of the `Leads` table (records and their pages).
    lead_reads: std::sync::atomic::AtomicUsize,
    /// Bytes a new spool takes before it fails.
    spool_limit: std::sync::atomic::AtomicUsize,
    /// Whether new spools fail to be read back.
    spools_unreadable: std::sync::atomic::AtomicBool,
    /// Writes so far, and the one (counted from 1) that fails; 0: none.
    writes: std::sync::atomic::AtomicUsize,
    fail_write: std::sync::atomic::AtomicUsize,
    /// Key-by-key writes of projection tables so far, and the one (counted
    /// from 1) that is torn: half its ops land, then it fails; 0: none.
    projection_each: std::sync::atomic::AtomicUsize,
    tear_projection_each: std::sync::atomic::AtomicUsize,
    /// Whether a file was put and not yet synced ([`Store::sync_blobs`]),
    /// and whether the log's head was written while one was.
    blob_unsynced: std::sync::atomic::AtomicBool,
    head_over_unsynced_blob: std::sync::atomic::AtomicBool,
}

impl CountingStore {
    fn new() -> Self {
        CountingStore {
            inner: MemStore::new(),
            event_blocks: Default::default(),
            lead_reads: Default::default(),
            spool_limit: std::sync::atomic::AtomicUsize::new(usize::MAX),
            spools_unreadable: Default::default(),
            writes: Default::default(),
            fail_write: Default::default(),
            projection_each: Default::default(),
            tear_projection_each: Default::default(),
            blob_unsynced: Default::default(),
            head_over_unsynced_blob: Default::default(),
        }
    }
}

/// A ledger over a fresh [`CountingStore`].
fn counting_ledger(options: LedgerOptions) -> Ledger<CountingStore> {
    Ledger::open(
        CountingStore::new(),
        Box::new(FixedClock(1_764_000_000_000)),
        options,
    )
    .unwrap()
}

impl crate::store::Store for CountingStore {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, crate::store::StoreError> {
        if table == Table::Leads {
            self.lead_reads
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        self.inner.get(table, key)
    }
    fn scan<'a>(&'a self, table: Table, prefix: &[u8], start: &[u8]) -> crate::store::ScanIter<'a> {
        Box::new(self.inner.scan(table, prefix, start).inspect(move |_| {
            if table == Table::Events {
                self.event_blocks
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }))
    }
    fn scan_rev<'a>(&'a self, table: Table, prefix: &[u8]) -> crate::store::ScanIter<'a> {
        self.inner.scan_rev(table, prefix)
    }
    fn write(&self, batch: crate::store::WriteBatch) -> Result<(), crate::store::StoreError> {
        use std::sync::atomic::Ordering::SeqCst;
        let moves_head = batch
            .ops
            .iter()
            .any(|(t, k, _)| *t == Table::LogMeta && k.as_slice() == super::HEAD);
        if moves_head && self.blob_unsynced.load(SeqCst) {
            self.head_over_unsynced_blob.store(true, SeqCst);
        }
        let n = self.writes.fetch_add(1, SeqCst) + 1;
        if n == self.fail_write.load(SeqCst) {
            return Err(crate::store::StoreError::Io(format!("write {n} failed")));
        }
        self.inner.write(batch)
    }
    fn write_each(
        &self,
        mut batch: crate::store::WriteBatch,
    ) -> Result<(), crate::store::StoreError> {
        use std::sync::atomic::Ordering::SeqCst;
        if batch
            .ops
            .iter()
            .any(|(t, _, _)| Table::PROJECTIONS.contains(t))
        {
            let n = self.projection_each.fetch_add(1, SeqCst) + 1;
            if n == self.tear_projection_each.load(SeqCst) {
                batch.ops.truncate(batch.ops.len() / 2);
                self.inner.write_each(batch)?;
                return Err(crate::store::StoreError::Io(format!(
                    "key-by-key write {n} of the projections was torn"
                )));
            }
        }
        self.write(batch)
    }
    fn flush(&self) -> Result<(), crate::store::StoreError> {
        self.inner.flush()
    }
    fn clear(&self, table: Table) -> Result<(), crate::store::StoreError> {
        self.inner.clear(table)
    }
    fn put_blob(
        &self,
        src: &mut dyn std::io::Read,
    ) -> Result<crate::store::BlobRef, crate::store::StoreError> {
        self.blob_unsynced
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.inner.put_blob(src)
    }
    fn sync_blobs(&self) -> Result<(), crate::store::StoreError> {
        self.blob_unsynced
            .store(false, std::sync::atomic::Ordering::SeqCst);
        self.inner.sync_blobs()
    }
    fn open_blob(
        &self,
        hash: &[u8; 32],
    ) -> Result<Box<dyn crate::store::BlobReader>, crate::store::StoreError> {
        self.inner.open_blob(hash)
    }
    fn spool(&self) -> Result<Box<dyn crate::store::Spool>, crate::store::StoreError> {
        Ok(Box::new(FailingSpool {
            inner: self.inner.spool()?,
            written: 0,
            limit: self.spool_limit.load(std::sync::atomic::Ordering::Relaxed),
            unreadable: self
                .spools_unreadable
                .load(std::sync::atomic::Ordering::Relaxed),
        }))
    }
    fn staging(&self) -> Result<Box<dyn crate::store::Spool>, crate::store::StoreError> {
        Ok(Box::new(FailingSpool {
            inner: self.inner.staging()?,
            written: 0,
            limit: self.spool_limit.load(std::sync::atomic::Ordering::Relaxed),
            unreadable: self
                .spools_unreadable
                .load(std::sync::atomic::Ordering::Relaxed),
        }))
    }
    fn open_staged(
        &self,
        name: &str,
    ) -> Result<Option<Box<dyn std::io::Read + Send>>, crate::store::StoreError> {
        self.inner.open_staged(name)
    }
    fn clear_staged(&self) -> Result<(), crate::store::StoreError> {
        self.inner.clear_staged()
    }
}

/// The catch-up after a preview does not read the preview's plan rows back
/// (they project nothing), and what it builds is what a rebuild, which
/// reads every event, builds.
#[test]
fn the_catch_up_after_a_preview_skips_its_plan_rows() {
    let store = CountingStore::new();
    let options = LedgerOptions {
        chunk: 50,
        index: crate::projection::index::Layout {
            span: 64,
            fanout: 2,
        },
        ..Default::default()
    };
    let l = Ledger::open(store, Box::new(FixedClock(1_764_000_000_000)), options).unwrap();
    let csv = numbered_leads_csv(3000);
    let cmd = preview_cmd();
    let before = l
        .store
        .event_blocks
        .load(std::sync::atomic::Ordering::Relaxed);
    let p = l.preview(cmd, &mut csv.as_bytes(), &NoProgress).unwrap();
    let read = l
        .store
        .event_blocks
        .load(std::sync::atomic::Ordering::Relaxed)
        - before;
    // The answer comes from the preview's spool, not the log; the
    // catch-up reads only the blocks around the first and last events and
    // where a chunk starts.
    let blocks = crate::store::Store::scan(&l.store.inner, Table::Events, &[], &[]).count();
    assert_eq!(p.counts.create, 3000);
    assert_eq!(p.rows.len(), 3000);
    assert!(blocks > 100, "{blocks} blocks");
    assert!(
        read < 20,
        "the preview read {read} blocks of events, of {blocks}"
    );
    let listing = l.imports(0, 10).unwrap();
    assert_eq!(listing.imports[0].counts.create, 3000);
    l.commit(p.import_id, "tester", &NoProgress).unwrap();
    let incremental = l.projection_digest().unwrap();
    let report = l.rebuild(&NoProgress).unwrap();
    assert_eq!(report.digest_after, incremental);
    assert!(report.identical);
}

/// The event blocks a rebuild of `l` reads, and its report.
fn blocks_a_rebuild_reads(l: &Ledger<CountingStore>) -> (usize, super::report::RebuildReport) {
    use std::sync::atomic::Ordering::Relaxed;
    let before = l.store.event_blocks.load(Relaxed);
    let report = l.rebuild(&NoProgress).unwrap();
    (l.store.event_blocks.load(Relaxed) - before, report)
}

/// A preview of 3,000 rows, committed, on a [`CountingStore`], and the
/// runs of plan rows its log's meta records.
fn committed_with_runs() -> (Ledger<CountingStore>, Vec<std::ops::Range<u64>>) {
    let l = counting_ledger(LedgerOptions {
        chunk: 50,
        ..Default::default()
    });
    let csv = numbered_leads_csv(3000);
    let p = l
        .preview(preview_cmd(), &mut csv.as_bytes(), &NoProgress)
        .unwrap();
    l.commit(p.import_id, "tester", &NoProgress).unwrap();
    let next_seq = l.head().unwrap().next_seq;
    let runs = super::runs::load(&l.store, next_seq).unwrap().unwrap();
    (l, runs)
}

/// Writes (with a value) or removes the recorded run that begins at `start`.
fn put_run(l: &Ledger<CountingStore>, start: u64, value: Option<Vec<u8>>) {
    let mut batch = crate::store::WriteBatch::default();
    match value {
        Some(value) => batch.put(Table::LogMeta, super::runs::key(start), value),
        None => batch.remove(Table::LogMeta, super::runs::key(start)),
    }
    crate::store::Store::write(&l.store, batch).unwrap();
}

/// The append that writes a preview's plan rows records where they lie,
/// and a rebuild passes over them without reading their blocks: it reads
/// a fraction of what it reads once the record is gone, and builds the
/// same projections either way.
#[test]
fn a_rebuild_passes_over_the_recorded_plan_rows() {
    let (l, runs) = committed_with_runs();
    let state = l.import_state(1).unwrap();
    let (first, last) = state.preview_seqs;
    // The plan rows lie between the file's event and the summary.
    assert_eq!(runs, vec![first + 1..last]);
    assert_eq!(last - first - 1, 3000);
    let (skipping, report) = blocks_a_rebuild_reads(&l);
    assert!(report.identical);
    put_run(&l, runs[0].start, None);
    let (reading, report) = blocks_a_rebuild_reads(&l);
    assert!(report.identical);
    // The blocks that end within the plan rows hold nothing else.
    let plan_blocks = crate::store::Store::scan(&l.store.inner, Table::Events, &[], &[])
        .map(|e| e.unwrap().0)
        .filter(|key| runs[0].contains(&block_last_seq(key)))
        .count();
    assert!(plan_blocks > 50, "{plan_blocks}");
    assert!(
        skipping + plan_blocks <= reading + 1,
        "a rebuild read {skipping} blocks with the record, {reading} without, of {plan_blocks} blocks of plan rows"
    );
    assert!(l.verify().unwrap().ok);
}

/// `ledger verify` proves the recorded runs hold nothing but plan rows: a
/// run stretched over the commit's leads names the first lead's event, and
/// a run past the head is named too. A catch-up does not trust a run
/// that is not well-formed: it reads those events.
#[test]
fn verify_refuses_a_recorded_run_over_other_events() {
    let (l, runs) = committed_with_runs();
    let (_, last) = l.import_state(1).unwrap().preview_seqs;
    let end = l.head().unwrap().next_seq;
    // Stretch the run over the summary and the commit's events.
    put_run(
        &l,
        runs[0].start,
        Some(crate::codec::encode(&(end - 1)).unwrap()),
    );
    let report = l.verify().unwrap();
    assert!(!report.ok);
    assert_eq!(report.first_bad_seq, Some(last));
    let problem = report.problem.unwrap();
    assert!(
        problem.contains("PreviewSummarised") && problem.contains("plan row"),
        "{problem}"
    );

    let (l, runs) = committed_with_runs();
    let end = l.head().unwrap().next_seq;
    put_run(&l, end - 1, Some(crate::codec::encode(&(end + 5)).unwrap()));
    let report = l.verify().unwrap();
    assert_eq!(report.first_bad_seq, Some(end - 1));
    assert!(report.problem.unwrap().contains("not within the log"));
    // A rebuild reads every event then, and builds what it built before.
    let (with_bad_run, report) = blocks_a_rebuild_reads(&l);
    assert!(report.identical);
    put_run(&l, runs[0].start, None);
    put_run(&l, end - 1, None);
    let (without_runs, _) = blocks_a_rebuild_reads(&l);
    assert_eq!(with_bad_run, without_runs);
}

/// A commit checks each row against the CRM view only when something was
/// appended since its preview: right after it, the view is the one the
/// plan was made against (and the stale plan of `a_stale_plan_is_refused`
/// is still refused).
#[test]
fn a_commit_right_after_its_preview_skips_the_staleness_reads() {
    let l = counting_ledger(LedgerOptions::default());
    let p = l
        .preview(
            preview_cmd(),
            &mut numbered_leads_csv(40).as_bytes(),
            &NoProgress,
        )
        .unwrap();
    l.commit(p.import_id, "t", &NoProgress).unwrap();
    let reads_of_commit = |city: &str, between: &dyn Fn()| {
        let mut updates = String::from("Export Value,City\n");
        for i in 0..40 {
            updates.push_str(&format!("E{i},{city}\n"));
        }
        let p = l
            .preview(preview_cmd(), &mut updates.as_bytes(), &NoProgress)
            .unwrap();
        assert_eq!(p.counts.update, 40);
        between();
        let reads = || {
            l.store
                .lead_reads
                .load(std::sync::atomic::Ordering::Relaxed)
        };
        let before = reads();
        l.commit(p.import_id, "t", &NoProgress).unwrap();
        reads() - before
    };
    // Once, so that every record is at version 2 (kept in a page of updated leads)
    // for both commits compared.
    reads_of_commit("Springfield", &|| {});
    let right_after = reads_of_commit("Ogdenville", &|| {});
    let after_another_event = reads_of_commit("Shelbyville", &|| {
        l.add_list_item(crate::catalogue::ListName::Industry, "Space", "t")
            .unwrap();
    });
    assert!(
        right_after + 40 <= after_another_event,
        "{right_after} lead reads right after the preview, {after_another_event} after another event"
    );
}

/// A commit right after its preview reads its creates from the plan rows'
/// bytes without decoding their values; one after another event decodes
/// the plan. Both record the same events: each create names its plan row,
/// and reads back with that row's values.
#[test]
fn raw_and_decoded_commits_record_the_same_events() {
    use crate::event::Event;
    let mut csv = String::from(
        "Lead Name,Export Value,Employees,Contact First Name,Contact Last Name,\
         Communication Subject,Communication Date,Opportunity Title,Opportunity Amount\n",
    );
    for i in 0..60 {
        let contact = if i % 2 == 0 { "Ann,Lée" } else { "," };
        let communication = if i % 3 == 0 {
            "Call,2026-03-01 14:30"
        } else {
            ","
        };
        let opportunity = if i % 5 < 2 {
            "Order,\"12,500.50\""
        } else {
            ","
        };
        csv.push_str(&format!(
            "Lead {i},E{i},{},{contact},{communication},{opportunity}\n",
            i * 7
        ));
    }
    let commit_events = |between: &dyn Fn(&Ledger<MemStore>)| {
        let l = ledger(16);
        let p = preview(&l, &csv);
        assert_eq!(p.counts.errors, 0, "{:?}", p.rows.first());
        between(&l);
        l.commit(p.import_id, "t", &NoProgress).unwrap();
        let info = l.import_state(p.import_id).unwrap().commit.unwrap();
        let (first_plan_row, last_plan_row) = l.import_state(p.import_id).unwrap().preview_seqs;
        (info.first_seq..=info.last_seq)
            .map(|seq| {
                let rec = l.event(seq).unwrap();
                let stored: Event = crate::codec::decode(&rec.envelope.payload).unwrap();
                if rec.envelope.type_tag != "ImportCommitted" {
                    // Schema 2, naming a plan row of this import, and read
                    // back as the create of schema 1 with its values.
                    assert_eq!(rec.envelope.schema, 2, "{stored:?}");
                    let plan = stored.plan_row().unwrap();
                    assert!(first_plan_row < plan && plan < last_plan_row);
                    let (Event::LeadCreated { row, fields, .. }
                    | Event::ContactCreated { row, fields, .. }
                    | Event::CommunicationCreated { row, fields, .. }
                    | Event::OpportunityCreated { row, fields, .. }) = &rec.event
                    else {
                        panic!("{:?}", rec.event)
                    };
                    assert!(!fields.is_empty());
                    let Event::RowValidated { row: plan_row, .. } = l.event(plan).unwrap().event
                    else {
                        panic!("event {plan} is not a plan row")
                    };
                    assert_eq!(*row, plan_row);
                    assert_eq!(rec.envelope.type_tag, rec.event.type_tag().0);
                }
                (rec.envelope.type_tag, rec.envelope.payload)
            })
            .collect::<Vec<_>>()
    };
    // Right after the preview, from the plan it staged (its file is there
    // until the commit).
    let staged = commit_events(&|l| assert_eq!(l.store.staged().len(), 1));
    // The same without the staged plan: the plan rows read raw.
    let spliced = commit_events(&|l| l.store.staged().clear());
    let decoded = commit_events(&|l| {
        l.add_list_item(crate::catalogue::ListName::Industry, "Space", "t")
            .unwrap();
    });
    let tags = |events: &[(String, Vec<u8>)]| {
        let mut n = std::collections::BTreeMap::new();
        for (tag, _) in events {
            *n.entry(tag.clone()).or_insert(0) += 1;
        }
        n
    };
    let expected: std::collections::BTreeMap<String, i32> = [
        ("CommunicationCreated", 20),
        ("ContactCreated", 30),
        ("ImportCommitted", 1),
        ("LeadCreated", 60),
        ("OpportunityCreated", 24),
    ]
    .into_iter()
    .map(|(t, n)| (t.to_string(), n))
    .collect();
    assert_eq!(tags(&spliced), expected);
    assert_eq!(spliced, decoded);
    assert_eq!(staged, spliced);
}

/// A write of the log that fails on the writer thread, part-way through a
/// preview's chunks, fails the preview and leaves the log as it was: the
/// chunks written before it are discarded, and the next preview works.
#[test]
fn a_failed_write_of_the_log_appends_nothing() {
    use std::sync::atomic::Ordering::SeqCst;
    let l = counting_ledger(LedgerOptions {
        chunk: 16,
        ..Default::default()
    });
    let blocks = || {
        crate::store::Store::scan(&l.store, Table::Events, &[], &[])
            .map(|e| e.unwrap())
            .collect::<Vec<_>>()
    };
    let head = l.head().unwrap();
    let before = blocks();
    // The third write from here: two chunks of the preview are in.
    l.store
        .fail_write
        .store(l.store.writes.load(SeqCst) + 3, SeqCst);
    let csv = numbered_leads_csv(200);
    let failed = l.preview(preview_cmd(), &mut csv.as_bytes(), &NoProgress);
    assert!(matches!(failed, Err(LedgerError::Store(_))), "{failed:?}");
    assert_eq!(l.head().unwrap(), head);
    assert_eq!(blocks(), before, "the chunks written were discarded");
    let p = l
        .preview(preview_cmd(), &mut csv.as_bytes(), &NoProgress)
        .unwrap();
    assert_eq!(p.counts.create, 200);
    assert!(l.verify().unwrap().ok);
}

/// A catch-up of several chunks writes them key by key behind the
/// `partial` marker. A write torn part-way (half a chunk's keys in, then a
/// failure, as a crash would leave it) fails the commit's projection but
/// not the commit; the next catch-up finds the marker and rebuilds the
/// projections from the log, to the very bytes of a ledger whose writes
/// never failed. A single-chunk catch-up writes atomically and leaves no
/// marker.
#[test]
fn a_torn_chunk_write_is_rebuilt_from_the_log() {
    use std::sync::atomic::Ordering::SeqCst;
    let options = || LedgerOptions {
        chunk: 16,
        ..Default::default()
    };
    let csv = numbered_leads_csv(200);
    let clean = counting_ledger(options());
    let torn = counting_ledger(options());
    for l in [&clean, &torn] {
        let p = l
            .preview(preview_cmd(), &mut csv.as_bytes(), &NoProgress)
            .unwrap();
        assert_eq!(p.counts.create, 200);
    }
    let before = clean.store.projection_each.load(SeqCst);
    clean.commit(1, "t", &NoProgress).unwrap();
    assert!(
        clean.store.projection_each.load(SeqCst) > before + 3,
        "the commit's catch-up has several chunks"
    );
    let marker = |l: &Ledger<CountingStore>| {
        crate::store::Store::get(&l.store, Table::ProjMeta, crate::projection::keys::PARTIAL)
            .unwrap()
    };
    assert_eq!(marker(&clean), None, "removed after the last chunk");

    torn.store.tear_projection_each.store(before + 3, SeqCst);
    let failed = torn.commit(1, "t", &NoProgress);
    assert!(matches!(failed, Err(LedgerError::Store(_))), "{failed:?}");
    assert_eq!(
        torn.head().unwrap(),
        clean.head().unwrap(),
        "the commit is in the log"
    );
    assert!(marker(&torn).is_some(), "the marker stays");
    // The next append's catch-up rebuilds everything, then projects it;
    // where nothing was torn, it is one atomic chunk.
    let revoke = || crate::event::Event::TokenRevoked {
        name: "nobody".into(),
    };
    let each = clean.store.projection_each.load(SeqCst);
    clean.append_one("t", revoke()).unwrap();
    assert_eq!(clean.store.projection_each.load(SeqCst), each, "atomic");
    torn.append_one("t", revoke()).unwrap();
    assert_eq!(marker(&torn), None);
    assert_eq!(
        torn.projection_digest().unwrap(),
        clean.projection_digest().unwrap()
    );
    assert_eq!(torn.leads(None, 0, 0).unwrap().total, 200);
    assert!(torn.verify().unwrap().ok);
}

/// `n` leads, each with a name and an export value.
fn numbered_leads_csv(n: usize) -> String {
    let mut csv = String::from("Lead Name,Export Value\n");
    for i in 0..n {
        csv.push_str(&format!("Lead {i},E{i}\n"));
    }
    csv
}

/// The stored blocks of the events table, keys and values.
fn event_blocks(l: &Ledger<MemStore>) -> Vec<(Vec<u8>, Vec<u8>)> {
    crate::store::Store::scan(&l.store, Table::Events, &[], &[])
        .map(|e| e.unwrap())
        .collect()
}

/// The sequence number of a block's last event, from its key.
fn block_last_seq(key: &[u8]) -> u64 {
    u64::from_be_bytes(key[..8].try_into().unwrap())
}

/// Stores `block` with its last byte flipped: that byte is in its last
/// event's stored hash.
fn alter_block_end(l: &Ledger<MemStore>, block: &(Vec<u8>, Vec<u8>)) {
    let (key, mut value) = block.clone();
    *value.last_mut().unwrap() ^= 0xff;
    let mut batch = crate::store::WriteBatch::default();
    batch.put(Table::Events, key, value);
    crate::store::Store::write(&l.store, batch).unwrap();
}

/// A catch-up over a log with an event missing stops with an error naming
/// it (the reading thread sends the error and ends) instead of hanging or
/// projecting past the gap.
#[test]
fn a_catch_up_over_a_gap_in_the_log_fails_naming_the_event() {
    let l = ledger(8192);
    let p = preview(&l, &numbered_leads_csv(400));
    l.commit(p.import_id, "tester", &NoProgress).unwrap();
    // Remove the block holding the commit's first lead.
    let first_lead = l.import_state(p.import_id).unwrap().preview_seqs.1 + 1;
    let blocks = event_blocks(&l);
    let block = blocks
        .iter()
        .find(|(key, _)| block_last_seq(key) >= first_lead)
        .unwrap();
    let mut batch = crate::store::WriteBatch::default();
    batch.remove(Table::Events, block.0.clone());
    crate::store::Store::write(&l.store, batch).unwrap();
    let failed = l.rebuild(&NoProgress);
    assert!(
        matches!(&failed, Err(LedgerError::Corrupt(m)) if m.contains("missing")),
        "{failed:?}"
    );
}

/// A catch-up of many chunks keeps level-0 index runs in memory until
/// their group is merged (`projection::index::Held`). One that fails
/// between chunks (here at an event missing from the log) writes the runs
/// it held before it removes its `partial` marker, so the projections are
/// whole at their checkpoint: the next catch-up goes on from there to the
/// bytes of a ledger that never failed.
#[test]
fn a_catch_up_failing_between_chunks_writes_the_index_runs_it_held() {
    let layout = crate::projection::index::Layout {
        span: 16,
        fanout: 4,
    };
    let clean = ledger_with_index(8, layout);
    let broken = ledger_with_index(8, layout);
    let csv = numbered_leads_csv(400);
    for l in [&clean, &broken] {
        let p = preview(l, &csv);
        l.commit(p.import_id, "tester", &NoProgress).unwrap();
    }
    // Take out a block of the commit's events that begins past the first
    // range of an index group (16 * 4 sequence numbers), so that the
    // ranges before it in its group are held when the catch-up fails.
    let first_lead = broken.import_state(1).unwrap().preview_seqs.1 + 1;
    let blocks = event_blocks(&broken);
    let block = blocks
        .windows(2)
        .find(|pair| {
            let begins = block_last_seq(&pair[0].0) + 1;
            begins > first_lead + 150 && (20..60).contains(&(begins % 64))
        })
        .unwrap()[1]
        .clone();
    rebuild_failing_at_then_going_on(&clean, &broken, block, first_lead + 100);
    assert_eq!(broken.leads(None, 0, 0).unwrap().total, 400);
}

/// A catch-up of many updates carries the updated leads from chunk to
/// chunk instead of writing each chunk's (`Overlay::carrying`). One that
/// fails between chunks writes what it carried before it removes its
/// `partial` marker, and the next catch-up goes on from the checkpoint to
/// the bytes of a ledger that never failed.
#[test]
fn a_catch_up_failing_between_chunks_writes_the_updated_leads_it_carried() {
    let clean = ledger(8);
    let broken = ledger(8);
    let mut update = String::from("Lead Name,Export Value,City\n");
    for i in 0..400 {
        update.push_str(&format!("Lead {i},E{i},Town {i}\n"));
    }
    for l in [&clean, &broken] {
        for csv in [numbered_leads_csv(400), update.clone()] {
            let p = preview(l, &csv);
            l.commit(p.import_id, "tester", &NoProgress).unwrap();
        }
    }
    assert_eq!(clean.import_state(2).unwrap().counts.update, 400);
    // Take out a block of the update commit's events, past its first
    // hundred updates.
    let first_update = broken.import_state(2).unwrap().preview_seqs.1 + 1;
    let blocks = event_blocks(&broken);
    let block = blocks
        .windows(2)
        .find(|pair| block_last_seq(&pair[0].0) >= first_update + 100)
        .unwrap()[1]
        .clone();
    rebuild_failing_at_then_going_on(&clean, &broken, block, first_update + 50);
}

/// Takes `block` out of `broken`'s log and has a rebuild fail at it,
/// between chunks: the `partial` marker goes (the chunks written are
/// whole) with the checkpoint past `past`. Then puts the block back: the
/// next append's catch-up goes on from the checkpoint (no rebuild) to the
/// bytes of `clean`, the same ledger that never failed.
fn rebuild_failing_at_then_going_on(
    clean: &Ledger<MemStore>,
    broken: &Ledger<MemStore>,
    block: (Vec<u8>, Vec<u8>),
    past: u64,
) {
    let mut batch = crate::store::WriteBatch::default();
    batch.remove(Table::Events, block.0.clone());
    crate::store::Store::write(&broken.store, batch).unwrap();
    let failed = broken.rebuild(&NoProgress);
    assert!(
        matches!(&failed, Err(LedgerError::Corrupt(m)) if m.contains("missing")),
        "{failed:?}"
    );
    let marker = crate::store::Store::get(
        &broken.store,
        Table::ProjMeta,
        crate::projection::keys::PARTIAL,
    )
    .unwrap();
    assert_eq!(marker, None, "the chunks written are whole");
    assert!(broken.checkpoint().unwrap() > past);
    let mut batch = crate::store::WriteBatch::default();
    batch.put(Table::Events, block.0, block.1);
    crate::store::Store::write(&broken.store, batch).unwrap();
    let revoke = || crate::event::Event::TokenRevoked {
        name: "nobody".into(),
    };
    clean.append_one("t", revoke()).unwrap();
    broken.append_one("t", revoke()).unwrap();
    assert_eq!(
        broken.projection_digest().unwrap(),
        clean.projection_digest().unwrap()
    );
    assert!(broken.verify().unwrap().ok);
}

/// A block missing among the recorded plan rows is not read by a rebuild,
/// which passes over them; `ledger verify` names it.
#[test]
fn verify_names_a_gap_among_the_plan_rows_a_rebuild_passes_over() {
    let l = ledger(8192);
    let p = preview(&l, &numbered_leads_csv(400));
    l.commit(p.import_id, "tester", &NoProgress).unwrap();
    let (first, last) = l.import_state(p.import_id).unwrap().preview_seqs;
    let blocks = event_blocks(&l);
    let (key, _) = blocks
        .iter()
        .find(|(key, _)| block_last_seq(key) >= first + 200)
        .unwrap();
    assert!(block_last_seq(key) < last);
    let mut batch = crate::store::WriteBatch::default();
    batch.remove(Table::Events, key.clone());
    crate::store::Store::write(&l.store, batch).unwrap();
    assert!(l.rebuild(&NoProgress).unwrap().identical);
    let report = l.verify().unwrap();
    assert!(!report.ok);
    assert!(report.problem.unwrap().contains("missing"));
    let gap = report.first_bad_seq.unwrap();
    assert!(first + 1 < gap && gap <= first + 200, "{gap}");
}

/// A plan row altered in the log stops a commit that reads the plan from
/// the log with an error, and nothing of the commit is appended: the rows
/// read ahead on the second thread carry the error over instead of ending
/// the plan early. (A commit from a staged plan does not read the plan
/// rows: `a_commit_from_a_staged_plan_reads_no_plan_row`.)
#[test]
fn a_commit_over_an_altered_plan_row_fails_and_appends_nothing() {
    let l = ledger(8192);
    let p = preview(&l, &numbered_leads_csv(2000));
    l.store.staged().clear();
    let head = l.head().unwrap().next_seq;
    // Alter the last byte of a block in the middle of the plan (inside an
    // event's stored hash).
    let blocks = event_blocks(&l);
    alter_block_end(&l, &blocks[blocks.len() / 2]);
    let failed = l.commit(p.import_id, "tester", &NoProgress);
    assert!(
        matches!(&failed, Err(LedgerError::Corrupt(m)) if m.contains("altered")),
        "{failed:?}"
    );
    assert_eq!(l.head().unwrap().next_seq, head);
    assert!(l.lead(1).is_err(), "no lead was created");
}

/// A rebuild checks the hashes of the events it projects a batch at a
/// time: over an altered lead event it stops with an error naming it, and
/// the projections stop before it (the events before it in its batch are
/// projected, none after).
#[test]
fn a_rebuild_over_an_altered_event_stops_before_it() {
    let l = ledger(64);
    let p = preview(&l, &numbered_leads_csv(2000));
    l.commit(p.import_id, "tester", &NoProgress).unwrap();
    let (_, plan_end) = l.import_state(p.import_id).unwrap().preview_seqs;
    // A block of the commit's events, well inside them.
    let blocks = event_blocks(&l);
    let block = blocks
        .iter()
        .filter(|(key, _)| block_last_seq(key) > plan_end + 300)
        .nth(3)
        .unwrap();
    let bad = block_last_seq(&block.0);
    alter_block_end(&l, block);
    let failed = l.rebuild(&NoProgress);
    assert!(
        matches!(&failed, Err(LedgerError::Corrupt(m)) if m.contains("altered") && m.contains(&bad.to_string())),
        "{failed:?}"
    );
    let checkpoint = l.checkpoint().unwrap();
    assert!(
        checkpoint <= bad,
        "projected up to {checkpoint}, past event {bad}"
    );
    assert!(checkpoint > plan_end, "projected only up to {checkpoint}");
}

/// `ledger verify` checks events' hashes a batch at a time; with two
/// altered events, in one batch or in two, it names the first.
#[test]
fn verify_names_the_first_of_two_altered_events() {
    for (first, second) in [(1, 2), (3, 40)] {
        let l = ledger(8192);
        preview(&l, &numbered_leads_csv(2000));
        let blocks = event_blocks(&l);
        assert!(blocks.len() > 40, "{} blocks", blocks.len());
        for k in [second, first] {
            alter_block_end(&l, &blocks[k]);
        }
        let report = l.verify().unwrap();
        assert!(!report.ok);
        assert_eq!(
            report.first_bad_seq,
            Some(block_last_seq(&blocks[first].0)),
            "blocks {first} and {second}"
        );
        assert!(report.problem.unwrap().contains("altered"));
    }
}

/// The commit's answer is built from the plan alone (created leads take
/// consecutive CRM IDs from the commit's `first_crm_id`): it must say what
/// the commit's events say, row by row, for creates among updates and
/// unchanged rows, after earlier commits.
#[test]
fn a_commit_answer_names_the_crm_ids_its_events_recorded() {
    use crate::event::Event;
    let l = ledger(2);
    let first = preview(
        &l,
        "Lead Name,Export Value,City\nAcme,A1,X\nBeta,B1,Y\nGamma,G1,Z\n",
    );
    l.commit(first.import_id, "t", &NoProgress).unwrap();
    let mixed = preview(
        &l,
        "Lead Name,Export Value,City\nNew1,N1,Q\nAcme,A1,X2\nNew2,N2,Q\nBeta,B1,Y\nNew3,N3,Q\n",
    );
    assert_eq!(
        (
            mixed.counts.create,
            mixed.counts.update,
            mixed.counts.unchanged
        ),
        (3, 1, 1)
    );
    let answer = l.commit(mixed.import_id, "t", &NoProgress).unwrap();
    let state = l.import_state(mixed.import_id).unwrap();
    let commit = state.commit.unwrap();
    let mut recorded = Vec::new();
    for seq in commit.first_seq..commit.last_seq {
        match l.event(seq).unwrap().event {
            Event::LeadCreated {
                row,
                crm_id,
                fields,
                ..
            } => {
                let name = fields[0].1.to_string();
                recorded.push((row, crm_id, name, "create".to_string()));
            }
            Event::LeadUpdated { row, crm_id, .. } => {
                let name = l.lead(crm_id).unwrap().fields["Lead Name"]
                    .as_str()
                    .unwrap()
                    .to_string();
                recorded.push((row, crm_id, name, "update".to_string()));
            }
            _ => {}
        }
    }
    recorded.push((5, 2, "Beta".into(), "unchanged".into()));
    recorded.sort();
    let answered: Vec<_> = answer
        .leads
        .iter()
        .map(|v| (v.row, v.crm_id, v.lead_name.clone(), v.action.clone()))
        .collect();
    assert_eq!(answered, recorded);
    assert_eq!(commit.first_crm_id, 4);
    let urls: Vec<_> = answer.leads.iter().map(|v| v.url.clone()).collect();
    assert_eq!(urls[0], super::report::lead_url(4));
}

/// The digest behind a rebuild's "identical" is blake3 over every
/// projection entry, framed as table name, then key and value each after
/// its length; computed on two threads, it must still be exactly that.
#[test]
fn the_projection_digest_hashes_every_entry_in_order() {
    use crate::store::{Store, Table};
    let l = ledger(8192);
    let p = preview(&l, &numbered_leads_csv(8000));
    l.commit(p.import_id, "t", &NoProgress).unwrap();
    let mut hasher = blake3::Hasher::new();
    let mut bytes = 0;
    for table in Table::PROJECTIONS {
        hasher.update(table.name().as_bytes());
        for entry in l.store.scan(table, &[], &[]) {
            let (key, value) = entry.unwrap();
            hasher.update(&(key.len() as u64).to_le_bytes());
            hasher.update(&key);
            hasher.update(&(value.len() as u64).to_le_bytes());
            hasher.update(&value);
            bytes += key.len() + value.len();
        }
    }
    // More than one of the reading thread's 256 KiB buffers.
    assert!(bytes > 300 * 1024, "{bytes} bytes");
    let expected = super::report::hex(hasher.finalize().as_bytes());
    assert_eq!(l.projection_digest().unwrap(), expected);
}

/// A projection chunk holds `chunk` events read whole (updates) or four
/// times as many creations (read lean), and never crosses an index range.
#[test]
fn a_projection_chunk_holds_four_times_as_many_creations_as_updates() {
    use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
    use std::sync::Arc;
    let chunks = Arc::new(AtomicU64::new(0));
    let seen = Arc::clone(&chunks);
    let ledger_with = |span: u64| {
        let seen = Arc::clone(&seen);
        let options = LedgerOptions {
            chunk: 8,
            index: crate::projection::index::Layout { span, fanout: 8 },
            fail_point: Some(Arc::new(move |point: &str, n: u64| {
                if point == "projected" {
                    seen.store(n, SeqCst);
                }
            })),
            ..Default::default()
        };
        ledger_with(options)
    };
    let csv = |n: usize, city: &str| {
        let mut csv = String::from("Lead Name,Export Value,City\n");
        for i in 0..n {
            csv.push_str(&format!("Lead {i},E{i},{city}\n"));
        }
        csv
    };
    // The chunks of one commit's catch-up.
    let commit = |l: &Ledger<MemStore>, csv: &str| {
        let p = preview(l, csv);
        chunks.store(0, SeqCst);
        l.commit(p.import_id, "t", &NoProgress).unwrap();
        chunks.load(SeqCst)
    };
    let l = ledger_with(1 << 20);
    // 40 creations and `ImportCommitted` (whole): 32 + 9.
    assert_eq!(commit(&l, &csv(40, "Springfield")), 2);
    // 20 updates and `ImportCommitted`: 8 + 8 + 5.
    assert_eq!(commit(&l, &csv(20, "Shelbyville")), 3);
    // With ranges of 16 sequence numbers, no chunk crosses a range's end.
    let l = ledger_with(16);
    let p = preview(&l, &csv(40, "Springfield"));
    let first = l.import_state(p.import_id).unwrap().preview_seqs.1 + 1;
    chunks.store(0, SeqCst);
    l.commit(p.import_id, "t", &NoProgress).unwrap();
    let end = first + 41;
    let ranges = (end - 1) / 16 - first / 16 + 1;
    assert_eq!(chunks.load(SeqCst), ranges);
}

/// The projection of a chunk of updates reads the renamed leads' first
/// events (for their kind) with one reader, whose cursor moves forward
/// through the creations, instead of starting a new cursor for every lead.
#[test]
fn a_chunk_of_updates_reads_its_leads_with_one_reader() {
    use std::sync::atomic::Ordering::Relaxed;
    let l = counting_ledger(LedgerOptions::default());
    let n = 400;
    let p = preview_as(&l, &numbered_leads_csv(n));
    l.commit(p.import_id, "tester", &NoProgress).unwrap();
    // Renamed: a new name moves index entries, which needs each lead's
    // kind, from its first event.
    let mut update = String::from("Export Value,City,Lead Name\n");
    for i in 0..n {
        update.push_str(&format!("E{i},Springfield,Renamed {i}\n"));
    }
    let p = preview_as(&l, &update);
    assert_eq!(p.counts.update, n as u64);
    let before = l.store.event_blocks.load(Relaxed);
    l.commit(p.import_id, "tester", &NoProgress).unwrap();
    let read = l.store.event_blocks.load(Relaxed) - before;
    let blocks = crate::store::Store::scan(&l.store.inner, Table::Events, &[], &[]).count();
    // Each block of the log at most about once (the plan of the update,
    // its events, and the creations and plan rows of the leads), far
    // fewer than two per lead.
    assert!(
        read <= blocks + 8,
        "the commit read {read} blocks of events, of {blocks}"
    );
    assert!(read < n, "the commit read {read} blocks for {n} leads");
    assert_eq!(l.lead(1).unwrap().fields["City"], "Springfield");
    assert_eq!(l.lead(1).unwrap().fields["Lead Name"], "Renamed 0");
}

fn preview_as<S: crate::store::Store>(l: &Ledger<S>, csv: &str) -> super::report::ImportReport {
    l.preview(preview_cmd(), &mut csv.as_bytes(), &NoProgress)
        .unwrap()
}

/// An update that renames a lead and changes its export value moves its
/// index entries: the new name and export value match it, the old ones
/// match nothing, before and after a rebuild. The record reads with the
/// update folded in.
#[test]
fn an_update_moves_the_index_entries_of_the_fields_it_changes() {
    let l = ledger(16);
    let p = preview(&l, "Lead Name,Export Value,City\nAcme,E1,Springfield\n");
    l.commit(p.import_id, "t", &NoProgress).unwrap();
    let p = preview(&l, "Account CRM ID,Lead Name,Export Value\n1,Beta,E2\n");
    assert_eq!(p.counts.update, 1, "{:?}", p.errors);
    l.commit(p.import_id, "t", &NoProgress).unwrap();
    for round in ["incremental", "rebuilt"] {
        let lead = l.lead(1).unwrap();
        assert_eq!(lead.fields["Lead Name"], "Beta", "{round}");
        assert_eq!(lead.fields["City"], "Springfield", "{round}");
        assert_eq!(lead.version, 2, "{round}");
        let actions = |csv: &str| -> Vec<(String, Option<u64>)> {
            preview(&l, csv)
                .rows
                .into_iter()
                .map(|r| (r.action, r.crm_id))
                .collect()
        };
        // By name, then by export value: the new ones match lead 1.
        assert_eq!(
            actions("Lead Name,City\nBeta,Ogdenville\n"),
            [("update".to_string(), Some(1))]
        );
        assert_eq!(
            actions("Export Value,City\nE2,Ogdenville\n"),
            [("update".to_string(), Some(1))]
        );
        // The old ones match nothing: a new lead.
        assert_eq!(
            actions("Lead Name,City\nAcme,Ogdenville\n"),
            [("create".to_string(), None)]
        );
        assert_eq!(
            actions("Export Value,Lead Name\nE1,Gamma\n"),
            [("create".to_string(), None)]
        );
        assert!(l.rebuild(&NoProgress).unwrap().identical);
    }
}

/// The rows of a commit's events, as stored: type tag and payload.
fn committed_events<S: crate::store::Store>(
    l: &Ledger<S>,
    import_id: u64,
) -> Vec<(String, Vec<u8>)> {
    let info = l.import_state(import_id).unwrap().commit.unwrap();
    (info.first_seq..=info.last_seq)
        .map(|seq| {
            let rec = l.event(seq).unwrap();
            (rec.envelope.type_tag, rec.envelope.payload)
        })
        .collect()
}

/// A commit answered while its projections catch up answers what the
/// projections answer once caught up: for a commit of creates from a
/// staged plan, and for one of updates and unchanged rows.
#[test]
fn a_commit_answered_while_catching_up_answers_as_the_projections_do() {
    let l = ledger(64);
    let p = preview_as(&l, &numbered_leads_csv(3000));
    let answered = l
        .commit_answering(p.import_id, "ann", &NoProgress, |r| r.collect())
        .unwrap()
        .unwrap();
    assert_eq!(answered.counts.created, 3000);
    assert_eq!(answered.leads[2999].crm_id, 3000);
    assert_eq!(Some(answered), l.commit_report(p.import_id).unwrap());
    assert_eq!(l.lead(3000).unwrap().fields["Lead Name"], "Lead 2999");

    let mut update = String::from("Export Value,City\n");
    for i in 0..3000 {
        let city = if i % 3 == 0 { "Springfield" } else { "" };
        update.push_str(&format!("E{i},{city}\n"));
    }
    let p = preview_as(&l, &update);
    assert_eq!(p.counts.update, 1000);
    let answered = l
        .commit_answering(p.import_id, "bob", &NoProgress, |r| r.collect())
        .unwrap()
        .unwrap();
    assert_eq!(answered.counts.updated, 1000);
    assert_eq!(answered.counts.unchanged, 2000);
    assert_eq!(answered.committed_by, "bob");
    assert_eq!(Some(answered), l.commit_report(p.import_id).unwrap());
    assert_eq!(l.lead(1).unwrap().fields["City"], "Springfield");
}

/// A commit whose answer cannot be made once it is acknowledged (its
/// spool of heads cannot be read back) reports the error, and its
/// projections still catch up: the import reads as committed and its
/// leads are there.
#[test]
fn a_commit_whose_answer_fails_still_catches_up() {
    use std::sync::atomic::Ordering::Relaxed;
    let l = counting_ledger(LedgerOptions::default());
    let p = preview_as(&l, &numbered_leads_csv(300));
    l.store.spools_unreadable.store(true, Relaxed);
    let failed = l.commit_answering(p.import_id, "t", &NoProgress, |_| ());
    assert!(
        matches!(&failed, Err(LedgerError::Store(e)) if e.to_string().contains("the spool is gone")),
        "{:?}",
        failed.err()
    );
    l.store.spools_unreadable.store(false, Relaxed);
    let state = l.import_state(p.import_id).unwrap();
    assert_eq!(
        state.status,
        crate::projection::records::ImportStatus::Committed
    );
    assert_eq!(l.lead(300).unwrap().fields["Lead Name"], "Lead 299");
    assert_eq!(l.head().unwrap().next_seq, l.checkpoint().unwrap());
}

/// A preview's upload is durable before the log's head moves over the
/// event that names it: the store may sync it in the background, and the
/// append waits for that before it writes the head.
#[test]
fn the_head_never_moves_over_an_upload_not_yet_durable() {
    use std::sync::atomic::Ordering::SeqCst;
    let l = counting_ledger(LedgerOptions::default());
    let p = preview_as(&l, &numbered_leads_csv(300));
    assert!(!l.store.blob_unsynced.load(SeqCst), "synced by the preview");
    assert!(!l.store.head_over_unsynced_blob.load(SeqCst));
    l.commit(p.import_id, "t", &NoProgress).unwrap();
    assert!(!l.store.head_over_unsynced_blob.load(SeqCst));
}

/// A commit's catch-up is handed what it needs of the events the commit
/// appended (`feed::Handing`) instead of reading them back from the log:
/// it reads none of the commit's blocks but the last (its
/// `ImportCommitted`), and projects what a rebuild from the log projects.
#[test]
fn a_commit_s_catch_up_reads_none_of_its_events_back() {
    use std::sync::atomic::Ordering::Relaxed;
    let l = counting_ledger(LedgerOptions::default());
    let mut csv = String::from("Lead Name,Export Value,Contact First Name,Contact Last Name\n");
    for i in 0..3000 {
        let contact = if i % 2 == 0 { "Ann,Lee" } else { "," };
        csv.push_str(&format!("Lead {i},E{i},{contact}\n"));
    }
    let p = preview_as(&l, &csv);
    let before = l.store.event_blocks.load(Relaxed);
    let report = l.commit(p.import_id, "t", &NoProgress).unwrap();
    let read = l.store.event_blocks.load(Relaxed) - before;
    assert_eq!(report.counts.created, 3000);
    let info = l.import_state(p.import_id).unwrap().commit.unwrap();
    assert_eq!(
        info.last_seq - info.first_seq + 1,
        4501,
        "3,000 leads, 1,500 contacts, the commit"
    );
    let commit_blocks = crate::store::Store::scan(&l.store.inner, Table::Events, &[], &[])
        .filter(|e| block_last_seq(&e.as_ref().unwrap().0) >= info.first_seq)
        .count();
    assert!(commit_blocks > 20, "{commit_blocks}");
    assert!(
        read <= 2,
        "the commit read {read} blocks of events, of its {commit_blocks}"
    );
    let lead = l.lead(3).unwrap();
    assert_eq!(lead.fields["Lead Name"], "Lead 2");
    assert_eq!(lead.contacts.len(), 1);
    assert!(l.lead(2).unwrap().contacts.is_empty());
    let view = crate::matching::CrmView::new(&l.store);
    assert_eq!(view.by_export(Kind::Leads, "E2").unwrap(), Some(3));
    assert_eq!(view.by_name(Kind::Leads, "Lead 2", 2).unwrap(), vec![3]);
    let incremental = l.projection_digest().unwrap();
    let rebuilt = l.rebuild(&NoProgress).unwrap();
    assert_eq!(rebuilt.digest_before, incremental);
    assert_eq!(rebuilt.digest_after, incremental);
}

/// A preview with no errors and no updates stages its plan for the
/// commit, and records the staged file's digest in its summary (schema 2
/// of `PreviewSummarised`). The commit right after reads that file instead
/// of the plan rows: a few blocks of the log, not the plan's, for the same
/// events as a commit that reads the plan rows; the staged file is gone
/// once committed.
#[test]
fn a_commit_from_a_staged_plan_reads_no_plan_row() {
    use std::sync::atomic::Ordering::Relaxed;
    let commit = |staged: bool| {
        let l = counting_ledger(LedgerOptions::default());
        let p = preview_as(&l, &numbered_leads_csv(3000));
        let state = l.import_state(p.import_id).unwrap();
        let digest = state.staged_plan.expect("a plan of creates is staged");
        let summary = l.event(state.preview_seqs.1).unwrap();
        assert_eq!(
            (summary.envelope.type_tag.as_str(), summary.envelope.schema),
            ("PreviewSummarised", 2)
        );
        let name = super::plan::staged_name(&digest);
        let file = l.store.inner.staged().get(&name).cloned().unwrap();
        assert_eq!(*blake3::hash(&file).as_bytes(), digest);
        if !staged {
            l.store.inner.staged().clear();
        }
        // The blocks that hold plan rows only.
        let plan_blocks = crate::store::Store::scan(&l.store.inner, Table::Events, &[], &[])
            .filter(|e| {
                let (key, value) = e.as_ref().unwrap();
                let first = u64::from_le_bytes(value[1..9].try_into().unwrap());
                first > state.preview_seqs.0 && block_last_seq(key) < state.preview_seqs.1
            })
            .count();
        let before = l.store.event_blocks.load(Relaxed);
        let report = l.commit(p.import_id, "t", &NoProgress).unwrap();
        assert_eq!(report.counts.created, 3000);
        assert_eq!(report.leads.len(), 3000);
        assert!(
            l.store.inner.staged().is_empty(),
            "the staged plan is removed"
        );
        let blocks = l.store.event_blocks.load(Relaxed) - before;
        let lead = l.lead(1234).unwrap();
        assert_eq!(lead.fields.get("Export Value").unwrap(), "E1233");
        (
            blocks,
            plan_blocks,
            committed_events(&l, p.import_id),
            report.leads,
        )
    };
    let (staged_blocks, plan_blocks, staged_events, staged_leads) = commit(true);
    let (log_blocks, _, log_events, log_leads) = commit(false);
    assert_eq!(staged_events, log_events);
    assert_eq!(staged_leads, log_leads);
    assert!(plan_blocks > 50, "{plan_blocks}");
    assert!(
        staged_blocks + plan_blocks <= log_blocks,
        "{staged_blocks} blocks read from a staged plan, {log_blocks} from the log, whose plan has {plan_blocks}"
    );
}

/// A staged plan that is damaged, cut short, emptied, given a huge
/// record length or another preview's is read past: its digest is not the one the preview recorded, so the
/// commit throws away what it built from it and commits from the log,
/// with the same events and answer as if it had never been staged.
#[test]
fn a_staged_plan_that_differs_is_read_past() {
    let csv = numbered_leads_csv(700);
    let expected = {
        let l = ledger(64);
        let p = preview(&l, &csv);
        l.store.staged().clear();
        let report = l.commit(p.import_id, "t", &NoProgress).unwrap();
        (committed_events(&l, p.import_id), report.leads)
    };
    let another = {
        let l = ledger(64);
        preview(&l, &numbered_leads_csv(699));
        let bytes = l.store.staged().values().next().unwrap().clone();
        bytes
    };
    let damages: [(&str, &dyn Fn(&mut Vec<u8>)); 6] = [
        ("a byte flipped", &|b| {
            let middle = b.len() / 2;
            b[middle] ^= 0x01;
        }),
        ("cut short", &|b| b.truncate(b.len() - 3)),
        ("cut at a record", &|b| {
            let len = u32::from_le_bytes(b[..4].try_into().unwrap()) as usize;
            b.drain(..4 + len);
        }),
        ("emptied", &|b| b.clear()),
        // Read a batch at a time up to the file's end, not allocated.
        ("a length made huge", &|b| {
            b[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        }),
        ("another preview's", &|b| *b = another.clone()),
    ];
    for (what, damage) in damages {
        let l = ledger(64);
        let p = preview(&l, &csv);
        for bytes in l.store.staged().values_mut() {
            damage(bytes);
        }
        let head = l.head().unwrap().next_seq;
        let report = l.commit(p.import_id, "t", &NoProgress).unwrap();
        assert_eq!(
            (committed_events(&l, p.import_id), report.leads),
            expected,
            "{what}"
        );
        let info = l.import_state(p.import_id).unwrap().commit.unwrap();
        assert_eq!(info.first_seq, head, "{what}: nothing else was appended");
        assert!(l.verify().unwrap().ok, "{what}");
    }
}

/// A plan with updates or errors is not staged (a commit of updates
/// reads their changes from the plan rows), and a later preview removes an
/// earlier one's staged plan: the log has moved past it, so its commit
/// reads the plan rows, checked, whatever the staged file holds.
#[test]
fn only_a_plan_of_creates_the_log_has_not_moved_past_is_staged() {
    let l = ledger(64);
    let first = preview(&l, &numbered_leads_csv(50));
    assert!(l
        .import_state(first.import_id)
        .unwrap()
        .staged_plan
        .is_some());
    assert_eq!(l.store.staged().len(), 1);
    let staged = l.store.staged().clone();
    let second = preview(&l, "Lead Name,Export Value\nOther,X1\n");
    assert_eq!(l.store.staged().len(), 1, "only the latest preview's");
    // Put the first back, damaged: it is not read, since the log moved.
    for (name, mut bytes) in staged {
        bytes[10] ^= 0xff;
        l.store.staged().insert(name, bytes);
    }
    l.commit(first.import_id, "t", &NoProgress).unwrap();
    assert!(l.store.staged().is_empty());
    assert_eq!(
        l.lead(50).unwrap().fields.get("Export Value").unwrap(),
        "E49"
    );
    let _ = second;
    let updates = preview(&l, "Export Value,City\nE1,Springfield\nE2,Ogdenville\n");
    assert_eq!(updates.counts.update, 2);
    let state = l.import_state(updates.import_id).unwrap();
    assert_eq!(state.staged_plan, None);
    assert_eq!(l.event(state.preview_seqs.1).unwrap().envelope.schema, 1);
    assert!(l.store.staged().is_empty());
    let errors = preview(&l, "Lead Name,Export Value,Country\nBad,E9,USA\n");
    assert!(errors.counts.errors > 0);
    assert_eq!(l.import_state(errors.import_id).unwrap().staged_plan, None);
    assert!(l.store.staged().is_empty());
}

/// A commit from a staged plan does not read the plan rows, so a plan row
/// altered in the log between the preview and the commit does not stop
/// it, as it stops a commit from the log
/// (`a_commit_over_an_altered_plan_row_fails_and_appends_nothing`):
/// `ledger verify` names the altered row, as it names any altered event.
#[test]
fn a_commit_from_a_staged_plan_over_an_altered_plan_row_is_named_by_verify() {
    let l = ledger(8192);
    let p = preview(&l, &numbered_leads_csv(2000));
    let blocks = event_blocks(&l);
    let block = &blocks[blocks.len() / 2];
    let altered = block_last_seq(&block.0);
    alter_block_end(&l, block);
    l.commit(p.import_id, "tester", &NoProgress).unwrap();
    let verify = l.verify().unwrap();
    assert!(!verify.ok);
    assert_eq!(verify.first_bad_seq, Some(altered));
}

/// `ledger verify` proves each staged plan's recorded digest from the
/// plan rows: the log of a real preview verifies, and the same events
/// appended with another digest in the summary are named at the summary.
#[test]
fn verify_proves_the_digest_of_each_staged_plan() {
    use crate::event::Event;
    let csv = "Lead Name,Export Value,Contact First Name,Contact Last Name,\
               Opportunity Title,Opportunity Amount\n\
               Acme,E1,Ann,Lée,Order,12\nBeta,,Bob,Ray,,\nGamma,E3,,,Deal,\"1,500\"\n";
    let l = ledger(64);
    let p = preview(&l, csv);
    assert_eq!(p.counts.errors, 0, "{:?}", p.errors);
    let state = l.import_state(p.import_id).unwrap();
    assert!(state.staged_plan.is_some());
    assert!(l.verify().unwrap().ok);
    let (first, last) = state.preview_seqs;
    let events: Vec<Event> = (first..=last)
        .map(|seq| l.event(seq).unwrap().event)
        .collect();
    let replay = |alter: bool, alter_after: bool| {
        let other = ledger(64);
        let mut events = events.clone();
        if let Some(Event::PreviewSummarisedStaged { staged_plan, .. }) = events.last_mut() {
            if alter {
                staged_plan[0] ^= 1;
            }
        } else {
            panic!("{:?}", events.last());
        }
        let _w = other.lock();
        other
            .append("tester", events.into_iter().map(Ok), &NoProgress)
            .unwrap();
        drop(_w);
        if alter_after {
            // An event after the summary altered too: the chain's walk
            // names that one, and the first problem in log order wins.
            other
                .add_list_item(crate::catalogue::ListName::Industry, "Space", "t")
                .unwrap();
            let blocks = event_blocks(&other);
            alter_block_end(&other, blocks.last().unwrap());
        }
        other.verify().unwrap()
    };
    assert!(replay(false, false).ok);
    let after = replay(false, true);
    assert_eq!(after.first_bad_seq, Some(last + 1), "{after:?}");
    for alter_after in [false, true] {
        let bad = replay(true, alter_after);
        assert!(!bad.ok);
        assert_eq!(bad.first_bad_seq, Some(last), "{bad:?}");
        assert!(
            bad.problem.as_deref().unwrap().contains("staged plan"),
            "{bad:?}"
        );
    }
}

/// Rewrites every block of the log as leadger wrote them before format 3:
/// compact blocks of format 2, events in the first sealed layout, the
/// chain sealed again from the genesis hash (the same events, the same
/// block keys); moves the head to the new tip.
fn reseal_in_the_first_layout(l: &Ledger<MemStore>) {
    use crate::log::{self, BlockBuilder, BlockReader, LogHead};
    let mut prev = log::GENESIS;
    let mut batch = crate::store::WriteBatch::default();
    let mut next_seq = 0;
    for (key, bytes) in event_blocks(l) {
        let (first, count) = log::block_header(&bytes).unwrap();
        let mut reader = BlockReader::new(&bytes);
        let mut rebuilt = BlockBuilder::first_layout(first, 0);
        let mut pos = log::BLOCK_HEADER_LEN;
        let mut out = Vec::new();
        for seq in first..first + u64::from(count) {
            let len = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
            reader
                .event(&bytes, pos + 4..pos + 4 + len, seq, &mut out)
                .unwrap();
            pos += 4 + len;
            let (mut envelope, _) = log::unseal(seq, &out).unwrap();
            envelope.prev_hash = prev;
            prev = rebuilt.push(&envelope).unwrap();
            next_seq = seq + 1;
        }
        let (rebuilt_key, value) = rebuilt.finish().unwrap();
        assert_eq!(rebuilt_key.to_vec(), key);
        assert_eq!(value[0], log::BLOCK_FORMAT_COMPACT);
        batch.put(Table::Events, key, value);
    }
    let head = LogHead {
        next_seq,
        tip: prev,
    };
    batch.put(
        Table::LogMeta,
        super::HEAD.to_vec(),
        crate::codec::encode(&head).unwrap(),
    );
    crate::store::Store::write(&l.store, batch).unwrap();
}

/// A ledger whose log leadger wrote in the first sealed layout (before
/// block format 3) goes on in the second: the next import's events chain
/// to the old ones, `verify` walks the whole chain, and a rebuild gives
/// the same projections; an altered old event is still named.
#[test]
fn a_log_sealed_in_the_first_layout_goes_on_in_the_second() {
    let l = ledger(64);
    let p = preview(&l, &numbered_leads_csv(300));
    l.commit(p.import_id, "t", &NoProgress).unwrap();
    reseal_in_the_first_layout(&l);
    let old_end = l.head().unwrap().next_seq;
    assert!(l.verify().unwrap().ok);

    let csv = "Lead Name,Export Value,City\nLead 7,E7,Ogdenville\nNew One,N1,\n";
    let p = preview(&l, csv);
    assert_eq!((p.counts.create, p.counts.update), (1, 1));
    l.commit(p.import_id, "t", &NoProgress).unwrap();
    let blocks = event_blocks(&l);
    let formats: Vec<u8> = blocks.iter().map(|(_, v)| v[0]).collect();
    assert!(formats.contains(&crate::log::BLOCK_FORMAT_COMPACT));
    assert!(formats.contains(&crate::log::BLOCK_FORMAT_COMPACT_TAIL));
    let report = l.verify().unwrap();
    assert!(report.ok, "{report:?}");
    let digest = l.projection_digest().unwrap();
    let rebuilt = l.rebuild(&NoProgress).unwrap();
    assert!(rebuilt.identical);
    assert_eq!(l.projection_digest().unwrap(), digest);
    assert_eq!(l.leads(None, 0, 0).unwrap().total, 301);

    // An altered event of the old layout is still named.
    let old = blocks
        .iter()
        .find(|(key, _)| block_last_seq(key) < old_end && block_last_seq(key) > 10)
        .unwrap();
    alter_block_end(&l, old);
    let report = l.verify().unwrap();
    assert_eq!(report.first_bad_seq, Some(block_last_seq(&old.0)));
}

/// The points of the append protocol a ledger reached, in order
/// (`name:n`), from when `armed` is set; and a fail point that records
/// them and, when armed, holds the log's writer after its `hold`th chunk
/// until the first projection chunk is written (at most 10 s), so that a
/// catch-up beside the append surely writes one before the append ends.
type Reached = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

fn recording(
    hold: u64,
) -> (
    std::sync::Arc<std::sync::atomic::AtomicBool>,
    Reached,
    super::FailPoint,
) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Condvar, Mutex};
    let armed = Arc::new(AtomicBool::new(false));
    let reached: Reached = Arc::new(Mutex::new(Vec::new()));
    let (hook_armed, seen) = (Arc::clone(&armed), Arc::clone(&reached));
    let projected = Condvar::new();
    let hook = move |point: &str, n: u64| {
        if !hook_armed.load(Ordering::SeqCst) {
            return;
        }
        let mut points = seen.lock().unwrap();
        points.push(format!("{point}:{n}"));
        if point == "projected" {
            projected.notify_all();
        }
        if point == "events_written" && n == hold {
            let _held = projected
                .wait_timeout_while(points, std::time::Duration::from_secs(10), |p| {
                    !p.iter().any(|p| p.starts_with("projected:"))
                })
                .unwrap();
        }
    };
    (armed, reached, Arc::new(hook))
}

/// Where `point` is among those `reached`.
fn reached_at(reached: &Reached, point: &str) -> usize {
    let points = reached.lock().unwrap();
    points
        .iter()
        .position(|p| p == point)
        .unwrap_or_else(|| panic!("{point} was not reached: {points:?}"))
}

/// A commit right after its preview checks no row against the CRM view,
/// so its catch-up runs while it appends: chunks are projected before the
/// commit is acknowledged (behind the `partial` marker), and the
/// projections end as a rebuild makes them, with no marker left. A commit
/// that checks its rows (something was appended since its preview)
/// projects only once acknowledged.
#[test]
fn a_commit_right_after_its_preview_projects_while_it_appends() {
    use std::sync::atomic::Ordering;
    let (armed, reached, hook) = recording(8);
    let l = ledger_with(LedgerOptions {
        chunk: 16,
        fail_point: Some(hook),
        ..Default::default()
    });
    let marker = |l: &Ledger<MemStore>| {
        crate::store::Store::get(&l.store, Table::ProjMeta, crate::projection::keys::PARTIAL)
            .unwrap()
    };
    let p = preview(&l, &numbered_leads_csv(200));
    armed.store(true, Ordering::SeqCst);
    l.commit(p.import_id, "t", &NoProgress).unwrap();
    armed.store(false, Ordering::SeqCst);
    assert!(
        reached_at(&reached, "projected:1") < reached_at(&reached, "acknowledged:1"),
        "{reached:?}"
    );
    assert_eq!(marker(&l), None);
    assert_eq!(l.leads(None, 0, 0).unwrap().total, 200);
    let incremental = l.projection_digest().unwrap();
    let rebuilt = l.rebuild(&NoProgress).unwrap();
    assert_eq!(rebuilt.digest_after, incremental);

    let (armed, reached, hook) = recording(u64::MAX);
    let l = ledger_with(LedgerOptions {
        chunk: 16,
        fail_point: Some(hook),
        ..Default::default()
    });
    let p = preview(&l, &numbered_leads_csv(200));
    l.append_one(
        "t",
        crate::event::Event::TokenRevoked {
            name: "nobody".into(),
        },
    )
    .unwrap();
    armed.store(true, Ordering::SeqCst);
    l.commit(p.import_id, "t", &NoProgress).unwrap();
    assert!(
        reached_at(&reached, "acknowledged:1") < reached_at(&reached, "projected:1"),
        "{reached:?}"
    );
    assert_eq!(l.leads(None, 0, 0).unwrap().total, 200);
}

/// A commit whose append fails after its catch-up beside it wrote chunks
/// (a plan row altered late in the plan, read from the log) appends
/// nothing, and its projected chunks, past the head, are undone: the
/// projections are rebuilt from the log to what they were before it, with
/// no marker left, and the import can be previewed and committed again.
#[test]
fn a_commit_failing_after_projecting_ahead_leaves_the_projections_as_before() {
    use std::sync::atomic::Ordering;
    let (armed, reached, hook) = recording(8);
    let l = ledger_with(LedgerOptions {
        chunk: 16,
        fail_point: Some(hook),
        ..Default::default()
    });
    let csv = numbered_leads_csv(400);
    let p = preview(&l, &csv);
    l.store.staged().clear();
    let before = l.projection_digest().unwrap();
    let head = l.head().unwrap();
    let blocks = event_blocks(&l);
    alter_block_end(&l, &blocks[blocks.len() * 9 / 10]);
    armed.store(true, Ordering::SeqCst);
    let failed = l.commit(p.import_id, "t", &NoProgress);
    armed.store(false, Ordering::SeqCst);
    assert!(
        matches!(&failed, Err(LedgerError::Corrupt(m)) if m.contains("altered")),
        "{failed:?}"
    );
    reached_at(&reached, "projected:1");
    assert_eq!(l.head().unwrap(), head);
    assert_eq!(event_blocks(&l).len(), blocks.len(), "nothing appended");
    assert_eq!(
        crate::store::Store::get(&l.store, Table::ProjMeta, crate::projection::keys::PARTIAL)
            .unwrap(),
        None
    );
    assert_eq!(l.projection_digest().unwrap(), before);
    assert!(l.lead(1).is_err(), "no lead was created");
    assert_eq!(l.leads(None, 0, 0).unwrap().total, 0);
    let again = preview(&l, &csv);
    l.commit(again.import_id, "t", &NoProgress).unwrap();
    assert_eq!(l.leads(None, 0, 0).unwrap().total, 400);
}
