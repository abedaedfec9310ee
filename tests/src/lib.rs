//! Helpers for the end-to-end tests: the real `ledger` binary, run on real sled stores in
//! temporary directories, with a fixed clock.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod webdriver;

/// The instant `LEDGER_CLOCK` fixes for every command the tests run but `import`.
pub const CLOCK: &str = "2026-01-15T09:00:00Z";

/// The instant `LEDGER_CLOCK` fixes for `import`: after the report dates of the published lists
/// the tests import (the latest is 6 May 2026), since a list dated more than a day after the
/// ledger's clock is refused. Queries still default to [`CLOCK`]; their default `--as-of` covers
/// everything recorded, imports too.
pub const IMPORT_CLOCK: &str = "2026-06-01T09:00:00Z";

/// The repository's root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// A file under the repository's root.
pub fn repo_file(rel: &str) -> PathBuf {
    repo_root().join(rel)
}

/// The `ledger` binary that `cargo test --workspace` builds (target/<profile>/ledger), or the
/// one `LEDGER_BIN` names.
pub fn ledger_bin() -> PathBuf {
    workspace_bin("ledger", "LEDGER_BIN", &["ledger-core/src", "ledger-import/src", "ledger-cli/src"], "ledger-cli")
}

/// A binary of the workspace that `cargo test --workspace` builds beside the test binaries
/// (target/<profile>/NAME), or the one the environment variable `env` names. Refuses a binary
/// older than its `sources` (`cargo test -p ledger-tests` alone does not rebuild it).
pub fn workspace_bin(name: &str, env: &str, sources: &[&str], package: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(env) {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/e2e-<hash> → target/<profile>/NAME
    let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>");
    let bin = profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} is missing: run the tests with `cargo test --workspace` (which builds it) or set {env}",
        bin.display()
    );
    let built = std::fs::metadata(&bin).and_then(|m| m.modified()).expect("the binary's mtime");
    let newest = sources.iter().filter_map(|d| newest_mtime(&repo_root().join(d))).max();
    assert!(
        newest.is_none_or(|n| n <= built),
        "{} is older than its sources: run `cargo test --workspace`, or `cargo build -p {package}` first",
        bin.display()
    );
    bin
}

fn newest_mtime(dir: &Path) -> Option<std::time::SystemTime> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let p = e.path();
            if p.is_dir() { newest_mtime(&p) } else { e.metadata().ok()?.modified().ok() }
        })
        .max()
}

/// Copies a directory tree (a ledger directory with sled's files), to damage the copy.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).expect("copy");
        }
    }
}

/// A temporary directory with a ledger path in it.
pub struct Sandbox {
    /// The directory (removed on drop).
    pub dir: tempfile::TempDir,
    /// The ledger path inside it.
    pub ledger: PathBuf,
}

