//! `ledger-bench serve`: the ledger as a shared service under load.
//!
//! Builds a ledger of a seeded history (as the main benchmark does), then:
//!
//! 1. with no server running, asks the same three questions as one-shot `ledger` processes
//!    (`show KEY`, `search NAME`, `state --count`), a number of times each: the median wall time
//!    of a whole process, what a user pays today for one answer;
//! 2. starts the real `ledger serve --listen 127.0.0.1:0 --tokens FILE` on it (an operator's
//!    token made with `ledger token`), and for a fixed time per scenario has `clients` threads,
//!    each with its own keep-alive HTTP connection, ask one question back to back:
//!    `GET /v1/designations/{key}?at=`, `GET /v1/search?q=&at=` and
//!    `GET /v1/state?count=true&at=`, keys and names drawn with a seeded generator from the
//!    history's designations; each scenario alone, then again while one more client appends
//!    batches to `POST /v1/events` back to back (new designations of fresh `BENCH/…` keys, one
//!    event in ten, and amendments of them);
//! 3. stops the server (SIGTERM) and verifies the ledger with `ledger verify`.
//!
//! Each scenario reports requests per second, latency percentiles and errors (any answer but
//! 200 is one); with appends, the events appended per second and the batches acknowledged.
//! Load only ever targets 127.0.0.1.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::history::{self, Rng, date};
use crate::measure::{self, median, ms_since, run_process};
use crate::{Points, Result, build, human, progress_if};

/// Keys (and their names) drawn from the history for the questions.
const POOL: usize = 1024;
/// The token holder's name, recorded as the actor of the appended events.
const TOKEN_NAME: &str = "bench";
/// The authority of the designations appended under load.
pub const APPEND_AUTHORITY: &str = "BENCH";

/// What to run.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// History size, in events.
    pub events: usize,
    /// The generator's seed (history, and the keys and names asked for).
    pub seed: u64,
    /// Concurrent clients asking questions.
    pub clients: usize,
    /// How long each scenario runs, in seconds.
    pub seconds: f64,
    /// Runs of each one-shot `ledger` process.
    pub cli_runs: usize,
    /// Events per appended batch.
    pub append_batch: usize,
    /// The `ledger` binary served and run.
    pub ledger_bin: PathBuf,
    /// Where to make the temporary directory (default: the system's).
    pub tmp: Option<PathBuf>,
    /// Print progress to standard error.
    pub progress: bool,
    /// The `ledger-bench` binary, to run each one-shot process under (see
    /// [`measure::MEASURE_CHILD`]).
    pub spawner: Option<PathBuf>,
}

impl ServeConfig {
    /// The defaults of `ledger-bench serve`: 1M events, 32 clients, 10 s per scenario, 20 runs
    /// of each process, batches of 1,000 events.
    pub fn new(ledger_bin: PathBuf) -> ServeConfig {
        ServeConfig {
            events: 1_000_000,
            seed: 1,
            clients: 32,
            seconds: 10.0,
            cli_runs: 20,
            append_batch: 1_000,
            ledger_bin,
            tmp: None,
            progress: true,
            spawner: None,
        }
    }
}

/// The report of `ledger-bench serve` (its JSON form is this, serialized).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServeReport {
    /// `ledger-bench` and its version.
    pub tool: String,
    /// The machine: cores, CPU, memory, kernel, build profile.
    pub machine: Value,
    /// The `ledger` binary measured.
    pub ledger_bin: String,
    /// The generator's seed.
    pub seed: u64,
    /// Events in the ledger when the load began.
    pub events: usize,
    /// Designation keys in it.
    pub designations: usize,
    /// Concurrent clients asking questions.
    pub clients: usize,
    /// The time each scenario ran for, in seconds.
    pub seconds: f64,
    /// Events per appended batch.
    pub append_batch: usize,
    /// How long building the ledger took (append only), in ms.
    pub build_ms: f64,
    /// The points asked at: `at`, `ledger_clock`, and how many keys and names were drawn.
    pub queries: BTreeMap<String, String>,
    /// Every scenario: each question alone, then each while appends run.
    pub scenarios: Vec<Scenario>,
    /// The same questions as one-shot `ledger` processes, beside the server's median.
    pub processes: Vec<ProcessFigure>,
    /// The server's answer to `state?count=true` and the process's, which must agree.
    pub state_count: u64,
    /// The head after the load (every appended batch in it) and `ledger verify`'s verdict.
    pub final_head_seq: u64,
    /// `ledger verify` of the ledger after the server stopped passed.
    pub verified: bool,
    /// `/proc/loadavg` when the run started and when it ended.
    pub load_average: [String; 2],
    /// How to read the figures.
    pub notes: Vec<String>,
}

