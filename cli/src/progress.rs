//! A progress bar on stderr for long previews and commits, shown only when
//! stderr is a terminal and the output is not JSON.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};
use leadger_core::app::{NoProgress, Progress};

pub struct Bar {
    bar: ProgressBar,
}

impl Progress for Bar {
    fn start(&self, phase: &str, total: u64) {
        self.bar.set_length(total);
        self.bar.set_position(0);
        self.bar.set_message(phase.to_string());
    }

    fn advance(&self, done: u64) {
        self.bar.set_position(done);
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// A progress bar when a person is watching, nothing otherwise.
pub fn for_terminal(json: bool) -> Box<dyn Progress> {
    if json || !std::io::stderr().is_terminal() {
        return Box::new(NoProgress);
    }
    let bar = ProgressBar::new(0);
    let style =
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {percent:>3}% {elapsed_precise}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
    bar.set_style(style);
    Box::new(Bar { bar })
}
