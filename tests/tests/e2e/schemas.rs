//! The schemas in schemas/ are generated from the Rust types and checked in: they must not drift,
//! and what the ledger reads and writes must validate against them.
//!
//! To regenerate after changing a type: `UPDATE_SCHEMAS=1 cargo test -p ledger-tests schemas`.

use serde_json::Value;

use ledger_tests::{Sandbox, repo_file};

fn validator(file: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo_file(&format!("schemas/{file}"))).expect("read schema");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("a valid draft 2020-12 schema")
}

#[track_caller]
fn assert_valid(v: &jsonschema::Validator, instance: &Value, what: &str) {
    let errors: Vec<String> = v.iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{what} does not validate:\n{}", errors.join("\n"));
}

/// Every schema the ledger's crates generate: the core's (events and every command's answer) and
/// the importers' (`ledger import --format json`), by file name.
fn generated() -> Vec<(&'static str, Value)> {
    ledger_core::schema::all().into_iter().chain(ledger_import::schema::all()).collect()
}

#[test]
fn committed_schemas_match_the_types() {
    let update = std::env::var_os("UPDATE_SCHEMAS").is_some();
    for (name, schema) in generated() {
        let path = repo_file(&format!("schemas/{name}"));
        let generated = serde_json::to_string_pretty(&schema).expect("serialize") + "\n";
        if update {
            std::fs::write(&path, &generated).expect("write schema");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "schemas/{name} differs from what the types generate; run UPDATE_SCHEMAS=1 cargo test -p ledger-tests schemas"
        );
    }
}

#[test]
fn import_outputs_validate() {
    let v = validator("import.schema.json");
    let s = Sandbox::init();
    let list = repo_file("tests/fixtures/lists/uk-gim/UK-Sanctions-List-GIM-2026-04-29.csv");
    let list = list.to_str().expect("utf-8 path");
    let dry = s.run(&["import", "uk-csv", list, "--dry-run", "--format", "json"]).expect(0).json();
    assert_valid(&v, &dry, "a dry run");
    assert_eq!(dry["events"].as_array().map(Vec::len), Some(38));
    let done = s.run(&["import", "uk-csv", list, "--format", "json"]).expect(0).json();
    assert_valid(&v, &done, "an import");
    assert!(done.get("events").is_none() && done["head"]["seq"] == 38, "{done}");
    // A series: the same list twice (the second appends nothing).
    let series = s.run(&["import", "uk-csv", list, list, "--format", "json"]).expect(0).json();
    assert_valid(&validator("import-series.schema.json"), &series, "a series");
    assert_eq!((series["lists"].as_u64(), series["events"].as_u64()), (Some(2), Some(0)), "{series}");
}

#[test]
fn every_example_file_validates() {
    let v = validator("input-event.schema.json");
    let dir = repo_file("examples");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).expect("examples/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            files += 1;
            let text = std::fs::read_to_string(&path).expect("read example");
            for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                let instance: Value = serde_json::from_str(line).expect("JSON line");
                assert_valid(&v, &instance, &format!("{}:{}", path.display(), i + 1));
            }
        }
    }
    assert!(files > 0, "no example files found");
}

#[test]
fn the_schema_refuses_what_the_ledger_refuses() {
    let v = validator("input-event.schema.json");
    let bad = [
        r#"{"type":"designation","authority":"UK","id":"X","effective":"2025-01-01","regime":{"code":"GIM"},"subject":{"kind":"entity","names":[{"name":"A","type":"primary"}]},"colour":"red"}"#,
        r#"{"type":"sanction","authority":"UK","id":"X"}"#,
        r#"{"type":"delisting","authority":"UK","id":"X","effective":"22/10/2025"}"#,
        r#"{"type":"amendment","authority":"UK","id":"X","effective":"2025-01-01","patch":{"id":"Y"}}"#,
        r#"{"type":"designation","authority":"UK","id":"X","effective":"2025-01-01","regime":{"code":"GIM"},"subject":{"kind":"entity","names":[{"name":"A","type":"primary"}]},"measures":["port_ban"]}"#,
        r#"{"type":"delisting","authority":"UK","id":"X","effective":"2025-01-01 10:00:00Z"}"#,
    ];
    for line in bad {
        let instance: Value = serde_json::from_str(line).expect("JSON");
        assert!(!v.is_valid(&instance), "the schema accepts {line}");
    }
}

