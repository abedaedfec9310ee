#!/usr/bin/env python3
"""Two `ledger` binaries' whole-process `verify` of one ledger, alternately (the order swapped each
round), so that a change's cost is measured against the build before it in one run, on one machine
state. Both builds must read the ledger's store layout. Prints medians and their ratio.

    python3 bench/compare_verify.py OLD_LEDGER NEW_LEDGER LEDGER_PATH [ROUNDS]

A ledger to verify: `ledger-bench --events 100000 --write-history h.jsonl`, then
`ledger --ledger l.sled append h.jsonl --init --yes --quiet`.
"""
import json, os, statistics, subprocess, sys, time

old, new, path = sys.argv[1], sys.argv[2], sys.argv[3]
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 10
head = subprocess.run([old, "--ledger", path, "--format", "json", "head"], check=True, capture_output=True, text=True)
events = json.loads(head.stdout)["head"]["seq"] + 1
times = {old: [], new: []}
for i in range(rounds):
    for binary in (old, new) if i % 2 == 0 else (new, old):
        t = time.perf_counter()
        subprocess.run([binary, "--ledger", path, "verify", "--quiet"], check=True, stdout=subprocess.DEVNULL)
        times[binary].append(time.perf_counter() - t)
mo, mn = statistics.median(times[old]), statistics.median(times[new])
print(f"verify of {events} events, {rounds} rounds each, load average {os.getloadavg()[0]:.1f}")
print(f"  old: median {mo * 1000:.0f} ms ({events / mo / 1000:.1f}k events/s)")
print(f"  new: median {mn * 1000:.0f} ms ({events / mn / 1000:.1f}k events/s)")
print(f"  new/old time: {mn / mo:.3f}")
