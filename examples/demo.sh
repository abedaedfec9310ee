#!/usr/bin/env bash
# The main job: build the `ledger` binary, record the UK's 38 real Global Irregular Migration
# designations in a fresh ledger, verify it, and show what it holds.
# Run from the repository root: bash examples/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet --bin ledger
ledger=./target/release/ledger
export LEDGER_PATH=./demo.sled
rm -rf "$LEDGER_PATH"

step() { printf '\n$ %s\n' "$*"; "$@"; }

step "$ledger" init --name "demo/uk-gim"
step "$ledger" append examples/uk-gim-2025.jsonl
step "$ledger" verify
step "$ledger" log --from 36
step "$ledger" head --format json

# Point-in-time answers: the GIM regime on the day after its second package, and one name.
step "$ledger" state --at 2025-07-23 --regime GIM --count
step "$ledger" state --at 2025-10-23 --regime GIM
step "$ledger" search "Nusret Seferović" --at 2025-10-23
