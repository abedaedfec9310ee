//! The auditor's promises under hostile input: a bundle has one encoding (canonical JSON, every
//! value in the form the ledger writes, no member twice), append refuses repeated members, a proof
//! is checked against checkpoints of its own ledger and size, and every "ok" says what it did not
//! check.

use std::process::Command;

use ledger_core::chain::{Hash, hash_canonical};
use ledger_core::checkpoint::Checkpoint;
use ledger_core::merkle::{self, Leaves};
use ledger_core::store::{HEAD_KEY, block_key, decode_block, pack_block, push_event, unpack_block};
use ledger_tests::{Audited, Run, Sandbox, designations, repo_file};
use serde_json::Value;

/// The audited GIM ledger with its bundle exported unsigned.
fn audited() -> Audited {
    Audited::new(false)
}

/// 64 hex digits of a `"NAME":"<hex>"` member of a canonical line.
fn hex_member(line: &str, name: &str) -> String {
    let at = line.find(&format!("\"{name}\":\"")).expect("the member") + name.len() + 4;
    line[at..at + 64].to_owned()
}

/// The bundle `lines` (events, then the checkpoint line) with the text of event line `at` edited
/// by `edit`, byte for byte, and every hash and link from there recomputed over the edited bytes,
/// with a new (unsigned) checkpoint: a forgery whose chain and tree are whole.
fn resealed(lines: &[String], at: usize, edit: impl Fn(&str) -> String) -> String {
    let events = &lines[..lines.len() - 1];
    let mut out = Vec::new();
    let mut hashes = Vec::new();
    let mut leaves = Vec::new();
    let mut prev: Option<String> = None;
    for (i, line) in events.iter().enumerate() {
        let mut line = if i == at { edit(line) } else { line.clone() };
        if i > at {
            let old = hex_member(&line, "prev");
            line = line.replacen(
                &format!("\"prev\":\"{old}\""),
                &format!("\"prev\":\"{}\"", prev.clone().expect("a prev")),
                1,
            );
        }
        let stated = hex_member(&line, "hash");
        let member = format!(",\"hash\":\"{stated}\"");
        let unhashed = line.replacen(&member, "", 1);
        let hash = hash_canonical(unhashed.as_bytes());
        let line = line.replacen(&member, &format!(",\"hash\":\"{hash}\""), 1);
        hashes.push(hash);
        leaves.push(merkle::leaf_hash(line.as_bytes()));
        prev = Some(hash.to_hex());
        out.push(line);
    }
    let size = hashes.len() as u64;
    let last: Hash = *hashes.last().expect("events");
    let cp = Checkpoint {
        origin: "test-ledger".into(),
        size,
        root: merkle::root(&mut Leaves::new(leaves), size).expect("a root"),
        extensions: vec![Checkpoint::head_extension(ledger_core::seq::Seq::new(size - 1), &last)],
    };
    out.push(serde_json::json!({ "checkpoint": cp.sign(None) }).to_string());
    out.join("\n") + "\n"
}

/// Runs tools/verify_bundle.py ARGS: `None` when Python or its `blake3` package is missing
/// outside CI (CI installs them: .ci/run).
fn python(args: &[&str]) -> Option<Run> {
    let out = Command::new("python3").arg(repo_file("tools/verify_bundle.py")).args(args).output();
    match out {
        Ok(o) if !String::from_utf8_lossy(&o.stderr).contains("needs the blake3 package") => Some(Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }),
        other => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run tools/verify_bundle.py (pip install blake3): {other:?}"
            );
            None
        }
    }
}

#[track_caller]
fn refused(r: &Run, words: &[&str]) {
    assert_eq!(r.code, 1, "must be refused with exit 1\nstdout: {}\nstderr: {}", r.stdout, r.stderr);
    let first = r.stderr.lines().next().unwrap_or_default();
    for w in words {
        assert!(first.contains(w), "says `{w}`: {first}");
    }
}

