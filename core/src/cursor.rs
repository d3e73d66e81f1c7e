//! Reading the log: a cursor over the stored blocks of events (see
//! [`log::BlockBuilder`] for the layout), yielding each event's sealed bytes
//! in sequence order. Every reader of the log goes through it: catch-up,
//! rebuild, verify, the plan of a preview and the results of a commit, and
//! the lead records that point at their events (`projection/leads.rs`).

use crate::log::{self, BlockReader};
use crate::store::{ScanIter, Store, StoreError, Table};

/// Why the cursor stopped early.
#[derive(Debug)]
pub(crate) enum ReadFailure {
    Store(StoreError),
    /// The stored log is not what was written: `seq` is the first event
    /// that cannot be read as stored.
    Damaged {
        seq: u64,
        problem: String,
    },
}

/// What [`EventCursor::next_unless`] gives: an event's sequence number
/// and sealed bytes (and, from a compact block, its type tag and payload,
/// which a reader need not decode the bytes again for), or the sequence
/// number of one passed over.
pub(crate) enum Next<'a> {
    Event(u64, &'a [u8], Option<(&'a str, &'a [u8])>),
    Skipped(u64),
}

/// Events `from..end` in order, a block at a time.
pub(crate) struct EventCursor<'a> {
    blocks: ScanIter<'a>,
    block: Vec<u8>,
    /// Offset of the next event's frame in `block`.
    pos: usize,
    /// Events of `block` not yet read.
    left: u32,
    /// Sequence number of the next event of `block`.
    next_in_block: u64,
    /// What the frames of a compact block carry to the next.
    reader: BlockReader,
    /// The event last given, as sealed alone, when its block is compact.
    event: Vec<u8>,
    /// The next sequence number to yield.
    want: u64,
    end: u64,
    failed: bool,
}

impl<'a> EventCursor<'a> {
    pub(crate) fn new<S: Store + ?Sized>(store: &'a S, from: u64, end: u64) -> Self {
        EventCursor {
            blocks: store.scan(Table::Events, &[], &log::seq_key(from)),
            block: Vec::new(),
            pos: 0,
            left: 0,
            next_in_block: from,
            reader: BlockReader::default(),
            event: Vec::new(),
            want: from,
            end,
            failed: false,
        }
    }

    fn damaged<T>(&mut self, seq: u64, problem: String) -> Option<Result<T, ReadFailure>> {
        self.failed = true;
        Some(Err(ReadFailure::Damaged { seq, problem }))
    }

    /// The next event's sequence number and sealed bytes (check them with
    /// [`log::unseal`]), or `None` past `end`.
    pub(crate) fn next_event(&mut self) -> Option<Result<(u64, &[u8]), ReadFailure>> {
        match self.next_unless(None)? {
            Ok(Next::Event(seq, bytes, _)) => Some(Ok((seq, bytes))),
            // Nothing is skipped without a tag to skip.
            Ok(Next::Skipped(seq)) => Some(Err(ReadFailure::Damaged {
                seq,
                problem: format!("event {seq} was passed over"),
            })),
            Err(e) => Some(Err(e)),
        }
    }

