"""Benchmark: a scaled-out ingest pass with 1, 2 and 4 `mediebild worker` processes on this machine.

Starts a local Prefect server (flows.serve.prefect_api), serves `--feeds` generated RSS feeds of `--items` items
from a local threaded HTTP server (each answer after `--delay` seconds, as a real newsroom's server takes), and for
each worker count: a fresh database, `deploy`, N workers (`mediebild worker --limit 2`), one pass
(`fan_out_ingest`, groups of `--group-size`). Prints items per second of the pass (from its start to its last
publish) and the write latency readers see: from the moment the feed server answered a feed to the moment its items
were in the published snapshot, read by a reader polling every 0.2 s (median and max over the feeds). No network.

    .venv/bin/python bench/scale.py [--workers 1,2,4] [--feeds 64] [--items 40] [--delay 0.2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def rss(run: int, feed: int, n: int) -> bytes:
    items = "".join(
        f"<item><title>Körning {run} flöde {feed} nyhet {i}</title><link>https://feed{feed}.example.se/{run}/{i}</link>"
        f"<guid>r{run}-f{feed}-{i}</guid><pubDate>{format_datetime(NOW - timedelta(minutes=i))}</pubDate>"
        f"<description>Polisen meddelar nytt om Centralen, uppgift {i} i flöde {feed}.</description></item>"
        for i in range(n))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Flöde {feed}</title>'
            f"{items}</channel></rss>").encode()


def feed_server(items: int, delay: float) -> tuple[ThreadingHTTPServer, dict[str, float]]:
    served: dict[str, float] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # /run/feed.xml
            time.sleep(delay)
            run, feed = (int(p) for p in self.path.strip("/").removesuffix(".xml").split("/"))
            body = rss(run, feed, items)
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            served[f"feed-{run}-{feed:03d}"] = time.time()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, served


def wait_for_workers(n: int, pool: str = "mediebild", timeout: float = 120) -> None:
    from prefect import get_client

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            online = [w for w in client.read_workers_for_work_pool(pool)
                      if str(getattr(w.status, "value", w.status)).upper() == "ONLINE" and w.name.startswith("bench-")]
            if len(online) >= n:
                return
            time.sleep(0.5)
    raise SystemExit(f"{n} workers did not come online within {timeout:.0f} s")


def one_run(run: int, workers: int, args: argparse.Namespace, base: str, served: dict[str, float],
            root: Path) -> dict[str, float]:
    from mediebild.data.snapshot import publish_database
    from mediebild.data.snapshot_read import open_snapshot
    from mediebild.data.store import Store
    from mediebild.flows.fanout import fan_out_ingest
    from mediebild.flows.scale import deploy
    from mediebild.monitors.base import SourceConfig

    db = root / f"scale-{workers}.duckdb"
    with Store.open(db, create=True) as store:
        for k in range(args.feeds):
            store.upsert_source(SourceConfig(f"feed-{run}-{k:03d}", "rss", f"{base}/{run}/{k}.xml", f"Flöde {run}-{k}"))
    publish_database(db)
    deploy(str(db), every_minutes=60)
    env = {**os.environ, "MEDIEBILD_DB": str(db)}
    procs = [subprocess.Popen([sys.executable, "-m", "mediebild.cli", "worker", "--db", str(db), "--name",
                               f"bench-{run}-{k}", "--limit", "2", "--heartbeat", "5", "--poll", "1"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for k in range(workers)]
    seen: dict[str, float] = {}
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            with open_snapshot(db, refresh=False) as snap:
                rows = snap.con.execute("SELECT source_id, count(*) FROM items GROUP BY ALL").fetchall()
            now = time.time()
            for source, count in rows:
                if count >= args.items and source not in seen:
                    seen[source] = now
            time.sleep(0.2)

    try:
        wait_for_workers(workers)
        reading = threading.Thread(target=reader, daemon=True)
        reading.start()
        t0 = time.monotonic()
        result = fan_out_ingest(str(db), group_size=args.group_size, concurrency=args.concurrency, retries=0,
                                publish_every_s=args.publish_every)
        elapsed = time.monotonic() - t0
        time.sleep(0.5)
        stop.set()
        reading.join(timeout=10)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
    latencies = [seen[s] - served[s] for s in seen if s in served]
    items = result.summary.items_new
    return {"workers": workers, "items": items, "seconds": elapsed, "items_per_s": items / elapsed,
            "groups": result.runs, "latency_median": statistics.median(latencies) if latencies else float("nan"),
            "latency_max": max(latencies) if latencies else float("nan"), "failed": len(result.summary.failed)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--feeds", type=int, default=64)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--delay", type=float, default=0.2, help="seconds each feed takes to answer")
    parser.add_argument("--group-size", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=4, help="threads per group run")
    parser.add_argument("--publish-every", type=float, default=10.0)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="mediebild-scale-"))
    os.environ.setdefault("PREFECT_HOME", str(root / ".prefect"))
    from mediebild.flows import configure_prefect

    configure_prefect(root / "x.duckdb")
    os.environ.pop("PREFECT_API_URL", None)
    from mediebild.flows.serve import prefect_api

    server, served = feed_server(args.items, args.delay)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"{args.feeds} feeds x {args.items} items, {args.delay} s per answer, groups of {args.group_size}, "
          f"{args.concurrency} threads per group, snapshot published every {args.publish_every} s; {os.cpu_count()} cores")
    print(f"{'workers':>7} {'items':>6} {'s':>6} {'items/s':>8} {'groups':>6} {'latency median':>15} {'max':>6}")
    with prefect_api(wait=180):
        for run, n in enumerate(int(w) for w in args.workers.split(",")):
            row = one_run(run, n, args, base, served, root)
            print(f"{row['workers']:>7} {row['items']:>6} {row['seconds']:>6.1f} {row['items_per_s']:>8.0f} "
                  f"{row['groups']:>6.0f} {row['latency_median']:>14.1f}s {row['latency_max']:>5.1f}s"
                  + (f"  ({row['failed']:.0f} sources failed)" if row["failed"] else ""), flush=True)
    server.shutdown()


if __name__ == "__main__":
    main()
