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

use crate::changes::{HandEntered, KeyChange, Setters, field_changes};
use crate::{Listed, Snapshot};
use ledger_core::error::{Error, Result};
use ledger_core::event::{Amendment, Delisting, InputEvent, Key, Provenance, Record, SubjectKind};
use ledger_core::input::Numbered;
use ledger_core::ledger::Ledger;
use ledger_core::lifecycle::KeyIndex;
use ledger_core::projection::{Reader, Status, When, standing};
use ledger_core::query::primary_name;
use ledger_core::time::{Clock, Date, Effective, Micros, format_instant, parse_query_time};
use ledger_core::view::View;

/// The importer's name and version, recorded in every imported event.
pub const IMPORTER: &str = concat!("ledger-import/", env!("CARGO_PKG_VERSION"));

/// How many delistings (or amendments) one list may cause before it is taken for a truncated
/// download (or a changed format).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DelistLimit {
    /// At most this many.
    Count(usize),
    /// At most this percentage of the authority's designations in force.
    Percent(f64),
}

/// A limit that is neither a count nor a percentage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a count (e.g. 20) or a percentage (e.g. 5%)")]
pub struct BadLimit(pub String);

impl DelistLimit {
    /// The default: 5% of the designations in force.
    pub const DEFAULT: DelistLimit = DelistLimit::Percent(5.0);
    /// The default limit of amendments: 25% of the designations in force.
    pub const DEFAULT_AMEND: DelistLimit = DelistLimit::Percent(25.0);

    /// Parses `N` or `P%`.
    pub fn parse(s: &str) -> std::result::Result<Self, BadLimit> {
        let bad = || BadLimit(s.to_owned());
        match s.strip_suffix('%') {
            Some(p) => match p.trim().parse::<f64>() {
                Ok(p) if (0.0..=100.0).contains(&p) => Ok(DelistLimit::Percent(p)),
                _ => Err(bad()),
            },
            None => s.trim().parse().map(DelistLimit::Count).map_err(|_| bad()),
        }
    }

    /// Whether `changes` are within the limit.
    fn allows(self, changes: usize, in_force: usize) -> bool {
        match self {
            DelistLimit::Count(n) => changes <= n,
            DelistLimit::Percent(p) => (changes as f64) <= in_force as f64 * p / 100.0,
        }
    }

    /// Whether `amendments` are within the limit. A percentage above 0 always allows one: a single
    /// amendment is never a change of format, however few designations are in force. (Not so for
    /// delistings: one entry missing from a short list may be a truncated download.)
    fn allows_amendments(self, amendments: usize, in_force: usize) -> bool {
        match self {
            DelistLimit::Percent(p) if p > 0.0 && amendments <= 1 => true,
            limit => limit.allows(amendments, in_force),
        }
    }

