//! The acknowledged head: a small file beside sled's, written after every durable commit, that
//! sled's recovery cannot roll back.
//!
//! sled takes a damaged tail of its log for a torn write and truncates it when it opens: one
//! flipped byte in what the last append wrote can make that whole batch vanish, and the store then
//! opens and verifies as a shorter ledger. The ledger must never silently forget an event it
//! acknowledged, so each commit, once flushed, records its head in `ledger.head` (written to a
//! temporary file, fsynced, renamed over, and the directory fsynced), and every open compares the
//! store's head with it.
//!
//! The store may be *ahead* of the file: a process that dies between sled's flush and the rename
//! never acknowledged that batch, and the batch is kept. It may never be *behind* it, nor hold
//! another event at the acknowledged seq.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::chain::Hash;
use crate::chain::Head;
use crate::error::{Error, Result};
use crate::time::Timestamp;

/// The file in the ledger directory that holds the acknowledged head.
pub const HEAD_FILE: &str = "ledger.head";
/// The temporary file a new acknowledged head is written to before it is renamed over.
const HEAD_TEMP: &str = "ledger.head.tmp";
/// The first word of the file: its format.
const MAGIC: &str = "ledger-head-v1";

/// The path of the acknowledged head's file in a ledger directory.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(HEAD_FILE)
}

/// Reads the acknowledged head, if the file is there.
pub fn read(dir: &Path) -> Result<Option<Head>> {
    let file = path(dir);
    let text = match std::fs::read(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::Io { path: file, source: e }),
    };
    decode(&text).map(Some).ok_or_else(|| Error::Damaged {
        path: dir.to_owned(),
        detail: format!("{} is malformed: it does not hold an acknowledged head", file.display()),
    })
}

/// Records `head` as acknowledged: written whole or not at all, and on disk before returning.
pub fn write(dir: &Path, head: &Head) -> std::io::Result<()> {
    let temp = dir.join(HEAD_TEMP);
    {
        let mut f = OpenOptions::new().write(true).create(true).truncate(true).open(&temp)?;
        f.write_all(encode(head).as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&temp, path(dir))?;
    // The rename is durable once the directory is.
    File::open(dir)?.sync_all()
}

fn encode(h: &Head) -> String {
    format!("{MAGIC} {} {} {}\n", h.seq, h.hash.to_hex(), h.recorded_at.0)
}

fn decode(bytes: &[u8]) -> Option<Head> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut words = text.strip_suffix('\n')?.split(' ');
    if words.next()? != MAGIC {
        return None;
    }
    let seq = words.next()?.parse().ok()?;
    let hash = Hash::from_hex(words.next()?).ok()?;
    let recorded_at = Timestamp(words.next()?.parse().ok()?);
    words.next().is_none().then_some(Head { seq, hash, recorded_at })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let head =
            Head { seq: crate::seq::Seq::new(39), hash: Hash([7; 32]), recorded_at: Timestamp(1_768_467_600_000_001) };
        assert_eq!(decode(encode(&head).as_bytes()), Some(head));
        let text = encode(&head);
        assert_eq!(decode(text.trim_end().as_bytes()), None, "a torn file has no final newline");
        assert_eq!(decode(text.replace(MAGIC, "ledger-head-v9").as_bytes()), None);
        assert_eq!(decode(format!("{} x\n", text.trim_end()).as_bytes()), None);
        assert_eq!(decode(b""), None);
    }
}
