//! The sled store: the only module that touches sled.
//!
//! # Layout
//! One sled tree, several keyspaces, so that an append is one atomic `apply_batch`:
//!
//! | key | value |
//! |---|---|
//! | `m/layout` | the store layout version ([`LAYOUT`], u32 BE) |
//! | `m/head` | seq (u64 BE) · hash (32 bytes) · recorded_at (i64 BE, µs) |
//! | `m/name` | the ledger's name (UTF-8) |
//! | `e/` · block (u64 BE) | events `64·block .. 64·block+63`, each `len (u32 LE) · hash (32) · canonical bytes`, LZ4-compressed (see [`pack_block`]) |
//! | `t/` · level (u8) · index (u64 BE) | the hash of the perfect Merkle subtree of leaves `index·2^level ..`, for levels ≥ 6 |
//! | `m/import/` · `AUTHORITY` | the last imported list's report date (`YYYY-MM-DD`) |
//! | `k/` · `AUTHORITY/ID` | the key's regime code and kind, then its events, about 15 bytes each (see [`encode_entries`]) |
//! | `r/` · `AUTHORITY/ID` | the key's current record, canonical JSON (absent while no designation counts) |
//!
//! Events are packed [`BLOCK_EVENTS`] to a sled value because sled's cost is per key written: a
//! batch of 10k events writes about 160 block values, not 10k. Blocks are compressed: the events
//! of a block share most of their member names and many values. The `k/` index holds, per
//! designation, what the lifecycle rules and point-in-time projections need without reading
//! events: seq, legal effect, recorded_at, act and retraction. The records are kept apart from it
//! so that counting and the lifecycle checks read only the small entries.
//!
//! A process takes `ledger.lock` in the ledger directory (an OS file lock) before opening sled, so
//! that a second process gets a clear [`Error::Locked`] instead of sled's own lock error.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::acknowledged;
use crate::chain::Hash;
use crate::error::{Error, Result};
use crate::event::Key;
use crate::event::SubjectKind;
use crate::lifecycle::{Act, KeyEntry, KeyIndex};
use crate::time::{Date, Timestamp};

/// Events per block value.
pub const BLOCK_EVENTS: u64 = 64;
/// The key of the head record.
pub const HEAD_KEY: &[u8] = b"m/head";
/// The key of the ledger's name.
pub const NAME_KEY: &[u8] = b"m/name";
/// The prefix of event blocks.
pub const BLOCK_PREFIX: &[u8] = b"e/";
/// The prefix of the per-key index.
pub const KEY_PREFIX: &[u8] = b"k/";
/// The prefix of the per-key current records.
pub const RECORD_PREFIX: &[u8] = b"r/";
/// The key of the store layout version.
pub const LAYOUT_KEY: &[u8] = b"m/layout";
/// The store layout this build reads and writes. Layout 1 (uncompressed blocks, records inside
/// the index) was written by earlier development builds.
pub const LAYOUT: u32 = 2;
/// The largest block a store holds once decompressed: 64 recorded events of the largest size,
/// with their framing. A commit never writes a larger one; a damaged length beyond it is refused
/// before anything is allocated.
pub const MAX_BLOCK_BYTES: usize = (BLOCK_EVENTS as usize) * (crate::validate::limits::MAX_RECORDED_EVENT_BYTES + 36);
/// The prefix of Merkle tree nodes (perfect subtrees of 64 leaves and more).
pub const TREE_PREFIX: &[u8] = b"t/";
/// The lowest tree level the store keeps: subtrees of one block's 64 events. Smaller subtrees are
/// computed from the event hashes in a block.
pub const TREE_STORED_LEVEL: u32 = 6;
/// The prefix of the last import of each authority's list.
pub const IMPORT_PREFIX: &[u8] = b"m/import/";
/// The lock file in the ledger directory.
pub const LOCK_FILE: &str = "ledger.lock";

pub use crate::chain::Head;

/// Everything one append writes, applied atomically.
#[derive(Debug, Default)]
pub struct Commit {
    /// Whole block values to write (a partly filled last block is rewritten whole).
    pub blocks: Vec<(u64, Vec<u8>)>,
    /// Index values to write, per key (their `record` is not written: see `records`).
    pub keys: Vec<(Key, KeyIndex)>,
    /// Records to write (`None`: to remove), per key whose record changed.
    pub records: Vec<(Key, Option<Vec<u8>>)>,
    /// The new head.
    pub head: Option<Head>,
    /// The ledger's name (written once, by `init`).
    pub name: Option<String>,
    /// The report date of an imported list, per authority.
    pub import: Option<(String, Date)>,
    /// Merkle subtrees completed by the batch: (level, index, hash).
    pub nodes: Vec<(u32, u64, Hash)>,
}

/// How long a commit may take to reach the disk before the store is given up as stuck.
///
/// sled 0.34 waits forever when its writer threads fail (for one, on a full disk); a commit that
/// has not finished by then is reported as an I/O error instead of hanging the process.
pub const COMMIT_DEADLINE: Duration = Duration::from_secs(300);

