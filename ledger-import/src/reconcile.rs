//! Reconciliation: what must be appended so that the ledger says what a published list says.
//!
//! A list shows only what is in force on its report date. Against the ledger's state for the
//! list's authority on that date (as known now):
//! - a listed key not in force → a `designation` (a relisting if it had been delisted), effective on
//!   its designation date;
//! - a listed key in force whose record differs → one `amendment` whose patch holds exactly the
//!   changed fields, effective on the entry's last update (or the report date where that is missing
//!   or not after the key's last change);
//! - a key in force that the list lacks → a `delisting`, effective on the report date;
//! - anything else → nothing, so importing the same list twice appends nothing the second time.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::{Listed, Snapshot};
use ledger_core::error::{Error, Result};
use ledger_core::event::{Amendment, Delisting, InputEvent, Key, Provenance, Record};
use ledger_core::input::Numbered;
use ledger_core::ledger::Ledger;
use ledger_core::lifecycle::KeyIndex;
use ledger_core::projection::{Reader, Status, When, standing};
use ledger_core::time::{Clock, Date, Effective, Micros, format_instant, parse_query_time};

/// The importer's name and version, recorded in every imported event.
pub const IMPORTER: &str = concat!("ledger-import/", env!("CARGO_PKG_VERSION"));

/// How many delistings one list may cause before it is taken for a truncated download.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DelistLimit {
    /// At most this many.
    Count(usize),
    /// At most this percentage of the authority's designations in force.
    Percent(f64),
}

impl DelistLimit {
    /// The default: 5% of the designations in force.
    pub const DEFAULT: DelistLimit = DelistLimit::Percent(5.0);
    /// The default limit of amendments: 25% of the designations in force.
    pub const DEFAULT_AMEND: DelistLimit = DelistLimit::Percent(25.0);

    /// Parses `N` or `P%`.
    pub fn parse(s: &str) -> std::result::Result<Self, String> {
        let bad = || format!("`{s}` is not a count (e.g. 20) or a percentage (e.g. 5%)");
        match s.strip_suffix('%') {
            Some(p) => match p.trim().parse::<f64>() {
                Ok(p) if (0.0..=100.0).contains(&p) => Ok(DelistLimit::Percent(p)),
                _ => Err(bad()),
            },
            None => s.trim().parse().map(DelistLimit::Count).map_err(|_| bad()),
        }
    }

    fn allows(self, delistings: usize, in_force: usize) -> bool {
        match self {
            DelistLimit::Count(n) => delistings <= n,
            DelistLimit::Percent(p) => (delistings as f64) <= in_force as f64 * p / 100.0,
        }
    }
}

/// Options of one import.
#[derive(Debug, Clone)]
pub struct Options {
    /// The most delistings allowed.
    pub max_delist: DelistLimit,
    /// The most amendments allowed (the same kind of limit): a list that would vary more of the
    /// designations in force is taken for a changed format, or a changed mapping, not news.
    pub max_amend: DelistLimit,
    /// Accept a list older than the last one imported for its authority.
    pub allow_older: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { max_delist: DelistLimit::DEFAULT, max_amend: DelistLimit::DEFAULT_AMEND, allow_older: false }
    }
}

/// The file a snapshot came from.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Its name, without its directory: where the operator keeps it is no part of the record.
    pub name: String,
    /// BLAKE3 of its bytes, lowercase hex.
    pub blake3: String,
    /// Its size in bytes.
    pub size: u64,
}

impl SourceFile {
    /// Describes a file by its path (only the name is kept) and bytes.
    pub fn new(path: &str, bytes: &[u8]) -> Self {
        SourceFile {
            name: file_name(path).to_owned(),
            blake3: blake3::hash(bytes).to_hex().to_string(),
            size: bytes.len() as u64,
        }
    }
}

/// The last component of a path, `/` or `\\` separated (`-`, standard input, stays `-`).
pub fn file_name(path: &str) -> &str {
    path.trim_end_matches(['/', '\\']).rsplit(['/', '\\']).next().filter(|n| !n.is_empty()).unwrap_or(path)
}

