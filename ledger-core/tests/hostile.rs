//! Hostile input: every parser of outside data in the core — input events (`input::read_batch`,
//! `input::parse_value`), checkpoints (`Checkpoint::parse`) and bundles (`bundle::verify`) — fed
//! arbitrary bytes, token grammars, well-formed but wrong events and mutations of real files. Each
//! must return, without panicking, either a value or an error that says where and why; each input
//! limit of `validate::limits` is tested at its boundary, with its own message. (The list
//! importers have their own, in `ledger-import/tests/hostile.rs`.)
//!
//! Property tests run with proptest at a fixed seed and case count and without failure files, so
//! a run is deterministic and bounded. Generated inputs are bounded: at most a few hundred KB (a
//! 100 KiB string). The fixed inputs of the other tests are at most 7 MB, and their 48–50 MiB
//! lines are produced lazily by a reader that counts what is taken.

use std::io::{BufRead, Read};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ledger_core::bundle::{self, BundleError, Checks, Verified};
use ledger_core::chain::{self, Hash};
use ledger_core::checkpoint::{Checkpoint, NoteSignature, SignerKey, VerifierKey};
use ledger_core::event::{Event, FORMAT_VERSION, Genesis, InputEvent, Retraction};
use ledger_core::input::{self, LineError, Numbered, ReadError};
use ledger_core::merkle::{self, Leaves};
use ledger_core::seq::Seq;
use ledger_core::time::{FixedClock, Timestamp};
use ledger_core::validate::limits;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::TestCaseError;
use serde_json::{Map, Value, json};

// The mutations of real files, shared with the importers' hostile tests.
mod common;
use common::mutations::{Op, config, mutate, op};

/// 38 real designations as input events.
const EXAMPLES: &str = include_str!("../../examples/uk-gim-2025.jsonl");

/// A valid designation, one line.
const GOOD: &str = r#"{"type":"designation","authority":"UK","id":"GIM0030","effective":"2025-10-22","regime":{"code":"GIM"},"subject":{"kind":"entity","names":[{"name":"ALPA TRADING FZCO","type":"primary"}]},"measures":["asset_freeze"]}"#;

/// The largest integer the canonical form accepts (2^53 − 1).
const MAX_SAFE: i64 = (1 << 53) - 1;

// ================================================================================================
// 1. read_batch on arbitrary input, against a line-by-line model

/// What `read_batch` must return, worked out without its reader: each line (split at `\n`, the
/// last one without it) is refused when longer than the limit or not UTF-8, skipped when blank
/// (after one byte-order mark), else parsed on its own by `parse_line`. The first refused line
/// stops the batch.
fn batch_by_lines(bytes: &[u8]) -> Result<Vec<Numbered<InputEvent>>, usize> {
    let mut segments: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if segments.last().is_some_and(|s| s.is_empty()) {
        segments.pop();
    }
    let mut events = Vec::new();
    for (i, segment) in segments.into_iter().enumerate() {
        let line = i + 1;
        if segment.len() > limits::MAX_LINE_BYTES {
            return Err(line);
        }
        let Ok(text) = std::str::from_utf8(segment) else { return Err(line) };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.trim().is_empty() {
            continue;
        }
        match input::parse_line(line, text) {
            Ok(event) => events.push(Numbered { line, event }),
            Err(_) => return Err(line),
        }
    }
    Ok(events)
}

/// `read_batch` never panics and agrees with [`batch_by_lines`]: the same events with the same
/// line numbers, or a refusal naming the same line (≥ 1, within the input) with a reason.
fn check_read_batch(bytes: &[u8]) -> Result<(), TestCaseError> {
    let lines = bytes.split(|&b| b == b'\n').count();
    match (input::read_batch(bytes), batch_by_lines(bytes)) {
        (Ok(got), Ok(want)) => prop_assert_eq!(got, want),
        (Err(ReadError::Line(e)), Err(line)) => {
            prop_assert_eq!(e.line, line, "{}", e);
            prop_assert!(e.line >= 1 && e.line <= lines, "line {} of {}", e.line, lines);
            prop_assert!(!e.reason.trim().is_empty(), "{:?}", e);
            prop_assert!(e.field.as_deref() != Some(""), "an empty field name: {:?}", e);
            let shown = e.to_string();
            prop_assert!(shown.starts_with(&format!("line {line}")), "{}", shown);
        }
        (got, want) => prop_assert!(false, "read_batch gave {:?}, line by line {:?}", got, want),
    }
    Ok(())
}

/// Pieces of bytes that matter to a line reader.
fn byte_piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => any::<u8>().prop_map(|b| vec![b]),
        2 => Just(b"\n".to_vec()),
        1 => Just(b"\r\n".to_vec()),
        1 => Just("\u{feff}".as_bytes().to_vec()),
        1 => Just(vec![0xef, 0xbb]),
        1 => Just(vec![0xff]),
        1 => Just(vec![0xc3]),
        1 => Just(vec![0xed, 0xa0, 0x80]),
        1 => Just(b" \t".to_vec()),
        1 => Just(b"{}".to_vec()),
        1 => Just(b"\"".to_vec()),
        1 => Just(GOOD.as_bytes().to_vec()),
    ]
}

/// Tokens of a JSON-ish grammar, close to input events.
#[rustfmt::skip]
const JSON_TOKENS: &[&str] = &[
    "{", "}", "[", "]", ",", ":", "\"", " ", "\n", "\r\n", "\u{feff}", "true", "false", "null", "0", "1", "-1", "1.5",
    "-0", "1e400", "9007199254740992", "18446744073709551616", "-9007199254740992", "\"type\"", "\"designation\"",
    "\"amendment\"", "\"delisting\"", "\"retraction\"", "\"genesis\"", "\"authority\"", "\"UK\"", "\"uk\"", "\"id\"",
    "\"GIM0030\"", "\"a/b\"", "\"effective\"", "\"2025-10-22\"", "\"2025-02-30\"", "\"2025-10-22T10:00:00Z\"",
    "\"regime\"", "\"code\"", "\"GIM\"", "\"subject\"", "\"kind\"", "\"entity\"", "\"individual\"", "\"names\"",
    "\"name\"", "\"primary\"", "\"alias\"", "\"measures\"", "\"asset_freeze\"", "\"patch\"", "\"target\"",
    "\"reason\"", "\"other\"", "\"note\"", "\"published\"", "\"\"", "\" \"", "\"\\u0000\"", "\"\\ud800\"",
    "\"\\udc00\\ud800\"", "\"\\\"", "\"\\x\"", "\"é\"", "\"\u{0}\"", "\u{2028}", "/*", "//",
];

/// Lines of JSON-ish tokens.
fn json_token_text() -> impl Strategy<Value = String> {
    let line = proptest::collection::vec(select(JSON_TOKENS), 0..48).prop_map(|t| t.concat());
    proptest::collection::vec(line, 1..5).prop_map(|lines| lines.join("\n"))
}

/// Member names of input events.
#[rustfmt::skip]
const KEYS: &[&str] = &[
    "type", "authority", "id", "effective", "regime", "code", "name", "subject", "kind", "names", "measures",
    "reason", "patch", "target", "other", "note", "published", "source", "url", "dates_of_birth", "date", "to",
    "identifiers", "value", "approximate", "quality", "import", "format", "x",
];

/// Scalars, right and wrong, for input events.
#[rustfmt::skip]
const SCALARS: &[&str] = &[
    "true", "false", "null", "0", "1", "-1", "1.5", "1e400", "9007199254740992", "\"designation\"", "\"amendment\"",
    "\"delisting\"", "\"retraction\"", "\"UK\"", "\"uk\"", "\"GIM0030\"", "\"2025-10-22\"", "\"2025-02-30\"",
    "\"2025-10-22T10:00:00+01:00\"", "\"1975-03\"", "\"primary\"", "\"alias\"", "\"entity\"", "\"ship\"",
    "\"asset_freeze\"", "\"Asset freeze\"", "\"GIM\"", "\"\"", "\" \"", "\"\\u0000\"", "\"\\ud800\"", "\"a/b\"",
    "\"\u{2028}\"",
];

