//! The auditor's toolkit: checkpoints, proofs and bundles, and forgeries of each.

use std::process::Command;

use ledger_core::chain::Hash;
use ledger_core::input::{Numbered, parse_value};
use ledger_core::merkle::{self, Leaves};
use ledger_core::time::FixedClock;
use ledger_core::{Ledger, bundle};
use ledger_tests::{Audited, Run, Sandbox, designations, repo_file};
use serde_json::Value;

/// The audited GIM ledger with its bundle exported signed.
fn audited() -> Audited {
    Audited::new(true)
}

fn lines(path: &str) -> Vec<String> {
    std::fs::read_to_string(path).expect("read").lines().map(str::to_owned).collect()
}

#[track_caller]
fn rejected(r: Run, words: &str) {
    assert_eq!(r.code, 1, "must be rejected with exit 1\nstdout: {}\nstderr: {}", r.stdout, r.stderr);
    let first = r.stderr.lines().next().unwrap_or_default();
    assert!(first.contains("verification failed") && first.contains(words), "says `{words}`: {first}");
}

#[test]
fn keygen_writes_a_private_key_only_its_owner_reads() {
    let a = audited();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&a.key).expect("key").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    assert!(a.public.starts_with("test-ledger+"), "{}", a.public);
    assert!(std::fs::read_to_string(&a.key).expect("key").starts_with("PRIVATE+KEY+test-ledger+"));
    let r = a.s.run(&["keygen", "--out", &a.key]).expect(2);
    assert!(r.stderr.contains("cannot create"), "an existing key is never overwritten: {}", r.stderr);
}

