//! Atomic application of a `WriteBatch` to the sled trees.
//!
//! The ops are first grouped into one `sled::Batch` per table, in batch
//! order (a `sled::Batch` is a map, so a later op on the same key replaces an
//! earlier one: last write wins, as in the batch). Then:
//! - one table touched: `Tree::apply_batch`, atomic within that tree and far
//!   cheaper than a transaction;
//! - several tables: one sled transaction over exactly the involved trees,
//!   each applying its group. sled commits all trees of a transaction under
//!   one log reservation, so a crash recovers all or none of them.
//!
//! A transaction stages every write in memory until commit: callers keep
//! batches bounded (the application writes imports in chunks).

use leadger_core::store::StoreError;
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

use crate::error::from_sled;

/// Groups ops per tree (or per table), preserving op order within each.
pub(crate) fn group<K: PartialEq + Copy>(
    ops: impl IntoIterator<Item = (K, Vec<u8>, Option<Vec<u8>>)>,
) -> Vec<(K, sled::Batch)> {
    let mut groups: Vec<(K, sled::Batch)> = Vec::new();
    for (table, key, value) in ops {
        let idx = match groups.iter().position(|(t, _)| *t == table) {
            Some(i) => i,
            None => {
                groups.push((table, sled::Batch::default()));
                groups.len() - 1
            }
        };
        if let Some((_, b)) = groups.get_mut(idx) {
            match value {
                Some(v) => b.insert(key, v),
                None => b.remove(key),
            }
        }
    }
    groups
}

/// Applies the grouped batch. `abort_after` (tests only: always `None` in
/// production) makes the multi-tree transaction abort after applying that
/// many groups, to check that nothing of it lands.
pub(crate) fn apply<'t, K: Copy>(
    tree: impl Fn(K) -> &'t sled::Tree,
    mut groups: Vec<(K, sled::Batch)>,
    abort_after: Option<usize>,
) -> Result<(), StoreError> {
    if groups.len() <= 1 {
        return match groups.pop() {
            Some((table, b)) => tree(table).apply_batch(b).map_err(from_sled),
            None => Ok(()),
        };
    }
    let trees: Vec<&sled::Tree> = groups.iter().map(|(t, _)| tree(*t)).collect();
    let result = trees.as_slice().transaction(|txs| {
        for (i, (tx, (_, b))) in txs.iter().zip(&groups).enumerate() {
            if abort_after == Some(i) {
                return Err(ConflictableTransactionError::Abort(()));
            }
            tx.apply_batch(b)?;
        }
        Ok(())
    });
    match result {
        Ok(()) => Ok(()),
        Err(TransactionError::Storage(e)) => Err(from_sled(e)),
        Err(TransactionError::Abort(())) => Err(StoreError::Io(
            "the write transaction was aborted".to_string(),
        )),
    }
}

