//! Publishing the log as static files in the C2SP tlog-tiles layout ([`crate::tlog`]): a
//! directory that any web server, CDN or object store serves, and that anyone can mirror and
//! re-verify (`ledger mirror`).
//!
//! A run writes the tiles and entry bundles the ledger has gained since the directory's
//! checkpoint, then a new signed checkpoint. It only adds files: a full tile never changes, a
//! partial tile of a width is always the same bytes, and the checkpoint is replaced last, so a
//! reader (or an `rsync` of the directory) sees either the old log or the new one. Every file is
//! written under a temporary name, flushed to disk and then renamed, and the checkpoint only
//! after every tile it needs is durable: a crash leaves the directory's last checkpoint valid.
//!
//! Before anything is written, the directory's checkpoint must be of this ledger (its origin),
//! signed by the key, and a prefix of the ledger (its root is the ledger's tree of that size):
//! a directory holding another log, a fork, or a log ahead of the ledger is refused. After the
//! tiles are written, the root they make is computed from the files and compared with the
//! ledger's, so that a checkpoint is never published for tiles that do not make its root.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::chain::Hash;
use crate::checkpoint::{Checkpoint, KeyKind, NoteSignature, SignerKey};
use crate::error::Error;
use crate::merkle::{self, Leaves, Subtrees};
use crate::progress::Progress;
use crate::seq::Seq;
use crate::tlog::{self, DirSource, TILE_HEIGHT, TILE_WIDTH, Tile, TiledTree};
use crate::tree::StoreTree;
use crate::view::View;

/// The file of the checkpoint, in the directory.
pub const CHECKPOINT_FILE: &str = "checkpoint";

/// What a publishing run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The tree size published.
    pub size: u64,
    /// Its root.
    pub root: Hash,
    /// The size the directory's checkpoint had before, if it had one.
    pub previous: Option<u64>,
    /// Files written (tiles and entry bundles, and the checkpoint).
    pub files: u64,
    /// Bytes written.
    pub bytes: u64,
    /// The checkpoint now in the directory (with any cosignatures it kept).
    pub note: String,
}

/// Why the log could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The ledger could not be read.
    #[error(transparent)]
    Ledger(#[from] Error),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// Another process is publishing into the directory.
    #[error("{dir} is being published by another process")]
    Busy {
        /// The directory.
        dir: PathBuf,
    },
    /// The directory's log is not this ledger's, or not a prefix of it.
    #[error("{what}")]
    NotThisLog {
        /// What was found.
        what: String,
    },
    /// The key is a witness's, not a log's.
    #[error(
        "the key {name} is a witness's cosigner key; a log's checkpoints are signed with a note key (`ledger keygen`)"
    )]
    CosignerKey {
        /// The key's name.
        name: String,
    },
    /// An event too long for an entry bundle (recorded before the ledger limited events to it).
    #[error(
        "event {seq} is {len} bytes as an entry; an entry bundle holds entries of at most {} bytes",
        tlog::MAX_ENTRY_BYTES
    )]
    EntryTooLong {
        /// The event.
        seq: Seq,
        /// Its entry's length.
        len: usize,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PublishError + '_ {
    move |source| PublishError::Io { path: path.to_owned(), source }
}

