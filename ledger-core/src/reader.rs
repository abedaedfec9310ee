//! Reading recorded events out of the store: one event, every event from a seq on, or events by
//! seq through a cache of recently read blocks ([`EventReader`]). Below both the ledger (whose
//! appends read the events they fold records from again) and the projections.

use std::collections::HashMap;

use serde_json::Value;

use crate::chain::Hash;
use crate::error::{Error, Result};
use crate::event::RecordedEvent;
use crate::seq::Seq;
use crate::store::{EventBlock, Store, block};

/// Why stored bytes do not read as the recorded event they should be.
#[derive(Debug, thiserror::Error)]
pub enum StoredEventError {
    /// The bytes are not JSON.
    #[error("event {seq} is not valid JSON: {source}")]
    NotJson {
        /// The event's seq.
        seq: Seq,
        /// What the parser said.
        source: serde_json::Error,
    },
    /// The JSON is not a recorded event.
    #[error("event {seq}: {what}")]
    NotAnEvent {
        /// The event's seq.
        seq: Seq,
        /// What is wrong with it.
        what: String,
    },
}

/// Reads a stored event from its canonical bytes (already verified when they were written).
pub fn parse_stored(seq: Seq, hash: Hash, bytes: &[u8]) -> Result<RecordedEvent, StoredEventError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|source| StoredEventError::NotJson { seq, source })?;
    RecordedEvent::from_value(value, Some(hash)).map_err(|e| StoredEventError::NotAnEvent { seq, what: e.to_string() })
}

fn damaged(store: &Store, detail: String) -> Error {
    Error::Damaged { path: store.path().to_owned(), detail }
}

/// One recorded event, if the store holds it.
pub fn event(store: &Store, seq: Seq) -> Result<Option<RecordedEvent>> {
    let Some(block) = store.block_holding(seq.get())? else { return Ok(None) };
    match block.event(seq.get()) {
        Some((hash, bytes)) => parse_stored(seq, hash, bytes).map(Some).map_err(|e| damaged(store, e.to_string())),
        None => Ok(None),
    }
}

/// The recorded events from `from` on, in chain order.
pub fn events(store: &Store, from: Seq) -> impl Iterator<Item = Result<RecordedEvent>> + '_ {
    store.blocks(from.get()).flat_map(move |block| -> Vec<Result<RecordedEvent>> {
        let block = match block {
            Ok(b) => b,
            Err(e) => return vec![Err(e)],
        };
        let Some(events) = block.events() else {
            return vec![Err(damaged(store, format!("block {} is malformed", block.number)))];
        };
        events
            .into_iter()
            .filter(|(seq, _, _)| *seq >= from.get())
            .map(|(seq, hash, bytes)| {
                parse_stored(Seq::new(seq), hash, bytes).map_err(|e| damaged(store, e.to_string()))
            })
            .collect()
    })
}

/// Reads events by seq, keeping recently read blocks.
pub struct EventReader<'a> {
    store: &'a Store,
    blocks: HashMap<u64, EventBlock>,
}

/// Blocks kept by an [`EventReader`] before it starts afresh.
const READER_BLOCKS: usize = 256;

impl<'a> EventReader<'a> {
    /// A reader over `store`.
    pub fn new(store: &'a Store) -> Self {
        EventReader { store, blocks: HashMap::new() }
    }

    /// One recorded event; a missing one is damage.
    pub fn event(&mut self, seq: Seq) -> Result<RecordedEvent> {
        let n = block::block_of(seq.get());
        if !self.blocks.contains_key(&n) {
            if self.blocks.len() >= READER_BLOCKS {
                self.blocks.clear();
            }
            let events = self
                .store
                .block_holding(seq.get())?
                .ok_or_else(|| damaged(self.store, format!("block {n} is missing")))?;
            self.blocks.insert(n, events);
        }
        let (hash, bytes) = self
            .blocks
            .get(&n)
            .and_then(|b| b.event(seq.get()))
            .ok_or_else(|| damaged(self.store, format!("event {seq} is missing")))?;
        parse_stored(seq, hash, bytes).map_err(|e| damaged(self.store, e.to_string()))
    }
}
