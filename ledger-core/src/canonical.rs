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

/// Checks that `value` has a canonical form (no floating-point number, no integer beyond
/// ±(2^53 − 1)) without writing it: [`to_vec`]'s refusal, at the cost of a walk.
pub fn check(value: &Value) -> Result<(), CanonicalError> {
    fn fine(v: &Value) -> bool {
        match v {
            Value::Number(n) => integer(n).is_some(),
            Value::Array(items) => items.iter().all(fine),
            Value::Object(map) => map.values().all(fine),
            _ => true,
        }
    }
    if fine(value) { Ok(()) } else { write(value, &mut Vec::new()) }
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

/// Appends the canonical form of a string (quoted and escaped as JCS does).
pub fn write_str(s: &str, out: &mut Vec<u8>) {
    write_string(s, out)
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

/// Why JSON text was refused by [`parse_unique`].
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    /// Not JSON (or nested deeper than serde_json reads).
    #[error("{0}")]
    Syntax(serde_json::Error),
    /// An object names a member twice.
    #[error(
        "member `{member}` appears twice in one object: JSON member names must be unique (RFC 8785 and I-JSON, RFC 7493)"
    )]
    Duplicate {
        /// The repeated member, with the path of its object (`subject.names[0].name`).
        member: String,
    },
}

/// Parses JSON text into a value, refusing an object that names a member twice (serde_json
/// keeps the last of them, so that the text would mean something other than what a reader that
/// keeps the first sees). As fast as reading a [`Value`]: the check is the map insertion's own
/// lookup; only a refusal reads the text again, for the path of the object at fault.
pub fn parse_unique(text: &[u8]) -> Result<Value, JsonError> {
    use serde::de::DeserializeSeed;
    let repeated = std::cell::Cell::new(None);
    let mut de = serde_json::Deserializer::from_slice(text);
    let read = Unique(&repeated).deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    match (read, repeated.take()) {
        (Ok(v), _) => Ok(v),
        (Err(e), None) => Err(JsonError::Syntax(e)),
        (Err(_), Some(name)) => {
            let mut track = serde_path_to_error::Track::new();
            let mut de = serde_json::Deserializer::from_slice(text);
            let again = std::cell::Cell::new(None);
            let _ = Unique(&again).deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track));
            let path = track.path().to_string();
            let member = if path == "." || path.is_empty() { name } else { format!("{path}.{name}") };
            Err(JsonError::Duplicate { member })
        }
    }
}

/// Reads any JSON value as [`Value`] does, refusing repeated member names; the first repeated
/// name is left in the cell.
#[derive(Clone, Copy)]
struct Unique<'a>(&'a std::cell::Cell<Option<String>>);

impl<'de> serde::de::DeserializeSeed<'de> for Unique<'_> {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Unique<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::from(i))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        Ok(Value::from(u))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        // As `Value` reads it; the canonical form refuses it later, naming its path.
        Ok(serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        serde::de::DeserializeSeed::deserialize(self, d)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = serde_json::Map::new();
        while let Some(name) = access.next_key::<String>()? {
            match map.entry(name) {
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(access.next_value_seed(self)?);
                }
                serde_json::map::Entry::Occupied(first) => {
                    let name = first.key().clone();
                    let e = <A::Error as serde::de::Error>::custom(format!("member `{name}` appears twice"));
                    self.0.set(Some(name));
                    return Err(e);
                }
            }
        }
        Ok(Value::Object(map))
    }
}

/// How many arrays and objects [`members`] accepts nested in one another: as many as serde_json
/// reads (its recursion limit of 128 refuses the 128th).
const MAX_CHECK_DEPTH: usize = 127;