/// Free space a commit must leave, beyond twice the bytes it writes (sled's log and compaction).
const SPACE_MARGIN: u64 = 1 << 20;

/// An open store, holding the process lock until dropped.
pub struct Store {
    /// Always `Some` until the store is dropped.
    db: Option<sled::Db>,
    path: PathBuf,
    /// Set when a commit missed its deadline: sled's threads are stuck, and dropping the database
    /// (which flushes) would hang too, so it is leaked and the process left to end.
    stuck: std::sync::atomic::AtomicBool,
    _lock: File,
}

impl Drop for Store {
    fn drop(&mut self) {
        if self.stuck.load(std::sync::atomic::Ordering::Relaxed) {
            std::mem::forget(self.db.take());
        }
    }
}

impl Store {
    /// Creates a new store at `path`. Fails with [`Error::Exists`] if a ledger is there.
    pub fn create(path: &Path, wait: Duration) -> Result<Store> {
        std::fs::create_dir_all(path).map_err(|e| io(path, e))?;
        let lock = lock(path, wait)?;
        let store = Store::open_locked(path, lock)?;
        if store.head()?.is_some() {
            return Err(Error::Exists { path: path.to_owned() });
        }
        if let Some(acked) = acknowledged::read(path)? {
            return Err(store.damaged(&format!(
                "sled's files hold no events, but event {} ({}) was acknowledged as written here",
                acked.seq, acked.hash
            )));
        }
        Ok(store)
    }

    /// Opens the ledger at `path`. Fails with [`Error::NoLedger`] if there is none; creates nothing.
    pub fn open(path: &Path, wait: Duration) -> Result<Store> {
        Store::open_with(path, wait, true)
    }

    /// Opens the ledger at `path` for verification: without the check that the log reaches its
    /// head, which verification makes itself, naming the first bad event.
    pub fn open_for_verify(path: &Path, wait: Duration) -> Result<Store> {
        Store::open_with(path, wait, false)
    }

