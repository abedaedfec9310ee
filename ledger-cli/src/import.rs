//! `ledger import`: read a published list, reconcile it with the ledger, append the difference.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use ledger_core::import::reconcile::{self, DelistLimit, Options, SourceFile};
use ledger_core::import::{Snapshot, eu, uk, un};
use ledger_core::time::Clock;
use ledger_core::{Error, Ledger};
use serde_json::json;

use crate::cli::{Format, ListFormat};
use crate::output::{self, Table};
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

fn stage(msg: &str) {
    // Progress for a person watching; nothing when stderr is a file or a pipe.
    if std::io::stderr().is_terminal() {
        eprintln!("ledger: {msg}");
    }
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
    let mut bytes = Vec::new();
    let read = if name == "-" {
        std::io::stdin().lock().read_to_end(&mut bytes)
    } else {
        std::fs::File::open(req.file).and_then(|mut f| f.read_to_end(&mut bytes))
    };
    read.map_err(|e| Failure::new(exit::NO_LEDGER, format!("cannot read {name}: {e}")))?;
    stage(&format!("reading {name} ({} bytes)", bytes.len()));
    let parsed = match req.list {
        ListFormat::UkCsv => uk::parse_csv(&bytes),
        ListFormat::UkXml => uk::parse_xml(&bytes),
        ListFormat::UnXml => un::parse_xml(&bytes),
        ListFormat::EuXml => eu::parse_xml(&bytes),
    };
    let snapshot: Snapshot =
        parsed.map_err(|e| Failure::new(exit::DATA, format!("{name}: {e}\n  nothing was written")))?;
    stage(&format!("reconciling {} listed designations", snapshot.designations.len()));
    let file = SourceFile::new(&name, &bytes);
    let options = Options { max_delist: req.max_delist, allow_older: req.allow_older };
    let plan = reconcile::plan(ledger, &snapshot, &file, &options).map_err(|e| match e {
        Error::Refused(reason) => Failure::new(exit::DATA, format!("{name}: {reason}\n  nothing was written")),
        e => e.into(),
    })?;
    let head = if req.dry_run {
        None
    } else {
        stage(&format!("appending {} events", plan.events.len()));
        let appended =
            ledger.append_marked(&plan.events, actor, clock, Some(plan.mark.clone())).map_err(|e| match e {
                Error::Input(l) => {
                    let at = plan.locations.get(l.line.saturating_sub(1)).cloned().unwrap_or_default();
                    let key = l.key.as_ref().map(|k| format!(" ({k})")).unwrap_or_default();
                    Failure::new(exit::DATA, format!("{name}: {at}{key}: {}\n  nothing was written", l.reason))
                }
                e => e.into(),
            })?;
        crate::committed(&appended.head);
        Some(appended.head)
    };

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
            if req.dry_run {
                for e in &events {
                    writeln!(out, "{e}")?;
                }
            }
            let s = &plan.summary;
            writeln!(
                out,
                "{} {} {name}: {} list of {}, {} designations listed",
                if req.dry_run { "would import" } else { "imported" },
                snapshot.format,
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
