//! `ledger-bench`: how fast the ledger appends, verifies and answers, how much disk and memory it
//! takes, and how that compares with what its parts alone can do.
//!
//! For each size, a seeded generator ([`history`]) writes a realistic history (about ten events per
//! designation: amendments, delistings, relistings, backdated amendments, retractions). Each
//! repetition then builds a fresh ledger from it in a temporary directory, in batches of
//! [`BATCH`] events, each appended with [`ledger_core::Ledger::append`] (durable when it returns),
//! and measures:
//!
//! - in this process, through `ledger-core`'s public API: the bulk append, `verify`, `show`,
//!   `history`, `state --count`, the full state as JSON, a one-month `diff` and a `search`;
//! - as whole processes of the real `ledger` binary: the same queries, and a single-event
//!   `append`, with each child's own peak RSS (`wait4`);
//! - the bytes on disk per event;
//! - baselines on the same canonical bytes ([`baseline`]): BLAKE3 alone, JSON parsing alone,
//!   raw sled inserts (one key per event; 64 events per key) and scans, a process start.
//!
//! [`run`] returns a [`Report`]: every figure's median over the repetitions and its runs, each
//! beside its baseline as a ratio (ours / baseline), and the targets. [`Report::table`]
//! renders it for a terminal; the JSON form is the report serialized.
//!
//! [`serve`] is the benchmark of `ledger serve` under load (`ledger-bench serve`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use ledger_core::event::Key;
use ledger_core::input::{Numbered, parse_line};
use ledger_core::projection::When;
use ledger_core::query::{self, StateFilter};
use ledger_core::time::FixedClock;
use ledger_core::{Ledger, verify};
use serde::{Deserialize, Serialize};

pub mod baseline;
pub mod history;
pub mod measure;
pub mod serve;
pub mod sqlite_peer;

use history::{date, day_micros};
use measure::{in_process, median, ms_since, run_process};

/// Errors of a benchmark run: any failure stops it, with a message saying what failed.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
/// A result of a benchmark step.
pub type Result<T> = std::result::Result<T, Error>;

/// Events per append batch (each batch is durable before the next).
pub const BATCH: usize = 10_000;
/// The actor recorded in every event.
pub const ACTOR: &str = "bench@example.org";
/// Repetitions, within one repetition, of the cheap in-process queries (`show`, `history`).
const INNER_QUICK: usize = 21;
/// Repetitions, within one repetition, of the cheap whole-process commands.
const INNER_PROCESS: usize = 5;

/// What to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// History sizes, in events.
    pub sizes: Vec<usize>,
    /// Repetitions per size (fresh ledger each); figures are medians over them.
    pub repeat: usize,
    /// The generator's seed.
    pub seed: u64,
    /// The `ledger` binary run for the whole-process figures.
    pub ledger_bin: PathBuf,
    /// Where to make temporary directories (default: the system's).
    pub tmp: Option<PathBuf>,
    /// Print progress to standard error.
    pub progress: bool,
    /// The `ledger-bench` binary, to run each whole-process command under (see
    /// [`measure::MEASURE_CHILD`]); without it, a child's peak RSS includes this process's.
    pub spawner: Option<PathBuf>,
}

/// How a figure is judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// The median must be at least this.
    AtLeast(f64),
    /// The median must be at most this.
    AtMost(f64),
    /// The median must be at most this many times its baseline.
    RatioAtMost(f64),
}

impl Target {
    fn describe(self) -> String {
        match self {
            Target::AtLeast(v) => format!(">= {}", human(v)),
            Target::AtMost(v) => format!("<= {}", human(v)),
            Target::RatioAtMost(r) => format!("<= {r}x base"),
        }
    }

    fn met(self, value: f64, ratio: Option<f64>) -> Option<bool> {
        if value.is_nan() {
            return None;
        }
        match self {
            Target::AtLeast(v) => Some(value >= v),
            Target::AtMost(v) => Some(value <= v),
            Target::RatioAtMost(r) => ratio.filter(|x| !x.is_nan()).map(|x| x <= r),
        }
    }
}

/// One figure the benchmark reports.
#[derive(Debug, Clone, Copy)]
pub struct Figure {
    /// The key in the JSON report.
    pub name: &'static str,
    /// What it measures, for the table.
    pub label: &'static str,
    /// Its unit.
    pub unit: &'static str,
    /// The target (set for 1M events on a 2-core machine), if it has one.
    pub target: Option<Target>,
    /// The baseline it is compared with (ratio = ours / baseline).
    pub baseline: Option<&'static str>,
}

const fn fig(
    name: &'static str,
    label: &'static str,
    unit: &'static str,
    target: Option<Target>,
    baseline: Option<&'static str>,
) -> Figure {
    Figure { name, label, unit, target, baseline }
}

const EPS: &str = "events/s";
const MS: &str = "ms";
const KIB: &str = "KiB";
const SPAWN: Option<&str> = Some("process_spawn_ms");
const SCAN_PARSE: Option<&str> = Some("sled_scan_parse_ms");
/// 300 MiB, the ceiling on a process's peak memory, in KiB.
const MIB_300: f64 = 300.0 * 1024.0;

