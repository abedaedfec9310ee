//! The command line: every command, flag and help text.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

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
}