#[test]
fn recorded_events_validate() {
    let v = validator("recorded-event.schema.json");
    let s = Sandbox::gim();
    s.run_stdin(
        &["append", "-"],
        br#"{"type":"amendment","authority":"UK","id":"GIM0030","effective":"2025-11-03","patch":{"subject":{"names":[{"name":"ALPA TRADING FZCO","type":"primary"},{"name":"ALPA TRADING","type":"alias"}]}},"reason":"alias added"}
{"type":"delisting","authority":"UK","id":"GIM0030","effective":"2026-02-01"}
{"type":"retraction","target":40,"reason":"recorded in error"}"#,
    )
    .expect(0);
    let log = s.log();
    assert_eq!(log.len(), 42);
    for e in &log {
        assert_valid(&v, e, &format!("event {}", e["seq"]));
    }
    // Each line is the event in its RFC 8785 form (members in canonical order), `hash` included.
    let text = s.run(&["log", "--format", "json"]).expect(0).stdout;
    for (line, e) in text.lines().zip(&log) {
        let canonical = ledger_core::canonical::to_vec(e).expect("canonical");
        assert_eq!(line.as_bytes(), canonical.as_slice(), "event {} is not written in canonical form", e["seq"]);
    }
}

#[test]
fn every_schema_file_is_generated() {
    let generated: Vec<&str> = generated().iter().map(|(name, _)| *name).collect();
    for entry in std::fs::read_dir(repo_file("schemas")).expect("schemas/") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        assert!(generated.contains(&name.as_str()), "schemas/{name} is not generated by the types");
    }
}

/// The ledger a command of the table runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fixture {
    /// No ledger yet.
    Empty,
    /// A ledger holding only its genesis event.
    Init,
    /// The README's tour, shared by every command that only reads it.
    Tour,
    /// The README's tour, a copy of its own (for a command that writes).
    OwnTour,
}

/// How a command writes its JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// One document.
    Document,
    /// JSON Lines: one document a line.
    Lines,
}

/// One command's `--format json` output, and the schema that describes it.
struct Case {
    what: &'static str,
    fixture: Fixture,
    args: &'static [&'static str],
    code: i32,
    shape: Shape,
    schema: &'static str,
}

const fn case(
    what: &'static str,
    fixture: Fixture,
    args: &'static [&'static str],
    code: i32,
    schema: &'static str,
) -> Case {
    Case { what, fixture, args, code, shape: Shape::Document, schema }
}

