//! Witnesses: the real `ledger witness serve` on an ephemeral loopback port, asked by the real
//! `ledger witness add-checkpoint` and by a plain HTTP client (ureq) for the requests a client of
//! ours never sends. A published log is cosigned and the cosignature kept in DIR/checkpoint, where
//! `verify` and `verify-bundle` check it; a stale old size is answered with the witness's size and
//! retried; forged proofs, unknown logs, untrusted keys, impossible sizes and forks are refused
//! with the spec's statuses; the state survives a restart; two witnesses cosign one checkpoint.
//! Every clock is fixed (LEDGER_CLOCK), the witnesses' too.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ledger_tests::{Audited, Run, Sandbox, Server, designations, repo_file};
use serde_json::Value;

/// `CLOCK` (2026-01-15T09:00:00Z) in POSIX seconds: the witnesses' cosignatures' timestamp.
const TIMESTAMP: u64 = 1_768_467_600;

/// The schema file of `witness add-checkpoint --format json`, checked here on real answers.
pub const WITNESS_SCHEMAS: &[&str] = &["witness-add-checkpoint.schema.json"];

fn assert_valid(schema: &str, instance: &Value) {
    let text = std::fs::read_to_string(repo_file(&format!("schemas/{schema}"))).expect("read schema");
    let schema_json: Value = serde_json::from_str(&text).expect("schema is JSON");
    let v = jsonschema::validator_for(&schema_json).expect("a valid schema");
    let errors: Vec<String> = v.iter_errors(instance).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{schema}: {instance} does not validate:\n{}", errors.join("\n"));
}

/// A witness key made with `ledger keygen --witness`: (key file, verifier key).
fn witness_key(s: &Sandbox, name: &str) -> (String, String) {
    let file = s.dir.path().join(format!("{}.key", name.replace('/', "_"))).to_str().expect("utf-8").to_owned();
    let public = s.run(&["keygen", "--witness", "--out", &file, "--name", name]).expect(0).stdout.trim().to_owned();
    (file, public)
}

/// `ledger witness serve` with this key, trusting `logs`, its state in `state`.
fn start_witness(s: &Sandbox, key: &str, logs: &[&str], state: &str) -> Server {
    let mut args = vec!["witness", "serve", "--key", key, "--state", state, "--listen", "127.0.0.1:0"];
    for l in logs {
        args.extend(["--log", l]);
    }
    Server::start(s.command(&args))
}

/// A GIM ledger (39 events) published in `DIR`, with its key, and one witness of it, running.
struct Setup {
    a: Audited,
    dir: String,
    witness: Server,
    w_key: String,
    w_public: String,
    state: String,
}

impl Setup {
    fn new() -> Setup {
        let a = Audited::new(false);
        let dir = a.path("log");
        a.s.run(&["publish", &dir, "--sign", &a.key]).expect(0);
        let (w_key, w_public) = witness_key(&a.s, "witness.example/w1");
        let state = a.path("w1.state");
        let witness = start_witness(&a.s, &w_key, &[&a.public], &state);
        Setup { a, dir, witness, w_key, w_public, state }
    }

    fn checkpoint(&self) -> String {
        format!("{}/checkpoint", self.dir)
    }

    /// `ledger witness add-checkpoint DIR` against the witness at `url`, as JSON.
    fn add(&self, url: &str, witness: &str) -> Run {
        self.a.s.run(&[
            "witness",
            "add-checkpoint",
            &self.dir,
            "--url",
            url,
            "--witness-key",
            witness,
            "--format",
            "json",
        ])
    }

    /// Appends `n` designations and publishes again.
    fn grow(&self, prefix: &str, n: usize) {
        grow(&self.a, &self.dir, prefix, n);
    }
}

/// Appends `n` designations to the ledger and publishes it again in `dir`.
fn grow(a: &Audited, dir: &str, prefix: &str, n: usize) {
    a.s.run_stdin(&["append", "-"], designations(prefix, n).as_bytes()).expect(0);
    a.s.run(&["publish", dir, "--sign", &a.key]).expect(0);
}

/// A plain `POST URL/add-checkpoint`: (status, content type, body).
fn post(url: &str, body: &str) -> (u16, String, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut r = agent.post(format!("{url}/add-checkpoint")).send(body.as_bytes()).expect("the witness answers");
    let content_type = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let text = r.body_mut().read_to_string().expect("a text body");
    (r.status().as_u16(), content_type, text)
}

