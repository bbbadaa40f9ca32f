"""Option B: publish a consistent read snapshot of the writer's DuckDB file after a pass.

Modes (all end with an atomic os.replace of snapdir/CURRENT, which names the version readers use):
  parquet-full  every table to Parquet in a new folder vNNNNNN (item-keyed tables partitioned by item day)
  parquet-incr  the same layout, but only the days whose items/enrichments changed since the last version are
                written; every other day's file is hard-linked from the previous version (O(1), no extra disk)
  filecopy      CHECKPOINT, then a byte copy of the database file to snap-NNNNNN.duckdb (readers open it read-only)
Old versions beyond --keep are deleted (a reader that still has one open keeps reading it: unlinked files
stay readable on POSIX; a reader that re-plans a query re-reads CURRENT).
"""
import json, os, shutil, time
from datetime import datetime
from pathlib import Path

NOW = datetime(2016, 4, 20, 23, 0)
DAYKEYED = {
    "items": "SELECT *, strftime(published_at, '%Y-%m-%d') AS day FROM items",
    "enrichments": "SELECT e.*, d.day FROM enrichments e JOIN (SELECT id, strftime(published_at, '%Y-%m-%d') AS day FROM items) d ON d.id = e.item_id",
    "entities": "SELECT e.*, d.day FROM entities e JOIN (SELECT id, strftime(published_at, '%Y-%m-%d') AS day FROM items) d ON d.id = e.item_id",
    "story_items": "SELECT s.*, d.day FROM story_items s JOIN (SELECT id, strftime(published_at, '%Y-%m-%d') AS day FROM items) d ON d.id = s.item_id",
}
SMALL = ["stories", "passes"]


def _fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path):
    for d, _, fs in os.walk(root):
        for f in fs:
            fd = os.open(os.path.join(d, f), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(d)


def _point(snapdir: Path, name: str):
    tmp = snapdir / "CURRENT.tmp"
    with open(tmp, "w") as f:
        f.write(name + "\n"); f.flush(); os.fsync(f.fileno())
    os.replace(tmp, snapdir / "CURRENT")
    _fsync_dir(snapdir)


def _prune(snapdir: Path, prefix: str, keep: int):
    versions = sorted(p for p in snapdir.iterdir() if p.name.startswith(prefix) and not p.name.endswith(".tmp"))
    for p in versions[:-keep]:
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    for p in snapdir.iterdir():  # leftovers of a publish that was killed
        if p.name.endswith(".tmp") and p.name != "CURRENT.tmp":
            shutil.rmtree(p) if p.is_dir() else p.unlink()


def publish(con, mode: str, snapdir: str, pass_no: int, keep: int = 3, db_path: str | None = None) -> dict:
    snapdir = Path(snapdir); snapdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    out = {}
    if mode == "filecopy":
        con.execute("CHECKPOINT")
        t1 = time.perf_counter()
        name = f"snap-{pass_no:06d}.duckdb"
        tmp = snapdir / (name + ".tmp")
        with open(db_path, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, 16 << 20)
            dst.flush(); os.fsync(dst.fileno())
        os.replace(tmp, snapdir / name)
        _point(snapdir, name)
        out["checkpoint_s"] = round(t1 - t0, 3)
        out["snap_bytes"] = (snapdir / name).stat().st_size
        _prune(snapdir, "snap-", keep)
    elif mode in ("parquet-full", "parquet-incr"):
        prev = None
        if (snapdir / "CURRENT").exists():
            prev = snapdir / (snapdir / "CURRENT").read_text().strip()
        name = f"v{pass_no:06d}"
        tmp = snapdir / (name + ".tmp")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        con.execute("BEGIN")  # one read transaction: every table from the same committed state
        try:
            changed = None
            if mode == "parquet-incr" and prev is not None and (prev / "_meta.json").exists():
                wm = json.loads((prev / "_meta.json").read_text())["wm"]
                changed = [r[0] for r in con.execute(
                    "SELECT DISTINCT strftime(published_at, '%Y-%m-%d') FROM items WHERE fetched_at > ?::TIMESTAMP "
                    "UNION SELECT DISTINCT strftime(i.published_at, '%Y-%m-%d') FROM enrichments e JOIN items i ON i.id = e.item_id "
                    "WHERE e.enriched_at > ?::TIMESTAMP", [wm, wm]).fetchall()]
            wm_now = con.execute("SELECT greatest((SELECT max(fetched_at) FROM items), (SELECT max(enriched_at) FROM enrichments))::VARCHAR").fetchone()[0]
            linked = written = 0
            for t, sql in DAYKEYED.items():
                (tmp / t).mkdir()
                where = "" if changed is None else " WHERE day IN (" + ",".join(f"'{d}'" for d in changed) + ")"
                if changed:
                    lo, hi = min(changed), max(changed)
                    rng = f"published_at >= TIMESTAMP '{lo}' AND published_at < TIMESTAMP '{hi}' + INTERVAL 1 DAY"
                    sql = sql.replace("FROM items)", f"FROM items WHERE {rng})").replace("FROM items\"", "")
                    if t == "items":
                        sql = f"SELECT *, strftime(published_at, '%Y-%m-%d') AS day FROM items WHERE {rng}"
                if changed is None or changed:
                    con.execute(f"COPY (SELECT * FROM ({sql}){where}) TO '{tmp / t}' "
                                f"(FORMAT parquet, PARTITION_BY (day), OVERWRITE_OR_IGNORE, COMPRESSION zstd)")
                if changed is not None:
                    for part in (prev / t).iterdir():
                        day = part.name.split("=", 1)[1]
                        if day not in changed:
                            (tmp / t / part.name).mkdir()
                            for f in part.iterdir():
                                os.link(f, tmp / t / part.name / f.name); linked += 1
            for t in SMALL:
                (tmp / t).mkdir()
                con.execute(f"COPY (SELECT * FROM {t}) TO '{tmp / t / 'data.parquet'}' (FORMAT parquet, COMPRESSION zstd)")
        finally:
            con.execute("COMMIT")
        (tmp / "_meta.json").write_text(json.dumps({"pass": pass_no, "wm": wm_now}))
        _fsync_tree(tmp)  # the files are durable before the pointer moves
        os.replace(tmp, snapdir / name)
        _point(snapdir, name)
        out["changed_days"] = None if changed is None else len(changed)
        out["linked_files"] = linked
        _prune(snapdir, "v", keep)
    else:
        raise ValueError(mode)
    out["publish_s"] = round(time.perf_counter() - t0, 3)
    return out
