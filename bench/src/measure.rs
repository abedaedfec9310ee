//! Clocks, medians, memory, and whole-process runs.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use wait4::Wait4;

use crate::Result;

/// The median of samples (the mean of the middle two for an even count); NaN for none.
pub fn median(samples: &[f64]) -> f64 {
    let mut s: Vec<f64> = samples.iter().copied().filter(|x| !x.is_nan()).collect();
    if s.is_empty() {
        return f64::NAN;
    }
    s.sort_by(f64::total_cmp);
    let m = s.len() / 2;
    if s.len() % 2 == 1 { s[m] } else { (s[m - 1] + s[m]) / 2.0 }
}

/// Milliseconds since `t`.
pub fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// Resident set size and its high-water mark of this process, in KiB (Linux `/proc/self/status`).
pub fn rss_kib() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Resets this process's RSS high-water mark (Linux ≥ 4.0: `5` to `/proc/self/clear_refs`).
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Runs `f` in this process: its result, its wall time in ms, and the peak memory it added: the
/// RSS high-water mark while it ran above the RSS before it, in KiB (0 where /proc is missing).
///
/// Memory that the allocator kept from earlier work and `f` reused does not show: this is the
/// growth of the process, a lower bound of what `f` allocated. The whole-process figures give
/// each command's own peak.
pub fn in_process<T>(f: impl FnOnce() -> Result<T>) -> Result<(T, f64, f64)> {
    let before = rss_kib().map(|(rss, _)| rss);
    reset_peak();
    let t = Instant::now();
    let out = f()?;
    let ms = ms_since(t);
    let grew = match (before, rss_kib()) {
        (Some(b), Some((_, hwm))) => hwm.saturating_sub(b),
        _ => 0,
    };
    Ok((out, ms, grew as f64))
}

/// What a whole-process run did.
pub struct ProcRun {
    /// Wall time from spawn to exit, in ms.
    pub ms: f64,
    /// The child's own peak RSS (wait4's `ru_maxrss`), in KiB.
    pub peak_kib: f64,
    /// What it printed on standard output.
    pub stdout: Vec<u8>,
    /// Its exit code (`None` if a signal ended it).
    pub code: Option<i32>,
    /// What it printed on standard error.
    pub stderr: Vec<u8>,
}

/// The hidden first argument that makes `ledger-bench` the measuring parent of one command:
/// `ledger-bench --measure-child RESULT_FILE -- PROGRAM ARGS...`.
///
/// A child's `ru_maxrss` counts the memory of the process that spawned it (Linux folds the
/// spawning process's peak into the child's at `exec`), so a benchmark holding a large history
/// would inflate every child's figure. A small parent process measures the command instead.
pub const MEASURE_CHILD: &str = "--measure-child";

/// The measuring parent: runs the command with this process's standard streams, waits for it
/// with `wait4`, writes `WALL_NS MAXRSS_BYTES` to the result file, and exits as the command did.
pub fn measure_child_main(args: &[std::ffi::OsString]) -> std::process::ExitCode {
    use std::process::ExitCode;
    let [result, dashes, program, rest @ ..] = args else {
        eprintln!("usage: ledger-bench {MEASURE_CHILD} RESULT_FILE -- PROGRAM [ARGS...]");
        return ExitCode::from(2);
    };
    if dashes != "--" {
        eprintln!("usage: ledger-bench {MEASURE_CHILD} RESULT_FILE -- PROGRAM [ARGS...]");
        return ExitCode::from(2);
    }
    let t = Instant::now();
    let usage = match Command::new(program).args(rest).spawn() {
        Ok(mut child) => child.wait4(),
        Err(e) => Err(e),
    };
    let usage = match usage {
        Ok(u) => u,
        Err(e) => {
            eprintln!("ledger-bench: cannot run {}: {e}", program.to_string_lossy());
            return ExitCode::from(70);
        }
    };
    let ns = t.elapsed().as_nanos();
    if let Err(e) = std::fs::write(result, format!("{ns} {}\n", usage.rusage.maxrss)) {
        eprintln!("ledger-bench: cannot write {}: {e}", result.to_string_lossy());
        return ExitCode::from(74);
    }
    match usage.status.code() {
        Some(c) => ExitCode::from(u8::try_from(c).unwrap_or(1)),
        None => ExitCode::from(1),
    }
}