/// Publishes the ledger at the view's head into `dir` (created if missing), signing its
/// checkpoint with `key`.
pub fn publish(view: &View, dir: &Path, key: &SignerKey, progress: &dyn Progress) -> Result<Published, PublishError> {
    if key.kind() != KeyKind::Note {
        return Err(PublishError::CosignerKey { name: key.name().to_owned() });
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let lock = File::open(dir).map_err(io(dir))?;
    lock.try_lock().map_err(|_| PublishError::Busy { dir: dir.to_owned() })?;
    let ledger = view.ledger();
    let size = view.head().seq.size();
    let (cp, note) = crate::bundle::checkpoint(view, Some(key))?;
    let previous = previous_checkpoint(view, dir, key)?;
    if let Some((old, old_note)) = &previous
        && old.size == size
    {
        // Nothing new: the directory stays as it is, cosignatures and all.
        return Ok(Published {
            size,
            root: old.root,
            previous: Some(size),
            files: 0,
            bytes: 0,
            note: old_note.clone(),
        });
    }
    let from = previous.as_ref().map_or(0, |(old, _)| old.size);
    let mut files = Files::new(dir);
    let mut tree = StoreTree::new(ledger.store());
    write_level_zero(view, &mut files, &mut tree, from, size, progress)?;
    write_upper_levels(&mut files, &mut tree, from, size)?;
    progress.phase("flushing the files", Some(files.pending.len() as u64));
    files.commit(progress)?;
    // The tiles as written must make the root the checkpoint signs.
    let written = merkle::root(&mut TiledTree::new(DirSource::new(dir), size), size)
        .map_err(|e| PublishError::NotThisLog { what: format!("the tiles written do not read back: {e}") })?;
    if written != cp.root {
        return Err(Error::Internal(format!(
            "the tiles written make the root {written}, the ledger's tree of {size} events has {}",
            cp.root
        ))
        .into());
    }
    files.put(CHECKPOINT_FILE, note.as_bytes())?;
    files.commit(&())?;
    Ok(Published {
        size,
        root: cp.root,
        previous: previous.map(|(old, _)| old.size),
        files: files.count,
        bytes: files.bytes,
        note,
    })
}

/// The directory's checkpoint, checked to be a prefix of this ledger signed by `key`.
fn previous_checkpoint(view: &View, dir: &Path, key: &SignerKey) -> Result<Option<(Checkpoint, String)>, PublishError> {
    let path = dir.join(CHECKPOINT_FILE);
    let note = match std::fs::read_to_string(&path) {
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(&path)(e)),
    };
    let shown = path.display();
    let refuse = |what: String| PublishError::NotThisLog { what };
    let (cp, sigs): (Checkpoint, Vec<NoteSignature>) =
        Checkpoint::parse(&note).map_err(|e| refuse(format!("{shown} is not a checkpoint: {e}")))?;
    let ledger = view.ledger();
    let name = ledger.name()?;
    if cp.origin != name {
        return Err(refuse(format!("{shown} is the checkpoint of the log `{}`; this ledger is `{name}`", cp.origin)));
    }
    key.verifier()
        .verify(&cp, &sigs)
        .map_err(|e| refuse(format!("{shown}: {e}: it was published with another key")))?;
    let size = view.head().seq.size();
    if cp.size > size {
        return Err(refuse(format!(
            "{shown} publishes {} events; this ledger holds {size}: the published log is ahead of the ledger (restored from an older copy?)",
            cp.size
        )));
    }
    let root = ledger.tree_root(cp.size)?;
    if root != cp.root {
        return Err(refuse(format!(
            "{shown} publishes the tree of {} events with root {}; this ledger's tree of {} events has root {root}: the directory holds another history (a fork)",
            cp.size, cp.root, cp.size
        )));
    }
    Ok(Some((cp, note)))
}

/// The entry bundles and level-0 tiles from the tile holding event `from` to `size`: each
/// entry's leaf computed from it, and each full tile's root checked against the stored tree.
fn write_level_zero(
    view: &View,
    files: &mut Files,
    tree: &mut StoreTree,
    from: u64,
    size: u64,
    progress: &dyn Progress,
) -> Result<(), PublishError> {
    let start = from / TILE_WIDTH * TILE_WIDTH;
    progress.phase("publishing events", Some(size - start));
    let mut bundle = Vec::new();
    let mut leaves: Vec<Hash> = Vec::with_capacity(TILE_WIDTH as usize);
    let mut index = start / TILE_WIDTH;
    for item in view.ledger().entries(Seq::new(start)).take((size - start) as usize) {
        let (seq, _, entry) = item?;
        tlog::push_entry(&mut bundle, &entry).map_err(|_| PublishError::EntryTooLong { seq, len: entry.len() })?;
        leaves.push(merkle::leaf_hash(&entry));
        if leaves.len() as u64 == TILE_WIDTH {
            let root = Leaves::new(leaves.clone()).level(TILE_HEIGHT)[0];
            let stored = tree.subtree(TILE_HEIGHT, index)?;
            if root != stored {
                return Err(Error::Internal(format!(
                    "the leaves of events {} to {} make {root}; the stored tree has {stored}",
                    index * TILE_WIDTH,
                    seq
                ))
                .into());
            }
            flush_leaf_tile(files, index, &mut bundle, &mut leaves)?;
            progress.advance(TILE_WIDTH);
            index += 1;
        }
    }
    if !leaves.is_empty() {
        progress.advance(leaves.len() as u64);
        flush_leaf_tile(files, index, &mut bundle, &mut leaves)?;
    }
    Ok(())
}

fn flush_leaf_tile(
    files: &mut Files,
    index: u64,
    bundle: &mut Vec<u8>,
    leaves: &mut Vec<Hash>,
) -> Result<(), PublishError> {
    let width = leaves.len() as u64;
    files.put(&Tile::entries(index, width).path(), bundle)?;
    let hashes: Vec<u8> = leaves.iter().flat_map(|h| h.0).collect();
    files.put(&Tile::hashes(0, index, width).path(), &hashes)?;
    bundle.clear();
    leaves.clear();
    Ok(())
}

