//! Field rules beyond what the types enforce, and the limits on everything that comes from outside.

use serde_json::Value;

use crate::event::{
    Amendment, InputEvent, PATCHABLE_FIELDS, Record, Regime, Subject, check_authority, check_id, check_measure,
};
use crate::seq::Seq;

/// Explicit limits on input.
pub mod limits {
    /// The longest input line, in bytes.
    pub const MAX_LINE_BYTES: usize = 1 << 20;
    /// The longest event a new append records, in bytes, as its entry (its canonical JSON with
    /// the envelope the ledger adds and its hash): the most an entry of the published log can
    /// hold (C2SP tlog-tiles entry bundles give each entry a 16-bit length). The largest event of
    /// the real lists, an OFAC party with many aliases, is under 3 KB.
    pub const MAX_EVENT_BYTES: usize = u16::MAX as usize;
    /// The longest recorded event a store or bundle may hold, in bytes: an input line with the envelope the ledger adds
    /// (seq, prev, recorded_at and an actor of up to [`MAX_ACTOR_BYTES`] bytes) and its hash, with room to
    /// spare. Bundle lines and the store's blocks are bounded by it.
    pub const MAX_RECORDED_EVENT_BYTES: usize = MAX_LINE_BYTES + 4096;
    /// The most events in one append batch.
    pub const MAX_BATCH_EVENTS: usize = 1_000_000;
    /// The longest string value, in bytes.
    pub const MAX_STRING_BYTES: usize = 64 << 10;
    /// The deepest nesting of arrays and objects.
    pub const MAX_DEPTH: usize = 16;
    /// The most items in one array or members in one object.
    pub const MAX_ITEMS: usize = 4096;
    /// The longest regime code, in bytes (`GIM`, `RUSSIA`, `SDGT`).
    pub const MAX_REGIME_CODE_BYTES: usize = 32;
    /// The longest actor (who appends), in bytes.
    pub const MAX_ACTOR_BYTES: usize = 256;
}

/// A rule broken by one field: the field's path and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path of the field (`subject.names[0].name`).
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl FieldError {
    fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldError { field: field.into(), reason: reason.into() }
    }
}

