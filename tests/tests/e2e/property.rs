//! Property: the indexed projections of `ledger_core::query` (`count`, `state`, `show`, `history`,
//! `diff`, `search`) equal a naive fold over the whole log.
//!
//! Each case builds a random history in a fresh ledger: designations, amendments, delistings and
//! retractions over a handful of keys, effective across a two-year window (so many are backdated),
//! appended in small batches while the clock moves on, stands still or steps back. Batches that
//! break a lifecycle rule are refused; a small model of the rules predicts which, and the ledger
//! must agree. Now and then a batch also carries an operator's slip caught in time: an amendment
//! that breaks the record, retracted by the next event; the ledger must refuse it, since a query
//! can look inside a batch. Then every query, at random points on both axes (including instants
//! inside a batch), is compared with a fold computed from the recorded events alone: no index is read.
//!
//! The cases are seeded. A failure names its seed; `PROPERTY_SEED=N` replays that case alone.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use ledger_core::event::{Event, InputEvent, Key, NameType, Record, RecordedEvent, SubjectKind};
use ledger_core::input::{Numbered, parse_value};
use ledger_core::projection::{Status, When};
use ledger_core::query::{self, DiffChange, FieldChange, HistoryRow, SearchMatch, StateFilter};
use ledger_core::seq::Seq;
use ledger_core::time::{Effective, FixedClock, Micros, format_instant};
use ledger_core::view::View;
use ledger_core::{Error, Ledger, names, patch};
use serde_json::{Map, Value, json};

/// Cases run by default (seeds 1..=CASES).
const CASES: u64 = 40;
/// Query points per case.
const POINTS: usize = 10;
const ACTOR: &str = "tester";
const DAY: Micros = 86_400_000_000;
const HOUR: Micros = 3_600_000_000;
const MINUTE: Micros = 60_000_000;
/// Effective times are drawn from this many days from [`window_start`].
const WINDOW_DAYS: i64 = 730;

const REGIMES: &[&str] = &["GIM", "RUS", "CYB"];
const REGIME_NAMES: &[&str] = &["Global Irregular Migration", "Russia", "Cyber (Sanctions) Regulations 2020"];
const KINDS: &[&str] = &["individual", "entity", "ship"];
const MEASURES: &[&str] = &["asset_freeze", "travel_ban", "director_disqualification", "trust_services"];
const REASONS: &[&str] = &["involved in people smuggling", "associated person", "revised statement of reasons"];
/// Name words: several fold to the same search token (accents, case, apostrophes, ligatures).
const WORDS: &[&str] = &[
    "Nusret",
    "Seferović",
    "SEFEROVIC",
    "Đorđe",
    "Dorde",
    "Ivanović",
    "Müller",
    "MULLER",
    "O'Brien",
    "Al-Kasaoui",
    "ALPA",
    "Trading",
    "FZCO",
    "Straße",
    "Łukasz",
    "Øresund",
    "Sea",
    "Star",
];
/// Search queries besides names taken from the log.
const QUERIES: &[&str] = &[
    "seferovic",
    "SEFEROVIĆ",
    "dorde",
    "Đorđe",
    "đorđe ivanovic",
    "muller",
    "MÜLLER",
    "obrien",
    "O’Brien",
    "al kasaoui",
    "kasaoui al",
    "alpa trading",
    "strasse",
    "lukasz",
    "oresund",
    "sea star",
    "sefer",
    "zzz",
    "",
    " - ",
];

// ---------------------------------------------------------------------------------------------
// A seeded PRNG (splitmix64).

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// Uniform in `0..n` (`n` > 0).
    fn below_i(&mut self, n: i64) -> i64 {
        self.below(n.max(1) as u64) as i64
    }

    fn percent(&mut self, p: u64) -> bool {
        self.below(100) < p
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

// ---------------------------------------------------------------------------------------------
// Time helpers.

fn micros(text: &str) -> Micros {
    Effective::parse(text).expect("a valid effective time").micros()
}

fn window_start() -> Micros {
    micros("2024-07-01")
}

fn t0() -> Micros {
    micros("2026-01-15T09:00:00Z")
}

fn far_future() -> Micros {
    micros("2999-06-01")
}

fn day_of(m: Micros) -> i64 {
    (m - window_start()).div_euclid(DAY)
}

/// A day of the window, often on a weekly grid so that events of one key share effective days.
fn random_day(rng: &mut Rng) -> i64 {
    if rng.percent(70) { rng.below_i(WINDOW_DAYS / 7 + 1) * 7 } else { rng.below_i(WINDOW_DAYS) }
}

/// An effective time on `day` as an operator might write it, and the instant it orders at.
fn effective_on(rng: &mut Rng, day: i64) -> (String, Micros) {
    let start = window_start() + day * DAY;
    let date = format_instant(start)[..10].to_owned();
    let text = match rng.below(8) {
        0..=4 => date,
        5 | 6 => {
            // Often exactly the start of the day: the same instant as the date, so seq decides.
            let offset = if rng.percent(40) { 0 } else { rng.below_i(24) * HOUR + rng.below_i(60) * MINUTE };
            format_instant(start + offset)
        }
        _ => format!("{date}T{:02}:30:00+02:00", rng.below(24)),
    };
    let m = micros(&text);
    (text, m)
}

// ---------------------------------------------------------------------------------------------
// A model of the lifecycle rules, to bias the generator toward accepted batches and to predict
// which batches the ledger refuses.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    Designation,
    Amendment,
    Delisting,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    seq: u64,
    effective: Micros,
    act: Act,
    retracted: bool,
}

