//! The keys of the store's keyspaces, and the head record's bytes.

use crate::chain::{Hash, Head};
use crate::event::Key;
use crate::seq::Seq;
use crate::time::Timestamp;

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
/// the index) was written by earlier development builds; layout 2 kept a Merkle tree of BLAKE3
/// over event hashes (its bundles are still restored: [`crate::merkle::layout2`]).
pub const LAYOUT: u32 = 3;
/// The prefix of Merkle tree nodes (perfect subtrees of 64 leaves and more).
pub const TREE_PREFIX: &[u8] = b"t/";
/// The prefix of the last import of each authority's list.
pub const IMPORT_PREFIX: &[u8] = b"m/import/";

/// The sled key of block `n`.
pub fn block_key(n: u64) -> Vec<u8> {
    let mut k = BLOCK_PREFIX.to_vec();
    k.extend_from_slice(&n.to_be_bytes());
    k
}

/// The block number of a block key.
pub(super) fn block_number(k: &[u8]) -> Option<u64> {
    k.get(BLOCK_PREFIX.len()..).and_then(|b| b.try_into().ok()).map(u64::from_be_bytes)
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

/// The key of an authority's last import.
pub(super) fn import_key(authority: &str) -> Vec<u8> {
    [IMPORT_PREFIX, authority.as_bytes()].concat()
}

pub(super) fn encode_head(h: &Head) -> [u8; 48] {
    let mut out = [0u8; 48];
    out[..8].copy_from_slice(&h.seq.get().to_be_bytes());
    out[8..40].copy_from_slice(&h.hash.0);
    out[40..].copy_from_slice(&h.recorded_at.0.to_be_bytes());
    out
}

pub(super) fn decode_head(v: &[u8]) -> Option<Head> {
    if v.len() != 48 {
        return None;
    }
    Some(Head {
        seq: Seq::new(u64::from_be_bytes(v[..8].try_into().ok()?)),
        hash: Hash(v[8..40].try_into().ok()?),
        recorded_at: Timestamp(i64::from_be_bytes(v[40..].try_into().ok()?)),
    })
}
