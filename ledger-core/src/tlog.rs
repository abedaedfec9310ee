//! The log as static files: the C2SP tlog-tiles layout (<https://c2sp.org/tlog-tiles>), which
//! any web server, CDN or object store can serve, and anyone can mirror and re-verify.
//!
//! - `checkpoint`: the signed note of the tree's size and root (and any witness cosignatures);
//! - `tile/<L>/<N>[.p/<W>]`: hash tiles. A tile is 256 consecutive hashes of one level of the tree
//!   (32 bytes each): at level 0 the leaves, at level `L` the roots of the full tiles of level
//!   `L - 1`, i.e. the perfect subtrees of `256^L` leaves. The rightmost tile of a level is
//!   partial (`W` < 256 hashes) until it fills;
//! - `tile/entries/<N>[.p/<W>]`: entry bundles, the entries of the leaves of level-0 tile `N`,
//!   each as a big-endian `u16` length and the entry's bytes ([`crate::entry`]).
//!
//! `N` is written in 3-digit groups, all but the last prefixed by `x`: 1234067 is
//! `x001/x234/067`. Tiles never change once written (a partial tile of a width is always the
//! same bytes), so publishing only adds files and replaces the checkpoint.
//!
//! [`TiledTree`] reads a published tree through any [`TileSource`] (a directory, an HTTP server)
//! as [`merkle::Subtrees`], so that roots and proofs of a published log are computed from its
//! tiles exactly as from the ledger's own store.
//!
//! ```
//! use ledger_core::tlog::{Tile, parse_path};
//! let t = Tile::hashes(0, 1234067, 256);
//! assert_eq!(t.path(), "tile/0/x001/x234/067");
//! assert_eq!(Tile::entries(5, 17).path(), "tile/entries/005.p/17");
//! assert_eq!(parse_path("tile/0/x001/x234/067"), Some(t));
//! ```

use std::collections::HashMap;

use crate::chain::Hash;
use crate::merkle::{self, Subtrees};

/// Hashes per full tile.
pub const TILE_WIDTH: u64 = 256;
/// Tree levels a tile spans: a tile at level `L` holds hashes of tree level `8·L`.
pub const TILE_HEIGHT: u32 = 8;
/// The longest entry an entry bundle can hold: its length is a `u16`.
pub const MAX_ENTRY_BYTES: usize = u16::MAX as usize;
/// The highest tile level the spec allows.
const MAX_LEVEL: u32 = 63;

/// One file of the layout: a hash tile (`level` is `Some`) or an entry bundle (`None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tile {
    /// The tile's level; `None` for an entry bundle.
    pub level: Option<u32>,
    /// Its index within the level.
    pub index: u64,
    /// How many hashes (or entries) it holds, 1 to 256.
    pub width: u64,
}

impl Tile {
    /// Hash tile `index` of `level`, of `width` hashes.
    pub fn hashes(level: u32, index: u64, width: u64) -> Tile {
        Tile { level: Some(level), index, width }
    }

    /// Entry bundle `index`, of `width` entries.
    pub fn entries(index: u64, width: u64) -> Tile {
        Tile { level: None, index, width }
    }

    /// Whether it holds fewer than 256 hashes or entries.
    pub fn is_partial(&self) -> bool {
        self.width < TILE_WIDTH
    }

    /// Its path under the log's prefix.
    pub fn path(&self) -> String {
        let level = match self.level {
            Some(l) => l.to_string(),
            None => "entries".to_owned(),
        };
        let mut p = format!("tile/{level}/{}", encode_index(self.index));
        if self.is_partial() {
            p.push_str(&format!(".p/{}", self.width));
        }
        p
    }

    /// The size in bytes of a hash tile (an entry bundle's size depends on its entries).
    pub fn hash_bytes(&self) -> usize {
        self.width as usize * 32
    }
}

/// `N` in 3-digit groups, all but the last prefixed by `x`.
pub fn encode_index(n: u64) -> String {
    let mut groups = Vec::new();
    let mut n = n;
    loop {
        groups.push(n % 1000);
        n /= 1000;
        if n == 0 {
            break;
        }
    }
    let last = groups.len() - 1;
    groups
        .iter()
        .rev()
        .enumerate()
        .map(|(i, g)| if i < last { format!("x{g:03}") } else { format!("{g:03}") })
        .collect::<Vec<_>>()
        .join("/")
}