/// Checks that `bytes` are a JSON object in canonical form, without building it: exactly the
/// bytes [`to_vec`] writes for what they parse to. Returns the object's members, in order, as
/// (name, the member value's canonical bytes). Names are borrowed unless they hold escapes.
/// A refusal names the byte and the member it is in (`not in canonical form: expected ... at
/// byte 40, in member `subject.names[0]``).
pub fn members(bytes: &[u8]) -> Result<Members<'_>, NotCanonical> {
    fn scan<'a>(s: &mut Scanner<'a>) -> Result<Members<'a>, NotCanonical> {
        if s.peek() != Some(b'{') {
            return Err(s.err("a JSON object"));
        }
        let mut out = Vec::with_capacity(16);
        s.object(0, Some(&mut out))?;
        if s.i != s.b.len() {
            return Err(s.err("the end of the object (trailing bytes)"));
        }
        Ok(out)
    }
    scan(&mut Scanner { b: bytes, i: 0 })
}

/// The canonical form of compact JSON text whose strings and numbers are already written as
/// RFC 8785 writes them, such as serde_json's compact output of a value without floating-point
/// numbers (its string escapes are RFC 8785's): the same text with every object's members in
/// RFC 8785 order. One pass that copies each value once and reorders only objects out of order:
/// re-encoding a typed value this way costs a fraction of building a [`Value`] and writing it.
///
/// Only the structure is read: strings, numbers and literals are copied as they are, so the
/// result is canonical only if they were. (Verification compares it with bytes that [`members`]
/// has checked: equal bytes are then the canonical form of the value.) Text that is not compact
/// JSON, or an object naming a member twice, is refused.
pub fn sort_members(text: &[u8]) -> Result<Vec<u8>, SortError> {
    let mut sorter =
        Sorter { t: text, i: 0, out: Vec::with_capacity(text.len()), spans: Vec::new(), scratch: Vec::new() };
    sorter.value(0)?;
    if sorter.i != text.len() {
        return Err(SortError::Trailing { at: sorter.i });
    }
    Ok(sorter.out)
}

/// Whether a number or literal token is written as RFC 8785 writes it for the ledger: `true`,
/// `false`, `null`, or an integer without sign `+`, leading zeros, fraction or exponent, within
/// ±(2^53 − 1) (the event model has no other numbers).
fn canonical_literal(tok: &[u8]) -> bool {
    if matches!(tok, b"true" | b"false" | b"null") {
        return true;
    }
    let digits = tok.strip_prefix(b"-").unwrap_or(tok);
    let well_formed = match digits {
        [b'0'] => tok.len() == 1,
        [b'1'..=b'9', rest @ ..] => rest.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    // 2^53 − 1 has 16 digits: longer is out of range, shorter is in it.
    well_formed
        && (digits.len() < 16
            || (digits.len() == 16
                && std::str::from_utf8(digits)
                    .ok()
                    .and_then(|d| d.parse::<u64>().ok())
                    .is_some_and(|v| v <= MAX_SAFE_INTEGER)))
}

/// The canonical bytes of a serializable value, written without building a [`Value`]:
/// serde_json's compact text (whose string escapes are RFC 8785's), its members then put in RFC
/// 8785 order by [`sort_members`]. A value without canonical form (a floating-point number, an
/// integer beyond ±(2^53 − 1)) is refused as [`to_vec`] refuses it, naming the member.
pub fn to_vec_of<T: serde::Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    let refused = |what: String| CanonicalError::Float { path: "$".into(), value: what };
    let text = serde_json::to_vec(value).map_err(|e| refused(e.to_string()))?;
    match sort_members(&text) {
        Ok(bytes) => Ok(bytes),
        // The rare refusal goes through a value, whose walk names the member at fault.
        Err(_) => to_vec(&serde_json::to_value(value).map_err(|e| refused(e.to_string()))?),
    }
}

