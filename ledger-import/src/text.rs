//! Text helpers every list parser uses: whitespace, distinct items, snake_case codes, UTF-8.

use crate::ParseError;

/// A value that is not what its field holds. Each message quotes the value and says what was
/// expected; a parser adds where it is ([`ParseError`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BadValue {
    /// The UK CSV's first line.
    #[error("`{0}` is not a report date line")]
    ReportDateLine(String),
    /// A UK date, `dd/mm/yyyy`.
    #[error("`{0}` is not a date (dd/mm/yyyy)")]
    UkDate(String),
    /// A UK date of birth, with placeholders.
    #[error("`{0}` is not a date of birth (dd/mm/yyyy, with dd or 00 for an unknown day or month)")]
    DateOfBirth(String),
    /// An `xs:date`.
    #[error("`{0}` is not a date (YYYY-MM-DD, optionally with a time zone)")]
    XsDate(String),
}

impl From<BadValue> for String {
    fn from(e: BadValue) -> String {
        e.to_string()
    }
}

/// Collapses every run of whitespace to one space and trims.
pub(crate) fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Appends `item` unless an equal item is already there. Past the item limit it stops adding
/// (one over the limit, so that the record's limit check refuses the entry): a hostile list cannot
/// make this quadratic search run long.
pub(crate) fn push_distinct<T: PartialEq>(into: &mut Vec<T>, item: T) {
    if into.len() <= ledger_core::validate::limits::MAX_ITEMS && !into.contains(&item) {
        into.push(item);
    }
}

/// A snake_case code for a published label (`Asset freeze` → `asset_freeze`): ASCII letters and
/// digits lowercased, every other run of characters one `_`, at most 64 characters, starting with
/// a letter. `None` when nothing is left.
pub(crate) fn snake_code(label: &str) -> Option<String> {
    let mut out = String::new();
    for c in label.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    let mut out = out.trim_end_matches('_').to_owned();
    if out.is_empty() {
        return None;
    }
    if !out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out.insert_str(0, "x_");
    }
    out.truncate(64);
    Some(out.trim_end_matches('_').to_owned())
}

/// The text, unless it is empty.
pub(crate) fn non_empty(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

/// The regime code of a published programme or list name (`DRC`): ASCII letters, digits, `_`
/// and `-`, anything else as `-`, at most 32 characters. (OFAC's programmes have their own,
/// `ofac::regime_code`, which makes a run of other characters one `-`.)
pub(crate) fn regime_code(label: &str) -> String {
    label.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '-' }).take(32).collect()
}

/// The bytes as UTF-8 text, or an error naming the line of the first bad byte.
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, ParseError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        ParseError::new(format!("line {line}"), format!("not UTF-8 (invalid byte at offset {at})"))
    })
}

/// Notes for `other`, by key: distinct values, in the order met.
#[derive(Default)]
pub(crate) struct Notes(Vec<(&'static str, Vec<String>)>);

impl Notes {
    /// Adds `value` under `key`, unless it is there.
    pub(crate) fn add(&mut self, key: &'static str, value: String) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => push_distinct(v, value),
            None => self.0.push((key, vec![value])),
        }
    }

    /// Puts every key's values, as an array of strings, into `other`.
    pub(crate) fn into_other(self, other: &mut serde_json::Map<String, serde_json::Value>) {
        for (key, list) in self.0 {
            other.insert(
                key.to_owned(),
                serde_json::Value::Array(list.into_iter().map(serde_json::Value::String).collect()),
            );
        }
    }
}