/// Separators between members and items: mostly right.
const SEPARATORS: &[&str] = &[",", ",", ",", ",", ",", ",", ", ", "\n,", "", ",,", ":"];

/// JSON-ish text with the structure of input events: objects of event member names, arrays and
/// scalars, the top level an object with a `type`, separators now and then wrong.
fn json_ish_text() -> impl Strategy<Value = String> {
    let value = select(SCALARS).prop_map(str::to_owned).prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            (proptest::collection::vec((select(KEYS), inner.clone(), select(SEPARATORS)), 0..6)).prop_map(|members| {
                let mut s = String::from("{");
                for (i, (k, v, sep)) in members.iter().enumerate() {
                    if i > 0 {
                        s.push_str(sep);
                    }
                    s.push_str(&format!("\"{k}\":{v}"));
                }
                s.push('}');
                s
            }),
            proptest::collection::vec(inner, 0..5).prop_map(|items| format!("[{}]", items.join(","))),
        ]
    });
    let line = (
        select(&["designation", "amendment", "delisting", "retraction", "genesis", "Designation"][..]),
        proptest::collection::vec((select(KEYS), value), 0..8),
        select(SEPARATORS),
    )
        .prop_map(|(t, members, sep)| {
            let mut s = format!("{{\"type\":\"{t}\"");
            for (k, v) in members {
                s.push_str(sep);
                s.push_str(&format!("\"{k}\":{v}"));
            }
            s.push('}');
            s
        });
    proptest::collection::vec(line, 1..4).prop_map(|lines| lines.join("\n"))
}

/// One edit of a text: a deletion, an inserted token or a replaced byte.
#[derive(Debug, Clone)]
enum Edit {
    Delete(Index, usize),
    Insert(Index, &'static str),
    Byte(Index, u8),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<Index>(), 1usize..12).prop_map(|(i, n)| Edit::Delete(i, n)),
        (any::<Index>(), select(JSON_TOKENS)).prop_map(|(i, t)| Edit::Insert(i, t)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Byte(i, b)),
    ]
}

fn apply_edits(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = bytes.len();
        match e {
            Edit::Delete(i, n) if len > 0 => {
                let at = i.index(len);
                bytes.drain(at..(at + n).min(len));
            }
            Edit::Insert(i, t) => {
                let at = i.index(len + 1);
                bytes.splice(at..at, t.bytes());
            }
            Edit::Byte(i, b) if len > 0 => bytes[i.index(len)] = *b,
            _ => {}
        }
    }
    bytes
}

fn example_lines() -> Vec<&'static str> {
    EXAMPLES.lines().filter(|l| !l.trim().is_empty()).collect()
}

proptest! {
    #![proptest_config(config(10000, 0x5eed_0001))]

    /// Arbitrary bytes, up to 2 KiB.
    #[test]
    fn read_batch_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check_read_batch(&bytes)?;
    }

    /// Bytes built from pieces that matter to a line reader: line ends, byte-order marks, broken
    /// UTF-8 sequences, valid events.
    #[test]
    fn read_batch_line_pieces(pieces in proptest::collection::vec(byte_piece(), 0..64)) {
        check_read_batch(&pieces.concat())?;
    }
}

proptest! {
    #![proptest_config(config(4000, 0x5eed_0002))]

    /// Arbitrary UTF-8 lines (control characters included).
    #[test]
    fn read_batch_arbitrary_utf8(lines in proptest::collection::vec("[\\s\\S]{0,120}", 0..8)) {
        check_read_batch(lines.join("\n").as_bytes())?;
    }
}

proptest! {
    #![proptest_config(config(4000, 0x5eed_0003))]

    /// JSON-ish text from a grammar of tokens close to input events.
    #[test]
    fn read_batch_json_tokens(text in json_token_text()) {
        check_read_batch(text.as_bytes())?;
    }
}

proptest! {
    #![proptest_config(config(8000, 0x5eed_0010))]

    /// JSON-ish text with the structure of input events (objects of their member names, right
    /// and wrong scalars, a separator wrong now and then).
    #[test]
    fn read_batch_json_ish_events(text in json_ish_text()) {
        check_read_batch(text.as_bytes())?;
    }
}

proptest! {
    #![proptest_config(config(5000, 0x5eed_0004))]

    /// Real events with a few edits (deletions, inserted tokens, replaced bytes), between
    /// untouched ones.
    #[test]
    fn read_batch_edited_events(
        line in select(example_lines()),
        edits in proptest::collection::vec(edit(), 1..5),
        before in 0usize..3,
    ) {
        let mut bytes = Vec::new();
        for _ in 0..before {
            bytes.extend_from_slice(GOOD.as_bytes());
            bytes.push(b'\n');
        }
        bytes.extend(apply_edits(line.as_bytes().to_vec(), &edits));
        bytes.extend_from_slice(b"\n");
        bytes.extend_from_slice(GOOD.as_bytes());
        check_read_batch(&bytes)?;
    }
}

// ================================================================================================
// 2. Well-formed but wrong events (parse_value)

fn date() -> impl Strategy<Value = String> {
    (1900u32..=2999, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
}

fn effective() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => date(),
        1 => (date(), 0u32..24, 0u32..60, 0u32..60).prop_map(|(d, h, m, s)| format!("{d}T{h:02}:{m:02}:{s:02}Z")),
        1 => (date(), 0u32..24, 0u32..1_000_000).prop_map(|(d, h, us)| format!("{d}T{h:02}:30:00.{us:06}-01:00")),
    ]
}

fn authority() -> impl Strategy<Value = String> {
    "[A-Z0-9_-]{1,16}"
}

fn id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9é][A-Za-z0-9._:é-]{0,30}"
}

/// A non-blank text without leading or trailing whitespace.
fn text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9éЖ]([ -~éЖ]{0,30}[A-Za-z0-9éЖ.])?"
}

fn snake() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,20}"
}

/// A measure: a known code, or `custom:` and a snake_case code.
fn measure() -> impl Strategy<Value = String> {
    let known: Vec<String> = ledger_core::event::KNOWN_MEASURES.iter().map(|(c, _)| (*c).to_owned()).collect();
    prop_oneof![proptest::sample::select(known), snake().prop_map(|c| format!("custom:{c}"))]
}

fn partial_date() -> impl Strategy<Value = String> {
    (date(), 0usize..3).prop_map(|(d, cut)| d[..[4, 7, 10][cut]].to_owned())
}

fn leaf_json() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-MAX_SAFE..=MAX_SAFE).prop_map(Value::from),
        "[\\PC]{0,20}".prop_map(Value::from),
        proptest::collection::vec(-1000i64..1000, 0..3).prop_map(Value::from),
    ]
}

