#!/usr/bin/env python3
"""Two `ledger` binaries' append, side by side: the same appends run alternately on two ledgers
that start alike (the 38 GIM designations), so that a change's cost is measured against the build
before it in one run, on one machine state. Prints medians in ms and their ratio.

    python3 bench/compare_append.py OLD_LEDGER NEW_LEDGER [ROUNDS]
"""
import json, os, statistics, subprocess, sys, tempfile, time

old, new = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 40
examples = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "uk-gim-2025.jsonl")
env = dict(os.environ, LEDGER_ACTOR="bench")
tmp = tempfile.mkdtemp(prefix="compare-append-")


def ledger(binary, path, *args, stdin=None):
    t = time.perf_counter()
    subprocess.run([binary, "--ledger", path, *args], input=stdin, check=True, env=env, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - t) * 1000


def line(i, tag):
    return json.dumps({"type": "designation", "authority": "UK", "id": f"X{tag}{i:06}", "effective": "2025-07-23",
                       "regime": {"code": "GIM"},
                       "subject": {"kind": "individual", "names": [{"name": f"Person {i}", "type": "primary"}]},
                       "measures": ["asset_freeze"]})


paths = {old: os.path.join(tmp, "old.sled"), new: os.path.join(tmp, "new.sled")}
for b, p in paths.items():
    ledger(b, p, "init", "--name", "bench")
    ledger(b, p, "append", examples)
single, batch = {old: [], new: []}, {old: [], new: []}
for r in range(rounds):
    for b in (old, new) if r % 2 == 0 else (new, old):
        single[b].append(ledger(b, paths[b], "append", "-", stdin=(line(r, "S") + "\n").encode()))
        body = "".join(line(r * 1000 + k, "B") + "\n" for k in range(1000)).encode()
        batch[b].append(ledger(b, paths[b], "append", "-", stdin=body))
for name, d in (("single-event append process", single), ("1000-event append process", batch)):
    mo, mn = statistics.median(d[old]), statistics.median(d[new])
    print(f"{name}: old {mo:.2f} ms, new {mn:.2f} ms, ratio {mn / mo:.3f} (median of {rounds})")
