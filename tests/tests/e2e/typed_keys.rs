//! Keys as people type them: the authority in any case (it is an upper-case code, and the
//! command says which key it read), the id exactly (some lists use case in ids), with the key
//! meant suggested when only the case of the id differs.

use ledger_tests::Sandbox;

#[test]
fn the_authority_in_any_case_names_the_key_meant() {
    let s = Sandbox::tour();
    for typed in ["uk/GIM0047", "Uk/GIM0047"] {
        let r = s.run(&["show", typed, "--at", "2025-10-23", "--format", "json"]).expect(0);
        assert_eq!(r.json()["key"], "UK/GIM0047");
        assert_eq!(r.json()["status"], "active");
        assert_eq!(
            r.stderr.trim_end(),
            format!("ledger: reading `{typed}` as UK/GIM0047 (authorities are upper-case codes)"),
        );
    }
    let r = s.run(&["history", "uk/GIM0030", "--quiet"]).expect(0);
    assert!(r.stdout.contains("delisting"), "{}", r.stdout);
    assert!(r.stderr.is_empty(), "--quiet keeps the note off stderr: {}", r.stderr);
    // Typed as it is: no note.
    assert!(s.run(&["show", "UK/GIM0047"]).expect(0).stderr.is_empty());
}

#[test]
fn an_id_that_differs_only_in_case_is_suggested_not_taken() {
    let s = Sandbox::tour();
    for (args, typed) in [
        (&["show", "uk/gim0030"][..], "uk/gim0030"),
        (&["history", "UK/Gim0030"], "UK/Gim0030"),
        (&["show", "UK/gim0030", "--format", "json"], "UK/gim0030"),
    ] {
        let r = s.run(args).expect(1);
        let meant = format!("UK/{}", &typed[3..]);
        assert!(
            r.stderr.contains(&format!(
                "{meant} is not in the ledger: no event of it was ever recorded; did you mean UK/GIM0030?"
            )),
            "{args:?}: {}",
            r.stderr
        );
    }
    // No key of that authority at all: said so.
    let r = s.run(&["show", "UN/GIM0030"]).expect(1);
    assert!(r.stderr.contains("the ledger holds no designation of authority UN"), "{}", r.stderr);
    // Nothing close: no suggestion.
    let r = s.run(&["show", "UK/GIM9999"]).expect(1);
    assert!(!r.stderr.contains("did you mean"), "{}", r.stderr);
}

#[test]
fn the_operator_commands_take_the_authority_in_any_case() {
    let s = Sandbox::tour();
    let r = s
        .run(&["amend", "uk/GIM0047", "--effective", "2025-12-01", "--add-alias", "N. SEFEROVIC", "--reason", "alias"])
        .expect(0);
    assert!(r.stderr.contains("reading `uk/GIM0047` as UK/GIM0047"), "{}", r.stderr);
    let last = s.log().pop().expect("an event");
    assert_eq!((last["authority"].as_str(), last["id"].as_str()), (Some("UK"), Some("GIM0047")));
    // An id in the wrong case is a different key: the lifecycle refuses to amend it.
    let before = s.head();
    let r = s.run(&["delist", "UK/gim0047", "--effective", "2026-01-01", "--reason", "revoked"]).expect(65);
    assert!(r.stderr.contains("UK/gim0047") && r.stderr.contains("not in force"), "{}", r.stderr);
    assert_eq!(s.head(), before);
}

#[test]
fn a_lower_case_authority_in_input_events_is_refused_with_the_code_meant() {
    let s = Sandbox::init();
    let line = ledger_tests::designation("GIM0047", "2025-10-22", "Nusret SEFEROVIC").replace("\"UK\"", "\"uk\"");
    let r = s.run_stdin(&["append", "-"], line.as_bytes()).expect(65);
    assert!(
        r.stderr.contains("line 1") && r.stderr.contains("authority `uk` must be upper case: `UK`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("nothing was written"), "{}", r.stderr);
    assert_eq!(s.head().0, 0);
}