    fn open_with(path: &Path, wait: Duration, check_tail: bool) -> Result<Store> {
        let no_ledger = |reason: &str| Error::NoLedger { path: path.to_owned(), reason: reason.to_owned() };
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(no_ledger("the path does not exist")),
            Err(e) => return Err(io(path, e)),
            Ok(m) if !m.is_dir() => return Err(no_ledger("the path is not a directory")),
            Ok(_) => {}
        }
        if !path.join("db").is_file() {
            if path.join("conf").is_file() || crate::acknowledged::path(path).is_file() {
                return Err(Error::Damaged { path: path.to_owned(), detail: "sled's `db` file is missing".into() });
            }
            return Err(no_ledger("the directory holds no ledger store"));
        }
        let lock = lock(path, wait)?;
        let store = Store::open_locked(path, lock)?;
        let Some(head) = store.head()? else {
            // sled's files are there but the genesis event is not: an init interrupted before its
            // one atomic write, or damage sled recovered from by dropping data.
            return Err(store.damaged(
                "its files hold no genesis event (an interrupted init, or damage); restore it from an export",
            ));
        };
        store.check_layout()?;
        store.check_acknowledged(&head)?;
        if check_tail {
            store.check_tail(&head)?;
        }
        Ok(store)
    }

    /// A cheap check that the log reaches the head: the head's block holds exactly the events up
    /// to the head, the last of them with the head's hash. Damage that cut the log short is then
    /// reported by every command, not only by `verify`.
    fn check_tail(&self, head: &Head) -> Result<()> {
        let n = head.seq / BLOCK_EVENTS;
        let block =
            self.block(n)?.ok_or_else(|| self.damaged(&format!("block {n}, which holds the head, is missing")))?;
        let events = decode_block(&block).ok_or_else(|| self.damaged(&format!("block {n} is malformed")))?;
        let expected = (head.seq % BLOCK_EVENTS + 1) as usize;
        match events.last() {
            Some((hash, _)) if events.len() == expected && *hash == head.hash => Ok(()),
            _ => Err(self.damaged(&format!(
                "the log does not reach its head (event {}): block {n} holds {} events where {expected} belong, or ends with another event",
                head.seq,
                events.len()
            ))),
        }
    }

    /// Checks the store's head against the head the ledger last acknowledged (see
    /// [`acknowledged`]): the store may be ahead of it (a batch flushed by a process that died
    /// before acknowledging it), never behind it or holding another event at its seq.
    fn check_acknowledged(&self, head: &Head) -> Result<()> {
        let Some(acked) = acknowledged::read(&self.path)? else {
            // A store written before the acknowledged head was kept, or whose file was removed:
            // from now on, what it holds is what was acknowledged.
            return acknowledged::write(&self.path, head).map_err(|e| io(&acknowledged::path(&self.path), e));
        };
        let lost = |what: String, why: &str| {
            self.damaged(&format!(
                "{what}; event {} ({}) was acknowledged as written at {}, and the store's head is event {} ({}). {why}",
                acked.seq, acked.hash, acked.recorded_at, head.seq, head.hash
            ))
        };
        const MISSING: &str = "Acknowledged events are missing: sled's recovery discards a damaged end of its log";
        const REWRITTEN: &str = "The store's events are not those the ledger acknowledged";
        if head.seq < acked.seq {
            return Err(lost(format!("the store ends at event {}", head.seq), MISSING));
        }
        if head.seq == acked.seq {
            return if head.hash == acked.hash {
                Ok(())
            } else {
                Err(lost(format!("the store holds another event at seq {}", head.seq), REWRITTEN))
            };
        }
        let n = acked.seq / BLOCK_EVENTS;
        let block = self.block(n)?.ok_or_else(|| lost(format!("block {n} is missing"), MISSING))?;
        let events = decode_block(&block).ok_or_else(|| self.damaged(&format!("block {n} is malformed")))?;
        match events.get((acked.seq % BLOCK_EVENTS) as usize) {
            Some((hash, _)) if *hash == acked.hash => Ok(()),
            _ => Err(lost(format!("the store holds another event at seq {}", acked.seq), REWRITTEN)),
        }
    }

    fn check_layout(&self) -> Result<()> {
        let found = match self.db().get(LAYOUT_KEY).map_err(|e| self.err(e))? {
            None => 1,
            Some(v) => match <[u8; 4]>::try_from(v.as_ref()) {
                Ok(b) => u32::from_be_bytes(b),
                Err(_) => return Err(self.damaged("the layout record is malformed")),
            },
        };
        if found == LAYOUT {
            return Ok(());
        }
        Err(Error::NoLedger {
            path: self.path.clone(),
            reason: format!(
                "the store is in layout {found}, and this version reads layout {LAYOUT}; export it with the version that wrote it (`ledger export`) and restore the bundle with this one (`ledger import-bundle`)"
            ),
        })
    }

    fn open_locked(path: &Path, lock: File) -> Result<Store> {
        // A snapshot sled was writing when its process died is left as `snap.*.generating`; sled
        // would read it as damage. It is never complete, and the lock says no one is writing it.
        if let Ok(dir) = std::fs::read_dir(path) {
            for entry in dir.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with("snap.") && name.ends_with(".generating") {
                    std::fs::remove_file(entry.path()).map_err(|e| io(&entry.path(), e))?;
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
        Ok(Store { db: Some(db), path: path.to_owned(), stuck: std::sync::atomic::AtomicBool::new(false), _lock: lock })
    }

    fn db(&self) -> &sled::Db {
        // Only `drop` takes the database out.
        self.db.as_ref().unwrap_or_else(|| unreachable!("the store's database is present until it is dropped"))
    }

    /// The ledger directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The head record, if the ledger has been initialised.
    pub fn head(&self) -> Result<Option<Head>> {
        let Some(v) = self.db().get(HEAD_KEY).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        decode_head(&v).map(Some).ok_or_else(|| self.damaged("the head record is malformed"))
    }

    /// The ledger's name.
    pub fn name(&self) -> Result<String> {
        let v = self.db().get(NAME_KEY).map_err(|e| self.err(e))?;
        let v = v.ok_or_else(|| self.damaged("the ledger's name is missing"))?;
        String::from_utf8(v.to_vec()).map_err(|_| self.damaged("the ledger's name is not UTF-8"))
    }

    /// The events of block `n`, decompressed: see [`decode_block`] and [`block_event`].
    pub fn block(&self, n: u64) -> Result<Option<Vec<u8>>> {
        let v = self.db().get(block_key(n)).map_err(|e| self.err(e))?;
        v.map(|v| unpack_block(&v).ok_or_else(|| self.damaged(&format!("block {n} does not decompress")))).transpose()
    }

    /// Every block from block `from` on, in order, as stored (compressed): for readers that
    /// decompress on several cores.
    pub fn packed_blocks(&self, from: u64) -> impl Iterator<Item = Result<(u64, PackedBlock)>> + '_ {
        self.db().range(block_key(from)..block_key(u64::MAX)).map(move |r| {
            let (k, v) = r.map_err(|e| self.err(e))?;
            let n = k
                .get(BLOCK_PREFIX.len()..)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| self.damaged("a block key is malformed"))?;
            Ok((n, PackedBlock(v)))
        })
    }

    /// Every block from block `from` on, in order: (block number, its events decompressed).
    pub fn blocks(&self, from: u64) -> impl Iterator<Item = Result<(u64, Vec<u8>)>> + '_ {
        self.packed_blocks(from).map(move |r| {
            let (n, packed) = r?;
            let mut events = Vec::new();
            if !packed.unpack_into(&mut events) {
                return Err(self.damaged(&format!("block {n} does not decompress")));
            }
            Ok((n, events))
        })
    }

    /// The index of one key, with its record (`None` if the key has no events).
    pub fn key_index(&self, key: &Key) -> Result<Option<KeyIndex>> {
        let Some(v) = self.db().get(index_key(key)).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        let mut index = decode_index(&v).ok_or_else(|| self.damaged(&format!("the index of {key} is malformed")))?;
        index.record = self.record(key)?;
        Ok(Some(index))
    }

    /// The current record of one key (canonical JSON), if it has one.
    pub fn record(&self, key: &Key) -> Result<Option<Vec<u8>>> {
        Ok(self.db().get(record_key(key)).map_err(|e| self.err(e))?.map(|r| r.to_vec()))
    }

    /// Every key in the index, in key order, without records (`record` is `None`): what counting
    /// and the lifecycle need.
    pub fn all_entries(&self) -> impl Iterator<Item = Result<(Key, KeyIndex)>> + '_ {
        self.entries_in(&KeyRange::ALL)
    }

    /// The keys of one range of the index, in key order, without records.
    pub fn entries_in(&self, range: &KeyRange) -> impl Iterator<Item = Result<(Key, KeyIndex)>> + '_ {
        self.db().range(range.bounds(KEY_PREFIX)).map(move |r| {
            let (k, v) = r.map_err(|e| self.err(e))?;
            let key = self.key_of(&k, KEY_PREFIX)?;
            let index = decode_index(&v).ok_or_else(|| self.damaged(&format!("the index of {key} is malformed")))?;
            Ok((key, index))
        })
    }

    /// Every key in the index, in key order, with its record.
    pub fn all_keys(&self) -> impl Iterator<Item = Result<(Key, KeyIndex)>> + '_ {
        self.keys_in(&KeyRange::ALL)
    }

    /// The keys of one range of the index, in key order, with their records: the index and the
    /// records are read side by side, both being in key order.
    pub fn keys_in(&self, range: &KeyRange) -> impl Iterator<Item = Result<(Key, KeyIndex)>> + '_ {
        let mut records = self.db().range(range.bounds(RECORD_PREFIX)).peekable();
        self.db().range(range.bounds(KEY_PREFIX)).map(move |r| {
            let (k, v) = r.map_err(|e| self.err(e))?;
            let key = self.key_of(&k, KEY_PREFIX)?;
            let mut index =
                decode_index(&v).ok_or_else(|| self.damaged(&format!("the index of {key} is malformed")))?;
            let name = &k[KEY_PREFIX.len()..];
            match records.peek() {
                Some(Ok((rk, _))) if &rk[RECORD_PREFIX.len()..] < name => {
                    let orphan = String::from_utf8_lossy(&rk[RECORD_PREFIX.len()..]).into_owned();
                    return Err(self.damaged(&format!("a record is stored for {orphan}, which the index lacks")));
                }
                Some(Ok((rk, _))) if &rk[RECORD_PREFIX.len()..] == name => {
                    if let Some(Ok((_, rv))) = records.next() {
                        index.record = Some(rv.to_vec());
                    }
                }
                Some(Err(_)) => {
                    if let Some(Err(e)) = records.next() {
                        return Err(self.err(e));
                    }
                }
                _ => {}
            }
            Ok((key, index))
        })
    }

    /// Splits the index into at most `parts` ranges of about as many keys each, to be read on
    /// several cores. The split points are taken between the first and the last key as numbers,
    /// which divides keys of one authority and one id pattern (the usual ledger) about evenly.
    pub fn key_ranges(&self, parts: usize) -> Result<Vec<KeyRange>> {
        let first = self.db().scan_prefix(KEY_PREFIX).keys().next().transpose().map_err(|e| self.err(e))?;
        let last = self.db().scan_prefix(KEY_PREFIX).keys().next_back().transpose().map_err(|e| self.err(e))?;
        let (Some(first), Some(last)) = (first, last) else { return Ok(vec![KeyRange::ALL]) };
        let (first, last) = (&first[KEY_PREFIX.len()..], &last[KEY_PREFIX.len()..]);
        let common = first.iter().zip(last).take_while(|(a, b)| a == b).count();
        let number = |b: &[u8]| {
            let mut n = [0u8; 8];
            for (i, x) in b.iter().skip(common).take(8).enumerate() {
                n[i] = *x;
            }
            u64::from_be_bytes(n)
        };
        let (lo, hi) = (number(first), number(last));
        let mut points: Vec<Vec<u8>> = Vec::new();
        for i in 1..parts.max(1) as u64 {
            let n = lo + ((hi - lo) as u128 * i as u128 / parts as u128) as u64;
            let mut point = first[..common].to_vec();
            point.extend_from_slice(&n.to_be_bytes());
            while point.len() > common + 1 && point.last() == Some(&0) {
                point.pop();
            }
            if points.last().is_none_or(|p| *p < point) && point.as_slice() > first {
                points.push(point);
            }
        }
        let mut ranges = Vec::with_capacity(points.len() + 1);
        let mut from = None;
        for p in points {
            ranges.push(KeyRange { from: from.take(), to: Some(p.clone()) });
            from = Some(p);
        }
        ranges.push(KeyRange { from, to: None });
        Ok(ranges)
    }

    /// How many records the store holds.
    pub fn record_count(&self) -> Result<usize> {
        let mut n = 0;
        for r in self.db().scan_prefix(RECORD_PREFIX).keys() {
            r.map_err(|e| self.err(e))?;
            n += 1;
        }
        Ok(n)
    }

    fn key_of(&self, k: &[u8], prefix: &[u8]) -> Result<Key> {
        let text = std::str::from_utf8(&k[prefix.len()..]).ok();
        text.and_then(|t| Key::parse(t).ok()).ok_or_else(|| self.damaged("an index key is malformed"))
    }

    /// Applies a commit atomically and flushes it to disk before returning. Refused up front when
    /// the disk has not room for it (sled hangs on a full disk rather than failing).
    pub fn commit(&self, c: Commit) -> Result<()> {
        let mut batch = sled::Batch::default();
        let mut bytes = 0u64;
        let mut put = |batch: &mut sled::Batch, k: Vec<u8>, v: Vec<u8>| {
            bytes += (k.len() + v.len()) as u64;
            batch.insert(k, v);
        };
        for (n, events) in c.blocks {
            if events.len() > MAX_BLOCK_BYTES {
                // The input limits keep every event far below this; a larger block could not be
                // read back.
                return Err(Error::Internal(format!(
                    "block {n} would hold {} bytes, beyond the {MAX_BLOCK_BYTES} a store can read back; nothing was written",
                    events.len()
                )));
            }
            put(&mut batch, block_key(n), pack_block(&events));
        }
        for (key, index) in c.keys {
            put(&mut batch, index_key(&key), encode_index(&index));
        }
        for (key, record) in c.records {
            match record {
                Some(record) => put(&mut batch, record_key(&key), record),
                None => batch.remove(record_key(&key)),
            }
        }
        if c.name.is_some() {
            put(&mut batch, LAYOUT_KEY.to_vec(), LAYOUT.to_be_bytes().to_vec());
        }
        for (level, index, hash) in c.nodes {
            put(&mut batch, tree_key(level, index), hash.0.to_vec());
        }
        if let Some((authority, date)) = c.import {
            put(&mut batch, [IMPORT_PREFIX, authority.as_bytes()].concat(), date.to_string().into_bytes());
        }
        if let Some(name) = c.name {
            put(&mut batch, NAME_KEY.to_vec(), name.into_bytes());
        }
        if let Some(head) = c.head {
            put(&mut batch, HEAD_KEY.to_vec(), encode_head(&head).to_vec());
        }
        let needed = bytes.saturating_mul(2).saturating_add(SPACE_MARGIN);
        if let Ok(free) = fs2::available_space(&self.path)
            && free < needed
        {
            return Err(Error::Io {
                path: self.path.clone(),
                source: std::io::Error::new(
                    std::io::ErrorKind::StorageFull,
                    format!(
                        "not enough free space to write {bytes} bytes safely ({free} bytes free, {needed} needed); nothing was written"
                    ),
                ),
            });
        }
        self.db().apply_batch(batch).map_err(|e| self.err(e))?;
        self.flush()?;
        let Some(head) = c.head else { return Ok(()) };
        // Durable now: acknowledge it where sled's recovery cannot take it back.
        acknowledged::write(&self.path, &head).map_err(|e| Error::Unacknowledged {
            seq: head.seq,
            hash: head.hash,
            detail: format!("recording it in {} failed: {e}", acknowledged::path(&self.path).display()),
        })
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
                self.stuck.store(true, std::sync::atomic::Ordering::Relaxed);
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

    /// A stored Merkle subtree (levels ≥ [`TREE_STORED_LEVEL`]).
    pub fn tree_node(&self, level: u32, index: u64) -> Result<Option<Hash>> {
        let v = self.db().get(tree_key(level, index)).map_err(|e| self.err(e))?;
        match v {
            None => Ok(None),
            Some(v) => v
                .as_ref()
                .try_into()
                .map(|b| Some(Hash(b)))
                .map_err(|_| self.damaged(&format!("tree node {level}/{index} is malformed"))),
        }
    }

    /// Every stored Merkle subtree: (level, index, hash), in key order.
    pub fn tree_nodes(&self) -> impl Iterator<Item = Result<(u32, u64, Hash)>> + '_ {
        self.db().scan_prefix(TREE_PREFIX).map(move |r| {
            let (k, v) = r.map_err(|e| self.err(e))?;
            let parsed = (|| {
                let level = *k.get(TREE_PREFIX.len())? as u32;
                let index = u64::from_be_bytes(k.get(TREE_PREFIX.len() + 1..)?.try_into().ok()?);
                let hash = Hash(v.as_ref().try_into().ok()?);
                Some((level, index, hash))
            })();
            parsed.ok_or_else(|| self.damaged("a tree node is malformed"))
        })
    }

    /// The report date of the last list imported for `authority`.
    pub fn last_import(&self, authority: &str) -> Result<Option<Date>> {
        let Some(v) = self.db().get([IMPORT_PREFIX, authority.as_bytes()].concat()).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        let text = std::str::from_utf8(&v).map_err(|_| self.damaged("an import mark is not UTF-8"))?;
        Date::parse(text).map(Some).map_err(|e| self.damaged(&format!("an import mark is malformed: {e}")))
    }

    /// Bytes of every key and value the store holds: the ledger's own data, before the space
    /// sled's log takes for it (old versions of rewritten values until sled reclaims them).
    pub fn live_bytes(&self) -> Result<u64> {
        let mut n = 0u64;
        for r in self.db().iter() {
            let (k, v) = r.map_err(|e| self.err(e))?;
            n += (k.len() + v.len()) as u64;
        }
        Ok(n)
    }

    /// Bytes the store occupies on disk.
    pub fn size_on_disk(&self) -> Result<u64> {
        self.db().size_on_disk().map_err(|e| self.err(e))
    }

    fn err(&self, e: sled::Error) -> Error {
        sled_error(&self.path, e)
    }

    fn damaged(&self, detail: &str) -> Error {
        Error::Damaged { path: self.path.clone(), detail: detail.to_owned() }
    }
}

