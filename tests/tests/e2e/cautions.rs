//! Warnings where a typo would hurt: an effective date more than a year after today (the clock
//! is 2026-01-15) or before 1945 is shown, asked about at a terminal, and refused elsewhere
//! (exit 4, nothing written) unless --yes accepts it. A delisting dated before its designation's
//! last amendment is refused by the lifecycle rules (exit 65), naming that amendment.

use ledger_tests::{Sandbox, designation};

fn designate(s: &Sandbox, effective: &str, extra: &[&str]) -> ledger_tests::Run {
    let mut args = vec![
        "designate",
        "UK/GIM0100",
        "--regime",
        "GIM",
        "--kind",
        "individual",
        "--name",
        "Test PERSON",
        "--effective",
        effective,
        "--measure",
        "asset_freeze",
    ];
    args.extend_from_slice(extra);
    s.run(&args)
}

#[test]
fn append_refuses_a_date_far_ahead_without_a_terminal_unless_told_yes() {
    let s = Sandbox::gim();
    let before = s.head();
    let batch = format!(
        "{}\n{}\n{}\n",
        designation("GIM0100", "2025-11-01", "Ordinary DATE"),
        designation("GIM0101", "2052-10-22", "Typed WRONG"),
        designation("GIM0102", "1925-10-22", "Typed WRONGTOO")
    );
    let file = s.file("batch.jsonl", batch.as_bytes());
    let r = s.run(&["append", &file]).expect(4);
    let warnings: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("ledger: warning:")).collect();
    assert_eq!(
        warnings,
        vec![
            format!(
                "ledger: warning: {file}: line 2 (UK/GIM0101): the designation is effective 2052-10-22, 26 years after today (2026-01-15)"
            ),
            format!(
                "ledger: warning: {file}: line 3 (UK/GIM0102): the designation is effective 1925-10-22, before 1945"
            ),
        ],
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("2 effective dates look mistyped"), "{}", r.stderr);
    assert!(r.stderr.contains("nothing was written") && r.stderr.contains("--yes"), "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert_eq!(s.head(), before, "nothing was written");
    // The same from standard input: there is no one to ask there either.
    let r = s.run_stdin(&["append", "-"], batch.as_bytes()).expect(4);
    assert!(r.stderr.contains("-: line 2 (UK/GIM0101)"), "{}", r.stderr);
    assert_eq!(s.head(), before);
    // --yes records the batch as written, still saying what it accepted.
    let r = s.run(&["append", &file, "--yes"]).expect(0);
    assert_eq!(r.stderr.lines().filter(|l| l.starts_with("ledger: warning:")).count(), 2, "{}", r.stderr);
    assert!(r.stdout.contains("appended 3 events"), "{}", r.stdout);
    let v = s.run(&["show", "UK/GIM0101", "--at", "2052-10-22", "--format", "json"]).expect(0).json();
    assert_eq!(v["designated"], "2052-10-22");
}

#[test]
fn ordinary_dates_draw_no_warning() {
    let s = Sandbox::init();
    // A year ahead to the day, and 1 January 1945, are still ordinary.
    let batch = format!(
        "{}\n{}\n",
        designation("GIM0100", "2027-01-15", "Next YEAR"),
        designation("GIM0101", "1945-01-01", "Long AGO")
    );
    let r = s.run_stdin(&["append", "-"], batch.as_bytes()).expect(0);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    let r = s.run(&["append", &s.file("one.jsonl", designation("GIM0102", "2027-01-16", "Too FAR").as_bytes())]);
    let r = r.expect(4);
    assert!(r.stderr.contains("more than a year after today (2026-01-15)"), "{}", r.stderr);
}

