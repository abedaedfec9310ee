//! The point-in-time commands: state, show, history, diff and search.
//!
//! One meaning for "not found", whatever the format: a key the ledger holds is answered with an
//! explicit status (active, delisted, absent) and exit 0; a key it has never held (status
//! unknown), a search with no match, or a `state` filter naming an authority or regime it has
//! never held is answered all the same (the empty answer, naming its head) and exits 1, with a
//! line on stderr saying what was not found.

use std::collections::BTreeSet;
use std::io::Write;

use ledger_core::Error;
use ledger_core::event::Key;
use ledger_core::projection::{Status, When};
use ledger_core::query::{self, HeadRef, ShowOutput, StateFilter};
use ledger_core::time::Micros;
use serde::Serialize;
use serde_json::Value;

use crate::cli::{Format, Kind, TimeArgs};
use crate::output::{self, Cell, Table};
use crate::{Failure, exit};

/// Fills in the axes the command line left out.
pub fn when(t: &TimeArgs, defaults: When) -> When {
    When { at: t.at.unwrap_or(defaults.at), as_of: t.as_of.unwrap_or(defaults.as_of) }
}

fn json(out: &mut impl Write, v: &impl Serialize) -> Result<(), Failure> {
    serde_json::to_writer_pretty(&mut *out, v).map_err(|e| Failure::new(exit::IO, format!("writing output: {e}")))?;
    Ok(writeln!(out)?)
}

fn table_or_csv(out: &mut impl Write, t: &Table, format: Format) -> Result<(), Failure> {
    if format == Format::Csv {
        t.write_csv(out)?
    } else {
        t.write_text(out)?
    }
    Ok(())
}

fn provenance(out: &mut impl Write, head: &HeadRef, at: Option<&str>, as_of: &str) -> Result<(), Failure> {
    let at = at.map(|a| format!("in force at {a}, ")).unwrap_or_default();
    writeln!(out, "({at}as recorded by {as_of}; ledger head {} {})", head.seq, output::short(&head.hash.to_hex()))?;
    Ok(())
}

/// Refuses CSV where the output is not a table.
pub fn no_csv(format: Format, command: &str) -> Result<(), Failure> {
    if format == Format::Csv {
        return Err(Failure::new(exit::USAGE, format!("`{command}` prints --format table or json, not csv")));
    }
    Ok(())
}

/// `ledger state`.
#[allow(clippy::too_many_arguments)]
pub fn state(
    ledger: &ledger_core::Ledger,
    out: &mut impl Write,
    format: Format,
    when: When,
    authority: Option<String>,
    regime: Option<String>,
    kind: Option<Kind>,
    include_delisted: bool,
    count: bool,
) -> Result<u8, Failure> {
    let filter = StateFilter { authority, regime, kind: kind.map(Into::into), include_delisted };
    if count {
        let c = query::count(ledger, when, &filter)?;
        match format {
            Format::Json => json(out, &c)?,
            Format::Table | Format::Csv => writeln!(out, "{}", c.count)?,
        }
        return unheld_filter(ledger, out, &filter, c.count);
    }
    let s = query::state(ledger, when, &filter)?;
    if format == Format::Json {
        json(out, &s)?;
        return unheld_filter(ledger, out, &filter, s.count);
    }
    // The delisted column only when delisted keys can be listed.
    let mut header = vec!["key", "status", "regime", "kind", "designated"];
    if include_delisted {
        header.push("delisted");
    }
    header.push("name");
    let mut t = Table::new(&header);
    for r in &s.designations {
        // The status's colour shows in a table at a terminal only, never in CSV.
        let mut row: Vec<Cell> = vec![
            r.key.clone().into(),
            output::paint_status(r.status),
            r.regime.clone().into(),
            r.kind.as_str().into(),
            r.designated.clone().into(),
        ];
        if include_delisted {
            row.push(r.delisted.clone().unwrap_or_default().into());
        }
        row.push(r.name.clone().into());
        t.row(row);
    }
    table_or_csv(out, &t, format)?;
    if format == Format::Table {
        writeln!(out, "{} designation{}", s.count, if s.count == 1 { "" } else { "s" })?;
        provenance(out, &s.head, Some(&s.at), &s.as_of)?;
    }
    unheld_filter(ledger, out, &filter, s.count)
}

