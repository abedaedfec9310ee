//! The ledger seen at one head: what every question reads through, so that its answer is the
//! ledger as it stood at that head, even while appends land.
//!
//! One process may append while others ask (a server: one writer, many readers). An append is
//! one atomic batch, so a single read sees it whole or not at all, but a question makes many
//! reads. A [`View`] pins the head a question starts from and reads the per-key index as it
//! stood then ([`KeyIndex::pin`]: the events after the head left out, which makes the pinned
//! index a function of the head alone). The key's stored record (the fold of all its events) is
//! used only when it is known to be the record at the head: it is read first, and the index
//! read after it holds nothing beyond the head; or, read beside the index over a range of keys,
//! when the store's head was the view's before and after the whole reading. Otherwise the
//! record is folded from the episode's events, which are immutable.
//!
//! The head pinned is the last durable one: the store's head for a process that holds the
//! ledger alone, or, in a server, the head of the last acknowledged append, so that no answer
//! names an event that is not yet on disk.

use crate::chain::Head;
use crate::error::Result;
use crate::event::Key;
use crate::ledger::Ledger;
use crate::lifecycle::KeyIndex;
use crate::store::KeyRange;

/// A ledger at one head.
#[derive(Clone, Copy)]
pub struct View<'a> {
    ledger: &'a Ledger,
    head: Head,
}

impl<'a> View<'a> {
    /// The ledger at its current head (for a process that holds the ledger alone, or whose
    /// appends are all acknowledged when they land).
    pub fn now(ledger: &'a Ledger) -> Result<View<'a>> {
        Ok(View { ledger, head: ledger.head()? })
    }

    /// The ledger at `head`, which must be durable (an acknowledged append's head, or earlier).
    pub fn at(ledger: &'a Ledger, head: Head) -> View<'a> {
        View { ledger, head }
    }

    /// The head the view is pinned at.
    pub fn head(&self) -> Head {
        self.head
    }

    /// The ledger.
    pub fn ledger(&self) -> &'a Ledger {
        self.ledger
    }

    /// One key's index at the head, without its record (`None` if the ledger held no event of
    /// it then).
    pub fn key_index(&self, key: &Key) -> Result<Option<KeyIndex>> {
        let Some(mut index) = self.ledger.store().entries_of(key)? else { return Ok(None) };
        index.pin(self.head.seq);
        Ok((!index.entries.is_empty()).then_some(index))
    }

    /// The key's stored record, when it is the record at the head (every event of the key is
    /// at or before the head); `None` when it is not, or the key has none: fold the episode.
    pub fn record(&self, key: &Key) -> Result<Option<Vec<u8>>> {
        let store = self.ledger.store();
        // The record first, then the index: an index with nothing beyond the head, read after
        // the record, shows that no append after the head had touched the key when the record
        // was read.
        let record = store.record(key)?;
        match store.entries_of(key)? {
            Some(index) if !index.beyond(self.head.seq) => Ok(record),
            _ => Ok(None),
        }
    }

    /// The keys of one range of the index, in key order, at the head (keys first recorded after
    /// it left out), without records.
    pub fn entries_in(&self, range: &KeyRange) -> impl Iterator<Item = Result<(Key, KeyIndex)>> + '_ {
        let head = self.head.seq;
        self.ledger.store().entries_in(range).filter_map(move |item| match item {
            Ok((key, mut index)) => {
                index.pin(head);
                (!index.entries.is_empty()).then_some(Ok((key, index)))
            }
            Err(e) => Some(Err(e)),
        })
    }

    /// Whether the store's head is the view's: no batch landed after it. Between two such
    /// readings no batch was applied at all (every batch moves the store's head, and a read
    /// never sees half of one), so everything read between them is the ledger at the head.
    pub fn is_current(&self) -> Result<bool> {
        Ok(self.ledger.store().head()? == Some(self.head))
    }

