//! `ledger import`: read a published list, reconcile it with the ledger, append the difference.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use ledger_core::Ledger;
use ledger_core::progress::Progress;
use ledger_core::time::{Clock, Date};
use ledger_import::ofac::CsvRole;
use ledger_import::operation::{self, ImportError};
use ledger_import::output::{ImportOutput, SeriesOutput};
use ledger_import::reconcile::{DelistLimit, Options, PlanError};
use ledger_import::{Format as ImportFormat, ListFile, Parsed, ReadError};

use crate::cli::Format;
use crate::output::{self, Table};
use crate::progress;
use crate::remote::Remote;
use crate::{Failure, exit};

/// What to import and how.
pub struct Request<'a> {
    /// The list layout.
    pub list: ImportFormat,
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
    /// Let the list overwrite what was entered by hand.
    pub override_manual: bool,
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
    let (name, parsed) = read_list(req, &bar)?;
    let output = import_parsed(ledger, &name, &parsed, actor, clock, req, &bar)?;
    if let Some(head) = &output.head {
        crate::committed(head);
    }
    bar.done();
    print(out, format, &output)
}

/// One parsed list imported into the ledger, as `req` asks.
fn import_parsed(
    ledger: &Ledger,
    name: &str,
    parsed: &Parsed,
    actor: &str,
    clock: &dyn Clock,
    req: &Request,
    progress: &dyn Progress,
) -> Result<ImportOutput, Failure> {
    let options = Options {
        max_delist: req.max_delist,
        max_amend: req.max_amend,
        allow_older: req.allow_older,
        override_manual: req.override_manual,
    };
    let request = operation::Request { name, options: &options, dry_run: req.dry_run };
    operation::import(ledger, parsed, request, actor, clock, progress).map_err(|e| match e {
        ImportError::Plan(e) => refused(name, *e),
        ImportError::Refused { .. } => Failure::new(exit::DATA, format!("{name}: {e}\n  nothing was written")),
        ImportError::Ledger(e) => e.into(),
    })
}

/// Where a series is imported: this process's ledger, or a server.
pub enum Target<'a> {
    /// The ledger, opened here.
    Local {
        /// The ledger.
        ledger: &'a Ledger,
        /// Who imports.
        actor: &'a str,
        /// The clock.
        clock: &'a dyn Clock,
    },
    /// A `ledger serve`.
    Remote(&'a Remote),
}

/// `ledger import FORMAT FILE FILE...` or `--series DIR`: dated lists of one layout imported in
/// report-date order, one reconciliation and one batch each, so that a ledger can start with
/// years of archived lists. Each list is read twice (once for its date, once to import it), so
/// that only one is held at a time. A refused list stops the series; the lists before it stay
/// imported, and the message says how far it went.
pub fn series(
    target: Target,
    out: &mut impl Write,
    format: Format,
    req: &Request,
    dir: Option<&Path>,
) -> Result<u8, Failure> {
    let layout = req.list;
    if layout.is_several_files() {
        return Err(usage(format!("a {layout} list is several files: import one list at a time, with --published")));
    }
    if req.dry_run {
        return Err(usage(
            "--dry-run plans one list: in a series each list is compared with what the ones before it imported".into(),
        ));
    }
    if req.published.is_some() {
        return Err(usage(format!(
            "--published is for a list that carries no date (ofac-csv); a {layout} list carries its own"
        )));
    }
    let mut paths: Vec<PathBuf> = req.files.to_vec();
    if let Some(dir) = dir {
        paths.extend(list_files(dir, layout)?);
    }
    if paths.iter().any(|p| p == Path::new("-")) {
        return Err(usage("a series is read from files: standard input (`-`) is one list".into()));
    }
    let bar = progress::Bar::new();
    let started = std::time::Instant::now();
    bar.phase(&format!("reading the dates of {} lists", paths.len()), Some(paths.len() as u64));
    let mut dated = Vec::with_capacity(paths.len());
    for path in paths {
        let (_, parsed) = read_path(layout, &path)?;
        dated.push((parsed.snapshot.report_date, path));
        bar.advance(1);
    }
    dated.sort();
    let total = dated.len();
    let mut imports: Vec<ImportOutput> = Vec::with_capacity(total);
    for (i, (date, path)) in dated.iter().enumerate() {
        bar.phase(&format!("importing list {} of {total} ({layout} of {date})", i + 1), None);
        let done = match &target {
            Target::Local { ledger, actor, clock } => read_path(layout, path)
                .and_then(|(name, parsed)| import_parsed(ledger, &name, &parsed, actor, *clock, req, &())),
            Target::Remote(r) => post(r, req, &path.display().to_string(), &read_file(path, &bar)?),
        };
        match done {
            Ok(mut output) => {
                output.changes.clear();
                imports.push(output);
            }
            Err(f) => {
                let so_far = match imports.last() {
                    Some(last) => format!(
                        "{} of {total} lists were imported, through the {} list of {}; they stay in the ledger. ",
                        imports.len(),
                        last.authority,
                        last.report_date
                    ),
                    None => format!("none of the {total} lists was imported. "),
                };
                return Err(Failure::new(f.code, format!("{so_far}Then: {}", f.message)));
            }
        }
    }
    bar.done();
    let events: usize = imports.iter().map(ImportOutput::events).sum();
    let seconds = started.elapsed().as_secs_f64();
    if !crate::progress::quiet() {
        eprintln!(
            "ledger: {total} lists imported in {seconds:.2} s ({:.1} lists/s, {:.0} events/s)",
            total as f64 / seconds.max(1e-9),
            events as f64 / seconds.max(1e-9)
        );
    }
    let head = imports.iter().rev().find_map(|o| o.head);
    let answer = SeriesOutput { lists: imports.len(), events, head, imports };
    match format {
        Format::Json => {
            let v = serde_json::to_value(&answer).map_err(|e| Failure::new(exit::INTERNAL, e.to_string()))?;
            output::write_json(out, &v)?;
        }
        Format::Table | Format::Csv => {
            let mut t = Table::new(&["report_date", "file", "designations", "amendments", "delistings", "head"]);
            for o in &answer.imports {
                let s = &o.summary;
                t.row(vec![
                    o.report_date.to_string(),
                    o.file.clone(),
                    s.designations.to_string(),
                    s.amendments.to_string(),
                    s.delistings.to_string(),
                    o.head.map(|h| h.seq.to_string()).unwrap_or_default(),
                ]);
            }
            if format == Format::Csv {
                t.write_csv(out)?;
            } else {
                t.write_text(out)?;
                writeln!(out, "imported {total} {layout} lists: {events} events")?;
                if let Some(h) = &answer.head {
                    writeln!(out, "head {} {}", h.seq, h.hash)?;
                }
            }
        }
    }
    Ok(exit::OK)
}