/// After an empty `state` answer: exit 1 when its --authority or --regime names something no
/// designation in the ledger has ever had (a typo, most likely); exit 0 otherwise.
fn unheld_filter(
    ledger: &ledger_core::Ledger,
    out: &mut impl Write,
    filter: &StateFilter,
    listed: usize,
) -> Result<u8, Failure> {
    let (authority, regime) = (filter.authority.as_deref(), filter.regime.as_deref());
    if listed > 0 || (authority.is_none() && regime.is_none()) {
        return Ok(exit::OK);
    }
    let pairs = query::held_regimes(ledger)?;
    let authority_ok = |a: &str| authority.is_none_or(|x| x.eq_ignore_ascii_case(a));
    let regime_ok = |r: &str| regime.is_none_or(|x| x.eq_ignore_ascii_case(r));
    if pairs.iter().any(|(a, r)| authority_ok(a) && regime_ok(r)) {
        return Ok(exit::OK);
    }
    let authorities: BTreeSet<&str> = pairs.iter().map(|(a, _)| a.as_str()).collect();
    let regimes: BTreeSet<&str> = pairs.iter().filter(|(a, _)| authority_ok(a)).map(|(_, r)| r.as_str()).collect();
    let message = match (authority, regime) {
        (Some(a), _) if !authorities.iter().any(|x| authority_ok(x)) => {
            format!("no designation in the ledger has authority `{a}`; it holds {}", listing(&authorities))
        }
        (Some(a), Some(r)) => format!(
            "no designation of authority {} in the ledger has regime `{r}`; its regimes are {}",
            a.to_ascii_uppercase(),
            listing(&regimes)
        ),
        (None, Some(r)) => format!("no designation in the ledger has regime `{r}`; it holds {}", listing(&regimes)),
        (_, None) => return Ok(exit::OK),
    };
    out.flush()?;
    Err(Failure::new(exit::FAILED, message))
}

/// Some codes, for a message.
fn listing(codes: &BTreeSet<&str>) -> String {
    const SHOWN: usize = 20;
    if codes.is_empty() {
        return "none (it holds no designation at all)".to_owned();
    }
    let mut s = codes.iter().take(SHOWN).copied().collect::<Vec<_>>().join(", ");
    if codes.len() > SHOWN {
        s.push_str(&format!(" and {} more", codes.len() - SHOWN));
    }
    s
}

/// The failure for a key the ledger has never held, suggesting the key meant when only the
/// case of its id differs.
fn not_held(ledger: &ledger_core::Ledger, key: &Key) -> Result<Failure, Failure> {
    let near = query::near(ledger, key)?;
    let mut message = format!("{key} is not in the ledger: no event of it was ever recorded");
    if !near.same_but_case.is_empty() {
        let keys: Vec<String> = near.same_but_case.iter().map(Key::to_string).collect();
        message.push_str(&format!("; did you mean {}?", keys.join(" or ")));
    } else if !near.authority_held {
        message.push_str(&format!("; the ledger holds no designation of authority {}", key.authority));
    }
    Ok(Failure::new(exit::FAILED, message))
}

/// `ledger show KEY`.
pub fn show(
    ledger: &ledger_core::Ledger,
    out: &mut impl Write,
    format: Format,
    key: &Key,
    when: When,
) -> Result<u8, Failure> {
    no_csv(format, "show")?;
    let s = match query::show(ledger, key, when) {
        Ok(s) => s,
        Err(Error::NotFound { .. }) => query::show_unknown(ledger, key, when)?,
        Err(e) => return Err(e.into()),
    };
    if format == Format::Json {
        json(out, &s)?;
    } else {
        print_designation(out, &s)?;
        provenance(out, &s.head, Some(&s.at), &s.as_of)?;
    }
    if s.status == Status::Unknown {
        out.flush()?;
        return Err(not_held(ledger, key)?);
    }
    Ok(exit::OK)
}

/// Prints one designation as `show` does, as key-value lines.
pub fn print_designation(out: &mut impl Write, s: &ShowOutput) -> Result<(), Failure> {
    let mut t = Table::new(&["", ""]);
    let mut row = |k: &str, v: Cell| t.row(vec![Cell::from(k), v]);
    row("key", s.key.clone().into());
    row("status", output::paint_status(s.status));
    if let Some(d) = &s.designated {
        row("designated", d.clone().into());
    }
    if let Some(d) = &s.delisted {
        row("delisted", d.clone().into());
    }
    if let Some(r) = &s.record {
        row(
            "regime",
            format!("{}{}", r.regime.code, r.regime.name.as_ref().map(|n| format!(" ({n})")).unwrap_or_default())
                .into(),
        );
        row("kind", r.subject.kind.as_str().into());
        for n in &r.subject.names {
            let quality = n.quality.map(|q| {
                format!(", {} quality", if q == ledger_core::event::AliasQuality::Good { "good" } else { "low" })
            });
            row("name", format!("{} ({}{})", n.name, n.name_type.as_str(), quality.unwrap_or_default()).into());
        }
        for d in &r.subject.dates_of_birth {
            row("born", d.date.clone().into());
        }
        for n in &r.subject.nationalities {
            row("nationality", n.clone().into());
        }
        row("measures", r.measures.join(", ").into());
        if let Some(reason) = &r.reason {
            row("reason", reason.clone().into());
        }
    }
    if !s.events.is_empty() {
        row("events", s.events.iter().map(u64::to_string).collect::<Vec<_>>().join(", ").into());
    }
    t.write_text(out)?;
    Ok(())
}