    /// [`EventCursor::next_event`], but an event of a compact block whose
    /// type tag is `skip` is only named, not given back as sealed alone
    /// (for readers that pass over it without checking it: the plan rows,
    /// for a catch-up). Its hash is not checked.
    pub(crate) fn next_unless(
        &mut self,
        skip: Option<&str>,
    ) -> Option<Result<Next<'_>, ReadFailure>> {
        loop {
            if self.failed || self.want >= self.end {
                return None;
            }
            if self.left == 0 {
                if self.pos != self.block.len() {
                    let last = self.next_in_block.wrapping_sub(1);
                    return self.damaged(
                        last,
                        format!("the block ending at event {last} has bytes after its last event"),
                    );
                }
                let want = self.want;
                let value = match self.blocks.next() {
                    None => return self.damaged(want, format!("event {want} is missing")),
                    Some(Err(e)) => {
                        self.failed = true;
                        return Some(Err(ReadFailure::Store(e)));
                    }
                    Some(Ok((_, value))) => value,
                };
                let Some((first, count)) = log::block_header(&value) else {
                    return self.damaged(
                        want,
                        format!("the block holding event {want} has a damaged header"),
                    );
                };
                if first > want {
                    return self.damaged(want, format!("event {want} is missing"));
                }
                self.reader = BlockReader::new(&value);
                self.block = value;
                self.pos = log::BLOCK_HEADER_LEN;
                self.left = count;
                self.next_in_block = first;
                continue;
            }
            let seq = self.next_in_block;
            let Some(frame) = self.block.get(self.pos..self.pos + 4) else {
                return self.damaged(seq, format!("event {seq} is cut short"));
            };
            let len = u32::from_le_bytes([frame[0], frame[1], frame[2], frame[3]]) as usize;
            let start = self.pos + 4;
            let stop = start.saturating_add(len);
            if stop > self.block.len() {
                return self.damaged(seq, format!("event {seq} is cut short"));
            }
            self.pos = stop;
            self.left -= 1;
            self.next_in_block += 1;
            // Every frame is read, those before `from` too (the first
            // block read may start before it): a compact frame leaves out
            // what the frames before it say. Those are only passed over.
            if seq < self.want {
                let passed = self
                    .reader
                    .pass_over(&self.block, start..stop, seq, &mut self.event);
                if let Err(problem) = passed {
                    return self.damaged(seq, problem);
                }
                continue;
            }
            let frame =
                match self
                    .reader
                    .event_unless(&self.block, start..stop, seq, &mut self.event, skip)
                {
                    Ok(frame) => frame,
                    Err(problem) => return self.damaged(seq, problem),
                };
            self.want += 1;
            let parts = match frame {
                log::Frame::Skipped => return Some(Ok(Next::Skipped(seq))),
                log::Frame::Whole(parts) => parts,
            };
            // The tag was checked as text when the event was made whole.
            let parts = parts.and_then(|(tag, payload)| {
                let tag = std::str::from_utf8(&self.block[tag]).ok()?;
                Some((tag, &self.block[payload]))
            });
            return Some(Ok(Next::Event(seq, &self.event[..], parts)));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::log::{BlockBuilder, Envelope};
    use crate::memstore::MemStore;
    use crate::store::WriteBatch;

    fn envelope(seq: u64) -> Envelope {
        log::test_envelope(
            seq,
            &Event::TokenRevoked {
                name: format!("t{seq}"),
            },
        )
    }

    /// Stores events 0..n in blocks of the given sizes.
    fn store_blocks(sizes: &[u64]) -> MemStore {
        let store = MemStore::default();
        let mut seq = 0;
        let mut batch = WriteBatch::default();
        for &size in sizes {
            let mut block = BlockBuilder::new(seq, 0);
            for _ in 0..size {
                block.push(&envelope(seq)).unwrap();
                seq += 1;
            }
            let (key, value) = block.finish().unwrap();
            batch.put(Table::Events, key.to_vec(), value);
        }
        store.write(batch).unwrap();
        store
    }

    fn read(store: &MemStore, from: u64, end: u64) -> Result<Vec<u64>, String> {
        let mut out = Vec::new();
        let mut cursor = EventCursor::new(store, from, end);
        while let Some(next) = cursor.next_event() {
            match next {
                Ok((seq, bytes)) => {
                    let (env, _) = log::unseal(seq, bytes).unwrap();
                    assert_eq!(env.seq, seq);
                    out.push(seq);
                }
                Err(ReadFailure::Damaged { seq, problem }) => {
                    return Err(format!("{seq}: {problem}"))
                }
                Err(ReadFailure::Store(e)) => return Err(e.to_string()),
            }
        }
        Ok(out)
    }

    #[test]
    fn reads_any_range_across_blocks() {
        let store = store_blocks(&[1, 3, 4, 2]);
        for from in 0..10 {
            for end in from..=10 {
                assert_eq!(
                    read(&store, from, end).unwrap(),
                    (from..end).collect::<Vec<_>>()
                );
            }
        }
    }

    #[test]
    fn a_missing_block_names_its_first_event() {
        let store = store_blocks(&[2, 3, 2]);
        let mut batch = WriteBatch::default();
        batch.remove(Table::Events, log::seq_key(4).to_vec());
        store.write(batch).unwrap();
        assert_eq!(read(&store, 0, 7).unwrap_err(), "2: event 2 is missing");
        assert_eq!(read(&store, 0, 2).unwrap(), [0, 1]);
        assert_eq!(read(&store, 5, 7).unwrap(), [5, 6]);
    }

    #[test]
    fn a_cut_block_names_the_cut_event() {
        let store = store_blocks(&[3]);
        let mut value = store.get(Table::Events, &log::seq_key(2)).unwrap().unwrap();
        value.truncate(value.len() - 5);
        let mut batch = WriteBatch::default();
        batch.put(Table::Events, log::seq_key(2).to_vec(), value);
        store.write(batch).unwrap();
        assert_eq!(read(&store, 0, 3).unwrap_err(), "2: event 2 is cut short");
    }
}
