//! The store: the only module that knows sled and the block layout.
//!
//! # Layout
//! One sled tree, several keyspaces, so that an append is one atomic batch:
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
//! The parts, one job each: [`backend`] (the storage interface: get, range, apply a batch, flush,
//! size), [`sled`] (its one engine), [`keys`] (the keyspaces), [`block`] (which block holds which
//! event; packing and compression), [`index`] (the per-key index's bytes), [`ranges`] (key ranges
//! for reading the index on several cores), [`lock`] (the process lock). A commit carries sealed
//! events; the store packs them into blocks.
//!
//! The `k/` index holds, per designation, what the lifecycle rules and point-in-time projections
//! need without reading events: seq, legal effect, recorded_at, act and retraction. The records
//! are kept apart from it so that counting and the lifecycle checks read only the small entries.

pub mod backend;
pub mod block;
pub mod index;
pub mod keys;
pub mod lock;
pub mod ranges;
pub mod sled;

use std::fs::File;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::acknowledged;
use crate::chain::{Hash, Head};
use crate::error::{Error, Result};
use crate::event::Key;
use crate::lifecycle::KeyIndex;
use crate::time::Date;

pub use self::backend::{Backend, Batch};
pub use self::block::{
    BLOCK_EVENTS, EventBlock, MAX_BLOCK_BYTES, PackedBlock, SealedEvent, block_event, decode_block, pack_block,
    push_event, unpack_block, unpack_block_into,
};
pub use self::index::{decode_entries, decode_index, encode_entries, encode_index};
pub use self::keys::{
    BLOCK_PREFIX, HEAD_KEY, IMPORT_PREFIX, KEY_PREFIX, LAYOUT, LAYOUT_KEY, NAME_KEY, RECORD_PREFIX, TREE_PREFIX,
    block_key, index_key, record_key, tree_key,
};
pub use self::lock::LOCK_FILE;
pub use self::ranges::KeyRange;
pub use self::sled::{COMMIT_DEADLINE, Sled};

/// The lowest tree level the store keeps: subtrees of one block's 64 events. Smaller subtrees are
/// computed from the event hashes in a block.
pub const TREE_STORED_LEVEL: u32 = 6;
const _: () = assert!(1 << TREE_STORED_LEVEL == BLOCK_EVENTS);

/// A block as the sled store holds it.
pub type Packed = PackedBlock<<Sled as Backend>::Bytes>;

/// Everything one append writes, applied atomically.
#[derive(Debug, Default)]
pub struct Commit<'a> {
    /// The events appended, in seq order, ending at `head` (the store packs them into blocks).
    pub events: Vec<SealedEvent<'a>>,
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

/// Free space a commit must leave, beyond twice the bytes it writes (sled's log and compaction).
const SPACE_MARGIN: u64 = 1 << 20;

/// An open store, holding the process lock until dropped.
pub struct Store<B: Backend = Sled> {
    /// Dropped before the lock.
    backend: B,
    path: PathBuf,
    _lock: File,
}

impl Store<Sled> {
    /// Creates a new store at `path`. Fails with [`Error::Exists`] if a ledger is there.
    pub fn create(path: &Path, wait: Duration) -> Result<Store> {
        std::fs::create_dir_all(path).map_err(|e| io(path, e))?;
        let lock = lock::lock(path, wait)?;
        let store = Store { backend: Sled::open(path)?, path: path.to_owned(), _lock: lock };
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
        match Sled::present(path) {
            Some(true) => {}
            Some(false) => return Err(missing_db(path)),
            None if acknowledged::path(path).is_file() => return Err(missing_db(path)),
            None => return Err(no_ledger("the directory holds no ledger store")),
        }
        let lock = lock::lock(path, wait)?;
        let store = Store { backend: Sled::open(path)?, path: path.to_owned(), _lock: lock };
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
}

fn missing_db(path: &Path) -> Error {
    Error::Damaged { path: path.to_owned(), detail: "sled's `db` file is missing".into() }
}

impl<B: Backend> Store<B> {
    /// A store over another engine than sled (a test's, a benchmark's): takes the ledger's lock
    /// in `path`, which also holds the acknowledged head, and makes none of the checks of
    /// [`Store::open`].
    pub fn over(path: &Path, backend: B, wait: Duration) -> Result<Store<B>> {
        std::fs::create_dir_all(path).map_err(|e| io(path, e))?;
        let lock = lock::lock(path, wait)?;
        Ok(Store { backend, path: path.to_owned(), _lock: lock })
    }

