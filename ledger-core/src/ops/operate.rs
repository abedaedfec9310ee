//! The operators' commands: `designate`, `amend`, `delist` and `retract`.
//!
//! Each builds one input event (the same an `append` batch holds), and [`preview`] checks it
//! against the ledger as an append would and projects the designation as it will stand once the
//! event is recorded — for a retraction, the key's standing now with the target withdrawn. The
//! front end shows the preview, asks, and then [`Preview::append`]s it (checked again against
//! the head of that moment).

use crate::view::View;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::chain::Head;
use crate::error::Error;
use crate::event::{Amendment, InputEvent, Key, Record, RecordedEvent, check_measure};
use crate::input::Numbered;
use crate::ledger::Ledger;
use crate::lifecycle::{KeyEntry, RetractedBy};
use crate::ops::ask;
use crate::patch;
use crate::projection::{Reader, Status, When, standing};
use crate::query::ShowOutput;
use crate::seq::Seq;
use crate::time::{AsOf, At, Clock, Effective, Micros, Point, format_instant};

/// Why an operator's event was not built, or not appended.
#[derive(Debug)]
pub enum OperateError {
    /// Reading the ledger failed.
    Ledger(Error),
    /// The ledger refused the event (a field rule, the lifecycle), or failed to append it.
    Refused {
        /// The key the event acts on (`-/event SEQ` for a retraction of an event of no key).
        label: String,
        /// What the ledger said.
        error: Error,
    },
    /// A measure outside the vocabulary (the reason names the rule).
    Measure(crate::event::MeasureError),
    /// An amendment of a key not in force at its effective time.
    NotInForce {
        /// The key.
        key: Key,
        /// The amendment's effective time.
        effective: Effective,
    },
    /// A name to remove that the record does not have.
    NoSuchName {
        /// The key.
        key: Key,
        /// The name.
        name: String,
    },
    /// A name to add that the record already has.
    HasName {
        /// The key.
        key: Key,
        /// The name.
        name: String,
    },
    /// A measure to remove that the record does not have.
    NoSuchMeasure {
        /// The key.
        key: Key,
        /// The measure.
        measure: String,
    },
    /// An amendment that leaves the record as it is.
    Unchanged {
        /// The key.
        key: Key,
        /// The amendment's effective time.
        effective: Effective,
    },
}

impl fmt::Display for OperateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OperateError::Ledger(e) => e.fmt(f),
            OperateError::Refused { label, error: Error::Input(l) } => {
                let field = l.field.as_ref().map(|f| format!(", field `{f}`")).unwrap_or_default();
                write!(f, "{}{field}: {}", l.key.as_deref().unwrap_or(label), l.reason)
            }
            OperateError::Refused { error, .. } => error.fmt(f),
            OperateError::Measure(reason) => write!(f, "{reason}"),
            OperateError::NotInForce { key, effective } => {
                write!(f, "{key}: not in force on {effective}, so there is nothing to amend")
            }
            OperateError::NoSuchName { key, name } => write!(f, "{key}: has no name `{name}` to remove"),
            OperateError::HasName { key, name } => write!(f, "{key}: already has the name `{name}`"),
            OperateError::NoSuchMeasure { key, measure } => write!(f, "{key}: has no measure `{measure}` to remove"),
            OperateError::Unchanged { key, effective } => {
                write!(f, "{key}: the amendment changes nothing in the record as it stands on {effective}")
            }
        }
    }
}

impl std::error::Error for OperateError {}

impl From<Error> for OperateError {
    fn from(e: Error) -> Self {
        OperateError::Ledger(e)
    }
}

/// A measure as an operator gives it: a known measure, or `custom:CODE` for an unlisted one,
/// recorded as written. The rule is the ledger's own ([`check_measure`]).
pub fn measure(m: &str) -> Result<String, OperateError> {
    check_measure(m).map_err(OperateError::Measure)?;
    Ok(m.to_owned())
}