#[test]
fn item4_noncanonical_effective_refused() {
    let a = audited();
    let lines = a.lines();
    // Line 2 is event 1, UK/GIM0001, effective on 23 July 2025.
    assert!(lines[1].contains("\"effective\":\"2025-07-23\""), "{}", lines[1]);
    let forms = [
        "2025-07-23T05:00:00+05:00",
        "2025-07-23t00:00:00z",
        "2025-07-23T00:00:00.500000Z",
        "2025-07-23T00:00:00.0Z",
        "2025-07-22T23:59:60Z",
        "2025-07-23 00:00:00Z",
        "2025-07-23T00:00:00-00:00",
    ];
    for form in forms {
        let text = resealed(&lines, 1, |l| {
            l.replacen("\"effective\":\"2025-07-23\"", &format!("\"effective\":\"{form}\""), 1)
        });
        let f = a.s.file("forged.bundle", text.as_bytes());
        let r = a.s.run(&["verify-bundle", &f]);
        // A form the ledger reads but does not write is named as a member in another form; one
        // it does not read at all (a leap second, a space for `T`) as a field it cannot read.
        refused(&r, &["line 2:", "event 1", "`effective`", form]);
        let restored = a.path("restored.sled");
        let r = a.run_on(&restored, &["import-bundle", &f]);
        refused(&r, &["line 2:", "`effective`"]);
        assert!(!std::path::Path::new(&restored).exists(), "{form}: a refused bundle writes nothing");
        if let Some(r) = python(&[&f]) {
            refused(&r, &["line 2:", "member `effective`"]);
        }
    }
    // The same instant in the form the ledger writes is an honest (re-sealed) bundle.
    let text = resealed(&lines, 1, |l| {
        l.replacen("\"effective\":\"2025-07-23\"", "\"effective\":\"2025-07-23T00:00:00.500Z\"", 1)
    });
    let f = a.s.file("resealed.bundle", text.as_bytes());
    a.s.run(&["verify-bundle", &f]).expect(0);
    if let Some(r) = python(&[&f]) {
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    // What verifies restores to a ledger whose export is the same bundle, byte for byte.
    let restored = a.path("restored.sled");
    a.run_on(&restored, &["import-bundle", &f]).expect(0);
    a.run_on(&restored, &["verify"]).expect(0);
    let again = a.path("again.bundle");
    a.run_on(&restored, &["export", &again]).expect(0);
    // Its events byte for byte; its checkpoint of the same tree and head, now naming the key map
    // too (the forged bundle's checkpoint, made here by hand, names none).
    let exported = std::fs::read_to_string(&again).expect("export");
    let (events, checkpoint) = exported.trim_end().rsplit_once('\n').expect("events and a checkpoint");
    let (forged_events, forged_checkpoint) = text.trim_end().rsplit_once('\n').expect("events and a checkpoint");
    assert_eq!(events, forged_events, "the restored ledger exports its events");
    let note = |line: &str| {
        serde_json::from_str::<Value>(line).expect("json")["checkpoint"].as_str().expect("a note").to_owned()
    };
    let (ours, theirs) = (note(checkpoint), note(forged_checkpoint));
    assert_eq!(ours.lines().take(4).collect::<Vec<_>>(), theirs.lines().take(4).collect::<Vec<_>>());
    assert!(ours.lines().nth(4).is_some_and(|l| l.starts_with("keys ")), "{ours}");
    a.s.run(&["verify-bundle", &again]).expect(0);
}

#[test]
fn item4_noncanonical_value_forms_refused() {
    // Members the ledger writes by leaving them out, a recorded_at in another form, and JSON that
    // is not canonical (a space, members out of order): each re-sealed, each refused by name.
    let a = audited();
    let lines = a.lines();
    let recorded_at = {
        let v: Value = serde_json::from_str(&lines[1]).expect("json");
        v["recorded_at"].as_str().expect("recorded_at").to_owned()
    };
    // A member added to the event's JSON, the line still canonical JSON.
    let with = |pointer: &'static str, name: &'static str, value: Value| {
        move |l: &str| {
            let mut v: Value = serde_json::from_str(l).expect("json");
            v.pointer_mut(pointer)
                .and_then(Value::as_object_mut)
                .expect("an object")
                .insert(name.into(), value.clone());
            String::from_utf8(ledger_core::canonical::to_vec(&v).expect("canonical")).expect("utf-8")
        }
    };
    type Edit = Box<dyn Fn(&str) -> String>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        ("a null member", Box::new(with("", "note", Value::Null)), "member `note` is null"),
        (
            "an empty list",
            Box::new(with("/subject", "nationalities", serde_json::json!([]))),
            "member `subject.nationalities` is []",
        ),
        (
            "recorded_at with a lowercase t",
            Box::new(move |l: &str| l.replacen(&recorded_at, &recorded_at.replace('T', "t"), 1)),
            "recorded_at",
        ),
        ("a space", Box::new(|l: &str| l.replacen("\"id\":", "\"id\": ", 1)), "canonical form"),
    ];
    for (what, edit, words) in cases {
        let f = a.s.file("forged.bundle", resealed(&lines, 1, edit).as_bytes());
        refused(&a.s.run(&["verify-bundle", &f]), &["line 2:", words]);
        if let Some(r) = python(&[&f]) {
            assert_eq!(r.code, 1, "{what}: tools/verify_bundle.py accepted it: {}", r.stdout);
        }
    }
    // A blank line and a missing last line feed are not the bytes export writes either.
    let honest = std::fs::read_to_string(&a.bundle).expect("bundle");
    let blank = a.s.file("blank.bundle", honest.replacen('\n', "\n\n", 1).as_bytes());
    refused(&a.s.run(&["verify-bundle", &blank]), &["line 2:", "blank line"]);
    let cut = a.s.file("cut.bundle", honest.trim_end_matches('\n').as_bytes());
    refused(&a.s.run(&["verify-bundle", &cut]), &["line 40:", "no line end"]);
}

