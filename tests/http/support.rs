//! The harness: `spawn_app()` starts the real `leadger serve` on a free
//! loopback port over a fresh data directory, and named request helpers
//! drive it with ureq. The server is killed when the [`App`] drops.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_leadger");

/// One run of the CLI.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the CLI on a data directory.
pub fn cli(data: &Path, args: &[&str]) -> Run {
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("LEADGER_ACTOR", "tester")
        .output()
        .expect("run leadger");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs the CLI with `--json` on a stopped server's data directory,
/// expecting success, and parses its answer.
pub fn cli_json(data: &Path, args: &[&str]) -> serde_json::Value {
    let mut full = vec!["--json"];
    full.extend_from_slice(args);
    let run = cli(data, &full);
    assert_eq!(run.code, 0, "{run:?}");
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"))
}

/// Creates a token with the CLI and returns its secret.
pub fn create_token(data: &Path, name: &str, role: &str) -> String {
    let run = cli(data, &["--json", "tokens", "create", name, "--role", role]);
    assert_eq!(run.code, 0, "{run:?}");
    let answer: Value = serde_json::from_str(&run.stdout).expect("tokens create --json");
    answer["token"].as_str().expect("a token").to_string()
}

/// An answer from the server.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub disposition: String,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}), status {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Panics unless 200; returns the JSON body.
    pub fn ok(&self) -> Value {
        assert_eq!(self.status, 200, "{}", String::from_utf8_lossy(&self.body));
        self.json()
    }

    /// Panics unless this is the JSON error `{error: code, message}` with
    /// `status`; returns the message.
    pub fn error(&self, status: u16, code: &str) -> String {
        let body = self.json();
        assert_eq!(self.status, status, "{body}");
        assert_eq!(body["error"], code, "{body}");
        let message = body["message"].as_str().unwrap_or_default().to_string();
        assert!(!message.is_empty(), "{body}");
        assert_eq!(body.as_object().map(|o| o.len()), Some(2), "{body}");
        message
    }
}

