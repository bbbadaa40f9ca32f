"""A reader process for the concurrency runs: loops until --duration, checking for torn reads.

Each iteration: the CHECK query (one statement = one snapshot): items count, max(passes.items_total), max pass,
story_items without their item, enrichments without their item; then one of the analysts' queries in turn,
and every 5th iteration an export (COPY of the newest day's items with enrichments to Parquet).
--mode long: one connection for the whole run (web page, digest); re-points when the snapshot changes.
--mode cli:  a new connection per iteration (a CLI command, an analyst's script).
Prints one JSON summary.
"""
import argparse, json, os, signal, sys, time, tempfile
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
import duckdb
from readers_lib import QUERIES, CHECK, CHECK_LIGHT, CHECK_LIGHT_SCAN, open_reader, point_views

ap = argparse.ArgumentParser()
ap.add_argument("--backend", required=True)
ap.add_argument("--path", required=True)
ap.add_argument("--duration", type=float, default=30)
ap.add_argument("--mode", choices=["long", "cli"], default="long")
ap.add_argument("--pause", type=float, default=0.0)
ap.add_argument("--light", action="store_true", help="check only the newest 100k ids")
ap.add_argument("--scan-count", action="store_true", help="count items with sum(1), not count(*)")
ap.add_argument("--queries", default="trends_week,top_entities_week,digest_hour")
args = ap.parse_args()

qnames = args.queries.split(",") if args.queries else []
lat = {k: [] for k in ["open", "check", "export"] + qnames}
errors, violations = {}, []
last_count, last_pass = -1, -1
iters = 0
con, version = None, None
out_file = os.path.join(tempfile.mkdtemp(prefix="reader-"), "export.parquet")
t_end = time.time() + args.duration
staleness = []
stop = []
signal.signal(signal.SIGTERM, lambda *a: stop.append(1))


def current_version():
    if args.backend in ("parquet", "snapfile"):
        return Path(args.path, "CURRENT").read_text().strip()
    return None


while time.time() < t_end and not stop:
    iters += 1
    try:
        if con is None or args.mode == "cli" or current_version() != version:
            t = time.perf_counter()
            if con is not None and args.backend == "parquet" and args.mode == "long":
                version = point_views(con, args.path)
            else:
                if con is not None:
                    con.close()
                version = current_version()
                con = open_reader(args.backend, args.path)
            lat["open"].append(time.perf_counter() - t)
        t = time.perf_counter()
        n_items, total, max_pass, orphans_si, orphans_en = con.execute((CHECK_LIGHT_SCAN if args.scan_count else CHECK_LIGHT) if args.light else CHECK).fetchone()
        lat["check"].append(time.perf_counter() - t)
        if n_items < last_count:
            violations.append(f"count went back {last_count} -> {n_items}")
        if n_items != total:
            violations.append(f"items {n_items} != passes.items_total {total} (half a pass visible)")
        if orphans_si or orphans_en:
            violations.append(f"orphans story_items={orphans_si} enrichments={orphans_en}")
        if max_pass is not None and max_pass < last_pass:
            violations.append(f"pass went back {last_pass} -> {max_pass}")
        last_count, last_pass = n_items, (max_pass or 0)
        # staleness: how old is the newest pass this reader sees
        ts = con.execute("SELECT epoch(max(finished_at)) FROM passes").fetchone()[0]
        if ts and max_pass:
            staleness.append(time.time() - ts)
        if qnames:
            q = qnames[iters % len(qnames)]
            t = time.perf_counter(); con.execute(QUERIES[q]).fetchall(); lat[q].append(time.perf_counter() - t)
        if iters % 5 == 0:
            t = time.perf_counter()
            con.execute(f"""COPY (SELECT i.*, e.tone, e.relevant FROM items i LEFT JOIN enrichments e ON e.item_id = i.id
                          WHERE i.published_at >= TIMESTAMP '2016-04-20 20:00') TO '{out_file}' (FORMAT parquet)""")
            lat["export"].append(time.perf_counter() - t)
    except Exception as exc:  # count every kind of failure by its first line
        key = f"{type(exc).__name__}: {str(exc).splitlines()[0][:150]}"
        errors[key] = errors.get(key, 0) + 1
        try:
            con.close()
        except Exception:
            pass
        con = None
        time.sleep(0.05)
    if args.pause:
        time.sleep(args.pause)


def pct(xs, p):
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(len(xs) * p))] * 1000, 1) if xs else None


print(json.dumps({
    "backend": args.backend, "mode": args.mode, "iterations": iters, "errors": errors,
    "violations": violations[:10], "n_violations": len(violations), "last_count": last_count, "last_pass": last_pass,
    "latency_ms": {k: {"n": len(v), "p50": pct(v, 0.5), "p95": pct(v, 0.95)} for k, v in lat.items()},
    "staleness_s": {"p50": round(sorted(staleness)[len(staleness) // 2], 2) if staleness else None,
                    "max": round(max(staleness), 2) if staleness else None},
}))