/// The tiles of levels 1 and up that the events from `from` to `size` change: their hashes are
/// the stored tree's perfect subtrees of 256^level leaves.
fn write_upper_levels(files: &mut Files, tree: &mut StoreTree, from: u64, size: u64) -> Result<(), PublishError> {
    for level in 1.. {
        if tlog::width_in(level, 0, size) == 0 {
            break;
        }
        let shift = level * TILE_HEIGHT;
        let count = size >> shift;
        for index in (from >> shift) / TILE_WIDTH..count.div_ceil(TILE_WIDTH) {
            let width = tlog::width_in(level, index, size);
            let mut bytes = Vec::with_capacity(width as usize * 32);
            for i in 0..width {
                bytes.extend_from_slice(&tree.subtree(shift, index * TILE_WIDTH + i)?.0);
            }
            files.put(&Tile::hashes(level, index, width).path(), &bytes)?;
        }
    }
    Ok(())
}

/// Files being written into the directory: each under a temporary name until [`Files::commit`]
/// flushes them all and renames them into place.
struct Files {
    root: PathBuf,
    /// (temporary, final) paths written and not yet committed.
    pending: Vec<(PathBuf, PathBuf)>,
    count: u64,
    bytes: u64,
}

/// How many files are flushed at once: one at a time, each fsync waits for the disk; many at a
/// time, the file system commits them together (on this machine kind, 2.9 ms a file one by one,
/// 0.07 ms a file 16 at a time).
const FLUSHERS: usize = 16;

impl Files {
    fn new(root: &Path) -> Files {
        Files { root: root.to_owned(), pending: Vec::new(), count: 0, bytes: 0 }
    }

    /// Writes `bytes` as `rel` (under a temporary name), unless the file is there with them.
    fn put(&mut self, rel: &str, bytes: &[u8]) -> Result<(), PublishError> {
        let path = self.root.join(rel);
        if std::fs::read(&path).is_ok_and(|existing| existing == bytes) {
            return Ok(());
        }
        let parent = path.parent().unwrap_or(&self.root).to_owned();
        std::fs::create_dir_all(&parent).map_err(io(&parent))?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = parent.join(format!("{name}.tmp"));
        let mut f = File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(bytes).map_err(io(&tmp))?;
        self.pending.push((tmp, path));
        self.count += 1;
        self.bytes += bytes.len() as u64;
        Ok(())
    }

    /// Flushes every pending file to disk (many at once), renames each into place, and flushes
    /// the directories that name them.
    fn commit(&mut self, progress: &dyn Progress) -> Result<(), PublishError> {
        let pending = std::mem::take(&mut self.pending);
        in_parallel(&pending, |(tmp, _)| {
            let r = File::open(tmp).and_then(|f| f.sync_all()).map_err(io(tmp));
            progress.advance(1);
            r
        })?;
        let mut dirs = BTreeSet::new();
        for (tmp, path) in &pending {
            std::fs::rename(tmp, path).map_err(io(path))?;
            let mut dir = path.parent();
            // The new directories' own entries too, up to the root.
            while let Some(d) = dir {
                if !dirs.insert(d.to_owned()) || d == self.root {
                    break;
                }
                dir = d.parent();
            }
        }
        dirs.insert(self.root.clone());
        let dirs: Vec<PathBuf> = dirs.into_iter().collect();
        in_parallel(&dirs, |d| File::open(d).and_then(|f| f.sync_all()).map_err(io(d)))
    }
}