#[derive(Debug, Clone, Default)]
struct Model {
    head: u64,
    /// Each key's events in (effective, seq) order.
    keys: BTreeMap<String, Vec<Entry>>,
    /// The key of each keyed event.
    owner: BTreeMap<u64, String>,
    /// Amendments whose patch leaves a record that breaks the record's rules.
    bad: BTreeSet<u64>,
}

enum Op {
    /// A designation, amendment or delisting; `bad` for an amendment whose patch breaks the record.
    Keyed {
        id: String,
        act: Act,
        effective: Micros,
        bad: bool,
    },
    Retract {
        target: u64,
    },
}

/// What the ledger must do with a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Accept,
    /// Breaks a rule: a lifecycle rule, or a record broken by an amendment (even one retracted
    /// later in the same batch, since queries can look inside a batch).
    Refuse,
}

impl Model {
    fn lifecycle_ok(entries: &[Entry]) -> bool {
        let mut in_force = false;
        for e in entries.iter().filter(|e| !e.retracted) {
            match (e.act, in_force) {
                (Act::Designation, false) => in_force = true,
                (Act::Amendment, true) => {}
                (Act::Delisting, true) => in_force = false,
                _ => return false,
            }
        }
        true
    }

    /// Whether the key is in force after all its counted events, and its latest effective time.
    fn end_state(&self, id: &str) -> (bool, Option<Micros>) {
        let mut in_force = false;
        let mut last = None;
        for e in self.keys.get(id).into_iter().flatten().filter(|e| !e.retracted) {
            in_force = match e.act {
                Act::Designation => true,
                Act::Amendment => in_force,
                Act::Delisting => false,
            };
            last = Some(e.effective);
        }
        (in_force, last)
    }

    /// Records the event as the next seq; returns whether the ledger's rules allow it.
    fn apply(&mut self, op: &Op) -> bool {
        self.head += 1;
        let seq = self.head;
        match op {
            Op::Keyed { id, act, effective, bad } => {
                if *bad {
                    self.bad.insert(seq);
                }
                let entries = self.keys.entry(id.clone()).or_default();
                entries.push(Entry { seq, effective: *effective, act: *act, retracted: false });
                entries.sort_by_key(|e| (e.effective, e.seq));
                self.owner.insert(seq, id.clone());
                Self::lifecycle_ok(entries)
            }
            Op::Retract { target } => {
                // Genesis, retractions and events not yet recorded have no owner.
                let Some(id) = self.owner.get(target) else { return false };
                let entries = self.keys.get_mut(id).expect("an owned event has its key's entries");
                let entry = entries.iter_mut().find(|e| e.seq == *target).expect("an owned event is in its key");
                if entry.retracted {
                    return false;
                }
                entry.retracted = true;
                Self::lifecycle_ok(entries)
            }
        }
    }

    /// Whether a broken amendment still counts (not retracted).
    fn holds_bad_record(&self) -> bool {
        self.keys.values().flatten().any(|e| !e.retracted && self.bad.contains(&e.seq))
    }
}

// ---------------------------------------------------------------------------------------------
// The generator.

struct Spec {
    id: String,
    regime: &'static str,
    kind: &'static str,
}

fn make_specs(rng: &mut Rng) -> Vec<Spec> {
    let n = 4 + rng.below(3);
    (1..=n)
        .map(|i| {
            let (regime, kind) = (*rng.pick(REGIMES), *rng.pick(KINDS));
            Spec { id: format!("P{i:03}"), regime, kind }
        })
        .collect()
}

fn names_value(rng: &mut Rng) -> Value {
    let n = 1 + rng.below(3);
    let names: Vec<Value> = (0..n)
        .map(|i| {
            let t = if i == 0 && rng.percent(85) { "primary" } else { *rng.pick(&["primary", "variation", "alias"]) };
            let words = 1 + rng.below(3);
            let name: Vec<&str> = (0..words).map(|_| *rng.pick(WORDS)).collect();
            json!({"name": name.join(" "), "type": t})
        })
        .collect();
    Value::Array(names)
}

fn measures_value(rng: &mut Rng) -> Value {
    let mut m: Vec<&str> = MEASURES.iter().copied().filter(|_| rng.percent(50)).collect();
    if m.is_empty() {
        m.push(MEASURES[0]);
    }
    json!(m)
}

fn designation(rng: &mut Rng, spec: &Spec, effective: &str) -> Value {
    let mut d = json!({
        "type": "designation",
        "authority": "UK",
        "id": spec.id,
        "effective": effective,
        "regime": {"code": spec.regime},
        "subject": {"kind": spec.kind, "names": names_value(rng)},
    });
    if rng.percent(80) {
        d["measures"] = measures_value(rng);
    }
    if rng.percent(50) {
        d["reason"] = json!(rng.pick(REASONS));
    }
    if rng.percent(30) {
        d["regime"]["name"] = json!(rng.pick(REGIME_NAMES));
    }
    if rng.percent(20) {
        d["other"] = json!({"listing_ref": rng.below(1000)});
    }
    if rng.percent(15) {
        d["note"] = json!("not part of the record");
    }
    d
}

