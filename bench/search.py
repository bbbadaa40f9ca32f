"""Benchmark: build the search index of N synthetic items and time refreshes and the analysts' queries.

Generates the items inside DuckDB (`INSERT ... SELECT` from range()) over --days days, 70 % Swedish and 30 %
English. Titles and texts are drawn from a vocabulary with a Zipf-like skew (the rank is log-uniform): function
words first, then crisis words (brand, evakuering, rök / fire, evacuated, smoke, ...), then a long tail of made-up
words with Swedish or English endings. Most items have an enrichment row and a third belong to a story.

Then prints: the full build (items/s), a refresh of one day with nothing changed, one with 2,000 changed items,
one where every item of the day changed, and p50/p95 of a handful of queries (each run --repeat times on a warm
connection, and once on a fresh connection as the CLI does). Prints figures; asserts nothing.

    .venv/bin/python bench/search.py                 # 1,000,000 items in a temporary folder
    .venv/bin/python bench/search.py 200000 --keep /tmp/search-bench
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from mediebild.data.search_index import SearchIndex
from mediebild.data.store import Store

START = datetime(2026, 2, 1)
SOURCES = 300

SV_COMMON = "och i att det som en på är av för med till den har de inte om ett men var vid från efter".split()
SV_CRISIS = ("brand evakuering evakuerades evakuera rök skog skogen väg vägen stängd stängda polisen "
             "räddningstjänsten boende översvämning larm varning olycka explosion sjukhus skadade "
             "kommunen myndigheten vatten ström strömavbrott tåg trafiken").split()
EN_COMMON = "the a of to and in is that for on it with as was at by from after not are".split()
EN_CRISIS = ("fire evacuation evacuated evacuate smoke forest road closed closure police firefighters "
             "residents flood flooding alarm warning accident explosion hospital injured council "
             "authority water power outage train traffic").split()
SYLLABLES = "ka ver stå lin bro mar sen tor häl ra li bo mo gra fel dan vik näs ber holm sta".split()
SV_ENDINGS = ["", "en", "ar", "na", "erna", "ade", "ades", "ning", "ingen", "ig"]
EN_ENDINGS = ["", "s", "ed", "ing", "ion", "er", "ly", "ness"]

QUERIES = [
    ("single term", "evakuering", {}),
    ("single common term", "brand", {}),
    ("rare term", "explosion", {}),
    ("boolean", "(brand OR rök) AND skog NOT övning", {}),
    ("english boolean", "(fire OR smoke) AND evacuate", {}),
    ("phrase", '"stängd väg"', {}),
    ("wildcard", "evak*", {}),
    ("field filter", "brand lang:sv kind:social", {}),
    ("options", "brand OR fire", {"info_types": ["caution_and_advice"], "min_relevance": 0.5}),
    ("last day", "brand", {"since": "last-day"}),
    ("time sort", "brand", {"sort": "time"}),
    ("page 5", "evakuering", {"page": 5}),
]


def vocabulary(common: list[str], crisis: list[str], endings: list[str], size: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    words = list(common) + list(crisis)
    made: set[str] = set(words)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))) + rng.choice(endings)
        if word not in made:
            made.add(word)
            words.append(word)
    return words


def populate(store: Store, n: int, days: int) -> float:
    started = time.perf_counter()
    con = store.con
    sv = vocabulary(SV_COMMON, SV_CRISIS, SV_ENDINGS, 40_000, 1)
    en = vocabulary(EN_COMMON, EN_CRISIS, EN_ENDINGS, 40_000, 2)
    seconds = days * 86_400

    def words(vocab: str, count: str) -> str:  # `count` words of the vocabulary, rank log-uniform (Zipf-like)
        return (f"array_to_string(list_transform(range({count}), lambda x: {vocab}[CAST(floor(exp(random() * "
                f"ln(len({vocab})))) AS INTEGER)]), ' ')")

    with store.transaction():
        con.execute(
            f"""INSERT INTO items (id, source_id, kind, url, title, text, author, published_at, fetched_at,
                                  first_seen_at, version, lang, content_hash)
                SELECT 'it-' || i, 'src-' || (i % {SOURCES}), kind, 'https://s.example.se/a/' || i,
                       CASE WHEN lang = 'sv' THEN {words('$sv', '5 + i % 6')} ELSE {words('$en', '5 + i % 6')} END,
                       CASE WHEN lang = 'sv' THEN {words('$sv', 'n_words')} ELSE {words('$en', 'n_words')} END,
                       NULL, $start::TIMESTAMP + to_seconds((i * {seconds}) // $n),
                       $start::TIMESTAMP + to_seconds((i * {seconds}) // $n + 60),
                       $start::TIMESTAMP + to_seconds((i * {seconds}) // $n + 60), 1, lang, 'h' || i
                FROM (SELECT i, CASE WHEN i % 10 < 7 THEN 'sv' ELSE 'en' END AS lang,
                             CASE WHEN i % 10 = 9 THEN 'official' WHEN i % 3 = 0 THEN 'social' ELSE 'editorial' END
                               AS kind,
                             CASE WHEN i % 3 = 0 THEN 8 + i % 20 ELSE 20 + i % 50 END AS n_words
                      FROM range($n) t(i))""",
            {"sv": sv, "en": en, "start": START, "n": n},
        )
        con.execute(
            """INSERT INTO enrichments (item_id, enriched_at, model_version, lang, relevance, info_type, tone)
               SELECT id, now(), 'bench', lang, (h % 1000) / 1000.0,
                      ['caution_and_advice', 'affected_individuals', 'other_useful_information'][1 + h % 3],
                      ['negative', 'neutral', 'positive'][1 + h // 3 % 3]
               FROM (SELECT id, lang, CAST(hash(id) % 1000003 AS BIGINT) AS h FROM items) WHERE h % 5 <> 0""")
        con.execute("""INSERT INTO story_items (item_id, story_id, assigned_at)
                       SELECT id, 'S' || (hash(id) % 5000), now() FROM items WHERE hash(id) % 3 = 0""")
    return time.perf_counter() - started


def change_items(store: Store, day: date, count: int | None) -> int:
    """New text for `count` items of `day` (all of them when None), as an updated article would get."""
    limit = "" if count is None else f"LIMIT {count}"
    rows = store.con.execute(
        f"""UPDATE items SET text = text || ' uppdaterad', version = version + 1
            WHERE id IN (SELECT id FROM items WHERE published_at >= ? AND published_at < ? {limit})
            RETURNING id""", [day, day + timedelta(days=1)]).fetchall()
    return len(rows)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def time_queries(path: Path, last_day: date, repeat: int) -> None:
    print(f"\n{'query':<22} {'hits':>9} {'p50 ms':>8} {'p95 ms':>8} {'cold ms':>8}   query")
    with SearchIndex(path) as index:
        for name, query, options in QUERIES:
            options = dict(options)
            pages = int(options.pop("page", 1))
            if options.get("since") == "last-day":
                options["since"] = datetime(last_day.year, last_day.month, last_day.day)

            def run(idx: SearchIndex, query: str = query, options: dict = options, pages: int = pages) -> int:
                cursor, total = None, 0
                for _ in range(pages):
                    page = idx.search(query, cursor=cursor, **options)
                    cursor, total = page.next_cursor, page.total
                return total

            cold_started = time.perf_counter()
            with SearchIndex(path) as fresh:
                total = run(fresh)
            cold = (time.perf_counter() - cold_started) * 1000
            samples = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                run(index)
                samples.append((time.perf_counter() - t0) * 1000)
            shown = f"{total:,}" if total < 100_000 else ">100,000"
            print(f"{name:<22} {shown:>9} {statistics.median(samples):8.1f} {percentile(samples, 0.95):8.1f} "
                  f"{cold:8.1f}   {query} {options or ''}{f' (to page {pages})' if pages > 1 else ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("items", nargs="?", type=int, default=1_000_000, help="how many items (default 1,000,000)")
    parser.add_argument("--days", type=int, default=30, help="over how many days (default 30)")
    parser.add_argument("--repeat", type=int, default=20, help="runs of each query (default 20)")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="mediebild-search-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        store = Store.open(folder / "bench.duckdb", create=True)
        if store.count("items") == 0:
            print(f"generating {args.items:,} items over {args.days} days: {populate(store, args.items, args.days):.1f} s")
        n = store.count("items")
        day = (START + timedelta(days=args.days // 2)).date()
        last_day = (START + timedelta(days=args.days - 1)).date()
        path = folder / "search.sqlite"
        with SearchIndex(path) as index:
            if index.count() == 0:
                stats = index.refresh(store.con, None)
                print(f"full build: {stats.added:,} items in {stats.seconds:.1f} s = {stats.added / stats.seconds:,.0f} "
                      f"items/s; index {path.stat().st_size / 1e6:,.0f} MB ({path.stat().st_size / n:,.0f} B/item)")
            stats = index.refresh(store.con, [day])
            print(f"refresh of one day, nothing changed: {stats.unchanged:,} items compared in {stats.seconds:.2f} s")
            changed = change_items(store, day, 2_000)
            stats = index.refresh(store.con, [day])
            print(f"refresh of one day, {changed:,} items changed: replaced {stats.replaced:,}, unchanged "
                  f"{stats.unchanged:,}, in {stats.seconds:.2f} s")
            changed = change_items(store, day, None)
            stats = index.refresh(store.con, [day])
            print(f"refresh of one day, all {changed:,} items changed: replaced {stats.replaced:,} in "
                  f"{stats.seconds:.2f} s = {stats.replaced / stats.seconds:,.0f} items/s")
        store.close()
        time_queries(path, last_day, args.repeat)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
