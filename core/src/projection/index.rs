//! The lead index (a name or an export value → CRM IDs), kept as sorted,
//! immutable runs rather than a store key per entry.
//!
//! A key per entry cost two store inserts per created lead, and the store's
//! cost is per insert (about half of a rebuild went to the index). Here the
//! entries a stretch of the log adds are sorted and written as pages of a
//! few KiB, and runs are merged as they pile up, so a million leads become
//! tens of thousands of page writes.
//!
//! The layout is a function of the log alone, so a rebuild gives the same
//! bytes however the catch-up was chunked:
//! - The log is cut into *ranges* of [`Layout::span`] sequence numbers.
//!   Range `k` gives the level-0 run `k`: every index entry its events
//!   wrote, sorted, newest write per key. While the projections have only
//!   part of the range, the run holds that part and is rewritten as the
//!   rest arrives (the catch-up never lets a chunk cross a range's end).
//! - When range `k` is complete and `k + 1` is a multiple of
//!   [`Layout::fanout`], the level-0 runs `k + 1 - fanout ..= k` are merged
//!   into the level-1 run `(k + 1) / fanout - 1`, and so on up the levels.
//!   A higher level therefore always holds older entries than a lower one,
//!   and within a level a higher run id is newer.
//! - A removed entry (a lead renamed, an export value changed) is a
//!   tombstone, so that it hides the entry in older runs.
//!
//! Keys in the `LeadIndex` table: `m` + level (u8) + run id (u64 BE) for a
//! run's [`RunMeta`] (its entry count and how many pieces its Bloom filter
//! has); `b` + level + run id + piece number (u32 BE) for a piece of the
//! filter; `p` + level + run id + the page's last entry key for a page, so
//! that the page that may hold key `K` is the first page at or after `K`.
//!
//! Lookups ([`IndexReader`]) ask each run's Bloom filter first, newest run
//! first, and read a page only from runs that may hold the key.

use std::cell::{Ref, RefCell};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use crate::codec;
use crate::event::CrmId;
use crate::store::{Store, StoreError, Table, WriteBatch};

/// How the log is cut into runs. Part of the projection layout: one data
/// directory must always be projected with the same layout (a rebuild with
/// another one would give other bytes, though the same answers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Sequence numbers per level-0 run.
    pub span: u64,
    /// Runs of one level merged into one of the next.
    pub fanout: u64,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            span: 8192,
            fanout: 16,
        }
    }
}

/// An entry of a run: its full key and CRM ID, or `None` for a removal.
pub type Entry = (Vec<u8>, Option<CrmId>);

/// Buffered index writes of one chunk: full key → CRM ID, or `None` to
/// remove the entry.
pub type Writes = BTreeMap<Vec<u8>, Option<CrmId>>;

/// A chunk's index writes as [`flush`] takes them: in key order, one per
/// key (what collecting a [`Writes`] gives, or [`sorted`]).
pub type Sorted = Vec<Entry>;

/// Index writes in the order they were made, in key order with the last
/// write of each key: a stable sort of the list, then one pass. It was a
/// map insert per write, 8% of a 1M commit's catch-up thread.
pub fn sorted(mut writes: Vec<Entry>) -> Sorted {
    writes.sort_by(|a, b| key_order(&a.0, &b.0));
    let mut out: Sorted = Vec::with_capacity(writes.len());
    for entry in writes {
        match out.last_mut() {
            Some(last) if last.0 == entry.0 => *last = entry,
            _ => out.push(entry),
        }
    }
    out
}

const META: u8 = b'm';
const PAGE: u8 = b'p';
const BLOOM: u8 = b'b';
/// The layout marker, in `ProjMeta`: which layout the projections were
/// built with ([`super::LAYOUT_VERSION`] and this index's [`Layout`]).
/// Written with the first chunk a catch-up writes, so a rebuild writes it
/// too.
const LAYOUT: &[u8] = b"layout";
/// A page closes once its entries pass this many bytes: a full sled leaf
/// of such pages stays well under sled's 128 KiB blob threshold.
const PAGE_BYTES: usize = 4096;
const BLOOM_BITS_PER_ENTRY: usize = 10;
const BLOOM_HASHES: u64 = 7;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Page {
    entries: Vec<(ByteBuf, Option<CrmId>)>,
}

/// A [`Page`] to encode, its keys borrowed (the same bytes).
#[derive(Default, Serialize)]
struct PageOut<'a> {
    entries: Vec<(&'a serde_bytes::Bytes, Option<CrmId>)>,
}

/// A [`Page`] borrowed from its stored bytes: what a lookup decodes (one
/// allocation for the list, none per entry).
#[derive(Deserialize)]
struct PageRef<'a> {
    #[serde(borrow)]
    entries: Vec<(&'a [u8], Option<CrmId>)>,
}