fn amendment(rng: &mut Rng, spec: &Spec, effective: &str) -> Value {
    let mut p = Map::new();
    for _ in 0..1 + rng.below(2) {
        let (field, value) = match rng.below(5) {
            0 => ("subject", json!({"names": names_value(rng)})),
            1 => ("measures", if rng.percent(25) { Value::Null } else { measures_value(rng) }),
            2 => ("reason", if rng.percent(30) { Value::Null } else { json!(rng.pick(REASONS)) }),
            3 => ("regime", json!({"name": if rng.percent(30) { Value::Null } else { json!(rng.pick(REGIME_NAMES)) }})),
            _ => (
                "other",
                match rng.below(5) {
                    0 => Value::Null,
                    1 => json!({"listing_ref": null}),
                    2 => json!({"group": rng.below(10)}),
                    _ => json!({"listing_ref": rng.below(1000)}),
                },
            ),
        };
        p.insert(field.to_owned(), value);
    }
    let mut a = json!({"type": "amendment", "authority": "UK", "id": spec.id, "effective": effective, "patch": p});
    if rng.percent(40) {
        a["reason"] = json!("variation");
    }
    a
}

fn delisting(rng: &mut Rng, spec: &Spec, effective: &str) -> Value {
    let mut d = json!({"type": "delisting", "authority": "UK", "id": spec.id, "effective": effective});
    if rng.percent(50) {
        d["reason"] = json!("revoked on review");
    }
    d
}

/// One random event, biased toward moves the lifecycle allows.
fn random_event(rng: &mut Rng, model: &Model, specs: &[Spec]) -> (Value, Op) {
    if model.head >= 1 && rng.percent(14) {
        let live: Vec<u64> = model.keys.values().flatten().filter(|e| !e.retracted).map(|e| e.seq).collect();
        let target = if !live.is_empty() && rng.percent(80) { *rng.pick(&live) } else { 1 + rng.below(model.head) };
        return (
            json!({"type": "retraction", "target": target, "reason": "recorded in error"}),
            Op::Retract { target },
        );
    }
    let spec = rng.pick(specs);
    let (in_force, last) = model.end_state(&spec.id);
    let (day, act) = if rng.percent(65) {
        // Forward from the key's latest event (or anywhere, for a new key).
        let day = match last {
            Some(m) => day_of(m) + rng.below_i(9) * 7,
            None => random_day(rng),
        };
        let act = if !in_force {
            Act::Designation
        } else if rng.percent(65) {
            Act::Amendment
        } else {
            Act::Delisting
        };
        (day, act)
    } else {
        // Anywhere in the window: often backdated before the key's later events.
        let act = match rng.below(20) {
            0..=6 => Act::Designation,
            7..=14 => Act::Amendment,
            _ => Act::Delisting,
        };
        (random_day(rng), act)
    };
    let (text, effective) = effective_on(rng, day);
    let value = match act {
        Act::Designation => designation(rng, spec, &text),
        Act::Amendment => amendment(rng, spec, &text),
        Act::Delisting => delisting(rng, spec, &text),
    };
    (value, Op::Keyed { id: spec.id.clone(), act, effective, bad: false })
}

/// An amendment of a key in force whose patch leaves a record that breaks the record's rules
/// (unreadable as a record: names that are not a list, measures that are not strings, no primary
/// name), or `None` if no key is in force. (A measure outside the vocabulary is refused sooner,
/// when the line is read.)
fn bad_amendment(rng: &mut Rng, model: &Model, specs: &[Spec]) -> Option<(Value, Op)> {
    let in_force: Vec<&Spec> = specs.iter().filter(|s| model.end_state(&s.id).0).collect();
    if in_force.is_empty() {
        return None;
    }
    let spec = *rng.pick(&in_force);
    let last = model.end_state(&spec.id).1.expect("a key in force has events");
    let day = day_of(last) + rng.below_i(5) * 7;
    let (text, effective) = effective_on(rng, day);
    let p = match rng.below(3) {
        0 => json!({"subject": {"names": "Nusret SEFEROVIC"}}),
        1 => json!({"measures": [7]}),
        _ => json!({"subject": {"names": []}}),
    };
    let value = json!({"type": "amendment", "authority": "UK", "id": spec.id, "effective": text, "patch": p});
    Some((value, Op::Keyed { id: spec.id.clone(), act: Act::Amendment, effective, bad: true }))
}

/// A batch of 1 to 4 events (sometimes with a mistaken amendment and its retraction added), the
/// model after it, and what the ledger must do with it.
fn random_batch(rng: &mut Rng, model: &Model, specs: &[Spec]) -> (Vec<Value>, Model, Expect) {
    let mut after = model.clone();
    let mut valid = true;
    let mut values = Vec::new();
    for _ in 0..1 + rng.below(4) {
        let mut chosen = None;
        for attempt in 0..12 {
            let (v, op) = random_event(rng, &after, specs);
            let ok = after.clone().apply(&op);
            // Keep a few rule-breaking events so that refusals are exercised too.
            if ok || attempt == 11 || rng.percent(8) {
                chosen = Some((v, op));
                break;
            }
        }
        let (v, op) = chosen.expect("the last attempt is always kept");
        valid &= after.apply(&op);
        values.push(v);
    }
    // An operator's slip caught within the batch: an amendment that breaks the record, retracted
    // by the next event.
    if rng.percent(6)
        && let Some((v, op)) = bad_amendment(rng, &after, specs)
    {
        valid &= after.apply(&op);
        values.push(v);
        let retract = Op::Retract { target: after.head };
        values.push(json!({"type": "retraction", "target": after.head, "reason": "keyed in error"}));
        valid &= after.apply(&retract);
    }
    let expect = if !valid || after.holds_bad_record() || after.bad.len() > model.bad.len() {
        Expect::Refuse
    } else {
        Expect::Accept
    };
    (values, after, expect)
}

