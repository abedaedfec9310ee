//! `ledger publish DIR` and `ledger serve --publish DIR`: the log as C2SP tlog-tiles. The root
//! is recomputed from the published files by an independent RFC 6962 implementation (Python's
//! hashlib, tools/verify_log.py) and by the definitions written here with sha2; a partial tile is
//! checked entry by entry; later runs only add files; the server keeps the log published and
//! serves it with the spec's headers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ledger_tests::{CLOCK, Run, Sandbox, Server, designations, ledger_bin, repo_file};
use sha2::{Digest, Sha256};

/// A sandbox with the GIM ledger and a log key.
fn signed() -> (Sandbox, String) {
    let s = Sandbox::gim();
    let key = s.dir.path().join("log.key").to_str().expect("utf-8").to_owned();
    s.run(&["keygen", "--out", &key, "--name", "test-ledger"]).expect(0);
    (s, key)
}

/// Runs tools/verify_log.py DIR: `None` when Python is missing outside CI (CI has it).
fn python(dir: &str) -> Option<Run> {
    let out = Command::new("python3").arg(repo_file("tools/verify_log.py")).arg(dir).output();
    match out {
        Ok(o) => Some(Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }),
        Err(_) if std::env::var_os("CI").is_none() => None,
        Err(e) => panic!("python3: {e}"),
    }
}

fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read a directory") {
            let p = e.expect("an entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).expect("under dir").to_owned(), std::fs::read(&p).expect("read"));
            }
        }
    }
    out
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// RFC 6962's MTH over leaf hashes, from the definition.
fn mth(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves.len() {
        1 => leaves[0],
        n => {
            let k = 1 << (usize::BITS - 1 - (n - 1).leading_zeros());
            sha256(&[&[1], &mth(&leaves[..k]), &mth(&leaves[k..])])
        }
    }
}

/// The entries of an entry bundle of `width` entries.
fn entries(bundle: &[u8], width: usize) -> Vec<&[u8]> {
    let (mut out, mut at) = (Vec::new(), 0);
    for _ in 0..width {
        let n = u16::from_be_bytes([bundle[at], bundle[at + 1]]) as usize;
        out.push(&bundle[at + 2..at + 2 + n]);
        at += 2 + n;
    }
    assert_eq!(at, bundle.len(), "the bundle holds exactly {width} entries");
    out
}

fn checkpoint_root(dir: &Path) -> (u64, String) {
    let note = std::fs::read_to_string(dir.join("checkpoint")).expect("the checkpoint");
    let mut lines = note.lines();
    let _origin = lines.next();
    let size = lines.next().expect("a size").parse().expect("a number");
    (size, lines.next().expect("a root").to_owned())
}