fn other_map() -> impl Strategy<Value = Value> {
    proptest::collection::btree_map("[a-z_]{1,10}", leaf_json(), 0..4)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

fn name() -> impl Strategy<Value = Value> {
    (text(), select(&["primary", "variation", "alias"][..]), proptest::option::of(select(&["good", "low"][..])))
        .prop_map(|(name, kind, quality)| {
            let mut n = json!({"name": name, "type": kind});
            if let Some(q) = quality {
                n["quality"] = json!(q);
            }
            n
        })
}

fn designation() -> impl Strategy<Value = Value> {
    let head = (authority(), id(), effective());
    let regime = ("[A-Za-z0-9_-]{1,32}", proptest::option::of(text()));
    let subject = (
        select(&["individual", "entity", "ship"][..]),
        proptest::collection::vec(name(), 1..4),
        proptest::collection::vec((partial_date(), any::<bool>()), 0..3),
        proptest::collection::vec((snake(), text()), 0..3),
        proptest::option::of(text()),
    );
    let rest = (
        proptest::collection::vec(measure(), 0..4),
        proptest::option::of(text()),
        proptest::option::of(other_map()),
        proptest::option::of(date()),
        proptest::option::of(text()),
    );
    (head, regime, subject, rest).prop_map(
        |((authority, id, effective), (code, regime_name), (kind, names, dobs, ids, title), rest)| {
            let (measures, reason, other, published, note) = rest;
            let mut subject = json!({"kind": kind, "names": names});
            if !dobs.is_empty() {
                subject["dates_of_birth"] =
                    dobs.iter().map(|(d, approx)| json!({"date": d, "approximate": approx})).collect();
            }
            if !ids.is_empty() {
                subject["identifiers"] = ids.iter().map(|(k, v)| json!({"kind": k, "value": v})).collect();
            }
            if let Some(t) = title {
                subject["title"] = json!(t);
            }
            let mut regime = json!({"code": code});
            if let Some(n) = regime_name {
                regime["name"] = json!(n);
            }
            let mut v = json!({
                "type": "designation", "authority": authority, "id": id, "effective": effective,
                "regime": regime, "subject": subject,
            });
            if !measures.is_empty() {
                v["measures"] = json!(measures);
            }
            for (k, x) in
                [("reason", reason.map(Value::from)), ("other", other), ("published", published.map(Value::from))]
            {
                if let Some(x) = x {
                    v[k] = x;
                }
            }
            if let Some(n) = note {
                v["note"] = json!(n);
            }
            v
        },
    )
}

fn amendment() -> impl Strategy<Value = Value> {
    let patch_member = prop_oneof![
        proptest::collection::vec(measure(), 0..3).prop_map(|m| ("measures", json!(m))),
        text().prop_map(|r| ("reason", json!(r))),
        Just(("reason", Value::Null)),
        other_map().prop_map(|o| ("other", o)),
        Just(("other", Value::Null)),
        "[A-Z]{1,8}".prop_map(|c| ("regime", json!({"code": c}))),
        text().prop_map(|u| ("source", json!({"url": u}))),
    ];
    (authority(), id(), effective(), proptest::collection::vec(patch_member, 1..4), proptest::option::of(text()))
        .prop_map(|(authority, id, effective, members, reason)| {
            let patch: Map<String, Value> = members.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            let mut v =
                json!({"type": "amendment", "authority": authority, "id": id, "effective": effective, "patch": patch});
            if let Some(r) = reason {
                v["reason"] = json!(r);
            }
            v
        })
}

fn delisting() -> impl Strategy<Value = Value> {
    (authority(), id(), effective(), proptest::option::of(text()), proptest::option::of(date())).prop_map(
        |(authority, id, effective, reason, published)| {
            let mut v = json!({"type": "delisting", "authority": authority, "id": id, "effective": effective});
            if let Some(r) = reason {
                v["reason"] = json!(r);
            }
            if let Some(p) = published {
                v["published"] = json!(p);
            }
            v
        },
    )
}

fn retraction() -> impl Strategy<Value = Value> {
    (1..=MAX_SAFE as u64, text(), proptest::option::of(text())).prop_map(|(target, reason, note)| {
        let mut v = json!({"type": "retraction", "target": target, "reason": reason});
        if let Some(n) = note {
            v["note"] = json!(n);
        }
        v
    })
}

fn example_values() -> Vec<Value> {
    example_lines().into_iter().map(|l| serde_json::from_str(l).expect("the examples are JSON")).collect()
}

/// A valid input event of any type, generated or one of the examples.
fn valid_event() -> impl Strategy<Value = Value> {
    prop_oneof![
        2 => designation(),
        1 => select(example_values()),
        1 => amendment(),
        1 => delisting(),
        1 => retraction(),
    ]
}

/// The designation key `parse_value` names in its errors: `AUTHORITY/ID` when both are strings.
fn key_of(v: &Value) -> Option<String> {
    Some(format!("{}/{}", v.get("authority")?.as_str()?, v.get("id")?.as_str()?))
}

/// A way to make a valid event wrong.
#[derive(Debug, Clone)]
enum Wrong {
    /// Drop a required field (top-level or nested).
    Drop(Index),
    /// Add an unknown member `colour` (top-level or nested).
    Unknown(Index),
    /// Give a required field a value of another JSON type.
    Type(Index, Index),
    /// Put a floating-point number (or an integer beyond 2^53 − 1) where any value goes.
    Float(Index),
    /// A 100 KiB string.
    Huge,
    /// Nesting this many arrays deep.
    Deep(usize),
    /// A wrong date or instant.
    Date(Index, bool),
    /// The authority in lowercase.
    LowerAuthority,
    /// A designation with no names.
    NoNames,
    /// A patch touching the key.
    PatchKey(bool),
    /// An unknown `type`.
    EventType(Index),
    /// A malformed id.
    Id(Index),
    /// A measure that is not a snake_case code.
    Measure(Index),
    /// Not a JSON object at all.
    NotObject(Index),
    /// A retraction of the genesis event, or a blank reason.
    Retraction(bool),
}

fn wrong() -> impl Strategy<Value = Wrong> {
    prop_oneof![
        any::<Index>().prop_map(Wrong::Drop),
        any::<Index>().prop_map(Wrong::Unknown),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Wrong::Type(a, b)),
        any::<Index>().prop_map(Wrong::Float),
        Just(Wrong::Huge),
        (20usize..=100).prop_map(Wrong::Deep),
        (any::<Index>(), any::<bool>()).prop_map(|(i, p)| Wrong::Date(i, p)),
        Just(Wrong::LowerAuthority),
        Just(Wrong::NoNames),
        any::<bool>().prop_map(Wrong::PatchKey),
        any::<Index>().prop_map(Wrong::EventType),
        any::<Index>().prop_map(Wrong::Id),
        any::<Index>().prop_map(Wrong::Measure),
        any::<Index>().prop_map(Wrong::NotObject),
        any::<bool>().prop_map(Wrong::Retraction),
    ]
}

/// What the refusal of a wrong event must say.
#[derive(Debug, Default)]
struct Expect {
    /// The field it must name.
    field: Option<String>,
    /// A prefix of the field it must name.
    field_prefix: Option<String>,
    /// Either the field is this, or the reason names it (for errors that carry no field).
    field_or_reason: Option<String>,
    /// Words the reason must contain.
    reason: Vec<String>,
    /// Whether the error must name the key as `parse_value` reads it (false for non-objects).
    keyed: bool,
}

impl Expect {
    fn field(f: &str, words: &[&str]) -> Self {
        Expect { field: Some(f.into()), reason: words.iter().map(|w| (*w).to_owned()).collect(), ..Self::default() }
    }
    fn reason(words: &[&str]) -> Self {
        Expect { reason: words.iter().map(|w| (*w).to_owned()).collect(), ..Self::default() }
    }
}

/// The JSON pointer of a display path (`subject.names[0].name` → `/subject/names/0/name`).
fn pointer(path: &str) -> String {
    let mut p = String::new();
    for part in path.split('.') {
        let (name, index) = part.split_once('[').map_or((part, None), |(n, i)| (n, Some(i.trim_end_matches(']'))));
        p.push('/');
        p.push_str(name);
        if let Some(i) = index {
            p.push('/');
            p.push_str(i);
        }
    }
    p
}

fn set(v: &mut Value, path: &str, x: Value) {
    let (parent, last) = match path.rsplit_once('.') {
        Some((parent, last)) => (pointer(parent), last),
        None => (String::new(), path),
    };
    match v.pointer_mut(&parent) {
        Some(Value::Object(m)) => {
            m.insert(last.to_owned(), x);
        }
        Some(_) | None => panic!("no object at {parent} in {v}"),
    }
}

fn remove(v: &mut Value, path: &str) {
    let (parent, last) = match path.rsplit_once('.') {
        Some((parent, last)) => (pointer(parent), last),
        None => (String::new(), path),
    };
    if let Some(Value::Object(m)) = v.pointer_mut(&parent) {
        m.remove(last);
    }
}

/// Required fields by event type: (display path, the JSON type it must have).
fn required(kind: &str) -> &'static [(&'static str, &'static str)] {
    match kind {
        "designation" => &[
            ("type", "string"),
            ("authority", "string"),
            ("id", "string"),
            ("effective", "string"),
            ("regime", "object"),
            ("regime.code", "string"),
            ("subject", "object"),
            ("subject.kind", "string"),
            ("subject.names", "array"),
            ("subject.names[0].name", "string"),
            ("subject.names[0].type", "string"),
        ],
        "amendment" => &[
            ("type", "string"),
            ("authority", "string"),
            ("id", "string"),
            ("effective", "string"),
            ("patch", "object"),
        ],
        "delisting" => &[("type", "string"), ("authority", "string"), ("id", "string"), ("effective", "string")],
        _ => &[("type", "string"), ("target", "integer"), ("reason", "string")],
    }
}