/// Every figure, in table order. In-process peaks (`*_peak_mem_kib`) are the growth of this
/// process's RSS while the step ran; whole-process peaks (`*_process_peak_rss_kib`) are the
/// child's own maximum RSS.
pub const FIGURES: &[Figure] = &[
    fig(
        "bulk_append_events_per_s",
        "bulk append (10k/batch, durable)",
        EPS,
        Some(Target::AtLeast(150_000.0)),
        Some("sled_insert_packed64_events_per_s"),
    ),
    fig("bulk_append_peak_mem_kib", "  peak memory (in process)", KIB, None, None),
    fig("input_parse_events_per_s", "input parse (JSONL -> events)", EPS, None, Some("json_parse_events_per_s")),
    fig("append_process_ms", "append 1 event (process)", MS, Some(Target::AtMost(50.0)), SPAWN),
    fig("append_process_peak_rss_kib", "  peak RSS (process)", KIB, Some(Target::AtMost(MIB_300)), None),
    fig("append_large_process_ms", "append 100k events in one batch (process)", MS, None, None),
    fig("append_large_process_peak_rss_kib", "  peak RSS (process)", KIB, Some(Target::AtMost(MIB_300)), None),
    fig("open_ms", "open (in process)", MS, None, Some("sled_open_ms")),
    fig(
        "verify_events_per_s",
        "verify (in process)",
        EPS,
        Some(Target::AtLeast(1_000_000.0)),
        Some("sled_scan_blake3_events_per_s"),
    ),
    fig("verify_peak_mem_kib", "  peak memory (in process)", KIB, None, None),
    fig(
        "verify_process_events_per_s",
        "verify (process)",
        EPS,
        Some(Target::AtLeast(1_000_000.0)),
        Some("sled_scan_blake3_events_per_s"),
    ),
    fig("verify_process_peak_rss_kib", "  peak RSS (process)", KIB, Some(Target::AtMost(MIB_300)), None),
    fig("show_ms", "show KEY (in process)", MS, Some(Target::AtMost(1.0)), Some("sled_point_read_ms")),
    fig("show_peak_mem_kib", "  peak memory (in process)", KIB, None, None),
    fig("show_process_ms", "show KEY (process)", MS, Some(Target::AtMost(50.0)), SPAWN),
    fig("show_process_peak_rss_kib", "  peak RSS (process)", KIB, None, None),
    fig("history_ms", "history KEY (in process)", MS, Some(Target::AtMost(1.0)), Some("sled_point_read_ms")),
    fig("history_peak_mem_kib", "  peak memory (in process)", KIB, None, None),
    fig("history_process_ms", "history KEY (process)", MS, Some(Target::AtMost(50.0)), SPAWN),
    fig("history_process_peak_rss_kib", "  peak RSS (process)", KIB, None, None),
    fig("head_process_ms", "head (process)", MS, Some(Target::AtMost(50.0)), SPAWN),
    fig("head_process_peak_rss_kib", "  peak RSS (process)", KIB, None, None),
    fig(
        "state_count_ms",
        "state --count --at (in process)",
        MS,
        Some(Target::AtMost(100.0)),
        Some("sled_scan_index_ms"),
    ),
    fig("state_count_peak_mem_kib", "  peak memory (in process)", KIB, None, None),
    fig("state_count_process_ms", "state --count --at (process)", MS, None, SPAWN),
    fig("state_count_process_peak_rss_kib", "  peak RSS (process)", KIB, None, None),
    fig("state_json_ms", "state --format json (in process)", MS, Some(Target::AtMost(1000.0)), SCAN_PARSE),
    fig("state_json_peak_mem_kib", "  peak memory (in process)", KIB, None, None),
    fig("state_json_process_ms", "state --format json (process)", MS, Some(Target::AtMost(1000.0)), SCAN_PARSE),
    fig("state_json_process_peak_rss_kib", "  peak RSS (process)", KIB, None, None),
    fig("diff_month_ms", "diff over one month (in process)", MS, None, Some("sled_scan_index_ms")),
    fig("diff_month_peak_mem_kib", "  peak memory (in process)", KIB, None, None),
    fig("diff_month_process_ms", "diff over one month (process)", MS, None, SPAWN),
    fig("diff_month_process_peak_rss_kib", "  peak RSS (process)", KIB, None, None),
    fig("search_ms", "search NAME (in process)", MS, None, SCAN_PARSE),
    fig("search_peak_mem_kib", "  peak memory (in process)", KIB, None, None),
    fig("search_process_ms", "search NAME (process)", MS, None, SCAN_PARSE),
    fig("search_process_peak_rss_kib", "  peak RSS (process)", KIB, None, None),
    fig(
        "disk_bytes_per_event",
        "disk per event",
        "B",
        Some(Target::RatioAtMost(1.5)),
        Some("raw_json_bytes_per_event"),
    ),
    fig("live_bytes_per_event", "  of which live keys and values", "B", None, Some("raw_json_bytes_per_event")),
];

