//! The legal-review page in a real browser: the real `ledger serve` over a real ledger, headless
//! Chromium driven through chromedriver (WebDriver), a reviewer's questions typed as a reviewer
//! types them. Chromium and chromedriver are required: without them these tests fail, saying how
//! to install them. `LEDGER_SCREENSHOT=1` also saves the answer as docs/review-page.png.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use ledger_tests::webdriver::{Chromedriver, ENTER, Element, Session};
use ledger_tests::{Sandbox, repo_file};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);

/// `ledger serve` on an ephemeral port of 127.0.0.1, killed on drop.
struct Server {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Server {
    fn start(s: &Sandbox, args: &[&str]) -> Server {
        let log = s.dir.path().join("serve.log");
        let mut child = s
            .command(&[&["serve", "--listen", "127.0.0.1:0"], args].concat())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("the server's log file"))
            .spawn()
            .expect("start ledger serve");
        let stdout = child.stdout.take().expect("the server's stdout");
        let (tx, rx) = mpsc::channel();
        // The first line names the address; the rest is read and dropped, so the server never
        // blocks on a full pipe.
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for _ in lines {}
        });
        let first = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Some(Ok(line))) => line,
            other => {
                let _ = child.kill();
                panic!(
                    "ledger serve printed no address ({other:?}); its log:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                )
            }
        };
        // "listening on http://127.0.0.1:PORT"
        let url = first
            .find("http://")
            .map(|i| first[i..].trim().trim_end_matches('/').to_owned())
            .unwrap_or_else(|| panic!("ledger serve's first line names no http:// address: {first:?}"));
        Server { child, url, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn driver() -> Chromedriver {
    Chromedriver::start().unwrap_or_else(|e| panic!("the browser tests need Chromium and chromedriver: {e}"))
}

/// A page opened at `/` of a server over the GIM ledger: (driver, sandbox, server, browser), in
/// the order they are to be dropped last to first (the session ends before its driver).
fn open_page() -> (Chromedriver, Sandbox, Server, Session) {
    let driver = driver();
    let s = Sandbox::gim();
    let server = Server::start(&s, &[]);
    let browser = driver.session(1280, 1000).unwrap_or_else(|e| panic!("a Chromium session: {e}"));
    browser.goto(&format!("{}/", server.url)).expect("open the page");
    (driver, s, server, browser)
}

fn testid(b: &Session, id: &str) -> Element {
    b.find(&format!("[data-testid={id}]")).unwrap_or_else(|e| panic!("{e}"))
}

fn text_of(b: &Session, id: &str) -> String {
    b.text(&testid(b, id)).unwrap_or_else(|e| panic!("{e}"))
}

/// Types `value` into the input `id`, replacing what it held.
fn type_into(b: &Session, id: &str, value: &str) {
    let input = testid(b, id);
    b.clear(&input).expect("clear the input");
    if !value.is_empty() {
        b.send_keys(&input, value).expect("type into the input");
    }
}

/// Waits for the answer to the question asked with `at` in the "in force at" input, and returns
/// its status as shown.
fn answer_at(b: &Session, server: &Server, key: &str, at: &str) -> String {
    b.wait_for(&format!("the answer for {key} at {at:?}"), WAIT, |b| {
        let answer = b.find("[data-testid=answer]")?;
        let ready = b.attribute(&answer, "data-state")?.as_deref() == Some("ready")
            && b.attribute(&answer, "data-key")?.as_deref() == Some(key)
            && b.attribute(&answer, "data-at")?.as_deref() == Some(at)
            && b.displayed(&answer)?;
        if !ready {
            let error = b.find("[data-testid=error]")?;
            if b.displayed(&error)? {
                return Err(format!("the page shows an error: {}", b.text(&error)?));
            }
            return Ok(None);
        }
        Ok(Some(text_of(b, "status")))
    })
    .unwrap_or_else(|e| fail(b, server, e))
}

/// Fails the test with what the page and the server's log show.
fn fail(b: &Session, server: &Server, e: String) -> ! {
    let page = b.execute("return document.body.innerText", &[]).ok();
    let page = page.as_ref().and_then(|v| v.as_str()).unwrap_or_default();
    panic!("{e}\nthe page shows:\n{page}\nthe server's log:\n{}", server.log())
}

fn assert_head_shown(b: &Session, testid_of_head: &str, seq: u64, hash: &str) {
    let head = testid(b, testid_of_head);
    let text = b.text(&head).expect("the head's text");
    assert!(text.contains(&format!("seq {seq}")), "the head shown is {text:?}, `ledger head` says seq {seq}");
    assert!(text.contains(hash), "the head shown is {text:?}, `ledger head` says hash {hash}");
    assert_eq!(b.attribute(&head, "data-seq").expect("data-seq").as_deref(), Some(seq.to_string().as_str()));
    assert_eq!(b.attribute(&head, "data-hash").expect("data-hash").as_deref(), Some(hash));
}

#[test]
fn a_reviewer_finds_seferovic_not_designated_on_21_october_and_active_from_the_23rd() {
    let driver = driver();
    let s = Sandbox::gim();
    // The server holds the ledger's lock while it runs: ask the command line first.
    let (seq, hash) = s.head();
    let log = s.log();
    let server = Server::start(&s, &[]);
    // A laptop's width; tall enough for the screenshot to hold the history too.
    let b = driver.session(1280, 1500).unwrap_or_else(|e| panic!("a Chromium session: {e}"));
    b.goto(&format!("{}/", server.url)).expect("open the page");

    // A name: Enter in the search box asks; the matches are listed.
    let query = testid(&b, "query");
    b.send_keys(&query, &format!("Seferovic{ENTER}")).expect("type the name");
    let results = b
        .wait_for("the matches of Seferovic", WAIT, |b| {
            let r = b.find_all("[data-testid=result]")?;
            Ok((!r.is_empty()).then_some(r))
        })
        .unwrap_or_else(|e| fail(&b, &server, e));
    assert_eq!(results.len(), 1, "one match for Seferovic");
    assert_eq!(b.attribute(&results[0], "data-key").expect("data-key").as_deref(), Some("UK/GIM0047"));
    let match_text = b.text(&results[0]).expect("the match's text");
    assert!(match_text.contains("Nusret SEFEROVIC") && match_text.contains("active"), "{match_text:?}");

    // The match is picked from the keyboard: Enter on its button.
    let pick = b.find("[data-testid=result] [data-testid=result-pick]").expect("the match's button");
    b.send_keys(&pick, ENTER).expect("press Enter on the match");
    assert_eq!(answer_at(&b, &server, "UK/GIM0047", ""), "active", "today");
    assert_eq!(b.execute("return document.activeElement.id", &[]).expect("focus"), json!("answer"));
    assert_eq!(b.property(&testid(&b, "query"), "value").expect("value").as_deref(), Some("UK/GIM0047"));

    // "In force at" the day before the designation: not designated.
    type_into(&b, "at", "2025-10-21");
    b.click(&testid(&b, "submit")).expect("ask");
    assert_eq!(answer_at(&b, &server, "UK/GIM0047", "2025-10-21"), "not designated");
    assert_head_shown(&b, "head", seq, &hash);
    let record = b.text(&b.find("#record-none").expect("the record's place")).expect("text");
    assert!(record.contains("No record in force"), "{record:?}");

    // The day after: active, with its record.
    type_into(&b, "at", "2025-10-23");
    b.click(&testid(&b, "submit")).expect("ask");
    assert_eq!(answer_at(&b, &server, "UK/GIM0047", "2025-10-23"), "active");
    assert_head_shown(&b, "head", seq, &hash);
    let record = b.text(&b.find("#record").expect("the record")).expect("text");
    for shown in ["Nusret SEFEROVIC", "individual", "GIM", "asset freeze", "travel ban", "2025-10-22"] {
        assert!(record.contains(shown), "the record shows {shown:?}: {record:?}");
    }
    let point = b.text(&b.find("#answer-at").expect("the point asked")).expect("text");
    assert!(point.contains("2025-10-23") && point.contains("2025-10-23T23:59:59.999999Z"), "{point:?}");

    // The history: the designation on both axes, counted in the answer.
    let rows = b.find_all("[data-testid=history] tbody tr").expect("the history's rows");
    assert_eq!(rows.len(), 1, "UK/GIM0047 has one event");
    let row = b.text(&rows[0]).expect("the row's text");
    let recorded_at = log[38]["recorded_at"].as_str().expect("recorded_at");
    for shown in ["#38", "designated", "2025-10-22", recorded_at] {
        assert!(row.contains(shown), "the history row shows {shown:?}: {row:?}");
    }

    // How to verify it: the command that gives the same answer, and the head's event.
    let verify = b.text(&b.find("#verify-steps").expect("the verification")).expect("text");
    assert!(verify.contains("ledger show UK/GIM0047 --at 2025-10-23 --as-of 20"), "{verify:?}");
    assert!(
        verify.contains(&format!("ledger log --from {seq} --limit 1")) && verify.contains("ledger verify"),
        "{verify:?}"
    );

    if std::env::var_os("LEDGER_SCREENSHOT").is_some_and(|v| v == "1") {
        b.execute("window.scrollTo(0, 0)", &[]).expect("scroll to the top");
        let png = b.screenshot().expect("a screenshot");
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is a PNG");
        std::fs::write(repo_file("docs/review-page.png"), png).expect("write docs/review-page.png");
    }

    // Printed, the answer stands alone: its question, dates, head and verification, no forms.
    b.cdp("Emulation.setEmulatedMedia", json!({ "media": "print" })).expect("print media");
    for (css, shown) in [
        ("#ask-form", false),
        ("[data-testid=status]", true),
        ("[data-testid=head]", true),
        ("#answer-question", true),
        ("#answer-as-of", true),
        ("#verify-steps", true),
        ("#answer .print-header", true),
        ("[data-testid=print]", false),
    ] {
        let e = b.find(css).expect("an element of the answer");
        assert_eq!(b.displayed(&e).expect("displayed"), shown, "{css} printed: {shown}");
    }
    let header = b.text(&b.find("#answer .print-header").expect("the print header")).expect("text");
    assert!(header.contains(&server.url), "the printed answer names its server: {header:?}");
    b.cdp("Emulation.setEmulatedMedia", json!({ "media": "" })).expect("screen media");
    // The button prints this answer alone (window.print is replaced: headless has no printer).
    b.execute("window.print = () => { window.printed = document.body.dataset.print; };", &[]).expect("script");
    b.click(&testid(&b, "print")).expect("print");
    assert_eq!(b.execute("return window.printed", &[]).expect("script"), json!("answer"));
}

#[test]
fn the_page_shows_unknown_keys_refusals_and_a_diff_readably() {
    let (_driver, _sandbox, server, b) = open_page();

    // A key the ledger has never held: the 404's answer, not an error.
    type_into(&b, "query", "UK/GIM9999");
    b.click(&testid(&b, "submit")).expect("ask");
    assert_eq!(answer_at(&b, &server, "UK/GIM9999", ""), "not in the ledger");

    // A date the API refuses: its message, readable, and no stale answer.
    type_into(&b, "query", "UK/GIM0047");
    type_into(&b, "at", "21/10/2025");
    b.click(&testid(&b, "submit")).expect("ask");
    let error = b
        .wait_for("the refusal", WAIT, |b| {
            let e = b.find("[data-testid=error]")?;
            Ok(if b.displayed(&e)? { Some(b.text(&e)?) } else { None })
        })
        .unwrap_or_else(|e| fail(&b, &server, e));
    assert!(error.contains("21/10/2025") && error.contains("400"), "{error:?}");
    assert!(!b.displayed(&testid(&b, "answer")).expect("displayed"), "no answer beside the refusal");

    // A name nothing matches: said, with the head.
    type_into(&b, "at", "");
    type_into(&b, "query", &format!("Nobody Atall{ENTER}"));
    let summary = b
        .wait_for("no match", WAIT, |b| {
            let r = b.find("#results-summary")?;
            let t = b.text(&r)?;
            Ok(t.contains("Nobody Atall").then_some(t))
        })
        .unwrap_or_else(|e| fail(&b, &server, e));
    assert!(summary.starts_with("No name matches"), "{summary:?}");

    // Ledger text is text: a query with markup is shown as typed, never run.
    type_into(&b, "query", &format!("<img src=x onerror=window.owned=1>{ENTER}"));
    b.wait_for("the query echoed", WAIT, |b| {
        let t = b.text(&b.find("#results-summary")?)?;
        Ok(t.contains("<img src=x").then_some(()))
    })
    .unwrap_or_else(|e| fail(&b, &server, e));
    assert_eq!(b.execute("return window.owned === undefined", &[]).expect("script"), json!(true));

    // The diff between two dates, with its head.
    type_into(&b, "diff-from", "2025-10-01");
    type_into(&b, "diff-to", "2025-11-01");
    b.click(&testid(&b, "diff-submit")).expect("compare");
    let designated = b
        .wait_for("the diff", WAIT, |b| {
            let d = b.find("[data-testid=diff]")?;
            if b.attribute(&d, "data-state")?.as_deref() != Some("ready") || !b.displayed(&d)? {
                return Ok(None);
            }
            Ok(Some(b.text(&b.find("[data-group=designated]")?)?))
        })
        .unwrap_or_else(|e| fail(&b, &server, e));
    assert!(designated.contains("UK/GIM0047") && designated.contains("Nusret SEFEROVIC"), "{designated:?}");
    let head = text_of(&b, "diff-head");
    assert!(head.contains("seq 38"), "{head:?}");
}

#[test]
fn a_server_that_asks_a_token_for_questions_gets_one_from_the_page() {
    let driver = driver();
    let s = Sandbox::gim();
    let tokens = s.dir.path().join("tokens.txt");
    let made = s.run(&["token", "reviewer", "--role", "reader", "--add", tokens.to_str().expect("utf-8")]).expect(0);
    let token = made.stdout.lines().next().expect("the token").trim().to_owned();
    let server = Server::start(&s, &["--tokens", tokens.to_str().expect("utf-8"), "--read-token"]);
    let b = driver.session(1280, 1000).unwrap_or_else(|e| panic!("a Chromium session: {e}"));
    b.goto(&format!("{}/", server.url)).expect("open the page");

    type_into(&b, "query", &format!("UK/GIM0047{ENTER}"));
    let shown =
        |b: &Session, id: &str| -> Result<bool, String> { b.displayed(&b.find(&format!("[data-testid={id}]"))?) };
    b.wait_for("the question for a token", WAIT, |b| Ok(shown(b, "token")?.then_some(())))
        .unwrap_or_else(|e| fail(&b, &server, e));
    let error = text_of(&b, "error");
    assert!(error.contains("a bearer token is needed") && error.contains("401"), "{error:?}");
    assert_eq!(b.execute("return document.activeElement.id", &[]).expect("focus"), json!("token"));

    // A wrong token is refused in turn; the right one answers the question that was stopped.
    type_into(&b, "token", &format!("ldg_not-a-token{ENTER}"));
    b.wait_for("the wrong token refused", WAIT, |b| {
        let refused =
            shown(b, "token")? && b.text(&b.find("[data-testid=error]")?)?.contains("not one this server knows");
        Ok(refused.then_some(()))
    })
    .unwrap_or_else(|e| fail(&b, &server, e));
    type_into(&b, "token", &token);
    b.click(&testid(&b, "token-submit")).expect("use the token");
    assert_eq!(answer_at(&b, &server, "UK/GIM0047", ""), "active");
    assert!(!shown(&b, "token").expect("displayed"), "the token's question is gone once answered");
}
