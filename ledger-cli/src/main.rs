//! The `ledger` binary.

// The ledger allocates many small values (JSON members, strings) on every core; mimalloc keeps
// that fast where the system allocator spends much of its time consolidating and locking.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    ledger_cli::main()
}
