//! Where the log's long runs of plan rows lie, so that a catch-up on open
//! and a rebuild need not read them: a million-row preview's plan rows
//! are a third of the log's bytes and project nothing, and passing over
//! them a block at a time was a quarter of a 1M rebuild, with the main
//! thread idle and sled's cache filling with their pages.
//!
//! The append that writes a run records it in the log's meta (`log_meta`,
//! key `unprojected/` + first sequence number, value the end), in the same
//! atomic write that moves the head over it. A run is a hint that lies
//! outside the hash chain, so it is trusted as a rebuild trusts the
//! events' own hashes, to find damage, not tampering: `ledger verify`
//! proves every recorded run holds nothing but plan rows, as it proves the
//! chain. A run that is not well-formed is ignored by the catch-up (it
//! reads those events instead) and reported by verify.

use std::ops::Range;

use super::LedgerError;
use crate::codec;
use crate::store::{Store, Table, WriteBatch};

const PREFIX: &[u8] = b"unprojected/";

/// The log-meta key of the run that begins at `start`.
pub(super) fn key(start: u64) -> Vec<u8> {
    let mut k = PREFIX.to_vec();
    k.extend_from_slice(&start.to_be_bytes());
    k
}

/// Adds the runs to the batch that moves the head over them.
pub(super) fn record(batch: &mut WriteBatch, runs: &[Range<u64>]) -> Result<(), LedgerError> {
    for run in runs {
        batch.put(Table::LogMeta, key(run.start), codec::encode(&run.end)?);
    }
    Ok(())
}

/// A recorded run that is not well-formed: the first event it names, and
/// what is wrong with it.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct BadRun {
    pub(super) seq: u64,
    pub(super) problem: String,
}

/// Every recorded run, in order. Each must be non-empty, end at or before
/// `next_seq` (the head) and begin at or after the end of the one before.
pub(super) fn load<S: Store + ?Sized>(
    store: &S,
    next_seq: u64,
) -> Result<Result<Vec<Range<u64>>, BadRun>, LedgerError> {
    let mut runs: Vec<Range<u64>> = Vec::new();
    for entry in store.scan(Table::LogMeta, PREFIX, &[]) {
        let (k, value) = entry?;
        let start = match <[u8; 8]>::try_from(&k[PREFIX.len()..]) {
            Ok(bytes) => u64::from_be_bytes(bytes),
            Err(_) => {
                return Ok(Err(BadRun {
                    seq: 0,
                    problem: "a recorded run of plan rows has a damaged key".into(),
                }))
            }
        };
        let bad = |problem: String| {
            Ok(Err(BadRun {
                seq: start,
                problem,
            }))
        };
        let Ok(end) = codec::decode::<u64>(&value) else {
            return bad(format!(
                "the recorded run of plan rows from event {start} has a damaged end"
            ));
        };
        if end <= start || end > next_seq {
            return bad(format!(
                "the recorded run of plan rows {start}..{end} is not within the log (0..{next_seq})"
            ));
        }
        if runs.last().is_some_and(|last| last.end > start) {
            return bad(format!(
                "the recorded run of plan rows {start}..{end} overlaps the one before"
            ));
        }
        runs.push(start..end);
    }
    Ok(Ok(runs))
}

/// The parts of `runs` (in order, not overlapping) within `begin..end`.
pub(super) fn within(runs: &[Range<u64>], begin: u64, end: u64) -> Vec<Range<u64>> {
    runs.iter()
        .map(|r| r.start.max(begin)..r.end.min(end))
        .filter(|r| r.start < r.end)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::memstore::MemStore;

    fn stored(runs: &[(u64, u64)]) -> MemStore {
        let store = MemStore::default();
        let mut batch = WriteBatch::default();
        let runs: Vec<Range<u64>> = runs.iter().map(|&(a, b)| a..b).collect();
        record(&mut batch, &runs).unwrap();
        store.write(batch).unwrap();
        store
    }

    #[test]
    fn recorded_runs_load_in_order() {
        let store = stored(&[(300, 900), (2, 260), (900, 1200)]);
        assert_eq!(
            load(&store, 1200).unwrap().unwrap(),
            vec![2..260, 300..900, 900..1200]
        );
        assert_eq!(load(&MemStore::default(), 0).unwrap().unwrap(), vec![]);
    }

    #[test]
    fn a_run_past_the_head_or_overlapping_is_bad() {
        let past = load(&stored(&[(2, 260), (300, 1201)]), 1200).unwrap();
        assert_eq!(past.unwrap_err().seq, 300);
        let overlapping = load(&stored(&[(2, 400), (300, 900)]), 1200).unwrap();
        let bad = overlapping.unwrap_err();
        assert_eq!(bad.seq, 300);
        assert!(bad.problem.contains("overlaps"), "{}", bad.problem);
        let empty = load(&stored(&[(5, 5)]), 1200).unwrap();
        assert_eq!(empty.unwrap_err().seq, 5);
    }

    #[test]
    fn a_damaged_end_is_bad() {
        let store = MemStore::default();
        let mut batch = WriteBatch::default();
        batch.put(Table::LogMeta, key(7), vec![0xff; 3]);
        store.write(batch).unwrap();
        assert_eq!(load(&store, 100).unwrap().unwrap_err().seq, 7);
    }

    #[test]
    fn within_clips_to_the_range() {
        let runs = [2..260, 300..900, 1000..1200];
        assert_eq!(within(&runs, 0, 2000), runs.to_vec());
        assert_eq!(within(&runs, 100, 950), vec![100..260, 300..900]);
        assert_eq!(within(&runs, 260, 300), vec![]);
        assert_eq!(within(&runs, 1100, 1150), vec![1100..1150]);
    }
}
