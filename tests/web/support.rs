//! The server side of the harness: `spawn_app()` prepares a fresh data
//! directory with the CLI (an admin token `ops`, an auditor token `aud`,
//! and whatever imports a test asks for, all before the server starts,
//! since the server then holds the directory), starts the real
//! `leadger serve --addr 127.0.0.1:0`, and reads its port from stdout.
//! The server is killed when the [`App`] drops.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_leadger");

/// A running server over its own data directory.
pub struct App {
    pub dir: TempDir,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The secret of the admin token `ops`.
    pub admin: String,
    /// The secret of the auditor token `aud`.
    pub auditor: String,
    child: Child,
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl App {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Writes `text` to a file named `name` in the test's directory and
    /// returns its absolute path (what a file input is sent).
    pub fn file(&self, name: &str, text: &str) -> String {
        write_file(self.dir.path(), name, text)
    }
}

fn write_file(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join("files").join(name);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("files dir");
    std::fs::write(&path, text).expect("write the file");
    path.to_string_lossy().into_owned()
}

/// Runs the CLI on a data directory; panics unless it exits with `want`.
pub fn cli(data: &Path, args: &[&str], want: i32) -> String {
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("LEADGER_ACTOR", "tester")
        .output()
        .expect("run leadger");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(want),
        "leadger {args:?}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn create_token(data: &Path, name: &str, role: &str) -> String {
    let out = cli(
        data,
        &["--json", "tokens", "create", name, "--role", role],
        0,
    );
    let answer: Value = serde_json::from_str(&out).expect("tokens create --json");
    answer["token"].as_str().expect("a token").to_string()
}

/// What a test wants in the data directory before the server starts.
#[derive(Default)]
pub struct Setup<'a> {
    /// Files (name, CSV text) previewed and committed with the CLI.
    pub committed: &'a [(&'a str, &'a str)],
    /// Files (name, CSV text) previewed only.
    pub previewed: &'a [(&'a str, &'a str)],
    /// Environment variables of the server only.
    pub server_env: &'a [(&'a str, &'a str)],
}

/// A server with the two tokens and nothing else.
pub fn spawn_app() -> App {
    spawn_app_with(Setup::default())
}

pub fn spawn_app_with(setup: Setup) -> App {
    let dir = TempDir::new().expect("temp dir");
    let data = dir.path().join("data");
    let admin = create_token(&data, "ops", "admin");
    let auditor = create_token(&data, "aud", "auditor");
    for (name, text) in setup.committed {
        let path = write_file(dir.path(), name, text);
        cli(&data, &["import", &path, "--commit"], 0);
    }
    for (name, text) in setup.previewed {
        let path = write_file(dir.path(), name, text);
        cli(&data, &["import", &path], 0);
    }
    let log = std::fs::File::create(dir.path().join("serve.log")).expect("log file");
    let mut child = Command::new(BIN)
        .arg("--data-dir")
        .arg(&data)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .envs(setup.server_env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .expect("start leadger serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let Some(Ok(line)) = lines.next() else {
            let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default();
            panic!("serve stopped before listening: {log}");
        };
        if let Some(addr) = line.strip_prefix("listening on ") {
            break addr.trim().to_string();
        }
    };
    let app = App {
        dir,
        base,
        admin,
        auditor,
        child,
    };
    wait_until_up(&app);
    app
}

/// The port is bound before it is printed; this waits for the accept
/// loop, a bounded number of tries.
fn wait_until_up(app: &App) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    let up = (0..200).any(|_| {
        let ok = agent
            .get(app.url("/healthz"))
            .call()
            .is_ok_and(|r| r.status() == 200);
        if !ok {
            std::thread::sleep(Duration::from_millis(25));
        }
        ok
    });
    assert!(up, "the server never answered /healthz");
}

/// Where the screenshots go: `target/screenshots/` (not committed).
pub fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("create target/screenshots");
    dir
}

/// A CSV of leads: one line per (name, export value, city).
pub fn leads_csv(rows: &[(&str, &str, &str)]) -> String {
    let mut csv = String::from("Lead Name,Export Value,City,Email\n");
    for (name, export, city) in rows {
        let quoted = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        csv.push_str(&format!(
            "{},{},{},info@example.com\n",
            quoted(name),
            quoted(export),
            quoted(city)
        ));
    }
    csv
}
