"""Option A: does the project's current SQL work on a DuckLake (SQLite catalog) database? One probe per feature."""
import shutil, sys, tempfile, traceback, json
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
import duckdb, pyarrow as pa
from common import attach_lake, load_exts

tmp = Path(tempfile.mkdtemp(prefix="lakecompat-"))
con = duckdb.connect()
attach_lake(con, str(tmp / "meta.sqlite"), str(tmp / "data") + "/")
con.execute("USE lake")

def probe(name, sql_or_fn):
    try:
        r = sql_or_fn() if callable(sql_or_fn) else con.execute(sql_or_fn).fetchall()
        print(f"OK    {name}: {str(r)[:120]}")
    except Exception as e:
        print(f"FAIL  {name}: {type(e).__name__}: {str(e).splitlines()[0][:160]}")
        try: con.execute("ROLLBACK")
        except Exception: pass

probe("CREATE TABLE with PRIMARY KEY", "CREATE TABLE s1 (id VARCHAR PRIMARY KEY, v INT)")
probe("CREATE TABLE with UNIQUE", "CREATE TABLE s2 (id VARCHAR UNIQUE, v INT)")
probe("CREATE TABLE with NOT NULL + DEFAULT", "CREATE TABLE s3 (id VARCHAR NOT NULL, v INT DEFAULT 1, n INTEGER NOT NULL DEFAULT 0)")
probe("CREATE TABLE plain", "CREATE TABLE t (id VARCHAR NOT NULL, v INT, j JSON, l VARCHAR[], ts TIMESTAMP, b BLOB)")
probe("INSERT JSON / VARCHAR[] / BLOB", "INSERT INTO t VALUES ('a', 1, '{\"x\": 1}', ['p','q'], TIMESTAMP '2016-03-22 08:00', 'x'::BLOB)")
probe("JSON extraction", "SELECT j->>'x', l[1], typeof(j), typeof(l) FROM t")
probe("NOT NULL enforced", "INSERT INTO t (id) VALUES (NULL)")
probe("INSERT ... ON CONFLICT DO UPDATE", "INSERT INTO t VALUES ('a', 2, NULL, NULL, NULL, NULL) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v")
probe("INSERT OR REPLACE", "INSERT OR REPLACE INTO t VALUES ('a', 2, NULL, NULL, NULL, NULL)")
probe("MERGE INTO (upsert replacement)", """MERGE INTO t USING (SELECT 'a' AS id, 3 AS v UNION ALL SELECT 'b', 9) s ON t.id = s.id
  WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.v)""")
probe("after MERGE", "SELECT id, v FROM t ORDER BY id")
probe("CREATE SEQUENCE", "CREATE SEQUENCE seq1 START 1")
probe("DEFAULT nextval(seq)", "CREATE TABLE f (id BIGINT DEFAULT nextval('seq1'), x INT)")
probe("CREATE INDEX", "CREATE INDEX t_v ON t (v)")
probe("ALTER TABLE ADD COLUMN", "ALTER TABLE t ADD COLUMN extra VARCHAR")
probe("ALTER TABLE ADD COLUMN with DEFAULT", "ALTER TABLE t ADD COLUMN extra2 INTEGER DEFAULT 7")
probe("read after ADD COLUMN", "SELECT id, extra, extra2 FROM t ORDER BY id")
probe("UPDATE ... FROM", "UPDATE t SET v = s.v FROM (SELECT 'b' AS id, 42 AS v) s WHERE t.id = s.id")
probe("UPDATE ... RETURNING", "UPDATE t SET v = 5 WHERE id = 'a' RETURNING id")
probe("DELETE ... RETURNING", "DELETE FROM t WHERE id = 'zz' RETURNING id")
probe("INSERT ... RETURNING", "INSERT INTO t (id, v) VALUES ('c', 1) RETURNING id")
def arrow_insert():
    tbl = pa.table({"id": ["x1", "x2"], "v": [1, 2]})
    con.register("incoming", tbl)
    con.execute("INSERT INTO t (id, v) SELECT id, v FROM incoming ANTI JOIN t USING (id)")
    con.unregister("incoming")
    return con.execute("SELECT count(*) FROM t").fetchall()
probe("Arrow register + INSERT..SELECT ANTI JOIN", arrow_insert)
probe("BEGIN/COMMIT multi-statement", lambda: [con.execute(s) for s in ["BEGIN", "INSERT INTO t (id) VALUES ('tx')", "UPDATE t SET v=1 WHERE id='tx'", "COMMIT"]] and con.execute("SELECT v FROM t WHERE id='tx'").fetchall())
probe("information_schema.tables", "SELECT table_catalog, table_schema, table_name FROM information_schema.tables WHERE table_catalog='lake' LIMIT 3")
probe("CREATE VIEW", "CREATE VIEW v1 AS SELECT id, v FROM t")
probe("read view", "SELECT count(*) FROM v1")
probe("CREATE MACRO in lake", "CREATE MACRO m1(x) AS x + 1")
probe("snapshots()", "SELECT snapshot_id, schema_version FROM ducklake_snapshots('lake') ORDER BY snapshot_id DESC LIMIT 2")
probe("time travel AT VERSION", "SELECT count(*) FROM t AT (VERSION => 3)")
# fts
def fts():
    load_exts(con, "fts")
    con.execute("CREATE TABLE docs (id VARCHAR, body VARCHAR)")
    con.execute("INSERT INTO docs VALUES ('1', 'explosion at zaventem airport'), ('2', 'polisen bekräftar explosion')")
    con.execute("PRAGMA create_fts_index('docs', 'id', 'body')")
    return con.execute("SELECT id, fts_main_docs.match_bm25(id, 'explosion') s FROM docs ORDER BY s DESC").fetchall()
probe("fts create_fts_index on a DuckLake table", fts)
def fts_mem():
    con.execute("USE memory")
    con.execute("CREATE TABLE docs AS SELECT * FROM lake.docs")
    con.execute("PRAGMA create_fts_index('docs', 'id', 'body', stemmer='swedish')")
    r = con.execute("SELECT id, fts_main_docs.match_bm25(id, 'explosionen') s FROM docs WHERE s IS NOT NULL ORDER BY s DESC").fetchall()
    con.execute("USE lake")
    return r
probe("fts index on an in-memory copy of a lake table (swedish stemmer)", fts_mem)
shutil.rmtree(tmp)
