"""Benchmark: the shared intake (issue 15). Items/s that 1, 2 and 4 worker processes write into the Postgres
intake, then what one writer pulls from it into a fresh DuckDB store; the embedded store's own record_fetch for
comparison. Prints figures only.

Each worker stores --items items as fetches of --batch items (one feed read: one transaction with its fetch row
and cursor); a share --overlap of every batch is wire copies that every worker stores too (the same ids), so
the ON CONFLICT path is measured under contention. Texts are about 600 characters, like an article's summary.

    .venv/bin/python bench/intake.py [--items 20000] [--batch 100] [--overlap 0.2] [--procs 1,2,4]

It starts a throwaway PostgreSQL on 127.0.0.1 (tests/pg_server.py: Debian's binaries, fsync on, the defaults
otherwise), one fresh database per run, and removes it afterwards. Workers and the server share the machine's
cores, as they would not in a deployment: read the figures as a floor.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from mediebild.items import Item, content_hash

NOW = datetime(2026, 3, 22, 9, 0, tzinfo=timezone.utc)
WORDS = ("polisen explosion bryssel flygplatsen tunnelbanan svenskar skadade UD Arlanda säkerhet larmet "
         "evakuerades vittnen uppgifter bekräftar regeringen krisinformation trafiken").split()


def make_item(item_id: str, source: str, n: int) -> Item:
    text = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(70))
    title = f"Rubrik {item_id}"
    return Item(id=item_id, source=source, kind="editorial", url=f"https://{source}.example.se/{item_id}",
                title=title, text=text, author=None, published_at=NOW - timedelta(seconds=n), fetched_at=NOW,
                lang="sv", content_hash=content_hash(title, text), raw={"guid": item_id})


def batches(worker: int, items: int, batch: int, overlap: float) -> list[list[Item]]:
    shared = int(batch * overlap)
    out = []
    for b in range(items // batch):
        wire = [make_item(f"wire-{b}-{k}", f"w{worker}", k) for k in range(shared)]
        own = [make_item(f"w{worker}-{b}-{k}", f"w{worker}", k) for k in range(batch - shared)]
        out.append(wire + own)
    return out


def record(store, source: str, items: list[Item]) -> tuple[int, object]:
    return store.record_fetch(source_id=source, run_id="bench", started_at=NOW, finished_at=NOW, http_status=200,
                              size=50_000, not_modified=False, items=items, problems=[], ok=True,
                              cursor={"etag": f'"{len(items)}"'}, url=f"https://{source}.example.se/rss")


def worker(url: str, index: int, args: argparse.Namespace, ready, start, results) -> None:
    from mediebild.data.intake import SharedIntake

    work = batches(index, args.items, args.batch, args.overlap)
    with SharedIntake.open(url, create=False) as intake:
        ready.release()
        start.wait()
        t0 = time.perf_counter()
        new = 0
        for items in work:
            _, counts = record(intake, f"w{index}", items)
            new += counts.new
        results.put((index, time.perf_counter() - t0, sum(map(len, work)), new))


def fresh_intake(server, name: str) -> str:
    """A new database holding an intake with the workers' sources; its URL."""
    from mediebild.data.intake import SharedIntake
    from mediebild.data.store import Store
    from mediebild.monitors.base import SourceConfig

    url: str = server.create_db(name)
    writer = Store.memory()
    for p in range(8):
        writer.upsert_source(SourceConfig(id=f"w{p}", monitor="rss", url=f"https://w{p}.example.se/rss", name=f"w{p}"))
    with SharedIntake.open(url) as intake:
        intake.push_from(writer)
    return url


def run(server, procs: int, args: argparse.Namespace) -> None:
    from mediebild.data.intake import SharedIntake, pull_intake
    from mediebild.data.store import Store

    url = fresh_intake(server, f"bench{procs}")
    ctx = mp.get_context("fork")
    ready, start, results = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    children = [ctx.Process(target=worker, args=(url, i, args, ready, start, results)) for i in range(procs)]
    for c in children:
        c.start()
    for _ in children:
        ready.acquire()  # every worker has its items made and its connection open
    t0 = time.perf_counter()
    start.set()
    done = [results.get() for _ in children]
    wall = time.perf_counter() - t0
    for c in children:
        c.join()
    written = sum(d[2] for d in done)
    new = sum(d[3] for d in done)
    with SharedIntake.open(url) as intake:
        rows = intake.counts()["items"]
    expected = int(args.batch * args.overlap) * (args.items // args.batch) + procs * (
        args.batch - int(args.batch * args.overlap)) * (args.items // args.batch)
    check = "ok" if rows == new == expected else f"MISMATCH rows {rows} new {new} expected {expected}"
    print(f"{procs} worker(s): {written:>7,} items written in {wall:6.2f} s = {written / wall:>8,.0f} items/s "
          f"({written / args.batch / wall:,.0f} fetches/s); {rows:,} rows, each id once: {check}")
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "w.duckdb", create=True) as store, \
            SharedIntake.open(url) as intake:
        result = pull_intake(store, intake)
        print(f"   pull into DuckDB: {result.items:,} items + {result.fetches:,} fetches in {result.seconds:.2f} s = "
              f"{result.items / result.seconds:,.0f} items/s")


def embedded(args: argparse.Namespace) -> None:
    from mediebild.data.store import Store

    work = batches(0, args.items, args.batch, args.overlap)
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "e.duckdb", create=True) as store:
        from mediebild.monitors.base import SourceConfig

        store.upsert_source(SourceConfig(id="w0", monitor="rss", url="https://w0.example.se/rss", name="w0"))
        t0 = time.perf_counter()
        for items in work:
            record(store, "w0", items)
        wall = time.perf_counter() - t0
    n = sum(map(len, work))
    print(f"embedded DuckDB, 1 process: {n:,} items in {wall:.2f} s = {n / wall:,.0f} items/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000, help="items each worker stores")
    parser.add_argument("--batch", type=int, default=100, help="items per fetch")
    parser.add_argument("--overlap", type=float, default=0.2, help="share of each batch every worker stores")
    parser.add_argument("--procs", default="1,2,4")
    args = parser.parse_args()
    print(f"cpu count {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}; {args.items:,} items per worker, "
          f"{args.batch} per fetch, {args.overlap:.0%} wire copies shared by all workers")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import pg_server

    server = pg_server.start(fsync=True)
    os.environ["PGPASSWORD"] = pg_server.PASSWORD
    print(f"PostgreSQL {server.bin.parent.name}, 127.0.0.1:{server.port}, fsync on")
    try:
        embedded(args)
        for procs in (int(p) for p in args.procs.split(",")):
            run(server, procs, args)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