/// Reads a tile's path (relative to the log's prefix) in exactly the spec's encoding: no other
/// spelling of a tile is accepted (so that one tile has one path), and anything else is `None`.
pub fn parse_path(path: &str) -> Option<Tile> {
    let rest = path.strip_prefix("tile/")?;
    let (level, rest) = rest.split_once('/')?;
    let level = match level {
        "entries" => None,
        l => {
            let n: u32 = l.parse().ok()?;
            (n.to_string() == l && n <= MAX_LEVEL).then_some(n)?;
            Some(n)
        }
    };
    let (index_part, width) = match rest.split_once(".p/") {
        Some((i, w)) => {
            let width: u64 = w.parse().ok()?;
            (width.to_string() == w && (1..TILE_WIDTH).contains(&width)).then_some(())?;
            (i, width)
        }
        None => (rest, TILE_WIDTH),
    };
    let groups: Vec<&str> = index_part.split('/').collect();
    let mut index: u64 = 0;
    for (i, g) in groups.iter().enumerate() {
        let digits = if i + 1 < groups.len() { g.strip_prefix('x')? } else { g };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        index = index.checked_mul(1000)?.checked_add(digits.parse().ok()?)?;
    }
    let tile = Tile { level, index, width };
    (tile.path() == path).then_some(tile)
}

/// How many hashes of tile `index` at `level` a tree of `size` leaves has: 0 if none, 256 if the
/// tile is full. (The tree has `size / 256^level` complete hashes at that level.)
pub fn width_in(level: u32, index: u64, size: u64) -> u64 {
    let shift = level.saturating_mul(TILE_HEIGHT);
    let at_level = if shift >= 64 { 0 } else { size >> shift };
    at_level.saturating_sub(index.saturating_mul(TILE_WIDTH)).min(TILE_WIDTH)
}

/// Every tile a tree of `size` leaves is served as, level by level from 0, and the entry bundles:
/// the full tiles and, at each level whose count is not a multiple of 256, the partial one.
pub fn tiles_of(size: u64) -> impl Iterator<Item = Tile> {
    let levels = (0..=MAX_LEVEL).take_while(move |&l| width_in(l, 0, size) > 0);
    let hash_tiles = levels.flat_map(move |level| {
        let count = size >> (level * TILE_HEIGHT);
        (0..count.div_ceil(TILE_WIDTH)).map(move |i| Tile::hashes(level, i, width_in(level, i, size)))
    });
    let bundles = (0..size.div_ceil(TILE_WIDTH)).map(move |i| Tile::entries(i, width_in(0, i, size)));
    hash_tiles.chain(bundles)
}

/// Why an entry could not go into an entry bundle, or a bundle could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryBundleError {
    /// An entry longer than a bundle's `u16` length can say.
    #[error("an entry of {len} bytes: an entry bundle holds entries of at most {MAX_ENTRY_BYTES} bytes")]
    TooLong {
        /// Its length.
        len: usize,
    },
    /// The bundle ends inside an entry or its length.
    #[error("truncated: entry {entry} of {width} is cut short at byte {at}")]
    Truncated {
        /// The entry (0-based, within the bundle).
        entry: u64,
        /// The entries the bundle should hold.
        width: u64,
        /// The byte offset where the bundle ends.
        at: usize,
    },
    /// Bytes left after the last entry the width allows.
    #[error("{extra} bytes after its {width} entries")]
    Trailing {
        /// How many.
        extra: usize,
        /// The entries it holds.
        width: u64,
    },
}

/// Appends one entry to an entry bundle.
pub fn push_entry(bundle: &mut Vec<u8>, entry: &[u8]) -> Result<(), EntryBundleError> {
    let len = u16::try_from(entry.len()).map_err(|_| EntryBundleError::TooLong { len: entry.len() })?;
    bundle.extend_from_slice(&len.to_be_bytes());
    bundle.extend_from_slice(entry);
    Ok(())
}

/// The entries of an entry bundle that must hold exactly `width` of them.
pub fn read_entries(bundle: &[u8], width: u64) -> Result<Vec<&[u8]>, EntryBundleError> {
    let mut out = Vec::with_capacity(width as usize);
    let mut at = 0usize;
    for entry in 0..width {
        let truncated = EntryBundleError::Truncated { entry, width, at: bundle.len() };
        let len = bundle.get(at..at + 2).ok_or(truncated.clone())?;
        let len = u16::from_be_bytes([len[0], len[1]]) as usize;
        let bytes = bundle.get(at + 2..at + 2 + len).ok_or(truncated)?;
        out.push(bytes);
        at += 2 + len;
    }
    if at != bundle.len() {
        return Err(EntryBundleError::Trailing { extra: bundle.len() - at, width });
    }
    Ok(out)
}

