//! Streaming prefix scans over one sled tree.
//!
//! Forward scans start at `max(prefix, start)` with `Tree::range` and stop at
//! the first key that no longer starts with the prefix (keys are ordered, so
//! none after it can). Reverse scans use `Tree::scan_prefix(..).rev()`. Both
//! pull one entry at a time from sled: nothing is collected.

use leadger_core::store::{ScanIter, StoreError};

use crate::error::from_sled;

/// Entries of `tree` whose key starts with `prefix`, from the first key at
/// or after `start`, in key order.
pub(crate) fn forward<'a>(tree: &sled::Tree, prefix: &[u8], start: &[u8]) -> ScanIter<'a> {
    let from = if start > prefix { start } else { prefix };
    Box::new(PrefixIter {
        inner: tree.range(from..),
        prefix: prefix.to_vec(),
        done: false,
    })
}

/// Entries of `tree` whose key starts with `prefix`, in reverse key order.
pub(crate) fn reverse<'a>(tree: &sled::Tree, prefix: &[u8]) -> ScanIter<'a> {
    Box::new(tree.scan_prefix(prefix).rev().map(convert))
}

/// Removes the one-byte table prefix from the keys of a shared tree.
pub(crate) fn strip<'a>(it: ScanIter<'a>, prefixed: bool) -> ScanIter<'a> {
    if !prefixed {
        return it;
    }
    Box::new(it.map(|r| {
        r.map(|(mut k, v)| {
            k.remove(0);
            (k, v)
        })
    }))
}

fn convert(item: sled::Result<(sled::IVec, sled::IVec)>) -> Result<(Vec<u8>, Vec<u8>), StoreError> {
    item.map(|(k, v)| (k.to_vec(), v.to_vec()))
        .map_err(from_sled)
}

/// A sled range cut off at the end of a prefix; ends after the first error.
struct PrefixIter {
    inner: sled::Iter,
    prefix: Vec<u8>,
    done: bool,
}

impl Iterator for PrefixIter {
    type Item = Result<(Vec<u8>, Vec<u8>), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.inner.next()? {
            Ok((k, _)) if !k.starts_with(&self.prefix) => {
                self.done = true;
                None
            }
            Ok((k, v)) => Some(Ok((k.to_vec(), v.to_vec()))),
            Err(e) => {
                self.done = true;
                Some(Err(from_sled(e)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use leadger_core::store::{Store, Table, WriteBatch};

    use crate::{SledStore, StoreOptions};

    fn keys(it: leadger_core::store::ScanIter<'_>) -> Vec<Vec<u8>> {
        it.map(|r| r.map(|(k, _)| k))
            .collect::<Result<_, _>>()
            .expect("scan")
    }

    fn key(p: u8, n: u64) -> Vec<u8> {
        let mut k = vec![p];
        k.extend_from_slice(&n.to_be_bytes());
        k
    }

    #[test]
    fn scan_prefix_start_and_rev_in_big_endian_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(dir.path(), StoreOptions::default()).expect("open");
        let mut b = WriteBatch::default();
        // Inserted out of order; 256 and 1 differ in the first bytes.
        for n in [300u64, 1, 256, 2, 70_000] {
            b.put(Table::Reference, key(b'a', n), n.to_be_bytes());
            b.put(Table::Reference, key(b'b', n), n.to_be_bytes());
        }
        b.put(Table::Reference, vec![b'0'], b"before".to_vec());
        b.put(Table::Reference, vec![b'c'], b"after".to_vec());
        store.write(b).expect("write");

        let all_a = keys(store.scan(Table::Reference, b"a", b"a"));
        let want: Vec<_> = [1u64, 2, 256, 300, 70_000].map(|n| key(b'a', n)).into();
        assert_eq!(all_a, want);

        // Start inside the prefix: from the first key >= start.
        let from_3 = keys(store.scan(Table::Reference, b"a", &key(b'a', 3)));
        assert_eq!(from_3, want[2..].to_vec());
        // Start before the prefix: the whole prefix.
        assert_eq!(keys(store.scan(Table::Reference, b"a", b"")), want);
        // Start after the prefix: nothing (and not the 'b' keys).
        assert!(keys(store.scan(Table::Reference, b"a", b"b")).is_empty());

        let rev = keys(store.scan_rev(Table::Reference, b"b"));
        let want_b: Vec<_> = [70_000u64, 300, 256, 2, 1].map(|n| key(b'b', n)).into();
        assert_eq!(rev, want_b);

        // Empty prefix: the whole table, both ways.
        let everything = keys(store.scan(Table::Reference, b"", b""));
        assert_eq!(everything.len(), 12);
        assert_eq!(everything.first(), Some(&vec![b'0']));
        assert_eq!(everything.last(), Some(&vec![b'c']));
        let mut back = keys(store.scan_rev(Table::Reference, b""));
        back.reverse();
        assert_eq!(back, everything);

        // Other tables are untouched.
        assert!(keys(store.scan(Table::Leads, b"", b"")).is_empty());
    }

    #[test]
    fn scan_streams_so_keys_written_after_it_started_show_up() {
        // A collected scan would be a snapshot; sled's iterator reads nodes
        // lazily, so a key written far ahead of the cursor is still seen.
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(dir.path(), StoreOptions::default()).expect("open");
        let mut b = WriteBatch::default();
        for n in 0..10_000u64 {
            b.put(Table::Events, n.to_be_bytes(), b"e".to_vec());
        }
        store.write(b).expect("write");
        let mut it = store.scan(Table::Events, b"", b"");
        let first = it.next().expect("one").expect("ok");
        assert_eq!(first.0, 0u64.to_be_bytes().to_vec());
        let mut late = WriteBatch::default();
        late.put(Table::Events, u64::MAX.to_be_bytes(), b"late".to_vec());
        store.write(late).expect("write late");
        let rest = keys(it);
        assert_eq!(rest.len(), 10_000);
        assert_eq!(rest.last(), Some(&u64::MAX.to_be_bytes().to_vec()));
    }
}
