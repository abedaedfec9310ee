//! JSON Schemas (draft 2020-12) of the serialized types, generated from the Rust types.
//! `schemas/` holds them checked in; a test fails when they drift.

use schemars::{JsonSchema, Schema, generate::SchemaSettings};
use serde_json::{Value, json};

use crate::event::{Event, InputEvent};
use crate::ops::{audit, operate, publish, read, witness, write};
use crate::query;

fn generate<T: JsonSchema>() -> Schema {
    SchemaSettings::draft2020_12().into_generator().into_root_schema_for::<T>()
}

/// Every schema, by file name: the events, then each command's `--format json` output.
pub fn all() -> Vec<(&'static str, Value)> {
    vec![
        ("input-event.schema.json", input_event()),
        ("recorded-event.schema.json", recorded_event()),
        ("head.schema.json", output::<read::HeadOutput>("head")),
        ("append.schema.json", output::<write::AppendOutput>("append")),
        ("verify.schema.json", output::<read::VerifyOutput>("verify")),
        ("operator.schema.json", output::<operate::OperatorOutput>("operator")),
        ("state.schema.json", output::<query::StateOutput>("state")),
        ("state-count.schema.json", output::<query::CountOutput>("state-count")),
        ("show.schema.json", output::<query::ShowOutput>("show")),
        ("history.schema.json", output::<query::HistoryOutput>("history")),
        ("diff.schema.json", output::<query::DiffOutput>("diff")),
        ("search.schema.json", output::<query::SearchOutput>("search")),
        ("checkpoint.schema.json", output::<audit::CheckpointOutput>("checkpoint")),
        ("verify-checkpoint.schema.json", output::<audit::CheckpointCheck>("verify-checkpoint")),
        ("proof.schema.json", output::<audit::Proof>("proof")),
        ("verify-proof.schema.json", output::<audit::ProofCheck>("verify-proof")),
        ("export.schema.json", output::<audit::ExportOutput>("export")),
        ("verify-bundle.schema.json", output::<audit::BundleCheck>("verify-bundle")),
        ("import-bundle.schema.json", output::<audit::RestoreOutput>("import-bundle")),
        ("publish.schema.json", output::<publish::PublishOutput>("publish")),
        ("witness-add-checkpoint.schema.json", output::<witness::WitnessedOutput>("witness-add-checkpoint")),
    ]
}

fn output<T: JsonSchema>(name: &str) -> Value {
    let mut v = generate::<T>().to_value();
    v["$id"] = json!(format!("https://sanctions-ledger.invalid/schemas/{name}.schema.json"));
    v
}

/// The schema of one input event (one line of an append batch).
pub fn input_event() -> Value {
    let mut v = generate::<InputEvent>().to_value();
    v["$id"] = json!("https://sanctions-ledger.invalid/schemas/input-event.schema.json");
    v
}

/// The schema of one recorded event: an event of any type with the envelope the ledger adds.
pub fn recorded_event() -> Value {
    let mut v = generate::<Event>().to_value();
    let envelope = json!({
        "seq": {"type": "integer", "minimum": 0, "description": "Position in the chain; 0 is the genesis event."},
        "prev": {"$ref": "#/$defs/Hash", "description": "Hash of event seq-1; 64 zeros for the genesis event."},
        "recorded_at": {"$ref": "#/$defs/Timestamp", "description": "When the ledger recorded the event (knowledge axis)."},
        "actor": {"type": "string", "minLength": 1, "description": "Who appended the event."},
        "hash": {"$ref": "#/$defs/Hash", "description": "BLAKE3 derive-key hash of the RFC 8785 form of the event without `hash`."}
    });
    let defs = v["$defs"].as_object_mut().map(|d| {
        d.insert("Hash".into(), crate::chain::Hash::json_schema(&mut schemars::SchemaGenerator::default()).to_value());
        d.insert(
            "Timestamp".into(),
            crate::time::Timestamp::json_schema(&mut schemars::SchemaGenerator::default()).to_value(),
        );
    });
    debug_assert!(defs.is_some());
    if let Some(variants) = v["oneOf"].as_array_mut() {
        for variant in variants {
            if let (Some(props), Some(env)) = (variant["properties"].as_object_mut(), envelope.as_object()) {
                for (k, s) in env {
                    props.insert(k.clone(), s.clone());
                }
            }
            if let Some(req) = variant["required"].as_array_mut() {
                for k in crate::event::ENVELOPE_FIELDS {
                    req.push(json!(k));
                }
            }
        }
    }
    v["title"] = json!("Recorded event");
    v["description"] = json!("One event of the chain, as `ledger log --format json` and exports write it.");
    v["$id"] = json!("https://sanctions-ledger.invalid/schemas/recorded-event.schema.json");
    v
}