    /// The keys of one range of the index with their stored records, read side by side: faster
    /// than [`View::record`] key by key, and right only if [`View::is_current`] holds both
    /// before and after the reading, which the caller checks.
    pub fn records_in(&self, range: &KeyRange) -> impl Iterator<Item = Result<(Key, KeyIndex)>> + '_ {
        self.ledger.store().keys_in(range)
    }

    /// Every key of the index at the head, without records.
    pub fn all_entries(&self) -> impl Iterator<Item = Result<(Key, KeyIndex)>> + '_ {
        self.entries_in(&KeyRange::ALL)
    }

    /// The key map at tree size `size` (at most the head's), from the index pinned at the head
    /// ([`crate::keymap`]): read on every core, one key range each.
    pub fn key_map(&self, size: u64) -> Result<crate::keymap::KeyMap> {
        let parts = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let ranges = self.key_ranges(parts)?;
        let built: Vec<Result<crate::keymap::Builder>> = std::thread::scope(|scope| {
            let handles: Vec<_> = ranges
                .iter()
                .map(|range| {
                    scope.spawn(move || {
                        let mut b = crate::keymap::Builder::default();
                        for item in self.entries_in(range) {
                            let (key, index) = item?;
                            b.add(&key.to_string(), &index, size);
                        }
                        Ok(b)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| Err(crate::error::Error::Internal("a key map reader failed".into())))
                })
                .collect()
        });
        let mut all = crate::keymap::Builder::default();
        for b in built {
            all.extend(b?);
        }
        Ok(all.finish())
    }

    /// The index split into at most `parts` ranges, to be read on several cores.
    pub fn key_ranges(&self, parts: usize) -> Result<Vec<KeyRange>> {
        self.ledger.store().key_ranges(parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::read_batch;
    use crate::projection::When;
    use crate::query::{self, StateFilter};
    use crate::time::FixedClock;

    fn designation(id: &str, name: &str) -> String {
        format!(
            r#"{{"type":"designation","authority":"UK","id":"{id}","effective":"2025-10-22","regime":{{"code":"GIM"}},"subject":{{"kind":"individual","names":[{{"name":"{name}","type":"primary"}}]}},"measures":["asset_freeze"]}}"#
        )
    }

    #[test]
    fn a_view_answers_as_the_ledger_stood_at_its_head_while_appends_land() {
        let dir = tempfile::tempdir().unwrap();
        let clock = FixedClock::new(1_770_000_000_000_000);
        let ledger = Ledger::init(&dir.path().join("l.sled"), "example", "alice", &clock).unwrap();
        let append = |text: &str| ledger.append(&read_batch(text.as_bytes()).unwrap(), "alice", &clock).unwrap();
        append(&designation("GIM0001", "FIRST NAME"));
        let key = Key::parse("UK/GIM0001").unwrap();
        let when = When { at: i64::MAX / 2, as_of: i64::MAX / 2 };
        let all = StateFilter { include_delisted: true, ..StateFilter::default() };
        let before = View::now(&ledger).unwrap();
        let (show, state) = (query::show(&before, &key, when).unwrap(), query::state(&before, when, &all).unwrap());

        // An amendment of the key (its stored record changes), a new key, then a retraction of
        // the amendment: none of them is in the answers of a view pinned before them.
        append(
            r#"{"type":"amendment","authority":"UK","id":"GIM0001","effective":"2025-11-01","patch":{"subject":{"names":[{"name":"SECOND NAME","type":"primary"}]}}}"#,
        );
        append(&designation("GIM0002", "OTHER"));
        append(r#"{"type":"retraction","target":2,"reason":"entered in error"}"#);
        let pinned = View::at(&ledger, before.head());
        assert_eq!(query::show(&pinned, &key, when).unwrap(), show);
        assert_eq!(query::state(&pinned, when, &all).unwrap(), state);
        assert_eq!(query::count(&pinned, when, &all).unwrap().count, 1);
        assert!(pinned.key_index(&Key::parse("UK/GIM0002").unwrap()).unwrap().is_none());
        assert_eq!(pinned.record(&key).unwrap(), None, "the key has events after the head: its record is folded");

        // At the ledger's own head the same questions see everything.
        let now = View::now(&ledger).unwrap();
        assert_eq!(query::show(&now, &key, when).unwrap().events, vec![crate::seq::Seq::new(1)]);
        assert_eq!(query::count(&now, when, &all).unwrap().count, 2);
        assert!(now.record(&Key::parse("UK/GIM0002").unwrap()).unwrap().is_some());
    }
}
