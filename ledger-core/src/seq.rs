//! The position of an event in the chain, as a type of its own: a [`Seq`] is a position (0 is the
//! genesis event), a size is a count of events (`u64`), and one cannot be passed for the other.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

/// The position of an event in the chain; 0 is the genesis event. Serialized as the number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Seq(u64);

/// Described as the number it is written as, inline: the schemas read as they did when a seq
/// was a `u64`.
impl JsonSchema for Seq {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        u64::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        u64::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        u64::json_schema(generator)
    }
}

impl Seq {
    /// The genesis event's position.
    pub const GENESIS: Seq = Seq(0);

    /// The position `n`.
    pub const fn new(n: u64) -> Seq {
        Seq(n)
    }

    /// The position as a number.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The position after this one.
    pub const fn next(self) -> Seq {
        Seq(self.0 + 1)
    }

    /// The position before this one (none before the genesis event).
    pub const fn prev(self) -> Option<Seq> {
        match self.0.checked_sub(1) {
            Some(n) => Some(Seq(n)),
            None => None,
        }
    }

    /// The count of events up to and including this one: `seq + 1`, the size of a ledger whose
    /// last event this is.
    pub const fn size(self) -> u64 {
        self.0 + 1
    }

    /// The last position of a ledger of `size` events (none for an empty one).
    pub const fn last_of(size: u64) -> Option<Seq> {
        match size.checked_sub(1) {
            Some(n) => Some(Seq(n)),
            None => None,
        }
    }

    /// The position of the first event after `size` events: the seq the next event appended to a
    /// ledger of `size` events gets.
    pub const fn after(size: u64) -> Seq {
        Seq(size)
    }

    /// The position `n` events after this one.
    pub const fn plus(self, n: u64) -> Seq {
        Seq(self.0 + n)
    }

    /// How many events after `start` this position lies (none if it lies before `start`): its
    /// index in a run of events that begins at `start`.
    pub const fn offset_from(self, start: Seq) -> Option<u64> {
        self.0.checked_sub(start.0)
    }

    /// Whether this position lies within a ledger (or tree) of `size` events.
    pub const fn within(self, size: u64) -> bool {
        self.0 < size
    }
}

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::str::FromStr for Seq {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Seq, Self::Err> {
        s.parse().map(Seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seq_is_written_and_described_as_its_number() {
        assert_eq!(serde_json::to_string(&Seq::new(7)).unwrap(), "7");
        assert_eq!(serde_json::from_str::<Seq>("7").unwrap(), Seq::new(7));
        assert_eq!(Seq::new(7).to_string(), "7");
        let seq = serde_json::to_value(schemars::schema_for!(Seq)).unwrap();
        let num = serde_json::to_value(schemars::schema_for!(u64)).unwrap();
        assert_eq!(seq, num);
    }

    #[test]
    fn positions_and_sizes() {
        assert_eq!(Seq::GENESIS.size(), 1);
        assert_eq!(Seq::last_of(0), None);
        assert_eq!(Seq::last_of(3), Some(Seq::new(2)));
        assert_eq!(Seq::after(3), Seq::new(3));
        assert_eq!(Seq::new(2).next(), Seq::new(3));
        assert_eq!(Seq::GENESIS.prev(), None);
        assert!(Seq::new(2).within(3) && !Seq::new(3).within(3));
    }
}
