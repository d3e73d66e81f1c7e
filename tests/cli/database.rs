//! Direct access to a data directory's sled database, for the tests that
//! read or alter it behind the binary's back.
//!
//! sled releases its file lock only once its background I/O threads have
//! dropped their handles, which a test cannot wait for; running the binary
//! right after closing the database in the test process fails at random
//! with "the data directory is in use". So every access runs in a child
//! process (this test binary, running only [`child_process_entry`]), whose
//! exit releases the lock for certain.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use leadger_core::store::{Store, Table};
use leadger_store::{SledStore, StoreOptions};

use crate::support::Env;

const OP: &str = "LEADGER_TEST_DB_OP";
const DIR: &str = "LEADGER_TEST_DB_DIR";
const OUT: &str = "LEADGER_TEST_DB_OUT";

/// Runs `op` on the data directory of `env` in a child process and returns
/// what it wrote. Ops: `dump-projections` (every projection table through
/// the store), `dump-raw` (every sled tree but the event log and its head),
/// `flip-event-byte SEQ`, `remove-event SEQ`, `clear-leads` (the leads
/// table and its index, through the store), `old-layout` (the lead index
/// and the layout marker as a data directory from before the marker has
/// them).
pub fn run(env: &Env, op: &str) -> String {
    let out = env.path(&format!("db-op-{}.txt", op.replace(' ', "-")));
    let _ = std::fs::remove_file(&out);
    let child = Command::new(std::env::current_exe().expect("the test binary"))
        .args(["--exact", "database::child_process_entry"])
        .args(["--test-threads=1", "--quiet"])
        .env(OP, op)
        .env(DIR, env.data_dir())
        .env(OUT, &out)
        .output()
        .expect("run the child");
    assert!(
        child.status.success(),
        "{op} failed:\n{}\n{}",
        String::from_utf8_lossy(&child.stdout),
        String::from_utf8_lossy(&child.stderr)
    );
    std::fs::read_to_string(&out).unwrap_or_else(|e| panic!("{op} wrote nothing: {e}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn perform(op: &str, dir: &Path) -> String {
    let mut text = String::new();
    let (name, arg) = op.split_once(' ').unwrap_or((op, ""));
    let seq: u64 = arg.parse().unwrap_or(0);
    match name {
        "dump-projections" | "clear-leads" | "old-layout" => {
            let store = SledStore::open(dir, StoreOptions::default()).expect("open the store");
            if name == "clear-leads" {
                store.clear(Table::Leads).expect("clear the leads");
                store.clear(Table::LeadIndex).expect("clear the index");
                store.flush().expect("flush");
            }
            if name == "old-layout" {
                // As a data directory from before the layout marker: the
                // lead index as one key per entry, no marker.
                store.clear(Table::LeadIndex).expect("clear the index");
                let mut batch = leadger_core::store::WriteBatch::default();
                batch.remove(Table::ProjMeta, b"layout".to_vec());
                batch.put(Table::LeadIndex, b"eLE1".to_vec(), vec![1u8]);
                store.write(batch).expect("write the old layout");
                store.flush().expect("flush");
            }
            for table in Table::PROJECTIONS {
                let _ = writeln!(text, "table {}", table.name());
                for entry in store.scan(table, &[], &[]) {
                    let (k, v) = entry.expect("scan a projection");
                    let _ = writeln!(text, "{} {}", hex(&k), hex(&v));
                }
            }
        }
        "dump-raw" | "flip-event-byte" | "remove-event" => {
            let db = sled::open(dir.join("db")).expect("open the sled db");
            let events = db.open_tree("events").expect("the events tree");
            if name != "dump-raw" {
                alter_event(&events, seq, name == "remove-event");
            }
            db.flush().expect("flush");
            let skip: BTreeSet<&[u8]> = [&b"events"[..], b"log_meta"].into();
            for tree_name in db.tree_names() {
                if skip.contains(&tree_name[..]) {
                    continue;
                }
                let _ = writeln!(text, "tree {}", hex(&tree_name));
                for entry in db.open_tree(&tree_name).expect("open a tree").iter() {
                    let (k, v) = entry.expect("read a tree");
                    let _ = writeln!(text, "{} {}", hex(&k), hex(&v));
                }
            }
        }
        other => panic!("unknown database op {other:?}"),
    }
    text
}

/// Flips a byte in the middle of event `seq`, or cuts the event out of the
/// block that holds it (the block's later events then sit one place early,
/// as if the event had never been written). Blocks are keyed by their last
/// event, so the block holding `seq` is the first at or after its key.
fn alter_event(events: &sled::Tree, seq: u64, remove: bool) {
    let (key, value) = events
        .range(seq.to_be_bytes()..)
        .next()
        .expect("a block")
        .expect("read a block");
    let mut block = value.to_vec();
    let (first, count) = leadger_core::log::block_header(&block).expect("a block header");
    let mut pos = leadger_core::log::BLOCK_HEADER_LEN;
    for _ in first..seq {
        pos += 4 + frame_len(&block, pos);
    }
    let len = frame_len(&block, pos);
    if remove {
        block.drain(pos..pos + 4 + len);
        let count_at = leadger_core::log::BLOCK_HEADER_LEN - 4;
        block[count_at..count_at + 4].copy_from_slice(&(count - 1).to_le_bytes());
    } else {
        block[pos + 4 + len / 2] ^= 0x01;
    }
    events.insert(key, block).expect("write the block");
}

fn frame_len(block: &[u8], pos: usize) -> usize {
    let bytes: [u8; 4] = block[pos..pos + 4].try_into().expect("a frame length");
    u32::from_le_bytes(bytes) as usize
}

/// In a child process started by [`run`]: performs the op. Run as a test
/// of the suite: checks that the binary can use a data directory right
/// after a child has dumped it, which every test here relies on.
#[test]
fn child_process_entry() {
    if let (Ok(op), Ok(dir), Ok(out)) = (std::env::var(OP), std::env::var(DIR), std::env::var(OUT))
    {
        let text = perform(&op, Path::new(&dir));
        std::fs::write(out, text).expect("write the result");
        return;
    }
    let env = Env::new();
    env.import_csv("a.csv", "Lead Name\nAcme\n");
    let dump = run(&env, "dump-projections");
    // Lead 1 is in page 0 (`p` + page number 0).
    assert!(dump.contains("table leads\n700000000000000000 "), "{dump}");
    assert_eq!(env.json(&["leads", "list"])["total"], 1);
    let raw = run(&env, "dump-raw");
    assert!(raw.lines().count() > 2, "{raw}");
    assert_eq!(env.json(&["ledger", "verify"])["ok"], true);
}
