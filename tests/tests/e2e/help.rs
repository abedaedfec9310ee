//! Help that teaches: `ledger --help` lists the commands in groups, and every command's --help
//! ends with examples, which run as written against the ledger of the README's tour.

use std::process::Command;

use ledger_tests::{CLOCK, Sandbox, TOUR_AMENDMENTS, ledger_bin, repo_file};

const GROUPS: [&str; 7] = [
    "Recording commands:",
    "Asking commands:",
    "Auditing commands:",
    "Publishing commands:",
    "Lists commands:",
    "Serving commands:",
    "Setting up commands:",
];

/// The commands `ledger --help` lists, by group.
fn listed() -> Vec<(String, Vec<String>)> {
    let help = Sandbox::new().run(&["--help"]).expect(0).stdout;
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    let mut open = false;
    for line in help.lines() {
        if line.ends_with("commands:") {
            groups.push((line.to_owned(), Vec::new()));
            open = true;
        } else if line.is_empty() {
            open = false;
        } else if open
            && let Some(entry) = line.strip_prefix("  ").filter(|e| !e.starts_with(' '))
            && let Some((_, names)) = groups.last_mut()
        {
            // An entry; a wrapped description continues further in.
            names.push(entry.split_whitespace().next().unwrap_or_default().to_owned());
        }
    }
    groups
}

/// The examples at the end of `ledger COMMAND --help`, a `\` continuation joined to its line.
fn examples(command: &str) -> Vec<String> {
    let help = Sandbox::new().run(&[command, "--help"]).expect(0).stdout;
    let (_, tail) = help.rsplit_once("Examples:\n").unwrap_or_else(|| panic!("{command} --help has no examples"));
    let mut out: Vec<String> = Vec::new();
    let mut continued = false;
    for line in tail.lines() {
        let text = line.trim();
        if continued {
            let last = out.last_mut().expect("a line to continue");
            last.push(' ');
            last.push_str(text.trim_end_matches('\\').trim_end());
        } else {
            out.push(text.trim_end_matches('\\').trim_end().to_owned());
        }
        continued = text.ends_with('\\');
    }
    out
}

#[test]
fn the_commands_are_listed_in_groups() {
    let groups = listed();
    let names: Vec<&str> = groups.iter().map(|(g, _)| g.as_str()).collect();
    assert_eq!(names, GROUPS, "the groups, in order, and no `Other`");
    let recording = &groups[0].1;
    assert_eq!(recording, &["init", "append", "designate", "amend", "delist", "retract"]);
    assert!(groups[1].1.iter().any(|c| c == "search") && groups[2].1.iter().any(|c| c == "verify"));
    assert_eq!(groups[4].1, ["import"]);
    // Every command the completions know (but `help`) is listed, once.
    let bash = Sandbox::new().run(&["completions", "bash"]).expect(0).stdout;
    let mut known: Vec<&str> = bash
        .lines()
        .filter_map(|l| l.trim().strip_prefix("ledger,")?.strip_suffix(')'))
        .filter(|c| !c.contains(',') && *c != "help")
        .collect();
    known.sort_unstable();
    let mut all: Vec<&str> = groups.iter().flat_map(|(_, c)| c.iter().map(String::as_str)).collect();
    all.sort_unstable();
    assert_eq!(all, known);
}

#[test]
fn every_command_help_ends_with_examples_of_itself() {
    for (_, commands) in listed() {
        for command in commands {
            let examples = examples(&command);
            assert!(!examples.is_empty() && examples.len() <= 3, "{command}: {examples:?}");
            for e in &examples {
                assert!(e.contains(&format!(" {command} ")) || e.ends_with(&format!(" {command}")), "{command}: {e}");
                assert!(e.starts_with("ledger ") || e.contains("| ledger "), "{command}: {e}");
            }
        }
    }
}

#[test]
fn the_examples_of_the_asking_commands_run_on_the_tour_ledger() {
    let s = Sandbox::tour();
    let bin_dir = ledger_bin().parent().expect("the binary's directory").to_owned();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let mut ran = 0;
    for command in ["state", "show", "history", "diff", "search", "log", "head", "verify"] {
        for example in examples(command) {
            if example.contains("--checkpoint") {
                continue; // needs the auditor's files; the audit tests cover it
            }
            let out = Command::new("bash")
                .args(["-c", &example])
                .env("PATH", &path)
                .env("LEDGER_PATH", &s.ledger)
                .env("LEDGER_CLOCK", CLOCK)
                .env("LEDGER_ACTOR", "tester")
                .current_dir(s.dir.path())
                .output()
                .expect("bash");
            assert_eq!(out.status.code(), Some(0), "{example}: {}", String::from_utf8_lossy(&out.stderr));
            assert!(!out.stdout.is_empty(), "{example} printed nothing");
            ran += 1;
        }
    }
    assert!(ran >= 14, "{ran} examples ran");
}

#[test]
fn the_readme_tour_uses_the_amendments_the_tests_use() {
    let readme = std::fs::read_to_string(repo_file("README.md")).expect("README");
    for line in TOUR_AMENDMENTS.lines() {
        assert!(readme.contains(line), "README's amend.jsonl lacks {line}");
    }
}