/// Makes the valid event `v` wrong; returns what its refusal must say.
fn make_wrong(v: &mut Value, w: &Wrong) -> Expect {
    let kind = v["type"].as_str().unwrap_or_default().to_owned();
    let keyed = kind != "retraction";
    let mut expect = match w {
        Wrong::Drop(i) => {
            let fields = required(&kind);
            let (path, _) = fields[i.index(fields.len())];
            remove(v, path);
            let last = path.rsplit('.').next().unwrap_or(path).split('[').next().unwrap_or(path);
            Expect::reason(&[&format!("missing field `{last}`")])
        }
        Wrong::Unknown(i) => {
            let places: &[&str] = match kind.as_str() {
                "designation" => &["", "regime", "subject", "subject.names[0]"],
                _ => &[""],
            };
            let place = places[i.index(places.len())];
            let path = if place.is_empty() { "colour".to_owned() } else { format!("{place}.colour") };
            set(v, &path, json!(1));
            Expect::reason(&["unknown field `colour`"])
        }
        Wrong::Type(i, j) => {
            let fields = required(&kind);
            let (path, json_type) = fields[i.index(fields.len())];
            let wrongs: Vec<Value> = match json_type {
                "string" => vec![json!(1), json!(true), Value::Null, json!([]), json!({})],
                "object" => vec![json!(1), json!("x"), json!([]), json!(true), Value::Null],
                "array" => vec![json!(1), json!("x"), json!({}), json!(true), Value::Null],
                _ => vec![json!("1"), json!(-1), json!(true), Value::Null, json!([]), json!({})],
            };
            set(v, path, wrongs[j.index(wrongs.len())].clone());
            Expect::field(path, &[])
        }
        Wrong::Float(i) => {
            let numbers = [json!(0.5), json!(-1.5), json!(1e300), json!(-0.0), json!(9_007_199_254_740_992u64)];
            let n = numbers[i.index(numbers.len())].clone();
            let path = match kind.as_str() {
                "designation" => "other.score",
                "amendment" => "patch.other",
                _ => "note",
            };
            if kind == "designation" && !v["other"].is_object() {
                v["other"] = json!({});
            }
            set(v, path, n);
            Expect { field_or_reason: Some(path.to_owned()), ..Expect::default() }
        }
        Wrong::Huge => {
            let path = if kind == "designation" { "subject.names[0].name" } else { "reason" };
            set(v, path, json!("x".repeat(100 << 10)));
            Expect::field(path, &[&limits::MAX_STRING_BYTES.to_string(), "bytes"])
        }
        Wrong::Deep(n) => {
            let path = if kind == "designation" { "other" } else { "note" };
            let deep = (0..*n).fold(json!(1), |x, _| json!([x]));
            set(v, path, if path == "other" { json!({"deep": deep}) } else { deep });
            Expect {
                field_prefix: Some(path.to_owned()),
                reason: vec![format!("nested deeper than {} levels", limits::MAX_DEPTH)],
                ..Expect::default()
            }
        }
        Wrong::Date(i, published) => {
            let bad = [
                "2025-02-30",
                "22/10/2025",
                "2025-1-1",
                "1899-12-31",
                "3000-01-01",
                "2025-10-22T25:00:00Z",
                "2025-10-22T10:00:00.0000001Z",
                "",
                " 2025-10-22",
                "+2025-10-22",
                "２０２５-10-22",
                "2025-10-22T10:00:00",
            ];
            let path = if *published || kind == "retraction" { "published" } else { "effective" };
            let b = bad[i.index(bad.len())];
            // A date-time is a valid `effective` only; as `published` every form here is wrong.
            set(v, path, json!(b));
            Expect::field(path, &[])
        }
        Wrong::LowerAuthority if keyed => {
            let a = v["authority"].as_str().unwrap_or_default().to_lowercase();
            let a = if a.bytes().any(|b| b.is_ascii_lowercase()) { a } else { format!("{a}x") };
            v["authority"] = json!(a);
            Expect::field("authority", &["authority"])
        }
        Wrong::NoNames if kind == "designation" => {
            v["subject"]["names"] = json!([]);
            Expect::field("subject.names", &["at least one name"])
        }
        Wrong::PatchKey(id) if kind == "amendment" => {
            let k = if *id { "id" } else { "authority" };
            v["patch"][k] = json!("X1");
            Expect::field(&format!("patch.{k}"), &["cannot change the designation's key"])
        }
        Wrong::EventType(i) => {
            let types = ["Designation", "designatoin", "genesis", "", "amendments", " delisting", "RETRACTION"];
            let t = types[i.index(types.len())];
            v["type"] = json!(t);
            Expect::field("type", &["unknown event type"])
        }
        Wrong::Id(i) if keyed => {
            let long = "x".repeat(65);
            let ids = ["", "a b", "a/b", long.as_str(), "\u{0}", "ID\n", "\u{2028}"];
            v["id"] = json!(ids[i.index(ids.len())]);
            Expect::field("id", &["id"])
        }
        Wrong::Measure(i) if kind == "designation" => {
            let long = "x".repeat(65);
            let bad =
                ["Asset freeze", "asset-freeze", "", "1x", long.as_str(), "ASSET_FREEZE", "_x", "port_ban", "custom:X"];
            v["measures"] = json!([bad[i.index(bad.len())]]);
            Expect::field("measures[0]", &["snake_case"])
        }
        Wrong::NotObject(i) => {
            let others = [json!([v.clone()]), json!("designation"), json!(1), Value::Null, json!(true)];
            *v = others[i.index(others.len())].clone();
            return Expect { keyed: false, ..Expect::reason(&["must be a JSON object"]) };
        }
        Wrong::Retraction(genesis) if kind == "retraction" => {
            if *genesis {
                v["target"] = json!(0);
                Expect::field("target", &["genesis"])
            } else {
                v["reason"] = json!(" \t");
                Expect::field("reason", &["empty"])
            }
        }
        // Not applicable to this type: an unknown top-level member instead.
        _ => {
            v["colour"] = json!("red");
            Expect::reason(&["unknown field `colour`"])
        }
    };
    expect.keyed = true;
    expect
}

const LINE: usize = 7;

fn check_refusal(v: &Value, e: &LineError, expect: &Expect) -> Result<(), TestCaseError> {
    prop_assert_eq!(e.line, LINE);
    prop_assert!(!e.reason.trim().is_empty(), "{:?}", e);
    prop_assert!(e.field.as_deref() != Some(""), "an empty field name: {:?}", e);
    if let Some(f) = &expect.field {
        prop_assert_eq!(e.field.as_deref(), Some(f.as_str()), "{}", e);
    }
    if let Some(f) = &expect.field_prefix {
        prop_assert!(e.field.as_deref().is_some_and(|x| x.starts_with(f.as_str())), "{}", e);
    }
    if let Some(f) = &expect.field_or_reason {
        prop_assert!(e.field.as_deref() == Some(f.as_str()) || e.reason.contains(f.as_str()), "{}", e);
    }
    for word in &expect.reason {
        prop_assert!(e.reason.contains(word.as_str()), "{:?} lacks {:?}", e, word);
    }
    prop_assert_eq!(e.key.clone(), if expect.keyed { key_of(v) } else { None }, "{}", e);
    Ok(())
}

proptest! {
    #![proptest_config(config(3000, 0x5eed_0005))]

    /// Valid events are accepted, by `parse_value` and in a batch, and survive a round trip.
    #[test]
    fn valid_events_are_accepted(events in proptest::collection::vec(valid_event(), 1..4)) {
        let mut text = String::new();
        for v in &events {
            let event = input::parse_value(LINE, v.clone());
            prop_assert!(event.is_ok(), "{} refused: {}", v, event.err().map(|e| e.to_string()).unwrap_or_default());
            let event = event.expect("checked above");
            let again = serde_json::to_value(&event).expect("events serialize");
            prop_assert_eq!(input::parse_value(LINE, again).ok(), Some(event));
            text.push_str(&serde_json::to_string(v).expect("values serialize"));
            text.push_str("\n\n");
        }
        let batch = input::read_batch(text.as_bytes());
        prop_assert!(batch.is_ok(), "{:?}", batch);
        let lines: Vec<usize> = batch.expect("checked above").iter().map(|n| n.line).collect();
        prop_assert_eq!(lines, (0..events.len()).map(|i| 2 * i + 1).collect::<Vec<_>>());
    }
}