/// A range of designation keys (`AUTHORITY/ID` bytes): from `from` (inclusive; `None`: the
/// first) to `to` (exclusive; `None`: past the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRange {
    /// The first key of the range, or from the start.
    pub from: Option<Vec<u8>>,
    /// The key after the range, or to the end.
    pub to: Option<Vec<u8>>,
}

impl KeyRange {
    /// Every key.
    pub const ALL: KeyRange = KeyRange { from: None, to: None };

    fn bounds(&self, prefix: &[u8]) -> (std::ops::Bound<Vec<u8>>, std::ops::Bound<Vec<u8>>) {
        use std::ops::Bound;
        let start = Bound::Included([prefix, self.from.as_deref().unwrap_or_default()].concat());
        let end = match &self.to {
            Some(to) => Bound::Excluded([prefix, to].concat()),
            // The prefixes end in `/`; the byte after it bounds the whole keyspace.
            None => Bound::Excluded([&prefix[..prefix.len() - 1], &[prefix[prefix.len() - 1] + 1]].concat()),
        };
        (start, end)
    }
}

/// Takes the ledger's lock file, retrying with backoff for up to `wait`.
fn lock(path: &Path, wait: Duration) -> Result<File> {
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
        io(&lock_path, source)
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
            Err(TryLockError::Error(e)) => return Err(io(&lock_path, e)),
        }
    }
}

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io { path: path.to_owned(), source }
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
        sled::Error::Io(source) => io(path, source),
        sled::Error::Corruption { .. } => Error::Damaged { path: path.to_owned(), detail: e.to_string() },
        // sled says `Unsupported` when its `conf` file does not read as its own configuration, and
        // a `ReportableBug` where its files contradict themselves: both are what damage looks like.
        sled::Error::Unsupported(what) | sled::Error::ReportableBug(what) => {
            Error::Damaged { path: path.to_owned(), detail: format!("sled could not read its files ({what})") }
        }
        other => Error::Internal(format!("sled: {other}")),
    }
}