/// One scenario: one question asked by every client for the scenario's time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scenario {
    /// `show`, `search` or `state_count`.
    pub query: String,
    /// Clients asking it at once.
    pub clients: usize,
    /// Whether batches were appended meanwhile.
    pub with_appends: bool,
    /// Answers of 200 received.
    pub requests: u64,
    /// Requests that failed or were answered otherwise than 200.
    pub errors: u64,
    /// The first error, if any.
    pub first_error: Option<String>,
    /// Wall time from the start until the last client's last answer, in seconds.
    pub elapsed_s: f64,
    /// Answers per second (`requests / elapsed_s`).
    pub requests_per_s: f64,
    /// Latency percentiles of the answers, in ms.
    pub p50_ms: f64,
    /// 99th percentile, in ms.
    pub p99_ms: f64,
    /// The slowest answer, in ms.
    pub max_ms: f64,
    /// The mean, in ms.
    pub mean_ms: f64,
    /// The head's seq before and after the scenario (they differ by what was appended).
    pub head_seq: [u64; 2],
    /// The appends running meanwhile, if any.
    pub appends: Option<Appends>,
}

/// What the appending client did during a scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Appends {
    /// Batches acknowledged (durable).
    pub batches: u64,
    /// Events acknowledged.
    pub events: u64,
    /// Events acknowledged per second of the scenario.
    pub events_per_s: f64,
    /// Batches refused or failed.
    pub errors: u64,
    /// The first error, if any.
    pub first_error: Option<String>,
    /// Median time from sending a batch to its acknowledgement, in ms.
    pub batch_p50_ms: f64,
    /// The slowest batch, in ms.
    pub batch_max_ms: f64,
}

/// One question as a one-shot `ledger` process.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProcessFigure {
    /// `show`, `search` or `state_count`.
    pub query: String,
    /// The command run (its arguments after `--ledger PATH`, for the first run).
    pub command: String,
    /// Wall times of every run, in ms.
    pub runs_ms: Vec<f64>,
    /// Their median.
    pub median_ms: f64,
    /// Processes per second, run one after another (`1000 / median_ms`).
    pub processes_per_s: f64,
    /// The server's median latency for the same question from one client (no appends).
    pub one_client_p50_ms: f64,
    /// `median_ms / one_client_p50_ms`: how many times longer a process takes than the same
    /// answer from the server, one question at a time.
    pub ratio_one_client: f64,
    /// The server's median latency for the same question with every client asking (no appends).
    pub loaded_p50_ms: f64,
    /// `median_ms / loaded_p50_ms`.
    pub ratio_loaded: f64,
    /// The server's answers per second with every client asking (no appends).
    pub loaded_requests_per_s: f64,
}

const NOTES: &[&str] = &[
    "A scenario has every client ask one question back to back, each over its own keep-alive connection, for the scenario's time; latency is from sending a request to reading the whole answer; requests/s counts answers of 200.",
    "Keys for show and names for search are drawn with the seeded generator from the history's designations; every question is asked at the end of the history's last effective day (at=).",
    "With appends, one more client posts batches back to back to POST /v1/events: about one event in ten designates a new key (BENCH/..., a drawn designation as template), the others amend BENCH keys of earlier batches, as in the history's own mix; all effective on the clock's day, after at=, so outside every answer. The ledger grows during those scenarios, and search and state --count scan its growing key set.",
    "The one-shot processes run before the server starts, on the same ledger, each under `ledger-bench --measure-child` when run from the binary; ratio = process median / server p50 of the same question without appends, from one client (the cost of an answer) and from every client (an answer's wait under load, which for a question that keeps the cores busy is mostly queueing).",
    "The clients, the appender and the server share the machine's cores: on a small machine the figures are a floor of what the server does, not its limit.",
];

/// The questions a scenario asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Query {
    Show,
    Search,
    Count,
}

