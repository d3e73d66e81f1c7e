//! What writing a new file costs on this machine, measured at the start of
//! every series beside the floors.
//!
//! The machines here are virtual machines whose kernel returns memory it
//! has freed to the host after about two seconds (free page reporting, on
//! the kernel command line as `page_reporting.page_reporting_order`). A
//! page handed back costs a fault in the host the next time the guest
//! touches it. A file write lands in new page-cache pages, so it pays that
//! fault for every page unless the pages were freed moments ago: `dd` of 1
//! GiB took 2.3 to 3.2 s on pages handed back and 0.23 s on pages just
//! freed (`docs/PERFORMANCE.md`, "The machine's memory"). `leadger`
//! writes its data directory and the upload, the floors write nothing, so
//! this cost is in every `leadger` step and in no floor; it also changes
//! with what the machine did in the seconds before.
//!
//! The probe: wait [`SETTLE`] for freed memory to be handed back, write
//! [`BYTES`] to a new file (the write calls only; the fsync after them is
//! not counted, as it is the disk's time), delete it and at once write it
//! again (now on the pages just freed), and delete it. Both times are
//! reported per GiB.

use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

/// Bytes each probe write puts in its file.
const BYTES: usize = 512 << 20;
/// How long to let freed memory go back to the host first.
const SETTLE: Duration = Duration::from_secs(3);

/// Seconds per GiB of writing a new file's pages.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct PageProbe {
    /// On pages the host has to fault in again.
    pub fresh_s_per_gib: f64,
    /// On pages freed just before.
    pub reused_s_per_gib: f64,
}

/// Runs the probe in `dir` (a file `page-probe` there, removed after).
pub fn run(dir: &Path) -> anyhow::Result<PageProbe> {
    std::thread::sleep(SETTLE);
    let path = dir.join("page-probe");
    let fresh = write_once(&path)?;
    let reused = write_once(&path)?;
    let per_gib = |d: Duration| d.as_secs_f64() * (1u64 << 30) as f64 / BYTES as f64;
    Ok(PageProbe {
        fresh_s_per_gib: per_gib(fresh),
        reused_s_per_gib: per_gib(reused),
    })
}

/// Writes [`BYTES`] in 1 MiB calls from one buffer, syncs, deletes; the
/// time of the write calls.
fn write_once(path: &Path) -> anyhow::Result<Duration> {
    let chunk: Vec<u8> = (0..1usize << 20).map(|i| (i % 251) as u8).collect();
    let mut file = std::fs::File::create(path)?;
    let start = Instant::now();
    for _ in 0..BYTES / chunk.len() {
        file.write_all(&chunk)?;
    }
    let took = start.elapsed();
    file.sync_all()?;
    drop(file);
    std::fs::remove_file(path)?;
    Ok(took)
}
