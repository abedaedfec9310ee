//! Verification: re-hash every event, check every link and seq, the lifecycle rules and the index.
//!
//! A verification failure is not an error of the operation: [`verify`] returns a [`Report`] whose
//! `failure` names the first bad seq and what is wrong with it.

use std::collections::HashMap;

use serde_json::Value;

use crate::canonical;
use crate::chain::{Hash, hash_canonical};
use crate::error::Result;
use crate::event::{Event, Key, RecordedEvent};
use crate::ledger::Ledger;
use crate::lifecycle::{self, Act, KeyEntry, KeyIndex};
use crate::merkle::{self, Leaves};
use crate::store::{self, BLOCK_EVENTS, Head, TREE_STORED_LEVEL};

/// What verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Events checked (read, re-hashed and linked) before the first failure, or in all.
    pub checked: u64,
    /// The head the store records.
    pub head: Head,
    /// The first problem, if any.
    pub failure: Option<Failure>,
}

/// The first problem verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The seq of the first bad event (or where a missing one belongs).
    pub seq: u64,
    /// What is wrong.
    pub what: String,
}

/// Builds the lifecycle index of a chain as its events are checked in order.
#[derive(Default)]
pub(crate) struct ChainIndex {
    keys: HashMap<Key, KeyIndex>,
    /// For each seq, the key its event acts on (retractions and genesis: none).
    key_of: Vec<Option<Key>>,
}

impl ChainIndex {
    /// Adds the next event of the chain; a retraction of an unknown, non-keyed or already
    /// retracted event is reported.
    pub(crate) fn add(&mut self, rec: &RecordedEvent) -> Result<(), String> {
        let at = rec.recorded_at.0;
        let (act, effective) = match &rec.event {
            Event::Genesis(_) => {
                self.key_of.push(None);
                return Ok(());
            }
            Event::Retraction(r) => {
                self.key_of.push(None);
                let key = match self.key_of.get(r.target as usize) {
                    Some(Some(k)) if r.target < rec.seq => k.clone(),
                    _ => {
                        return Err(format!(
                            "retracts event {}, which is not an earlier designation, amendment or delisting",
                            r.target
                        ));
                    }
                };
                let index = self.keys.get_mut(&key).ok_or("retraction target has no index")?;
                let entry =
                    index.entries.iter_mut().find(|e| e.seq == r.target).ok_or("retraction target has no index")?;
                if let Some((by, _)) = entry.retracted_by {
                    return Err(format!("retracts event {}, already retracted by event {by}", r.target));
                }
                entry.retracted_by = Some((rec.seq, at));
                return Ok(());
            }
            Event::Designation(d) => (Act::Designation, d.effective),
            Event::Amendment(a) => (Act::Amendment, a.effective),
            Event::Delisting(d) => (Act::Delisting, d.effective),
        };
        let key = rec.event.key().ok_or("keyed event without key")?;
        let index = match (self.keys.get_mut(&key), &rec.event) {
            (Some(index), Event::Designation(d)) if (&index.regime, index.kind) != (&d.regime.code, d.subject.kind) => {
                return Err(format!("{key} is relisted under another regime code or kind than it was designated with"));
            }
            (Some(index), _) => index,
            (None, Event::Designation(d)) => self.keys.entry(key.clone()).or_insert(KeyIndex {
                regime: d.regime.code.clone(),
                kind: d.subject.kind,
                record: None,
                entries: Vec::new(),
            }),
            (None, _) => {
                let rule = match act {
                    Act::Delisting => lifecycle::Rule::DelistedNotInForce,
                    _ => lifecycle::Rule::AmendedNotInForce,
                };
                return Err(format!("{key}: {rule}"));
            }
        };
        index.entries.push(KeyEntry {
            seq: rec.seq,
            effective: effective.micros(),
            recorded_at: at,
            act,
            date: matches!(effective, crate::time::Effective::Date(_)),
            retracted_by: None,
        });
        self.key_of.push(Some(key));
        Ok(())
    }

    /// Sorts every key's entries and checks its lifecycle; the violation with the lowest seq.
    pub(crate) fn check(&mut self) -> Option<Failure> {
        let mut first: Option<Failure> = None;
        for (key, index) in &mut self.keys {
            lifecycle::sort(&mut index.entries);
            if let Err(v) = lifecycle::check(&index.entries)
                && first.as_ref().is_none_or(|f| v.seq < f.seq)
            {
                first = Some(Failure { seq: v.seq, what: format!("{key}: {}", v.rule) });
            }
        }
        first
    }