/// The consistency proof `ledger prove --consistency OLD` prints, as the request's lines.
fn proof_lines(s: &Sandbox, old: u64) -> Vec<String> {
    let proof = s.run(&["prove", "--consistency", &old.to_string()]).expect(0).json();
    let hex = |h: &Value| {
        let h = h.as_str().expect("hex");
        (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).expect("hex digit")).collect::<Vec<u8>>()
    };
    proof["path"].as_array().expect("path").iter().map(|h| B64.encode(hex(h))).collect()
}

fn signature_lines(note: &str) -> Vec<&str> {
    note.lines().filter(|l| l.starts_with('\u{2014}')).collect()
}

#[test]
fn a_published_checkpoint_is_cosigned_kept_and_verified_with_its_witnesses() {
    let t = Setup::new();
    let (s, url) = (&t.a.s, t.witness.url.clone());
    let done = t.add(&url, &t.w_public).expect(0).json();
    assert_valid("witness-add-checkpoint.schema.json", &done);
    assert_eq!(
        (done["size"].as_u64(), done["old_size"].as_u64(), done["retried"].as_bool()),
        (Some(39), Some(0), Some(false))
    );
    let cosig = &done["cosignatures"][0];
    assert_eq!((cosig["witness"].as_str(), cosig["timestamp"].as_u64()), (Some("witness.example/w1"), Some(TIMESTAMP)));
    assert_eq!(cosig["time"], "2026-01-15T09:00:00Z");
    // Kept in DIR/checkpoint: the log's signature, then the witness's.
    let note = std::fs::read_to_string(t.checkpoint()).expect("the checkpoint");
    assert_eq!(done["checkpoint"].as_str(), Some(note.as_str()));
    let lines = signature_lines(&note);
    assert_eq!(lines.len(), 2, "{note}");
    assert!(lines[0].starts_with("\u{2014} test-ledger ") && lines[1].starts_with("\u{2014} witness.example/w1 "));

    // `verify` checks the cosignature, and says who cosigned and when.
    let cp = t.checkpoint();
    let v = s.run(&["verify", "--checkpoint", &cp, "--key", &t.a.public, "--witness", &t.w_public, "--format", "json"]);
    let v = v.expect(0).json();
    assert_valid("verify.schema.json", &v);
    let w = &v["checkpoint"]["witnesses"];
    assert_eq!((w["cosigned"][0]["witness"].as_str(), w["required"].as_u64()), (Some("witness.example/w1"), Some(1)));
    assert_eq!(w["cosigned"][0]["time"], "2026-01-15T09:00:00Z");
    let table = s.run(&["verify", "--checkpoint", &cp, "--key", &t.a.public, "--witness", &t.w_public]).expect(0);
    assert!(table.stdout.contains("witnessed: 1 of 1 witnesses cosigned the checkpoint"), "{}", table.stdout);
    // A second witness that did not cosign: all are required by default, and at least 2 of 2 named.
    let (_, w2) = witness_key(s, "witness.example/w2");
    for min in [&[][..], &["--min-witnesses", "2"][..]] {
        let args = [&["verify", "--checkpoint", &cp, "--witness", &t.w_public, "--witness", &w2][..], min].concat();
        let r = s.run(&args).expect(1);
        assert!(
            r.stderr.contains(
                "1 of the 2 witnesses given cosigned the checkpoint; at least 2 must: not witness.example/w2"
            ),
            "{}",
            r.stderr
        );
    }
    let one = s.run(&[
        "verify",
        "--checkpoint",
        &cp,
        "--witness",
        &t.w_public,
        "--witness",
        &w2,
        "--min-witnesses",
        "1",
        "--format",
        "json",
    ]);
    let one = one.expect(0).json();
    assert_eq!(one["checkpoint"]["witnesses"]["not_cosigned"], serde_json::json!(["witness.example/w2"]));
    // Policies that cannot be met, and keys of the wrong kind, are usage errors.
    let r = s.run(&["verify", "--checkpoint", &cp, "--witness", &t.w_public, "--min-witnesses", "2"]).expect(2);
    assert!(r.stderr.contains("--min-witnesses 2"), "{}", r.stderr);
    let r = s.run(&["verify", "--checkpoint", &cp, "--witness", &t.a.public]).expect(2);
    assert!(
        r.stderr.contains("a log's note key (algorithm 0x01), where a witness's cosigner key (0x04) belongs"),
        "{}",
        r.stderr
    );
    s.run(&["verify", "--witness", &t.w_public]).expect(2);

    // `verify-bundle` checks the cosignatures of the checkpoint the bundle must extend.
    let b = s.run(&["verify-bundle", &t.a.bundle, "--checkpoint", &cp, "--witness", &t.w_public, "--format", "json"]);
    let b = b.expect(0).json();
    assert_valid("verify-bundle.schema.json", &b);
    assert_eq!(b["witnesses"]["cosigned"][0]["timestamp"].as_u64(), Some(TIMESTAMP));
    let r = s
        .run(&["verify-bundle", &t.a.bundle, "--checkpoint", &cp, "--witness", &t.w_public, "--witness", &w2])
        .expect(1);
    assert!(r.stderr.contains("not witness.example/w2"), "{}", r.stderr);
    let bare = s.run(&["verify-bundle", &t.a.bundle, "--format", "json"]).expect(0).json();
    assert!(bare["witnesses"].is_null(), "{bare}");

    // The witness logged one line per request, typed.
    let (code, log) = t.witness.stop();
    assert_eq!(code, 0, "{log}");
    let lines: Vec<Value> = log.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    assert_eq!(lines[0]["event"], "witnessing", "{log}");
    let cosigned: Vec<&Value> = lines.iter().filter(|l| l["event"] == "witness_request").collect();
    assert_eq!(cosigned.len(), 1, "{log}");
    assert_eq!((cosigned[0]["status"].as_u64(), cosigned[0]["origin"].as_str()), (Some(200), Some("test-ledger")));
}

