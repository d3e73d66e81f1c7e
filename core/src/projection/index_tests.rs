use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::event::Kind;
use crate::memstore::MemStore;
use crate::projection::keys;

/// Writes `chunks` (each a list of index writes) as consecutive catch-up
/// chunks of `len` events each, cut at range ends as the catch-up cuts
/// them; returns the next sequence number.
fn project(store: &dyn Store, layout: Layout, chunks: &[(u64, Writes)]) {
    project_held(store, layout, chunks, 0, usize::MAX);
}

/// [`project`] as catch-ups of `every` chunks each (0: each chunk on its
/// own, holding nothing), which hold runs in memory as a catch-up does;
/// stops after `stop` chunks as a catch-up that fails there does, spilling
/// what it holds. Returns the next sequence number.
fn project_held(
    store: &dyn Store,
    layout: Layout,
    chunks: &[(u64, Writes)],
    every: usize,
    stop: usize,
) -> u64 {
    let mut next = 0;
    let mut held = Held::none();
    for (i, (len, writes)) in chunks.iter().enumerate() {
        if i == stop {
            assert!(held.spill(store).unwrap(), "nothing torn");
            return next;
        }
        if every > 0 && i % every == 0 {
            assert!(held.runs.is_empty(), "a run held past its catch-up");
            let last = (i + every).min(chunks.len());
            let until = next + chunks[i..last].iter().map(|(l, _)| l.max(&1)).sum::<u64>();
            held = Held::until(until);
        }
        let end = next + len.max(&1);
        // A chunk the test gives may cross range ends: split it there, and
        // give the writes to its last part (the events come last).
        let mut begin = next;
        while begin < end {
            let stop = end.min(range_end(layout, begin));
            let part = if stop == end {
                writes.clone()
            } else {
                Writes::new()
            };
            let mut batch = WriteBatch::default();
            flush(
                store,
                &mut batch,
                layout,
                begin,
                stop,
                part.into_iter().collect(),
                &mut held,
            )
            .unwrap();
            store.write(batch).unwrap();
            held.written();
            begin = stop;
        }
        next = end;
    }
    assert!(held.runs.is_empty(), "a run held past the last catch-up");
    next
}

fn name_key(name: &str, crm_id: u64) -> Vec<u8> {
    keys::by_name(Kind::Leads, name, crm_id)
}

fn export_key(export: &str) -> Vec<u8> {
    keys::by_export(Kind::Leads, export)
}

#[test]
fn entries_are_found_after_runs_are_sealed_and_merged() {
    let store = MemStore::new();
    let layout = Layout { span: 2, fanout: 2 };
    let mut chunks = Vec::new();
    for i in 0..40u64 {
        let mut w = Writes::new();
        w.insert(name_key(&format!("Lead {}", i % 7), i), Some(i));
        w.insert(export_key(&format!("EXP-{i}")), Some(i));
        chunks.push((1 + i % 3, w));
    }
    project(&store, layout, &chunks);
    let reader = IndexReader::new(&store);
    for i in 0..40u64 {
        assert_eq!(
            reader.get(&export_key(&format!("EXP-{i}"))).unwrap(),
            Some(i)
        );
    }
    assert_eq!(reader.get(&export_key("EXP-40")).unwrap(), None);
    // "EXP-1" is a prefix of "EXP-10": an exact lookup is exact.
    assert_eq!(reader.get(&export_key("EXP-")).unwrap(), None);
    let threes: Vec<u64> = (0..40).filter(|i| i % 7 == 3).collect();
    assert_eq!(
        reader
            .prefixed(&keys::by_name_prefix(Kind::Leads, "lead 3"), 100)
            .unwrap(),
        threes
    );
    assert_eq!(
        reader
            .prefixed(&keys::by_name_prefix(Kind::Leads, "Lead 3"), 2)
            .unwrap(),
        threes[..2]
    );
    // Runs were merged: fewer runs than chunks.
    let runs = store.scan(Table::LeadIndex, &[META], &[META]).count();
    assert!(runs < 10, "{runs} runs");
}

