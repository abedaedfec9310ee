//! What an import changes, field by field, in words a person reads (names as text, not JSON);
//! and which of the values it changes were entered by hand.
//!
//! A value was entered by hand when the last event that set it carries no import provenance: a
//! designation sets every field of the record, an amendment the fields its patch names. The list
//! is the authority's word and wins for the authority's fields (a field the hand-entered record
//! lacks is simply added), but an import that would overwrite or remove a hand-entered value, reverse a delisting made by hand, or delist a
//! designation made by hand that no list has shown yet is refused unless the operator says so
//! (`Options::override_manual`), and the answer names each such key and field.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use ledger_core::event::Event;

/// One changed field of a designation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct FieldChange {
    /// The field's path in the record (`subject.names`, `measures`, `reason`).
    pub field: String,
    /// Its value before, as text (`null` when it had none).
    pub old: Option<String>,
    /// Its value after, as text (`null` when it is removed).
    pub new: Option<String>,
}

/// What an import does to one designation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct KeyChange {
    /// `AUTHORITY/ID`.
    pub key: String,
    /// `designated`, `relisted`, `amended` or `delisted`.
    pub action: String,
    /// When it takes effect (as the event gives it).
    pub effective: String,
    /// The designation's primary name.
    pub name: String,
    /// The fields an amendment changes (empty for the other actions).
    pub fields: Vec<FieldChange>,
}

/// A hand-entered fact an import would overwrite, remove or reverse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct HandEntered {
    /// `AUTHORITY/ID`.
    pub key: String,
    /// The field (its path in the record), or `status` for a designation or delisting.
    pub field: String,
    /// What the ledger holds, entered by hand in event `seq`.
    pub old: Option<String>,
    /// What the list would make it.
    pub new: Option<String>,
    /// The hand-entered event whose value it is.
    pub seq: ledger_core::seq::Seq,
}

impl std::fmt::Display for HandEntered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
        write!(
            f,
            "{} {}: {} → {} (entered by hand in event {})",
            self.key,
            self.field,
            text(&self.old),
            text(&self.new),
            self.seq
        )
    }
}

/// The leaf paths a merge patch sets (`subject.names`, `reason`): an object's members are
/// followed, anything else (an array, a value, `null` for a removal) is a leaf.
pub fn patch_paths(patch: &Map<String, Value>) -> Vec<String> {
    fn walk(prefix: &str, m: &Map<String, Value>, out: &mut Vec<String>) {
        for (k, v) in m {
            let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
            match v {
                Value::Object(inner) if !inner.is_empty() => walk(&path, inner, out),
                _ => out.push(path),
            }
        }
    }
    let mut out = Vec::new();
    walk("", patch, &mut out);
    out
}

/// The fields that differ between two records (as `diff` compares them: objects member by
/// member, anything else whole), old and new as text.
pub fn field_changes(old: &Value, new: &Value) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    ledger_core::query::field_changes("", Some(old), Some(new), &mut changes);
    let as_text = |v: Option<Value>| v.filter(|v| !v.is_null()).map(|v| text(&v));
    changes.into_iter().map(|c| FieldChange { field: c.field, old: as_text(c.old), new: as_text(c.new) }).collect()
}

/// A value as a person reads it: names as `NAME (type)`, lists joined, objects as `key: value`.
pub fn text(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let sep = if items.iter().any(Value::is_object) { "; " } else { ", " };
            items.iter().map(text).collect::<Vec<_>>().join(sep)
        }
        Value::Object(m) => {
            // A name: `NAME (type, quality)`.
            if let Some(Value::String(name)) = m.get("name") {
                let mut notes: Vec<&str> = Vec::new();
                for k in ["type", "quality", "language"] {
                    if let Some(Value::String(s)) = m.get(k) {
                        notes.push(s);
                    }
                }
                return if notes.is_empty() { name.clone() } else { format!("{name} ({})", notes.join(", ")) };
            }
            // A date with its precision, an address, anything else: its values in order.
            if let Some(Value::String(date)) = m.get("date") {
                return date.clone();
            }
            m.iter().map(|(k, v)| format!("{k}: {}", text(v))).collect::<Vec<_>>().join(", ")
        }
        other => other.to_string(),
    }
}

