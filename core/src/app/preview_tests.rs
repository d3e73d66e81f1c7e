//! Tests of the preview's reading thread: order across batches, a read
//! error after its rows, and stopping when the other side hangs up.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::cell::Cell;
use crate::read::SheetRow;
use crate::reference::ReferenceData;

/// A file of `good` rows and then, if `fail`, a read error.
struct Rows {
    headers: Vec<String>,
    next: u32,
    good: u32,
    fail: bool,
}

impl RowSource for Rows {
    fn headers(&self) -> &[String] {
        &self.headers
    }
    fn next_row(&mut self) -> Option<Result<SheetRow, ReadError>> {
        self.next += 1;
        if self.next <= self.good {
            let cells = vec![Cell::Text(format!("Lead {}", self.next))];
            return Some(Ok(SheetRow {
                row: self.next + 1,
                cells,
            }));
        }
        if self.fail && self.next == self.good + 1 {
            return Some(Err(ReadError::Unreadable("cut short".into())));
        }
        None
    }
    fn progress(&self) -> (u64, u64) {
        (u64::from(self.next), 0)
    }
}

/// Runs the reading thread over `rows` and collects what it hands over.
fn read_all(good: u32, fail: bool, take: Option<usize>) -> (Vec<u32>, Option<String>) {
    let headers = vec!["Lead Name".to_string()];
    let map = validate::map_headers(&headers, &mut Vec::new());
    let rows = Box::new(Rows {
        headers,
        next: 0,
        good,
        fail,
    });
    let resolver = validate::Resolver::new(ReferenceData::defaults());
    let (tx, rx) = std::sync::mpsc::sync_channel(BATCHES_IN_FLIGHT);
    std::thread::scope(|s| {
        let map = &map;
        s.spawn(move || read_rows(rows, map, DateFormat::Us, resolver, &tx, &NoProgress));
        let mut seen = Vec::new();
        let mut failure = None;
        // Owned here, so that breaking out drops it, as dropping a
        // failed append's events does.
        let rx = rx;
        for batch in rx {
            match batch {
                Batch::Rows(rows) => seen.extend(rows.iter().map(|v| v.row)),
                Batch::Failed(e) => failure = Some(e.to_string()),
            }
            if take.is_some_and(|n| seen.len() >= n) {
                // Hang up early, as a failed append does: the reading
                // thread must stop rather than block forever.
                break;
            }
        }
        (seen, failure)
    })
}

use super::super::NoProgress;

#[test]
fn rows_arrive_in_order_across_batches() {
    let (rows, failure) = read_all(1000, false, None);
    assert_eq!(rows, (2..1002).collect::<Vec<_>>());
    assert_eq!(failure, None);
}

#[test]
fn a_read_error_comes_after_the_rows_before_it() {
    let (rows, failure) = read_all(600, true, None);
    assert_eq!(rows.len(), 600);
    assert_eq!(failure.as_deref(), Some("cut short"));
}

#[test]
fn the_reading_thread_stops_when_the_other_side_hangs_up() {
    // More rows than fit in flight: the scope returning at all shows the
    // reading thread stopped; a reading thread that never stops fails the
    // test after a bound instead of hanging it.
    let n = (ROWS_PER_BATCH * BATCHES_IN_FLIGHT * 4) as u32;
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(read_all(n, false, Some(ROWS_PER_BATCH)));
    });
    let (rows, _) = done_rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the reading thread did not stop when the other side hung up");
    assert!(rows.len() < n as usize);
}
