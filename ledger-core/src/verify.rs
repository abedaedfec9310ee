//! Verification: re-hash every event, check every link and seq, the lifecycle rules and the index.
//!
//! A verification failure is not an error of the operation: [`verify`] returns a [`Report`] whose
//! `failure` names the first bad seq and what is wrong with it.

use std::collections::HashMap;

use serde_json::Value;

use crate::canonical;
use crate::chain::Head;
use crate::chain::{Hash, hash_canonical};
use crate::error::Result;
use crate::event::{Event, Key, RecordedEvent};
use crate::fold::{Identity, RecordProblem};
use crate::ledger::Ledger;
use crate::lifecycle::{self, Act, KeyEntry, KeyIndex, RetractedBy};
use crate::merkle::{self, Leaves};
use crate::progress::Progress;
use crate::seq::Seq;
use crate::store::{Packed, TREE_STORED_LEVEL};

/// What verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Events checked (read, re-hashed and linked) before the first failure, or in all.
    pub checked: u64,
    /// The head the store records.
    pub head: Head,
    /// The first problem, if any.
    pub failure: Option<Failure>,
}

/// The first problem verification found (in `ledger verify --format json`, its `failure`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "VerifyFailure")]
pub struct Failure {
    /// The seq of the first bad event (or where a missing one belongs).
    pub seq: Seq,
    /// What is wrong.
    pub what: String,
}

/// Builds the lifecycle index of a chain as its events are checked in order, and (when made
/// with [`ChainIndex::folding`]) each key's record.
///
/// For the records it keeps what each designation and amendment contributes (the designation's
/// record, the amendment's patch) as canonical JSON, and folds each key's last episode in
/// lifecycle order once the whole chain is known ([`ChainIndex::fold_records`]): backdated
/// events and retractions need no second reading of the log.
#[derive(Default)]
pub(crate) struct ChainIndex {
    /// The state of each key, by `AUTHORITY/ID`.
    ids: HashMap<String, u32>,
    states: Vec<KeyState>,
    /// For each seq, the state its event acts on ([`NO_KEY`]: genesis and retractions).
    key_of: Vec<u32>,
    fold: bool,
    /// A reusable buffer for `AUTHORITY/ID`.
    name: String,
}

const NO_KEY: u32 = u32::MAX;

struct KeyState {
    key: Key,
    index: KeyIndex,
    /// (seq, canonical JSON) of each designation's record and amendment's patch, in seq order.
    parts: Vec<(Seq, Box<[u8]>)>,
}

impl ChainIndex {
    /// An index that also folds every key's record.
    pub(crate) fn folding() -> ChainIndex {
        ChainIndex { fold: true, ..ChainIndex::default() }
    }

    /// Adds the next event of the chain; a retraction of an unknown, non-keyed or already
    /// retracted event is reported.
    pub(crate) fn add(&mut self, ix: Indexed) -> Result<(), ChainProblem> {
        let at = ix.recorded_at.0;
        let (act, authority, id, effective, identity, part) = match ix.does {
            Does::Genesis => {
                self.key_of.push(NO_KEY);
                return Ok(());
            }
            Does::Retraction(target) => {
                self.key_of.push(NO_KEY);
                return self.retract(target, ix.seq, at);
            }
            Does::Keyed { act, authority, id, effective, identity, part } => {
                (act, authority, id, effective, identity, part)
            }
        };
        self.name.clear();
        self.name.push_str(&authority);
        self.name.push('/');
        self.name.push_str(&id);
        let state_id = match (self.ids.get(self.name.as_str()), identity) {
            (Some(&i), Some(found)) => {
                let index = &self.states[i as usize].index;
                if (&index.regime, index.kind) != (&found.regime, found.kind) {
                    return Err(ChainProblem::Relisted { key: self.name.clone() });
                }
                i
            }
            (Some(&i), None) => i,
            (None, Some(Identity { regime, kind })) => {
                let i = self.states.len() as u32;
                self.ids.insert(self.name.clone(), i);
                self.states.push(KeyState {
                    // The key as the chain names it, held to be reported: verification checks
                    // the chain, not the key's spelling, which append checked.
                    key: Key::new_unchecked(authority, id),
                    index: KeyIndex { regime, kind, record: None, entries: Vec::new() },
                    parts: Vec::new(),
                });
                i
            }
            (None, None) => {
                let rule = match act {
                    Act::Delisting => lifecycle::Rule::DelistedNotInForce,
                    _ => lifecycle::Rule::AmendedNotInForce,
                };
                return Err(ChainProblem::NotInForce { key: self.name.clone(), rule });
            }
        };
        let state = &mut self.states[state_id as usize];
        state.index.entries.push(KeyEntry {
            seq: ix.seq,
            effective: effective.micros(),
            recorded_at: at,
            act,
            date: matches!(effective, crate::time::Effective::Date(_)),
            retracted_by: None,
        });
        self.key_of.push(state_id);
        if let (true, Some(p)) = (self.fold, part) {
            state.parts.push((ix.seq, p.into_boxed_slice()));
        }
        Ok(())
    }

