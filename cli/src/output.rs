//! How every command prints: JSON with `--json`, readable tables otherwise.

use std::io::{IsTerminal, Write};

use serde::Serialize;

/// Prints a value as JSON on stdout: indented for a person at a terminal,
/// compact (one line) for a program reading a pipe or a file, where the
/// indentation of a million-row answer was 31% of its bytes.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    if stdout.is_terminal() {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
        serde_json::to_writer_pretty(&mut out, value)?;
        writeln!(out)?;
        out.flush()?;
        return Ok(());
    }
    // The same bytes as `serde_json::to_writer`, with a few copies per
    // item of a long list instead of serde's calls per field
    // (`leadger_core::app::json`), written out by a second thread while
    // this one goes on making them.
    let behind = std::rc::Rc::new(std::cell::RefCell::new(Behind::new(stdout)?));
    let mut out = leadger_core::app::json::write_compact(value, Box::new(Shared(behind.clone())))?;
    writeln!(out)?;
    drop(out);
    match std::rc::Rc::try_unwrap(behind) {
        Ok(behind) => behind.into_inner().finish()?,
        Err(_) => anyhow::bail!("the JSON writer kept its output"),
    }
    Ok(())
}

/// A [`Behind`] lent to `write_compact`, which owns what it writes to.
struct Shared(std::rc::Rc<std::cell::RefCell<Behind>>);

impl Write for Shared {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().write(bytes)
    }

    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.0.borrow_mut().write_all(bytes)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.borrow_mut().flush()
    }
}

/// Bytes handed to the writing thread at a time, and hand-overs in flight.
const BEHIND_BUFFER: usize = 256 * 1024;
const BEHIND_IN_FLIGHT: usize = 4;

/// A writer whose bytes a second thread writes out, a buffer at a time:
/// a million-row answer (about 117 MB for a commit) was made and then
/// written by the same thread, the kernel's copy of each buffer waiting
/// for the next to be made, at the end of a command with the other core
/// idle. [`Behind::finish`] waits until everything is written and says
/// whether it was; a failed write ends the writing, and the next write or
/// `finish` reports it.
pub struct Behind {
    buf: Vec<u8>,
    full: Option<std::sync::mpsc::SyncSender<Vec<u8>>>,
    spare: std::sync::mpsc::Receiver<Vec<u8>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Behind {
    /// Starts the writing thread (an error when the system has none to
    /// give).
    pub fn new<W: Write + Send + 'static>(mut out: W) -> std::io::Result<Behind> {
        let (full, filled) = std::sync::mpsc::sync_channel::<Vec<u8>>(BEHIND_IN_FLIGHT);
        let (give_back, spare) = std::sync::mpsc::sync_channel(BEHIND_IN_FLIGHT + 1);
        let thread = std::thread::Builder::new()
            .name("leadger-output".to_string())
            .spawn(move || -> std::io::Result<()> {
                for mut buf in filled {
                    out.write_all(&buf)?;
                    buf.clear();
                    // The caller may be gone or have enough buffers.
                    let _ = give_back.try_send(buf);
                }
                out.flush()
            })?;
        Ok(Behind {
            buf: Vec::with_capacity(BEHIND_BUFFER),
            full: Some(full),
            spare,
            thread: Some(thread),
        })
    }

    /// Hands the buffer over; an error when the writing thread stopped.
    fn hand_over(&mut self) -> std::io::Result<()> {
        let next = self
            .spare
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BEHIND_BUFFER));
        let buf = std::mem::replace(&mut self.buf, next);
        let sent = self
            .full
            .as_ref()
            .is_some_and(|full| full.send(buf).is_ok());
        if sent {
            Ok(())
        } else {
            Err(self.stopped())
        }
    }

    /// Why the writing thread stopped (it has, or is about to).
    fn stopped(&mut self) -> std::io::Error {
        self.full = None;
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(Err(e))) => e,
            _ => std::io::Error::other("the output could not be written"),
        }
    }

    /// Writes what is left and waits for the writing thread.
    pub fn finish(mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            self.hand_over()?;
        }
        self.full = None;
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(std::io::Error::other("the output's writer panicked")),
            None => Err(std::io::Error::other("the output could not be written")),
        }
    }
}