proptest! {
    #![proptest_config(config(10000, 0x5eed_0006))]

    /// Each wrong event is refused with a reason, the line, the key, and the field to blame;
    /// the same refusal comes from `read_batch` (on line 2, after a good line).
    #[test]
    fn wrong_events_are_refused_clearly(v in valid_event(), w in wrong()) {
        let mut v = v;
        let expect = make_wrong(&mut v, &w);
        let e = match input::parse_value(LINE, v.clone()) {
            Ok(event) => return Err(TestCaseError::fail(format!("{w:?} accepted: {event:?}"))),
            Err(e) => e,
        };
        check_refusal(&v, &e, &expect)?;
        let text = format!("{GOOD}\n{}\n", serde_json::to_string(&v).expect("values serialize"));
        match input::read_batch(text.as_bytes()) {
            Err(ReadError::Line(b)) => prop_assert_eq!(b, LineError { line: 2, ..e }),
            other => prop_assert!(false, "read_batch: {:?}", other),
        }
    }
}

/// Arbitrary JSON values, floats and odd strings included.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "[\\s\\S]{0,16}".prop_map(Value::from),
        select(&["designation", "amendment", "UK", "2025-10-22", "primary", "asset_freeze", "", " "][..])
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z_]{0,8}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every JSON pointer in `v` below the root.
fn pointers(v: &Value, at: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(x, &p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(x, &p, out);
            }
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(config(10000, 0x5eed_0007))]

    /// A random member of a valid event replaced by an arbitrary value, or removed: never a
    /// panic; a refusal names the line and a reason, and its field (if any) starts with a member
    /// of the event; an accepted event survives a round trip.
    #[test]
    fn replaced_members_never_panic(v in valid_event(), at in any::<Index>(), x in proptest::option::of(any_json())) {
        let mut v = v;
        let mut all = Vec::new();
        pointers(&v, "", &mut all);
        let p = all[at.index(all.len())].clone();
        let (parent, last) = p.rsplit_once('/').expect("pointers start with /");
        match (v.pointer_mut(parent), x) {
            (Some(Value::Object(m)), Some(x)) => { m.insert(last.replace("~1", "/").replace("~0", "~"), x); }
            (Some(Value::Object(m)), None) => { m.remove(&last.replace("~1", "/").replace("~0", "~")); }
            (Some(Value::Array(a)), Some(x)) => { a[last.parse::<usize>().expect("an index")] = x; }
            (Some(Value::Array(a)), None) => { a.remove(last.parse::<usize>().expect("an index")); }
            _ => unreachable!("the parent of a pointer is a container"),
        }
        match input::parse_value(LINE, v.clone()) {
            Ok(event) => {
                let again = serde_json::to_value(&event).expect("events serialize");
                prop_assert_eq!(input::parse_value(LINE, again).ok(), Some(event));
            }
            Err(e) => {
                prop_assert_eq!(e.line, LINE);
                prop_assert!(!e.reason.trim().is_empty(), "{:?}", e);
                prop_assert_eq!(e.key.clone(), key_of(&v));
                if let Some(f) = &e.field {
                    let top = f.split(['.', '[']).next().unwrap_or_default();
                    prop_assert!(v.get(top).is_some() || top == "type", "field {:?} of {}", f, v);
                }
            }
        }
    }
}

/// One example of each kind of wrong event, spelled out.
#[test]
fn each_kind_of_wrong_event_names_its_field() {
    let good: Value = serde_json::from_str(GOOD).expect("GOOD is JSON");
    let with = |change: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        change(&mut v);
        v
    };
    let deep = (0..40).fold(json!(1), |x, _| json!([x]));
    let cases: Vec<(Value, Option<&str>, &str)> = vec![
        (with(&|v| remove(v, "effective")), None, "missing field `effective`"),
        (with(&|v| v["colour"] = json!(1)), Some("colour"), "unknown field `colour`"),
        (with(&|v| v["effective"] = json!(20251022)), Some("effective"), "invalid type"),
        // The path is in the reason only (`$.other.score`): the error names no field.
        (with(&|v| v["other"] = json!({"score": 0.5})), None, "other.score` is a floating-point"),
        (with(&|v| v["reason"] = json!("x".repeat(100 << 10))), Some("reason"), "exceeds the limit of 65536 bytes"),
        (
            with(&|v| v["other"] = json!({ "d": deep.clone() })),
            Some("other.d[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"),
            "nested deeper than 16 levels",
        ),
        (with(&|v| v["effective"] = json!("2025-02-30")), Some("effective"), "not a date"),
        (with(&|v| v["authority"] = json!("uk")), Some("authority"), "A-Z"),
        (with(&|v| v["subject"]["names"] = json!([])), Some("subject.names"), "at least one name"),
        (
            json!({"type": "amendment", "authority": "UK", "id": "X1", "effective": "2025-01-01", "patch": {"id": "X2"}}),
            Some("patch.id"),
            "cannot change",
        ),
        (json!({"type": "retraction", "target": 0, "reason": "typo"}), Some("target"), "genesis"),
    ];
    for (v, field, reason) in cases {
        let e = input::parse_value(1, v.clone()).expect_err("a wrong event");
        assert_eq!(e.field.as_deref(), field, "{e} (from {v})");
        assert!(e.reason.contains(reason), "{e} lacks {reason:?}");
    }
}

// ================================================================================================
// 3. The limits, each at its boundary

fn line_error(bytes: &[u8]) -> LineError {
    match input::read_batch(bytes) {
        Err(ReadError::Line(e)) => e,
        other => panic!("expected a line error, got {other:?}"),
    }
}

/// A valid event padded with spaces to exactly `len` bytes.
fn padded(len: usize) -> String {
    format!("{GOOD}{}", " ".repeat(len - GOOD.len()))
}

#[test]
fn limit_line_length() {
    let max = limits::MAX_LINE_BYTES;
    // Exactly at the limit: accepted, with or without its line end.
    assert_eq!(input::read_batch(format!("{}\n", padded(max)).as_bytes()).expect("a line at the limit").len(), 1);
    assert_eq!(input::read_batch(padded(max).as_bytes()).expect("a last line at the limit").len(), 1);
    // One byte over, on line 3: refused, naming the limit.
    let text = format!("{GOOD}\n\n{}\n{GOOD}\n", padded(max + 1));
    let e = line_error(text.as_bytes());
    assert_eq!(e.line, 3);
    assert_eq!(e.reason, format!("line longer than the limit of {max} bytes"), "{e}");
    assert_eq!(e.field, None);
    // A line end of \r\n: the \r counts.
    let e = line_error(format!("{}\r\n", padded(max)).as_bytes());
    assert!(e.reason.contains("longer than the limit"), "{e}");
}

#[test]
fn limit_string_size() {
    let max = limits::MAX_STRING_BYTES;
    let retraction = |reason: String| json!({"type": "retraction", "target": 3, "reason": reason});
    input::parse_value(1, retraction("x".repeat(max))).expect("a string at the limit");
    let e = input::parse_value(1, retraction("x".repeat(max + 1))).expect_err("one byte over");
    assert_eq!(e.field.as_deref(), Some("reason"));
    assert_eq!(e.reason, format!("string of {} bytes exceeds the limit of {max} bytes", max + 1));
    // Bytes, not characters.
    let e = input::parse_value(1, retraction("é".repeat(max / 2 + 1))).expect_err("multi-byte over");
    assert!(e.reason.contains("exceeds the limit"), "{e}");
    // Deep inside, the path names the string.
    let mut v: Value = serde_json::from_str(GOOD).expect("GOOD is JSON");
    v["subject"]["names"][0]["name"] = json!("N".repeat(max + 1));
    let e = input::parse_value(1, v).expect_err("a long name");
    assert_eq!(e.field.as_deref(), Some("subject.names[0].name"));
    // Member names are strings too. (The message does not state the limit.)
    let mut v: Value = serde_json::from_str(GOOD).expect("GOOD is JSON");
    let long_name: Map<String, Value> = std::iter::once(("k".repeat(max + 1), json!(1))).collect();
    v["other"] = Value::Object(long_name);
    let e = input::parse_value(1, v).expect_err("a long member name");
    assert_eq!(e.field.as_deref(), Some("other"));
    assert!(e.reason.contains("member name"), "{e}");
}

