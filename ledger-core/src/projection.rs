//! Projections: the state of a designation at a point on both time axes.
//!
//! The state of a key at (`at`, `as_of`) is the fold, in (`effective`, `seq`) order, of its events
//! recorded by `as_of`, not withdrawn by a retraction recorded by `as_of`, and effective by `at`.
//! Whether a key is in force, and since when, comes from the per-key index alone
//! ([`standing`]); the record itself is folded from the events of its current episode
//! ([`Reader::record`]), which are the only events read.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::event::Key;
use crate::event::{Record, RecordedEvent};
use crate::fold;
use crate::lifecycle::{Act, KeyEntry, KeyIndex};
use crate::reader::EventReader;
use crate::seq::Seq;
use crate::time::Micros;
use crate::view::View;

/// A point on both axes: legal effect and knowledge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct When {
    /// Legal effect: count events effective at or before this instant.
    pub at: Micros,
    /// Knowledge: count events recorded (and retractions recorded) at or before this instant.
    pub as_of: Micros,
}

/// Whether a designation is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Designated and not delisted.
    Active,
    /// Formerly designated, now delisted.
    Delisted,
    /// Not designated (yet), or not known to the ledger at that time; the ledger holds the key.
    Absent,
    /// The ledger holds no event of the key at all (a query's answer, never a key's standing).
    Unknown,
}

impl Status {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Delisted => "delisted",
            Status::Absent => "absent",
            Status::Unknown => "unknown",
        }
    }
}

/// A key's standing at a point, from its index alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// Active, delisted or absent.
    pub status: Status,
    /// The events of the current (or, once delisted, the last) designation episode: the
    /// designation, its amendments and its delisting, in fold order.
    pub episode: Vec<KeyEntry>,
}

impl Standing {
    /// The designation that opened the episode.
    pub fn designation(&self) -> Option<&KeyEntry> {
        self.episode.first()
    }

    /// The delisting that closed it.
    pub fn delisting(&self) -> Option<&KeyEntry> {
        self.episode.last().filter(|e| e.act == Act::Delisting)
    }
}

/// The entries that count at `when`, in fold order (`entries` must be in (`effective`, `seq`) order).
pub fn counted(entries: &[KeyEntry], when: When) -> impl Iterator<Item = &KeyEntry> {
    entries.iter().filter(move |e| e.effective <= when.at && e.known_as_of(when.as_of))
}

/// Folds a key's index entries at `when`.
///
/// Appends check the lifecycle rules and the records after every event, so every state the
/// ledger ever knew, each microsecond inside a batch included, obeys them. The fold is total all
/// the same (an event that does not apply is skipped), so that a query never fails on a shape the
/// rules exclude.
pub fn standing(entries: &[KeyEntry], when: When) -> Standing {
    let mut status = Status::Absent;
    let mut episode: Vec<KeyEntry> = Vec::new();
    for e in counted(entries, when) {
        match (e.act, status) {
            (Act::Designation, _) => {
                status = Status::Active;
                episode.clear();
                episode.push(*e);
            }
            (Act::Amendment, Status::Active) => episode.push(*e),
            (Act::Delisting, Status::Active) => {
                status = Status::Delisted;
                episode.push(*e);
            }
            _ => {}
        }
    }
    Standing { status, episode }
}

/// Reads the records of keys at points on both axes: the stored record when it is the answer,
/// else folded from the events of the episode, read through an [`EventReader`].
pub struct Reader<'a> {
    view: View<'a>,
    events: EventReader<'a>,
}

impl<'a> Reader<'a> {
    /// A reader of the ledger at the view's head.
    pub fn new(view: View<'a>) -> Self {
        Reader { view, events: EventReader::new(view.ledger().store()) }
    }

