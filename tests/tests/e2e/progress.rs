//! Progress bars: on stderr for `append`, `verify`, `export`, `import-bundle` and `import` when
//! stderr is a terminal (checked under a pseudo-terminal), and nothing at all when it is a pipe
//! or with --quiet.

use ledger_tests::{Sandbox, designations, repo_file};

const LIST: &str = "tests/fixtures/lists/uk-gim/UK-Sanctions-List-GIM-2026-04-29.csv";

fn path(s: &Sandbox, name: &str) -> String {
    s.dir.path().join(name).to_str().expect("utf-8").to_owned()
}

#[test]
fn nothing_on_stderr_when_it_is_not_a_terminal() {
    let s = Sandbox::init();
    let many = s.file("many.jsonl", designations("GIM", 20_000).as_bytes());
    let (bundle, restored) = (path(&s, "all.bundle"), path(&s, "restored.sled"));
    for args in [
        vec!["append", many.as_str()],
        vec!["verify"],
        vec!["export", &bundle],
        vec!["import-bundle", &bundle, "--ledger", &restored],
        vec!["verify-bundle", &bundle],
    ] {
        let r = s.run(&args).expect(0);
        assert_eq!(r.stderr, "", "{args:?} wrote to a stderr that is not a terminal");
        assert!(!r.stdout.contains('\u{1b}') && !r.stdout.contains('\r'), "{args:?}: {}", r.stdout);
    }
    let fresh = Sandbox::init();
    let r = fresh.run(&["import", "uk-csv", repo_file(LIST).to_str().expect("utf-8")]).expect(0);
    assert_eq!(r.stderr, "", "import wrote to a stderr that is not a terminal");
}

#[test]
fn a_bar_at_a_terminal_and_none_with_quiet() {
    let s = Sandbox::init();
    let file = s.file("many.jsonl", designations("GIM", 20_000).as_bytes());
    let r = s.run_at_terminal(&["append", &file], None).expect(0);
    assert!(r.screen.contains("reading ") && r.screen.contains("many.jsonl"), "{:?}", r.screen);
    assert!(r.screen.contains("checking events"), "{:?}", r.screen);
    assert!(r.screen.contains("/20,000") || r.screen.contains("/20000"), "a count of all the events: {:?}", r.screen);
    // The answer stays on stdout, untouched by the bar.
    assert!(r.stdout.starts_with("appended 20000 events to "), "{}", r.stdout);

    let (bundle, quiet_bundle) = (path(&s, "all.bundle"), path(&s, "quiet.bundle"));
    let (restored, quiet_restored) = (path(&s, "restored.sled"), path(&s, "quiet.sled"));
    let list = repo_file(LIST);
    let list = list.to_str().expect("utf-8");
    let fresh = Sandbox::init();
    for (on, args, quiet_args, shown) in [
        (&s, vec!["verify"], vec!["verify"], "verifying events"),
        (&s, vec!["export", &bundle], vec!["export", &quiet_bundle], "exporting events"),
        (
            &s,
            vec!["import-bundle", &bundle, "--ledger", &restored],
            vec!["import-bundle", &bundle, "--ledger", &quiet_restored],
            "verifying ",
        ),
        (&fresh, vec!["import", "uk-csv", list, "--dry-run"], vec!["import", "uk-csv", list, "--dry-run"], "reading "),
    ] {
        let r = on.run_at_terminal(&args, None).expect(0);
        assert!(r.screen.contains(shown), "{args:?}: {:?}", r.screen);
        assert!(r.screen.contains('\u{1b}'), "{args:?}: the bar is drawn and cleared with escapes: {:?}", r.screen);
        let quiet = on.run_at_terminal(&[&["--quiet"], &quiet_args[..]].concat(), None).expect(0);
        assert_eq!(quiet.screen, "", "{args:?} --quiet drew on the terminal");
    }
    let r = s.run_at_terminal(&["--quiet", "append", &s.file("few.jsonl", designations("CYB", 100).as_bytes())], None);
    assert_eq!(r.expect(0).screen, "");
}
