//! The command line: every command, flag and help text.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use ledger_core::event::{Key, SubjectKind};
use ledger_core::import::reconcile::DelistLimit;
use ledger_core::time::{Date, Effective, Micros};

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
    ///
    /// Example: ledger --ledger /srv/sanctions.sled init --name example.org/uk-sanctions
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
    /// Re-check every hash, link and seq, the lifecycle rules, the index and the Merkle tree; with
    /// --checkpoint, also that the ledger still has the tree a saved checkpoint recorded.
    ///
    /// Example: ledger verify --checkpoint 2025-12-31.checkpoint --key "$(cat ledger.pub)"
    Verify {
        /// A checkpoint saved earlier (`ledger checkpoint`): the ledger must extend it.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// The verifier key (NAME+HASH+DATA, or a file holding it) that must have signed it.
        #[arg(long, value_name = "PUBKEY", requires = "checkpoint")]
        key: Option<String>,
    },
    /// Create an Ed25519 key for signing checkpoints; prints the public (verifier) key.
    ///
    /// Example: ledger keygen --out ledger.key --name example.org/uk-gim > ledger.pub
    Keygen {
        /// Where to write the private key (created with mode 0600; never overwritten).
        #[arg(long, value_name = "KEYFILE")]
        out: PathBuf,
        /// The key's name, as signature lines show it (the ledger's name is a good choice).
        #[arg(long, default_value = ledger_core::ledger::DEFAULT_NAME)]
        name: String,
    },
    /// Print a checkpoint of the ledger: its name, size and Merkle root as a signed note.
    ///
    /// Example: ledger checkpoint --sign ledger.key > 2025-12-31.checkpoint
    Checkpoint {
        /// Sign it with this private key (from `ledger keygen`).
        #[arg(long, value_name = "KEYFILE")]
        sign: Option<PathBuf>,
    },
    /// Print a Merkle proof (JSON): that event SEQ is in the tree, or with --consistency that the
    /// tree extends its older self.
    ///
    /// Example: ledger prove 29 --size 39 > gim0030.proof
    Prove {
        /// The event to prove included.
        #[arg(required_unless_present = "consistency", conflicts_with = "consistency")]
        seq: Option<u64>,
        /// The tree size (default: every event).
        #[arg(long, value_name = "N")]
        size: Option<u64>,
        /// Prove that the tree of OLD_SIZE events is a prefix of the tree of --size events.
        #[arg(long, value_name = "OLD_SIZE")]
        consistency: Option<u64>,
    },
    /// Check a proof from `ledger prove`, against a checkpoint when one is given.
    VerifyProof {
        /// The proof (JSON).
        proof: PathBuf,
        /// The checkpoint whose root the proof must reach.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// The verifier key that must have signed the checkpoint.
        #[arg(long, value_name = "PUBKEY", requires = "checkpoint")]
        key: Option<String>,
    },
    /// Write every recorded event and a checkpoint as a bundle (JSON Lines) to FILE or `-`.
    ///
    /// Example: ledger export --sign ledger.key ledger-2025-12-31.bundle
    Export {
        /// The bundle file, or `-` for standard output.
        file: PathBuf,
        /// Sign the bundle's checkpoint with this private key.
        #[arg(long, value_name = "KEYFILE")]
        sign: Option<PathBuf>,
    },
    /// Verify a bundle without opening any ledger: hashes, links, lifecycle rules, the Merkle
    /// root against its checkpoint, the signature, and that it extends an older checkpoint.
    ///
    /// Example: ledger verify-bundle ledger-2026.bundle --checkpoint 2025-12-31.checkpoint --key ledger.pub
    VerifyBundle {
        /// The bundle file, or `-`.
        file: PathBuf,
        /// An older checkpoint the bundle must extend.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// The verifier key that must have signed the checkpoints.
        #[arg(long, value_name = "PUBKEY")]
        key: Option<String>,
    },
    /// Build a new ledger (at --ledger) from a verified bundle: the recovery path.
    ///
    /// Example: ledger --ledger restored.sled import-bundle ledger-2026.bundle --key ledger.pub
    ImportBundle {
        /// The bundle file, or `-`.
        file: PathBuf,
        /// The verifier key that must have signed its checkpoint.
        #[arg(long, value_name = "PUBKEY")]
        key: Option<String>,
    },
    /// Reconcile a published list into events: designations, amendments and delistings.
    ///
    /// The list shows what is in force on its report date; the ledger derives what changed by
    /// comparing it with what it holds for that authority. One import is one atomic batch.
    ///
    /// Example: ledger import uk-csv UK-Sanctions-List.csv --dry-run
    ///
    /// Example: ledger import ofac-csv ofac/ --published 2026-05-01
    Import {
        /// The list's layout.
        #[arg(value_enum)]
        list: ListFormat,
        /// The list file, or `-` for standard input. For ofac-csv: the directory holding sdn.csv,
        /// add.csv, alt.csv and sdn_comments.csv, or those files.
        #[arg(required = true, num_args = 1.., value_name = "FILE")]
        files: Vec<PathBuf>,
        /// The date the list was published, for a layout that carries none (ofac-csv).
        #[arg(long, value_name = "DATE", value_parser = Date::parse)]
        published: Option<Date>,
        /// Print the events it would append, and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Refuse a list that would delist more than N designations, or P% of the authority's
        /// designations in force (a truncated download).
        #[arg(long, value_name = "N|P%", default_value = "5%", value_parser = DelistLimit::parse)]
        max_delist: DelistLimit,
        /// Refuse a list that would amend more than N designations, or P% of the authority's
        /// designations in force (a changed format or mapping).
        #[arg(long, value_name = "N|P%", default_value = "25%", value_parser = DelistLimit::parse)]
        max_amend: DelistLimit,
        /// Accept a list older than the last one imported for its authority.
        #[arg(long)]
        allow_older: bool,
    },
    /// Record a designation (or a relisting) from flags, without writing JSON.
    ///
    /// Prints the event and the designation as it will stand, asks for confirmation when standing
    /// at a terminal, then appends it as `append` would.
    ///
    /// Example:
    ///   ledger designate UK/GIM0047 --regime GIM --kind individual --name "Nusret SEFEROVIC" \
    ///     --effective 2025-10-22 --measure asset_freeze --measure travel_ban
    Designate(DesignateArgs),
    /// Vary a designation in force: add aliases, remove names, change measures or the reason.
    ///
    /// Builds an RFC 7396 merge patch over the record as it stands at --effective; --patch takes a
    /// raw patch instead (or as well).
    ///
    /// Example:
    ///   ledger amend UK/GIM0030 --effective 2025-11-03 --add-alias "ALPA TRADING" \
    ///     --reason "variation: alias added"
    Amend(AmendArgs),
    /// End a designation.
    ///
    /// Example: ledger delist UK/GIM0030 --effective 2026-02-01 --reason "revoked on review"
    Delist(DelistArgs),
    /// Withdraw an event recorded in error (nothing is deleted: the retraction is a new event).
    ///
    /// Example: ledger retract 39 --reason "amendment entered against the wrong designation"
    Retract(RetractArgs),
    /// Print a shell completion script.
    ///
    /// Example: ledger completions bash > /etc/bash_completion.d/ledger
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    ///
    /// Example: ledger man > ledger.1 && man ./ledger.1
    Man,
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

