//! `ledger-bench`: builds ledgers of seeded, realistic histories in temporary directories,
//! measures them beside raw baselines, prints a table and writes JSON.

use std::path::PathBuf;

// The same allocator as the `ledger` binary, so that in-process figures match whole processes.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ledger_bench::measure::{MEASURE_CHILD, measure_child_main};
use ledger_bench::serve::ServeConfig;
use ledger_bench::{Config, run};

/// Benchmark the sanctions designation ledger: bulk append, verify, queries (in process and as
/// whole `ledger` processes), disk and memory, each beside a raw baseline (BLAKE3, sled).
///
/// Example: ledger-bench --events 1000000 --repeat 1 --out bench-1m.json
#[derive(Debug, Parser)]
#[command(name = "ledger-bench", version, about, long_about = None, args_conflicts_with_subcommands = true)]
struct Args {
    #[command(subcommand)]
    mode: Option<Mode>,

    /// History size in events (about one designation per ten events); repeat for several sizes.
    /// Default: 10000 and 100000.
    #[arg(long = "events", value_name = "N")]
    events: Vec<usize>,

    /// Repetitions per size, each on a freshly built ledger; figures are their medians.
    #[arg(long, default_value_t = 3, value_name = "R")]
    repeat: usize,

    /// Where to write the JSON report.
    #[arg(long, default_value = "bench.json", value_name = "FILE")]
    out: PathBuf,

    /// The generator's seed: the same seed and size give the same history.
    #[arg(long, default_value_t = 1, value_name = "S")]
    seed: u64,

    /// The `ledger` binary for the whole-process figures. Default: `ledger` beside this binary
    /// (target/release/ledger for target/release/ledger-bench).
    #[arg(long, value_name = "PATH")]
    ledger_bin: Option<PathBuf>,

    /// Where to make the temporary directories (default: the system's temporary directory).
    #[arg(long, value_name = "DIR")]
    tmp: Option<PathBuf>,

    /// Write the generated history of the first size as JSON Lines (input events, in append
    /// order) to FILE and exit without measuring: for profiling `ledger append` by hand.
    #[arg(long, value_name = "FILE")]
    write_history: Option<PathBuf>,

    /// Print no progress on standard error.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Load `ledger serve`: requests per second and latency of `show`, `search` and
    /// `state --count` from concurrent clients, alone and while batches are appended, beside
    /// the same questions as one-shot `ledger` processes.
    ///
    /// Example: ledger-bench serve --events 1000000 --clients 32 --seconds 10 --out serve-1m.json
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// History size in events (about one designation per ten events).
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    events: usize,

    /// Concurrent clients asking questions, each over its own keep-alive connection.
    #[arg(long, default_value_t = 32, value_name = "C")]
    clients: usize,

    /// How long each scenario runs, in seconds.
    #[arg(long, default_value_t = 10.0, value_name = "S")]
    seconds: f64,

    /// Runs of each one-shot `ledger` process; their median is reported.
    #[arg(long, default_value_t = 20, value_name = "R")]
    cli_runs: usize,

    /// Events per batch the appending client posts.
    #[arg(long, default_value_t = 1_000, value_name = "N")]
    append_batch: usize,

    /// Where to write the JSON report.
    #[arg(long, default_value = "bench-serve.json", value_name = "FILE")]
    out: PathBuf,

    /// The generator's seed: the same seed and size give the same history and questions.
    #[arg(long, default_value_t = 1, value_name = "S")]
    seed: u64,

    /// The `ledger` binary to serve and run. Default: `ledger` beside this binary.
    #[arg(long, value_name = "PATH")]
    ledger_bin: Option<PathBuf>,

    /// Where to make the temporary directory (default: the system's temporary directory).
    #[arg(long, value_name = "DIR")]
    tmp: Option<PathBuf>,

    /// Print no progress on standard error.
    #[arg(long, short)]
    quiet: bool,
}

/// `ledger` beside this binary, unless given.
fn ledger_bin(given: Option<PathBuf>, exe: &std::io::Result<PathBuf>) -> Result<PathBuf, ExitCode> {
    match given {
        Some(p) => Ok(p),
        None => match exe {
            Ok(exe) => Ok(exe.with_file_name(format!("ledger{}", std::env::consts::EXE_SUFFIX))),
            Err(e) => {
                eprintln!("ledger-bench: cannot find this binary's directory ({e}); pass --ledger-bin");
                Err(ExitCode::from(2))
            }
        },
    }
}

fn debug_build_warning(quiet: bool) {
    if cfg!(debug_assertions) && !quiet {
        eprintln!(
            "ledger-bench: this is a debug build; for real figures: cargo build --release -p ledger-bench -p ledger-cli"
        );
    }
}

/// Writes the JSON report and says so.
fn write_report(json: Result<String, ledger_bench::Error>, out: &std::path::Path) -> ExitCode {
    let written = json.and_then(|j| std::fs::write(out, j + "\n").map_err(Into::into));
    match written {
        Ok(()) => {
            println!("wrote {}", out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ledger-bench: cannot write {}: {e}", out.display());
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs, exe: std::io::Result<PathBuf>) -> ExitCode {
    let ledger_bin = match ledger_bin(args.ledger_bin, &exe) {
        Ok(p) => p,
        Err(code) => return code,
    };
    debug_build_warning(args.quiet);
    let config = ServeConfig {
        events: args.events,
        seed: args.seed,
        clients: args.clients,
        seconds: args.seconds,
        cli_runs: args.cli_runs,
        append_batch: args.append_batch,
        ledger_bin,
        tmp: args.tmp,
        progress: !args.quiet,
        spawner: exe.ok(),
    };
    let report = match ledger_bench::serve::run(&config) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ledger-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", report.table());
    write_report(report.to_json(), &args.out)
}

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if argv.get(1).is_some_and(|a| a == MEASURE_CHILD) {
        return measure_child_main(&argv[2..]);
    }
    let args = Args::parse();
    let exe = std::env::current_exe();
    if let Some(Mode::Serve(serve_args)) = args.mode {
        return serve(serve_args, exe);
    }
    let ledger_bin = match ledger_bin(args.ledger_bin, &exe) {
        Ok(p) => p,
        Err(code) => return code,
    };
    debug_build_warning(args.quiet);
    if let Some(file) = &args.write_history {
        let size = args.events.first().copied().unwrap_or(10_000);
        let written = ledger_bench::history::generate(size, args.seed).and_then(|h| {
            let mut text = Vec::with_capacity(h.raw_bytes() as usize + h.events.len());
            for e in &h.events {
                text.extend_from_slice(e);
                text.push(b'\n');
            }
            std::fs::write(file, text).map_err(|e| e.to_string())
        });
        return match written {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("ledger-bench: cannot write {}: {e}", file.display());
                ExitCode::FAILURE
            }
        };
    }
    let config = Config {
        sizes: if args.events.is_empty() { vec![10_000, 100_000] } else { args.events },
        repeat: args.repeat.max(1),
        seed: args.seed,
        ledger_bin,
        tmp: args.tmp,
        progress: !args.quiet,
        spawner: exe.ok(),
    };
    let report = match run(&config) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ledger-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", report.table());
    write_report(report.to_json(), &args.out)
}