/// Who set each part of a record, along an episode's events in fold order: for each path, the
/// seq of the last event that set it and whether that event was entered by hand.
#[derive(Debug, Default)]
pub struct Setters {
    by_path: BTreeMap<String, (ledger_core::seq::Seq, bool)>,
}

impl Setters {
    /// Follows one event of the episode.
    pub fn follow(&mut self, seq: ledger_core::seq::Seq, event: &Event) {
        match event {
            Event::Designation(d) => {
                self.by_path.clear();
                self.by_path.insert(String::new(), (seq, d.import.is_none()));
            }
            Event::Amendment(a) => {
                for path in patch_paths(&a.patch) {
                    let under = format!("{path}.");
                    self.by_path.retain(|p, _| !p.starts_with(&under));
                    self.by_path.insert(path, (seq, a.import.is_none()));
                }
            }
            _ => {}
        }
    }

    /// The hand-entered event whose value a change of `path` would overwrite: the last setter
    /// of the path itself or of a path around it, or a hand-entered setter of a path inside it.
    pub fn manual_setter(&self, path: &str) -> Option<ledger_core::seq::Seq> {
        let enclosing = self
            .by_path
            .iter()
            .filter(|(p, _)| p.is_empty() || path == p.as_str() || path.starts_with(&format!("{p}.")))
            .max_by_key(|(p, _)| p.len())
            .filter(|(_, (_, manual))| *manual)
            .map(|(_, (seq, _))| *seq);
        let inside = format!("{path}.");
        let nested =
            self.by_path.iter().find(|(p, (_, manual))| *manual && p.starts_with(&inside)).map(|(_, (seq, _))| *seq);
        enclosing.or(nested)
    }

    /// The hand-entered amendment that removed `path` (set it, or a field around it, to
    /// nothing), if one did: a list putting a value back there overrides it. A field the
    /// hand-entered designation simply lacked has no such setter.
    pub fn removed_by_hand(&self, path: &str) -> Option<ledger_core::seq::Seq> {
        self.by_path
            .iter()
            .filter(|(p, _)| !p.is_empty() && (path == p.as_str() || path.starts_with(&format!("{p}."))))
            .max_by_key(|(p, _)| p.len())
            .filter(|(_, (_, manual))| *manual)
            .map(|(_, (seq, _))| *seq)
    }

    /// Whether any event of the episode came from a list.
    pub fn any_imported(&self) -> bool {
        self.by_path.values().any(|(_, manual)| !manual)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_read_as_text() {
        let names = json!([{"name": "ALPA TRADING FZCO", "type": "primary"}, {"name": "ALPA", "type": "alias", "quality": "low"}]);
        assert_eq!(text(&names), "ALPA TRADING FZCO (primary); ALPA (alias, low)");
        assert_eq!(text(&json!(["asset_freeze", "travel_ban"])), "asset_freeze, travel_ban");
        assert_eq!(text(&json!([{"date": "1980", "precision": "year"}])), "1980");
        assert_eq!(text(&json!({"town": "Dubai", "country": "AE"})), "country: AE, town: Dubai");
    }

    #[test]
    fn a_patch_names_its_leaf_fields() {
        let patch = json!({"subject": {"names": [], "title": null}, "reason": "x"});
        let Value::Object(patch) = patch else { unreachable!() };
        assert_eq!(patch_paths(&patch), vec!["reason", "subject.names", "subject.title"]);
        let old = json!({"subject": {"names": [{"name": "A", "type": "primary"}], "title": "Mr"}, "reason": "y"});
        let new = json!({"subject": {"names": [], "title": null}, "reason": "x"});
        let changes = field_changes(&old, &new);
        assert_eq!(changes[2], FieldChange { field: "subject.title".into(), old: Some("Mr".into()), new: None });
    }
}
