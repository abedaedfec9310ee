//! The command line: every command, flag and help text.

use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand, ValueEnum};
use ledger_core::event::{Key, SubjectKind};
use ledger_core::time::{AsOf, At, Date, Effective};
use ledger_import::reconcile::DelistLimit;

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

    /// No progress bars and no notes on stderr (errors and warnings are still printed).
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,

    /// Ask a running `ledger serve` at this URL instead of opening the ledger (questions,
    /// append, import, head, log, checkpoint, prove, export), for the same output. Plain
    /// http://HOST:PORT: reach an https server through a local TLS proxy.
    #[arg(long, global = true, env = "LEDGER_REMOTE", value_name = "URL")]
    pub remote: Option<String>,

    /// The bearer token for --remote (`ledger token` makes one).
    #[arg(long, global = true, env = "LEDGER_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    pub token: Option<String>,

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

/// The commands. Each one's `--help` ends with examples that run against the ledger of the
/// README's tour; `ledger --help` lists them in the groups of [`GROUPS`].
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a ledger: write its genesis event.
    #[command(after_help = "Examples:
  ledger init --name example.org/uk-gim
  ledger --ledger /srv/sanctions.sled init --name example.org/uk-sanctions")]
    Init {
        /// The ledger's name (the origin line of its checkpoints): a key's name, so 1 to 256
        /// bytes without spaces, `+`, control or invisible characters.
        #[arg(long, default_value = ledger_core::ledger::DEFAULT_NAME, value_parser = parse_name)]
        name: String,
    },
    /// Append input events (JSON Lines) from FILE or `-` (stdin): all of them or none.
    ///
    /// Each line is one event: designation, amendment, delisting or retraction (see
    /// schemas/input-event.schema.json). The batch is checked whole (fields, then the lifecycle
    /// of every key it touches) and written in one atomic, flushed step. Prints the new head.
    ///
    /// An effective date more than a year after today or before 1945 is probably a typo: such a
    /// batch is shown and, at a terminal, asked about; elsewhere it is refused (exit 4) unless
    /// --yes accepts it.
    #[command(after_help = "Examples:
  ledger append examples/uk-gim-2025.jsonl
  ledger append amend.jsonl --yes
  cat amend.jsonl | ledger append -")]
    Append {
        /// The JSON Lines file, or `-` for standard input.
        file: PathBuf,
        /// Create the ledger first if there is none at the path.
        #[arg(long)]
        init: bool,
        /// Accept effective dates that look like typos (more than a year ahead, or before 1945)
        /// without asking.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Print recorded events in chain order.
    #[command(after_help = "Examples:
  ledger log --from 36
  ledger log --from 1 --limit 2 --format json")]
    Log {
        /// The first seq to print.
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// Print at most N events.
        #[arg(long, value_name = "N")]
        limit: Option<u64>,
    },
    /// Print the seq and hash of the last event.
    #[command(after_help = "Examples:
  ledger head
  ledger head --format json")]
    Head,
    /// Re-check every hash, link and seq, the lifecycle rules, the index and the Merkle tree; with
    /// --checkpoint, also that the ledger still has the tree a saved checkpoint recorded.
    #[command(after_help = "Examples:
  ledger verify
  ledger verify --checkpoint 2026-04-30.checkpoint --key ledger.pub")]
    Verify {
        /// A checkpoint saved earlier (`ledger checkpoint`): the ledger must extend it.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// The verifier key (NAME+HASH+DATA, or a file holding it) that must have signed it.
        #[arg(long, value_name = "PUBKEY", requires = "checkpoint")]
        key: Option<String>,
        /// Witnesses.
        #[command(flatten)]
        witnesses: WitnessArgs,
    },
    /// Create an Ed25519 key for signing checkpoints (or, with --witness, a witness's key for
    /// cosigning them); prints the public (verifier) key.
    #[command(after_help = "Examples:
  ledger keygen --out ledger.key --name example.org/uk-gim > ledger.pub
  ledger keygen --witness --out witness.key --name witness.example.org/w1 > witness.pub")]
    Keygen {
        /// Where to write the private key (created with mode 0600; never overwritten).
        #[arg(long, value_name = "KEYFILE")]
        out: PathBuf,
        /// The key's name, as signature lines show it (the ledger's name is a good choice).
        #[arg(long, default_value = ledger_core::ledger::DEFAULT_NAME)]
        name: String,
        /// A witness's cosigner key (C2SP tlog-cosignature, timestamped Ed25519) instead of a
        /// log's key.
        #[arg(long)]
        witness: bool,
    },
    /// Print a checkpoint of the ledger: its name, size and Merkle root as a signed note.
    #[command(after_help = "Examples:
  ledger checkpoint --sign ledger.key | tee 2026-04-30.checkpoint
  ledger checkpoint")]
    Checkpoint {
        /// Sign it with this private key (from `ledger keygen`).
        #[arg(long, value_name = "KEYFILE")]
        sign: Option<PathBuf>,
    },
    /// Print a Merkle proof (JSON): that event SEQ is in the tree, or with --consistency that the
    /// tree extends its older self. With --tlog-proof, the inclusion proof is a C2SP tlog-proof:
    /// one small text file holding the event, its audit path and a checkpoint.
    #[command(after_help = "Examples:
  ledger prove 2 > event2.proof
  ledger prove --consistency 39 > since-39.proof
  ledger prove 29 --tlog-proof --checkpoint public/log/checkpoint > GIM0030.tlog-proof")]
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
        /// Write a C2SP tlog-proof (c2sp.org/tlog-proof@v1), the event's entry as its `extra`.
        #[arg(long, conflicts_with = "consistency")]
        tlog_proof: bool,
        /// The checkpoint the tlog-proof carries, verbatim (a published log's, with its witnesses'
        /// cosignatures): the proof is for its tree. Default: a new checkpoint.
        #[arg(long, value_name = "FILE", requires = "tlog_proof", conflicts_with = "sign")]
        checkpoint: Option<PathBuf>,
        /// Sign the tlog-proof's new checkpoint with this key.
        #[arg(long, value_name = "KEYFILE", requires = "tlog_proof")]
        sign: Option<PathBuf>,
    },
    /// Check a proof from `ledger prove`, against a checkpoint when one is given.
    ///
    /// Without --checkpoint, "ok" means only that the proof agrees with itself; without --key,
    /// that it agrees with a checkpoint anyone could have written. The answer says which.
    #[command(after_help = "Examples:
  ledger verify-proof event2.proof --checkpoint 2026-04-30.checkpoint --key ledger.pub
  ledger verify-proof c.proof --old-checkpoint 2025.checkpoint \\
      --checkpoint 2026.checkpoint --key ledger.pub
  ledger verify-proof GIM0030.tlog-proof --key ledger.pub --witness witness.pub")]
    VerifyProof {
        /// The proof (JSON, or a C2SP tlog-proof, which carries its own checkpoint).
        proof: PathBuf,
        /// The checkpoint whose root the proof must reach (for a consistency proof, the newer tree's).
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// For a consistency proof: the older checkpoint, whose root the proof must start from.
        #[arg(long, value_name = "FILE")]
        old_checkpoint: Option<PathBuf>,
        /// The verifier key that must have signed the checkpoints.
        #[arg(long, value_name = "PUBKEY")]
        key: Option<String>,
        /// A witness whose cosignature of the checkpoint counts (repeatable; `ledger keygen
        /// --witness` makes one).
        #[arg(long, value_name = "PUBKEY")]
        witness: Vec<String>,
        /// How many of the --witness keys must have cosigned the checkpoint (default: all).
        #[arg(long, value_name = "N", requires = "witness")]
        min_witnesses: Option<usize>,
    },
    /// Write every recorded event and a checkpoint as a bundle (JSON Lines) to FILE or `-`.
    #[command(after_help = "Examples:
  ledger export --sign ledger.key gim.bundle
  ledger export - | gzip > gim.bundle.gz")]
    Export {
        /// The bundle file, or `-` for standard output.
        file: PathBuf,
        /// Sign the bundle's checkpoint with this private key.
        #[arg(long, value_name = "KEYFILE")]
        sign: Option<PathBuf>,
    },
    /// Verify a bundle without opening any ledger: hashes, links, lifecycle rules, the Merkle
    /// root against its checkpoint, the signature, and that it extends an older checkpoint.
    #[command(after_help = "Examples:
  ledger verify-bundle gim.bundle --checkpoint 2026-04-30.checkpoint --key ledger.pub
  gunzip -c gim.bundle.gz | ledger verify-bundle -")]
    VerifyBundle {
        /// The bundle file, or `-`.
        file: PathBuf,
        /// An older checkpoint the bundle must extend.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// The verifier key that must have signed the checkpoints.
        #[arg(long, value_name = "PUBKEY")]
        key: Option<String>,
        /// Witnesses of the older checkpoint.
        #[command(flatten)]
        witnesses: WitnessArgs,
    },
    /// Build a new ledger (at --ledger) from a verified bundle: the recovery path.
    #[command(after_help = "Examples:
  ledger --ledger restored.sled import-bundle gim.bundle --key ledger.pub")]
    ImportBundle {
        /// The bundle file, or `-`.
        file: PathBuf,
        /// The verifier key that must have signed its checkpoint.
        #[arg(long, value_name = "PUBKEY")]
        key: Option<String>,
    },
    /// Publish the log as static files in DIR (C2SP tlog-tiles): a signed checkpoint, hash tiles
    /// and entry bundles, which any web server or object store can serve.
    ///
    /// A later run adds what the ledger gained since DIR's checkpoint (the files already there
    /// never change) and replaces the checkpoint last, so a plain `rsync` or object-store sync of
    /// DIR publishes it. DIR's checkpoint must be this ledger's, signed by the key, and a prefix
    /// of the ledger: another log, a fork or a log ahead of the ledger is refused (exit 1).
    #[command(after_help = "Examples:
  ledger publish public/log --sign ledger.key
  ledger publish public/log --sign ledger.key && rsync -a public/log/ web:/srv/www/log/")]
    Publish {
        /// The directory (created if missing).
        dir: PathBuf,
        /// The log's private key (from `ledger keygen`), which signs the checkpoint.
        #[arg(long, value_name = "KEYFILE")]
        sign: PathBuf,
    },
    /// Witness other logs' checkpoints (C2SP tlog-witness), or have a witness cosign this one's.
    ///
    /// `witness serve` runs a witness: it cosigns a log's checkpoint only if the log's key signed
    /// it and it extends the last one it cosigned (a consistency proof), so that a log cannot show
    /// two histories. `witness add-checkpoint` asks a witness to cosign the checkpoint `publish`
    /// wrote in DIR, and keeps the cosignature in it, where `verify --checkpoint --witness` checks
    /// it.
    #[command(after_help = "Examples:
  ledger witness serve --key witness.key --log ledger.pub --state witness.state
  ledger witness add-checkpoint public/log --url http://127.0.0.1:8081 --witness-key witness.pub")]
    Witness {
        /// Serve a witness, or ask one.
        #[command(subcommand)]
        command: WitnessCommand,
    },
    /// Reconcile a published list into events: designations, amendments and delistings.
    ///
    /// The list shows what is in force on its report date; the ledger derives what changed by
    /// comparing it with what it holds for that authority. One import is one atomic batch.
    #[command(after_help = "Examples:
  ledger import uk-csv UK-Sanctions-List-GIM-2026-04-29.csv --dry-run
  ledger import ofac-csv ofac/ --published 2026-05-01 --max-delist 2%
  ledger import uk-csv --series archive/uk/")]
    Import {
        /// The list's layout.
        #[arg(value_parser = list_layouts())]
        list: ledger_import::Format,
        /// The list file, or `-` for standard input. For ofac-csv: the directory holding sdn.csv,
        /// add.csv, alt.csv and sdn_comments.csv, or those files. Several files of another
        /// layout are a series: dated lists imported in report-date order, one batch each.
        #[arg(required_unless_present = "series", num_args = 1.., value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Import every list file of the layout in DIR (`.csv` or `.xml`) as a series, in
        /// report-date order: years of archived lists become the ledger's history.
        #[arg(long, value_name = "DIR")]
        series: Option<PathBuf>,
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
        /// Let the list overwrite or remove values entered by hand, reverse a delisting made by
        /// hand, or delist a designation made by hand (refused without it, naming each).
        #[arg(long)]
        override_manual: bool,
    },
    /// Record a designation (or a relisting) from flags, without writing JSON.
    ///
    /// Prints the event and the designation as it will stand, asks for confirmation when standing
    /// at a terminal, then appends it as `append` would.
    #[command(after_help = r#"Examples:
  ledger designate UK/GIM0047 --regime GIM --kind individual --name "Nusret SEFEROVIC" \
    --effective 2025-10-22 --measure asset_freeze --measure travel_ban
  ledger designate UK/GIM0048 --regime GIM --kind ship --name "MV EXAMPLE" \
    --effective 2025-12-01 --measure custom:port_ban --dry-run"#)]
    Designate(DesignateArgs),
    /// Vary a designation in force: add aliases, remove names, change measures or the reason.
    ///
    /// Builds an RFC 7396 merge patch over the record as it stands at --effective; --patch takes a
    /// raw patch instead (or as well).
    #[command(after_help = r#"Examples:
  ledger amend UK/GIM0030 --effective 2025-11-03 --add-alias "ALPA TRADING" \
    --reason "variation: alias added"
  ledger amend UK/GIM0047 --effective 2025-12-01 --add-measure trust_services \
    --reason "variation: measure added""#)]
    Amend(AmendArgs),
    /// End a designation.
    #[command(after_help = r#"Examples:
  ledger delist UK/GIM0030 --effective 2026-02-01 --reason "revoked on review"
  ledger delist UK/GIM0047 --effective 2026-03-01 --reason "revoked on review" --dry-run"#)]
    Delist(DelistArgs),
    /// Withdraw an event recorded in error (nothing is deleted: the retraction is a new event).
    #[command(after_help = r#"Examples:
  ledger retract 39 --reason "amendment entered against the wrong designation""#)]
    Retract(RetractArgs),
    /// Serve the ledger to a team over HTTP: the JSON API, and a legal-review page at `/`.
    ///
    /// One process opens the ledger and holds it; everyone else asks it (the page, scripts, or
    /// `ledger --remote URL`). Questions are answered at the last durable head and never wait for
    /// a write; writes (POST /v1/events, /v1/import/FORMAT) need an operator's token from
    /// --tokens and are applied one batch at a time. Stops on SIGTERM or Ctrl-C after the
    /// requests in flight. The API: docs/API.md.
    #[command(after_help = "Examples:
  ledger --ledger gim.sled serve --tokens tokens.txt
  ledger --ledger gim.sled serve --listen 127.0.0.1:9000 --tokens tokens.txt --read-token
  ledger --ledger gim.sled serve --tokens tokens.txt --sign ledger.key --publish public/log")]
    Serve {
        /// The address to listen on (port 0 picks a free port; the first line printed names it).
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
        listen: String,
        /// The tokens file (`ledger token` makes its lines); without it the server takes no writes.
        #[arg(long, value_name = "FILE")]
        tokens: Option<PathBuf>,
        /// Questions need a token too (any role).
        #[arg(long, requires = "tokens")]
        read_token: bool,
        /// The largest request body accepted (bytes).
        #[arg(long, value_name = "BYTES", default_value_t = 256 << 20)]
        max_body: usize,
        /// How long a question may take before it is answered 503 (seconds).
        #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
        timeout: f64,
        /// Sign checkpoints and exported bundles with this key (from `ledger keygen`).
        #[arg(long, value_name = "KEYFILE")]
        sign: Option<PathBuf>,
        /// Keep the log published in DIR (as `ledger publish DIR`) after every write, and serve
        /// it read-only under /log/ (C2SP tlog-tiles), for mirrors and witnesses. Needs --sign.
        #[arg(long, value_name = "DIR", requires = "sign")]
        publish: Option<PathBuf>,
    },
    /// Make a bearer token for `ledger serve`: prints the token (shown only now) and its line
    /// for the tokens file, which holds only the token's SHA-256.
    #[command(after_help = "Examples:
  ledger token alice@example.org --role operator --add tokens.txt
  ledger token reviewers --role reader")]
    Token {
        /// The holder's name, recorded as the actor of the events appended with the token.
        name: String,
        /// What the token may do: `operator` reads and writes, `reader` only reads.
        #[arg(long, value_parser = ["operator", "reader"], default_value = "reader")]
        role: String,
        /// Append the line to this tokens file (created if missing, readable by its owner only).
        #[arg(long, value_name = "FILE")]
        add: Option<PathBuf>,
    },
    /// Print a shell completion script.
    #[command(after_help = "Examples:
  ledger completions bash > ~/.local/share/bash-completion/completions/ledger
  ledger completions zsh > ~/.zfunc/_ledger")]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    #[command(after_help = "Examples:
  ledger man > ledger.1 && man ./ledger.1")]
    Man,
    /// The designations in force at a point in time.
    ///
    /// An --authority or --regime that no designation in the ledger has ever had is probably a
    /// typo: the (empty) answer is printed and the exit code is 1.
    #[command(after_help = "Examples:
  ledger state --at 2025-10-23 --regime GIM
  ledger state --at 2025-07-23 --regime GIM --count")]
    State {
        /// The point in time (both axes).
        #[command(flatten)]
        time: TimeArgs,
        /// Only this authority (e.g. UK; any case).
        #[arg(long)]
        authority: Option<String>,
        /// Only this regime code (e.g. GIM; any case).
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
    /// The status is active, delisted or absent (the ledger holds the key, but it was not in
    /// force, or not yet known, at that point): exit 0. A key the ledger has never held has status
    /// unknown: exit 1.
    #[command(after_help = "Examples:
  ledger show UK/GIM0030 --at 2025-11-10
  ledger show UK/GIM0030 --at 2025-11-10 --as-of 2026-01-01 --format json")]
    Show {
        /// The designation, AUTHORITY/ID (e.g. UK/GIM0047; the authority in any case).
        #[arg(value_parser = parse_key)]
        key: KeyArg,
        /// The point in time (both axes).
        #[command(flatten)]
        time: TimeArgs,
    },
    /// Every event of one designation, on both time axes, retractions marked.
    #[command(after_help = "Examples:
  ledger history UK/GIM0030
  ledger history UK/GIM0030 --as-of 2025-12-31 --format json")]
    History {
        /// The designation, AUTHORITY/ID (the authority in any case).
        #[arg(value_parser = parse_key)]
        key: KeyArg,
        /// Only events recorded by then. A date means the end of that day (UTC). Default: now.
        #[arg(long, value_name = "T", value_parser = AsOf::parse)]
        as_of: Option<AsOf>,
    },
    /// Designations added, delisted and amended (field by field) between two legal-effect times.
    #[command(after_help = "Examples:
  ledger diff --from 2025-07-23 --to 2025-10-22
  ledger diff --from 2025-10-31 --to 2026-02-28 --format json")]
    Diff {
        /// The earlier legal-effect time. A date means the end of that day (UTC).
        #[arg(long, value_name = "T", value_parser = At::parse)]
        from: At,
        /// The later legal-effect time.
        #[arg(long, value_name = "T", value_parser = At::parse)]
        to: At,
        /// What the ledger knew by then. Default: now.
        #[arg(long, value_name = "T", value_parser = AsOf::parse)]
        as_of: Option<AsOf>,
    },
    /// Find names and aliases, case-, accent- and punctuation-insensitively, whole words in any order.
    ///
    /// Exit 1 when no designation known at that point has a matching name.
    #[command(after_help = r#"Examples:
  ledger search "Nusret Seferović" --at 2025-10-23
  ledger search "alpa trading" --format csv"#)]
    Search {
        /// The name, or some of its words.
        name: String,
        /// The point in time (both axes).
        #[command(flatten)]
        time: TimeArgs,
    },
}

