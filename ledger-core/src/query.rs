//! Point-in-time answers: `state`, `show`, `history`, `diff` and `search`.
//!
//! Each answer is a serializable output type (the JSON contract of the CLI, described in
//! `schemas/`) that names the head it was computed from and the point on both axes it answers for.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::chain::Head;
use crate::error::{Error, Result};
use crate::event::{Key, NameType, Record, SubjectKind};
use crate::lifecycle::{Act, KeyEntry, KeyIndex};
use crate::names;
use crate::projection::{Reader, Standing, Status, When, standing};
use crate::seq::Seq;
use crate::store::KeyRange;
use crate::time::{Micros, format_instant};
use crate::view::View;

/// Filters of `state`.
#[derive(Debug, Clone, Default)]
pub struct StateFilter {
    /// Only this authority (`UK`), compared case-insensitively.
    pub authority: Option<String>,
    /// Only this regime code (`GIM`), compared case-insensitively.
    pub regime: Option<String>,
    /// Only this kind of subject.
    pub kind: Option<SubjectKind>,
    /// Also list delisted (formerly designated) keys.
    pub include_delisted: bool,
}

impl StateFilter {
    fn admits(&self, key: &Key, index: &KeyIndex) -> bool {
        self.authority.as_ref().is_none_or(|a| a.eq_ignore_ascii_case(key.authority()))
            && self.regime.as_ref().is_none_or(|r| r.eq_ignore_ascii_case(&index.regime))
            && self.kind.is_none_or(|k| k == index.kind)
    }

    fn lists(&self, status: Status) -> bool {
        status == Status::Active || (self.include_delisted && status == Status::Delisted)
    }
}

/// `ledger state`: the designations in force at a point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "State", description = "The designations in force at (at, as_of): `ledger state --format json`.")]
pub struct StateOutput {
    /// The head the answer was computed from.
    pub head: Head,
    /// Legal-effect time answered for.
    pub at: String,
    /// Knowledge time answered for.
    pub as_of: String,
    /// How many designations are listed.
    pub count: usize,
    /// The designations, in key order.
    pub designations: Vec<StateRow>,
    /// When the answer is one page of a longer list: the key to ask the next page after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// One designation in a state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StateRow {
    /// `AUTHORITY/ID`.
    pub key: String,
    /// Active, or delisted (with `--include-delisted`).
    pub status: Status,
    /// The regime code.
    pub regime: String,
    /// The kind of subject.
    pub kind: SubjectKind,
    /// The primary name.
    pub name: String,
    /// When the current designation took effect.
    pub designated: String,
    /// When it was delisted, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delisted: Option<String>,
    /// The seqs of the events that made the record what it is.
    pub events: Vec<Seq>,
    /// The designation record as it stood.
    #[schemars(with = "Record")]
    pub record: RecordJson,
}

/// A designation record as JSON text, written out as it is: the store keeps each key's current
/// record in canonical form, so listing many needs no parsing and re-serializing of each.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordJson(Box<serde_json::value::RawValue>);

impl RecordJson {
    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// The record.
    pub fn parse(&self) -> Result<Record> {
        serde_json::from_str(self.0.get()).map_err(|e| Error::Internal(format!("a record does not parse: {e}")))
    }

    fn new(text: String) -> Result<RecordJson> {
        serde_json::value::RawValue::from_string(text)
            .map(RecordJson)
            .map_err(|e| Error::Internal(format!("a record is not JSON: {e}")))
    }
}

impl PartialEq for RecordJson {
    fn eq(&self, other: &RecordJson) -> bool {
        self.get() == other.get()
    }
}

/// `ledger state --count`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "State count", description = "`ledger state --count --format json`.")]
pub struct CountOutput {
    /// The head the answer was computed from.
    pub head: Head,
    /// Legal-effect time answered for.
    pub at: String,
    /// Knowledge time answered for.
    pub as_of: String,
    /// How many designations match.
    pub count: usize,
}