impl Query {
    const ALL: [Query; 3] = [Query::Show, Query::Search, Query::Count];

    fn name(self) -> &'static str {
        match self {
            Query::Show => "show",
            Query::Search => "search",
            Query::Count => "state_count",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Query::Show => "show KEY",
            Query::Search => "search NAME",
            Query::Count => "state --count",
        }
    }
}

/// A designation drawn from the history: its key, its primary name, and the event itself (the
/// template of the designations appended under load).
struct Drawn {
    authority: String,
    id: String,
    name: String,
    event: Value,
}

/// Draws up to [`POOL`] designations from the history with the seeded generator.
fn draw(h: &history::History, seed: u64) -> Result<Vec<Drawn>> {
    let needle = br#""type":"designation""#;
    let designations: Vec<usize> = h
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.windows(needle.len()).any(|w| w == needle))
        .map(|(i, _)| i)
        .collect();
    if designations.is_empty() {
        return Err("the history holds no designation".into());
    }
    let mut r = Rng::new(seed, 0x5E_7E);
    let mut out = Vec::with_capacity(POOL);
    for _ in 0..POOL.min(designations.len() * 2) {
        let i = designations[r.below(designations.len() as u64) as usize];
        let event: Value = serde_json::from_slice(&h.events[i])?;
        let field = |v: &Value| v.as_str().map(str::to_owned).ok_or_else(|| format!("event {}: {v}", i + 1));
        let name = event["subject"]["names"]
            .as_array()
            .and_then(|names| names.iter().find(|n| n["type"] == "primary"))
            .map(|n| n["name"].clone())
            .unwrap_or(Value::Null);
        out.push(Drawn {
            authority: field(&event["authority"])?,
            id: field(&event["id"])?,
            name: field(&name)?,
            event,
        });
    }
    Ok(out)
}

/// A path segment, percent-encoded but for RFC 3986's unreserved characters.
fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn progress(cfg: &ServeConfig, msg: impl AsRef<str>) {
    progress_if(cfg.progress, msg);
}

