//! `ledger import`: read a published list, reconcile it with the ledger, append the difference.

use std::io::{Read, Write};
use std::path::Path;

use ledger_core::import::reconcile::{self, DelistLimit, Options, SourceFile};
use ledger_core::import::{Snapshot, uk, un};
use ledger_core::progress::Progress;
use ledger_core::time::Clock;
use ledger_core::{Error, Ledger};
use serde_json::json;

use crate::cli::{Format, ListFormat};
use crate::output::{self, Table};
use crate::progress;
use crate::{Failure, exit};

/// What to import and how.
pub struct Request<'a> {
    /// The list layout.
    pub list: ListFormat,
    /// The file (`-` for stdin).
    pub file: &'a Path,
    /// Plan only.
    pub dry_run: bool,
    /// The delisting guard.
    pub max_delist: DelistLimit,
    /// Accept an older list.
    pub allow_older: bool,
}

/// Runs an import.
pub fn run(
    ledger: &Ledger,
    out: &mut impl Write,
    format: Format,
    actor: &str,
    clock: &dyn Clock,
    req: &Request,
) -> Result<u8, Failure> {
    let name = req.file.display().to_string();
    // Progress for a person watching; nothing when stderr is a file or a pipe, or with --quiet.
    let bar = progress::Bar::new();
    let mut bytes = Vec::new();
    let read = if name == "-" {
        bar.bytes("reading standard input", None);
        bar.reader(std::io::stdin().lock()).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(req.file).and_then(|f| {
            bar.bytes(&format!("reading {name}"), f.metadata().ok().map(|m| m.len()));
            bar.reader(f).read_to_end(&mut bytes)
        })
    };
    read.map_err(|e| Failure::new(exit::NO_LEDGER, format!("cannot read {name}: {e}")))?;
    bar.phase(&format!("parsing {name}"), None);
    let parsed = match req.list {
        ListFormat::UkCsv => uk::parse_csv(&bytes),
        ListFormat::UkXml => uk::parse_xml(&bytes),
        ListFormat::UnXml => un::parse_xml(&bytes),
    };
    let snapshot: Snapshot =
        parsed.map_err(|e| Failure::new(exit::DATA, format!("{name}: {e}\n  nothing was written")))?;
    bar.phase(&format!("reconciling {} listed designations", snapshot.designations.len()), None);
    let file = SourceFile::new(&name, &bytes);
    let options = Options { max_delist: req.max_delist, allow_older: req.allow_older };
    let plan = reconcile::plan(ledger, &snapshot, &file, &options, clock).map_err(|e| match e {
        Error::Refused(reason) => Failure::new(exit::DATA, format!("{name}: {reason}\n  nothing was written")),
        e => e.into(),
    })?;
    let head = if req.dry_run {
        None
    } else {
        let appended =
            ledger.append_with(&plan.events, actor, clock, Some(plan.mark.clone()), &bar).map_err(|e| match e {
                Error::Input(l) => {
                    // `line` is the event's position in the plan: name where it came from in the
                    // list instead, and nothing when no event is to blame.
                    let at = l.line.checked_sub(1).and_then(|i| plan.locations.get(i));
                    let key = l.key.as_deref();
                    let field = l.field.as_ref().map(|f| format!(", field `{f}`")).unwrap_or_default();
                    let place = match (at, key) {
                        (Some(at), Some(key)) => format!("{at} ({key}){field}: "),
                        (Some(at), None) => format!("{at}{field}: "),
                        (None, Some(key)) => format!("{key}{field}: "),
                        (None, None) => String::new(),
                    };
                    Failure::new(exit::DATA, format!("{name}: {place}{}\n  nothing was written", l.reason))
                }
                e => e.into(),
            })?;
        crate::committed(&appended.head);
        Some(appended.head)
    };
    bar.done();

    let events: Vec<serde_json::Value> =
        plan.events.iter().map(|n| serde_json::to_value(&n.event).unwrap_or_default()).collect();
    match format {
        Format::Json => {
            let mut v = json!({
                "list": snapshot.format,
                "file": name,
                "blake3": file.blake3,
                "authority": snapshot.authority,
                "report_date": snapshot.report_date.to_string(),
                "dry_run": req.dry_run,
                "summary": plan.summary,
                "head": head.map(|h| json!({"seq": h.seq, "hash": h.hash.to_hex()})),
            });
            if req.dry_run {
                v["events"] = json!(events);
            }
            output::write_json(out, &v)?;
        }
        Format::Table | Format::Csv => {
            // Names in a list are whoever was listed chose them: nothing of the list, nor the
            // file's name, reaches the terminal unescaped (JSON leaves bidi overrides as they are).
            if req.dry_run {
                for e in &events {
                    writeln!(out, "{}", output::escape(&e.to_string()))?;
                }
            }
            let s = &plan.summary;
            writeln!(
                out,
                "{} {} {}: {} list of {}, {} designations listed",
                if req.dry_run { "would import" } else { "imported" },
                snapshot.format,
                output::escape(&name),
                snapshot.authority,
                snapshot.report_date,
                s.listed
            )?;
            let mut t = Table::new(&["regime", "designations", "amendments", "delistings"]);
            for (regime, [d, a, x]) in &s.by_regime {
                t.row(vec![regime.clone(), d.to_string(), a.to_string(), x.to_string()]);
            }
            t.row(vec!["total".into(), s.designations.to_string(), s.amendments.to_string(), s.delistings.to_string()]);
            if format == Format::Csv {
                t.write_csv(out)?
            } else {
                t.write_text(out)?
            }
            if let Some(h) = head {
                writeln!(out, "head {} {}", h.seq, h.hash)?;
            }
        }
    }
    Ok(exit::OK)
}
