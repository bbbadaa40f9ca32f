"""Full-text search next to the store: (1) the fts extension on a DuckLake table (fails), (2) the fts extension on
a local DuckDB 1.5.5 copy of the lake's items (build time, size, BM25 latency; no incremental update: a rebuild),
(3) SQLite FTS5 (Python's own sqlite3) with Swedish Snowball stems: build, incremental add of a 2,000-item pass,
BM25 latency, and a reader in WAL mode that never waits for the indexer.

  .venv/bin/python scripts/fts_bench.py --lake runs/base1m
"""
import argparse, json, os, sqlite3, statistics, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
import duckdb, snowballstemmer, re
from common import attach_lake, load_exts

ap = argparse.ArgumentParser()
ap.add_argument("--lake", required=True)
ap.add_argument("--reps", type=int, default=20)
args = ap.parse_args()
res = {"lake": args.lake}
work = Path("runs/fts"); work.mkdir(parents=True, exist_ok=True)

con = duckdb.connect(str(work / "fts.duckdb"))
attach_lake(con, os.path.join(args.lake, "meta.sqlite"), os.path.join(args.lake, "lake") + "/", read_only=True)
load_exts(con, "fts")
n = con.execute("SELECT count(*) FROM lake.items").fetchone()[0]
res["items"] = n
t = time.perf_counter()
con.execute("CREATE OR REPLACE TABLE docs AS SELECT id, title, text FROM lake.items")
res["duckdb_fts_copy_s"] = round(time.perf_counter() - t, 2)
t = time.perf_counter()
con.execute("PRAGMA create_fts_index('docs', 'id', 'title', 'text', stemmer = 'swedish', stopwords = 'none', overwrite = 1)")
res["duckdb_fts_build_s"] = round(time.perf_counter() - t, 2)
con.execute("CHECKPOINT")
res["duckdb_fts_file_bytes"] = os.path.getsize(work / "fts.duckdb")
Q = "SELECT id, score FROM (SELECT id, fts_main_docs.match_bm25(id, ?) AS score FROM docs) WHERE score IS NOT NULL ORDER BY score DESC LIMIT 20"
for q in ["zaventem explosionen", "w1999"]:
    xs = []
    for _ in range(args.reps):
        t0 = time.perf_counter(); con.execute(Q, [q]).fetchall(); xs.append(time.perf_counter() - t0)
    xs.sort()
    res[f"duckdb_fts_query_{q.split()[0]}_ms"] = {"p50": round(xs[len(xs) // 2] * 1000, 1), "p95": round(xs[int(len(xs) * .95)] * 1000, 1)}
con.close()

# SQLite FTS5 with pre-stemmed text (Snowball Swedish), WAL: one indexer, any number of readers
stem = snowballstemmer.stemmer("swedish")
tok = re.compile(r"\w+", re.UNICODE)
def stemmed(s):
    return " ".join(stem.stemWords(tok.findall((s or "").lower())))
db = work / "search.sqlite"
for suffix in ("", "-wal", "-shm"):
    Path(str(db) + suffix).unlink(missing_ok=True)
sq = sqlite3.connect(db)
sq.execute("PRAGMA journal_mode=WAL")
sq.execute("CREATE VIRTUAL TABLE search USING fts5(id UNINDEXED, title, text, tokenize = 'unicode61')")
src = duckdb.connect()
attach_lake(src, os.path.join(args.lake, "meta.sqlite"), os.path.join(args.lake, "lake") + "/", read_only=True)
t = time.perf_counter()
cur = src.execute("SELECT id, title, text FROM lake.items")
stem_s = 0.0
while True:
    rows = cur.fetchmany(50_000)
    if not rows:
        break
    t1 = time.perf_counter()
    rows = [(r[0], stemmed(r[1]), stemmed(r[2])) for r in rows]
    stem_s += time.perf_counter() - t1
    sq.executemany("INSERT INTO search VALUES (?, ?, ?)", rows)
sq.commit()
res["sqlite_fts5_build_s"] = round(time.perf_counter() - t, 2)
res["sqlite_fts5_stemming_s"] = round(stem_s, 2)
sq.execute("PRAGMA wal_checkpoint(TRUNCATE)")
res["sqlite_fts5_bytes"] = os.path.getsize(db)
# one pass's worth of new items
rows = [(f"new{i}", stemmed("polisen bekräftar explosionen på flygplatsen"), stemmed("zaventem bryssel " * 10)) for i in range(2000)]
t = time.perf_counter()
sq.executemany("INSERT INTO search VALUES (?, ?, ?)", rows); sq.commit()
res["sqlite_fts5_add_2000_s"] = round(time.perf_counter() - t, 3)
rd = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
FQ = ("SELECT id, bm25(search) AS s, snippet(search, 2, '[', ']', '…', 12) FROM search WHERE search MATCH ? "
      "ORDER BY s LIMIT 20")
for q in ["zaventem AND explosion", "\"polis bekräft\" OR maelbeek NOT metro", "flygplat*", "w1999"]:
    qq = q
    xs = []
    for _ in range(args.reps):
        t0 = time.perf_counter(); rd.execute(FQ, [qq]).fetchall(); xs.append(time.perf_counter() - t0)
    xs.sort()
    res[f"sqlite_fts5_query[{q}]_ms"] = {"p50": round(xs[len(xs) // 2] * 1000, 1), "p95": round(xs[int(len(xs) * .95)] * 1000, 1)}
# reader while the indexer holds a write transaction open
sq.execute("BEGIN"); sq.execute("INSERT INTO search VALUES ('x', 'a', 'b')")
t0 = time.perf_counter(); rd.execute(FQ, ["zaventem"]).fetchall()
res["sqlite_fts5_read_during_open_write_ms"] = round((time.perf_counter() - t0) * 1000, 1)
sq.rollback()
print(json.dumps(res))
Path("results").mkdir(exist_ok=True)
with open("results/fts.jsonl", "a") as f:
    f.write(json.dumps(res) + "\n")