#[test]
fn item4_verify_refuses_a_store_event_not_in_the_ledgers_form() {
    let s = Sandbox::gim();
    let line = r#"{"type":"delisting","authority":"UK","id":"GIM0001","effective":"2026-01-01T10:00:00Z"}"#;
    s.run_stdin(&["append", "-"], line.as_bytes()).expect(0);
    s.run(&["verify"]).expect(0);
    {
        // The same instant written with an offset, re-hashed, and the head moved to the new hash:
        // the chain is whole, the index unchanged (same instant), only the form differs.
        let db = sled::open(&s.ledger).expect("open the closed store with sled");
        let block = unpack_block(&db.get(block_key(0)).expect("read").expect("block 0")).expect("decompresses");
        let mut events: Vec<(Hash, Vec<u8>)> =
            decode_block(&block).expect("a block").into_iter().map(|(h, b)| (h, b.to_vec())).collect();
        let (hash, bytes) = events.last_mut().expect("events");
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        assert!(text.contains("\"effective\":\"2026-01-01T10:00:00Z\""), "{text}");
        *bytes = text.replacen("2026-01-01T10:00:00Z", "2026-01-01T15:00:00+05:00", 1).into_bytes();
        *hash = hash_canonical(bytes);
        let new_hash = *hash;
        let mut packed = Vec::new();
        for (h, b) in &events {
            push_event(&mut packed, h, b);
        }
        db.insert(block_key(0), pack_block(&packed)).expect("write");
        let mut head = db.get(HEAD_KEY).expect("read").expect("the head").to_vec();
        head[8..40].copy_from_slice(&new_hash.0);
        db.insert(HEAD_KEY, head).expect("write");
        db.flush().expect("flush");
    }
    // The head moved without the ledger: every command refuses the store as damaged.
    let r = s.run(&["verify"]).expect(76);
    assert!(r.stderr.contains("another event at seq 39"), "{}", r.stderr);
    // A forger who also rewrites the acknowledged head meets verify's check of each event's form.
    let acked = std::fs::read_to_string(s.ledger.join("ledger.head")).expect("the acknowledged head");
    let old_hash = acked.split(' ').nth(2).expect("the hash").to_owned();
    let forged = {
        let db = sled::open(&s.ledger).expect("open the closed store with sled");
        let head = db.get(HEAD_KEY).expect("read").expect("the head").to_vec();
        Hash(head[8..40].try_into().expect("32 bytes")).to_hex()
    };
    std::fs::write(s.ledger.join("ledger.head"), acked.replace(&old_hash, &forged)).expect("write");
    let r = s.run(&["verify"]);
    refused(&r, &["at seq 39:", "member `effective`", "2026-01-01T15:00:00+05:00", "2026-01-01T10:00:00Z"]);
}