impl Command {
    /// The designation key the command names, if it names one.
    pub fn key(&self) -> Option<&KeyArg> {
        match self {
            Command::Show { key, .. } | Command::History { key, .. } => Some(key),
            Command::Designate(a) => Some(&a.key),
            Command::Amend(a) => Some(&a.key),
            Command::Delist(a) => Some(&a.key),
            _ => None,
        }
    }
}

/// `ledger witness`.
#[derive(Debug, Subcommand)]
pub enum WitnessCommand {
    /// Serve a witness (C2SP tlog-witness) of the logs whose keys are given: `POST
    /// /add-checkpoint` cosigns a checkpoint that the log's key signed and that extends the last
    /// one it cosigned for that log (a consistency proof from that size).
    ///
    /// The state (per log, the size and root last cosigned) is written to --state and flushed
    /// before each answer, and read again when the witness starts. Prints `listening on
    /// http://ADDR` once it accepts requests, then serves until SIGTERM or Ctrl-C; one JSON line
    /// per request on stderr. The cosignatures' time is the system clock's (or LEDGER_CLOCK's).
    #[command(after_help = "Examples:
  ledger witness serve --key witness.key --log ledger.pub --state witness.state
  ledger witness serve --key w.key --log a.pub --log b.pub --state w.state --listen 0.0.0.0:8081")]
    Serve {
        /// The witness's private key (`ledger keygen --witness`).
        #[arg(long, value_name = "KEYFILE")]
        key: PathBuf,
        /// A log to witness: its verifier key (NAME+HASH+DATA, or a file holding it), whose name is
        /// the log's origin (a ledger's name). Repeat for more logs, or for more keys of one log.
        #[arg(long = "log", value_name = "PUBKEY", required = true)]
        logs: Vec<String>,
        /// The file of the witness's state (created on the first cosignature).
        #[arg(long, value_name = "FILE")]
        state: PathBuf,
        /// The address to listen on (port 0 picks a free port; the first line printed names it).
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8081")]
        listen: String,
    },
    /// Ask a witness to cosign the checkpoint of the log published in DIR (`ledger publish`),
    /// and keep its cosignature in DIR/checkpoint.
    ///
    /// The request carries the consistency proof from the size the witness cosigned last,
    /// computed from DIR's tiles: it starts from 0, and a witness that answers with its own size
    /// (409) is asked once more from that size. The cosignature is verified with --witness-key,
    /// and replaces an earlier one of the same key. Exit 1 when the witness refuses (an unknown
    /// log, an untrusted key, a proof that does not verify, a fork), 69 when it cannot be reached.
    #[command(after_help = "Examples:
  ledger witness add-checkpoint public/log --url http://127.0.0.1:8081 --witness-key witness.pub")]
    AddCheckpoint {
        /// The directory `ledger publish` writes.
        dir: PathBuf,
        /// The witness's URL (http://HOST:PORT, with its path prefix if it has one).
        #[arg(long, value_name = "URL")]
        url: String,
        /// The witness's verifier key (NAME+HASH+DATA, or a file holding it).
        #[arg(long, value_name = "PUBKEY")]
        witness_key: String,
    },
}