/// Applies the ops one key at a time, per tree in key order, the last op
/// on a key winning: no atomicity ([`leadger_core::store::Store::write_each`]).
///
/// `Tree::apply_batch` applies its map in hash order while it holds
/// sled's global write lock and one epoch guard, so every leaf it copies
/// stays allocated until the batch ends; plain inserts in key order
/// touch each leaf while it is warm and free its old copies as they go.
/// A bare sled test of 200,000 inserts of 700 bytes in batches of 2,048:
/// 1.35 s as batches of sequential keys against 0.79 s key by key; the
/// catch-up's and the log writer's batches are mostly such runs.
pub(crate) fn apply_each<'t, K: Ord + Copy>(
    tree: impl Fn(K) -> &'t sled::Tree,
    ops: impl IntoIterator<Item = (K, Vec<u8>, Option<Vec<u8>>)>,
) -> Result<(), StoreError> {
    let mut ops: Vec<_> = ops.into_iter().collect();
    // Stable: the ops on one key stay in batch order, and the last is kept.
    ops.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let mut ops = ops.into_iter().peekable();
    while let Some((table, key, value)) = ops.next() {
        if ops.peek().is_some_and(|(t, k, _)| *t == table && *k == key) {
            continue;
        }
        let tree = tree(table);
        match value {
            Some(v) => tree.insert(key, v).map(drop),
            None => tree.remove(key).map(drop),
        }
        .map_err(from_sled)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use leadger_core::store::{Store, StoreError, Table, WriteBatch};

    use super::*;
    use crate::{SledStore, StoreOptions};

    fn open() -> (tempfile::TempDir, SledStore) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(dir.path(), StoreOptions::default()).expect("open");
        (dir, store)
    }

    fn get(s: &SledStore, t: Table, k: &[u8]) -> Option<Vec<u8>> {
        s.get(t, k).expect("get")
    }

    #[test]
    fn multi_table_write_is_visible_in_every_table() {
        let (_dir, s) = open();
        let mut b = WriteBatch::default();
        b.put(Table::Events, 7u64.to_be_bytes(), b"event".to_vec());
        b.put(Table::LogMeta, b"head".to_vec(), b"8".to_vec());
        b.put(Table::Leads, b"CRM-1".to_vec(), b"lead".to_vec());
        b.put(Table::Leads, b"CRM-1".to_vec(), b"lead v2".to_vec());
        b.put(Table::Reference, b"gone".to_vec(), b"x".to_vec());
        b.remove(Table::Reference, b"gone".to_vec());
        s.write(b).expect("write");
        assert_eq!(
            get(&s, Table::Events, &7u64.to_be_bytes()),
            Some(b"event".to_vec())
        );
        assert_eq!(get(&s, Table::LogMeta, b"head"), Some(b"8".to_vec()));
        assert_eq!(get(&s, Table::Leads, b"CRM-1"), Some(b"lead v2".to_vec()));
        assert_eq!(get(&s, Table::Reference, b"gone"), None);
        assert_eq!(get(&s, Table::Imports, b"CRM-1"), None);
    }

    #[test]
    fn aborted_multi_table_transaction_leaves_no_table_written() {
        let (_dir, s) = open();
        let mut before = WriteBatch::default();
        before.put(Table::Leads, b"k".to_vec(), b"old".to_vec());
        s.write(before).expect("seed");

        let mut b = WriteBatch::default();
        b.put(Table::Events, b"e".to_vec(), b"1".to_vec());
        b.put(Table::Leads, b"k".to_vec(), b"new".to_vec());
        b.remove(Table::Leads, b"k2".to_vec());
        b.put(Table::Reference, b"h".to_vec(), b"1".to_vec());
        // Abort after the events tree's group was staged, before the
        // projections tree's.
        let err = s.write_with(b, Some(1)).expect_err("aborted");
        assert!(matches!(err, StoreError::Io(_)));
        assert_eq!(get(&s, Table::Events, b"e"), None);
        assert_eq!(get(&s, Table::Leads, b"k"), Some(b"old".to_vec()));
        assert_eq!(get(&s, Table::Reference, b"h"), None);
    }

    #[test]
    fn group_keeps_last_op_per_key_and_first_seen_table_order() {
        let mut b = WriteBatch::default();
        b.put(Table::Leads, b"a".to_vec(), b"1".to_vec());
        b.put(Table::Events, b"e".to_vec(), b"1".to_vec());
        b.remove(Table::Leads, b"a".to_vec());
        let groups = group(b.ops);
        let tables: Vec<Table> = groups.iter().map(|(t, _)| *t).collect();
        assert_eq!(tables, vec![Table::Leads, Table::Events]);
        let empty = group(WriteBatch::default().ops);
        assert!(empty.is_empty());
    }

    #[test]
    fn write_each_keeps_the_last_op_per_key_across_trees() {
        let (_dir, s) = open();
        let mut seed = WriteBatch::default();
        seed.put(Table::Leads, b"gone".to_vec(), b"old".to_vec());
        s.write(seed).expect("seed");
        let mut b = WriteBatch::default();
        b.put(Table::Leads, b"b".to_vec(), b"1".to_vec());
        b.put(Table::Events, b"b".to_vec(), b"e".to_vec());
        b.put(Table::Leads, b"a".to_vec(), b"1".to_vec());
        b.put(Table::Leads, b"b".to_vec(), b"2".to_vec());
        b.remove(Table::Leads, b"a".to_vec());
        b.remove(Table::Leads, b"gone".to_vec());
        b.put(Table::Reference, b"b".to_vec(), b"r".to_vec());
        s.write_each(b).expect("write_each");
        assert_eq!(get(&s, Table::Leads, b"a"), None);
        assert_eq!(get(&s, Table::Leads, b"b"), Some(b"2".to_vec()));
        assert_eq!(get(&s, Table::Leads, b"gone"), None);
        assert_eq!(get(&s, Table::Events, b"b"), Some(b"e".to_vec()));
        assert_eq!(get(&s, Table::Reference, b"b"), Some(b"r".to_vec()));
    }

    #[test]
    fn empty_batch_is_a_no_op() {
        let (_dir, s) = open();
        s.write(WriteBatch::default()).expect("write");
        assert_eq!(s.scan(Table::Events, b"", b"").count(), 0);
    }

    type Model = BTreeMap<Table, BTreeMap<Vec<u8>, Vec<u8>>>;

    fn op() -> impl Strategy<Value = (Table, Vec<u8>, Option<Vec<u8>>)> {
        let table = prop::sample::select(&Table::ALL[..4]);
        // Few distinct keys so puts and removes collide often.
        let key = prop::collection::vec(0u8..3, 0..3);
        let value = prop::option::of(prop::collection::vec(any::<u8>(), 0..4));
        (table, key, value)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn random_batches_match_a_btreemap_model(
            batches in prop::collection::vec(
                (prop::collection::vec(op(), 0..12), any::<bool>()),
                1..6,
            )
        ) {
            let (_dir, s) = open();
            let mut model = Model::new();
            for (ops, each) in batches {
                for (t, k, v) in &ops {
                    let m = model.entry(*t).or_default();
                    match v {
                        Some(v) => { m.insert(k.clone(), v.clone()); }
                        None => { m.remove(k); }
                    }
                }
                if each {
                    s.write_each(WriteBatch { ops }).expect("write_each");
                } else {
                    s.write(WriteBatch { ops }).expect("write");
                }
            }
            for t in Table::ALL {
                let got: Vec<(Vec<u8>, Vec<u8>)> = s
                    .scan(t, b"", b"")
                    .collect::<Result<_, _>>()
                    .expect("scan");
                let want: Vec<(Vec<u8>, Vec<u8>)> = model
                    .get(&t)
                    .map(|m| m.clone().into_iter().collect())
                    .unwrap_or_default();
                prop_assert_eq!(got, want);
            }
        }
    }
}
