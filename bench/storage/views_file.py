"""Option B for analysts' own tools: a tiny DuckDB file of views over one snapshot version, written by DuckDB 2.0.1
in the 1.5 storage format, swapped in atomically as snap/current.duckdb. Does DuckDB 1.5.5 open and query it?

  .venv2/bin/python scripts/views_file.py runs/snap1m        (write)
  .venv/bin/python  scripts/views_file.py runs/snap1m --read (read with 1.5.5)
"""
import os, sys, time
from pathlib import Path
import duckdb
snap = Path(sys.argv[1]).resolve()
if "--read" in sys.argv:
    t = time.perf_counter()
    con = duckdb.connect(str(snap / "current.duckdb"), read_only=True)
    print(duckdb.__version__, con.execute("SELECT count(*) FROM items").fetchone(),
          con.execute("SELECT count(*) FROM story_items s ANTI JOIN items i ON i.id = s.item_id").fetchone(),
          f"{(time.perf_counter() - t) * 1000:.0f} ms")
else:
    version = (snap / "CURRENT").read_text().strip()
    tmp = snap / f"views-{version}.duckdb.tmp"
    tmp.unlink(missing_ok=True)
    con = duckdb.connect()
    con.execute(f"ATTACH '{tmp}' AS v (STORAGE_VERSION 'v1.5.0')")
    for t in ["items", "entities", "enrichments", "story_items"]:
        con.execute(f"CREATE VIEW v.{t} AS SELECT * EXCLUDE (day) FROM read_parquet('{snap / version / t}/*/*.parquet', hive_partitioning = true)")
    for t in ["stories", "passes"]:
        con.execute(f"CREATE VIEW v.{t} AS SELECT * FROM read_parquet('{snap / version / t}/*.parquet')")
    con.execute("DETACH v")
    os.replace(tmp, snap / "current.duckdb")
    print("wrote", snap / "current.duckdb", os.path.getsize(snap / "current.duckdb"), "bytes")
