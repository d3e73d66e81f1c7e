//! Mapping of sled and filesystem errors onto the port's [`StoreError`].
//!
//! sled reports a held directory lock as a plain `io::Error` of kind
//! `Other` whose message starts with "could not acquire lock" (fs2's
//! `try_lock_exclusive` failing with `WouldBlock` underneath), so the lock is
//! recognised by kind *or* message and only at open time.

use std::path::Path;

use leadger_core::store::StoreError;

/// Any sled error met after open: corruption keeps its meaning, everything
/// else is an i/o failure of the machine.
pub(crate) fn from_sled(e: sled::Error) -> StoreError {
    match e {
        sled::Error::Corruption { .. } => StoreError::Corrupt(e.to_string()),
        other => StoreError::Io(other.to_string()),
    }
}

/// A sled error met while opening `dir`: a held lock becomes `Locked`.
pub(crate) fn from_sled_open(e: sled::Error, dir: &Path) -> StoreError {
    match &e {
        sled::Error::Io(io) if is_lock_error(io) => StoreError::Locked {
            path: dir.display().to_string(),
        },
        _ => from_sled(e),
    }
}

fn is_lock_error(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::WouldBlock || e.to_string().contains("could not acquire lock")
}

/// A filesystem error, with what was being done and to which path.
pub(crate) fn io(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Io(format!("{what} {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_message_maps_to_locked_and_other_io_does_not() {
        let dir = Path::new("/data");
        let lock = sled::Error::Io(std::io::Error::other(
            "could not acquire lock on \"/data/db/db\": WouldBlock",
        ));
        assert!(matches!(
            from_sled_open(lock, dir),
            StoreError::Locked { path } if path == "/data"
        ));
        let denied = sled::Error::Io(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert!(matches!(from_sled_open(denied, dir), StoreError::Io(_)));
        let corrupt = sled::Error::Corruption { at: None, bt: () };
        assert!(matches!(from_sled(corrupt), StoreError::Corrupt(_)));
    }
}
