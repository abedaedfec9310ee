//! Log entries: a recorded event as the transparency log holds it, the RFC 8785 canonical bytes of
//! the event *with* its `hash` member. An entry is a bundle line (without its line end), an entry
//! of a published entry bundle (C2SP tlog-tiles), and what a Merkle leaf hashes:
//! `SHA-256(0x00 || entry)`.
//!
//! The store keeps each event's hash beside its canonical bytes without `hash` (what the hash is
//! over); an entry is those bytes with the member put back where RFC 8785 orders it. Finding that
//! place reads only the names of the top-level members, never a value: at a few hundred bytes an
//! event, the tree of a million events is hashed in about as long as SHA-256 takes over them.
//!
//! ```
//! use ledger_core::chain::Hash;
//! use ledger_core::entry;
//! let hash = Hash([0xab; 32]);
//! let mut out = Vec::new();
//! entry::write(&hash, br#"{"actor":"a","prev":"00","seq":1}"#, &mut out).unwrap();
//! assert_eq!(out, format!(r#"{{"actor":"a","hash":"{hash}","prev":"00","seq":1}}"#).into_bytes());
//! ```

use sha2::{Digest, Sha256};

use crate::chain::Hash;

/// The name of the member an entry adds.
const HASH_MEMBER: &str = "hash";

/// Where the `hash` member goes in an event's canonical bytes: the byte offset to insert at, and
/// whether a comma goes before the member (`true`: it is the last member) or after it. `None` if
/// the bytes are not a JSON object whose top-level names can be read.
fn insertion(canonical: &[u8]) -> Option<(usize, bool)> {
    let b = canonical;
    if b.first() != Some(&b'{') || b.last() != Some(&b'}') {
        return None;
    }
    if b.len() == 2 {
        return Some((1, false));
    }
    let mut i = 1;
    loop {
        // A member: its quoted name, `:`, its value, then `,` or the final `}`.
        let start = i;
        let end = string_end(b, i)?;
        if name_after_hash(&b[start..end])? {
            return Some((start, false));
        }
        i = end;
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = value_end(b, i + 1)?;
        match b.get(i) {
            Some(b',') => i += 1,
            Some(b'}') if i == b.len() - 1 => return Some((i, true)),
            _ => return None,
        }
    }
}

/// Whether a quoted member name sorts after `hash` in RFC 8785 order (UTF-16 code units).
fn name_after_hash(quoted: &[u8]) -> Option<bool> {
    let inner = &quoted[1..quoted.len() - 1];
    if !inner.contains(&b'\\') {
        // Below U+0080 UTF-8 bytes are the code units; above it every byte and every code unit
        // is greater than the letters of `hash`, so the first differing byte decides alike.
        return Some(inner > HASH_MEMBER.as_bytes());
    }
    let name: String = serde_json::from_slice(quoted).ok()?;
    Some(crate::canonical::jcs_cmp(&name, HASH_MEMBER) == std::cmp::Ordering::Greater)
}

/// The offset just past the string that opens at `i`.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let mut j = i + 1;
    loop {
        match b.get(j)? {
            b'"' => return Some(j + 1),
            b'\\' => j += 2,
            _ => j += 1,
        }
    }
}

/// The offset just past the value that starts at `i` (strings skipped whole, so that brackets
/// inside them do not count).
fn value_end(b: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    loop {
        match b.get(i)? {
            b'"' => i = string_end(b, i)?,
            b'{' | b'[' => {
                depth += 1;
                i += 1;
            }
            b'}' | b']' if depth == 0 => return Some(i),
            b'}' | b']' => {
                depth -= 1;
                i += 1;
            }
            b',' if depth == 0 => return Some(i),
            _ => i += 1,
        }
    }
}

/// The `"hash":"HEX"` member's bytes.
fn member(hash: &Hash) -> [u8; 73] {
    let mut m = [0u8; 73];
    m[..8].copy_from_slice(b"\"hash\":\"");
    m[8..72].copy_from_slice(hash.to_hex().as_bytes());
    m[72] = b'"';
    m
}

/// The entry of an event: its canonical bytes (without `hash`) with the `hash` member added,
/// appended to `out`. `None` if the bytes are not an object whose member names can be read.
pub fn write(hash: &Hash, canonical: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let (at, last) = insertion(canonical)?;
    out.reserve(canonical.len() + 74);
    out.extend_from_slice(&canonical[..at]);
    if last {
        out.push(b',');
    }
    out.extend_from_slice(&member(hash));
    if !last && canonical.len() > 2 {
        out.push(b',');
    }
    out.extend_from_slice(&canonical[at..]);
    Some(())
}

/// The entry of an event, as a new vector.
pub fn to_vec(hash: &Hash, canonical: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    write(hash, canonical, &mut out)?;
    Some(out)
}

/// The Merkle leaf of an event, `SHA-256(0x00 || entry)`, hashed in place (the entry is never
/// built). `None` as for [`write`].
pub fn leaf(hash: &Hash, canonical: &[u8]) -> Option<Hash> {
    let (at, last) = insertion(canonical)?;
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(&canonical[..at]);
    if last {
        h.update(b",");
    }
    h.update(member(hash));
    if !last && canonical.len() > 2 {
        h.update(b",");
    }
    h.update(&canonical[at..]);
    Some(Hash(h.finalize().into()))
}

/// An entry's members without its `hash` (from [`crate::canonical::members`], in order): still
/// canonical, and what the event's hash is over. `len` is the entry's length (a capacity hint).
pub fn without_hash(members: &crate::canonical::Members<'_>, len: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(len);
    bytes.push(b'{');
    for (name, raw) in members.iter().filter(|(name, _)| name != HASH_MEMBER) {
        if bytes.len() > 1 {
            bytes.push(b',');
        }
        crate::canonical::write_str(name, &mut bytes);
        bytes.push(b':');
        bytes.extend_from_slice(raw);
    }
    bytes.push(b'}');
    bytes
}

