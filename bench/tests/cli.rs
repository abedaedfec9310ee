//! The `ledger-bench` binary's own plumbing. (The benchmark itself is run end to end, at a tiny
//! size, by the workspace's e2e tests: `tests/tests/e2e/bench.rs`.)

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_ledger-bench");

#[test]
fn measure_child_times_a_command_and_passes_its_exit_code_on() {
    let dir = tempfile::tempdir().unwrap();
    let result = dir.path().join("result");
    let out = Command::new(BIN).args(["--measure-child"]).arg(&result).args(["--", BIN, "--version"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("ledger-bench"), "the child's output passes through");
    let text = std::fs::read_to_string(&result).unwrap();
    let fields: Vec<u64> = text.split_whitespace().map(|f| f.parse().unwrap()).collect();
    assert_eq!(fields.len(), 2, "{text}");
    assert!(fields[0] > 0 && fields[1] > 0, "wall time and peak RSS: {text}");

    let failed =
        Command::new(BIN).args(["--measure-child"]).arg(&result).args(["--", BIN, "--no-such-flag"]).output().unwrap();
    assert_eq!(failed.status.code(), Some(2), "the child's usage error, passed on");
}

#[test]
fn a_missing_ledger_binary_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["--events", "100", "--repeat", "1", "--quiet", "--ledger-bin"])
        .arg(dir.path().join("no-ledger"))
        .arg("--out")
        .arg(dir.path().join("bench.json"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no-ledger") && err.contains("--ledger-bin"), "{err}");
    assert!(!dir.path().join("bench.json").exists());
}