/// What an import would append.
#[derive(Debug, Clone)]
pub struct ImportPlan {
    /// The events, ready to append (designations and amendments in the list's order, then
    /// delistings in key order). Each `line` is the event's position in the plan.
    pub events: Vec<Numbered<InputEvent>>,
    /// Where each event comes from in the list (`line 12`), by position.
    pub locations: Vec<String>,
    /// The list's authority and report date, recorded with the batch.
    pub mark: (String, Date),
    /// Events by type, and by regime.
    pub summary: Summary,
}

/// Counts of an import plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Summary {
    /// Designations listed in the file.
    pub listed: usize,
    /// New designations and relistings.
    pub designations: usize,
    /// Amendments.
    pub amendments: usize,
    /// Delistings.
    pub delistings: usize,
    /// Events by regime code: (designations, amendments, delistings).
    pub by_regime: BTreeMap<String, [usize; 3]>,
}

fn refuse(reason: String) -> Error {
    Error::Refused(reason)
}

/// How far after the ledger's clock a list's report date may be: a list published today in a
/// time zone ahead of UTC is dated tomorrow, but not later.
const MAX_REPORT_DATE_LEAD: Micros = 86_400_000_000;

/// Compares `snapshot` with the ledger and plans the events that bring the ledger in line. A
/// list dated more than a day after `clock`'s now is refused: imported, its date would become
/// the authority's last import and make every real list after it look older.
pub fn plan(
    ledger: &Ledger,
    snapshot: &Snapshot,
    file: &SourceFile,
    options: &Options,
    clock: &dyn Clock,
) -> Result<ImportPlan> {
    let authority = &snapshot.authority;
    let now = clock.now();
    if Effective::Date(snapshot.report_date.0).micros() > now.saturating_add(MAX_REPORT_DATE_LEAD) {
        return Err(refuse(format!(
            "this {authority} list is dated {}, more than a day after the ledger's clock ({}): a list from the future would make every later list look older; check the list's report date (or the clock)",
            snapshot.report_date,
            format_instant(now)
        )));
    }
    if let Some(last) = ledger.last_import(authority)?
        && snapshot.report_date < last
        && !options.allow_older
    {
        return Err(refuse(format!(
            "this {authority} list is dated {}, older than the last one imported ({last}); pass --allow-older to import it anyway",
            snapshot.report_date
        )));
    }
    let day_end = parse_query_time(&snapshot.report_date.to_string()).map_err(Error::Internal)?;
    // The ledger's state on the report date, as known now (everything recorded).
    let when = When { at: day_end, as_of: Micros::MAX };
    let provenance = Provenance {
        format: snapshot.format.name().to_owned(),
        file: file.name.clone(),
        blake3: file.blake3.clone(),
        size: Some(file.size),
        report_date: snapshot.report_date,
        importer: IMPORTER.to_owned(),
    };

    let mut reader = Reader::new(ledger);
    let mut in_force: BTreeMap<Key, KeyIndex> = BTreeMap::new();
    for item in ledger.keys_of(authority) {
        let (key, index) = item?;
        if standing(&index.entries, when).status == Status::Active {
            in_force.insert(key, index);
        }
    }
    let in_force_count = in_force.len();

    let mut out = ImportPlan {
        events: Vec::new(),
        locations: Vec::new(),
        mark: (authority.clone(), snapshot.report_date),
        summary: Summary { listed: snapshot.designations.len(), ..Summary::default() },
    };
    let mut push = |event: InputEvent, location: String, regime: &str, slot: usize| {
        out.events.push(Numbered { line: out.events.len() + 1, event });
        out.locations.push(location);
        out.summary.by_regime.entry(regime.to_owned()).or_default()[slot] += 1;
    };

    let mut seen = BTreeSet::new();
    for listed in &snapshot.designations {
        let d = &listed.designation;
        let key = Key { authority: d.authority.clone(), id: d.id.clone() };
        if d.authority != *authority {
            return Err(refuse(format!("{}: {key} is not a designation of {authority}", listed.location)));
        }
        if !seen.insert(key.clone()) {
            return Err(refuse(format!("{}: {key} is listed twice", listed.location)));
        }
        match in_force.remove(&key) {
            None => {
                let mut d = d.clone();
                // A relisting takes effect after the key's last event, even when the list still
                // gives an earlier designation date.
                let last = ledger.key_index(&key)?.and_then(|i| i.entries.iter().map(|e| e.effective).max());
                if last.is_some_and(|l| d.effective.micros() <= l) {
                    d.effective = Effective::Date(snapshot.report_date.0);
                }
                d.import = Some(provenance.clone());
                out.summary.designations += 1;
                let regime = d.regime.code.clone();
                push(InputEvent::Designation(d), listed.location.clone(), &regime, 0);
            }
            Some(index) => {
                let s = standing(&index.entries, when);
                let current =
                    reader.record(&s)?.ok_or_else(|| Error::Internal(format!("{key} in force without a record")))?;
                let Some(patch) = record_patch(&current, &d.record())? else { continue };
                if current.regime.code != d.regime.code || current.subject.kind != d.subject.kind {
                    return Err(refuse(format!(
                        "{}: {key} is listed under regime {} as {}, but the ledger holds it under {} as {}; a change of regime or kind is a new designation, not an amendment",
                        listed.location,
                        d.regime.code,
                        d.subject.kind.as_str(),
                        current.regime.code,
                        current.subject.kind.as_str()
                    )));
                }
                let last_change = index.entries.iter().filter(|e| e.known_as_of(when.as_of)).map(|e| e.effective).max();
                let effective = amendment_date(listed, snapshot.report_date, last_change);
                out.summary.amendments += 1;
                push(
                    InputEvent::Amendment(Amendment {
                        authority: key.authority.clone(),
                        id: key.id.clone(),
                        effective,
                        patch,
                        reason: Some(format!("varied in the {authority} list of {}", snapshot.report_date)),
                        published: None,
                        note: None,
                        import: Some(provenance.clone()),
                    }),
                    listed.location.clone(),
                    &d.regime.code,
                    1,
                );
            }
        }
    }
    // What is still in force but not listed was delisted.
    let mut by_regime: BTreeMap<String, usize> = BTreeMap::new();
    for (key, index) in &in_force {
        *by_regime.entry(index.regime.clone()).or_default() += 1;
        out.summary.delistings += 1;
        push(
            InputEvent::Delisting(Delisting {
                authority: key.authority.clone(),
                id: key.id.clone(),
                effective: Effective::Date(snapshot.report_date.0),
                reason: Some(format!("absent from the {authority} list of {}", snapshot.report_date)),
                published: None,
                note: None,
                import: Some(provenance.clone()),
            }),
            format!("{key} (not in the list)"),
            &index.regime,
            2,
        );
    }
    let delistings = out.summary.delistings;
    if !options.max_delist.allows(delistings, in_force_count) {
        let regimes: Vec<String> = by_regime.iter().map(|(r, n)| format!("{r}: {n}")).collect();
        let limit = match options.max_delist {
            DelistLimit::Count(n) => format!("{n}"),
            DelistLimit::Percent(p) => format!("{p}% of {in_force_count} in force"),
        };
        return Err(refuse(format!(
            "this list would delist {delistings} of the {in_force_count} {authority} designations in force ({}), more than the limit ({limit}); a truncated download? Check the file, or raise the limit with --max-delist",
            regimes.join(", ")
        )));
    }
    let amendments = out.summary.amendments;
    if !options.max_amend.allows(amendments, in_force_count) {
        let limit = match options.max_amend {
            DelistLimit::Count(n) => format!("{n}"),
            DelistLimit::Percent(p) => format!("{p}% of {in_force_count} in force"),
        };
        return Err(refuse(format!(
            "this list would amend {amendments} of the {in_force_count} {authority} designations in force, more than the limit ({limit}); a changed format or mapping? Check the file and a --dry-run, or raise the limit with --max-amend"
        )));
    }
    Ok(out)
}

