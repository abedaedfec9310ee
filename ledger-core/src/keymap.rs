//! The key map: an authenticated map, at every tree size, from each designation key to the seqs
//! of all its events, committed to by a root that the checkpoint of that size carries
//! (`keys COUNT ROOT`), so that a signed, witnessed checkpoint vouches for it.
//!
//! With it, an answer about a key proves its completeness: the map's entry for the key lists
//! every event of the key among the first `size` events (its designations, amendments and
//! delistings, and the retractions of any of them), and the Merkle tree proves each one's bytes;
//! a verifier given three events cannot be kept from a fourth. For a key the ledger never held,
//! the two entries between which it would sort prove that it has none.
//!
//! The map at size `N`, for every key with an event among the first `N`:
//! - the key's hash `kh = SHA-256(0x02 || "AUTHORITY/ID")`;
//! - its entry: `kh || count (u32, big-endian) || each seq (u64, big-endian)`, the seqs in
//!   increasing order;
//! - the map's tree: RFC 6962's (as the log's, `SHA-256(0x00 || entry)` for a leaf and
//!   `SHA-256(0x01 || left || right)` for a node) over the entries in increasing order of `kh`;
//!   its root, with the number of keys, is the checkpoint's `keys` line.
//!
//! The map is derived data, as the store's per-key index is: it is never written, only computed
//! from the index pinned at the size asked for, so an append costs nothing more; a checkpoint
//! costs a pass over the index.

use sha2::{Digest, Sha256};

use crate::chain::Hash;
use crate::lifecycle::KeyIndex;
use crate::merkle::{self, Leaves};

/// The hash a key sorts by in the map: `SHA-256(0x02 || "AUTHORITY/ID")`.
pub fn key_hash(key: &str) -> Hash {
    let mut h = Sha256::new();
    h.update([2u8]);
    h.update(key.as_bytes());
    Hash(h.finalize().into())
}

/// One entry of the map: a key's hash and the seqs of its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapEntry {
    /// The key's hash ([`key_hash`]).
    pub key_hash: Hash,
    /// The seqs of the key's events among the first `size`, increasing.
    pub seqs: Vec<u64>,
}

impl MapEntry {
    /// The entry's bytes: `kh || count || seqs`.
    pub fn bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(36 + 8 * self.seqs.len());
        b.extend_from_slice(&self.key_hash.0);
        b.extend_from_slice(&(self.seqs.len() as u32).to_be_bytes());
        for s in &self.seqs {
            b.extend_from_slice(&s.to_be_bytes());
        }
        b
    }

    /// Its leaf in the map's tree.
    pub fn leaf(&self) -> Hash {
        merkle::leaf_hash(&self.bytes())
    }
}

/// The seqs a key's index holds at size `size`: its events and the retractions of them, before
/// `size`, increasing. Empty if the key had no event then.
pub fn seqs_at(index: &KeyIndex, size: u64) -> Vec<u64> {
    let mut seqs: Vec<u64> = Vec::with_capacity(index.entries.len() + 1);
    for e in &index.entries {
        if e.seq.get() < size {
            seqs.push(e.seq.get());
            if let Some(r) = e.retracted_by
                && r.seq.get() < size
            {
                seqs.push(r.seq.get());
            }
        }
    }
    seqs.sort_unstable();
    seqs
}

/// The map at one size: its entries in order, and their tree.
#[derive(Debug, Clone)]
pub struct KeyMap {
    entries: Vec<MapEntry>,
    tree: Leaves,
}

impl KeyMap {
    /// The map of these keys' indexes at size `size` (keys in any order; those without an event
    /// before `size` are left out).
    pub fn new<'a>(keys: impl IntoIterator<Item = (&'a str, &'a KeyIndex)>, size: u64) -> KeyMap {
        let mut entries: Vec<MapEntry> = keys
            .into_iter()
            .map(|(key, index)| MapEntry { key_hash: key_hash(key), seqs: seqs_at(index, size) })
            .filter(|e| !e.seqs.is_empty())
            .collect();
        entries.sort_unstable_by_key(|e| e.key_hash);
        KeyMap::of_entries(entries)
    }

    /// The map of entries already in order of their key hashes.
    fn of_entries(entries: Vec<MapEntry>) -> KeyMap {
        let tree = Leaves::new(entries.iter().map(MapEntry::leaf).collect());
        KeyMap { entries, tree }
    }

    /// How many keys it maps.
    pub fn len(&self) -> u64 {
        self.entries.len() as u64
    }

    /// Whether it maps none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Its root (the empty tree's, `SHA-256()`, when it maps no key).
    pub fn root(&self) -> Hash {
        let mut tree = self.tree.clone();
        merkle::root(&mut tree, self.len()).unwrap_or_else(|_| merkle::empty_root())
    }

    /// Its commitment: the number of keys and the root.
    pub fn commitment(&self) -> Commitment {
        Commitment { keys: self.len(), root: self.root() }
    }

    /// The proof of what the map holds for `key`: its entry, or the entries it would sort
    /// between.
    pub fn prove(&self, key: &str) -> MapProof {
        let kh = key_hash(key);
        let size = self.len();
        let mut tree = self.tree.clone();
        let mut at = |i: usize| -> ProvenEntry {
            let path = merkle::inclusion_path(&mut tree, i as u64, size).unwrap_or_default();
            ProvenEntry { index: i as u64, entry: self.entries[i].clone(), path }
        };
        match self.entries.binary_search_by(|e| e.key_hash.cmp(&kh)) {
            Ok(i) => MapProof::Present(at(i)),
            Err(i) => MapProof::Absent {
                before: i.checked_sub(1).map(&mut at),
                after: (i < self.entries.len()).then(|| at(i)),
            },
        }
    }
}