fn b64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in bytes.chunks(3) {
        let n =
            (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                s.push(A[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[test]
fn a_published_log_is_the_tree_an_independent_implementation_computes() {
    let (s, key) = signed();
    let dir = s.dir.path().join("log");
    let d = dir.to_str().expect("utf-8");
    let mut earlier: BTreeMap<PathBuf, Vec<u8>> = BTreeMap::new();
    // 39 events, then 739 (two full tiles and a partial), then 1,039: each run only adds files.
    for (i, more) in [0usize, 700, 300].into_iter().enumerate() {
        if more > 0 {
            s.run_stdin(&["append", "-"], designations(&format!("P{i}"), more).as_bytes()).expect(0);
        }
        let v = s.run(&["--format", "json", "publish", d, "--sign", &key]).expect(0).json();
        let size = v["size"].as_u64().expect("a size");
        assert_eq!(size, s.head().0 + 1);
        let now = files(&dir);
        for (path, bytes) in &earlier {
            if path != Path::new("checkpoint") {
                assert_eq!(now.get(path), Some(bytes), "{} changed or vanished", path.display());
            }
        }
        // The root from the entry bundles, by the definitions, is the checkpoint's.
        let mut leaves = Vec::new();
        for t in 0..size.div_ceil(256) {
            let width = (size - t * 256).min(256) as usize;
            let name =
                if width == 256 { format!("tile/entries/{t:03}") } else { format!("tile/entries/{t:03}.p/{width}") };
            let bundle = now.get(Path::new(&name)).unwrap_or_else(|| panic!("{name} missing"));
            let tile: Vec<[u8; 32]> = entries(bundle, width).iter().map(|e| sha256(&[&[0], e])).collect();
            let tile_name = name.replace("entries", "0");
            let stored = now.get(Path::new(&tile_name)).unwrap_or_else(|| panic!("{tile_name} missing"));
            assert_eq!(stored, &tile.concat(), "{tile_name} holds the leaves of {name}");
            leaves.extend(tile);
        }
        let (cp_size, cp_root) = checkpoint_root(&dir);
        assert_eq!((cp_size, cp_root), (size, b64(&mth(&leaves))), "the checkpoint's root");
        // A partial tile of level 1 holds the roots of the full level-0 tiles.
        if size >= 512 {
            let full = size as usize / 256;
            let name = format!("tile/1/000.p/{full}");
            let expected: Vec<u8> = (0..full).flat_map(|t| mth(&leaves[t * 256..(t + 1) * 256])).collect();
            assert_eq!(now.get(Path::new(&name)), Some(&expected), "{name}");
        }
        // Python's hashlib, knowing nothing of the ledger, agrees (and checks every event's link).
        if let Some(r) = python(d) {
            assert_eq!(r.code, 0, "tools/verify_log.py: {}{}", r.stdout, r.stderr);
            assert!(r.stdout.starts_with(&format!("ok: {size} entries")), "{}", r.stdout);
        }
        earlier = now;
    }
    // A run with nothing new writes nothing; a tampered entry is caught by the Python verifier.
    let v = s.run(&["--format", "json", "publish", d, "--sign", &key]).expect(0).json();
    assert_eq!(v["files_written"], 0, "{v}");
    let bundle = dir.join("tile/entries/001");
    let mut bytes = std::fs::read(&bundle).expect("a bundle");
    let at = bytes.windows(7).position(|w| w == b"Person ").expect("a name");
    bytes[at] = b'Q';
    std::fs::write(&bundle, bytes).expect("write");
    if let Some(r) = python(d) {
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains("tile/0/001 is not the leaves of tile/entries/001"), "{}", r.stderr);
    }
}

#[test]
fn publishing_refuses_another_history_and_another_key() {
    let (s, key) = signed();
    let dir = s.dir.path().join("log");
    let d = dir.to_str().expect("utf-8");
    s.run(&["publish", d, "--sign", &key]).expect(0);
    // Another ledger of the same name, with another history: a fork.
    let other = Sandbox::init();
    other.run_stdin(&["append", "-"], designations("F", 50).as_bytes()).expect(0);
    let r = other.run(&["publish", d, "--sign", &key]).expect(1);
    assert!(r.stderr.contains("another history (a fork)") && r.stderr.contains("nothing was written"), "{}", r.stderr);
    let other_key = s.dir.path().join("other.key").to_str().expect("utf-8").to_owned();
    s.run(&["keygen", "--out", &other_key, "--name", "test-ledger"]).expect(0);
    let r = s.run(&["publish", d, "--sign", &other_key]).expect(1);
    assert!(r.stderr.contains("another key"), "{}", r.stderr);
    let witness = s.dir.path().join("w.key").to_str().expect("utf-8").to_owned();
    s.run(&["keygen", "--witness", "--out", &witness, "--name", "w.example"]).expect(0);
    let r = s.run(&["publish", d, "--sign", &witness]).expect(65);
    assert!(r.stderr.contains("witness's cosigner key"), "{}", r.stderr);
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

#[test]
fn the_server_keeps_the_log_published_and_serves_it_as_static_tiles() {
    let (s, key) = signed();
    let tokens = s.dir.path().join("tokens.txt").to_str().expect("utf-8").to_owned();
    let token = s.run(&["token", "op", "--role", "operator", "--add", &tokens]).expect(0).stdout.trim().to_owned();
    let dir = s.dir.path().join("served");
    let mut c = Command::new(ledger_bin());
    c.arg("--ledger").arg(&s.ledger).args(["serve", "--listen", "127.0.0.1:0", "--tokens", &tokens, "--sign", &key]);
    c.arg("--publish").arg(&dir).env("LEDGER_CLOCK", CLOCK).env_remove("LEDGER_PATH");
    let server = Server::start(c);
    let a = agent();
    let fetch = |path: &str| {
        let mut r = a.get(&format!("{}/log/{path}", server.url)).call().expect("the server answers");
        let header = |n: &str| r.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let (ct, cc) = (header("content-type"), header("cache-control"));
        let body = r.body_mut().with_config().limit(1 << 26).read_to_vec().expect("a body");
        (r.status().as_u16(), ct, cc, body)
    };
    let (status, ct, cc, body) = fetch("checkpoint");
    assert_eq!((status, ct.as_str()), (200, "text/plain; charset=utf-8"));
    assert!(cc.contains("max-age=5"), "{cc}");
    assert!(String::from_utf8_lossy(&body).starts_with("test-ledger\n39\n"));
    // A write: the log follows it.
    let r = a
        .post(&format!("{}/v1/events", server.url))
        .header("Authorization", &format!("Bearer {token}"))
        .send(designations("S", 300).as_bytes())
        .expect("the server answers");
    assert_eq!(r.status().as_u16(), 200);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !String::from_utf8_lossy(&fetch("checkpoint").3).starts_with("test-ledger\n339\n") {
        assert!(Instant::now() < deadline, "the log was not published at 339 events");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, ct, cc, body) = fetch("tile/0/000");
    assert_eq!((status, ct.as_str(), body.len()), (200, "application/octet-stream", 8192));
    assert!(cc.contains("immutable"), "{cc}");
    let (status, _, _, body) = fetch("tile/entries/001.p/83");
    assert_eq!(status, 200);
    assert_eq!(entries(&body, 83).len(), 83);
    // Only the spec's paths: another spelling of a tile is not one.
    for bad in ["tile/0/0", "tile/0/000.p/0", "tile/../checkpoint", "tile/0/999", "ledger.lock"] {
        assert_eq!(fetch(bad).0, 404, "{bad}");
    }
    // What the server published verifies independently.
    if let Some(r) = python(dir.to_str().expect("utf-8")) {
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    }
    let (code, log) = server.stop();
    assert_eq!(code, 0, "{log}");
    assert!(log.contains(r#""event":"published""#), "{log}");
}

#[test]
fn a_server_does_not_start_over_a_directory_of_another_log() {
    let (s, key) = signed();
    let other = Sandbox::init();
    other.run_stdin(&["append", "-"], designations("O", 5).as_bytes()).expect(0);
    let dir = s.dir.path().join("log");
    other.run(&["publish", dir.to_str().expect("utf-8"), "--sign", &key]).expect(0);
    let r = s.run(&["serve", "--listen", "127.0.0.1:0", "--sign", &key, "--publish", dir.to_str().expect("utf-8")]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("--publish") && r.stderr.contains("a fork"), "{}", r.stderr);
    let r = s.run(&["serve", "--listen", "127.0.0.1:0", "--publish", dir.to_str().expect("utf-8")]);
    assert_eq!(r.code, 2, "--publish needs --sign: {}", r.stderr);
}

/// A C2SP tlog-proof of one event against the published, witnessed checkpoint: one file that
/// `verify-proof` checks with the log's key and the witness's, and every forgery of it refused.
#[test]
fn a_tlog_proof_travels_alone_and_forgeries_are_refused() {
    use ledger_core::checkpoint::{Checkpoint, KeyKind, SignerKey};
    let (s, key) = signed();
    let public = std::fs::read_to_string(key.replace("log.key", "log.pub")).unwrap_or_default();
    let public = if public.is_empty() {
        // `signed()` printed the verifier key; make it again from the private key's file.
        let text = std::fs::read_to_string(&key).expect("the key");
        SignerKey::parse(&text).expect("a key").verifier().to_note_format()
    } else {
        public.trim().to_owned()
    };
    let dir = s.dir.path().join("log");
    s.run(&["publish", dir.to_str().expect("utf-8"), "--sign", &key]).expect(0);
    // A witness cosigns the published checkpoint.
    let witness = SignerKey::of_kind("witness.example/w1", [7; 32], KeyKind::Cosigner);
    let note_path = dir.join("checkpoint");
    let note = std::fs::read_to_string(&note_path).expect("the checkpoint");
    let (cp, mut sigs) = Checkpoint::parse(&note).expect("a checkpoint");
    sigs.push(cp.cosign(&witness, 1_760_000_000).expect("a cosignature"));
    std::fs::write(&note_path, cp.note(&sigs)).expect("write");
    let cp_file = note_path.to_str().expect("utf-8");
    let text = s.run(&["prove", "29", "--tlog-proof", "--checkpoint", cp_file]).expect(0).stdout;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "c2sp.org/tlog-proof@v1");
    assert!(lines[1].starts_with("extra ") && lines[2] == "index 29", "{text}");
    assert!(text.ends_with(&cp.note(&sigs)), "the checkpoint is carried verbatim");
    let proof = s.file("GIM0030.tlog-proof", text.as_bytes());
    let w = witness.verifier().to_note_format();
    let v = s.run(&["--format", "json", "verify-proof", &proof, "--key", &public, "--witness", &w]).expect(0).json();
    assert_eq!(v["what"], "event 29 is in the tree of 39 events", "{v}");
    assert_eq!(v["not_checked"], serde_json::json!([]), "{v}");
    assert!(v["checked_against"].to_string().contains("cosigned by witness.example/w1"), "{v}");
    // Another witness did not cosign: refused, naming it.
    let other = SignerKey::of_kind("witness.example/w2", [8; 32], KeyKind::Cosigner).verifier().to_note_format();
    let r = s.run(&["verify-proof", &proof, "--key", &public, "--witness", &w, "--witness", &other]).expect(1);
    assert!(r.stderr.contains("not witness.example/w2"), "{}", r.stderr);
    s.run(&["verify-proof", &proof, "--key", &public, "--witness", &w, "--witness", &other, "--min-witnesses", "1"])
        .expect(0);
    // Forgeries.
    let entry_b64 = lines[1].trim_start_matches("extra ");
    let other_proof = s.run(&["prove", "30", "--tlog-proof", "--checkpoint", cp_file]).expect(0).stdout;
    let other_entry = other_proof.lines().nth(1).expect("an extra line").to_owned();
    let path_line = lines[3];
    let flipped =
        if path_line.starts_with('A') { path_line.replacen('A', "B", 1) } else { format!("A{}", &path_line[1..]) };
    let forged_note =
        note.replace(note.lines().nth(2).expect("the root line"), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    let forgeries = [
        ("another event's entry", text.replacen(lines[1], &other_entry, 1), "is event 30"),
        ("another index", text.replacen("index 29", "index 28", 1), "its entry is event 29"),
        ("a changed path", text.replacen(path_line, &flipped, 1), "does not put event 29"),
        ("no entry", text.replacen(&format!("{}\n", lines[1]), "", 1), "carries no entry"),
        ("an edited entry", text.replacen(entry_b64, &entry_b64.replacen('e', "f", 1), 1), "entry is"),
        ("a checkpoint of another root", text.replacen(&cp.note(&sigs), &forged_note, 1), "signature"),
    ];
    for (what, forged, says) in forgeries {
        let f = s.file("forged.tlog-proof", forged.as_bytes());
        let r = s.run(&["verify-proof", &f, "--key", &public, "--witness", &w]);
        assert_eq!(r.code, 1, "{what}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(says), "{what}: {}", r.stderr);
    }
    let f = s.file("v2.tlog-proof", text.replacen("tlog-proof@v1", "tlog-proof@v2", 1).as_bytes());
    let r = s.run(&["verify-proof", &f]).expect(1);
    assert!(r.stderr.contains("not a proof"), "{}", r.stderr);
    // A checkpoint from another ledger cannot carry this ledger's proof.
    let other_ledger = Sandbox::init();
    other_ledger.run_stdin(&["append", "-"], designations("F", 50).as_bytes()).expect(0);
    let r = other_ledger.run(&["prove", "0", "--tlog-proof", "--checkpoint", cp_file]).expect(1);
    assert!(r.stderr.contains("not this ledger's history"), "{}", r.stderr);
}
