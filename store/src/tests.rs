//! Tests of the store as a whole: opening, locking, reopening, clearing.

use leadger_core::store::{Store, StoreError, Table, WriteBatch};

use crate::{SledStore, StoreOptions};

/// Opens a store just dropped in this process. sled releases its file
/// lock when its background threads let go of the database, a moment
/// after the drop, so an immediate reopen can meet `Locked` (another
/// process never does: its exit releases the lock).
pub(crate) fn reopen(dir: &std::path::Path) -> SledStore {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match SledStore::open(dir, StoreOptions::default()) {
            Err(StoreError::Locked { .. }) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other.expect("reopen"),
        }
    }
}

#[test]
fn tables_are_kept_apart_and_projections_share_one_prefixed_tree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SledStore::open(dir.path(), StoreOptions::default()).expect("open");
    let mut b = WriteBatch::default();
    for t in Table::ALL {
        b.put(t, b"k".to_vec(), t.name().as_bytes().to_vec());
    }
    store.write(b).expect("write");
    for t in Table::ALL {
        assert_eq!(
            store.get(t, b"k").expect("get"),
            Some(t.name().as_bytes().to_vec())
        );
        let keys: Vec<Vec<u8>> = store
            .scan(t, b"", b"")
            .map(|r| r.map(|(k, _)| k))
            .collect::<Result<_, _>>()
            .expect("scan");
        assert_eq!(keys, vec![b"k".to_vec()], "{t:?} sees only its own key");
    }
    assert_eq!(store.db.open_tree("events").expect("tree").len(), 1);
    assert_eq!(store.db.open_tree("log_meta").expect("tree").len(), 1);
    assert_eq!(
        store.db.open_tree("projections").expect("tree").len(),
        Table::PROJECTIONS.len()
    );
    store.clear(Table::Leads).expect("clear");
    assert_eq!(store.get(Table::Leads, b"k").expect("get"), None);
    assert!(store.get(Table::Imports, b"k").expect("get").is_some());
}

#[test]
fn reopen_after_flush_sees_the_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = SledStore::open(dir.path(), StoreOptions::default()).expect("open");
        let mut b = WriteBatch::default();
        b.put(Table::Events, 1u64.to_be_bytes(), b"one".to_vec());
        b.put(Table::LogMeta, b"head".to_vec(), 2u64.to_be_bytes());
        store.write(b).expect("write");
        let mut single = WriteBatch::default();
        single.put(Table::Tokens, b"t".to_vec(), b"hash".to_vec());
        store.write(single).expect("write");
        store.flush().expect("flush");
    }
    let store = reopen(dir.path());
    assert_eq!(
        store.get(Table::Events, &1u64.to_be_bytes()).expect("get"),
        Some(b"one".to_vec())
    );
    assert_eq!(
        store.get(Table::LogMeta, b"head").expect("get"),
        Some(2u64.to_be_bytes().to_vec())
    );
    assert_eq!(
        store.get(Table::Tokens, b"t").expect("get"),
        Some(b"hash".to_vec())
    );
    assert_eq!(store.dir(), dir.path());
}

#[test]
fn second_open_of_the_same_dir_is_locked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = SledStore::open(dir.path(), StoreOptions::default()).expect("open");
    match SledStore::open(dir.path(), StoreOptions::default()) {
        Err(StoreError::Locked { path }) => assert_eq!(path, dir.path().display().to_string()),
        Err(e) => panic!("expected Locked, got {e}"),
        Ok(_) => panic!("opened a locked directory twice"),
    }
    drop(first);
    reopen(dir.path());
}

#[test]
fn clear_empties_one_table_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SledStore::open(dir.path(), StoreOptions::default()).expect("open");
    let mut b = WriteBatch::default();
    for n in 0..50u64 {
        b.put(Table::Leads, n.to_be_bytes(), b"lead".to_vec());
        b.put(Table::Events, n.to_be_bytes(), b"event".to_vec());
    }
    store.write(b).expect("write");
    store.clear(Table::Leads).expect("clear");
    assert_eq!(store.scan(Table::Leads, b"", b"").count(), 0);
    assert_eq!(store.scan_rev(Table::Leads, b"").count(), 0);
    assert_eq!(store.scan(Table::Events, b"", b"").count(), 50);
    // The cleared table is still usable.
    let mut again = WriteBatch::default();
    again.put(Table::Leads, b"x".to_vec(), b"y".to_vec());
    store.write(again).expect("write");
    assert_eq!(
        store.get(Table::Leads, b"x").expect("get"),
        Some(b"y".to_vec())
    );
}

