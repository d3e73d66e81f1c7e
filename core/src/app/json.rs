//! The compact JSON of an answer whose long lists are written without
//! serde's calls for each field: byte for byte what `serde_json::to_writer`
//! writes (the tests hold the two together).
//!
//! A million-row answer lists every row (PRODUCT.md section 7), 100 to 200
//! MB of JSON, and the command writes it on one core after everything else
//! is done: 0.31 s of a 1M-row commit (`--json` against the table). Items
//! written this way took a third of serde_json's time in a bare program
//! (docs/PERFORMANCE.md, item 89).
//!
//! [`write_compact`] serialises the answer with serde_json as usual, into a
//! buffered sink. A [`Streamed`] list met on the way finds the sink through
//! the thread, writes its items straight into it ([`JsonItem`]) and then
//! hands serde_json an empty list, whose two bytes the sink drops.
//!
//! [`Streamed`]: super::report::Streamed

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;

use serde::Serialize;

use super::report::{CommitLeadView, PlanRowView};
use super::LedgerError;

/// An item of a long list that writes its own compact JSON: exactly the
/// bytes serde_json writes for its `Serialize`.
pub trait JsonItem {
    fn write_json(&self, out: &mut Vec<u8>);
}

impl JsonItem for PlanRowView {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"row\":");
        number(out, u64::from(self.row));
        out.extend_from_slice(b",\"lead_name\":");
        string(out, &self.lead_name);
        out.extend_from_slice(b",\"action\":");
        string(out, &self.action);
        out.extend_from_slice(b",\"crm_id\":");
        match self.crm_id {
            Some(id) => number(out, id),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
    }
}

impl JsonItem for CommitLeadView {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"row\":");
        number(out, u64::from(self.row));
        out.extend_from_slice(b",\"crm_id\":");
        number(out, self.crm_id);
        out.extend_from_slice(b",\"lead_name\":");
        string(out, &self.lead_name);
        out.extend_from_slice(b",\"action\":");
        string(out, &self.action);
        out.extend_from_slice(b",\"url\":");
        string(out, &self.url);
        out.push(b'}');
    }
}