impl<'a> PageRef<'a> {
    fn decode(bytes: &'a [u8]) -> Result<Self, StoreError> {
        codec::decode_head(bytes).map_err(corrupt)
    }
}

/// What a run is, apart from its pages. Its Bloom filter (over the
/// entries' lookup parts, [`lookup_part`]) is kept beside it in pieces of
/// [`BLOOM_PIECE`] bytes (`b` + level + run id + piece number, u32 BE): a
/// filter whole in the meta made a sled leaf of a few metas bigger than
/// sled's blob threshold (a level-1 filter is about 60 KiB, a level-2 one
/// 500 KiB), and such a leaf was written again as a blob file each time
/// a meta beside it changed, and never counted by sled's cache.
#[derive(Debug, Serialize, Deserialize)]
struct RunMeta {
    entries: u64,
    bloom_pieces: u32,
}

/// Key/value writes to the `LeadIndex` table.
type KeyValues = Vec<(Vec<u8>, Vec<u8>)>;

/// Bytes per stored piece of a Bloom filter.
const BLOOM_PIECE: usize = 4096;

fn bloom_key(level: u8, id: u64, piece: u32) -> Vec<u8> {
    let mut k = run_key(BLOOM, level, id);
    k.extend_from_slice(&piece.to_be_bytes());
    k
}

/// The writes that make a run's meta: the meta and its filter's pieces.
fn meta_writes(level: u8, id: u64, entries: u64, bloom: &[u8]) -> Result<KeyValues, StoreError> {
    let pieces: Vec<&[u8]> = bloom.chunks(BLOOM_PIECE).collect();
    let meta = RunMeta {
        entries,
        bloom_pieces: u32::try_from(pieces.len())
            .map_err(|_| corrupt("a Bloom filter over 16 TiB"))?,
    };
    let mut writes = vec![(
        run_key(META, level, id),
        codec::encode(&meta).map_err(corrupt)?,
    )];
    for (n, piece) in (0u32..).zip(pieces) {
        writes.push((bloom_key(level, id, n), piece.to_vec()));
    }
    Ok(writes)
}

/// The stored meta of a run, if there is one.
fn stored_meta(store: &dyn Store, level: u8, id: u64) -> Result<Option<RunMeta>, StoreError> {
    match store.get(Table::LeadIndex, &run_key(META, level, id))? {
        Some(bytes) => Ok(Some(codec::decode(&bytes).map_err(corrupt)?)),
        None => Ok(None),
    }
}

/// The keys of a run's stored meta and filter pieces (to remove them).
fn meta_keys(level: u8, id: u64, meta: Option<&RunMeta>) -> Vec<Vec<u8>> {
    match meta {
        Some(meta) => std::iter::once(run_key(META, level, id))
            .chain((0..meta.bloom_pieces).map(|n| bloom_key(level, id, n)))
            .collect(),
        None => Vec::new(),
    }
}

fn run_key(tag: u8, level: u8, id: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(10);
    k.push(tag);
    k.push(level);
    k.extend_from_slice(&id.to_be_bytes());
    k
}

fn page_key(level: u8, id: u64, last: &[u8]) -> Vec<u8> {
    let mut k = run_key(PAGE, level, id);
    k.extend_from_slice(last);
    k
}

/// The part of an entry's key that a lookup asks for: a name entry
/// (`n` kind name 0 crm_id) without its CRM ID, an export entry whole.
pub fn lookup_part(key: &[u8]) -> &[u8] {
    if key.first() == Some(&b'n') && key.len() >= 11 {
        &key[..key.len() - 8]
    } else {
        key
    }
}

/// The two hashes of a lookup part that place its bits (double hashing).
/// A filter's bits are stored, so the hash must be the same on every
/// platform and every Rust version (std's `DefaultHasher` is not): eight
/// bytes at a time, multiplied and shifted, then murmur3's 64-bit
/// finaliser. It was blake3, a cryptographic hash where none is needed,
/// and about a tenth of a commit's catch-up.
fn hashes(lookup: &[u8]) -> (u64, u64) {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = (lookup.len() as u64).wrapping_mul(K) ^ 0x6a09_e667_f3bc_c908;
    let mut mix = |word: u64| {
        h = (h ^ word).wrapping_mul(K);
        h ^= h >> 29;
    };
    // Whole words read as such (a copy of unknown length per word was a
    // call to memcpy); the last, shorter one padded with zeros.
    let mut words = lookup.chunks_exact(8);
    for chunk in &mut words {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        mix(u64::from_le_bytes(word));
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        let mut word = [0u8; 8];
        word[..tail.len()].copy_from_slice(tail);
        mix(u64::from_le_bytes(word));
    }
    let h1 = fmix64(h);
    let h2 = fmix64(h1 ^ K) | 1;
    (h1, h2)
}

