//! `ledger import`: read a published list, reconcile it with the ledger, append the difference.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use ledger_core::progress::Progress;
use ledger_core::time::{Clock, Date};
use ledger_core::{Error, Ledger};
use ledger_import::ofac::{CsvFile, CsvRole};
use ledger_import::reconcile::{self, DelistLimit, Options, SourceFile};
use ledger_import::{Snapshot, eu, ofac_xml, uk, un};
use serde_json::json;

use crate::cli::{Format, ListFormat};
use crate::output::{self, Table};
use crate::progress;
use crate::{Failure, exit};

/// What to import and how.
pub struct Request<'a> {
    /// The list layout.
    pub list: ListFormat,
    /// The file (`-` for stdin); for ofac-csv, a directory or the files.
    pub files: &'a [PathBuf],
    /// The publication date, for a layout that carries none.
    pub published: Option<Date>,
    /// Plan only.
    pub dry_run: bool,
    /// The delisting guard.
    pub max_delist: DelistLimit,
    /// The amendment guard.
    pub max_amend: DelistLimit,
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
    // Progress for a person watching; nothing when stderr is a file or a pipe, or with --quiet.
    let bar = progress::Bar::new();
    let (name, snapshot, file) =
        if req.list == ListFormat::OfacCsv { read_ofac_csv(req, &bar)? } else { read_one(req, &bar)? };
    bar.phase(&format!("reconciling {} listed designations", snapshot.designations.len()), None);
    let options = Options { max_delist: req.max_delist, max_amend: req.max_amend, allow_older: req.allow_older };
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
                "size": file.size,
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

fn usage(msg: String) -> Failure {
    Failure::new(exit::USAGE, msg)
}

fn read_file(path: &Path, bar: &progress::Bar) -> Result<Vec<u8>, Failure> {
    let name = path.display();
    let mut bytes = Vec::new();
    let read = if path == Path::new("-") {
        bar.bytes("reading standard input", None);
        bar.reader(std::io::stdin().lock()).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| {
            bar.bytes(&format!("reading {name}"), f.metadata().ok().map(|m| m.len()));
            bar.reader(f).read_to_end(&mut bytes)
        })
    };
    read.map_err(|e| Failure::new(exit::NO_LEDGER, format!("cannot read {name}: {e}")))?;
    Ok(bytes)
}

/// Reads and parses a list that is one file.
fn read_one(req: &Request, bar: &progress::Bar) -> Result<(String, Snapshot, SourceFile), Failure> {
    let [path] = req.files else {
        return Err(usage(format!("a {} list is one file; {} were given", list_name(req.list), req.files.len())));
    };
    if req.published.is_some() {
        return Err(usage(format!(
            "--published is for a list that carries no date (ofac-csv); a {} list carries its own",
            list_name(req.list)
        )));
    }
    let name = path.display().to_string();
    let bytes = read_file(path, bar)?;
    bar.phase(&format!("parsing {name}"), None);
    let parsed = match req.list {
        ListFormat::UkCsv => uk::parse_csv(&bytes),
        ListFormat::UkXml => uk::parse_xml(&bytes),
        ListFormat::UnXml => un::parse_xml(&bytes),
        ListFormat::EuXml => eu::parse_xml(&bytes),
        ListFormat::OfacXml => ofac_xml::parse_xml(&bytes),
        ListFormat::OfacCsv => unreachable!("ofac-csv is read by read_ofac_csv"),
    };
    let snapshot = parsed.map_err(|e| Failure::new(exit::DATA, format!("{name}: {e}\n  nothing was written")))?;
    let file = SourceFile::new(&name, &bytes);
    Ok((name, snapshot, file))
}

fn list_name(list: ListFormat) -> String {
    clap::ValueEnum::to_possible_value(&list).map(|v| v.get_name().to_owned()).unwrap_or_default()
}

/// Reads and parses OFAC's legacy CSV files: a directory holding them, or the files. The
/// provenance names the files (without their directory), and its BLAKE3 is that of the manifest
/// `b3sum` prints for them in that order (`<hex>  <name>` lines), so that
/// `b3sum sdn.csv add.csv alt.csv sdn_comments.csv | b3sum` gives it again.
fn read_ofac_csv(req: &Request, bar: &progress::Bar) -> Result<(String, Snapshot, SourceFile), Failure> {
    let published = req.published.ok_or_else(|| {
        usage("ofac-csv files carry no date: give the date they were published with --published YYYY-MM-DD".into())
    })?;
    let mut paths: Vec<PathBuf> = Vec::new();
    for path in req.files {
        if path.is_dir() {
            let entries = std::fs::read_dir(path)
                .map_err(|e| Failure::new(exit::NO_LEDGER, format!("cannot read {}: {e}", path.display())))?;
            let mut found: Vec<PathBuf> = Vec::new();
            for entry in entries {
                let entry =
                    entry.map_err(|e| Failure::new(exit::NO_LEDGER, format!("cannot read {}: {e}", path.display())))?;
                let p = entry.path();
                let name = p.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
                if name.ends_with(".csv") && CsvRole::of(&name).is_some() {
                    found.push(p);
                }
            }
            found.sort();
            paths.extend(found);
        } else {
            paths.push(path.clone());
        }
    }
    let mut files: Vec<(String, CsvRole, Vec<u8>)> = Vec::new();
    for path in &paths {
        let name =
            path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
        let role = CsvRole::of(&name).ok_or_else(|| {
            usage(format!(
                "{}: not one of OFAC's legacy CSV files (a name ending in sdn.csv, add.csv, alt.csv or comments.csv)",
                path.display()
            ))
        })?;
        files.push((name, role, read_file(path, bar)?));
    }
    let order = |r: CsvRole| {
        [CsvRole::Main, CsvRole::Addresses, CsvRole::Aliases, CsvRole::Comments].iter().position(|o| *o == r)
    };
    files.sort_by_key(|(_, role, _)| order(*role));
    let name = req.files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" ");
    bar.phase(&format!("parsing {name}"), None);
    let views: Vec<CsvFile> = files.iter().map(|(name, role, bytes)| CsvFile { name, role: *role, bytes }).collect();
    let snapshot = ledger_import::ofac::parse_csv(&views, published)
        .map_err(|e| Failure::new(exit::DATA, format!("{name}: {e}\n  nothing was written")))?;
    let file = ledger_import::ofac::source(&views);
    Ok((name, snapshot, file))
}
