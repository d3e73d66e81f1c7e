//! The log's cursor ([`crate::cursor`]) as the application layer uses it.

pub(crate) use crate::cursor::{EventCursor, ReadFailure};
use crate::store::Store;

use super::LedgerError;

impl From<ReadFailure> for LedgerError {
    fn from(f: ReadFailure) -> Self {
        match f {
            ReadFailure::Store(e) => LedgerError::Store(e),
            ReadFailure::Damaged { problem, .. } => LedgerError::Corrupt(problem),
        }
    }
}

/// Calls `f` with each event `from..end` and its sealed bytes.
pub(crate) fn for_each<S: Store>(
    store: &S,
    from: u64,
    end: u64,
    mut f: impl FnMut(u64, &[u8]) -> Result<(), LedgerError>,
) -> Result<(), LedgerError> {
    let mut cursor = EventCursor::new(store, from, end);
    while let Some(next) = cursor.next_event() {
        let (seq, bytes) = next?;
        f(seq, bytes)?;
    }
    Ok(())
}