/// What a checkpoint says of the map: the number of keys and the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Commitment {
    /// How many keys the map holds.
    pub keys: u64,
    /// The root of its tree.
    pub root: Hash,
}

/// An entry of the map, where it is, and its audit path in the map's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenEntry {
    /// Its position in the map's tree.
    pub index: u64,
    /// The entry.
    pub entry: MapEntry,
    /// Its audit path.
    pub path: Vec<Hash>,
}

/// What the map holds for one key, proven.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapProof {
    /// The key's entry.
    Present(ProvenEntry),
    /// The key has none: the entries it would sort between (none before it when it would be
    /// first, none after it when last; neither in an empty map).
    Absent {
        /// The entry before where the key would be.
        before: Option<ProvenEntry>,
        /// The entry after it.
        after: Option<ProvenEntry>,
    },
}

/// Why a proof of the map does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the key map's proof {0}")]
pub struct MapProofError(String);

fn refuse<T>(what: impl Into<String>) -> Result<T, MapProofError> {
    Err(MapProofError(what.into()))
}

impl ProvenEntry {
    fn check(&self, c: &Commitment) -> Result<(), MapProofError> {
        let seqs = &self.entry.seqs;
        if seqs.is_empty() || seqs.windows(2).any(|w| w[0] >= w[1]) {
            return refuse(format!("names entry {} whose seqs are not increasing and not empty", self.index));
        }
        if !merkle::verify_inclusion(self.index, c.keys, &self.entry.leaf(), &self.path, &c.root) {
            return refuse(format!(
                "does not put its entry {} in the map of {} keys with root {}",
                self.index, c.keys, c.root
            ));
        }
        Ok(())
    }
}

impl MapProof {
    /// Checks the proof for `key` against the map's commitment: the seqs of the key's events
    /// (none for a key the map does not hold).
    pub fn verify(&self, key: &str, c: &Commitment) -> Result<Vec<u64>, MapProofError> {
        let kh = key_hash(key);
        match self {
            MapProof::Present(p) => {
                if p.entry.key_hash != kh {
                    return refuse(format!("is of another key (hash {}), not of {key}", p.entry.key_hash));
                }
                p.check(c)?;
                Ok(p.entry.seqs.clone())
            }
            MapProof::Absent { before, after } => {
                for p in [before, after].into_iter().flatten() {
                    p.check(c)?;
                }
                match (before, after) {
                    (None, None) if c.keys == 0 => Ok(Vec::new()),
                    (None, None) => refuse("of absence names no neighbouring entry, in a map that is not empty"),
                    (Some(b), Some(a)) if a.index != b.index + 1 => refuse(format!(
                        "of absence names entries {} and {}, which are not neighbours",
                        b.index, a.index
                    )),
                    (None, Some(a)) if a.index != 0 => refuse("of absence names no entry before one that is not first"),
                    (Some(b), None) if b.index + 1 != c.keys => {
                        refuse("of absence names no entry after one that is not last")
                    }
                    _ => {
                        let sorts_after = before.as_ref().is_none_or(|b| b.entry.key_hash < kh);
                        let sorts_before = after.as_ref().is_none_or(|a| kh < a.entry.key_hash);
                        if sorts_after && sorts_before {
                            Ok(Vec::new())
                        } else {
                            refuse(format!("of absence does not show {key} to fall between its entries"))
                        }
                    }
                }
            }
        }
    }
}

/// The map at size `size` of keys read in any order, built without holding their indexes: for a
/// reader that streams the store's index.
#[derive(Default)]
pub struct Builder {
    entries: Vec<MapEntry>,
}