#[test]
fn a_stale_old_size_is_answered_with_the_witnesses_size_and_the_state_survives_a_restart() {
    let t = Setup::new();
    t.add(&t.witness.url, &t.w_public).expect(0);
    // The ledger grows and publishes: the client starts from 0, learns 39 from the 409, and
    // sends the proof from 39 read from the tiles.
    t.grow("MORE", 300);
    let (status, content_type, body) =
        post(&t.witness.url, &format!("old 0\n\n{}", std::fs::read_to_string(t.checkpoint()).expect("cp")));
    assert_eq!((status, content_type.as_str(), body.as_str()), (409, "text/x.tlog.size", "39\n"));
    let done = t.add(&t.witness.url, &t.w_public).expect(0).json();
    assert_eq!(
        (done["size"].as_u64(), done["old_size"].as_u64(), done["retried"].as_bool()),
        (Some(339), Some(39), Some(true))
    );
    let cp = t.checkpoint();
    t.a.s.run(&["verify", "--checkpoint", &cp, "--key", &t.a.public, "--witness", &t.w_public]).expect(0);

    // A restart reads the state: the witness still knows it cosigned 339.
    let Setup { witness, .. } = t;
    let (code, _) = witness.stop();
    assert_eq!(code, 0);
    let state: Value = serde_json::from_str(&std::fs::read_to_string(&t.state).expect("the state file")).expect("JSON");
    assert_eq!(state["logs"]["test-ledger"]["size"].as_u64(), Some(339), "{state}");
    let again = start_witness(&t.a.s, &t.w_key, &[&t.a.public], &t.state);
    let note = std::fs::read_to_string(&cp).expect("cp");
    assert_eq!(post(&again.url, &format!("old 0\n\n{note}")).2, "339\n");
    grow(&t.a, &t.dir, "LATER", 10);
    let done = t.a.s.run(&[
        "witness",
        "add-checkpoint",
        &t.dir,
        "--url",
        &again.url,
        "--witness-key",
        &t.w_public,
        "--format",
        "json",
    ]);
    let done = done.expect(0).json();
    assert_eq!((done["size"].as_u64(), done["old_size"].as_u64()), (Some(349), Some(339)));
    // A second witness process on the same state is refused while the first runs.
    let busy = t.a.s.run(&[
        "witness",
        "serve",
        "--key",
        &t.w_key,
        "--log",
        &t.a.public,
        "--state",
        &t.state,
        "--listen",
        "127.0.0.1:0",
    ]);
    let busy = busy.expect(75);
    assert!(busy.stderr.contains("held by another witness process"), "{}", busy.stderr);
}