/// `--witness` and `--min-witnesses`.
#[derive(Debug, Clone, clap::Args)]
pub struct WitnessArgs {
    /// A witness's verifier key (NAME+HASH+DATA, or a file holding it) whose cosignature the
    /// checkpoint must carry; repeat for more.
    #[arg(long = "witness", value_name = "PUBKEY", requires = "checkpoint")]
    pub witnesses: Vec<String>,
    /// How many of the --witness keys must have cosigned it (default: all of them).
    #[arg(long, value_name = "N", requires = "witnesses")]
    pub min_witnesses: Option<usize>,
}

/// What every operator command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct WriteArgs {
    /// Print the event and its effect, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation (the question is only asked at a terminal), and accept an
    /// effective date that looks like a typo (more than a year ahead, or before 1945).
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
    pub key: KeyArg,
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
    /// given and recorded as `custom:CODE` (CODE snake_case), e.g. custom:port_ban.
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
    pub key: KeyArg,
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
    pub key: KeyArg,
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
    #[arg(long, value_name = "T", value_parser = At::parse)]
    pub at: Option<At>,
    /// Knowledge: count only what the ledger had recorded by T. Same forms. Default: now.
    #[arg(long, value_name = "T", value_parser = AsOf::parse)]
    pub as_of: Option<AsOf>,
}

