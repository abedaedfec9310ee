//! The `ledger` command: a thin layer over `ledger-core` that parses arguments, formats output
//! and maps errors to exit codes. `main` returns an [`ExitCode`] so that everything is flushed.

use std::io::{self, BufReader, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use clap::FromArgMatches;
use ledger_core::chain::Head;
use ledger_core::event::RecordedEvent;
use ledger_core::ops::read::{self, HeadOutput};
use ledger_core::ops::{ask, write};
use ledger_core::progress::Progress;
use ledger_core::query::StateFilter;
use ledger_core::seq::Seq;
use ledger_core::time::{AsOf, At, Clock, FixedClock, Point, SystemClock};
use ledger_core::view::View;
use ledger_core::{Error, Ledger, input};

pub mod audit;
pub mod caution;
pub mod cli;
pub mod import;
pub mod operate;
pub mod output;
pub mod progress;
pub mod queries;
pub mod remote;
pub mod serve;
pub mod tlog;
pub mod witness;

use cli::{Cli, Command, Format};
use output::Table;
use remote::Remote;

/// Exit codes (sysexits-style, as the design fixes them).
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// Verification failed, or nothing was found.
    pub const FAILED: u8 = 1;
    /// Usage error.
    pub const USAGE: u8 = 2;
    /// Input that looks mistyped (an effective date far ahead or before 1945) was not confirmed
    /// (no terminal to ask at, and no `--yes`); nothing was written.
    pub const UNCONFIRMED: u8 = 4;
    /// Bad input data; nothing was written.
    pub const DATA: u8 = 65;
    /// No ledger at that path.
    pub const NO_LEDGER: u8 = 66;
    /// The server `--remote` names cannot be reached.
    pub const UNAVAILABLE: u8 = 69;
    /// Internal error (a bug).
    pub const INTERNAL: u8 = 70;
    /// I/O error.
    pub const IO: u8 = 74;
    /// The store is damaged: restore it from an export (`ledger import-bundle`).
    pub const DAMAGED: u8 = 76;
    /// The ledger is in use by another process.
    pub const LOCKED: u8 = 75;
    /// The server `--remote` names refused the token given, or the lack of one.
    pub const NOPERM: u8 = 77;
    /// The batch was written and is durable, but what should have followed failed (printing the
    /// acknowledgement, recording the acknowledged head): it is in the ledger.
    pub const WRITTEN: u8 = 3;
}

/// The head of the batch this process committed, once it is durable: a failure after it must
/// say that the batch was written, not that the command failed as if nothing had been.
static COMMITTED: std::sync::Mutex<Option<Head>> = std::sync::Mutex::new(None);

/// Notes that a batch is durable in the ledger, with this head.
pub(crate) fn committed(head: &Head) {
    if let Ok(mut c) = COMMITTED.lock() {
        *c = Some(*head);
    }
}

/// A failure after a durable commit: the batch is in the ledger, and the message says so.
fn after_commit(head: &Head, f: Failure) -> Failure {
    Failure::new(
        exit::WRITTEN,
        format!(
            "the batch was written and is durable (head {} {}), but {}\n  \
             the events are in the ledger: do not append them again (`ledger head` shows the head)",
            head.seq, head.hash, f.message
        ),
    )
}

/// A command's failure: the message for stderr and the exit code.
#[derive(Debug)]
pub struct Failure {
    code: u8,
    message: String,
    /// Writing the output met a closed pipe (`| head`): not an error.
    broken_pipe: bool,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl Failure {
    /// A failure with this exit code and message.
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Failure { code, message: message.into(), broken_pipe: false }
    }

    /// Its exit code.
    pub fn code(&self) -> u8 {
        self.code
    }

