//! The Merkle tree over event hashes: RFC 9162 section 2.1 with BLAKE3-256 as the hash.
//!
//! Leaf `i` is `H(0x00 || hash of event i)`; an inner node is `H(0x01 || left || right)`; the
//! tree of `n` leaves splits at the largest power of two below `n`. Everything here works through
//! [`Subtrees`], the hashes of perfect (power-of-two, aligned) subtrees: the store keeps those of
//! 64 leaves and more and computes smaller ones from the event hashes of one block, so a root or
//! a proof costs O(log n) lookups.
//!
//! ```
//! use ledger_core::chain::Hash;
//! use ledger_core::merkle::{self, Leaves};
//! let leaves = Leaves::new((0u8..5).map(|i| Hash([i; 32])).collect());
//! let root = merkle::root(&mut leaves.clone(), 5).unwrap();
//! let path = merkle::inclusion_path(&mut leaves.clone(), 3, 5).unwrap();
//! assert!(merkle::verify_inclusion(3, 5, &merkle::leaf_hash(&Hash([3; 32])), &path, &root));
//! ```

use crate::chain::Hash;

fn h(parts: &[&[u8]]) -> Hash {
    let mut hasher = blake3::Hasher::new();
    for p in parts {
        hasher.update(p);
    }
    Hash(*hasher.finalize().as_bytes())
}

/// The leaf hash of an event: `H(0x00 || event hash)`.
pub fn leaf_hash(event_hash: &Hash) -> Hash {
    h(&[&[0u8], &event_hash.0])
}

/// An inner node: `H(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    h(&[&[1u8], &left.0, &right.0])
}

/// The root of the empty tree: `H()`.
pub fn empty_root() -> Hash {
    h(&[])
}

/// The hashes of perfect subtrees: `subtree(level, index)` covers leaves
/// `index·2^level .. (index+1)·2^level`.
pub trait Subtrees {
    /// The error reading a subtree.
    type Error;
    /// The hash of a perfect subtree.
    fn subtree(&mut self, level: u32, index: u64) -> Result<Hash, Self::Error>;
}

/// The largest power of two strictly below `n` (n ≥ 2).
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// MTH of leaves `start..end`, where `start` is aligned as RFC 9162's recursion leaves it.
fn mth<S: Subtrees>(s: &mut S, start: u64, end: u64) -> Result<Hash, S::Error> {
    let n = end - start;
    if n == 0 {
        return Ok(empty_root());
    }
    if n.is_power_of_two() && start.is_multiple_of(n) {
        let level = n.trailing_zeros();
        return s.subtree(level, start >> level);
    }
    let k = split(n);
    let left = mth(s, start, start + k)?;
    let right = mth(s, start + k, end)?;
    Ok(node_hash(&left, &right))
}

/// The root of the tree of the first `size` leaves.
pub fn root<S: Subtrees>(s: &mut S, size: u64) -> Result<Hash, S::Error> {
    mth(s, 0, size)
}

/// The audit path of leaf `index` in the tree of `size` leaves (RFC 9162 2.1.3.1), leaf first.
/// `index < size` is the caller's to check.
pub fn inclusion_path<S: Subtrees>(s: &mut S, index: u64, size: u64) -> Result<Vec<Hash>, S::Error> {
    fn path<S: Subtrees>(s: &mut S, m: u64, start: u64, end: u64, out: &mut Vec<Hash>) -> Result<(), S::Error> {
        let n = end - start;
        if n <= 1 {
            return Ok(());
        }
        let k = split(n);
        if m < start + k {
            path(s, m, start, start + k, out)?;
            out.push(mth(s, start + k, end)?);
        } else {
            path(s, m, start + k, end, out)?;
            out.push(mth(s, start, start + k)?);
        }
        Ok(())
    }
    let mut out = Vec::new();
    path(s, index, 0, size, &mut out)?;
    Ok(out)
}

/// The consistency proof between the trees of `old` and `new` leaves (RFC 9162 2.1.4.1).
/// `0 < old <= new` is the caller's to check.
pub fn consistency_path<S: Subtrees>(s: &mut S, old: u64, new: u64) -> Result<Vec<Hash>, S::Error> {
    fn sub<S: Subtrees>(
        s: &mut S,
        m: u64,
        start: u64,
        end: u64,
        whole: bool,
        out: &mut Vec<Hash>,
    ) -> Result<(), S::Error> {
        let n = end - start;
        if m == n {
            if !whole {
                out.push(mth(s, start, end)?);
            }
            return Ok(());
        }
        let k = split(n);
        if m <= k {
            sub(s, m, start, start + k, whole, out)?;
            out.push(mth(s, start + k, end)?);
        } else {
            sub(s, m - k, start + k, end, false, out)?;
            out.push(mth(s, start, start + k)?);
        }
        Ok(())
    }
    let mut out = Vec::new();
    sub(s, old, 0, new, true, &mut out)?;
    Ok(out)
}

/// Checks an inclusion proof (RFC 9162 2.1.3.2): that `leaf` (a leaf hash) is leaf `index` of
/// the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, path: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && r == *root
}