#[test]
fn a_saved_checkpoint_verifies_and_every_forgery_of_it_fails() {
    let a = audited();
    let ok = a.s.run(&["verify", "--checkpoint", &a.checkpoint, "--key", &a.public]).expect(0);
    assert!(ok.stdout.contains("extends the checkpoint of 39 events"), "{}", ok.stdout);
    let text = std::fs::read_to_string(&a.checkpoint).expect("checkpoint");
    let body: Vec<&str> = text.lines().collect();
    let other = a.s.dir.path().join("other.key").to_str().expect("utf-8").to_owned();
    let other_public =
        a.s.run(&["keygen", "--out", &other, "--name", "test-ledger"]).expect(0).stdout.trim().to_owned();
    let forged_root = text.replacen(body[2], "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 1);
    let forged_size = text.replacen("\n39\n", "\n38\n", 1);
    let sig_line = body.iter().find(|l| l.starts_with('\u{2014}')).expect("a signature line");
    let forged_sig = text.replacen(&sig_line[sig_line.len() - 6..], "AAAAA=", 1);
    let by_other = a.s.run(&["checkpoint", "--sign", &other]).expect(0).stdout;
    let cases: Vec<(&str, String, &str, &str)> = vec![
        ("root changed", forged_root, &a.public, "signature"),
        ("size changed", forged_size, &a.public, "signature"),
        ("signature changed", forged_sig, &a.public, "signature"),
        ("signed by another key", by_other.clone(), &a.public, "not signed by"),
    ];
    for (what, text, key, words) in cases {
        let f = a.s.file("forged.checkpoint", text.as_bytes());
        rejected(a.s.run(&["verify", "--checkpoint", &f, "--key", key]), words);
        let _ = what;
    }
    // Without the key, a changed root or size is still caught by the tree itself.
    let f = a.s.file(
        "forged.checkpoint",
        text.replacen(body[2], "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 1).as_bytes(),
    );
    rejected(a.s.run(&["verify", "--checkpoint", &f]), "history was rewritten");
    let f = a.s.file("forged.checkpoint", text.replacen("\n39\n", "\n40\n", 1).as_bytes());
    rejected(a.s.run(&["verify", "--checkpoint", &f]), "events were removed");
    // The other key's own checkpoint verifies with the other key.
    let f = a.s.file("other.checkpoint", by_other.as_bytes());
    a.s.run(&["verify", "--checkpoint", &f, "--key", &other_public]).expect(0);
}

#[test]
fn the_ledger_grows_and_still_extends_its_old_checkpoint() {
    let a = audited();
    a.s.run_stdin(&["append", "-"], designations("NEW", 100).as_bytes()).expect(0);
    a.s.run(&["verify", "--checkpoint", &a.checkpoint, "--key", &a.public]).expect(0);
    // A bundle exported now extends the old checkpoint.
    let bundle = a.s.dir.path().join("later.bundle").to_str().expect("utf-8").to_owned();
    a.s.run(&["export", &bundle, "--sign", &a.key]).expect(0);
    let r = a.s.run(&["verify-bundle", &bundle, "--checkpoint", &a.checkpoint, "--key", &a.public]).expect(0);
    assert!(r.stdout.contains("extends the older checkpoint of 39 events"), "{}", r.stdout);
}

#[test]
fn a_consistently_rewritten_ledger_fails_its_saved_checkpoint() {
    let a = audited();
    // Another history under the same name, internally sound: its own verify passes.
    let forged = Sandbox::init();
    let text = std::fs::read_to_string(repo_file("examples/uk-gim-2025.jsonl")).expect("read");
    forged.run_stdin(&["append", "-"], text.replace("ALPA TRADING FZCO", "ALPHA TRADING FZCO").as_bytes()).expect(0);
    forged.run(&["verify"]).expect(0);
    rejected(forged.run(&["verify", "--checkpoint", &a.checkpoint, "--key", &a.public]), "history was rewritten");
}

#[test]
fn round_trip_export_verify_import() {
    let a = audited();
    a.s.run(&["verify-bundle", &a.bundle, "--key", &a.public]).expect(0);
    let restored = a.s.dir.path().join("restored.sled").to_str().expect("utf-8").to_owned();
    let mut c = a.s.command(&["import-bundle", &a.bundle, "--key", &a.public]);
    c.args(["--ledger", &restored]);
    let r = c.output().expect("run");
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let on = |ledger: &str, args: &[&str]| {
        let mut c = a.s.command(args);
        c.args(["--ledger", ledger]);
        let o = c.output().expect("run");
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let original = a.s.ledger.to_str().expect("utf-8").to_owned();
    for args in [&["head", "--format", "json"][..], &["state", "--format", "json"], &["log", "--format", "json"]] {
        let (x, y) = (on(&original, args), on(&restored, args));
        // One JSON document (head, state), or JSON Lines (log); the ledger's path differs.
        let strip = |s: &str| match serde_json::from_str::<Value>(s) {
            Ok(mut v) => {
                if let Some(m) = v.as_object_mut() {
                    m.remove("ledger");
                }
                v.to_string()
            }
            Err(_) => s.to_owned(),
        };
        assert_eq!(strip(&x), strip(&y), "{args:?}");
    }
    on(&restored, &["verify"]);
    on(&restored, &["verify", "--checkpoint", &a.checkpoint, "--key", &a.public]);
}

/// Every forgery of one bundle, each rejected by `verify-bundle` with exit 1.
#[test]
fn every_forged_bundle_is_rejected() {
    let a = audited();
    let good = lines(&a.bundle);
    assert_eq!(good.len(), 40, "39 events and a checkpoint");
    let edit = |i: usize, f: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut l = good.clone();
        let mut v: Value = serde_json::from_str(&l[i]).expect("json");
        f(v.as_object_mut().expect("object"));
        l[i] = v.to_string();
        l
    };
    let cases: Vec<(&str, Vec<String>, &str)> = vec![
        (
            "payload changed",
            edit(5, &|m| {
                m.insert("id".into(), "GIM0099".into());
            }),
            "event 5: hash mismatch",
        ),
        (
            "prev changed",
            edit(7, &|m| {
                m.insert("prev".into(), Value::String("ab".repeat(32)));
            }),
            "event 7: hash mismatch",
        ),
        (
            "hash changed",
            edit(9, &|m| {
                m.insert("hash".into(), Value::String("cd".repeat(32)));
            }),
            "event 9: hash mismatch",
        ),
        (
            "seq changed",
            edit(11, &|m| {
                m.insert("seq".into(), 12.into());
            }),
            "event 11: hash mismatch",
        ),
        (
            "recorded_at changed",
            edit(13, &|m| {
                m.insert("recorded_at".into(), "2020-01-01T00:00:00.000000Z".into());
            }),
            "event 13: hash mismatch",
        ),
        (
            "two events reordered",
            {
                let mut l = good.clone();
                l.swap(20, 21);
                l
            },
            "found event 21 where event 20 belongs",
        ),
        (
            "one event dropped",
            {
                let mut l = good.clone();
                l.remove(30);
                l
            },
            "found event 31 where event 30 belongs",
        ),
        (
            "the last event dropped",
            {
                let mut l = good.clone();
                l.remove(38);
                l
            },
            "the checkpoint is for 39 events",
        ),
        ("truncated", good[..25].to_vec(), "without its checkpoint"),
        (
            "truncated mid-line",
            {
                let mut l = good[..25].to_vec();
                let half = l[24].len() / 2;
                l[24].truncate(half);
                l
            },
            "truncated",
        ),
    ];
    for (what, bundle, words) in cases {
        let f = a.s.file("forged.bundle", (bundle.join("\n") + "\n").as_bytes());
        let r = a.s.run(&["verify-bundle", &f, "--key", &a.public]);
        assert_eq!(r.code, 1, "{what}: {}", r.stderr);
        assert!(r.stderr.contains(words), "{what}: says `{words}`: {}", r.stderr);
        // And the independent verifier agrees.
        if let Some(ok) = python_verifies(&f) {
            assert!(!ok, "{what}: tools/verify_bundle.py accepted a forgery");
        }
    }
    // A rehashed forgery (payload changed, hashes and links recomputed) breaks the checkpoint.
    let forged = rehashed(&good, 5);
    let f = a.s.file("rehashed.bundle", (forged.join("\n") + "\n").as_bytes());
    let r = a.s.run(&["verify-bundle", &f]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("Merkle root"), "{}", r.stderr);
}

/// The bundle with event `at`'s payload changed and every hash and link from there recomputed.
fn rehashed(good: &[String], at: usize) -> Vec<String> {
    let mut out = good.to_vec();
    let mut prev: Option<String> = None;
    for (i, line) in out.iter_mut().enumerate().take(good.len() - 1).skip(at) {
        let mut v: Value = serde_json::from_str(line).expect("json");
        let m = v.as_object_mut().expect("object");
        if i == at {
            m.insert("id".into(), "GIM0099".into());
        }
        if let Some(p) = &prev {
            m.insert("prev".into(), Value::String(p.clone()));
        }
        m.remove("hash");
        let bytes = ledger_core::canonical::to_vec(&v).expect("canonical");
        let h = ledger_core::chain::hash_canonical(&bytes).to_hex();
        v.as_object_mut().expect("object").insert("hash".into(), Value::String(h.clone()));
        prev = Some(h);
        *line = v.to_string();
    }
    out
}

/// Runs tools/verify_bundle.py; `None` when Python or its `blake3` package is missing outside CI.
fn python_verifies(bundle: &str) -> Option<bool> {
    let out = Command::new("python3").arg(repo_file("tools/verify_bundle.py")).arg(bundle).output();
    match out {
        Ok(o) if o.status.code() == Some(0) => Some(true),
        Ok(o) if o.status.code() == Some(1) && !String::from_utf8_lossy(&o.stderr).contains("No module named") => {
            Some(false)
        }
        other => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run tools/verify_bundle.py (pip install blake3): {other:?}"
            );
            None
        }
    }
}

