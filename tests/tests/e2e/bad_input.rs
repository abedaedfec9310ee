//! Bad input: exit 65 naming the line and the reason, and nothing written.

use ledger_tests::{Sandbox, designation, designations};

fn delisting(id: &str, date: &str) -> String {
    format!(r#"{{"type":"delisting","authority":"UK","id":"{id}","effective":"{date}","reason":"revoked"}}"#)
}

/// Each case: (name, batch, line the error must name, words the reason must contain).
fn cases() -> Vec<(&'static str, String, usize, &'static str)> {
    let good = designation("NEW0001", "2025-10-22", "Someone New");
    vec![
        ("malformed JSON", format!("{good}\n{{\"type\": \"designation\",\n"), 2, "malformed JSON"),
        ("unknown field", good.replace("\"measures\"", "\"colour\":\"red\",\"measures\""), 1, "unknown field `colour`"),
        ("unknown type", good.replace("\"designation\"", "\"sanction\""), 1, "unknown event type `sanction`"),
        ("bad date", good.replace("2025-10-22", "2025-02-30"), 1, "field `effective`"),
        (
            "amendment of an unknown key",
            r#"{"type":"amendment","authority":"UK","id":"NOPE01","effective":"2025-11-01","patch":{"measures":["asset_freeze"]}}"#.into(),
            1,
            "amendment of a key not in force",
        ),
        ("second delisting", format!("{}\n{}", delisting("GIM0001", "2026-01-01"), delisting("GIM0001", "2026-02-01")), 2, "delisting of a key not in force"),
        ("designation of a key in force", designation("GIM0047", "2025-12-01", "Nusret SEFEROVIC"), 1, "already in force"),
        ("a 10 MB line", format!("{good}\n{}\n", " ".repeat(10 << 20)), 2, "longer than the limit"),
        (
            "a 1000-line batch whose 500th line is bad",
            {
                let mut lines: Vec<String> = designations("BATCH", 1000).lines().map(str::to_owned).collect();
                lines[499] = lines[499].replace("\"individual\"", "\"robot\"");
                lines.join("\n")
            },
            500,
            "unknown variant `robot`",
        ),
        ("retraction of the genesis event", r#"{"type":"retraction","target":0,"reason":"x"}"#.into(), 1, "genesis"),
        ("retraction of an event that does not exist", r#"{"type":"retraction","target":400,"reason":"x"}"#.into(), 1, "does not exist"),
        (
            "amendment that would remove the subject's names",
            r#"{"type":"amendment","authority":"UK","id":"GIM0001","effective":"2025-11-01","patch":{"subject":{"names":[]}}}"#.into(),
            1,
            "invalid record",
        ),
    ]
}

#[test]
fn every_bad_batch_is_refused_whole_and_changes_nothing() {
    let s = Sandbox::gim();
    let before = (s.head(), s.log().len());
    for (name, batch, line, words) in cases() {
        let path = s.file("batch.jsonl", batch.as_bytes());
        let r = s.run(&["append", &path]);
        assert_eq!(r.code, 65, "{name}: exit code; stderr: {}", r.stderr);
        let first = r.stderr.lines().next().unwrap_or_default();
        assert!(first.contains(&format!("line {line}")), "{name}: the message names line {line}: {first}");
        assert!(first.contains(words), "{name}: the message says `{words}`: {first}");
        assert!(first.contains("batch.jsonl"), "{name}: the message names the file: {first}");
        assert!(r.stderr.contains("nothing was written"), "{name}: {}", r.stderr);
        assert_eq!((s.head(), s.log().len()), before, "{name}: the ledger changed");
    }
    s.run(&["verify"]).expect(0);
}

#[test]
fn a_bad_key_in_a_batch_names_the_key() {
    let s = Sandbox::gim();
    let r = s.run_stdin(&["append", "-"], designation("GIM0030", "2025-12-01", "ALPA").as_bytes()).expect(65);
    assert!(r.stderr.contains("(UK/GIM0030)"), "{}", r.stderr);
}

#[test]
fn a_backdated_event_that_breaks_a_later_one_is_refused() {
    let s = Sandbox::gim();
    // GIM0001 was designated 2025-07-23. A delisting recorded now but effective before that
    // would leave the designation... fine; but a delisting effective 2025-08-01 followed by
    // an amendment effective 2025-09-01 breaks the amendment's rule.
    let batch = format!(
        "{}\n{}",
        r#"{"type":"amendment","authority":"UK","id":"GIM0001","effective":"2025-09-01","patch":{"reason":"statement published"}}"#,
        delisting("GIM0001", "2025-08-01"),
    );
    let r = s.run_stdin(&["append", "-"], batch.as_bytes()).expect(65);
    let first = r.stderr.lines().next().unwrap_or_default();
    assert!(first.contains("line 2") && first.contains("UK/GIM0001"), "{first}");
    assert!(first.contains("would break this rule"), "{first}");
}

#[test]
fn usage_errors_exit_2() {
    let s = Sandbox::gim();
    assert_eq!(s.run(&["log", "--limit", "many"]).code, 2);
    assert_eq!(s.run(&["frobnicate"]).code, 2);
    assert_eq!(s.run(&["head", "--format", "yaml"]).code, 2);
}