/// murmur3's 64-bit finaliser: every input bit affects every output bit.
fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

/// The bits a lookup part sets in a filter of `m` bits: each of the
/// double hashes scaled to `0..m` by a multiply and a shift (the high word
/// of `hash * m`), not by a remainder: a 64-bit division per bit was most
/// of adding an entry to a filter.
fn bloom_positions(m: u64, (h1, h2): (u64, u64)) -> impl Iterator<Item = usize> {
    (0..BLOOM_HASHES).map(move |i| {
        let hash = h1.wrapping_add(i.wrapping_mul(h2));
        ((u128::from(hash) * u128::from(m)) >> 64) as usize
    })
}

/// A Bloom filter being built over entries given in key order (entries
/// sharing a lookup part, one name's leads, are added once).
struct Bloom {
    bits: Vec<u8>,
    /// The hashes of the lookup part added last: the same part (one
    /// name's leads) sets the same bits, so it is added once.
    last: Option<(u64, u64)>,
}

impl Bloom {
    /// Sized for `entries` entries (at most; fewer only leave it sparser).
    fn with_capacity(entries: u64) -> Self {
        let entries = usize::try_from(entries).unwrap_or(usize::MAX / BLOOM_BITS_PER_ENTRY);
        let bytes = (entries * BLOOM_BITS_PER_ENTRY).div_ceil(8).max(8);
        Bloom {
            bits: vec![0u8; bytes],
            last: None,
        }
    }

    fn insert(&mut self, key: &[u8]) {
        let h = hashes(lookup_part(key));
        if self.last == Some(h) {
            return;
        }
        self.last = Some(h);
        let m = (self.bits.len() * 8) as u64;
        for bit in bloom_positions(m, h) {
            self.bits[bit / 8] |= 1 << (bit % 8);
        }
    }
}

fn bloom_build(entries: &[(Vec<u8>, Option<CrmId>)]) -> Vec<u8> {
    let mut bloom = Bloom::with_capacity(entries.len() as u64);
    for (key, _) in entries {
        bloom.insert(key);
    }
    bloom.bits
}

fn bloom_may_contain(bits: &[u8], h: (u64, u64)) -> bool {
    let m = (bits.len() * 8) as u64;
    m > 0 && bloom_positions(m, h).all(|bit| bits[bit / 8] & (1 << (bit % 8)) != 0)
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("lead index: {e}"))
}

/// A run read whole: its entries in key order and the keys it is stored
/// under (to remove them).
struct StoredRun {
    entries: Vec<(Vec<u8>, Option<CrmId>)>,
    keys: Vec<Vec<u8>>,
}

fn read_run(store: &dyn Store, level: u8, id: u64) -> Result<StoredRun, StoreError> {
    let mut run = StoredRun {
        entries: Vec::new(),
        keys: Vec::new(),
    };
    let prefix = run_key(PAGE, level, id);
    for item in store.scan(Table::LeadIndex, &prefix, &prefix) {
        let (key, bytes) = item?;
        let page: Page = codec::decode(&bytes).map_err(corrupt)?;
        run.entries
            .extend(page.entries.into_iter().map(|(k, v)| (k.into_vec(), v)));
        run.keys.push(key);
    }
    run.keys.extend(meta_keys(
        level,
        id,
        stored_meta(store, level, id)?.as_ref(),
    ));
    Ok(run)
}

/// Index-table writes computed for one chunk; later writes win.
#[derive(Default)]
struct Pending {
    ops: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl Pending {
    fn remove_all(&mut self, keys: Vec<Vec<u8>>) {
        for key in keys {
            self.ops.insert(key, None);
        }
    }

    /// Drops what this chunk was going to write for a run (it is being
    /// merged into the next level).
    fn forget_run(&mut self, level: u8, id: u64) {
        for prefix in [run_key(PAGE, level, id), run_key(BLOOM, level, id)] {
            for (key, value) in self.ops.range_mut(prefix.clone()..) {
                if !key.starts_with(&prefix) {
                    break;
                }
                *value = None;
            }
        }
        if let Some(value) = self.ops.get_mut(&run_key(META, level, id)) {
            *value = None;
        }
    }

    fn write_run(
        &mut self,
        level: u8,
        id: u64,
        entries: &[(Vec<u8>, Option<CrmId>)],
    ) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        // The page's entries borrowed: encoded as a [`Page`] is.
        let mut page = PageOut::default();
        let mut size = 0;
        for (i, (key, value)) in entries.iter().enumerate() {
            size += key.len() + 10;
            page.entries.push((serde_bytes::Bytes::new(key), *value));
            if size >= PAGE_BYTES || i + 1 == entries.len() {
                let bytes = codec::encode(&page).map_err(corrupt)?;
                self.ops.insert(page_key(level, id, key), Some(bytes));
                page.entries.clear();
                size = 0;
            }
        }
        let bloom = bloom_build(entries);
        for (key, value) in meta_writes(level, id, entries.len() as u64, &bloom)? {
            self.ops.insert(key, Some(value));
        }
        Ok(())
    }
}