    /// Its message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let code = match &e {
            Error::NoLedger { .. } => exit::NO_LEDGER,
            Error::Exists { .. } => exit::USAGE,
            Error::Locked { .. } => exit::LOCKED,
            Error::Input(_) | Error::Refused(_) | Error::Actor => exit::DATA,
            Error::NotFound { .. } => exit::FAILED,
            Error::Damaged { .. } => exit::DAMAGED,
            Error::Io { .. } => exit::IO,
            Error::Internal(_) => exit::INTERNAL,
            Error::Unacknowledged { .. } => exit::WRITTEN,
        };
        let mut message = e.to_string();
        match &e {
            Error::NoLedger { .. } => {
                message.push_str("\n  hint: create one with `ledger init`, or pass --ledger PATH (or set LEDGER_PATH)")
            }
            Error::Input(_) | Error::Refused(_) => message.push_str("\n  nothing was written"),
            // The actor is chosen here: by `--actor`, `LEDGER_ACTOR` or the OS user.
            Error::Actor => message.push_str(" (--actor or LEDGER_ACTOR)\n  nothing was written"),
            Error::Locked { path, .. } => match serve::serving(path) {
                Some(url) => message.push_str(&format!(
                    "\n  `ledger serve` holds it, at {url}: ask the server with `--remote {url}` (or set LEDGER_REMOTE)"
                )),
                None => message.push_str(
                    "\n  hint: `--wait SECONDS` retries for that long (a prompt or a long import holds the ledger until it ends); \
                     if `ledger serve` holds it, ask the server with `--remote URL`",
                ),
            },
            Error::Unacknowledged { .. } => message.push_str(
                "\n  the events are in the ledger: do not append them again (`ledger head` shows the head)",
            ),
            Error::Damaged { .. } => message.push_str(
                "\n  hint: keep a copy of the directory as it is; then rebuild the ledger from your latest export \
                 with `ledger --ledger NEW import-bundle BUNDLE` (see README, \"Recovering a damaged store\")",
            ),
            _ => {}
        }
        let broken_pipe = matches!(&e, Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe);
        Failure { broken_pipe, ..Failure::new(code, message) }
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        let broken_pipe = e.kind() == io::ErrorKind::BrokenPipe;
        Failure { broken_pipe, ..Failure::new(exit::IO, format!("writing output: {e}")) }
    }
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!("ledger: internal error (a bug, please report it): {msg}{at}");
    }));
    let cli = match cli::command().try_get_matches().and_then(|m| Cli::from_arg_matches(&m)) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { exit::USAGE } else { exit::OK };
            // Help and version go to stdout; a closed pipe there is not an error.
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let outcome = std::panic::catch_unwind(|| run(&cli));
    match outcome {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(f)) if f.code == exit::IO && f.broken_pipe => ExitCode::from(exit::OK),
        Ok(Err(f)) => {
            let committed = COMMITTED.lock().ok().and_then(|c| *c);
            let f = match committed {
                Some(head) if f.code != exit::WRITTEN => after_commit(&head, f),
                _ => f,
            };
            // A message may quote input (an id, a name, a list's cell): escaped for the terminal.
            eprintln!("ledger: {}", output::escape_lines(&f.message));
            ExitCode::from(f.code)
        }
        Err(_) => ExitCode::from(exit::INTERNAL),
    }
}

/// The clock: the system's, or a fixed instant from `LEDGER_CLOCK` (for tests and reproducible runs).
pub(crate) fn clock() -> Result<Box<dyn Clock>, Failure> {
    match std::env::var("LEDGER_CLOCK") {
        Ok(s) => {
            let at = ledger_core::time::Effective::parse(&s)
                .map_err(|e| Failure::new(exit::USAGE, format!("LEDGER_CLOCK: {e}")))?;
            Ok(Box::new(FixedClock::new(at.micros())))
        }
        Err(_) => Ok(Box::new(SystemClock)),
    }
}

fn wait(cli: &Cli) -> Result<Duration, Failure> {
    Duration::try_from_secs_f64(cli.wait)
        .map_err(|_| Failure::new(exit::USAGE, format!("--wait {}: expected a number of seconds, 0 or more", cli.wait)))
}

/// Runs an operator command: prepares its event with the ledger open, then asks and appends
/// (see [`operate::Pending::finish`]).
fn operator<W: Write>(
    cli: &Cli,
    out: &mut W,
    prepare: impl FnOnce(&operate::Context, &mut W) -> Result<operate::Pending, Failure>,
) -> Result<u8, Failure> {
    let ledger = open(cli)?;
    let clock = clock()?;
    let actor = actor(cli);
    let cx = operate::Context { ledger: &ledger, actor: &actor, clock: clock.as_ref(), format: cli.format };
    let pending = prepare(&cx, out)?;
    pending.finish(ledger, || open(cli), &actor, clock.as_ref(), cli.format, out)
}

