//! The ledger: init, append (validated, atomic, durable), read, and the per-key index.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use std::borrow::Cow;

use crate::chain::{Hash, Head, seal};
use crate::error::{Error, Result};
use crate::event::{Event, FORMAT_VERSION, Genesis, InputEvent, Key, RecordedEvent};
use crate::fold::{self, Identity};
use crate::input::{LineError, Numbered};
use crate::lifecycle::{self, Act, KeyEntry, KeyIndex, RetractedBy};
use crate::merkle;
use crate::progress::Progress;
use crate::reader::{self, EventReader};
use crate::seq::Seq;
use crate::store::{Commit, SealedEvent, Store};
use crate::time::{Clock, Timestamp};
use crate::tree::StoreTree;
use crate::validate::{check_event, limits};

/// The default name of a new ledger (the origin line of its checkpoints).
pub const DEFAULT_NAME: &str = "sanctions-designation-ledger";

/// An open ledger. Holds the ledger's process lock until dropped.
pub struct Ledger {
    store: Store,
}

/// What an append did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// How many events were appended.
    pub count: usize,
    /// The head after the append.
    pub head: Head,
}

impl Ledger {
    /// Creates a ledger at `path` with its genesis event.
    pub fn init(path: &Path, name: &str, actor: &str, clock: &dyn Clock) -> Result<Ledger> {
        Ledger::init_waiting(path, name, actor, clock, Duration::ZERO)
    }

    /// Like [`Ledger::init`], waiting up to `wait` for another process to release the ledger.
    pub fn init_waiting(path: &Path, name: &str, actor: &str, clock: &dyn Clock, wait: Duration) -> Result<Ledger> {
        check_actor(actor)?;
        // The name is the origin line of the ledger's checkpoints: the rule of a key's name.
        crate::checkpoint::check_name(name).map_err(|e| Error::Refused(format!("the ledger name {e}")))?;
        let store = Store::create(path, wait)?;
        let genesis = Event::Genesis(Genesis { ledger: name.to_owned(), format: FORMAT_VERSION });
        let at = Timestamp(clock.now());
        let (bytes, rec) =
            seal(Seq::GENESIS, Hash::ZERO, at, actor, genesis).map_err(|e| Error::Internal(e.to_string()))?;
        store.commit(Commit {
            events: vec![SealedEvent { hash: rec.hash, bytes: Cow::Owned(bytes) }],
            keys: Vec::new(),
            records: Vec::new(),
            head: Some(Head { seq: Seq::GENESIS, hash: rec.hash, recorded_at: at }),
            name: Some(name.to_owned()),
            import: None,
            nodes: Vec::new(),
        })?;
        Ok(Ledger { store })
    }

    /// Opens the ledger at `path`; fails with [`Error::Locked`] if another process holds it.
    pub fn open(path: &Path) -> Result<Ledger> {
        Ledger::open_waiting(path, Duration::ZERO)
    }

    /// Opens the ledger at `path`, waiting up to `wait` for another process to release it.
    pub fn open_waiting(path: &Path, wait: Duration) -> Result<Ledger> {
        Ok(Ledger { store: Store::open(path, wait)? })
    }

    /// Opens the ledger for [`crate::verify::verify`]: damage that a normal open reports as such,
    /// verification reports event by event.
    pub fn open_for_verify(path: &Path, wait: Duration) -> Result<Ledger> {
        Ok(Ledger { store: Store::open_for_verify(path, wait)? })
    }

    /// The ledger directory.
    pub fn path(&self) -> &Path {
        self.store.path()
    }

    /// The last event's seq, hash and time.
    pub fn head(&self) -> Result<Head> {
        self.store
            .head()?
            .ok_or_else(|| Error::Damaged { path: self.path().to_owned(), detail: "the head record is missing".into() })
    }

    /// The ledger's name, from its genesis event.
    pub fn name(&self) -> Result<String> {
        self.store.name()
    }