/// The order of keys: their bytes' lexicographic order (`<[u8]>::cmp`),
/// compared eight bytes at a time inline. `<[u8]>::cmp` calls `memcmp`
/// for every comparison, and a 1M commit's catch-up compares keys tens of
/// millions of times (sorting each chunk's index writes, merging runs):
/// those calls were a seventh of its thread's samples.
#[inline]
pub fn key_order(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let n = a.len().min(b.len());
    let (mut x, mut y) = (&a[..n], &b[..n]);
    while let (Some((xw, xr)), Some((yw, yr))) =
        (x.split_first_chunk::<8>(), y.split_first_chunk::<8>())
    {
        if xw != yw {
            return u64::from_be_bytes(*xw).cmp(&u64::from_be_bytes(*yw));
        }
        (x, y) = (xr, yr);
    }
    for (p, q) in x.iter().zip(y) {
        if p != q {
            return p.cmp(q);
        }
    }
    a.len().cmp(&b.len())
}

/// A run's next entry in a k-way merge, ordered for [`BinaryHeap`]'s top
/// to be the smallest key and, among equal keys, the newest run's (runs
/// are numbered oldest first, so the largest `age`).
///
/// [`BinaryHeap`]: std::collections::BinaryHeap
struct Head {
    key: Vec<u8>,
    age: usize,
    value: Option<CrmId>,
}

impl Ord for Head {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        key_order(&other.key, &self.key).then(self.age.cmp(&other.age))
    }
}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Head {}

/// Entries of runs given oldest first, each in key order with one entry
/// per key, merged: one per key, the newest. A k-way merge that moves each
/// entry once (it was a map insert per entry, a tenth of a 1M commit's
/// catch-up).
fn merge(runs: Vec<Vec<(Vec<u8>, Option<CrmId>)>>) -> Vec<(Vec<u8>, Option<CrmId>)> {
    let mut out: Vec<(Vec<u8>, Option<CrmId>)> =
        Vec::with_capacity(runs.iter().map(Vec::len).sum());
    let mut runs: Vec<_> = runs.into_iter().map(Vec::into_iter).collect();
    // The smallest key first and, among equal keys, the newest run.
    let mut heads = std::collections::BinaryHeap::with_capacity(runs.len());
    for (age, run) in runs.iter_mut().enumerate() {
        if let Some((key, value)) = run.next() {
            heads.push(Head { key, age, value });
        }
    }
    // The smallest head is replaced by the next entry of its run in place
    // (one sift down), or popped when its run is done.
    while let Some(mut top) = heads.peek_mut() {
        let age = top.age;
        let Head { key, value, .. } = match runs[age].next() {
            Some((next, v)) => {
                debug_assert!(next > top.key, "a run out of key order");
                std::mem::replace(
                    &mut *top,
                    Head {
                        key: next,
                        age,
                        value: v,
                    },
                )
            }
            None => std::collections::binary_heap::PeekMut::pop(top),
        };
        match out.last() {
            // An older run's entry for a key already taken from a newer.
            Some((last, _)) if *last == key => {}
            _ => out.push((key, value)),
        }
    }
    out
}

/// Pages a merge writes per store batch. A merged run can be large (a
/// level-3 run holds 8^3 ranges' entries, about 100 MB at 8,192 sequence
/// numbers a range), so its pages are written in bounded batches ahead of
/// the chunk's own batch; they stay invisible until the run's meta is
/// written with the chunk's batch, and a chunk applied again after a crash
/// writes the same pages under the same keys.
const MERGE_BATCH_PAGES: usize = 64;

/// The run of the range a chunk ends in, or the run a merge just wrote.
enum Carried {
    /// As stored (this chunk did not change it).
    Stored,
    /// Computed by this chunk, its pages in the chunk's batch.
    Memory(Vec<(Vec<u8>, Option<CrmId>)>),
    /// Written by a merge: its pages stored, its meta (none when it has no
    /// entries) still to write.
    Streamed {
        entries: u64,
        /// The writes of its meta and filter, which make it visible.
        meta: KeyValues,
    },
}

/// A run being merged, in key order: from memory, or page by page from
/// the store.
enum Source<'a> {
    Memory(std::vec::IntoIter<(Vec<u8>, Option<CrmId>)>),
    Stored {
        pages: crate::store::ScanIter<'a>,
        page: std::vec::IntoIter<(ByteBuf, Option<CrmId>)>,
    },
}