/// Opens the ledger and asks a question of it at its head, at the point `at`/`as_of` (the axes
/// not given are "now", [`ledger_core::ops::ask::point`]).
fn ask_at<T>(
    cli: &Cli,
    at: Option<At>,
    as_of: Option<AsOf>,
    question: impl FnOnce(&View, Point) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let ledger = open(cli)?;
    let view = View::now(&ledger)?;
    let point = ask::point(&view, clock()?.now(), at, as_of);
    question(&view, point)
}

/// The server `--remote` (or `LEDGER_REMOTE`) names, if one is named.
fn server(cli: &Cli) -> Result<Option<Remote>, Failure> {
    cli.remote.as_deref().filter(|u| !u.trim().is_empty()).map(|url| Remote::new(url, cli.token.as_deref())).transpose()
}

/// Why a command does not run through `--remote`, if it does not.
fn local_only(command: &Command) -> Option<String> {
    let name = match command {
        Command::Init { .. } => "init",
        Command::Verify { .. } => "verify",
        Command::ImportBundle { .. } => "import-bundle",
        Command::Publish { .. } => "publish",
        Command::Designate(_) => "designate",
        Command::Amend(_) => "amend",
        Command::Delist(_) => "delist",
        Command::Retract(_) => "retract",
        Command::Keygen { .. } => {
            return Some(
                "`ledger keygen` makes a key file here; a server signs with the key it was started with (`ledger serve --sign KEYFILE`): run keygen without --remote (unset LEDGER_REMOTE)".into(),
            );
        }
        Command::Serve { .. } => {
            return Some(
                "`ledger serve` serves the ledger at --ledger PATH itself: run it without --remote (unset LEDGER_REMOTE)".into(),
            );
        }
        Command::Token { .. } => {
            return Some(
                "`ledger token` makes a line for the tokens file of the machine running `ledger serve`: run it there, without --remote (unset LEDGER_REMOTE)".into(),
            );
        }
        _ => return None,
    };
    let hint = match command {
        Command::Designate(_) | Command::Amend(_) | Command::Delist(_) | Command::Retract(_) => {
            "; through a server, send the event as a line of JSON with `ledger --remote URL append FILE`"
        }
        _ => "",
    };
    Some(format!(
        "`ledger {name}` works on a local ledger (--ledger PATH), not through --remote: run it without --remote (unset LEDGER_REMOTE) where the ledger is{hint}"
    ))
}

pub(crate) fn open(cli: &Cli) -> Result<Ledger, Failure> {
    Ok(Ledger::open_waiting(&cli.ledger, wait(cli)?)?)
}

/// `--actor`, `LEDGER_ACTOR`, or the OS user.
fn actor(cli: &Cli) -> String {
    cli.actor
        .clone()
        .or_else(|| ["USER", "LOGNAME", "USERNAME"].iter().find_map(|v| std::env::var(v).ok()))
        .or_else(os_user)
        .filter(|a| !a.trim().is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The name of the user this process runs as, from /etc/passwd (where USER is not set, as in
/// services and containers).
#[cfg(unix)]
fn os_user() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid().to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        (f.nth(1)? == uid).then(|| name.to_owned())
    })
}

#[cfg(not(unix))]
fn os_user() -> Option<String> {
    None
}

