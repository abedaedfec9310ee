//! The storage interface the store is written against: a sorted map of byte keys to byte values,
//! read by key and by range, written by atomic batches. sled implements it ([`super::sled::Sled`]);
//! a test, a benchmark or another engine can sit behind the same five methods.

use std::ops::Bound;

use crate::error::Result;

/// One atomic write: values to insert (`Some`) or keys to remove (`None`), applied all or none.
#[derive(Debug, Default)]
pub struct Batch {
    /// The writes, in order.
    pub ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// Bytes of every key and value inserted.
    pub bytes: u64,
}

impl Batch {
    /// Inserts (or replaces) `key`'s value.
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.bytes += (key.len() + value.len()) as u64;
        self.ops.push((key, Some(value)));
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: Vec<u8>) {
        self.ops.push((key, None));
    }
}

/// The (key, value) pairs of a range, in key order either way.
pub type Entries<'a, V> = Box<dyn DoubleEndedIterator<Item = Result<(V, V)>> + 'a>;

/// What the store needs of a key-value engine.
pub trait Backend: Send + Sync {
    /// A stored key or value: cheap to clone and to hand to another thread.
    type Bytes: AsRef<[u8]> + Clone + Send + Sync + 'static;

    /// The value of `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Self::Bytes>>;

    /// The keys and values from `from` to `to`, in key order (and in reverse, from the back).
    fn range(&self, from: Bound<Vec<u8>>, to: Bound<Vec<u8>>) -> Entries<'_, Self::Bytes>;

    /// Applies a batch atomically: after a crash, all of it or none of it is there.
    fn apply(&self, batch: Batch) -> Result<()>;

    /// Makes every applied batch durable before returning.
    fn flush(&self) -> Result<()>;

    /// Bytes the engine occupies on disk.
    fn size_on_disk(&self) -> Result<u64>;
}