impl<'a> Source<'a> {
    fn stored(store: &'a dyn Store, level: u8, id: u64) -> Self {
        let prefix = run_key(PAGE, level, id);
        Source::Stored {
            pages: store.scan(Table::LeadIndex, &prefix, &prefix),
            page: Vec::new().into_iter(),
        }
    }

    /// The next entry; the keys of the pages read go to `read`.
    fn next(&mut self, read: &mut Vec<Vec<u8>>) -> Result<Option<Entry>, StoreError> {
        match self {
            Source::Memory(entries) => Ok(entries.next()),
            Source::Stored { pages, page } => loop {
                if let Some((key, value)) = page.next() {
                    return Ok(Some((key.into_vec(), value)));
                }
                let Some(item) = pages.next() else {
                    return Ok(None);
                };
                let (key, bytes) = item?;
                *page = codec::decode::<Page>(&bytes)
                    .map_err(corrupt)?
                    .entries
                    .into_iter();
                read.push(key);
            },
        }
    }
}

/// Writes a run page by page (the pages [`Pending::write_run`] would
/// write), straight to the store in bounded batches.
struct RunWriter<'a> {
    store: &'a dyn Store,
    level: u8,
    id: u64,
    page: Page,
    size: usize,
    entries: u64,
    bloom: Bloom,
    batch: WriteBatch,
}

impl RunWriter<'_> {
    fn push(&mut self, key: Vec<u8>, value: Option<CrmId>) -> Result<(), StoreError> {
        self.bloom.insert(&key);
        self.entries += 1;
        self.size += key.len() + 10;
        self.page.entries.push((ByteBuf::from(key), value));
        if self.size >= PAGE_BYTES {
            self.close_page()?;
        }
        Ok(())
    }

    fn close_page(&mut self) -> Result<(), StoreError> {
        let Some((last, _)) = self.page.entries.last() else {
            return Ok(());
        };
        let key = page_key(self.level, self.id, last);
        let bytes = codec::encode(&self.page).map_err(corrupt)?;
        self.batch.put(Table::LeadIndex, key, bytes);
        self.page.entries.clear();
        self.size = 0;
        if self.batch.len() >= MERGE_BATCH_PAGES {
            // Unreachable until the run's meta lands with the chunk: no
            // need to land atomically.
            self.store.write_each(std::mem::take(&mut self.batch))?;
        }
        Ok(())
    }

    /// Writes the last pages; returns the writes of the run's meta (none
    /// when it has no entries).
    fn finish(mut self) -> Result<(u64, KeyValues), StoreError> {
        self.close_page()?;
        if !self.batch.is_empty() {
            self.store.write_each(std::mem::take(&mut self.batch))?;
        }
        if self.entries == 0 {
            return Ok((0, Vec::new()));
        }
        let meta = meta_writes(self.level, self.id, self.entries, &self.bloom.bits)?;
        Ok((self.entries, meta))
    }
}

/// Merges runs given oldest first ([`merge`]'s rule: one entry per key,
/// the newest) into run `id` of `level`, streaming: a page of each input
/// and a batch of output pages in memory at a time. Returns the merged run
/// and the keys of the input pages read (for the chunk to remove).
fn merge_streamed(
    store: &dyn Store,
    mut sources: Vec<Source<'_>>,
    level: u8,
    id: u64,
    capacity: u64,
) -> Result<(Carried, Vec<Vec<u8>>), StoreError> {
    let mut read = Vec::new();
    let mut out = RunWriter {
        store,
        level,
        id,
        page: Page::default(),
        size: 0,
        entries: 0,
        bloom: Bloom::with_capacity(capacity),
        batch: WriteBatch::default(),
    };
    let mut heads = std::collections::BinaryHeap::with_capacity(sources.len());
    for (age, source) in sources.iter_mut().enumerate() {
        if let Some((key, value)) = source.next(&mut read)? {
            heads.push(Head { key, age, value });
        }
    }
    let mut last = Vec::new();
    let mut any = false;
    // As in [`merge`]: the smallest head replaced in place by its run's
    // next entry, or popped when the run is done.
    while let Some(mut top) = heads.peek_mut() {
        let age = top.age;
        let Head { key, value, .. } = match sources[age].next(&mut read)? {
            Some((next, v)) => std::mem::replace(
                &mut *top,
                Head {
                    key: next,
                    age,
                    value: v,
                },
            ),
            None => std::collections::binary_heap::PeekMut::pop(top),
        };
        // An older run's entry for a key already taken from a newer one.
        if any && last == key {
            continue;
        }
        any = true;
        last.clear();
        last.extend_from_slice(&key);
        out.push(key, value)?;
    }
    let (entries, meta) = out.finish()?;
    Ok((Carried::Streamed { entries, meta }, read))
}