    /// Bytes the store occupies on disk.
    pub fn size_on_disk(&self) -> Result<u64> {
        self.store.size_on_disk()
    }

    /// Bytes of every key and value of the store, before sled's own overhead.
    pub fn live_bytes(&self) -> Result<u64> {
        self.store.live_bytes()
    }

    /// The index of one designation key (`None` if the ledger has no event of it).
    pub fn key_index(&self, key: &Key) -> Result<Option<KeyIndex>> {
        self.store.key_index(key)
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// The recorded events from `from` on, in chain order.
    pub fn events(&self, from: Seq) -> impl Iterator<Item = Result<RecordedEvent>> + '_ {
        reader::events(&self.store, from)
    }

    /// One recorded event.
    pub fn event(&self, seq: Seq) -> Result<Option<RecordedEvent>> {
        reader::event(&self.store, seq)
    }

    /// The entries of the events from `from` on, in chain order: (seq, event hash, entry), read
    /// from the stored bytes without parsing them (for publishing the log).
    pub fn entries(&self, from: Seq) -> impl Iterator<Item = Result<(Seq, Hash, Vec<u8>)>> + '_ {
        let damaged = |detail: String| Error::Damaged { path: self.path().to_owned(), detail };
        self.store.blocks(from.get()).flat_map(move |block| -> Vec<Result<(Seq, Hash, Vec<u8>)>> {
            let block = match block {
                Ok(b) => b,
                Err(e) => return vec![Err(e)],
            };
            let Some(events) = block.events() else {
                return vec![Err(damaged(format!("block {} is malformed", block.number)))];
            };
            events
                .into_iter()
                .filter(|(seq, _, _)| *seq >= from.get())
                .map(|(seq, hash, bytes)| {
                    let entry = crate::entry::to_vec(&hash, bytes)
                        .ok_or_else(|| damaged(format!("event {seq} is not a JSON object")))?;
                    Ok((Seq::new(seq), hash, entry))
                })
                .collect()
        })
    }

    /// One event's hash and entry (its canonical bytes with its hash: [`crate::entry`]).
    pub fn entry(&self, seq: Seq) -> Result<Option<(Hash, Vec<u8>)>> {
        let Some((hash, bytes)) = self.store.event(seq.get())? else { return Ok(None) };
        let entry = crate::entry::to_vec(&hash, &bytes).ok_or_else(|| Error::Damaged {
            path: self.path().to_owned(),
            detail: format!("event {seq} is not a JSON object"),
        })?;
        Ok(Some((hash, entry)))
    }

    /// Appends a batch of input events: all of them or, on the first broken rule, none. The batch
    /// is on disk when this returns `Ok`.
    pub fn append(&self, batch: &[Numbered<InputEvent>], actor: &str, clock: &dyn Clock) -> Result<Appended> {
        self.append_marked(batch, actor, clock, None)
    }

    /// Checks a batch as [`Ledger::append`] would, and returns the events it would record, without
    /// writing anything.
    pub fn check(&self, batch: &[Numbered<InputEvent>], actor: &str, clock: &dyn Clock) -> Result<Vec<RecordedEvent>> {
        check_actor(actor)?;
        let head = self.head()?;
        let plan = self.plan(batch, actor, clock, head, &())?;
        Ok(plan
            .sealed
            .iter()
            .zip(batch)
            .map(|(s, n)| RecordedEvent {
                seq: s.seq,
                prev: s.prev,
                recorded_at: s.recorded_at,
                actor: actor.to_owned(),
                event: n.event.clone().into(),
                hash: s.hash,
            })
            .collect())
    }

    /// Seals, indexes and checks a batch: everything an append does but the write.
    fn plan<'a>(
        &'a self,
        batch: &'a [Numbered<InputEvent>],
        actor: &str,
        clock: &dyn Clock,
        head: Head,
        progress: &dyn Progress,
    ) -> Result<Plan<'a>> {
        let mut plan = Plan {
            ledger: self,
            head,
            batch,
            keys: HashMap::new(),
            sealed: Vec::with_capacity(batch.len()),
            cache: HashMap::new(),
            reader: EventReader::new(&self.store),
        };
        let mut prev = head.hash;
        // One reading of the clock per batch: the batch becomes known at one moment. Each event
        // is a microsecond after the one before, so recorded_at is strictly increasing even when
        // the clock steps back or stands still.
        let start = clock.now().max(head.recorded_at.0.saturating_add(1));
        progress.phase("checking events", Some(batch.len() as u64));
        // What each event is on its own (its field rules and its canonical bytes, all but `prev`)
        // is made on every core; the chain (each `prev` the hash before it) and the keys'
        // lifecycles are then made in order, and each event's own refusal is met in its turn.
        let drafts = draft_batch(batch, head.seq, start, actor);
        for (i, (n, draft)) in batch.iter().zip(drafts).enumerate() {
            let (seq, at) = (head.seq.next().plus(i as u64), Timestamp(start.saturating_add(i as i64)));
            let (bytes, hash) = draft?.seal(&prev);
            let recorded = crate::entry::len(bytes.len());
            if recorded > limits::MAX_EVENT_BYTES {
                return Err(LineError {
                    line: n.line,
                    key: n.event.key().map(|k| k.to_string()),
                    field: None,
                    reason: format!(
                        "as recorded (with its envelope and hash) the event is {recorded} bytes; the ledger records events of at most {} bytes, the most an entry of its published log holds",
                        limits::MAX_EVENT_BYTES
                    ),
                    conflict: false,
                }
                .into());
            }
            plan.sealed.push(Sealed { line: n.line, bytes, seq, prev, hash, recorded_at: at });
            prev = hash;
            plan.admit(plan.sealed.len() - 1)?;
            if (i + 1) % 64 == 0 {
                progress.advance(64);
            }
        }
        progress.advance(batch.len() as u64 % 64);
        Ok(plan)
    }

    /// The Merkle root of the first `size` events (1 ≤ size ≤ head.seq + 1).
    pub fn tree_root(&self, size: u64) -> Result<Hash> {
        self.check_size(size)?;
        merkle::root(&mut StoreTree::new(&self.store), size)
    }

    /// The inclusion proof of event `seq` in the tree of `size` events.
    pub fn inclusion_proof(&self, seq: Seq, size: u64) -> Result<Vec<Hash>> {
        self.check_size(size)?;
        if !seq.within(size) {
            return Err(Error::Refused(format!(
                "event {seq} is not in the tree of {size} events (seqs 0 to {})",
                size - 1
            )));
        }
        merkle::inclusion_path(&mut StoreTree::new(&self.store), seq.get(), size)
    }

    /// The consistency proof between the trees of `old` and `size` events.
    pub fn consistency_proof(&self, old: u64, size: u64) -> Result<Vec<Hash>> {
        self.check_size(size)?;
        if old == 0 || old > size {
            return Err(Error::Refused(format!("the old size must be between 1 and {size}, not {old}")));
        }
        merkle::consistency_path(&mut StoreTree::new(&self.store), old, size)
    }

    fn check_size(&self, size: u64) -> Result<()> {
        let events = self.head()?.seq.size();
        if size == 0 || size > events {
            return Err(Error::Refused(format!(
                "the tree size must be between 1 and {events} (the ledger's events), not {size}"
            )));
        }
        Ok(())
    }

    /// The report date of the last list imported for `authority`.
    pub fn last_import(&self, authority: &str) -> Result<Option<crate::time::Date>> {
        self.store.last_import(authority)
    }

    /// Like [`Ledger::append`], also recording (in the same atomic write) the report date of the
    /// list the batch was imported from.
    pub fn append_marked(
        &self,
        batch: &[Numbered<InputEvent>],
        actor: &str,
        clock: &dyn Clock,
        import: Option<(String, crate::time::Date)>,
    ) -> Result<Appended> {
        self.append_with(batch, actor, clock, import, &())
    }

    /// Like [`Ledger::append_marked`], reporting its progress: the events checked, then the write.
    pub fn append_with(
        &self,
        batch: &[Numbered<InputEvent>],
        actor: &str,
        clock: &dyn Clock,
        import: Option<(String, crate::time::Date)>,
        progress: &dyn Progress,
    ) -> Result<Appended> {
        check_actor(actor)?;
        let head = self.head()?;
        if batch.is_empty() {
            if import.is_some() {
                // A list with no changes still moves the authority's last import date on.
                self.store.commit(Commit { import, ..Commit::default() })?;
            }
            return Ok(Appended { count: 0, head });
        }
        let plan = self.plan(batch, actor, clock, head, progress)?;
        progress.phase("writing", None);
        let mut commit = plan.commit()?;
        commit.import = import;
        let new_head = commit.head.ok_or_else(|| Error::Internal("append built no head".into()))?;
        self.store.commit(commit)?;
        Ok(Appended { count: batch.len(), head: new_head })
    }
}

