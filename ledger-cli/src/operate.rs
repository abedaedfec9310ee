//! The operator commands: `designate`, `amend`, `delist` and `retract`. Each builds the same input
//! event that `append` takes, checks it the same way, shows it and its effect, and appends it.

use std::io::{BufRead, IsTerminal, Write};

use ledger_core::chain::Head;
use ledger_core::event::{
    Amendment, DateOfBirth, Delisting, Designation, InputEvent, Key, Name, NameType, Record, Regime, Retraction,
    Source, Subject, check_measure,
};
use ledger_core::input::Numbered;
use ledger_core::lifecycle::{KeyEntry, RetractedBy};
use ledger_core::projection::{Reader, Status, When, standing};
use ledger_core::query::{self, HeadRef, ShowOutput};
use ledger_core::time::{Clock, Effective, Micros, format_instant};
use ledger_core::{Error, Ledger, patch};
use serde_json::{Map, Value, json};

use crate::cli::{AmendArgs, DelistArgs, DesignateArgs, Format, RetractArgs, WriteArgs};
use crate::output;
use crate::queries::print_designation;
use crate::{Failure, exit};

/// Who and when: what every write needs to prepare its event.
pub struct Context<'a> {
    /// The open ledger.
    pub ledger: &'a Ledger,
    /// The recorded actor.
    pub actor: &'a str,
    /// The clock.
    pub clock: &'a dyn Clock,
    /// The output format.
    pub format: Format,
}

/// Checks a `--measure` flag: a known measure, or `custom:CODE` for an unlisted one, recorded as
/// written (`custom:port_ban`) so that a reader can tell it from the vocabulary. The rule is the
/// ledger's own ([`check_measure`]), the one every event meets; a flag that breaks it is a usage
/// error.
fn measure(m: &str) -> Result<String, Failure> {
    check_measure(m).map_err(|e| Failure::new(exit::USAGE, format!("--measure {e}")))?;
    Ok(m.to_owned())
}

fn refused(key: &Key, e: Error) -> Failure {
    match e {
        Error::Input(l) => {
            let field = l.field.as_ref().map(|f| format!(", field `{f}`")).unwrap_or_default();
            Failure::new(
                exit::DATA,
                format!("{}{field}: {}\n  nothing was written", l.key.unwrap_or(key.to_string()), l.reason),
            )
        }
        e => e.into(),
    }
}

/// `ledger designate`.
pub fn designate(cx: &Context, out: &mut impl Write, a: &DesignateArgs) -> Result<Pending, Failure> {
    let reason = match (&a.reason, &a.reason_file) {
        (Some(r), _) => Some(r.clone()),
        (None, Some(path)) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| Failure::new(exit::NO_LEDGER, format!("cannot read {}: {e}", path.display())))?
                .trim_end()
                .to_owned(),
        ),
        (None, None) => None,
    };
    let name = |name: &str, name_type| Name { name: name.to_owned(), name_type, quality: None, script: None };
    let mut names = vec![name(&a.name, NameType::Primary)];
    names.extend(a.name_variation.iter().map(|n| name(n, NameType::Variation)));
    names.extend(a.alias.iter().map(|n| name(n, NameType::Alias)));
    let d = Designation {
        authority: a.key.authority.clone(),
        id: a.key.id.clone(),
        effective: a.effective,
        regime: Regime { code: a.regime.clone(), name: a.regime_name.clone() },
        subject: Subject {
            kind: a.kind.into(),
            names,
            title: None,
            dates_of_birth: a
                .dob
                .iter()
                .map(|d| DateOfBirth { date: d.clone(), to: None, approximate: false })
                .collect(),
            places_of_birth: Vec::new(),
            nationalities: a.nationality.clone(),
            gender: None,
            position: None,
            addresses: Vec::new(),
            identifiers: Vec::new(),
        },
        measures: a.measure.iter().map(|m| measure(m)).collect::<Result<_, _>>()?,
        reason,
        source: a.source_url.as_ref().map(|url| Source {
            url: Some(url.clone()),
            published: None,
            document_hash: None,
        }),
        other: None,
        published: a.published,
        note: a.write.note.clone(),
        import: None,
    };
    let record = d.record();
    prepare(cx, out, &a.key, InputEvent::Designation(d), &a.write, |seq| {
        Ok(Some(After {
            status: Status::Active,
            at: a.effective,
            record: Some(record),
            events: vec![seq],
            designated: Some(a.effective.to_string()),
            delisted: None,
        }))
    })
}