/// The figures the SQLite peer measures too ([`sqlite_peer`]): (figure, the peer's baseline, the
/// issue's least advantage over it, if it sets one). The advantage is how many times better ours
/// is: ours / peer for events/s, peer / ours for times and bytes.
pub const PEER: &[(&str, &str, Option<f64>)] = &[
    ("bulk_append_events_per_s", "sqlite_append_events_per_s", Some(2.0)),
    ("verify_events_per_s", "sqlite_verify_events_per_s", Some(3.0)),
    ("verify_process_events_per_s", "sqlite_verify_events_per_s", Some(3.0)),
    ("disk_bytes_per_event", "sqlite_disk_bytes_per_event", None),
    ("show_ms", "sqlite_show_ms", None),
    ("history_ms", "sqlite_history_ms", None),
    ("state_count_ms", "sqlite_state_count_ms", None),
];

/// Every baseline, with its unit and what it is.
pub const BASELINES: &[(&str, &str, &str)] = &[
    ("raw_json_bytes_per_event", "B", "canonical JSON of the input events, mean bytes"),
    ("blake3_events_per_s", EPS, "BLAKE3 (derive-key, as the ledger) of each event's bytes"),
    ("blake3_mib_per_s", "MiB/s", "the same, in MiB/s"),
    ("blake3_keyed_once_events_per_s", EPS, "the same hashes, the context hashed once (hasher cloned)"),
    ("json_parse_events_per_s", EPS, "serde_json::Value from each event's bytes"),
    ("sled_insert_per_event_events_per_s", EPS, "raw sled, one key per event, batch of 10k + flush"),
    ("sled_insert_packed64_events_per_s", EPS, "raw sled, 64 events per key, batch of 10k + flush"),
    (
        "sled_insert_indexed_events_per_s",
        EPS,
        "raw sled in the ledger's write pattern: 64 events per key, and per batch a read and rewrite of a 150-byte index value and a 700-byte record per key touched",
    ),
    ("sled_indexed_bytes_per_event", "B", "disk of that store, per event"),
    ("sled_per_event_bytes_per_event", "B", "disk of the one-key-per-event store, per event"),
    ("sled_packed64_bytes_per_event", "B", "disk of the 64-per-key store, per event"),
    ("sled_open_ms", MS, "opening the 64-per-key store"),
    ("sled_scan_per_event_events_per_s", EPS, "scan of the one-key-per-event store"),
    ("sled_scan_packed64_events_per_s", EPS, "scan of the 64-per-key store, unpacked"),
    ("sled_scan_blake3_events_per_s", EPS, "scan of the 64-per-key store + BLAKE3 of each event"),
    ("sled_scan_parse_ms", MS, "scan of the 64-per-key store + JSON parse of each event"),
    ("sled_point_read_ms", MS, "one event by number from the 64-per-key store, parsed"),
    ("sled_scan_index_ms", MS, "scan of one 410-byte value per designation"),
    ("process_spawn_ms", MS, "`ledger --version` as a whole process"),
    (
        "sqlite_append_events_per_s",
        EPS,
        "the SQLite peer: input JSON + envelope, RFC 8785 bytes, BLAKE3, one row per event (one index on the key), 10k-row transactions, WAL, synchronous=FULL",
    ),
    ("sqlite_verify_events_per_s", EPS, "the SQLite peer: every row read in seq order, re-hashed, its link checked"),
    ("sqlite_disk_bytes_per_event", "B", "the SQLite peer's database on disk, per event"),
    ("sqlite_show_ms", MS, "the SQLite peer: one key's rows by the index, folded at the point"),
    ("sqlite_history_ms", MS, "the SQLite peer: one key's rows by the index, read"),
    ("sqlite_state_count_ms", MS, "the SQLite peer: every keyed row in key order, each key folded at the point"),
];

/// A measured value: the median of its runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sample {
    /// Unit of the value.
    pub unit: String,
    /// Median over the repetitions.
    pub median: f64,
    /// One value per repetition (itself a median where a repetition runs a step several times).
    pub runs: Vec<f64>,
}

/// A figure beside its baseline.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ratio {
    /// The baseline's name.
    pub baseline: String,
    /// ours / baseline.
    pub ratio: f64,
}

/// A figure beside the SQLite peer's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeerRatio {
    /// The peer's baseline.
    pub peer: String,
    /// How many times better ours is (ours / peer for events/s, peer / ours otherwise).
    pub advantage: f64,
    /// The least advantage, if it sets one.
    pub target: Option<f64>,
    /// Whether the advantage meets it.
    pub met: Option<bool>,
}

/// A figure's target and whether the median meets it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetResult {
    /// The target, as text (`>= 250k`, `<= 1.5x base`).
    pub target: String,
    /// Whether the median meets it.
    pub met: Option<bool>,
}

/// What one size was and measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SizeReport {
    /// Events in the history (the genesis event not counted).
    pub events: usize,
    /// Designation keys in it.
    pub designations: usize,
    /// Repetitions the medians are over.
    pub repeat: usize,
    /// Bytes of the events' canonical JSON.
    pub raw_json_bytes: u64,
    /// Smallest, median and largest event, in bytes.
    pub event_bytes: [usize; 3],
    /// Events by type.
    pub mix: BTreeMap<String, usize>,
    /// What the queries asked: the key, the times, the name.
    pub queries: BTreeMap<String, String>,
    /// What they answered (for a sanity check across sizes and changes).
    pub answers: BTreeMap<String, u64>,
    /// Time to generate the history, ms.
    pub generate_ms: f64,
    /// Our figures.
    pub figures: BTreeMap<String, Sample>,
    /// The baselines.
    pub baselines: BTreeMap<String, Sample>,
    /// Each figure that has a baseline, beside it.
    pub ratios: BTreeMap<String, Ratio>,
    /// Each figure that has a target.
    pub targets: BTreeMap<String, TargetResult>,
    /// Each figure the SQLite peer measures too, beside it.
    pub peer: BTreeMap<String, PeerRatio>,
}