#[test]
fn clearing_every_projection_drops_their_tree_and_keeps_the_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = SledStore::open(dir.path(), StoreOptions::default()).expect("open");
        let mut b = WriteBatch::default();
        for n in 0..50u64 {
            for table in Table::PROJECTIONS {
                b.put(table, n.to_be_bytes(), b"projected".to_vec());
            }
            b.put(Table::Events, n.to_be_bytes(), b"event".to_vec());
        }
        b.put(Table::LogMeta, b"head".to_vec(), b"50".to_vec());
        store.write(b).expect("write");
        store.clear_all(&Table::PROJECTIONS).expect("clear");
        for table in Table::PROJECTIONS {
            assert_eq!(store.scan(table, b"", b"").count(), 0, "{table:?}");
        }
        // The new tree takes writes, and they survive a reopen.
        let mut again = WriteBatch::default();
        again.put(Table::Leads, b"x".to_vec(), b"y".to_vec());
        store.write(again).expect("write");
        store.flush().expect("flush");
    }
    let store = reopen(dir.path());
    assert_eq!(store.scan(Table::Events, b"", b"").count(), 50);
    assert!(store.get(Table::LogMeta, b"head").expect("get").is_some());
    assert_eq!(
        store.get(Table::Leads, b"x").expect("get"),
        Some(b"y".to_vec())
    );
    assert_eq!(store.scan(Table::Imports, b"", b"").count(), 0);
}

#[test]
fn clearing_some_projections_keeps_the_others() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SledStore::open(dir.path(), StoreOptions::default()).expect("open");
    let mut b = WriteBatch::default();
    b.put(Table::Leads, b"l".to_vec(), b"lead".to_vec());
    b.put(Table::Tokens, b"t".to_vec(), b"token".to_vec());
    store.write(b).expect("write");
    store.clear_all(&[Table::Leads]).expect("clear");
    assert_eq!(store.get(Table::Leads, b"l").expect("get"), None);
    assert!(store.get(Table::Tokens, b"t").expect("get").is_some());
}

#[test]
fn size_on_disk_counts_db_and_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SledStore::open(
        dir.path(),
        StoreOptions {
            cache_bytes: 1 << 20,
        },
    )
    .expect("open");
    store.flush().expect("flush");
    let before = store.size_on_disk().expect("size");
    let data = vec![42u8; 100_000];
    store.put_blob(&mut data.as_slice()).expect("put");
    let after = store.size_on_disk().expect("size");
    assert!(after >= before + 100_000, "{before} -> {after}");
}

/// A spool gives back what was written, from the start, and leaves no
/// file behind in the data directory, neither while open nor after.
#[test]
fn a_spool_reads_back_what_was_written_and_leaves_no_file() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SledStore::open(dir.path(), StoreOptions::default()).expect("open");
    let files =
        |dir: &std::path::Path| std::fs::read_dir(dir.join("files")).expect("files").count();
    let mut spool = store.spool().expect("spool");
    let data: Vec<u8> = (0..1_000_000u32).flat_map(|i| i.to_le_bytes()).collect();
    spool.write_all(&data).expect("write");
    assert_eq!(files(dir.path()), 0, "a spool is an unnamed file");
    let mut back = Vec::new();
    spool
        .into_reader()
        .expect("reader")
        .read_to_end(&mut back)
        .expect("read");
    assert!(
        back == data,
        "read back {} bytes of {}",
        back.len(),
        data.len()
    );
    assert_eq!(files(dir.path()), 0);
}

/// A staging spool kept under a name is there for a later open of the
/// store to read (not while it is written, under its temporary name); one
/// dropped unkept, or left by a process that stopped while writing it, is
/// gone; `clear_staged` removes the kept ones and spares the ones still
/// being written.
#[test]
fn a_kept_staging_spool_is_read_by_a_later_open_and_cleared() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().expect("tempdir");
    let staged = |dir: &std::path::Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir.join("staged"))
            .expect("staged")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let read_all = |mut r: Box<dyn Read + Send>| {
        let mut back = Vec::new();
        r.read_to_end(&mut back).expect("read");
        back
    };
    {
        let store = SledStore::open(dir.path(), StoreOptions::default()).expect("open");
        let mut kept = store.staging().expect("staging");
        kept.write_all(b"the plan").expect("write");
        assert!(store.open_staged("plan-1").expect("open").is_none());
        assert_eq!(read_all(kept.keep("plan-1").expect("keep")), b"the plan");
        let mut unkept = store.staging().expect("staging");
        unkept.write_all(b"another").expect("write");
        assert_eq!(read_all(unkept.into_reader().expect("reader")), b"another");
        assert_eq!(staged(dir.path()), ["plan-1"]);
        // A spool being written when the process stops.
        let mut cut = store.staging().expect("staging");
        cut.write_all(b"cut").expect("write");
        std::mem::forget(cut);
        assert_eq!(staged(dir.path()).len(), 2);
    }
    let store = reopen(dir.path());
    assert_eq!(staged(dir.path()), ["plan-1"]);
    let plan = store.open_staged("plan-1").expect("open").expect("kept");
    assert_eq!(read_all(plan), b"the plan");
    assert!(store.open_staged("../db").expect("open").is_none());
    let mut writing = store.staging().expect("staging");
    store.clear_staged().expect("clear");
    assert!(store.open_staged("plan-1").expect("open").is_none());
    writing.write_all(b"still").expect("write");
    assert_eq!(read_all(writing.keep("plan-2").expect("keep")), b"still");
    assert_eq!(staged(dir.path()), ["plan-2"]);
}