/// The published list layouts, by name, each with its summary in `--help`.
fn list_layouts() -> impl TypedValueParser<Value = ledger_import::Format> {
    let values = ledger_import::Format::ALL.map(|f| PossibleValue::new(f.name()).help(f.summary()));
    PossibleValuesParser::new(values)
        .map(|name| ledger_import::Format::from_name(&name).expect("every possible value names a list layout"))
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

/// An argument that does not parse; the message says why (clap names the argument).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgError {
    /// A ledger's (or key's) name that breaks the rule of names.
    Name(ledger_core::checkpoint::NameError),
    /// A designation key that is not `AUTHORITY/ID`.
    Key(ledger_core::event::KeyError),
}

impl std::fmt::Display for ArgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArgError::Name(why) => write!(f, "{why}"),
            ArgError::Key(why) => write!(f, "{why}"),
        }
    }
}

impl std::error::Error for ArgError {}

/// A ledger's name, by the rule of a key's name: `keygen --name` and `init --name` take the same.
fn parse_name(s: &str) -> Result<String, ArgError> {
    ledger_core::checkpoint::check_name(s).map(|()| s.to_owned()).map_err(ArgError::Name)
}

/// A designation key as given on the command line: the authority in any case (authorities are
/// upper-case codes, so `uk/GIM0030` means `UK/GIM0030`); the id exactly as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyArg {
    /// The key meant.
    pub key: Key,
    /// What was typed.
    pub typed: String,
}