/// Runs a command to completion with its output captured; fails unless it exits 0. A command
/// that exits 75 (the ledger is in use: a store this process closed a moment ago may still be
/// held by sled's background thread) is run again, for up to 10 s.
pub fn run_process(cmd: &mut Command, spawner: Option<&Path>) -> Result<ProcRun> {
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let run = run_any(cmd, spawner)?;
        match run.code {
            Some(0) => return Ok(run),
            Some(75) if Instant::now() < deadline => std::thread::sleep(std::time::Duration::from_millis(20)),
            code => {
                let how = code.map_or("a signal".to_owned(), |c| format!("exit {c}"));
                return Err(format!("{cmd:?} failed ({how}): {}", String::from_utf8_lossy(&run.stderr).trim()).into());
            }
        }
    }
}

/// Runs a command to completion with its output captured, whatever its exit.
///
/// With a `spawner` (the `ledger-bench` binary), the command runs under it ([`MEASURE_CHILD`]),
/// which times it and reads its own peak RSS; without, it is spawned from this process and its
/// peak RSS includes this process's (an upper bound).
fn run_any(cmd: &mut Command, spawner: Option<&Path>) -> Result<ProcRun> {
    let Some(spawner) = spawner else {
        return run_direct(cmd);
    };
    let result = tempfile::NamedTempFile::new()?;
    let mut outer = Command::new(spawner);
    outer.arg(MEASURE_CHILD).arg(result.path()).arg("--").arg(cmd.get_program()).args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => outer.env(k, v),
            None => outer.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        outer.current_dir(dir);
    }
    let run = run_direct(&mut outer)?;
    if run.code != Some(0) {
        return Ok(run);
    }
    let text = std::fs::read_to_string(result.path())?;
    let mut fields = text.split_whitespace().map(str::parse::<u64>);
    let (Some(Ok(ns)), Some(Ok(maxrss))) = (fields.next(), fields.next()) else {
        return Err(format!("{MEASURE_CHILD} wrote `{}`", text.trim()).into());
    };
    Ok(ProcRun { ms: ns as f64 / 1e6, peak_kib: maxrss as f64 / 1024.0, ..run })
}

fn run_direct(cmd: &mut Command) -> Result<ProcRun> {
    let what = format!("{cmd:?}");
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let t = Instant::now();
    let mut child = cmd.spawn().map_err(|e| format!("cannot run {what}: {e}"))?;
    let mut out = child.stdout.take().ok_or("no stdout pipe")?;
    let mut err = child.stderr.take().ok_or("no stderr pipe")?;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        buf
    });
    let mut stderr = Vec::new();
    let _ = err.read_to_end(&mut stderr);
    let usage = child.wait4().map_err(|e| format!("waiting for {what}: {e}"))?;
    let ms = ms_since(t);
    let stdout = reader.join().map_err(|_| "the stdout reader panicked")?;
    Ok(ProcRun { ms, peak_kib: usage.rusage.maxrss as f64 / 1024.0, stdout, code: usage.status.code(), stderr })
}

/// Bytes of all files under `dir` (their lengths). A file that vanishes while the directory is
/// read (sled's background thread may still be retiring an old snapshot) counts as nothing.
pub fn dir_bytes(dir: &Path) -> Result<u64> {
    let gone = |e: &std::io::Error| e.kind() == std::io::ErrorKind::NotFound;
    let mut total = 0;
    let entries = match std::fs::read_dir(dir) {
        Err(e) if gone(&e) => return Ok(0),
        r => r.map_err(|e| format!("reading {}: {e}", dir.display()))?,
    };
    for entry in entries {
        let entry = entry?;
        match entry.metadata() {
            Ok(meta) if meta.is_dir() => total += dir_bytes(&entry.path())?,
            Ok(meta) => total += meta.len(),
            Err(e) if gone(&e) => {}
            Err(e) => return Err(format!("reading {}: {e}", entry.path().display()).into()),
        }
    }
    Ok(total)
}

/// Removes a directory tree, retrying briefly while a closing store's background thread is
/// still writing or retiring files in it.
pub fn remove_dir(dir: &Path) -> Result<()> {
    let mut last = None;
    for _ in 0..20 {
        match std::fs::remove_dir_all(dir) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !dir.exists() => return Ok(()),
            Err(e) => last = Some(e),
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Err(format!("removing {}: {}", dir.display(), last.map(|e| e.to_string()).unwrap_or_default()).into())
}

/// The 1, 5 and 15-minute load averages (`/proc/loadavg`), or empty where there is none.
pub fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

/// What this machine is, for the report.
pub fn machine() -> serde_json::Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, v)| v.trim().to_owned()));
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok().map(|s| s.trim().to_owned());
    serde_json::json!({
        "nproc": std::thread::available_parallelism().map(usize::from).unwrap_or(1),
        "cpu": cpu,
        "mem_total_kib": mem,
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
        "kernel": kernel,
        "peak_reset": reset_peak(),
        "build": if cfg!(debug_assertions) { "debug" } else { "release" },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }
}