#[test]
fn an_index_is_empty_until_a_run_is_written() {
    let store = MemStore::new();
    assert!(IndexReader::new(&store).is_empty().unwrap());
    let mut w = Writes::new();
    w.insert(export_key("EXP-1"), Some(1));
    project(&store, Layout { span: 2, fanout: 2 }, &[(1, w)]);
    let reader = IndexReader::new(&store);
    assert!(!reader.is_empty().unwrap());
    assert_eq!(reader.get(&export_key("EXP-1")).unwrap(), Some(1));
}

#[test]
fn a_removed_entry_hides_the_older_one() {
    let store = MemStore::new();
    let layout = Layout { span: 4, fanout: 2 };
    let mut first = Writes::new();
    first.insert(name_key("Acme", 1), Some(1));
    first.insert(export_key("E1"), Some(1));
    let mut second = Writes::new();
    second.insert(name_key("Acme", 1), None);
    second.insert(name_key("Acme Corp", 1), Some(1));
    second.insert(export_key("E1"), None);
    second.insert(export_key("E2"), Some(1));
    // The second lands in a later range, so the removal is a tombstone in
    // a newer run than the entry it hides.
    project(&store, layout, &[(1, first), (9, second)]);
    let reader = IndexReader::new(&store);
    assert_eq!(reader.get(&export_key("E1")).unwrap(), None);
    assert_eq!(reader.get(&export_key("E2")).unwrap(), Some(1));
    let acme = keys::by_name_prefix(Kind::Leads, "acme");
    assert_eq!(reader.prefixed(&acme, 10).unwrap(), Vec::<u64>::new());
    let corp = keys::by_name_prefix(Kind::Leads, "acme corp");
    assert_eq!(reader.prefixed(&corp, 10).unwrap(), vec![1]);
}

#[test]
fn a_name_spread_over_several_pages_is_read_whole() {
    let store = MemStore::new();
    let layout = Layout::default();
    let mut w = Writes::new();
    // Far more than a page of 4 KiB holds.
    for i in 0..2000u64 {
        w.insert(name_key("Same Name", i), Some(i));
        w.insert(name_key(&format!("Other {i}"), i), Some(i));
    }
    project(&store, layout, &[(1, w)]);
    let pages = store.scan(Table::LeadIndex, &[PAGE], &[PAGE]).count();
    assert!(pages > 10, "{pages} pages");
    let reader = IndexReader::new(&store);
    let prefix = keys::by_name_prefix(Kind::Leads, "same name");
    assert_eq!(
        reader.prefixed(&prefix, 5000).unwrap(),
        (0..2000).collect::<Vec<_>>()
    );
    for i in [0u64, 999, 1999] {
        let prefix = keys::by_name_prefix(Kind::Leads, &format!("other {i}"));
        assert_eq!(reader.prefixed(&prefix, 5).unwrap(), vec![i]);
    }
}

#[test]
fn an_exact_key_is_found_among_many_keys_it_is_a_prefix_of() {
    let store = MemStore::new();
    let mut w = Writes::new();
    // "E1" is a prefix of "E10".."E19999": thousands of keys, many pages.
    for i in 0..20_000u64 {
        w.insert(export_key(&format!("E{i}")), Some(i));
    }
    project(&store, Layout::default(), &[(1, w)]);
    let reader = IndexReader::new(&store);
    for i in [0u64, 1, 10, 19, 199, 1999, 4096, 19_999] {
        assert_eq!(reader.get(&export_key(&format!("E{i}"))).unwrap(), Some(i));
    }
    assert_eq!(reader.get(&export_key("E20000")).unwrap(), None);
    assert_eq!(reader.get(&export_key("E")).unwrap(), None);
}

#[test]
fn the_bloom_filter_has_no_false_negatives() {
    let entries: Vec<(Vec<u8>, Option<CrmId>)> = (0..5000u64)
        .map(|i| (export_key(&format!("E{i}")), Some(i)))
        .collect();
    let bits = bloom_build(&entries);
    for (key, _) in &entries {
        assert!(bloom_may_contain(&bits, hashes(lookup_part(key))));
    }
    let false_positives = (5000..15000u64)
        .filter(|i| bloom_may_contain(&bits, hashes(&export_key(&format!("E{i}")))))
        .count();
    // About 1% at 10 bits an entry.
    assert!(false_positives < 300, "{false_positives} false positives");
}