#[test]
fn forged_proofs_unknown_logs_untrusted_keys_impossible_sizes_and_forks_are_refused() {
    let t = Setup::new();
    let (s, url) = (&t.a.s, t.witness.url.clone());
    let note = std::fs::read_to_string(t.checkpoint()).expect("cp");
    // Unknown origin: 404, through the client too.
    let other = Sandbox::new();
    other.run(&["init", "--name", "other-ledger"]).expect(0);
    let other_key = other.dir.path().join("other.key").to_str().expect("utf-8").to_owned();
    other.run(&["keygen", "--out", &other_key, "--name", "other-ledger"]).expect(0);
    let other_note = other.run(&["checkpoint", "--sign", &other_key]).expect(0).stdout;
    let (status, _, body) = post(&url, &format!("old 0\n\n{other_note}"));
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("unknown log `other-ledger`"), "{body}");
    let other_dir = other.dir.path().join("log").to_str().expect("utf-8").to_owned();
    other.run(&["publish", &other_dir, "--sign", &other_key]).expect(0);
    let r =
        other.run(&["witness", "add-checkpoint", &other_dir, "--url", &url, "--witness-key", &t.w_public]).expect(1);
    assert!(
        r.stderr.contains("does not witness the log `other-ledger`") && r.stderr.contains("HTTP 404"),
        "{}",
        r.stderr
    );
    // Not signed by the key the witness trusts for the origin: 403 (another key of the same name,
    // and no signature at all).
    let impostor = t.a.path("impostor.key");
    s.run(&["keygen", "--out", &impostor, "--name", "test-ledger"]).expect(0);
    for forged in
        [s.run(&["checkpoint", "--sign", &impostor]).expect(0).stdout, s.run(&["checkpoint"]).expect(0).stdout]
    {
        let (status, _, body) = post(&url, &format!("old 0\n\n{forged}"));
        assert_eq!(status, 403, "{body}");
        assert!(body.contains("not signed by a key this witness trusts"), "{body}");
    }
    // Through the client: a log published with a key the witness does not trust, exit 1.
    let impostor_dir = t.a.path("impostor-log");
    s.run(&["publish", &impostor_dir, "--sign", &impostor]).expect(0);
    let r = s.run(&["witness", "add-checkpoint", &impostor_dir, "--url", &url, "--witness-key", &t.w_public]).expect(1);
    assert!(r.stderr.contains("does not trust the key that signed") && r.stderr.contains("HTTP 403"), "{}", r.stderr);
    // Old size beyond the checkpoint's: 400; a body that is not a request: 400; too long: 413.
    let (status, _, body) = post(&url, &format!("old 1000\n\n{note}"));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("old size 1000 is larger than the checkpoint's size 39"), "{body}");
    for bad in ["hello", "old 007\n\n", "old 0\nnot base64\n\n"] {
        let (status, _, body) = post(&url, bad);
        assert_eq!(status, 400, "{bad:?}: {body}");
    }
    assert_eq!(post(&url, &"x".repeat(100_000)).0, 413);

    // A forged consistency proof: 422; the true one is cosigned.
    t.add(&url, &t.w_public).expect(0);
    t.grow("MORE", 300);
    let grown = std::fs::read_to_string(t.checkpoint()).expect("cp");
    let mut lines = proof_lines(s, 39);
    assert!(!lines.is_empty());
    let honest = format!("old 39\n{}\n\n{grown}", lines.join("\n"));
    let mut first = B64.decode(&lines[0]).expect("base64");
    first[0] ^= 1;
    lines[0] = B64.encode(first);
    let (status, _, body) = post(&url, &format!("old 39\n{}\n\n{grown}", lines.join("\n")));
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("does not verify"), "{body}");
    let (status, _, body) = post(&url, &honest);
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("\u{2014} witness.example/w1 ") && body.ends_with('\n'), "{body}");

    // A fork: another history of the same size, signed by the same key. Sent by hand: 409 (not
    // the witness's size); by the client: 409 after its retry, exit 1.
    let fork = Sandbox::init();
    fork.run_stdin(&["append", "-"], designations("FORK", 338).as_bytes()).expect(0);
    let fork_dir = fork.dir.path().join("log").to_str().expect("utf-8").to_owned();
    fork.run(&["publish", &fork_dir, "--sign", &t.a.key]).expect(0);
    let fork_note = std::fs::read_to_string(format!("{fork_dir}/checkpoint")).expect("cp");
    assert!(fork_note.starts_with("test-ledger\n339\n"), "{fork_note}");
    let (status, content_type, body) = post(&url, &format!("old 339\n\n{fork_note}"));
    assert_eq!(status, 409, "{body}");
    assert!(content_type.starts_with("text/plain") && body.contains("a fork"), "{content_type}: {body}");
    let r = fork.run(&["witness", "add-checkpoint", &fork_dir, "--url", &url, "--witness-key", &t.w_public]).expect(1);
    assert!(r.stderr.contains("HTTP 409") && r.stderr.contains("a fork"), "{}", r.stderr);
    let kept = std::fs::read_to_string(format!("{fork_dir}/checkpoint")).expect("cp");
    assert_eq!(signature_lines(&kept).len(), 1, "nothing was kept: {kept}");

    // A witness that cannot be reached: exit 69, as --remote.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a port").local_addr().expect("addr").port();
    let r = s.run(&[
        "witness",
        "add-checkpoint",
        &t.dir,
        "--url",
        &format!("http://127.0.0.1:{port}"),
        "--witness-key",
        &t.w_public,
    ]);
    let r = r.expect(69);
    assert!(r.stderr.contains("cannot reach the witness"), "{}", r.stderr);
    // A witness key that is a log's, and a log key that is a witness's: refused before anything.
    s.run(&["witness", "add-checkpoint", &t.dir, "--url", &url, "--witness-key", &t.a.public]).expect(2);
    let r = s
        .run(&["witness", "serve", "--key", &t.a.key, "--log", &t.a.public, "--state", &t.a.path("x.state")])
        .expect(65);
    assert!(r.stderr.contains("where a witness's cosigner key (0x04) belongs"), "{}", r.stderr);
    let r = s
        .run(&["witness", "serve", "--key", &t.w_key, "--log", &t.w_public, "--state", &t.a.path("x.state")])
        .expect(2);
    assert!(r.stderr.contains("--log"), "{}", r.stderr);
}

