//! The sled engine behind [`Backend`]: the one file of the ledger that names sled.

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::backend::{Backend, Batch, Entries};
use crate::error::{Error, Result};

/// How long a commit may take to reach the disk before the store is given up as stuck.
///
/// sled 0.34 waits forever when its writer threads fail (for one, on a full disk); a commit that
/// has not finished by then is reported as an I/O error instead of hanging the process.
pub const COMMIT_DEADLINE: Duration = Duration::from_secs(300);

/// A sled database in a ledger directory.
pub struct Sled {
    /// Always `Some` until dropped.
    db: Option<sled::Db>,
    path: PathBuf,
    /// Set when a flush missed its deadline: sled's threads are stuck, and dropping the database
    /// (which flushes) would hang too, so it is leaked and the process left to end.
    stuck: AtomicBool,
}

impl Drop for Sled {
    fn drop(&mut self) {
        if self.stuck.load(Ordering::Relaxed) {
            std::mem::forget(self.db.take());
        }
    }
}

impl Sled {
    /// Opens (or creates) sled's files in `path`; the caller holds the ledger's lock.
    pub fn open(path: &Path) -> Result<Sled> {
        // A snapshot sled was writing when its process died is left as `snap.*.generating`; sled
        // would read it as damage. It is never complete, and the lock says no one is writing it.
        if let Ok(dir) = std::fs::read_dir(path) {
            for entry in dir.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with("snap.") && name.ends_with(".generating") {
                    std::fs::remove_file(entry.path()).map_err(|e| Error::Io { path: entry.path(), source: e })?;
                }
            }
        }
        // sled can panic on some damaged files rather than return an error: report that as damage.
        let opened = std::panic::catch_unwind(|| sled::Config::new().path(path).open());
        let db = match opened {
            Ok(r) => r.map_err(|e| sled_error(path, e))?,
            Err(_) => {
                return Err(Error::Damaged { path: path.to_owned(), detail: "sled could not read its files".into() });
            }
        };
        Ok(Sled { db: Some(db), path: path.to_owned(), stuck: AtomicBool::new(false) })
    }

    /// Whether `path` holds sled's files, whole (`Some(true)`), in part (`Some(false)`: its
    /// configuration without its data file) or not at all.
    pub fn present(path: &Path) -> Option<bool> {
        if path.join("db").is_file() {
            Some(true)
        } else if path.join("conf").is_file() {
            Some(false)
        } else {
            None
        }
    }

    fn db(&self) -> &sled::Db {
        // Only `drop` takes the database out.
        self.db.as_ref().unwrap_or_else(|| unreachable!("the store's database is present until it is dropped"))
    }

    fn err(&self, e: sled::Error) -> Error {
        sled_error(&self.path, e)
    }
}

impl Backend for Sled {
    type Bytes = sled::IVec;

    fn get(&self, key: &[u8]) -> Result<Option<sled::IVec>> {
        self.db().get(key).map_err(|e| self.err(e))
    }

    fn range(&self, from: Bound<Vec<u8>>, to: Bound<Vec<u8>>) -> Entries<'_, sled::IVec> {
        Box::new(self.db().range((from, to)).map(move |r| r.map_err(|e| self.err(e))))
    }

    fn apply(&self, batch: Batch) -> Result<()> {
        let mut b = sled::Batch::default();
        for (k, v) in batch.ops {
            match v {
                Some(v) => b.insert(k, v),
                None => b.remove(k),
            }
        }
        self.db().apply_batch(b).map_err(|e| self.err(e))
    }

    /// Flushes to disk, giving up (as an I/O error) after [`COMMIT_DEADLINE`].
    fn flush(&self) -> Result<()> {
        let db = self.db().clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let flushed = db.flush();
            // Let go of the database before reporting, so that nothing holds sled's file lock once
            // the caller has its answer and releases the ledger.
            drop(db);
            let _ = tx.send(flushed);
        });
        match rx.recv_timeout(COMMIT_DEADLINE) {
            Ok(r) => r.map(|_| ()).map_err(|e| self.err(e)),
            Err(_) => {
                self.stuck.store(true, Ordering::Relaxed);
                Err(Error::Io {
                    path: self.path.clone(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!(
                            "the write did not reach the disk within {} s (is the disk full?); the batch is not acknowledged",
                            COMMIT_DEADLINE.as_secs()
                        ),
                    ),
                })
            }
        }
    }

    fn size_on_disk(&self) -> Result<u64> {
        self.db().size_on_disk().map_err(|e| self.err(e))
    }
}

fn sled_error(path: &Path, e: sled::Error) -> Error {
    match e {
        // sled's own file lock, held by a process that does not take ours.
        sled::Error::Io(source) if source.to_string().contains("could not acquire lock") => {
            Error::Locked { path: path.to_owned(), lock: path.join("db") }
        }
        // A file sled's log refers to is gone (a deleted blob, a removed segment file).
        sled::Error::Io(source) if source.kind() == std::io::ErrorKind::NotFound => {
            Error::Damaged { path: path.to_owned(), detail: format!("a file of the store is missing ({source})") }
        }
        sled::Error::Io(source) => Error::Io { path: path.to_owned(), source },
        sled::Error::Corruption { .. } => Error::Damaged { path: path.to_owned(), detail: e.to_string() },
        // sled says `Unsupported` when its `conf` file does not read as its own configuration, and
        // a `ReportableBug` where its files contradict themselves: both are what damage looks like.
        sled::Error::Unsupported(what) | sled::Error::ReportableBug(what) => {
            Error::Damaged { path: path.to_owned(), detail: format!("sled could not read its files ({what})") }
        }
        other => Error::Internal(format!("sled: {other}")),
    }
}
