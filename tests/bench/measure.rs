//! Running one child process and measuring it: wall time from spawn to
//! exit, and peak resident memory.
//!
//! Peak memory is the kernel's high-water mark `VmHWM` of
//! `/proc/<pid>/status`, sampled every 20 ms while the child runs; the last
//! value read is kept (the mark only grows, and once the child has exited
//! its status has no memory lines any more). In the first 200 ms it is
//! read at every 2 ms poll, so short children get a figure too. Growth in
//! a child's last 20 ms can be missed; the steps that matter run far
//! longer. The exit is polled every 2 ms, which bounds the timing error.
//! Safe Rust only: no `wait4`/`getrusage`.

use std::fs::File;
use std::io::{BufRead as _, BufReader, Read as _, Seek as _, SeekFrom};
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use anyhow::Context as _;

const SAMPLE_EVERY: Duration = Duration::from_millis(20);
/// Sample at every poll this long after the start, so short children
/// (the floor of a small file) get a figure too.
const SAMPLE_ALL_FOR: Duration = Duration::from_millis(200);
const POLL_EVERY: Duration = Duration::from_millis(2);

/// What one child process took.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub seconds: f64,
    /// Peak resident set, kB; 0 if never read.
    pub peak_rss_kb: u64,
    pub status: ExitStatus,
}

/// Runs `cmd` with stdout to `stdout` and stderr to `stderr` (files, so a
/// large `--json` answer never blocks on a pipe).
pub fn run(mut cmd: Command, stdout: &Path, stderr: &Path) -> anyhow::Result<Sample> {
    cmd.stdin(std::process::Stdio::null())
        .stdout(File::create(stdout)?)
        .stderr(File::create(stderr)?);
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot start {:?}", cmd.get_program()))?;
    let pid = child.id();
    let mut peak = 0;
    let mut next_sample = started;
    loop {
        let now = Instant::now();
        if now >= next_sample || now - started < SAMPLE_ALL_FOR {
            // Read before `try_wait` reaps the child, so the pid is ours.
            if let Some(kb) = vm_hwm_kb(pid) {
                peak = peak.max(kb);
            }
            next_sample = now + SAMPLE_EVERY;
        }
        if let Some(status) = child.try_wait()? {
            return Ok(Sample {
                seconds: started.elapsed().as_secs_f64(),
                peak_rss_kb: peak,
                status,
            });
        }
        std::thread::sleep(POLL_EVERY);
    }
}

/// `VmHWM` of a live process, kB.
fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Size of everything under `dir`: (apparent bytes, bytes allocated on
/// disk). Sparse or preallocated files make the two differ.
pub fn dir_size(dir: &Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt as _;
    let mut total = (0, 0);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                total.0 += meta.len();
                total.1 += meta.blocks() * 512;
            }
        }
    }
    total
}

/// The last `lines` lines of a text file, for failure messages.
pub fn tail(path: &Path, lines: usize) -> String {
    let Ok(mut file) = File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(8192)));
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The first line of a text file (a baseline child's JSON answer).
pub fn first_line(path: &Path) -> String {
    let Ok(file) = File::open(path) else {
        return String::new();
    };
    BufReader::new(file)
        .lines()
        .next()
        .and_then(Result::ok)
        .unwrap_or_default()
}
