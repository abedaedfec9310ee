//! `ledger serve`: the real server on an ephemeral loopback port over a real sled store, asked
//! with a real HTTP client. Its answers are the command line's (compared with `--format json` on a
//! copy of the same ledger), writes need an operator's token, refusals are JSON with the status
//! of their class, readers answer while a 100k-event append runs, and SIGTERM in the middle of
//! writes loses nothing that was acknowledged.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use ledger_tests::{CLOCK, IMPORT_CLOCK, Sandbox, copy_dir, designations, ledger_bin, repo_file};
use serde_json::Value;

/// A running `ledger serve`, stopped with SIGTERM on drop.
struct Server {
    child: Child,
    url: String,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Server {
    /// Starts `ledger serve` on the sandbox's ledger with `args`, and waits for its address.
    fn start(s: &Sandbox, args: &[&str]) -> Server {
        Server::start_at(s, CLOCK, args)
    }

    /// [`Server::start`] with the clock at `clock`.
    fn start_at(s: &Sandbox, clock: &str, args: &[&str]) -> Server {
        let mut c = Command::new(ledger_bin());
        c.arg("--ledger").arg(&s.ledger).arg("serve").args(["--listen", "127.0.0.1:0"]).args(args);
        c.env("LEDGER_CLOCK", clock).env_remove("LEDGER_PATH").current_dir(s.dir.path());
        let mut child = c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut first).expect("the first line");
        let url = first.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("first line: {first:?}"));
        let mut err = child.stderr.take().expect("stderr");
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        Server { url: url.to_owned(), child, stderr: Some(stderr) }
    }

    /// Sends SIGTERM and waits for the server to exit; returns its exit code and stderr.
    fn stop(mut self) -> (i32, String) {
        self.terminate();
        let status = self.child.wait().expect("wait");
        let err = self.stderr.take().map(|h| h.join().expect("stderr")).unwrap_or_default();
        (status.code().unwrap_or(-1), err)
    }

    fn terminate(&self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.terminate();
            let _ = self.child.wait();
        }
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// A response: status, body text, and the `WWW-Authenticate` header.
struct Reply {
    status: u16,
    body: String,
    challenge: Option<String>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    fn expect(self, status: u16) -> Reply {
        assert_eq!(self.status, status, "body: {}", self.body);
        self
    }
}

fn reply(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut r = r.expect("the server answers");
    let challenge = r.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = r.body_mut().with_config().limit(1 << 30).read_to_string().expect("a UTF-8 body");
    Reply { status: r.status().as_u16(), body, challenge }
}

fn get(a: &ureq::Agent, url: &str) -> Reply {
    reply(a.get(url).call())
}

fn post(a: &ureq::Agent, url: &str, token: Option<&str>, body: &[u8]) -> Reply {
    let mut req = a.post(url);
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    reply(req.send(body))
}

/// Makes a token with `ledger token` into the sandbox's tokens file.
fn token(s: &Sandbox, name: &str, role: &str) -> String {
    let tokens = s.dir.path().join("tokens.txt");
    let r = s.run(&["token", name, "--role", role, "--add", tokens.to_str().expect("utf-8")]).expect(0);
    r.stdout.trim().to_owned()
}

fn tokens_file(s: &Sandbox) -> String {
    s.dir.path().join("tokens.txt").to_str().expect("utf-8").to_owned()
}

/// The sandbox's ledger copied into a new sandbox, for the command line to ask while the server
/// holds the original.
fn copy_of(s: &Sandbox) -> Sandbox {
    let c = Sandbox::new();
    copy_dir(&s.ledger, &c.ledger);
    c
}

