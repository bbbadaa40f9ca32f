"""Build a base database of N items (+ ~1.5 entities, 1 enrichment, 1/3 in a story per item).

  .venv2/bin/python scripts/build_base.py --backend plain --n 1000000 --out runs/base1m   (DuckDB 2.0.1 file)
  .venv/bin/python  scripts/build_base.py --backend lake  --n 1000000 --out runs/base1m   (DuckLake 1.5.5, SQLite catalog)
"""
import argparse, json, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
import duckdb
from common import *

ap = argparse.ArgumentParser()
ap.add_argument("--backend", choices=["plain", "lake"], required=True)
ap.add_argument("--n", type=int, required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--chunk", type=int, default=1_000_000)
args = ap.parse_args()
out = Path(args.out); out.mkdir(parents=True, exist_ok=True)

t0 = time.perf_counter()
if args.backend == "plain":
    path = out / "plain.duckdb"
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    con.execute(SCHEMA_PLAIN)
    db = "main"
else:
    con = duckdb.connect()
    meta, data = out / "meta.sqlite", out / "lake"
    assert not meta.exists(), "remove the old lake first"
    attach_lake(con, str(meta), str(data) + "/")
    con.execute("USE lake")
    con.execute(schema_lake())
    db = "lake"
con.execute("SET preserve_insertion_order = false")
for a in range(0, args.n, args.chunk):
    b = min(args.n, a + args.chunk)
    con.execute("BEGIN")
    # Items are inserted with ids in order; PK check on the plain file is part of the cost, as in the project.
    con.execute(f"INSERT INTO items {gen_items_sql(a, b, args.n)}")
    con.execute(f"INSERT INTO entities {gen_entities_sql(a, b)}")
    con.execute(f"INSERT INTO enrichments {gen_enrichments_sql(a, b)}")
    con.execute(f"INSERT INTO story_items {gen_story_items_sql(a, b)}")
    con.execute(f"INSERT INTO stories {gen_stories_sql(a, b)}")
    con.execute(f"INSERT INTO passes VALUES (0, {b}, now()::TIMESTAMP)")
    con.execute("COMMIT")
    print(f"  {b:,} rows  {time.perf_counter() - t0:.1f}s", flush=True)
if args.backend == "plain":
    con.execute("CHECKPOINT")
counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ["items", "entities", "enrichments", "story_items", "stories"]}
con.close()
size, files = dir_size(out / "lake") if args.backend == "lake" else (Path(out / "plain.duckdb").stat().st_size, 1)
if args.backend == "lake":
    size += (out / "meta.sqlite").stat().st_size
res = {"backend": args.backend, "duckdb": duckdb.__version__, "n": args.n, "seconds": round(time.perf_counter() - t0, 1),
       "bytes": size, "files": files, "counts": counts}
print(json.dumps(res))
with open(out / f"build_{args.backend}.json", "w") as f:
    json.dump(res, f)
