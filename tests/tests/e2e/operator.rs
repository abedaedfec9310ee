//! The operator commands: designate, amend, delist and retract, as an operator at the FCDO desk
//! would record the GIM regime's October 2025 package by hand.

use ledger_tests::Sandbox;
use serde_json::{Value, json};

const REGIME: &str = "The Global Irregular Migration and Trafficking in Persons Sanctions Regulations 2025";

fn designate_nusret(s: &Sandbox, extra: &[&str]) -> ledger_tests::Run {
    let mut args = vec![
        "designate",
        "UK/GIM0047",
        "--regime",
        "GIM",
        "--regime-name",
        REGIME,
        "--kind",
        "individual",
        "--name",
        "Nusret SEFEROVIC",
        "--effective",
        "2025-10-22",
        "--measure",
        "asset_freeze",
        "--measure",
        "travel_ban",
    ];
    args.extend_from_slice(extra);
    s.run(&args)
}

/// The acts recorded by hand, and the same acts as the JSON `append` takes.
fn by_hand(s: &Sandbox) {
    designate_nusret(s, &[]).expect(0);
    s.run(&[
        "amend",
        "UK/GIM0047",
        "--effective",
        "2025-11-03",
        "--add-alias",
        "Nusret Seferović",
        "--reason",
        "alias added",
    ])
    .expect(0);
    s.run(&["delist", "UK/GIM0047", "--effective", "2026-02-01", "--reason", "revoked on review"]).expect(0);
    s.run(&["retract", "3", "--reason", "the delisting was entered against the wrong designation"]).expect(0);
}

fn as_json() -> Vec<Value> {
    vec![
        json!({"type": "designation", "authority": "UK", "id": "GIM0047", "effective": "2025-10-22",
               "regime": {"code": "GIM", "name": REGIME},
               "subject": {"kind": "individual", "names": [{"name": "Nusret SEFEROVIC", "type": "primary"}]},
               "measures": ["asset_freeze", "travel_ban"]}),
        json!({"type": "amendment", "authority": "UK", "id": "GIM0047", "effective": "2025-11-03",
               "patch": {"subject": {"names": [{"name": "Nusret SEFEROVIC", "type": "primary"}, {"name": "Nusret Seferović", "type": "alias"}]}},
               "reason": "alias added"}),
        json!({"type": "delisting", "authority": "UK", "id": "GIM0047", "effective": "2026-02-01", "reason": "revoked on review"}),
        json!({"type": "retraction", "target": 3, "reason": "the delisting was entered against the wrong designation"}),
    ]
}

#[test]
fn recording_the_october_package_by_hand() {
    let s = Sandbox::init();
    by_hand(&s);
    s.run(&["verify"]).expect(0);
    let h = s.run(&["history", "UK/GIM0047", "--format", "json"]).expect(0).json();
    let rows: Vec<(u64, String, Option<u64>)> = h["events"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (r["seq"].as_u64().unwrap_or(0), r["type"].as_str().unwrap_or("").to_owned(), r["retracted_by"].as_u64())
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (1, "designation".into(), None),
            (2, "amendment".into(), None),
            (3, "delisting".into(), Some(4)),
            (4, "retraction".into(), None)
        ]
    );
    // The delisting was retracted: in force in March 2026, with both names.
    let v = s.run(&["show", "UK/GIM0047", "--at", "2026-03-01", "--format", "json"]).expect(0).json();
    assert_eq!(v["status"], "active");
    assert_eq!(v["events"], json!([1, 2]));
    assert_eq!(v["record"]["subject"]["names"][1]["name"], "Nusret Seferović");
    // And as the ledger knew it before the retraction, delisted.
    let log = s.log();
    let before_retraction = log[3]["recorded_at"].as_str().expect("time").to_owned();
    let v = s
        .run(&["show", "UK/GIM0047", "--at", "2026-03-01", "--as-of", &before_retraction, "--format", "json"])
        .expect(0)
        .json();
    assert_eq!(v["status"], "delisted");
}

#[test]
fn the_commands_write_byte_for_byte_what_append_writes() {
    let hand = Sandbox::init();
    by_hand(&hand);
    let json = Sandbox::init();
    for e in as_json() {
        json.run_stdin(&["append", "-"], e.to_string().as_bytes()).expect(0);
    }
    let hashes = |s: &Sandbox| s.log().iter().map(|e| e["hash"].as_str().unwrap_or("").to_owned()).collect::<Vec<_>>();
    assert_eq!(hashes(&hand).len(), 5);
    assert_eq!(hashes(&hand), hashes(&json));
}