    /// Marks event `target` as retracted by event `seq`, recorded at `at`.
    fn retract(&mut self, target: Seq, seq: Seq, at: i64) -> Result<(), ChainProblem> {
        let id = match self.key_of.get(target.get() as usize) {
            Some(&id) if id != NO_KEY && target < seq => id,
            _ => {
                return Err(ChainProblem::NotRetractable { target });
            }
        };
        let state = &mut self.states[id as usize];
        let entry = state.index.entries.iter_mut().find(|e| e.seq == target).ok_or(ChainProblem::Unindexed)?;
        if let Some(by) = entry.retracted_by {
            return Err(ChainProblem::AlreadyRetracted { target, by: by.seq });
        }
        entry.retracted_by = Some(RetractedBy { seq, recorded_at: at });
        Ok(())
    }

    /// Sorts every key's entries and checks its lifecycle; the violation with the lowest seq.
    pub(crate) fn check(&mut self) -> Option<Failure> {
        let mut first: Option<Failure> = None;
        for state in &mut self.states {
            let (key, index) = (&state.key, &mut state.index);
            lifecycle::sort(&mut index.entries);
            if let Err(v) = lifecycle::check(&index.entries)
                && first.as_ref().is_none_or(|f| v.seq < f.seq)
            {
                first = Some(Failure { seq: v.seq, what: format!("{key}: {}", v.rule) });
            }
        }
        first
    }

    /// Folds every key's record from its last episode in lifecycle order (after
    /// [`ChainIndex::check`]), on every core, checking each step as an append does: the
    /// designation's record whole, then each amendment's patched members as the amendment leaves
    /// them (a valid record of the key's regime code and kind). A problem names the seq to blame
    /// (the lowest, when there are several).
    pub(crate) fn fold_records(&mut self) -> Result<(), Failure> {
        let finish = |states: &mut [KeyState]| -> Result<(), Failure> {
            for state in states {
                let (key, index) = (&state.key, &mut state.index);
                let identity = Identity { regime: index.regime.clone(), kind: index.kind };
                let parts = std::mem::take(&mut state.parts);
                let mut record: Option<Value> = None;
                let mut last = Seq::GENESIS;
                for (seq, act) in last_episode(&index.entries) {
                    last = seq;
                    let bad = |what: String| Failure { seq, what: format!("{key}: {what}") };
                    let invalid = |what: String| bad(format!("an invalid record: {what}"));
                    let part = parts
                        .binary_search_by_key(&seq, |(s, _)| *s)
                        .map(|i| &parts[i].1)
                        .map_err(|_| bad("the event's part of the record is missing".into()))?;
                    let value: Value = serde_json::from_slice(part).map_err(|e| bad(e.to_string()))?;
                    match (act, &mut record, value) {
                        (Act::Designation, r, v) => {
                            check_folded(&v, &identity).map_err(|p| invalid(p.to_string()))?;
                            *r = Some(v);
                        }
                        (_, Some(r), Value::Object(patch)) => {
                            crate::patch::merge_object(r, &patch);
                            check_patched(r, &patch, &identity).map_err(|p| invalid(p.to_string()))?;
                        }
                        _ => return Err(bad("an amendment without the record it amends".into())),
                    }
                }
                index.record = record
                    .as_ref()
                    .map(crate::canonical::to_vec)
                    .transpose()
                    .map_err(|e| Failure { seq: last, what: format!("{key}: {e}") })?;
            }
            Ok(())
        };
        let per = self.states.len().div_ceil(workers()).max(1);
        let results: Vec<Result<(), Failure>> = std::thread::scope(|scope| {
            let handles: Vec<_> = self.states.chunks_mut(per).map(|part| scope.spawn(move || finish(part))).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(Failure { seq: Seq::GENESIS, what: "a verification worker failed".into() })
                    })
                })
                .collect()
        });
        match results.into_iter().filter_map(Result::err).min_by_key(|f| f.seq) {
            Some(f) => Err(f),
            None => Ok(()),
        }
    }

    /// The rebuilt index, sorted (after [`ChainIndex::check`]).
    /// The key map at tree size `size` of the chain read so far ([`crate::keymap`]).
    pub(crate) fn key_map(&self, size: u64) -> crate::keymap::KeyMap {
        let names: Vec<String> = self.states.iter().map(|s| s.key.to_string()).collect();
        crate::keymap::KeyMap::new(names.iter().map(String::as_str).zip(self.states.iter().map(|s| &s.index)), size)
    }

    pub(crate) fn into_keys(self) -> HashMap<Key, KeyIndex> {
        self.states.into_iter().map(|s| (s.key, s.index)).collect()
    }
}

/// The seqs and acts of the designation and amendments (not retracted) of a key's last episode,
/// in lifecycle order (`entries` sorted).
fn last_episode(entries: &[KeyEntry]) -> impl Iterator<Item = (Seq, Act)> + '_ {
    let live: Vec<&KeyEntry> = entries.iter().filter(|e| e.retracted_by.is_none()).collect();
    let start = live.iter().rposition(|e| e.act == Act::Designation).unwrap_or(live.len());
    live.into_iter().skip(start).filter(|e| e.act != Act::Delisting).map(|e| (e.seq, e.act))
}

