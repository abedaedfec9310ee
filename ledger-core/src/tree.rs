//! The ledger's Merkle tree in the store: subtrees of 64 leaves and more are kept (written in the
//! append's atomic batch, O(log n) per block completed); smaller ones are computed from the event
//! hashes of one block. Roots and proofs of any size up to the head cost O(log n) reads.

use std::collections::HashMap;

use crate::chain::Hash;
use crate::error::{Error, Result};
use crate::merkle::{self, Leaves, Subtrees};
use crate::store::{self, BLOCK_EVENTS, Store, TREE_STORED_LEVEL};

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

    /// The event hashes of block `n`.
    fn block_hashes(&mut self, n: u64) -> Result<&[Hash]> {
        if !self.blocks.contains_key(&n) {
            let value = self.store.block(n)?.ok_or_else(|| self.damaged(format!("block {n} is missing")))?;
            let hashes = store::decode_block(&value)
                .ok_or_else(|| self.damaged(format!("block {n} is malformed")))?
                .into_iter()
                .map(|(h, _)| h)
                .collect();
            self.blocks.insert(n, hashes);
        }
        Ok(self.blocks.get(&n).map(Vec::as_slice).unwrap_or(&[]))
    }

    /// The nodes an append completes: `blocks` are the whole values of the blocks it writes (the
    /// last may be partial), in order. Returns the new stored subtrees.
    pub fn complete(&mut self, blocks: &[(u64, Vec<u8>)]) -> Result<Vec<(u32, u64, Hash)>> {
        let mut out = Vec::new();
        for (n, value) in blocks {
            let hashes: Vec<Hash> = store::decode_block(value)
                .ok_or_else(|| Error::Internal(format!("block {n} being written is malformed")))?
                .into_iter()
                .map(|(h, _)| h)
                .collect();
            if hashes.len() as u64 != BLOCK_EVENTS {
                continue;
            }
            let leaves = Leaves::new(hashes);
            let mut node = leaves.level(TREE_STORED_LEVEL)[0];
            let (mut level, mut index) = (TREE_STORED_LEVEL, *n);
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
        let (block, offset) = (first / BLOCK_EVENTS, (first % BLOCK_EVENTS) as usize);
        let count = 1usize << level;
        let hashes = self.block_hashes(block)?;
        let slice = hashes
            .get(offset..offset + count)
            .ok_or_else(|| Error::Internal(format!("subtree {level}/{index} reaches past the log")))?
            .to_vec();
        let mut leaves = Leaves::new(slice);
        leaves.subtree(level, 0).map_err(|m| Error::Internal(format!("subtree {}/{} not built", m.level, m.index)))
    }
}