impl Builder {
    /// Adds one key's index (nothing if it had no event before `size`).
    pub fn add(&mut self, key: &str, index: &KeyIndex, size: u64) {
        let seqs = seqs_at(index, size);
        if !seqs.is_empty() {
            self.entries.push(MapEntry { key_hash: key_hash(key), seqs });
        }
    }

    /// Takes in the entries of another builder (of another range of keys, at the same size).
    pub fn extend(&mut self, other: Builder) {
        self.entries.extend(other.entries);
    }

    /// The map.
    pub fn finish(mut self) -> KeyMap {
        self.entries.sort_unstable_by_key(|e| e.key_hash);
        KeyMap::of_entries(self.entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::SubjectKind;
    use crate::lifecycle::{Act, KeyEntry, RetractedBy};
    use crate::seq::Seq;

    fn index(seqs: &[(u64, Option<u64>)]) -> KeyIndex {
        KeyIndex {
            regime: "GIM".into(),
            kind: SubjectKind::Entity,
            record: None,
            entries: seqs
                .iter()
                .map(|&(s, r)| KeyEntry {
                    seq: Seq::new(s),
                    effective: 0,
                    recorded_at: s as i64,
                    act: Act::Designation,
                    date: true,
                    retracted_by: r.map(|r| RetractedBy { seq: Seq::new(r), recorded_at: r as i64 }),
                })
                .collect(),
        }
    }

    #[test]
    fn a_key_s_entry_lists_its_events_and_their_retractions_before_the_size() {
        let i = index(&[(3, Some(9)), (5, None), (12, None)]);
        assert_eq!(seqs_at(&i, 100), [3, 5, 9, 12]);
        assert_eq!(seqs_at(&i, 9), [3, 5], "the retraction at 9 is not yet in a tree of 9");
        assert_eq!(seqs_at(&i, 4), [3]);
        assert!(seqs_at(&i, 3).is_empty());
    }

    #[test]
    fn presence_and_absence_are_proven_and_forgeries_fail() {
        let names: Vec<String> = (0..37).map(|i| format!("UK/GIM{i:04}")).collect();
        let indexes: Vec<KeyIndex> =
            (0..37u64).map(|i| index(&[(i + 1, None), (i + 40, (i % 5 == 0).then_some(i + 90))])).collect();
        let map = KeyMap::new(names.iter().map(String::as_str).zip(&indexes), 1000);
        let c = map.commitment();
        assert_eq!(c.keys, 37);
        for (n, i) in names.iter().zip(&indexes) {
            let p = map.prove(n);
            assert_eq!(p.verify(n, &c).unwrap(), seqs_at(i, 1000), "{n}");
            // The proof of one key is not a proof for another.
            assert!(p.verify("UK/OTHER", &c).is_err());
        }
        for absent in ["UK/NEVER", "UN/QDi.001", "A", "zzz"] {
            let p = map.prove(absent);
            assert!(matches!(p, MapProof::Absent { .. }));
            assert_eq!(p.verify(absent, &c).unwrap(), Vec::<u64>::new(), "{absent}");
            // Not a proof of absence for a key the map holds.
            assert!(p.verify(&names[0], &c).is_err());
        }
        // A dropped seq, an added seq, another size's commitment: refused.
        let MapProof::Present(mut p) = map.prove(&names[3]) else { panic!("present") };
        p.entry.seqs.pop();
        assert!(MapProof::Present(p.clone()).verify(&names[3], &c).is_err());
        p.entry.seqs.push(4000);
        p.entry.seqs.push(4001);
        assert!(MapProof::Present(p).verify(&names[3], &c).is_err());
        let smaller = KeyMap::new(names.iter().map(String::as_str).zip(&indexes), 60).commitment();
        assert!(map.prove(&names[3]).verify(&names[3], &smaller).is_err());
        // An absence proof with a gap between its neighbours.
        let MapProof::Absent { before: Some(b), after: Some(_) } = map.prove("UK/NEVER") else { panic!("between two") };
        let MapProof::Present(far) = map.prove(&names[(b.index as usize + 5) % 37]) else { panic!("present") };
        let gap = MapProof::Absent { before: Some(b), after: Some(far) };
        assert!(gap.verify("UK/NEVER", &c).is_err());
        // The empty map.
        let empty = KeyMap::new(std::iter::empty(), 10);
        assert_eq!(empty.root(), merkle::empty_root());
        assert_eq!(empty.prove("UK/X").verify("UK/X", &empty.commitment()).unwrap(), Vec::<u64>::new());
    }
}