/// `ledger show KEY`: one designation at a point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Show", description = "One designation at (at, as_of): `ledger show KEY --format json`.")]
pub struct ShowOutput {
    /// The head the answer was computed from.
    pub head: Head,
    /// Legal-effect time answered for.
    pub at: String,
    /// Knowledge time answered for.
    pub as_of: String,
    /// `AUTHORITY/ID`.
    pub key: String,
    /// Active, delisted or absent.
    pub status: Status,
    /// When the current (or last) designation took effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub designated: Option<String>,
    /// When it was delisted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delisted: Option<String>,
    /// The seqs of the events that made it so (the designation, its amendments, its delisting).
    pub events: Vec<Seq>,
    /// The record as it stood (absent if the key was not designated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<Record>,
}

/// `ledger history KEY`: every event of one key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "History", description = "Every event of one key on both axes: `ledger history KEY --format json`.")]
pub struct HistoryOutput {
    /// The head the answer was computed from.
    pub head: Head,
    /// Always null: a history spans every legal-effect time.
    pub at: Option<String>,
    /// Knowledge time answered for: events recorded by then.
    pub as_of: String,
    /// `AUTHORITY/ID`.
    pub key: String,
    /// The key's events and the retractions of them, in seq order.
    pub events: Vec<HistoryRow>,
}

/// One event in a history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HistoryRow {
    /// The event's seq.
    pub seq: Seq,
    /// Its type.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Its legal effect (none for retractions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective: Option<String>,
    /// When it was recorded.
    pub recorded_at: String,
    /// Who recorded it.
    pub actor: String,
    /// The retraction that withdrew it, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retracted_by: Option<Seq>,
    /// For a retraction: the event it withdrew.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retracts: Option<Seq>,
    /// Recorded after an event of the key that it precedes in legal effect: it changed the past
    /// as the ledger had known it.
    pub backdated: bool,
    /// The recorded event.
    pub event: Value,
}

/// `ledger diff`: what changed in law between two times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(
    title = "Diff",
    description = "Designations added, delisted and amended between two legal-effect times: `ledger diff --format json`."
)]
pub struct DiffOutput {
    /// The head the answer was computed from.
    pub head: Head,
    /// The later legal-effect time (the state compared against `from`).
    pub at: String,
    /// The earlier legal-effect time.
    pub from: String,
    /// The later legal-effect time.
    pub to: String,
    /// Knowledge time answered for.
    pub as_of: String,
    /// Not in force at `from`, in force at `to`.
    pub designated: Vec<DiffChange>,
    /// In force at `from`, not at `to`.
    pub delisted: Vec<DiffChange>,
    /// In force at both, with a different record.
    pub amended: Vec<DiffChange>,
}

/// One designation in a diff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DiffChange {
    /// `AUTHORITY/ID`.
    pub key: String,
    /// The primary name (at `to`, or at `from` if delisted).
    pub name: String,
    /// The regime code.
    pub regime: String,
    /// When the change took effect: the designation, the delisting, or the latest amendment.
    pub effective: String,
    /// For amendments: each changed field of the record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
}

/// One changed field of a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FieldChange {
    /// Dotted path of the field (`subject.names`).
    pub field: String,
    /// The value at `from` (absent if the field was added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    /// The value at `to` (absent if the field was removed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
}

/// `ledger search NAME`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Search", description = "Names and aliases matching a query: `ledger search NAME --format json`.")]
pub struct SearchOutput {
    /// The head the answer was computed from.
    pub head: Head,
    /// Legal-effect time answered for.
    pub at: String,
    /// Knowledge time answered for.
    pub as_of: String,
    /// The query as given.
    pub query: String,
    /// Matching names, by key then name.
    pub matches: Vec<SearchMatch>,
}

/// One matching name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SearchMatch {
    /// `AUTHORITY/ID`.
    pub key: String,
    /// The name that matched.
    pub name: String,
    /// Its type: primary, variation or alias.
    pub name_type: NameType,
    /// The designation's status at `at`.
    pub status: Status,
    /// The regime code.
    pub regime: String,
}

