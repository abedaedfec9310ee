//! Crash safety and concurrent use, at the process level: the real `ledger` killed with SIGKILL at
//! seeded random moments of an `append` or an `import`, and several processes appending and
//! querying one ledger at once. Each test names the sentence of README's "What it guarantees"
//! that it proves.
//!
//! Kill moments come from a splitmix64 generator with a fixed seed, as fractions in [0, 1.2) of the
//! time an unkilled run of the same size takes, so that they fall over the whole life of the
//! child: start-up, reading and checking the batch, the write and the flush, and just after it.
//! Which phase a given kill hits still depends on the machine's timing, so the seed, the iteration
//! and the delay are in every assertion message. `LEDGER_CRASH_SEED` (a number, decimal or 0x hex)
//! and `LEDGER_CRASH_ITERATIONS` override the seed and the count, to explore further.
//!
//! Each crash test starts a fresh ledger every [`EPOCH`] kills, so that `verify` after every kill
//! stays cheap while kills still follow kills (and recoveries) on one ledger.
//!
//! After every kill: the ledger opens and `verify` passes; the head is the last batch known to be
//! in the ledger (acknowledged, or found wholly present after an earlier kill) plus either nothing
//! or the whole killed batch; the event at that earlier head still has the hash the CLI printed,
//! so (with `verify`'s link check) every batch acknowledged before is still there, unchanged.
#![cfg(unix)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ledger_tests::{Run, Sandbox, designation, designations, repo_file, synthetic_uk_list};
use serde_json::Value;

/// How long any one `ledger` process may run before the test calls it a hang.
const HANG: Duration = Duration::from_secs(120);
/// SIGKILL's number (POSIX fixes it at 9).
const SIGKILL: i32 = 9;
/// Kills per crash test.
const ITERATIONS: usize = 30;
/// Kills on one ledger before the test starts a fresh one (bounding the cost of `verify`).
const EPOCH: usize = 10;
/// Events per killed `append` batch.
const APPEND_BATCH: usize = 5_000;
/// Events per acknowledged `append` batch between two kills.
const SMALL_BATCH: usize = 50;
/// Synthetic designations per block of a synthetic UK list.
const LIST_BLOCK: usize = 1_000;
/// The report date of the synthetic UK lists.
const LIST_DATE: &str = "2026-05-06";

// ---------------------------------------------------------------------------------------------
// Seeded randomness.

/// The seed: `default`, or `LEDGER_CRASH_SEED`.
fn seed(default: u64) -> u64 {
    match std::env::var("LEDGER_CRASH_SEED") {
        Ok(s) => {
            let s = s.trim();
            let parsed = match s.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => s.parse(),
            };
            parsed.expect("LEDGER_CRASH_SEED: a number (decimal, or hex with 0x)")
        }
        Err(_) => default,
    }
}

/// The number of kills per test: [`ITERATIONS`], or `LEDGER_CRASH_ITERATIONS`.
fn iterations() -> usize {
    std::env::var("LEDGER_CRASH_ITERATIONS")
        .map(|s| s.trim().parse().expect("LEDGER_CRASH_ITERATIONS: a count"))
        .unwrap_or(ITERATIONS)
}

/// splitmix64.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A delay in [0, 1.2 × `full`): the kill moment for a child that takes `full` unkilled.
    fn kill_delay(&mut self, full: Duration) -> Duration {
        let unit = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        full.mul_f64(1.2 * unit)
    }
}

// ---------------------------------------------------------------------------------------------
// Processes, with a bound on their time.

fn drain<R: Read + Send + 'static>(mut r: R) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut b = Vec::new();
        // A killed child's pipe simply ends; a read error leaves what was read.
        let _ = r.read_to_end(&mut b);
        String::from_utf8_lossy(&b).into_owned()
    })
}

/// A `ledger` child whose output is being collected.
struct Running {
    child: Child,
    what: String,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
}

/// How a child ended and what it printed.
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Finished {
    fn run(self) -> Run {
        Run { code: self.status.code().unwrap_or(-1), stdout: self.stdout, stderr: self.stderr }
    }
}

impl std::fmt::Display for Finished {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}\nstdout:\n{}\nstderr:\n{}", self.status, self.stdout, self.stderr)
    }
}