/// The hashes of a hash tile's bytes; `None` if they are not `width` hashes.
pub fn read_hashes(tile: &[u8], width: u64) -> Option<Vec<Hash>> {
    if tile.len() as u64 != width * 32 {
        return None;
    }
    Some(tile.chunks_exact(32).map(|c| Hash(c.try_into().unwrap_or([0; 32]))).collect())
}

/// Where a published log's files are read from.
pub trait TileSource {
    /// The error of a read.
    type Error: std::fmt::Display;
    /// The file at `path` (relative to the log's prefix, e.g. `checkpoint`), or `None` if the
    /// source has no such file.
    fn read(&mut self, path: &str) -> Result<Option<Vec<u8>>, Self::Error>;
}

/// A published log in a local directory.
pub struct DirSource {
    root: std::path::PathBuf,
}

impl DirSource {
    /// The log published in `root`.
    pub fn new(root: impl Into<std::path::PathBuf>) -> DirSource {
        DirSource { root: root.into() }
    }
}

impl TileSource for DirSource {
    type Error = std::io::Error;
    fn read(&mut self, path: &str) -> Result<Option<Vec<u8>>, std::io::Error> {
        match std::fs::read(self.root.join(path)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Why a published tree could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TileError<E: std::fmt::Display> {
    /// The source failed.
    #[error("{path}: {error}")]
    Source {
        /// The file.
        path: String,
        /// What failed.
        error: E,
    },
    /// The source lacks a tile the tree needs.
    #[error("{path} is missing: a published log of {size} leaves has it")]
    Missing {
        /// The tile's path.
        path: String,
        /// The tree's size.
        size: u64,
    },
    /// A tile is not the hashes it should be.
    #[error("{path} is {len} bytes, not {expected} ({width} hashes)")]
    Malformed {
        /// The tile's path.
        path: String,
        /// Its length.
        len: usize,
        /// The length it should have.
        expected: usize,
        /// Its width.
        width: u64,
    },
    /// A subtree beyond the tree's size was asked for (a bug of the caller).
    #[error("subtree {level}/{index} is not in the tree of {size} leaves")]
    Beyond {
        /// The subtree's level.
        level: u32,
        /// Its index.
        index: u64,
        /// The tree's size.
        size: u64,
    },
}

/// A published tree of `size` leaves, read tile by tile from a [`TileSource`] (each tile once).
pub struct TiledTree<S: TileSource> {
    source: S,
    size: u64,
    tiles: HashMap<(u32, u64), Vec<Hash>>,
    /// Tiles read, for reports.
    pub fetched: u64,
}

impl<S: TileSource> TiledTree<S> {
    /// The tree of `size` leaves (a checkpoint's size) that `source` publishes.
    pub fn new(source: S, size: u64) -> Self {
        TiledTree { source, size, tiles: HashMap::new(), fetched: 0 }
    }

    /// The source, for reading other files of the log.
    pub fn source(&mut self) -> &mut S {
        &mut self.source
    }

    /// The hashes of tile `index` at `level`, as wide as the tree's size makes it: the partial
    /// tile of that width, or the full tile's first hashes where only the full one is left.
    pub fn tile(&mut self, level: u32, index: u64) -> Result<&[Hash], TileError<S::Error>> {
        if !self.tiles.contains_key(&(level, index)) {
            let width = width_in(level, index, self.size);
            let tile = Tile::hashes(level, index, width);
            if width == 0 {
                return Err(TileError::Missing { path: tile.path(), size: self.size });
            }
            let hashes = self.read_tile(tile)?;
            self.tiles.insert((level, index), hashes);
        }
        Ok(self.tiles.get(&(level, index)).map(Vec::as_slice).unwrap_or(&[]))
    }

    fn read_tile(&mut self, tile: Tile) -> Result<Vec<Hash>, TileError<S::Error>> {
        let mut tries = vec![tile];
        if tile.is_partial() {
            // A log may delete a partial tile once its full tile is there (the spec allows it).
            tries.push(Tile { width: TILE_WIDTH, ..tile });
        }
        for t in tries {
            let path = t.path();
            let read = self.source.read(&path).map_err(|error| TileError::Source { path: path.clone(), error })?;
            let Some(bytes) = read else { continue };
            self.fetched += 1;
            let hashes = read_hashes(&bytes, t.width).ok_or_else(|| TileError::Malformed {
                path: path.clone(),
                len: bytes.len(),
                expected: t.hash_bytes(),
                width: t.width,
            })?;
            return Ok(hashes[..tile.width as usize].to_vec());
        }
        Err(TileError::Missing { path: tile.path(), size: self.size })
    }
}

impl<S: TileSource> Subtrees for TiledTree<S> {
    type Error = TileError<S::Error>;

    fn subtree(&mut self, level: u32, index: u64) -> Result<Hash, Self::Error> {
        // The subtree's leaves must all be in the tree.
        let end = (level < 64).then(|| index.checked_add(1)?.checked_mul(1u64 << level)).flatten();
        if end.is_none_or(|end| end > self.size) {
            return Err(beyond_err(level, index, self.size));
        }
        let tile_level = level / TILE_HEIGHT;
        let within = level % TILE_HEIGHT;
        // The subtree is the root of 2^within consecutive hashes of tree level 8·tile_level.
        let first = index << within;
        let (tile_index, offset) = (first / TILE_WIDTH, (first % TILE_WIDTH) as usize);
        let size = self.size;
        let hashes = self.tile(tile_level, tile_index)?;
        let count = 1usize << within;
        let mut nodes: Vec<Hash> =
            hashes.get(offset..offset + count).ok_or_else(|| beyond_err(level, index, size))?.to_vec();
        while nodes.len() > 1 {
            nodes = nodes.chunks_exact(2).map(|p| merkle::node_hash(&p[0], &p[1])).collect();
        }
        nodes.pop().ok_or_else(|| beyond_err(level, index, self.size))
    }
}

fn beyond_err<E: std::fmt::Display>(level: u32, index: u64, size: u64) -> TileError<E> {
    TileError::Beyond { level, index, size }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::Leaves;

    #[test]
    fn paths_are_the_specs() {
        assert_eq!(encode_index(0), "000");
        assert_eq!(encode_index(999), "999");
        assert_eq!(encode_index(1000), "x001/000");
        assert_eq!(encode_index(1_234_067), "x001/x234/067");
        assert_eq!(Tile::hashes(2, 3, 17).path(), "tile/2/003.p/17");
        assert_eq!(Tile::entries(1000, 256).path(), "tile/entries/x001/000");
        for good in ["tile/0/000", "tile/0/x001/x234/067", "tile/63/000.p/1", "tile/entries/x999/255.p/255"] {
            assert_eq!(parse_path(good).map(|t| t.path()), Some(good.to_owned()), "{good}");
        }
        for bad in [
            "tile/0/0",
            "tile/00/000",
            "tile/0/001/000",
            "tile/0/x000/001",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/07",
            "tile/64/000",
            "tile/0/../000",
            "tile/entries/000/",
            "tile/0/x1/000",
            "checkpoint",
            "tile/0/000.p/",
        ] {
            assert_eq!(parse_path(bad), None, "{bad}");
        }
    }

    /// The spec's example: a tree of 70,000 leaves.
    #[test]
    fn the_tiles_of_a_tree_of_70000() {
        let tiles: Vec<Tile> = tiles_of(70_000).collect();
        let level = |l: u32| tiles.iter().filter(move |t| t.level == Some(l)).collect::<Vec<_>>();
        assert_eq!(level(0).len(), 274);
        assert_eq!(level(0).iter().filter(|t| !t.is_partial()).count(), 273);
        assert_eq!(level(0).last().map(|t| t.width), Some(112));
        assert_eq!(level(1).iter().map(|t| t.width).collect::<Vec<_>>(), [256, 17]);
        assert_eq!(level(2).iter().map(|t| t.width).collect::<Vec<_>>(), [1]);
        assert!(level(3).is_empty());
        assert_eq!(tiles.iter().filter(|t| t.level.is_none()).count(), 274);
        let of_256: Vec<Tile> = tiles_of(256).collect();
        assert_eq!(of_256, [Tile::hashes(0, 0, 256), Tile::hashes(1, 0, 1), Tile::entries(0, 256)]);
        assert_eq!(tiles_of(0).count(), 0);
    }

    #[test]
    fn entry_bundles_round_trip_and_refuse_damage() {
        let mut b = Vec::new();
        for e in [&b"{}"[..], b"", b"{\"a\":1}"] {
            push_entry(&mut b, e).unwrap();
        }
        assert_eq!(read_entries(&b, 3).unwrap(), [&b"{}"[..], b"", b"{\"a\":1}"]);
        assert!(matches!(read_entries(&b[..b.len() - 1], 3), Err(EntryBundleError::Truncated { entry: 2, .. })));
        assert!(matches!(read_entries(&b, 2), Err(EntryBundleError::Trailing { extra: 9, width: 2 })));
        assert!(matches!(read_entries(&b, 4), Err(EntryBundleError::Truncated { entry: 3, .. })));
        assert!(push_entry(&mut b, &vec![b'x'; MAX_ENTRY_BYTES + 1]).is_err());
        assert!(push_entry(&mut b, &vec![b'x'; MAX_ENTRY_BYTES]).is_ok());
    }

    /// Tiles in memory, as a publisher would write them for a tree of `size` leaves.
    struct Memory(HashMap<String, Vec<u8>>);

    impl TileSource for Memory {
        type Error = std::convert::Infallible;
        fn read(&mut self, path: &str) -> Result<Option<Vec<u8>>, Self::Error> {
            Ok(self.0.get(path).cloned())
        }
    }

    fn published(leaves: &[Hash]) -> Memory {
        let size = leaves.len() as u64;
        let mut tree = Leaves::new(leaves.to_vec());
        let mut files = HashMap::new();
        for t in tiles_of(size).filter(|t| t.level.is_some()) {
            let level = t.level.unwrap_or(0) * TILE_HEIGHT;
            let bytes: Vec<u8> =
                (0..t.width).flat_map(|i| tree.subtree(level, t.index * TILE_WIDTH + i).unwrap().0).collect();
            files.insert(t.path(), bytes);
        }
        Memory(files)
    }

    #[test]
    fn a_tiled_tree_gives_the_roots_and_proofs_of_the_tree() {
        let leaves: Vec<Hash> = (0..70_000u32).map(|i| merkle::leaf_hash(&i.to_be_bytes())).collect();
        let mut memory = Leaves::new(leaves.clone());
        for size in [1u64, 2, 255, 256, 257, 511, 512, 65_535, 65_536, 65_537, 70_000] {
            let mut tiled = TiledTree::new(published(&leaves[..size as usize]), size);
            let root = merkle::root(&mut tiled, size).unwrap();
            assert_eq!(root, merkle::root(&mut memory, size).unwrap(), "root of {size}");
            for seq in [0, size / 2, size - 1] {
                let path = merkle::inclusion_path(&mut tiled, seq, size).unwrap();
                assert!(merkle::verify_inclusion(seq, size, &leaves[seq as usize], &path, &root), "{seq} in {size}");
            }
            for old in [1, size / 3 + 1, size] {
                let proof = merkle::consistency_path(&mut tiled, old, size).unwrap();
                let old_root = merkle::root(&mut memory, old).unwrap();
                assert!(merkle::verify_consistency(old, size, &old_root, &root, &proof), "{old} → {size}");
            }
        }
        // A partial tile deleted once its full tile is there: the full tile serves. (The log
        // grew from 300 leaves to 512 and kept its other files.)
        let mut grown = published(&leaves[..512]);
        grown.0.extend(published(&leaves[..300]).0);
        grown.0.remove("tile/0/001.p/44");
        let mut tiled = TiledTree::new(grown, 300);
        assert_eq!(merkle::root(&mut tiled, 300).unwrap(), merkle::root(&mut memory, 300).unwrap());
        // A missing or short tile is named.
        let mut broken = published(&leaves[..300]);
        broken.0.remove("tile/0/001.p/44");
        let e = merkle::root(&mut TiledTree::new(broken, 300), 300).unwrap_err().to_string();
        assert!(e.contains("tile/0/001.p/44 is missing"), "{e}");
        let mut short = published(&leaves[..300]);
        short.0.get_mut("tile/1/000.p/1").unwrap().pop();
        let e = merkle::root(&mut TiledTree::new(short, 300), 300).unwrap_err().to_string();
        assert!(e.contains("tile/1/000.p/1 is 31 bytes, not 32"), "{e}");
    }
}