/// Batches of at least this many events are drafted on several cores.
const PARALLEL_DRAFTS: usize = 256;

/// Checks every event of a batch on its own (the field rules of every input event, whichever way
/// it came in: a JSON line, an operator command, an import) and drafts its canonical bytes
/// ([`crate::chain::draft_input`]), on every core for a large batch. Event `i` becomes seq
/// `head + 1 + i`, recorded `start + i` µs.
fn draft_batch(
    batch: &[Numbered<InputEvent>],
    head: Seq,
    start: i64,
    actor: &str,
) -> Vec<std::result::Result<crate::chain::Draft, LineError>> {
    let draft = |i: usize, n: &Numbered<InputEvent>| {
        check_event(&n.event).map_err(|f| LineError {
            line: n.line,
            key: n.event.key().map(|k| k.to_string()),
            field: Some(f.field),
            reason: f.reason,
            conflict: false,
        })?;
        let (seq, at) = (head.next().plus(i as u64), Timestamp(start.saturating_add(i as i64)));
        crate::chain::draft_input(seq, at, actor, &n.event).map_err(|e| LineError::new(n.line, e.to_string()))
    };
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 8);
    if batch.len() < PARALLEL_DRAFTS || workers == 1 {
        return batch.iter().enumerate().map(|(i, n)| draft(i, n)).collect();
    }
    let per = batch.len().div_ceil(workers);
    std::thread::scope(|scope| {
        let handles: Vec<_> = batch
            .chunks(per)
            .enumerate()
            .map(|(c, part)| {
                let draft = &draft;
                scope.spawn(move || part.iter().enumerate().map(|(i, n)| draft(c * per + i, n)).collect::<Vec<_>>())
            })
            .collect();
        let mut out = Vec::with_capacity(batch.len());
        for (c, h) in handles.into_iter().enumerate() {
            match h.join() {
                Ok(part) => out.extend(part),
                // A worker that panicked drafted nothing: draft its part here, which meets the
                // same panic in this thread.
                Err(_) => out.extend(
                    batch.chunks(per).nth(c).unwrap_or(&[]).iter().enumerate().map(|(i, n)| draft(c * per + i, n)),
                ),
            }
        }
        out
    })
}

