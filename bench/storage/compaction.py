"""DuckLake small-file growth over many small commits, and what maintenance costs and gives back.

  .venv/bin/python scripts/compaction.py --src runs/base1m --passes 200 --batch 1000
  .venv/bin/python scripts/compaction.py --src runs/base1m --passes 60 --batch 1000 --inline 5000   (data inlining)
Steps: N writer passes (one commit each); files/bytes/catalog size and query latency; then, with a long-lived
reader running, CHECKPOINT's parts one by one (flush inlined data, expire snapshots, merge adjacent files, rewrite
files with deletes, cleanup old files), timing each; files/bytes/latency again.
"""
import argparse, json, os, shutil, subprocess, sys, time
from pathlib import Path
HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
import duckdb
from common import attach_lake, dir_size
from readers_lib import QUERIES, CHECK

ap = argparse.ArgumentParser()
ap.add_argument("--src", required=True)
ap.add_argument("--passes", type=int, default=200)
ap.add_argument("--batch", type=int, default=1000)
ap.add_argument("--inline", type=int, default=-1)
args = ap.parse_args()
work = Path(f"runs/compaction-{args.inline}")
if work.exists():
    shutil.rmtree(work)
work.mkdir(parents=True)
shutil.copy(Path(args.src) / "meta.sqlite", work / "meta.sqlite")
shutil.copytree(Path(args.src) / "lake", work / "lake")
py = sys.executable


def state(label):
    con = duckdb.connect(); attach_lake(con, str(work / "meta.sqlite"), str(work / "lake") + "/", read_only=True)
    con.execute("USE lake")
    lat = {}
    for q in ["trends_week", "digest_hour", "top_entities_week"]:
        con.execute(QUERIES[q]).fetchall()
        xs = []
        for _ in range(7):
            t = time.perf_counter(); con.execute(QUERIES[q]).fetchall(); xs.append(time.perf_counter() - t)
        lat[q] = round(sorted(xs)[3] * 1000, 1)
    t = time.perf_counter(); row = con.execute(CHECK).fetchone(); lat["check"] = round((time.perf_counter() - t) * 1000, 1)
    snaps = con.execute("SELECT count(*) FROM ducklake_snapshots('lake')").fetchone()[0]
    con.close()
    b, f = dir_size(work / "lake")
    rec = {"at": label, "data_files": f, "data_bytes": b, "catalog_bytes": os.path.getsize(work / "meta.sqlite"),
           "snapshots": snaps, "items": row[0], "consistent": row[0] == row[1] and not row[3] and not row[4], "median_ms": lat}
    print(json.dumps(rec), flush=True)
    return rec


res = {"passes": args.passes, "batch": args.batch, "inline": args.inline}
res["before"] = state("base")
t = time.perf_counter()
cmd = [py, str(HERE / "writer.py"), "--backend", "lake", "--path", str(work), "--passes", str(args.passes), "--batch", str(args.batch)]
if args.inline >= 0:
    cmd += ["--inline", str(args.inline)]
out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
recs = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
res["writer_s"] = round(time.perf_counter() - t, 1)
ps = [r["pass_s"] for r in recs]
res["pass_s_first10_median"] = sorted(ps[:10])[5]
res["pass_s_last10_median"] = sorted(ps[-10:])[5]
res["after_writes"] = state(f"after {args.passes} passes")

reader = subprocess.Popen([py, str(HERE / "reader.py"), "--backend", "lake", "--path", str(work), "--duration", "100000",
                           "--mode", "long", "--pause", "0.05", "--queries", "trends_week"], stdout=subprocess.PIPE, text=True)
time.sleep(2)
con = duckdb.connect(); attach_lake(con, str(work / "meta.sqlite"), str(work / "lake") + "/")
steps = {}
for name, sql in [
    ("flush_inlined_data", "CALL ducklake_flush_inlined_data('lake')"),
    ("expire_snapshots", "CALL ducklake_expire_snapshots('lake', older_than => now() - INTERVAL 1 SECOND)"),
    ("rewrite_data_files_default", "CALL ducklake_rewrite_data_files('lake')"),
    ("rewrite_data_files_any_delete", "CALL ducklake_rewrite_data_files('lake', delete_threshold => 0.0)"),
    ("merge_adjacent_files", "CALL ducklake_merge_adjacent_files('lake')"),
    ("expire_snapshots_2", "CALL ducklake_expire_snapshots('lake', older_than => now() - INTERVAL 1 SECOND)"),
    ("cleanup_old_files", "CALL ducklake_cleanup_old_files('lake', cleanup_all => true)"),
]:
    t = time.perf_counter()
    try:
        r = con.execute(sql).fetchall()
        steps[name] = {"s": round(time.perf_counter() - t, 2), "rows": len(r)}
    except Exception as exc:
        steps[name] = {"error": str(exc).splitlines()[0][:200]}
    print(name, steps[name], flush=True)
con.close()
time.sleep(1)
reader.terminate()
rout = reader.communicate()[0]
r = json.loads([l for l in rout.splitlines() if l.startswith("{")][-1])
res["maintenance"] = steps
res["reader_during_maintenance"] = {k: r[k] for k in ("iterations", "errors", "n_violations", "violations")}
res["after_maintenance"] = state("after maintenance")
# and CHECKPOINT as one statement, after more passes
out = subprocess.run([py, str(HERE / "writer.py"), "--backend", "lake", "--path", str(work),
                "--passes", "30", "--batch", str(args.batch)], capture_output=True, check=True, text=True).stdout
ps = [json.loads(l)["pass_s"] for l in out.splitlines() if l.startswith("{")]
res["pass_s_30_after_maintenance_median"] = sorted(ps)[15]
con = duckdb.connect(); attach_lake(con, str(work / "meta.sqlite"), str(work / "lake") + "/")
t = time.perf_counter()
try:
    con.execute("USE lake"); con.execute("CHECKPOINT")
    res["checkpoint_after_30_more_passes_s"] = round(time.perf_counter() - t, 2)
except Exception as exc:
    res["checkpoint_error"] = str(exc).splitlines()[0][:200]
con.close()
res["after_checkpoint"] = state("after CHECKPOINT")
print(json.dumps(res))
Path("results").mkdir(exist_ok=True)
with open("results/compaction.jsonl", "a") as f:
    f.write(json.dumps(res) + "\n")
shutil.rmtree(work)