/// Checks the members of a record that an amendment's patch named, as the amendment left them:
/// what [`check_folded`] checks of a whole record, for the members that changed.
fn check_patched(
    record: &Value,
    patch: &serde_json::Map<String, Value>,
    identity: &Identity,
) -> Result<(), RecordProblem> {
    use crate::event::read_value;
    use crate::event::{Regime, Source, Subject};
    use crate::validate::{check_measures, check_regime, check_subject};
    let map = record.as_object().ok_or_else(|| RecordProblem::Unreadable("a record must be a JSON object".into()))?;
    for name in patch.keys() {
        let value = map.get(name);
        match (name.as_str(), value) {
            ("regime", Some(v)) => {
                let regime: Regime = read_value(v, name)?;
                check_regime(&regime)?;
                if regime.code != identity.regime {
                    return Err(RecordProblem::IdentityChanged);
                }
            }
            ("subject", Some(v)) => {
                let subject: Subject = read_value(v, name)?;
                check_subject(&subject)?;
                if subject.kind != identity.kind {
                    return Err(RecordProblem::IdentityChanged);
                }
            }
            ("regime" | "subject", None) => return Err(format!("missing field `{name}`").into()),
            ("measures", Some(v)) => check_measures(&read_value::<Vec<String>>(v, name)?)?,
            ("reason", Some(v)) => {
                let _: String = read_value(v, name)?;
            }
            ("source", Some(v)) => {
                let _: Source = read_value(v, name)?;
            }
            ("other", Some(v)) => {
                let _: serde_json::Map<String, Value> = read_value(v, name)?;
            }
            ("measures" | "reason" | "source" | "other", None) => {}
            (other, _) => {
                return Err(format!("unknown field `{other}`: not a member of a designation record").into());
            }
        }
    }
    Ok(())
}

/// The canonical JSON of a serializable value.
fn canonical_value<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, EventProblem> {
    crate::canonical::to_vec_of(v).map_err(|e| EventProblem::Encoding(e.to_string()))
}

/// The threads verification works on.
fn workers() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 8)
}

/// Checks a record folded in chain order: a valid record of the key's regime code and kind.
fn check_folded(record: &Value, identity: &Identity) -> Result<(), RecordProblem> {
    crate::fold::check_amended(&crate::event::read_value(record, "")?, Some(identity))
}

/// Checks one stored event against its expected position.
pub(crate) fn check_event(
    expected_seq: Seq,
    prev: &Hash,
    last_recorded: i64,
    stored_hash: &Hash,
    bytes: &[u8],
) -> Result<(RecordedEvent, Indexed), EventProblem> {
    let (rec, patch) = parse_checked(stored_hash, bytes)?;
    let ix = Indexed::new(rec.clone(), patch)?;
    check_position(expected_seq, prev, last_recorded, &ix)?;
    Ok((rec, ix))
}

/// What can be checked of one event on its own: its hash, canonical form and shape (independent of
/// every other event, so verification does it on every core). Also gives an amendment's patch as
/// it is stored (canonical JSON). The bytes are checked to be canonical and split into members
/// without building a JSON value; the event is read from its members' bytes.
///
/// Canonical JSON is not enough: the typed event reads several texts as one value (an
/// `effective` of `2025-10-22T19:05:00+05:00` or `2025-10-22t14:05:00z` as the instant the ledger
/// writes `2025-10-22T14:05:00Z`; `"reason":null` as no reason), and whatever re-encodes the
/// event (an export) then writes other bytes than the ones hashed. So the bytes must be exactly
/// the encoding of the event they parse to: every value in the one form the ledger writes.
fn parse_checked(stored_hash: &Hash, bytes: &[u8]) -> Result<(RecordedEvent, Option<Vec<u8>>), EventProblem> {
    let computed = hash_canonical(bytes);
    if computed != *stored_hash {
        return Err(EventProblem::HashMismatch { stored: *stored_hash, computed });
    }
    let members = canonical::members(bytes).map_err(|e| EventProblem::NotCanonical(e.to_string()))?;
    let bad = EventProblem::NotAnEvent;
    let (mut seq, mut prev, mut recorded_at, mut actor, mut tag) = (None, None, None, None, None);
    let mut body = Vec::with_capacity(bytes.len());
    body.push(b'{');
    for (name, raw) in &members {
        match name.as_ref() {
            "seq" => seq = Some(*raw),
            "prev" => prev = Some(*raw),
            "recorded_at" => recorded_at = Some(*raw),
            "actor" => actor = Some(*raw),
            "type" => tag = Some(*raw),
            other => {
                if body.len() > 1 {
                    body.push(b',');
                }
                canonical::write_str(other, &mut body);
                body.push(b':');
                body.extend_from_slice(raw);
            }
        }
    }
    body.push(b'}');
    let text = |name: &str, raw: Option<&[u8]>| -> Result<String, EventProblem> {
        let raw = raw.ok_or_else(|| bad(format!("missing field `{name}`")))?;
        serde_json::from_slice(raw).map_err(|_| bad(format!("`{name}` must be a string")))
    };
    let seq = seq.ok_or_else(|| bad("missing field `seq`".into()))?;
    let seq = std::str::from_utf8(seq)
        .ok()
        .and_then(|t| t.parse::<Seq>().ok())
        .ok_or_else(|| bad("`seq` must be a non-negative integer".into()))?;
    let prev = Hash::from_hex(&text("prev", prev)?).map_err(|e| bad(format!("`prev`: {e}")))?;
    let recorded_at_text = text("recorded_at", recorded_at)?;
    let recorded_at =
        crate::time::Timestamp::parse(&recorded_at_text).map_err(|e| bad(format!("`recorded_at`: {e}")))?;
    let actor = text("actor", actor)?;
    let tag = text("type", tag)?;
    let event = Event::from_body(&tag, &body).map_err(|e| bad(e.to_string()))?;
    // The envelope's `seq`, `prev`, `actor` and `type` were read from canonical bytes by readers
    // of one form each (a shortest integer, 64 lowercase hex digits, a string, a tag matched
    // exactly); `recorded_at` and the body are what may read several texts as one value.
    if recorded_at.to_string() != recorded_at_text || !body_as_written(&tag, &event, &body) {
        let rewritten = canonical::to_vec(&RecordedEvent::unhashed_value(seq, &prev, recorded_at, &actor, &event))
            .map_err(|e| bad(e.to_string()))?;
        return Err(EventProblem::NotAsWritten(not_as_written(bytes, &rewritten)));
    }
    let patch = match tag.as_str() {
        "amendment" => members.iter().find(|(n, _)| n == "patch").map(|(_, raw)| raw.to_vec()),
        _ => None,
    };
    Ok((RecordedEvent { seq, prev, recorded_at, actor, event, hash: *stored_hash }, patch))
}