fn check_actor(actor: &str) -> Result<()> {
    if actor.trim().is_empty() || actor.len() > limits::MAX_ACTOR_BYTES || actor.chars().any(char::is_control) {
        // The whole batch's actor, not one line's: no line to name.
        return Err(Error::Actor);
    }
    Ok(())
}

/// A batch event as sealed: its canonical bytes and envelope (the event itself is the batch's).
struct Sealed {
    line: usize,
    bytes: Vec<u8>,
    seq: Seq,
    prev: Hash,
    hash: Hash,
    recorded_at: Timestamp,
}

/// An event the plan reads: one of the batch (by reference), or one of the ledger. (Few are held
/// at once: the size of the stored variant is no concern.)
#[allow(clippy::large_enum_variant)]
enum Known<'a> {
    Batch(&'a InputEvent),
    Stored(RecordedEvent),
}

impl Known<'_> {
    fn step(&self) -> fold::Step<'_> {
        match self {
            Known::Batch(e) => fold::Step::from(*e),
            Known::Stored(r) => fold::Step::from(&r.event),
        }
    }
}

struct KeyWork {
    /// The key's regime code and kind: from the index, or from its first designation.
    identity: Option<Identity>,
    /// The record as the key's events not retracted leave it (canonical JSON).
    record: Option<Vec<u8>>,
    /// The record the store holds (canonical JSON), to write only a changed one.
    stored: Option<Vec<u8>>,
    entries: Vec<KeyEntry>,
}

