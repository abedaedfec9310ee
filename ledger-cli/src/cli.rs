//! The command line: every command, flag and help text.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use ledger_core::event::{Key, SubjectKind};
use ledger_core::time::Micros;

/// A tamper-evident ledger of sanctions designations, amendments, delistings and corrections,
/// queryable at any date.
#[derive(Debug, Parser)]
#[command(name = "ledger", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// The ledger directory.
    #[arg(long, global = true, env = "LEDGER_PATH", default_value = "./ledger.sled", value_name = "PATH")]
    pub ledger: PathBuf,

    /// Who is appending (recorded in each event). Defaults to the OS user.
    #[arg(long, global = true, env = "LEDGER_ACTOR", value_name = "NAME")]
    pub actor: Option<String>,

    /// If another process holds the ledger, retry for up to this many seconds before giving up
    /// with exit 75.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 0.0)]
    pub wait: f64,

    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Output formats. `json` is the stable contract, described in `schemas/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for reading.
    Table,
    /// JSON (JSON Lines for event streams).
    Json,
    /// Comma-separated values, where the output is a table.
    Csv,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a ledger: write its genesis event.
    Init {
        /// The ledger's name (the origin line of its checkpoints).
        #[arg(long, default_value = ledger_core::ledger::DEFAULT_NAME)]
        name: String,
    },
    /// Append input events (JSON Lines) from FILE or `-` (stdin): all of them or none.
    ///
    /// Each line is one event: designation, amendment, delisting or retraction (see
    /// schemas/input-event.schema.json). The batch is checked whole (fields, then the lifecycle
    /// of every key it touches) and written in one atomic, flushed step. Prints the new head.
    ///
    /// Example: ledger append examples/uk-gim-2025.jsonl
    Append {
        /// The JSON Lines file, or `-` for standard input.
        file: PathBuf,
        /// Create the ledger first if there is none at the path.
        #[arg(long)]
        init: bool,
    },
    /// Print recorded events in chain order.
    Log {
        /// The first seq to print.
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// Print at most N events.
        #[arg(long, value_name = "N")]
        limit: Option<u64>,
    },
    /// Print the seq and hash of the last event.
    Head,
    /// Re-check every hash, link and seq, the lifecycle rules and the index.
    Verify,
    /// The designations in force at a point in time.
    ///
    /// Example: ledger state --at 2025-10-23 --regime GIM
    State {
        /// The point in time (both axes).
        #[command(flatten)]
        time: TimeArgs,
        /// Only this authority (e.g. UK).
        #[arg(long)]
        authority: Option<String>,
        /// Only this regime code (e.g. GIM).
        #[arg(long)]
        regime: Option<String>,
        /// Only this kind of subject.
        #[arg(long, value_enum)]
        kind: Option<Kind>,
        /// Also list formerly designated (delisted) keys, with their delisting date.
        #[arg(long)]
        include_delisted: bool,
        /// Print only the number of designations.
        #[arg(long)]
        count: bool,
    },
    /// One designation's record and status at a point in time.
    ///
    /// Example: ledger show UK/GIM0047 --at 2025-10-23
    Show {
        /// The designation, AUTHORITY/ID (e.g. UK/GIM0047).
        #[arg(value_parser = parse_key)]
        key: Key,
        /// The point in time (both axes).
        #[command(flatten)]
        time: TimeArgs,
    },
    /// Every event of one designation, on both time axes, retractions marked.
    History {
        /// The designation, AUTHORITY/ID.
        #[arg(value_parser = parse_key)]
        key: Key,
        /// Only events recorded by then. A date means the end of that day (UTC). Default: now.
        #[arg(long, value_name = "T", value_parser = parse_time)]
        as_of: Option<Micros>,
    },
    /// Designations added, delisted and amended (field by field) between two legal-effect times.
    ///
    /// Example: ledger diff --from 2025-07-23 --to 2025-10-22
    Diff {
        /// The earlier legal-effect time. A date means the end of that day (UTC).
        #[arg(long, value_name = "T", value_parser = parse_time)]
        from: Micros,
        /// The later legal-effect time.
        #[arg(long, value_name = "T", value_parser = parse_time)]
        to: Micros,
        /// What the ledger knew by then. Default: now.
        #[arg(long, value_name = "T", value_parser = parse_time)]
        as_of: Option<Micros>,
    },
    /// Find names and aliases, case-, accent- and punctuation-insensitively, whole words in any order.
    ///
    /// Example: ledger search "Nusret Seferović" --at 2025-10-23
    Search {
        /// The name, or some of its words.
        name: String,
        /// The point in time (both axes).
        #[command(flatten)]
        time: TimeArgs,
    },
}

/// The two time axes of a query.
#[derive(Debug, Clone, clap::Args)]
pub struct TimeArgs {
    /// Legal effect: count what was in force at T. A date means the end of that day (UTC); or an
    /// RFC 3339 instant. Default: now.
    #[arg(long, value_name = "T", value_parser = parse_time)]
    pub at: Option<Micros>,
    /// Knowledge: count only what the ledger had recorded by T. Same forms. Default: now.
    #[arg(long, value_name = "T", value_parser = parse_time)]
    pub as_of: Option<Micros>,
}

/// Kinds of subject, for `--kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// A person.
    Individual,
    /// An organisation.
    Entity,
    /// A ship.
    Ship,
}

impl From<Kind> for SubjectKind {
    fn from(k: Kind) -> SubjectKind {
        match k {
            Kind::Individual => SubjectKind::Individual,
            Kind::Entity => SubjectKind::Entity,
            Kind::Ship => SubjectKind::Ship,
        }
    }
}

fn parse_time(s: &str) -> Result<Micros, String> {
    ledger_core::time::parse_query_time(s)
}

fn parse_key(s: &str) -> Result<Key, String> {
    Key::parse(s)
}
