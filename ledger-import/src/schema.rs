//! JSON Schemas (draft 2020-12) of what the importers write, generated from the types as
//! `ledger_core::schema` generates the core's: `schemas/` holds them checked in, and a test fails
//! when they drift.

use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

use crate::output::{ImportOutput, SeriesOutput};

/// Every schema of the importers, by file name.
pub fn all() -> Vec<(&'static str, Value)> {
    vec![("import.schema.json", import()), ("import-series.schema.json", series())]
}

/// The schema of `ledger import FORMAT FILE FILE... --format json` (or `--series DIR`).
pub fn series() -> Value {
    let mut v = SchemaSettings::draft2020_12().into_generator().into_root_schema_for::<SeriesOutput>().to_value();
    v["$id"] = json!("https://sanctions-ledger.invalid/schemas/import-series.schema.json");
    v
}

/// The schema of `ledger import --format json`.
pub fn import() -> Value {
    let mut v = SchemaSettings::draft2020_12().into_generator().into_root_schema_for::<ImportOutput>().to_value();
    v["$id"] = json!("https://sanctions-ledger.invalid/schemas/import.schema.json");
    v
}