/// Level-0 runs a catch-up keeps in memory instead of writing them: in a
/// catch-up of many chunks, each range's run was written, then read back
/// and removed when its group of [`Layout::fanout`] ranges was merged into
/// level 1 (each page a store insert, a read and a removal; a 1M rebuild
/// took a tenth less time without them). A run is held only when the merge
/// of its group falls within the same catch-up (or, for one whose end is
/// not known, may: see [`Held::ends_at`]), and only when nothing of its
/// range was stored before; the catch-up's last chunk writes any run still
/// held as the level-0 run it is, so the stored bytes are the same as
/// without holding.
///
/// Between chunks, the stored index lacks the held runs: the catch-up has
/// its `partial` marker then, so a crash rebuilds the projections, and on
/// a failure between chunks [`Held::spill`] writes the held runs as the
/// level-0 runs they are before the marker goes. Nothing reads the index
/// meanwhile: it is read under the ledger's writer lock (matching, a
/// commit's staleness check), which the catch-up holds.
#[derive(Debug, Default)]
pub struct Held {
    /// The catch-up's end: a run is held only if its group is merged by
    /// then. Zero holds nothing.
    until: u64,
    runs: BTreeMap<u64, Vec<Entry>>,
    /// A chunk's [`flush`] changed the held runs and its write has not
    /// been confirmed ([`Held::written`]): they may be ahead of the store.
    torn: bool,
}

impl Held {
    /// Holds runs for a catch-up that ends at `until` (its events end
    /// before it).
    pub fn until(until: u64) -> Self {
        Held {
            until,
            ..Held::default()
        }
    }

    /// The catch-up ends at `end` (its last chunk is next): where it was
    /// only known to end at or after `until`, its last chunk must still
    /// leave nothing held.
    pub fn ends_at(&mut self, end: u64) {
        self.until = end;
    }

    /// Holds nothing (a single chunk, or a test writing chunks by hand).
    pub fn none() -> Self {
        Held::default()
    }

    /// The chunk last flushed is written: the held runs match the store.
    pub fn written(&mut self) {
        self.torn = false;
    }

    /// Writes the held runs as the level-0 runs the chunks written so far
    /// would have left, so the stored index is whole at the checkpoint.
    /// `false` (and nothing written) when a chunk's flush changed them and
    /// its write did not follow: then only a rebuild restores the index.
    pub fn spill(&mut self, store: &dyn Store) -> Result<bool, StoreError> {
        if self.torn {
            return Ok(false);
        }
        let mut pending = Pending::default();
        self.write_into(&mut pending)?;
        let mut batch = WriteBatch::default();
        for (key, value) in pending.ops {
            if let Some(v) = value {
                batch.put(Table::LeadIndex, key, v);
            }
        }
        if !batch.is_empty() {
            store.write_each(batch)?;
        }
        Ok(true)
    }

    /// Moves every held run into `pending` as the level-0 run it is.
    fn write_into(&mut self, pending: &mut Pending) -> Result<(), StoreError> {
        for (range, entries) in std::mem::take(&mut self.runs) {
            pending.write_run(0, range, &entries)?;
        }
        Ok(())
    }
}

