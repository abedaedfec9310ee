//! The point-in-time commands: state, show, history, diff and search.
//!
//! One meaning for "not found", whatever the format: a key the ledger holds is answered with an
//! explicit status (active, delisted, absent) and exit 0; a key it has never held (status
//! unknown), a search with no match, or a `state` filter naming an authority or regime it has
//! never held is answered all the same (the empty answer, naming its head) and exits 1, with a
//! line on stderr saying what was not found.

use std::io::Write;

use ledger_core::chain::Head;
use ledger_core::event::Key;
use ledger_core::ops::ask::{self, SearchName, Span};
use ledger_core::projection::Status;
use ledger_core::query::{CountOutput, DiffOutput, HistoryOutput, SearchOutput, ShowOutput, StateFilter, StateOutput};
use ledger_core::seq::Seq;
use ledger_core::time::{AsOf, Point};
use ledger_core::view::View;
use serde::Serialize;
use serde_json::Value;

use crate::cli::Format;
use crate::output::{self, Cell, Table};
use crate::{Failure, exit};

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

fn provenance(out: &mut impl Write, head: &Head, at: Option<&str>, as_of: &str) -> Result<(), Failure> {
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

/// An answer, and what was not found when it is the empty answer for something the ledger has
/// never held (a key, a name, an authority or regime): the message the command fails with (exit
/// 1), after printing the answer. Asked of the ledger here, or of a server ([`crate::remote`]);
/// printed the same way either way.
#[derive(Debug)]
pub struct Found<T> {
    /// The answer.
    pub answer: T,
    /// What was not found, if anything.
    pub missing: Option<String>,
}

impl<T> Found<T> {
    /// An answer that found what it was asked for.
    pub fn ok(answer: T) -> Found<T> {
        Found { answer, missing: None }
    }
}

/// After an answer is printed: exit 0, or exit 1 with the message of what was not found.
fn finish(out: &mut impl Write, missing: Option<String>) -> Result<u8, Failure> {
    match missing {
        None => Ok(exit::OK),
        Some(message) => {
            out.flush()?;
            Err(Failure::new(exit::FAILED, message))
        }
    }
}

/// `ledger state`, asked of the ledger: the whole list, and whether its empty answer names an
/// authority or regime no designation in the ledger has ever had (a typo, most likely).
pub fn state(view: &View, point: Point, filter: &StateFilter) -> Result<Found<StateOutput>, Failure> {
    let answer = ask::state(view, point, filter)?;
    let missing = ask::unheld_filter(view, filter, answer.count)?;
    Ok(Found { answer, missing })
}

/// `ledger state --count`, asked of the ledger.
pub fn count(view: &View, point: Point, filter: &StateFilter) -> Result<Found<CountOutput>, Failure> {
    let answer = ask::count(view, point, filter)?;
    let missing = ask::unheld_filter(view, filter, answer.count)?;
    Ok(Found { answer, missing })
}

/// Prints `ledger state --count`.
pub fn print_count(out: &mut impl Write, format: Format, c: Found<CountOutput>) -> Result<u8, Failure> {
    match format {
        Format::Json => json(out, &c.answer)?,
        Format::Table | Format::Csv => writeln!(out, "{}", c.answer.count)?,
    }
    finish(out, c.missing)
}

/// Prints `ledger state` (the delisted column with `--include-delisted`).
pub fn print_state(
    out: &mut impl Write,
    format: Format,
    include_delisted: bool,
    found: Found<StateOutput>,
) -> Result<u8, Failure> {
    let s = &found.answer;
    if format == Format::Json {
        json(out, s)?;
        return finish(out, found.missing);
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
    finish(out, found.missing)
}

/// `ledger show KEY`, asked of the ledger: a key it has never held has status unknown.
pub fn show(view: &View, key: &Key, point: Point) -> Result<Found<ShowOutput>, Failure> {
    let answer = ask::show(view, key, point)?;
    let missing = if answer.status == Status::Unknown { Some(ask::not_held(view, key)?) } else { None };
    Ok(Found { answer, missing })
}

/// Prints `ledger show KEY`.
pub fn print_show(out: &mut impl Write, format: Format, found: Found<ShowOutput>) -> Result<u8, Failure> {
    no_csv(format, "show")?;
    let s = &found.answer;
    if format == Format::Json {
        json(out, s)?;
    } else {
        print_designation(out, s)?;
        provenance(out, &s.head, Some(&s.at), &s.as_of)?;
    }
    finish(out, found.missing)
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
        // A list that publishes no designation date (OFAC's legacy CSV, an EU entity without
        // one): the date shown is when the list first showed it, or the act's, and it says so.
        if let Some(basis) = r.other.as_ref().and_then(|o| o.get("effective_from")).and_then(Value::as_str) {
            row("date basis", basis.to_owned().into());
        }
    }
    if !s.events.is_empty() {
        row("events", s.events.iter().map(Seq::to_string).collect::<Vec<_>>().join(", ").into());
    }
    t.write_text(out)?;
    Ok(())
}

/// `ledger history KEY`, asked of the ledger.
pub fn history(view: &View, key: &Key, as_of: AsOf) -> Result<Found<HistoryOutput>, Failure> {
    let h = ask::history(view, key, as_of)?;
    let missing = if h.held { None } else { Some(ask::not_held(view, key)?) };
    Ok(Found { answer: h.answer, missing })
}

/// Prints `ledger history KEY`.
pub fn print_history(out: &mut impl Write, format: Format, found: Found<HistoryOutput>) -> Result<u8, Failure> {
    no_csv(format, "history")?;
    if format == Format::Json {
        json(out, &found.answer)?;
    } else {
        history_table(out, &found.answer)?;
    }
    finish(out, found.missing)
}

fn history_table(out: &mut impl Write, h: &HistoryOutput) -> Result<(), Failure> {
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
        if let Some(basis) = r.event.pointer("/other/effective_from").and_then(Value::as_str) {
            notes.push(format!("date basis: {basis}"));
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

/// `ledger diff`, asked of the ledger.
pub fn diff(view: &View, span: Span, as_of: AsOf) -> Result<Found<DiffOutput>, Failure> {
    Ok(Found::ok(ask::diff(view, span, as_of)?))
}

/// Prints `ledger diff`.
pub fn print_diff(out: &mut impl Write, format: Format, found: Found<DiffOutput>) -> Result<u8, Failure> {
    let d = &found.answer;
    if format == Format::Json {
        json(out, d)?;
        return finish(out, found.missing);
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
    finish(out, found.missing)
}

/// `ledger search NAME`, asked of the ledger: nothing matching is "not found".
pub fn search(view: &View, name: &SearchName, point: Point) -> Result<Found<SearchOutput>, Failure> {
    let answer = ask::search(view, name, point)?;
    let missing = answer.matches.is_empty().then(|| ask::no_match(&answer, name));
    Ok(Found { answer, missing })
}

/// Prints `ledger search NAME`: exit 1 when nothing matches.
pub fn print_search(out: &mut impl Write, format: Format, found: Found<SearchOutput>) -> Result<u8, Failure> {
    let s = &found.answer;
    if format == Format::Json {
        json(out, s)?;
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
    debug_assert!(s.matches.iter().all(|m| m.status != Status::Absent));
    finish(out, found.missing)
}
