//! The test harness: a fresh data directory per test, a runner for the real
//! `leadger` binary, and writers for the spreadsheets the tests import.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;

/// Who the tests act as unless a test says otherwise (`cli:tester`).
pub const ACTOR: &str = "tester";

/// One test's world: a temporary directory holding the data directory
/// (`data/`) and the files the test writes.
pub struct Env {
    dir: TempDir,
}

/// What one run of the binary gave.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Stdout parsed as JSON; panics with both streams when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}); exit {}\nstdout:\n{}\nstderr:\n{}",
                self.code, self.stdout, self.stderr
            )
        })
    }

    /// Panics unless the exit status is `code`, showing both streams.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "unexpected exit status\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// A cell of an `.xlsx` file written by [`Env::write_xlsx`].
#[derive(Clone, Debug)]
pub enum XCell {
    Empty,
    Text(&'static str),
    Number(f64),
    /// A real date cell (a serial number with a date number format).
    Date(u16, u8, u8),
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// A ledger with Acme (CRM ID 1, export E1, Paris) and Beta (2, E2,
    /// Rome), created by import 1.
    pub fn with_two_leads() -> Env {
        let env = Env::new();
        env.import_csv(
            "seed.csv",
            "Export Value,Lead Name,City\nE1,Acme,Paris\nE2,Beta,Rome\n",
        );
        env
    }

    /// The data directory passed as `--data-dir`.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A path for a file of the test (outside the data directory).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs `leadger --data-dir DIR ARGS…` as [`ACTOR`].
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_as(ACTOR, args)
    }

    /// Runs the binary as another user (recorded as `cli:ACTOR`).
    pub fn run_as(&self, actor: &str, args: &[&str]) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_leadger"))
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(args)
            .env_remove("LEADGER_DATA_DIR")
            .env("LEADGER_ACTOR", actor)
            .output()
            .expect("the leadger binary runs");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs with `--json`, expects exit status 0, and parses stdout.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        out.expect_code(0);
        out.json()
    }

    pub fn write_bytes(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, bytes).expect("write a test file");
        path
    }

    pub fn write_csv(&self, name: &str, text: &str) -> PathBuf {
        self.write_bytes(name, text.as_bytes())
    }

    /// Writes a one-sheet workbook: the first row is the header row.
    pub fn write_xlsx(&self, name: &str, rows: &[Vec<XCell>]) -> PathBuf {
        use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let date_format = Format::new().set_num_format("yyyy-mm-dd");
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell {
                    XCell::Empty => {}
                    XCell::Text(s) => {
                        sheet.write_string(r, c, *s).expect("write text");
                    }
                    XCell::Number(n) => {
                        sheet.write_number(r, c, *n).expect("write number");
                    }
                    XCell::Date(y, m, d) => {
                        let date = ExcelDateTime::from_ymd(*y, *m, *d).expect("a date");
                        sheet
                            .write_datetime_with_format(r, c, &date, &date_format)
                            .expect("write date");
                    }
                }
            }
        }
        let bytes = book.save_to_buffer().expect("an xlsx file");
        self.write_bytes(name, &bytes)
    }

    /// `import FILE --json EXTRA…`: the preview, whether it has errors
    /// (exit 3) or not (exit 0).
    pub fn preview_json(&self, file: &Path, extra: &[&str]) -> Value {
        let file = file.to_str().expect("a UTF-8 path");
        let mut args = vec!["--json", "import", file];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        let preview = out.json();
        let expected = if preview["counts"]["errors"] == 0 {
            0
        } else {
            3
        };
        out.expect_code(expected);
        preview
    }

    /// `imports commit ID --json`, expected to succeed.
    pub fn commit_json(&self, import_id: &Value) -> Value {
        let id = import_id.to_string();
        self.json(&["imports", "commit", &id])
    }

    /// Writes a CSV and imports it with `--commit`: the commit's answer.
    pub fn import_csv(&self, name: &str, text: &str) -> Value {
        let file = self.write_csv(name, text);
        self.import_file(&file, &[])
    }

    /// `import FILE --commit --json EXTRA…`, expected to succeed.
    pub fn import_file(&self, file: &Path, extra: &[&str]) -> Value {
        let file = file.to_str().expect("a UTF-8 path");
        let mut args = vec!["import", file, "--commit"];
        args.extend_from_slice(extra);
        self.json(&args)
    }

    /// `leads show ID --json`.
    pub fn lead(&self, crm_id: u64) -> Value {
        self.json(&["leads", "show", &crm_id.to_string()])
    }

    /// Every record (`leads list --limit 0`).
    pub fn all_leads(&self) -> Vec<Value> {
        let listing = self.json(&["leads", "list", "--limit", "0"]);
        listing["leads"].as_array().expect("leads").clone()
    }
}

/// The issue of `list` ("errors" or "warnings") at `row` and `column`;
/// panics listing every issue when there is none or several.
pub fn issue<'a>(preview: &'a Value, list: &str, row: u64, column: &str) -> &'a Value {
    let all = preview[list].as_array().expect("an issue list");
    let found: Vec<&Value> = all
        .iter()
        .filter(|i| i["row"] == row && i["column"] == column)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one of {list} at row {row}, column {column:?}; all {list}: {}",
        serde_json::to_string_pretty(&preview[list]).unwrap_or_default()
    );
    found[0]
}

/// Asserts that `message` contains every one of `parts`.
pub fn assert_mentions(message: &Value, parts: &[&str]) {
    let text = message.as_str().expect("a message string");
    for part in parts {
        assert!(
            text.contains(part),
            "message {text:?} does not mention {part:?}"
        );
    }
}

/// The `(row, action, crm_id)` of each planned row of a preview.
pub fn plan(preview: &Value) -> Vec<(u64, String, Option<u64>)> {
    preview["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["row"].as_u64().expect("row"),
                r["action"].as_str().expect("action").to_string(),
                r["crm_id"].as_u64(),
            )
        })
        .collect()
}

/// The counts of a preview as `[create, update, unchanged, errors, warnings]`.
pub fn counts(preview: &Value) -> [u64; 5] {
    let c = &preview["counts"];
    ["create", "update", "unchanged", "errors", "warnings"]
        .map(|k| c[k].as_u64().unwrap_or_else(|| panic!("count {k} in {c}")))
}