/// Adds a chunk's index writes (and, the first time, the layout marker) to
/// its batch. The chunk holds the events
/// `begin..end`, all within one range (`end` at most the range's end).
/// When `end` completes the range, the runs it completes are merged.
/// Level-0 runs may be kept in `held` instead of written (see [`Held`]).
pub fn flush(
    store: &dyn Store,
    batch: &mut WriteBatch,
    layout: Layout,
    begin: u64,
    end: u64,
    writes: Sorted,
    held: &mut Held,
) -> Result<(), StoreError> {
    let span = layout.span.max(1);
    let fanout = layout.fanout.max(2);
    let range = begin / span;
    debug_assert!(end <= (range + 1) * span, "a chunk crosses a range's end");
    if !held.runs.is_empty() {
        held.torn = true;
    }
    let mut pending = Pending::default();
    let marker = layout_bytes(layout);
    match store.get(Table::ProjMeta, LAYOUT)? {
        None => batch.put(Table::ProjMeta, LAYOUT.to_vec(), marker),
        Some(stored) if stored == marker => {}
        Some(_) => {
            return Err(corrupt(
                "the projections were built with another layout: run `leadger ledger rebuild`",
            ))
        }
    }
    // The run of this range, when this chunk changed it.
    let mut carried = Carried::Stored;
    let held_run = held.runs.remove(&range);
    if !writes.is_empty() || held_run.is_some() {
        debug_assert!(
            writes.windows(2).all(|w| w[0].0 < w[1].0),
            "index writes out of key order"
        );
        let (old, stored) = match held_run {
            Some(entries) => (entries, false),
            None => {
                let old = read_run(store, 0, range)?;
                let stored = !old.keys.is_empty();
                pending.remove_all(old.keys);
                (old.entries, stored)
            }
        };
        // A chunk of a whole range (most of a large catch-up) starts the
        // range's run: its writes are the run.
        let entries = if old.is_empty() {
            writes
        } else if writes.is_empty() {
            old
        } else {
            merge(vec![old, writes])
        };
        let group_end = (range / fanout + 1)
            .saturating_mul(fanout)
            .saturating_mul(span);
        if end == (range + 1) * span && (range + 1).is_multiple_of(fanout) {
            // Merged into the next level below, never stored at level 0.
            carried = Carried::Memory(entries);
        } else if !stored && group_end <= held.until {
            held.runs.insert(range, entries);
            held.torn = true;
        } else {
            pending.write_run(0, range, &entries)?;
            carried = Carried::Memory(entries);
        }
    }
    if end == (range + 1) * span {
        let (mut level, mut id) = (0u8, range);
        while (id + 1) % fanout == 0 {
            let mut sources = Vec::new();
            let mut capacity = 0u64;
            for member in id + 1 - fanout..=id {
                // The members go: what this chunk would have written for
                // them, their stored pages (collected as they are read)
                // and their metas.
                pending.forget_run(level, member);
                let stored = stored_meta(store, level, member)?;
                pending.remove_all(meta_keys(level, member, stored.as_ref()));
                let source = match (
                    member == id,
                    std::mem::replace(&mut carried, Carried::Stored),
                ) {
                    (true, Carried::Memory(entries)) => {
                        capacity += entries.len() as u64;
                        Source::Memory(entries.into_iter())
                    }
                    (true, Carried::Streamed { entries, .. }) => {
                        capacity += entries;
                        Source::stored(store, level, member)
                    }
                    (_, kept) => {
                        carried = kept;
                        let held_run = if level == 0 {
                            held.runs.remove(&member)
                        } else {
                            None
                        };
                        match held_run {
                            Some(entries) => {
                                capacity += entries.len() as u64;
                                Source::Memory(entries.into_iter())
                            }
                            None => {
                                capacity += stored.map_or(0, |m| m.entries);
                                Source::stored(store, level, member)
                            }
                        }
                    }
                };
                sources.push(source);
            }
            level = level
                .checked_add(1)
                .ok_or_else(|| corrupt("more than 255 levels"))?;
            id = (id + 1) / fanout - 1;
            let (merged, input_keys) = merge_streamed(store, sources, level, id, capacity)?;
            pending.remove_all(input_keys);
            carried = merged;
        }
    }
    if end >= held.until && !held.runs.is_empty() {
        // The catch-up's last chunk, after its merges: nothing may stay
        // held. (Holding only runs whose group is merged by `until` makes
        // this unreachable.)
        held.write_into(&mut pending)?;
    }
    // A merged run becomes visible with its meta, in the chunk's batch.
    if let Carried::Streamed { meta, .. } = carried {
        for (key, value) in meta {
            pending.ops.insert(key, Some(value));
        }
    }
    for (key, value) in pending.ops {
        match value {
            Some(v) => batch.put(Table::LeadIndex, key, v),
            None => batch.remove(Table::LeadIndex, key),
        }
    }
    Ok(())
}

fn layout_bytes(layout: Layout) -> Vec<u8> {
    let mut bytes = super::LAYOUT_VERSION.to_be_bytes().to_vec();
    bytes.extend_from_slice(&layout.span.to_be_bytes());
    bytes.extend_from_slice(&layout.fanout.to_be_bytes());
    bytes
}

/// Whether the stored projections were built with this code's layout and
/// this index layout (`false` for projections from before the marker).
pub fn layout_matches(store: &dyn Store, layout: Layout) -> Result<bool, StoreError> {
    Ok(store.get(Table::ProjMeta, LAYOUT)?.as_deref() == Some(layout_bytes(layout).as_slice()))
}

/// Where a catch-up chunk that starts at `next` must end at the latest:
/// the end of its range.
pub fn range_end(layout: Layout, next: u64) -> u64 {
    let span = layout.span.max(1);
    (next / span + 1) * span
}

struct RunInfo {
    level: u8,
    id: u64,
    bloom: Vec<u8>,
}

/// Reads the index. It loads the runs' Bloom filters once and keeps them,
/// so it is for the length of one command under the writer lock (the
/// index does not change under it until the command's own catch-up).
pub struct IndexReader<'a> {
    store: &'a dyn Store,
    runs: RefCell<Option<Vec<RunInfo>>>,
}