impl Write for Behind {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.write_all(bytes)?;
        Ok(bytes.len())
    }

    fn write_all(&mut self, mut bytes: &[u8]) -> std::io::Result<()> {
        while !bytes.is_empty() {
            let room = BEHIND_BUFFER - self.buf.len().min(BEHIND_BUFFER);
            let (now, later) = bytes.split_at(room.min(bytes.len()));
            self.buf.extend_from_slice(now);
            bytes = later;
            if self.buf.len() >= BEHIND_BUFFER {
                self.hand_over()?;
            }
        }
        Ok(())
    }

    /// Bytes are handed over when a buffer fills and written by
    /// [`Behind::finish`]; a flush on the way (serde_json's, at the end of
    /// a value) would only cut buffers short.
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Behind {
    fn drop(&mut self) {
        // Dropped without `finish` (an error on the way): stop the thread
        // after what was handed over.
        self.full = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A plain text table with aligned columns.
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Self {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Writes the table.
    pub fn print(&self) -> anyhow::Result<()> {
        const MAX: usize = 60;
        let cut = |s: &str| -> String {
            let one_line = s.replace(['\n', '\r'], " ");
            if one_line.chars().count() > MAX {
                let mut t: String = one_line.chars().take(MAX - 1).collect();
                t.push('…');
                t
            } else {
                one_line
            }
        };
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        // Every column but the last is cut to keep lines short; the last
        // (a message, as a rule) is printed whole, because it says the fix.
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                let last = r.len().saturating_sub(1);
                r.iter()
                    .enumerate()
                    .map(|(idx, c)| {
                        if idx == last {
                            c.replace(['\n', '\r'], " ")
                        } else {
                            cut(c)
                        }
                    })
                    .collect()
            })
            .collect();
        for row in &rows {
            for (idx, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(idx) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        let line = |cells: &[String], out: &mut dyn Write| -> std::io::Result<()> {
            let mut text = String::new();
            for (idx, cell) in cells.iter().enumerate() {
                let w = widths.get(idx).copied().unwrap_or(0);
                let pad = w.saturating_sub(cell.chars().count());
                text.push_str(cell);
                if idx + 1 < cells.len() {
                    text.push_str(&" ".repeat(pad + 2));
                }
            }
            writeln!(out, "{}", text.trim_end())
        };
        line(&self.headers, &mut out)?;
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        line(&rule, &mut out)?;
        for row in &rows {
            line(row, &mut out)?;
        }
        out.flush()?;
        Ok(())
    }
}

/// An optional value for a table cell.
pub fn opt<T: ToString>(value: &Option<T>) -> String {
    value.as_ref().map(|v| v.to_string()).unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A sink shared with the test, failing once it holds `fail_at` bytes.
    #[derive(Clone)]
    struct Sink {
        bytes: Arc<Mutex<Vec<u8>>>,
        fail_at: usize,
    }

    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            let mut bytes = self.bytes.lock().unwrap();
            if bytes.len() + b.len() > self.fail_at {
                return Err(std::io::Error::other("disk full"));
            }
            bytes.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn sink(fail_at: usize) -> Sink {
        Sink {
            bytes: Arc::new(Mutex::new(Vec::new())),
            fail_at,
        }
    }

    /// Every byte arrives, in order, whatever the sizes of the writes
    /// (smaller than a buffer, across buffers, several buffers at once).
    #[test]
    fn behind_writes_every_byte_in_order() {
        let out = sink(usize::MAX);
        let mut behind = Behind::new(out.clone()).unwrap();
        let mut expected = Vec::new();
        let mut n = 0u32;
        for len in [
            0,
            1,
            7,
            BEHIND_BUFFER - 3,
            5,
            3 * BEHIND_BUFFER + 11,
            100_000,
            1,
        ] {
            let chunk: Vec<u8> = (0..len)
                .map(|_| {
                    n = n.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (n >> 16) as u8
                })
                .collect();
            behind.write_all(&chunk).unwrap();
            expected.extend_from_slice(&chunk);
        }
        behind.finish().unwrap();
        assert!(*out.bytes.lock().unwrap() == expected);
    }

    /// A write that fails is reported, by a later write or by `finish`.
    #[test]
    fn behind_reports_a_failed_write() {
        let out = sink(BEHIND_BUFFER + 10);
        let mut behind = Behind::new(out).unwrap();
        let chunk = vec![b'x'; 1000];
        let mut failed = None;
        for _ in 0..(20 * BEHIND_BUFFER / chunk.len()) {
            if let Err(e) = behind.write_all(&chunk) {
                failed = Some(e);
                break;
            }
        }
        let error = match failed {
            Some(e) => e,
            None => behind.finish().unwrap_err(),
        };
        assert!(error.to_string().contains("disk full"), "{error}");
    }

    /// A short answer is written only when finished, and then whole.
    #[test]
    fn behind_writes_a_short_answer_on_finish() {
        let out = sink(usize::MAX);
        let mut behind = Behind::new(out.clone()).unwrap();
        behind.write_all(b"{\"ok\":true}\n").unwrap();
        behind.flush().unwrap();
        behind.finish().unwrap();
        assert_eq!(&*out.bytes.lock().unwrap(), b"{\"ok\":true}\n");
    }
}