/// Runs `f` over `items` on [`FLUSHERS`] threads; the first error.
fn in_parallel<T: Sync>(items: &[T], f: impl Fn(&T) -> Result<(), PublishError> + Sync) -> Result<(), PublishError> {
    if items.is_empty() {
        return Ok(());
    }
    let per = items.len().div_ceil(FLUSHERS);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items.chunks(per).map(|chunk| scope.spawn(|| chunk.iter().try_for_each(&f))).collect();
        for h in handles {
            h.join().map_err(|_| Error::Internal("a flushing thread failed".into()))??;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{Numbered, parse_value};
    use crate::ledger::Ledger;
    use crate::time::FixedClock;

    fn designations(from: usize, n: usize) -> Vec<Numbered<crate::event::InputEvent>> {
        (from..from + n)
            .map(|i| {
                let v = serde_json::json!({"type": "designation", "authority": "UK", "id": format!("T{i:06}"),
                    "effective": "2025-01-01", "regime": {"code": "GIM"},
                    "subject": {"kind": "entity", "names": [{"name": format!("NAME {i}"), "type": "primary"}]}});
                Numbered { line: i + 1, event: parse_value(i + 1, v).unwrap() }
            })
            .collect()
    }

    #[test]
    fn publishing_adds_tiles_and_a_checkpoint_that_a_tiled_reader_checks() {
        let dir = tempfile::tempdir().unwrap();
        let clock = FixedClock::new(1_750_000_000_000_000);
        let ledger = Ledger::init(&dir.path().join("l.sled"), "example.org/log", "tester", &clock).unwrap();
        let key = SignerKey::from_seed("example.org/log", [3; 32]);
        let out = dir.path().join("log");
        let mut sizes = Vec::new();
        for n in [299, 1, 212, 300] {
            let from = ledger.head().unwrap().seq.size() as usize;
            ledger.append(&designations(from, n), "tester", &clock).unwrap();
            let view = View::now(&ledger).unwrap();
            let p = publish(&view, &out, &key, &()).unwrap();
            let size = view.head().seq.size();
            assert_eq!((p.size, p.root), (size, ledger.tree_root(size).unwrap()));
            assert_eq!(p.previous, sizes.last().copied());
            sizes.push(size);
            let (cp, sigs) = Checkpoint::parse(&std::fs::read_to_string(out.join("checkpoint")).unwrap()).unwrap();
            key.verifier().verify(&cp, &sigs).unwrap();
            assert_eq!((cp.size, cp.root), (size, p.root));
            // Every tile the tree needs is there, and proofs from the files hold.
            let mut tiled = TiledTree::new(DirSource::new(&out), size);
            for old in &sizes {
                let proof = merkle::consistency_path(&mut tiled, *old, size).unwrap();
                assert!(merkle::verify_consistency(*old, size, &ledger.tree_root(*old).unwrap(), &p.root, &proof));
            }
            for t in tlog::tiles_of(size) {
                assert!(out.join(t.path()).is_file(), "{} of {size}", t.path());
            }
            // Each entry bundle holds the events as their bundle lines.
            let last = tlog::tiles_of(size).filter(|t| t.level.is_none()).last().unwrap();
            let bytes = std::fs::read(out.join(last.path())).unwrap();
            let entries = tlog::read_entries(&bytes, last.width).unwrap();
            let seq = last.index * TILE_WIDTH;
            assert_eq!(entries[0], &ledger.entry(Seq::new(seq)).unwrap().unwrap().1[..]);
        }
        // No temporary files are left, and a run with nothing new writes nothing.
        let p = publish(&View::now(&ledger).unwrap(), &out, &key, &()).unwrap();
        assert_eq!((p.files, p.previous), (0, Some(813)));
        let tmp = walk(&out).into_iter().filter(|p| p.extension().is_some_and(|e| e == "tmp")).count();
        assert_eq!(tmp, 0);
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
        out
    }

    #[test]
    fn another_log_a_fork_another_key_and_a_log_ahead_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let clock = FixedClock::new(1_750_000_000_000_000);
        let a = Ledger::init(&dir.path().join("a.sled"), "example.org/log", "tester", &clock).unwrap();
        let b = Ledger::init(&dir.path().join("b.sled"), "example.org/log", "tester", &clock).unwrap();
        let other = Ledger::init(&dir.path().join("o.sled"), "example.org/other", "tester", &clock).unwrap();
        let key = SignerKey::from_seed("example.org/log", [3; 32]);
        a.append(&designations(0, 10), "tester", &clock).unwrap();
        b.append(&designations(100, 10), "tester", &clock).unwrap();
        let out = dir.path().join("log");
        publish(&View::now(&a).unwrap(), &out, &key, &()).unwrap();
        let refused = |ledger: &Ledger, key: &SignerKey| match publish(&View::now(ledger).unwrap(), &out, key, &()) {
            Err(PublishError::NotThisLog { what }) => what,
            other => panic!("not refused: {other:?}"),
        };
        assert!(refused(&b, &key).contains("another history (a fork)"));
        assert!(
            refused(&other, &SignerKey::from_seed("example.org/other", [3; 32]))
                .contains("of the log `example.org/log`")
        );
        assert!(refused(&a, &SignerKey::from_seed("example.org/log", [4; 32])).contains("another key"));
        let short = Ledger::init(&dir.path().join("s.sled"), "example.org/log", "tester", &clock).unwrap();
        assert!(refused(&short, &key).contains("ahead of the ledger"));
        let witness = SignerKey::of_kind("w", [1; 32], KeyKind::Cosigner);
        assert!(matches!(publish(&View::now(&a).unwrap(), &out, &witness, &()), Err(PublishError::CosignerKey { .. })));
    }
}