/// The sled key of block `n`.
pub fn block_key(n: u64) -> Vec<u8> {
    let mut k = BLOCK_PREFIX.to_vec();
    k.extend_from_slice(&n.to_be_bytes());
    k
}

/// The sled key of a Merkle subtree.
pub fn tree_key(level: u32, index: u64) -> Vec<u8> {
    let mut k = TREE_PREFIX.to_vec();
    k.push(level as u8);
    k.extend_from_slice(&index.to_be_bytes());
    k
}

/// The sled key of a designation's current record.
pub fn record_key(key: &Key) -> Vec<u8> {
    let mut k = RECORD_PREFIX.to_vec();
    k.extend_from_slice(key.to_string().as_bytes());
    k
}

/// The sled key of a designation's index entry.
pub fn index_key(key: &Key) -> Vec<u8> {
    let mut k = KEY_PREFIX.to_vec();
    k.extend_from_slice(key.to_string().as_bytes());
    k
}

fn encode_head(h: &Head) -> [u8; 48] {
    let mut out = [0u8; 48];
    out[..8].copy_from_slice(&h.seq.to_be_bytes());
    out[8..40].copy_from_slice(&h.hash.0);
    out[40..].copy_from_slice(&h.recorded_at.0.to_be_bytes());
    out
}