/// Checks the size limits of a raw JSON value (string sizes, nesting depth, item counts).
pub fn check_limits(v: &Value) -> Result<(), FieldError> {
    fn walk(v: &Value, depth: usize, path: &mut String) -> Result<(), FieldError> {
        if depth > limits::MAX_DEPTH {
            return Err(FieldError::new(path.clone(), format!("nested deeper than {} levels", limits::MAX_DEPTH)));
        }
        match v {
            Value::String(s) if s.len() > limits::MAX_STRING_BYTES => Err(FieldError::new(
                path.clone(),
                format!("string of {} bytes exceeds the limit of {} bytes", s.len(), limits::MAX_STRING_BYTES),
            )),
            Value::Array(items) => {
                if items.len() > limits::MAX_ITEMS {
                    return Err(FieldError::new(path.clone(), format!("more than {} items", limits::MAX_ITEMS)));
                }
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    walk(item, depth + 1, path)?;
                    path.truncate(len);
                }
                Ok(())
            }
            Value::Object(map) => {
                if map.len() > limits::MAX_ITEMS {
                    return Err(FieldError::new(path.clone(), format!("more than {} members", limits::MAX_ITEMS)));
                }
                for (k, item) in map {
                    if k.len() > limits::MAX_STRING_BYTES {
                        return Err(FieldError::new(path.clone(), "member name too long"));
                    }
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                    walk(item, depth + 1, path)?;
                    path.truncate(len);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
    walk(v, 0, &mut String::new())
}

/// Checks the rules of one input event that do not depend on the ledger's contents. Every way
/// into the ledger meets them: `append` when it reads a line, and [`crate::Ledger::append`] and
/// [`crate::Ledger::check`] for every event of a batch, however it was built.
pub fn check_event(e: &InputEvent) -> Result<(), FieldError> {
    match e {
        // The rules of check_record, on the designation's own fields (no copy of the record).
        InputEvent::Designation(d) => {
            check_key(&d.authority, &d.id)?;
            check_regime(&d.regime)?;
            check_subject(&d.subject)?;
            check_input_measures(&d.measures)
        }
        InputEvent::Amendment(a) => check_amendment(a),
        InputEvent::Delisting(d) => check_key(&d.authority, &d.id),
        InputEvent::Retraction(r) => {
            if r.target == Seq::GENESIS {
                return Err(FieldError::new("target", "the genesis event (seq 0) cannot be retracted"));
            }
            non_blank("reason", &r.reason)
        }
    }
}

fn check_key(authority: &str, id: &str) -> Result<(), FieldError> {
    check_authority(authority).map_err(|r| FieldError::new("authority", r))?;
    check_id(id).map_err(|r| FieldError::new("id", r))
}

fn check_amendment(a: &Amendment) -> Result<(), FieldError> {
    check_key(&a.authority, &a.id)?;
    if a.patch.is_empty() {
        return Err(FieldError::new("patch", "an empty patch changes nothing"));
    }
    for k in a.patch.keys() {
        if k == "authority" || k == "id" {
            return Err(FieldError::new(format!("patch.{k}"), "an amendment cannot change the designation's key"));
        }
        if !PATCHABLE_FIELDS.contains(&k.as_str()) {
            return Err(FieldError::new(
                format!("patch.{k}"),
                format!("not a field of the designation record (one of: {})", PATCHABLE_FIELDS.join(", ")),
            ));
        }
    }
    if matches!(a.patch.get("regime"), Some(Value::Null)) || matches!(a.patch.get("subject"), Some(Value::Null)) {
        return Err(FieldError::new("patch", "`regime` and `subject` can be changed but not removed"));
    }
    // The measures a patch sets are new input; their shape is checked with the record they make.
    if let Some(Value::Array(measures)) = a.patch.get("measures") {
        for (i, m) in measures.iter().enumerate() {
            if let Value::String(m) = m {
                check_measure(m).map_err(|reason| FieldError::new(format!("patch.measures[{i}]"), reason))?;
            }
        }
    }
    Ok(())
}

/// Checks a designation record (as designated, or as an amendment leaves it).
pub fn check_record(r: &Record) -> Result<(), FieldError> {
    check_key(&r.authority, &r.id)?;
    check_regime(&r.regime)?;
    check_subject(&r.subject)?;
    check_measures(&r.measures)
}

/// Checks a record's `regime`.
pub fn check_regime(regime: &Regime) -> Result<(), FieldError> {
    let code = &regime.code;
    let shape_ok = code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if code.is_empty() || code.len() > limits::MAX_REGIME_CODE_BYTES || !shape_ok {
        return Err(FieldError::new(
            "regime.code",
            format!("`{code}` must be 1 to {} of A-Z, a-z, 0-9, _ or -", limits::MAX_REGIME_CODE_BYTES),
        ));
    }
    if let Some(name) = &regime.name {
        non_blank("regime.name", name)?;
    }
    Ok(())
}

/// Checks a record's `subject`.
pub fn check_subject(subject: &Subject) -> Result<(), FieldError> {
    if subject.names.is_empty() {
        return Err(FieldError::new("subject.names", "a subject needs at least one name"));
    }
    for (i, n) in subject.names.iter().enumerate() {
        non_blank(&format!("subject.names[{i}].name"), &n.name)?;
        if n.name.trim() != n.name {
            return Err(FieldError::new(format!("subject.names[{i}].name"), "leading or trailing whitespace"));
        }
    }
    for (i, d) in subject.dates_of_birth.iter().enumerate() {
        partial_date(&format!("subject.dates_of_birth[{i}].date"), &d.date)?;
        if let Some(to) = &d.to {
            partial_date(&format!("subject.dates_of_birth[{i}].to"), to)?;
        }
    }
    for (i, id) in subject.identifiers.iter().enumerate() {
        snake_case(&format!("subject.identifiers[{i}].kind"), &id.kind)?;
        non_blank(&format!("subject.identifiers[{i}].value"), &id.value)?;
    }
    Ok(())
}

/// Checks the measures an input event brings: each a known code or `custom:CODE`
/// ([`check_measure`]).
pub fn check_input_measures(measures: &[String]) -> Result<(), FieldError> {
    for (i, m) in measures.iter().enumerate() {
        check_measure(m).map_err(|reason| FieldError::new(format!("measures[{i}]"), reason))?;
    }
    Ok(())
}

/// Checks a record's `measures` as recorded events may hold them: what [`check_input_measures`]
/// accepts, and a bare snake_case code, which format 1 recorded before the vocabulary was
/// required of input. A ledger holding one still verifies, and its record can still be amended;
/// only a new event cannot bring one.
pub fn check_measures(measures: &[String]) -> Result<(), FieldError> {
    for (i, m) in measures.iter().enumerate() {
        let field = format!("measures[{i}]");
        if let Err(reason) = check_measure(m) {
            snake_case(&field, m).map_err(|_| FieldError::new(&field, reason))?;
        }
    }
    Ok(())
}

fn non_blank(field: &str, s: &str) -> Result<(), FieldError> {
    if s.trim().is_empty() { Err(FieldError::new(field, "must not be empty")) } else { Ok(()) }
}

fn snake_case(field: &str, s: &str) -> Result<(), FieldError> {
    let ok = (1..=64).contains(&s.len())
        && s.as_bytes()[0].is_ascii_lowercase()
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(field, format!("`{s}` must be a snake_case code (a-z, 0-9, _), e.g. asset_freeze")))
    }
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, each part in range.
fn partial_date(field: &str, s: &str) -> Result<(), FieldError> {
    let bad = || FieldError::new(field, format!("`{s}` is not YYYY, YYYY-MM or YYYY-MM-DD"));
    let parts: Vec<&str> = s.split('-').collect();
    let widths_ok = match parts.as_slice() {
        [y] => y.len() == 4,
        [y, m] => y.len() == 4 && m.len() == 2,
        [y, m, d] => y.len() == 4 && m.len() == 2 && d.len() == 2,
        _ => false,
    };
    if !widths_ok || !s.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        return Err(bad());
    }
    match parts.as_slice() {
        [y, m, d] => {
            chrono::NaiveDate::parse_from_str(&format!("{y}-{m}-{d}"), "%Y-%m-%d").map(|_| ()).map_err(|_| bad())
        }
        [_, m] => match m.parse::<u32>() {
            Ok(1..=12) => Ok(()),
            _ => Err(bad()),
        },
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn partial_dates() {
        for ok in ["1975", "1975-03", "1975-03-12"] {
            assert!(partial_date("d", ok).is_ok(), "{ok}");
        }
        for bad in ["75", "1975-13", "1975-02-30", "1975-3", "dd/mm/1975", "1975--", ""] {
            assert!(partial_date("d", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn limits_name_the_field() {
        let deep = (0..20).fold(json!(1), |v, _| json!([v]));
        let e = check_limits(&json!({"other": {"x": deep}})).unwrap_err();
        assert!(e.field.starts_with("other.x"), "{e:?}");
        let long = "x".repeat(limits::MAX_STRING_BYTES + 1);
        assert_eq!(check_limits(&json!({"reason": long})).unwrap_err().field, "reason");
    }

    #[test]
    fn new_measures_follow_the_vocabulary_recorded_ones_may_be_bare() {
        use crate::event::InputEvent;
        // A bare code: recorded by format 1 before the vocabulary was required of input.
        assert!(check_measures(&["port_ban".into(), "custom:port_ban".into(), "asset_freeze".into()]).is_ok());
        assert!(check_measures(&["Port Ban".into()]).is_err());
        assert_eq!(check_input_measures(&["port_ban".into()]).unwrap_err().field, "measures[0]");
        let designation: InputEvent = serde_json::from_value(json!({
            "type": "designation", "authority": "UK", "id": "GIM0001", "effective": "2025-07-23",
            "regime": {"code": "GIM"}, "subject": {"kind": "entity", "names": [{"name": "X", "type": "primary"}]},
            "measures": ["asset_freeze", "port_ban"]
        }))
        .unwrap();
        assert_eq!(check_event(&designation).unwrap_err().field, "measures[1]");
        let amendment: InputEvent = serde_json::from_value(json!({
            "type": "amendment", "authority": "UK", "id": "GIM0001", "effective": "2025-07-24",
            "patch": {"measures": ["custom:port_ban", "port_ban"]}
        }))
        .unwrap();
        assert_eq!(check_event(&amendment).unwrap_err().field, "patch.measures[1]");
    }
}