/// `ledger history KEY`.
pub fn history(
    ledger: &ledger_core::Ledger,
    out: &mut impl Write,
    format: Format,
    key: &Key,
    as_of: Micros,
) -> Result<u8, Failure> {
    no_csv(format, "history")?;
    let (h, held) = match query::history(ledger, key, as_of) {
        Ok(h) => (h, true),
        Err(Error::NotFound { .. }) => (query::history_unknown(ledger, key, as_of)?, false),
        Err(e) => return Err(e.into()),
    };
    if format == Format::Json {
        json(out, &h)?;
    } else {
        history_table(out, &h)?;
    }
    if !held {
        out.flush()?;
        return Err(not_held(ledger, key)?);
    }
    Ok(exit::OK)
}

fn history_table(out: &mut impl Write, h: &query::HistoryOutput) -> Result<(), Failure> {
    let mut t = Table::new(&["seq", "type", "effective", "recorded_at", "actor", "notes"]);
    for r in &h.events {
        let mut notes = Vec::new();
        if let Some(by) = r.retracted_by {
            notes.push(format!("retracted by {by}"));
        }
        if let Some(target) = r.retracts {
            notes.push(format!("retracts {target}"));
        }
        if r.backdated {
            notes.push("backdated".to_owned());
        }
        if let Some(reason) = r.event.get("reason").and_then(Value::as_str)
            && r.event_type != "designation"
        {
            notes.push(reason.to_owned());
        }
        t.row(vec![
            r.seq.to_string(),
            r.event_type.clone(),
            r.effective.clone().unwrap_or_default(),
            r.recorded_at.clone(),
            r.actor.clone(),
            notes.join("; "),
        ]);
    }
    t.write_text(out)?;
    provenance(out, &h.head, None, &h.as_of)?;
    Ok(())
}

/// `ledger diff`.
pub fn diff(
    ledger: &ledger_core::Ledger,
    out: &mut impl Write,
    format: Format,
    from: Micros,
    to: Micros,
    as_of: Micros,
) -> Result<u8, Failure> {
    if from > to {
        return Err(Failure::new(exit::USAGE, "--from must not be later than --to"));
    }
    let d = query::diff(ledger, from, to, as_of)?;
    if format == Format::Json {
        json(out, &d)?;
        return Ok(exit::OK);
    }
    let mut t = Table::new(&["change", "key", "effective", "name", "field", "old", "new"]);
    let text = |v: &Option<Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_default();
    for (what, list) in [("designated", &d.designated), ("delisted", &d.delisted), ("amended", &d.amended)] {
        for c in list {
            let base = vec![what.to_owned(), c.key.clone(), c.effective.clone(), c.name.clone()];
            if c.changes.is_empty() {
                t.row([base.clone(), vec![String::new(), String::new(), String::new()]].concat());
            }
            for f in &c.changes {
                t.row([base.clone(), vec![f.field.clone(), text(&f.old), text(&f.new)]].concat());
            }
        }
    }
    table_or_csv(out, &t, format)?;
    if format == Format::Table {
        writeln!(
            out,
            "{} designated, {} delisted, {} amended between {} and {}",
            d.designated.len(),
            d.delisted.len(),
            d.amended.len(),
            d.from,
            d.to
        )?;
        provenance(out, &d.head, None, &d.as_of)?;
    }
    Ok(exit::OK)
}

/// `ledger search NAME`: exit 1 when nothing matches.
pub fn search(
    ledger: &ledger_core::Ledger,
    out: &mut impl Write,
    format: Format,
    name: &str,
    when: When,
) -> Result<u8, Failure> {
    if ledger_core::names::tokens(name).is_empty() {
        return Err(Failure::new(
            exit::USAGE,
            format!("search `{name}`: a name needs at least one letter or digit to match"),
        ));
    }
    let s = query::search(ledger, name, when)?;
    if format == Format::Json {
        json(out, &s)?;
    } else {
        let mut t = Table::new(&["key", "name", "name_type", "status", "regime"]);
        for m in &s.matches {
            t.row(vec![
                m.key.clone(),
                m.name.clone(),
                m.name_type.as_str().to_owned(),
                m.status.as_str().to_owned(),
                m.regime.clone(),
            ]);
        }
        table_or_csv(out, &t, format)?;
        if format == Format::Table {
            provenance(out, &s.head, Some(&s.at), &s.as_of)?;
        }
    }
    if s.matches.is_empty() {
        out.flush()?;
        return Err(Failure::new(
            exit::FAILED,
            format!(
                "no designation in force or delisted at {}, as recorded by {}, has a name matching `{name}`",
                s.at, s.as_of
            ),
        ));
    }
    debug_assert!(s.matches.iter().all(|m| m.status != Status::Absent));
    Ok(exit::OK)
}
