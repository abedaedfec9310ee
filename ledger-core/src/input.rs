//! Reading an append batch: JSON Lines of input events, each checked on its own before the batch
//! meets the ledger. The first bad line stops the read; nothing is appended from a bad batch.

use std::io::BufRead;

use serde_json::{Map, Value};

use crate::event::InputEvent;
use crate::validate::{check_event, check_limits, limits};

/// An input event with the line it was read from (1-based).
#[derive(Debug, Clone, PartialEq)]
pub struct Numbered<T> {
    /// The input line (1-based); for events built in code, their position in the batch.
    pub line: usize,
    /// The event.
    pub event: T,
}

/// Why one line of a batch was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}{}{}: {reason}", key.as_ref().map(|k| format!(" ({k})")).unwrap_or_default(), field.as_ref().map(|f| format!(", field `{f}`")).unwrap_or_default())]
pub struct LineError {
    /// The input line (1-based).
    pub line: usize,
    /// The designation key, when the line got far enough to name one.
    pub key: Option<String>,
    /// The offending field, when one is to blame.
    pub field: Option<String>,
    /// What is wrong.
    pub reason: String,
    /// Whether the line conflicts with what the ledger holds (it breaks a lifecycle rule, or
    /// would leave a record invalid, once added to the key's events), rather than breaking a
    /// rule of its own.
    pub conflict: bool,
}

impl LineError {
    pub(crate) fn new(line: usize, reason: impl Into<String>) -> Self {
        LineError { line, key: None, field: None, reason: reason.into(), conflict: false }
    }
}