/// What an operator's command answers with (`--format json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(
    title = "Operator event",
    description = "The event an operator's command built, the designation as it stands once it is recorded, and the head it was appended at: `ledger designate|amend|delist|retract --format json`."
)]
pub struct OperatorOutput {
    /// The designation as it will stand (or stands) once the event is recorded, at the event's
    /// effective time (a retraction: now); null for a retraction of an event of no key. Its
    /// `head` is the event itself.
    pub after: Option<ShowOutput>,
    /// Whether this was a dry run: nothing was written.
    pub dry_run: bool,
    /// The input event, as `append` takes it.
    pub event: InputEvent,
    /// The head once the event was appended (the event itself); null when nothing was written.
    pub head: Option<Head>,
}

/// An event checked against the ledger, with its effect: what is shown before it is appended.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The key the event acts on, for messages (`-/event SEQ` for a retraction of an event of no
    /// key).
    pub label: String,
    /// The event, as a batch of one.
    pub batch: [Numbered<InputEvent>; 1],
    /// The seq it would be recorded at.
    pub seq: Seq,
    /// The designation as it will stand once the event is recorded.
    pub after: Option<ShowOutput>,
    /// The head the event was checked against.
    pub checked_at: Head,
}

impl Preview {
    /// The event.
    pub fn event(&self) -> &InputEvent {
        &self.batch[0].event
    }

    /// Appends the event (checked again, as every append is, against the head of now).
    pub fn append(&self, ledger: &Ledger, actor: &str, clock: &dyn Clock) -> Result<Head, OperateError> {
        let done = ledger
            .append(&self.batch, actor, clock)
            .map_err(|error| OperateError::Refused { label: self.label.clone(), error })?;
        Ok(done.head)
    }

    /// The answer: the event, its effect, and the head it was appended at (none: not written).
    pub fn output(self, dry_run: bool, appended: Option<Head>) -> OperatorOutput {
        let [Numbered { event, .. }] = self.batch;
        OperatorOutput { after: self.after, dry_run, event, head: appended }
    }
}

/// Checks an operator's event against the ledger as an append would, and projects the
/// designation as it will stand once the event is recorded.
pub fn preview(ledger: &Ledger, event: InputEvent, actor: &str, clock: &dyn Clock) -> Result<Preview, OperateError> {
    let target = match &event {
        InputEvent::Retraction(r) => Some(ledger.event(r.target)?),
        _ => None,
    };
    let key = event.key().or_else(|| target.as_ref().and_then(|t| t.as_ref()).and_then(|t| t.event.key()));
    let label = match (&key, &event) {
        (Some(k), _) => k.to_string(),
        (None, InputEvent::Retraction(r)) => format!("-/event {}", r.target),
        (None, _) => "-".to_owned(),
    };
    // What the key stood as before the event, at its effective time, as the ledger knows it now.
    // (A designation starts afresh, and a retraction's effect is computed from the index.)
    let effective = match &event {
        InputEvent::Amendment(a) => Some(a.effective),
        InputEvent::Delisting(d) => Some(d.effective),
        InputEvent::Designation(_) | InputEvent::Retraction(_) => None,
    };
    let before = match (&key, effective) {
        (Some(k), Some(at)) => {
            ask::show(&View::now(ledger)?, k, Point { at: At(at.micros()), as_of: AsOf::EVERYTHING })?
        }
        _ => empty_show(),
    };
    let batch = [Numbered { line: 1, event }];
    let checked_at = ledger.head()?;
    let checked =
        ledger.check(&batch, actor, clock).map_err(|error| OperateError::Refused { label: label.clone(), error })?;
    let rec = checked.first().ok_or_else(|| Error::Internal("an empty preview".into()))?;
    let after = match &batch[0].event {
        InputEvent::Retraction(r) => match &key {
            Some(k) => retracted(ledger, k, r.target, rec.seq, clock.now())?,
            None => None,
        },
        event => projected(event, before, rec.seq),
    };
    let after = after.map(|a| a.show(rec, &label));
    Ok(Preview { label, batch, seq: rec.seq, after, checked_at })
}

fn empty_show() -> ShowOutput {
    ShowOutput {
        head: Head { seq: Seq::GENESIS, hash: crate::chain::Hash::ZERO, recorded_at: crate::time::Timestamp(0) },
        at: String::new(),
        as_of: String::new(),
        key: String::new(),
        status: Status::Unknown,
        designated: None,
        delisted: None,
        events: Vec::new(),
        record: None,
    }
}

