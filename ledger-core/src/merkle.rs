//! The Merkle tree of the log: RFC 6962 / RFC 9162 section 2.1 with SHA-256, as the
//! transparency-log ecosystem defines it (C2SP tlog-tiles, tlog-witness, Go's sumdb/tlog).
//!
//! Leaf `i` is `SHA-256(0x00 || entry i)`, where an entry is the canonical bytes of recorded event
//! `i` with its hash ([`crate::entry`]); an inner node is `SHA-256(0x01 || left || right)`; the
//! tree of `n` leaves splits at the largest power of two below `n`. The event chain is a second,
//! separate commitment (BLAKE3, [`crate::chain`]). Everything here works through [`Subtrees`], the
//! hashes of perfect (power-of-two, aligned) subtrees: the store keeps those of 64 leaves and more
//! and computes smaller ones from the entries of one block, and a published log's tiles hold
//! them too, so a root or a proof costs O(log n) lookups.
//!
//! ```
//! use ledger_core::merkle::{self, Leaves};
//! let leaves: Vec<_> = (0u8..5).map(|i| merkle::leaf_hash(&[i])).collect();
//! let tree = Leaves::new(leaves.clone());
//! let root = merkle::root(&mut tree.clone(), 5).unwrap();
//! let path = merkle::inclusion_path(&mut tree.clone(), 3, 5).unwrap();
//! assert!(merkle::verify_inclusion(3, 5, &leaves[3], &path, &root));
//! ```

use sha2::{Digest, Sha256};

use crate::chain::Hash;

/// The leaf hash of an entry: `SHA-256(0x00 || entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    Hash(h.finalize().into())
}

/// An inner node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left.0);
    h.update(right.0);
    Hash(h.finalize().into())
}

/// The root of the empty tree: `SHA-256()`.
pub fn empty_root() -> Hash {
    Hash(Sha256::digest([]).into())
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

/// A whole tree in memory, from its leaf hashes: for bundles, tests and rebuilds.
#[derive(Debug, Clone)]
pub struct Leaves {
    /// `levels[l][i]` is `subtree(l, i)`; level 0 holds the leaf hashes.
    levels: Vec<Vec<Hash>>,
}

impl Leaves {
    /// The tree over these leaf hashes.
    pub fn new(leaves: Vec<Hash>) -> Self {
        let mut t = Leaves { levels: vec![Vec::with_capacity(leaves.len())] };
        for leaf in leaves {
            t.push(leaf);
        }
        t
    }

    /// Appends one leaf hash, completing the perfect subtrees it closes.
    pub fn push(&mut self, leaf: Hash) {
        let mut node = leaf;
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

/// The tree of layout 2: the same shape, with BLAKE3-256 as `H` and event hashes as the leaves'
/// data (`H(0x00 || event hash)`). Stores of layout 2 kept it and their checkpoints and bundles
/// name its root; it is read only to restore such a bundle (`import-bundle`), the way from a
/// store of layout 2 to this layout.
pub mod layout2 {
    use crate::chain::Hash;

    fn h(parts: &[&[u8]]) -> Hash {
        let mut hasher = blake3::Hasher::new();
        for p in parts {
            hasher.update(p);
        }
        Hash(*hasher.finalize().as_bytes())
    }

    /// The layout 2 root of the events with these hashes.
    pub fn root(event_hashes: &[Hash]) -> Hash {
        fn mth(d: &[Hash]) -> Hash {
            match d.len() {
                0 => h(&[]),
                1 => h(&[&[0u8], &d[0].0]),
                n => {
                    let k = super::split(n as u64) as usize;
                    h(&[&[1u8], &mth(&d[..k]).0, &mth(&d[k..]).0])
                }
            }
        }
        mth(event_hashes)
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

    fn leaf(i: u64) -> Hash {
        leaf_hash(i.to_string().as_bytes())
    }

    fn hex(h: &Hash) -> String {
        h.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The roots of the RFC 6962 test tree that Certificate Transparency's implementations share
    /// (Go's sumdb/tlog, Trillian): eight leaves of 0 to 16 bytes.
    #[test]
    fn rfc_6962_known_roots() {
        let inputs =
            ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];
        let leaves: Vec<Hash> = inputs
            .iter()
            .map(|h| {
                (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()).collect::<Vec<u8>>()
            })
            .map(|bytes| leaf_hash(&bytes))
            .collect();
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let mut tree = Leaves::new(leaves);
        for (size, expected) in (1..).zip(roots) {
            assert_eq!(hex(&root(&mut tree, size).unwrap()), expected, "the root of {size}");
        }
        assert_eq!(hex(&empty_root()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn every_proof_of_trees_up_to_64() {
        let all: Vec<Hash> = (0..64).map(leaf).collect();
        let mut tree = Leaves::new(all.clone());
        for size in 1..=64u64 {
            let leaves: Vec<Hash> = all[..size as usize].to_vec();
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
                    let other = naive_mth(&all[..old as usize].iter().rev().copied().collect::<Vec<_>>());
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

    /// The root of docs/FORMAT.md's tree vector of layout 2 (seven event hashes of 0x00 to 0x06),
    /// as that layout's documentation gave it.
    #[test]
    fn layout_2_root_as_it_was() {
        let hashes: Vec<Hash> = (0u8..7).map(|i| Hash([i; 32])).collect();
        assert_eq!(hex(&layout2::root(&hashes)), "86e6ed55103cc18ad02044adebbe358f7bbad2c542c086973de8a1813e3bb83e");
        assert_eq!(
            hex(&layout2::root(&hashes[..1])),
            "232b17a92a13d46fdeeba07519406dcdad6d67b7399159364b5e26af0ab95bcf"
        );
    }

    #[test]
    fn empty_and_single() {
        assert_eq!(root(&mut Leaves::new(vec![]), 0).unwrap(), empty_root());
        let one = Leaves::new(vec![leaf(0)]);
        assert_eq!(root(&mut one.clone(), 1).unwrap(), leaf(0));
        assert!(inclusion_path(&mut one.clone(), 0, 1).unwrap().is_empty());
        assert!(!verify_consistency(0, 1, &empty_root(), &leaf(0), &[]));
    }
}