#[test]
fn the_operator_commands_refuse_without_a_terminal_and_accept_with_yes() {
    let s = Sandbox::gim();
    let before = s.head();
    for (what, run) in [
        ("designate 2052", designate(&s, "2052-10-22", &[])),
        ("designate 1925", designate(&s, "1925-10-22", &[])),
        (
            "amend 2052",
            s.run(&["amend", "UK/GIM0047", "--effective", "2052-11-03", "--add-alias", "N. S.", "--reason", "alias"]),
        ),
        ("delist 2052", s.run(&["delist", "UK/GIM0047", "--effective", "2052-11-03", "--reason", "revoked"])),
    ] {
        let r = run.expect(4);
        assert!(r.stderr.contains("ledger: warning: UK/GIM"), "{what}: {}", r.stderr);
        assert!(r.stderr.contains("an effective date looks mistyped"), "{what}: {}", r.stderr);
        assert!(r.stdout.contains("to append"), "{what}: the event is shown first: {}", r.stdout);
        assert!(!r.stdout.contains("appended event"), "{what}: {}", r.stdout);
        assert_eq!(s.head(), before, "{what}: nothing was written");
    }
    // A dry run shows the warning and writes nothing, as a dry run does.
    let r = designate(&s, "2052-10-22", &["--dry-run"]).expect(0);
    assert!(r.stderr.contains("26 years after today"), "{}", r.stderr);
    assert_eq!(s.head(), before);
    // --yes records it.
    let r = designate(&s, "1925-10-22", &["--yes"]).expect(0);
    assert!(r.stderr.contains("before 1945"), "{}", r.stderr);
    assert!(r.stdout.contains("appended event"), "{}", r.stdout);
    assert_eq!(s.head().0, before.0 + 1);
}

#[test]
fn at_a_terminal_append_asks_and_does_what_it_is_told() {
    let s = Sandbox::gim();
    let before = s.head();
    let file = s.file("typo.jsonl", format!("{}\n", designation("GIM0100", "2052-10-22", "Typed WRONG")).as_bytes());
    let question = "append 1 event as it is? [y/N]";
    let r = s.run_at_terminal(&["append", &file], Some((question, "n\n"))).expect(0);
    assert!(r.screen.contains("line 1 (UK/GIM0100): the designation is effective 2052-10-22"), "{:?}", r.screen);
    assert_eq!(r.stdout, "not appended: nothing was written\n");
    assert_eq!(s.head(), before);
    let r = s.run_at_terminal(&["append", &file], Some((question, "y\n"))).expect(0);
    assert!(r.stdout.contains("appended 1 event"), "{}", r.stdout);
    assert_eq!(s.head().0, before.0 + 1);
}

#[test]
fn at_a_terminal_the_operator_commands_warn_above_their_question() {
    let s = Sandbox::gim();
    let before = s.head();
    let r = s
        .run_at_terminal(
            &[
                "designate",
                "UK/GIM0100",
                "--regime",
                "GIM",
                "--kind",
                "entity",
                "--name",
                "X",
                "--effective",
                "2052-10-22",
                "--measure",
                "asset_freeze",
            ],
            Some(("append this event? [y/N]", "y\n")),
        )
        .expect(0);
    let warning = r.screen.find("ledger: warning: UK/GIM0100: the designation is effective 2052-10-22");
    let question = r.screen.find("append this event?");
    assert!(warning.is_some() && warning < question, "the warning comes before the question: {:?}", r.screen);
    assert!(r.stdout.contains("appended event"), "{}", r.stdout);
    assert_eq!(s.head().0, before.0 + 1);
}

#[test]
fn a_delisting_dated_before_the_last_amendment_is_refused_naming_it() {
    let s = Sandbox::tour();
    // GIM0047: designated 2025-10-22; amended 2025-12-01; a delisting dated 2025-11-15 would leave
    // that amendment after the designation ended.
    s.run(&["amend", "UK/GIM0047", "--effective", "2025-12-01", "--add-alias", "N. S.", "--reason", "alias"]).expect(0);
    let before = s.head();
    let line = r#"{"type":"delisting","authority":"UK","id":"GIM0047","effective":"2025-11-15","reason":"revoked"}"#;
    let r = s.run_stdin(&["append", "-"], line.as_bytes()).expect(65);
    assert!(r.stderr.contains("-: line 1 (UK/GIM0047)"), "{}", r.stderr);
    assert!(r.stderr.contains(&format!("event {} (effective 2025-12-01)", before.0)), "{}", r.stderr);
    assert!(r.stderr.contains("amendment of a key not in force"), "{}", r.stderr);
    let r = s.run(&["delist", "UK/GIM0047", "--effective", "2025-11-15", "--reason", "revoked", "--yes"]).expect(65);
    assert!(r.stderr.contains("amendment of a key not in force"), "{}", r.stderr);
    assert_eq!(s.head(), before, "nothing was written");
}