/// The whole run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// `ledger-bench` and its version.
    pub tool: String,
    /// The machine: cores, CPU, memory, kernel, build profile.
    pub machine: serde_json::Value,
    /// The generator's seed.
    pub seed: u64,
    /// The `ledger` binary measured.
    pub ledger_bin: String,
    /// How the whole-process figures were taken.
    pub process_measurement: String,
    /// `/proc/loadavg` when the run started and when it ended: other work on the machine skews
    /// every figure.
    pub load_average: [String; 2],
    /// How to read the figures.
    pub notes: Vec<String>,
    /// One report per size.
    pub sizes: Vec<SizeReport>,
}

const NOTES: &[&str] = &[
    "Each repetition builds a fresh ledger in a temporary directory; figures are medians over repetitions.",
    "ratio = ours / baseline: for events/s below 1 is slower than the baseline; for ms and bytes above 1 is slower or bigger.",
    "Targets are the issue's, set for 1M events (100k designations) on a 2-core machine; smaller sizes are shown against them for trend only.",
    "In-process peak memory (*_peak_mem_kib) is the growth of the benchmark process's RSS while the step ran (memory the allocator already held and reused does not show); whole-process peaks (*_process_peak_rss_kib) are each child's own maximum RSS from wait4.",
    "Whole-process figures run the real `ledger` binary; in-process figures call ledger-core's public API and include serializing the answer to JSON.",
];

fn progress(cfg: &Config, msg: impl AsRef<str>) {
    progress_if(cfg.progress, msg);
}

fn progress_if(on: bool, msg: impl AsRef<str>) {
    if on {
        eprintln!("ledger-bench: {}", msg.as_ref());
    }
}

/// Runs the benchmark.
pub fn run(cfg: &Config) -> Result<Report> {
    if !cfg.ledger_bin.is_file() {
        return Err(format!(
            "the ledger binary {} does not exist: build it (`cargo build --release -p ledger-cli`) or pass --ledger-bin",
            cfg.ledger_bin.display()
        )
        .into());
    }
    let load_start = measure::load_average();
    let mut sizes = Vec::new();
    for &n in &cfg.sizes {
        sizes.push(run_size(cfg, n)?);
    }
    Ok(Report {
        tool: format!("ledger-bench {}", env!("CARGO_PKG_VERSION")),
        machine: measure::machine(),
        seed: cfg.seed,
        ledger_bin: cfg.ledger_bin.display().to_string(),
        process_measurement: match &cfg.spawner {
            Some(_) => "each command run under `ledger-bench --measure-child`, which times it and reads its own peak RSS with wait4".into(),
            None => "each command spawned by the benchmark process and waited for with wait4: its peak RSS includes the benchmark's own (an upper bound)".into(),
        },
        load_average: [load_start, measure::load_average()],
        notes: NOTES.iter().map(|s| (*s).to_owned()).collect(),
        sizes,
    })
}

/// The points the queries are made at.
pub(crate) struct Points {
    pub(crate) key: Key,
    pub(crate) name: String,
    /// Legal effect: the end of the history's last effective day (every key has its final
    /// standing).
    pub(crate) at: String,
    pub(crate) at_micros: i64,
    from: String,
    from_micros: i64,
    to: String,
    to_micros: i64,
    pub(crate) as_of_micros: i64,
    /// `LEDGER_CLOCK` of the `ledger` processes: two days after the last recorded day.
    pub(crate) clock: String,
    /// The day after `at`'s.
    pub(crate) first_append_day: i64,
    /// The day of `clock`.
    pub(crate) clock_day: i64,
}

impl Points {
    pub(crate) fn of(history: &history::History) -> Result<Points> {
        let at_day = history.last_effective_day;
        let as_of_day = history.recorded_day.iter().copied().max().unwrap_or(at_day) + 2;
        // The diff's month ends on the day the middle event was recorded: the thick of the history.
        let diff_to = history.recorded_day.get(history.recorded_day.len() / 2).copied().unwrap_or(at_day);
        Ok(Points {
            key: Key::parse(&history.query_key)?,
            name: history.search_name.clone(),
            at: date(at_day),
            at_micros: end_of_day(at_day),
            from: date(diff_to - 30),
            from_micros: end_of_day(diff_to - 30),
            to: date(diff_to),
            to_micros: end_of_day(diff_to),
            as_of_micros: day_micros(as_of_day),
            clock: format!("{}T00:00:00Z", date(as_of_day)),
            first_append_day: at_day + 1,
            clock_day: as_of_day,
        })
    }
}

fn end_of_day(day: i64) -> i64 {
    day_micros(day + 1) - 1
}