fn run(cli: &Cli) -> Result<u8, Failure> {
    progress::set_quiet(cli.quiet);
    if let Some(note) = cli.command.key().and_then(cli::KeyArg::note)
        && !cli.quiet
    {
        eprintln!("ledger: {note}");
    }
    let remote = server(cli)?;
    if remote.is_some()
        && let Some(why) = local_only(&cli.command)
    {
        return Err(Failure::new(exit::USAGE, why));
    }
    let remote = remote.as_ref();
    let stdout = io::stdout();
    // Buffered: a large answer (`state --format json` of 100k designations) is written in big
    // chunks, not one write(2) per line. Flushed below, and before any question is asked.
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let code = match &cli.command {
        Command::Init { name } => {
            let (_ledger, created) = write::init(&cli.ledger, name, &actor(cli), clock()?.as_ref(), wait(cli)?)?;
            committed(&created.head);
            report_head(&mut out, cli.format, "created", &created)?;
            exit::OK
        }
        Command::Append { file, init, yes } => append(cli, remote, &mut out, file, *init, *yes)?,
        Command::Log { from, limit } => log(cli, remote, &mut out, *from, *limit)?,
        Command::Head => {
            let head = match remote {
                Some(r) => r.head()?,
                None => read::head(&open(cli)?)?,
            };
            report_head(&mut out, cli.format, "head", &head)?;
            exit::OK
        }
        Command::Verify { checkpoint, key, witnesses } => {
            verify(cli, &mut out, checkpoint.as_deref(), key.as_deref(), witnesses)?
        }
        Command::Keygen { out: file, name, witness } => audit::keygen(&mut out, file, name, *witness)?,
        Command::Publish { dir, sign } => tlog::publish(&open(cli)?, &mut out, cli.format, dir, sign)?,
        Command::Checkpoint { sign } => match remote {
            Some(r) => audit::checkpoint_remote(r, &mut out, cli.format, sign.as_deref())?,
            None => audit::checkpoint(&open(cli)?, &mut out, cli.format, sign.as_deref())?,
        },
        Command::Prove { seq, size, consistency, tlog_proof, checkpoint, sign } => match (remote, *tlog_proof) {
            (Some(_), true) => {
                return Err(Failure::new(
                    exit::USAGE,
                    "--tlog-proof is made where the ledger is (its checkpoint, or a published log's): run it without --remote",
                ));
            }
            (Some(r), false) => audit::print_proof(&mut out, &r.prove(*seq, *size, *consistency)?)?,
            (None, true) => {
                let seq =
                    seq.ok_or_else(|| Failure::new(exit::USAGE, "--tlog-proof proves one event: give its SEQ"))?;
                let req =
                    audit::TlogRequest { seq, size: *size, checkpoint: checkpoint.as_deref(), sign: sign.as_deref() };
                audit::prove_tlog(&open(cli)?, &mut out, &req)?
            }
            (None, false) => audit::prove(&open(cli)?, &mut out, *seq, *size, *consistency)?,
        },
        Command::VerifyProof { proof, checkpoint, old_checkpoint, key, witness, min_witnesses } => {
            let req = audit::ProofRequest {
                file: proof,
                checkpoint: checkpoint.as_deref(),
                old_checkpoint: old_checkpoint.as_deref(),
                key: key.as_deref(),
                witnesses: witness,
                min_witnesses: *min_witnesses,
            };
            audit::verify_proof(&mut out, cli.format, &req)?
        }
        Command::Export { file, sign } => match remote {
            Some(r) => audit::export_remote(r, &mut out, cli.format, file, sign.as_deref())?,
            None => audit::export(&open(cli)?, &mut out, cli.format, file, sign.as_deref())?,
        },
        Command::VerifyBundle { file, checkpoint, key, witnesses } => {
            audit::verify_bundle(&mut out, cli.format, file, checkpoint.as_deref(), key.as_deref(), witnesses)?
        }
        Command::Witness { command } => match command {
            cli::WitnessCommand::Serve { key, logs, state, listen } => {
                witness::serve(&mut out, key, logs, state, listen)?
            }
            cli::WitnessCommand::AddCheckpoint { dir, url, witness_key } => {
                witness::add_checkpoint(&mut out, cli.format, dir, url, witness_key)?
            }
        },
        Command::ImportBundle { file, key } => {
            audit::import_bundle(&cli.ledger, &mut out, cli.format, file, key.as_deref())?
        }
        Command::Designate(a) => operator(cli, &mut out, |cx, out| operate::designate(cx, out, a))?,
        Command::Amend(a) => operator(cli, &mut out, |cx, out| operate::amend(cx, out, a))?,
        Command::Delist(a) => operator(cli, &mut out, |cx, out| operate::delist(cx, out, a))?,
        Command::Retract(a) => operator(cli, &mut out, |cx, out| operate::retract(cx, out, a))?,
        Command::Serve { listen, tokens, read_token, max_body, timeout, sign, publish } => {
            let opts = serve::Options {
                listen,
                tokens: tokens.as_deref(),
                read_token: *read_token,
                max_body: *max_body,
                timeout: *timeout,
                sign: sign.as_deref(),
                publish: publish.as_deref(),
            };
            serve::run(cli, &mut out, &opts)?
        }
        Command::Token { name, role, add } => serve::token(&mut out, name, role, add.as_deref())?,
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "ledger", &mut out);
            exit::OK
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd).render(&mut out)?;
            exit::OK
        }
        Command::Import {
            list,
            files,
            series,
            published,
            dry_run,
            max_delist,
            max_amend,
            allow_older,
            override_manual,
        } => {
            let req = import::Request {
                list: *list,
                files,
                published: *published,
                dry_run: *dry_run,
                max_delist: *max_delist,
                max_amend: *max_amend,
                allow_older: *allow_older,
                override_manual: *override_manual,
            };
            let several = files.len() > 1 && !list.is_several_files();
            match (remote, several || series.is_some()) {
                (Some(r), true) => {
                    import::series(import::Target::Remote(r), &mut out, cli.format, &req, series.as_deref())?
                }
                (None, true) => {
                    let (ledger, actor, clock) = (open(cli)?, actor(cli), clock()?);
                    let target = import::Target::Local { ledger: &ledger, actor: &actor, clock: clock.as_ref() };
                    import::series(target, &mut out, cli.format, &req, series.as_deref())?
                }
                (Some(r), false) => import::run_remote(r, &mut out, cli.format, &req)?,
                (None, false) => import::run(&open(cli)?, &mut out, cli.format, &actor(cli), clock()?.as_ref(), &req)?,
            }
        }
        Command::State { .. }
        | Command::Show { .. }
        | Command::History { .. }
        | Command::Diff { .. }
        | Command::Search { .. } => question(cli, remote, &mut out)?,
    };
    out.flush()?;
    Ok(code)
}