/// The primary name of a record (its first name if none is marked primary).
pub fn primary_name(r: &Record) -> String {
    r.subject
        .names
        .iter()
        .find(|n| n.name_type == NameType::Primary)
        .or(r.subject.names.first())
        .map(|n| n.name.clone())
        .unwrap_or_default()
}

/// A key's record and dates at a point.
struct Projected {
    standing: Standing,
    record: Option<Record>,
    designated: Option<String>,
    delisted: Option<String>,
}

fn project(reader: &mut Reader, key: &Key, index: &KeyIndex, when: When) -> Result<Projected> {
    let standing = standing(&index.entries, when);
    let record = reader.record_at(key, index, &standing, when)?;
    let designated = standing.designation().map(KeyEntry::effective_text);
    let delisted = standing.delisting().map(KeyEntry::effective_text);
    Ok(Projected { standing, record, designated, delisted })
}

/// Runs `visit` over every key of the index at the view's head, on every core, and gathers
/// what it returns, in key order. With `records`, each key's stored record comes with its index
/// (read beside it, the fast way) when no batch lands during the reading; when one does, the
/// reading is done again with the records read key by key, as [`View::record`] checks them.
fn par_keys<T: Send>(
    view: &View,
    records: bool,
    visit: impl Fn(&mut Reader, Key, KeyIndex) -> Result<Option<T>> + Sync,
) -> Result<Vec<T>> {
    if records && view.is_current()? {
        // A batch landing meanwhile may also make the index and the records read side by side
        // disagree: that is a moved head, not damage, and the reading is done again.
        match par_ranges(view, true, &visit) {
            Ok(all) if view.is_current()? => return Ok(all),
            Err(e) if view.is_current()? => return Err(e),
            _ => {}
        }
    }
    par_ranges(view, false, &visit)
}

fn par_ranges<T: Send>(
    view: &View,
    records: bool,
    visit: &(impl Fn(&mut Reader, Key, KeyIndex) -> Result<Option<T>> + Sync),
) -> Result<Vec<T>> {
    let parts = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 8);
    let ranges = view.key_ranges(parts)?;
    let run = |range: &KeyRange| -> Result<Vec<T>> {
        let mut reader = Reader::new(*view);
        let mut out = Vec::new();
        let items: Box<dyn Iterator<Item = Result<(Key, KeyIndex)>>> =
            if records { Box::new(view.records_in(range)) } else { Box::new(view.entries_in(range)) };
        for item in items {
            let (key, index) = item?;
            out.extend(visit(&mut reader, key, index)?);
        }
        Ok(out)
    };
    if ranges.len() == 1 {
        return run(&ranges[0]);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = ranges.iter().map(|r| scope.spawn(|| run(r))).collect();
        let mut all = Vec::new();
        for h in handles {
            all.extend(h.join().map_err(|_| Error::Internal("a query worker failed".into()))??);
        }
        Ok(all)
    })
}

/// Counts the designations in force (index only: no event is read).
pub fn count(view: &View, when: When, filter: &StateFilter) -> Result<CountOutput> {
    let listed = par_keys(view, false, |_, key, index| {
        Ok((filter.admits(&key, &index) && filter.lists(standing(&index.entries, when).status)).then_some(()))
    })?;
    Ok(CountOutput {
        head: view.head(),
        at: format_instant(when.at),
        as_of: format_instant(when.as_of),
        count: listed.len(),
    })
}

/// The row of one key in a `state` answer, if the key is listed there.
fn state_row(
    reader: &mut Reader,
    key: Key,
    index: KeyIndex,
    when: When,
    filter: &StateFilter,
) -> Result<Option<StateRow>> {
    if !filter.admits(&key, &index) {
        return Ok(None);
    }
    let standing = standing(&index.entries, when);
    if !filter.lists(standing.status) {
        return Ok(None);
    }
    let text = reader
        .record_json_at(&key, &index, &standing, when)?
        .ok_or_else(|| Error::Internal(format!("{key} is listed without a record")))?;
    let name = primary_name_of(&text)?;
    Ok(Some(StateRow {
        key: key.to_string(),
        status: standing.status,
        designated: standing.designation().map(KeyEntry::effective_text).unwrap_or_default(),
        delisted: standing.delisting().map(KeyEntry::effective_text),
        events: standing.episode.iter().map(|e| e.seq).collect(),
        regime: index.regime,
        kind: index.kind,
        name,
        record: RecordJson::new(text)?,
    }))
}

