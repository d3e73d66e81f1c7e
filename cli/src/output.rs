//! How every command prints: JSON with `--json`, readable tables otherwise.

use std::io::{IsTerminal, Write};

use serde::Serialize;

/// Prints a value as JSON on stdout: indented for a person at a terminal,
/// compact (one line) for a program reading a pipe or a file, where the
/// indentation of a million-row answer was 31% of its bytes.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let pretty = stdout.is_terminal();
    let mut out: Box<dyn Write> =
        Box::new(std::io::BufWriter::with_capacity(1 << 16, stdout.lock()));
    if pretty {
        serde_json::to_writer_pretty(&mut out, value)?;
    } else {
        // The same bytes as `serde_json::to_writer`, with a few copies
        // per item of a long list instead of serde's calls per field
        // (`leadger_core::app::json`).
        out = leadger_core::app::json::write_compact(value, out)?;
    }
    writeln!(out)?;
    out.flush()?;
    Ok(())
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