proptest! {
    /// Whatever the writes and wherever chunks and ranges fall, lookups
    /// answer what a plain map of the same writes answers, and the stored
    /// bytes depend only on the writes, not on how they were chunked.
    #[test]
    fn lookups_agree_with_a_plain_map(
        ops in prop::collection::vec((0u64..30, 0u64..6, any::<bool>(), 1u64..4), 1..60),
        span in 1u64..6,
        fanout in 2u64..4,
        every in 0usize..40,
        stop in 0usize..120,
    ) {
        let layout = Layout { span, fanout };
        let store = MemStore::new();
        let mut model: BTreeMap<Vec<u8>, Option<CrmId>> = BTreeMap::new();
        let mut chunks = Vec::new();
        for (id, name, put, len) in &ops {
            let mut w = Writes::new();
            let key = name_key(&format!("N{name}"), *id);
            let value = if *put { Some(*id) } else { None };
            w.insert(key.clone(), value);
            model.insert(key, value);
            let ekey = export_key(&format!("X{}", id % 7));
            w.insert(ekey.clone(), value);
            model.insert(ekey, value);
            chunks.push((*len, w));
        }
        project(&store, layout, &chunks);
        let reader = IndexReader::new(&store);
        for x in 0..7u64 {
            let key = export_key(&format!("X{x}"));
            prop_assert_eq!(reader.get(&key).unwrap(), model.get(&key).copied().flatten());
        }
        for name in 0..6u64 {
            let prefix = keys::by_name_prefix(Kind::Leads, &format!("N{name}"));
            let expected: Vec<u64> = model
                .iter()
                .filter(|(k, _)| k.starts_with(&prefix))
                .filter_map(|(_, v)| *v)
                .collect();
            prop_assert_eq!(reader.prefixed(&prefix, 100).unwrap(), expected);
        }
        // The same writes, one event per chunk: the same bytes.
        let single = MemStore::new();
        let mut one_by_one = Vec::new();
        for (len, w) in chunks {
            for _ in 1..len {
                one_by_one.push((1, Writes::new()));
            }
            one_by_one.push((1, w));
        }
        project(&single, layout, &one_by_one);
        prop_assert_eq!(dump(&store), dump(&single));
        // Catch-ups of several chunks, holding runs in memory: the same
        // bytes.
        let held = MemStore::new();
        project_held(&held, layout, &one_by_one, every, usize::MAX);
        prop_assert_eq!(dump(&held), dump(&single));
        // A catch-up that stops part-way spills what it holds: the bytes
        // of the chunks before the stop, written one by one.
        let stop = stop.min(one_by_one.len());
        let cut = MemStore::new();
        project_held(&cut, layout, &one_by_one, every, stop);
        let before = MemStore::new();
        project(&before, layout, &one_by_one[..stop]);
        prop_assert_eq!(dump(&cut), dump(&before));
    }
}

fn dump(s: &MemStore) -> Vec<(Vec<u8>, Vec<u8>)> {
    s.scan(Table::LeadIndex, &[], &[])
        .map(|e| e.unwrap())
        .collect()
}

proptest! {
    /// The k-way merge gives what folding the runs into a map, oldest
    /// first, gives: every key once, with its newest value (tombstones
    /// kept), in key order.
    #[test]
    fn merging_runs_keeps_the_newest_entry_of_each_key(
        runs in proptest::collection::vec(
            proptest::collection::btree_map(
                // Up to eleven bytes: keys equal in their first eight.
                proptest::collection::vec(0u8..3, 0..12),
                proptest::option::of(0u64..5),
                0..12,
            ),
            0..9,
        )
    ) {
        let mut expected: BTreeMap<Vec<u8>, Option<CrmId>> = BTreeMap::new();
        for run in &runs {
            expected.extend(run.clone());
        }
        let merged = merge(runs.into_iter().map(|r| r.into_iter().collect()).collect());
        prop_assert_eq!(merged, expected.into_iter().collect::<Vec<_>>());
    }
}

