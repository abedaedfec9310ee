//! One meaning for "not found", in every query and every format: a key the ledger holds is
//! answered with an explicit status and exit 0; a key it has never held, a search with no match,
//! or a `state` filter naming an authority or regime it has never held exits 1, still printing
//! the (empty) answer with its head, and says on stderr what was not found.

use ledger_tests::{Run, Sandbox, repo_file};
use serde_json::Value;

const FORMATS: [&str; 3] = ["table", "json", "csv"];

/// Runs a query in one format (show and history have no CSV: exit 2, checked below).
fn ask(s: &Sandbox, args: &[&str], format: &str) -> Run {
    s.run(&[args, &["--format", format]].concat())
}

fn schema_errors(schema: &str, v: &Value) -> Vec<String> {
    let text = std::fs::read_to_string(repo_file(&format!("schemas/{schema}"))).expect("schema");
    let validator = jsonschema::validator_for(&serde_json::from_str(&text).expect("json")).expect("schema");
    validator.iter_errors(v).map(|e| format!("{e} at {}", e.instance_path())).collect()
}

#[test]
fn a_held_key_has_an_explicit_status_and_exit_0_at_every_point() {
    let s = Sandbox::tour();
    // (at, as_of, status): before its designation, in force, delisted, and as the ledger knew
    // it before anything was recorded.
    let cases = [
        ("2025-10-21", None, "absent"),
        ("2025-11-10", None, "active"),
        ("2026-02-01", None, "delisted"),
        ("2025-11-10", Some("2026-01-15T08:00:00Z"), "absent"),
    ];
    for (at, as_of, status) in cases {
        let mut args = vec!["show", "UK/GIM0030", "--at", at];
        if let Some(t) = as_of {
            args.extend(["--as-of", t]);
        }
        let v = ask(&s, &args, "json").expect(0).json();
        assert_eq!(v["status"], status, "{args:?}");
        assert_eq!(v["key"], "UK/GIM0030");
        assert!(schema_errors("show.schema.json", &v).is_empty(), "{args:?}");
        let r = ask(&s, &args, "table").expect(0);
        let line = r.stdout.lines().find(|l| l.starts_with("status")).unwrap_or_default().to_owned();
        assert_eq!(line.split_whitespace().nth(1), Some(status), "{args:?}: {}", r.stdout);
        assert!(r.stderr.is_empty(), "{args:?}: {}", r.stderr);
    }
    // Its history as known before anything was recorded: no events, and still exit 0.
    let v = ask(&s, &["history", "UK/GIM0030", "--as-of", "2026-01-15T08:00:00Z"], "json").expect(0).json();
    assert_eq!(v["events"], serde_json::json!([]));
}

#[test]
fn a_key_never_held_is_unknown_and_exit_1_in_every_format() {
    let s = Sandbox::tour();
    let (seq, hash) = s.head();
    let v = ask(&s, &["show", "UK/GIM9999", "--at", "2025-11-10"], "json").expect(1);
    assert!(v.stderr.contains("UK/GIM9999 is not in the ledger: no event of it was ever recorded"), "{}", v.stderr);
    let v = v.json();
    assert_eq!(v["status"], "unknown");
    assert_eq!(v["events"], serde_json::json!([]));
    assert_eq!((v["head"]["seq"].as_u64(), v["head"]["hash"].as_str()), (Some(seq), Some(hash.as_str())));
    assert!(v.get("record").is_none(), "{v}");
    assert_eq!(schema_errors("show.schema.json", &v), Vec::<String>::new());

    let r = ask(&s, &["show", "UK/GIM9999"], "table").expect(1);
    assert!(
        r.stdout.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["status", "unknown"]),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains(&format!("ledger head {seq} ")), "the answer names its head: {}", r.stdout);
    assert!(r.stderr.contains("UK/GIM9999 is not in the ledger"), "{}", r.stderr);

    let r = ask(&s, &["history", "UK/GIM9999"], "json").expect(1);
    assert!(r.stderr.contains("UK/GIM9999 is not in the ledger"), "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["events"], serde_json::json!([]));
    assert_eq!(v["key"], "UK/GIM9999");
    assert_eq!(schema_errors("history.schema.json", &v), Vec::<String>::new());
    let r = ask(&s, &["history", "UK/GIM9999"], "table").expect(1);
    assert!(r.stdout.starts_with("seq"), "the empty table: {}", r.stdout);

    // CSV is refused for key-value answers whatever the key (a usage error, not "not found").
    for args in [&["show", "UK/GIM9999"][..], &["show", "UK/GIM0030"], &["history", "UK/GIM9999"]] {
        ask(&s, args, "csv").expect(2);
    }
}