/// The designation as it will stand once the event is recorded.
struct After {
    status: Status,
    at: Effective,
    record: Option<Record>,
    events: Vec<Seq>,
    designated: Option<String>,
    delisted: Option<String>,
}

impl After {
    fn show(self, rec: &RecordedEvent, key: &str) -> ShowOutput {
        ShowOutput {
            head: Head { seq: rec.seq, hash: rec.hash, recorded_at: rec.recorded_at },
            at: self.at.to_string(),
            as_of: rec.recorded_at.to_string(),
            key: key.to_owned(),
            status: self.status,
            designated: self.designated,
            delisted: self.delisted,
            events: self.events,
            record: self.record,
        }
    }
}

/// A designation, amendment or delisting (that passed the checks) applied to what stood before.
fn projected(event: &InputEvent, before: ShowOutput, seq: Seq) -> Option<After> {
    let held = before.status != Status::Unknown;
    let mut events = before.events;
    events.push(seq);
    match event {
        InputEvent::Designation(d) => Some(After {
            status: Status::Active,
            at: d.effective,
            record: Some(d.record()),
            events: vec![seq],
            designated: Some(d.effective.to_string()),
            delisted: None,
        }),
        InputEvent::Amendment(a) => {
            let record = before.record.and_then(|r| {
                let mut v = serde_json::to_value(r).ok()?;
                patch::merge_object(&mut v, &a.patch);
                serde_json::from_value(v).ok()
            });
            Some(After {
                status: Status::Active,
                at: a.effective,
                record,
                events,
                designated: before.designated,
                delisted: None,
            })
        }
        // The check passed, so the key was in force at the delisting.
        InputEvent::Delisting(d) => held.then(|| After {
            status: Status::Delisted,
            at: d.effective,
            record: before.record,
            events,
            designated: before.designated,
            delisted: Some(d.effective.to_string()),
        }),
        InputEvent::Retraction(_) => None,
    }
}

/// The key's standing now, with event `target` withdrawn by the retraction at `seq`.
fn retracted(ledger: &Ledger, key: &Key, target: Seq, seq: Seq, now: Micros) -> Result<Option<After>, Error> {
    let Some(index) = ledger.key_index(key)? else { return Ok(None) };
    let entries: Vec<KeyEntry> = index
        .entries
        .iter()
        .map(|e| {
            if e.seq == target {
                KeyEntry { retracted_by: Some(RetractedBy { seq, recorded_at: Micros::MIN }), ..*e }
            } else {
                *e
            }
        })
        .collect();
    let s = standing(&entries, When { at: now, as_of: AsOf::EVERYTHING.0 });
    let record = Reader::new(View::now(ledger)?).record(&s)?;
    let effective_of = |e: Option<&KeyEntry>| -> Result<Option<String>, Error> {
        let Some(e) = e else { return Ok(None) };
        let written = ledger.event(e.seq)?.and_then(|r| r.event.effective());
        Ok(Some(written.map(|x| x.to_string()).unwrap_or_else(|| format_instant(e.effective))))
    };
    Ok(Some(After {
        status: s.status,
        at: Effective::Instant(now),
        record,
        events: s.episode.iter().map(|e| e.seq).collect(),
        designated: effective_of(s.designation())?,
        delisted: effective_of(s.delisting())?,
    }))
}

/// A merge patch file that is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchError {
    /// Not JSON (or JSON naming a member twice).
    Malformed(String),
    /// JSON, but not an object.
    NotObject,
}

impl fmt::Display for PatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatchError::Malformed(e) => write!(f, "malformed JSON: {e}"),
            PatchError::NotObject => f.write_str("a merge patch must be a JSON object"),
        }
    }
}

impl std::error::Error for PatchError {}

/// Reads an RFC 7396 merge patch: a JSON object naming no member twice.
pub fn parse_patch(text: &[u8]) -> Result<Map<String, Value>, PatchError> {
    match crate::canonical::parse_unique(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(PatchError::NotObject),
        Err(e) => Err(PatchError::Malformed(e.to_string())),
    }
}