/// What every operator command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct WriteArgs {
    /// Print the event and its effect, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation (the question is only asked at a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// A note kept with the event (not part of the designation record).
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
}

/// `ledger designate`.
#[derive(Debug, Clone, clap::Args)]
pub struct DesignateArgs {
    /// The designation, AUTHORITY/ID (e.g. UK/GIM0047).
    #[arg(value_parser = parse_key)]
    pub key: Key,
    /// The regime code (e.g. GIM).
    #[arg(long, value_name = "CODE")]
    pub regime: String,
    /// The regime's full name.
    #[arg(long, value_name = "NAME")]
    pub regime_name: Option<String>,
    /// Individual, entity or ship.
    #[arg(long, value_enum)]
    pub kind: Kind,
    /// The primary name.
    #[arg(long)]
    pub name: String,
    /// An alias (a.k.a.); repeat for more.
    #[arg(long, value_name = "NAME")]
    pub alias: Vec<String>,
    /// A variation of the primary name; repeat for more.
    #[arg(long, value_name = "NAME")]
    pub name_variation: Vec<String>,
    /// A date of birth: YYYY-MM-DD, or YYYY-MM or YYYY where that is all that is known.
    #[arg(long, value_name = "DATE")]
    pub dob: Vec<String>,
    /// A nationality; repeat for more.
    #[arg(long, value_name = "COUNTRY")]
    pub nationality: Vec<String>,
    /// A measure imposed (asset_freeze, travel_ban, trust_services, director_disqualification,
    /// arms_embargo, shipping, ...; `ledger designate --help` lists them). An unlisted measure is
    /// recorded as `custom:CODE`, e.g. custom:port_ban.
    #[arg(long, value_name = "MEASURE", required = true)]
    pub measure: Vec<String>,
    /// The statement of reasons.
    #[arg(long, value_name = "TEXT", conflicts_with = "reason_file")]
    pub reason: Option<String>,
    /// Read the statement of reasons from a file.
    #[arg(long, value_name = "FILE")]
    pub reason_file: Option<PathBuf>,
    /// The published notice's address.
    #[arg(long, value_name = "URL")]
    pub source_url: Option<String>,
    /// When the authority published the designation (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = Date::parse)]
    pub published: Option<Date>,
    /// When it took legal effect: YYYY-MM-DD or an RFC 3339 instant.
    #[arg(long, value_name = "DATE", value_parser = Effective::parse)]
    pub effective: Effective,
    /// Dry run, confirmation and note.
    #[command(flatten)]
    pub write: WriteArgs,
}

