"""Benchmark: the analysts' commands on 10,000,000 stored items while an ingest loop writes and publishes.

Generates the items inside DuckDB in the store's own schema (INSERT ... SELECT from range()): 300 sources with
a Zipf-like share, volume rising over 30 days, three kinds, Swedish/English/other languages, titles and texts
drawn from a skewed Swedish and English vocabulary (a few words very common, a long tail), hashtags in social
posts, an enrichment per item (lemmas, relevance, type, tone), about 1.5 entities per item from 2,000 names
with a skew, and every third item in a story. Then it publishes the first snapshot (and the search index) and
measures, through the same functions the commands use:

* trends: items per hour for a week, absolute and as a share (the rollups), and for a search query;
* top entities over the last 24 hours and the last week, and top sources (the rollups);
* a search (boolean, phrase, field filter), when the search index is installed;
* an export of 1,000,000 rows to Parquet and CSV (rows/s);
* ingest passes of 2,000 items each (write + publish) with and without the readers running.

Prints p50/p95 and peak memory; asserts nothing. The machine is shared, so read ratios, not last digits.

    .venv/bin/python bench/analysts.py                          # 10,000,000 items in bench-out/analysts
    .venv/bin/python bench/analysts.py --items 1000000 --repeat 10
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

START = datetime(2016, 3, 1, 0)
DAYS = 30
SOURCES = 300
WORDS = (
    "explosion polisen centralen bryssel stockholm tunnelbanan räddningstjänsten skadade evakuering sjukhus "
    "vittnen larm avspärrning trafik tåg flyg arlanda myndigheten regeringen ministern presskonferens uppgifter "
    "obekräftade bekräftar rykte säkerhet terror attack bomb misstänkt gripen utredning åklagare krisen stöd "
    "kommunen regionen länsstyrelsen information invånare uppmanar undvik området stängd öppnar igen ersättning "
    "bussar väntetider pendlare resenärer hemma skola barn föräldrar vård akut personal beredskap brand rök "
    "vatten el ström avbrott storm snö halka olycka väg bil buss lastbil död döda omkomna saknade sökande "
    "police station airport metro injured evacuation hospital witnesses alarm cordon traffic train flights "
    "government minister press conference reports unconfirmed confirms rumour security terror attack bomb "
    "suspect arrested investigation prosecutor crisis support city region residents urged avoid area closed "
    "reopens replacement buses delays commuters travellers home school children parents care emergency staff "
    "fire smoke water power outage storm snow ice accident road car bus truck dead killed missing search"
).split()
VOCAB_SQL = ("(SELECT list(w) FROM (SELECT unnest(" + repr(WORDS) + ") AS w "
             "UNION ALL SELECT 'ord' || range::VARCHAR FROM range(4000)))")


def _pick(seed: str, n: int = 1) -> str:
    """SQL choosing n words from vocab with a strong skew (a few words very common)."""
    return (f"array_to_string(list_transform(range({n}), lambda k: vocab[1 + floor(pow((hash({seed} + k) % 100000) "
            f"/ 100000.0, 3) * len(vocab))::INT]), ' ')")


def items_sql(a: int, b: int, n: int) -> str:
    hours = DAYS * 24
    return f"""
    WITH v AS (SELECT {VOCAB_SQL} AS vocab),
         r AS (SELECT range AS i, least({SOURCES - 1}, floor(pow(((hash(range * 7) % 1000000) / 1000000.0), 2.2)
                      * {SOURCES}))::INT AS s FROM range({a}, {b}))
    SELECT printf('it%010d', i) AS id, printf('src%03d', s) AS source_id,
           ['editorial', 'social', 'social', 'official'][1 + s % 4] AS kind,
           'https://example.org/' || i AS url,
           {_pick('i * 131', 8)} AS title,
           {_pick('i * 137', 30)} || CASE WHEN s % 4 IN (1, 2) THEN ' #' || {_pick('i * 139')}
               ELSE '' END AS text,
           'author' || (hash(i * 13) % 50000) AS author,
           TIMESTAMP '{START:%Y-%m-%d %H:%M:%S}' + to_seconds(greatest(0, sqrt(i / {n}.0) * {hours} * 3600
               - (hash(i * 17) % 7200))::BIGINT) AS published_at,
           TIMESTAMP '{START:%Y-%m-%d}' + INTERVAL {DAYS} DAY AS fetched_at,
           TIMESTAMP '{START:%Y-%m-%d}' + INTERVAL {DAYS} DAY AS first_seen_at,
           NULL::TIMESTAMP AS updated_at, 1 AS version,
           CASE WHEN hash(i * 19) % 10 < 8 THEN ['sv', 'sv', 'en'][1 + s % 3]
                ELSE ['sv', 'en', 'fi', 'de'][1 + (hash(i * 19) % 4)::INT] END AS lang,
           printf('%012x', hash(i * 23) % 281474976710656) AS content_hash, NULL AS date_flag,
           '{{}}'::JSON AS raw, NULL::TIMESTAMP AS purged_at
    FROM r, v"""


def enrichments_sql(a: int, b: int) -> str:
    return f"""
    SELECT i.id AS item_id, TIMESTAMP '2016-04-01' AS enriched_at, 'bench' AS model_version, i.lang,
           0.9 AS lang_confidence, lower(i.title) AS lemmas,
           (hash(i.id) % 1000) / 1000.0 AS relevance, hash(i.id) % 1000 >= 600 AS relevant, 'high' AS informativeness,
           NULL::VARCHAR[] AS profile_terms,
           ['caution_and_advice', 'affected_individuals', 'infrastructure_and_utilities', 'donations_and_volunteering',
            'sympathy_and_support', 'other_useful_information'][1 + (hash(i.id || 't') % 6)::INT] AS info_type,
           NULL::JSON AS info_type_probs, 'media' AS source_type, NULL::JSON AS source_type_probs,
           ['negative', 'neutral', 'positive'][1 + (hash(i.id || 'o') % 3)::INT] AS tone, NULL::JSON AS tone_probs,
           1 AS item_version, 'bench' AS profile_key, TRUE AS ner_done
    FROM items i WHERE i.id >= printf('it%010d', {a}) AND i.id < printf('it%010d', {b})"""


def entities_sql(a: int, b: int) -> str:
    return f"""
    SELECT printf('it%010d', i) AS item_id, ['PER', 'ORG', 'LOC'][1 + (e % 3)::INT] AS label,
           'Namn' || e AS text, ['per', 'org', 'loc'][1 + (e % 3)::INT] || ':namn' || e AS norm_id,
           0 AS start_char, 5 AS end_char
    FROM (SELECT range AS i, unnest(list_transform(range((hash(range * 29) % 4)::INT),
            lambda k: floor(pow((hash(range * 31 + k) % 100000) / 100000.0, 4) * 2000)::INT)) AS e
          FROM range({a}, {b}))"""


def stories_sql(a: int, b: int) -> tuple[str, str]:
    story_items = f"""
    SELECT printf('it%010d', range) AS item_id, 'S' || (range // 60) AS story_id, 0.8 AS similarity,
           TIMESTAMP '2016-04-01' AS assigned_at
    FROM range({a}, {b}) WHERE range % 3 = 0"""
    stories = f"""
    SELECT 'S' || s AS id, 'Rubrik ' || s AS headline, NULL AS url, NULL AS representative_item_id,
           NULL::TIMESTAMP AS first_seen, NULL::TIMESTAMP AS last_seen, 20 AS n_items, FALSE AS rumour,
           NULL::VARCHAR[] AS rumour_reasons, NULL::VARCHAR[] AS rumour_codes, NULL AS merged_into,
           TIMESTAMP '2016-04-01' AS created_at, TIMESTAMP '2016-04-01' AS updated_at,
           NULL::TIMESTAMP AS confirmed_at, NULL AS confirmed_reason, NULL AS confirmed_reason_en
    FROM range(({a} + 59) // 60, ({b} + 59) // 60) t(s)"""
    return story_items, stories


def insert_range(con, a: int, b: int, n: int) -> None:
    con.execute(f"INSERT INTO items BY NAME ({items_sql(a, b, n)})")
    con.execute(f"INSERT INTO enrichments BY NAME ({enrichments_sql(a, b)})")
    con.execute(f"INSERT INTO entities BY NAME ({entities_sql(a, b)})")
    story_items, stories = stories_sql(a, b)
    con.execute(f"INSERT INTO story_items BY NAME ({story_items})")
    con.execute(f"INSERT OR IGNORE INTO stories BY NAME ({stories})")


def build(path: Path, n: int, chunk: int = 1_000_000) -> float:
    from mediebild.data.store import Store

    t0 = time.perf_counter()
    with Store.open(path, create=True) as store:
        con = store.con
        con.execute(f"""INSERT INTO sources (id, monitor, url, name, item_kind, enabled, added_at, fetch_key)
                        SELECT printf('src%03d', range), 'rss', 'https://example.org/feed/' || range,
                               'Källa ' || range, ['editorial', 'social', 'social', 'official'][1 + range % 4],
                               TRUE, TIMESTAMP '2016-03-01', 'rss|' || range
                          FROM range({SOURCES})""")
        for a in range(0, n, chunk):
            b = min(n, a + chunk)
            with store.transaction():
                insert_range(con, a, b, n)
            print(f"  {b:>11,} items  {time.perf_counter() - t0:6.0f} s", flush=True)
        con.execute("CHECKPOINT")
    return time.perf_counter() - t0


WRITER = """
import json, sys, time
sys.path.insert(0, sys.argv[4])
import analysts as bench
from mediebild.data.snapshot import publish_database
from mediebild.data.store import STEP_WAIT_SECONDS, Store
db, first, passes, search = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[5] == "1"
n_total = first
for k in range(passes):
    a = first + k * 2000
    t0 = time.perf_counter()
    with Store.open(db, wait=STEP_WAIT_SECONDS) as store:
        with store.transaction():
            bench.insert_range(store.con, a, a + 2000, a + 2000)
    t1 = time.perf_counter()
    result = publish_database(db, search=search)
    print(json.dumps({"pass_s": t1 - t0, "publish_s": result.seconds}), flush=True)
"""


def run_writer(db: Path, first: int, passes: int, search: bool) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(first), str(passes),
                             str(Path(__file__).resolve().parent), "1" if search else "0"],
                            stdout=subprocess.PIPE, text=True)