/// What a command printed and how it exited.
#[derive(Debug)]
pub struct Run {
    /// The exit code (-1 if killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(self.code, code, "exit code\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    /// Standard output parsed as one JSON document.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// What a command run at a terminal left: how it exited, its standard output (a pipe), and what
/// the terminal showed (its standard error, and the echo of what was typed).
#[derive(Debug)]
pub struct TerminalRun {
    /// The exit code (-1 if killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Everything written to the terminal, escape sequences and all.
    pub screen: String,
}

impl TerminalRun {
    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub fn expect(self, code: i32) -> TerminalRun {
        assert_eq!(self.code, code, "exit code\nstdout:\n{}\nterminal:\n{:?}", self.stdout, self.screen);
        self
    }
}

/// A pseudo-terminal of 24 rows and 100 columns: (the controlling side, the terminal's side).
fn pseudo_terminal() -> std::io::Result<(std::fs::File, std::fs::File)> {
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
    grantpt(&master)?;
    unlockpt(&master)?;
    let name = ptsname(&master, Vec::new())?;
    let size = rustix::termios::Winsize { ws_row: 24, ws_col: 100, ws_xpixel: 0, ws_ypixel: 0 };
    rustix::termios::tcsetwinsize(&master, size)?;
    let path = name.to_str().map_err(std::io::Error::other)?.to_owned();
    let terminal = std::fs::OpenOptions::new().read(true).write(true).open(path)?;
    Ok((std::fs::File::from(master), terminal))
}

impl Sandbox {
    /// Runs `ledger ARGS` with standard input and standard error on a pseudo-terminal (so that it
    /// finds itself at a terminal: progress bars, questions) and standard output on a pipe.
    /// With `answer` = (prompt, typed), types `typed` once the terminal shows `prompt`. Gives up
    /// (and fails the test) after two minutes.
    pub fn run_at_terminal(&self, args: &[&str], answer: Option<(&str, &str)>) -> TerminalRun {
        let (master, terminal) = pseudo_terminal().expect("a pseudo-terminal");
        let mut cmd = self.command(args);
        cmd.env("TERM", "xterm-256color")
            .stdin(Stdio::from(terminal.try_clone().expect("the terminal")))
            .stderr(Stdio::from(terminal))
            .stdout(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn ledger");
        // Only the child holds the terminal's side now: it reads as closed once the child exits.
        drop(cmd);
        let mut stdout = child.stdout.take().expect("stdout");
        let out = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = stdout.read_to_end(&mut s);
            s
        });
        let screen = Arc::new(Mutex::new(Vec::new()));
        let mut reading = master.try_clone().expect("the pseudo-terminal");
        let shown = Arc::clone(&screen);
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // Linux reports EIO once the terminal's side is closed: the end.
            while let Ok(n @ 1..) = reading.read(&mut buf) {
                shown.lock().expect("the screen").extend_from_slice(&buf[..n]);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(120);
        let seen = |text: &str| String::from_utf8_lossy(&screen.lock().expect("the screen")).contains(text);
        if let Some((prompt, typed)) = answer {
            while !seen(prompt) {
                assert!(Instant::now() < deadline, "the terminal never showed {prompt:?}");
                if child.try_wait().expect("wait").is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let mut typing = &master;
            let _ = typing.write_all(typed.as_bytes());
        }
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("ledger {args:?} did not finish at the terminal in two minutes");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let stdout = out.join().expect("stdout reader");
        drop(master);
        reader.join().expect("terminal reader");
        let screen = String::from_utf8_lossy(&screen.lock().expect("the screen")).into_owned();
        TerminalRun { code: status.code().unwrap_or(-1), stdout: String::from_utf8_lossy(&stdout).into_owned(), screen }
    }

    /// An empty sandbox (no ledger yet).
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let ledger = dir.path().join("ledger.sled");
        Sandbox { dir, ledger }
    }

    /// A sandbox with an initialised ledger.
    pub fn init() -> Sandbox {
        let s = Sandbox::new();
        s.run(&["init", "--name", "test-ledger"]).expect(0);
        s
    }

    /// A sandbox with the 38 GIM designations of examples/uk-gim-2025.jsonl appended.
    pub fn gim() -> Sandbox {
        let s = Sandbox::init();
        s.run(&["append", repo_file("examples/uk-gim-2025.jsonl").to_str().expect("utf-8 path")]).expect(0);
        s
    }

    /// The ledger of the README's tour: the 38 GIM designations, then `amend.jsonl` (an alias
    /// added to UK/GIM0030 on 3 November 2025, and its delisting on 1 February 2026).
    pub fn tour() -> Sandbox {
        let s = Sandbox::gim();
        s.run_stdin(&["append", "-"], TOUR_AMENDMENTS.as_bytes()).expect(0);
        s
    }

    /// The command for `ledger ARGS` on this sandbox's ledger, fixed clock and actor.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(ledger_bin());
        c.arg("--ledger").arg(&self.ledger).args(args);
        let clock = if args.contains(&"import") { IMPORT_CLOCK } else { CLOCK };
        c.env("LEDGER_CLOCK", clock).env("LEDGER_ACTOR", "tester").env_remove("LEDGER_PATH");
        c.current_dir(self.dir.path());
        c
    }

    /// Runs `ledger ARGS`.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).stdin(Stdio::null()).output().expect("run ledger"))
    }

    /// Runs `ledger ARGS` with `input` on standard input.
    pub fn run_stdin(&self, args: &[&str], input: &[u8]) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ledger");
        let mut stdin = child.stdin.take().expect("stdin");
        // The child may refuse early and close its end: a write error is then expected.
        let _ = stdin.write_all(input);
        drop(stdin);
        Run::from(child.wait_with_output().expect("wait for ledger"))
    }

    /// Writes `text` to a file in the sandbox and returns its path.
    pub fn file(&self, name: &str, text: &[u8]) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).expect("write a fixture");
        p.to_str().expect("utf-8 path").to_owned()
    }

    /// The head as `ledger head --format json` reports it: (seq, hash).
    pub fn head(&self) -> (u64, String) {
        let v = self.run(&["head", "--format", "json"]).expect(0).json();
        (v["head"]["seq"].as_u64().expect("seq"), v["head"]["hash"].as_str().expect("hash").to_owned())
    }

    /// Every recorded event, as `ledger log --format json` writes them.
    pub fn log(&self) -> Vec<Value> {
        let r = self.run(&["log", "--format", "json"]).expect(0);
        r.stdout.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        Sandbox::new()
    }
}