/// How far the clock moves between batches: usually forward, sometimes not at all or backwards.
fn clock_step(rng: &mut Rng) -> Micros {
    match rng.below(10) {
        0 => -rng.below_i(2 * DAY),
        1 => 0,
        2..=6 => 1 + rng.below_i(HOUR),
        _ => rng.below_i(5 * DAY),
    }
}

// ---------------------------------------------------------------------------------------------
// The naive fold: from the recorded events alone.

#[derive(Debug, Clone, PartialEq)]
struct NaiveState {
    status: Status,
    episode: Vec<Seq>,
    record: Option<Value>,
    designated: Option<String>,
    delisted: Option<String>,
    /// The effective time, as written, of the episode's latest amendment.
    amended: Option<String>,
}

impl NaiveState {
    fn absent() -> NaiveState {
        NaiveState {
            status: Status::Absent,
            episode: Vec::new(),
            record: None,
            designated: None,
            delisted: None,
            amended: None,
        }
    }

    fn active(&self) -> bool {
        self.status == Status::Active
    }
}

struct Naive<'a> {
    log: &'a [RecordedEvent],
    /// Every key the log holds an event of, with the regime code and kind of its designations.
    keys: BTreeMap<Key, (String, SubjectKind)>,
}

impl<'a> Naive<'a> {
    fn new(log: &'a [RecordedEvent]) -> Naive<'a> {
        let mut keys = BTreeMap::new();
        for r in log {
            if let Event::Designation(d) = &r.event {
                let key = r.event.key().expect("a designation has a key");
                let identity = (d.regime.code.clone(), d.subject.kind);
                let held = keys.entry(key).or_insert_with(|| identity.clone());
                assert_eq!(*held, identity, "event {}: a key keeps its regime code and kind", r.seq);
            }
        }
        for r in log {
            if let Some(key) = r.event.key() {
                assert!(keys.contains_key(&key), "event {}: {key} has no designation in the log", r.seq);
            }
        }
        Naive { log, keys }
    }

    /// Every key's state at `when`. `inapplicable` counts events the fold had to skip (or
    /// designations that found the key in force).
    fn fold(&self, when: When, inapplicable: &mut u64) -> BTreeMap<Key, NaiveState> {
        let retracted: BTreeSet<Seq> = self
            .log
            .iter()
            .filter(|r| r.recorded_at.0 <= when.as_of)
            .filter_map(|r| match &r.event {
                Event::Retraction(x) => Some(x.target),
                _ => None,
            })
            .collect();
        let mut counted: BTreeMap<Key, Vec<(Micros, Seq, &Event)>> =
            self.keys.keys().map(|k| (k.clone(), Vec::new())).collect();
        for r in self.log {
            let (Some(key), Some(effective)) = (r.event.key(), r.event.effective()) else { continue };
            if r.recorded_at.0 <= when.as_of && !retracted.contains(&r.seq) && effective.micros() <= when.at {
                counted.entry(key).or_default().push((effective.micros(), r.seq, &r.event));
            }
        }
        let mut states = BTreeMap::new();
        for (key, mut events) in counted {
            events.sort_by_key(|(m, seq, _)| (*m, *seq));
            let mut s = NaiveState::absent();
            for (_, seq, event) in events {
                match event {
                    Event::Designation(d) => {
                        if s.active() {
                            *inapplicable += 1;
                        }
                        s = NaiveState {
                            status: Status::Active,
                            episode: vec![seq],
                            record: Some(serde_json::to_value(d.record()).expect("a record serializes")),
                            designated: Some(d.effective.to_string()),
                            delisted: None,
                            amended: None,
                        };
                    }
                    Event::Amendment(a) if s.active() => {
                        s.episode.push(seq);
                        let record = s.record.as_mut().expect("an active key has a record");
                        patch::merge(record, &Value::Object(a.patch.clone()));
                        s.amended = Some(a.effective.to_string());
                    }
                    Event::Delisting(d) if s.active() => {
                        s.episode.push(seq);
                        s.status = Status::Delisted;
                        s.delisted = Some(d.effective.to_string());
                    }
                    _ => *inapplicable += 1,
                }
            }
            states.insert(key, s);
        }
        states
    }

    fn regime(&self, key: &Key) -> String {
        self.keys.get(key).map(|(r, _)| r.clone()).unwrap_or_default()
    }

    /// A key's history as known at `as_of`: its events recorded by then, and the retractions of
    /// them recorded by then, in seq order.
    fn history(&self, key: &Key, as_of: Micros) -> Vec<HistoryRow> {
        let known: Vec<&RecordedEvent> =
            self.log.iter().filter(|r| r.recorded_at.0 <= as_of && r.event.key().as_ref() == Some(key)).collect();
        let retraction_of = |seq: Seq| {
            self.log
                .iter()
                .find(|r| r.recorded_at.0 <= as_of && matches!(&r.event, Event::Retraction(x) if x.target == seq))
        };
        let effective = |r: &RecordedEvent| r.event.effective().map(|e| e.micros()).unwrap_or_default();
        let mut rows = Vec::new();
        for r in &known {
            let retraction = retraction_of(r.seq);
            rows.push(HistoryRow {
                seq: r.seq,
                event_type: r.event.type_name().to_owned(),
                effective: r.event.effective().map(|e| e.to_string()),
                recorded_at: r.recorded_at.to_string(),
                actor: r.actor.clone(),
                retracted_by: retraction.map(|x| x.seq),
                retracts: None,
                backdated: known.iter().any(|o| o.seq < r.seq && effective(o) > effective(r)),
                event: r.to_value(),
            });
            if let Some(x) = retraction {
                rows.push(HistoryRow {
                    seq: x.seq,
                    event_type: "retraction".to_owned(),
                    effective: None,
                    recorded_at: x.recorded_at.to_string(),
                    actor: x.actor.clone(),
                    retracted_by: None,
                    retracts: Some(r.seq),
                    backdated: false,
                    event: x.to_value(),
                });
            }
        }
        rows.sort_by_key(|r| r.seq);
        rows
    }
}

/// The primary name of a record (its first name if none is primary).
fn primary_name(record: Option<&Value>) -> String {
    let names = record.and_then(|r| r["subject"]["names"].as_array());
    let name = names.and_then(|ns| ns.iter().find(|n| n["type"] == "primary").or(ns.first()));
    name.and_then(|n| n["name"].as_str()).unwrap_or_default().to_owned()
}

/// The changed fields between two values: objects member by member, anything else as a whole.
fn naive_changes(path: &str, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<FieldChange>) {
    if let (Some(Value::Object(a)), Some(Value::Object(b))) = (old, new) {
        let members: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        for m in members {
            let p = if path.is_empty() { m.clone() } else { format!("{path}.{m}") };
            naive_changes(&p, a.get(m), b.get(m), out);
        }
    } else if old != new {
        out.push(FieldChange { field: path.to_owned(), old: old.cloned(), new: new.cloned() });
    }
}

// ---------------------------------------------------------------------------------------------
// Comparing.

/// What `state` and `show` say about one key.
#[derive(Debug, PartialEq)]
struct Seen {
    key: String,
    status: Status,
    designated: Option<String>,
    delisted: Option<String>,
    events: Vec<Seq>,
    record: Option<Value>,
}

impl Seen {
    fn naive(key: &Key, s: &NaiveState) -> Seen {
        Seen {
            key: key.to_string(),
            status: s.status,
            designated: s.designated.clone(),
            delisted: s.delisted.clone(),
            events: s.episode.clone(),
            record: s.record.clone(),
        }
    }
}

/// A query's answer; a failure names the query and the point.
fn answer<T>(r: Result<T, Error>, query: &str, ctx: &str) -> T {
    r.unwrap_or_else(|e| panic!("{query} failed: {e}\n{ctx}"))
}

fn record_value(r: &Record) -> Value {
    serde_json::to_value(r).expect("a record serializes")
}

#[derive(Debug, Default)]
struct Tally {
    cases: u64,
    batches_accepted: u64,
    batches_refused: u64,
    /// Batches with a broken amendment retracted within the batch, accepted.
    slips_refused: u64,
    designations: u64,
    amendments: u64,
    delistings: u64,
    retractions: u64,
    /// Events recorded after an event of their key that they precede in legal effect.
    backdated: u64,
    /// Query points with as_of strictly inside a batch.
    mid_batch_points: u64,
    /// Events the naive fold found inapplicable (an amendment or delisting with nothing in force,
    /// a designation of a key in force). The ledger checks the lifecycle after every event, so
    /// every state it ever knew, inside a batch too, obeys the rules: this stays 0.
    inapplicable: u64,
    points: u64,
    active_rows: u64,
    delisted_rows: u64,
    diff_designated: u64,
    diff_delisted: u64,
    diff_amended: u64,
    search_matches: u64,
    history_retracted_rows: u64,
}

struct Case<'a> {
    /// Names the case in failures: its seed, and how to replay it.
    label: String,
    ledger: &'a Ledger,
    naive: &'a Naive<'a>,
    /// The effective instants of the log's keyed events (for query points on their edges).
    effectives: Vec<Micros>,
    /// The seqs that end a batch (genesis included).
    batch_ends: &'a BTreeSet<Seq>,
    /// Names of the log's designations (for searches that match).
    names: Vec<String>,
}

