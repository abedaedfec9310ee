//! Event blocks: events are packed [`BLOCK_EVENTS`] to a stored value, because sled's cost is per
//! key written (a batch of 10k events writes about 160 block values, not 10k), and compressed,
//! because the events of a block share most of their member names and many values. This is the
//! one place that knows which block holds which seq.

use std::borrow::Cow;

use crate::chain::Hash;

/// Events per block value.
pub const BLOCK_EVENTS: u64 = 64;

/// The largest block a store holds once decompressed: 64 recorded events of the largest size,
/// with their framing. A commit never writes a larger one; a damaged length beyond it is refused
/// before anything is allocated.
pub const MAX_BLOCK_BYTES: usize = (BLOCK_EVENTS as usize) * (crate::validate::limits::MAX_RECORDED_EVENT_BYTES + 36);

/// The block that holds event `seq`.
pub fn block_of(seq: u64) -> u64 {
    seq / BLOCK_EVENTS
}

/// The position of event `seq` in its block.
fn offset_of(seq: u64) -> usize {
    (seq % BLOCK_EVENTS) as usize
}

/// The seq of the first event of block `n`.
pub fn first_of(n: u64) -> u64 {
    n * BLOCK_EVENTS
}

/// An event as a commit writes it: its hash and its canonical bytes.
#[derive(Debug, Clone)]
pub struct SealedEvent<'a> {
    /// Its hash.
    pub hash: Hash,
    /// Its canonical bytes (without `hash`).
    pub bytes: Cow<'a, [u8]>,
}

/// Appends one event to a block value.
pub fn push_event(block: &mut Vec<u8>, hash: &Hash, canonical: &[u8]) {
    block.extend_from_slice(&(canonical.len() as u32).to_le_bytes());
    block.extend_from_slice(&hash.0);
    block.extend_from_slice(canonical);
}

/// The stored form of a block's events: a codec byte (1: LZ4), the events' length (u32 LE), and
/// the LZ4 block-format compression of the events.
pub fn pack_block(events: &[u8]) -> Vec<u8> {
    let compressed = lz4_flex::block::compress(events);
    let mut out = Vec::with_capacity(5 + compressed.len());
    out.push(1);
    out.extend_from_slice(&(events.len() as u32).to_le_bytes());
    out.extend_from_slice(&compressed);
    out
}

/// The events of a stored block; `None` if it does not decompress to its stated length.
pub fn unpack_block(value: &[u8]) -> Option<Vec<u8>> {
    let mut events = Vec::new();
    unpack_block_into(value, &mut events).then_some(events)
}

/// Decompresses a stored block's events into `out` (replacing what it held); `false` if it does
/// not decompress to its stated length.
pub fn unpack_block_into(value: &[u8], out: &mut Vec<u8>) -> bool {
    let Some((&codec, rest)) = value.split_first() else { return false };
    let Some(len) = rest.get(..4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes) else { return false };
    let len = len as usize;
    if codec != 1 || len > MAX_BLOCK_BYTES {
        return false;
    }
    out.clear();
    out.resize(len, 0);
    matches!(lz4_flex::block::decompress_into(&rest[4..], out), Ok(n) if n == len)
}

/// Event `i` of a block's events (stored hash, canonical bytes), skipping the ones before it
/// without reading them. `None` if the block is shorter or malformed.
pub fn block_event(mut v: &[u8], i: usize) -> Option<(Hash, &[u8])> {
    for _ in 0..i {
        let len = u32::from_le_bytes(v.get(..4)?.try_into().ok()?) as usize;
        v = v.get(36 + len..)?;
    }
    let len = u32::from_le_bytes(v.get(..4)?.try_into().ok()?) as usize;
    Some((Hash(v.get(4..36)?.try_into().ok()?), v.get(36..36 + len)?))
}

/// Splits a block's events into (stored hash, canonical bytes). `None` if malformed.
pub fn decode_block(mut v: &[u8]) -> Option<Vec<(Hash, &[u8])>> {
    let mut out = Vec::with_capacity(BLOCK_EVENTS as usize);
    while !v.is_empty() {
        let len = u32::from_le_bytes(v.get(..4)?.try_into().ok()?) as usize;
        let hash = Hash(v.get(4..36)?.try_into().ok()?);
        let bytes = v.get(36..36 + len)?;
        out.push((hash, bytes));
        v = &v[36 + len..];
    }
    Some(out)
}

/// One block's events, decompressed, and the seq of its first event.
#[derive(Debug, Clone)]
pub struct EventBlock {
    /// The block's number.
    pub number: u64,
    events: Vec<u8>,
}

impl EventBlock {
    pub(super) fn new(number: u64, events: Vec<u8>) -> EventBlock {
        EventBlock { number, events }
    }