    /// The view read.
    pub fn view(&self) -> View<'a> {
        self.view
    }

    /// One recorded event.
    pub fn event(&mut self, seq: Seq) -> Result<RecordedEvent> {
        self.events.event(seq)
    }

    /// The record as the episode leaves it: the designation's record with the amendments merged
    /// in order. `None` if the episode is empty.
    pub fn record(&mut self, standing: &Standing) -> Result<Option<Record>> {
        let mut events = Vec::with_capacity(standing.episode.len());
        for e in &standing.episode {
            events.push(self.events.event(e.seq)?.event);
        }
        fold::fold(&events).map_err(|e| Error::Internal(e.to_string()))
    }

    /// The key's stored record, when it is the answer at `when`: every event of the key (at the
    /// view's head) counts there, the common case of the latest state.
    fn stored_record(&self, key: &Key, index: &KeyIndex, standing: &Standing, when: When) -> Result<Option<Vec<u8>>> {
        if standing.status == Status::Absent || !index.latest_at(when.at, when.as_of) {
            return Ok(None);
        }
        match &index.record {
            // Read with the index, by a reader that checks the head did not move meanwhile
            // ([`View::records_in`]).
            Some(record) => Ok(Some(record.clone())),
            None => self.view.record(key),
        }
    }

    /// The record of a key at `when`: the stored record when it is the answer, else folded from
    /// the episode's events.
    pub fn record_at(
        &mut self,
        key: &Key,
        index: &KeyIndex,
        standing: &Standing,
        when: When,
    ) -> Result<Option<Record>> {
        if let Some(bytes) = self.stored_record(key, index, standing, when)? {
            return serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| self.damaged(format!("a stored record does not parse: {e}")));
        }
        self.record(standing)
    }

    /// [`Reader::record_at`] as JSON text: the stored record as it is when it is the answer, else
    /// the folded record serialized.
    pub fn record_json_at(
        &mut self,
        key: &Key,
        index: &KeyIndex,
        standing: &Standing,
        when: When,
    ) -> Result<Option<String>> {
        if let Some(bytes) = self.stored_record(key, index, standing, when)? {
            return String::from_utf8(bytes).map(Some).map_err(|_| self.damaged("a stored record is not UTF-8".into()));
        }
        let Some(record) = self.record(standing)? else { return Ok(None) };
        // In canonical form, as the stored records are.
        let value = to_value(&record)?;
        let bytes = crate::canonical::to_vec(&value).map_err(|e| Error::Internal(e.to_string()))?;
        String::from_utf8(bytes).map(Some).map_err(|e| Error::Internal(e.to_string()))
    }

    fn damaged(&self, detail: String) -> Error {
        Error::Damaged { path: self.view.ledger().path().to_owned(), detail }
    }
}

fn to_value(r: &Record) -> Result<Value> {
    serde_json::to_value(r).map_err(|e| Error::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64, act: Act, effective: i64, recorded_at: i64) -> KeyEntry {
        KeyEntry { seq: Seq::new(seq), effective, recorded_at, act, date: false, retracted_by: None }
    }

    #[test]
    fn standing_on_both_axes() {
        // Designated (effective 10) recorded at 100; delisted (effective 50) recorded at 200;
        // relisted (effective 60) recorded at 300, retracted at 400.
        let mut entries = vec![
            entry(1, Act::Designation, 10, 100),
            entry(2, Act::Delisting, 50, 200),
            entry(3, Act::Designation, 60, 300),
        ];
        entries[2].retracted_by = Some(crate::lifecycle::RetractedBy { seq: Seq::new(4), recorded_at: 400 });
        let status = |at, as_of| standing(&entries, When { at, as_of }).status;
        assert_eq!(status(5, 1000), Status::Absent);
        assert_eq!(status(10, 1000), Status::Active);
        assert_eq!(status(10, 99), Status::Absent, "not yet recorded");
        assert_eq!(status(55, 150), Status::Active, "the delisting was not yet known");
        assert_eq!(status(55, 250), Status::Delisted);
        assert_eq!(status(70, 350), Status::Active, "the relisting, before its retraction");
        assert_eq!(status(70, 450), Status::Delisted, "after the retraction");
        let s = standing(&entries, When { at: 70, as_of: 350 });
        assert_eq!(s.episode.iter().map(|e| e.seq.get()).collect::<Vec<_>>(), vec![3]);
    }
}