impl Case<'_> {
    fn pick_at(&self, rng: &mut Rng) -> Micros {
        let edge = (!self.effectives.is_empty()).then(|| *rng.pick(&self.effectives));
        match (rng.below(10), edge) {
            (0..=2, Some(m)) => m,
            (3, Some(m)) => m - 1,
            (4, _) => window_start() - DAY - rng.below_i(365) * DAY,
            (5, _) => far_future(),
            (6, _) => window_start() + rng.below_i(WINDOW_DAYS + 60) * DAY + DAY - 1,
            _ => window_start() - 10 * DAY + rng.below_i(WINDOW_DAYS + 120) * DAY + rng.below_i(DAY),
        }
    }

    /// An as_of instant: before anything, at or around a recorded event, just before a
    /// retraction becomes known, or in the far future.
    fn pick_as_of(&self, rng: &mut Rng) -> Micros {
        let log = self.naive.log;
        let r = rng.pick(log);
        let genesis = log[0].recorded_at.0;
        let retractions: Vec<Micros> =
            log.iter().filter(|r| matches!(r.event, Event::Retraction(_))).map(|r| r.recorded_at.0).collect();
        match rng.below(13) {
            0 => genesis - 1 - rng.below_i(DAY),
            1 => genesis,
            2..=4 => r.recorded_at.0,
            5 => r.recorded_at.0 - 1,
            6 => r.recorded_at.0 + rng.below_i(HOUR),
            7 => far_future(),
            // The last instant the target of a retraction still counts: inside the batch when the
            // retraction follows its target there.
            8 | 9 if !retractions.is_empty() => rng.pick(&retractions) - 1,
            _ => log[log.len() - 1].recorded_at.0,
        }
    }

    /// Whether `as_of` lies strictly inside a batch: some of its events are known, not all.
    fn inside_batch(&self, as_of: Micros) -> bool {
        let known = self.naive.log.iter().rev().find(|r| r.recorded_at.0 <= as_of);
        known.is_some_and(|r| !self.batch_ends.contains(&r.seq))
    }

    /// Compares every query at `when` with the naive fold.
    fn check_point(&self, rng: &mut Rng, when: When, tally: &mut Tally) {
        let (label, ledger, naive) = (&self.label, self.ledger, self.naive);
        let When { at, as_of } = when;
        tally.points += 1;
        tally.mid_batch_points += u64::from(self.inside_batch(as_of));
        let ctx = format!("{label}, at {} ({at}), as_of {} ({as_of})", format_instant(at), format_instant(as_of));
        let states = naive.fold(when, &mut tally.inapplicable);

        // state and count, with and without delisted keys.
        for include_delisted in [false, true] {
            let filter = StateFilter { include_delisted, ..Default::default() };
            let listed = |s: &NaiveState| s.active() || (include_delisted && s.status == Status::Delisted);
            let want: Vec<(&Key, &NaiveState)> = states.iter().filter(|(_, s)| listed(s)).collect();
            let out = answer(query::state(&View::now(ledger).expect("view"), when, &filter), "state", &ctx);
            let got: Vec<Seen> = out
                .designations
                .iter()
                .map(|row| Seen {
                    key: row.key.clone(),
                    status: row.status,
                    designated: Some(row.designated.clone()),
                    delisted: row.delisted.clone(),
                    events: row.events.clone(),
                    record: Some(record_value(&row.record.parse().expect("a listed record parses"))),
                })
                .collect();
            let expected: Vec<Seen> = want.iter().map(|(k, s)| Seen::naive(k, s)).collect();
            assert_eq!(got, expected, "state (include_delisted {include_delisted}), {ctx}");
            let got_meta: Vec<(String, String, SubjectKind, String)> = out
                .designations
                .iter()
                .map(|row| (row.key.clone(), row.regime.clone(), row.kind, row.name.clone()))
                .collect();
            let expected_meta: Vec<(String, String, SubjectKind, String)> = want
                .iter()
                .map(|(k, s)| {
                    let (regime, kind) = naive.keys[*k].clone();
                    (k.to_string(), regime, kind, primary_name(s.record.as_ref()))
                })
                .collect();
            assert_eq!(got_meta, expected_meta, "state rows' regime, kind and name, {ctx}");
            assert_eq!(out.count, want.len(), "state count, {ctx}");
            let count = answer(query::count(&View::now(ledger).expect("view"), when, &filter), "count", &ctx);
            assert_eq!(count.count, want.len(), "count (include_delisted {include_delisted}), {ctx}");
            if include_delisted {
                tally.active_rows += want.iter().filter(|(_, s)| s.active()).count() as u64;
                tally.delisted_rows += want.iter().filter(|(_, s)| !s.active()).count() as u64;
            }
        }

        // show, for every key.
        for (key, s) in &states {
            let out = answer(query::show(&View::now(ledger).expect("view"), key, when), "show", &ctx);
            let got = Seen {
                key: out.key.clone(),
                status: out.status,
                designated: out.designated.clone(),
                delisted: out.delisted.clone(),
                events: out.events.clone(),
                record: out.record.as_ref().map(record_value),
            };
            assert_eq!(got, Seen::naive(key, s), "show {key}, {ctx}");
        }

        // history, for every key.
        for key in naive.keys.keys() {
            let out = answer(query::history(&View::now(ledger).expect("view"), key, as_of), "history", &ctx);
            let want = naive.history(key, as_of);
            assert_eq!(out.key, key.to_string());
            assert_eq!(out.events, want, "history {key}, {ctx}");
            tally.history_retracted_rows += want.iter().filter(|r| r.retracted_by.is_some()).count() as u64;
        }

        // diff, between `at` and another time.
        let other = if rng.percent(10) { at } else { self.pick_at(rng) };
        let (from, to) = if at <= other { (at, other) } else { (other, at) };
        let a = naive.fold(When { at: from, as_of }, &mut 0);
        let b = naive.fold(When { at: to, as_of }, &mut 0);
        let (mut designated, mut delisted, mut amended) = (Vec::new(), Vec::new(), Vec::new());
        for (key, sb) in &b {
            let sa = &a[key];
            let change = |s: &NaiveState, effective: Option<&String>, changes| DiffChange {
                key: key.to_string(),
                name: primary_name(s.record.as_ref()),
                regime: naive.regime(key),
                effective: effective.cloned().unwrap_or_default(),
                changes,
            };
            match (sa.active(), sb.active()) {
                (false, true) => designated.push(change(sb, sb.designated.as_ref(), Vec::new())),
                (true, false) => delisted.push(change(sa, sb.delisted.as_ref(), Vec::new())),
                (true, true) if sa.record != sb.record => {
                    let mut changes = Vec::new();
                    naive_changes("", sa.record.as_ref(), sb.record.as_ref(), &mut changes);
                    amended.push(change(sb, sb.amended.as_ref().or(sb.designated.as_ref()), changes));
                }
                _ => {}
            }
        }
        let dctx = format!("from {} ({from}) to {} ({to}), {ctx}", format_instant(from), format_instant(to));
        let out = answer(query::diff(&View::now(ledger).expect("view"), from, to, as_of), "diff", &dctx);
        assert_eq!(out.designated, designated, "diff designated, {dctx}");
        assert_eq!(out.delisted, delisted, "diff delisted, {dctx}");
        assert_eq!(out.amended, amended, "diff amended, {dctx}");
        tally.diff_designated += designated.len() as u64;
        tally.diff_delisted += delisted.len() as u64;
        tally.diff_amended += amended.len() as u64;

        // search, for a name (or a word of one) from the log, or a fixed query.
        for _ in 0..2 {
            let q = match (rng.below(3), self.names.is_empty()) {
                (0, false) => rng.pick(&self.names).clone(),
                (1, false) => {
                    let name = rng.pick(&self.names);
                    let words: Vec<&str> = name.split(' ').collect();
                    (*rng.pick(&words)).to_owned()
                }
                _ => (*rng.pick(QUERIES)).to_owned(),
            };
            let tokens = names::tokens(&q);
            let mut want = Vec::new();
            for (key, s) in &states {
                if s.status == Status::Absent {
                    continue;
                }
                let record = s.record.as_ref().expect("a designated key has a record");
                for n in record["subject"]["names"].as_array().into_iter().flatten() {
                    let name = n["name"].as_str().expect("a name is a string");
                    if names::matches(&tokens, name) {
                        want.push(SearchMatch {
                            key: key.to_string(),
                            name: name.to_owned(),
                            name_type: serde_json::from_value::<NameType>(n["type"].clone()).expect("a name type"),
                            status: s.status,
                            regime: naive.regime(key),
                        });
                    }
                }
            }
            let out = answer(query::search(&View::now(ledger).expect("view"), &q, when), "search", &ctx);
            assert_eq!(out.matches, want, "search {q:?}, {ctx}");
            tally.search_matches += want.len() as u64;
        }
    }
}

