//! RFC 8785 JSON Canonicalization Scheme (JCS), the byte form every event hash is computed over.
//!
//! The event model carries no floating-point numbers, so the number rule of JCS reduces to the
//! decimal form of an integer; integers beyond ±(2^53 − 1), which JavaScript cannot hold exactly,
//! and every non-integer number are refused rather than rounded.
//!
//! ```
//! let v = serde_json::json!({"b": [1, "é\n"], "a": null});
//! assert_eq!(ledger_core::canonical::to_vec(&v).unwrap(), r#"{"a":null,"b":[1,"é\n"]}"#.as_bytes());
//! ```

use serde_json::Value;

/// The largest integer magnitude JCS can represent exactly (2^53 − 1).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Why a value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    /// A non-integer number: the event model has none.
    #[error("`{path}` is a floating-point number ({value}); the ledger accepts integers only")]
    Float {
        /// JSON path of the value.
        path: String,
        /// The number as written.
        value: String,
    },
    /// An integer JSON readers would round.
    #[error("`{path}` is an integer beyond ±(2^53 − 1) ({value})")]
    IntegerRange {
        /// JSON path of the value.
        path: String,
        /// The number as written.
        value: String,
    },
}

/// The canonical bytes of `value`.
pub fn to_vec(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::with_capacity(512);
    write(value, &mut out)?;
    Ok(out)
}

/// Appends the canonical bytes of `value` to `out`.
pub fn write(value: &Value, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    if write_value(value, out) {
        Ok(())
    } else {
        // The fast writer keeps no path; the rare refusal walks the value again to name it.
        Err(refusal(value, &mut String::from("$")).unwrap_or_else(|| CanonicalError::Float {
            path: "$".into(),
            value: "a number without canonical form".into(),
        }))
    }
}

/// Writes `v`; `false` at the first number without a canonical form.
fn write_value(v: &Value, out: &mut Vec<u8>) -> bool {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => match integer(n) {
            Some(i) => {
                use std::io::Write as _;
                // Writing to a Vec cannot fail.
                let _ = write!(out, "{i}");
            }
            None => return false,
        },
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if !write_value(item, out) {
                    return false;
                }
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            // The map's own order is JCS order whenever its names are sorted by UTF-16 code
            // units, which is the usual case: then no sort and no allocation.
            let mut prev: Option<&String> = None;
            let sorted = map.keys().all(|k| {
                let ok = prev.is_none_or(|p| jcs_cmp(p, k) == std::cmp::Ordering::Less);
                prev = Some(k);
                ok
            });
            let mut write_member = |i: usize, k: &String, item: &Value| {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write_value(item, out)
            };
            if sorted {
                for (i, (k, item)) in map.iter().enumerate() {
                    if !write_member(i, k, item) {
                        return false;
                    }
                }
            } else {
                let mut members: Vec<(&String, &Value)> = map.iter().collect();
                members.sort_by(|a, b| jcs_cmp(a.0, b.0));
                for (i, (k, item)) in members.into_iter().enumerate() {
                    if !write_member(i, k, item) {
                        return false;
                    }
                }
            }
            out.push(b'}');
        }
    }
    true
}

/// JCS member order: by UTF-16 code units. That differs from byte order only for characters
/// above U+FFFF against U+E000..U+FFFF, whose UTF-8 forms start with a byte of 0xEE or more.
pub fn jcs_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let high = |s: &str| s.bytes().any(|b| b >= 0xee);
    if high(a) || high(b) { a.encode_utf16().cmp(b.encode_utf16()) } else { a.as_bytes().cmp(b.as_bytes()) }
}

/// A number's value if it is an integer JCS can represent exactly.
fn integer(n: &serde_json::Number) -> Option<i64> {
    if let Some(u) = n.as_u64() {
        return (u <= MAX_SAFE_INTEGER).then_some(u as i64);
    }
    n.as_i64().filter(|i| i.unsigned_abs() <= MAX_SAFE_INTEGER)
}

/// The first number in `v` without a canonical form, with its path.
fn refusal(v: &Value, path: &mut String) -> Option<CanonicalError> {
    match v {
        Value::Number(n) if integer(n).is_none() => {
            let value = n.to_string();
            let path = path.clone();
            Some(if n.is_f64() {
                CanonicalError::Float { path, value }
            } else {
                CanonicalError::IntegerRange { path, value }
            })
        }
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = refusal(item, path);
            path.truncate(len);
            found
        }),
        Value::Object(map) => map.iter().find_map(|(k, item)| {
            let len = path.len();
            path.push('.');
            path.push_str(k);
            let found = refusal(item, path);
            path.truncate(len);
            found
        }),
        _ => None,
    }
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x00..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 0xf) as usize]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canon(v: &Value) -> String {
        String::from_utf8(to_vec(v).unwrap()).unwrap()
    }

    #[test]
    fn sorts_members_by_utf16_code_units() {
        // From RFC 8785 section 3.2.3: U+1F600 (surrogates D83D DE00) sorts before U+FB33.
        let v = json!({"\u{fb33}": 1, "\u{1f600}": 2, "a": 3, "": 4});
        assert_eq!(canon(&v), "{\"\":4,\"a\":3,\"\u{1f600}\":2,\"\u{fb33}\":1}");
    }

    #[test]
    fn escapes_only_what_jcs_escapes() {
        let v = json!("\u{0}\u{1f}\"\\/\u{7f}\u{2028}é\t\n\r\u{8}\u{c}");
        assert_eq!(canon(&v), "\"\\u0000\\u001f\\\"\\\\/\u{7f}\u{2028}é\\t\\n\\r\\b\\f\"");
    }

    #[test]
    fn numbers_are_safe_integers_only() {
        assert_eq!(canon(&json!([0, -1, 9007199254740991_u64])), "[0,-1,9007199254740991]");
        assert!(matches!(to_vec(&json!({"x": [1.5]})), Err(CanonicalError::Float { path, .. }) if path == "$.x[0]"));
        assert!(matches!(to_vec(&json!(9007199254740992_u64)), Err(CanonicalError::IntegerRange { .. })));
        assert!(to_vec(&json!(-9007199254740992_i64)).is_err());
    }

    #[test]
    fn nested_structures() {
        let v = json!({"z": {"b": [true, false, null], "a": {}}, "y": []});
        assert_eq!(canon(&v), r#"{"y":[],"z":{"a":{},"b":[true,false,null]}}"#);
    }
}
