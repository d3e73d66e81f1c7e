//! What every test of the suite needs: the real `leadger` binary run in a
//! fresh temporary data directory, and the Python helpers (openpyxl) that
//! read and fill `.xlsx` files independently of our Rust code.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;
use tempfile::TempDir;

const DESCRIBE_PY: &str = include_str!("describe_xlsx.py");
const FILL_PY: &str = include_str!("fill_xlsx.py");

/// One ledger in a temporary directory; files the test writes live there
/// too (outside the data directory).
pub struct App {
    dir: TempDir,
}

impl App {
    pub fn new() -> App {
        App {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A path for a file of the test (not in the data directory).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs `leadger --data-dir … ARGS`.
    pub fn run<I, A>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = A>,
        A: AsRef<OsStr>,
    {
        Command::new(env!("CARGO_BIN_EXE_leadger"))
            .arg("--data-dir")
            .arg(self.dir.path().join("data"))
            .args(args)
            .env_remove("LEADGER_DATA_DIR")
            .output()
            .unwrap()
    }

    /// Runs a command that must succeed and returns its stdout.
    pub fn ok<I, A>(&self, args: I) -> String
    where
        I: IntoIterator<Item = A>,
        A: AsRef<OsStr>,
    {
        let out = self.run(args);
        assert!(out.status.success(), "leadger failed: {}", describe(&out));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs a command with `--json` that must succeed; its parsed answer.
    pub fn json<I, A>(&self, args: I) -> Value
    where
        I: IntoIterator<Item = A>,
        A: AsRef<OsStr>,
    {
        let mut all: Vec<std::ffi::OsString> = vec!["--json".into()];
        all.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        let text = self.ok(all);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }

    /// `leadger template ARGS --out FILE`: the file written.
    pub fn template(&self, file: &str, args: &[&str]) -> PathBuf {
        let out = self.path(file);
        let mut all: Vec<&OsStr> = vec!["template".as_ref()];
        all.extend(args.iter().map(OsStr::new));
        all.extend(["--out".as_ref(), out.as_os_str()]);
        self.ok(all);
        assert!(out.is_file(), "{} was not written", out.display());
        out
    }

    /// Imports and commits a file; returns the commit's answer.
    pub fn import_commit(&self, file: &Path, kind: &str) -> Value {
        let kind = ["--kind", kind];
        let preview = self.json(
            ["import".as_ref(), file.as_os_str()]
                .into_iter()
                .chain(kind.iter().map(OsStr::new)),
        );
        assert_eq!(preview["counts"]["errors"], 0, "{preview:#}");
        let mut args: Vec<&OsStr> = vec!["import".as_ref(), file.as_os_str(), "--commit".as_ref()];
        args.extend(kind.iter().map(OsStr::new));
        self.json(args)
    }
}

/// Exit status and both streams, for assertion messages.
pub fn describe(out: &Output) -> String {
    format!(
        "{}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The Python interpreter: `LEADGER_PYTHON` or `python3`.
fn python_bin() -> String {
    std::env::var("LEADGER_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Fails the test (never skips it) when Python or openpyxl is missing.
fn require_openpyxl() {
    static CHECKED: OnceLock<Result<(), String>> = OnceLock::new();
    let checked = CHECKED.get_or_init(|| {
        let out = Command::new(python_bin())
            .args(["-c", "import openpyxl"])
            .output()
            .map_err(|e| format!("cannot run {}: {e}", python_bin()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    });
    if let Err(why) = checked {
        panic!(
            "the template suite reads .xlsx files with Python's openpyxl, which is missing: \
             run `pip install openpyxl` (or `python3 -m pip install openpyxl`)\n{why}"
        );
    }
}

/// Runs one of the Python helpers (written next to the test's files).
fn python(app: &App, name: &str, source: &str, args: &[&OsStr]) -> String {
    require_openpyxl();
    let script = app.path(name);
    std::fs::write(&script, source).unwrap();
    let out = Command::new(python_bin())
        .arg(&script)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{name} failed: {}", describe(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// The workbook as openpyxl reads it (see `describe_xlsx.py`).
pub fn openpyxl_describe(app: &App, xlsx: &Path) -> Value {
    let text = python(app, "describe_xlsx.py", DESCRIBE_PY, &[xlsx.as_os_str()]);
    serde_json::from_str(&text).unwrap()
}

/// Fills `template` with `rows` the way a person would (see
/// `fill_xlsx.py`) and saves it as `file`.
pub fn openpyxl_fill(app: &App, template: &Path, file: &str, rows: &Value) -> PathBuf {
    let rows_path = app.path(&format!("{file}.rows.json"));
    std::fs::write(&rows_path, rows.to_string()).unwrap();
    let out = app.path(file);
    python(
        app,
        "fill_xlsx.py",
        FILL_PY,
        &[template.as_os_str(), out.as_os_str(), rows_path.as_os_str()],
    );
    out
}

/// Every row of a sheet as text, read with calamine.
pub fn calamine_rows(xlsx: &Path, sheet: &str) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(xlsx).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    range
        .rows()
        .map(|row| row.iter().map(|c| c.to_string()).collect())
        .collect()
}

/// The values of a column of a table (rows of text), header first, until
/// the first empty cell.
pub fn column(rows: &[Vec<String>], idx: usize) -> Vec<String> {
    rows.iter()
        .map(|r| r.get(idx).cloned().unwrap_or_default())
        .take_while(|v| !v.is_empty())
        .collect()
}