/// Builds one random history and checks every query against the naive fold.
fn run_case(seed: u64, tally: &mut Tally) {
    let mut rng = Rng(seed);
    let specs = make_specs(&mut rng);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut now = t0();
    let clock = FixedClock::new(now);
    let ledger = Ledger::init(&dir.path().join("prop.sled"), "prop", ACTOR, &clock).expect("init");
    let mut model = Model::default();
    let mut batch_ends = BTreeSet::from([Seq::GENESIS]);
    for b in 0..15 + rng.below(16) {
        now += clock_step(&mut rng);
        clock.set(now);
        let (values, after, expect) = random_batch(&mut rng, &model, &specs);
        let text: Vec<String> = values.iter().map(Value::to_string).collect();
        let text = text.join("\n");
        let batch: Vec<Numbered<InputEvent>> = values
            .into_iter()
            .enumerate()
            .map(|(i, v)| Numbered {
                line: i + 1,
                event: parse_value(i + 1, v)
                    .unwrap_or_else(|e| panic!("seed {seed}, batch {b}: a generated event does not parse: {e}")),
            })
            .collect();
        let before = ledger.head().expect("head").seq;
        match ledger.append(&batch, ACTOR, &clock) {
            Ok(a) => {
                assert!(
                    expect != Expect::Refuse,
                    "seed {seed}, batch {b}: the ledger accepted what the model refuses:\n{text}"
                );
                assert_eq!(a.head.seq.get(), after.head, "seed {seed}, batch {b}");
                model = after;
                batch_ends.insert(a.head.seq);
                tally.batches_accepted += 1;
            }
            Err(Error::Input(e)) => {
                tally.slips_refused += u64::from(after.bad.len() > model.bad.len());
                assert!(
                    expect != Expect::Accept,
                    "seed {seed}, batch {b}: the ledger refused ({e}) what the model accepts:\n{text}"
                );
                assert_eq!(
                    ledger.head().expect("head").seq,
                    before,
                    "seed {seed}: a refused batch left the head alone"
                );
                tally.batches_refused += 1;
            }
            Err(e) => panic!("seed {seed}, batch {b}: append failed: {e}"),
        }
    }

    let log: Vec<RecordedEvent> = ledger.events(Seq::GENESIS).collect::<Result<_, _>>().expect("the log reads");
    for (i, r) in log.iter().enumerate() {
        assert_eq!(r.seq.get(), i as u64, "seed {seed}: the log is in seq order");
    }
    assert_eq!(log.len() as u64, model.head + 1, "seed {seed}: the log holds every accepted event");
    let naive = Naive::new(&log);

    let mut designation_names = Vec::new();
    for r in &log {
        match &r.event {
            Event::Designation(d) => {
                tally.designations += 1;
                designation_names.extend(d.subject.names.iter().map(|n| n.name.clone()));
            }
            Event::Amendment(_) => tally.amendments += 1,
            Event::Delisting(_) => tally.delistings += 1,
            Event::Retraction(_) => tally.retractions += 1,
            Event::Genesis(_) => {}
        }
        let key = r.event.key();
        let eff = |e: &RecordedEvent| e.event.effective().map(|x| x.micros());
        if key.is_some() && log[..r.seq.get() as usize].iter().any(|o| o.event.key() == key && eff(o) > eff(r)) {
            tally.backdated += 1;
        }
    }

    // Keys the ledger never held are not found.
    let head_when = When { at: far_future(), as_of: far_future() };
    let unknown: Vec<Key> = specs
        .iter()
        .map(|s| Key::new("UK", s.id.clone()).expect("key"))
        .chain([Key::new("UK", "P999").expect("key"), Key::new("UN", "P001").expect("key")])
        .filter(|k| !naive.keys.contains_key(k))
        .collect();
    for key in &unknown {
        let show = query::show(&View::now(&ledger).expect("view"), key, head_when);
        assert!(matches!(show, Err(Error::NotFound { .. })), "seed {seed}: show {key}: {show:?}");
        let history = query::history(&View::now(&ledger).expect("view"), key, far_future());
        assert!(matches!(history, Err(Error::NotFound { .. })), "seed {seed}: history {key}: {history:?}");
    }

    let case = Case {
        label: format!("seed {seed} (replay: PROPERTY_SEED={seed})"),
        ledger: &ledger,
        naive: &naive,
        effectives: log.iter().filter_map(|r| r.event.effective()).map(Effective::micros).collect(),
        batch_ends: &batch_ends,
        names: designation_names,
    };
    for _ in 0..POINTS {
        let when = When { at: case.pick_at(&mut rng), as_of: case.pick_as_of(&mut rng) };
        case.check_point(&mut rng, when, tally);
    }
    tally.cases += 1;
}

