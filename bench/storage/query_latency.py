"""Reader latency on a quiet store: open cost and warm p50/p95 of the analysts' queries.

  .venv/bin/python  scripts/query_latency.py --backend lake    --path runs/base1m
  .venv2/bin/python scripts/query_latency.py --backend plain   --path runs/base1m/plain.duckdb
  .venv2/bin/python scripts/query_latency.py --backend parquet --path runs/snap1m
"""
import argparse, json, statistics, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
import duckdb, psutil
from readers_lib import QUERIES, CHECK, open_reader

ap = argparse.ArgumentParser()
ap.add_argument("--backend", required=True)
ap.add_argument("--path", required=True)
ap.add_argument("--reps", type=int, default=15)
ap.add_argument("--label", default="")
args = ap.parse_args()

opens = []
for _ in range(5):
    t = time.perf_counter()
    con = open_reader(args.backend, args.path)
    con.execute("SELECT count(*) FROM items").fetchall()
    opens.append(time.perf_counter() - t)
    con.close()
con = open_reader(args.backend, args.path)
res = {"backend": args.backend, "path": args.path, "duckdb": duckdb.__version__, "label": args.label,
       "open_plus_count_ms_p50": round(statistics.median(opens) * 1000, 1)}
for name, sql in list(QUERIES.items()) + [("consistency_check", CHECK)]:
    t = time.perf_counter(); con.execute(sql).fetchall(); first = time.perf_counter() - t
    xs = []
    for _ in range(args.reps):
        t = time.perf_counter(); con.execute(sql).fetchall(); xs.append(time.perf_counter() - t)
    xs.sort()
    res[name] = {"first_ms": round(first * 1000, 1), "p50_ms": round(xs[len(xs) // 2] * 1000, 1),
                 "p95_ms": round(xs[min(len(xs) - 1, int(len(xs) * 0.95))] * 1000, 1)}
res["rss_mb"] = round(psutil.Process().memory_info().rss / 2**20)
print(json.dumps(res))
Path("results").mkdir(exist_ok=True)
with open("results/query_latency.jsonl", "a") as f:
    f.write(json.dumps(res) + "\n")