fn decode_head(v: &[u8]) -> Option<Head> {
    if v.len() != 48 {
        return None;
    }
    Some(Head {
        seq: u64::from_be_bytes(v[..8].try_into().ok()?),
        hash: Hash(v[8..40].try_into().ok()?),
        recorded_at: Timestamp(i64::from_be_bytes(v[40..].try_into().ok()?)),
    })
}

/// Appends one event to a block value.
pub fn push_event(block: &mut Vec<u8>, hash: &Hash, canonical: &[u8]) {
    block.extend_from_slice(&(canonical.len() as u32).to_le_bytes());
    block.extend_from_slice(&hash.0);
    block.extend_from_slice(canonical);
}

/// The stored form of a block's events: a codec byte (1: LZ4), the events' length (u32 LE), and
/// the LZ4 block-format compression of the events.
pub fn pack_block(events: &[u8]) -> Vec<u8> {
    let compressed = lz4_flex::block::compress(events);
    let mut out = Vec::with_capacity(5 + compressed.len());
    out.push(1);
    out.extend_from_slice(&(events.len() as u32).to_le_bytes());
    out.extend_from_slice(&compressed);
    out
}

/// The events of a stored block; `None` if it does not decompress to its stated length.
pub fn unpack_block(value: &[u8]) -> Option<Vec<u8>> {
    let mut events = Vec::new();
    unpack_block_into(value, &mut events).then_some(events)
}

