//! Bundles forged by hand (events edited, the chain re-hashed, a new checkpoint), and events at
//! the size limits: what `bundle::verify` accepts, `restore` must either refuse or turn into a
//! ledger that `verify` passes and queries can answer; and the largest events an append accepts
//! must be readable back.

use std::io::Cursor;

use ledger_core::bundle::{self, Checks};
use ledger_core::chain::{Hash, hash_canonical};
use ledger_core::checkpoint::Checkpoint;
use ledger_core::input::Numbered;
use ledger_core::input::parse_line;
use ledger_core::ledger::Ledger;
use ledger_core::merkle::{self, Leaves};
use ledger_core::seq::Seq;
use ledger_core::time::FixedClock;
use serde_json::{Map, Value, json};

const GOOD: &str = r#"{"type":"designation","authority":"UK","id":"GIM0030","effective":"2025-10-22","regime":{"code":"GIM"},"subject":{"kind":"entity","names":[{"name":"ALPA TRADING FZCO","type":"primary"}]},"measures":["asset_freeze"]}"#;

/// Exports a one-designation ledger, lets `edit` change/extend the events (hash-less maps),
/// re-chains them and returns a bundle text with an unsigned checkpoint.
fn forged_bundle(edit: impl FnOnce(&mut Vec<Map<String, Value>>)) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let clock = FixedClock::new(1_700_000_000_000_000);
    let ledger = Ledger::init(&dir.path().join("src.sled"), "forged", "tester", &clock).expect("init");
    ledger
        .append(&[Numbered { line: 1, event: parse_line(1, GOOD).expect("a good line") }], "tester", &clock)
        .expect("append");
    let mut out = Vec::new();
    bundle::export(&ledger_core::view::View::now(&ledger).expect("view"), &mut out, None).expect("export");
    let mut events: Vec<Map<String, Value>> = Vec::new();
    for line in String::from_utf8(out).expect("UTF-8").lines() {
        let v: Value = serde_json::from_str(line).expect("a JSON line");
        if v.get("checkpoint").is_some() {
            continue;
        }
        let mut m = v.as_object().expect("an object").clone();
        m.remove("hash");
        events.push(m);
    }
    edit(&mut events);
    let mut prev = Hash::ZERO;
    let mut leaves = Vec::new();
    let mut text = Vec::new();
    for (i, m) in events.iter_mut().enumerate() {
        m.insert("seq".into(), json!(i));
        m.insert("prev".into(), json!(prev.to_hex()));
        let bytes = ledger_core::canonical::to_vec(&Value::Object(m.clone())).expect("canonical");
        let h = hash_canonical(&bytes);
        let mut full = m.clone();
        full.insert("hash".into(), json!(h.to_hex()));
        let line = serde_json::to_vec(&Value::Object(full)).expect("serializes");
        text.extend(&line);
        text.push(b'\n');
        leaves.push(merkle::leaf_hash(&line));
        prev = h;
    }
    let size = leaves.len() as u64;
    let root = merkle::root(&mut Leaves::new(leaves), size).expect("a root");
    let cp = Checkpoint {
        origin: "forged".into(),
        size,
        root,
        extensions: vec![Checkpoint::head_extension(Seq::new(size - 1), &prev)],
    };
    text.extend(serde_json::to_vec(&json!({"checkpoint": cp.sign(None)})).expect("serializes"));
    text.push(b'\n');
    text
}

fn restore_and_verify(text: &[u8]) -> (tempfile::TempDir, Ledger, ledger_core::verify::Report) {
    let v = bundle::verify(Cursor::new(text), Checks { keep: true, ..Checks::default() }).expect("bundle verifies");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let ledger = bundle::restore(&dir.path().join("dst.sled"), &v).expect("restores");
    let report = ledger_core::verify::verify(&ledger).expect("verify runs");
    (dir, ledger, report)
}

#[test]
fn unforged_bundle_restores_and_verifies() {
    let text = forged_bundle(|_| {});
    let (_d, _l, report) = restore_and_verify(&text);
    assert_eq!(report.failure, None);
}

/// The refusal of a bundle whose event 1 (line 2) is not in the form the ledger writes.
fn refused_at_event_1(text: &[u8]) -> String {
    let e = bundle::verify(Cursor::new(text), Checks { keep: true, ..Checks::default() })
        .expect_err("a bundle not in the ledger's own form is refused");
    assert_eq!(e.line, Some(2), "{e}");
    e.to_string()
}