/// Whether `body`, the canonical members of a recorded event other than its envelope and `type`,
/// are the bytes the ledger writes for `event`. Made without building a [`Value`], as
/// verification does it for every event: serde_json's compact text of the event (whose escapes
/// are RFC 8785's), without its leading `type` member, its members then put in canonical order.
fn body_as_written(tag: &str, event: &Event, body: &[u8]) -> bool {
    let Ok(mut text) = serde_json::to_vec(event) else { return false };
    // An internally tagged enum writes its tag first: `{"type":"TAG",` (or `{"type":"TAG"}`).
    let head = 9 + tag.len() + 1;
    if !(text.starts_with(b"{\"type\":\"")
        && text.get(9..head - 1) == Some(tag.as_bytes())
        && text.get(head - 1) == Some(&b'"'))
    {
        return false;
    }
    let cut = if text.get(head) == Some(&b',') { head + 1 } else { head };
    text.drain(1..cut);
    canonical::sort_members(&text).is_ok_and(|sorted| sorted == body)
}

/// Why `bytes`, canonical JSON of a valid event, are not `rewritten`, the bytes the ledger writes
/// for that event: the first member (in canonical order, nested members by their path) whose
/// value differs, with both forms.
fn not_as_written(bytes: &[u8], rewritten: &[u8]) -> String {
    let (Ok(found), Ok(written)) = (serde_json::from_slice::<Value>(bytes), serde_json::from_slice::<Value>(rewritten))
    else {
        return "not in the form the ledger writes".into();
    };
    let show = |v: &Value| {
        let text = v.to_string();
        match text.char_indices().nth(80) {
            Some((cut, _)) => format!("{}...", &text[..cut]),
            None => text,
        }
    };
    let mut path = String::new();
    let (mut a, mut b) = (&found, &written);
    loop {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let mut names: Vec<&String> = x.keys().chain(y.keys()).collect();
                names.sort_by(|p, q| canonical::jcs_cmp(p, q));
                names.dedup();
                let Some(name) = names.into_iter().find(|n| x.get(*n) != y.get(*n)) else { break };
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(name);
                match (x.get(name), y.get(name)) {
                    (Some(p), Some(q)) => (a, b) = (p, q),
                    (Some(p), None) => {
                        return format!(
                            "member `{path}` is {}, which the ledger writes by leaving the member out: not the form the ledger writes (docs/FORMAT.md)",
                            show(p)
                        );
                    }
                    (None, _) => {
                        return format!(
                            "member `{path}` is missing, which the ledger writes: not the form the ledger writes"
                        );
                    }
                }
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                let Some(i) = (0..x.len()).find(|&i| x[i] != y[i]) else { break };
                path.push_str(&format!("[{i}]"));
                (a, b) = (&x[i], &y[i]);
            }
            _ => break,
        }
    }
    let at = if path.is_empty() { "the event".to_owned() } else { format!("member `{path}`") };
    format!(
        "{at} is {}, which the ledger writes as {}: every value must be in the one form the ledger writes (docs/FORMAT.md)",
        show(a),
        show(b)
    )
}