    /// The limit in words, for `in_force` designations in force: `20`, `5% of 40 in force`.
    fn describe(self, in_force: usize) -> String {
        match self {
            DelistLimit::Count(n) => format!("{n}"),
            DelistLimit::Percent(p) => format!("{p}% of {in_force} in force"),
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
    /// Let the list overwrite or remove values entered by hand, reverse a delisting made by
    /// hand, and delist a designation made by hand ([`crate::changes`]).
    pub override_manual: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_delist: DelistLimit::DEFAULT,
            max_amend: DelistLimit::DEFAULT_AMEND,
            allow_older: false,
            override_manual: false,
        }
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
    /// What each event does to its designation, field by field.
    pub changes: Vec<KeyChange>,
    /// The hand-entered facts the plan overwrites, removes or reverses (planned only when
    /// [`Options::override_manual`] allows it).
    pub hand_entered: Vec<HandEntered>,
}

/// Counts of an import plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
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

/// Why a list cannot be reconciled with the ledger. The messages describe the limit that was
/// met; a front end adds how to lift it (the `ledger` command names its flags).
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The list is dated more than a day after the clock's now.
    #[error(
        "this {authority} list is dated {date}, more than a day after the ledger's clock ({now}): a list from the future would make every later list look older; check the list's report date (or the clock)"
    )]
    FromTheFuture {
        /// The list's authority.
        authority: String,
        /// Its report date.
        date: Date,
        /// The clock's now, as an instant.
        now: String,
    },
    /// The list is older than the last one imported for its authority (and older lists were not
    /// allowed: [`Options::allow_older`]).
    #[error("this {authority} list is dated {date}, older than the last one imported ({last})")]
    Older {
        /// The list's authority.
        authority: String,
        /// Its report date.
        date: Date,
        /// The report date of the last list imported for the authority.
        last: Date,
    },
    /// An entry of another authority than the list's.
    #[error("{location}: {key} is not a designation of {authority}")]
    OtherAuthority {
        /// Where it is in the list.
        location: String,
        /// Its key.
        key: Key,
        /// The list's authority.
        authority: String,
    },
    /// A key the list shows twice.
    #[error("{location}: {key} is listed twice")]
    ListedTwice {
        /// Where it is in the list the second time.
        location: String,
        /// Its key.
        key: Key,
    },
    /// A key in force whose regime or subject kind the list changes.
    #[error(
        "{location}: {key} is listed under regime {regime} as {}, but the ledger holds it under {held_regime} as {}; a change of regime or kind is a new designation, not an amendment",
        kind.as_str(),
        held_kind.as_str()
    )]
    IdentityChanged {
        /// Where it is in the list.
        location: String,
        /// Its key.
        key: Key,
        /// The regime the list gives.
        regime: String,
        /// The subject kind the list gives.
        kind: SubjectKind,
        /// The regime the ledger holds.
        held_regime: String,
        /// The subject kind the ledger holds.
        held_kind: SubjectKind,
    },
    /// More delistings than [`Options::max_delist`] allows.
    #[error(
        "this list would delist {count} of the {in_force} {authority} designations in force ({by_regime}), more than the limit ({}); a truncated download?",
        limit.describe(*in_force)
    )]
    TooManyDelistings {
        /// The delistings it would make.
        count: usize,
        /// The authority's designations in force.
        in_force: usize,
        /// The list's authority.
        authority: String,
        /// The delistings by regime (`GIM: 3, RUS: 1`).
        by_regime: String,
        /// The limit.
        limit: DelistLimit,
    },
    /// More amendments than [`Options::max_amend`] allows.
    #[error(
        "this list would amend {count} of the {in_force} {authority} designations in force, more than the limit ({}); a changed format or mapping?",
        limit.describe(*in_force)
    )]
    TooManyAmendments {
        /// The amendments it would make.
        count: usize,
        /// The authority's designations in force.
        in_force: usize,
        /// The list's authority.
        authority: String,
        /// The limit.
        limit: DelistLimit,
    },
    /// Values entered by hand that the list would overwrite, remove or reverse (and
    /// [`Options::override_manual`] was not given).
    #[error(
        "this list would overwrite {} value{} entered by hand: {}",
        facts.len(),
        if facts.len() == 1 { "" } else { "s" },
        listing(facts)
    )]
    HandEntered {
        /// Each of them.
        facts: Vec<HandEntered>,
    },
    /// The ledger could not be read.
    #[error(transparent)]
    Ledger(#[from] Error),
}

impl PlanError {
    /// A stable name for the refusal, for a front end that words how to lift it (the server's
    /// error code): `older`, `from_the_future`, `too_many_delistings`, `too_many_amendments`,
    /// `hand_entered`, `invalid_list`, or `ledger` when the ledger failed.
    pub fn code(&self) -> &'static str {
        match self {
            PlanError::Older { .. } => "older",
            PlanError::FromTheFuture { .. } => "from_the_future",
            PlanError::TooManyDelistings { .. } => "too_many_delistings",
            PlanError::TooManyAmendments { .. } => "too_many_amendments",
            PlanError::HandEntered { .. } => "hand_entered",
            PlanError::OtherAuthority { .. } | PlanError::ListedTwice { .. } | PlanError::IdentityChanged { .. } => {
                "invalid_list"
            }
            PlanError::Ledger(_) => "ledger",
        }
    }
}