use std::sync::atomic::{AtomicUsize, Ordering};

/// A store that records the largest batch written to it, in bytes.
struct RecordingStore {
    inner: MemStore,
    largest: AtomicUsize,
    total: AtomicUsize,
}

impl Store for RecordingStore {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(table, key)
    }
    fn scan<'a>(&'a self, table: Table, prefix: &[u8], start: &[u8]) -> crate::store::ScanIter<'a> {
        self.inner.scan(table, prefix, start)
    }
    fn scan_rev<'a>(&'a self, table: Table, prefix: &[u8]) -> crate::store::ScanIter<'a> {
        self.inner.scan_rev(table, prefix)
    }
    fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        let bytes: usize = batch
            .ops
            .iter()
            .map(|(_, k, v)| k.len() + v.as_ref().map_or(0, Vec::len))
            .sum();
        self.largest.fetch_max(bytes, Ordering::Relaxed);
        self.total.fetch_add(bytes, Ordering::Relaxed);
        self.inner.write(batch)
    }
    fn flush(&self) -> Result<(), StoreError> {
        self.inner.flush()
    }
    fn clear(&self, table: Table) -> Result<(), StoreError> {
        self.inner.clear(table)
    }
    fn put_blob(&self, src: &mut dyn std::io::Read) -> Result<crate::store::BlobRef, StoreError> {
        self.inner.put_blob(src)
    }
    fn open_blob(&self, hash: &[u8; 32]) -> Result<Box<dyn crate::store::BlobReader>, StoreError> {
        self.inner.open_blob(hash)
    }
    fn spool(&self) -> Result<Box<dyn crate::store::Spool>, StoreError> {
        self.inner.spool()
    }
}

/// A merge of many runs into one is written in bounded batches: no batch
/// holds the merged run (which grows with the ledger), and every entry is
/// still found.
#[test]
fn a_large_merge_is_written_in_bounded_batches() {
    let store = RecordingStore {
        inner: MemStore::new(),
        largest: AtomicUsize::new(0),
        total: AtomicUsize::new(0),
    };
    // 256 ranges of 64 events: the last chunk merges level 3 into one
    // level-4 run of every entry.
    let layout = Layout {
        span: 64,
        fanout: 4,
    };
    let padding = "x".repeat(100);
    let mut chunks = Vec::new();
    for range in 0..256u64 {
        let mut w = Writes::new();
        for i in 0..40u64 {
            let n = range * 40 + i;
            w.insert(export_key(&format!("E{n:06}-{padding}")), Some(n));
        }
        chunks.push((64, w));
    }
    project(&store, layout, &chunks);
    let entries = 256 * 40;
    assert!(
        store.total.load(Ordering::Relaxed) > 2 * 1024 * 1024,
        "{} bytes",
        store.total.load(Ordering::Relaxed)
    );
    // The merged run alone is over a MiB; a batch is at most a merge's
    // batch of pages, or a chunk's own writes with the page keys it removes.
    assert!(
        store.largest.load(Ordering::Relaxed) < 400 * 1024,
        "largest batch {} bytes",
        store.largest.load(Ordering::Relaxed)
    );
    let metas = store.scan(Table::LeadIndex, &[META], &[META]).count();
    assert_eq!(metas, 1, "one run holds everything");
    // Every value stays small (pages and Bloom pieces of about 4 KiB, the
    // meta a few bytes: a whole filter in one value made sled write blobs),
    // and only that run's filter pieces are left.
    let largest_value = store
        .scan(Table::LeadIndex, &[], &[])
        .map(|e| e.unwrap().1.len())
        .max()
        .unwrap();
    assert!(
        largest_value <= PAGE_BYTES + 512,
        "a value of {largest_value} bytes"
    );
    let pieces = store.scan(Table::LeadIndex, &[BLOOM], &[BLOOM]).count();
    let bloom_bytes = (entries as usize * BLOOM_BITS_PER_ENTRY).div_ceil(8);
    assert_eq!(pieces, bloom_bytes.div_ceil(BLOOM_PIECE));
    assert!(pieces > 1);
    let reader = IndexReader::new(&store);
    for n in (0..entries).step_by(97) {
        assert_eq!(
            reader
                .get(&export_key(&format!("E{n:06}-{padding}")))
                .unwrap(),
            Some(n)
        );
    }
    assert_eq!(reader.get(&export_key("E999999")).unwrap(), None);
}