#[test]
fn defaulted_member_in_designation() {
    // `"reason": null` reads as no reason, which the ledger writes by leaving the member out: the
    // restored ledger's export would hash other bytes than the bundle's, so it is refused.
    let text = forged_bundle(|evs| {
        evs[1].insert("reason".into(), Value::Null);
    });
    let e = refused_at_event_1(&text);
    assert!(e.contains("member `reason` is null"), "{e}");
}

#[test]
fn defaulted_nested_member_in_designation() {
    let text = forged_bundle(|evs| {
        evs[1]["subject"].as_object_mut().unwrap().insert("nationalities".into(), json!([]));
    });
    let e = refused_at_event_1(&text);
    assert!(e.contains("member `subject.nationalities` is []"), "{e}");
}

#[test]
fn an_amendment_that_leaves_an_invalid_record_is_refused_even_if_a_later_one_repairs_it() {
    // Amendment 1 makes the record invalid (`reason` not a string); amendment 2 repairs it. A
    // query as of a day between them would fold the invalid record.
    let text = forged_bundle(|evs| {
        let mut base = evs[1].clone();
        for k in ["regime", "subject", "measures", "type", "effective"] {
            base.remove(k);
        }
        let ra = evs[1]["recorded_at"].as_str().unwrap().to_owned();
        let t = ledger_core::time::Timestamp::parse(&ra).unwrap().0;
        let ts = |d: i64| ledger_core::time::Timestamp(t + d).to_string();
        let mut a1 = base.clone();
        a1.insert("type".into(), json!("amendment"));
        a1.insert("effective".into(), json!("2025-11-01"));
        a1.insert("patch".into(), json!({"reason": 5}));
        a1.insert("recorded_at".into(), json!(ts(1)));
        let mut a2 = a1.clone();
        a2.insert("effective".into(), json!("2025-12-01"));
        a2.insert("patch".into(), json!({"reason": "repaired"}));
        a2.insert("recorded_at".into(), json!(ts(2)));
        evs.push(a1);
        evs.push(a2);
    });
    let v = bundle::verify(Cursor::new(&text), Checks { keep: true, ..Checks::default() }).expect("the chain is whole");
    let dir = tempfile::tempdir().unwrap();
    let refused = bundle::restore(&dir.path().join("dst.sled"), &v).err().expect("restore refuses it");
    let text = refused.to_string();
    assert!(text.contains("event 2") && text.contains("an invalid record") && text.contains("reason"), "{text}");
}

#[test]
fn a_block_of_the_largest_events_stays_readable() {
    // 127 events of just under the limit of a recorded event (64 KiB, the most an entry of the
    // published log holds), by the longest actor: two blocks, the second holding the head.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.sled");
    let clock = FixedClock::new(1_700_000_000_000_000);
    let actor = "a".repeat(256);
    let ledger = Ledger::init(&path, "big", &actor, &clock).unwrap();
    let limit = ledger_core::validate::limits::MAX_EVENT_BYTES;
    // The envelope: seq, prev, recorded_at, the actor and the hash, with their names.
    let envelope = 400 + actor.len();
    let event = |i: usize, len: usize| {
        let mut v: Value = serde_json::from_str(GOOD).unwrap();
        v["id"] = json!(format!("BIG{i:04}"));
        let base = serde_json::to_string(&v).unwrap().len() + r#","other":{"k":""}"#.len();
        v["other"] = json!({ "k": "x".repeat(len - base) });
        serde_json::to_string(&v).unwrap()
    };
    let mut batch = Vec::new();
    for i in 0..127 {
        let line = event(i, limit - envelope);
        batch.push(Numbered { line: i + 1, event: parse_line(i + 1, &line).unwrap() });
    }
    ledger.append(&batch, &actor, &clock).unwrap();
    let big = ledger.entry(Seq::new(64)).unwrap().unwrap().1.len();
    assert!(big > limit - 200 && big <= limit, "an entry of {big} bytes");
    assert_eq!(ledger.event(Seq::new(64)).unwrap().unwrap().seq, Seq::new(64));
    // One over the limit: refused, naming the line and the limit; nothing written.
    let over = event(200, limit - envelope + 300);
    let e = ledger
        .append(&[Numbered { line: 7, event: parse_line(7, &over).unwrap() }], &actor, &clock)
        .expect_err("an event over the limit");
    let text = e.to_string();
    assert!(text.contains("line 7") && text.contains(&format!("at most {limit} bytes")), "{text}");
    assert_eq!(ledger.head().unwrap().seq, Seq::new(127));
    drop(ledger);
    let ledger = Ledger::open(&path).expect("reopens");
    assert_eq!(ledger.head().unwrap().seq, Seq::new(127));
}