    /// A cheap check that the log reaches the head: the head's block holds exactly the events up
    /// to the head, the last of them with the head's hash. Damage that cut the log short is then
    /// reported by every command, not only by `verify`.
    fn check_tail(&self, head: &Head) -> Result<()> {
        let n = block::block_of(head.seq.get());
        let events = self
            .stored_block(n)?
            .ok_or_else(|| self.damaged(&format!("block {n}, which holds the head, is missing")))?;
        let events = decode_block(&events).ok_or_else(|| self.damaged(&format!("block {n} is malformed")))?;
        let expected = block::events_through(head.seq.get());
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
        let n = block::block_of(acked.seq.get());
        let events = self.stored_block(n)?.ok_or_else(|| lost(format!("block {n} is missing"), MISSING))?;
        let events = decode_block(&events).ok_or_else(|| self.damaged(&format!("block {n} is malformed")))?;
        match events.get(block::position(acked.seq.get())) {
            Some((hash, _)) if *hash == acked.hash => Ok(()),
            _ => Err(lost(format!("the store holds another event at seq {}", acked.seq), REWRITTEN)),
        }
    }

    fn check_layout(&self) -> Result<()> {
        let found = match self.backend.get(LAYOUT_KEY)? {
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

    /// The ledger directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The head record, if the ledger has been initialised.
    pub fn head(&self) -> Result<Option<Head>> {
        let Some(v) = self.backend.get(HEAD_KEY)? else {
            return Ok(None);
        };
        keys::decode_head(v.as_ref()).map(Some).ok_or_else(|| self.damaged("the head record is malformed"))
    }

    /// The ledger's name.
    pub fn name(&self) -> Result<String> {
        let v = self.backend.get(NAME_KEY)?;
        let v = v.ok_or_else(|| self.damaged("the ledger's name is missing"))?;
        String::from_utf8(v.as_ref().to_vec()).map_err(|_| self.damaged("the ledger's name is not UTF-8"))
    }

    /// The events of block `n`, decompressed.
    fn stored_block(&self, n: u64) -> Result<Option<Vec<u8>>> {
        let v = self.backend.get(&block_key(n))?;
        v.map(|v| unpack_block(v.as_ref()).ok_or_else(|| self.damaged(&format!("block {n} does not decompress"))))
            .transpose()
    }

    /// The block that holds event `seq`, decompressed (`None` if the store has no such block).
    pub fn block_holding(&self, seq: u64) -> Result<Option<EventBlock>> {
        let n = block::block_of(seq);
        Ok(self.stored_block(n)?.map(|events| EventBlock::new(n, events)))
    }

    /// The stored hash and canonical bytes of event `seq`, if the store holds it.
    pub fn event(&self, seq: u64) -> Result<Option<(Hash, Vec<u8>)>> {
        let Some(block) = self.block_holding(seq)? else { return Ok(None) };
        Ok(block.event(seq).map(|(h, b)| (h, b.to_vec())))
    }

    /// Every block from the one that holds event `from` on, in order, as stored (compressed): for
    /// readers that decompress on several cores.
    pub fn packed_blocks(&self, from: u64) -> impl Iterator<Item = Result<PackedBlock<B::Bytes>>> + '_ {
        let from = block_key(block::block_of(from));
        self.backend.range(Bound::Included(from), Bound::Excluded(block_key(u64::MAX))).map(move |r| {
            let (k, v) = r?;
            let n = keys::block_number(k.as_ref()).ok_or_else(|| self.damaged("a block key is malformed"))?;
            Ok(PackedBlock::new(n, v))
        })
    }

    /// Every block from the one that holds event `from` on, in order, decompressed.
    pub fn blocks(&self, from: u64) -> impl Iterator<Item = Result<EventBlock>> + '_ {
        self.packed_blocks(from).map(move |r| {
            let packed = r?;
            let mut events = Vec::new();
            if !packed.unpack_into(&mut events) {
                return Err(self.damaged(&format!("block {} does not decompress", packed.number())));
            }
            Ok(EventBlock::new(packed.number(), events))
        })
    }