/// The README tour's `amend.jsonl`.
pub const TOUR_AMENDMENTS: &str = r#"{"type":"amendment","authority":"UK","id":"GIM0030","effective":"2025-11-03","patch":{"subject":{"names":[{"name":"ALPA TRADING FZCO","type":"primary"},{"name":"ALPA TRADING","type":"alias"}]}},"reason":"variation: alias added"}
{"type":"delisting","authority":"UK","id":"GIM0030","effective":"2026-02-01","reason":"revoked on review"}
"#;

/// A GIM ledger (39 events) with a signing key, its signed checkpoint and a bundle: what the
/// auditors' tests start from.
pub struct Audited {
    /// The sandbox holding the ledger and the files.
    pub s: Sandbox,
    /// The signing key's file.
    pub key: String,
    /// The verifier key (the note format `keygen` prints).
    pub public: String,
    /// The signed checkpoint's file.
    pub checkpoint: String,
    /// The bundle's file.
    pub bundle: String,
}

impl Audited {
    /// The ledger, its key and checkpoint, and a bundle exported signed or not.
    pub fn new(signed: bool) -> Audited {
        let s = Sandbox::gim();
        let key = s.dir.path().join("ledger.key").to_str().expect("utf-8").to_owned();
        let public = s.run(&["keygen", "--out", &key, "--name", "test-ledger"]).expect(0).stdout.trim().to_owned();
        let cp = s.run(&["checkpoint", "--sign", &key]).expect(0).stdout;
        let checkpoint = s.file("saved.checkpoint", cp.as_bytes());
        let bundle = s.dir.path().join("ledger.bundle").to_str().expect("utf-8").to_owned();
        let sign: &[&str] = if signed { &["--sign", &key] } else { &[] };
        s.run(&[&["export", &bundle][..], sign].concat()).expect(0);
        Audited { s, key, public, checkpoint, bundle }
    }

    /// The bundle's lines, without their line feeds.
    pub fn lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.bundle).expect("read the bundle").lines().map(str::to_owned).collect()
    }

    /// `ledger ARGS` on another ledger path in the same sandbox.
    pub fn run_on(&self, ledger: &str, args: &[&str]) -> Run {
        let mut c = self.s.command(args);
        c.args(["--ledger", ledger]);
        Run::from(c.output().expect("run ledger"))
    }

    /// A path in the sandbox.
    pub fn path(&self, name: &str) -> String {
        self.s.dir.path().join(name).to_str().expect("utf-8").to_owned()
    }
}

/// A designation input line for key `UK/{id}` effective on `date`.
pub fn designation(id: &str, date: &str, name: &str) -> String {
    serde_json::json!({
        "type": "designation", "authority": "UK", "id": id, "effective": date,
        "regime": {"code": "GIM", "name": "The Global Irregular Migration and Trafficking in Persons Sanctions Regulations 2025"},
        "subject": {"kind": "individual", "names": [{"name": name, "type": "primary"}]},
        "measures": ["asset_freeze", "travel_ban"]
    })
    .to_string()
}

/// `n` designations of distinct keys `{prefix}000001..`, one per line.
pub fn designations(prefix: &str, n: usize) -> String {
    let mut s = String::with_capacity(n * 300);
    for i in 1..=n {
        s.push_str(&designation(&format!("{prefix}{i:06}"), "2025-07-23", &format!("Person {prefix} {i}")));
        s.push('\n');
    }
    s
}

/// The real list's header line and its rows (each ending with CRLF).
fn real_uk_list() -> (String, String) {
    let real = std::fs::read_to_string(repo_file("tests/fixtures/lists/uk-gim/UK-Sanctions-List-GIM-2026-04-29.csv"))
        .expect("read the UK list");
    let (_report_date, rest) = real.split_once("\r\n").expect("the report date line");
    let (header, rows) = rest.split_once("\r\n").expect("the header line");
    assert!(rows.ends_with("\r\n"), "the list ends with CRLF");
    (header.to_owned(), rows.to_owned())
}