#[test]
fn what_the_commands_print_before_appending() {
    let s = Sandbox::init();
    let r = designate_nusret(&s, &["--dry-run"]).expect(0);
    assert!(r.stdout.contains("event 1 to append"), "{}", r.stdout);
    assert!(r.stdout.contains("as it will stand") && r.stdout.contains("Nusret SEFEROVIC (primary)"), "{}", r.stdout);
    assert!(r.stdout.contains("dry run: nothing was written"));
    assert_eq!(s.head().0, 0, "a dry run writes nothing");
    let v = designate_nusret(&s, &["--dry-run", "--format", "json"]).expect(0).json();
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["event"]["type"], "designation");
    assert_eq!(v["after"]["status"], "active");
    assert_eq!(v["head"], Value::Null);
    assert_eq!(s.head().0, 0);
    // Without a terminal no question is asked: the append goes through.
    let r = designate_nusret(&s, &[]).expect(0);
    assert!(r.stdout.contains("appended event 1"), "{}", r.stdout);
}

#[test]
fn refused_commands_change_nothing() {
    let s = Sandbox::init();
    designate_nusret(&s, &[]).expect(0);
    s.run(&["amend", "UK/GIM0047", "--effective", "2025-11-03", "--add-alias", "N. SEFEROVIC", "--reason", "alias"])
        .expect(0);
    let before = (s.head(), s.log().len());
    let cases: Vec<(&str, Vec<&str>, i32, &str)> = vec![
        (
            "designating a key in force",
            vec![
                "designate",
                "UK/GIM0047",
                "--regime",
                "GIM",
                "--kind",
                "individual",
                "--name",
                "X",
                "--effective",
                "2025-12-01",
                "--measure",
                "asset_freeze",
            ],
            65,
            "already in force",
        ),
        (
            "delisting a key not in force",
            vec!["delist", "UK/GIM0001", "--effective", "2025-12-01", "--reason", "x"],
            65,
            "not in force",
        ),
        (
            "delisting before the designation",
            vec!["delist", "UK/GIM0047", "--effective", "2025-10-01", "--reason", "x"],
            65,
            "not in force",
        ),
        (
            "an amendment that changes nothing",
            vec!["amend", "UK/GIM0047", "--effective", "2025-12-01", "--add-measure", "asset_freeze", "--reason", "x"],
            65,
            "changes nothing",
        ),
        (
            "removing a name it does not have",
            vec!["amend", "UK/GIM0047", "--effective", "2025-12-01", "--remove-name", "Nobody", "--reason", "x"],
            65,
            "no name `Nobody`",
        ),
        (
            "a retraction that would break a lifecycle",
            vec!["retract", "1", "--reason", "x"],
            65,
            "would leave UK/GIM0047 invalid",
        ),
        ("retracting the genesis event", vec!["retract", "0", "--reason", "x"], 65, "genesis"),
        (
            "an unknown measure",
            vec![
                "designate",
                "UK/GIM0048",
                "--regime",
                "GIM",
                "--kind",
                "individual",
                "--name",
                "X",
                "--effective",
                "2025-12-01",
                "--measure",
                "port_ban",
            ],
            2,
            "custom:CODE",
        ),
        ("a bad date", vec!["delist", "UK/GIM0047", "--effective", "01/12/2025", "--reason", "x"], 2, "YYYY-MM-DD"),
    ];
    for (what, args, code, words) in cases {
        let r = s.run(&args);
        assert_eq!(r.code, code, "{what}: {}", r.stderr);
        assert!(r.stderr.contains(words), "{what}: {}", r.stderr);
        assert_eq!((s.head(), s.log().len()), before, "{what}: the ledger changed");
    }
    // An unlisted measure is recorded with custom:, as written.
    let v = s
        .run(&[
            "designate",
            "UK/GIM0048",
            "--regime",
            "GIM",
            "--kind",
            "ship",
            "--name",
            "MV EXAMPLE",
            "--effective",
            "2025-12-01",
            "--measure",
            "custom:port_ban",
            "--format",
            "json",
        ])
        .expect(0)
        .json();
    assert_eq!(v["event"]["measures"], json!(["custom:port_ban"]));
}

#[test]
fn completions_man_page_and_help() {
    let s = Sandbox::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let r = s.run(&["completions", shell]).expect(0);
        assert!(r.stdout.contains("designate") && r.stdout.contains("effective"), "{shell}");
    }
    let man = s.run(&["man"]).expect(0).stdout;
    assert!(man.contains(".TH ledger"), "{}", &man[..man.len().min(200)]);
    for cmd in ["designate", "amend", "delist", "retract", "append", "import"] {
        let help = s.run(&[cmd, "--help"]).expect(0).stdout;
        assert!(help.contains("Example"), "{cmd} --help has an example");
    }
}

#[test]
fn no_colour_when_not_at_a_terminal() {
    let s = Sandbox::gim();
    for args in [&["state"][..], &["show", "UK/GIM0047"], &["search", "krasniqi"]] {
        let out = s.run(args).expect(0).stdout;
        assert!(!out.contains('\u{1b}'), "{args:?} printed an escape code to a pipe");
    }
}