/// The list files of `layout` in `dir` (by extension), in name order.
fn list_files(dir: &Path, layout: ImportFormat) -> Result<Vec<PathBuf>, Failure> {
    let ext = if matches!(layout, ImportFormat::UkCsv) { "csv" } else { "xml" };
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Failure::new(exit::NO_LEDGER, format!("cannot read {}: {e}", dir.display())))?;
    let mut found = Vec::new();
    for entry in entries {
        let p = entry.map_err(|e| Failure::new(exit::NO_LEDGER, format!("cannot read {}: {e}", dir.display())))?.path();
        if p.is_file() && p.extension().is_some_and(|x| x.eq_ignore_ascii_case(ext)) {
            found.push(p);
        }
    }
    found.sort();
    if found.is_empty() {
        return Err(usage(format!("{}: no .{ext} file to import as a {layout} series", dir.display())));
    }
    Ok(found)
}

/// One list file read and parsed: its name (as given) and what it says.
fn read_path(layout: ImportFormat, path: &Path) -> Result<(String, Parsed), Failure> {
    let name = path.display().to_string();
    // The series' own bar counts the lists; a file is read without one of its own.
    let bytes = std::fs::read(path).map_err(|e| Failure::new(exit::NO_LEDGER, format!("cannot read {name}: {e}")))?;
    let parsed =
        ledger_import::parse(layout, &[ListFile { name: name.clone(), bytes }], None).map_err(|e| match e {
            ReadError::Parse(e) => Failure::new(exit::DATA, format!("{name}: {e}\n  nothing was written")),
            e => usage(e.to_string()),
        })?;
    Ok((name, parsed))
}

/// `ledger --remote URL import`: the list file sent to the server, which reads, reconciles and
/// appends it (as the token's holder). A list of several files (ofac-csv) is refused by the
/// server: one request body carries one file.
pub fn run_remote(r: &Remote, out: &mut impl Write, format: Format, req: &Request) -> Result<u8, Failure> {
    let bar = progress::Bar::new();
    let (name, body) = if req.list.is_several_files() {
        let names: Vec<String> = req.files.iter().map(|p| p.display().to_string()).collect();
        (names.join(" "), Vec::new())
    } else {
        let mut files = read_one(req.list, req, &bar)?;
        let file = files.pop().ok_or_else(|| usage("no list file was given".into()))?;
        (file.name, file.bytes)
    };
    bar.phase(&format!("importing {name} at {}", r.url()), None);
    let output = post(r, req, &name, &body)?;
    if let Some(head) = &output.head {
        crate::committed(head);
    }
    bar.done();
    print(out, format, &output)
}

/// One list file, named `name`, imported by the server as `req` asks.
fn post(r: &Remote, req: &Request, name: &str, body: &[u8]) -> Result<ImportOutput, Failure> {
    let limit = |l: DelistLimit| match l {
        DelistLimit::Count(n) => n.to_string(),
        DelistLimit::Percent(p) => format!("{p}%"),
    };
    let flag = |b: bool| if b { "true".to_owned() } else { String::new() };
    let query = vec![
        ("name", name.to_owned()),
        ("published", req.published.map(|d| d.to_string()).unwrap_or_default()),
        ("dry_run", flag(req.dry_run)),
        ("max_delist", limit(req.max_delist)),
        ("max_amend", limit(req.max_amend)),
        ("allow_older", flag(req.allow_older)),
        ("override_manual", flag(req.override_manual)),
    ];
    r.post(&format!("/v1/import/{}", req.list.name()), &query, body)
}