    /// The seqs whose events make each key's record: the designation and amendments (not
    /// retracted) of its last episode. Call after [`ChainIndex::check`].
    pub(crate) fn record_seqs(&self) -> Vec<u64> {
        let mut out = Vec::new();
        for index in self.keys.values() {
            let live: Vec<&KeyEntry> = index.entries.iter().filter(|e| e.retracted_by.is_none()).collect();
            if let Some(start) = live.iter().rposition(|e| e.act == Act::Designation) {
                out.extend(live[start..].iter().filter(|e| e.act != Act::Delisting).map(|e| e.seq));
            }
        }
        out
    }

    /// Folds every key's record from its events (`event` gives the event of a seq that
    /// [`ChainIndex::record_seqs`] named). A problem names the seq to blame.
    pub(crate) fn fold_records(&mut self, mut event: impl FnMut(u64) -> Option<Event>) -> Result<(), Failure> {
        for (key, index) in &mut self.keys {
            let identity = (index.regime.clone(), index.kind);
            let mut record = None;
            let live: Vec<KeyEntry> = index.entries.iter().filter(|e| e.retracted_by.is_none()).copied().collect();
            let start = live.iter().rposition(|e| e.act == Act::Designation).unwrap_or(live.len());
            for e in live[start..].iter().filter(|e| e.act != Act::Delisting) {
                let ev = event(e.seq).ok_or_else(|| Failure { seq: e.seq, what: "the event is missing".into() })?;
                crate::ledger::apply(&mut record, &ev, Some(&identity))
                    .map_err(|what| Failure { seq: e.seq, what: format!("{key}: an invalid record: {what}") })?;
            }
            index.record = record
                .as_ref()
                .map(crate::canonical::to_vec)
                .transpose()
                .map_err(|e| Failure { seq: 0, what: format!("{key}: {e}") })?;
        }
        Ok(())
    }

    /// The rebuilt index, sorted (after [`ChainIndex::check`]).
    pub(crate) fn into_keys(self) -> HashMap<Key, KeyIndex> {
        self.keys
    }
}

/// Checks one stored event against its expected position.
pub(crate) fn check_event(
    expected_seq: u64,
    prev: &Hash,
    last_recorded: i64,
    stored_hash: &Hash,
    bytes: &[u8],
) -> Result<RecordedEvent, String> {
    let rec = parse_stored(stored_hash, bytes)?;
    check_position(expected_seq, prev, last_recorded, &rec)?;
    Ok(rec)
}

/// What can be checked of one event on its own: its hash, canonical form and shape. Independent
/// of every other event, so verification does it on every core.
pub(crate) fn parse_stored(stored_hash: &Hash, bytes: &[u8]) -> Result<RecordedEvent, String> {
    let computed = hash_canonical(bytes);
    if computed != *stored_hash {
        return Err(format!("hash mismatch: stored {stored_hash}, computed {computed} from the event's bytes"));
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))?;
    match canonical::to_vec(&value) {
        Ok(c) if c == bytes => {}
        Ok(_) => return Err("not in canonical form".into()),
        Err(e) => return Err(format!("no canonical form: {e}")),
    }
    RecordedEvent::from_value(value, Some(*stored_hash)).map_err(|e| format!("not a recorded event: {e}"))
}

/// What depends on the event before: seq, link, time, and only event 0 being the genesis event.
pub(crate) fn check_position(
    expected_seq: u64,
    prev: &Hash,
    last_recorded: i64,
    rec: &RecordedEvent,
) -> Result<(), String> {
    if rec.seq != expected_seq {
        return Err(format!(
            "found event {} where event {expected_seq} belongs (events missing or out of order)",
            rec.seq
        ));
    }
    if rec.prev != *prev {
        return Err(format!(
            "broken link: prev is {}, but the hash of event {} is {prev}",
            rec.prev,
            expected_seq.wrapping_sub(1)
        ));
    }
    if expected_seq > 0 && rec.recorded_at.0 <= last_recorded {
        return Err(format!("recorded_at {} is not after the previous event's", rec.recorded_at));
    }
    match (&rec.event, expected_seq) {
        (Event::Genesis(_), 0) => {}
        (Event::Genesis(_), _) => return Err("a genesis event after seq 0".into()),
        (_, 0) => return Err("event 0 is not a genesis event".into()),
        _ => {}
    }
    Ok(())
}