/// Why bytes are not an entry whose `hash` is the event's hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// Not canonical JSON (the reason names the byte and the member).
    #[error("not an event in its one encoding: {0}")]
    NotCanonical(String),
    /// No `hash` member, or not 64 lowercase hex digits.
    #[error("no `hash` member of 64 lowercase hex digits")]
    NoHash,
    /// The `hash` is not the BLAKE3 hash of the rest.
    #[error("its `hash` {stated} is not the hash of the event ({computed})")]
    WrongHash {
        /// The `hash` member.
        stated: Hash,
        /// The hash of the event without it.
        computed: Hash,
    },
}

/// Checks that `entry` is canonical JSON whose `hash` member is the event hash of the rest of
/// it; returns that hash and the bytes it is over.
pub fn check(entry: &[u8]) -> Result<(Hash, Vec<u8>), EntryError> {
    let members = crate::canonical::members(entry).map_err(|e| EntryError::NotCanonical(e.to_string()))?;
    let stated = members
        .iter()
        .find(|(name, _)| name == HASH_MEMBER)
        .and_then(|(_, raw)| serde_json::from_slice::<String>(raw).ok())
        .and_then(|h| Hash::from_hex(&h).ok())
        .ok_or(EntryError::NoHash)?;
    let unhashed = without_hash(&members, entry.len());
    let computed = crate::chain::hash_canonical(&unhashed);
    if computed != stated {
        return Err(EntryError::WrongHash { stated, computed });
    }
    Ok((stated, unhashed))
}

/// The length of the entry of an event whose canonical bytes are `canonical_len` long.
pub fn len(canonical_len: usize) -> usize {
    // The member, and a comma unless the object was empty.
    canonical_len + 73 + usize::from(canonical_len > 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with_hash(v: &serde_json::Value, hash: &Hash) -> Vec<u8> {
        let mut v = v.clone();
        v.as_object_mut().unwrap().insert("hash".into(), json!(hash.to_hex()));
        crate::canonical::to_vec(&v).unwrap()
    }

    #[test]
    fn the_member_goes_where_rfc_8785_puts_it() {
        let hash = Hash([7; 32]);
        let cases = [
            json!({}),
            json!({"a": 1}),
            json!({"z": 1}),
            json!({"actor": "x", "prev": "y"}),
            json!({"actor": "x}\"],", "format": 1, "id": {"a": [1, {"b": "}"}]}, "prev": "00"}),
            json!({"hasg": [], "hasi": {}}),
            json!({"has": 1, "hash\u{1}": 2}),
            json!({"é": "x", "a\"b": 1}),
            json!({"\u{1}": "x", "h\\": [[[]]]}),
            json!({"a": [1, 2, {"c": null}], "b": true, "c": false, "d": -5}),
        ];
        for v in cases {
            let canonical = crate::canonical::to_vec(&v).unwrap();
            let expected = with_hash(&v, &hash);
            assert_eq!(to_vec(&hash, &canonical).unwrap(), expected, "{v}");
            let mut leaf_input = vec![0u8];
            leaf_input.extend_from_slice(&expected);
            assert_eq!(leaf(&hash, &canonical).unwrap(), Hash(Sha256::digest(&leaf_input).into()), "{v}");
            assert_eq!(len(canonical.len()), expected.len(), "{v}");
        }
    }

    #[test]
    fn a_sealed_event_becomes_its_bundle_line() {
        let line = r#"{"type":"designation","authority":"UK","id":"GIM0030","effective":"2025-10-22","regime":{"code":"GIM"},"subject":{"kind":"entity","names":[{"name":"A, \"B\" {C}","type":"primary"}]}}"#;
        let event: crate::event::Event = crate::input::parse_line(1, line).unwrap().into();
        let at = crate::time::Timestamp(1_700_000_000_000_001);
        let (bytes, rec) = crate::chain::seal(crate::seq::Seq::new(3), Hash::ZERO, at, "a\"ctor", event).unwrap();
        let line = crate::canonical::to_vec(&rec.to_value()).unwrap();
        assert_eq!(to_vec(&rec.hash, &bytes).unwrap(), line);
    }

    #[test]
    fn an_entry_checks_only_with_its_own_hash() {
        let line = r#"{"type":"retraction","target":2,"reason":"in error"}"#;
        let event: crate::event::Event = crate::input::parse_line(1, line).unwrap().into();
        let at = crate::time::Timestamp(1_700_000_000_000_001);
        let (bytes, rec) = crate::chain::seal(crate::seq::Seq::new(3), Hash::ZERO, at, "a", event).unwrap();
        let entry = to_vec(&rec.hash, &bytes).unwrap();
        assert_eq!(check(&entry), Ok((rec.hash, bytes.clone())));
        let other = String::from_utf8(entry.clone()).unwrap().replace("in error", "in errxr");
        assert!(matches!(check(other.as_bytes()), Err(EntryError::WrongHash { .. })));
        assert_eq!(check(&bytes), Err(EntryError::NoHash));
        assert!(matches!(check(b"{ }"), Err(EntryError::NotCanonical(_))));
    }

    #[test]
    fn what_is_not_an_object_has_no_entry() {
        for bad in [&b""[..], b"[]", b"{", b"{\"a\"}", b"{\"a\":1,}", b"{\"a:1}", b"x"] {
            assert!(to_vec(&Hash::ZERO, bad).is_none(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
