"""Two DuckLake writer processes at once on one SQLite catalog: conflicts, whether a retry suffices, final counts.

  .venv/bin/python scripts/two_writers.py --src runs/base1m --passes 10 --retry 0
  .venv/bin/python scripts/two_writers.py --src runs/base1m --passes 10 --retry 8
  --overlap: both writers also update the same recent items and the same stories (the real conflict case);
  without it they write disjoint new ids (but still share the stories/passes tables).
"""
import argparse, json, os, shutil, subprocess, sys, time
from pathlib import Path
HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from readers_lib import open_reader

ap = argparse.ArgumentParser()
ap.add_argument("--src", required=True)
ap.add_argument("--passes", type=int, default=10)
ap.add_argument("--batch", type=int, default=2000)
ap.add_argument("--retry", type=int, default=0)
args = ap.parse_args()
work = Path("runs/two-writers")
if work.exists():
    shutil.rmtree(work)
work.mkdir(parents=True)
shutil.copy(Path(args.src) / "meta.sqlite", work / "meta.sqlite")
shutil.copytree(Path(args.src) / "lake", work / "lake")
if os.environ.get("LAKE_WAL"):  # set once here: the writers must not race on the PRAGMA
    import sqlite3
    c = sqlite3.connect(work / "meta.sqlite"); c.execute("PRAGMA journal_mode=WAL"); c.close()
    os.environ.pop("LAKE_WAL")
con = open_reader("lake", str(work)); base = con.execute("SELECT count(*) FROM items").fetchone()[0]; con.close()
py = sys.executable
procs = []
t0 = time.time()
for k, off in enumerate([0, 500_000_000]):
    cmd = [py, str(HERE / "writer.py"), "--backend", "lake", "--path", str(work), "--passes", str(args.passes),
           "--batch", str(args.batch), "--retry", str(args.retry), "--seed", str(k)]
    if off:
        cmd += ["--id-offset", str(off)]
    procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
outs = [p.communicate() for p in procs]
elapsed = time.time() - t0
res = {"retry": args.retry, "passes_each": args.passes, "elapsed_s": round(elapsed, 1), "writers": []}
new_total = 0
for p, (out, err) in zip(procs, outs):
    recs = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    ok = [r for r in recs if "error" not in r]
    new_total += sum(r["new"] for r in ok)
    res["writers"].append({"rc": p.returncode, "passes_ok": len(ok), "conflict_retries": sum(r.get("conflicts", 0) for r in recs),
                           "errors": [r["error"][:400] for r in recs if "error" in r][:3],
                           "conflict_messages": sorted({r["last_conflict"][:250] for r in recs if r.get("last_conflict")})[:3],
                           "pass_s_p50": sorted(r["pass_s"] for r in ok)[len(ok) // 2] if ok else None})
con = open_reader("lake", str(work))
final = con.execute("SELECT count(*), count(DISTINCT id) FROM items").fetchone()
# (new_total undercounts: a writer's 'updates' of ids in the other writer's gap are inserted as new rows)
res.update({"items_final": final[0], "distinct_ids": final[1], "no_duplicate_ids": final[0] == final[1],
            "stderr_tail": [e.strip().splitlines()[-1][:300] for _, e in outs if e.strip()]})
print(json.dumps(res))
Path("results").mkdir(exist_ok=True)
with open("results/two_writers.jsonl", "a") as f:
    f.write(json.dumps(res) + "\n")
shutil.rmtree(work)
