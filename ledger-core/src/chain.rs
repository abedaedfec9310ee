//! Event hashes and the chain that links them.
//!
//! `hash` = BLAKE3 in derive-key mode with the context [`HASH_CONTEXT`], over the RFC 8785
//! canonical bytes of the recorded event without its `hash` member. Each event's `prev` is the
//! hash of the event before it; the genesis event's `prev` is [`Hash::ZERO`].

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::canonical::{self, CanonicalError};
use crate::event::{Event, RecordedEvent};
use crate::time::Timestamp;

/// The BLAKE3 derive-key context of event hashes.
pub const HASH_CONTEXT: &str = "sanctions-designation-ledger v1 event";

/// A 32-byte BLAKE3 hash, written as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The `prev` of the genesis event.
    pub const ZERO: Hash = Hash([0; 32]);

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(64);
        for b in self.0 {
            s.push(HEX[(b >> 4) as usize] as char);
            s.push(HEX[(b & 0xf) as usize] as char);
        }
        s
    }

    /// Parses 64 lowercase hex digits.
    pub fn from_hex(s: &str) -> Result<Hash, String> {
        let b = s.as_bytes();
        if b.len() != 64 {
            return Err(format!("expected 64 hex digits, found {} characters", s.chars().count()));
        }
        let digit = |c: u8| match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            _ => Err(format!("`{}` is not a lowercase hex digit", c as char)),
        };
        let mut out = [0u8; 32];
        for (i, pair) in b.chunks_exact(2).enumerate() {
            out[i] = (digit(pair[0])? << 4) | digit(pair[1])?;
        }
        Ok(Hash(out))
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Hash::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Hash {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Hash".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A BLAKE3-256 hash, 64 lowercase hex digits.",
            "type": "string",
            "pattern": "^[0-9a-f]{64}$"
        })
    }
}

/// The event hash of canonical bytes.
pub fn hash_canonical(canonical: &[u8]) -> Hash {
    let mut h = blake3::Hasher::new_derive_key(HASH_CONTEXT);
    h.update(canonical);
    Hash(*h.finalize().as_bytes())
}

/// Seals an event into the chain: its canonical bytes (without `hash`) and the recorded event.
pub fn seal(
    seq: u64,
    prev: Hash,
    recorded_at: Timestamp,
    actor: &str,
    event: Event,
) -> Result<(Vec<u8>, RecordedEvent), CanonicalError> {
    let value = RecordedEvent::unhashed_value(seq, &prev, recorded_at, actor, &event);
    let bytes = canonical::to_vec(&value)?;
    let hash = hash_canonical(&bytes);
    Ok((bytes, RecordedEvent { seq, prev, recorded_at, actor: actor.to_owned(), event, hash }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let h = hash_canonical(b"{}");
        assert_eq!(Hash::from_hex(&h.to_hex()).unwrap(), h);
        assert!(Hash::from_hex(&h.to_hex().to_uppercase()).is_err());
        assert!(Hash::from_hex("00").is_err());
        assert_eq!(Hash::ZERO.to_hex(), "0".repeat(64));
    }

    #[test]
    fn derive_key_mode_differs_from_plain_hash() {
        assert_ne!(hash_canonical(b"{}").0, *blake3::hash(b"{}").as_bytes());
    }
}

/// The last event of the chain: what every answer names as the state it was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Head {
    /// Its seq (the ledger holds `seq + 1` events).
    pub seq: u64,
    /// Its hash.
    pub hash: Hash,
    /// When it was recorded.
    pub recorded_at: Timestamp,
}
