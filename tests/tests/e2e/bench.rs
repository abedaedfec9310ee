//! The benchmark keeps working: `ledger-bench` runs at a tiny size (1,000 events) on the real
//! `ledger` binary, prints its table and writes a JSON report holding every figure the issue
//! names, each beside its baseline. No timing is asserted.

use std::path::PathBuf;
use std::process::Command;

use ledger_bench::{Config, run};
use ledger_tests::ledger_bin;
use serde_json::Value;

/// Every figure of the issue: bulk append, a single-event append process, verify, show and
/// history (in process and as a process), state --count, the full state as JSON, diff over a
/// month, search, disk per event, and each command's peak memory.
const FIGURES: &[&str] = &[
    "bulk_append_events_per_s",
    "bulk_append_peak_mem_kib",
    "input_parse_events_per_s",
    "append_process_ms",
    "append_process_peak_rss_kib",
    "open_ms",
    "verify_events_per_s",
    "verify_peak_mem_kib",
    "verify_process_events_per_s",
    "verify_process_peak_rss_kib",
    "show_ms",
    "show_peak_mem_kib",
    "show_process_ms",
    "show_process_peak_rss_kib",
    "history_ms",
    "history_peak_mem_kib",
    "history_process_ms",
    "history_process_peak_rss_kib",
    "state_count_ms",
    "state_count_peak_mem_kib",
    "state_count_process_ms",
    "state_count_process_peak_rss_kib",
    "state_json_ms",
    "state_json_peak_mem_kib",
    "state_json_process_ms",
    "state_json_process_peak_rss_kib",
    "diff_month_ms",
    "diff_month_peak_mem_kib",
    "diff_month_process_ms",
    "diff_month_process_peak_rss_kib",
    "search_ms",
    "search_peak_mem_kib",
    "search_process_ms",
    "search_process_peak_rss_kib",
    "disk_bytes_per_event",
    "head_process_ms",
    "append_large_process_ms",
    "append_large_process_peak_rss_kib",
];

/// The baselines: BLAKE3 alone, raw sled inserts (one key per event; 64 events per key) and
/// scans of the same canonical bytes.
const BASELINES: &[&str] = &[
    "raw_json_bytes_per_event",
    "blake3_events_per_s",
    "json_parse_events_per_s",
    "sled_insert_per_event_events_per_s",
    "sled_insert_packed64_events_per_s",
    "sled_per_event_bytes_per_event",
    "sled_packed64_bytes_per_event",
    "sled_scan_per_event_events_per_s",
    "sled_scan_packed64_events_per_s",
    "sled_scan_blake3_events_per_s",
    "sled_scan_parse_ms",
    "sled_open_ms",
    "process_spawn_ms",
    "sqlite_append_events_per_s",
    "sqlite_verify_events_per_s",
    "sqlite_disk_bytes_per_event",
    "sqlite_show_ms",
    "sqlite_history_ms",
    "sqlite_state_count_ms",
];

/// Figures printed beside a baseline, as a ratio.
const RATIOS: &[&str] = &[
    "bulk_append_events_per_s",
    "verify_events_per_s",
    "show_ms",
    "show_process_ms",
    "history_ms",
    "history_process_ms",
    "state_count_ms",
    "state_json_ms",
    "diff_month_ms",
    "search_ms",
    "append_process_ms",
    "disk_bytes_per_event",
];

#[track_caller]
fn check_report(json: &Value, events: u64) {
    assert!(json["machine"]["nproc"].as_u64().is_some_and(|n| n >= 1), "machine: {}", json["machine"]);
    assert!(json["seed"].is_u64());
    let sizes = json["sizes"].as_array().expect("sizes");
    assert_eq!(sizes.len(), 1);
    let size = &sizes[0];
    assert_eq!(size["events"], events);
    let designations = size["designations"].as_u64().expect("designations");
    assert!((events / 20..=events / 5).contains(&designations), "about ten events per designation: {designations}");
    for t in ["designation", "amendment", "delisting", "relisting", "retraction", "amendment (backdated)"] {
        assert!(size["mix"][t].as_u64().is_some_and(|n| n > 0), "the history has a {t}: {}", size["mix"]);
    }
    let repeat = size["repeat"].as_u64().expect("repeat") as usize;
    let has = |section: &str, name: &str| {
        let f = &size[section][name];
        assert!(f["median"].is_number(), "{section}.{name} has a median: {f}");
        assert_eq!(f["runs"].as_array().map(Vec::len), Some(repeat), "{section}.{name} has one run per repetition");
    };
    for name in FIGURES {
        has("figures", name);
    }
    for name in BASELINES {
        has("baselines", name);
    }
    for name in RATIOS {
        assert!(size["ratios"][name]["ratio"].is_number(), "{name} beside its baseline: {}", size["ratios"]);
    }
    assert!(size["targets"]["bulk_append_events_per_s"]["target"].is_string());
    for name in ["bulk_append_events_per_s", "verify_events_per_s", "disk_bytes_per_event", "state_count_ms"] {
        assert!(size["peer"][name]["advantage"].is_number(), "{name} beside the SQLite peer: {}", size["peer"]);
    }
    assert_eq!(size["answers"]["sqlite_state_count"], size["answers"]["state_count"], "the peer counts alike");
    assert!(size["answers"]["state_count"].as_u64().is_some_and(|n| n > 0), "answers: {}", size["answers"]);
    assert!(size["answers"]["history_rows"].as_u64().is_some_and(|n| n > 0), "answers: {}", size["answers"]);
}