/// Checks a consistency proof (RFC 9162 2.1.4.2): that the tree of `old` leaves with root
/// `old_root` is a prefix of the tree of `new` leaves with root `new_root`.
pub fn verify_consistency(old: u64, new: u64, old_root: &Hash, new_root: &Hash, path: &[Hash]) -> bool {
    if old == 0 || old > new {
        return false;
    }
    if old == new {
        return path.is_empty() && old_root == new_root;
    }
    let mut path: Vec<Hash> = path.to_vec();
    if old.is_power_of_two() {
        path.insert(0, *old_root);
    }
    let Some((first, rest)) = path.split_first() else { return false };
    let (mut fnode, mut snode) = (old - 1, new - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && fr == *old_root && sr == *new_root
}

/// A whole tree in memory, from its event hashes: for bundles, tests and rebuilds.
#[derive(Debug, Clone)]
pub struct Leaves {
    /// `levels[l][i]` is `subtree(l, i)`; level 0 holds the leaf hashes.
    levels: Vec<Vec<Hash>>,
}

impl Leaves {
    /// The tree over these event hashes.
    pub fn new(event_hashes: Vec<Hash>) -> Self {
        let mut t = Leaves { levels: vec![Vec::with_capacity(event_hashes.len())] };
        for e in &event_hashes {
            t.push(e);
        }
        t
    }

    /// Appends one event hash, completing the perfect subtrees it closes.
    pub fn push(&mut self, event_hash: &Hash) {
        let mut node = leaf_hash(event_hash);
        let mut level = 0;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(node);
            let n = self.levels[level].len();
            if n % 2 == 1 {
                break;
            }
            node = node_hash(&self.levels[level][n - 2], &self.levels[level][n - 1]);
            level += 1;
        }
    }

    /// How many leaves.
    pub fn len(&self) -> u64 {
        self.levels[0].len() as u64
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.levels[0].is_empty()
    }

    /// Every perfect subtree of `level` (complete ones only).
    pub fn level(&self, level: u32) -> &[Hash] {
        self.levels.get(level as usize).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// A subtree not in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Missing {
    /// Its level.
    pub level: u32,
    /// Its index.
    pub index: u64,
}

impl Subtrees for Leaves {
    type Error = Missing;
    fn subtree(&mut self, level: u32, index: u64) -> Result<Hash, Missing> {
        self.levels.get(level as usize).and_then(|l| l.get(index as usize)).copied().ok_or(Missing { level, index })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9162's definitions, literally, over a slice of leaf hashes.
    fn naive_mth(d: &[Hash]) -> Hash {
        match d.len() {
            0 => empty_root(),
            1 => d[0],
            n => {
                let k = split(n as u64) as usize;
                node_hash(&naive_mth(&d[..k]), &naive_mth(&d[k..]))
            }
        }
    }

    fn event(i: u64) -> Hash {
        crate::chain::hash_canonical(i.to_string().as_bytes())
    }

    #[test]
    fn every_proof_of_trees_up_to_64() {
        let all: Vec<Hash> = (0..64).map(event).collect();
        let mut tree = Leaves::new(all.clone());
        for size in 1..=64u64 {
            let leaves: Vec<Hash> = all[..size as usize].iter().map(leaf_hash).collect();
            let root = root(&mut tree, size).unwrap();
            assert_eq!(root, naive_mth(&leaves), "root of {size}");
            for m in 0..size {
                let path = inclusion_path(&mut tree, m, size).unwrap();
                assert!(verify_inclusion(m, size, &leaves[m as usize], &path, &root), "inclusion {m} in {size}");
                assert!(!verify_inclusion(m, size, &leaves[((m + 1) % size) as usize], &path, &root) || size == 1);
                if let Some(first) = path.first() {
                    let mut bad = path.clone();
                    bad[0] = node_hash(first, first);
                    assert!(!verify_inclusion(m, size, &leaves[m as usize], &bad, &root), "a changed sibling");
                    if size > 1 {
                        assert!(
                            !verify_inclusion((m + 1) % size, size, &leaves[m as usize], &path, &root),
                            "wrong index"
                        );
                    }
                }
            }
            for old in 1..=size {
                let old_root = naive_mth(&leaves[..old as usize]);
                let proof = consistency_path(&mut tree, old, size).unwrap();
                assert!(verify_consistency(old, size, &old_root, &root, &proof), "consistency {old} → {size}");
                if old < size {
                    let other = naive_mth(&all[..old as usize].iter().rev().map(leaf_hash).collect::<Vec<_>>());
                    assert!(old == 1 || !verify_consistency(old, size, &other, &root, &proof), "a wrong old root");
                    let mut bad = proof.clone();
                    if let Some(last) = bad.last_mut() {
                        *last = node_hash(last, last);
                        assert!(!verify_consistency(old, size, &old_root, &root, &bad), "a changed proof node");
                    }
                }
            }
        }
    }

    #[test]
    fn empty_and_single() {
        assert_eq!(root(&mut Leaves::new(vec![]), 0).unwrap(), empty_root());
        let one = Leaves::new(vec![event(0)]);
        assert_eq!(root(&mut one.clone(), 1).unwrap(), leaf_hash(&event(0)));
        assert!(inclusion_path(&mut one.clone(), 0, 1).unwrap().is_empty());
        assert!(!verify_consistency(0, 1, &empty_root(), &leaf_hash(&event(0)), &[]));
    }
}