impl<'a> IndexReader<'a> {
    pub fn new(store: &'a dyn Store) -> Self {
        IndexReader {
            store,
            runs: RefCell::new(None),
        }
    }

    /// The runs, newest first: lower levels first, then higher run ids.
    fn runs(&self) -> Result<Ref<'_, Vec<RunInfo>>, StoreError> {
        if self.runs.borrow().is_none() {
            let mut runs = Vec::new();
            for item in self.store.scan(Table::LeadIndex, &[META], &[META]) {
                let (key, bytes) = item?;
                if key.len() != 10 {
                    return Err(corrupt("a run key of the wrong length"));
                }
                let id = u64::from_be_bytes(key[2..10].try_into().expect("8 bytes"));
                let meta: RunMeta = codec::decode(&bytes).map_err(corrupt)?;
                let level = key[1];
                let mut bloom = Vec::new();
                let mut pieces = 0u32;
                let prefix = run_key(BLOOM, level, id);
                for piece in self.store.scan(Table::LeadIndex, &prefix, &prefix) {
                    bloom.extend_from_slice(&piece?.1);
                    pieces += 1;
                }
                if pieces != meta.bloom_pieces {
                    return Err(corrupt(format!(
                        "run {id} of level {level} has {pieces} Bloom pieces, not {}",
                        meta.bloom_pieces
                    )));
                }
                runs.push(RunInfo { level, id, bloom });
            }
            runs.sort_by(|a, b| a.level.cmp(&b.level).then(b.id.cmp(&a.id)));
            *self.runs.borrow_mut() = Some(runs);
        }
        Ok(Ref::map(self.runs.borrow(), |r| {
            r.as_ref().expect("loaded above")
        }))
    }

    /// Calls `visit` with the entries of one run whose key starts with
    /// `prefix`, in key order.
    fn scan_run(
        &self,
        run: &RunInfo,
        prefix: &[u8],
        mut visit: impl FnMut(&[u8], Option<CrmId>),
    ) -> Result<(), StoreError> {
        let pages = run_key(PAGE, run.level, run.id);
        let start = page_key(run.level, run.id, prefix);
        for item in self.store.scan(Table::LeadIndex, &pages, &start) {
            let (key, bytes) = item?;
            let page = PageRef::decode(&bytes)?;
            let from = page.entries.partition_point(|(k, _)| *k < prefix);
            for (k, v) in &page.entries[from..] {
                if !k.starts_with(prefix) {
                    return Ok(());
                }
                visit(k, *v);
            }
            // The page's last key starts with the prefix: the next page
            // may hold more.
            if !key[pages.len()..].starts_with(prefix) {
                return Ok(());
            }
        }
        Ok(())
    }

    /// The entry `key` of one run: the first page whose last key is at or
    /// after `key` is the only one that can hold it.
    fn find_exact(&self, run: &RunInfo, key: &[u8]) -> Result<Option<Option<CrmId>>, StoreError> {
        let pages = run_key(PAGE, run.level, run.id);
        let start = page_key(run.level, run.id, key);
        let Some(item) = self.store.scan(Table::LeadIndex, &pages, &start).next() else {
            return Ok(None);
        };
        let (_, bytes) = item?;
        let page = PageRef::decode(&bytes)?;
        Ok(page
            .entries
            .binary_search_by(|(k, _)| (*k).cmp(key))
            .ok()
            .map(|i| page.entries[i].1))
    }

    /// True when the index holds no run at all (nothing has been
    /// committed yet): a lookup then needs no key.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.runs()?.is_empty())
    }

    /// The CRM ID an exact key (an export entry) points to.
    pub fn get(&self, key: &[u8]) -> Result<Option<CrmId>, StoreError> {
        let h = hashes(lookup_part(key));
        for run in self.runs()?.iter() {
            if !bloom_may_contain(&run.bloom, h) {
                continue;
            }
            if let Some(value) = self.find_exact(run, key)? {
                return Ok(value);
            }
        }
        Ok(None)
    }

    /// The CRM IDs of the entries under a lookup prefix (a name), in key
    /// order, at most `limit`.
    pub fn prefixed(&self, prefix: &[u8], limit: usize) -> Result<Vec<CrmId>, StoreError> {
        let h = hashes(prefix);
        let mut seen: BTreeMap<Vec<u8>, Option<CrmId>> = BTreeMap::new();
        for run in self.runs()?.iter() {
            if !bloom_may_contain(&run.bloom, h) {
                continue;
            }
            self.scan_run(run, prefix, |k, v| {
                // Runs come newest first: the first value seen wins.
                seen.entry(k.to_vec()).or_insert(v);
            })?;
        }
        Ok(seen.into_values().flatten().take(limit).collect())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "index_tests.rs"]
mod tests;