/// The point-in-time questions: state, show, history, diff and search. Each is asked of the
/// ledger, or of the server `--remote` names, for the same typed answer, printed the same way.
fn question(cli: &Cli, remote: Option<&Remote>, out: &mut impl Write) -> Result<u8, Failure> {
    let out = &mut *out;
    let format = cli.format;
    Ok(match &cli.command {
        Command::State { time, authority, regime, kind, include_delisted, count } => {
            let filter = StateFilter {
                authority: authority.clone(),
                regime: regime.clone(),
                kind: kind.map(Into::into),
                include_delisted: *include_delisted,
            };
            let (at, as_of) = (time.at, time.as_of);
            if *count {
                let found = match remote {
                    Some(r) => r.count(&filter, at, as_of)?,
                    None => ask_at(cli, at, as_of, |view, point| queries::count(view, point, &filter))?,
                };
                queries::print_count(out, format, found)?
            } else {
                let found = match remote {
                    Some(r) => r.state(&filter, at, as_of)?,
                    None => ask_at(cli, at, as_of, |view, point| queries::state(view, point, &filter))?,
                };
                queries::print_state(out, format, *include_delisted, found)?
            }
        }
        Command::Show { key, time } => {
            let found = match remote {
                Some(r) => {
                    queries::no_csv(format, "show")?;
                    r.show(key, time.at, time.as_of)?
                }
                None => ask_at(cli, time.at, time.as_of, |view, point| {
                    queries::no_csv(format, "show")?;
                    queries::show(view, key, point)
                })?,
            };
            queries::print_show(out, format, found)?
        }
        Command::History { key, as_of } => {
            let found = match remote {
                Some(r) => {
                    queries::no_csv(format, "history")?;
                    r.history(key, *as_of)?
                }
                None => ask_at(cli, None, *as_of, |view, point| {
                    queries::no_csv(format, "history")?;
                    queries::history(view, key, point.as_of)
                })?,
            };
            queries::print_history(out, format, found)?
        }
        Command::Diff { from, to, as_of } => {
            let span = ask::Span::new(*from, *to)
                .map_err(|_| Failure::new(exit::USAGE, "--from must not be later than --to"))?;
            let found = match remote {
                Some(r) => r.diff(span, *as_of)?,
                None => ask_at(cli, None, *as_of, |view, point| queries::diff(view, span, point.as_of))?,
            };
            queries::print_diff(out, format, found)?
        }
        Command::Search { name, time } => {
            let name = ask::SearchName::new(name).map_err(|e| Failure::new(exit::USAGE, e.to_string()))?;
            let found = match remote {
                Some(r) => r.search(&name, time.at, time.as_of)?,
                None => ask_at(cli, time.at, time.as_of, |view, point| queries::search(view, &name, point))?,
            };
            queries::print_search(out, format, found)?
        }
        _ => return Err(Failure::new(exit::INTERNAL, "a command that is not a question was asked as one")),
    })
}