/// An amendment as an operator asks for it: a raw patch, then edits of the names, measures and
/// reason of the record as it stands at `effective`.
#[derive(Debug, Clone, Default)]
pub struct AmendRequest {
    /// A raw merge patch over the record, applied before the edits.
    pub patch: Map<String, Value>,
    /// Aliases to add.
    pub add_alias: Vec<String>,
    /// Names (of any type) to remove.
    pub remove_name: Vec<String>,
    /// Measures to add.
    pub add_measure: Vec<String>,
    /// Measures to remove.
    pub remove_measure: Vec<String>,
    /// A new statement of reasons.
    pub set_reason: Option<String>,
}

/// Builds the amendment of `key` at `effective` that `request` asks for, as one merge patch over
/// the record in force then. Refused when the key is not in force then, when an edit names what
/// the record lacks (or adds what it has), and when it changes nothing.
pub fn amendment(
    ledger: &Ledger,
    key: &Key,
    effective: Effective,
    request: &AmendRequest,
    reason: String,
    note: Option<String>,
) -> Result<Amendment, OperateError> {
    let base = ask::show(&View::now(ledger)?, key, Point { at: At(effective.micros()), as_of: AsOf::EVERYTHING })?;
    let record = base.record.filter(|_| base.status == Status::Active);
    let Some(record) = record else { return Err(OperateError::NotInForce { key: key.clone(), effective }) };
    let old = serde_json::to_value(&record).map_err(|e| Error::Internal(e.to_string()))?;
    let mut patch = request.patch.clone();
    let mut new = old.clone();
    patch::merge_object(&mut new, &patch);
    if let Some(names) = edit_names(key, &new, request)? {
        set(&mut patch, &["subject", "names"], Value::Array(names));
    }
    if let Some(measures) = edit_measures(key, &new, request)? {
        set(&mut patch, &["measures"], Value::Array(measures));
    }
    if let Some(r) = &request.set_reason {
        set(&mut patch, &["reason"], Value::String(r.clone()));
    }
    let mut after = old.clone();
    patch::merge_object(&mut after, &patch);
    if after == old {
        return Err(OperateError::Unchanged { key: key.clone(), effective });
    }
    Ok(Amendment {
        authority: key.authority().to_owned(),
        id: key.id().to_owned(),
        effective,
        patch,
        reason: Some(reason),
        published: None,
        note,
        import: None,
    })
}

/// The record's names with the request's removals and aliases, if it asks for either.
fn edit_names(key: &Key, record: &Value, request: &AmendRequest) -> Result<Option<Vec<Value>>, OperateError> {
    if request.add_alias.is_empty() && request.remove_name.is_empty() {
        return Ok(None);
    }
    let mut names: Vec<Value> = record["subject"]["names"].as_array().cloned().unwrap_or_default();
    for r in &request.remove_name {
        let before = names.len();
        names.retain(|n| n["name"] != r.as_str());
        if names.len() == before {
            return Err(OperateError::NoSuchName { key: key.clone(), name: r.clone() });
        }
    }
    for alias in &request.add_alias {
        if names.iter().any(|n| n["name"] == alias.as_str()) {
            return Err(OperateError::HasName { key: key.clone(), name: alias.clone() });
        }
        names.push(json!({"name": alias, "type": "alias"}));
    }
    Ok(Some(names))
}

/// The record's measures with the request's removals and additions, if it asks for either.
fn edit_measures(key: &Key, record: &Value, request: &AmendRequest) -> Result<Option<Vec<Value>>, OperateError> {
    if request.add_measure.is_empty() && request.remove_measure.is_empty() {
        return Ok(None);
    }
    let mut measures: Vec<Value> = record["measures"].as_array().cloned().unwrap_or_default();
    for m in &request.remove_measure {
        let before = measures.len();
        measures.retain(|x| x != m.as_str());
        if measures.len() == before {
            return Err(OperateError::NoSuchMeasure { key: key.clone(), measure: m.clone() });
        }
    }
    for m in &request.add_measure {
        let code = measure(m)?;
        if !measures.iter().any(|x| *x == code.as_str()) {
            measures.push(Value::String(code));
        }
    }
    Ok(Some(measures))
}

/// Sets `patch[path...] = value`, creating objects on the way.
fn set(patch: &mut Map<String, Value>, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut m = patch;
    for p in parents {
        let slot = m.entry(p.to_string()).or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(inner) = slot else { return };
        m = inner;
    }
    m.insert(last.to_string(), value);
}