def writer_figures(proc: subprocess.Popen) -> dict[str, float]:
    out, _ = proc.communicate()
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    total = sum(r["pass_s"] + r["publish_s"] for r in rows)
    return {"passes": len(rows), "pass_p50": statistics.median(r["pass_s"] for r in rows),
            "publish_p50": statistics.median(r["publish_s"] for r in rows),
            "publish_max": max(r["publish_s"] for r in rows), "items_per_s": 2000 * len(rows) / total}


def pct(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
    return f"p50 {statistics.median(values) * 1000:7.0f} ms   p95 {p95 * 1000:7.0f} ms   (n={len(values)})"


def measure(db: Path, repeat: int) -> dict[str, list[float]]:
    from mediebild.data.analysts import Selection, data_end, top, volume
    from mediebild.data.snapshot_read import open_snapshot

    timings: dict[str, list[float]] = {}

    def timed(name: str, fn) -> None:  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        fn()
        timings.setdefault(name, []).append(time.perf_counter() - t0)

    from mediebild.data.search_index import SearchIndex
    from mediebild.data.snapshot import SEARCH_INDEX, snapshot_root

    index_path = snapshot_root(db) / SEARCH_INDEX
    search = SearchIndex(index_path) if index_path.exists() else None  # never build it here: --no-search
    for _ in range(repeat):
        with open_snapshot(db, refresh=False) as snap:
            end = data_end(snap.con)
            week = Selection(end - timedelta(days=7), end)
            day = Selection(end - timedelta(days=1), end)
            timed("open snapshot", lambda: open_snapshot(db, refresh=False).close())
            timed("trends: volume per hour, last week", lambda: volume(snap.con, week, "hour"))
            timed("top entities, last 24 h", lambda: top(snap.con, "entities", day))
            timed("top entities, last week", lambda: top(snap.con, "entities", week))
            timed("top sources, last week", lambda: top(snap.con, "sources", week))
            timed("top hashtags, last 24 h", lambda: top(snap.con, "hashtags", day))
            if search is not None:
                timed("search: two words", lambda: search.search("polisen centralen", limit=20))
                timed("search: boolean + phrase", lambda: search.search(
                    '(explosion OR bomb) AND "tunnelbanan stängd" NOT övning', limit=20))
                timed("search: word + field filter", lambda: search.search("evakuering lang:sv kind:social",
                                                                            limit=20))
                timed("search: prefix wildcard", lambda: search.search("evakuer*", limit=20))
                if hasattr(search, "counts"):
                    timed("trends: a search query per hour, last week", lambda: search.counts(
                        "explosion", bucket="hour", since=week.since, until=week.until))
    return timings


def export_rate(db: Path, out: Path) -> dict[str, float]:
    from mediebild.data.analysts import Selection, export_to_file
    from mediebild.data.snapshot_read import open_snapshot

    figures = {}
    with open_snapshot(db, refresh=False) as snap:
        newest = snap.con.execute("SELECT max(published_at) FROM items").fetchone()[0]
        # the newest 1,000,000 items
        cut = snap.con.execute("SELECT published_at FROM items ORDER BY published_at DESC LIMIT 1 OFFSET 999999"
                               ).fetchone()
        since = (cut[0] if cut else datetime(2000, 1, 1)).replace(tzinfo=timezone.utc)
        selection = Selection(since, newest.replace(tzinfo=timezone.utc) + timedelta(seconds=1))
        for fmt in ("parquet", "csv"):
            t0 = time.perf_counter()
            rows = export_to_file(snap.con, selection, str(out / f"export.{fmt}"), fmt)
            seconds = time.perf_counter() - t0
            figures[fmt] = rows / seconds
            print(f"export {fmt:8s} {rows:,} rows in {seconds:5.1f} s = {rows / seconds:,.0f} rows/s")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--passes", type=int, default=10, help="ingest passes measured with and without readers")
    parser.add_argument("--work", type=Path, default=Path("bench-out/analysts"))
    parser.add_argument("--keep", action="store_true", help="keep the database for the next run")
    parser.add_argument("--no-search", action="store_true",
                        help="publish without the search index (its first build at 10M takes over half an hour; "
                             "bench/search.py measures search on its own)")
    args = parser.parse_args()

    from mediebild.data.snapshot import publish_database

    args.work.mkdir(parents=True, exist_ok=True)
    db = args.work / f"analysts-{args.items}.duckdb"
    if not db.exists():
        print(f"building {args.items:,} items in {db} …")
        print(f"built in {build(db, args.items):.0f} s, {db.stat().st_size / 1e9:.2f} GB")
    from mediebild.data.snapshot import current_version, snapshot_root

    if current_version(snapshot_root(db)) is None:
        t0 = time.perf_counter()
        first = publish_database(db, search=not args.no_search)
        print(f"first publish (everything{'' if args.no_search else ', with the search index'}) "
              f"{time.perf_counter() - t0:.0f} s: "
              f"{json.dumps(first.search)}", flush=True)
    first_id = args.items + 10_000_000 * int(time.time() % 1000)  # new ids every run

    print("\n== ingest passes of 2,000 items (write + publish), no readers")
    alone = writer_figures(run_writer(db, first_id, args.passes, not args.no_search))
    print(json.dumps(alone))

    print(f"\n== readers on a quiet store ({args.repeat} rounds)")
    quiet = measure(db, args.repeat)
    for name, values in quiet.items():
        print(f"{name:45s} {pct(values)}")

    print("\n== the same while the ingest loop writes and publishes")
    writer = run_writer(db, first_id + 1_000_000, args.passes, not args.no_search)
    busy = measure(db, args.repeat)
    for name, values in busy.items():
        print(f"{name:45s} {pct(values)}")
    loaded = writer_figures(writer)
    print(json.dumps(loaded))
    print(f"ingest throughput with readers: {loaded['items_per_s'] / alone['items_per_s']:.0%} of without "
          f"({loaded['items_per_s']:,.0f} vs {alone['items_per_s']:,.0f} items/s including publish)")

    print("\n== export of the newest 1,000,000 rows")
    export_rate(db, args.work)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\npeak memory: readers (this process) {peak:,.0f} MiB, writer {children:,.0f} MiB")
    if not args.keep:
        shutil.rmtree(args.work / f"{db.name}.snapshots", ignore_errors=True)
        db.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