#[test]
fn item5_duplicate_member_refused_by_append() {
    let s = Sandbox::gim();
    let before = s.head();
    let good = ledger_tests::designation("DUP1", "2025-10-22", "First Person");
    let top = ledger_tests::designation("DUP2", "2025-10-22", "Second Person").replacen(
        "\"effective\":\"2025-10-22\"",
        "\"effective\":\"2025-10-22\",\"effective\":\"2024-01-01\"",
        1,
    );
    let nested = ledger_tests::designation("DUP3", "2025-10-22", "Third Person").replacen(
        "\"name\":\"Third Person\"",
        "\"name\":\"Third Person\",\"name\":\"Someone Else\"",
        1,
    );
    for (text, member) in [(&top, "`effective`"), (&nested, "`subject.names[0].name`")] {
        let f = s.file("dup.jsonl", format!("{good}\n{text}\n").as_bytes());
        let r = s.run(&["append", &f]).expect(65);
        let first = r.stderr.lines().next().unwrap_or_default();
        for w in ["dup.jsonl", "line 2", member, "appears twice"] {
            assert!(first.contains(w), "says `{w}`: {first}");
        }
        assert!(r.stderr.contains("nothing was written"), "{}", r.stderr);
        assert_eq!(s.head(), before, "nothing was written");
    }
}

#[test]
fn item5_duplicate_member_refused_in_bundle() {
    let a = audited();
    let lines = a.lines();
    // Line 2 (event 1, an individual): the repeated members leave serde_json's last-wins reading
    // equal to the honest event, so its hash still matches; the first-wins reading differs.
    assert!(lines[1].contains("\"subject\":{\"kind\":\"individual\""), "{}", lines[1]);
    let cases = [
        (
            lines[1].replacen("\"id\":\"GIM0001\"", "\"id\":\"GIM0001\",\"id\":\"GIM0001\"", 1),
            "member `id` appears twice",
        ),
        (
            lines[1].replacen("{\"kind\":\"individual\"", "{\"kind\":\"ship\",\"kind\":\"individual\"", 1),
            "member `subject.kind` appears twice",
        ),
    ];
    for (line, words) in cases {
        let mut forged = lines.clone();
        forged[1] = line;
        let f = a.s.file("dup.bundle", (forged.join("\n") + "\n").as_bytes());
        refused(&a.s.run(&["verify-bundle", &f]), &["line 2:", words]);
        let restored = a.path("restored.sled");
        refused(&a.run_on(&restored, &["import-bundle", &f]), &["line 2:", words]);
        assert!(!std::path::Path::new(&restored).exists(), "a refused bundle writes nothing");
        if let Some(r) = python(&[&f]) {
            refused(&r, &["line 2:", "appears twice"]);
        }
    }
}

#[test]
fn item12_proof_of_another_ledger_refused() {
    let a = audited();
    let proof = a.s.run(&["prove", "2"]).expect(0).json();
    a.s.run(&["verify-proof", &a.s.file("p.proof", proof.to_string().as_bytes()), "--checkpoint", &a.checkpoint])
        .expect(0);
    // The proof names another ledger: its tree and root are this one's, but it is not its proof.
    let mut other = proof.clone();
    other["ledger"] = "other-ledger".into();
    let f = a.s.file("other.proof", other.to_string().as_bytes());
    refused(
        &a.s.run(&["verify-proof", &f, "--checkpoint", &a.checkpoint, "--key", &a.public]),
        &["`test-ledger`", "`other-ledger`"],
    );
    // A checkpoint of another ledger (unsigned, so only its origin tells).
    let cp = a.s.run(&["checkpoint"]).expect(0).stdout.replacen("test-ledger\n", "other-ledger\n", 1);
    let other_cp = a.s.file("other.checkpoint", cp.as_bytes());
    let good = a.s.file("p.proof", proof.to_string().as_bytes());
    refused(&a.s.run(&["verify-proof", &good, "--checkpoint", &other_cp]), &["`other-ledger`", "`test-ledger`"]);
}

#[test]
fn item12_unsigned_checkpoint_says_signature_not_checked() {
    let a = audited();
    let f = a.s.file("p.proof", a.s.run(&["prove", "2"]).expect(0).stdout.as_bytes());
    let r = a.s.run(&["verify-proof", &f, "--checkpoint", &a.checkpoint]).expect(0);
    assert!(r.stdout.starts_with("ok (signature not checked: no --key given): event 2 is in the tree"), "{}", r.stdout);
    let r = a.s.run(&["verify-proof", &f, "--checkpoint", &a.checkpoint, "--format", "json"]).expect(0).json();
    assert_eq!((r["anchored"].clone(), r["signature_checked"].clone()), (true.into(), false.into()), "{r}");
    assert_eq!(r["not_checked"], serde_json::json!(["signature not checked: no --key given"]), "{r}");
    let r = a.s.run(&["verify-proof", &f, "--checkpoint", &a.checkpoint, "--key", &a.public]).expect(0);
    assert!(r.stdout.starts_with("ok: event 2") && r.stdout.contains("signed by test-ledger"), "{}", r.stdout);
}