/// Blocks verified at a time (their events parsed in parallel, then checked in order).
const CHUNK_BLOCKS: usize = 128;

/// The events of a chunk of blocks, parsed on every core: per block, `None` if the block is
/// malformed, else each event's stored hash and what parsing it gave. `keep` says which seqs to
/// parse at all (the others are given as `None`).
type Parsed = Vec<Option<Vec<(Hash, Option<Result<RecordedEvent, String>>)>>>;

fn parse_chunk(chunk: &[(u64, Vec<u8>)], keep: &(dyn Fn(u64) -> bool + Sync)) -> Parsed {
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 8);
    let per = chunk.len().div_ceil(workers).max(1);
    let parse_blocks = |blocks: &[(u64, Vec<u8>)]| -> Parsed {
        blocks
            .iter()
            .map(|(n, value)| {
                store::decode_block(value).map(|events| {
                    events
                        .into_iter()
                        .enumerate()
                        .map(|(i, (hash, bytes))| {
                            let seq = n * BLOCK_EVENTS + i as u64;
                            (hash, keep(seq).then(|| parse_stored(&hash, bytes)))
                        })
                        .collect()
                })
            })
            .collect()
    };
    if workers == 1 || chunk.len() < 2 {
        return parse_blocks(chunk);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunk.chunks(per).map(|part| scope.spawn(move || parse_blocks(part))).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}