/// An append in the making: the sealed events and the index of every key they touch.
struct Plan<'a> {
    ledger: &'a Ledger,
    head: Head,
    /// The batch being planned, event `i` becoming seq `head + 1 + i`.
    batch: &'a [Numbered<InputEvent>],
    keys: HashMap<Key, KeyWork>,
    sealed: Vec<Sealed>,
    /// Events of the ledger read to fold records again, and the blocks they were read from.
    cache: HashMap<Seq, RecordedEvent>,
    reader: EventReader<'a>,
}

impl<'a> Plan<'a> {
    /// Adds sealed event `i` to the index and checks its key's lifecycle.
    fn admit(&mut self, i: usize) -> Result<()> {
        match &self.batch[i].event {
            InputEvent::Designation(d) => self.admit_keyed(i, Act::Designation, d.effective),
            InputEvent::Amendment(a) => self.admit_keyed(i, Act::Amendment, a.effective),
            InputEvent::Delisting(d) => self.admit_keyed(i, Act::Delisting, d.effective),
            InputEvent::Retraction(r) => self.admit_retraction(i, r.target),
        }
    }

    /// Adds a designation, amendment or delisting to its key's index, checks the key's lifecycle,
    /// and folds its record again when the event changed it.
    fn admit_keyed(&mut self, i: usize, act: Act, effective: crate::time::Effective) -> Result<()> {
        let Sealed { line, seq, recorded_at, .. } = &self.sealed[i];
        let (line, seq, at) = (*line, *seq, recorded_at.0);
        let event = &self.batch[i].event;
        let key = event.key().ok_or_else(|| Error::Internal("keyed event without key".into()))?;
        let identity = match event {
            InputEvent::Designation(d) => Some(Identity { regime: d.regime.code.clone(), kind: d.subject.kind }),
            _ => None,
        };
        let work = self.work(&key)?;
        match (&work.identity, identity) {
            (None, found) => work.identity = found,
            (Some(held), Some(found)) if *held != found => {
                return Err(LineError {
                    line,
                    key: Some(key.to_string()),
                    field: None,
                    reason: format!(
                        "{key} is designated under regime {} as {}; a relisting must keep its regime code and kind (this one: {}, {})",
                        held.regime,
                        held.kind.as_str(),
                        found.regime,
                        found.kind.as_str()
                    ),
                    conflict: true,
                }
                .into());
            }
            _ => {}
        }
        work.entries.push(KeyEntry {
            seq,
            effective: effective.micros(),
            recorded_at: at,
            act,
            date: matches!(effective, crate::time::Effective::Date(_)),
            retracted_by: None,
        });
        lifecycle::sort(&mut work.entries);
        lifecycle::check(&work.entries).map_err(|v| rule_error(line, &key, seq, v, &work.entries))?;
        // The usual case: the event comes after every other of its key, so the stored record
        // is what it applies to. A backdated event changes what follows it: fold again.
        let last = work.entries.iter().rev().find(|e| e.retracted_by.is_none()).is_some_and(|e| e.seq == seq);
        if act == Act::Delisting {
            return Ok(());
        }
        if last && (act == Act::Designation || work.record.is_some()) {
            let work = self.keys.get_mut(&key).ok_or_else(|| Error::Internal("key work vanished".into()))?;
            let applied = fold::apply(&mut work.record, fold::Step::from(event), work.identity.as_ref());
            return applied.map_err(|problem| invalid_amendment(line, &key, seq, &problem.to_string()));
        }
        self.check_records(&key, line)
    }

