//! `publish`: the log as static files (C2SP tlog-tiles) in a directory, and what a run wrote.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::chain::Hash;
use crate::checkpoint::SignerKey;
use crate::progress::Progress;
use crate::publish::{self, PublishError};
use crate::view::View;

/// `publish DIR`: the published log after the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PublishOutput {
    /// The directory.
    pub dir: String,
    /// The log's origin (the ledger's name).
    pub origin: String,
    /// The tree size published: every event up to the head.
    pub size: u64,
    /// The Merkle root of those events.
    pub root: Hash,
    /// The size the directory's checkpoint had before the run (null: it was empty).
    pub previous_size: Option<u64>,
    /// Files written (tiles, entry bundles and the checkpoint); 0 when nothing was new.
    pub files_written: u64,
    /// Bytes written.
    pub bytes_written: u64,
    /// The checkpoint now in the directory, as a signed note.
    pub checkpoint: String,
}

/// Publishes the ledger at the view's head into `dir`, its checkpoint signed by `key`.
pub fn publish(
    view: &View,
    dir: &std::path::Path,
    key: &SignerKey,
    progress: &dyn Progress,
) -> Result<PublishOutput, PublishError> {
    let p = publish::publish(view, dir, key, progress)?;
    Ok(PublishOutput {
        dir: dir.display().to_string(),
        origin: view.ledger().name()?,
        size: p.size,
        root: p.root,
        previous_size: p.previous,
        files_written: p.files,
        bytes_written: p.bytes,
        checkpoint: p.note,
    })
}
