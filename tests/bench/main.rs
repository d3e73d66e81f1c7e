//! `cargo bench --bench import [-- OPTIONS]`: speed and memory of imports
//! at spreadsheet scale (issue 6; method in docs/PERFORMANCE.md).
//!
//! Generates deterministic lead files (all 37 columns; CSV and xlsx; cached
//! under `target/bench/data/`), then per format and row count runs each
//! step as a child process of the release `leadger` binary on a fresh data
//! directory, measures wall time and peak RSS, compares each with the bare
//! read of the same file (the floor), prints a table and the issue's
//! targets, and writes every figure to a JSON file.
//!
//! Options: `--rows 100000,1048575` (default 100000), `--formats csv,xlsx`
//! (default both), `--out FILE` (default `target/bench/results.json`),
//! `--keep` (keep each series' data directory and step outputs under
//! `target/bench/run/`), `--leadger PATH` (default: the `leadger` binary
//! cargo built for this bench, `target/release/leadger`),
//! `--xlsx-inline-strings` (xlsx strings written inline, as constant-memory
//! writers do; the default is a shared-string table, as Excel saves them,
//! which is what admins bring and what the reference figures read).
//!
//! The `leadger` binary: cargo builds the package's binaries with the bench
//! profile (which inherits `release`) before running a bench, and hands
//! their path over as `CARGO_BIN_EXE_leadger`; so `cargo bench` always
//! measures an up-to-date release build, with no separate `cargo build`.
//!
//! `--sled-probe` measures sled's own memory instead (`sled_probe.rs`).
//!
//! Hidden child modes: `--baseline-csv FILE`, `--baseline-xlsx FILE`,
//! `--sled-probe-child BYTES DIR`.

mod baseline;
mod files;
mod generator;
mod measure;
mod page_probe;
mod report;
mod sled_probe;
mod steps;
mod words;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};

use files::FileKind;

/// Rows a worksheet holds under its header row.
const MAX_ROWS: u64 = 1_048_575;

struct Options {
    rows: Vec<u64>,
    formats: Vec<FileKind>,
    out: PathBuf,
    keep: bool,
    leadger: PathBuf,
    shared_strings: bool,
}

enum Mode {
    Bench(Options),
    SledProbe,
    SledProbeChild {
        value_bytes: usize,
        dir: PathBuf,
    },
    Baseline {
        csv: bool,
        file: PathBuf,
    },
    /// Started without `--bench` (e.g. by `cargo test --benches`).
    NotBench,
}

fn main() -> ExitCode {
    match parse(std::env::args().skip(1).collect()).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn bench_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("bench")
}

fn parse(args: Vec<String>) -> anyhow::Result<Mode> {
    let mut options = Options {
        rows: vec![100_000],
        formats: vec![FileKind::Csv, FileKind::Xlsx],
        out: bench_dir().join("results.json"),
        keep: false,
        leadger: PathBuf::from(env!("CARGO_BIN_EXE_leadger")),
        shared_strings: true,
    };
    let mut is_bench = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--bench" => is_bench = true,
            "--keep" => options.keep = true,
            "--xlsx-shared-strings" => options.shared_strings = true,
            "--xlsx-inline-strings" => options.shared_strings = false,
            "--rows" => options.rows = parse_rows(&value()?)?,
            "--formats" => options.formats = parse_formats(&value()?)?,
            "--out" => options.out = PathBuf::from(value()?),
            "--leadger" => options.leadger = PathBuf::from(value()?),
            "--sled-probe" => return Ok(Mode::SledProbe),
            "--sled-probe-child" => {
                let value_bytes = value()?.parse().context("--sled-probe-child BYTES DIR")?;
                return Ok(Mode::SledProbeChild {
                    value_bytes,
                    dir: value()?.into(),
                });
            }
            "--baseline-csv" => {
                return Ok(Mode::Baseline {
                    csv: true,
                    file: value()?.into(),
                })
            }
            "--baseline-xlsx" => {
                return Ok(Mode::Baseline {
                    csv: false,
                    file: value()?.into(),
                })
            }
            "--help" | "-h" => {
                println!("usage: cargo bench --bench import -- [--rows N,N] [--formats csv,xlsx] [--out FILE] [--keep] [--leadger PATH] [--xlsx-inline-strings] | --sled-probe");
                return Ok(Mode::NotBench);
            }
            other => bail!("unknown option {other}; see --help"),
        }
    }
    Ok(if is_bench {
        Mode::Bench(options)
    } else {
        Mode::NotBench
    })
}