#[test]
fn the_independent_python_verifier_accepts_an_honest_bundle() {
    let a = audited();
    a.s.run_stdin(&["append", "-"], designations("PY", 150).as_bytes()).expect(0);
    let bundle = a.s.dir.path().join("py.bundle").to_str().expect("utf-8").to_owned();
    a.s.run(&["export", &bundle]).expect(0);
    if let Some(ok) = python_verifies(&bundle) {
        assert!(ok, "tools/verify_bundle.py rejected an honest bundle");
    }
}

#[test]
fn forged_proofs_are_rejected() {
    let a = audited();
    let proof = a.s.run(&["prove", "29", "--size", "39"]).expect(0).json();
    let good = a.s.file("good.proof", proof.to_string().as_bytes());
    a.s.run(&["verify-proof", &good, "--checkpoint", &a.checkpoint, "--key", &a.public]).expect(0);
    let mut sibling = proof.clone();
    sibling["path"][1] = Value::String("ef".repeat(32));
    let mut index = proof.clone();
    index["seq"] = 28.into();
    // Another event's entry, with that event's hash: its leaf is not on the path.
    let other = a.s.run(&["prove", "30", "--size", "39"]).expect(0).json();
    let mut event = proof.clone();
    event["entry"] = other["entry"].clone();
    event["event_hash"] = other["event_hash"].clone();
    event.as_object_mut().expect("an object").remove("leaf_hash");
    // The entry edited (a name changed): another leaf.
    let mut edited = proof.clone();
    let text = proof["entry"].as_str().expect("the entry").replacen("\"primary\"", "\"alias\"", 1);
    edited["entry"] = Value::String(text);
    edited.as_object_mut().expect("an object").remove("leaf_hash");
    for (what, forged, says) in [
        ("a sibling changed", sibling, "does not put event"),
        ("the wrong index", index, "but its entry is event 29"),
        ("another event", event, "but its entry is event 30"),
        ("an edited event", edited, "is not the hash of the event"),
    ] {
        let f = a.s.file("forged.proof", forged.to_string().as_bytes());
        let r = a.s.run(&["verify-proof", &f, "--checkpoint", &a.checkpoint, "--key", &a.public]);
        assert_eq!(r.code, 1, "{what}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{what}: {}", r.stderr);
    }
    // The wrong index with an entry that claims it: the path does not lead there.
    let mut claimed = proof.clone();
    claimed["seq"] = 28.into();
    claimed.as_object_mut().expect("an object").remove("entry");
    claimed.as_object_mut().expect("an object").insert("leaf_hash".into(), proof["leaf_hash"].clone());
    let f = a.s.file("forged.proof", claimed.to_string().as_bytes());
    let r = a.s.run(&["verify-proof", &f, "--checkpoint", &a.checkpoint, "--key", &a.public]).expect(1);
    assert!(r.stderr.contains("does not put event 28"), "{}", r.stderr);
    // The event hash changed without its entry: the entry is not that event.
    let mut hash = proof.clone();
    hash["event_hash"] = Value::String("01".repeat(32));
    let f = a.s.file("forged.proof", hash.to_string().as_bytes());
    let r = a.s.run(&["verify-proof", &f, "--checkpoint", &a.checkpoint, "--key", &a.public]).expect(1);
    assert!(r.stderr.contains("is not the event"), "{}", r.stderr);
    // Consistency proofs too.
    let c = a.s.run(&["prove", "--consistency", "10"]).expect(0).json();
    let f = a.s.file("c.proof", c.to_string().as_bytes());
    a.s.run(&["verify-proof", &f, "--checkpoint", &a.checkpoint]).expect(0);
    let mut forged = c.clone();
    forged["old_root"] = Value::String("00".repeat(32));
    let f = a.s.file("c.proof", forged.to_string().as_bytes());
    rejected(a.s.run(&["verify-proof", &f, "--checkpoint", &a.checkpoint]), "prefix");
}