/// `ledger amend`.
#[derive(Debug, Clone, clap::Args)]
pub struct AmendArgs {
    /// The designation, AUTHORITY/ID.
    #[arg(value_parser = parse_key)]
    pub key: Key,
    /// When the variation took legal effect: YYYY-MM-DD or an RFC 3339 instant.
    #[arg(long, value_name = "DATE", value_parser = Effective::parse)]
    pub effective: Effective,
    /// Add an alias; repeat for more.
    #[arg(long, value_name = "NAME")]
    pub add_alias: Vec<String>,
    /// Remove a name (of any type); repeat for more.
    #[arg(long, value_name = "NAME")]
    pub remove_name: Vec<String>,
    /// Add a measure (same vocabulary as `designate --measure`).
    #[arg(long, value_name = "MEASURE")]
    pub add_measure: Vec<String>,
    /// Remove a measure.
    #[arg(long, value_name = "MEASURE")]
    pub remove_measure: Vec<String>,
    /// Replace the statement of reasons.
    #[arg(long, value_name = "TEXT")]
    pub set_reason: Option<String>,
    /// A raw RFC 7396 merge patch over the record (a JSON object), applied before the flags.
    #[arg(long, value_name = "FILE")]
    pub patch: Option<PathBuf>,
    /// Why the designation was varied.
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Dry run, confirmation and note.
    #[command(flatten)]
    pub write: WriteArgs,
}

/// `ledger delist`.
#[derive(Debug, Clone, clap::Args)]
pub struct DelistArgs {
    /// The designation, AUTHORITY/ID.
    #[arg(value_parser = parse_key)]
    pub key: Key,
    /// When the delisting took legal effect: YYYY-MM-DD or an RFC 3339 instant.
    #[arg(long, value_name = "DATE", value_parser = Effective::parse)]
    pub effective: Effective,
    /// Why the designation ended.
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Dry run, confirmation and note.
    #[command(flatten)]
    pub write: WriteArgs,
}

/// `ledger retract`.
#[derive(Debug, Clone, clap::Args)]
pub struct RetractArgs {
    /// The seq of the event recorded in error.
    pub seq: u64,
    /// Why it was recorded in error.
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Dry run, confirmation and note.
    #[command(flatten)]
    pub write: WriteArgs,
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

/// Published list layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// The UK Sanctions List, CSV.
    UkCsv,
    /// The UK Sanctions List, XML.
    UkXml,
    /// The UN Security Council Consolidated List, XML.
    UnXml,
    /// The EU Financial Sanctions Files (consolidated list), XML.
    EuXml,
    /// OFAC's SDN list in its legacy CSV files (sdn.csv, add.csv, alt.csv, sdn_comments.csv).
    OfacCsv,
    /// OFAC's lists in the advanced XML (sdn_advanced.xml, cons_advanced.xml).
    OfacXml,
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