#[test]
fn item12_consistency_checked_against_both_checkpoints() {
    let a = audited();
    a.s.run_stdin(&["append", "-"], designations("NEW", 100).as_bytes()).expect(0);
    let new_cp = a.s.file("139.checkpoint", a.s.run(&["checkpoint", "--sign", &a.key]).expect(0).stdout.as_bytes());
    let proof = a.s.file("c.proof", a.s.run(&["prove", "--consistency", "39"]).expect(0).stdout.as_bytes());
    let both = ["verify-proof", &proof, "--old-checkpoint", &a.checkpoint, "--checkpoint", &new_cp, "--key", &a.public];
    let r = a.s.run(&both).expect(0);
    assert!(
        r.stdout.starts_with("ok: the tree of 39 events is a prefix of the tree of 139")
            && r.stdout.contains("checked against the roots of both checkpoints"),
        "{}",
        r.stdout
    );
    // Against only the new checkpoint, the old root is the proof's own, and the answer says so.
    let r = a.s.run(&["verify-proof", &proof, "--checkpoint", &new_cp, "--key", &a.public]).expect(0);
    assert!(r.stdout.starts_with("ok (the older root is the proof's own: no --old-checkpoint given)"), "{}", r.stdout);
    // An old checkpoint of a rewritten history of the same name and size: the proof, whose own
    // old root is this ledger's, no longer passes.
    let forged = Sandbox::init();
    let text = std::fs::read_to_string(repo_file("examples/uk-gim-2025.jsonl")).expect("read");
    forged.run_stdin(&["append", "-"], text.replace("ALPA TRADING FZCO", "ALPHA TRADING FZCO").as_bytes()).expect(0);
    let forged_cp = a.s.file("forged.checkpoint", forged.run(&["checkpoint"]).expect(0).stdout.as_bytes());
    refused(
        &a.s.run(&["verify-proof", &proof, "--old-checkpoint", &forged_cp, "--checkpoint", &new_cp]),
        &["does not show the tree of 39 events"],
    );
    // A proof from another old size than the older checkpoint's: the message gives the command.
    let p10 = a.s.file("c10.proof", a.s.run(&["prove", "--consistency", "10"]).expect(0).stdout.as_bytes());
    refused(
        &a.s.run(&["verify-proof", &p10, "--old-checkpoint", &a.checkpoint, "--checkpoint", &new_cp]),
        &["ledger prove --consistency 39 --size 139"],
    );
    // --old-checkpoint belongs to consistency proofs.
    let inclusion = a.s.file("p.proof", a.s.run(&["prove", "2"]).expect(0).stdout.as_bytes());
    let r = a.s.run(&["verify-proof", &inclusion, "--old-checkpoint", &a.checkpoint]).expect(2);
    assert!(r.stderr.contains("--old-checkpoint is for a consistency proof"), "{}", r.stderr);
}

#[test]
fn item12_size_mismatch_suggests_size() {
    let a = audited();
    a.s.run_stdin(&["append", "-"], designations("NEW", 100).as_bytes()).expect(0);
    // Proved against today's tree of 139 events, checked against the saved checkpoint of 39.
    let f = a.s.file("p.proof", a.s.run(&["prove", "2"]).expect(0).stdout.as_bytes());
    refused(
        &a.s.run(&["verify-proof", &f, "--checkpoint", &a.checkpoint, "--key", &a.public]),
        &["the proof is for the tree of 139 events", "records 39", "`ledger prove 2 --size 39`"],
    );
    let f = a.s.file("p.proof", a.s.run(&["prove", "2", "--size", "39"]).expect(0).stdout.as_bytes());
    a.s.run(&["verify-proof", &f, "--checkpoint", &a.checkpoint, "--key", &a.public]).expect(0);
    // An event recorded after the checkpoint cannot be proved against it.
    let f = a.s.file("p.proof", a.s.run(&["prove", "100"]).expect(0).stdout.as_bytes());
    refused(&a.s.run(&["verify-proof", &f, "--checkpoint", &a.checkpoint]), &["event 100 was recorded after it"]);
}