/// A ledger of `n` events (genesis and designations) built in process, and its Merkle leaves:
/// the hash of each event's bundle line (its entry), computed here from the recorded events.
fn ledger_of(dir: &std::path::Path, n: usize) -> (Ledger, Vec<Hash>) {
    let clock = FixedClock::new(1_767_225_600_000_000);
    let ledger = Ledger::init(&dir.join("l.sled"), "tree", "tester", &clock).expect("init");
    let text = designations("T", n - 1);
    let all: Vec<Numbered<_>> = text
        .lines()
        .enumerate()
        .map(|(i, l)| Numbered {
            line: i + 1,
            event: parse_value(i + 1, serde_json::from_str(l).expect("json")).expect("valid"),
        })
        .collect();
    for chunk in all.chunks(10_000) {
        ledger.append(chunk, "tester", &clock).expect("append");
    }
    let leaves = ledger
        .events(ledger_core::seq::Seq::GENESIS)
        .map(|e| merkle::leaf_hash(&ledger_core::canonical::to_vec(&e.expect("event").to_value()).expect("canonical")))
        .collect();
    (ledger, leaves)
}

#[test]
fn every_proof_of_trees_of_1_to_64_events_and_beyond_a_block() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ledger, hashes) = ledger_of(dir.path(), 200);
    let mut memory = Leaves::new(hashes.clone());
    let sizes: Vec<u64> = (1..=64).chain([65, 127, 128, 129, 191, 192, 200]).collect();
    for &size in &sizes {
        let root = ledger.tree_root(size).expect("root");
        assert_eq!(root, merkle::root(&mut memory, size).expect("root"), "root of {size}");
        for seq in 0..size {
            let path = ledger.inclusion_proof(ledger_core::seq::Seq::new(seq), size).expect("proof");
            assert!(merkle::verify_inclusion(seq, size, &hashes[seq as usize], &path, &root), "{seq} in {size}");
        }
        for old in 1..=size {
            let proof = ledger.consistency_proof(old, size).expect("proof");
            let old_root = ledger.tree_root(old).expect("root");
            assert!(merkle::verify_consistency(old, size, &old_root, &root, &proof), "{old} → {size}");
        }
    }
    assert!(ledger_core::verify::verify(&ledger).expect("verify").failure.is_none());
}

#[test]
fn spot_checks_on_a_100k_event_ledger() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ledger, hashes) = ledger_of(dir.path(), 100_000);
    let mut memory = Leaves::new(hashes.clone());
    let mut x = 12345u64;
    for _ in 0..200 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let size = 1 + (x >> 33) % 100_000;
        let seq = (x >> 7) % size;
        let old = 1 + (x >> 17) % size;
        let root = ledger.tree_root(size).expect("root");
        assert_eq!(root, merkle::root(&mut memory, size).expect("root"));
        let path = ledger.inclusion_proof(ledger_core::seq::Seq::new(seq), size).expect("proof");
        assert!(merkle::verify_inclusion(seq, size, &hashes[seq as usize], &path, &root));
        let proof = ledger.consistency_proof(old, size).expect("proof");
        assert!(merkle::verify_consistency(old, size, &ledger.tree_root(old).expect("root"), &root, &proof));
    }
    // The bundle of the whole ledger verifies in process too.
    let mut out = Vec::new();
    bundle::export(&ledger_core::view::View::now(&ledger).expect("view"), &mut out, None).expect("export");
    let v = bundle::verify(&out[..], bundle::Checks::default()).expect("the bundle verifies");
    assert_eq!(v.events, 100_000);
}
