"""Benchmark: build and render one hourly digest with 1,000,000 items stored; and the PDF's render time.

Generates the items inside DuckDB (`INSERT ... SELECT` from range(), not row by row) over 48 hours and
200 sources, in arrival order as ingest writes them (so DuckDB's zone maps work as in real use), with agency copies, enrichment rows for every item and entities for one in ten, plus a fetch
row per source and hour (some failing). Then times, for one busy hour: gathering the data (build_digest),
rendering HTML + Markdown + JSON, rendering the PDF, and the whole make_digest (render + store). Prints
figures; asserts nothing.

    .venv/bin/python bench/digest.py              # 1,000,000 items in a temporary file
    .venv/bin/python bench/digest.py --items 200000 --keep /tmp/bench.duckdb
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from mediebild.data.store import Store
from mediebild.flows.digest import make_digest
from mediebild.reports.digest import build_digest
from mediebild.reports.render import render_all

START = datetime(2016, 3, 21, 0, tzinfo=timezone.utc)
HOURS = 48
SOURCES = 200


def populate(store: Store, n: int) -> float:
    t0 = time.perf_counter()
    con = store.con
    seconds = HOURS * 3600
    start = START.replace(tzinfo=None)
    with store.transaction():
        con.execute(
            """INSERT INTO sources (id, monitor, url, name, item_kind, added_at)
               SELECT 'src-' || i, 'rss', 'https://s' || i || '.example.se/rss', 'Källa ' || i,
                      CASE WHEN i % 10 = 0 THEN 'official' WHEN i % 3 = 0 THEN 'social' ELSE 'editorial' END, ?
               FROM range(?) t(i)""",
            [start, SOURCES],
        )
        con.execute(
            f"""INSERT INTO items (id, source_id, kind, url, title, text, author, published_at, fetched_at,
                                  first_seen_at, version, lang, content_hash)
                SELECT 'it-' || i, 'src-' || (i % {SOURCES}),
                       CASE WHEN i % {SOURCES} % 10 = 0 THEN 'official' WHEN i % {SOURCES} % 3 = 0 THEN 'social' ELSE 'editorial' END,
                       'https://s' || (i % {SOURCES}) || '.example.se/a/' || i,
                       'Rubrik ' || (i % 5000) || ': läget vid Zaventem och i Bryssel',
                       'Brödtext om händelsen nummer ' || (i % 5000) || '. Polisen uppmanar allmänheten att undvika området.',
                       NULL,
                       ?::TIMESTAMP + to_seconds((i * {seconds}) // ? + (i * 7919) % 300),
                       ?::TIMESTAMP + to_seconds((i * {seconds}) // ? + 360),
                       ?::TIMESTAMP + to_seconds((i * {seconds}) // ? + 360),
                       1, 'sv', 'h' || (i % 400000)
                FROM range(?) t(i)""",
            [start, n, start, n, start, n, n],
        )
        con.execute(
            f"""INSERT INTO fetches (source_id, started_at, finished_at, http_status, ok, problem)
                SELECT 'src-' || s, ?::TIMESTAMP + to_seconds(h * 3600 + 120), ?::TIMESTAMP + to_seconds(h * 3600 + 121),
                       CASE WHEN (s + h) % 37 = 0 THEN 500 ELSE 200 END, (s + h) % 37 <> 0,
                       CASE WHEN (s + h) % 37 = 0 THEN 'http_500: Internal Server Error' END
                FROM range({SOURCES}) a(s), range({HOURS}) b(h)""",
            [start, start],
        )
        con.execute(
            """INSERT INTO enrichments (item_id, enriched_at, model_version, lang, relevance, relevant, info_type, tone)
               SELECT 'it-' || i, now()::TIMESTAMP, 'bench', 'sv', (i % 100) / 100.0, i % 3 <> 0,
                      ['caution_and_advice', 'affected_individuals', 'infrastructure_and_utilities',
                       'sympathy_and_support', 'not_applicable'][1 + i % 5], ['negative', 'neutral'][1 + i % 2]
               FROM range(?) t(i)""",
            [n],
        )
        con.execute(
            """INSERT INTO entities (item_id, label, text, norm_id)
               SELECT 'it-' || i, CASE WHEN i % 2 = 0 THEN 'LOC' ELSE 'ORG' END,
                      ['Zaventem', 'Bryssel', 'Maalbeek', 'Polisen', 'SAS', 'UD'][1 + i % 6], NULL
               FROM range(0, ?, 10) t(i)""",
            [n],
        )
    return time.perf_counter() - t0


def timed(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="write the database here instead of a temporary file")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench.duckdb"
        if path.exists():
            path.unlink()
        store = Store.open(path, create=True)
        load = populate(store, args.items)
        total = store.count("items")
        print(f"items stored:                  {total:>10,}  in {load:6.2f} s  ({total / load:,.0f} items/s, INSERT ... SELECT)")
        hour = START + timedelta(hours=30)
        end = hour + timedelta(hours=1)
        in_hour = store.con.execute(
            "SELECT count(*) FROM items WHERE published_at >= ? AND published_at < ?",
            [hour.replace(tzinfo=None), end.replace(tzinfo=None)]).fetchone()[0]
        print(f"items in the digest's hour:    {in_hour:>10,}")

        build, data = timed(lambda: build_digest(store.con, period_start=hour, period_end=end), args.repeat)
        render, docs = timed(lambda: render_all(data, ("html", "md", "json")), args.repeat)
        pdf, pdf_docs = timed(lambda: render_all(data, ("pdf",)), args.repeat)
        whole, _ = timed(lambda: make_digest(store, period_start=hour, period_end=end), 1)
        print(f"build digest data (queries):   {build:10.3f} s  (median of {args.repeat})")
        print(f"render HTML + Markdown + JSON: {render:10.3f} s  "
              f"({len(docs['html']):,} / {len(docs['md']):,} / {len(docs['json']):,} bytes)")
        print(f"build + render (no PDF):       {build + render:10.3f} s  (goal <= 5 s)")
        print(f"render PDF (WeasyPrint):       {pdf:10.3f} s  ({len(pdf_docs['pdf']):,} bytes)")
        print(f"make_digest, all 4 formats:    {whole:10.3f} s  (build, render, PDF, store in DuckDB)")
        store.close()


if __name__ == "__main__":
    main()