/// The members of a JSON object the ledger wrote (canonical JSON), found by a light walk over its
/// structure: names and the bytes of their values, in order, without checking the values' form
/// (which [`members`] does, at several times the cost). `None` where the bytes are not an object
/// this walk can split; then [`members`] says why.
pub fn split_members(bytes: &[u8]) -> Option<Vec<(std::borrow::Cow<'_, str>, &[u8])>> {
    fn string_end(b: &[u8], i: usize) -> Option<usize> {
        let mut j = i + 1;
        loop {
            j += b.get(j..)?.iter().position(|&c| c == b'"' || c == b'\\')?;
            if b[j] == b'"' {
                return Some(j + 1);
            }
            j += 2;
        }
    }
    let b = bytes;
    if b.first() != Some(&b'{') || b.last() != Some(&b'}') {
        return None;
    }
    let mut out = Vec::with_capacity(8);
    if b.len() == 2 {
        return Some(out);
    }
    let mut i = 1;
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let name_end = string_end(b, i)?;
        let quoted = &b[i..name_end];
        let name = if quoted.contains(&b'\\') {
            std::borrow::Cow::Owned(serde_json::from_slice::<String>(quoted).ok()?)
        } else {
            std::borrow::Cow::Borrowed(std::str::from_utf8(&quoted[1..quoted.len() - 1]).ok()?)
        };
        if b.get(name_end) != Some(&b':') {
            return None;
        }
        let start = name_end + 1;
        let (mut j, mut depth) = (start, 0usize);
        loop {
            match *b.get(j)? {
                b'"' => j = string_end(b, j)?,
                b'{' | b'[' => {
                    depth += 1;
                    j += 1;
                }
                b'}' | b']' if depth == 0 => break,
                b'}' | b']' => {
                    depth -= 1;
                    j += 1;
                }
                b',' if depth == 0 => break,
                _ => j += 1,
            }
        }
        if j == start {
            return None;
        }
        out.push((name, &b[start..j]));
        match b[j] {
            b',' => i = j + 1,
            b'}' if j == b.len() - 1 => return Some(out),
            _ => return None,
        }
    }
}

/// Why [`sort_members`] refused a text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SortError {
    /// The text is not compact JSON at byte `at`.
    #[error("not compact JSON at byte {at}")]
    NotCompact {
        /// The byte offset.
        at: usize,
    },
    /// A value is followed by more bytes.
    #[error("not compact JSON: trailing bytes at byte {at}")]
    Trailing {
        /// The byte offset of the first trailing byte.
        at: usize,
    },
    /// A string runs to the end of the text.
    #[error("not compact JSON: the string at byte {start} does not end")]
    Unterminated {
        /// The byte offset of its opening quote.
        start: usize,
    },
    /// Values nest deeper than [`MAX_CHECK_DEPTH`].
    #[error("nested deeper than {MAX_CHECK_DEPTH} levels")]
    TooDeep,
    /// A number that is not an integer in RFC 8785's form within ±(2^53 − 1), or a literal
    /// other than `true`, `false` and `null`.
    #[error("not canonical JSON: the number or literal at byte {at}")]
    Number {
        /// The byte offset of the number.
        at: usize,
    },
    /// An object names a member twice.
    #[error("member {member} appears twice in one object")]
    Duplicate {
        /// The member's name, quoted as written.
        member: String,
    },
}

/// The state of [`sort_members`]: the text, where it is read, what is written, and the members
/// of the objects being written (a stack shared by the nested objects).
struct Sorter<'a> {
    t: &'a [u8],
    i: usize,
    out: Vec<u8>,
    /// Each member as written to `out`: where it starts, where its quoted name ends, where it ends.
    spans: Vec<(usize, usize, usize)>,
    /// Where an object's members are copied while they are written back in order (an object's
    /// nested objects are all written before it is reordered, so one buffer serves them all).
    scratch: Vec<u8>,
}

