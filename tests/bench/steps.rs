//! One series: a format and a row count, on a fresh data directory.
//!
//! Steps, each a child process measured by [`measure::run`]: the bare read
//! of the main file and of the update file (the floors), `leadger --json
//! import FILE` (preview), `leadger --json imports commit ID`, the same two
//! for the update file, `leadger --json ledger rebuild` and `leadger --json
//! ledger verify`, then the bare read of the main file again (`floor
//! again`): the ratios to the main file's floor are to the faster of its
//! two reads. Before them, the page probe (`page_probe.rs`) times
//! writing a new file on this machine. Afterwards the data directory is measured on disk. A
//! failing step ends the series; what was measured so far is kept.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context as _};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::files::{FileKind, Files};
use crate::measure::{self, Sample};
use crate::page_probe::{self, PageProbe};

/// What every series needs.
pub struct Env {
    /// The release `leadger` binary.
    pub leadger: PathBuf,
    /// This bench binary, re-executed for the floors.
    pub bench: PathBuf,
    /// Where the series directories go (`target/bench/run`).
    pub run_dir: PathBuf,
    /// Keep each series directory (data dir and step outputs).
    pub keep: bool,
}

/// Which floor a step is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Floor {
    Main,
    Update,
    None,
}

#[derive(Debug, Serialize)]
pub struct Step {
    pub step: String,
    pub seconds: f64,
    pub peak_rss_mb: f64,
    /// Seconds over the floor's seconds (same file), when it has a floor.
    pub ratio: Option<f64>,
    pub floor: Floor,
}

#[derive(Debug, Default, Serialize)]
pub struct Series {
    pub format: FileKind,
    pub rows: u64,
    pub file: String,
    pub file_bytes: u64,
    pub update_rows: u64,
    pub update_file_bytes: u64,
    /// xlsx written with a shared-string table (`--xlsx-shared-strings`).
    pub xlsx_shared_strings: bool,
    pub steps: Vec<Step>,
    /// What writing a new file cost just before the floors (`page_probe`).
    pub page_probe: Option<PageProbe>,
    pub data_dir_bytes: u64,
    pub data_dir_allocated_bytes: u64,
    /// Events in the log, from `ledger rebuild`.
    pub events: Option<u64>,
    pub rebuild_events_per_second: Option<f64>,
    pub preview_counts: Option<Value>,
    pub commit_counts: Option<Value>,
    pub update_preview_counts: Option<Value>,
    pub update_commit_counts: Option<Value>,
    pub verify_ok: Option<bool>,
    /// Whether `ledger rebuild` gave the projections it replaced.
    pub rebuild_identical: Option<bool>,
    /// Why the series stopped early.
    pub failure: Option<String>,
    pub kept_dir: Option<String>,
}

impl Series {
    pub fn step(&self, name: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.step == name)
    }
}

#[derive(Deserialize)]
struct PreviewOut {
    import_id: u64,
    counts: Value,
    #[serde(default)]
    errors: Vec<Value>,
}

#[derive(Deserialize)]
struct CommitOut {
    counts: Value,
}

#[derive(Deserialize)]
struct RebuildOut {
    events: u64,
    identical: bool,
}

#[derive(Deserialize)]
struct VerifyOut {
    ok: bool,
}

/// Runs the whole series for `files`; never fails on a step, only on the
/// bench's own I/O.
pub fn run(env: &Env, kind: FileKind, rows: u64, files: &Files) -> anyhow::Result<Series> {
    std::fs::create_dir_all(&env.run_dir)?;
    let dir = tempfile::Builder::new()
        .prefix(&format!("{}-{rows}-", kind.name()))
        .tempdir_in(&env.run_dir)?;
    let len = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let mut s = Series {
        format: kind,
        rows,
        file: files.main.display().to_string(),
        file_bytes: len(&files.main),
        update_rows: files.update_rows,
        update_file_bytes: len(&files.update),
        ..Series::default()
    };
    let runner = Runner {
        env,
        kind,
        rows,
        work: dir.path().to_path_buf(),
    };
    if let Err(e) = runner.steps(files, &mut s) {
        eprintln!("bench: {} {rows}: series stopped: {e:#}", kind.name());
        s.failure = Some(format!("{e:#}"));
    }
    (s.data_dir_bytes, s.data_dir_allocated_bytes) = measure::dir_size(&runner.data());
    if env.keep {
        s.kept_dir = Some(dir.keep().display().to_string());
    }
    Ok(s)
}

struct Runner<'a> {
    env: &'a Env,
    kind: FileKind,
    rows: u64,
    work: PathBuf,
}