/// A running server and what it needs.
pub struct App {
    pub dir: TempDir,
    pub base: String,
    /// The secret of the admin token `ops`.
    pub admin: String,
    /// The secret of the auditor token `audit`.
    pub auditor: String,
    /// The admin token `serve` printed on a first start, if it did.
    pub printed_token: Option<String>,
    child: Child,
    agent: ureq::Agent,
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub use crate::files::{leads_csv, multipart, xlsx};

pub fn data_dir(dir: &TempDir) -> PathBuf {
    dir.path().join("data")
}

/// A server over a fresh data directory holding an admin token `ops` and
/// an auditor token `audit`.
pub fn spawn_app() -> App {
    spawn_app_with(&[])
}

/// [`spawn_app`] with more `serve` arguments.
pub fn spawn_app_with(args: &[&str]) -> App {
    let dir = TempDir::new().expect("temp dir");
    let data = data_dir(&dir);
    let admin = create_token(&data, "ops", "admin");
    let auditor = create_token(&data, "audit", "auditor");
    let mut app = serve(dir, args);
    app.admin = admin;
    app.auditor = auditor;
    app
}

/// Starts `serve` on the data directory of `dir` and waits until it
/// answers `/healthz`.
pub fn serve(dir: TempDir, args: &[&str]) -> App {
    let data = data_dir(&dir);
    let stderr = std::fs::File::create(dir.path().join("serve.log")).expect("log file");
    let mut child = Command::new(BIN)
        .arg("--data-dir")
        .arg(&data)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr))
        .spawn()
        .expect("start leadger serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut printed_token = None;
    let base = loop {
        let Some(Ok(line)) = lines.next() else {
            let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default();
            panic!("serve stopped before listening: {log}");
        };
        if let Some(token) = line.strip_prefix("created admin token: ") {
            printed_token = Some(token.trim().to_string());
        } else if let Some(addr) = line.strip_prefix("listening on ") {
            break addr.trim().to_string();
        }
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .into();
    let app = App {
        dir,
        base,
        admin: printed_token.clone().unwrap_or_default(),
        auditor: String::new(),
        printed_token,
        child,
        agent,
    };
    // The port is bound before it is printed; this only waits for the
    // accept loop, a bounded number of tries.
    let ready = (0..100).any(|_| {
        let up = app
            .agent
            .get(app.url("/healthz"))
            .call()
            .is_ok_and(|r| r.status() == 200);
        if !up {
            std::thread::sleep(Duration::from_millis(20));
        }
        up
    });
    assert!(ready, "the server never answered /healthz");
    app
}

fn answer(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
    try_answer(result).unwrap_or_else(|e| panic!("{e}"))
}

/// The answer, or why there was none (the connection failed or closed
/// before the whole answer arrived).
fn try_answer(
    result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Answer, String> {
    let mut resp = result.map_err(|e| format!("request failed: {e}"))?;
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    let body = resp
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_vec()
        .map_err(|e| format!("reading the answer failed: {e}"))?;
    Ok(Answer {
        status: resp.status().as_u16(),
        content_type,
        disposition,
        body,
    })
}

impl App {
    pub fn data(&self) -> PathBuf {
        data_dir(&self.dir)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops the server and starts it again on the same data directory.
    pub fn restart(mut self, args: &[&str]) -> App {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dir = std::mem::replace(&mut self.dir, TempDir::new().expect("temp dir"));
        let mut app = serve(dir, args);
        app.admin = std::mem::take(&mut self.admin);
        app.auditor = std::mem::take(&mut self.auditor);
        app
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends the server SIGTERM (as `kill` and service managers do).
    pub fn sigterm(&self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
    }

    /// Waits (bounded) for the server process to exit on its own.
    pub fn wait_exit(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(std::time::Instant::now() < deadline, "serve did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the server with SIGTERM and checks that it exited cleanly,
    /// showing its log when it did not.
    pub fn stop(&mut self) {
        self.sigterm();
        let status = self.wait_exit(Duration::from_secs(60));
        let log = std::fs::read_to_string(self.dir.path().join("serve.log")).unwrap_or_default();
        assert!(status.success(), "serve exited with {status}: {log}");
    }

    pub fn get_anon(&self, path: &str) -> Answer {
        answer(self.agent.get(self.url(path)).call())
    }

    pub fn get_as(&self, token: &str, path: &str) -> Answer {
        answer(
            self.agent
                .get(self.url(path))
                .header("Authorization", format!("Bearer {token}"))
                .call(),
        )
    }

    /// GET as the admin.
    pub fn get(&self, path: &str) -> Answer {
        self.get_as(&self.admin, path)
    }

    pub fn post_as(&self, token: &str, path: &str) -> Answer {
        answer(
            self.agent
                .post(self.url(path))
                .header("Authorization", format!("Bearer {token}"))
                .send_empty(),
        )
    }

    /// Uploads a file as `token` to `POST /api/imports{query}`.
    pub fn upload_as(&self, token: &str, query: &str, file_name: &str, bytes: &[u8]) -> Answer {
        let (content_type, body) = multipart("file", file_name, bytes);
        answer(
            self.agent
                .post(self.url(&format!("/api/imports{query}")))
                .header("Authorization", format!("Bearer {token}"))
                .header("Content-Type", content_type)
                .send(&body[..]),
        )
    }

    /// Previews a leads file as the admin; returns the answer.
    pub fn upload(&self, file_name: &str, bytes: &[u8]) -> Answer {
        self.upload_as(&self.admin, "?kind=leads", file_name, bytes)
    }

    /// Commits an import as the admin.
    pub fn commit(&self, import_id: u64) -> Answer {
        self.post_as(&self.admin, &format!("/api/imports/{import_id}/commit"))
    }

    /// [`App::commit`] that tells a missing answer (the server went away
    /// mid-request) instead of panicking.
    pub fn try_commit(&self, import_id: u64) -> Result<Answer, String> {
        try_answer(
            self.agent
                .post(self.url(&format!("/api/imports/{import_id}/commit")))
                .header("Authorization", format!("Bearer {}", self.admin))
                .send_empty(),
        )
    }

    /// Previews and commits; returns the commit's JSON.
    pub fn import(&self, file_name: &str, bytes: &[u8]) -> Value {
        let preview = self.upload(file_name, bytes).ok();
        let id = preview["import_id"].as_u64().expect("import_id");
        self.commit(id).ok()
    }
}
