//! The process lock: `ledger.lock` in the ledger directory, an OS file lock taken before sled's
//! files are opened, so that a second process gets a clear [`Error::Locked`] instead of sled's
//! own lock error.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// The lock file in the ledger directory.
pub const LOCK_FILE: &str = "ledger.lock";

/// Takes the ledger's lock file, retrying with backoff for up to `wait`.
pub(super) fn lock(path: &Path, wait: Duration) -> Result<File> {
    let lock_path = path.join(LOCK_FILE);
    let file = OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path).map_err(|e| {
        let unwritable =
            matches!(e.kind(), std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied);
        let source = if unwritable {
            std::io::Error::new(
                e.kind(),
                format!(
                    "{e}: every command, reading ones too, writes the lock file and sled's files, so the ledger directory must be writable; copy it somewhere writable to read it"
                ),
            )
        } else {
            e
        };
        Error::Io { path: lock_path.clone(), source }
    })?;
    let deadline = Instant::now() + wait;
    let mut pause = Duration::from_millis(5);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(TryLockError::WouldBlock) => {
                let now = Instant::now();
                if now >= deadline {
                    return Err(Error::Locked { path: path.to_owned(), lock: lock_path });
                }
                std::thread::sleep(pause.min(deadline - now));
                pause = (pause * 2).min(Duration::from_millis(250));
            }
            Err(TryLockError::Error(e)) => return Err(Error::Io { path: lock_path, source: e }),
        }
    }
}