impl KeyArg {
    /// A note for stderr when the key meant is not the key typed.
    pub fn note(&self) -> Option<String> {
        (self.typed != self.key.to_string())
            .then(|| format!("reading `{}` as {} (authorities are upper-case codes)", self.typed, self.key))
    }
}

impl std::ops::Deref for KeyArg {
    type Target = Key;
    fn deref(&self) -> &Key {
        &self.key
    }
}

impl std::fmt::Display for KeyArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.key.fmt(f)
    }
}

fn parse_key(s: &str) -> Result<KeyArg, ArgError> {
    let key = match s.split_once('/') {
        Some((authority, id)) => format!("{}/{id}", authority.to_ascii_uppercase()),
        None => s.to_owned(),
    };
    Ok(KeyArg { key: Key::parse(&key).map_err(ArgError::Key)?, typed: s.to_owned() })
}

/// The groups `ledger --help` lists the commands in.
pub const GROUPS: &[(&str, &[&str])] = &[
    ("Recording", &["init", "append", "designate", "amend", "delist", "retract"]),
    ("Asking", &["state", "show", "history", "diff", "search", "log", "head"]),
    (
        "Auditing",
        &["verify", "keygen", "checkpoint", "prove", "verify-proof", "export", "verify-bundle", "import-bundle"],
    ),
    ("Publishing", &["publish", "witness"]),
    ("Lists", &["import"]),
    ("Serving", &["serve", "token"]),
    ("Setting up", &["completions", "man"]),
];

