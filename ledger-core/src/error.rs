//! The errors a caller of the ledger can act on. The CLI maps each variant to an exit code.

use std::path::PathBuf;

use crate::input::LineError;

/// What went wrong with a ledger operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// There is no ledger at the path (or the directory there is not one).
    #[error("no ledger at {}: {reason}", path.display())]
    NoLedger {
        /// The ledger path.
        path: PathBuf,
        /// What was found instead.
        reason: String,
    },
    /// `init` found a ledger already there.
    #[error("a ledger already exists at {}", path.display())]
    Exists {
        /// The ledger path.
        path: PathBuf,
    },
    /// Another process holds the ledger.
    #[error("the ledger at {} is in use by another process (it holds {}); try again when it has finished", path.display(), lock.display())]
    Locked {
        /// The ledger path.
        path: PathBuf,
        /// The lock file held.
        lock: PathBuf,
    },
    /// An input event was refused: a bad line or a broken lifecycle rule. Nothing was written.
    #[error("{0}")]
    Input(Box<LineError>),
    /// A whole input was refused (a list that fails an import guard, an unreadable list file).
    /// Nothing was written.
    #[error("{0}")]
    Refused(String),
    /// The actor named for a batch breaks the rule of actors; nothing was written.
    #[error("the actor must be 1 to {} printable characters", crate::validate::limits::MAX_ACTOR_BYTES)]
    Actor,
    /// No designation has that key.
    #[error("{key} is not in the ledger")]
    NotFound {
        /// The key asked for, `AUTHORITY/ID`.
        key: String,
    },
    /// The store cannot be read as a ledger.
    #[error("the store at {} is damaged: {detail}", path.display())]
    Damaged {
        /// The ledger path.
        path: PathBuf,
        /// What could not be read.
        detail: String,
    },
    /// The operating system refused a read or write.
    #[error("I/O error at {}: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A batch was written and flushed to disk, but what followed its commit failed: it is in the
    /// ledger, though not acknowledged as such.
    #[error("the batch was written (head {seq} {hash}), but {detail}")]
    Unacknowledged {
        /// The seq of its last event.
        seq: crate::seq::Seq,
        /// The hash of its last event.
        hash: crate::chain::Hash,
        /// What failed after the commit.
        detail: String,
    },
    /// A bug: an invariant of the ledger did not hold.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<LineError> for Error {
    fn from(e: LineError) -> Self {
        Error::Input(Box::new(e))
    }
}

/// The result type of ledger operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