#[test]
fn every_question_is_answered_as_the_command_line_answers_it() {
    let s = Sandbox::tour();
    let local = copy_of(&s);
    let server = Server::start(&s, &[]);
    let a = agent();
    let u = &server.url;
    let cli = |args: &[&str]| -> Value {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        local.run(&all).json()
    };
    let cases: [(&str, &[&str]); 10] = [
        ("/v1/head", &["head"]),
        ("/v1/designations/UK/GIM0030?at=2025-11-05", &["show", "UK/GIM0030", "--at", "2025-11-05"]),
        ("/v1/designations/UK/GIM0047?at=2025-10-21", &["show", "UK/GIM0047", "--at", "2025-10-21"]),
        ("/v1/designations/UK/GIM0030/history", &["history", "UK/GIM0030"]),
        (
            "/v1/diff?from=2025-10-01&to=2026-03-01&as_of=2026-01-15T09:00:00Z",
            &["diff", "--from", "2025-10-01", "--to", "2026-03-01", "--as-of", "2026-01-15T09:00:00Z"],
        ),
        ("/v1/search?q=seferovic&at=2025-11-01", &["search", "seferovic", "--at", "2025-11-01"]),
        ("/v1/state?count=true&at=2026-03-01", &["state", "--count", "--at", "2026-03-01"]),
        ("/v1/state?include_delisted=true&limit=10000", &["state", "--include-delisted"]),
        ("/v1/checkpoint", &["checkpoint"]),
        ("/v1/proof/inclusion/7", &["prove", "7"]),
    ];
    for (path, args) in cases {
        let body = get(&a, &format!("{u}{path}")).expect(200).json();
        let mut want = cli(args);
        if path == "/v1/head" {
            // The ledger's directory as each was given it: the two are copies.
            want["ledger"] = body["ledger"].clone();
        }
        assert_eq!(body, want, "{path} against `ledger {}`", args.join(" "));
    }
    let proof = get(&a, &format!("{u}/v1/proof/consistency?old=10&size=30")).expect(200).json();
    assert_eq!(proof, cli(&["prove", "--consistency", "10", "--size", "30"]));

    // State in pages: every page names the head, and together they are the whole state.
    let whole = cli(&["state"]);
    let (mut rows, mut after) = (Vec::new(), String::new());
    loop {
        let page = get(&a, &format!("{u}/v1/state?limit=7&after={after}")).expect(200).json();
        assert_eq!(page["head"], whole["head"]);
        rows.extend(page["designations"].as_array().expect("rows").iter().cloned());
        match page["next"].as_str() {
            Some(next) => after = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(Value::Array(rows), whole["designations"]);

    // The log streamed as `ledger log --format json` writes it, and the bundle as `export`.
    let log = get(&a, &format!("{u}/v1/log?from=3&limit=5")).expect(200).body;
    assert_eq!(log, local.run(&["log", "--from", "3", "--limit", "5", "--format", "json"]).expect(0).stdout);
    let bundle = get(&a, &format!("{u}/v1/export")).expect(200).body;
    local.run(&["export", "b.jsonl"]).expect(0);
    assert_eq!(bundle, std::fs::read_to_string(local.dir.path().join("b.jsonl")).expect("the bundle"));
    assert!(get(&a, &format!("{u}/healthz")).expect(200).json()["ok"].as_bool().expect("ok"));

    // "Not found" is a 404 that carries the answer, as the command line prints it before its exit 1.
    let r = get(&a, &format!("{u}/v1/designations/UK/gim0047")).expect(404).json();
    let local_run = local.run(&["show", "UK/gim0047", "--format", "json"]).expect(1);
    assert_eq!(r["answer"], local_run.json());
    assert_eq!(r["error"]["code"], "not_found");
    assert!(local_run.stderr.contains(r["error"]["message"].as_str().expect("message")), "{}", local_run.stderr);
    let r = get(&a, &format!("{u}/v1/search?q=nobody+at+all")).expect(404).json();
    assert_eq!(r["answer"]["matches"], Value::Array(vec![]));
    let r = get(&a, &format!("{u}/v1/state?authority=XX")).expect(404).json();
    assert!(r["error"]["message"].as_str().expect("message").contains("authority `XX`"), "{r}");

    // The ledger directory itself is held: a command run on it says where to ask instead.
    let held = s.run(&["head"]).expect(75);
    assert!(held.stderr.contains(&format!("--remote {u}")), "{}", held.stderr);

    // The page and its parts are served from the binary.
    let page = get(&a, &format!("{u}/")).expect(200).body;
    assert!(page.contains("<html") && page.contains("app.js"), "{page}");
    get(&a, &format!("{u}/app.js")).expect(200);
    get(&a, &format!("{u}/style.css")).expect(200);

    let (code, log) = server.stop();
    assert_eq!(code, 0, "{log}");
    assert!(log.contains(r#""path":"/v1/head""#) && log.contains(r#""status":200"#), "request logs: {log}");
}

#[test]
fn writes_need_an_operator_token_and_record_its_holder() {
    let s = Sandbox::gim();
    let operator = token(&s, "alice@example.org", "operator");
    let reader = token(&s, "reviewers", "reader");
    // The clock after the real list's report date, for its import.
    let server = Server::start_at(&s, IMPORT_CLOCK, &["--tokens", &tokens_file(&s)]);
    let (a, u) = (agent(), server.url.clone());
    let batch = designations("SRV", 2);
    let events = format!("{u}/v1/events");

    let none = post(&a, &events, None, batch.as_bytes()).expect(401);
    assert_eq!(none.challenge.as_deref(), Some("Bearer"));
    assert_eq!(none.json()["error"]["code"], "unauthorized");
    post(&a, &events, Some("ldg_not-a-token"), batch.as_bytes()).expect(401);
    let forbidden = post(&a, &events, Some(&reader), batch.as_bytes()).expect(403).json();
    assert!(forbidden["error"]["message"].as_str().expect("message").contains("reader"), "{forbidden}");
    assert_eq!(get(&a, &format!("{u}/v1/head")).json()["head"]["seq"], 38, "nothing was written");

    let done = post(&a, &events, Some(&operator), batch.as_bytes()).expect(200).json();
    assert_eq!(done["appended"], 2);
    assert_eq!(done["head"]["seq"], 40);
    // The answer's head is the one questions now see, and the events name the token's holder.
    assert_eq!(get(&a, &format!("{u}/v1/head")).json()["head"], done["head"]);
    let last: Value = serde_json::from_str(get(&a, &format!("{u}/v1/log?from=40")).body.trim()).expect("an event");
    assert_eq!(last["actor"], "alice@example.org");

    // An import over HTTP, with its guards: the list lacks the two designations just made by
    // hand, and delisting them is refused unless the operator overrides; a dry run writes nothing.
    let list =
        std::fs::read(repo_file("tests/fixtures/lists/uk-gim/UK-Sanctions-List-GIM-2026-04-29.csv")).expect("list");
    let hand = post(&a, &format!("{u}/v1/import/uk-csv?dry_run=true"), Some(&operator), &list).expect(422).json();
    assert!(hand["error"]["message"].as_str().expect("message").contains("UK/SRV000001 status"), "{hand}");
    let url = format!("{u}/v1/import/uk-csv?dry_run=true&override_manual=true&max_delist=2&name=gim.csv");
    let dry = post(&a, &url, Some(&operator), &list).expect(200).json();
    assert_eq!(dry["hand_entered"].as_array().map(Vec::len), Some(2), "{dry}");
    assert_eq!((dry["dry_run"].as_bool(), dry["file"].as_str()), (Some(true), Some("gim.csv")));
    assert_eq!(get(&a, &format!("{u}/v1/head")).json()["head"]["seq"], 40);
    post(&a, &format!("{u}/v1/import/uk-csv"), Some(&reader), &list).expect(403);
    let bad = post(&a, &format!("{u}/v1/import/ofac-csv"), Some(&operator), &list).expect(400).json();
    assert!(bad["error"]["message"].as_str().expect("message").contains("several files"), "{bad}");
    drop(server);

    // Without --tokens the server takes no writes at all; with --read-token questions need one.
    let server = Server::start(&s, &[]);
    let r = post(&a, &format!("{}/v1/events", server.url), Some(&operator), batch.as_bytes()).expect(403);
    assert!(r.body.contains("without --tokens"), "{}", r.body);
    drop(server);
    let server = Server::start(&s, &["--tokens", &tokens_file(&s), "--read-token"]);
    get(&a, &format!("{}/v1/head", server.url)).expect(401);
    // HEAD runs a question's handler too: it needs the token as GET does.
    reply(a.head(&format!("{}/v1/search?q=seferovic", server.url)).call()).expect(401);
    let with =
        reply(a.get(&format!("{}/v1/head", server.url)).header("Authorization", &format!("Bearer {reader}")).call());
    with.expect(200);
    get(&a, &format!("{}/healthz", server.url)).expect(200);
}

#[test]
fn refusals_are_json_with_the_status_of_their_class_and_nothing_is_written() {
    let s = Sandbox::gim();
    let operator = token(&s, "alice", "operator");
    let server = Server::start(&s, &["--tokens", &tokens_file(&s), "--max-body", "4096"]);
    let (a, u) = (agent(), server.url.clone());
    let events = format!("{u}/v1/events");
    let send = |body: &str| post(&a, &events, Some(&operator), body.as_bytes());

    let r = send("{\"type\":\"designation\"\n").expect(422).json();
    assert_eq!((r["error"]["code"].as_str(), r["error"]["line"].as_u64()), (Some("invalid"), Some(1)));
    let two = format!(
        "{}\n{{\"type\":\"delisting\",\"authority\":\"UK\",\"id\":\"GIM0047\",\"effective\":\"2025-01-01\",\"reason\":\"x\"}}\n",
        designations("NEW", 1).trim()
    );
    let r = send(&two).expect(409).json();
    assert_eq!(r["error"]["code"], "conflict");
    assert_eq!((r["error"]["line"].as_u64(), r["error"]["key"].as_str()), (Some(2), Some("UK/GIM0047")));
    let far = r#"{"type":"delisting","authority":"UK","id":"GIM0047","effective":"2031-01-01","reason":"x"}"#;
    assert_eq!(send(far).expect(422).json()["error"]["code"], "unconfirmed");
    let big = designations("BIG", 40);
    assert_eq!(send(&big).expect(413).json()["error"]["code"], "too_large");
    // Without a token the body is not even read: the refusal is the token's, whatever its size.
    post(&a, &events, None, big.as_bytes()).expect(401);
    assert_eq!(get(&a, &format!("{u}/v1/head")).json()["head"]["seq"], 38, "nothing was written");

    for (path, code) in [
        ("/v1/state?at=yesterday", 400),
        ("/v1/state?asof=2025-01-01", 400),
        ("/v1/state?limit=-1", 400),
        ("/v1/diff?from=2026-01-01&to=2025-01-01", 400),
        ("/v1/designations/UK/GIM%200047", 400),
        ("/v1/search?q=--", 400),
        ("/v1/proof/inclusion/7?size=9999", 400),
        ("/v1/proof/inclusion/x", 400),
        ("/v1/nowhere", 404),
    ] {
        let r = get(&a, &format!("{u}{path}"));
        assert_eq!(r.status, code, "{path}: {}", r.body);
        assert!(r.json()["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{path}");
    }
    let long = format!("{u}/v1/search?q={}", "a".repeat(10_000));
    assert_eq!(get(&a, &long).expect(414).json()["error"]["code"], "too_long");
}

#[test]
fn readers_answer_at_a_consistent_head_while_a_100k_event_append_runs() {
    const READERS: usize = 32;
    let s = Sandbox::gim();
    let operator = token(&s, "bulk", "operator");
    let server = Server::start(&s, &["--tokens", &tokens_file(&s)]);
    let u = server.url.clone();
    let batch = designations("BULK", 100_000);
    let appending = Arc::new(AtomicBool::new(true));
    let start = Arc::new(Barrier::new(READERS + 1));

    let readers: Vec<_> = (0..READERS)
        .map(|i| {
            let (u, appending, start) = (u.clone(), appending.clone(), start.clone());
            std::thread::spawn(move || {
                let a = agent();
                // (seconds the read took, the head seq it names, whether it ran wholly inside the append)
                let mut reads: Vec<(f64, u64, bool)> = Vec::new();
                start.wait();
                while appending.load(Ordering::SeqCst) || reads.len() < 3 {
                    let t = Instant::now();
                    let r = match i % 3 {
                        0 => get(&a, &format!("{u}/v1/state?count=true&at=2025-12-01")),
                        1 => get(&a, &format!("{u}/v1/designations/UK/GIM0047?at=2025-12-01")),
                        _ => get(&a, &format!("{u}/v1/search?q=seferovic")),
                    };
                    let during = appending.load(Ordering::SeqCst);
                    let v = r.expect(200).json();
                    let seq = v["head"]["seq"].as_u64().expect("a head");
                    if i % 3 == 0 {
                        // The count is the head's: the 38 before the append, all of them after.
                        let want = if seq == 38 { 38 } else { 100_038 };
                        assert_eq!(v["count"], want, "a count at head {seq}");
                    }
                    reads.push((t.elapsed().as_secs_f64(), seq, during));
                }
                reads
            })
        })
        .collect();

    start.wait();
    let t = Instant::now();
    let done = post(&agent(), &format!("{u}/v1/events"), Some(&operator), batch.as_bytes()).expect(200).json();
    let append_s = t.elapsed().as_secs_f64();
    appending.store(false, Ordering::SeqCst);
    assert_eq!(done["head"]["seq"], 100_038);

    let reads: Vec<(f64, u64, bool)> = readers.into_iter().flat_map(|h| h.join().expect("a reader")).collect();
    for (_, seq, _) in &reads {
        assert!(*seq == 38 || *seq == 100_038, "an answer names head {seq}, neither before nor after the batch");
    }
    let during: Vec<&(f64, u64, bool)> = reads.iter().filter(|r| r.2).collect();
    let slowest = during.iter().map(|r| r.0).fold(0.0, f64::max);
    eprintln!(
        "{} reads, {} of them while the {append_s:.1} s append ran; the slowest of those took {:.3} s",
        reads.len(),
        during.len(),
        slowest
    );
    assert!(during.len() >= READERS, "readers were answered while the append ran ({} reads)", during.len());
    assert!(slowest < append_s, "a read waited as long as the whole append ({slowest:.3} s of {append_s:.3} s)");
    assert!(reads.iter().any(|r| r.1 == 100_038), "reads after the append see it");
}

#[test]
fn sigterm_amid_appends_keeps_every_acknowledged_batch() {
    let s = Sandbox::gim();
    let operator = token(&s, "bulk", "operator");
    let server = Server::start(&s, &["--tokens", &tokens_file(&s)]);
    let u = server.url.clone();
    // A writer appends 5k-event batches back to back; SIGTERM arrives while one is in flight.
    let writer = std::thread::spawn(move || {
        let a = agent();
        let mut acknowledged: Vec<Value> = Vec::new();
        for i in 0..40 {
            let batch = designations(&format!("T{i:02}X"), 5_000);
            let mut req = a.post(&format!("{u}/v1/events"));
            req = req.header("Authorization", &format!("Bearer {operator}"));
            match req.send(batch.as_bytes()) {
                Ok(mut r) if r.status() == 200 => {
                    let v: Value = serde_json::from_str(&r.body_mut().read_to_string().expect("body")).expect("json");
                    acknowledged.push(v["head"].clone());
                }
                // The server stopped taking requests, or shut the connection.
                _ => break,
            }
        }
        acknowledged
    });
    std::thread::sleep(Duration::from_millis(1500));
    let (code, log) = server.stop();
    let acknowledged = writer.join().expect("the writer");
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("shutdown"), "{log}");
    assert!(!acknowledged.is_empty(), "some batches were acknowledged before the signal");

    // Restarted: every acknowledged batch is there, and the ledger verifies.
    let last = acknowledged.last().expect("a head");
    let (seq, hash) = s.head();
    assert!(seq >= last["seq"].as_u64().expect("seq"), "head {seq} is behind the acknowledged {last}");
    let logged = s.log();
    for h in &acknowledged {
        let at = &logged[h["seq"].as_u64().expect("seq") as usize];
        assert_eq!(at["hash"], h["hash"], "the acknowledged head {h} is in the log");
    }
    assert_eq!(logged.last().expect("events")["hash"], hash.as_str());
    s.run(&["verify"]).expect(0);
    assert!(!s.ledger.join("ledger.serving").exists(), "the server's address note is removed when it stops");
}

/// The pages of one state are read at the first page's head (`head=`), so appends landing
/// between them change nothing in the whole.
#[test]
fn state_pages_read_at_one_head_are_one_answer_whatever_lands_between_them() {
    let s = Sandbox::gim();
    let before = copy_of(&s).run(&["state", "--format", "json"]).json();
    let operator = token(&s, "alice", "operator");
    let server = Server::start(&s, &["--tokens", &tokens_file(&s)]);
    let (a, u) = (agent(), server.url.clone());
    let first = get(&a, &format!("{u}/v1/state?limit=10")).expect(200).json();
    let head = first["head"]["seq"].as_u64().expect("seq");
    let mut rows: Vec<Value> = first["designations"].as_array().expect("rows").clone();
    let mut after = first["next"].as_str().expect("more pages").to_owned();
    // Keys before and after those already read, and an amendment of one not yet read.
    let batch = format!(
        "{}{}{}\n",
        designations("AAA", 2),
        designations("ZZZ", 2),
        r#"{"type":"amendment","authority":"UK","id":"GIM0047","effective":"2025-11-01","patch":{"reason":"varied"}}"#
    );
    post(&a, &format!("{u}/v1/events"), Some(&operator), batch.as_bytes()).expect(200);
    loop {
        let page = get(&a, &format!("{u}/v1/state?limit=10&after={after}&head={head}")).expect(200).json();
        assert_eq!(page["head"], first["head"]);
        rows.extend(page["designations"].as_array().expect("rows").iter().cloned());
        match page["next"].as_str() {
            Some(next) => after = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(Value::Array(rows), before["designations"]);
    let now = get(&a, &format!("{u}/v1/state?count=true")).expect(200).json();
    assert_eq!(now["count"], 42, "the appended keys are in the answers at the new head");
    get(&a, &format!("{u}/v1/state?head=999")).expect(400);
}