    /// The index of one key, with its record (`None` if the key has no events).
    pub fn key_index(&self, key: &Key) -> Result<Option<KeyIndex>> {
        let Some(mut index) = self.entries_of(key)? else { return Ok(None) };
        index.record = self.record(key)?;
        Ok(Some(index))
    }

    /// The index of one key without its record (`record` is `None`).
    pub fn entries_of(&self, key: &Key) -> Result<Option<KeyIndex>> {
        let Some(v) = self.backend.get(&index_key(key))? else {
            return Ok(None);
        };
        let index =
            decode_index(v.as_ref()).ok_or_else(|| self.damaged(&format!("the index of {key} is malformed")))?;
        Ok(Some(index))
    }

    /// The current record of one key (canonical JSON), if it has one.
    pub fn record(&self, key: &Key) -> Result<Option<Vec<u8>>> {
        Ok(self.backend.get(&record_key(key))?.map(|r| r.as_ref().to_vec()))
    }

    /// Every key in the index, in key order, without records (`record` is `None`): what counting
    /// and the lifecycle need.
    pub fn all_entries(&self) -> impl Iterator<Item = Result<(Key, KeyIndex)>> + '_ {
        self.entries_in(&KeyRange::ALL)
    }

    /// The keys of one range of the index, in key order, without records.
    pub fn entries_in(&self, range: &KeyRange) -> impl Iterator<Item = Result<(Key, KeyIndex)>> + '_ {
        let (from, to) = range.bounds(KEY_PREFIX);
        self.backend.range(from, to).map(move |r| {
            let (k, v) = r?;
            let key = self.key_of(k.as_ref(), KEY_PREFIX)?;
            let index =
                decode_index(v.as_ref()).ok_or_else(|| self.damaged(&format!("the index of {key} is malformed")))?;
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
        let (from, to) = range.bounds(RECORD_PREFIX);
        let mut records = self.backend.range(from, to).peekable();
        let (from, to) = range.bounds(KEY_PREFIX);
        self.backend.range(from, to).map(move |r| {
            let (k, v) = r?;
            let k = k.as_ref();
            let key = self.key_of(k, KEY_PREFIX)?;
            let mut index =
                decode_index(v.as_ref()).ok_or_else(|| self.damaged(&format!("the index of {key} is malformed")))?;
            let name = &k[KEY_PREFIX.len()..];
            match records.peek() {
                Some(Ok((rk, _))) if &rk.as_ref()[RECORD_PREFIX.len()..] < name => {
                    let orphan = String::from_utf8_lossy(&rk.as_ref()[RECORD_PREFIX.len()..]).into_owned();
                    return Err(self.damaged(&format!("a record is stored for {orphan}, which the index lacks")));
                }
                Some(Ok((rk, _))) if &rk.as_ref()[RECORD_PREFIX.len()..] == name => {
                    if let Some(Ok((_, rv))) = records.next() {
                        index.record = Some(rv.as_ref().to_vec());
                    }
                }
                Some(Err(_)) => {
                    if let Some(Err(e)) = records.next() {
                        return Err(e);
                    }
                }
                _ => {}
            }
            Ok((key, index))
        })
    }

    /// Splits the index into at most `parts` ranges of about as many keys each, to be read on
    /// several cores (see [`ranges`]).
    pub fn key_ranges(&self, parts: usize) -> Result<Vec<KeyRange>> {
        let (from, to) = ranges::prefix_bounds(KEY_PREFIX);
        let first = self.backend.range(from.clone(), to.clone()).next().transpose()?;
        let last = self.backend.range(from, to).next_back().transpose()?;
        let (Some((first, _)), Some((last, _))) = (first, last) else { return Ok(vec![KeyRange::ALL]) };
        Ok(ranges::split(&first.as_ref()[KEY_PREFIX.len()..], &last.as_ref()[KEY_PREFIX.len()..], parts))
    }

    /// How many records the store holds.
    pub fn record_count(&self) -> Result<usize> {
        let (from, to) = ranges::prefix_bounds(RECORD_PREFIX);
        let mut n = 0;
        for r in self.backend.range(from, to) {
            r?;
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
    pub fn commit(&self, c: Commit<'_>) -> Result<()> {
        let mut batch = Batch::default();
        if !c.events.is_empty() {
            self.put_events(&mut batch, &c)?;
        }
        for (key, index) in c.keys {
            batch.put(index_key(&key), encode_index(&index));
        }
        for (key, record) in c.records {
            match record {
                Some(record) => batch.put(record_key(&key), record),
                None => batch.remove(record_key(&key)),
            }
        }
        if c.name.is_some() {
            batch.put(LAYOUT_KEY.to_vec(), LAYOUT.to_be_bytes().to_vec());
        }
        for (level, index, hash) in c.nodes {
            batch.put(tree_key(level, index), hash.0.to_vec());
        }
        if let Some((authority, date)) = c.import {
            batch.put(keys::import_key(&authority), date.to_string().into_bytes());
        }
        if let Some(name) = c.name {
            batch.put(NAME_KEY.to_vec(), name.into_bytes());
        }
        if let Some(head) = c.head {
            batch.put(HEAD_KEY.to_vec(), keys::encode_head(&head).to_vec());
        }
        self.check_space(batch.bytes)?;
        self.backend.apply(batch)?;
        self.backend.flush()?;
        let Some(head) = c.head else { return Ok(()) };
        // Durable now: acknowledge it where sled's recovery cannot take it back.
        acknowledged::write(&self.path, &head).map_err(|e| Error::Unacknowledged {
            seq: head.seq,
            hash: head.hash,
            detail: format!("recording it in {} failed: {e}", acknowledged::path(&self.path).display()),
        })
    }

    /// Packs a commit's events into block values (the head's partly filled block is rewritten
    /// whole) and adds them to the batch.
    fn put_events(&self, batch: &mut Batch, c: &Commit<'_>) -> Result<()> {
        let head = c.head.as_ref().ok_or_else(|| Error::Internal("a commit of events without a head".into()))?;
        let first = head
            .seq
            .size()
            .checked_sub(c.events.len() as u64)
            .ok_or_else(|| Error::Internal("a commit of more events than its head's seq".into()))?;
        let partial = if block::opens_block(first) {
            Vec::new()
        } else {
            let n = block::block_of(first);
            self.stored_block(n)?
                .ok_or_else(|| self.damaged(&format!("block {n}, which holds the head, is missing")))?
        };
        for (n, events) in block::pack_events(first, partial, &c.events) {
            if events.len() > MAX_BLOCK_BYTES {
                // The input limits keep every event far below this; a larger block could not be
                // read back.
                return Err(Error::Internal(format!(
                    "block {n} would hold {} bytes, beyond the {MAX_BLOCK_BYTES} a store can read back; nothing was written",
                    events.len()
                )));
            }
            batch.put(block_key(n), pack_block(&events));
        }
        Ok(())
    }

    fn check_space(&self, bytes: u64) -> Result<()> {
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
        Ok(())
    }

    /// A stored Merkle subtree (levels ≥ [`TREE_STORED_LEVEL`]).
    pub fn tree_node(&self, level: u32, index: u64) -> Result<Option<Hash>> {
        match self.backend.get(&tree_key(level, index))? {
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
        let (from, to) = ranges::prefix_bounds(TREE_PREFIX);
        self.backend.range(from, to).map(move |r| {
            let (k, v) = r?;
            let (k, v) = (k.as_ref(), v.as_ref());
            let parsed = (|| {
                let level = *k.get(TREE_PREFIX.len())? as u32;
                let index = u64::from_be_bytes(k.get(TREE_PREFIX.len() + 1..)?.try_into().ok()?);
                let hash = Hash(v.try_into().ok()?);
                Some((level, index, hash))
            })();
            parsed.ok_or_else(|| self.damaged("a tree node is malformed"))
        })
    }

    /// The report date of the last list imported for `authority`.
    pub fn last_import(&self, authority: &str) -> Result<Option<Date>> {
        let Some(v) = self.backend.get(&keys::import_key(authority))? else {
            return Ok(None);
        };
        let text = std::str::from_utf8(v.as_ref()).map_err(|_| self.damaged("an import mark is not UTF-8"))?;
        Date::parse(text).map(Some).map_err(|e| self.damaged(&format!("an import mark is malformed: {e}")))
    }

    /// Bytes of every key and value the store holds: the ledger's own data, before the space
    /// sled's log takes for it (old versions of rewritten values until sled reclaims them).
    pub fn live_bytes(&self) -> Result<u64> {
        let mut n = 0u64;
        for r in self.backend.range(Bound::Unbounded, Bound::Unbounded) {
            let (k, v) = r?;
            n += (k.as_ref().len() + v.as_ref().len()) as u64;
        }
        Ok(n)
    }

    /// Bytes the store occupies on disk.
    pub fn size_on_disk(&self) -> Result<u64> {
        self.backend.size_on_disk()
    }

    fn damaged(&self, detail: &str) -> Error {
        Error::Damaged { path: self.path.clone(), detail: detail.to_owned() }
    }
}

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io { path: path.to_owned(), source }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::time::Timestamp;

    /// An engine in memory: a sorted map behind a lock.
    #[derive(Default)]
    struct Memory(Mutex<BTreeMap<Vec<u8>, Arc<[u8]>>>);

    impl Backend for Memory {
        type Bytes = Arc<[u8]>;

        fn get(&self, key: &[u8]) -> Result<Option<Arc<[u8]>>> {
            Ok(self.0.lock().expect("the map").get(key).cloned())
        }

        fn range(&self, from: Bound<Vec<u8>>, to: Bound<Vec<u8>>) -> backend::Entries<'_, Arc<[u8]>> {
            let map = self.0.lock().expect("the map");
            let items: Vec<_> = map.range((from, to)).map(|(k, v)| Ok((Arc::from(&k[..]), v.clone()))).collect();
            Box::new(items.into_iter())
        }

        fn apply(&self, batch: Batch) -> Result<()> {
            let mut map = self.0.lock().expect("the map");
            for (k, v) in batch.ops {
                match v {
                    Some(v) => map.insert(k, Arc::from(v)),
                    None => map.remove(&k),
                };
            }
            Ok(())
        }

        fn flush(&self) -> Result<()> {
            Ok(())
        }

        fn size_on_disk(&self) -> Result<u64> {
            Ok(0)
        }
    }

    fn sealed(seq: u64) -> SealedEvent<'static> {
        SealedEvent {
            hash: Hash([seq as u8; 32]),
            bytes: std::borrow::Cow::Owned(format!("{{\"seq\":{seq}}}").into_bytes()),
        }
    }

    fn head(seq: u64) -> Head {
        Head { seq: crate::seq::Seq::new(seq), hash: Hash([seq as u8; 32]), recorded_at: Timestamp(seq as i64) }
    }

    #[test]
    fn commits_of_sealed_events_are_packed_into_blocks_behind_any_engine() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::over(dir.path(), Memory::default(), Duration::ZERO).expect("a store in memory");
        store
            .commit(Commit { events: (0..60).map(sealed).collect(), head: Some(head(59)), ..Commit::default() })
            .expect("the first commit");
        // The second commit fills the first block and opens the second.
        store
            .commit(Commit { events: (60..70).map(sealed).collect(), head: Some(head(69)), ..Commit::default() })
            .expect("the second commit");
        assert_eq!(store.head().expect("the head"), Some(head(69)));
        let numbers: Vec<u64> = store.packed_blocks(0).map(|b| b.expect("a block").number()).collect();
        assert_eq!(numbers, [0, 1]);
        let block = store.block_holding(65).expect("read").expect("the block of event 65");
        assert_eq!((block.number, block.first()), (1, 64));
        assert_eq!(block.event(65), Some((Hash([65; 32]), &b"{\"seq\":65}"[..])));
        assert_eq!(block.event(3), None, "event 3 is in another block");
        let seqs: Vec<u64> = store
            .blocks(0)
            .flat_map(|b| {
                b.expect("a block").events().expect("well formed").into_iter().map(|e| e.0).collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(seqs, (0..70).collect::<Vec<_>>());
        assert_eq!(store.event(63).expect("read").map(|e| e.0), Some(Hash([63; 32])));
        assert_eq!(store.event(70).expect("read"), None);
        assert_eq!(crate::acknowledged::read(dir.path()).expect("read"), Some(head(69)), "the head is acknowledged");
    }
}
