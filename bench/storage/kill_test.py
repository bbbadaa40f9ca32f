"""SIGKILL the writer at random moments (mid-write, mid-commit, mid-publish) and check what readers see after.

  .venv/bin/python  scripts/kill_test.py --backend lake    --src runs/base1m --kills 15
  .venv2/bin/python scripts/kill_test.py --backend parquet --src runs/base1m --kills 15   (publish parquet-incr)
  .venv2/bin/python scripts/kill_test.py --backend snapfile --src runs/base1m --kills 15  (publish filecopy)
After each kill: a fresh reader must open, see items == passes.items_total (no half pass), no orphans, a count
not below the one before the kill; then the writer must restart and finish one more pass (recovery).
A long-lived reader runs throughout and must see no error and no violation.
"""
import argparse, json, os, random, shutil, signal, subprocess, sys, time
from pathlib import Path
HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from readers_lib import CHECK, open_reader
from common import dir_size

ap = argparse.ArgumentParser()
ap.add_argument("--backend", choices=["lake", "parquet", "snapfile"], required=True)
ap.add_argument("--src", required=True)
ap.add_argument("--kills", type=int, default=15)
ap.add_argument("--batch", type=int, default=3000)
ap.add_argument("--seed", type=int, default=7)
ap.add_argument("--wal", action="store_true", help="lake: SQLite catalog in WAL mode")
args = ap.parse_args()
rng = random.Random(args.seed)
work = Path(f"runs/kill-{args.backend}")
if work.exists():
    shutil.rmtree(work)
work.mkdir(parents=True)
py = sys.executable
if args.backend == "lake":
    shutil.copy(Path(args.src) / "meta.sqlite", work / "meta.sqlite")
    shutil.copytree(Path(args.src) / "lake", work / "lake")
    if args.wal:
        import sqlite3
        c = sqlite3.connect(work / "meta.sqlite"); c.execute("PRAGMA journal_mode=WAL"); c.close()
    wbase = [py, str(HERE / "writer.py"), "--backend", "lake", "--path", str(work)]
    rpath = str(work)
else:
    shutil.copy(Path(args.src) / "plain.duckdb", work / "plain.duckdb")
    mode = "parquet-incr" if args.backend == "parquet" else "filecopy"
    wbase = [py, str(HERE / "writer.py"), "--backend", "plain", "--path", str(work / "plain.duckdb"),
             "--publish", mode, "--snapdir", str(work / "snap")]
    subprocess.run(wbase + ["--passes", "1", "--batch", "10"], check=True, capture_output=True)
    rpath = str(work / "snap")

long_reader = subprocess.Popen([py, str(HERE / "reader.py"), "--backend", args.backend, "--path", rpath, "--duration", "100000",
                                "--mode", "long", "--pause", "0.1", "--queries", ""], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
results = []
prev_count = 0
for k in range(args.kills):
    w = subprocess.Popen(wbase + ["--passes", "1000", "--batch", str(args.batch)], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    delay = rng.uniform(0.3, 4.0)
    time.sleep(delay)
    w.send_signal(signal.SIGKILL)
    out, _ = w.communicate()
    done = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    rec = {"kill": k, "after_s": round(delay, 2), "passes_done_before_kill": len(done)}
    try:
        con = open_reader(args.backend, rpath)
        n, total, max_pass, o1, o2 = con.execute(CHECK).fetchone()
        con.close()
        rec.update({"items": n, "consistent": n == total and not o1 and not o2, "monotonic": n >= prev_count})
        prev_count = n
    except Exception as exc:
        rec["reader_error"] = str(exc).splitlines()[0][:200]
    r = subprocess.run(wbase + ["--passes", "1", "--batch", "500"], capture_output=True, text=True)
    rec["writer_recovers"] = r.returncode == 0
    if r.returncode:
        rec["writer_error"] = r.stderr.strip().splitlines()[-1][:200]
    results.append(rec)
    print(json.dumps(rec), flush=True)
long_reader.terminate()
lr_out, lr_err = long_reader.communicate()
lr = json.loads([l for l in lr_out.splitlines() if l.startswith("{")][-1]) if lr_out.strip() else {"stderr": lr_err[-300:]}
extra = {}
if args.backend == "lake":
    # parquet files that no snapshot references (written by a killed transaction)
    import duckdb
    from common import attach_lake
    con = duckdb.connect(); attach_lake(con, str(work / "meta.sqlite"), str(work / "lake") + "/")
    on_disk = dir_size(work / "lake")[1]
    try:
        orphans = con.execute("CALL ducklake_delete_orphaned_files('lake', dry_run => true)").fetchall()
        extra["orphaned_files_dry_run"] = len(orphans)
    except Exception as exc:
        extra["orphan_check_error"] = str(exc).splitlines()[0][:200]
    extra["files_on_disk"] = on_disk
else:
    extra["leftover_tmp"] = [p.name for p in (work / "snap").iterdir() if p.name.endswith(".tmp")]
summary = {"backend": args.backend, "wal": args.wal, "kills": len(results),
           "all_consistent": all(r.get("consistent") for r in results),
           "all_monotonic": all(r.get("monotonic") for r in results),
           "all_writer_recovered": all(r["writer_recovers"] for r in results),
           "reader_errors_after_kill": [r.get("reader_error") for r in results if r.get("reader_error")],
           "long_reader": {k: lr.get(k) for k in ("iterations", "errors", "n_violations", "violations")}, **extra}
print(json.dumps(summary))
Path("results").mkdir(exist_ok=True)
with open("results/kill_test.jsonl", "a") as f:
    f.write(json.dumps(summary) + "\n")
