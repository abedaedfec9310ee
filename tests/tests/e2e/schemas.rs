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

#[test]
fn committed_schemas_match_the_types() {
    let update = std::env::var_os("UPDATE_SCHEMAS").is_some();
    for (name, schema) in ledger_core::schema::all() {
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

/// The importers' schemas (`ledger import --format json`) come from `ledger-import`, beside the core.
#[test]
fn committed_import_schemas_match_the_types() {
    let update = std::env::var_os("UPDATE_SCHEMAS").is_some();
    for (name, schema) in ledger_import::schema::all() {
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

/// What `ledger import --format json` prints validates against its schema: an import and a dry run.
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
}
