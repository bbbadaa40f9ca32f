"""How each kind of reader opens the data, and the analysts' queries used by the benches."""
import json, os, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
import duckdb
from common import attach_lake

TABLES = ["items", "entities", "enrichments", "stories", "story_items", "passes"]

QUERIES = {
    # trends: volume per hour and source over all rows
    "trends_all": "SELECT date_trunc('hour', published_at) AS h, source_id, count(*) AS n FROM items GROUP BY ALL",
    # trends: volume per hour over all rows (small result: the scan, not the fetch)
    "trends_hour_all": "SELECT date_trunc('hour', published_at) AS h, count(*) AS n FROM items GROUP BY ALL",
    # trends over the last week of the window, by hour and kind
    "trends_week": "SELECT date_trunc('hour', published_at) AS h, kind, count(*) FROM items "
                   "WHERE published_at >= TIMESTAMP '2016-04-13' GROUP BY ALL",
    # top entities among the last week's items (join entities -> items)
    "top_entities_week": "SELECT e.norm_id, count(*) AS n FROM entities e JOIN items i ON i.id = e.item_id "
                         "WHERE i.published_at >= TIMESTAMP '2016-04-13' GROUP BY 1 ORDER BY 2 DESC LIMIT 20",
    "top_entities_all": "SELECT norm_id, count(*) AS n FROM entities GROUP BY 1 ORDER BY 2 DESC LIMIT 20",
    # the digest's kind of read: the newest relevant items with their story
    "digest_hour": "SELECT i.id, i.title, s.story_id, en.tone FROM items i JOIN enrichments en ON en.item_id = i.id "
                   "LEFT JOIN story_items s ON s.item_id = i.id WHERE en.relevant AND i.published_at >= TIMESTAMP '2016-04-20 22:00' "
                   "ORDER BY i.published_at DESC LIMIT 200",
}

# One transaction: the totals a reader checks for torn reads.
CHECK = """SELECT (SELECT count(*) FROM items), (SELECT max(items_total) FROM passes), (SELECT max(n) FROM passes),
                  (SELECT count(*) FROM story_items s ANTI JOIN items i ON i.id = s.item_id),
                  (SELECT count(*) FROM enrichments e ANTI JOIN items i ON i.id = e.item_id)"""


def open_reader(backend: str, path: str, memory_limit: str = "2GB"):
    """A read connection. backend: lake (meta.sqlite + lake/ under path), plain (a .duckdb file, read-only),
    parquet (a snapshot folder with a CURRENT pointer; views over its Parquet files)."""
    if backend == "lake":
        con = duckdb.connect(config={"memory_limit": memory_limit})
        attach_lake(con, os.path.join(path, "meta.sqlite"), os.path.join(path, "lake") + "/", read_only=True)
        con.execute("USE lake")
        return con
    if backend == "plain":
        return duckdb.connect(path, read_only=True, config={"memory_limit": memory_limit})
    if backend == "parquet":
        con = duckdb.connect(config={"memory_limit": memory_limit})
        point_views(con, path)
        return con
    if backend == "snapfile":
        # path/CURRENT names a published read-only copy of the writer's file
        name = Path(path, "CURRENT").read_text().strip()
        con = duckdb.connect(os.path.join(path, name), read_only=True, config={"memory_limit": memory_limit})
        return con
    raise ValueError(backend)


def point_views(con, snapdir: str) -> str:
    """(Re)create the views on the snapshot CURRENT names. Returns the version folder used."""
    version = Path(snapdir, "CURRENT").read_text().strip()
    base = os.path.join(snapdir, version)
    for t in TABLES:
        glob = f"{base}/{t}/*/*.parquet" if t not in ("stories", "passes") else f"{base}/{t}/*.parquet"
        con.execute(f"CREATE OR REPLACE VIEW {t} AS SELECT * EXCLUDE (day) FROM read_parquet('{glob}', hive_partitioning = true)" if t not in ("stories", "passes") else f"CREATE OR REPLACE VIEW {t} AS SELECT * FROM read_parquet('{glob}')")
    return version

# The same invariants, restricted to the newest 100,000 ids (where a pass writes): cheap enough to run at 10M.
CHECK_LIGHT = """WITH lim AS (SELECT printf('it%09d', greatest(0, max(items_total) - 100000)) AS lo FROM passes)
SELECT (SELECT count(*) FROM items), (SELECT max(items_total) FROM passes), (SELECT max(n) FROM passes),
       (SELECT count(*) FROM story_items s ANTI JOIN (SELECT id FROM items WHERE id >= (SELECT lo FROM lim)) i ON i.id = s.item_id
         WHERE s.item_id >= (SELECT lo FROM lim)),
       (SELECT count(*) FROM enrichments e ANTI JOIN (SELECT id FROM items WHERE id >= (SELECT lo FROM lim)) i ON i.id = e.item_id
         WHERE e.item_id >= (SELECT lo FROM lim))"""

# Probe: the same light check, counting by scanning (sum(1)) instead of count(*), which DuckLake may answer from stats.
CHECK_LIGHT_SCAN = CHECK_LIGHT.replace("SELECT (SELECT count(*) FROM items)", "SELECT (SELECT sum(1) FROM items)")