/// A lookup reads a page borrowed ([`PageRef`]): the same entries as the
/// owned [`Page`] it was written as, tombstones included.
#[test]
fn a_borrowed_page_reads_what_was_written() {
    let page = Page {
        entries: vec![
            (ByteBuf::from(export_key("E1")), Some(7)),
            (ByteBuf::from(export_key("E2")), None),
            (ByteBuf::from(name_key("Acme", 9)), Some(9)),
        ],
    };
    let bytes = codec::encode(&page).unwrap();
    let borrowed = PageRef::decode(&bytes).unwrap();
    let owned: Vec<(Vec<u8>, Option<CrmId>)> =
        page.entries.iter().map(|(k, v)| (k.to_vec(), *v)).collect();
    let read: Vec<(Vec<u8>, Option<CrmId>)> = borrowed
        .entries
        .iter()
        .map(|(k, v)| (k.to_vec(), *v))
        .collect();
    assert_eq!(read, owned);
}

/// The filters' bits are stored: the hash that places them must never
/// change without a new `LAYOUT_VERSION` (these values pin it).
#[test]
fn the_bloom_hash_is_pinned() {
    assert_eq!(hashes(b""), PINNED[0]);
    assert_eq!(hashes(b"E1"), PINNED[1]);
    assert_eq!(hashes("nAcme Corporation Ltd\u{0}".as_bytes()), PINNED[2]);
}

const PINNED: [(u64, u64); 3] = [
    (13623055516933728012, 6477048231914524727),
    (16159797283443233433, 4926317031091515081),
    (6665184183428067985, 2024059782721938625),
];

proptest! {
    /// `key_order` is the bytes' own order, across its eight-byte steps
    /// and the bytes after them: keys share any prefix and then differ
    /// (or not) in bytes whose high bit is set or clear.
    #[test]
    fn key_order_is_the_order_of_the_bytes(
        shared in proptest::collection::vec(any::<u8>(), 0..20),
        a in proptest::collection::vec(prop::sample::select(vec![0u8, 1, 0x7f, 0x80, 0xff]), 0..20),
        b in proptest::collection::vec(prop::sample::select(vec![0u8, 1, 0x7f, 0x80, 0xff]), 0..20),
    ) {
        let (x, y) = ([shared.clone(), a].concat(), [shared, b].concat());
        prop_assert_eq!(key_order(&x, &y), x.cmp(&y));
        prop_assert_eq!(key_order(&y, &x), y.cmp(&x));
        prop_assert_eq!(key_order(&x, &x), std::cmp::Ordering::Equal);
    }

    /// Sorting a chunk's writes gives what collecting them into a map
    /// gives: key order, the last write of each key.
    #[test]
    fn sorted_writes_are_the_last_write_of_each_key_in_key_order(
        writes in proptest::collection::vec(
            (proptest::collection::vec(0u8..4, 0..3), proptest::option::of(0u64..5)),
            0..40,
        )
    ) {
        let map: Writes = writes.iter().cloned().collect();
        let expected: Vec<Entry> = map.into_iter().collect();
        prop_assert_eq!(sorted(writes), expected);
    }
}

#[test]
fn a_page_encoded_with_borrowed_keys_is_the_page_encoded() {
    let entries: Vec<Entry> = vec![
        (export_key("A1"), Some(1)),
        (name_key("Acme", 2), None),
        (Vec::new(), Some(u64::MAX)),
    ];
    let owned = Page {
        entries: entries
            .iter()
            .map(|(k, v)| (ByteBuf::from(k.clone()), *v))
            .collect(),
    };
    let borrowed = PageOut {
        entries: entries
            .iter()
            .map(|(k, v)| (serde_bytes::Bytes::new(k), *v))
            .collect(),
    };
    assert_eq!(
        codec::encode(&borrowed).unwrap(),
        codec::encode(&owned).unwrap()
    );
}