#[test]
fn the_bench_library_runs_at_a_tiny_size_and_reports_every_figure() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = Config {
        sizes: vec![1_000],
        repeat: 1,
        seed: 7,
        ledger_bin: ledger_bin(),
        tmp: Some(dir.path().to_owned()),
        progress: false,
        spawner: None,
    };
    let report = run(&config).expect("the benchmark completes");
    let out = dir.path().join("bench.json");
    std::fs::write(&out, report.to_json().expect("JSON")).expect("write the report");
    let json: Value = serde_json::from_slice(&std::fs::read(&out).expect("read the report")).expect("valid JSON");
    check_report(&json, 1_000);
    let table = report.table();
    for label in ["bulk append", "verify", "show KEY", "history KEY", "state --count", "search NAME", "disk per event"]
    {
        assert!(table.contains(label), "the table shows {label}:\n{table}");
    }
}

/// The `ledger-bench` binary beside the `ledger` binary (cargo builds both for
/// `cargo test --workspace`: each package has integration tests), or `LEDGER_BENCH_BIN`.
fn bench_bin() -> PathBuf {
    ledger_tests::workspace_bin("ledger-bench", "LEDGER_BENCH_BIN", &["bench/src"], "ledger-bench")
}

#[test]
fn the_documented_command_prints_the_table_and_writes_the_json() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("bench.json");
    let run = Command::new(bench_bin())
        .args(["--events", "1000", "--repeat", "1", "--seed", "3", "--quiet", "--ledger-bin"])
        .arg(ledger_bin())
        .arg("--out")
        .arg(&out)
        .arg("--tmp")
        .arg(dir.path())
        .output()
        .expect("run ledger-bench");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "ledger-bench failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("== 1000 events"), "{stdout}");
    assert!(stdout.contains("ratio"), "{stdout}");
    assert!(stdout.contains(&format!("wrote {}", out.display())), "{stdout}");
    let json: Value = serde_json::from_slice(&std::fs::read(&out).expect("the JSON report")).expect("valid JSON");
    check_report(&json, 1_000);
    assert!(
        json["process_measurement"].as_str().is_some_and(|m| m.contains("--measure-child")),
        "children measured under the spawner: {}",
        json["process_measurement"]
    );
}

/// `ledger-bench serve` keeps working: at a tiny size (2,000 events, 4 clients, 1 s a scenario)
/// it starts the real `ledger serve`, asks every question alone and while batches are appended,
/// runs the same questions as processes, and reports them all, without errors. No timing is
/// asserted.
#[test]
fn the_serve_mode_loads_a_real_server_and_reports_every_scenario() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("serve.json");
    let run = Command::new(bench_bin())
        .args(["serve", "--events", "2000", "--clients", "4", "--seconds", "1", "--cli-runs", "3", "--quiet"])
        .arg("--ledger-bin")
        .arg(ledger_bin())
        .arg("--out")
        .arg(&out)
        .arg("--tmp")
        .arg(dir.path())
        .output()
        .expect("run ledger-bench serve");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "ledger-bench serve failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for label in ["show KEY", "search NAME", "state --count", "one-shot `ledger` processes", "req/s", "p99 ms"] {
        assert!(stdout.contains(label), "the table shows {label}:\n{stdout}");
    }
    let json: Value = serde_json::from_slice(&std::fs::read(&out).expect("the JSON report")).expect("valid JSON");
    assert_eq!(json["events"], 2000);
    assert_eq!(json["clients"], 4);
    assert_eq!(json["verified"], true, "the ledger verifies after the load");
    assert!(json["state_count"].as_u64().is_some_and(|n| n > 0), "{}", json["state_count"]);
    let scenarios = json["scenarios"].as_array().expect("scenarios");
    assert_eq!(scenarios.len(), 9, "three questions, each from one client, from every client, and with appends");
    for query in ["show", "search", "state_count"] {
        for (clients, with_appends) in [(1, false), (4, false), (4, true)] {
            let s = scenarios
                .iter()
                .find(|s| s["query"] == query && s["clients"] == clients && s["with_appends"] == with_appends)
                .unwrap_or_else(|| panic!("a scenario {query} clients={clients} with_appends={with_appends}"));
            assert!(s["requests"].as_u64().is_some_and(|n| n > 0), "{query}: {s}");
            assert_eq!(s["errors"], 0, "{query}: {s}");
            for f in ["requests_per_s", "p50_ms", "p99_ms", "max_ms"] {
                assert!(s[f].as_f64().is_some_and(|v| v > 0.0), "{query}.{f}: {s}");
            }
            if with_appends {
                let a = &s["appends"];
                assert!(a["batches"].as_u64().is_some_and(|n| n > 0), "{query}: batches were appended: {s}");
                assert_eq!(a["errors"], 0, "{query}: {s}");
                assert_eq!(a["events"].as_u64(), a["batches"].as_u64().map(|b| b * 1000), "{query}: {s}");
                let [before, after] = [&s["head_seq"][0], &s["head_seq"][1]].map(|v| v.as_u64().expect("a seq"));
                assert!(after >= before + 1000, "{query}: the head moved on: {s}");
            } else {
                assert!(s["appends"].is_null(), "{query}: {s}");
            }
        }
    }
    let processes = json["processes"].as_array().expect("processes");
    assert_eq!(processes.len(), 3);
    for p in processes {
        assert_eq!(p["runs_ms"].as_array().map(Vec::len), Some(3), "{p}");
        assert!(p["median_ms"].as_f64().is_some_and(|v| v > 0.0), "{p}");
        for f in ["ratio_one_client", "ratio_loaded", "loaded_requests_per_s"] {
            assert!(p[f].as_f64().is_some_and(|v| v > 0.0), "{f}: {p}");
        }
    }
}