/// The designation's state at `at`, as the ledger knows it now; `None` for a key it never held.
fn before(ledger: &Ledger, key: &Key, at: Effective) -> Result<Option<ShowOutput>, Failure> {
    match query::show(ledger, key, When { at: at.micros(), as_of: Micros::MAX }) {
        Ok(s) => Ok(Some(s)),
        Err(Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// `ledger amend`.
pub fn amend(cx: &Context, out: &mut impl Write, a: &AmendArgs) -> Result<Pending, Failure> {
    let base = before(cx.ledger, &a.key, a.effective)?;
    let Some((base, record)) =
        base.and_then(|b| b.record.clone().filter(|_| b.status == Status::Active).map(|r| (b, r)))
    else {
        return Err(Failure::new(
            exit::DATA,
            format!("{}: not in force on {}, so there is nothing to amend\n  nothing was written", a.key, a.effective),
        ));
    };
    let old = serde_json::to_value(&record).map_err(|e| Failure::new(exit::INTERNAL, e.to_string()))?;
    let mut patch = match &a.patch {
        None => Map::new(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Failure::new(exit::NO_LEDGER, format!("cannot read {}: {e}", path.display())))?;
            match ledger_core::canonical::parse_unique(text.as_bytes()) {
                Ok(Value::Object(m)) => m,
                Ok(_) => {
                    return Err(Failure::new(
                        exit::DATA,
                        format!("{}: a merge patch must be a JSON object", path.display()),
                    ));
                }
                Err(e) => {
                    return Err(Failure::new(
                        exit::DATA,
                        format!("{}: malformed JSON: {e}\n  nothing was written", path.display()),
                    ));
                }
            }
        }
    };
    let mut new = old.clone();
    patch::merge(&mut new, &Value::Object(patch.clone()));
    if !a.add_alias.is_empty() || !a.remove_name.is_empty() {
        let mut names: Vec<Value> = new["subject"]["names"].as_array().cloned().unwrap_or_default();
        for r in &a.remove_name {
            let before = names.len();
            names.retain(|n| n["name"] != r.as_str());
            if names.len() == before {
                return Err(Failure::new(
                    exit::DATA,
                    format!("{}: has no name `{r}` to remove\n  nothing was written", a.key),
                ));
            }
        }
        for alias in &a.add_alias {
            if names.iter().any(|n| n["name"] == alias.as_str()) {
                return Err(Failure::new(
                    exit::DATA,
                    format!("{}: already has the name `{alias}`\n  nothing was written", a.key),
                ));
            }
            names.push(json!({"name": alias, "type": "alias"}));
        }
        set(&mut patch, &["subject", "names"], Value::Array(names));
    }
    if !a.add_measure.is_empty() || !a.remove_measure.is_empty() {
        let mut measures: Vec<Value> = new["measures"].as_array().cloned().unwrap_or_default();
        for m in &a.remove_measure {
            let before = measures.len();
            measures.retain(|x| x != m.as_str());
            if measures.len() == before {
                return Err(Failure::new(
                    exit::DATA,
                    format!("{}: has no measure `{m}` to remove\n  nothing was written", a.key),
                ));
            }
        }
        for m in &a.add_measure {
            let code = measure(m)?;
            if !measures.iter().any(|x| *x == code.as_str()) {
                measures.push(Value::String(code));
            }
        }
        set(&mut patch, &["measures"], Value::Array(measures));
    }
    if let Some(r) = &a.set_reason {
        set(&mut patch, &["reason"], Value::String(r.clone()));
    }
    let mut after = old.clone();
    patch::merge(&mut after, &Value::Object(patch.clone()));
    if after == old {
        return Err(Failure::new(
            exit::DATA,
            format!(
                "{}: the amendment changes nothing in the record as it stands on {}\n  nothing was written",
                a.key, a.effective
            ),
        ));
    }
    let event = InputEvent::Amendment(Amendment {
        authority: a.key.authority.clone(),
        id: a.key.id.clone(),
        effective: a.effective,
        patch,
        reason: Some(a.reason.clone()),
        published: None,
        note: a.write.note.clone(),
        import: None,
    });
    let new_record: Option<Record> = serde_json::from_value(after).ok();
    prepare(cx, out, &a.key, event, &a.write, |seq| {
        let mut events = base.events.clone();
        events.push(seq);
        Ok(Some(After {
            status: Status::Active,
            at: a.effective,
            record: new_record,
            events,
            designated: base.designated.clone(),
            delisted: None,
        }))
    })
}

/// Sets `patch[path...] = value`, creating objects on the way.
fn set(patch: &mut Map<String, Value>, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut m = patch;
    for p in parents {
        let slot = m.entry(p.to_string()).or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(inner) = slot else { return };
        m = inner;
    }
    m.insert(last.to_string(), value);
}

/// `ledger delist`.
pub fn delist(cx: &Context, out: &mut impl Write, a: &DelistArgs) -> Result<Pending, Failure> {
    let base = before(cx.ledger, &a.key, a.effective)?;
    let event = InputEvent::Delisting(Delisting {
        authority: a.key.authority.clone(),
        id: a.key.id.clone(),
        effective: a.effective,
        reason: Some(a.reason.clone()),
        published: None,
        note: a.write.note.clone(),
        import: None,
    });
    prepare(cx, out, &a.key, event, &a.write, |seq| {
        // The check passed, so the key was in force at the delisting.
        let Some(base) = base else { return Ok(None) };
        let mut events = base.events.clone();
        events.push(seq);
        Ok(Some(After {
            status: Status::Delisted,
            at: a.effective,
            record: base.record.clone(),
            events,
            designated: base.designated.clone(),
            delisted: Some(a.effective.to_string()),
        }))
    })
}

/// `ledger retract`.
pub fn retract(cx: &Context, out: &mut impl Write, a: &RetractArgs) -> Result<Pending, Failure> {
    let target = cx.ledger.event(a.seq)?;
    let key = target.as_ref().and_then(|t| t.event.key());
    let shown_key = key.clone().unwrap_or(Key { authority: "-".into(), id: format!("event {}", a.seq) });
    let event = InputEvent::Retraction(Retraction {
        target: a.seq,
        reason: a.reason.clone(),
        published: None,
        note: a.write.note.clone(),
    });
    let now = cx.clock.now();
    prepare(cx, out, &shown_key, event, &a.write, |seq| {
        let Some(key) = &key else { return Ok(None) };
        let Some(index) = cx.ledger.key_index(key)? else { return Ok(None) };
        // The key's standing now, with the target withdrawn.
        let entries: Vec<KeyEntry> = index
            .entries
            .iter()
            .map(|e| {
                if e.seq == a.seq {
                    KeyEntry { retracted_by: Some(RetractedBy { seq, recorded_at: Micros::MIN }), ..*e }
                } else {
                    *e
                }
            })
            .collect();
        let s = standing(&entries, When { at: now, as_of: Micros::MAX });
        let record = Reader::new(cx.ledger).record(&s)?;
        let effective_of = |e: Option<&KeyEntry>| -> Result<Option<String>, Error> {
            let Some(e) = e else { return Ok(None) };
            let written = cx.ledger.event(e.seq)?.and_then(|r| r.event.effective());
            Ok(Some(written.map(|x| x.to_string()).unwrap_or_else(|| format_instant(e.effective))))
        };
        Ok(Some(After {
            status: s.status,
            at: Effective::Instant(now),
            record,
            events: s.episode.iter().map(|e| e.seq).collect(),
            designated: effective_of(s.designation())?,
            delisted: effective_of(s.delisting())?,
        }))
    })
}

/// The designation as it will stand once the event is appended.
struct After {
    status: Status,
    at: Effective,
    record: Option<Record>,
    events: Vec<u64>,
    designated: Option<String>,
    delisted: Option<String>,
}

/// An event checked against the ledger and shown with its effect, waiting to be appended.
pub struct Pending {
    key: Key,
    batch: [Numbered<InputEvent>; 1],
    input: Value,
    after: Option<ShowOutput>,
    /// The head the event was checked against.
    checked_at: Head,
    dry_run: bool,
    yes: bool,
}

/// Checks the event against the ledger and shows it and its effect: everything that needs the
/// ledger before the question is asked.
fn prepare(
    cx: &Context,
    out: &mut impl Write,
    key: &Key,
    event: InputEvent,
    w: &WriteArgs,
    after: impl FnOnce(u64) -> Result<Option<After>, Error>,
) -> Result<Pending, Failure> {
    let batch = [Numbered { line: 1, event }];
    let checked_at = cx.ledger.head()?;
    let preview = cx.ledger.check(&batch, cx.actor, cx.clock).map_err(|e| refused(key, e))?;
    let rec = preview.first().ok_or_else(|| Failure::new(exit::INTERNAL, "an empty preview"))?;
    let after = after(rec.seq)?.map(|a| ShowOutput {
        head: HeadRef { seq: rec.seq, hash: rec.hash },
        at: a.at.to_string(),
        as_of: rec.recorded_at.to_string(),
        key: key.to_string(),
        status: a.status,
        designated: a.designated,
        delisted: a.delisted,
        events: a.events,
        record: a.record,
    });
    let input = serde_json::to_value(&batch[0].event).map_err(|e| Failure::new(exit::INTERNAL, e.to_string()))?;
    match cx.format {
        Format::Json => {}
        Format::Table | Format::Csv => {
            writeln!(out, "event {} to append:", rec.seq)?;
            // JSON escapes control characters but not bidi overrides: escape for the terminal.
            writeln!(out, "{}", output::escape_lines(&serde_json::to_string_pretty(&input).unwrap_or_default()))?;
            if let Some(a) = &after {
                writeln!(out, "\n{} as it will stand at {}, once event {} is recorded:", a.key, a.at, rec.seq)?;
                print_designation(out, a)?;
            }
        }
    }
    crate::caution::settle_event(out, &batch, cx.clock.now(), w)?;
    Ok(Pending { key: key.clone(), batch, input, after, checked_at, dry_run: w.dry_run, yes: w.yes })
}

impl Pending {
    /// Asks (at a terminal) and appends. The question is asked with the ledger closed, so that an
    /// operator who walks away from it locks no one out; the ledger is then opened again and the
    /// event checked again against its head, as every append is, before it is written.
    pub fn finish(
        self,
        ledger: Ledger,
        reopen: impl FnOnce() -> Result<Ledger, Failure>,
        actor: &str,
        clock: &dyn Clock,
        format: Format,
        out: &mut impl Write,
    ) -> Result<u8, Failure> {
        let mut appended = None;
        if !self.dry_run {
            out.flush()?;
            let ledger = if !self.yes && std::io::stdin().is_terminal() {
                drop(ledger);
                if !confirm()? {
                    writeln!(out, "not appended: nothing was written")?;
                    return Ok(exit::OK);
                }
                reopen()?
            } else {
                ledger
            };
            let head = ledger.head()?;
            if head != self.checked_at && format != Format::Json {
                writeln!(
                    out,
                    "the ledger changed while the event waited (head {} → {}): it is checked again against the new head",
                    self.checked_at.seq, head.seq
                )?;
            }
            let done = ledger.append(&self.batch, actor, clock).map_err(|e| refused(&self.key, e))?;
            crate::committed(&done.head);
            appended = Some(done.head);
        }
        match format {
            Format::Json => {
                let v = json!({
                    "event": self.input,
                    "after": self.after,
                    "dry_run": self.dry_run,
                    "head": appended.map(|h| json!({"seq": h.seq, "hash": h.hash.to_hex()})),
                });
                output::write_json(out, &v)?;
            }
            Format::Table | Format::Csv => match appended {
                Some(h) => writeln!(out, "\nappended event {}; head {} {}", h.seq, h.seq, h.hash)?,
                None => writeln!(out, "\ndry run: nothing was written")?,
            },
        }
        Ok(exit::OK)
    }
}

fn confirm() -> Result<bool, Failure> {
    eprint!("append this event? [y/N] ");
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}
