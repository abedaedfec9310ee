"""Import time and peak memory of each whole real list, each into a fresh ledger, median of 3,
beside a `ledger --version` process.

Usage: python3 bench/import_lists.py LEDGER_BIN DATA_DIR
(DATA_DIR holds uk-gim/, un-sample/, eu-fsf/, ofac-samples/, ofac-advanced/; peak memory by
/usr/bin/time.)"""
import json, os, shutil, statistics, subprocess, sys, tempfile, time
L, D = sys.argv[1], sys.argv[2]
env = dict(os.environ, LEDGER_ACTOR="bench", LEDGER_CLOCK="2026-11-28T12:00:00Z")
lists = [
  ("uk-csv", [f"{D}/uk-gim/UK-Sanctions-List-GIM-2026-04-29.csv"], []),
  ("uk-xml", [f"{D}/uk-gim/UK-Sanctions-List-GIM-2026-04-29.xml"], []),
  ("un-xml", [f"{D}/un-sample/UN-consolidated-excerpt-2026-02-27.xml"], []),
  ("eu-xml", [f"{D}/eu-fsf/eu-fsf-2020-04-15-first7.xml"], []),
  ("ofac-csv", [f"{D}/ofac-samples"], ["--published", "2025-05-16"]),
  ("ofac-xml", [f"{D}/ofac-advanced/cons_advanced-2020-03-17.xml"], []),
]
def timed(args):
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + args, env=env, capture_output=True, text=True)
    ms = (time.perf_counter() - t) * 1000
    if p.returncode != 0:
        sys.exit(f"{args}: {p.stderr}")
    kib = int(p.stderr.strip().splitlines()[-1])
    return ms, kib, p.stdout
base = statistics.median(timed([L, "--version"])[0] for _ in range(5))
print(f"baseline `ledger --version` process: {base:.1f} ms")
print(f"{'list':9s} {'bytes':>9s} {'designations':>12s} {'events':>6s} {'median ms':>9s} {'x version':>9s} {'peak MiB':>8s}")
for fmt, files, extra in lists:
    runs = []
    for _ in range(3):
        d = tempfile.mkdtemp()
        led = os.path.join(d, "l.sled")
        subprocess.run([L, "--ledger", led, "init", "-q"], env=env, check=True, capture_output=True)
        ms, kib, out = timed([L, "--ledger", led, "import", fmt, *files, *extra, "--format", "json", "-q"])
        runs.append((ms, kib, out))
        shutil.rmtree(d)
    o = json.loads(runs[0][2])
    size = sum(os.path.getsize(os.path.join(f, x)) for f in files for x in (os.listdir(f) if os.path.isdir(f) else [""]) if os.path.isfile(os.path.join(f, x))) if os.path.isdir(files[0]) else sum(os.path.getsize(f) for f in files)
    ev = o["summary"]["designations"] + o["summary"]["amendments"] + o["summary"]["delistings"]
    med = statistics.median(r[0] for r in runs)
    peak = max(r[1] for r in runs) / 1024
    print(f"{fmt:9s} {size:9d} {o['summary']['listed']:12d} {ev:6d} {med:9.1f} {med/base:9.1f} {peak:8.1f}")
