//! What the server's long work is doing now: the preview or commit in
//! progress reports its phase and how far it got, and `GET /api/progress`
//! answers it, so the web page can show a real progress bar while it
//! waits for a preview's or a commit's answer.
//!
//! The ledger runs one write at a time (its writer lock), so one board for
//! the whole server says everything; reading it touches no storage, so it
//! answers at once even while sled is busy writing.

use std::sync::Mutex;

use leadger_core::app::Progress;
use poem_openapi::Object;

/// The current long work, as `GET /api/progress` answers it.
#[derive(Clone, Debug, Default, PartialEq, Object)]
pub struct ProgressView {
    /// `previewing` (reading and checking the rows), `committing`
    /// (turning the plan into events) or `applying` (bringing the CRM view
    /// up to date); `null` when nothing long is running.
    pub phase: Option<String>,
    /// How far the phase got, in its own unit (bytes or rows read, events
    /// applied).
    pub done: u64,
    /// The phase's total in the same unit; 0 when unknown.
    pub total: u64,
}

/// The progress of the server's long work, shared by the handlers.
#[derive(Debug, Default)]
pub struct Board(Mutex<ProgressView>);

impl Board {
    pub fn view(&self) -> ProgressView {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ProgressView> {
        // A panic while holding the lock leaves a snapshot at worst stale.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Progress for Board {
    fn start(&self, phase: &str, total: u64) {
        *self.lock() = ProgressView {
            phase: Some(phase.to_string()),
            done: 0,
            total,
        };
    }

    fn advance(&self, done: u64) {
        self.lock().done = done;
    }

    fn finish(&self) {
        *self.lock() = ProgressView::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_board_follows_start_advance_finish() {
        let board = Board::default();
        assert_eq!(board.view(), ProgressView::default());
        board.start("previewing", 100);
        board.advance(40);
        assert_eq!(
            board.view(),
            ProgressView {
                phase: Some("previewing".into()),
                done: 40,
                total: 100
            }
        );
        board.finish();
        assert_eq!(board.view().phase, None);
    }
}
