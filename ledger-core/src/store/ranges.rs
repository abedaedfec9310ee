//! Ranges of designation keys, and splitting the index into ranges of about as many keys each.

use std::ops::Bound;

/// A range of designation keys (`AUTHORITY/ID` bytes): from `from` (inclusive; `None`: the
/// first) to `to` (exclusive; `None`: past the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRange {
    /// The first key of the range, or from the start.
    pub from: Option<Vec<u8>>,
    /// The key after the range, or to the end.
    pub to: Option<Vec<u8>>,
}

impl KeyRange {
    /// Every key.
    pub const ALL: KeyRange = KeyRange { from: None, to: None };

    /// The bounds of the range in the keyspace of `prefix` (which ends in `/`).
    pub(super) fn bounds(&self, prefix: &[u8]) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
        let start = Bound::Included([prefix, self.from.as_deref().unwrap_or_default()].concat());
        let end = match &self.to {
            Some(to) => Bound::Excluded([prefix, to].concat()),
            None => prefix_end(prefix),
        };
        (start, end)
    }
}

/// The bounds of a whole keyspace.
pub(super) fn prefix_bounds(prefix: &[u8]) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    (Bound::Included(prefix.to_vec()), prefix_end(prefix))
}

fn prefix_end(prefix: &[u8]) -> Bound<Vec<u8>> {
    // The prefixes end in `/`; the byte after it bounds the whole keyspace.
    Bound::Excluded([&prefix[..prefix.len() - 1], &[prefix[prefix.len() - 1] + 1]].concat())
}

/// Splits the keys from `first` to `last` into at most `parts` ranges. The split points are
/// taken between the two keys as numbers, which divides keys of one authority and one id pattern
/// (the usual ledger) about evenly.
pub(super) fn split(first: &[u8], last: &[u8], parts: usize) -> Vec<KeyRange> {
    let common = first.iter().zip(last).take_while(|(a, b)| a == b).count();
    let number = |b: &[u8]| {
        let mut n = [0u8; 8];
        for (i, x) in b.iter().skip(common).take(8).enumerate() {
            n[i] = *x;
        }
        u64::from_be_bytes(n)
    };
    let (lo, hi) = (number(first), number(last));
    let mut points: Vec<Vec<u8>> = Vec::new();
    for i in 1..parts.max(1) as u64 {
        let n = lo + ((hi - lo) as u128 * i as u128 / parts as u128) as u64;
        let mut point = first[..common].to_vec();
        point.extend_from_slice(&n.to_be_bytes());
        while point.len() > common + 1 && point.last() == Some(&0) {
            point.pop();
        }
        if points.last().is_none_or(|p| *p < point) && point.as_slice() > first {
            points.push(point);
        }
    }
    let mut ranges = Vec::with_capacity(points.len() + 1);
    let mut from = None;
    for p in points {
        ranges.push(KeyRange { from: from.take(), to: Some(p.clone()) });
        from = Some(p);
    }
    ranges.push(KeyRange { from, to: None });
    ranges
}