fn run_size(cfg: &Config, n: usize) -> Result<SizeReport> {
    let t = Instant::now();
    let history = history::generate(n, cfg.seed)?;
    let generate_ms = ms_since(t);
    progress(
        cfg,
        format!(
            "{n} events, {} designations generated in {:.0} ms ({} bytes of JSON)",
            history.designations,
            generate_ms,
            history.raw_bytes()
        ),
    );
    let points = Points::of(&history)?;
    let mut figures: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    let mut baselines: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    let mut answers = BTreeMap::new();
    for rep in 0..cfg.repeat.max(1) {
        progress(cfg, format!("{n} events: repetition {} of {}", rep + 1, cfg.repeat.max(1)));
        let dir = match &cfg.tmp {
            Some(t) => tempfile::Builder::new().prefix("ledger-bench-").tempdir_in(t)?,
            None => tempfile::Builder::new().prefix("ledger-bench-").tempdir()?,
        };
        let path = dir.path().join("ledger.sled");
        measure_ours(cfg, &history, &points, &path, &mut figures, &mut answers)
            .map_err(|e| format!("{n} events, repetition {}: {e}", rep + 1))?;
        progress(cfg, format!("{n} events: baselines"));
        baseline::run(&history, &cfg.ledger_bin, cfg.spawner.as_deref(), dir.path(), &mut baselines)
            .map_err(|e| format!("{n} events, repetition {}, baselines: {e}", rep + 1))?;
        progress(cfg, format!("{n} events: the SQLite peer"));
        let peer = sqlite_peer::run(&history, &points, dir.path())
            .map_err(|e| format!("{n} events, repetition {}, SQLite peer: {e}", rep + 1))?;
        progress(cfg, format!("{n} events: the SQLite peer built at {:.0} events/s", peer.append_events_per_s));
        for (name, v) in [
            ("sqlite_append_events_per_s", peer.append_events_per_s),
            ("sqlite_verify_events_per_s", peer.verify_events_per_s),
            ("sqlite_disk_bytes_per_event", peer.disk_bytes_per_event),
            ("sqlite_show_ms", peer.show_ms),
            ("sqlite_history_ms", peer.history_ms),
            ("sqlite_state_count_ms", peer.state_count_ms),
        ] {
            baselines.entry(name).or_default().push(v);
        }
        answers.insert("sqlite_state_count".into(), peer.state_count);
        // The stores go together, last, once sled's background threads had time to finish.
        if let Err(e) = measure::remove_dir(dir.path()) {
            progress(cfg, format!("{e} (left behind)"));
        }
    }

    let sample =
        |unit: &str, runs: &Vec<f64>| Sample { unit: unit.to_owned(), median: median(runs), runs: runs.clone() };
    let mut size = SizeReport {
        events: history.events.len(),
        designations: history.designations,
        repeat: cfg.repeat.max(1),
        raw_json_bytes: history.raw_bytes(),
        event_bytes: {
            let (a, b, c) = history.size_spread();
            [a, b, c]
        },
        mix: history.mix.clone(),
        queries: [
            ("key", history.query_key.clone()),
            ("at", points.at.clone()),
            ("diff_from", points.from.clone()),
            ("diff_to", points.to.clone()),
            ("search", points.name.clone()),
            ("ledger_clock", points.clock.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
        answers,
        generate_ms,
        figures: BTreeMap::new(),
        baselines: BTreeMap::new(),
        ratios: BTreeMap::new(),
        peer: BTreeMap::new(),
        targets: BTreeMap::new(),
    };
    for (name, unit, _) in BASELINES {
        let runs = baselines.get(name).ok_or_else(|| format!("baseline {name} was not measured"))?;
        size.baselines.insert((*name).to_owned(), sample(unit, runs));
    }
    for f in FIGURES {
        let runs = figures.get(f.name).ok_or_else(|| format!("figure {} was not measured", f.name))?;
        let s = sample(f.unit, runs);
        let ratio = f.baseline.and_then(|b| size.baselines.get(b)).map(|b| s.median / b.median);
        if let (Some(b), Some(r)) = (f.baseline, ratio) {
            size.ratios.insert(f.name.to_owned(), Ratio { baseline: b.to_owned(), ratio: r });
        }
        if let Some(t) = f.target {
            size.targets.insert(f.name.to_owned(), TargetResult { target: t.describe(), met: t.met(s.median, ratio) });
        }
        size.figures.insert(f.name.to_owned(), s);
    }
    for (name, peer, target) in PEER {
        let (Some(ours), Some(theirs)) = (size.figures.get(*name), size.baselines.get(*peer)) else { continue };
        let advantage = if ours.unit == EPS { ours.median / theirs.median } else { theirs.median / ours.median };
        size.peer.insert(
            (*name).to_owned(),
            PeerRatio { peer: (*peer).to_owned(), advantage, target: *target, met: target.map(|t| advantage >= t) },
        );
    }
    Ok(size)
}

/// Builds the ledger at `path` and measures every figure once.
fn measure_ours(
    cfg: &Config,
    history: &history::History,
    p: &Points,
    path: &Path,
    figures: &mut BTreeMap<&'static str, Vec<f64>>,
    answers: &mut BTreeMap<String, u64>,
) -> Result<()> {
    let n = history.events.len();
    let mut add = |name: &'static str, v: f64| figures.entry(name).or_default().push(v);
    let per_s = |events: usize, ms: f64| events as f64 / (ms / 1e3);

    // Bulk append: batches of BATCH events, the clock moving on with the history.
    let ((parse_ms, append_ms), _, build_peak) = in_process(|| build(history, path))?;
    add("bulk_append_events_per_s", per_s(n, append_ms));
    add("bulk_append_peak_mem_kib", build_peak);
    add("input_parse_events_per_s", per_s(n, parse_ms));
    progress(cfg, format!("{n} events: built at {:.0} events/s", per_s(n, append_ms)));
    add("disk_bytes_per_event", measure::dir_bytes(path)? as f64 / n as f64);

    // In process, through the public API.
    let (ledger, open_ms) = open_ledger(path)?;
    add("open_ms", open_ms);
    add("live_bytes_per_event", ledger.live_bytes()? as f64 / n as f64);
    let (report, ms, peak) = in_process(|| Ok(verify::verify(&ledger)?))?;
    if let Some(f) = report.failure {
        return Err(format!("verify failed at seq {}: {}", f.seq, f.what).into());
    }
    add("verify_events_per_s", per_s(report.checked as usize, ms));
    add("verify_peak_mem_kib", peak);
    let at = When { at: p.at_micros, as_of: p.as_of_micros };
    let all = StateFilter::default();
    let view = ledger_core::view::View::now(&ledger)?;
    quick(&mut add, ("show_ms", "show_peak_mem_kib"), INNER_QUICK, || {
        Ok(json(&query::show(&view, &p.key, at)?)?.len() as u64)
    })?;
    let rows = quick(&mut add, ("history_ms", "history_peak_mem_kib"), INNER_QUICK, || {
        let h = query::history(&view, &p.key, p.as_of_micros)?;
        json(&h)?;
        Ok(h.events.len() as u64)
    })?;
    answers.insert("history_rows".into(), rows);
    let count = quick(&mut add, ("state_count_ms", "state_count_peak_mem_kib"), 5, || {
        let c = query::count(&view, at, &all)?;
        json(&c)?;
        Ok(c.count as u64)
    })?;
    answers.insert("state_count".into(), count);
    let bytes = quick(&mut add, ("state_json_ms", "state_json_peak_mem_kib"), 1, || {
        Ok(json(&query::state(&view, at, &all)?)?.len() as u64)
    })?;
    answers.insert("state_json_bytes".into(), bytes);
    let changes = quick(&mut add, ("diff_month_ms", "diff_month_peak_mem_kib"), 1, || {
        let d = query::diff(&view, p.from_micros, p.to_micros, p.as_of_micros)?;
        json(&d)?;
        Ok((d.designated.len() + d.delisted.len() + d.amended.len()) as u64)
    })?;
    answers.insert("diff_month_changes".into(), changes);
    let matches = quick(&mut add, ("search_ms", "search_peak_mem_kib"), 1, || {
        let s = query::search(&view, &p.name, at)?;
        json(&s)?;
        Ok(s.matches.len() as u64)
    })?;
    answers.insert("search_matches".into(), matches);
    drop(ledger);

    // Whole processes of the real binary.
    let ledger_cmd = |args: &[&str]| {
        let mut c = Command::new(&cfg.ledger_bin);
        c.arg("--ledger").arg(path).args(args);
        c.env("LEDGER_CLOCK", &p.clock).env("LEDGER_ACTOR", ACTOR).env_remove("LEDGER_PATH");
        c
    };
    let key = p.key.to_string();
    process(cfg.spawner.as_deref(), &mut add, ("show_process_ms", "show_process_peak_rss_kib"), INNER_PROCESS, || {
        ledger_cmd(&["--format", "json", "show", &key, "--at", &p.at])
    })?;
    process(
        cfg.spawner.as_deref(),
        &mut add,
        ("history_process_ms", "history_process_peak_rss_kib"),
        INNER_PROCESS,
        || ledger_cmd(&["--format", "json", "history", &key]),
    )?;
    process(cfg.spawner.as_deref(), &mut add, ("head_process_ms", "head_process_peak_rss_kib"), INNER_PROCESS, || {
        ledger_cmd(&["--format", "json", "head"])
    })?;
    let out = process(
        cfg.spawner.as_deref(),
        &mut add,
        ("state_count_process_ms", "state_count_process_peak_rss_kib"),
        INNER_PROCESS,
        || ledger_cmd(&["state", "--count", "--at", &p.at]),
    )?;
    let printed: u64 = String::from_utf8_lossy(&out).trim().parse().map_err(|e| format!("state --count: {e}"))?;
    if printed != count {
        return Err(format!("`ledger state --count` printed {printed}, the API counted {count}").into());
    }
    process(cfg.spawner.as_deref(), &mut add, ("state_json_process_ms", "state_json_process_peak_rss_kib"), 1, || {
        ledger_cmd(&["--format", "json", "state", "--at", &p.at])
    })?;
    process(cfg.spawner.as_deref(), &mut add, ("diff_month_process_ms", "diff_month_process_peak_rss_kib"), 1, || {
        ledger_cmd(&["--format", "json", "diff", "--from", &p.from, "--to", &p.to])
    })?;
    process(cfg.spawner.as_deref(), &mut add, ("search_process_ms", "search_process_peak_rss_kib"), 1, || {
        ledger_cmd(&["--format", "json", "search", &p.name, "--at", &p.at])
    })?;
    let run = run_process(&mut ledger_cmd(&["verify"]), cfg.spawner.as_deref())?;
    add("verify_process_events_per_s", per_s(n + 1, run.ms));
    add("verify_process_peak_rss_kib", run.peak_kib);

    // Single-event appends, last (they change the ledger): an amendment of the query key, which
    // is in force at the end, each a day after the one before.
    let mut files = Vec::new();
    for i in 0..INNER_PROCESS {
        let file = path.with_extension(format!("append-{i}.jsonl"));
        let line = serde_json::json!({
            "type": "amendment", "authority": p.key.authority(), "id": p.key.id(),
            "effective": date(p.first_append_day + i as i64),
            "patch": {"reason": format!("statement of reasons revised (benchmark append {i})")},
            "reason": "variation: statement of reasons revised",
        });
        std::fs::write(&file, format!("{line}\n"))?;
        files.push(file);
    }
    let mut next = files.iter().cycle();
    process(
        cfg.spawner.as_deref(),
        &mut add,
        ("append_process_ms", "append_process_peak_rss_kib"),
        INNER_PROCESS,
        || {
            let mut c = ledger_cmd(&["append"]);
            c.args(next.next());
            c
        },
    )?;
    for f in files {
        std::fs::remove_file(f)?;
    }

    // One large batch, as a new user would append a whole history: the first 100k events (or
    // all, for a smaller history) as one file, into a fresh ledger, by one `ledger append`.
    let large = path.with_extension("large");
    let file = path.with_extension("large.jsonl");
    let mut text = Vec::new();
    for e in history.events.iter().take(LARGE_APPEND) {
        text.extend_from_slice(e);
        text.push(b'\n');
    }
    std::fs::write(&file, text)?;
    let fresh = |args: &[&str]| {
        let mut c = Command::new(&cfg.ledger_bin);
        c.arg("--ledger").arg(&large).args(args);
        c.env("LEDGER_CLOCK", &p.clock).env("LEDGER_ACTOR", ACTOR).env_remove("LEDGER_PATH");
        c
    };
    run_process(&mut fresh(&["init"]), cfg.spawner.as_deref())?;
    let file_arg = file.to_string_lossy().into_owned();
    process(
        cfg.spawner.as_deref(),
        &mut add,
        ("append_large_process_ms", "append_large_process_peak_rss_kib"),
        1,
        || fresh(&["append", &file_arg, "--yes"]),
    )?;
    std::fs::remove_file(&file)?;
    Ok(())
}

/// Events of the large single-batch append.
const LARGE_APPEND: usize = 100_000;

/// Builds a new ledger at `path` from `history`: batches of [`BATCH`] events, each appended with
/// [`Ledger::append`] (durable when it returns), the clock moving on with the history. Returns
/// the time spent parsing the input and appending it, in ms.
pub(crate) fn build(history: &history::History, path: &Path) -> Result<(f64, f64)> {
    let first_day = history.recorded_day.first().copied().unwrap_or(0);
    let clock = FixedClock::new(day_micros(first_day - 1));
    let ledger = Ledger::init(path, "bench", ACTOR, &clock)?;
    let (mut parse_ms, mut append_ms) = (0.0, 0.0);
    for (b, chunk) in history.events.chunks(BATCH).enumerate() {
        let t = Instant::now();
        let mut batch = Vec::with_capacity(chunk.len());
        for (i, bytes) in chunk.iter().enumerate() {
            let text = std::str::from_utf8(bytes)?;
            batch.push(Numbered { line: i + 1, event: parse_line(i + 1, text)? });
        }
        parse_ms += ms_since(t);
        clock.set(day_micros(history.recorded_day[b * BATCH]) + 12 * 3_600_000_000);
        let t = Instant::now();
        let appended = ledger.append(&batch, ACTOR, &clock).map_err(|e| format!("append of batch {b}: {e}"))?;
        append_ms += ms_since(t);
        if appended.count != chunk.len() {
            return Err(format!("batch {b}: appended {} of {} events", appended.count, chunk.len()).into());
        }
    }
    Ok((parse_ms, append_ms))
}

/// Opens the ledger; returns it and the time the successful open took, in ms. The store closed
/// a moment ago may still be held by sled's background thread (sled does not join it on drop):
/// retry while it is, for up to 10 s.
fn open_ledger(path: &Path) -> Result<(Ledger, f64)> {
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let t = Instant::now();
        match Ledger::open(path) {
            Ok(ledger) => return Ok((ledger, ms_since(t))),
            Err(ledger_core::Error::Locked { .. }) if Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Runs an in-process step `inner` times; records its median time and its largest memory
/// growth under the two names given; returns the step's last answer.
fn quick(
    add: &mut impl FnMut(&'static str, f64),
    (ms_name, mem_name): (&'static str, &'static str),
    inner: usize,
    mut step: impl FnMut() -> Result<u64>,
) -> Result<u64> {
    let (mut times, mut peak, mut answer) = (Vec::new(), 0.0f64, 0);
    for _ in 0..inner.max(1) {
        let (a, ms, grew) = in_process(&mut step)?;
        times.push(ms);
        peak = peak.max(grew);
        answer = a;
    }
    add(ms_name, median(&times));
    add(mem_name, peak);
    Ok(answer)
}

/// Runs a whole-process command `inner` times; records its median wall time and its largest
/// peak RSS under the two names given; returns the last run's standard output.
fn process(
    spawner: Option<&Path>,
    add: &mut impl FnMut(&'static str, f64),
    (ms_name, mem_name): (&'static str, &'static str),
    inner: usize,
    mut command: impl FnMut() -> Command,
) -> Result<Vec<u8>> {
    let (mut times, mut peak, mut out) = (Vec::new(), 0.0f64, Vec::new());
    for _ in 0..inner.max(1) {
        let run = run_process(&mut command(), spawner)?;
        times.push(run.ms);
        peak = peak.max(run.peak_kib);
        out = run.stdout;
    }
    add(ms_name, median(&times));
    add(mem_name, peak);
    Ok(out)
}

/// An answer serialized as `--format json` prints it.
fn json<T: Serialize>(answer: &T) -> Result<Vec<u8>> {
    Ok(serde_json::to_vec(answer)?)
}

/// Formats a number for the table: thousands as k and M, small ones with decimals.
pub fn human(v: f64) -> String {
    if v.is_nan() {
        return "-".into();
    }
    let a = v.abs();
    if a >= 10_000_000.0 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 100_000.0 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 10_000.0 {
        format!("{:.1}k", v / 1e3)
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

impl Report {
    /// The report as a table for a terminal: per size, each figure beside its baseline.
    pub fn table(&self) -> String {
        let mut out = String::new();
        for s in &self.sizes {
            out.push_str(&size_table(s));
            out.push('\n');
        }
        out.push_str("ratio = ours / baseline. Targets are the issue's, set for 1M events on 2 cores.\n");
        out.push_str("x peer = how many times better than the SQLite peer in this run (ours / peer for events/s, peer / ours for times and bytes).\n");
        out.push_str(&format!("load average at start: {}; at end: {}\n", self.load_average[0], self.load_average[1]));
        out
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(self)?)
    }
}

fn size_table(s: &SizeReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let reps = if s.repeat == 1 {
        "1 repetition (a single run, not a median)".to_owned()
    } else {
        format!("median of {} repetitions", s.repeat)
    };
    let _ = writeln!(
        out,
        "== {} events, {} designations, {reps}; events {}-{}-{} bytes (min-median-max), {:.0} MiB of JSON ==",
        s.events,
        s.designations,
        s.event_bytes[0],
        s.event_bytes[1],
        s.event_bytes[2],
        s.raw_json_bytes as f64 / (1 << 20) as f64
    );
    let header =
        ["figure", "unit", "ours", "baseline", "base value", "ratio", "target", "met?", "SQLite peer", "x peer"];
    let mut rows: Vec<[String; 10]> = Vec::new();
    for f in FIGURES {
        let Some(sample) = s.figures.get(f.name) else { continue };
        let (bname, bval) = match f.baseline.and_then(|b| s.baselines.get(b).map(|v| (b, v))) {
            Some((b, v)) => (b.to_owned(), human(v.median)),
            None => (String::new(), String::new()),
        };
        let ratio = s.ratios.get(f.name).map(|r| format!("{:.2}", r.ratio)).unwrap_or_default();
        let (target, met) = match s.targets.get(f.name) {
            Some(t) => (
                t.target.clone(),
                match t.met {
                    Some(true) => "yes".to_owned(),
                    Some(false) => "NO".to_owned(),
                    None => "?".to_owned(),
                },
            ),
            None => (String::new(), String::new()),
        };
        let (peer, advantage) = match s.peer.get(f.name) {
            Some(p) => {
                let value = s.baselines.get(&p.peer).map(|b| human(b.median)).unwrap_or_default();
                let judged = match (p.target, p.met) {
                    (Some(t), Some(true)) => format!(" (>= {t}: yes)"),
                    (Some(t), _) => format!(" (>= {t}: NO)"),
                    _ => String::new(),
                };
                (value, format!("{:.2}{judged}", p.advantage))
            }
            None => (String::new(), String::new()),
        };
        rows.push([
            f.label.to_owned(),
            f.unit.to_owned(),
            human(sample.median),
            bname,
            bval,
            ratio,
            target,
            met,
            peer,
            advantage,
        ]);
    }
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut l = String::new();
        for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
            let pad = w.saturating_sub(c.chars().count());
            // Numbers right-aligned, text left-aligned.
            if matches!(i, 2 | 4 | 5 | 8) {
                l.push_str(&" ".repeat(pad));
                l.push_str(c);
            } else {
                l.push_str(c);
                l.push_str(&" ".repeat(pad));
            }
            l.push_str("  ");
        }
        l.trim_end().to_owned()
    };
    let _ = writeln!(out, "{}", line(&header.map(str::to_owned)));
    for r in &rows {
        let _ = writeln!(out, "{}", line(r));
    }
    let answers: Vec<String> = s.answers.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let queries: Vec<String> = s.queries.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let _ = writeln!(out, "queries: {}", queries.join(", "));
    let _ = writeln!(out, "answers: {}", answers.join(", "));
    out
}