/// The designations in force, with their records.
pub fn state(view: &View, when: When, filter: &StateFilter) -> Result<StateOutput> {
    let rows = par_keys(view, true, |reader, key, index| state_row(reader, key, index, when, filter))?;
    Ok(StateOutput::new(view, when, rows, None))
}

impl StateOutput {
    fn new(view: &View, when: When, rows: Vec<StateRow>, next: Option<String>) -> StateOutput {
        StateOutput {
            head: view.head(),
            at: format_instant(when.at),
            as_of: format_instant(when.as_of),
            count: rows.len(),
            designations: rows,
            next,
        }
    }
}

/// One page of [`state`]: at most `limit` designations, in key order, after the key `after`;
/// `next` names the last one listed when more follow.
pub fn state_page(
    view: &View,
    when: When,
    filter: &StateFilter,
    after: Option<&Key>,
    limit: usize,
) -> Result<StateOutput> {
    // The range starts at the key after `after`: its bytes with a 0 byte added.
    let from = after.map(|k| [k.to_string().as_bytes(), &[0u8]].concat());
    let mut reader = Reader::new(*view);
    let mut rows = Vec::new();
    let mut next = None;
    for item in view.entries_in(&KeyRange { from, to: None }) {
        let (key, index) = item?;
        if rows.len() == limit {
            // Another listed key after a full page: the page says where the next one starts.
            if filter.admits(&key, &index) && filter.lists(standing(&index.entries, when).status) {
                next = rows.last().map(|r: &StateRow| r.key.clone());
                break;
            }
            continue;
        }
        rows.extend(state_row(&mut reader, key, index, when, filter)?);
    }
    Ok(StateOutput::new(view, when, rows, next))
}

/// The names of a record, read from its JSON without the rest of it.
fn names_of(record: &str) -> Result<Vec<crate::event::Name>> {
    #[derive(Deserialize)]
    struct Names {
        subject: SubjectNames,
    }
    #[derive(Deserialize)]
    struct SubjectNames {
        names: Vec<crate::event::Name>,
    }
    serde_json::from_str::<Names>(record)
        .map(|n| n.subject.names)
        .map_err(|e| Error::Internal(format!("a record's names do not parse: {e}")))
}

/// The primary name in a record's JSON (its first name if none is marked primary).
fn primary_name_of(record: &str) -> Result<String> {
    let names = names_of(record)?;
    let primary = names.iter().position(|n| n.name_type == NameType::Primary).unwrap_or(0);
    Ok(names.into_iter().nth(primary).map(|n| n.name).unwrap_or_default())
}

fn index_of(view: &View, key: &Key) -> Result<KeyIndex> {
    view.key_index(key)?.ok_or_else(|| Error::NotFound { key: key.to_string() })
}

/// One designation at a point. A key the ledger has never held is [`Error::NotFound`].
pub fn show(view: &View, key: &Key, when: When) -> Result<ShowOutput> {
    let index = index_of(view, key)?;
    let mut reader = Reader::new(*view);
    let p = project(&mut reader, key, &index, when)?;
    Ok(ShowOutput {
        head: view.head(),
        at: format_instant(when.at),
        as_of: format_instant(when.as_of),
        key: key.to_string(),
        status: p.standing.status,
        designated: p.designated,
        delisted: p.delisted,
        events: p.standing.episode.iter().map(|e| e.seq).collect(),
        record: p.record,
    })
}