/// `other` nested so that its innermost scalar is at `depth` (the event object is depth 0).
fn nested_other(depth: usize) -> Value {
    let mut v: Value = serde_json::from_str(GOOD).expect("GOOD is JSON");
    // `other` is depth 1, `other.x` depth 2: arrays take the scalar the rest of the way.
    v["other"] = json!({ "x": (2..depth).fold(json!(1), |x, _| json!([x])) });
    v
}

#[test]
fn limit_nesting_depth() {
    let max = limits::MAX_DEPTH;
    input::parse_value(1, nested_other(max)).expect("nesting at the limit");
    let e = input::parse_value(1, nested_other(max + 1)).expect_err("one level over");
    assert_eq!(e.reason, format!("nested deeper than {max} levels"));
    assert!(e.field.as_deref().is_some_and(|f| f.starts_with("other.x[0]")), "{e}");
    // Through the reader, up to serde_json's own recursion limit (128), the same message.
    let line = serde_json::to_string(&nested_other(100)).expect("serializes");
    assert!(line_error(line.as_bytes()).reason.contains("nested deeper than"));
}

#[test]
fn read_batch_survives_nesting_far_beyond_the_limit() {
    // 100,000 levels: serde_json's recursion limit refuses it before anything recurses that deep.
    // The message says "malformed JSON ... recursion limit exceeded" rather than the depth limit.
    for open in ["[", "{\"a\":"] {
        let line = format!("{{\"type\":\"designation\",\"other\":{}", open.repeat(100_000));
        let e = line_error(line.as_bytes());
        assert_eq!(e.line, 1);
        assert!(e.reason.contains("recursion limit") || e.reason.contains("nested deeper"), "{e}");
    }
}

#[test]
fn limit_items() {
    let max = limits::MAX_ITEMS;
    let with_other = |other: Value| {
        let mut v: Value = serde_json::from_str(GOOD).expect("GOOD is JSON");
        v["other"] = other;
        v
    };
    input::parse_value(1, with_other(json!({ "list": vec![0; max] }))).expect("an array at the limit");
    let e = input::parse_value(1, with_other(json!({ "list": vec![0; max + 1] }))).expect_err("one item over");
    assert_eq!(e.field.as_deref(), Some("other.list"));
    assert_eq!(e.reason, format!("more than {max} items"));

    let members = |n: usize| Value::Object((0..n).map(|i| (format!("k{i}"), json!(i))).collect());
    input::parse_value(1, with_other(members(max))).expect("an object at the limit");
    let e = input::parse_value(1, with_other(members(max + 1))).expect_err("one member over");
    assert_eq!(e.field.as_deref(), Some("other"));
    assert_eq!(e.reason, format!("more than {max} members"));

    let mut v: Value = serde_json::from_str(GOOD).expect("GOOD is JSON");
    v["subject"]["names"] = json!(vec![json!({"name": "N", "type": "alias"}); max + 1]);
    let e = input::parse_value(1, v).expect_err("too many names");
    assert_eq!(e.field.as_deref(), Some("subject.names"));
    assert!(e.reason.contains(&format!("more than {max} items")), "{e}");

    // At the top level the limit holds too. (The error names the field as "", the empty path
    // of the top-level object, rather than no field.)
    let mut top: Map<String, Value> = (0..=max).map(|i| (format!("k{i}"), json!(i))).collect();
    top.insert("type".into(), json!("designation"));
    let e = input::parse_value(1, Value::Object(top)).expect_err("too many members");
    assert_eq!(e.reason, format!("more than {max} members"));
}

// The batch limit (`MAX_BATCH_EVENTS`, 1,000,000 events) is not tested: reaching it takes a
// million parsed events in memory (about 45 MB of input and several hundred MB of events).

// ================================================================================================
// 5. Checkpoints and bundles

fn signer() -> SignerKey {
    SignerKey::from_seed("example.org/ledger", [7; 32])
}

/// A real signed checkpoint note.
fn real_note() -> String {
    let cp = Checkpoint {
        origin: "example.org/ledger".into(),
        size: 39,
        root: Hash([1; 32]),
        extensions: vec![Checkpoint::head_extension(Seq::new(38), &Hash([3; 32]))],
    };
    cp.sign(Some(&signer()))
}

#[rustfmt::skip]
const NOTE_TOKENS: &[&str] = &[
    "example.org/ledger", "39", "0", "01", "+1", "-1", "18446744073709551615", "18446744073709551616",
    "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=", "AAAA", "AQ==", "====", "head 38 ", "head x y", "\n", "\n\n",
    "\r\n", " ", "\u{2014} ", "\u{2014}", "—", "example.org/ledger AAAAAAA=",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
    "0303030303030303030303030303030303030303030303030303030303030303", "é", "\u{0}",
];

/// A note with the structure of a signed checkpoint: origin, size, root, extension lines, a
/// blank line and signature lines, each part right or wrong.
fn note_structure() -> impl Strategy<Value = String> {
    use base64::Engine;
    let b64 = |bytes: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(bytes);
    let origin = prop_oneof![Just("example.org/ledger".to_owned()), "[^\n]{0,20}"];
    let size = select(&["39", "0", "01", "+1", "-1", "18446744073709551615", "18446744073709551616", "", " 39"][..]);
    let root = prop_oneof![
        2 => Just(b64(vec![1; 32])),
        1 => proptest::collection::vec(any::<u8>(), 0..40).prop_map(b64),
        1 => select(&["", "AAAA", "not base64", "AQEB AQ==", "===="][..]).prop_map(str::to_owned),
    ];
    let extension = prop_oneof![
        Just(format!("head 38 {}", Hash([3; 32]))),
        "[ -~]{0,30}",
        Just(String::new()),
        Just("head x y".to_owned()),
    ];
    let signature = prop_oneof![
        3 => ("[ -~]{0,12}", proptest::collection::vec(any::<u8>(), 0..80))
            .prop_map(move |(name, blob)| format!("\u{2014} {name} {}", b64(blob))),
        1 => "[^\n]{0,20}",
    ];
    (
        origin,
        size,
        root,
        proptest::collection::vec(extension, 0..3),
        proptest::collection::vec(signature, 0..3),
        any::<bool>(),
    )
        .prop_map(|(origin, size, root, extensions, signatures, crlf)| {
            let mut lines = vec![origin, size.to_owned(), root];
            lines.extend(extensions);
            lines.push(String::new());
            lines.extend(signatures);
            let end = if crlf { "\r\n" } else { "\n" };
            let mut note = lines.join(end);
            note.push_str(end);
            note
        })
}

fn note_text() -> impl Strategy<Value = String> {
    prop_oneof![
        note_structure(),
        "[\\s\\S]{0,200}",
        proptest::collection::vec(select(NOTE_TOKENS), 0..24).prop_map(|t| t.concat()),
        (proptest::collection::vec(edit(), 1..4))
            .prop_map(|e| { String::from_utf8_lossy(&apply_edits(real_note().into_bytes(), &e)).into_owned() }),
    ]
}

fn check_note(note: &str) -> Result<(), TestCaseError> {
    let key = signer().verifier();
    match Checkpoint::parse(note) {
        Ok((cp, sigs)) => {
            // Never a panic on verification, whatever the signature lines hold.
            let _ = key.verify(&cp, &sigs);
            let _ = cp.head();
            prop_assert!(!cp.origin.is_empty());
        }
        Err(e) => prop_assert!(!e.to_string().trim().is_empty()),
    }
    // The key formats are outside input too.
    let _ = VerifierKey::parse(note);
    let _ = SignerKey::parse(note);
    Ok(())
}

proptest! {
    #![proptest_config(config(8000, 0x5eed_000a))]

    /// `Checkpoint::parse` (and verification, and the key parsers) on arbitrary text, token
    /// soups and edited real notes.
    #[test]
    fn checkpoint_parse_never_panics(note in note_text()) {
        check_note(&note)?;
    }
}

