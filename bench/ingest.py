"""Benchmark: parse + normalise + store throughput of the ingest path, and the store alone.

Generates a large feed set in memory (RSS and Atom, with HTML in the text), parses every feed with the
RSS monitor's parser, stores each as one fetch (items, fetch row, problems, cursor in one transaction),
then measures bulk upserts alone. Prints items per second and peak memory. No network.

    .venv/bin/python bench/ingest.py [--feeds 200] [--items 100]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from mediebild.data.store import Store
from mediebild.items import Item, item_id
from mediebild.monitors.base import FetchResult, SourceConfig
from mediebild.monitors.rss import parse_feed

NOW = datetime(2026, 3, 24, 12, 0, tzinfo=timezone.utc)
WORDS = ("polisen explosion bryssel flygplatsen tunnelbanan svenskar skadade UD Arlanda säkerhet "
         "larmet evakuerades vittnen uppgifter bekräftar regeringen krisinformation trafiken").split()


def make_rss(feed: int, n: int) -> bytes:
    items = []
    for i in range(n):
        t = NOW - timedelta(minutes=i)
        body = " ".join(WORDS[(feed + i + k) % len(WORDS)] for k in range(60))
        items.append(
            f"<item><title>&lt;b&gt;Rubrik {feed}-{i}&lt;/b&gt; om {WORDS[i % len(WORDS)]}</title>"
            f"<link>https://feed{feed}.example.se/nyheter/{i}?utm_source=rss</link>"
            f"<guid>f{feed}-{i}</guid><pubDate>{t.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
            f"<description><![CDATA[<p>{body}</p>]]></description></item>"
        )
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Flöde {feed}</title>'
            f'<link>https://feed{feed}.example.se/</link>{"".join(items)}</channel></rss>').encode()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=100, help="items per feed")
    parser.add_argument("--store-items", type=int, default=200_000)
    args = parser.parse_args()

    feeds = [make_rss(f, args.items) for f in range(args.feeds)]
    total = args.feeds * args.items
    megabytes = sum(map(len, feeds)) / 1e6
    sources = [SourceConfig(id=f"feed{f}", monitor="rss", url=f"https://feed{f}.example.se/rss", name=f"Flöde {f}")
               for f in range(args.feeds)]

    t = time.perf_counter()
    parsed = [parse_feed(body, source=src, fetched=FetchResult(url=src.url, status=200, body=body), now=NOW)
              for body, src in zip(feeds, sources)]
    parse_s = time.perf_counter() - t
    assert sum(len(p.items) for p in parsed) == total

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "bench.duckdb", create=True)
        for src in sources:
            store.upsert_source(src)
        t = time.perf_counter()
        for src, result in zip(sources, parsed):
            store.record_fetch(source_id=src.id, run_id="bench", started_at=NOW, finished_at=NOW, http_status=200,
                               size=0, not_modified=False, items=result.items, problems=result.problems, ok=True,
                               cursor=result.cursor)
        write_s = time.perf_counter() - t
        t = time.perf_counter()
        for src, result in zip(sources, parsed):  # the same again: everything is "seen", nothing new
            store.record_fetch(source_id=src.id, run_id="bench2", started_at=NOW, finished_at=NOW, http_status=200,
                               size=0, not_modified=False, items=result.items, problems=[], ok=True, cursor=None)
        rewrite_s = time.perf_counter() - t
        assert store.count("items") == total

        batch = 10_000
        t = time.perf_counter()
        for start in range(0, args.store_items, batch):
            items = [Item(id=item_id(canonical=f"https://bulk.example.se/{i}"), source="feed0", kind="social",
                          url=f"https://bulk.example.se/{i}", title=f"Inlägg {i}", text=WORDS[i % len(WORDS)] * 5,
                          author="@namn", published_at=NOW, fetched_at=NOW) for i in range(start, start + batch)]
            with store.transaction():
                store.upsert_items(items)
        bulk_s = time.perf_counter() - t
        store.close()

    print(f"feeds: {args.feeds} x {args.items} items = {total:,} items, {megabytes:.1f} MB of RSS")
    print(f"parse + normalise:          {total / parse_s:10,.0f} items/s  ({parse_s:.2f} s)")
    print(f"store, one fetch per feed:  {total / write_s:10,.0f} items/s  ({write_s:.2f} s, first sight)")
    print(f"store, same feeds again:    {total / rewrite_s:10,.0f} items/s  ({rewrite_s:.2f} s, all seen)")
    print(f"parse + normalise + store:  {total / (parse_s + write_s):10,.0f} items/s")
    print(f"store alone, 10k batches:   {args.store_items / bulk_s:10,.0f} items/s  ({args.store_items:,} items incl. building Items)")
    print(f"peak memory:                {peak_mb():10,.0f} MB")


if __name__ == "__main__":
    main()