/// What the checks in chain order need of one event: its envelope and what it does to its key
/// (with its part of the key's record). Taken out of a parsed event by the worker that parsed it,
/// so that the checking thread handles, and frees, only this.
pub(crate) struct Indexed {
    seq: Seq,
    prev: Hash,
    hash: Hash,
    recorded_at: crate::time::Timestamp,
    does: Does,
}

enum Does {
    Genesis,
    /// Retracts the event of this seq.
    Retraction(Seq),
    Keyed {
        act: Act,
        authority: String,
        id: String,
        effective: crate::time::Effective,
        /// A designation's regime code and kind.
        identity: Option<Identity>,
        /// What the event contributes to its key's record, as canonical JSON (when folding):
        /// a designation's record, an amendment's patch.
        part: Option<Vec<u8>>,
    },
}

impl Indexed {
    /// What the chain checks need of `rec`, with its part of its key's record: an amendment's
    /// patch as `patch` gives it (made from the event when `None`); a designation's record made
    /// from the typed designation, as an append makes it (a stored designation may hold members
    /// that read as absent, `"reason":null`, which its record leaves out).
    fn new(rec: RecordedEvent, patch: Option<Vec<u8>>) -> Result<Indexed, EventProblem> {
        let part = match (&rec.event, patch) {
            (Event::Designation(d), _) => Some(canonical_value(&d.record())?),
            (Event::Amendment(_), Some(p)) => Some(p),
            (Event::Amendment(a), None) => Some(canonical_value(&a.patch)?),
            _ => None,
        };
        let does = match rec.event {
            Event::Genesis(_) => Does::Genesis,
            Event::Retraction(r) => Does::Retraction(r.target),
            Event::Designation(d) => Does::Keyed {
                act: Act::Designation,
                authority: d.authority,
                id: d.id,
                effective: d.effective,
                identity: Some(Identity { regime: d.regime.code, kind: d.subject.kind }),
                part,
            },
            Event::Amendment(a) => Does::Keyed {
                act: Act::Amendment,
                authority: a.authority,
                id: a.id,
                effective: a.effective,
                identity: None,
                part,
            },
            Event::Delisting(d) => Does::Keyed {
                act: Act::Delisting,
                authority: d.authority,
                id: d.id,
                effective: d.effective,
                identity: None,
                part: None,
            },
        };
        Ok(Indexed { seq: rec.seq, prev: rec.prev, hash: rec.hash, recorded_at: rec.recorded_at, does })
    }

    /// What the chain checks need of `rec`.
    pub(crate) fn of(rec: &RecordedEvent) -> Result<Indexed, EventProblem> {
        Indexed::new(rec.clone(), None)
    }
}

/// Why a stored event is not a recorded event in the one form the ledger writes, or not where it
/// belongs in the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum EventProblem {
    /// The bytes do not hash to the stored hash.
    #[error("hash mismatch: stored {stored}, computed {computed} from the event's bytes")]
    HashMismatch {
        /// The hash stored with the event.
        stored: Hash,
        /// The hash of its bytes.
        computed: Hash,
    },
    /// The bytes are not canonical JSON (the reason).
    #[error("{0}")]
    NotCanonical(String),
    /// The bytes do not read as a recorded event (the reason, naming the field).
    #[error("not a recorded event: {0}")]
    NotAnEvent(String),
    /// A valid event, in another form than the ledger writes (the first difference).
    #[error("{0}")]
    NotAsWritten(String),
    /// The event's part of its key's record cannot be encoded (the reason).
    #[error("{0}")]
    Encoding(String),
    /// The event is not where it belongs in the chain.
    #[error("{0}")]
    Position(#[from] PositionError),
    /// The event breaks a rule of the chain's keys or retractions.
    #[error("{0}")]
    Chain(#[from] ChainProblem),
}

/// Why an event breaks a rule of the chain's keys or retractions (as its index is built).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ChainProblem {
    /// A relisting under another regime code or kind.
    #[error("{key} is relisted under another regime code or kind than it was designated with")]
    Relisted {
        /// The key, `AUTHORITY/ID`.
        key: String,
    },
    /// An amendment or delisting of a key never designated.
    #[error("{key}: {rule}")]
    NotInForce {
        /// The key, `AUTHORITY/ID`.
        key: String,
        /// The rule broken.
        rule: lifecycle::Rule,
    },
    /// A retraction of an event that is not an earlier keyed event.
    #[error("retracts event {target}, which is not an earlier designation, amendment or delisting")]
    NotRetractable {
        /// The retraction's target.
        target: Seq,
    },
    /// A retraction target missing from its key's index (a bug).
    #[error("retraction target has no index")]
    Unindexed,
    /// A second retraction of one event.
    #[error("retracts event {target}, already retracted by event {by}")]
    AlreadyRetracted {
        /// The retraction's target.
        target: Seq,
        /// The event that retracted it first.
        by: Seq,
    },
}

