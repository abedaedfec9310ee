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
    let bytes = match unhashed_bytes(seq, &prev, recorded_at, actor, &event) {
        Some(bytes) => bytes,
        // An event without canonical form: the value's walk names the member at fault.
        None => canonical::to_vec(&RecordedEvent::unhashed_value(seq, &prev, recorded_at, actor, &event))?,
    };
    let hash = hash_canonical(&bytes);
    Ok((bytes, RecordedEvent { seq, prev, recorded_at, actor: actor.to_owned(), event, hash }))
}

/// Seals an input event of an append batch without taking or copying it: its canonical bytes
/// (without `hash`) and its hash, as [`seal`] makes them for the event it becomes.
pub fn seal_input(
    seq: Seq,
    prev: Hash,
    recorded_at: Timestamp,
    actor: &str,
    event: &crate::event::InputEvent,
) -> Result<(Vec<u8>, Hash), CanonicalError> {
    // An input event serializes as the event it becomes (the same tag and members).
    let bytes = match unhashed_bytes(seq, &prev, recorded_at, actor, event) {
        Some(bytes) => bytes,
        None => {
            let event = Event::from(event.clone());
            canonical::to_vec(&RecordedEvent::unhashed_value(seq, &prev, recorded_at, actor, &event))?
        }
    };
    let hash = hash_canonical(&bytes);
    Ok((bytes, hash))
}

/// An input event's canonical bytes (without `hash`) before its place in the chain is known:
/// `prev` is written as 64 zeros, at an offset found while writing, for [`Draft::seal`] to fill in.
/// Everything else of the bytes is the event's own, so drafts are made on every core and sealed in
/// chain order (the bytes are those [`seal_input`] makes: `prev` is a fixed-width string).
#[derive(Debug)]
pub struct Draft {
    bytes: Vec<u8>,
    prev_at: usize,
}

impl Draft {
    /// The event sealed after the event whose hash is `prev`: its canonical bytes and its hash.
    pub fn seal(mut self, prev: &Hash) -> (Vec<u8>, Hash) {
        self.bytes[self.prev_at..self.prev_at + 64].copy_from_slice(prev.to_hex().as_bytes());
        let hash = hash_canonical(&self.bytes);
        (self.bytes, hash)
    }
}

/// Drafts an input event of an append batch (see [`Draft`]), refused as [`seal_input`] refuses it.
pub fn draft_input(
    seq: Seq,
    recorded_at: Timestamp,
    actor: &str,
    event: &crate::event::InputEvent,
) -> Result<Draft, CanonicalError> {
    let (bytes, _) = seal_input(seq, Hash::ZERO, recorded_at, actor, event)?;
    // The top-level `prev` member's string: its 64 digits start one byte into the value.
    let prev_at = canonical::split_members(&bytes)
        .and_then(|members| {
            let (_, value) = members.into_iter().find(|(name, _)| name == "prev")?;
            Some(value.as_ptr() as usize - bytes.as_ptr() as usize + 1)
        })
        .filter(|at| bytes.get(*at..*at + 64).is_some())
        .ok_or_else(|| CanonicalError::Float { path: "$.prev".into(), value: "no prev member".into() })?;
    Ok(Draft { bytes, prev_at })
}

/// The canonical bytes of a recorded event without its hash, written straight from the typed
/// event (no JSON value is built: this is every append's per-event cost): the envelope's members
/// and serde_json's compact text of the event in one object, its members then put in RFC 8785
/// order ([`canonical::sort_members`], which also refuses any number without canonical form).
/// `None` if the event has no canonical form.
fn unhashed_bytes<E: serde::Serialize>(
    seq: Seq,
    prev: &Hash,
    recorded_at: Timestamp,
    actor: &str,
    event: &E,
) -> Option<Vec<u8>> {
    use std::io::Write as _;
    let mut text = Vec::with_capacity(640);
    text.extend_from_slice(b"{\"actor\":");
    canonical::write_str(actor, &mut text);
    write!(text, ",\"prev\":\"{prev}\",\"recorded_at\":\"{recorded_at}\",\"seq\":{},", seq.get()).ok()?;
    let start = text.len();
    serde_json::to_writer(&mut text, event).ok()?;
    // The event's own object opens with `{` and holds at least its `type`: its members continue
    // the envelope's.
    if text.get(start) != Some(&b'{') || text.len() < start + 3 {
        return None;
    }
    text.remove(start);
    canonical::sort_members(&text).ok()
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
    fn sealed_bytes_are_the_canonical_form_of_the_recorded_value() {
        let lines = [
            r#"{"type":"designation","authority":"UK","id":"GIM0030","effective":"2025-10-22T16:05:00.5+02:00","regime":{"code":"GIM","name":"Z \"q\" \\ é"},"subject":{"kind":"entity","names":[{"name":"A\tB\u0001","type":"primary"}]},"other":{"דּ":1,"😀":[{"b":-9007199254740991,"a":"x"}],"z":null,"a":[true,false,0]},"reason":"é"}"#,
            r#"{"type":"amendment","authority":"UN","id":"QDi.1","effective":"2025-10-22","patch":{"subject":{"names":null},"reason":"x","other":{"n":9007199254740991}}}"#,
            r#"{"type":"retraction","target":12,"reason":"entered in error"}"#,
        ];
        for line in lines {
            let event: Event = crate::input::parse_line(1, line).expect("a valid line").into();
            let at = Timestamp(1_700_000_000_000_001);
            let value = RecordedEvent::unhashed_value(Seq::new(7), &Hash([3; 32]), at, "a \"b\"\n", &event);
            let (bytes, rec) = seal(Seq::new(7), Hash([3; 32]), at, "a \"b\"\n", event).expect("sealed");
            assert_eq!(
                String::from_utf8(bytes.clone()).unwrap(),
                String::from_utf8(canonical::to_vec(&value).unwrap()).unwrap()
            );
            assert_eq!(rec.hash, hash_canonical(&bytes));
        }
        // A number without canonical form is refused, naming its member, as before.
        let mut event: Event = crate::input::parse_line(1, lines[0]).expect("a valid line").into();
        if let Event::Designation(d) = &mut event {
            d.other = Some(serde_json::from_str(r#"{"score":0.5}"#).unwrap());
        }
        let e = seal(Seq::new(1), Hash::ZERO, Timestamp(1), "a", event).expect_err("a float").to_string();
        assert!(e.contains("other.score") && e.contains("floating-point"), "{e}");
    }

    #[test]
    fn a_draft_sealed_is_the_event_sealed() {
        let line = r#"{"type":"designation","authority":"UK","id":"GIM0030","effective":"2025-10-22","regime":{"code":"GIM"},"subject":{"kind":"entity","names":[{"name":"prev","type":"primary"}]},"other":{"prev":"0000000000000000000000000000000000000000000000000000000000000000"}}"#;
        let input = crate::input::parse_line(1, line).expect("a valid line");
        let at = Timestamp(1_700_000_000_000_001);
        let prev = Hash([0xcd; 32]);
        let draft = draft_input(Seq::new(9), at, "actor", &input).expect("drafted");
        let (bytes, rec) = seal(Seq::new(9), prev, at, "actor", input.into()).expect("sealed");
        assert_eq!(draft.seal(&prev), (bytes, rec.hash));
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