/// Verifies the whole ledger.
pub fn verify(ledger: &Ledger) -> Result<Report> {
    let head = ledger.head()?;
    let mut checked = 0u64;
    let mut prev = Hash::ZERO;
    let mut last_recorded = i64::MIN;
    let mut index = ChainIndex::default();
    let mut tree = StoredLevels::default();
    let mut block_hashes: Vec<Hash> = Vec::with_capacity(BLOCK_EVENTS as usize);
    let fail = |checked, seq, what: String| Ok(Report { checked, head, failure: Some(Failure { seq, what }) });

    let mut blocks = ledger.store().blocks(0);
    loop {
        let chunk: Vec<(u64, Vec<u8>)> = blocks.by_ref().take(CHUNK_BLOCKS).collect::<Result<_>>()?;
        if chunk.is_empty() {
            break;
        }
        let parsed = parse_chunk(&chunk, &|_| true);
        if parsed.len() != chunk.len() {
            return Err(crate::error::Error::Internal("a verification worker failed".into()));
        }
        for ((n, _), events) in chunk.iter().zip(parsed) {
            let n = *n;
            if n != checked / BLOCK_EVENTS || !checked.is_multiple_of(BLOCK_EVENTS) {
                return fail(
                    checked,
                    checked,
                    format!("missing: the log jumps from event {} to block {n}", checked.wrapping_sub(1)),
                );
            }
            let Some(events) = events else {
                return fail(checked, checked, format!("block {n} is malformed"));
            };
            for (hash, parsed) in events {
                let rec = match parsed.unwrap_or_else(|| Err("not parsed".into())) {
                    Ok(r) => r,
                    Err(what) => return fail(checked, checked, what),
                };
                if let Err(what) = check_position(checked, &prev, last_recorded, &rec) {
                    return fail(checked, checked, what);
                }
                if let Err(what) = index.add(&rec) {
                    return fail(checked, checked, what);
                }
                prev = rec.hash;
                last_recorded = rec.recorded_at.0;
                checked += 1;
                block_hashes.push(hash);
            }
            if block_hashes.len() as u64 == BLOCK_EVENTS {
                tree.push_block(std::mem::take(&mut block_hashes));
            } else {
                block_hashes.clear();
            }
        }
    }
    if checked == 0 {
        return fail(0, 0, "the log is empty".into());
    }
    let last = checked - 1;
    if head.seq != last || head.hash != prev {
        let what = if head.seq > last {
            format!("missing: the head records event {} ({}), but the log ends at event {last}", head.seq, head.hash)
        } else {
            format!("the head records event {} ({}), but the log's last event is {last} ({prev})", head.seq, head.hash)
        };
        return fail(checked, last + 1, what);
    }
    if let Some(f) = index.check() {
        return Ok(Report { checked, head, failure: Some(f) });
    }
    // The records the index keeps, folded again from the events that make them (a second,
    // partial read of the log).
    let needed: std::collections::HashSet<u64> = index.record_seqs().into_iter().collect();
    let mut events: HashMap<u64, Event> = HashMap::with_capacity(needed.len());
    let mut blocks = ledger.store().blocks(0);
    loop {
        let chunk: Vec<(u64, Vec<u8>)> = blocks.by_ref().take(CHUNK_BLOCKS).collect::<Result<_>>()?;
        if chunk.is_empty() {
            break;
        }
        for ((n, _), block) in chunk.iter().zip(parse_chunk(&chunk, &|seq| needed.contains(&seq))) {
            for (i, (_, parsed)) in block.into_iter().flatten().enumerate() {
                if let Some(Ok(rec)) = parsed {
                    events.insert(n * BLOCK_EVENTS + i as u64, rec.event);
                }
            }
        }
    }
    if let Err(f) = index.fold_records(|seq| events.remove(&seq)) {
        return Ok(Report { checked, head, failure: Some(f) });
    }
    // The stored Merkle tree must be the tree of the log's hashes.
    let mut stored_nodes = 0usize;
    for item in ledger.store().tree_nodes() {
        let (level, i, hash) = item?;
        stored_nodes += 1;
        if tree.get(level, i) != Some(hash) {
            return fail(checked, i << level, format!("the Merkle tree's node {level}/{i} does not match the log"));
        }
    }
    if stored_nodes != tree.count() {
        return fail(checked, 0, format!("the Merkle tree holds {stored_nodes} nodes; the log makes {}", tree.count()));
    }
    // The stored index must say what the log says.
    let rebuilt = index.into_keys();
    let mut stored_keys = 0usize;
    for item in ledger.store().all_keys() {
        let (key, stored) = item?;
        stored_keys += 1;
        let expected = rebuilt.get(&key);
        if expected != Some(&stored) {
            let seq = first_difference(expected.map(|i| i.entries.as_slice()).unwrap_or(&[]), &stored.entries);
            return fail(checked, seq, format!("the index of {key} does not match the log"));
        }
    }
    if stored_keys != rebuilt.len() {
        let missing = rebuilt.iter().filter(|(k, _)| ledger.store().key_index(k).map(|i| i.is_none()).unwrap_or(true));
        let seq = missing.filter_map(|(_, i)| i.entries.iter().map(|e| e.seq).min()).min().unwrap_or(0);
        return fail(checked, seq, "the index lacks a designation key the log holds".into());
    }
    let records = rebuilt.values().filter(|i| i.record.is_some()).count();
    let stored_records = ledger.store().record_count()?;
    if stored_records != records {
        return fail(checked, 0, format!("the store holds {stored_records} records; the log makes {records}"));
    }
    Ok(Report { checked, head, failure: None })
}

/// The perfect subtrees of 64 leaves and more, built block by block as the log is read.
#[derive(Default)]
struct StoredLevels {
    levels: Vec<Vec<Hash>>,
}

impl StoredLevels {
    fn push_block(&mut self, hashes: Vec<Hash>) {
        let mut node = Leaves::new(hashes).level(TREE_STORED_LEVEL)[0];
        let mut l = 0;
        loop {
            if self.levels.len() == l {
                self.levels.push(Vec::new());
            }
            self.levels[l].push(node);
            let n = self.levels[l].len();
            if n % 2 == 1 {
                break;
            }
            node = merkle::node_hash(&self.levels[l][n - 2], &self.levels[l][n - 1]);
            l += 1;
        }
    }

    fn get(&self, level: u32, index: u64) -> Option<Hash> {
        let l = level.checked_sub(TREE_STORED_LEVEL)? as usize;
        self.levels.get(l)?.get(index as usize).copied()
    }

    fn count(&self) -> usize {
        self.levels.iter().map(Vec::len).sum()
    }
}

fn first_difference(a: &[KeyEntry], b: &[KeyEntry]) -> u64 {
    let mut seqs: Vec<u64> = a.iter().chain(b).map(|e| e.seq).collect();
    seqs.sort_unstable();
    seqs.into_iter().find(|s| a.iter().find(|e| e.seq == *s) != b.iter().find(|e| e.seq == *s)).unwrap_or(0)
}