/// Decompresses a stored block's events into `out` (replacing what it held); `false` if it does
/// not decompress to its stated length.
pub fn unpack_block_into(value: &[u8], out: &mut Vec<u8>) -> bool {
    let Some((&codec, rest)) = value.split_first() else { return false };
    let Some(len) = rest.get(..4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes) else { return false };
    let len = len as usize;
    if codec != 1 || len > MAX_BLOCK_BYTES {
        return false;
    }
    out.clear();
    out.resize(len, 0);
    matches!(lz4_flex::block::decompress_into(&rest[4..], out), Ok(n) if n == len)
}

/// A block as the store holds it (compressed), cheap to hand to another thread.
pub struct PackedBlock(sled::IVec);

impl PackedBlock {
    /// Decompresses its events into `out`; `false` if they do not decompress.
    pub fn unpack_into(&self, out: &mut Vec<u8>) -> bool {
        unpack_block_into(&self.0, out)
    }
}

/// Event `i` of a block's events (stored hash, canonical bytes), skipping the ones before it
/// without reading them. `None` if the block is shorter or malformed.
pub fn block_event(mut v: &[u8], i: usize) -> Option<(Hash, &[u8])> {
    for _ in 0..i {
        let len = u32::from_le_bytes(v.get(..4)?.try_into().ok()?) as usize;
        v = v.get(36 + len..)?;
    }
    let len = u32::from_le_bytes(v.get(..4)?.try_into().ok()?) as usize;
    Some((Hash(v.get(4..36)?.try_into().ok()?), v.get(36..36 + len)?))
}

/// Splits a block's events into (stored hash, canonical bytes). `None` if malformed.
pub fn decode_block(mut v: &[u8]) -> Option<Vec<(Hash, &[u8])>> {
    let mut out = Vec::with_capacity(BLOCK_EVENTS as usize);
    while !v.is_empty() {
        let len = u32::from_le_bytes(v.get(..4)?.try_into().ok()?) as usize;
        let hash = Hash(v.get(4..36)?.try_into().ok()?);
        let bytes = v.get(36..36 + len)?;
        out.push((hash, bytes));
        v = &v[36 + len..];
    }
    Some(out)
}

/// Encodes a key's index (its record is stored apart, under [`record_key`]): the regime code's
/// length (u8) and bytes, the kind (u8: 0 individual, 1 entity, 2 ship), then the entries (see
/// [`encode_entries`]).
pub fn encode_index(index: &KeyIndex) -> Vec<u8> {
    let regime = index.regime.as_bytes();
    let mut out = Vec::with_capacity(2 + regime.len() + index.entries.len() * 16);
    // Regime codes are at most 32 bytes (checked on input).
    out.push(regime.len().min(255) as u8);
    out.extend_from_slice(&regime[..regime.len().min(255)]);
    out.push(match index.kind {
        SubjectKind::Individual => 0,
        SubjectKind::Entity => 1,
        SubjectKind::Ship => 2,
    });
    out.extend_from_slice(&encode_entries(&index.entries));
    out
}

/// Decodes a key's index (without its record); `None` if malformed.
pub fn decode_index(v: &[u8]) -> Option<KeyIndex> {
    let len = *v.first()? as usize;
    let regime = std::str::from_utf8(v.get(1..1 + len)?).ok()?.to_owned();
    let kind = match v.get(1 + len)? {
        0 => SubjectKind::Individual,
        1 => SubjectKind::Entity,
        2 => SubjectKind::Ship,
        _ => return None,
    };
    Some(KeyIndex { regime, kind, record: None, entries: decode_entries(v.get(2 + len..)?)? })
}

