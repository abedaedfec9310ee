//! The `ledger` binary.

fn main() -> std::process::ExitCode {
    ledger_cli::main()
}
