//! The ledger's Merkle tree in the store: subtrees of 64 leaves and more are kept (written in the
//! append's atomic batch, O(log n) per block completed); smaller ones are computed from the
//! entries of one block (each leaf is `SHA-256(0x00 || entry)`, [`crate::entry`]). Roots and
//! proofs of any size up to the head cost O(log n) reads.

use std::collections::HashMap;

use crate::chain::Hash;
use crate::entry;
use crate::error::{Error, Result};
use crate::merkle::{self, Leaves, Subtrees};
use crate::store::{Store, TREE_STORED_LEVEL, block};

/// The tree as the store holds it, with the blocks read so far.
pub struct StoreTree<'a> {
    store: &'a Store,
    /// Nodes not yet in the store (an append in the making).
    pending: HashMap<(u32, u64), Hash>,
    blocks: HashMap<u64, Vec<Hash>>,
}

impl<'a> StoreTree<'a> {
    /// The tree of `store`.
    pub fn new(store: &'a Store) -> Self {
        StoreTree { store, pending: HashMap::new(), blocks: HashMap::new() }
    }

    fn damaged(&self, detail: String) -> Error {
        Error::Damaged { path: self.store.path().to_owned(), detail }
    }

    /// The leaf hashes of the block that holds `seq`, and the seq of its first event.
    fn block_leaves(&mut self, seq: u64) -> Result<(u64, &[Hash])> {
        let n = block::block_of(seq);
        if !self.blocks.contains_key(&n) {
            let events = self.store.block_holding(seq)?.ok_or_else(|| self.damaged(format!("block {n} is missing")))?;
            let malformed = || self.damaged(format!("block {n} is malformed"));
            let events = events.events().ok_or_else(malformed)?;
            let leaves: Option<Vec<Hash>> = events.iter().map(|(_, hash, bytes)| entry::leaf(hash, bytes)).collect();
            self.blocks.insert(n, leaves.ok_or_else(malformed)?);
        }
        Ok((block::first_of(n), self.blocks.get(&n).map(Vec::as_slice).unwrap_or(&[])))
    }

    /// The nodes an append completes: `leaves` are the leaf hashes of the events it appends, the
    /// first at seq `first`. Returns the new stored subtrees.
    pub fn complete(&mut self, first: u64, leaves: &[Hash]) -> Result<Vec<(u32, u64, Hash)>> {
        let width = 1u64 << TREE_STORED_LEVEL;
        let mut out = Vec::new();
        // The leaves of the stored subtree being filled: those already in the store first.
        let mut filling: Vec<Hash> = if first.is_multiple_of(width) {
            Vec::new()
        } else {
            let (start, stored) = self.block_leaves(first)?;
            let before = stored.get(..(first - start) as usize).map(<[Hash]>::to_vec);
            before.ok_or_else(|| self.damaged(format!("the log does not reach event {}", first - 1)))?
        };
        for (seq, leaf) in (first..).zip(leaves) {
            filling.push(*leaf);
            if !(seq + 1).is_multiple_of(width) {
                continue;
            }
            let mut node = Leaves::new(std::mem::take(&mut filling)).level(TREE_STORED_LEVEL)[0];
            let (mut level, mut index) = (TREE_STORED_LEVEL, seq / width);
            loop {
                self.pending.insert((level, index), node);
                out.push((level, index, node));
                if index % 2 == 0 {
                    break;
                }
                let left = self.subtree(level, index - 1)?;
                node = merkle::node_hash(&left, &node);
                level += 1;
                index /= 2;
            }
        }
        Ok(out)
    }
}

impl Subtrees for StoreTree<'_> {
    type Error = Error;
    fn subtree(&mut self, level: u32, index: u64) -> Result<Hash> {
        if level >= TREE_STORED_LEVEL {
            if let Some(h) = self.pending.get(&(level, index)) {
                return Ok(*h);
            }
            return self
                .store
                .tree_node(level, index)?
                .ok_or_else(|| self.damaged(format!("the Merkle tree lacks node {level}/{index}")));
        }
        let first = index << level;
        let count = 1usize << level;
        let (start, leaves) = self.block_leaves(first)?;
        let offset = (first - start) as usize;
        let slice = leaves
            .get(offset..offset + count)
            .ok_or_else(|| Error::Internal(format!("subtree {level}/{index} reaches past the log")))?
            .to_vec();
        let mut leaves = Leaves::new(slice);
        leaves.subtree(level, 0).map_err(|m| Error::Internal(format!("subtree {}/{} not built", m.level, m.index)))
    }
}
