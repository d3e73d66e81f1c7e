//! Answer spools ([`leadger_core::store::Spool`]): an unnamed file in the
//! blob directory (`tempfile` unlinks it as it is created, where the
//! system allows), so it takes no memory, is never seen by anyone else,
//! and is gone once closed, also after a crash.
//!
//! A spool that may be kept ([`FileSpool::staging`]) is a named temporary
//! file in `DIR/staged` instead, renamed to its name when kept, removed
//! when dropped otherwise; one a crash leaves behind is removed when the
//! store is next opened ([`remove_stale_staging`]).

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use leadger_core::store::{Spool, StoreError};

use crate::error::io;

/// Written through a buffer: a spool gets one small record per row.
pub(crate) struct FileSpool {
    out: BufWriter<File>,
    /// A spool that may be kept: its temporary name, and its directory.
    named: Option<(tempfile::TempPath, PathBuf)>,
}

/// The name a spool that may be kept has until it is kept.
const STAGING_PREFIX: &str = ".staging-";

impl FileSpool {
    pub(crate) fn create(dir: &Path) -> Result<Box<dyn Spool>, StoreError> {
        let file =
            tempfile::tempfile_in(dir).map_err(|e| io("cannot create a spool in", dir, e))?;
        Ok(Box::new(FileSpool {
            out: BufWriter::with_capacity(256 * 1024, file),
            named: None,
        }))
    }

    /// A spool that may be kept in `dir` ([`Spool::keep`]).
    pub(crate) fn staging(dir: &Path) -> Result<Box<dyn Spool>, StoreError> {
        let (file, path) = tempfile::Builder::new()
            .prefix(STAGING_PREFIX)
            .tempfile_in(dir)
            .map_err(|e| io("cannot create a staged file in", dir, e))?
            .into_parts();
        Ok(Box::new(FileSpool {
            out: BufWriter::with_capacity(256 * 1024, file),
            named: Some((path, dir.to_path_buf())),
        }))
    }
}

/// Removes the spools that a process stopped before keeping or dropping
/// them (the caller holds the data directory's lock).
pub(crate) fn remove_stale_staging(dir: &Path) -> Result<(), StoreError> {
    remove_where(dir, true)
}

/// Every staged file kept in `dir` (not the spools still being written,
/// which may become one).
pub(crate) fn remove_all(dir: &Path) -> Result<(), StoreError> {
    remove_where(dir, false)
}

/// Removes the files of `dir` that are spools still unkept (`unkept`), or
/// the kept ones.
fn remove_where(dir: &Path, unkept: bool) -> Result<(), StoreError> {
    for entry in std::fs::read_dir(dir).map_err(|e| io("cannot list", dir, e))? {
        let entry = entry.map_err(|e| io("cannot list", dir, e))?;
        let is_unkept = entry
            .file_name()
            .to_string_lossy()
            .starts_with(STAGING_PREFIX);
        if is_unkept == unkept {
            let p = entry.path();
            std::fs::remove_file(&p).map_err(|e| io("cannot remove", &p, e))?;
        }
    }
    Ok(())
}

/// A staged file's reader, if it exists.
pub(crate) fn open_staged(
    dir: &Path,
    name: &str,
) -> Result<Option<Box<dyn Read + Send>>, StoreError> {
    if name.starts_with(STAGING_PREFIX) || name.contains(['/', '\\']) || name.is_empty() {
        return Ok(None);
    }
    let path = dir.join(name);
    match File::open(&path) {
        Ok(file) => Ok(Some(Box::new(BufReader::with_capacity(256 * 1024, file)))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io("cannot open", &path, e)),
    }
}

impl Write for FileSpool {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

impl Spool for FileSpool {
    fn into_reader(self: Box<Self>) -> Result<Box<dyn Read + Send>, StoreError> {
        let spool_err =
            |e: std::io::Error| StoreError::Io(format!("cannot read a spool back: {e}"));
        let mut file = self
            .out
            .into_inner()
            .map_err(|e| spool_err(e.into_error()))?;
        file.seek(SeekFrom::Start(0)).map_err(spool_err)?;
        // A named spool not kept is removed here; reading it goes on
        // through the open file.
        drop(self.named);
        Ok(Box::new(BufReader::with_capacity(256 * 1024, file)))
    }

    fn keep(mut self: Box<Self>, name: &str) -> Result<Box<dyn Read + Send>, StoreError> {
        if let Some((path, dir)) = self.named.take() {
            let to = dir.join(name);
            self.out.flush().map_err(|e| io("cannot write", &to, e))?;
            path.persist(&to)
                .map_err(|e| io("cannot keep a staged file as", &to, e.error))?;
        }
        self.into_reader()
    }
}
