//! Answer spools ([`leadger_core::store::Spool`]): an unnamed file in the
//! blob directory (`tempfile` unlinks it as it is created, where the
//! system allows), so it takes no memory, is never seen by anyone else,
//! and is gone once closed, also after a crash.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use leadger_core::store::{Spool, StoreError};

use crate::error::io;

/// Written through a buffer: a spool gets one small record per row.
pub(crate) struct FileSpool {
    out: BufWriter<File>,
}

impl FileSpool {
    pub(crate) fn create(dir: &Path) -> Result<Box<dyn Spool>, StoreError> {
        let file =
            tempfile::tempfile_in(dir).map_err(|e| io("cannot create a spool in", dir, e))?;
        Ok(Box::new(FileSpool {
            out: BufWriter::with_capacity(256 * 1024, file),
        }))
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
        Ok(Box::new(BufReader::with_capacity(256 * 1024, file)))
    }
}