/// The command line, its top-level help listing the commands by group.
pub fn command() -> clap::Command {
    let cmd = <Cli as clap::CommandFactory>::command();
    let names: Vec<String> = cmd.get_subcommands().map(|c| c.get_name().to_owned()).collect();
    let width = names.iter().map(String::len).max().unwrap_or(0);
    let about =
        |name: &str| cmd.find_subcommand(name).and_then(|c| c.get_about()).map(|a| a.to_string()).unwrap_or_default();
    let mut listing = String::new();
    let ungrouped: Vec<&str> =
        names.iter().map(String::as_str).filter(|n| !GROUPS.iter().any(|(_, g)| g.contains(n))).collect();
    let other = [("Other", ungrouped.as_slice())];
    for (group, members) in GROUPS.iter().copied().chain(other.iter().copied()) {
        if members.is_empty() {
            continue;
        }
        listing.push_str(group);
        listing.push_str(" commands:\n");
        for name in members {
            // Wrapped at 100 columns, continued under the first line's text.
            let mut line = format!("  {name:width$} ");
            for word in about(name).split(' ') {
                if line.len() + 1 + word.len() > 100 && line.trim_start().len() > width {
                    listing.push_str(line.trim_end());
                    listing.push('\n');
                    line = " ".repeat(width + 3);
                }
                line.push(' ');
                line.push_str(word);
            }
            listing.push_str(line.trim_end());
            listing.push('\n');
        }
        listing.push('\n');
    }
    let template =
        format!("{{about-with-newline}}\n{{usage-heading}} {{usage}}\n\n{listing}Options:\n{{options}}{{after-help}}");
    cmd.help_template(template).after_help(
        "Each command's --help ends with examples. Exit codes, the tour and what the ledger guarantees: README.md.",
    )
}