/// The head of `init`, `head` (and `append`, as its table's row).
fn report_head(out: &mut impl Write, format: Format, what: &str, h: &HeadOutput) -> Result<(), Failure> {
    match format {
        Format::Json => output::write_json(out, h)?,
        Format::Table | Format::Csv => head_table(out, format, what, &h.head)?,
    }
    Ok(())
}

fn head_table(out: &mut impl Write, format: Format, what: &str, head: &Head) -> io::Result<()> {
    let mut t = Table::new(&["", "seq", "hash", "recorded_at"]);
    t.row(vec![what.to_owned(), head.seq.to_string(), head.hash.to_hex(), head.recorded_at.to_string()]);
    if format == Format::Csv { t.write_csv(out) } else { t.write_text(out) }
}

fn append(
    cli: &Cli,
    remote: Option<&Remote>,
    out: &mut impl Write,
    file: &Path,
    init: bool,
    yes: bool,
) -> Result<u8, Failure> {
    if init && remote.is_some() {
        return Err(Failure::new(
            exit::USAGE,
            "--init creates a local ledger; the server's ledger exists already: leave --init out with --remote",
        ));
    }
    let clock = clock()?;
    let actor = actor(cli);
    let name = file.display().to_string();
    let bar = progress::Bar::new();
    let cannot_read = |e: io::Error| Failure::new(exit::NO_LEDGER, format!("cannot read {name}: {e}"));
    // Read and check the whole batch before touching the ledger. For a server, the bytes read
    // are kept: they are what is sent.
    let mut sent = Vec::new();
    let batch = if name == "-" {
        bar.bytes("reading standard input", None);
        if remote.is_some() {
            bar.reader(io::stdin().lock())
                .read_to_end(&mut sent)
                .map_err(|e| Failure::new(exit::IO, format!("{name}: {e}")))?;
            input::read_batch(&sent[..])
        } else {
            input::read_batch(BufReader::new(bar.reader(io::stdin().lock())))
        }
    } else {
        let f = std::fs::File::open(file).map_err(cannot_read)?;
        bar.bytes(&format!("reading {name}"), f.metadata().ok().map(|m| m.len()));
        if remote.is_some() {
            bar.reader(f).read_to_end(&mut sent).map_err(cannot_read)?;
            input::read_batch(&sent[..])
        } else {
            input::read_batch(BufReader::new(bar.reader(f)))
        }
    };
    let batch = batch.map_err(|e| match e {
        input::ReadError::Line(l) => Failure::new(exit::DATA, format!("{name}: {l}\n  nothing was written")),
        input::ReadError::Io(e) => Failure::new(exit::IO, format!("{name}: {e}")),
    })?;
    let cautioned = !ledger_core::caution::unusual_dates(&batch, clock.now()).is_empty();
    if !bar.suspend(|| caution::settle_batch(&batch, &name, clock.now(), yes))? {
        writeln!(out, "not appended: nothing was written")?;
        return Ok(exit::OK);
    }
    let appended = match remote {
        Some(r) => {
            // Confirmed here (by --yes, or at the terminal): the server is told so; otherwise
            // the server's own check (by its clock) stands.
            let confirm = if yes || cautioned { "true" } else { "" };
            bar.phase(&format!("sending {} events to {}", batch.len(), r.url()), None);
            drop(batch);
            r.post::<write::AppendOutput>("/v1/events", &vec![("confirm", confirm.to_owned())], &sent).map_err(
                |mut f| {
                    // The server names the body; the file is what was sent.
                    if let Some(rest) = f.message.strip_prefix("the request body: ") {
                        f.message = format!("{name}: {rest}");
                    }
                    f
                },
            )?
        }
        None => {
            let ledger = write::open_to_append(&cli.ledger, init, &actor, clock.as_ref(), wait(cli)?)?;
            write::append(&ledger, &batch, &actor, clock.as_ref(), &bar).map_err(|e| match e {
                Error::Input(l) => Failure::new(exit::DATA, format!("{name}: {l}\n  nothing was written")),
                e => e.into(),
            })?
        }
    };
    bar.done();
    committed(&appended.head);
    match cli.format {
        Format::Json => output::write_json(out, &appended)?,
        Format::Csv => head_table(out, cli.format, "head", &appended.head)?,
        Format::Table => {
            let n = appended.appended;
            writeln!(out, "appended {n} event{} to {}", if n == 1 { "" } else { "s" }, appended.ledger)?;
            head_table(out, cli.format, "head", &appended.head)?;
        }
    }
    Ok(exit::OK)
}

