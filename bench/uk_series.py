"""A seeded series of weekly UK-layout lists derived from the real GIM list, for measuring a
backfill (`ledger import uk-csv --series OUT_DIR`): the real designations copied under new ids to
SIZE designations, then each week 0.5% delisted, SIZE/150 new and 1% renamed.

Usage: python3 bench/uk_series.py OUT_DIR WEEKS SIZE SEED   (e.g. /tmp/series 100 2000 7)"""
import csv, io, random, sys, datetime, os
out, weeks, size, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(seed)
raw = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests/fixtures/lists/uk-gim/UK-Sanctions-List-GIM-2026-04-29.csv'), 'rb').read().decode('utf-8-sig')
first, rest = raw.split('\n', 1)
rows = list(csv.reader(io.StringIO(rest)))
header, body = rows[0], rows[1:]
by_id = {}
for r in body:
    by_id.setdefault(r[1], []).append(r)
templates = list(by_id.values())
def copy_of(n, when=None):
    rows = [list(r) for r in templates[n % len(templates)]]
    for r in rows:
        r[33] = (when or datetime.date(2024, 6, 3)).strftime('%d/%m/%Y')
        r[0] = r[33]
        r[1] = f"GIM{n+100000}"
        r[2] = str(900000 + n)
        if r[10] == 'Primary Name':
            r[4] = r[4] + f" {n}"
    return rows
live = {n: copy_of(n) for n in range(size)}
nxt = size
day = datetime.date(2024, 12, 2)
os.makedirs(out, exist_ok=True)
for w in range(weeks):
    if w > 0:
        for n in rnd.sample(sorted(live), max(1, len(live) // 200)):     # 0.5% delisted
            del live[n]
        for _ in range(max(1, size // 150)):                               # new designations
            live[nxt] = copy_of(nxt, day); nxt += 1
        for n in rnd.sample(sorted(live), max(1, len(live) // 100)):     # 1% renamed
            for r in live[n]:
                if r[10] == 'Primary Name':
                    r[5] = r[5] + 'X'
                    r[0] = day.strftime('%d/%m/%Y')
    buf = io.StringIO()
    wr = csv.writer(buf, lineterminator='\r\n')
    wr.writerow(header)
    for n in sorted(live):
        for r in live[n]:
            wr.writerow(r)
    text = '\ufeff' + f"Report Date: {day.strftime('%d-%b-%Y')}\r\n" + buf.getvalue()
    open(os.path.join(out, f"uk-{w:03d}.csv"), 'w', encoding='utf-8', newline='').write(text)
    day += datetime.timedelta(days=7)