impl Runner<'_> {
    fn data(&self) -> PathBuf {
        self.work.join("data")
    }

    fn steps(&self, files: &Files, s: &mut Series) -> anyhow::Result<()> {
        let probe = page_probe::run(&self.work)?;
        eprintln!(
            "bench: {} {} writing a new file: {:.2} s/GiB on fresh pages, {:.2} s/GiB on reused ones",
            self.kind.name(),
            self.rows,
            probe.fresh_s_per_gib,
            probe.reused_s_per_gib
        );
        s.page_probe = Some(probe);
        let floor = self.floor("floor", &files.main, Floor::Main, s)?;
        let update_floor = self.floor("update floor", &files.update, Floor::Update, s)?;
        for (update, file, floor) in [
            (false, &files.main, floor),
            (true, &files.update, update_floor),
        ] {
            let prefix = if update { "update " } else { "" };
            let which = if update { Floor::Update } else { Floor::Main };
            let mut cmd = self.leadger();
            cmd.arg("import").arg(file);
            let (preview, out): (Sample, PreviewOut) =
                self.leadger_step(&format!("{prefix}preview"), cmd, floor, which, s)?;
            *if update {
                &mut s.update_preview_counts
            } else {
                &mut s.preview_counts
            } = Some(out.counts.clone());
            if !out.errors.is_empty() {
                bail!("{prefix}preview found errors, first: {}", out.errors[0]);
            }
            let mut cmd = self.leadger();
            cmd.args(["imports", "commit", &out.import_id.to_string()]);
            let (commit, out): (Sample, CommitOut) =
                self.leadger_step(&format!("{prefix}commit"), cmd, floor, which, s)?;
            *if update {
                &mut s.update_commit_counts
            } else {
                &mut s.commit_counts
            } = Some(out.counts);
            let seconds = preview.seconds + commit.seconds;
            s.steps.push(Step {
                step: format!("{prefix}preview+commit"),
                seconds,
                peak_rss_mb: mb(preview.peak_rss_kb.max(commit.peak_rss_kb)),
                ratio: Some(seconds / floor.seconds),
                floor: which,
            });
        }
        let mut cmd = self.leadger();
        cmd.args(["ledger", "rebuild"]);
        let (rebuild, out): (Sample, RebuildOut) =
            self.leadger_step("rebuild", cmd, floor, Floor::None, s)?;
        s.events = Some(out.events);
        s.rebuild_identical = Some(out.identical);
        if !out.identical {
            bail!("rebuild gave other projections than the ones it replaced");
        }
        s.rebuild_events_per_second = Some(out.events as f64 / rebuild.seconds);
        let mut cmd = self.leadger();
        cmd.args(["ledger", "verify"]);
        let (_, out): (Sample, VerifyOut) =
            self.leadger_step("verify", cmd, floor, Floor::None, s)?;
        s.verify_ok = Some(out.ok);
        // The floor is read again after the steps, and every ratio to it
        // is taken to the faster of its two reads: one read of a second or
        // so moved by the machine's hour (the CSV floor took 0.61 to 1.38
        // s over two days) moved the ratios more than the code did.
        let again = self.floor("floor again", &files.main, Floor::Main, s)?;
        let fastest = floor.seconds.min(again.seconds);
        for step in &mut s.steps {
            if step.floor == Floor::Main {
                step.ratio = Some(step.seconds / fastest);
            }
        }
        Ok(())
    }

    /// The bare read of `file`, in a child process.
    fn floor(
        &self,
        name: &str,
        file: &Path,
        which: Floor,
        s: &mut Series,
    ) -> anyhow::Result<Sample> {
        let mut cmd = Command::new(&self.env.bench);
        let flag = match self.kind {
            FileKind::Csv => "--baseline-csv",
            FileKind::Xlsx => "--baseline-xlsx",
        };
        cmd.arg(flag).arg(file);
        let (sample, out) = self.child(name, cmd)?;
        let seen = measure::first_line(&out);
        eprintln!("bench:   {name} read {seen}");
        push(s, name, &sample, Some(sample.seconds), which);
        Ok(sample)
    }

    fn leadger(&self) -> Command {
        let mut cmd = Command::new(&self.env.leadger);
        cmd.arg("--data-dir")
            .arg(self.data())
            .arg("--json")
            .env_remove("LEADGER_DATA_DIR")
            .env_remove("LEADGER_CHUNK")
            .env_remove("LEADGER_PAUSE_AT")
            .env("LEADGER_ACTOR", "bench")
            .env("LEADGER_LOG", "warn");
        cmd
    }

    /// Runs a `leadger` step, records it, and reads its JSON answer.
    fn leadger_step<T: DeserializeOwned>(
        &self,
        name: &str,
        cmd: Command,
        floor: Sample,
        which: Floor,
        s: &mut Series,
    ) -> anyhow::Result<(Sample, T)> {
        let (sample, out) = self.child(name, cmd)?;
        let floor_seconds = (which != Floor::None).then_some(floor.seconds);
        push(s, name, &sample, floor_seconds, which);
        let file = std::fs::File::open(&out)?;
        let answer = serde_json::from_reader(std::io::BufReader::new(file))
            .with_context(|| format!("{name}: unexpected JSON in {}", out.display()))?;
        Ok((sample, answer))
    }

    /// Runs and measures one child; an exit status other than 0 is an
    /// error (with the end of its stderr), except the validation-error
    /// status 3 whose JSON the caller reads.
    fn child(&self, name: &str, cmd: Command) -> anyhow::Result<(Sample, PathBuf)> {
        let slug = name.replace([' ', '+'], "-");
        let out = self.work.join(format!("{slug}.out"));
        let err = self.work.join(format!("{slug}.err"));
        let sample = measure::run(cmd, &out, &err)?;
        eprintln!(
            "bench: {} {} {name}: {:.2} s, peak {:.0} MB",
            self.kind.name(),
            self.rows,
            sample.seconds,
            mb(sample.peak_rss_kb)
        );
        if !sample.status.success() && sample.status.code() != Some(3) {
            bail!(
                "{name} failed ({}): {}",
                sample.status,
                measure::tail(&err, 5)
            );
        }
        Ok((sample, out))
    }
}

fn push(s: &mut Series, name: &str, sample: &Sample, floor_seconds: Option<f64>, floor: Floor) {
    s.steps.push(Step {
        step: name.to_string(),
        seconds: sample.seconds,
        peak_rss_mb: mb(sample.peak_rss_kb),
        ratio: floor_seconds.map(|f| sample.seconds / f),
        floor,
    });
}

pub fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}