/// A seeded UK-layout list (the published 58-column layout, header taken from the real file)
/// reported on 6 May 2026: the real GIM list's 38 designations when `with_real`, then `n` synthetic
/// designations with ids `{REGIME}{first+1:05}..` over several regimes, each with one to four names.
pub fn synthetic_uk_list(first: usize, n: usize, seed: u64, with_real: bool) -> String {
    let (header, real_rows) = real_uk_list();
    let real_rows = if with_real { real_rows } else { String::new() };
    let columns: Vec<&str> = header.split(',').collect();
    let col = |name: &str| columns.iter().position(|c| *c == name).expect("a known column");
    let mut state = seed;
    let mut next = move || {
        // splitmix64
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let regimes = [
        ("RUS", "The Russia (Sanctions) (EU Exit) Regulations 2019"),
        ("SYR", "The Syria (Sanctions) (EU Exit) Regulations 2019"),
        ("GIM", "The Global Irregular Migration and Trafficking in Persons Sanctions Regulations 2025"),
        ("CYB", "The Cyber (Sanctions) (EU Exit) Regulations 2020"),
    ];
    let given = ["Nusret", "Flamur", "Arif", "Goran", "Dalibor", "Marko", "Almir", "Yassine", "Hemin", "Azad"];
    let family =
        ["SEFEROVIC", "KRASNIQI", "JALAL", "CURLIK", "PETROVIC", "JAHOVIC", "SALIH", "KHOSHNAW", "DAZEY", "PIROT"];
    let mut out = format!("\u{feff}Report Date: 06-May-2026\r\n{header}\r\n{real_rows}");
    for i in first..first + n {
        let (prefix, regime) = regimes[(next() % 4) as usize];
        let id = format!("{prefix}{:05}", i + 1);
        let designated = format!("{:02}/{:02}/{}", 1 + next() % 28, 1 + next() % 12, 2019 + next() % 7);
        let individual = next() % 4 != 0;
        let names = 1 + (next() % 4) as usize;
        for k in 0..names {
            let mut cells = vec![String::new(); columns.len()];
            cells[col("Last Updated")] = designated.clone();
            cells[col("Unique ID")] = id.clone();
            cells[col("OFSI Group ID")] = (20_000 + i).to_string();
            cells[col("Regime Name")] = regime.to_owned();
            cells[col("Designation Type")] = if individual { "Individual" } else { "Entity" }.to_owned();
            cells[col("Designation source")] = "UK".to_owned();
            cells[col("Date Designated")] = designated.clone();
            cells[col("Sanctions Imposed")] =
                if individual { "Asset freeze|Travel Ban" } else { "Asset freeze" }.to_owned();
            cells[col("Name type")] = match k {
                0 => "Primary Name",
                k if k % 2 == 1 => "Alias",
                _ => "Primary Name Variation",
            }
            .to_owned();
            let (g, f) = (given[(next() % 10) as usize], family[(next() % 10) as usize]);
            if individual {
                cells[col("Name 1")] = g.to_owned();
                cells[col("Name 6")] = if k > 0 { format!("{f} {k}") } else { f.to_owned() };
                cells[col("D.O.B")] = format!("dd/mm/{}", 1950 + next() % 50);
                cells[col("Nationality(/ies)")] = "Kosovo".to_owned();
            } else {
                cells[col("Name 6")] = format!("{f} TRADING {i} {k}");
            }
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        }
    }
    out
}

// A running `ledger serve`, for the tests that ask it over HTTP.

/// A `ledger serve` started by a test, on the port it chose (`--listen 127.0.0.1:0`); stopped
/// with SIGTERM when stopped or dropped.
pub struct Server {
    child: std::process::Child,
    /// Its address, `http://127.0.0.1:PORT`, from the first line it prints.
    pub url: String,
    /// Its standard error (the request log), gathered until it exits.
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Server {
    /// Starts `command` (a `ledger … serve --listen 127.0.0.1:0 …`) and waits for the line
    /// `listening on http://ADDR`. Panics when it exits first, or after a minute.
    pub fn start(mut command: Command) -> Server {
        use std::io::BufRead;
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ledger serve");
        let mut err = child.stderr.take().expect("stderr");
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        let (tx, rx) = std::sync::mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            let mut lines = std::io::BufReader::new(out).lines();
            let _ = tx.send(lines.next().and_then(Result::ok));
            // Whatever follows is read and dropped, so that the server never blocks on it.
            lines.for_each(drop);
        });
        let first = rx.recv_timeout(Duration::from_secs(60)).ok().flatten();
        let Some(url) = first.as_deref().and_then(|l| l.strip_prefix("listening on ")).map(str::to_owned) else {
            let _ = child.kill();
            let _ = child.wait();
            let err = stderr.join().unwrap_or_default();
            panic!("ledger serve did not start: first line {first:?}\nstderr:\n{err}");
        };
        Server { child, url, stderr: Some(stderr) }
    }

    /// Sends SIGTERM and waits for the server to exit (a minute at most, then SIGKILL): its exit
    /// code and standard error.
    pub fn stop(mut self) -> (i32, String) {
        self.terminate()
    }

    fn terminate(&mut self) -> (i32, String) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status.code().unwrap_or(-1),
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break -1;
                }
            }
        };
        let stderr = self.stderr.take().and_then(|h| h.join().ok()).unwrap_or_default();
        (status, stderr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.stderr.is_some() {
            self.terminate();
        }
    }
}