#[test]
fn indexed_queries_equal_a_naive_fold_of_the_log() {
    let started = Instant::now();
    let seeds: Vec<u64> = match std::env::var("PROPERTY_SEED") {
        Ok(s) => vec![s.trim().parse().expect("PROPERTY_SEED is a number")],
        Err(_) => (1..=CASES).collect(),
    };
    let mut tally = Tally::default();
    // Every case runs, so that one failure does not hide others: the failures are listed at the end.
    let mut failures = Vec::new();
    for &seed in &seeds {
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_case(seed, &mut tally)));
        if let Err(payload) = run {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            failures.push(format!("seed {seed}: {message}"));
        }
    }
    eprintln!("property: {} case(s) in {:.1?}: {tally:#?}", seeds.len(), started.elapsed());
    assert!(failures.is_empty(), "{} of {} case(s) failed:\n{}", failures.len(), seeds.len(), failures.join("\n\n"));
    assert_eq!(tally.inapplicable, 0, "a state the ledger knew broke the lifecycle rules: {tally:?}");
    if seeds.len() as u64 == CASES {
        // The run must have tested something: every kind of event, refusals, backdating,
        // instants inside a batch, and every kind of query answer.
        assert!(tally.designations >= 100, "{tally:?}");
        assert!(tally.amendments >= 100, "{tally:?}");
        assert!(tally.delistings >= 40, "{tally:?}");
        assert!(tally.retractions >= 20, "{tally:?}");
        assert!(tally.batches_refused >= 20, "{tally:?}");
        assert!(tally.slips_refused >= 5, "{tally:?}");
        assert!(tally.backdated >= 40, "{tally:?}");
        assert!(tally.mid_batch_points >= 10, "{tally:?}");
        assert!(tally.active_rows >= 100 && tally.delisted_rows >= 20, "{tally:?}");
        assert!(tally.diff_designated >= 10 && tally.diff_delisted >= 5 && tally.diff_amended >= 10, "{tally:?}");
        assert!(tally.search_matches >= 50, "{tally:?}");
        assert!(tally.history_retracted_rows >= 10, "{tally:?}");
    }
}