/// A real ledger's bundle (genesis and the 38 example designations) and its checkpoints at
/// every size, signed.
struct RealBundle {
    bytes: Vec<u8>,
    older: Vec<(Checkpoint, Vec<NoteSignature>)>,
}

fn real_bundle() -> &'static RealBundle {
    static BUNDLE: OnceLock<RealBundle> = OnceLock::new();
    BUNDLE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let clock = FixedClock::new(1_750_000_000_000_000);
        let ledger = ledger_core::Ledger::init(&dir.path().join("l.sled"), "example.org/ledger", "alice", &clock)
            .expect("a new ledger");
        let batch = input::read_batch(EXAMPLES.as_bytes()).expect("the examples");
        ledger.append(&batch, "alice", &clock).expect("appended");
        let mut bytes = Vec::new();
        let cp = bundle::export(&ledger_core::view::View::now(&ledger).expect("view"), &mut bytes, Some(&signer()))
            .expect("exported");
        let older = (1..=cp.size)
            .map(|size| {
                let old = Checkpoint {
                    origin: cp.origin.clone(),
                    size,
                    root: ledger.tree_root(size).expect("a root"),
                    extensions: vec![],
                };
                Checkpoint::parse(&old.sign(Some(&signer()))).expect("a note")
            })
            .collect();
        RealBundle { bytes, older }
    })
}

fn check_bundle(r: Result<Verified, BundleError>) -> Result<(), TestCaseError> {
    match r {
        Ok(v) => {
            prop_assert!(v.events >= 1);
            prop_assert_eq!(v.head.seq.size(), v.events);
        }
        Err(e) => {
            prop_assert!(!e.what.trim().is_empty(), "{:?}", e);
            prop_assert!(e.line.is_none_or(|l| l >= 1));
        }
    }
    Ok(())
}

#[rustfmt::skip]
const BUNDLE_TOKENS: &[&str] = &[
    "{", "}", "[", "]", ",", ":", "\"", "\n", "\"checkpoint\"", "\"seq\"", "\"hash\"", "\"prev\"", "\"recorded_at\"",
    "\"actor\"", "\"type\"", "\"genesis\"", "\"ledger\"", "\"format\"", "0", "1", "-1", "1.5", "null",
    "\"0000000000000000000000000000000000000000000000000000000000000000\"", "\"2025-06-15T15:06:40.000000Z\"",
    "\"example.org/ledger\\n1\\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\\n\\n\"", "\"x\"",
];

proptest! {
    #![proptest_config(config(4000, 0x5eed_000b))]

    /// `bundle::verify` on arbitrary bytes and JSON-ish token soups.
    #[test]
    fn bundle_verify_arbitrary_text(
        bytes in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..1024),
            proptest::collection::vec(select(BUNDLE_TOKENS), 0..64).prop_map(|t| t.concat().into_bytes()),
        ]
    ) {
        check_bundle(bundle::verify(&bytes[..], Checks::default()))?;
    }
}

proptest! {
    #![proptest_config(config(2000, 0x5eed_000c))]

    /// A real bundle with 1 to 4 mutations (byte flips, truncation, lines deleted, duplicated or
    /// swapped, tokens inserted), verified without and with the key and an older checkpoint.
    #[test]
    fn bundle_verify_mutations(
        ops in proptest::collection::vec(op().prop_filter("no cell edits", |o| !matches!(o, Op::Value(..) | Op::Long(..))), 1..5),
        with_key in any::<bool>(),
        older in proptest::option::of(any::<Index>()),
    ) {
        let real = real_bundle();
        let bytes = mutate(real.bytes.clone(), &ops, false);
        check_bundle(bundle::verify(&bytes[..], Checks::default()))?;
        let key = signer().verifier();
        let checks = Checks {
            key: with_key.then_some(&key),
            older: older.map(|i| real.older[i.index(real.older.len())].clone()),
            keep: true,
        };
        check_bundle(bundle::verify(&bytes[..], checks))?;
    }
}

#[test]
fn real_bundle_verifies() {
    let real = real_bundle();
    let key = signer().verifier();
    for (i, older) in real.older.iter().enumerate() {
        let checks = Checks { key: Some(&key), older: Some(older.clone()), keep: false };
        let v = bundle::verify(&real.bytes[..], checks).expect("the real bundle");
        assert_eq!((v.events, v.extends), (39, Some(i as u64 + 1)));
    }
}

/// One step of a forged chain.
#[derive(Debug, Clone)]
enum Step {
    Designate { key: u8, day: u8, kind: u8 },
    Amend { key: u8, day: u8 },
    Delist { key: u8, day: u8 },
    Retract { target: u8 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0u8..4, 1u8..=28, 0u8..4).prop_map(|(key, day, kind)| Step::Designate { key, day, kind }),
        2 => (0u8..4, 1u8..=28).prop_map(|(key, day)| Step::Amend { key, day }),
        2 => (0u8..4, 1u8..=28).prop_map(|(key, day)| Step::Delist { key, day }),
        1 => (0u8..40).prop_map(|target| Step::Retract { target }),
    ]
}

/// Damage to a forged bundle's checkpoint.
#[derive(Debug, Clone)]
enum Damage {
    None,
    Size(bool),
    Root(Index),
    Origin,
    Head(u64),
    Missing,
    Text(String),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        6 => Just(Damage::None),
        1 => any::<bool>().prop_map(Damage::Size),
        1 => any::<Index>().prop_map(Damage::Root),
        1 => Just(Damage::Origin),
        1 => any::<u64>().prop_map(Damage::Head),
        1 => Just(Damage::Missing),
        1 => note_text().prop_map(Damage::Text),
    ]
}