fn parse_rows(text: &str) -> anyhow::Result<Vec<u64>> {
    let rows = text
        .split(',')
        .map(|n| n.trim().replace('_', "").parse::<u64>())
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("--rows {text}: expected numbers like 100000,1048575"))?;
    if let Some(bad) = rows.iter().find(|&&n| n == 0 || n > MAX_ROWS) {
        bail!("--rows {bad}: must be 1 to {MAX_ROWS} (a worksheet's rows under its header)");
    }
    Ok(rows)
}

fn parse_formats(text: &str) -> anyhow::Result<Vec<FileKind>> {
    text.split(',')
        .map(|f| match f.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(FileKind::Csv),
            "xlsx" => Ok(FileKind::Xlsx),
            other => bail!("--formats: `{other}` is not csv or xlsx"),
        })
        .collect()
}

fn run(mode: Mode) -> anyhow::Result<()> {
    let options = match mode {
        Mode::Baseline { csv, file } => return baseline::run(csv, &file),
        Mode::SledProbeChild { value_bytes, dir } => return sled_probe::child(value_bytes, &dir),
        Mode::SledProbe => {
            let bench = std::env::current_exe().context("cannot find the bench binary")?;
            return sled_probe::run(&bench, &bench_dir());
        }
        Mode::NotBench => {
            eprintln!("bench: not run (no --bench); use `cargo bench --bench import`");
            return Ok(());
        }
        Mode::Bench(options) => options,
    };
    check_headers()?;
    if !options.leadger.is_file() {
        bail!("no leadger binary at {}", options.leadger.display());
    }
    let env = steps::Env {
        leadger: options.leadger.clone(),
        bench: std::env::current_exe().context("cannot find the bench binary")?,
        run_dir: bench_dir().join("run"),
        keep: options.keep,
    };
    let loadavg_start = report::loadavg();
    let mut series = Vec::new();
    for &rows in &options.rows {
        for &kind in &options.formats {
            eprintln!("bench: {} rows as {}", rows, kind.name());
            let files = files::ensure(
                &bench_dir().join("data"),
                kind,
                rows,
                options.shared_strings,
            )?;
            let mut one = steps::run(&env, kind, rows, &files)?;
            one.xlsx_shared_strings = options.shared_strings && kind == FileKind::Xlsx;
            series.push(one);
        }
    }
    let targets: Vec<_> = series.iter().flat_map(report::targets).collect();
    report::print_table(&series);
    report::print_targets(&targets);
    let results = report::Results {
        generated_at: chrono::Local::now().to_rfc3339(),
        command: std::env::args().collect(),
        cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
        loadavg_start,
        loadavg_end: report::loadavg(),
        leadger: options.leadger.display().to_string(),
        series: &series,
        targets: &targets,
    };
    report::write_json(&options.out, &results)?;
    println!("\nfigures written to {}", options.out.display());
    Ok(())
}

/// The generator writes the catalogue's columns, in its order.
fn check_headers() -> anyhow::Result<()> {
    let catalogue: Vec<&str> = leadger_core::catalogue::FIELDS
        .iter()
        .map(|f| f.header)
        .collect();
    if catalogue != words::HEADERS {
        bail!("the generator's columns differ from the catalogue: update tests/bench/generator.rs");
    }
    Ok(())
}
