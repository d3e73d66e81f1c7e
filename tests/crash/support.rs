//! Runs the binary in a fresh data directory, optionally paused at a
//! failpoint (`LEADGER_PAUSE_AT`) so that it can be killed there.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct Env {
    pub dir: tempfile::TempDir,
}

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }
}

/// Events per write in these tests: small, so a commit spans many chunks.
pub const CHUNK: &str = "500";

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_leadger"));
        cmd.arg("--data-dir")
            .arg(self.data_dir())
            .args(args)
            .env("LEADGER_CHUNK", CHUNK);
        cmd.env_remove("LEADGER_PAUSE_AT");
        cmd.env_remove("LEADGER_DELAY_AT");
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Out {
        let out = self.command(args).output().unwrap();
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs the binary until it reports reaching `point` (e.g.
    /// `projected:3`), then kills it with SIGKILL. Returns false when the
    /// process finished without reaching the point.
    pub fn run_and_kill_at(&self, args: &[&str], point: &str) -> bool {
        self.run_and_kill_at_with(args, point, &[])
    }

    /// [`Env::run_and_kill_at`] with more environment (such as
    /// `LEADGER_DELAY_AT`, a pause of some milliseconds at every point of
    /// a name, to make one thread fall behind another).
    pub fn run_and_kill_at_with(&self, args: &[&str], point: &str, env: &[(&str, &str)]) -> bool {
        let mut child = self
            .command(args)
            .envs(env.iter().copied())
            .env("LEADGER_PAUSE_AT", point)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let wanted = format!("paused at {point}");
        let mut reached = false;
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            if line.contains(&wanted) {
                reached = true;
                break;
            }
        }
        // Child::kill sends SIGKILL on Unix: no destructor, no flush runs.
        let _ = child.kill();
        let _ = child.wait();
        reached
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// A CSV of `n` new leads, each with a contact, so a commit writes two
/// events a row.
pub fn big_csv(n: usize, tag: &str) -> String {
    let mut text =
        String::from("Lead Name,Export Value,City,Contact First Name,Contact Last Name\n");
    for idx in 0..n {
        text.push_str(&format!(
            "Lead {tag} {idx},{tag}-{idx},Springfield,Ann,Lee{idx}\n"
        ));
    }
    text
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}