    /// Marks the event a retraction withdraws as retracted, and checks its key as the
    /// retraction leaves it.
    fn admit_retraction(&mut self, i: usize, target: Seq) -> Result<()> {
        let Sealed { line, seq, recorded_at, .. } = &self.sealed[i];
        let (line, seq, at) = (*line, *seq, recorded_at.0);
        let refuse = |reason: String| {
            Error::from(LineError { line, key: None, field: Some("target".into()), reason, conflict: false })
        };
        if target >= seq {
            return Err(refuse(format!("event {target} does not exist (a retraction can only name an earlier event)")));
        }
        let target_event = self.event(target)?.ok_or_else(|| refuse(format!("event {target} does not exist")))?;
        let retracted = || {
            refuse(format!(
                "event {target} is a retraction, which cannot be retracted; append the withdrawn event again instead"
            ))
        };
        let key = match &target_event {
            Known::Stored(r) => match &r.event {
                Event::Genesis(_) => return Err(refuse("the genesis event cannot be retracted".into())),
                Event::Retraction(_) => return Err(retracted()),
                e => e.key(),
            },
            Known::Batch(InputEvent::Retraction(_)) => return Err(retracted()),
            Known::Batch(e) => e.key(),
        };
        let key = key.ok_or_else(|| Error::Internal("keyed event without key".into()))?;
        let work = self.work(&key)?;
        let entry = work
            .entries
            .iter_mut()
            .find(|e| e.seq == target)
            .ok_or_else(|| Error::Internal(format!("the index of {key} lacks event {target}")))?;
        if let Some(by) = entry.retracted_by {
            let mut e = refuse(format!("event {target} was already retracted by event {}", by.seq));
            if let Error::Input(l) = &mut e {
                l.key = Some(key.to_string());
                l.conflict = true;
            }
            return Err(e);
        }
        entry.retracted_by = Some(RetractedBy { seq, recorded_at: at });
        let withdrawn = entry.act;
        lifecycle::check(&work.entries).map_err(|v| {
            let mut e = rule_error(line, &key, seq, v, &work.entries);
            if let Error::Input(l) = &mut e {
                l.reason = format!("retracting event {target} would leave {key} invalid: {}", l.reason);
            }
            e
        })?;
        if withdrawn != Act::Delisting {
            self.check_records(&key, line)?;
        }
        Ok(())
    }

    fn work(&mut self, key: &Key) -> Result<&mut KeyWork> {
        if !self.keys.contains_key(key) {
            let (identity, record, stored, entries) = match self.ledger.store().key_index(key)? {
                Some(i) => (Some(Identity { regime: i.regime, kind: i.kind }), i.record.clone(), i.record, i.entries),
                None => (None, None, None, Vec::new()),
            };
            self.keys.insert(key.clone(), KeyWork { identity, record, stored, entries });
        }
        self.keys.get_mut(key).ok_or_else(|| Error::Internal("key work vanished".into()))
    }

