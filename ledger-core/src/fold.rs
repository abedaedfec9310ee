//! A key's record, folded from its events: the designation's record, then each amendment's patch
//! merged in (RFC 7396, [`patch::merge`]). The append folds on canonical bytes, member by member,
//! each step checked ([`apply`]), since what it keeps is the stored record; a projection folds
//! the same way on JSON values, unchecked ([`fold`]). Verification folds by a route of its own
//! (see `verify`), so that a fault here shows as a stored record that does not match the log.

use serde_json::Value;

use crate::canonical;
use crate::event::{Amendment, Designation, Event, InputEvent, Record, SubjectKind};
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

/// What an event does to its key's record: the designation or amendment it is, by reference
/// (from a recorded event or from an input event of a batch alike), or nothing.
pub(crate) enum Step<'e> {
    Designation(&'e Designation),
    Amendment(&'e Amendment),
    Other,
}

impl<'e> From<&'e Event> for Step<'e> {
    fn from(e: &'e Event) -> Self {
        match e {
            Event::Designation(d) => Step::Designation(d),
            Event::Amendment(a) => Step::Amendment(a),
            _ => Step::Other,
        }
    }
}

impl<'e> From<&'e InputEvent> for Step<'e> {
    fn from(e: &'e InputEvent) -> Self {
        match e {
            InputEvent::Designation(d) => Step::Designation(d),
            InputEvent::Amendment(a) => Step::Amendment(a),
            _ => Step::Other,
        }
    }
}

/// Applies a designation or an amendment to a key's record (canonical JSON), checking that the
/// result is a valid record of the same regime code and kind.
pub(crate) fn apply(
    record: &mut Option<Vec<u8>>,
    step: Step<'_>,
    identity: Option<&Identity>,
) -> Result<(), RecordProblem> {
    match step {
        Step::Designation(d) => {
            *record = Some(canonical::to_vec_of(&d.record()).map_err(|e| e.to_string())?);
            Ok(())
        }
        Step::Amendment(a) => {
            let (merged, changed) = merge_members(record.as_deref().unwrap_or(b"{}"), &a.patch)?;
            match record {
                // A valid record amended: only the members the patch names changed, and the record's
                // rules are rules of its members, so those members are what is checked.
                Some(_) if a.patch.keys().all(|k| PATCHABLE_MEMBERS.contains(&k.as_str())) => {
                    check_patched(&changed, &a.patch, identity)?
                }
                _ => check_amended(&crate::event::read_slice(&merged)?, identity)?,
            }
            *record = Some(merged);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The members of a record an amendment may patch, each of which [`check_patched`] reads.
const PATCHABLE_MEMBERS: &[&str] = &["regime", "subject", "measures", "reason", "source", "other"];

/// Checks the members of an amended record that its patch named, as the patch left them (their
/// merged values, `changed`, in the record's member order): what [`check_amended`] checks of the
/// whole record, for the members that changed (the record before the patch was valid, and its
/// rules are rules of its members). Each is read as its type, then the identity and the field
/// rules are checked, so that the first problem found is the one a check of the whole record
/// finds.
fn check_patched(
    changed: &[(&str, Value)],
    patch: &serde_json::Map<String, Value>,
    identity: Option<&Identity>,
) -> Result<(), RecordProblem> {
    use crate::event::{Regime, Source, Subject, read_value};
    let (mut regime, mut subject, mut measures) = (None, None, None);
    for (name, value) in changed {
        match *name {
            "regime" => regime = Some(read_value::<Regime>(value, name)?),
            "subject" => subject = Some(read_value::<Subject>(value, name)?),
            "measures" => measures = Some(read_value::<Vec<String>>(value, name)?),
            "reason" => drop(read_value::<String>(value, name)?),
            "source" => drop(read_value::<Source>(value, name)?),
            "other" => drop(read_value::<serde_json::Map<String, Value>>(value, name)?),
            _ => {}
        }
    }
    for required in ["regime", "subject"] {
        if patch.contains_key(required) && !changed.iter().any(|(n, _)| *n == required) {
            return Err(format!("missing field `{required}`").into());
        }
    }
    if let Some(i) = identity
        && (regime.as_ref().is_some_and(|r| r.code != i.regime) || subject.as_ref().is_some_and(|s| s.kind != i.kind))
    {
        return Err(RecordProblem::IdentityChanged);
    }
    if let Some(r) = &regime {
        crate::validate::check_regime(r)?;
    }
    if let Some(s) = &subject {
        crate::validate::check_subject(s)?;
    }
    if let Some(m) = &measures {
        crate::validate::check_measures(m)?;
    }
    Ok(())
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
#[cfg(test)]
pub(crate) fn merge_canonical(target: &[u8], patch: &serde_json::Map<String, Value>) -> Result<Vec<u8>, RecordProblem> {
    merge_members(target, patch).map(|(bytes, _)| bytes)
}

/// The members a patch named and left, each with its merged value.
type Changed<'p> = Vec<(&'p str, Value)>;

/// [`merge_canonical`], also giving the merged value of each member the patch named and left
/// (in the patch's order, which is the record's: both are ordered by name). The stored record's
/// members are found by a light walk over its bytes (it is canonical JSON the ledger wrote; a
/// record that does not split is read by the full canonical scan, which names its fault).
fn merge_members<'p>(
    target: &[u8],
    patch: &'p serde_json::Map<String, Value>,
) -> Result<(Vec<u8>, Changed<'p>), RecordProblem> {
    use std::borrow::Cow;
    let unreadable = |e: &dyn std::fmt::Display| RecordProblem::Unreadable(e.to_string());
    let split = match canonical::split_members(target) {
        Some(members) => members,
        None => canonical::members(target).map_err(|e| unreadable(&e))?,
    };
    let mut members: Vec<(Cow<str>, Cow<[u8]>)> =
        split.into_iter().map(|(name, raw)| (name, Cow::Borrowed(raw))).collect();
    let mut changed = Vec::with_capacity(patch.len());
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
        changed.push((name.as_str(), merged));
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
    Ok((out, changed))
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
