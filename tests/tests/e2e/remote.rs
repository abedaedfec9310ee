//! `ledger --remote URL`: the command line asking a running `ledger serve` prints what it prints
//! when it opens the ledger itself (byte for byte, exit code and stderr too), and its refusals
//! have exit codes of their own.
//!
//! Each test keeps two copies of one ledger, each at `ledger.sled` in a directory of its own (so
//! that the path the JSON answers name is the same): the server's, and a local one that the
//! same commands run on without `--remote`. Both run at one fixed clock, and the operator's token
//! is named as the local actor, so that what is appended is the same event in both.

use std::path::Path;
use std::process::{Command, Stdio};

use ledger_tests::{IMPORT_CLOCK, Run, Server, TOUR_AMENDMENTS, copy_dir, designations, ledger_bin, repo_file};
use tempfile::TempDir;

/// `ledger --ledger ledger.sled ARGS` in `dir`, at the fixed clock, as `tester`, with none of
/// the environment's `LEDGER_*` settings.
fn ledger(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(ledger_bin());
    c.arg("--ledger").arg("ledger.sled").args(args).current_dir(dir);
    c.env("LEDGER_CLOCK", IMPORT_CLOCK).env("LEDGER_ACTOR", "tester");
    for v in ["LEDGER_PATH", "LEDGER_REMOTE", "LEDGER_TOKEN", "NO_COLOR"] {
        c.env_remove(v);
    }
    c
}