fn number(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// A JSON string: as it is when nothing in it needs escaping (nearly
/// always), else escaped by serde_json itself.
fn string(out: &mut Vec<u8>, s: &str) {
    if needs_escape(s.as_bytes()) {
        // Writing into a `Vec` cannot fail, nor can serialising a `str`.
        let _ = serde_json::to_writer(&mut *out, s);
    } else {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

/// Whether `s` holds a control character, `"` or `\\` (what serde_json
/// escapes), eight bytes at a time.
fn needs_escape(s: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A byte of `w` below `n` (n at most 128), and a byte equal to `b`.
    let below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH != 0;
    let equal = |w: u64, b: u8| below(w ^ (ONES * u64::from(b)), 1);
    let mut words = s.chunks_exact(8);
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        if below(w, 0x20) || equal(w, b'"') || equal(w, b'\\') {
            return true;
        }
    }
    words
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// Where [`write_compact`] is writing, and what of serde_json's next
/// writes to drop (the empty list that stands for one written here).
struct Sink {
    out: Box<dyn Write>,
    /// What is written, until [`FLUSH_AT`] bytes: serde_json writes a few
    /// bytes at a time.
    buf: Vec<u8>,
    drop_next: &'static [u8],
}

/// How much the sink holds before it writes to `out`.
const FLUSH_AT: usize = 64 * 1024;

impl Sink {
    /// Writes out what the sink holds once it is [`FLUSH_AT`] or more.
    fn spill(&mut self) -> io::Result<()> {
        if self.buf.len() >= FLUSH_AT {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

type Shared = Rc<RefCell<Sink>>;

thread_local! {
    /// The sink of the [`write_compact`] running on this thread, for the
    /// lists it meets. serde_json's own writes reach it through
    /// [`ToSink`]'s handle instead: looking the thread's sink up for each
    /// of them made a 1M-lead listing 35% slower.
    static SINK: RefCell<Option<Shared>> = const { RefCell::new(None) };
}

/// Writes `value` to `out` as compact JSON, exactly as
/// `serde_json::to_writer` would; gives `out` back unflushed.
pub fn write_compact<T: Serialize + ?Sized>(
    value: &T,
    out: Box<dyn Write>,
) -> Result<Box<dyn Write>, serde_json::Error> {
    if writing_compact() {
        return Err(serde_json::Error::io(io::Error::other(
            "compact JSON written inside compact JSON",
        )));
    }
    let sink = Rc::new(RefCell::new(Sink {
        out,
        buf: Vec::with_capacity(FLUSH_AT + 4096),
        drop_next: b"",
    }));
    SINK.with(|s| *s.borrow_mut() = Some(Rc::clone(&sink)));
    let written = serde_json::to_writer(ToSink(Rc::clone(&sink)), value);
    // Let go whatever happened: the thread can write again.
    SINK.with(|s| s.borrow_mut().take());
    written?;
    let mut sink = Rc::try_unwrap(sink)
        .map_err(|_| serde_json::Error::io(io::Error::other("the sink is still held")))?
        .into_inner();
    if !sink.drop_next.is_empty() {
        return Err(serde_json::Error::io(io::Error::other(
            "a list written ahead was not followed by its empty list",
        )));
    }
    sink.out
        .write_all(&sink.buf)
        .map_err(serde_json::Error::io)?;
    Ok(sink.out)
}

/// True while [`write_compact`] runs on this thread: a [`Streamed`] list
/// then writes itself with [`write_list`].
///
/// [`Streamed`]: super::report::Streamed
pub(super) fn writing_compact() -> bool {
    SINK.with(|s| s.borrow().is_some())
}

/// Writes a list into the sink as a JSON array, and has the sink drop
/// the empty array serde_json writes next in its place.
pub(super) fn write_list<T: JsonItem>(
    items: impl Iterator<Item = Result<T, LedgerError>>,
) -> Result<(), String> {
    let sink = SINK
        .with(|s| s.borrow().clone())
        .ok_or("no compact JSON is being written")?;
    let mut sink = sink.borrow_mut();
    sink.buf.push(b'[');
    for (i, item) in items.enumerate() {
        let item = item.map_err(|e| e.to_string())?;
        if i > 0 {
            sink.buf.push(b',');
        }
        item.write_json(&mut sink.buf);
        sink.spill().map_err(|e| e.to_string())?;
    }
    sink.buf.push(b']');
    sink.drop_next = b"[]";
    Ok(())
}

/// serde_json's writer: into the sink, less what it is to drop.
struct ToSink(Shared);

impl Write for ToSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf).map(|()| buf.len())
    }

    /// What serde_json calls, a few bytes at a time: kept short.
    #[inline]
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let mut sink = self.0.borrow_mut();
        if sink.drop_next.is_empty() {
            sink.buf.extend_from_slice(buf);
            return if sink.buf.len() >= FLUSH_AT {
                sink.spill()
            } else {
                Ok(())
            };
        }
        self.drop_then_write(&mut sink, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl ToSink {
    /// Drops what is to be dropped of `buf`, then writes the rest.
    #[cold]
    fn drop_then_write(&self, sink: &mut Sink, buf: &[u8]) -> io::Result<()> {
        let n = sink.drop_next.len().min(buf.len());
        if buf[..n] != sink.drop_next[..n] {
            return Err(io::Error::other(
                "serde_json wrote something else than the empty list of a list written ahead",
            ));
        }
        sink.drop_next = &sink.drop_next[n..];
        sink.buf.extend_from_slice(&buf[n..]);
        sink.spill()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::app::report::{CommitReport, Streamed};
    use crate::event::CommitCounts;
    use proptest::prelude::*;

    /// A `Write` whose bytes the test reads after the sink gave it back.
    #[derive(Clone, Default)]
    struct Shared(std::rc::Rc<RefCell<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn compact<T: Serialize>(value: &T) -> Vec<u8> {
        let shared = Shared::default();
        write_compact(value, Box::new(shared.clone())).unwrap();
        let bytes = shared.0.borrow().clone();
        bytes
    }

    fn lead(row: u32, crm_id: u64, name: &str, action: &str) -> CommitLeadView {
        CommitLeadView {
            row,
            crm_id,
            lead_name: name.to_string(),
            action: action.to_string(),
            url: super::super::report::lead_url(crm_id),
        }
    }

    proptest! {
        /// Any text, control characters, quotes and backslashes included.
        #[test]
        fn items_are_written_as_serde_json_writes_them(
            row in any::<u32>(),
            crm_id in any::<u64>(),
            name in any::<String>(),
            action in "[a-z]{0,9}|\"|\\\\|\n",
            listed in any::<bool>(),
        ) {
            let view = lead(row, crm_id, &name, &action);
            let mut fast = Vec::new();
            view.write_json(&mut fast);
            prop_assert_eq!(&fast, &serde_json::to_vec(&view).unwrap());
            let row_view = PlanRowView {
                row,
                lead_name: name.clone(),
                action: action.clone(),
                crm_id: listed.then_some(crm_id),
            };
            let mut fast = Vec::new();
            row_view.write_json(&mut fast);
            prop_assert_eq!(&fast, &serde_json::to_vec(&row_view).unwrap());
        }
    }

    proptest! {
        /// Any bytes, and text made mostly of what JSON escapes.
        #[test]
        fn escapes_are_found_in_any_bytes(
            s in proptest::collection::vec(any::<u8>(), 0..40),
            t in "[a-z\"\\\\\u{0}-\u{1f}\u{7f}-\u{a0}]{0,30}",
        ) {
            for bytes in [&s[..], t.as_bytes()] {
                let simple = bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
                prop_assert_eq!(needs_escape(bytes), simple, "{:?}", bytes);
            }
        }
    }

    fn report(leads: Vec<CommitLeadView>) -> CommitReport<Streamed<'static, CommitLeadView>> {
        CommitReport {
            import_id: 7,
            committed_by: "ana \"admin\"".into(),
            committed_at: "2026-12-07T10:00:00.000Z".into(),
            counts: CommitCounts::default(),
            leads: Streamed::new(leads.into_iter().map(Ok)),
        }
    }

    #[test]
    fn an_answer_with_a_streamed_list_is_what_serde_json_writes() {
        // Long enough to be written in several pieces.
        let leads: Vec<CommitLeadView> = (0..3000)
            .map(|i| {
                lead(
                    i + 2,
                    u64::from(i) + 1,
                    &format!("Lead \"{i}\"\n"),
                    "create",
                )
            })
            .collect();
        for n in [0, 1, 3000] {
            let expected = serde_json::to_vec(&report(leads[..n].to_vec())).unwrap();
            assert_eq!(compact(&report(leads[..n].to_vec())), expected, "{n} leads");
        }
    }

    #[test]
    fn a_list_outside_compact_json_is_written_by_serde() {
        let value = serde_json::to_value(report(vec![lead(2, 1, "A", "create")])).unwrap();
        assert_eq!(value["leads"][0]["url"], "/leads/1");
        assert!(!writing_compact());
    }

    #[test]
    fn a_failed_item_fails_the_answer_and_frees_the_sink() {
        let failing = CommitReport {
            import_id: 1,
            committed_by: String::new(),
            committed_at: String::new(),
            counts: CommitCounts::default(),
            leads: Streamed::new(
                vec![
                    Ok(lead(2, 1, "A", "create")),
                    Err(LedgerError::Conflict("the log changed".into())),
                ]
                .into_iter(),
            ),
        };
        let shared = Shared::default();
        assert!(write_compact(&failing, Box::new(shared)).is_err());
        assert!(!writing_compact());
        // The thread can write again.
        assert_eq!(
            compact(&report(vec![])),
            serde_json::to_vec(&report(vec![])).unwrap()
        );
    }
}