/// The answer of [`show`] for a key the ledger has never held: status unknown, no events.
pub fn show_unknown(view: &View, key: &Key, when: When) -> Result<ShowOutput> {
    Ok(ShowOutput {
        head: view.head(),
        at: format_instant(when.at),
        as_of: format_instant(when.as_of),
        key: key.to_string(),
        status: Status::Unknown,
        designated: None,
        delisted: None,
        events: Vec::new(),
        record: None,
    })
}

/// The answer of [`history`] for a key the ledger has never held: no events.
pub fn history_unknown(view: &View, key: &Key, as_of: Micros) -> Result<HistoryOutput> {
    Ok(HistoryOutput {
        head: view.head(),
        at: None,
        as_of: format_instant(as_of),
        key: key.to_string(),
        events: Vec::new(),
    })
}

/// What the ledger holds near a key it does not hold: the keys of the same authority whose id
/// differs only in case, and whether it holds any key of that authority at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Near {
    /// Keys whose id equals the one asked for but for case.
    pub same_but_case: Vec<Key>,
    /// Whether any key of the authority is held.
    pub authority_held: bool,
}

/// The keys near `key` (read only when `key` is not held: it scans the authority's keys).
pub fn near(view: &View, key: &Key) -> Result<Near> {
    // The authority's keys are `AUTHORITY/...`; `0` is the byte after `/`.
    let range = KeyRange {
        from: Some(format!("{}/", key.authority()).into_bytes()),
        to: Some(format!("{}0", key.authority()).into_bytes()),
    };
    let folded = key.id().to_lowercase();
    let mut near = Near::default();
    for item in view.entries_in(&range) {
        let (held, _) = item?;
        near.authority_held = true;
        if held.id() != key.id() && held.id().to_lowercase() == folded {
            near.same_but_case.push(held);
        }
    }
    Ok(near)
}

/// The (authority, regime code) pairs of every key the ledger holds, at any time: what tells a
/// `state` filter that matches nothing from one that names nothing the ledger ever held.
pub fn held_regimes(view: &View) -> Result<std::collections::BTreeSet<(String, String)>> {
    let mut pairs = std::collections::BTreeSet::new();
    for item in view.all_entries() {
        let (key, index) = item?;
        pairs.insert((key.authority().to_owned(), index.regime));
    }
    Ok(pairs)
}

/// Every event of one key recorded by `as_of`, with the retractions of them.
pub fn history(view: &View, key: &Key, as_of: Micros) -> Result<HistoryOutput> {
    let index = index_of(view, key)?;
    let mut reader = Reader::new(*view);
    let mut known: Vec<&KeyEntry> = index.entries.iter().filter(|e| e.recorded_at <= as_of).collect();
    known.sort_by_key(|e| e.seq);
    let mut rows = Vec::new();
    for e in &known {
        let rec = reader.event(e.seq)?;
        let retraction = e.retracted_by.filter(|r| r.recorded_at <= as_of);
        let backdated = known.iter().any(|o| o.seq < e.seq && o.effective > e.effective);
        rows.push(HistoryRow {
            seq: e.seq,
            event_type: rec.event.type_name().to_owned(),
            effective: rec.event.effective().map(|x| x.to_string()),
            recorded_at: rec.recorded_at.to_string(),
            actor: rec.actor.clone(),
            retracted_by: retraction.map(|r| r.seq),
            retracts: None,
            backdated,
            event: rec.to_value(),
        });
        if let Some(crate::lifecycle::RetractedBy { seq: rseq, .. }) = retraction {
            let r = reader.event(rseq)?;
            rows.push(HistoryRow {
                seq: rseq,
                event_type: r.event.type_name().to_owned(),
                effective: None,
                recorded_at: r.recorded_at.to_string(),
                actor: r.actor.clone(),
                retracted_by: None,
                retracts: Some(e.seq),
                backdated: false,
                event: r.to_value(),
            });
        }
    }
    rows.sort_by_key(|r| r.seq);
    Ok(HistoryOutput { head: view.head(), at: None, as_of: format_instant(as_of), key: key.to_string(), events: rows })
}

