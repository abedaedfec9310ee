#!/usr/bin/env bash
# The main job: build the `ledger` binary, record the UK's 38 real Global Irregular Migration
# designations in a fresh ledger, verify it, and ask it three questions: how many designations
# were in force on 23 July 2025, which were in force on 23 October 2025, and whether Nusret
# Seferović was designated that day. Every command is printed after `$ ` exactly as it can be
# pasted into a shell at the repository's root.
# Run from anywhere: bash examples/demo.sh
# (The tests run it with LEDGER_BIN, a binary already built, and DEMO_LEDGER, where to write.)
set -euo pipefail
cd "$(dirname "$0")/.."

ledger=${LEDGER_BIN:-./target/release/ledger}
if [[ -z "${LEDGER_BIN:-}" ]]; then
  cargo build --release --quiet --bin ledger
fi

# Prints a command as it can be pasted (arguments quoted where a shell needs it), then runs it.
quote() {
  local out=() a
  for a in "$@"; do
    if [[ "$a" =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then
      out+=("$a")
    else
      out+=("'${a//\'/\'\\\'\'}'")
    fi
  done
  printf '%s' "${out[*]}"
}
step() { printf '\n$ %s\n' "$(quote "$@")"; "$@"; }

demo=${DEMO_LEDGER:-./demo.sled}
printf '$ export LEDGER_PATH=%s\n' "$(quote "$demo")"
export LEDGER_PATH=$demo
step rm -rf "$demo"

step "$ledger" init --name demo/uk-gim
step "$ledger" append examples/uk-gim-2025.jsonl
step "$ledger" verify
step "$ledger" log --from 36
step "$ledger" head --format json

# Point-in-time answers: the regime after its first package, the regime on the day after its
# second, and one name on that day.
step "$ledger" state --at 2025-07-23 --regime GIM --count
step "$ledger" state --at 2025-10-23 --regime GIM
step "$ledger" search "Nusret Seferović" --at 2025-10-23