impl Sorter<'_> {
    fn bad(&self) -> SortError {
        SortError::NotCompact { at: self.i }
    }

    fn value(&mut self, depth: usize) -> Result<(), SortError> {
        if depth > MAX_CHECK_DEPTH {
            return Err(SortError::TooDeep);
        }
        match self.t.get(self.i) {
            Some(b'{') => self.object(depth),
            Some(b'[') => {
                self.i += 1;
                self.out.push(b'[');
                if self.t.get(self.i) == Some(&b']') {
                    self.i += 1;
                    self.out.push(b']');
                    return Ok(());
                }
                loop {
                    self.value(depth + 1)?;
                    match self.t.get(self.i) {
                        Some(b',') => {
                            self.i += 1;
                            self.out.push(b',');
                        }
                        Some(b']') => {
                            self.i += 1;
                            self.out.push(b']');
                            return Ok(());
                        }
                        _ => return Err(self.bad()),
                    }
                }
            }
            Some(b'"') => self.string(),
            Some(_) => {
                // A number or a literal: up to the next delimiter.
                let rest = &self.t[self.i..];
                let n = rest.iter().position(|c| matches!(c, b',' | b'}' | b']' | b'"' | b'{' | b'[' | b':'));
                let n = n.unwrap_or(rest.len());
                if !canonical_literal(&rest[..n]) {
                    return Err(SortError::Number { at: self.i });
                }
                self.out.extend_from_slice(&rest[..n]);
                self.i += n;
                Ok(())
            }
            None => Err(self.bad()),
        }
    }

    /// Copies the string here (quotes included), skipping over its escapes.
    fn string(&mut self) -> Result<(), SortError> {
        let start = self.i;
        if self.t.get(start) != Some(&b'"') {
            return Err(self.bad());
        }
        let mut end = start + 1;
        loop {
            match self.t[end.min(self.t.len())..].iter().position(|&c| c == b'"' || c == b'\\') {
                Some(p) if self.t[end + p] == b'"' => {
                    end += p + 1;
                    break;
                }
                Some(p) => end += p + 2,
                None => return Err(SortError::Unterminated { start }),
            }
        }
        self.out.extend_from_slice(&self.t[start..end]);
        self.i = end;
        Ok(())
    }

    fn object(&mut self, depth: usize) -> Result<(), SortError> {
        self.i += 1;
        self.out.push(b'{');
        if self.t.get(self.i) == Some(&b'}') {
            self.i += 1;
            self.out.push(b'}');
            return Ok(());
        }
        let base = self.out.len();
        let mark = self.spans.len();
        loop {
            let start = self.out.len();
            self.string()?;
            let name_end = self.out.len();
            if self.t.get(self.i) != Some(&b':') {
                return Err(self.bad());
            }
            self.i += 1;
            self.out.push(b':');
            self.value(depth + 1)?;
            self.spans.push((start, name_end, self.out.len()));
            match self.t.get(self.i) {
                Some(b',') => {
                    self.i += 1;
                    self.out.push(b',');
                }
                Some(b'}') => {
                    self.i += 1;
                    break;
                }
                _ => return Err(self.bad()),
            }
        }
        fn name<'b>(buf: &'b [u8], at: usize, s: &(usize, usize, usize)) -> &'b [u8] {
            &buf[s.0 - at..s.1 - at]
        }
        let spans = &mut self.spans[mark..];
        let out = &mut self.out;
        if !spans.windows(2).all(|w| name_cmp(name(out, 0, &w[0]), name(out, 0, &w[1])).is_lt()) {
            let region = &mut self.scratch;
            region.clear();
            region.extend_from_slice(&out[base..]);
            out.truncate(base);
            spans.sort_by(|a, b| name_cmp(name(region, base, a), name(region, base, b)));
            if let Some(w) = spans.windows(2).find(|w| name(region, base, &w[0]) == name(region, base, &w[1])) {
                let n = String::from_utf8_lossy(name(region, base, &w[0])).into_owned();
                return Err(SortError::Duplicate { member: n });
            }
            for (k, s) in spans.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(&region[s.0 - base..s.2 - base]);
            }
        }
        out.push(b'}');
        self.spans.truncate(mark);
        Ok(())
    }
}

/// JCS order of two quoted member names as written (escapes decoded only where there are some).
fn name_cmp(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    // Without escapes and characters from U+E000 up, JCS order is byte order (see `jcs_cmp`).
    let plain = |q: &[u8]| !q.iter().any(|&c| c == b'\\' || c >= 0xee);
    if plain(a) && plain(b) {
        return a[1..a.len() - 1].cmp(&b[1..b.len() - 1]);
    }
    fn text(q: &[u8]) -> std::borrow::Cow<'_, str> {
        if q.contains(&b'\\') {
            serde_json::from_slice::<String>(q).map(std::borrow::Cow::Owned).unwrap_or_default()
        } else {
            String::from_utf8_lossy(&q[1..q.len() - 1])
        }
    }
    jcs_cmp(&text(a), &text(b))
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