fn run(mut c: Command) -> Run {
    let o = c.stdin(Stdio::null()).output().expect("run ledger");
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// A ledger served, its local copy, and the tokens of an operator and a reader.
struct Served {
    server_dir: TempDir,
    local: TempDir,
    server: Option<Server>,
    operator: String,
    reader: String,
}

impl Served {
    /// The ledger that `build` makes (in the server's directory), copied, then served.
    fn new(build: impl FnOnce(&Path)) -> Served {
        let server_dir = tempfile::tempdir().expect("a directory");
        let local = tempfile::tempdir().expect("a directory");
        build(server_dir.path());
        copy_dir(&server_dir.path().join("ledger.sled"), &local.path().join("ledger.sled"));
        let token = |name: &str, role: &str| {
            let r = run(ledger(server_dir.path(), &["token", name, "--role", role, "--add", "tokens.txt"])).expect(0);
            r.stdout.trim().to_owned()
        };
        // Named as the local actor: what it appends is recorded as the local command records it.
        let operator = token("tester", "operator");
        let reader = token("reviewer", "reader");
        let server =
            Server::start(ledger(server_dir.path(), &["serve", "--listen", "127.0.0.1:0", "--tokens", "tokens.txt"]));
        Served { server_dir, local, server: Some(server), operator, reader }
    }

    /// The tour's ledger: the 38 GIM designations, an amendment and a delisting.
    fn tour() -> Served {
        Served::new(|dir| {
            run(ledger(dir, &["init", "--name", "test-ledger"])).expect(0);
            let gim = repo_file("examples/uk-gim-2025.jsonl");
            run(ledger(dir, &["append", gim.to_str().expect("utf-8")])).expect(0);
            std::fs::write(dir.join("amend.jsonl"), TOUR_AMENDMENTS).expect("write");
            run(ledger(dir, &["append", "amend.jsonl"])).expect(0);
        })
    }

    fn url(&self) -> String {
        self.server.as_ref().expect("the server runs").url.clone()
    }

    /// `ledger ARGS` on the local copy.
    fn local(&self, args: &[&str]) -> Run {
        run(ledger(self.local.path(), args))
    }

    /// `ledger --remote URL [--token TOKEN] ARGS`, from the local copy's directory.
    fn remote(&self, token: Option<&str>, args: &[&str]) -> Run {
        let url = self.url();
        let mut head = vec!["--remote", url.as_str()];
        if let Some(t) = token {
            head.extend(["--token", t]);
        }
        run(ledger(self.local.path(), &[&head[..], args].concat()))
    }

    /// Asserts that `args` prints the same, exits the same and says the same on stderr through
    /// the server as on the local copy; returns the exit code.
    #[track_caller]
    fn same(&self, token: Option<&str>, args: &[&str]) -> i32 {
        let (here, there) = (self.local(args), self.remote(token, args));
        assert_eq!(
            (here.code, &here.stdout, &here.stderr),
            (there.code, &there.stdout, &there.stderr),
            "ledger {args:?}: local (left) and through the server (right) differ"
        );
        here.code
    }
}

#[test]
fn questions_through_a_server_answer_as_the_ledger_does() {
    let s = Served::tour();
    let questions: &[(&[&str], i32)] = &[
        (&["head"], 0),
        (&["state", "--at", "2025-10-23"], 0),
        (&["state", "--at", "2025-10-23", "--as-of", "2025-12-31", "--regime", "gim", "--kind", "individual"], 0),
        (&["state", "--at", "2026-03-01", "--include-delisted", "--authority", "UK"], 0),
        (&["state", "--at", "2025-10-23", "--count"], 0),
        (&["state", "--regime", "GIN"], 1),
        (&["state", "--authority", "US", "--count"], 1),
        (&["show", "UK/GIM0047", "--at", "2025-10-21"], 0),
        (&["show", "UK/GIM0047", "--at", "2025-10-23"], 0),
        (&["show", "UK/GIM0030", "--at", "2025-11-10", "--as-of", "2026-01-01"], 0),
        (&["show", "uk/gim0047"], 1),
        (&["show", "UK/GIM9999"], 1),
        (&["show", "US/GIM0047"], 1),
        (&["history", "UK/GIM0030"], 0),
        (&["history", "UK/GIM0030", "--as-of", "2025-12-31"], 0),
        (&["history", "UK/NOPE"], 1),
        (&["diff", "--from", "2025-07-23", "--to", "2025-10-22"], 0),
        (&["diff", "--from", "2025-10-31", "--to", "2026-02-28", "--as-of", "2026-06-01"], 0),
        (&["diff", "--from", "2026-02-28", "--to", "2025-10-31"], 2),
        (&["search", "Nusret Seferović", "--at", "2025-10-23"], 0),
        (&["search", "alpa trading"], 0),
        (&["search", "nobody of that name"], 1),
        (&["search", "--", "--"], 2),
        (&["log"], 0),
        (&["log", "--from", "36", "--limit", "2"], 0),
        (&["log", "--from", "100"], 0),
        (&["checkpoint"], 0),
        (&["prove", "2"], 0),
        (&["prove", "2", "--size", "10"], 0),
        (&["prove", "--consistency", "39"], 0),
        (&["prove", "--consistency", "10", "--size", "20"], 0),
        (&["prove", "99"], 2),
    ];
    for (args, code) in questions {
        for format in ["table", "json", "csv"] {
            let args = [*args, &["--format", format]].concat();
            let got = s.same(None, &args);
            // csv is refused where the answer is not a table (show, history, checkpoint).
            if format != "csv" || ["state", "diff", "search", "log", "head", "prove"].contains(&args[0]) {
                assert_eq!(got, *code, "ledger {args:?}");
            }
        }
    }
    // A reader's token reads; the server answers questions without one too.
    assert_eq!(s.same(Some(&s.reader), &["show", "UK/GIM0047", "--at", "2025-10-23"]), 0);
    // The not-found messages are the ledger's own.
    let r = s.remote(None, &["show", "UK/GIM9999"]).expect(1);
    assert!(r.stderr.contains("UK/GIM9999 is not in the ledger"), "{}", r.stderr);
}

#[test]
fn exports_through_a_server_are_the_ledgers_bundle() {
    let s = Served::tour();
    let (here, there) = (s.local.path().join("here.bundle"), s.local.path().join("there.bundle"));
    let here_s = here.to_str().expect("utf-8");
    let there_s = there.to_str().expect("utf-8");
    let local = s.local(&["export", here_s]).expect(0);
    let remote = s.remote(None, &["export", there_s]).expect(0);
    assert_eq!(local.stdout.replace("here.bundle", "there.bundle"), remote.stdout);
    assert_eq!(std::fs::read(&here).expect("read"), std::fs::read(&there).expect("read"));
    let streamed = s.remote(None, &["export", "-"]).expect(0);
    assert_eq!(streamed.stdout.as_bytes(), std::fs::read(&here).expect("read"));
    s.local(&["verify-bundle", there_s]).expect(0);
    let json = s.remote(None, &["export", there_s, "--format", "json"]).expect(0).json();
    assert_eq!(json["size"], 41);
    assert_eq!(json["signed"], false);
    // The server signs with its own key, or not at all.
    let r = s.remote(None, &["export", there_s, "--sign", "ledger.key"]).expect(2);
    assert!(r.stderr.contains("ledger serve --sign"), "{}", r.stderr);
    s.remote(None, &["checkpoint", "--sign", "ledger.key"]).expect(2);
}

#[test]
fn appends_through_a_server_need_an_operators_token_and_are_the_ledgers_appends() {
    let mut s = Served::tour();
    let batch = format!(
        "{}\n{}\n",
        ledger_tests::designation("GIM0100", "2026-01-20", "Person One"),
        ledger_tests::designation("GIM0101", "2026-01-21", "Person Two")
    );
    std::fs::write(s.local.path().join("batch.jsonl"), &batch).expect("write");
    let before = s.local(&["head", "--format", "json"]).expect(0).stdout;

    // Without a token, with a reader's, with one the server does not know: 77, nothing written.
    let r = s.remote(None, &["append", "batch.jsonl"]).expect(77);
    assert!(r.stderr.contains("--token") && r.stderr.contains("LEDGER_TOKEN"), "{}", r.stderr);
    let r = s.remote(Some(&s.reader), &["append", "batch.jsonl"]).expect(77);
    assert!(r.stderr.contains("role reader"), "{}", r.stderr);
    s.remote(Some("not-a-token"), &["append", "batch.jsonl"]).expect(77);
    s.remote(None, &["import", "uk-csv", "batch.jsonl"]).expect(77);
    assert_eq!(s.remote(None, &["head", "--format", "json"]).expect(0).stdout, before);

    // An operator's: the same answer as the local append, the same events.
    assert_eq!(s.same(Some(&s.operator), &["append", "batch.jsonl"]), 0);
    assert_eq!(s.same(None, &["log", "--format", "json"]), 0);
    // The same line again breaks a lifecycle rule: 65, with the file named as locally.
    assert_eq!(s.same(Some(&s.operator), &["append", "batch.jsonl"]), 65);

    // A list imported through the server: the dry run and the import as the local command's.
    let list = repo_file("tests/fixtures/lists/uk-gim/UK-Sanctions-List-GIM-2026-04-29.csv");
    std::fs::copy(&list, s.local.path().join("gim.csv")).expect("copy the list");
    // (It delists the two designations the batch added by hand, and undoes a delisting made by
    // hand: refused by default, with the local command's words.)
    assert_eq!(s.same(Some(&s.operator), &["import", "uk-csv", "gim.csv"]), 65);
    assert_eq!(s.same(Some(&s.operator), &["import", "uk-csv", "gim.csv", "--override-manual"]), 65);
    let import = ["import", "uk-csv", "gim.csv", "--max-delist", "2", "--override-manual"];
    for format in ["table", "json"] {
        assert_eq!(s.same(Some(&s.operator), &[&import[..], &["--dry-run", "--format", format]].concat()), 0);
    }
    assert_eq!(s.same(Some(&s.operator), &import), 0);
    // OFAC's CSV list is several files: the server takes one body, and says so.
    let r = s.remote(Some(&s.operator), &["import", "ofac-csv", "gim.csv", "--published", "2026-05-01"]).expect(2);
    assert!(r.stderr.contains("ofac-xml"), "{}", r.stderr);

    // A date that looks mistyped: refused here without --yes (exit 4) before the server is
    // asked; with --yes, sent confirmed.
    let far = ledger_tests::designation("GIM0102", "2031-01-01", "Person Three");
    std::fs::write(s.local.path().join("far.jsonl"), format!("{far}\n")).expect("write");
    assert_eq!(s.same(Some(&s.operator), &["append", "far.jsonl"]), 4);
    assert_eq!(s.same(Some(&s.operator), &["append", "far.jsonl", "--yes"]), 0);
    // A date only the server's clock finds mistyped: its refusal, exit 4.
    let later = ledger_tests::designation("GIM0103", "2031-06-01", "Person Four");
    std::fs::write(s.local.path().join("later.jsonl"), format!("{later}\n")).expect("write");
    let mut c = ledger(s.local.path(), &["--remote", &s.url(), "--token", &s.operator, "append", "later.jsonl"]);
    c.env("LEDGER_CLOCK", "2031-01-01T00:00:00Z");
    let r = run(c).expect(4);
    assert!(r.stderr.contains("confirm") && r.stderr.contains("nothing was written"), "{}", r.stderr);

    // Commands that work on a local ledger only are usage errors through a server.
    for args in [
        &["verify"][..],
        &["init"],
        &["delist", "UK/GIM0047", "--effective", "2026-01-01", "--reason", "r", "--yes"],
        &["retract", "3", "--reason", "r"],
        &["import-bundle", "x.bundle"],
        &["keygen", "--out", "k.key"],
        &["serve"],
        &["token", "someone", "--role", "reader"],
    ] {
        let r = s.remote(Some(&s.operator), args).expect(2);
        assert!(r.stderr.contains("--remote"), "{args:?}: {}", r.stderr);
    }
    s.remote(Some(&s.operator), &["append", "--init", "batch.jsonl"]).expect(2);

    // What the server acknowledged is in its ledger once it has stopped, as it is in the copy.
    let (code, log) = s.server.take().expect("the server").stop();
    assert_eq!(code, 0, "the server's exit code; its log:\n{log}");
    let served = run(ledger(s.server_dir.path(), &["log", "--format", "json"])).expect(0).stdout;
    assert_eq!(served, s.local(&["log", "--format", "json"]).expect(0).stdout);
    run(ledger(s.server_dir.path(), &["verify"])).expect(0);
}

#[test]
fn a_server_that_is_not_there_is_exit_69() {
    let dir = tempfile::tempdir().expect("a directory");
    // A port that was free a moment ago, and nothing listening on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a port").port();
    let url = format!("http://127.0.0.1:{port}");
    let r = run(ledger(dir.path(), &["--remote", &url, "head"])).expect(69);
    assert!(r.stderr.contains(&format!("cannot reach the server at {url}")), "{}", r.stderr);
    let r = run(ledger(dir.path(), &["--remote", "https://ledger.example.org", "head"])).expect(2);
    assert!(r.stderr.contains("plain http"), "{}", r.stderr);
}

#[test]
fn a_long_state_is_read_page_by_page_into_one_answer() {
    // Over one page of the server's (10 000 designations).
    let s = Served::new(|dir| {
        run(ledger(dir, &["init", "--name", "test-ledger"])).expect(0);
        std::fs::write(dir.join("many.jsonl"), designations("P", 10_050)).expect("write");
        run(ledger(dir, &["append", "many.jsonl"])).expect(0);
    });
    for format in ["table", "json", "csv"] {
        assert_eq!(s.same(None, &["state", "--format", format]), 0);
    }
    assert_eq!(s.same(None, &["state", "--count", "--format", "json"]), 0);
    let json = s.remote(None, &["state", "--format", "json"]).expect(0).json();
    assert_eq!(json["count"], 10_050);
    assert!(json.get("next").is_none());
}