    /// An event of the ledger or of this batch.
    fn event(&mut self, seq: Seq) -> Result<Option<Known<'a>>> {
        if let Some(i) = seq.offset_from(self.head.seq.next()) {
            let batch: &'a [Numbered<InputEvent>] = self.batch;
            return Ok(batch
                .get(i as usize)
                .filter(|_| (i as usize) < self.sealed.len())
                .map(|n| Known::Batch(&n.event)));
        }
        if let Some(e) = self.cache.get(&seq) {
            return Ok(Some(Known::Stored(e.clone())));
        }
        let e = self.reader.event(seq)?;
        self.cache.insert(seq, e.clone());
        Ok(Some(Known::Stored(e)))
    }

    /// Folds the records of `key` after the batch event on `line` changed its designations or
    /// amendments, so that no amendment leaves a record that breaks the record's rules. Checked
    /// after every such event, not once per batch: a query as of any microsecond, inside a batch
    /// too, must find valid records.
    fn check_records(&mut self, key: &Key, last_line: usize) -> Result<()> {
        let (entries, identity) = {
            let w = &self.keys[key];
            (w.entries.clone(), w.identity.clone())
        };
        let mut record: Option<Vec<u8>> = None;
        for e in entries.iter().filter(|e| e.retracted_by.is_none() && e.act != Act::Delisting) {
            let event = self.event(e.seq)?.ok_or_else(|| Error::Internal(format!("event {} is missing", e.seq)))?;
            if let Err(problem) = fold::apply(&mut record, event.step(), identity.as_ref()) {
                let line = self.line_of(e.seq).unwrap_or(last_line);
                return Err(invalid_amendment(line, key, e.seq, &problem.to_string()));
            }
        }
        if let Some(w) = self.keys.get_mut(key) {
            w.record = record;
        }
        Ok(())
    }

    fn line_of(&self, seq: Seq) -> Option<usize> {
        let i = seq.offset_from(self.head.seq.next())?;
        self.sealed.get(i as usize).map(|s| s.line)
    }

    /// What the append writes: the sealed events, the index and record of every key they
    /// touched, the new head, and the Merkle subtrees the events complete.
    fn commit(self) -> Result<Commit<'static>> {
        let last = self.sealed.last().ok_or_else(|| Error::Internal("empty append".into()))?;
        let head = Head { seq: last.seq, hash: last.hash, recorded_at: last.recorded_at };
        let leaves = self
            .sealed
            .iter()
            .map(|s| crate::entry::leaf(&s.hash, &s.bytes))
            .collect::<Option<Vec<Hash>>>()
            .ok_or_else(|| Error::Internal("a sealed event is not a JSON object".into()))?;
        let nodes = StoreTree::new(self.ledger.store()).complete(self.head.seq.size(), &leaves)?;
        let mut keys = Vec::with_capacity(self.keys.len());
        let mut records = Vec::with_capacity(self.keys.len());
        for (key, w) in self.keys {
            // The lifecycle check let no key through without a designation, which sets its identity.
            let Identity { regime, kind } =
                w.identity.ok_or_else(|| Error::Internal(format!("{key} reached the commit without a designation")))?;
            let record = w.record;
            if record != w.stored {
                records.push((key.clone(), record));
            }
            keys.push((key, KeyIndex { regime, kind, record: None, entries: w.entries }));
        }
        let events =
            self.sealed.into_iter().map(|s| SealedEvent { hash: s.hash, bytes: Cow::Owned(s.bytes) }).collect();
        Ok(Commit { events, keys, records, head: Some(head), name: None, import: None, nodes })
    }
}

fn invalid_amendment(line: usize, key: &Key, seq: Seq, problem: &str) -> Error {
    LineError {
        line,
        key: Some(key.to_string()),
        field: Some("patch".into()),
        reason: format!("the amendment (event {seq}) would leave an invalid record: {problem}"),
        conflict: true,
    }
    .into()
}