/// The smallest history the property once found wrong: an amendment whose patch leaves no
/// readable record, retracted by the next event of the same batch. The batch as a whole breaks no
/// rule; but `as_of` the amendment's own `recorded_at`, a microsecond inside the batch, the
/// amendment counts and its retraction does not. The ledger checks records after every event, so
/// it refuses the batch.
#[test]
fn queries_inside_a_batch_that_withdraws_a_broken_amendment() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let clock = FixedClock::new(t0());
    let ledger = Ledger::init(&dir.path().join("prop.sled"), "prop", ACTOR, &clock).expect("init");
    let values = [
        json!({"type": "designation", "authority": "UK", "id": "P001", "effective": "2025-01-01",
               "regime": {"code": "GIM"},
               "subject": {"kind": "individual", "names": [{"name": "Nusret SEFEROVIC", "type": "primary"}]}}),
        json!({"type": "amendment", "authority": "UK", "id": "P001", "effective": "2025-02-01",
               "patch": {"subject": {"names": "Nusret SEFEROVIC"}}}),
        json!({"type": "retraction", "target": 2, "reason": "keyed in error"}),
    ];
    let batch: Vec<Numbered<InputEvent>> = values
        .into_iter()
        .enumerate()
        .map(|(i, v)| Numbered { line: i + 1, event: parse_value(i + 1, v).expect("the events parse") })
        .collect();
    match ledger.append(&batch, ACTOR, &clock) {
        Err(Error::Input(e)) => {
            assert_eq!(e.line, 2, "the amendment is to blame: {e}");
            assert!(e.reason.contains("invalid record"), "{e}");
            assert_eq!(ledger.head().expect("head").seq, Seq::GENESIS, "nothing was written");
        }
        Err(e) => panic!("append failed: {e}"),
        Ok(a) => panic!("the ledger took a batch whose prefix holds a broken record (head {})", a.head.seq),
    }
}