/// Why an event does not belong where it is in the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PositionError {
    /// Another seq than the next.
    #[error("found event {found} where event {expected} belongs (events missing or out of order)")]
    Misplaced {
        /// The seq the event has.
        found: Seq,
        /// The seq that belongs there.
        expected: Seq,
    },
    /// The genesis event's `prev` is not zero.
    #[error("broken link: the genesis event's prev is {prev}, not 64 zeros")]
    GenesisLink {
        /// Its `prev`.
        prev: Hash,
    },
    /// `prev` is not the hash of the event before.
    #[error("broken link: prev is {prev}, but the hash of event {before} is {expected}")]
    BrokenLink {
        /// Its `prev`.
        prev: Hash,
        /// The seq of the event before.
        before: Seq,
        /// That event's hash.
        expected: Hash,
    },
    /// Recorded no later than the event before.
    #[error("recorded_at {recorded_at} is not after the previous event's")]
    NotAfter {
        /// Its `recorded_at`.
        recorded_at: crate::time::Timestamp,
    },
    /// A genesis event past seq 0.
    #[error("a genesis event after seq 0")]
    LateGenesis,
    /// Event 0 is another event.
    #[error("event 0 is not a genesis event")]
    NoGenesis,
}

/// What depends on the event before: seq, link, time, and only event 0 being the genesis event.
pub(crate) fn check_position(
    expected_seq: Seq,
    prev: &Hash,
    last_recorded: i64,
    rec: &Indexed,
) -> Result<(), PositionError> {
    let genesis = expected_seq == Seq::GENESIS;
    if rec.seq != expected_seq {
        return Err(PositionError::Misplaced { found: rec.seq, expected: expected_seq });
    }
    if rec.prev != *prev && genesis {
        return Err(PositionError::GenesisLink { prev: rec.prev });
    }
    if rec.prev != *prev {
        let before = expected_seq.prev().unwrap_or_default();
        return Err(PositionError::BrokenLink { prev: rec.prev, before, expected: *prev });
    }
    if !genesis && rec.recorded_at.0 <= last_recorded {
        return Err(PositionError::NotAfter { recorded_at: rec.recorded_at });
    }
    match (&rec.does, genesis) {
        (Does::Genesis, true) => {}
        (Does::Genesis, false) => return Err(PositionError::LateGenesis),
        (_, true) => return Err(PositionError::NoGenesis),
        _ => {}
    }
    Ok(())
}

/// Blocks verified at a time: each chunk is decompressed and parsed on every core while the
/// chunk before it is checked in order.
const CHUNK_BLOCKS: usize = 64;

/// One block's events, decompressed and parsed: `None` if the block is malformed, else each
/// event's Merkle leaf (`None` if its bytes are not an object) and what parsing it gave (the
/// event and its part of its key's record).
type ParsedBlock = Option<Vec<(Option<Hash>, Result<Indexed, EventProblem>)>>;

/// A block's number, the seq its first event must have, and its events parsed.
struct Parsed {
    number: u64,
    first: u64,
    events: ParsedBlock,
}

fn parse_blocks(blocks: Vec<Packed>) -> Vec<Parsed> {
    let mut buf = Vec::new();
    blocks
        .into_iter()
        .map(|packed| {
            let events = packed.events(&mut buf).map(|evs| {
                evs.into_iter()
                    .map(|(hash, bytes)| {
                        let parsed = parse_checked(&hash, bytes).and_then(|(rec, patch)| Indexed::new(rec, patch));
                        (crate::entry::leaf(&hash, bytes), parsed)
                    })
                    .collect()
            });
            Parsed { number: packed.number(), first: packed.first(), events }
        })
        .collect()
}

/// Starts decompressing and parsing a chunk of blocks on every core.
fn spawn_chunk<'s>(
    scope: &'s std::thread::Scope<'s, '_>,
    mut chunk: Vec<Packed>,
) -> Vec<std::thread::ScopedJoinHandle<'s, Vec<Parsed>>> {
    let per = chunk.len().div_ceil(workers()).max(1);
    let mut parts = Vec::new();
    while chunk.len() > per {
        let rest = chunk.split_off(per);
        parts.push(std::mem::replace(&mut chunk, rest));
    }
    parts.push(chunk);
    parts.into_iter().map(|part| scope.spawn(move || parse_blocks(part))).collect()
}

/// Verifies the whole ledger.
pub fn verify(ledger: &Ledger) -> Result<Report> {
    verify_with(ledger, &())
}

/// Verifies the whole ledger, reporting its progress: the events read, then the index, records
/// and tree compared.
pub fn verify_with(ledger: &Ledger, progress: &dyn Progress) -> Result<Report> {
    let head = ledger.head()?;
    progress.phase("verifying events", Some(head.seq.size()));
    let mut log = LogState::default();
    let read = read_log(ledger, &mut log, progress)?;
    let checked = log.checked;
    let report = |failure: Option<Failure>| Report { checked, head, failure };
    if let Some(f) = read {
        return Ok(report(Some(f)));
    }
    progress.phase("checking the index, records and Merkle tree", None);
    if checked == 0 {
        return Ok(report(Some(Failure { seq: Seq::GENESIS, what: "the log is empty".into() })));
    }
    if let Some(f) = check_head(&head, &log) {
        return Ok(report(Some(f)));
    }
    let LogState { mut index, tree, .. } = log;
    if let Some(f) = index.check() {
        return Ok(report(Some(f)));
    }
    if let Err(f) = index.fold_records() {
        return Ok(report(Some(f)));
    }
    if let Some(f) = check_tree(ledger, &tree)? {
        return Ok(report(Some(f)));
    }
    Ok(report(check_index(ledger, index)?))
}