/// The first few hand-entered facts, for a message.
fn listing(facts: &[HandEntered]) -> String {
    const SHOWN: usize = 10;
    let mut s = facts.iter().take(SHOWN).map(ToString::to_string).collect::<Vec<_>>().join("; ");
    if facts.len() > SHOWN {
        s.push_str(&format!("; and {} more", facts.len() - SHOWN));
    }
    s
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
) -> std::result::Result<ImportPlan, PlanError> {
    check_report_date(ledger, snapshot, options, clock)?;
    let day_end = parse_query_time(&snapshot.report_date.to_string()).map_err(|e| Error::Internal(e.to_string()))?;
    // The ledger's state on the report date, as known now (everything recorded).
    let when = When { at: day_end, as_of: Micros::MAX };
    let mut in_force = in_force(ledger, &snapshot.authority, when)?;
    let in_force_count = in_force.len();
    let mut planner = Planner::new(ledger, snapshot, file, when)?;
    let mut seen = BTreeSet::new();
    for listed in &snapshot.designations {
        let key = planner.listed_key(listed, &mut seen)?;
        match in_force.remove(&key) {
            None => planner.designate(listed, &key)?,
            Some(index) => planner.amend_if_varied(listed, &key, &index)?,
        }
    }
    // What is still in force but not listed was delisted.
    planner.delist_absent(&in_force)?;
    let out = planner.out;
    if !out.hand_entered.is_empty() && !options.override_manual {
        return Err(PlanError::HandEntered { facts: out.hand_entered });
    }
    check_limits(&out, &snapshot.authority, in_force_count, &in_force, options)?;
    Ok(out)
}

/// Refuses a list from the future, and one older than the last imported unless allowed.
fn check_report_date(
    ledger: &Ledger,
    snapshot: &Snapshot,
    options: &Options,
    clock: &dyn Clock,
) -> std::result::Result<(), PlanError> {
    let authority = &snapshot.authority;
    let now = clock.now();
    if Effective::Date(snapshot.report_date.0).micros() > now.saturating_add(MAX_REPORT_DATE_LEAD) {
        return Err(PlanError::FromTheFuture {
            authority: authority.clone(),
            date: snapshot.report_date,
            now: format_instant(now),
        });
    }
    if let Some(last) = ledger.last_import(authority)?
        && snapshot.report_date < last
        && !options.allow_older
    {
        return Err(PlanError::Older { authority: authority.clone(), date: snapshot.report_date, last });
    }
    Ok(())
}

/// The keys of `authority` in force at `when`, with their index and current record.
fn in_force(ledger: &Ledger, authority: &str, when: When) -> Result<BTreeMap<Key, KeyIndex>> {
    let mut in_force = BTreeMap::new();
    for item in ledger.keys_of(authority) {
        let (key, index) = item?;
        if standing(&index.entries, when).status == Status::Active {
            in_force.insert(key, index);
        }
    }
    Ok(in_force)
}

/// Refuses a plan with more delistings or amendments than the options allow. `delisted` are
/// the keys it delists.
fn check_limits(
    plan: &ImportPlan,
    authority: &str,
    in_force: usize,
    delisted: &BTreeMap<Key, KeyIndex>,
    options: &Options,
) -> std::result::Result<(), PlanError> {
    let delistings = plan.summary.delistings;
    if !options.max_delist.allows(delistings, in_force) {
        let mut by_regime: BTreeMap<&str, usize> = BTreeMap::new();
        for index in delisted.values() {
            *by_regime.entry(index.regime.as_str()).or_default() += 1;
        }
        let by_regime: Vec<String> = by_regime.iter().map(|(r, n)| format!("{r}: {n}")).collect();
        return Err(PlanError::TooManyDelistings {
            count: delistings,
            in_force,
            authority: authority.to_owned(),
            by_regime: by_regime.join(", "),
            limit: options.max_delist,
        });
    }
    let amendments = plan.summary.amendments;
    if !options.max_amend.allows_amendments(amendments, in_force) {
        return Err(PlanError::TooManyAmendments {
            count: amendments,
            in_force,
            authority: authority.to_owned(),
            limit: options.max_amend,
        });
    }
    Ok(())
}

/// The plan being built: the events, where each comes from, and the counts.
struct Planner<'a> {
    ledger: &'a Ledger,
    reader: Reader<'a>,
    snapshot: &'a Snapshot,
    provenance: Provenance,
    when: When,
    out: ImportPlan,
}

/// The three kinds of event an import appends, as the slots of [`Summary::by_regime`].
#[derive(Clone, Copy)]
enum Slot {
    Designation = 0,
    Amendment = 1,
    Delisting = 2,
}

