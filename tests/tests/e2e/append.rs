//! The happy path: init, append the real GIM designations, verify, head, log.

use ledger_tests::{Sandbox, designation, repo_file};

#[test]
fn gim_example_appends_and_verifies() {
    let s = Sandbox::gim();
    let v = s.run(&["verify", "--format", "json"]).expect(0).json();
    assert_eq!(v["ok"], true);
    assert_eq!(v["checked"], 39, "genesis + 38 designations");
    let (seq, hash) = s.head();
    assert_eq!(seq, 38);
    assert_eq!(v["head"]["hash"], hash.as_str());
    let text = s.run(&["verify"]).expect(0).stdout;
    assert!(text.contains("39 events verified"), "{text}");
}

#[test]
fn log_holds_the_chain_with_the_envelope() {
    let s = Sandbox::gim();
    let log = s.log();
    assert_eq!(log.len(), 39);
    assert_eq!(log[0]["type"], "genesis");
    assert_eq!(log[0]["ledger"], "test-ledger");
    assert_eq!(log[0]["prev"], "0".repeat(64));
    for pair in log.windows(2) {
        assert_eq!(pair[1]["prev"], pair[0]["hash"]);
        assert_eq!(pair[1]["seq"].as_u64(), pair[0]["seq"].as_u64().map(|s| s + 1));
        assert!(pair[1]["recorded_at"].as_str() > pair[0]["recorded_at"].as_str());
        assert_eq!(pair[1]["actor"], "tester");
    }
    let nusret = log.iter().find(|e| e["id"] == "GIM0047").expect("GIM0047 is in the log");
    assert_eq!(nusret["subject"]["names"][0]["name"], "Nusret SEFEROVIC");
    assert_eq!(nusret["effective"], "2025-10-22");

    let page = s.run(&["log", "--from", "10", "--limit", "3"]).expect(0).stdout;
    let rows: Vec<&str> = page.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "{page}");
    assert!(rows[0].starts_with("10 ") && rows[2].starts_with("12 "), "{page}");
}

#[test]
fn append_reads_stdin_and_reports_the_new_head() {
    let s = Sandbox::init();
    let line = designation("GIM0047", "2025-10-22", "Nusret SEFEROVIC");
    let r = s.run_stdin(&["append", "-", "--format", "json"], line.as_bytes()).expect(0);
    let v = r.json();
    assert_eq!(v["appended"], 1);
    assert_eq!(v["head"]["seq"], 1);
    assert_eq!(s.head(), (1, v["head"]["hash"].as_str().unwrap_or_default().to_owned()));
}

#[test]
fn lifecycle_of_one_key_through_the_cli() {
    let s = Sandbox::init();
    let lines = [
        designation("GIM0030", "2025-10-22", "ALPA TRADING FZCO"),
        r#"{"type":"amendment","authority":"UK","id":"GIM0030","effective":"2025-11-03","patch":{"subject":{"names":[{"name":"ALPA TRADING FZCO","type":"primary"},{"name":"ALPA TRADING","type":"alias"}]}},"reason":"variation: alias added"}"#.to_owned(),
        r#"{"type":"delisting","authority":"UK","id":"GIM0030","effective":"2026-02-01","reason":"revoked on review"}"#.to_owned(),
        designation("GIM0030", "2026-03-01", "ALPA TRADING FZCO"),
        r#"{"type":"retraction","target":2,"reason":"recorded in error"}"#.to_owned(),
    ];
    s.run_stdin(&["append", "-"], lines.join("\n").as_bytes()).expect(0);
    assert_eq!(s.head().0, 5);
    s.run(&["verify"]).expect(0);
    let log = s.log();
    assert_eq!(log[5]["type"], "retraction");
    assert_eq!(log[5]["target"], 2);
}

#[test]
fn append_without_a_ledger_exits_66_with_a_hint_unless_init() {
    let s = Sandbox::new();
    let file = repo_file("examples/uk-gim-2025.jsonl");
    let file = file.to_str().unwrap_or_default();
    let r = s.run(&["append", file]).expect(66);
    assert!(r.stderr.contains("no ledger at") && r.stderr.contains("ledger init"), "{}", r.stderr);
    assert!(!s.ledger.exists(), "a refused append creates nothing");
    s.run(&["append", "--init", file]).expect(0);
    assert_eq!(s.head().0, 38);
}

#[test]
fn init_twice_is_refused() {
    let s = Sandbox::init();
    let before = s.head();
    let r = s.run(&["init"]).expect(2);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    assert_eq!(s.head(), before);
}

#[test]
fn the_same_input_gives_the_same_chain() {
    // With the clock and actor fixed, two ledgers built from the same input are identical.
    let a = Sandbox::gim();
    let b = Sandbox::gim();
    assert_eq!(a.head(), b.head());
}