/// The amendment's effective date: the entry's last update, unless it is missing or not after the
/// key's last change, then the report date.
fn amendment_date(listed: &Listed, report: Date, last_change: Option<Micros>) -> Effective {
    match listed.last_updated.iter().max() {
        Some(d) if last_change.is_none_or(|l| Effective::Date(d.0).micros() > l) && *d <= report => {
            Effective::Date(d.0)
        }
        _ => Effective::Date(report.0),
    }
}

/// The RFC 7396 patch that turns `old` into `new` (only the changed fields), or `None` if equal.
pub fn record_patch(old: &Record, new: &Record) -> Result<Option<Map<String, Value>>> {
    let to = |r: &Record| serde_json::to_value(r).map_err(|e| Error::Internal(e.to_string()));
    match diff(&to(old)?, &to(new)?) {
        None => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(Error::Internal("a record diff is not an object".into())),
    }
}

/// The minimal merge patch from `old` to `new`: objects member by member (removed members as
/// null), anything else replaced whole.
fn diff(old: &Value, new: &Value) -> Option<Value> {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let mut patch = Map::new();
            for k in a.keys().filter(|k| !b.contains_key(*k)) {
                patch.insert(k.clone(), Value::Null);
            }
            for (k, v) in b {
                match a.get(k) {
                    Some(old_v) => {
                        if let Some(p) = diff(old_v, v) {
                            patch.insert(k.clone(), p);
                        }
                    }
                    None => {
                        patch.insert(k.clone(), v.clone());
                    }
                }
            }
            (!patch.is_empty()).then_some(Value::Object(patch))
        }
        (a, b) if a == b => None,
        (_, b) => Some(b.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn minimal_patches_round_trip() {
        let cases = [
            (
                json!({"a": 1, "b": {"c": 2, "d": 3}}),
                json!({"a": 1, "b": {"c": 2, "d": 4}}),
                Some(json!({"b": {"d": 4}})),
            ),
            (json!({"a": 1, "b": 2}), json!({"a": 1}), Some(json!({"b": null}))),
            (json!({"n": [1, 2]}), json!({"n": [1, 2, 3]}), Some(json!({"n": [1, 2, 3]}))),
            (json!({"a": {"x": 1}}), json!({"a": {"x": 1}}), None),
        ];
        for (old, new, want) in cases {
            let got = diff(&old, &new);
            assert_eq!(got, want);
            if let Some(p) = got {
                let mut merged = old.clone();
                ledger_core::patch::merge(&mut merged, &p);
                assert_eq!(merged, new, "merging the diff gives the new value");
            }
        }
    }

    #[test]
    fn provenance_keeps_the_name_not_the_path() {
        assert_eq!(file_name("/home/me/lists/UK.csv"), "UK.csv");
        assert_eq!(file_name("C:\\lists\\UK.csv"), "UK.csv");
        assert_eq!(file_name("UK.csv"), "UK.csv");
        assert_eq!(file_name("-"), "-");
        let f = SourceFile::new("/tmp/x/UN.xml", b"abc");
        assert_eq!((f.name.as_str(), f.size), ("UN.xml", 3));
    }

    #[test]
    fn delist_limits() {
        assert_eq!(DelistLimit::parse("5%"), Ok(DelistLimit::Percent(5.0)));
        assert_eq!(DelistLimit::parse("20"), Ok(DelistLimit::Count(20)));
        assert!(DelistLimit::parse("many").is_err());
        assert!(DelistLimit::parse("120%").is_err());
        assert!(DelistLimit::Percent(5.0).allows(2, 40));
        assert!(!DelistLimit::Percent(5.0).allows(3, 40));
        assert!(DelistLimit::Count(0).allows(0, 0));
    }
}