impl<'a> Planner<'a> {
    fn new(ledger: &'a Ledger, snapshot: &'a Snapshot, file: &SourceFile, when: When) -> Result<Self> {
        let provenance = Provenance {
            format: snapshot.format.name().to_owned(),
            file: file.name.clone(),
            blake3: file.blake3.clone(),
            size: Some(file.size),
            report_date: snapshot.report_date,
            importer: IMPORTER.to_owned(),
        };
        Ok(Planner {
            ledger,
            reader: Reader::new(View::now(ledger)?),
            snapshot,
            provenance,
            when,
            out: ImportPlan {
                events: Vec::new(),
                locations: Vec::new(),
                mark: (snapshot.authority.clone(), snapshot.report_date),
                summary: Summary { listed: snapshot.designations.len(), ..Summary::default() },
                changes: Vec::new(),
                hand_entered: Vec::new(),
            },
        })
    }

    fn push(&mut self, event: InputEvent, location: String, regime: &str, slot: Slot, change: KeyChange) {
        let out = &mut self.out;
        out.changes.push(change);
        out.events.push(Numbered { line: out.events.len() + 1, event });
        out.locations.push(location);
        out.summary.by_regime.entry(regime.to_owned()).or_default()[slot as usize] += 1;
        match slot {
            Slot::Designation => out.summary.designations += 1,
            Slot::Amendment => out.summary.amendments += 1,
            Slot::Delisting => out.summary.delistings += 1,
        }
    }

    /// The key of a listed designation: one of the list's authority, not listed before.
    fn listed_key(&self, listed: &Listed, seen: &mut BTreeSet<Key>) -> std::result::Result<Key, PlanError> {
        let d = &listed.designation;
        let authority = &self.snapshot.authority;
        let key = d.key();
        if d.authority != *authority {
            return Err(PlanError::OtherAuthority {
                location: listed.location.clone(),
                key,
                authority: authority.clone(),
            });
        }
        if !seen.insert(key.clone()) {
            return Err(PlanError::ListedTwice { location: listed.location.clone(), key });
        }
        Ok(key)
    }

    /// A designation (or a relisting) of a listed key not in force.
    fn designate(&mut self, listed: &Listed, key: &Key) -> Result<()> {
        let mut d = listed.designation.clone();
        let index = self.ledger.key_index(key)?;
        // A relisting takes effect after the key's last event, even when the list still gives an
        // earlier designation date.
        let last = index.as_ref().and_then(|i| i.entries.iter().map(|e| e.effective).max());
        if last.is_some_and(|l| d.effective.micros() <= l) {
            d.effective = Effective::Date(self.snapshot.report_date.0);
        }
        // Reversing a delisting made by hand.
        if let Some(index) = &index
            && let Some(delisting) = standing(&index.entries, self.when).delisting()
            && self.reader.event(delisting.seq)?.event.import().is_none()
        {
            self.out.hand_entered.push(HandEntered {
                key: key.to_string(),
                field: "status".into(),
                old: Some(format!("delisted (effective {})", delisting.effective_text())),
                new: Some("designated".into()),
                seq: delisting.seq,
            });
        }
        d.import = Some(self.provenance.clone());
        let regime = d.regime.code.clone();
        let change = KeyChange {
            key: key.to_string(),
            action: if index.is_some() { "relisted" } else { "designated" }.into(),
            effective: d.effective.to_string(),
            name: primary_name(&d.record()),
            fields: Vec::new(),
        };
        self.push(InputEvent::Designation(d), listed.location.clone(), &regime, Slot::Designation, change);
        Ok(())
    }

    /// Who set each part of the record the episode leaves.
    fn setters(&mut self, episode: &[ledger_core::lifecycle::KeyEntry]) -> Result<Setters> {
        let mut setters = Setters::default();
        for e in episode {
            setters.follow(e.seq, &self.reader.event(e.seq)?.event);
        }
        Ok(setters)
    }

