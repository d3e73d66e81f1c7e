//! The results: a table of every step with its ratio to the bare-read
//! floor of the same file, the targets of issue 6 as PASS/MISS lines, and
//! all figures as JSON. A MISS never fails the process: this is a
//! measurement, not a test.

use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;

use crate::files::FileKind;
use crate::steps::{Floor, Series};

/// Import steps, for the peak-memory targets.
const IMPORT_STEPS: [&str; 4] = ["preview", "commit", "update preview", "update commit"];

#[derive(Debug, Serialize)]
pub struct Target {
    pub format: FileKind,
    pub rows: u64,
    pub target: String,
    pub measured: Option<f64>,
    pub limit: f64,
    pub unit: &'static str,
    pub pass: bool,
}

/// Everything written to the JSON file.
#[derive(Serialize)]
pub struct Results<'a> {
    pub generated_at: String,
    pub command: Vec<String>,
    pub cpus: usize,
    pub loadavg_start: String,
    pub loadavg_end: String,
    pub leadger: String,
    pub series: &'a [Series],
    pub targets: &'a [Target],
}

/// The targets of issue 6 for one series.
pub fn targets(s: &Series) -> Vec<Target> {
    let mut out = Vec::new();
    let mut add = |target: String, measured: Option<f64>, limit: f64, unit, at_least: bool| {
        let pass = measured.is_some_and(|m| if at_least { m >= limit } else { m <= limit });
        out.push(Target {
            format: s.format,
            rows: s.rows,
            target,
            measured,
            limit,
            unit,
            pass,
        });
    };
    let ratio = s.step("preview+commit").and_then(|st| st.ratio);
    let import_peak = IMPORT_STEPS
        .iter()
        .filter_map(|name| s.step(name).map(|st| st.peak_rss_mb))
        .reduce(f64::max);
    match s.format {
        FileKind::Csv => {
            add(
                "preview + commit <= 8x floor".into(),
                ratio,
                8.0,
                "x",
                false,
            );
            add(
                "import peak RSS < 256 MB".into(),
                import_peak,
                256.0,
                "MB",
                false,
            );
        }
        FileKind::Xlsx => {
            add(
                "preview + commit <= 1.5x floor".into(),
                ratio,
                1.5,
                "x",
                false,
            );
            let floor_peak = s.step("floor").map_or(0.0, |st| st.peak_rss_mb);
            let limit = floor_peak + 512.0;
            add(
                format!("import peak RSS < floor peak + 512 MB ({limit:.0} MB)"),
                import_peak,
                limit,
                "MB",
                false,
            );
        }
    }
    add(
        "rebuild >= 1,000,000 events/s".into(),
        s.rebuild_events_per_second,
        1e6,
        "events/s",
        true,
    );
    out
}

/// Prints the table of all series.
pub fn print_table(series: &[Series]) {
    println!();
    println!(
        "{:<22} {:<6} {:>9} {:>9} {:>8} {:>9}  note",
        "step", "format", "N", "seconds", "x floor", "peak MB"
    );
    println!("{}", "-".repeat(80));
    for s in series {
        for st in &s.steps {
            let ratio = st.ratio.map_or("-".to_string(), |r| format!("{r:.2}"));
            let note = match (st.step.as_str(), st.floor) {
                ("rebuild", _) => s
                    .events
                    .zip(s.rebuild_events_per_second)
                    .map_or(String::new(), |(e, r)| {
                        format!("{e} events, {:.0} events/s", r)
                    }),
                (_, Floor::Update) if st.step.contains("floor") => {
                    format!("{} rows", s.update_rows)
                }
                _ => String::new(),
            };
            println!(
                "{:<22} {:<6} {:>9} {:>9.2} {:>8} {:>9.1}  {}",
                st.step,
                s.format.name(),
                s.rows,
                st.seconds,
                ratio,
                st.peak_rss_mb,
                note
            );
        }
        if let Some(p) = &s.page_probe {
            println!(
                "{:<22} {:<6} {:>9}  writing a new file: {:.2} s/GiB on fresh pages, {:.2} s/GiB on reused ones",
                "page probe",
                s.format.name(),
                s.rows,
                p.fresh_s_per_gib,
                p.reused_s_per_gib,
            );
        }
        println!(
            "{:<22} {:<6} {:>9}  file {:.1} MB, update file {:.1} MB, data dir {:.1} MB ({:.1} MB allocated)",
            "sizes",
            s.format.name(),
            s.rows,
            s.file_bytes as f64 / 1e6,
            s.update_file_bytes as f64 / 1e6,
            s.data_dir_bytes as f64 / 1e6,
            s.data_dir_allocated_bytes as f64 / 1e6,
        );
        if let Some(failure) = &s.failure {
            println!(
                "{:<22} {:<6} {:>9}  STOPPED: {failure}",
                "failure",
                s.format.name(),
                s.rows
            );
        }
        println!();
    }
}

/// Prints PASS/MISS per target.
pub fn print_targets(targets: &[Target]) {
    println!("targets of issue 6 (stated for N = 1,048,575; smaller N is indicative):");
    for t in targets {
        let measured = t
            .measured
            .map_or("not measured".to_string(), |m| match t.unit {
                "x" => format!("{m:.2}x"),
                "MB" => format!("{m:.0} MB"),
                _ => format!("{m:.0} {}", t.unit),
            });
        println!(
            "  {} {:<5} {:>8}  {:<52} measured {measured}",
            if t.pass { "PASS" } else { "MISS" },
            t.format.name(),
            t.rows,
            t.target
        );
    }
}

/// Writes the results as pretty JSON, creating the directory.
pub fn write_json(path: &Path, results: &Results<'_>) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let text = serde_json::to_string_pretty(results)?;
    std::fs::write(path, text + "\n").with_context(|| format!("cannot write {}", path.display()))
}

/// `/proc/loadavg`'s first three figures, to judge how noisy a run was.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}