/// Encodes index entries, per entry: the act (u8: 0 designation, 1 amendment, 2 delisting;
/// +0x80 when the effective time was written as a date, +0x40 when the entry is retracted,
/// +0x20 when `effective` is stored in whole days), then as LEB128 varints the seq, `effective`
/// (zigzag; in days or µs), `recorded_at` (zigzag µs) and, when retracted, the retraction's seq
/// and `recorded_at`. About 15 bytes an entry.
pub fn encode_entries(entries: &[KeyEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * 16);
    for e in entries {
        let act: u8 = match e.act {
            Act::Designation => 0,
            Act::Amendment => 1,
            Act::Delisting => 2,
        };
        let days = e.date && e.effective % DAY_MICROS == 0;
        out.push(
            act | if e.date { 0x80 } else { 0 }
                | if e.retracted_by.is_some() { 0x40 } else { 0 }
                | if days { 0x20 } else { 0 },
        );
        put_varint(&mut out, e.seq);
        put_varint(&mut out, zigzag(if days { e.effective / DAY_MICROS } else { e.effective }));
        put_varint(&mut out, zigzag(e.recorded_at));
        if let Some((rs, ra)) = e.retracted_by {
            put_varint(&mut out, rs);
            put_varint(&mut out, zigzag(ra));
        }
    }
    out
}

/// Decodes index entries; `None` if malformed.
pub fn decode_entries(mut v: &[u8]) -> Option<Vec<KeyEntry>> {
    let mut out = Vec::with_capacity(v.len() / 14 + 1);
    while let Some((&flags, rest)) = v.split_first() {
        v = rest;
        let act = match flags & 0x1f {
            0 => Act::Designation,
            1 => Act::Amendment,
            2 => Act::Delisting,
            _ => return None,
        };
        let seq = take_varint(&mut v)?;
        let effective = unzigzag(take_varint(&mut v)?);
        let effective = if flags & 0x20 != 0 { effective.checked_mul(DAY_MICROS)? } else { effective };
        let recorded_at = unzigzag(take_varint(&mut v)?);
        let retracted_by =
            if flags & 0x40 != 0 { Some((take_varint(&mut v)?, unzigzag(take_varint(&mut v)?))) } else { None };
        out.push(KeyEntry { seq, effective, recorded_at, act, date: flags & 0x80 != 0, retracted_by });
    }
    Some(out)
}

const DAY_MICROS: i64 = 86_400_000_000;

fn zigzag(i: i64) -> u64 {
    ((i << 1) ^ (i >> 63)) as u64
}

fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

fn put_varint(out: &mut Vec<u8>, mut u: u64) {
    while u >= 0x80 {
        out.push((u as u8) | 0x80);
        u >>= 7;
    }
    out.push(u as u8);
}

fn take_varint(v: &mut &[u8]) -> Option<u64> {
    let mut u = 0u64;
    for i in 0..10 {
        let (&b, rest) = v.split_first()?;
        *v = rest;
        u |= ((b & 0x7f) as u64).checked_shl(7 * i)?;
        if b & 0x80 == 0 {
            return Some(u);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip() {
        let entries = vec![
            KeyEntry { seq: 1, effective: -5, recorded_at: 7, act: Act::Designation, date: true, retracted_by: None },
            KeyEntry {
                seq: 9,
                effective: 5,
                recorded_at: 8,
                act: Act::Delisting,
                date: false,
                retracted_by: Some((12, 99)),
            },
        ];
        assert_eq!(decode_entries(&encode_entries(&entries)).unwrap(), entries);
        let extremes = vec![
            KeyEntry {
                seq: u64::MAX,
                effective: i64::MIN,
                recorded_at: i64::MAX,
                act: Act::Amendment,
                date: true,
                retracted_by: Some((u64::MAX, i64::MIN)),
            },
            KeyEntry {
                seq: 0,
                effective: 20_000 * 86_400_000_000,
                recorded_at: -1,
                act: Act::Designation,
                date: true,
                retracted_by: None,
            },
        ];
        assert_eq!(decode_entries(&encode_entries(&extremes)).unwrap(), extremes);
        assert!(decode_entries(&[0x1f, 1, 1, 1]).is_none(), "an unknown act");
        assert!(decode_entries(&[0, 1, 1]).is_none(), "a truncated entry");
        assert!(decode_entries(&[0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 1, 1]).is_none());
        let index = KeyIndex { regime: "GIM".into(), kind: SubjectKind::Ship, record: None, entries };
        assert_eq!(decode_index(&encode_index(&index)).unwrap(), index);
        assert!(decode_index(&[3, b'G']).is_none());
    }

    #[test]
    fn blocks_round_trip() {
        let mut b = Vec::new();
        push_event(&mut b, &Hash([1; 32]), b"{}");
        push_event(&mut b, &Hash([2; 32]), b"[1]");
        let events = decode_block(&b).unwrap();
        assert_eq!(events, vec![(Hash([1; 32]), &b"{}"[..]), (Hash([2; 32]), &b"[1]"[..])]);
        assert!(decode_block(&b[..b.len() - 1]).is_none());
        assert_eq!(block_event(&b, 1), Some((Hash([2; 32]), &b"[1]"[..])));
        assert_eq!(block_event(&b, 2), None);
        let packed = pack_block(&b);
        assert_eq!(unpack_block(&packed).unwrap(), b);
        let mut lying = packed.clone();
        lying[1..5].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(unpack_block(&lying).is_none(), "a stated length beyond the limit is refused");
        assert!(unpack_block(&packed[..packed.len() - 1]).is_none());
        assert!(unpack_block(&[]).is_none());
    }
}