    /// An amendment of a listed key in force whose record the list varies; nothing if it does not.
    fn amend_if_varied(&mut self, listed: &Listed, key: &Key, index: &KeyIndex) -> std::result::Result<(), PlanError> {
        let d = &listed.designation;
        let s = standing(&index.entries, self.when);
        let current =
            self.reader.record(&s)?.ok_or_else(|| Error::Internal(format!("{key} in force without a record")))?;
        let Some(patch) = record_patch(&current, &d.record())? else { return Ok(()) };
        if current.regime.code != d.regime.code || current.subject.kind != d.subject.kind {
            return Err(PlanError::IdentityChanged {
                location: listed.location.clone(),
                key: key.clone(),
                regime: d.regime.code.clone(),
                kind: d.subject.kind,
                held_regime: current.regime.code.clone(),
                held_kind: current.subject.kind,
            });
        }
        let as_of = self.when.as_of;
        let last_change = index.entries.iter().filter(|e| e.known_as_of(as_of)).map(|e| e.effective).max();
        let report_date = self.snapshot.report_date;
        let value = |r: &Record| serde_json::to_value(r).map_err(|e| Error::Internal(e.to_string()));
        let fields = field_changes(&value(&current)?, &value(&d.record())?);
        let setters = self.setters(&s.episode)?;
        // A field the hand-entered record lacked is added, not overwritten; one an amendment
        // made by hand removed is overridden if the list puts it back.
        for f in &fields {
            let setter =
                if f.old.is_some() { setters.manual_setter(&f.field) } else { setters.removed_by_hand(&f.field) };
            if let Some(seq) = setter {
                self.out.hand_entered.push(HandEntered {
                    key: key.to_string(),
                    field: f.field.clone(),
                    old: f.old.clone(),
                    new: f.new.clone(),
                    seq,
                });
            }
        }
        let effective = amendment_date(listed, report_date, last_change);
        let change = KeyChange {
            key: key.to_string(),
            action: "amended".into(),
            effective: effective.to_string(),
            name: primary_name(&d.record()),
            fields,
        };
        let amendment = Amendment {
            authority: key.authority().to_owned(),
            id: key.id().to_owned(),
            effective,
            patch,
            reason: Some(format!("varied in the {} list of {report_date}", self.snapshot.authority)),
            published: None,
            note: None,
            import: Some(self.provenance.clone()),
        };
        self.push(InputEvent::Amendment(amendment), listed.location.clone(), &d.regime.code, Slot::Amendment, change);
        Ok(())
    }

    /// A delisting, effective on the report date, of every key still in force that the list lacks.
    fn delist_absent(&mut self, absent: &BTreeMap<Key, KeyIndex>) -> Result<()> {
        let report_date = self.snapshot.report_date;
        for (key, index) in absent {
            let s = standing(&index.entries, self.when);
            let setters = self.setters(&s.episode)?;
            // A designation made by hand that no list has shown yet (the list may not have
            // caught up with the press release it was entered from).
            if !setters.any_imported()
                && let Some(designation) = s.designation()
            {
                self.out.hand_entered.push(HandEntered {
                    key: key.to_string(),
                    field: "status".into(),
                    old: Some(format!("designated by hand (effective {})", designation.effective_text())),
                    new: Some("delisted".into()),
                    seq: designation.seq,
                });
            }
            let name = self.reader.record(&s)?.as_ref().map(primary_name).unwrap_or_default();
            let delisting = Delisting {
                authority: key.authority().to_owned(),
                id: key.id().to_owned(),
                effective: Effective::Date(report_date.0),
                reason: Some(format!("absent from the {} list of {report_date}", self.snapshot.authority)),
                published: None,
                note: None,
                import: Some(self.provenance.clone()),
            };
            let change = KeyChange {
                key: key.to_string(),
                action: "delisted".into(),
                effective: delisting.effective.to_string(),
                name,
                fields: Vec::new(),
            };
            self.push(
                InputEvent::Delisting(delisting),
                format!("{key} (not in the list)"),
                &index.regime,
                Slot::Delisting,
                change,
            );
        }
        Ok(())
    }
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
        assert!(DelistLimit::Percent(25.0).allows_amendments(1, 1), "one amendment is never a change of format");
        assert!(!DelistLimit::Percent(25.0).allows_amendments(2, 4));
        assert!(!DelistLimit::Percent(0.0).allows_amendments(1, 100));
        assert!(!DelistLimit::Percent(5.0).allows(1, 7), "one delisting of seven may be a truncated list");
    }
}