/// Every command that writes JSON, run on a real ledger. A command's row names the schema file
/// its output must validate against; answers that exit 1 (nothing found) are JSON all the same.
const CASES: &[Case] = &[
    case("init", Fixture::Empty, &["init", "--name", "t"], 0, "head.schema.json"),
    case("head", Fixture::Tour, &["head"], 0, "head.schema.json"),
    case("append", Fixture::Init, &["append", "@examples/uk-gim-2025.jsonl"], 0, "append.schema.json"),
    Case {
        what: "log",
        fixture: Fixture::Tour,
        args: &["log"],
        code: 0,
        shape: Shape::Lines,
        schema: "recorded-event.schema.json",
    },
    case("verify", Fixture::Tour, &["verify"], 0, "verify.schema.json"),
    case("state", Fixture::Tour, &["state", "--at", "2025-11-10"], 0, "state.schema.json"),
    case("state, delisted too", Fixture::Tour, &["state", "--include-delisted"], 0, "state.schema.json"),
    case("state of an unheld regime", Fixture::Tour, &["state", "--regime", "XYZ"], 1, "state.schema.json"),
    case("state --count", Fixture::Tour, &["state", "--count", "--at", "2025-11-10"], 0, "state-count.schema.json"),
    case("show", Fixture::Tour, &["show", "UK/GIM0030", "--at", "2025-11-10"], 0, "show.schema.json"),
    case("show, delisted", Fixture::Tour, &["show", "UK/GIM0030"], 0, "show.schema.json"),
    case("show, unknown", Fixture::Tour, &["show", "UK/NOPE0001"], 1, "show.schema.json"),
    case("history", Fixture::Tour, &["history", "UK/GIM0030"], 0, "history.schema.json"),
    case("history, unknown", Fixture::Tour, &["history", "UK/NOPE0001"], 1, "history.schema.json"),
    case("diff", Fixture::Tour, &["diff", "--from", "2025-07-23", "--to", "2026-02-28"], 0, "diff.schema.json"),
    case("search", Fixture::Tour, &["search", "alpa trading"], 0, "search.schema.json"),
    case("search, no match", Fixture::Tour, &["search", "nobody at all"], 1, "search.schema.json"),
    case(
        "designate",
        Fixture::OwnTour,
        &[
            "designate",
            "UK/GIM0100",
            "--regime",
            "GIM",
            "--kind",
            "individual",
            "--name",
            "A NEW NAME",
            "--effective",
            "2026-01-05",
            "--measure",
            "asset_freeze",
            "--yes",
        ],
        0,
        "operator.schema.json",
    ),
    case(
        "amend, dry run",
        Fixture::Tour,
        &[
            "amend",
            "UK/GIM0047",
            "--effective",
            "2025-12-01",
            "--add-measure",
            "trust_services",
            "--reason",
            "r",
            "--dry-run",
        ],
        0,
        "operator.schema.json",
    ),
    case(
        "amend",
        Fixture::OwnTour,
        &["amend", "UK/GIM0047", "--effective", "2025-12-01", "--add-alias", "ANOTHER", "--reason", "r", "--yes"],
        0,
        "operator.schema.json",
    ),
    case(
        "delist",
        Fixture::OwnTour,
        &["delist", "UK/GIM0047", "--effective", "2026-03-01", "--reason", "revoked", "--yes"],
        0,
        "operator.schema.json",
    ),
    case("retract", Fixture::OwnTour, &["retract", "39", "--reason", "in error", "--yes"], 0, "operator.schema.json"),
    case(
        "retract, dry run",
        Fixture::Tour,
        &["retract", "40", "--reason", "in error", "--dry-run"],
        0,
        "operator.schema.json",
    ),
    // The auditors' commands (checkpoint, prove, verify-proof, export, verify-bundle,
    // import-bundle, verify --checkpoint) need keys, checkpoints and proofs: their answers are
    // checked in `audit_schemas.rs` (`AUDIT_SCHEMAS`).
];

#[test]
fn every_commands_json_validates_against_its_schema() {
    let tour = Sandbox::tour();
    for c in CASES {
        let own;
        let sandbox = match c.fixture {
            Fixture::Tour => &tour,
            Fixture::Empty => {
                own = Sandbox::new();
                &own
            }
            Fixture::Init => {
                own = Sandbox::init();
                &own
            }
            Fixture::OwnTour => {
                own = Sandbox::tour();
                &own
            }
        };
        // `@PATH` is a file of the repository.
        let args: Vec<String> = c
            .args
            .iter()
            .map(|a| match a.strip_prefix('@') {
                Some(rel) => repo_file(rel).to_str().expect("utf-8 path").to_owned(),
                None => (*a).to_owned(),
            })
            .chain(["--format".to_owned(), "json".to_owned()])
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = sandbox.run(&args);
        assert_eq!(run.code, c.code, "{}: exit code\nstdout:\n{}\nstderr:\n{}", c.what, run.stdout, run.stderr);
        let v = validator(c.schema);
        let documents: Vec<Value> = match c.shape {
            Shape::Document => vec![run.json()],
            Shape::Lines => run.stdout.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect(),
        };
        assert!(!documents.is_empty(), "{}: no output", c.what);
        for d in &documents {
            assert_valid(&v, d, &format!("`ledger {}` ({})", c.args.join(" "), c.what));
        }
    }
}

#[test]
fn every_output_schema_has_a_command_in_the_table() {
    for (name, _) in generated() {
        if name == "input-event.schema.json" {
            continue;
        }
        // `import` needs list files: its answers are checked in `import_outputs_validate`.
        let imports = ["import.schema.json", "import-series.schema.json"];
        let audited = super::audit_schemas::AUDIT_SCHEMAS.contains(&name)
            || super::witness::WITNESS_SCHEMAS.contains(&name)
            || imports.contains(&name);
        assert!(
            audited || CASES.iter().any(|c| c.schema == name),
            "no command of the table writes what schemas/{name} describes"
        );
    }
}