/// `ledger log`, read from the ledger or streamed from the server.
fn log(cli: &Cli, remote: Option<&Remote>, out: &mut impl Write, from: u64, limit: Option<u64>) -> Result<u8, Failure> {
    match remote {
        Some(r) => print_log(out, cli.format, r.log(from, limit)?),
        None => {
            let ledger = open(cli)?;
            let view = View::now(&ledger)?;
            print_log(out, cli.format, read::log(&view, Seq::new(from), limit).map(|e| e.map_err(Failure::from)))
        }
    }
}

/// Prints the events of `ledger log`: JSON Lines, or a table.
fn print_log(
    out: &mut impl Write,
    format: Format,
    events: impl Iterator<Item = Result<RecordedEvent, Failure>>,
) -> Result<u8, Failure> {
    match format {
        Format::Json => {
            for e in events {
                serde_json::to_writer(&mut *out, &e?.to_value()).map_err(io::Error::from)?;
                writeln!(out)?;
            }
        }
        Format::Table | Format::Csv => {
            let mut t = Table::new(&["seq", "recorded_at", "type", "key", "effective", "actor", "hash"]);
            for e in events {
                let e = e?;
                let key = match &e.event {
                    ledger_core::event::Event::Retraction(r) => format!("retracts {}", r.target),
                    ledger_core::event::Event::Genesis(g) => g.ledger.clone(),
                    ev => ev.key().map(|k| k.to_string()).unwrap_or_default(),
                };
                let hash = if format == Format::Csv { e.hash.to_hex() } else { output::short(&e.hash.to_hex()) };
                t.row(vec![
                    e.seq.to_string(),
                    e.recorded_at.to_string(),
                    e.event.type_name().to_owned(),
                    key,
                    e.event.effective().map(|x| x.to_string()).unwrap_or_default(),
                    e.actor.clone(),
                    hash,
                ]);
            }
            if format == Format::Csv {
                t.write_csv(out)?;
            } else {
                t.write_text(out)?;
            }
        }
    }
    Ok(exit::OK)
}

/// `ledger verify [--checkpoint FILE [--key KEY] [--witness KEY...]]`: one answer, the
/// checkpoint's check in it.
fn verify(
    cli: &Cli,
    out: &mut impl Write,
    checkpoint: Option<&Path>,
    key: Option<&str>,
    witnesses: &cli::WitnessArgs,
) -> Result<u8, Failure> {
    let policy = audit::witness_policy(witnesses)?;
    let ledger = Ledger::open_for_verify(&cli.ledger, wait(cli)?)?;
    let bar = progress::Bar::new();
    let mut report = read::verify(&ledger, &bar)?;
    bar.done();
    // A checkpoint that fails its check is an error (exit 1) after the verification's own
    // answer, which stands: the answer is printed either way.
    let mut checkpoint_failure = None;
    if let (true, Some(file)) = (report.ok, checkpoint) {
        match audit::verify_checkpoint(&ledger, file, key, policy.as_ref()) {
            Ok(check) => report.checkpoint = Some(check),
            Err(f) => checkpoint_failure = Some(f),
        }
    }
    match cli.format {
        Format::Json => output::write_json(out, &report)?,
        Format::Table | Format::Csv => {
            if report.ok {
                writeln!(
                    out,
                    "ok: {} events verified (hashes, links, lifecycle rules, index and records, Merkle tree); head seq {} {}",
                    report.checked, report.head.seq, report.head.hash
                )?;
            }
            if let Some(check) = &report.checkpoint {
                audit::print_checkpoint_check(out, check)?;
            }
        }
    }
    if let Some(f) = checkpoint_failure {
        out.flush()?;
        return Err(f);
    }
    match report.failure {
        None => Ok(exit::OK),
        Some(f) => {
            out.flush()?;
            Err(Failure::new(
                exit::FAILED,
                format!("verification failed at seq {}: {} ({} events checked)", f.seq, f.what, report.checked),
            ))
        }
    }
}
