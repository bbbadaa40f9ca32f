"""Cost of one full snapshot of a DuckDB 2.0.1 file of N items (no writer running):
parquet-full (COPY of every table, item-keyed ones partitioned by day), a byte copy of the file (after CHECKPOINT),
and ATTACH + COPY FROM DATABASE into a new file.

  .venv2/bin/python scripts/publish_cost.py --db runs/base1m/plain.duckdb --snapdir runs/snap1m
"""
import argparse, json, os, shutil, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
import duckdb
import publish
from common import dir_size

ap = argparse.ArgumentParser()
ap.add_argument("--db", required=True)
ap.add_argument("--snapdir", required=True)
ap.add_argument("--skip-copydb", action="store_true")
args = ap.parse_args()
res = {"db": args.db, "db_bytes": os.path.getsize(args.db), "duckdb": duckdb.__version__}
con = duckdb.connect(args.db, read_only=True)
if Path(args.snapdir).exists():
    shutil.rmtree(args.snapdir)
r = publish.publish(con, "parquet-full", args.snapdir, 0, keep=1)
res["parquet_full_s"] = r["publish_s"]
res["parquet_bytes"], res["parquet_files"] = dir_size(args.snapdir)
con.close()
t = time.perf_counter()
tmp = Path(args.snapdir) / "filecopy.tmp"
with open(args.db, "rb") as s, open(tmp, "wb") as d:
    shutil.copyfileobj(s, d, 16 << 20); d.flush(); os.fsync(d.fileno())
res["filecopy_s"] = round(time.perf_counter() - t, 2)
tmp.unlink()
if not args.skip_copydb:
    t = time.perf_counter()
    out = Path(args.snapdir) / "copydb.duckdb"
    c = duckdb.connect()
    c.execute(f"ATTACH '{args.db}' AS src (READ_ONLY)")
    c.execute(f"ATTACH '{out}' AS dst")
    c.execute("COPY FROM DATABASE src TO dst")
    c.execute("DETACH dst")
    res["copy_from_database_s"] = round(time.perf_counter() - t, 2)
    res["copy_from_database_bytes"] = out.stat().st_size
    out.unlink()
print(json.dumps(res))
Path("results").mkdir(exist_ok=True)
with open("results/publish_cost.jsonl", "a") as f:
    f.write(json.dumps(res) + "\n")