#[test]
fn two_witnesses_cosign_one_checkpoint() {
    let t = Setup::new();
    let (w2_key, w2_public) = witness_key(&t.a.s, "witness.example/w2");
    let w2 = start_witness(&t.a.s, &w2_key, &[&t.a.public], &t.a.path("w2.state"));
    t.add(&t.witness.url, &t.w_public).expect(0);
    t.add(&w2.url, &w2_public).expect(0);
    // Cosigned again by the first: its earlier cosignature is replaced, not added to.
    let again = t.add(&t.witness.url, &t.w_public).expect(0).json();
    assert_eq!((again["old_size"].as_u64(), again["retried"].as_bool()), (Some(39), Some(true)));
    let note = std::fs::read_to_string(t.checkpoint()).expect("cp");
    let lines = signature_lines(&note);
    assert_eq!(lines.len(), 3, "{note}");
    assert!(
        lines[1].starts_with("\u{2014} witness.example/w2 ") && lines[2].starts_with("\u{2014} witness.example/w1 ")
    );
    let cp = t.checkpoint();
    let v = t.a.s.run(&[
        "verify",
        "--checkpoint",
        &cp,
        "--key",
        &t.a.public,
        "--witness",
        &t.w_public,
        "--witness",
        &w2_public,
        "--format",
        "json",
    ]);
    let v = v.expect(0).json();
    let names: Vec<&str> = v["checkpoint"]["witnesses"]["cosigned"]
        .as_array()
        .expect("cosigned")
        .iter()
        .map(|c| c["witness"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["witness.example/w1", "witness.example/w2"]);
    // A witness's key given for the other's URL: its answer holds no cosignature of that key.
    let r = t.a.s.run(&["witness", "add-checkpoint", &t.dir, "--url", &w2.url, "--witness-key", &t.w_public]).expect(1);
    assert!(r.stderr.contains("no valid cosignature of the key witness.example/w1"), "{}", r.stderr);
}
