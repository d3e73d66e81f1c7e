//! `cargo bench --bench import -- --sled-probe`: how much memory sled 0.34
//! keeps while a store is written and read, whatever its cache capacity.
//!
//! For each value size, a child process writes 600 MB of values under
//! sequential keys into a fresh sled tree (64 MiB cache, leadger's until
//! it opened with 32 MiB), one batch of 16 values at a time, then reads
//! them all back in key order; it reports its resident memory after each half. sled's LRU
//! (`lru.rs` in sled 0.34.7) has 256 shards and only accounts a shard's page
//! accesses once 64 of them are queued, so up to 256 × 63 pages a process
//! touched are never counted, and so never evicted: the memory kept is
//! about the cache plus 16,128 leaves, and a leaf holds up to 16 values.
//! See docs/PERFORMANCE.md ("sled's memory").

use std::path::Path;
use std::process::Command;

use anyhow::Context as _;

const TOTAL: usize = 600 << 20;
const SIZES: [usize; 4] = [256, 1024, 6 * 1024, 24 * 1024];

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The child: one value size, one fresh store.
pub fn child(value_bytes: usize, dir: &Path) -> anyhow::Result<()> {
    let db = sled::Config::new()
        .path(dir)
        .cache_capacity(64 << 20)
        .mode(sled::Mode::HighThroughput)
        .open()
        .context("cannot open the probe's sled store")?;
    let tree = db.open_tree("probe")?;
    let n = TOTAL / value_bytes;
    let value = vec![0x5au8; value_bytes];
    let mut i = 0u64;
    while (i as usize) < n {
        let mut batch = sled::Batch::default();
        for _ in 0..16 {
            batch.insert(&i.to_be_bytes(), value.clone());
            i += 1;
        }
        tree.apply_batch(batch)?;
    }
    db.flush()?;
    let after_write = rss_mb();
    let mut read = 0usize;
    for item in tree.iter() {
        read += item?.1.len();
    }
    println!("{value_bytes},{n},{after_write:.0},{:.0},{read}", rss_mb());
    Ok(())
}

/// The parent: a child per value size, and the table.
pub fn run(bench: &Path, dir: &Path) -> anyhow::Result<()> {
    println!("sled 0.34 memory probe: 600 MB written, then read back, 64 MiB cache");
    println!(
        "{:>11} {:>9} {:>16} {:>15}",
        "value bytes", "values", "RSS after write", "RSS after read"
    );
    for size in SIZES {
        let store = dir.join(format!("sled-probe-{size}"));
        let _ = std::fs::remove_dir_all(&store);
        let out = Command::new(bench)
            .arg("--sled-probe-child")
            .arg(size.to_string())
            .arg(&store)
            .output()
            .context("cannot start the probe's child")?;
        let _ = std::fs::remove_dir_all(&store);
        anyhow::ensure!(
            out.status.success(),
            "probe child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8_lossy(&out.stdout);
        let f: Vec<&str> = line.trim().split(',').collect();
        anyhow::ensure!(f.len() == 5, "probe child said {line:?}");
        println!("{:>11} {:>9} {:>13} MB {:>12} MB", f[0], f[1], f[2], f[3]);
    }
    Ok(())
}