/// What reading the log in order builds: how far it got, the last event's hash and time, the
/// index and records it makes, and the stored levels of its Merkle tree.
struct LogState {
    checked: u64,
    prev: Hash,
    last_recorded: i64,
    index: ChainIndex,
    tree: StoredLevels,
}

impl Default for LogState {
    fn default() -> Self {
        LogState {
            checked: 0,
            prev: Hash::ZERO,
            last_recorded: i64::MIN,
            index: ChainIndex::folding(),
            tree: StoredLevels::default(),
        }
    }
}

impl LogState {
    /// Checks one parsed block's events in chain order; the first problem.
    fn check_block(&mut self, block: Parsed) -> Option<Failure> {
        let fail = |seq: u64, what: String| Some(Failure { seq: Seq::new(seq), what });
        if block.first != self.checked {
            let what = match self.checked.checked_sub(1) {
                Some(last) => format!("missing: the log jumps from event {last} to block {}", block.number),
                None => format!("missing: the log starts at block {}, not at block 0", block.number),
            };
            return fail(self.checked, what);
        }
        let Some(events) = block.events else {
            return fail(self.checked, format!("block {} is malformed", block.number));
        };
        // A block holds the events of its own seqs only: one beyond them would be where the
        // layout puts the next block, and no reader would find it there.
        let end = crate::store::block::first_of(block.number + 1);
        for (leaf, parsed) in events {
            if self.checked >= end {
                return fail(
                    self.checked,
                    format!("block {} holds more than its {} events", block.number, end - block.first),
                );
            }
            let ix = match parsed {
                Ok(ix) => ix,
                Err(what) => return fail(self.checked, what.to_string()),
            };
            if let Err(e) = check_position(Seq::after(self.checked), &self.prev, self.last_recorded, &ix) {
                return fail(self.checked, e.to_string());
            }
            (self.prev, self.last_recorded) = (ix.hash, ix.recorded_at.0);
            if let Err(what) = self.index.add(ix) {
                return fail(self.checked, what.to_string());
            }
            let Some(leaf) = leaf else {
                return fail(self.checked, "the event's bytes are not a JSON object".into());
            };
            self.checked += 1;
            self.tree.push_leaf(leaf);
        }
        None
    }
}

/// Reads the log in chunks of blocks, each decompressed and parsed on every core while the
/// chunk before it is checked in order; the first problem.
fn read_log(ledger: &Ledger, log: &mut LogState, progress: &dyn Progress) -> Result<Option<Failure>> {
    let mut blocks = ledger.store().packed_blocks(0);
    let mut next_chunk = || -> Result<Vec<Packed>> { blocks.by_ref().take(CHUNK_BLOCKS).collect() };
    std::thread::scope(|scope| {
        let first = next_chunk()?;
        let mut pending = (!first.is_empty()).then(|| spawn_chunk(scope, first));
        while let Some(handles) = pending.take() {
            let chunk = next_chunk()?;
            if !chunk.is_empty() {
                pending = Some(spawn_chunk(scope, chunk));
            }
            for handle in handles {
                let parsed =
                    handle.join().map_err(|_| crate::error::Error::Internal("a verification worker failed".into()))?;
                for block in parsed {
                    progress.advance(block.events.as_ref().map_or(0, |e| e.len() as u64));
                    if let Some(f) = log.check_block(block) {
                        return Ok(Some(f));
                    }
                }
            }
        }
        Ok(None)
    })
}

/// The head record must name the log's last event.
fn check_head(head: &Head, log: &LogState) -> Option<Failure> {
    let (last, prev) = (Seq::new(log.checked - 1), log.prev);
    if head.seq == last && head.hash == prev {
        return None;
    }
    let what = if head.seq > last {
        format!("missing: the head records event {} ({}), but the log ends at event {last}", head.seq, head.hash)
    } else {
        format!("the head records event {} ({}), but the log's last event is {last} ({prev})", head.seq, head.hash)
    };
    Some(Failure { seq: last.next(), what })
}

/// The stored Merkle tree must be the tree of the log's hashes.
fn check_tree(ledger: &Ledger, tree: &StoredLevels) -> Result<Option<Failure>> {
    let mut stored_nodes = 0usize;
    for item in ledger.store().tree_nodes() {
        let (level, i, hash) = item?;
        stored_nodes += 1;
        if tree.get(level, i) != Some(hash) {
            let what = format!("the Merkle tree's node {level}/{i} does not match the log");
            return Ok(Some(Failure { seq: Seq::new(i << level), what }));
        }
    }
    if stored_nodes != tree.count() {
        let what = format!("the Merkle tree holds {stored_nodes} nodes; the log makes {}", tree.count());
        return Ok(Some(Failure { seq: Seq::GENESIS, what }));
    }
    Ok(None)
}