#[test]
fn a_search_with_no_match_exits_1_with_its_empty_answer_in_every_format() {
    let s = Sandbox::tour();
    for format in FORMATS {
        // A name that is there, but not yet designated on 21 October 2025; and one never there.
        for (name, at) in [("Nusret Seferović", "2025-10-21"), ("Nobody Atall", "2025-11-10")] {
            let r = ask(&s, &["search", name, "--at", at], format).expect(1);
            assert!(r.stderr.contains(&format!("has a name matching `{name}`")), "{format}: {}", r.stderr);
            match format {
                "json" => {
                    let v = r.json();
                    assert_eq!(v["matches"], serde_json::json!([]), "{format}");
                    assert_eq!(v["query"], name);
                    assert_eq!(schema_errors("search.schema.json", &v), Vec::<String>::new());
                }
                "csv" => assert_eq!(r.stdout, "key,name,name_type,status,regime\n", "{format}"),
                _ => {
                    assert!(r.stdout.starts_with("key "), "{}", r.stdout);
                    assert!(r.stdout.contains("ledger head"), "{}", r.stdout);
                }
            }
        }
        // And with a match: exit 0, the delisted designation too, with its status.
        let r = ask(&s, &["search", "alpa trading", "--at", "2026-03-01"], format).expect(0);
        assert!(r.stdout.contains("UK/GIM0030") && r.stdout.contains("delisted"), "{format}: {}", r.stdout);
    }
    // A name with nothing to match is a usage error.
    let r = s.run(&["search", "!!! ---"]).expect(2);
    assert!(r.stderr.contains("at least one letter or digit"), "{}", r.stderr);
}

#[test]
fn a_state_filter_naming_what_the_ledger_never_held_exits_1() {
    let s = Sandbox::tour();
    for format in FORMATS {
        // Held regime and authority, nothing in force: an answer, exit 0.
        let r = ask(&s, &["state", "--at", "2025-07-22", "--regime", "GIM", "--authority", "UK"], format).expect(0);
        assert!(r.stderr.is_empty(), "{format}: {}", r.stderr);
        // A regime never held (a typo for GIM), an authority never held, a pair never held.
        for (args, words) in [
            (&["--regime", "GMI"][..], "no designation in the ledger has regime `GMI`; it holds GIM"),
            (&["--authority", "UN"], "no designation in the ledger has authority `UN`; it holds UK"),
            (
                &["--authority", "uk", "--regime", "RUS"],
                "no designation of authority UK in the ledger has regime `RUS`; its regimes are GIM",
            ),
        ] {
            for count in [false, true] {
                let mut q = vec!["state"];
                q.extend_from_slice(args);
                if count {
                    q.push("--count");
                }
                let r = ask(&s, &q, format).expect(1);
                assert!(r.stderr.contains(words), "{q:?} {format}: {}", r.stderr);
                match (format, count) {
                    ("json", _) => assert_eq!(r.json()["count"], 0, "{q:?}"),
                    (_, true) => assert_eq!(r.stdout, "0\n", "{q:?} {format}"),
                    ("csv", false) => assert_eq!(r.stdout.lines().count(), 1, "the header alone: {}", r.stdout),
                    _ => assert!(r.stdout.contains("0 designations"), "{q:?}: {}", r.stdout),
                }
            }
        }
    }
    // The authority, like the regime, in any case.
    let c = s.run(&["state", "--at", "2025-10-23", "--authority", "uk", "--count"]).expect(0);
    assert_eq!(c.stdout, "38\n");
}

#[test]
fn a_diff_with_no_change_is_an_answer() {
    let s = Sandbox::tour();
    for format in FORMATS {
        let r = ask(&s, &["diff", "--from", "2025-08-01", "--to", "2025-09-01"], format).expect(0);
        assert!(r.stderr.is_empty(), "{format}: {}", r.stderr);
        if format == "json" {
            let v = r.json();
            for list in ["designated", "delisted", "amended"] {
                assert_eq!(v[list], serde_json::json!([]), "{list}");
            }
        }
    }
}
