//! The per-key index's bytes: the regime code and kind, then about 15 bytes per event, as
//! LEB128 varints.

use crate::event::SubjectKind;
use crate::lifecycle::{Act, KeyEntry, KeyIndex, RetractedBy};
use crate::seq::Seq;

/// Encodes a key's index (its record is stored apart, under [`super::record_key`]): the regime
/// code's length (u8) and bytes, the kind (u8: 0 individual, 1 entity, 2 ship), then the entries
/// (see [`encode_entries`]).
pub fn encode_index(index: &KeyIndex) -> Vec<u8> {
    let regime = index.regime.as_bytes();
    let mut out = Vec::with_capacity(2 + regime.len() + index.entries.len() * 16);
    // Regime codes are at most 32 bytes (checked on input).
    out.push(regime.len().min(255) as u8);
    out.extend_from_slice(&regime[..regime.len().min(255)]);
    out.push(match index.kind {
        SubjectKind::Individual => 0,
        SubjectKind::Entity => 1,
        SubjectKind::Ship => 2,
    });
    out.extend_from_slice(&encode_entries(&index.entries));
    out
}

/// Decodes a key's index (without its record); `None` if malformed.
pub fn decode_index(v: &[u8]) -> Option<KeyIndex> {
    let len = *v.first()? as usize;
    let regime = std::str::from_utf8(v.get(1..1 + len)?).ok()?.to_owned();
    let kind = match v.get(1 + len)? {
        0 => SubjectKind::Individual,
        1 => SubjectKind::Entity,
        2 => SubjectKind::Ship,
        _ => return None,
    };
    Some(KeyIndex { regime, kind, record: None, entries: decode_entries(v.get(2 + len..)?)? })
}

/// Encodes index entries, per entry: the act (u8: 0 designation, 1 amendment, 2 delisting;
/// +0x80 when the effective time was written as a date, +0x40 when the entry is retracted,
/// +0x20 when `effective` is stored in whole days), then as LEB128 varints the seq, `effective`
/// (zigzag; in days or µs), `recorded_at` (zigzag µs) and, when retracted, the retraction's seq
/// and `recorded_at`. About 15 bytes an entry.
pub fn encode_entries(entries: &[KeyEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * 16);
    for e in entries {
        let act: u8 = match e.act {
            Act::Designation => 0,
            Act::Amendment => 1,
            Act::Delisting => 2,
        };
        let days = e.date && e.effective % DAY_MICROS == 0;
        out.push(
            act | if e.date { 0x80 } else { 0 }
                | if e.retracted_by.is_some() { 0x40 } else { 0 }
                | if days { 0x20 } else { 0 },
        );
        put_varint(&mut out, e.seq.get());
        put_varint(&mut out, zigzag(if days { e.effective / DAY_MICROS } else { e.effective }));
        put_varint(&mut out, zigzag(e.recorded_at));
        if let Some(r) = e.retracted_by {
            put_varint(&mut out, r.seq.get());
            put_varint(&mut out, zigzag(r.recorded_at));
        }
    }
    out
}

/// Decodes index entries; `None` if malformed.
pub fn decode_entries(mut v: &[u8]) -> Option<Vec<KeyEntry>> {
    let mut out = Vec::with_capacity(v.len() / 14 + 1);
    while let Some((&flags, rest)) = v.split_first() {
        v = rest;
        let act = match flags & 0x1f {
            0 => Act::Designation,
            1 => Act::Amendment,
            2 => Act::Delisting,
            _ => return None,
        };
        let seq = take_varint(&mut v)?;
        let effective = unzigzag(take_varint(&mut v)?);
        let effective = if flags & 0x20 != 0 { effective.checked_mul(DAY_MICROS)? } else { effective };
        let recorded_at = unzigzag(take_varint(&mut v)?);
        let retracted_by = if flags & 0x40 != 0 {
            Some(RetractedBy { seq: Seq::new(take_varint(&mut v)?), recorded_at: unzigzag(take_varint(&mut v)?) })
        } else {
            None
        };
        out.push(KeyEntry { seq: Seq::new(seq), effective, recorded_at, act, date: flags & 0x80 != 0, retracted_by });
    }
    Some(out)
}

const DAY_MICROS: i64 = 86_400_000_000;

fn zigzag(i: i64) -> u64 {
    ((i << 1) ^ (i >> 63)) as u64
}

fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

fn put_varint(out: &mut Vec<u8>, mut u: u64) {
    while u >= 0x80 {
        out.push((u as u8) | 0x80);
        u >>= 7;
    }
    out.push(u as u8);
}

fn take_varint(v: &mut &[u8]) -> Option<u64> {
    let mut u = 0u64;
    for i in 0..10 {
        let (&b, rest) = v.split_first()?;
        *v = rest;
        u |= ((b & 0x7f) as u64).checked_shl(7 * i)?;
        if b & 0x80 == 0 {
            return Some(u);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip() {
        let entries = vec![
            KeyEntry {
                seq: Seq::new(1),
                effective: -5,
                recorded_at: 7,
                act: Act::Designation,
                date: true,
                retracted_by: None,
            },
            KeyEntry {
                seq: Seq::new(9),
                effective: 5,
                recorded_at: 8,
                act: Act::Delisting,
                date: false,
                retracted_by: Some(RetractedBy { seq: Seq::new(12), recorded_at: 99 }),
            },
        ];
        assert_eq!(decode_entries(&encode_entries(&entries)).unwrap(), entries);
        let extremes = vec![
            KeyEntry {
                seq: Seq::new(u64::MAX),
                effective: i64::MIN,
                recorded_at: i64::MAX,
                act: Act::Amendment,
                date: true,
                retracted_by: Some(RetractedBy { seq: Seq::new(u64::MAX), recorded_at: i64::MIN }),
            },
            KeyEntry {
                seq: Seq::new(0),
                effective: 20_000 * 86_400_000_000,
                recorded_at: -1,
                act: Act::Designation,
                date: true,
                retracted_by: None,
            },
        ];
        assert_eq!(decode_entries(&encode_entries(&extremes)).unwrap(), extremes);
        assert!(decode_entries(&[0x1f, 1, 1, 1]).is_none(), "an unknown act");
        assert!(decode_entries(&[0, 1, 1]).is_none(), "a truncated entry");
        assert!(decode_entries(&[0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 1, 1]).is_none());
        let index = KeyIndex { regime: "GIM".into(), kind: SubjectKind::Ship, record: None, entries };
        assert_eq!(decode_index(&encode_index(&index)).unwrap(), index);
        assert!(decode_index(&[3, b'G']).is_none());
    }
}