/// Runs the benchmark of `ledger serve`.
pub fn run(cfg: &ServeConfig) -> Result<ServeReport> {
    if !cfg.ledger_bin.is_file() {
        return Err(format!(
            "the ledger binary {} does not exist: build it (`cargo build --release -p ledger-cli`) or pass --ledger-bin",
            cfg.ledger_bin.display()
        )
        .into());
    }
    if cfg.clients == 0 || cfg.append_batch == 0 || cfg.seconds.is_nan() || cfg.seconds <= 0.0 {
        return Err("--clients, --append-batch and --seconds must be above 0".into());
    }
    let load_start = measure::load_average();
    let dir = match &cfg.tmp {
        Some(t) => tempfile::Builder::new().prefix("ledger-bench-serve-").tempdir_in(t)?,
        None => tempfile::Builder::new().prefix("ledger-bench-serve-").tempdir()?,
    };
    let path = dir.path().join("ledger.sled");

    let t = Instant::now();
    let history = history::generate(cfg.events, cfg.seed)?;
    progress(
        cfg,
        format!("{} events, {} designations generated in {:.0} ms", cfg.events, history.designations, ms_since(t)),
    );
    let points = Points::of(&history)?;
    let drawn = draw(&history, cfg.seed)?;
    let (_, build_ms) = build(&history, &path)?;
    progress(cfg, format!("{} events: built in {:.0} ms", cfg.events, build_ms));
    let (events, designations) = (history.events.len(), history.designations);
    drop(history);

    let ledger_cmd = |args: &[&str]| {
        let mut c = Command::new(&cfg.ledger_bin);
        c.arg("--ledger").arg(&path).args(args);
        c.env("LEDGER_CLOCK", &points.clock)
            .env("LEDGER_ACTOR", crate::ACTOR)
            .env_remove("LEDGER_PATH")
            .env_remove("LEDGER_REMOTE")
            .env_remove("LEDGER_TOKEN");
        c
    };

    // One-shot processes, before the server holds the ledger.
    let mut process_runs: BTreeMap<Query, (String, Vec<f64>)> = BTreeMap::new();
    let mut cli_count = None;
    for q in Query::ALL {
        let mut times = Vec::new();
        let mut first = String::new();
        for i in 0..cfg.cli_runs.max(1) {
            let d = &drawn[i % drawn.len()];
            let key = format!("{}/{}", d.authority, d.id);
            let args: Vec<&str> = match q {
                Query::Show => vec!["--format", "json", "show", &key, "--at", &points.at],
                Query::Search => vec!["--format", "json", "search", &d.name, "--at", &points.at],
                Query::Count => vec!["state", "--count", "--at", &points.at],
            };
            if i == 0 {
                first = args.join(" ");
            }
            let run = run_process(&mut ledger_cmd(&args), cfg.spawner.as_deref())?;
            times.push(run.ms);
            if q == Query::Count {
                let printed: u64 =
                    String::from_utf8_lossy(&run.stdout).trim().parse().map_err(|e| format!("state --count: {e}"))?;
                cli_count = Some(printed);
            }
        }
        progress(cfg, format!("`ledger {first}` as a process: median {:.1} ms", median(&times)));
        process_runs.insert(q, (first, times));
    }

    // The token, and the server.
    let tokens = dir.path().join("tokens.txt");
    let made = run_process(
        ledger_cmd(&["token", TOKEN_NAME, "--role", "operator", "--add"]).arg(&tokens),
        cfg.spawner.as_deref(),
    )?;
    let token = String::from_utf8_lossy(&made.stdout).trim().to_owned();
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err(format!("`ledger token` printed `{token}`, not a token").into());
    }
    let mut server = Server::start(&ledger_cmd, &tokens, &dir.path().join("serve.log"))?;
    progress(cfg, format!("serving at {}", server.base));
    let base = server.base.clone();
    let probe = agent();
    let count = get_json(&probe, &format!("{base}/v1/state?count=true&at={}", points.at))?["count"]
        .as_u64()
        .ok_or("state?count=true answered without a count")?;
    if Some(count) != cli_count {
        return Err(format!("the server counted {count} designations, `ledger state --count` {cli_count:?}").into());
    }

    let shared = Arc::new(Load { base: base.clone(), at: points.at.clone(), drawn, seed: cfg.seed });
    let mut scenarios = Vec::new();
    for (clients, with_appends) in [(1, false), (cfg.clients, false), (cfg.clients, true)] {
        for q in Query::ALL {
            let head_before = head_seq(&probe, &base)?;
            let appender = with_appends.then(|| Appender {
                token: token.clone(),
                batch: cfg.append_batch,
                tag: q.name().replace('_', "-"),
                effective: date(points.clock_day),
            });
            let mut s = scenario(cfg, clients, &shared, q, appender)?;
            s.head_seq = [head_before, head_seq(&probe, &base)?];
            progress(
                cfg,
                format!(
                    "{}, {clients} client{}{}: {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms, {} errors{}",
                    q.label(),
                    if clients == 1 { "" } else { "s" },
                    if with_appends { " + appends" } else { "" },
                    s.requests_per_s,
                    s.p50_ms,
                    s.p99_ms,
                    s.errors,
                    s.appends.as_ref().map_or(String::new(), |a| format!(
                        "; appended {} events in {} batches ({:.0} events/s)",
                        a.events, a.batches, a.events_per_s
                    )),
                ),
            );
            scenarios.push(s);
        }
    }
    let final_head_seq = head_seq(&probe, &base)?;
    drop(probe);
    server.stop()?;
    let verified = run_process(&mut ledger_cmd(&["verify"]), cfg.spawner.as_deref()).is_ok();

    let processes = Query::ALL
        .iter()
        .map(|q| {
            let (command, runs_ms) = process_runs.remove(q).unwrap_or_default();
            let median_ms = median(&runs_ms);
            let alone = |clients: usize| {
                scenarios.iter().find(|s| s.query == q.name() && !s.with_appends && s.clients == clients)
            };
            let one = alone(1).map_or(f64::NAN, |s| s.p50_ms);
            let loaded = alone(cfg.clients);
            let loaded_p50_ms = loaded.map_or(f64::NAN, |s| s.p50_ms);
            ProcessFigure {
                query: q.name().to_owned(),
                command,
                runs_ms,
                median_ms,
                processes_per_s: 1e3 / median_ms,
                one_client_p50_ms: one,
                ratio_one_client: median_ms / one,
                loaded_p50_ms,
                ratio_loaded: median_ms / loaded_p50_ms,
                loaded_requests_per_s: loaded.map_or(f64::NAN, |s| s.requests_per_s),
            }
        })
        .collect();
    if let Err(e) = measure::remove_dir(dir.path()) {
        progress(cfg, format!("{e} (left behind)"));
    }
    Ok(ServeReport {
        tool: format!("ledger-bench {}", env!("CARGO_PKG_VERSION")),
        machine: measure::machine(),
        ledger_bin: cfg.ledger_bin.display().to_string(),
        seed: cfg.seed,
        events,
        designations,
        clients: cfg.clients,
        seconds: cfg.seconds,
        append_batch: cfg.append_batch,
        build_ms,
        queries: [
            ("at", points.at.clone()),
            ("ledger_clock", points.clock.clone()),
            ("drawn_keys", shared.drawn.len().to_string()),
            ("append_effective", date(points.clock_day)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
        scenarios,
        processes,
        state_count: count,
        final_head_seq,
        verified,
        load_average: [load_start, measure::load_average()],
        notes: NOTES.iter().map(|s| (*s).to_owned()).collect(),
    })
}

/// What every client of a scenario shares.
struct Load {
    base: String,
    at: String,
    drawn: Vec<Drawn>,
    seed: u64,
}

/// The appending client of a scenario.
struct Appender {
    token: String,
    batch: usize,
    /// Part of every appended id, so that ids stay fresh across scenarios.
    tag: String,
    /// The appended designations' effective date.
    effective: String,
}

/// An HTTP client with one keep-alive connection; a status other than 200 is an answer to
/// look at, not an error of the call.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

fn get_json(agent: &ureq::Agent, url: &str) -> Result<Value> {
    let mut r = agent.get(url).call().map_err(|e| format!("GET {url}: {e}"))?;
    let status = r.status().as_u16();
    let body = r.body_mut().read_to_vec().map_err(|e| format!("GET {url}: {e}"))?;
    if status != 200 {
        return Err(format!("GET {url}: {status} {}", String::from_utf8_lossy(&body)).into());
    }
    Ok(serde_json::from_slice(&body)?)
}

fn head_seq(agent: &ureq::Agent, base: &str) -> Result<u64> {
    get_json(agent, &format!("{base}/v1/head"))?["head"]["seq"]
        .as_u64()
        .ok_or_else(|| "/v1/head answered without head.seq".into())
}

/// What one client did: its answers' latencies in µs, its errors.
#[derive(Default)]
struct Tally {
    micros: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
}

impl Tally {
    fn error(&mut self, e: String) {
        self.errors += 1;
        self.first_error.get_or_insert(e);
    }
}

/// One request: `Ok` once a 200 is read whole, `Err` with what went wrong otherwise.
fn exchange(
    result: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> std::result::Result<(), String> {
    let mut r = result.map_err(|e| e.to_string())?;
    let status = r.status().as_u16();
    let body = r.body_mut().with_config().limit(1 << 30).read_to_vec().map_err(|e| e.to_string())?;
    if status == 200 {
        Ok(())
    } else {
        let text = String::from_utf8_lossy(&body);
        Err(format!("{status}: {}", text.chars().take(300).collect::<String>()))
    }
}

fn client(load: &Load, q: Query, n: usize, start: &Barrier, seconds: f64) -> Tally {
    let agent = agent();
    let mut r = Rng::new(load.seed ^ 0x00C1_1E17, n as u64);
    let mut tally = Tally::default();
    let (show, search, count) = (
        format!("{}/v1/designations", load.base),
        format!("{}/v1/search", load.base),
        format!("{}/v1/state", load.base),
    );
    start.wait();
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    while Instant::now() < deadline {
        let d = &load.drawn[r.below(load.drawn.len() as u64) as usize];
        let request = match q {
            Query::Show => agent.get(format!("{show}/{}/{}", segment(&d.authority), segment(&d.id))),
            Query::Search => agent.get(&search).query("q", &d.name),
            Query::Count => agent.get(&count).query("count", "true"),
        }
        .query("at", &load.at);
        let t = Instant::now();
        match exchange(request.call()) {
            Ok(()) => tally.micros.push(t.elapsed().as_micros() as u64),
            Err(e) => tally.error(format!("{}: {e}", q.name())),
        }
    }
    tally
}

/// One in this many appended events designates a new key: about the history's own mix.
const DESIGNATE_EVERY: u64 = 10;

/// The lines of batch `batch_no`: as in the history, about one event in ten designates a new key
/// (`BENCH/{tag}-N`, fresh, a drawn designation as its template) and the others amend keys
/// designated by earlier batches (the first batch only designates); all effective on
/// `a.effective`. Returns the body and how many keys the batch designates.
fn batch_body(load: &Load, a: &Appender, batch_no: u64, designated: u64) -> Result<(Vec<u8>, u64)> {
    let mut body = Vec::with_capacity(a.batch * 600);
    let mut fresh = 0;
    for i in 0..a.batch as u64 {
        let n = batch_no * a.batch as u64 + i;
        if designated == 0 || i % DESIGNATE_EVERY == 0 {
            let mut event = load.drawn[n as usize % load.drawn.len()].event.clone();
            event["authority"] = Value::from(APPEND_AUTHORITY);
            event["id"] = Value::from(format!("{}-{:08}", a.tag, designated + fresh));
            event["effective"] = Value::from(a.effective.as_str());
            serde_json::to_writer(&mut body, &event)?;
            fresh += 1;
        } else {
            let event = serde_json::json!({
                "type": "amendment",
                "authority": APPEND_AUTHORITY,
                "id": format!("{}-{:08}", a.tag, n % designated),
                "effective": a.effective,
                "patch": {"reason": format!("statement of reasons revised (benchmark amendment {n})")},
                "reason": "variation: statement of reasons revised",
            });
            serde_json::to_writer(&mut body, &event)?;
        }
        body.push(b'\n');
    }
    Ok((body, fresh))
}

struct AppendTally {
    batches: u64,
    events: u64,
    errors: u64,
    first_error: Option<String>,
    batch_ms: Vec<f64>,
    elapsed_s: f64,
}

fn appender(load: &Load, a: &Appender, start: &Barrier, seconds: f64) -> AppendTally {
    let agent = agent();
    let url = format!("{}/v1/events", load.base);
    let auth = format!("Bearer {}", a.token);
    let mut t =
        AppendTally { batches: 0, events: 0, errors: 0, first_error: None, batch_ms: Vec::new(), elapsed_s: 0.0 };
    start.wait();
    let began = Instant::now();
    let deadline = began + Duration::from_secs_f64(seconds);
    let (mut batch_no, mut designated) = (0, 0);
    while Instant::now() < deadline {
        let (body, fresh) = match batch_body(load, a, batch_no, designated) {
            Ok(b) => b,
            Err(e) => {
                t.errors += 1;
                t.first_error.get_or_insert(e.to_string());
                break;
            }
        };
        batch_no += 1;
        let sent = Instant::now();
        let result =
            agent.post(&url).header("Authorization", &auth).content_type("application/x-ndjson").send(&body[..]);
        match exchange(result) {
            Ok(()) => {
                designated += fresh;
                t.batch_ms.push(ms_since(sent));
                t.batches += 1;
                t.events += a.batch as u64;
            }
            Err(e) => {
                t.errors += 1;
                t.first_error.get_or_insert(format!("append: {e}"));
                // A refused batch would be refused again: stop rather than hammer.
                break;
            }
        }
    }
    t.elapsed_s = began.elapsed().as_secs_f64();
    t
}

/// The latency at percentile `p` (nearest rank) of sorted µs, in ms.
fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1e3
}

fn scenario(
    cfg: &ServeConfig,
    clients_n: usize,
    load: &Arc<Load>,
    q: Query,
    appends: Option<Appender>,
) -> Result<Scenario> {
    let parties = clients_n + 1 + usize::from(appends.is_some());
    let start = Arc::new(Barrier::new(parties));
    let seconds = cfg.seconds;
    let mut clients = Vec::with_capacity(clients_n);
    for n in 0..clients_n {
        let (load, start) = (load.clone(), start.clone());
        clients.push(std::thread::spawn(move || client(&load, q, n, &start, seconds)));
    }
    let append = appends.map(|a| {
        let (load, start) = (load.clone(), start.clone());
        std::thread::spawn(move || appender(&load, &a, &start, seconds))
    });
    start.wait();
    let began = Instant::now();
    let mut all = Tally::default();
    for c in clients {
        let t = c.join().map_err(|_| "a client thread panicked")?;
        all.micros.extend(t.micros);
        all.errors += t.errors;
        if let Some(e) = t.first_error {
            all.first_error.get_or_insert(e);
        }
    }
    let elapsed_s = began.elapsed().as_secs_f64();
    let appends = match append {
        Some(h) => {
            let t = h.join().map_err(|_| "the appending thread panicked")?;
            Some(Appends {
                batches: t.batches,
                events: t.events,
                events_per_s: t.events as f64 / t.elapsed_s,
                errors: t.errors,
                first_error: t.first_error,
                batch_p50_ms: median(&t.batch_ms),
                batch_max_ms: t.batch_ms.iter().copied().fold(f64::NAN, f64::max),
            })
        }
        None => None,
    };
    all.micros.sort_unstable();
    let n = all.micros.len();
    Ok(Scenario {
        query: q.name().to_owned(),
        clients: clients_n,
        with_appends: appends.is_some(),
        requests: n as u64,
        errors: all.errors,
        first_error: all.first_error,
        elapsed_s,
        requests_per_s: n as f64 / elapsed_s,
        p50_ms: percentile(&all.micros, 50.0),
        p99_ms: percentile(&all.micros, 99.0),
        max_ms: percentile(&all.micros, 100.0),
        mean_ms: if n == 0 { f64::NAN } else { all.micros.iter().sum::<u64>() as f64 / n as f64 / 1e3 },
        head_seq: [0, 0],
        appends,
    })
}

/// A running `ledger serve`; stopped (killed, if need be) when dropped.
struct Server {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Server {
    /// Starts `ledger serve` on an ephemeral port of 127.0.0.1 and waits for the line naming
    /// it. A ledger still held by a store closed a moment ago (exit 75) is tried again, for up
    /// to 10 s.
    fn start(ledger_cmd: &dyn Fn(&[&str]) -> Command, tokens: &Path, log: &Path) -> Result<Server> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mut cmd = ledger_cmd(&["serve", "--listen", "127.0.0.1:0", "--tokens"]);
            cmd.arg(tokens).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(std::fs::File::create(log)?);
            let mut child = cmd.spawn().map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
            let stdout = child.stdout.take().ok_or("no stdout pipe")?;
            let (tx, rx) = mpsc::channel();
            // Reads the first line, then drains the rest so that the server never blocks on it.
            std::thread::spawn(move || {
                let mut lines = BufReader::new(stdout);
                let mut first = String::new();
                let _ = lines.read_line(&mut first);
                let _ = tx.send(first);
                let _ = std::io::copy(&mut lines, &mut std::io::sink());
            });
            let first = rx.recv_timeout(Duration::from_secs(120)).unwrap_or_default();
            if let Some(url) = first.trim().strip_prefix("listening on ") {
                let base = url.trim_end_matches('/').to_owned();
                if !base.starts_with("http://127.0.0.1:") {
                    let _ = child.kill();
                    return Err(format!("`ledger serve` listens at {base}, not on 127.0.0.1").into());
                }
                return Ok(Server { child, base, log: log.to_owned() });
            }
            let _ = child.kill();
            let status = child.wait()?;
            let mut text = String::new();
            let _ = std::fs::File::open(log).and_then(|mut f| f.read_to_string(&mut text));
            if status.code() == Some(75) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
            return Err(format!("`ledger serve` did not start ({status}): {}", text.trim()).into());
        }
    }

    /// SIGTERM, then waits (up to 60 s) for the in-flight requests to end and the server to
    /// exit 0.
    fn stop(&mut self) -> Result<()> {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status()?;
        if !sent.success() {
            return Err(format!("kill -TERM {pid} failed").into());
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait()? {
                return if status.success() {
                    Ok(())
                } else {
                    Err(format!("`ledger serve` exited with {status} on SIGTERM (its log: {})", self.log.display())
                        .into())
                };
            }
            if Instant::now() > deadline {
                return Err("`ledger serve` did not stop within 60 s of SIGTERM".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl ServeReport {
    /// The report as a table for a terminal.
    pub fn table(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "== ledger serve: {} events, {} designations; {} clients, {} s per scenario; appends of {} events a batch ==",
            self.events, self.designations, self.clients, self.seconds, self.append_batch
        );
        let header: Vec<String> = [
            "question",
            "clients",
            "appends",
            "requests",
            "req/s",
            "p50 ms",
            "p99 ms",
            "max ms",
            "errors",
            "appended ev/s",
            "batches",
        ]
        .map(str::to_owned)
        .to_vec();
        let mut rows = vec![header];
        for s in &self.scenarios {
            let label = Query::ALL.iter().find(|q| q.name() == s.query).map_or(s.query.as_str(), |q| q.label());
            let (eps, batches) = match &s.appends {
                Some(a) => {
                    (human(a.events_per_s), format!("{}{}", a.batches, if a.errors > 0 { " (ERRORS)" } else { "" }))
                }
                None => (String::new(), String::new()),
            };
            rows.push(vec![
                label.to_owned(),
                s.clients.to_string(),
                if s.with_appends { "yes".into() } else { "no".into() },
                s.requests.to_string(),
                human(s.requests_per_s),
                human(s.p50_ms),
                human(s.p99_ms),
                human(s.max_ms),
                s.errors.to_string(),
                eps,
                batches,
            ]);
        }
        out.push_str(&grid(&rows));
        for s in &self.scenarios {
            let appends = s.appends.as_ref();
            for e in [s.first_error.as_ref(), appends.and_then(|a| a.first_error.as_ref())].into_iter().flatten() {
                let _ = writeln!(
                    out,
                    "first error of {} ({} clients{}): {e}",
                    s.query,
                    s.clients,
                    if s.with_appends { ", appends" } else { "" }
                );
            }
        }
        let _ = writeln!(out);
        let runs = self.processes.first().map_or(0, |p| p.runs_ms.len());
        let _ = writeln!(out, "== the same questions as one-shot `ledger` processes (no server), median of {runs} ==");
        let c = self.clients;
        let mut rows = vec![vec![
            "question".to_owned(),
            "process ms".to_owned(),
            "processes/s".to_owned(),
            "server p50 ms, 1 client".to_owned(),
            "ratio".to_owned(),
            format!("server p50 ms, {c} clients"),
            "ratio".to_owned(),
            format!("server req/s, {c} clients"),
        ]];
        let ratio = |r: f64| if r >= 10.0 { format!("{r:.0}x") } else { format!("{r:.2}x") };
        for p in &self.processes {
            let label = Query::ALL.iter().find(|q| q.name() == p.query).map_or(p.query.as_str(), |q| q.label());
            rows.push(vec![
                label.to_owned(),
                human(p.median_ms),
                human(p.processes_per_s),
                human(p.one_client_p50_ms),
                ratio(p.ratio_one_client),
                human(p.loaded_p50_ms),
                ratio(p.ratio_loaded),
                human(p.loaded_requests_per_s),
            ]);
        }
        out.push_str(&grid(&rows));
        let _ = writeln!(
            out,
            "ratio = process median / server p50 (without appends); processes/s: one after another. at={}, state --count = {}; head after the load: seq {}; verify: {}",
            self.queries.get("at").map_or("", String::as_str),
            self.state_count,
            self.final_head_seq,
            if self.verified { "ok" } else { "FAILED" }
        );
        let _ = writeln!(
            out,
            "machine: {} cores, {}; load average at start: {}; at end: {}",
            self.machine["nproc"],
            self.machine["cpu"].as_str().unwrap_or("?"),
            self.load_average[0],
            self.load_average[1]
        );
        out
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(self)?)
    }
}

/// Rows as columns: the first left-aligned, the others right-aligned.
fn grid(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; cols];
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (i, (c, w)) in r.iter().zip(&widths).enumerate() {
            let pad = " ".repeat(w - c.chars().count());
            if i == 0 {
                line.push_str(c);
                line.push_str(&pad);
            } else {
                line.push_str(&pad);
                line.push_str(c);
            }
            line.push_str("  ");
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<u64> = (1..=100).map(|i| i * 1000).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&[7000], 99.0), 7.0);
        assert!(percentile(&[], 50.0).is_nan());
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(segment("QDi.123"), "QDi.123");
        assert_eq!(segment("a b/c"), "a%20b%2Fc");
    }
}
