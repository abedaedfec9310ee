//! Event hashes and the chain that links them.
//!
//! `hash` = BLAKE3 in derive-key mode with the context [`HASH_CONTEXT`], over the RFC 8785
//! canonical bytes of the recorded event without its `hash` member. Each event's `prev` is the
//! hash of the event before it; the genesis event's `prev` is [`Hash::ZERO`].

use crate::canonical::{self, CanonicalError};
use crate::event::{Event, RecordedEvent};
use crate::seq::Seq;
use crate::time::Timestamp;

pub use crate::hash::{HASH_CONTEXT, Hash, HexError, hash_canonical};

/// Seals an event into the chain: its canonical bytes (without `hash`) and the recorded event.
pub fn seal(
    seq: Seq,
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
    pub seq: Seq,
    /// Its hash.
    pub hash: Hash,
    /// When it was recorded.
    pub recorded_at: Timestamp,
}