/// Prints the answer of an import.
fn print(out: &mut impl Write, format: Format, answer: &ImportOutput) -> Result<u8, Failure> {
    match format {
        Format::Json => {
            let v = serde_json::to_value(answer).map_err(|e| Failure::new(exit::INTERNAL, e.to_string()))?;
            output::write_json(out, &v)?;
        }
        Format::Table | Format::Csv => write_text(out, format, answer)?,
    }
    Ok(exit::OK)
}

/// The answer for reading (table) or as CSV: each event of a dry run, a line saying what was
/// imported, the counts by regime and the new head.
fn write_text(out: &mut impl Write, format: Format, output: &ImportOutput) -> Result<(), Failure> {
    // Names in a list are whoever was listed chose them: nothing of the list, nor the
    // file's name, reaches the terminal unescaped (JSON leaves bidi overrides as they are).
    for c in &output.changes {
        writeln!(out, "{}  {}, effective {}  {}", c.key, c.action, c.effective, output::escape(&c.name))?;
        for f in &c.fields {
            let text = |v: &Option<String>| output::escape(v.as_deref().unwrap_or("(none)"));
            writeln!(out, "    {}: {} → {}", f.field, text(&f.old), text(&f.new))?;
        }
    }
    for h in &output.hand_entered {
        writeln!(out, "overrides a value entered by hand: {}", output::escape(&h.to_string()))?;
    }
    let s = &output.summary;
    writeln!(
        out,
        "{} {} {}: {} list of {}, {} designations listed",
        if output.dry_run { "would import" } else { "imported" },
        output.list,
        output::escape(&output.file),
        output.authority,
        output.report_date,
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
    if let Some(h) = &output.head {
        writeln!(out, "head {} {}", h.seq, h.hash)?;
    }
    Ok(())
}

/// A list the reconciliation refuses, with how to lift the limit it met.
fn refused(name: &str, e: PlanError) -> Failure {
    if let PlanError::Ledger(e) = e {
        return e.into();
    }
    let hint = plan_hint(e.code());
    Failure::new(exit::DATA, format!("{name}: {e}{hint}\n  nothing was written"))
}

/// How to lift the limit a refused list met (by [`PlanError::code`], which is also the server's
/// error code), in the command line's flags.
pub fn plan_hint(code: &str) -> &'static str {
    match code {
        "older" => "; pass --allow-older to import it anyway",
        "too_many_delistings" => " Check the file, or raise the limit with --max-delist",
        "too_many_amendments" => " Check the file and a --dry-run, or raise the limit with --max-amend",
        "hand_entered" => {
            "\n  the list is the authority's word: to let its values win over those entered by hand, import it again with --override-manual"
        }
        _ => "",
    }
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

/// Reads the list's file (or, for a layout of several files, its directory or files) and parses
/// it: the name that messages give it, and what it says.
fn read_list(req: &Request, bar: &progress::Bar) -> Result<(String, Parsed), Failure> {
    let format = req.list;
    let files = if format.is_several_files() { read_several(req, bar)? } else { read_one(format, req, bar)? };
    let name = if format.is_several_files() {
        req.files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" ")
    } else {
        files.first().map(|f| f.name.clone()).unwrap_or_default()
    };
    bar.phase(&format!("parsing {name}"), None);
    let parsed = ledger_import::parse(format, &files, req.published).map_err(|e| match e {
        ReadError::Parse(e) => Failure::new(exit::DATA, format!("{name}: {e}\n  nothing was written")),
        e => usage(e.to_string()),
    })?;
    Ok((name, parsed))
}

/// Reads a list that is one file.
fn read_one(format: ImportFormat, req: &Request, bar: &progress::Bar) -> Result<Vec<ListFile>, Failure> {
    let [path] = req.files else {
        return Err(usage(format!("a {format} list is one file; {} were given", req.files.len())));
    };
    if req.published.is_some() {
        return Err(usage(format!(
            "--published is for a list that carries no date (ofac-csv); a {format} list carries its own"
        )));
    }
    Ok(vec![ListFile { name: path.display().to_string(), bytes: read_file(path, bar)? }])
}

/// Reads OFAC's legacy CSV files: a directory holding them, or the files. Each is named by its
/// file name (without its directory); [`ledger_import::parse`] puts them in order.
fn read_several(req: &Request, bar: &progress::Bar) -> Result<Vec<ListFile>, Failure> {
    if req.published.is_none() {
        return Err(usage(
            "ofac-csv files carry no date: give the date they were published with --published YYYY-MM-DD".into(),
        ));
    }
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
    let mut files: Vec<ListFile> = Vec::new();
    for path in &paths {
        let name =
            path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
        if CsvRole::of(&name).is_none() {
            return Err(usage(format!(
                "{}: not one of OFAC's legacy CSV files (a name ending in sdn.csv, add.csv, alt.csv or comments.csv)",
                path.display()
            )));
        }
        files.push(ListFile { name, bytes: read_file(path, bar)? });
    }
    Ok(files)
}