/// The stored index and records must say what the log says.
fn check_index(ledger: &Ledger, index: ChainIndex) -> Result<Option<Failure>> {
    let fail = |seq, what: String| Ok(Some(Failure { seq, what }));
    let rebuilt = index.into_keys();
    let mut stored_keys = 0usize;
    for item in ledger.store().all_keys() {
        let (key, stored) = item?;
        stored_keys += 1;
        let expected = rebuilt.get(&key);
        if let Some(e) = expected
            && e.entries == stored.entries
            && e.record != stored.record
        {
            // The entries agree: the record is what differs. Blame the last event that makes it.
            let seq = last_episode(&e.entries).last().map(|(seq, _)| seq).unwrap_or_default();
            return fail(seq, format!("the stored record of {key} does not match the log"));
        }
        if expected != Some(&stored) {
            let seq = first_difference(expected.map(|i| i.entries.as_slice()).unwrap_or(&[]), &stored.entries);
            return fail(seq, format!("the index of {key} does not match the log"));
        }
    }
    if stored_keys != rebuilt.len() {
        let missing = rebuilt.iter().filter(|(k, _)| ledger.store().key_index(k).map(|i| i.is_none()).unwrap_or(true));
        let seq = missing.filter_map(|(_, i)| i.entries.iter().map(|e| e.seq).min()).min().unwrap_or_default();
        return fail(seq, "the index lacks a designation key the log holds".into());
    }
    let records = rebuilt.values().filter(|i| i.record.is_some()).count();
    let stored_records = ledger.store().record_count()?;
    if stored_records != records {
        return fail(Seq::GENESIS, format!("the store holds {stored_records} records; the log makes {records}"));
    }
    Ok(None)
}

/// The perfect subtrees of 64 leaves and more, built leaf by leaf as the log is read.
#[derive(Default)]
struct StoredLevels {
    /// The leaves of the lowest stored subtree not yet complete.
    leaves: Vec<Hash>,
    levels: Vec<Vec<Hash>>,
}

impl StoredLevels {
    fn push_leaf(&mut self, hash: Hash) {
        self.leaves.push(hash);
        if self.leaves.len() == 1 << TREE_STORED_LEVEL {
            let leaves = std::mem::replace(&mut self.leaves, Vec::with_capacity(1 << TREE_STORED_LEVEL));
            self.push_node(leaves);
        }
    }

    fn push_node(&mut self, hashes: Vec<Hash>) {
        let mut node = Leaves::new(hashes).level(TREE_STORED_LEVEL)[0];
        let mut l = 0;
        loop {
            if self.levels.len() == l {
                self.levels.push(Vec::new());
            }
            self.levels[l].push(node);
            let n = self.levels[l].len();
            if n % 2 == 1 {
                break;
            }
            node = merkle::node_hash(&self.levels[l][n - 2], &self.levels[l][n - 1]);
            l += 1;
        }
    }

    fn get(&self, level: u32, index: u64) -> Option<Hash> {
        let l = level.checked_sub(TREE_STORED_LEVEL)? as usize;
        self.levels.get(l)?.get(index as usize).copied()
    }

    fn count(&self) -> usize {
        self.levels.iter().map(Vec::len).sum()
    }
}

fn first_difference(a: &[KeyEntry], b: &[KeyEntry]) -> Seq {
    let mut seqs: Vec<Seq> = a.iter().chain(b).map(|e| e.seq).collect();
    seqs.sort_unstable();
    seqs.into_iter().find(|s| a.iter().find(|e| e.seq == *s) != b.iter().find(|e| e.seq == *s)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_rewritten_as_seal_writes_it() {
        // Member names whose JCS order is not their byte order, escapes, an instant with a fraction.
        let line = r#"{"type":"designation","authority":"UK","id":"GIM0030","effective":"2025-10-22T16:05:00.5+02:00","regime":{"code":"GIM"},"subject":{"kind":"entity","names":[{"name":"A \"B\"\tC","type":"primary"}]},"other":{"דּ":1,"😀":[{"b":1,"a":"x\u0001y"}]},"reason":"é"}"#;
        let event: Event = crate::input::parse_line(1, line).expect("a valid line").into();
        let at = crate::time::Timestamp(1_700_000_000_000_001);
        let (bytes, rec) = crate::chain::seal(Seq::new(7), Hash::ZERO, at, "actor \\ \"q\"", event).expect("sealed");
        let (read, _) = parse_checked(&rec.hash, &bytes).expect("an event as the ledger writes it");
        assert_eq!(read, rec);
        // The same event with its effective written another way, re-hashed: refused, by name.
        let text = String::from_utf8(bytes).expect("UTF-8");
        let other = text.replace("2025-10-22T14:05:00.500Z", "2025-10-22T14:05:00.5Z").into_bytes();
        let e = parse_checked(&hash_canonical(&other), &other).expect_err("another form").to_string();
        assert!(e.contains("member `effective`") && e.contains("2025-10-22T14:05:00.500Z"), "{e}");
    }
}