fn step_event(step: &Step) -> Event {
    let day = |d: u8| format!("2025-01-{d:02}");
    let text = match step {
        Step::Designate { key, day: d, kind } => {
            let (code, kind) =
                [("GIM", "individual"), ("GIM", "entity"), ("RUS", "individual"), ("GIM", "ship")][usize::from(*kind)];
            format!(
                r#"{{"type":"designation","authority":"UK","id":"K{key}","effective":"{}","regime":{{"code":"{code}"}},"subject":{{"kind":"{kind}","names":[{{"name":"N{key}","type":"primary"}}]}}}}"#,
                day(*d)
            )
        }
        Step::Amend { key, day: d } => format!(
            r#"{{"type":"amendment","authority":"UK","id":"K{key}","effective":"{}","patch":{{"reason":"r"}}}}"#,
            day(*d)
        ),
        Step::Delist { key, day: d } => {
            format!(r#"{{"type":"delisting","authority":"UK","id":"K{key}","effective":"{}"}}"#, day(*d))
        }
        // Built directly: a forged bundle may retract anything, the genesis event included.
        Step::Retract { target } => {
            return Event::Retraction(Retraction {
                target: Seq::new(u64::from(*target)),
                reason: "r".into(),
                published: None,
                note: None,
            });
        }
    };
    input::parse_line(1, &text).expect("a valid step").into()
}

/// A bundle sealed by hand: a genesis event and `steps`, each `recorded_at` the previous plus
/// its delta (deltas ≤ 0 break the chain's time rule); the checkpoint of the whole, damaged as
/// asked; and the honest checkpoints of every prefix.
fn forge(
    name: &str,
    steps: &[(Step, i8)],
    damage: &Damage,
    key: &SignerKey,
) -> (Vec<u8>, Vec<(Checkpoint, Vec<NoteSignature>)>) {
    let mut out = Vec::new();
    let mut prev = Hash::ZERO;
    let mut at = 1_750_000_000_000_000i64;
    let mut leaves = Leaves::new(Vec::new());
    let mut prefixes = Vec::new();
    let genesis = Event::Genesis(Genesis { ledger: name.to_owned(), format: FORMAT_VERSION });
    let events = std::iter::once((genesis, 1i8)).chain(steps.iter().map(|(s, d)| (step_event(s), *d)));
    for (seq, (event, delta)) in events.enumerate() {
        at += i64::from(delta);
        let (_, rec) = chain::seal(Seq::new(seq as u64), prev, Timestamp(at), "mallory", event).expect("sealable");
        let line = serde_json::to_vec(&rec.to_value()).expect("writes");
        out.extend_from_slice(&line);
        out.push(b'\n');
        prev = rec.hash;
        leaves.push(merkle::leaf_hash(&line));
        let size = seq as u64 + 1;
        let cp = Checkpoint {
            origin: name.to_owned(),
            size,
            root: merkle::root(&mut leaves, size).expect("a root"),
            extensions: vec![Checkpoint::head_extension(Seq::new(seq as u64), &rec.hash)],
        };
        // A name with a line break makes a note that does not parse: then no signatures.
        prefixes.push(Checkpoint::parse(&cp.sign(Some(key))).unwrap_or((cp, Vec::new())));
    }
    let (mut cp, _) = prefixes.last().cloned().expect("at least the genesis event");
    let note = match damage {
        Damage::None => cp.sign(Some(key)),
        Damage::Size(up) => {
            cp.size = if *up { cp.size + 1 } else { cp.size - 1 };
            cp.sign(Some(key))
        }
        Damage::Root(i) => {
            cp.root.0[i.index(32)] ^= 1;
            cp.sign(Some(key))
        }
        Damage::Origin => {
            cp.origin.push('x');
            cp.sign(Some(key))
        }
        Damage::Head(seq) => {
            cp.extensions = vec![Checkpoint::head_extension(Seq::new(*seq), &prev)];
            cp.sign(Some(key))
        }
        Damage::Missing => String::new(),
        Damage::Text(t) => t.clone(),
    };
    if !matches!(damage, Damage::Missing) {
        serde_json::to_writer(&mut out, &json!({ "checkpoint": note })).expect("writes");
        out.push(b'\n');
    }
    (out, prefixes)
}

proptest! {
    #![proptest_config(config(2000, 0x5eed_000d))]

    /// Hand-sealed bundles (correct hashes and links, arbitrary lifecycles, retractions of
    /// anything, times that step back, damaged checkpoints, older checkpoints of any size):
    /// `bundle::verify` never panics; an honest bundle of distinct designations verifies and
    /// extends each of its prefixes.
    #[test]
    fn bundle_verify_forged_chains(
        name in prop_oneof![Just("example.org/ledger".to_owned()), "[\\s\\S]{0,12}"],
        steps in proptest::collection::vec((step(), prop_oneof![8 => Just(1i8), 1 => -2i8..=0, 1 => 2i8..=100]), 0..30),
        damage in damage(),
        older in any::<Index>(),
        honest in any::<bool>(),
    ) {
        let key = signer();
        let steps: Vec<(Step, i8)> = if honest {
            (0..steps.len().min(4) as u8).map(|k| (Step::Designate { key: k, day: 1, kind: 0 }, 1)).collect()
        } else {
            steps
        };
        let (bytes, prefixes) = forge(&name, &steps, if honest { &Damage::None } else { &damage }, &key);
        let verifier = key.verifier();
        let k = older.index(prefixes.len() + 2);
        let old = if k == 0 || k > prefixes.len() {
            // An older checkpoint of no events, or of more events than the bundle holds.
            let (mut cp, sigs) = prefixes[0].clone();
            cp.size = if k == 0 { 0 } else { prefixes.len() as u64 + 1 };
            (cp, sigs)
        } else {
            prefixes[k - 1].clone()
        };
        let checks = Checks { key: Some(&verifier), older: Some(old), keep: true };
        let r = bundle::verify(&bytes[..], checks);
        let plain_name = !name.is_empty() && !name.contains(['\n', '\r']);
        if honest && plain_name && (1..=prefixes.len()).contains(&k) {
            prop_assert!(r.is_ok(), "{:?}", r.err());
            let v = r.expect("checked above");
            prop_assert_eq!(v.extends, Some(k as u64));
            prop_assert_eq!(v.events, prefixes.len() as u64);
        } else {
            check_bundle(r)?;
        }
        check_bundle(bundle::verify(&bytes[..], Checks::default()))?;
    }
}

// ================================================================================================
// 6. Bounded memory: a reader that produces a long line lazily and counts what is taken

/// `len` bytes of `x` (no line end), produced on demand; `taken` counts the bytes consumed.
struct LongLine {
    left: u64,
    taken: u64,
    chunk: Vec<u8>,
}

impl LongLine {
    fn new(len: u64) -> Self {
        LongLine { left: len, taken: 0, chunk: vec![b'x'; 64 << 10] }
    }
}

impl Read for LongLine {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.fill_buf()?.len().min(buf.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for LongLine {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        let n = usize::try_from(self.left).unwrap_or(usize::MAX).min(self.chunk.len());
        Ok(&self.chunk[..n])
    }
    fn consume(&mut self, n: usize) {
        self.left -= n as u64;
        self.taken += n as u64;
    }
}

#[test]
fn read_batch_refuses_a_50_mib_line_reading_at_most_the_limit() {
    let started = Instant::now();
    let mut reader = LongLine::new(50 << 20);
    let e = match input::read_batch(&mut reader) {
        Err(ReadError::Line(e)) => e,
        other => panic!("expected a line error, got {other:?}"),
    };
    assert_eq!(e.line, 1);
    assert!(e.reason.contains("longer than the limit"), "{e}");
    assert!(reader.taken <= limits::MAX_LINE_BYTES as u64 + 1, "read {} bytes", reader.taken);
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    // And an endless one.
    let mut endless = LongLine::new(u64::MAX);
    assert!(input::read_batch(&mut endless).is_err());
    assert!(endless.taken <= limits::MAX_LINE_BYTES as u64 + 1);
}

/// FINDING: `bundle::verify` reads each line whole (`BufRead::lines`), whatever its length: a
/// bundle (which `ledger verify-bundle` also reads from standard input) of one endless line is
/// buffered until memory runs out. Here the line is 48 MiB and all of it is read before the
/// bundle is refused; a bounded reader would stop after a few MiB (an event line is an input
/// event of at most `MAX_LINE_BYTES` plus its envelope).
#[test]
fn bundle_verify_reads_a_bounded_line() {
    let mut reader = LongLine::new(48 << 20);
    let r = bundle::verify(&mut reader, Checks::default());
    assert!(r.is_err());
    let bound = 4 * limits::MAX_LINE_BYTES as u64;
    assert!(
        reader.taken <= bound,
        "bundle::verify read {} bytes of a single line (all of it) before refusing it; expected at most {bound}",
        reader.taken
    );
}

/// `canonical::members` must accept exactly what parses and re-encodes to the same bytes: the
/// check `verify` made before it read events without building JSON values.
fn check_members(bytes: &[u8]) -> Result<(), TestCaseError> {
    let reencoded = match serde_json::from_slice::<Value>(bytes) {
        Ok(v @ Value::Object(_)) => ledger_core::canonical::to_vec(&v).is_ok_and(|c| c == bytes),
        _ => false,
    };
    let scanned = ledger_core::canonical::members(bytes);
    prop_assert_eq!(scanned.is_ok(), reencoded, "{} -> {:?}", String::from_utf8_lossy(bytes), scanned);
    Ok(())
}

proptest! {
    #![proptest_config(config(3000, 29))]

    #[test]
    fn canonical_members_of_json_ish_text(text in json_ish_text()) {
        for line in text.lines() {
            check_members(line.as_bytes())?;
        }
    }

    #[test]
    fn canonical_members_of_values_and_their_edits(
        map in proptest::collection::btree_map("[\\s\\S]{0,6}", any_json(), 0..6),
        edits in proptest::collection::vec(edit(), 0..3),
    ) {
        let v = Value::Object(map.into_iter().collect());
        let canonical = ledger_core::canonical::to_vec(&v);
        if let Ok(bytes) = &canonical {
            check_members(bytes)?;
            prop_assert_eq!(ledger_core::canonical::members(bytes).map(|m| m.len()).ok(), v.as_object().map(|m| m.len()));
            check_members(&apply_edits(bytes.clone(), &edits))?;
        }
        check_members(&serde_json::to_vec(&v).unwrap_or_default())?;
        check_members(&serde_json::to_vec_pretty(&v).unwrap_or_default())?;
    }
}