/// What changed in law between `from` and `to`, as known at `as_of`. Only keys with an event
/// effective in (`from`, `to`] are folded.
pub fn diff(view: &View, from: Micros, to: Micros, as_of: Micros) -> Result<DiffOutput> {
    let (w1, w2) = (When { at: from, as_of }, When { at: to, as_of });
    let mut reader = Reader::new(*view);
    let (mut designated, mut delisted, mut amended) = (Vec::new(), Vec::new(), Vec::new());
    for item in view.all_entries() {
        let (key, index) = item?;
        let moved = index.entries.iter().any(|e| e.effective > from && e.effective <= to && e.known_as_of(as_of));
        if !moved {
            continue;
        }
        let a = project(&mut reader, &key, &index, w1)?;
        let b = project(&mut reader, &key, &index, w2)?;
        let active = |p: &Projected| p.standing.status == Status::Active;
        let name_of = |p: &Projected| p.record.as_ref().map(primary_name).unwrap_or_default();
        let change = |p: &Projected, effective: Option<String>, changes| DiffChange {
            key: key.to_string(),
            name: name_of(p),
            regime: index.regime.clone(),
            effective: effective.unwrap_or_default(),
            changes,
        };
        match (active(&a), active(&b)) {
            (false, true) => designated.push(change(&b, b.designated.clone(), Vec::new())),
            (true, false) => delisted.push(change(&a, b.delisted.clone(), Vec::new())),
            (true, true) if a.record != b.record => {
                let (old, new) = (to_json(&a.record)?, to_json(&b.record)?);
                let mut changes = Vec::new();
                field_changes("", Some(&old), Some(&new), &mut changes);
                let last = b.standing.episode.iter().rev().find(|e| e.act == Act::Amendment).copied();
                let effective = match last {
                    Some(e) => Some(e.effective_text()),
                    None => b.designated.clone(),
                };
                amended.push(change(&b, effective, changes));
            }
            _ => {}
        }
    }
    Ok(DiffOutput {
        head: view.head(),
        at: format_instant(to),
        from: format_instant(from),
        to: format_instant(to),
        as_of: format_instant(as_of),
        designated,
        delisted,
        amended,
    })
}

fn to_json(r: &Option<Record>) -> Result<Value> {
    serde_json::to_value(r).map_err(|e| Error::Internal(e.to_string()))
}

/// The changed fields between two JSON values: objects are compared member by member, anything
/// else (arrays included) as a whole.
pub fn field_changes(path: &str, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<FieldChange>) {
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let keys: BTreeMap<&String, ()> = a.keys().chain(b.keys()).map(|k| (k, ())).collect();
            for k in keys.into_keys() {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                field_changes(&p, a.get(k), b.get(k), out);
            }
        }
        (a, b) if a != b => out.push(FieldChange { field: path.to_owned(), old: a.cloned(), new: b.cloned() }),
        _ => {}
    }
}

/// Names and aliases of every designation known at `when` (active or delisted) matching `query`.
pub fn search(view: &View, query: &str, when: When) -> Result<SearchOutput> {
    let tokens = names::tokens(query);
    let mut matches = Vec::new();
    if !tokens.is_empty() {
        let found = par_keys(view, true, |reader, key, index| {
            let s = standing(&index.entries, when);
            if s.status == Status::Absent {
                return Ok(None);
            }
            let Some(text) = reader.record_json_at(&key, &index, &s, when)? else { return Ok(None) };
            let hits: Vec<SearchMatch> = names_of(&text)?
                .into_iter()
                .filter(|n| names::matches(&tokens, &n.name))
                .map(|n| SearchMatch {
                    key: key.to_string(),
                    name: n.name,
                    name_type: n.name_type,
                    status: s.status,
                    regime: index.regime.clone(),
                })
                .collect();
            Ok((!hits.is_empty()).then_some(hits))
        })?;
        matches = found.into_iter().flatten().collect();
    }
    Ok(SearchOutput {
        head: view.head(),
        at: format_instant(when.at),
        as_of: format_instant(when.as_of),
        query: query.to_owned(),
        matches,
    })
}
