//! A key's record, folded from its events: the designation's record, then each amendment's patch
//! merged in (RFC 7396, [`patch::merge`]). The append folds on canonical bytes, member by member,
//! each step checked ([`apply`]), since what it keeps is the stored record; a projection folds
//! the same way on JSON values, unchecked ([`fold`]). Verification folds by a route of its own
//! (see `verify`), so that a fault here shows as a stored record that does not match the log.

use serde_json::Value;

use crate::canonical;
use crate::event::{Event, Record, SubjectKind};
use crate::patch;
use crate::validate::check_record;

/// What never changes about a designation key: its regime code and the kind of its subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The regime code.
    pub regime: String,
    /// The kind of subject.
    pub kind: SubjectKind,
}

/// Why a record, as an event leaves it, is not a valid record of its key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordProblem {
    /// An amendment changed the regime code or the subject's kind.
    #[error("an amendment cannot change the regime code or the subject's kind")]
    IdentityChanged,
    /// A field breaks the record's rules.
    #[error("field `{field}`: {reason}")]
    Field {
        /// Dotted path of the field.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The record does not read as a record.
    #[error("{0}")]
    Unreadable(String),
}

impl From<String> for RecordProblem {
    fn from(what: String) -> Self {
        RecordProblem::Unreadable(what)
    }
}

impl From<crate::event::DecodeError> for RecordProblem {
    fn from(e: crate::event::DecodeError) -> Self {
        RecordProblem::Unreadable(e.to_string())
    }
}

impl From<crate::validate::FieldError> for RecordProblem {
    fn from(f: crate::validate::FieldError) -> Self {
        RecordProblem::Field { field: f.field, reason: f.reason }
    }
}

/// Applies a designation or an amendment to a key's record (canonical JSON), checking that the
/// result is a valid record of the same regime code and kind.
pub(crate) fn apply(
    record: &mut Option<Vec<u8>>,
    event: &Event,
    identity: Option<&Identity>,
) -> Result<(), RecordProblem> {
    match event {
        Event::Designation(d) => {
            let value = serde_json::to_value(d.record()).map_err(|e| e.to_string())?;
            *record = Some(canonical::to_vec(&value).map_err(|e| e.to_string())?);
            Ok(())
        }
        Event::Amendment(a) => {
            let merged = merge_canonical(record.as_deref().unwrap_or(b"{}"), &a.patch)?;
            check_amended(&crate::event::read_slice(&merged)?, identity)?;
            *record = Some(merged);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Checks a record as an amendment leaves it: a valid record of the key's regime code and kind.
pub(crate) fn check_amended(rec: &Record, identity: Option<&Identity>) -> Result<(), RecordProblem> {
    if identity.is_some_and(|i| i.regime != rec.regime.code || i.kind != rec.subject.kind) {
        return Err(RecordProblem::IdentityChanged);
    }
    Ok(check_record(rec)?)
}

/// RFC 7396: merges an object patch into a canonical JSON object, giving canonical JSON. The
/// members the patch does not name are kept as their bytes; only those it names are read.
pub(crate) fn merge_canonical(target: &[u8], patch: &serde_json::Map<String, Value>) -> Result<Vec<u8>, RecordProblem> {
    use std::borrow::Cow;
    let unreadable = |e: &dyn std::fmt::Display| RecordProblem::Unreadable(e.to_string());
    let mut members: Vec<(Cow<str>, Cow<[u8]>)> = canonical::members(target)
        .map_err(|e| unreadable(&e))?
        .into_iter()
        .map(|(name, raw)| (name, Cow::Borrowed(raw)))
        .collect();
    for (name, value) in patch {
        let at = members.iter().position(|(n, _)| n == name);
        if value.is_null() {
            if let Some(i) = at {
                members.remove(i);
            }
            continue;
        }
        let mut merged = match (at, value) {
            (Some(i), Value::Object(_)) => serde_json::from_slice(&members[i].1).map_err(|e| unreadable(&e))?,
            _ => Value::Null,
        };
        patch::merge(&mut merged, value);
        let bytes = Cow::Owned(canonical::to_vec(&merged).map_err(|e| unreadable(&e))?);
        match at {
            Some(i) => members[i].1 = bytes,
            None => members.push((Cow::Owned(name.clone()), bytes)),
        }
    }
    members.sort_by(|a, b| canonical::jcs_cmp(&a.0, &b.0));
    let mut out = Vec::with_capacity(target.len() + 64);
    out.push(b'{');
    for (i, (name, raw)) in members.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        canonical::write_str(name, &mut out);
        out.push(b':');
        out.extend_from_slice(raw);
    }
    out.push(b'}');
    Ok(out)
}

/// Folds the events of an episode (a designation and its amendments, in fold order) into the
/// record they make, without the checks an append made when it recorded them: what a projection
/// needs at a point where the stored record is not the answer. An amendment before any
/// designation is skipped, so that the fold is total. The record is merged as a JSON value
/// (the same RFC 7396 merge, [`patch::merge`], that [`merge_canonical`] applies member by
/// member): a projection folds many amendments and needs no canonical bytes until the end.
pub(crate) fn fold<'e>(events: impl IntoIterator<Item = &'e Event>) -> Result<Option<Record>, RecordProblem> {
    let mut record: Option<Value> = None;
    for event in events {
        match event {
            Event::Designation(d) => {
                record = Some(serde_json::to_value(d.record()).map_err(|e| RecordProblem::Unreadable(e.to_string()))?)
            }
            Event::Amendment(a) => {
                if let Some(r) = record.as_mut() {
                    patch::merge_object(r, &a.patch);
                }
            }
            _ => {}
        }
    }
    record
        .map(|r| {
            serde_json::from_value(r)
                .map_err(|e| RecordProblem::Unreadable(format!("a folded record does not parse: {e}")))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_canonical_bytes_equals_merging_values() {
        use serde_json::json;
        let targets = [
            json!({}),
            json!({"a": "b", "c": {"d": 1, "e": [1, 2]}, "z": null}),
            json!({"reason": "x", "subject": {"kind": "entity", "names": [{"name": "A", "type": "primary"}]}}),
            json!({"\u{fb33}": 1, "b\n": "q\u{1}"}),
        ];
        let patches = [
            json!({"a": "c"}),
            json!({"a": null, "new": {"x": null, "y": 2}}),
            json!({"c": {"d": null, "f": {"g": null}}, "z": 5}),
            json!({"subject": {"names": [{"name": "B", "type": "alias"}]}, "reason": null}),
            json!({"\u{1f600}": 3, "b\n": null, "c": "text"}),
        ];
        for t in &targets {
            for p in &patches {
                let mut want = t.clone();
                patch::merge(&mut want, p);
                let got = merge_canonical(&canonical::to_vec(t).unwrap(), p.as_object().unwrap()).unwrap();
                assert_eq!(
                    String::from_utf8(got).unwrap(),
                    String::from_utf8(canonical::to_vec(&want).unwrap()).unwrap(),
                    "{t} + {p}"
                );
            }
        }
    }
}