fn rule_error(line: usize, key: &Key, seq: Seq, v: lifecycle::Violation, entries: &[KeyEntry]) -> Error {
    let reason = if v.seq == seq {
        v.rule.to_string()
    } else {
        let when = entries.iter().find(|e| e.seq == v.seq).map(KeyEntry::effective_text).unwrap_or_default();
        format!("{} — event {} (effective {when}) would break this rule once this event is added", v.rule, v.seq)
    };
    LineError { line, key: Some(key.to_string()), field: None, reason, conflict: true }.into()
}

/// Reading one authority's designations whole: for what compares the ledger with an outside
/// source (the list importers of `ledger-import`) without reaching into the store.
impl Ledger {
    /// Every key of `authority` the ledger holds, whatever its standing, in key order: its index
    /// with its current record (`KeyIndex::record`, the canonical JSON the store keeps).
    pub fn keys_of<'a>(
        &'a self,
        authority: &'a str,
    ) -> impl Iterator<Item = crate::error::Result<(crate::event::Key, crate::lifecycle::KeyIndex)>> + 'a {
        self.store().all_keys().filter(move |item| !matches!(item, Ok((key, _)) if key.authority() != authority))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::parse_value;
    use crate::time::FixedClock;

    fn designation(id: &str) -> Numbered<InputEvent> {
        let v = serde_json::json!({"type": "designation", "authority": "UK", "id": id, "effective": "2025-01-01",
            "regime": {"code": "GIM"}, "subject": {"kind": "entity", "names": [{"name": id, "type": "primary"}]}});
        Numbered { line: 1, event: parse_value(1, v).unwrap() }
    }

    #[test]
    fn key_ranges_cover_every_key_once_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let clock = FixedClock::new(1_000_000_000);
        let ledger = Ledger::init(&dir.path().join("l.sled"), "ranges", "tester", &clock).unwrap();
        let store = ledger.store();
        assert_eq!(store.key_ranges(4).unwrap(), vec![crate::store::KeyRange::ALL], "an empty index is one range");
        let ids: Vec<String> = (0..300).map(|i| format!("GIM{i:04}")).chain(["A".into(), "zz9".into()]).collect();
        let batch: Vec<_> = ids.iter().map(|id| designation(id)).collect();
        ledger.append(&batch, "tester", &clock).unwrap();
        let all: Vec<Key> = store.all_entries().map(|r| r.unwrap().0).collect();
        assert_eq!(all.len(), ids.len());
        for parts in 1..=5 {
            let ranges = store.key_ranges(parts).unwrap();
            assert!(ranges.len() <= parts);
            let mut seen = Vec::new();
            for r in &ranges {
                let keys: Vec<Key> = store.keys_in(r).map(|r| r.unwrap().0).collect();
                assert!(parts == 1 || keys.len() < all.len(), "{parts} parts: one range holds every key");
                seen.extend(keys);
            }
            assert_eq!(seen, all, "{parts} parts");
        }
    }

    #[test]
    fn recorded_at_increases_when_the_clock_steps_back_or_stands_still() {
        let dir = tempfile::tempdir().unwrap();
        let clock = FixedClock::new(1_000_000_000);
        let ledger = Ledger::init(&dir.path().join("l.sled"), "clock", "tester", &clock).unwrap();
        // Forward, still, a day back, back again, forward.
        for (i, now) in
            [2_000_000_000, 2_000_000_000, 2_000_000_000 - 86_400_000_000, 0, 3_000_000_000].iter().enumerate()
        {
            clock.set(*now);
            let batch = vec![designation(&format!("A{i}")), designation(&format!("B{i}"))];
            ledger.append(&batch, "tester", &clock).unwrap();
        }
        let times: Vec<i64> = ledger.events(Seq::GENESIS).map(|e| e.unwrap().recorded_at.0).collect();
        assert_eq!(times.len(), 11);
        assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
        assert_eq!(times[1], 2_000_000_000, "the clock is used when it moves forward");
        assert_eq!(*times.last().unwrap(), 3_000_000_001);
        assert!(crate::verify::verify(&ledger).unwrap().failure.is_none());
    }
}