/// Where the canonical form was left: the byte, what was expected there, and the path of the
/// member it is in (innermost segment first, as the refusal travels outwards).
/// Where bytes leave the canonical form ([`members`]): the byte, what was expected there, and the
/// member it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotCanonical {
    at: usize,
    expected: &'static str,
    within: Vec<String>,
}

impl NotCanonical {
    fn within(mut self, segment: String) -> NotCanonical {
        self.within.push(segment);
        self
    }
}

impl std::error::Error for NotCanonical {}

impl std::fmt::Display for NotCanonical {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not in canonical form: expected {} at byte {}", self.expected, self.at)?;
        if !self.within.is_empty() {
            let mut path = String::new();
            for segment in self.within.iter().rev() {
                if !path.is_empty() && !segment.starts_with('[') {
                    path.push('.');
                }
                path.push_str(segment);
            }
            write!(f, ", in member `{path}`")?;
        }
        Ok(())
    }
}

/// The members of a JSON object: (name, the value's bytes), in order.
pub type Members<'a> = Vec<(std::borrow::Cow<'a, str>, &'a [u8])>;

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn err(&self, expected: &'static str) -> NotCanonical {
        NotCanonical { at: self.i, expected, within: Vec::new() }
    }

    fn eat(&mut self, c: u8, expected: &'static str) -> Result<(), NotCanonical> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err(expected))
        }
    }

    /// A value inside `depth` arrays and objects.
    fn value(&mut self, depth: usize) -> Result<(), NotCanonical> {
        if depth >= MAX_CHECK_DEPTH && matches!(self.peek(), Some(b'{' | b'[')) {
            return Err(self.err("less deeply nested values"));
        }
        match self.peek() {
            Some(b'{') => self.object(depth, None),
            Some(b'[') => {
                self.i += 1;
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(());
                }
                for index in 0usize.. {
                    self.value(depth + 1).map_err(|e| e.within(format!("[{index}]")))?;
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return Err(self.err("`,` or `]`")),
                    }
                }
                Ok(())
            }
            Some(b'"') => self.string().map(|_| ()),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.integer(),
            _ => Err(self.err("a JSON value")),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), NotCanonical> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(self.err("true, false or null"))
        }
    }

    /// `0` or `-?[1-9][0-9]*` within ±(2^53 − 1): no fraction, exponent, sign of zero or leading zero.
    fn integer(&mut self) -> Result<(), NotCanonical> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let digits = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        let text = &self.b[digits..self.i];
        let negative = digits > start;
        let ok = match text {
            [] => false,
            [b'0'] => !negative,
            [b'0', ..] => false,
            _ => {
                text.len() <= 16
                    && std::str::from_utf8(text)
                        .ok()
                        .and_then(|t| t.parse::<u64>().ok())
                        .is_some_and(|n| n <= MAX_SAFE_INTEGER)
            }
        };
        if !ok || matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            self.i = start;
            return Err(self.err("an integer within ±(2^53 − 1) in its shortest form"));
        }
        Ok(())
    }

    /// A string as JCS writes it; its value, borrowed unless it holds escapes.
    fn string(&mut self) -> Result<std::borrow::Cow<'a, str>, NotCanonical> {
        self.eat(b'"', "a string")?;
        let start = self.i;
        let mut decoded: Option<String> = None;
        let mut run = start;
        loop {
            let Some(c) = self.peek() else { return Err(self.err("the end of the string")) };
            match c {
                b'"' => break,
                0x00..=0x1f => return Err(self.err("an escaped control character")),
                b'\\' => {
                    let raw = std::str::from_utf8(&self.b[run..self.i]).map_err(|_| self.err("UTF-8"))?;
                    let d = decoded.get_or_insert_with(String::new);
                    d.push_str(raw);
                    let esc = self.b.get(self.i + 1).copied();
                    let ch = match esc {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            // Only the control characters without a short escape, in lowercase hex.
                            let hex = self.b.get(self.i + 2..self.i + 6).unwrap_or_default();
                            let code = match hex {
                                [b'0', b'0', h @ (b'0' | b'1'), l @ (b'0'..=b'9' | b'a'..=b'f')] => {
                                    let l = if l.is_ascii_digit() { l - b'0' } else { l - b'a' + 10 };
                                    (h - b'0') * 16 + l
                                }
                                _ => {
                                    return Err(
                                        self.err("a short escape, or \\u00XX (lowercase) of a control character")
                                    );
                                }
                            };
                            if matches!(code, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d) {
                                return Err(self.err("the short escape of this control character"));
                            }
                            self.i += 4;
                            char::from(code)
                        }
                        _ => return Err(self.err("a JSON escape")),
                    };
                    d.push(ch);
                    self.i += 2;
                    run = self.i;
                }
                _ => self.i += 1,
            }
        }
        let tail = std::str::from_utf8(&self.b[run..self.i]).map_err(|_| self.err("UTF-8"))?;
        self.i += 1;
        Ok(match decoded {
            None => std::borrow::Cow::Borrowed(tail),
            Some(mut d) => {
                d.push_str(tail);
                std::borrow::Cow::Owned(d)
            }
        })
    }

    /// An object whose member names are strictly increasing in JCS order; its members are
    /// collected when `out` is given.
    fn object(&mut self, depth: usize, mut out: Option<&mut Members<'a>>) -> Result<(), NotCanonical> {
        self.eat(b'{', "an object")?;
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        let mut prev: Option<std::borrow::Cow<'a, str>> = None;
        loop {
            let at = self.i;
            let name = self.string()?;
            match prev.as_ref().map(|p| jcs_cmp(p, &name)) {
                None | Some(std::cmp::Ordering::Less) => {}
                Some(std::cmp::Ordering::Equal) => {
                    self.i = at;
                    return Err(self.err("each member name once (this one appears twice)").within(name.into_owned()));
                }
                Some(std::cmp::Ordering::Greater) => {
                    self.i = at;
                    return Err(self
                        .err("member names in increasing order (of UTF-16 code units)")
                        .within(name.into_owned()));
                }
            }
            self.eat(b':', "`:`")?;
            let start = self.i;
            self.value(depth + 1).map_err(|e| e.within(name.to_string()))?;
            if let Some(out) = out.as_deref_mut() {
                out.push((name.clone(), &self.b[start..self.i]));
            }
            prev = Some(name);
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(self.err("`,` or `}`")),
            }
        }
    }
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

    /// What `members` must agree with: the bytes parse, and re-encoding gives them back.
    fn canonical_by_reencoding(bytes: &[u8]) -> bool {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(v @ Value::Object(_)) => to_vec(&v).is_ok_and(|c| c == bytes),
            _ => false,
        }
    }

    #[test]
    fn members_accepts_exactly_the_canonical_form() {
        let cases: &[&[u8]] = &[
            br#"{}"#,
            br#"{"a":1,"b":[true,false,null],"c":{"d":"e"}}"#,
            br#"{"":0,"a":-1,"b":9007199254740991,"c":-9007199254740991}"#,
            "{\"\u{fb33}\":1,\"\u{1f600}\":2}".as_bytes(),
            "{\"\u{1f600}\":2,\"\u{fb33}\":1}".as_bytes(),
            br#"{"a":"\u0000\u001f\"\\/\b\f\n\r\t"}"#,
            br#"{"a":"\u000a"}"#,
            br#"{"a":"\u001F"}"#,
            br#"{"a":"\u0041"}"#,
            br#"{"a":"\/"}"#,
            br#"{"b":1,"a":2}"#,
            br#"{"a":1,"a":2}"#,
            br#"{"a":-0}"#,
            br#"{"a":01}"#,
            br#"{"a":1.0}"#,
            br#"{"a":1e3}"#,
            br#"{"a":9007199254740992}"#,
            br#"{"a":-9007199254740992}"#,
            br#"{"a":18446744073709551616}"#,
            br#"{ "a":1}"#,
            br#"{"a":1} "#,
            br#"{"a":1}{}"#,
            br#"{"a":[1,]}"#,
            br#"{"a":[,1]}"#,
            br#"{"a":tru}"#,
            br#"{"a":"x"#,
            br#"["a"]"#,
            br#""a""#,
            b"{\"a\":\"\xff\"}",
            b"{\"a\":\"\x01\"}",
            br#"{"a\n":1,"a":2}"#,
            br#"{"a":1,"a\n":2}"#,
            b"",
        ];
        for bytes in cases {
            let expected = canonical_by_reencoding(bytes);
            let got = members(bytes);
            assert_eq!(got.is_ok(), expected, "{}: {got:?}", String::from_utf8_lossy(bytes));
        }
        let m = members(br#"{"a\n":[1],"b":{"c":"d"}}"#).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].0.as_ref(), m[0].1), ("a\n", &b"[1]"[..]));
        assert_eq!((m[1].0.as_ref(), m[1].1), ("b", &br#"{"c":"d"}"#[..]));
        for arrays in [125, 126, 127, 200] {
            let deep = format!("{{\"a\":{}{}}}", "[".repeat(arrays), "]".repeat(arrays));
            let expected = canonical_by_reencoding(deep.as_bytes());
            assert_eq!(members(deep.as_bytes()).is_ok(), expected, "an object holding {arrays} nested arrays");
        }
        assert!(members(format!("{{\"a\":{}1{}}}", "[".repeat(126), "]".repeat(126)).as_bytes()).is_ok());
    }

    #[test]
    fn parse_unique_refuses_a_repeated_member_naming_its_path() {
        assert_eq!(parse_unique(br#"{"a":[1,{"b":null}],"c":"d"}"#).unwrap(), json!({"a":[1,{"b":null}],"c":"d"}));
        for (text, member) in [
            (&br#"{"a":1,"a":2}"#[..], "a"),
            (br#"{"a":1,"b":2,"a":1}"#, "a"),
            (br#"{"x":{"y":[{"z":1}, {"z":1,"z":1}]}}"#, "x.y[1].z"),
            (br#"{"ab":1,"ab":2}"#, "ab"),
        ] {
            match parse_unique(text) {
                Err(JsonError::Duplicate { member: m }) => assert_eq!(m, member),
                other => panic!("{}: {other:?}", String::from_utf8_lossy(text)),
            }
        }
        for bad in [&b"{"[..], b"{\"a\":1} x", b"", b"[1,]"] {
            assert!(matches!(parse_unique(bad), Err(JsonError::Syntax(_))), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn members_refusals_name_the_member() {
        let e = members(br#"{"a":{"b":[1,{"c":1.5}]}}"#).unwrap_err().to_string();
        assert!(e.ends_with("in member `a.b[1].c`"), "{e}");
        let e = members(br#"{"a":1,"a":2}"#).unwrap_err().to_string();
        assert!(e.contains("appears twice") && e.ends_with("in member `a`"), "{e}");
        let e = members(br#"{"b":1,"a":2}"#).unwrap_err().to_string();
        assert!(e.contains("increasing order") && e.ends_with("in member `a`"), "{e}");
    }

    #[test]
    fn sort_members_of_compact_text_is_the_canonical_form() {
        let values = [
            json!({"b": 1, "a": [{"z": null, "y": true}, "é\n\u{1}"], "": {}}),
            json!({"\u{fb33}": 1, "\u{1f600}": 2, "a\"b": -3, "c": [[], {}, [{"q": {"p": 0}, "o": 9007199254740991_u64}]]}),
            json!([{"b": false, "a": "\\/\u{7f}\u{2028}"}]),
            json!("plain"),
        ];
        for v in values {
            assert_eq!(sort_members(&serde_json::to_vec(&v).unwrap()).unwrap(), to_vec(&v).unwrap(), "{v}");
        }
        for bad in [&br#"{"b":1,"a":2,"b":3}"#[..], br#"{"a"1}"#, br#"{"a":"x"#, b"[1,", b"[1]x", b""] {
            assert!(sort_members(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn nested_structures() {
        let v = json!({"z": {"b": [true, false, null], "a": {}}, "y": []});
        assert_eq!(canon(&v), r#"{"y":[],"z":{"a":{},"b":[true,false,null]}}"#);
    }
}