    /// The seq of its first event.
    pub fn first(&self) -> u64 {
        first_of(self.number)
    }

    /// Event `seq` (stored hash, canonical bytes), if the block holds it.
    pub fn event(&self, seq: u64) -> Option<(Hash, &[u8])> {
        if block_of(seq) != self.number {
            return None;
        }
        block_event(&self.events, offset_of(seq))
    }

    /// Its events in order, as (seq, stored hash, canonical bytes); `None` if it is malformed.
    pub fn events(&self) -> Option<Vec<(u64, Hash, &[u8])>> {
        let first = self.first();
        let events = decode_block(&self.events)?;
        Some(events.into_iter().zip(first..).map(|((hash, bytes), seq)| (seq, hash, bytes)).collect())
    }

    /// The stored hashes of its events; `None` if it is malformed.
    pub fn hashes(&self) -> Option<Vec<Hash>> {
        Some(decode_block(&self.events)?.into_iter().map(|(h, _)| h).collect())
    }
}

/// A block as the store holds it (compressed), cheap to hand to another thread.
pub struct PackedBlock<B> {
    number: u64,
    value: B,
}

impl<B: AsRef<[u8]>> PackedBlock<B> {
    pub(super) fn new(number: u64, value: B) -> Self {
        PackedBlock { number, value }
    }

    /// The block's number.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The seq its first event must have.
    pub fn first(&self) -> u64 {
        first_of(self.number)
    }

    /// Decompresses its events into `out`; `false` if they do not decompress.
    pub fn unpack_into(&self, out: &mut Vec<u8>) -> bool {
        unpack_block_into(self.value.as_ref(), out)
    }

    /// Decompresses its events into `buf` and splits them into (stored hash, canonical bytes);
    /// `None` if they do not decompress or are malformed.
    pub fn events<'b>(&self, buf: &'b mut Vec<u8>) -> Option<Vec<(Hash, &'b [u8])>> {
        if !self.unpack_into(buf) {
            return None;
        }
        decode_block(buf)
    }
}

/// Packs the events of a commit into whole blocks, the first continuing `partial` (the stored
/// events of the block that holds `first`, when it does not start there).
pub(super) fn pack_events(first: u64, partial: Vec<u8>, events: &[SealedEvent<'_>]) -> Vec<(u64, Vec<u8>)> {
    let mut blocks = Vec::new();
    let mut number = block_of(first);
    let mut block = partial;
    for (seq, e) in (first..).zip(events) {
        if block_of(seq) != number {
            blocks.push((number, std::mem::take(&mut block)));
            number = block_of(seq);
        }
        push_event(&mut block, &e.hash, &e.bytes);
    }
    blocks.push((number, block));
    blocks
}

/// Whether event `seq` opens its block.
pub(super) fn opens_block(seq: u64) -> bool {
    offset_of(seq) == 0
}

/// How many events the block that holds `head` has, up to and including it.
pub(super) fn events_through(head: u64) -> usize {
    offset_of(head) + 1
}

/// The position of event `seq` in its block.
pub(super) fn position(seq: u64) -> usize {
    offset_of(seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_round_trip() {
        let mut b = Vec::new();
        push_event(&mut b, &Hash([1; 32]), b"{}");
        push_event(&mut b, &Hash([2; 32]), b"[1]");
        let events = decode_block(&b).unwrap();
        assert_eq!(events, vec![(Hash([1; 32]), &b"{}"[..]), (Hash([2; 32]), &b"[1]"[..])]);
        assert!(decode_block(&b[..b.len() - 1]).is_none());
        assert_eq!(block_event(&b, 1), Some((Hash([2; 32]), &b"[1]"[..])));
        assert_eq!(block_event(&b, 2), None);
        let packed = pack_block(&b);
        assert_eq!(unpack_block(&packed).unwrap(), b);
        let mut lying = packed.clone();
        lying[1..5].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(unpack_block(&lying).is_none(), "a stated length beyond the limit is refused");
        assert!(unpack_block(&packed[..packed.len() - 1]).is_none());
        assert!(unpack_block(&[]).is_none());
    }

    #[test]
    fn events_are_packed_into_their_blocks() {
        let event = |i: u8| SealedEvent { hash: Hash([i; 32]), bytes: Cow::Owned(vec![i]) };
        let events: Vec<_> = (0..70).map(event).collect();
        let blocks = pack_events(60, Vec::new(), &events);
        assert_eq!(blocks.iter().map(|(n, _)| *n).collect::<Vec<_>>(), vec![0, 1, 2]);
        assert_eq!(decode_block(&blocks[0].1).unwrap().len(), 4);
        assert_eq!(decode_block(&blocks[1].1).unwrap().len(), 64);
        assert_eq!(decode_block(&blocks[2].1).unwrap().len(), 2);
    }
}