/// Starts `ledger ARGS` on the sandbox's ledger.
fn spawn(s: &Sandbox, args: &[&str]) -> Running {
    let mut child = s
        .command(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ledger");
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    Running { child, what: format!("ledger {}", args.join(" ")), stdout, stderr }
}

impl Running {
    /// Waits for the child, failing the test if it runs longer than [`HANG`].
    fn finish(mut self) -> Finished {
        let deadline = Instant::now() + HANG;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("poll the child") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("{}: still running after {HANG:?} (a hang); killed it", self.what);
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        let stdout = self.stdout.join().expect("the stdout reader");
        let stderr = self.stderr.join().expect("the stderr reader");
        Finished { status, stdout, stderr }
    }

    /// Sends SIGKILL after `delay` (a child that has already exited is unaffected), then waits.
    fn kill_after(mut self, delay: Duration) -> Finished {
        std::thread::sleep(delay);
        self.child.kill().expect("SIGKILL the child");
        self.finish()
    }
}

/// Runs `ledger ARGS` to completion (bounded by [`HANG`]).
fn run(s: &Sandbox, args: &[&str]) -> Run {
    spawn(s, args).finish().run()
}

/// `ledger log --from FROM [--limit N] --format json`, parsed.
fn log_from(s: &Sandbox, from: u64, limit: Option<u64>) -> Vec<Value> {
    let from = from.to_string();
    let limit = limit.map(|n| n.to_string());
    let mut args = vec!["log", "--from", &from, "--format", "json"];
    if let Some(n) = &limit {
        args.extend(["--limit", n]);
    }
    let r = run(s, &args).expect(0);
    r.stdout.lines().map(|l| serde_json::from_str(l).expect("a JSON line of the log")).collect()
}

/// A head (`{"seq", "hash"}`) as printed in JSON.
fn seq_hash(head: &Value) -> (u64, String) {
    (head["seq"].as_u64().expect("head.seq"), head["hash"].as_str().expect("head.hash").to_owned())
}

fn count(s: &Sandbox, args: &[&str]) -> u64 {
    let mut all = vec!["state", "--count"];
    all.extend_from_slice(args);
    let r = run(s, &all).expect(0);
    r.stdout.trim().parse().unwrap_or_else(|e| panic!("state --count printed {:?}: {e}", r.stdout))
}

// ---------------------------------------------------------------------------------------------
// What the tests know is in the ledger.

/// A batch known to be in the ledger.
#[derive(Debug, Clone)]
struct Batch {
    label: String,
    first: u64,
    last: u64,
    hash: String,
    /// The CLI printed its head (otherwise it was found wholly present after a kill).
    acknowledged: bool,
}

/// The batches the CLI acknowledged (printed the new head for) and those found wholly present after
/// a kill, in chain order; `seq`/`hash` is the last of them.
struct Book {
    seq: u64,
    hash: String,
    batches: Vec<Batch>,
}

/// What the kills did, for the summary line.
#[derive(Debug, Default)]
struct Tally {
    kills: usize,
    /// Killed, and the batch was not in the ledger afterwards.
    absent: usize,
    /// Killed without an acknowledgement, and the batch was wholly present afterwards.
    present_unacknowledged: usize,
    /// The child printed the new head before the kill reached it.
    acknowledged: usize,
}

impl Book {
    fn new(s: &Sandbox) -> Book {
        let (seq, hash) = s.head();
        Book { seq, hash, batches: Vec::new() }
    }

    /// Records a batch of `n` events the CLI acknowledged with `head`.
    #[track_caller]
    fn acknowledge(&mut self, label: &str, n: usize, head: &Value, ctx: &str) {
        let (seq, hash) = seq_hash(head);
        assert_eq!(seq, self.seq + n as u64, "{ctx}: {label} acknowledged head {seq}, expected {} + {n}", self.seq);
        self.push(label, n, seq, hash, true);
    }

    fn push(&mut self, label: &str, n: usize, seq: u64, hash: String, acknowledged: bool) {
        self.batches.push(Batch {
            label: label.to_owned(),
            first: seq + 1 - n as u64,
            last: seq,
            hash: hash.clone(),
            acknowledged,
        });
        (self.seq, self.hash) = (seq, hash);
    }

    /// The checks after a child writing a batch `label` of `n` events was killed, or finished
    /// before the kill (`ack`: what it printed, if it printed the new head). Returns the batch's
    /// events if it is in the ledger.
    #[track_caller]
    fn after_kill(
        &mut self,
        s: &Sandbox,
        label: &str,
        n: usize,
        ack: Option<&Value>,
        ctx: &str,
        tally: &mut Tally,
    ) -> Option<Vec<Value>> {
        tally.kills += 1;
        // The ledger opens and verifies.
        let v = run(s, &["verify", "--format", "json"]);
        assert_eq!(v.code, 0, "{ctx}: verify after the kill\nstdout:\n{}\nstderr:\n{}", v.stdout, v.stderr);
        let report = v.json();
        assert_eq!(report["ok"], true, "{ctx}: {report}");
        let (seq, hash) = seq_hash(&report["head"]);
        assert!(seq >= self.seq, "{ctx}: ACKNOWLEDGED EVENTS LOST: head {seq}, but {} was acknowledged", self.seq);
        assert!(
            seq == self.seq || seq == self.seq + n as u64,
            "{ctx}: HALF-APPLIED BATCH: head {seq}; expected {} (absent) or {} (all {n} events of {label})",
            self.seq,
            self.seq + n as u64
        );
        // Every batch known before is there, unchanged: the event at the known head still has
        // the hash printed for it, and verify checked every link up to it.
        let at = log_from(s, self.seq, Some(1));
        assert_eq!(at.len(), 1, "{ctx}: no event at seq {}", self.seq);
        assert_eq!(at[0]["hash"], self.hash.as_str(), "{ctx}: the event at seq {} changed", self.seq);
        if seq == self.seq {
            assert!(ack.is_none(), "{ctx}: ACKNOWLEDGED BATCH LOST: {label} printed {ack:?}, head is {seq}");
            tally.absent += 1;
            return None;
        }
        let events = log_from(s, self.seq + 1, None);
        assert_eq!(events.len(), n, "{ctx}: {label} is {} events, expected {n}", events.len());
        for (k, e) in events.iter().enumerate() {
            assert_eq!(e["seq"].as_u64(), Some(self.seq + 1 + k as u64), "{ctx}: {label} event {k}");
        }
        match ack {
            Some(ack) => {
                assert_eq!(seq_hash(ack), (seq, hash.clone()), "{ctx}: {label}: acknowledged head vs the ledger's");
                tally.acknowledged += 1;
            }
            None => tally.present_unacknowledged += 1,
        }
        self.push(label, n, seq, hash, ack.is_some());
        Some(events)
    }

    /// At the end: the whole log holds every known batch where it was, ending with the hash printed
    /// for it, and `check` accepts each batch's events.
    #[track_caller]
    fn check_log(&self, s: &Sandbox, ctx: &str, check: impl Fn(&Batch, &[Value])) {
        let log = log_from(s, 0, None);
        assert_eq!(log.len() as u64, self.seq + 1, "{ctx}: the log's length");
        for b in &self.batches {
            let events = &log[b.first as usize..=b.last as usize];
            let how = if b.acknowledged { "acknowledged" } else { "found whole after a kill" };
            let at = format!("{ctx}: {} ({how}, seqs {}..={})", b.label, b.first, b.last);
            assert_eq!(events[events.len() - 1]["hash"], b.hash.as_str(), "{at}: ends with another hash");
            check(b, events);
        }
    }
}

/// Which kill, for assertion messages.
fn context(seed: u64, i: usize, delay: Duration, full: Duration) -> String {
    format!("seed {seed:#x}, iteration {i}, killed after {delay:?} (an unkilled run took {full:?})")
}

/// What a killed (or finished) child acknowledged: the JSON head it printed, if it printed one
/// (a child killed between printing and exiting has acknowledged). Any exit but 0 or SIGKILL
/// fails the test.
#[track_caller]
fn acknowledgement(f: &Finished, ctx: &str) -> Option<Value> {
    let printed = serde_json::from_str::<Value>(&f.stdout).ok();
    match (f.status.code(), f.status.signal()) {
        (Some(0), _) => Some(printed.unwrap_or_else(|| panic!("{ctx}: exit 0 without a JSON head: {f}"))),
        (None, Some(SIGKILL)) => printed,
        _ => panic!("{ctx}: the child neither succeeded nor died of the SIGKILL: {f}"),
    }
}

// ---------------------------------------------------------------------------------------------
// append

/// Proves, for `append` under SIGKILL at any moment, README's
/// - "Durable when acknowledged. `append` [...] print[s] the new head only after the whole batch
///   is written in one atomic sled batch and flushed to disk; a crash after that loses nothing of
///   it": every batch whose head was printed (those appended between kills, and a killed child's
///   own if it printed before dying) is in the ledger, unchanged, after every later kill;
/// - "All or nothing. [...] a batch interrupted by a crash (even `kill -9`) is afterwards wholly
///   present or wholly absent, and the ledger still verifies": the head is the previous one or the
///   previous one plus the whole batch, never between; `verify` exits 0; the index agrees
///   (`state --count`); a batch found present is refused whole if appended again;
/// - "What a crash can lose is the batch that was being appended and not yet acknowledged":
///   nothing else is ever missing.
#[test]
fn a_killed_append_leaves_its_batch_wholly_present_or_wholly_absent() {
    let seed = seed(0x00c0_ffee_a99e_0d01);
    let mut rng = SplitMix64(seed);
    let mut tally = Tally::default();
    let started = Instant::now();
    let (mut events, mut calibrations) = (0, Vec::new());
    let iterations = iterations();
    for epoch in 0..iterations.div_ceil(EPOCH) {
        let s = Sandbox::init();
        let mut book = Book::new(&s);
        // An unkilled append of a batch of the same size, timed: the kill moments are spread over it.
        let label = format!("C{epoch:02}");
        let file = s.file(&format!("{label}.jsonl"), designations(&label, APPEND_BATCH).as_bytes());
        let t = Instant::now();
        let r = run(&s, &["append", &file, "--format", "json"]).expect(0);
        let full = t.elapsed();
        calibrations.push(full);
        book.acknowledge(&label, APPEND_BATCH, &r.json()["head"], "calibration");

        for i in epoch * EPOCH..iterations.min((epoch + 1) * EPOCH) {
            let label = format!("K{i:03}");
            let path = s.file(&format!("{label}.jsonl"), designations(&label, APPEND_BATCH).as_bytes());
            let delay = rng.kill_delay(full);
            let ctx = context(seed, i, delay, full);
            let child = spawn(&s, &["append", &path, "--format", "json"]);
            let done = child.kill_after(delay);
            let ack = acknowledgement(&done, &ctx);
            let ack_head = ack.as_ref().map(|v| v["head"].clone());
            match book.after_kill(&s, &label, APPEND_BATCH, ack_head.as_ref(), &ctx, &mut tally) {
                Some(events) => {
                    for (k, e) in events.iter().enumerate() {
                        assert_eq!(e["type"], "designation", "{ctx}: {label} event {k}");
                        assert_eq!(e["id"], format!("{label}{:06}", k + 1), "{ctx}: {label} event {k}");
                    }
                    if ack.is_none() {
                        // Re-running the append the operator never saw succeed is refused whole.
                        let again = run(&s, &["append", &path]);
                        assert_eq!(again.code, 65, "{ctx}: re-running {label}: {}", again.stderr);
                        assert!(again.stderr.contains("nothing was written"), "{ctx}: {}", again.stderr);
                    }
                }
                None => {
                    let first = format!("UK/{label}000001");
                    assert_eq!(run(&s, &["show", &first]).code, 1, "{ctx}: {first} of an absent batch is found");
                }
            }
            assert_eq!(count(&s, &[]), book.seq, "{ctx}: designations in force (the index) vs the head");
            std::fs::remove_file(&path).expect("remove the batch file");

            // A small acknowledged batch, so that every kill has acknowledged batches before it.
            let label = format!("A{i:03}");
            let path = s.file(&format!("{label}.jsonl"), designations(&label, SMALL_BATCH).as_bytes());
            let r = run(&s, &["append", &path, "--format", "json"]);
            assert_eq!(r.code, 0, "{ctx}: the append after the kill: {}", r.stderr);
            book.acknowledge(&label, SMALL_BATCH, &r.json()["head"], &ctx);
        }

        book.check_log(&s, &format!("seed {seed:#x}, the end of epoch {epoch}"), |b, events| {
            for (k, e) in events.iter().enumerate() {
                assert_eq!(e["id"], format!("{}{:06}", b.label, k + 1), "{} event {k}", b.label);
            }
        });
        events += book.seq;
    }
    eprintln!(
        "append crashes: seed {seed:#x}, batches of {APPEND_BATCH} events, unkilled appends took {calibrations:?}: \
         {tally:?}; {events} events in the ledgers; {:?}",
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// import

fn shared(rel: &str) -> String {
    repo_file(&format!("tests/fixtures/lists/{rel}")).to_str().expect("utf-8 path").to_owned()
}

const UK_CSV: &str = "uk-gim/UK-Sanctions-List-GIM-2026-04-29.csv";

/// The synthetic ids of block `b` of [`synthetic_uk_list`] (`LIST_BLOCK` ids from `b × LIST_BLOCK + 1`).
fn block_ids(b: usize) -> BTreeSet<String> {
    (b * LIST_BLOCK + 1..=(b + 1) * LIST_BLOCK).map(|i| format!("{i:05}")).collect()
}

/// The numeric part of a synthetic id (`RUS00042` → `00042`), or `None` for a real GIM id.
fn synthetic_number(id: &str) -> Option<String> {
    let digits = id.get(3..)?;
    (digits.len() == 5).then(|| digits.to_owned())
}

/// An import summary's (designations, amendments, delistings).
fn summary(v: &Value) -> (u64, u64, u64) {
    let n = |k: &str| v["summary"][k].as_u64().unwrap_or_else(|| panic!("summary.{k} in {v}"));
    (n("designations"), n("amendments"), n("delistings"))
}

/// Proves, for `import` under SIGKILL at any moment (an import is one batch: its designations and
/// its delistings are appended together), README's
/// - "Durable when acknowledged. `append` and `import` print the new head only after the whole
///   batch is written [...] and flushed to disk; a crash after that loses nothing of it": every
///   import whose head was printed is in the ledger, unchanged, after every later kill;
/// - "All or nothing. [...] a batch interrupted by a crash (even `kill -9`) is afterwards wholly
///   present or wholly absent, and the ledger still verifies", and importing the same file again
///   then appends the rest (all of it) or nothing;
/// - "What a crash can lose is the batch that was being appended and not yet acknowledged".
///
/// The ledger imports, one after another, lists that each hold the real GIM list's 38
/// designations and a new block of synthetic ones, so each import designates a block and delists
/// the block before it (with `--max-delist 100%`).
#[test]
fn a_killed_import_is_wholly_present_or_wholly_absent_and_a_rerun_completes_it() {
    let seed = seed(0x00c0_ffee_1a90_0d02);
    let mut rng = SplitMix64(seed);
    let mut tally = Tally::default();
    let started = Instant::now();
    let (mut total, mut calibrations) = (0, Vec::new());
    let n = 2 * LIST_BLOCK;
    let iterations = iterations();
    for epoch in 0..iterations.div_ceil(EPOCH) {
        let s = Sandbox::init();
        let mut book = Book::new(&s);
        let list = |b: usize| {
            let text = synthetic_uk_list(b * LIST_BLOCK, LIST_BLOCK, seed ^ ((epoch as u64) << 32 | b as u64), true);
            let digest = blake3::hash(text.as_bytes()).to_hex().to_string();
            (s.file(&format!("uk-{b:03}.csv"), text.as_bytes()), digest)
        };
        let import = |path: &str| run(&s, &["import", "uk-csv", path, "--max-delist", "100%", "--format", "json"]);

        // Block 0 and the real designations, then block 1 timed: an unkilled import of the size
        // of the killed ones (a block designated, the previous one delisted).
        let (path, _) = list(0);
        let r = import(&path).expect(0).json();
        assert_eq!(summary(&r), (38 + LIST_BLOCK as u64, 0, 0), "{r}");
        book.acknowledge("list 0", 38 + LIST_BLOCK, &r["head"], "list 0");
        let (path, _) = list(1);
        let t = Instant::now();
        let r = import(&path).expect(0).json();
        let full = t.elapsed();
        calibrations.push(full);
        assert_eq!(summary(&r), (LIST_BLOCK as u64, 0, LIST_BLOCK as u64), "{r}");
        book.acknowledge("list 1", n, &r["head"], "list 1");

        let mut lists = BTreeMap::new();
        for i in epoch * EPOCH..iterations.min((epoch + 1) * EPOCH) {
            let b = i - epoch * EPOCH + 2;
            let label = format!("list {b}");
            let (path, digest) = list(b);
            lists.insert(label.clone(), (b, digest.clone()));
            let delay = rng.kill_delay(full);
            let ctx = context(seed, i, delay, full);
            let child = spawn(&s, &["import", "uk-csv", &path, "--max-delist", "100%", "--format", "json"]);
            let done = child.kill_after(delay);
            let ack = acknowledgement(&done, &ctx);
            let ack_head = ack.as_ref().map(|v| v["head"].clone());
            let landed = book.after_kill(&s, &label, n, ack_head.as_ref(), &ctx, &mut tally);
            if let Some(events) = &landed {
                check_import(events, b, &digest, &ctx);
            }
            // The same file again: the rest (everything) if the killed import is absent, else
            // nothing.
            let r = import(&path);
            assert_eq!(r.code, 0, "{ctx}: importing {label} again: {}", r.stderr);
            let r = r.json();
            if landed.is_some() {
                assert_eq!(summary(&r), (0, 0, 0), "{ctx}: {r}");
                assert_eq!(seq_hash(&r["head"]), (book.seq, book.hash.clone()), "{ctx}: {r}");
            } else {
                assert_eq!(summary(&r), (LIST_BLOCK as u64, 0, LIST_BLOCK as u64), "{ctx}: {r}");
                book.acknowledge(&label, n, &r["head"], &ctx);
            }
            let in_force = count(&s, &["--at", LIST_DATE]);
            assert_eq!(in_force, 38 + LIST_BLOCK as u64, "{ctx}: in force on {LIST_DATE}");
            std::fs::remove_file(&path).expect("remove the list");
        }

        book.check_log(&s, &format!("seed {seed:#x}, the end of epoch {epoch}"), |b, events| {
            if let Some((block, digest)) = lists.get(&b.label) {
                check_import(events, *block, digest, &b.label);
            }
        });
        total += book.seq;
    }
    eprintln!(
        "import crashes: seed {seed:#x}, {n} events per import, unkilled imports took {calibrations:?}: \
         {tally:?}; {total} events in the ledgers; {:?}",
        started.elapsed()
    );
}

/// The events of a whole import of list `b`: block `b` designated, block `b - 1` delisted, all
/// carrying the list's provenance.
#[track_caller]
fn check_import(events: &[Value], b: usize, digest: &str, ctx: &str) {
    let mut designated = BTreeSet::new();
    let mut delisted = BTreeSet::new();
    for e in events {
        assert_eq!(e["import"]["blake3"], digest, "{ctx}: provenance of {e}");
        let id = e["id"].as_str().expect("an id");
        let number = synthetic_number(id).unwrap_or_else(|| panic!("{ctx}: a real designation in the import: {e}"));
        match e["type"].as_str() {
            Some("designation") => designated.insert(number),
            Some("delisting") => delisted.insert(number),
            _ => panic!("{ctx}: {e}"),
        };
    }
    assert_eq!(designated, block_ids(b), "{ctx}: designated");
    assert_eq!(delisted, block_ids(b - 1), "{ctx}: delisted");
}

/// The same sentences for the real UK GIM list (38 designations; an import takes a few
/// milliseconds, so most kills land in start-up, opening the store, parsing and reconciling), each
/// kill on a fresh ledger that holds an acknowledged batch of another authority's designations.
#[test]
fn a_killed_import_of_the_real_uk_list_is_wholly_present_or_wholly_absent() {
    let seed = seed(0x00c0_ffee_0a1e_0d03);
    let mut rng = SplitMix64(seed);
    let csv = shared(UK_CSV);
    let digest = blake3::hash(&std::fs::read(&csv).expect("read the list")).to_hex().to_string();
    let eu: String = (1..=20)
        .map(|i| designation(&format!("EU{i:04}"), "2025-07-23", &format!("Person EU {i}")) + "\n")
        .collect::<String>()
        .replace("\"authority\":\"UK\"", "\"authority\":\"EU\"");
    let prepare = || {
        let s = Sandbox::init();
        let mut book = Book::new(&s);
        let path = s.file("eu.jsonl", eu.as_bytes());
        let r = run(&s, &["append", &path, "--format", "json"]).expect(0);
        book.acknowledge("EU", 20, &r.json()["head"], "the EU batch");
        (s, book)
    };
    let import = |s: &Sandbox| run(s, &["import", "uk-csv", &csv, "--format", "json"]);
    let mut tally = Tally::default();
    let started = Instant::now();

    let (s, _) = prepare();
    let t = Instant::now();
    let r = import(&s).expect(0).json();
    let full = t.elapsed();
    assert_eq!(summary(&r), (38, 0, 0), "{r}");

    for i in 0..iterations() {
        let (s, mut book) = prepare();
        let delay = rng.kill_delay(full);
        let ctx = context(seed, i, delay, full);
        let done = spawn(&s, &["import", "uk-csv", &csv, "--format", "json"]).kill_after(delay);
        let ack = acknowledgement(&done, &ctx);
        let ack_head = ack.as_ref().map(|v| v["head"].clone());
        let landed = book.after_kill(&s, "the UK list", 38, ack_head.as_ref(), &ctx, &mut tally);
        if let Some(events) = &landed {
            let ids: BTreeSet<&str> = events.iter().filter_map(|e| e["id"].as_str()).collect();
            assert_eq!(ids.len(), 38, "{ctx}: 38 distinct keys");
            for e in events {
                assert_eq!((&e["type"], &e["authority"]), (&"designation".into(), &"UK".into()), "{ctx}: {e}");
                assert_eq!(e["import"]["blake3"], digest.as_str(), "{ctx}: {e}");
            }
        }
        let r = import(&s);
        assert_eq!(r.code, 0, "{ctx}: importing again: {}", r.stderr);
        let r = r.json();
        let expected = if landed.is_some() { (0, 0, 0) } else { (38, 0, 0) };
        assert_eq!(summary(&r), expected, "{ctx}: {r}");
        assert_eq!(r["head"]["seq"], 58, "{ctx}: {r}");
        assert_eq!(count(&s, &["--authority", "UK"]), 38, "{ctx}");
        assert_eq!(count(&s, &["--authority", "EU"]), 20, "{ctx}");
        run(&s, &["verify"]).expect(0);
    }
    eprintln!("real-list import crashes: seed {seed:#x}, unkilled import {full:?}: {tally:?}; {:?}", started.elapsed());
}

// ---------------------------------------------------------------------------------------------
// A kill while the store is being opened

/// sled 0.34 writes a fresh snapshot of its page table while it opens a store that was written to
/// since its last snapshot, so the first command of any kind after an `append` (even `head`)
/// writes `snap.<LSN>.generating`, then renames it to `snap.<LSN>`. A SIGKILL between the two
/// leaves the `.generating` file empty or cut short, and sled 0.34 picks it as the newest
/// snapshot (it skips only `*.in___motion` files) and refuses to open the store: "Read corrupted
/// data at file offset None" (sled issue #1527). The killed-import test of the real list met this
/// with seed 0x1234 (iteration 29, killed 4.4 ms in) and seed 0x777 (iteration 78), before the
/// store learnt to remove such files on open; `head` killed in its first 12 ms did it about once
/// in 200 kills. Random kills hit that window (tens of microseconds) rarely, so this test leaves
/// exactly what such a kill leaves, both ways, and asks what README's "All or nothing" promises
/// of a crash ("the ledger still verifies") and "Durable when acknowledged" ("a crash after that
/// loses nothing of it"): the ledger opens, verifies, and has its head.
#[test]
fn a_snapshot_left_half_written_by_a_killed_process_does_not_make_the_ledger_unreadable() {
    let s = Sandbox::gim();
    let before = s.head();
    let snapshots = || -> Vec<(u64, std::path::PathBuf)> {
        std::fs::read_dir(&s.ledger)
            .expect("list the ledger directory")
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let lsn = u64::from_str_radix(name.strip_prefix("snap.")?, 16).ok()?;
                Some((lsn, e.path()))
            })
            .collect()
    };
    // A command after the append has written sled's snapshot (as a killed one would have begun to).
    run(&s, &["head"]).expect(0);
    let (lsn, newest) = snapshots().into_iter().max().expect("sled wrote a snapshot");
    let bytes = std::fs::read(&newest).expect("read the snapshot");
    let left = |what: &str, content: &[u8]| {
        let name = format!("snap.{:016X}.generating", lsn + 0x4000);
        let path = s.ledger.join(&name);
        std::fs::write(&path, content).expect("leave a half-written snapshot");
        for args in [&["verify"][..], &["head", "--format", "json"][..]] {
            let r = run(&s, args);
            assert_eq!(
                r.code, 0,
                "ledger {} after a kill left {name} {what}: exit {}\nstderr:\n{}",
                args[0], r.code, r.stderr
            );
        }
        assert_eq!(s.head(), before, "{what}");
        let _ = std::fs::remove_file(&path);
    };
    left("empty (killed between creating and writing it)", &[]);
    left("cut short (killed while writing it)", &bytes[..bytes.len() / 2]);
}

// ---------------------------------------------------------------------------------------------
// Several processes at once

const WRITERS: usize = 3;
const WRITES: usize = 20;
const WRITE_BATCH: usize = 40;
const READERS: usize = 2;
const READS: usize = 30;

/// What one writer's append did.
struct AppendRun {
    label: String,
    run: Run,
}

/// Several writers appending small distinct batches and several readers running `head`,
/// `state --count` and `verify`, all at once on one ledger, with `wait` (`--wait SECONDS`) or
/// without. Checks everything that holds either way and returns the writes and the readers' exit
/// codes.
fn contend(wait: Option<&str>) -> (Vec<AppendRun>, Vec<i32>) {
    let s = Sandbox::init();
    let ledger = s.ledger.display().to_string();
    let genesis = s.head();
    let mut global: Vec<&str> = Vec::new();
    if let Some(w) = wait {
        global.extend(["--wait", w]);
    }
    let files: Vec<Vec<(String, String)>> = (0..WRITERS)
        .map(|w| {
            (0..WRITES)
                .map(|j| {
                    let label = format!("W{w}{j:02}");
                    let path = s.file(&format!("{label}.jsonl"), designations(&label, WRITE_BATCH).as_bytes());
                    (label, path)
                })
                .collect()
        })
        .collect();
    let started = Instant::now();
    let (writes, reads) = std::thread::scope(|scope| {
        let writers: Vec<_> = files
            .iter()
            .map(|mine| {
                let (s, global) = (&s, &global);
                scope.spawn(move || {
                    mine.iter()
                        .map(|(label, path)| {
                            let mut args = global.clone();
                            args.extend(["append", path.as_str(), "--format", "json"]);
                            AppendRun { label: label.clone(), run: run(s, &args) }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let readers: Vec<_> = (0..READERS)
            .map(|r| {
                let (s, global) = (&s, &global);
                scope.spawn(move || {
                    (0..READS)
                        .map(|k| {
                            let command: &[&str] = match (k + r) % 3 {
                                0 => &["head", "--format", "json"],
                                1 => &["state", "--count"],
                                _ => &["verify", "--format", "json"],
                            };
                            let mut args = global.clone();
                            args.extend_from_slice(command);
                            (command[0], run(s, &args))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let writes: Vec<AppendRun> = writers.into_iter().flat_map(|h| h.join().expect("a writer thread")).collect();
        let reads: Vec<Vec<(&str, Run)>> = readers.into_iter().map(|h| h.join().expect("a reader thread")).collect();
        (writes, reads)
    });
    let elapsed = started.elapsed();

    // Each process either did its work or exited 75 with the clear message.
    let locked = |r: &Run, what: &str| {
        assert!(
            r.stderr.contains("in use by another process") && r.stderr.contains(&ledger),
            "{what}: exit 75 without the message naming {ledger}: {}",
            r.stderr
        );
    };
    let mut boundaries = BTreeMap::from([(genesis.0, genesis.1.clone())]);
    for w in &writes {
        match w.run.code {
            0 => {
                let v = w.run.json();
                assert_eq!(v["appended"], WRITE_BATCH, "{}: {v}", w.label);
                let (seq, hash) = seq_hash(&v["head"]);
                assert!(boundaries.insert(seq, hash).is_none(), "{}: two appends acknowledged head {seq}", w.label);
            }
            75 => locked(&w.run, &w.label),
            c => panic!("{}: exit {c}\nstdout:\n{}\nstderr:\n{}", w.label, w.run.stdout, w.run.stderr),
        }
    }
    // Readers see only whole batches: every head they report is one an append acknowledged, with
    // its hash, and never goes back.
    let mut reader_codes = Vec::new();
    for (r, runs) in reads.iter().enumerate() {
        let mut last = 0;
        for (k, (what, run)) in runs.iter().enumerate() {
            let at = format!("reader {r}, {what} #{k}");
            reader_codes.push(run.code);
            let seq = match run.code {
                0 if *what == "state" => {
                    let n: u64 = run.stdout.trim().parse().unwrap_or_else(|e| panic!("{at}: {:?}: {e}", run.stdout));
                    assert!(boundaries.contains_key(&n), "{at}: {n} designations in force, not a batch boundary");
                    n
                }
                0 => {
                    let v = run.json();
                    if *what == "verify" {
                        assert_eq!(v["ok"], true, "{at}: {v}");
                    }
                    let (seq, hash) = seq_hash(&v["head"]);
                    assert_eq!(boundaries.get(&seq), Some(&hash), "{at}: head {seq} {hash} was never acknowledged");
                    seq
                }
                75 => {
                    locked(run, &at);
                    continue;
                }
                c => panic!("{at}: exit {c}\nstdout:\n{}\nstderr:\n{}", run.stdout, run.stderr),
            };
            assert!(seq >= last, "{at}: head went back from {last} to {seq}");
            last = seq;
        }
    }

    // No corruption, no lost or duplicated batch: the ledger holds exactly the acknowledged
    // batches, each whole and in the place its head says.
    run(&s, &["verify"]).expect(0);
    let succeeded: Vec<&AppendRun> = writes.iter().filter(|w| w.run.code == 0).collect();
    let (head, _) = s.head();
    assert_eq!(head, (succeeded.len() * WRITE_BATCH) as u64, "the head vs the appends that exited 0");
    let log = log_from(&s, 0, None);
    for w in &succeeded {
        let (seq, hash) = seq_hash(&w.run.json()["head"]);
        let batch = &log[(seq as usize + 1 - WRITE_BATCH)..=seq as usize];
        for (k, e) in batch.iter().enumerate() {
            assert_eq!(e["id"], format!("{}{:06}", w.label, k + 1), "{}: event {k}", w.label);
        }
        assert_eq!(batch[WRITE_BATCH - 1]["hash"], hash.as_str(), "{}", w.label);
    }
    let ids: BTreeSet<&str> = log.iter().skip(1).filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(ids.len() as u64, head, "distinct keys in the log");
    assert_eq!(count(&s, &[]), head, "designations in force");
    eprintln!(
        "contention (wait {wait:?}): {} of {} appends exited 0, {} of {} reads exited 0; {elapsed:?}",
        succeeded.len(),
        writes.len(),
        reader_codes.iter().filter(|c| **c == 0).count(),
        reader_codes.len()
    );
    (writes, reader_codes)
}

/// Proves README's "One process at a time. Every command, reading ones too, takes `ledger.lock`
/// [...]; a second process gets exit 75 at once, with a message naming the path": three writers
/// and two readers at once, without `--wait`: every process either does its work or exits 75
/// saying the ledger is in use and naming it; nothing is corrupted (the ledger verifies) and it
/// holds exactly the batches whose appends exited 0, each whole, none twice; readers only ever
/// see whole batches.
#[test]
fn processes_at_once_without_wait_succeed_or_exit_75_and_corrupt_nothing() {
    let (writes, reads) = contend(None);
    let refused = writes.iter().filter(|w| w.run.code == 75).count() + reads.iter().filter(|c| **c == 75).count();
    assert!(refused > 0, "no process met another's lock: the test did not exercise contention");
}

/// Proves README's "[a second process] retries with backoff for up to `--wait SECONDS`": the same
/// processes with `--wait 30` all succeed, and the ledger holds every batch once.
#[test]
fn processes_at_once_with_wait_all_succeed() {
    let (writes, reads) = contend(Some("30"));
    for w in &writes {
        assert_eq!(w.run.code, 0, "{}: {}", w.label, w.run.stderr);
    }
    assert!(reads.iter().all(|c| *c == 0), "reader exits: {reads:?}");
}

/// Proves README's "Every command, reading ones too, takes `ledger.lock` [...]; a second process
/// gets exit 75 at once, with a message naming the path, or retries with backoff for up to
/// `--wait SECONDS`" command by command, deterministically: the test itself holds `ledger.lock`.
/// Without `--wait` each command exits 75 at once naming the ledger; with `--wait 0.3` it exits 75
/// after retrying for 0.3 s; nothing is written; with `--wait 30` it goes through once the lock
/// is released.
#[test]
fn every_command_meets_a_held_lock_with_75_and_wait_retries() {
    let s = Sandbox::gim();
    let before = s.head();
    let ledger = s.ledger.display().to_string();
    let batch = s.file("more.jsonl", designations("LCK", 10).as_bytes());
    let csv = shared(UK_CSV);
    let commands: Vec<Vec<&str>> = vec![
        vec!["head"],
        vec!["log"],
        vec!["verify"],
        vec!["state", "--count"],
        vec!["show", "UK/GIM0047"],
        vec!["history", "UK/GIM0047"],
        vec!["search", "Seferovic"],
        vec!["diff", "--from", "2025-07-01", "--to", "2025-12-31"],
        vec!["checkpoint"],
        vec!["append", &batch],
        vec!["import", "uk-csv", &csv],
        vec!["init"],
    ];
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(s.ledger.join("ledger.lock"))
        .expect("open ledger.lock");
    lock.lock().expect("take the ledger's lock");
    let wait = Duration::from_millis(300);
    for command in &commands {
        for waiting in [false, true] {
            let mut args: Vec<&str> = if waiting { vec!["--wait", "0.3"] } else { vec![] };
            args.extend_from_slice(command);
            let t = Instant::now();
            let r = run(&s, &args);
            let took = t.elapsed();
            let what = args.join(" ");
            assert_eq!(r.code, 75, "{what}: exit {}\n{}", r.code, r.stderr);
            assert!(
                r.stderr.contains("in use by another process") && r.stderr.contains(&ledger),
                "{what}: {}",
                r.stderr
            );
            if waiting {
                assert!(took >= wait, "{what}: gave up after {took:?}, before its --wait");
            } else {
                // "At once": well under a second, where --wait 0.3 takes at least 0.3 s.
                assert!(took < Duration::from_secs(2), "{what}: took {took:?} to give up without --wait");
            }
        }
    }
    // A waiting writer and reader go through once the lock is released.
    let t = Instant::now();
    let writer = spawn(&s, &["--wait", "30", "append", &batch, "--format", "json"]);
    let reader = spawn(&s, &["--wait", "30", "head", "--format", "json"]);
    std::thread::sleep(Duration::from_millis(500));
    drop(lock);
    let (w, r) = (writer.finish(), reader.finish());
    let took = t.elapsed();
    assert_eq!(w.status.code(), Some(0), "the waiting append: {w}");
    assert_eq!(r.status.code(), Some(0), "the waiting head: {r}");
    assert!(took >= Duration::from_millis(500), "they finished in {took:?}, before the lock was released");
    assert_eq!(s.head().0, before.0 + 10, "only the waiting append wrote");
    run(&s, &["verify"]).expect(0);
}
