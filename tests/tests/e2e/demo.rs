//! examples/demo.sh: its transcript shows every command as it can be pasted. The test runs the
//! demo (on the binary the tests use, into a temporary ledger), then pastes the transcript's
//! commands into a fresh shell and gets the transcript again, byte for byte.

use std::process::Command;

use ledger_tests::{CLOCK, ledger_bin, repo_file, repo_root};

/// Runs a bash script from the repository's root with the tests' clock and actor.
fn bash(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut c = Command::new("bash");
    c.args(args)
        .current_dir(repo_root())
        .env("LEDGER_CLOCK", CLOCK)
        .env("LEDGER_ACTOR", "tester")
        .env_remove("LEDGER_PATH")
        .env_remove("LEDGER_BIN")
        .env_remove("DEMO_LEDGER");
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().expect("bash");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A shell word holding `s` as it is.
fn single_quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[test]
fn the_demo_transcript_can_be_pasted() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let demo_ledger = dir.path().join("demo.sled");
    let bin = ledger_bin();
    let env = [("LEDGER_BIN", bin.to_str().expect("utf-8")), ("DEMO_LEDGER", demo_ledger.to_str().expect("utf-8"))];
    let (code, transcript, stderr) = bash(&[repo_file("examples/demo.sh").to_str().expect("utf-8")], &env);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr, "", "the demo's commands print nothing on stderr");
    let commands: Vec<&str> = transcript.lines().filter_map(|l| l.strip_prefix("$ ")).collect();
    assert!(commands.len() >= 10, "{transcript}");
    assert!(commands.iter().any(|c| c.contains("search 'Nusret Seferović' --at 2025-10-23")), "{commands:?}");
    // What it says it does: ends with the search for one name on 23 October 2025, found.
    assert!(commands.last().is_some_and(|c| c.contains(" search ")), "{commands:?}");
    assert!(transcript.trim_end().lines().any(|l| l.starts_with("UK/GIM0047  Nusret SEFEROVIC")), "{transcript}");

    // Paste every command, in order, into a fresh shell, printing each as the transcript does.
    let mut script = String::from("set -e\n");
    for (i, c) in commands.iter().enumerate() {
        let blank = if i == 0 { "" } else { "\\n" };
        script.push_str(&format!("printf '{blank}$ %s\\n' {}\n{c}\n", single_quoted(c)));
    }
    let (code, replay, stderr) = bash(&["-c", &script], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(replay, transcript, "pasting the transcript's commands gives the transcript");
}

#[test]
fn the_readme_says_what_the_demo_does() {
    let readme = std::fs::read_to_string(repo_file("README.md")).expect("README");
    let demo = std::fs::read_to_string(repo_file("examples/demo.sh")).expect("demo");
    assert!(readme.contains("bash examples/demo.sh"), "README runs the demo");
    for (what, words) in [
        ("the binary it builds", "target/release/ledger"),
        ("the ledger it writes", "./demo.sled"),
        ("the name it ends with", "Nusret Seferović"),
    ] {
        assert!(readme.contains(words) && demo.contains(words), "README and demo agree on {what}");
    }
}