#[test]
fn item13_unanchored_ok_says_what_was_not_checked() {
    let a = audited();
    let r = a.s.run(&["verify-bundle", &a.bundle]).expect(0);
    assert!(r.stdout.starts_with("ok (signature not checked: no --key given): 39 events"), "{}", r.stdout);
    let j = a.s.run(&["verify-bundle", &a.bundle, "--format", "json"]).expect(0).json();
    assert_eq!(j["signature_checked"], false, "{j}");
    assert_eq!(j["not_checked"], "signature not checked: no --key given", "{j}");
    // Signed and checked: a plain ok, nothing left unchecked.
    let signed = a.path("signed.bundle");
    a.s.run(&["export", &signed, "--sign", &a.key]).expect(0);
    let r = a.s.run(&["verify-bundle", &signed, "--key", &a.public]).expect(0);
    assert!(r.stdout.starts_with("ok: 39 events") && r.stdout.contains("signed by test-ledger"), "{}", r.stdout);
    let j = a.s.run(&["verify-bundle", &signed, "--key", &a.public, "--format", "json"]).expect(0).json();
    assert_eq!((j["signature_checked"].clone(), j["not_checked"].clone()), (Value::Bool(true), Value::Null), "{j}");

    let f = a.s.file("p.proof", a.s.run(&["prove", "2"]).expect(0).stdout.as_bytes());
    let r = a.s.run(&["verify-proof", &f]).expect(0);
    assert!(
        r.stdout.starts_with(
            "ok (not anchored: no --checkpoint given; this proves only that the proof is self-consistent): event 2"
        ),
        "{}",
        r.stdout
    );
    let j = a.s.run(&["verify-proof", &f, "--format", "json"]).expect(0).json();
    assert_eq!(
        (j["anchored"].clone(), j["signature_checked"].clone()),
        (Value::Bool(false), Value::Bool(false)),
        "{j}"
    );
    let not_checked = j["not_checked"][0].as_str().unwrap_or_default();
    assert!(not_checked.starts_with("not anchored"), "{j}");
    // A key without any checkpoint to check it on is a usage error, not a silent no-op.
    a.s.run(&["verify-proof", &f, "--key", &a.public]).expect(2);
}

#[test]
fn item13_python_verifier_help() {
    let Some(r) = python(&["--help"]) else { return };
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("usage: verify_bundle.py") && r.stdout.contains("bundle"), "{}", r.stdout);
    assert!(!r.stderr.contains("Traceback"), "{}", r.stderr);
    // A missing file is a plain message, not a traceback.
    let Some(r) = python(&["/nonexistent/ledger.bundle"]) else { return };
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("cannot read") && !r.stderr.contains("Traceback"), "{}", r.stderr);
}

#[test]
fn item14_empty_bundle_message() {
    let a = audited();
    let lines = a.lines();
    let empty = a.s.file("empty.bundle", b"");
    let only_cp = a.s.file("only-checkpoint.bundle", format!("{}\n", lines[lines.len() - 1]).as_bytes());
    for f in [&empty, &only_cp] {
        let r = a.s.run(&["verify-bundle", f]);
        refused(&r, &["the bundle holds no events"]);
        assert!(!r.stderr.contains("18446744073709551615"), "{}", r.stderr);
        if let Some(r) = python(&[f]) {
            refused(&r, &["no events"]);
        }
    }
    // A genesis event whose prev is not 64 zeros names no event before it.
    let text = resealed(&lines, 0, |l| {
        l.replacen(&format!("\"prev\":\"{}\"", "0".repeat(64)), &format!("\"prev\":\"{}\"", "1".repeat(64)), 1)
    });
    let r = a.s.run(&["verify-bundle", &a.s.file("genesis.bundle", text.as_bytes())]);
    refused(&r, &["line 1:", "the genesis event's prev is 1111"]);
    assert!(!r.stderr.contains("18446744073709551615"), "{}", r.stderr);
}

/// `amend --patch FILE` reads its patch as `append` reads a line: a member named twice is refused.
#[test]
fn item5_duplicate_member_refused_in_an_amend_patch() {
    let s = Sandbox::gim();
    let before = s.head();
    let patch = s.file("patch.json", br#"{"reason":"first","reason":"second"}"#);
    let r = s.run(&["amend", "UK/GIM0030", "--effective", "2025-11-03", "--patch", &patch, "--reason", "x", "--yes"]);
    let r = r.expect(65);
    assert!(r.stderr.contains("member `reason` appears twice"), "{}", r.stderr);
    assert_eq!(s.head(), before, "nothing was written");
}
