"""One writer process and R reader processes at once; prints the writer's throughput and each reader's summary.

  .venv/bin/python  scripts/concurrent.py --backend lake --src runs/base1m --readers 2 --passes 20 --batch 2000
  .venv2/bin/python scripts/concurrent.py --backend parquet --src runs/base1m --publish parquet-incr ...
  --readers 0 gives the writer alone (the baseline for 'ingest throughput with readers').
The store is copied from --src into a fresh folder first.
"""
import argparse, json, os, shutil, subprocess, sys, time
from pathlib import Path
HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

ap = argparse.ArgumentParser()
ap.add_argument("--backend", choices=["lake", "parquet", "snapfile"], required=True)
ap.add_argument("--src", required=True)
ap.add_argument("--work", default=None)
ap.add_argument("--readers", type=int, default=2)
ap.add_argument("--reader-modes", default="long,cli")
ap.add_argument("--passes", type=int, default=20)
ap.add_argument("--batch", type=int, default=2000)
ap.add_argument("--sleep", type=float, default=1.0)
ap.add_argument("--publish", default="none")
ap.add_argument("--reader-pause", type=float, default=0.2)
ap.add_argument("--label", default="")
ap.add_argument("--wal", action="store_true", help="lake: put the SQLite catalog in WAL mode first")
ap.add_argument("--light", action="store_true", help="readers check only the newest 100k ids")
ap.add_argument("--scan-count", action="store_true", help="readers count with sum(1)")
args = ap.parse_args()

work = Path(args.work or f"runs/conc-{args.backend}-{os.getpid()}")
if work.exists():
    shutil.rmtree(work)
work.mkdir(parents=True)
py = sys.executable
if args.backend == "lake":
    shutil.copy(Path(args.src) / "meta.sqlite", work / "meta.sqlite")
    shutil.copytree(Path(args.src) / "lake", work / "lake")
    if args.wal:
        import sqlite3
        c = sqlite3.connect(work / "meta.sqlite"); print("journal_mode", c.execute("PRAGMA journal_mode=WAL").fetchone()); c.close()
    wcmd = [py, str(HERE / "writer.py"), "--backend", "lake", "--path", str(work)]
    rpath = str(work)
else:
    shutil.copy(Path(args.src) / "plain.duckdb", work / "plain.duckdb")
    snap = work / "snap"
    mode = args.publish if args.publish != "none" else ("filecopy" if args.backend == "snapfile" else "parquet-incr")
    # the first snapshot before readers start (what `init`/migration would publish)
    subprocess.run([py, str(HERE / "writer.py"), "--backend", "plain", "--path", str(work / "plain.duckdb"), "--passes", "1",
                    "--batch", "10", "--publish", mode, "--snapdir", str(snap)], check=True, capture_output=True)
    wcmd = [py, str(HERE / "writer.py"), "--backend", "plain", "--path", str(work / "plain.duckdb"),
            "--publish", mode, "--snapdir", str(snap)]
    rpath = str(snap)
wcmd += ["--passes", str(args.passes), "--batch", str(args.batch), "--sleep", str(args.sleep), "--log", str(work / "writer.jsonl")]

t0 = time.time()
writer = subprocess.Popen(wcmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
time.sleep(0.5)
modes = args.reader_modes.split(",")
readers = []
for k in range(args.readers):
    readers.append(subprocess.Popen([py, str(HERE / "reader.py"), "--backend", args.backend, "--path", rpath,
                                     "--duration", "100000", "--mode", modes[k % len(modes)], "--pause", str(args.reader_pause)] + (["--light"] if args.light else []) + (["--scan-count"] if args.scan_count else []),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
wout, werr = writer.communicate()
reader_out = []
for r in readers:  # SIGTERM: a reader finishes its iteration and prints its summary
    r.terminate()
for r in readers:
    out, err = r.communicate()
    lines = [l for l in out.splitlines() if l.startswith("{")]
    reader_out.append(json.loads(lines[-1]) if lines else {"rc": r.returncode, "stderr": err[-400:]})
elapsed = time.time() - t0
print("writer stderr:", werr[-500:]) if writer.returncode else None
recs = [json.loads(l) for l in wout.splitlines() if l.startswith("{")]
ok = [r for r in recs if "error" not in r]
rows = sum(r["rows"] for r in ok)
busy = sum(r["pass_s"] + r.get("publish_s", 0) for r in ok)
summary = {"label": args.label, "wal": args.wal, "light": args.light, "scan_count": args.scan_count, "backend": args.backend, "publish": args.publish, "readers": args.readers, "passes": len(ok),
           "batch": args.batch, "writer_rc": writer.returncode,
           "rows_per_busy_s": round(rows / busy) if busy else None,
           "pass_s_p50": sorted(r["pass_s"] for r in ok)[len(ok) // 2] if ok else None,
           "pass_s_p95": sorted(r["pass_s"] for r in ok)[int(len(ok) * 0.95)] if ok else None,
           "publish_s_p50": sorted(r.get("publish_s", 0) for r in ok)[len(ok) // 2] if ok else None,
           "publish_s_max": max((r.get("publish_s", 0) for r in ok), default=None),
           "elapsed_s": round(elapsed, 1)}
summary["readers_out"] = reader_out
summary["reader_errors"] = sum(sum(r.get("errors", {}).values()) for r in reader_out)
summary["reader_violations"] = sum(r.get("n_violations", 0) for r in reader_out)
print(json.dumps(summary))
Path("results").mkdir(exist_ok=True)
with open("results/concurrent.jsonl", "a") as f:
    f.write(json.dumps(summary) + "\n")
shutil.rmtree(work)