/// Why a batch could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A line was refused.
    #[error(transparent)]
    Line(#[from] LineError),
    /// The input could not be read.
    #[error("reading input: {0}")]
    Io(#[from] std::io::Error),
}

/// Reads and checks a JSON Lines batch. Blank lines are skipped.
pub fn read_batch(mut reader: impl BufRead) -> Result<Vec<Numbered<InputEvent>>, ReadError> {
    let mut events = Vec::new();
    let mut buf = Vec::new();
    let mut line = 0usize;
    loop {
        buf.clear();
        line += 1;
        let n = std::io::Read::take(&mut reader, limits::MAX_LINE_BYTES as u64 + 1).read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        if buf.last() != Some(&b'\n') && buf.len() > limits::MAX_LINE_BYTES {
            return Err(LineError::new(
                line,
                format!("line longer than the limit of {} bytes", limits::MAX_LINE_BYTES),
            )
            .into());
        }
        let text = std::str::from_utf8(&buf)
            .map_err(|e| LineError::new(line, format!("not valid UTF-8 (byte {} of the line)", e.valid_up_to() + 1)))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.trim().is_empty() {
            continue;
        }
        if events.len() == limits::MAX_BATCH_EVENTS {
            return Err(LineError::new(
                line,
                format!("a batch holds at most {} events; split the input", limits::MAX_BATCH_EVENTS),
            )
            .into());
        }
        events.push(Numbered { line, event: parse_line(line, text)? });
    }
    Ok(events)
}

/// Parses and checks one input line. A member name repeated in one object is refused: serde_json
/// would keep the last, another reader the first, and the ledger must not record one meaning of
/// a line that has two.
pub fn parse_line(line: usize, text: &str) -> Result<InputEvent, LineError> {
    let value: Value = crate::canonical::parse_unique(text.as_bytes()).map_err(|e| match e {
        crate::canonical::JsonError::Syntax(e) => {
            LineError::new(line, format!("malformed JSON at column {}: {}", e.column(), strip_position(&e)))
        }
        crate::canonical::JsonError::Duplicate { member } => LineError {
            line,
            key: None,
            field: Some(member),
            reason: "appears twice in one object: JSON member names must be unique (RFC 8785 and I-JSON, RFC 7493)"
                .into(),
            conflict: false,
        },
    })?;
    parse_value(line, value)
}

/// Checks and types one input event given as a JSON value.
pub fn parse_value(line: usize, value: Value) -> Result<InputEvent, LineError> {
    let key = key_of(&value);
    let with_key = |mut e: LineError| {
        e.key.clone_from(&key);
        e
    };
    if !value.is_object() {
        return Err(LineError::new(line, "an input event must be a JSON object"));
    }
    check_limits(&value).map_err(|f| {
        with_key(LineError { line, key: None, field: Some(f.field), reason: f.reason, conflict: false })
    })?;
    if let Err(e) = crate::canonical::check(&value) {
        return Err(with_key(LineError::new(line, e.to_string())));
    }
    let Value::Object(mut map) = value else { unreachable!("checked to be an object above") };
    let kind = match map.remove("type") {
        Some(Value::String(t)) => t,
        Some(_) => {
            return Err(with_key(LineError {
                line,
                key: None,
                field: Some("type".into()),
                reason: "must be a string".into(),
                conflict: false,
            }));
        }
        None => return Err(with_key(LineError::new(line, "missing field `type`"))),
    };
    // Each type is read on its own (not through the tagged enum) so that errors name their field.
    fn typed<T: serde::de::DeserializeOwned>(map: Map<String, Value>) -> Result<T, Unreadable> {
        serde_path_to_error::deserialize(Value::Object(map)).map_err(|e| {
            let path = e.path().to_string();
            Unreadable { field: (path != "." && !path.is_empty()).then_some(path), reason: strip_position(e.inner()) }
        })
    }
    let event = match kind.as_str() {
        "designation" => typed(map).map(InputEvent::Designation),
        "amendment" => typed(map).map(InputEvent::Amendment),
        "delisting" => typed(map).map(InputEvent::Delisting),
        "retraction" => typed(map).map(InputEvent::Retraction),
        other => Err(Unreadable {
            field: Some("type".into()),
            reason: format!("unknown event type `{other}` (expected designation, amendment, delisting or retraction)"),
        }),
    }
    .map_err(|Unreadable { field, reason }| with_key(LineError { line, key: None, field, reason, conflict: false }))?;
    check_event(&event).map_err(|f| {
        with_key(LineError { line, key: None, field: Some(f.field), reason: f.reason, conflict: false })
    })?;
    Ok(event)
}

/// Why an event of a known shape does not read as its type: the field (when one is to blame) and
/// the reason.
struct Unreadable {
    field: Option<String>,
    reason: String,
}

fn key_of(v: &Value) -> Option<String> {
    let a = v.get("authority")?.as_str()?;
    let i = v.get("id")?.as_str()?;
    Some(format!("{a}/{i}"))
}

/// serde_json's message without its " at line 1 column 7" suffix (the caller names the line).
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"type":"designation","authority":"UK","id":"GIM0030","effective":"2025-10-22","regime":{"code":"GIM"},"subject":{"kind":"entity","names":[{"name":"ALPA TRADING FZCO","type":"primary"}]},"measures":["asset_freeze"]}"#;

    fn err(text: &str) -> LineError {
        match read_batch(text.as_bytes()) {
            Err(ReadError::Line(e)) => e,
            other => panic!("expected a line error, got {other:?}"),
        }
    }

    #[test]
    fn reads_lines_with_numbers() {
        let text = format!("{GOOD}\n\n{}\n", GOOD.replace("GIM0030", "GIM0031"));
        let batch = read_batch(text.as_bytes()).unwrap();
        assert_eq!(batch.iter().map(|n| n.line).collect::<Vec<_>>(), vec![1, 3]);
    }

    #[test]
    fn refusals_name_line_field_and_reason() {
        let e = err(&format!("{GOOD}\n{{\"type\":\"designation\""));
        assert_eq!(e.line, 2);
        assert!(e.reason.contains("malformed JSON"), "{e}");

        let e = err(&GOOD.replace("\"measures\"", "\"colour\":1,\"measures\""));
        assert!(e.reason.contains("unknown field `colour`"), "{e}");
        assert_eq!(e.key.as_deref(), Some("UK/GIM0030"));

        let e = err(&GOOD.replace("\"designation\"", "\"designatoin\""));
        assert!(e.reason.contains("unknown event type `designatoin`"), "{e}");

        let e = err(&GOOD.replace("2025-10-22", "22/10/2025"));
        assert_eq!(e.field.as_deref(), Some("effective"), "{e}");

        let e = err(&GOOD.replace("\"primary\"", "\"main\""));
        assert_eq!(e.field.as_deref(), Some("subject.names[0].type"), "{e}");

        let e = err(&GOOD.replace("\"asset_freeze\"", "\"Asset freeze\""));
        assert_eq!(e.field.as_deref(), Some("measures[0]"), "{e}");

        let e = err(&GOOD.replace("\"measures\"", "\"other\":{\"score\":0.5},\"measures\""));
        assert!(e.reason.contains("floating-point"), "{e}");

        let e = err(&GOOD.replace("\"id\":\"GIM0030\"", "\"id\":\"GIM0030\",\"id\":\"GIM0031\""));
        assert_eq!(e.field.as_deref(), Some("id"), "{e}");
        assert!(e.reason.contains("appears twice"), "{e}");
        let e = err(&GOOD.replace("\"type\":\"primary\"", "\"type\":\"primary\",\"name\":\"X\""));
        assert_eq!(e.field.as_deref(), Some("subject.names[0].name"), "{e}");
    }

    #[test]
    fn refuses_an_overlong_line() {
        let text = format!("{GOOD}\n{}\n", " ".repeat(limits::MAX_LINE_BYTES + 10));
        let e = err(&text);
        assert_eq!(e.line, 2);
        assert!(e.reason.contains("longer than"), "{e}");
    }

    #[test]
    fn refuses_patches_of_the_key() {
        let a = r#"{"type":"amendment","authority":"UK","id":"X1","effective":"2025-01-01","patch":{"id":"X2"}}"#;
        assert!(err(a).reason.contains("cannot change the designation's key"));
        let a = r#"{"type":"amendment","authority":"UK","id":"X1","effective":"2025-01-01","patch":{}}"#;
        assert!(err(a).reason.contains("changes nothing"));
    }
}
