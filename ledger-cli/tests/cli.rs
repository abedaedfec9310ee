//! Argument handling of the binary itself: help, version and usage errors.

use std::process::Command;

fn ledger(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ledger")).args(args).env_remove("LEDGER_PATH").output().expect("run ledger")
}

#[test]
fn help_lists_the_commands_and_exits_0() {
    let o = ledger(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    for cmd in ["init", "append", "log", "head", "verify"] {
        assert!(text.contains(cmd), "help mentions {cmd}: {text}");
    }
}

#[test]
fn usage_errors_exit_2_on_stderr() {
    for args in [&["nope"][..], &["log", "--from", "-1"], &["append"], &["--format", "xml", "head"]] {
        let o = ledger(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?}");
        assert!(!o.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn a_bad_clock_setting_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = Command::new(env!("CARGO_BIN_EXE_ledger"))
        .args(["--ledger", dir.path().join("l").to_str().unwrap_or_default(), "init"])
        .env("LEDGER_CLOCK", "noon")
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("LEDGER_CLOCK"));
}
