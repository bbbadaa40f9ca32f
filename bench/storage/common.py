"""Shared helpers for the storage experiments: extension paths, the schema, the synthetic item generator."""
from __future__ import annotations

import glob
import os
import random
import string
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
SITE = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"


def ext_path(name: str) -> str:
    """The .duckdb_extension file inside the duckdb-extension-<name> wheel (loads offline)."""
    hits = glob.glob(str(SITE / f"duckdb_extension_{name}" / "extensions" / "*" / "*" / f"*.duckdb_extension"))
    if not hits:
        hits = glob.glob(str(SITE / f"duckdb_extension_{name}" / "extensions" / "**" / "*.duckdb_extension"), recursive=True)
    if not hits:
        raise SystemExit(f"no extension file for {name} under {SITE}")
    return hits[0]


def load_exts(con, *names: str) -> None:
    for n in names:
        con.execute(f"LOAD '{ext_path(n)}'")


def attach_lake(con, meta: str, data: str, alias: str = "lake", read_only: bool = False, extra: str = "") -> None:
    load_exts(con, "ducklake", "sqlite_scanner")
    if os.environ.get("LAKE_WAL") and not read_only and os.path.exists(meta):
        import sqlite3
        c = sqlite3.connect(meta); c.execute("PRAGMA journal_mode=WAL"); c.close()
    if os.environ.get("LAKE_SQLITE_SINGLE_THREAD"):
        con.execute("SET sqlite_disable_multithreaded_scans = true")
    opts = [f"DATA_PATH '{os.path.abspath(data)}/'", "OVERRIDE_DATA_PATH TRUE"]
    if read_only:
        opts.append("READ_ONLY")
    if extra:
        opts.append(extra)
    con.execute(f"ATTACH 'ducklake:sqlite:{meta}' AS {alias} ({', '.join(opts)})")


# ---- schema: the project's items/enrichments/stories/story_items, trimmed to what the bench touches ----

SCHEMA_PLAIN = """
CREATE TABLE items (
    id VARCHAR PRIMARY KEY, source_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, url VARCHAR, title VARCHAR NOT NULL,
    text VARCHAR NOT NULL, author VARCHAR, published_at TIMESTAMP NOT NULL, fetched_at TIMESTAMP NOT NULL,
    first_seen_at TIMESTAMP NOT NULL, updated_at TIMESTAMP, version INTEGER NOT NULL DEFAULT 1, lang VARCHAR,
    content_hash VARCHAR NOT NULL, date_flag VARCHAR, raw JSON);
CREATE TABLE enrichments (
    item_id VARCHAR PRIMARY KEY, enriched_at TIMESTAMP NOT NULL, model_version VARCHAR NOT NULL, lang VARCHAR,
    relevance DOUBLE, relevant BOOLEAN, info_type VARCHAR, tone VARCHAR, profile_terms VARCHAR[], tone_probs JSON);
CREATE TABLE entities (item_id VARCHAR NOT NULL, label VARCHAR NOT NULL, text VARCHAR NOT NULL, norm_id VARCHAR);
CREATE TABLE stories (id VARCHAR PRIMARY KEY, headline VARCHAR, n_items INTEGER NOT NULL DEFAULT 0,
    first_seen TIMESTAMP, last_seen TIMESTAMP, rumour_reasons VARCHAR[], created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL);
CREATE TABLE story_items (item_id VARCHAR PRIMARY KEY, story_id VARCHAR NOT NULL, similarity DOUBLE,
    assigned_at TIMESTAMP NOT NULL);
CREATE TABLE passes (n BIGINT, items_total BIGINT, finished_at TIMESTAMP);
"""


def schema_lake(schema: str = SCHEMA_PLAIN) -> str:
    """DuckLake has no PRIMARY KEY/UNIQUE/indexes: the same tables without them."""
    return schema.replace(" PRIMARY KEY", "")


# ---- synthetic data with skew: sources, hours, languages, entities ----

SOURCES = [f"src{i:03d}" for i in range(300)]
SOURCE_W = [1.0 / (i + 1) ** 0.9 for i in range(300)]
KINDS = ["editorial", "social", "official"]
LANGS = ["sv", "en", "fr", "nl", "de", None]
LANG_W = [55, 30, 5, 5, 3, 2]
WORDS = ("bryssel zaventem maelbeek explosion polis attack flygplats tunnelbana terror skadade döda "
         "ambulans räddningstjänst kris evakuering stockholm sverige belgien brussels airport metro police "
         "victims hospital emergency minister statement rumour bekräftar uppgifter enligt").split()
ENTS = [f"ent{i}" for i in range(2000)]
ENT_W = [1.0 / (i + 1) for i in range(2000)]
T0 = datetime(2016, 3, 22, 0, 0)


def rand_text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(WORDS, k=n))


def make_items(start: int, n: int, seed: int = 0, hours: int = 24 * 30, update_every: int = 0):
    """n items with ids start..start+n-1 (columns as lists, ready for pyarrow)."""
    import pyarrow as pa

    rng = random.Random(seed * 1_000_003 + start)
    ids = [f"it{i:09d}" for i in range(start, start + n)]
    src = rng.choices(SOURCES, SOURCE_W, k=n)
    # hour skew: more volume in recent hours of the window
    pub = [T0 + timedelta(seconds=int(hours * 3600 * (rng.random() ** 0.5))) for _ in range(n)]
    now = datetime.utcnow().replace(microsecond=0)
    titles = [rand_text(rng, 8) for _ in range(n)]
    texts = [rand_text(rng, 40) for _ in range(n)]
    return pa.table({
        "id": ids,
        "source_id": src,
        "kind": [KINDS[hash(s) % 3] for s in src],
        "url": [f"https://ex.org/{s}/{i}" for s, i in zip(src, ids)],
        "title": titles,
        "text": texts,
        "author": [f"author{rng.randrange(5000)}" for _ in range(n)],
        "published_at": pa.array(pub, pa.timestamp("us")),
        "fetched_at": pa.array([now] * n, pa.timestamp("us")),
        "lang": rng.choices(LANGS, LANG_W, k=n),
        "content_hash": [f"{hash(t) & 0xffffffffffff:012x}" for t in texts],
        "date_flag": [None] * n,
        "raw": ['{"guid": "%s", "tags": ["a", "b"]}' % i for i in ids],
    })


def make_entities(items, seed: int = 0):
    import pyarrow as pa

    rng = random.Random(seed)
    item_ids, labels, texts = [], [], []
    for iid in items.column("id").to_pylist():
        for e in rng.choices(ENTS, ENT_W, k=rng.randrange(0, 4)):
            item_ids.append(iid)
            labels.append("ORG" if e.endswith(("1", "2")) else "PER")
            texts.append(e)
    return pa.table({"item_id": item_ids, "label": labels, "text": texts, "norm_id": texts})


def make_enrichments(items, seed: int = 0):
    import pyarrow as pa

    rng = random.Random(seed)
    n = items.num_rows
    now = datetime.utcnow().replace(microsecond=0)
    return pa.table({
        "item_id": items.column("id"),
        "enriched_at": pa.array([now] * n, pa.timestamp("us")),
        "model_version": ["m1"] * n,
        "lang": items.column("lang"),
        "relevance": [rng.random() for _ in range(n)],
        "relevant": [rng.random() < 0.4 for _ in range(n)],
        "info_type": rng.choices(["caution", "affected", "donations", "other"], k=n),
        "tone": rng.choices(["neg", "neu", "pos"], k=n),
        "profile_terms": [rng.sample(WORDS, 2) for _ in range(n)],
        "tone_probs": ['{"neg": 0.5, "neu": 0.3, "pos": 0.2}'] * n,
    })


def dir_size(path: str | Path) -> tuple[int, int]:
    total = files = 0
    for root, _, fs in os.walk(path):
        for f in fs:
            try:
                total += os.path.getsize(os.path.join(root, f))
                files += 1
            except OSError:
                pass
    return total, files


def timed(fn, *a, **k):
    t = time.perf_counter()
    r = fn(*a, **k)
    return r, time.perf_counter() - t


# ---- bulk generation in SQL (fast enough for 10M rows on 2 cores) ----

VOCAB_SQL = "(SELECT list(w) FROM (SELECT unnest(" + repr(WORDS) + ") AS w UNION ALL SELECT 'w' || range::VARCHAR FROM range(4000)))"


def gen_items_sql(a: int, b: int, n_total: int, hours: int = 24 * 30) -> str:
    """SELECT of items a..b-1 of n_total: zipf-ish sources, volume rising over time, published_at following id order (2 h jitter)."""
    return f"""
    WITH v AS (SELECT {VOCAB_SQL} AS vocab), r AS (SELECT range AS i FROM range({a}, {b}))
    SELECT printf('it%09d', i) AS id,
           printf('src%03d', least(299, floor(pow(((hash(i * 7) % 1000000) / 1000000.0), 2.2) * 300))::INT) AS source_id,
           ['editorial', 'social', 'official'][1 + (hash(i * 11) % 3)::INT] AS kind,
           'https://ex.org/' || i AS url,
           array_to_string(list_transform(range(8), lambda k: vocab[1 + floor(pow((hash(i * 131 + k) % 100000) / 100000.0, 3) * len(vocab))::INT]), ' ') AS title,
           array_to_string(list_transform(range(30), lambda k: vocab[1 + floor(pow((hash(i * 137 + k) % 100000) / 100000.0, 3) * len(vocab))::INT]), ' ') AS text,
           'author' || (hash(i * 13) % 5000) AS author,
           TIMESTAMP '2016-03-22 00:00:00' + to_seconds(greatest(0, sqrt(i / {n_total}.0) * {hours} * 3600 - (hash(i * 17) % 7200))::BIGINT) AS published_at,
           TIMESTAMP '2016-03-22 00:00:00' + INTERVAL 40 DAY AS fetched_at,
           TIMESTAMP '2016-03-22 00:00:00' + INTERVAL 40 DAY AS first_seen_at,
           NULL::TIMESTAMP AS updated_at, 1 AS version,
           ['sv', 'sv', 'sv', 'en', 'en', 'fr', 'nl', 'de', NULL][1 + (hash(i * 19) % 9)::INT] AS lang,
           printf('%012x', hash(i * 23) % 281474976710656) AS content_hash,
           NULL::VARCHAR AS date_flag,
           ('{{"guid": "' || i || '", "tags": ["a", "b"]}}')::JSON AS raw
    FROM r, v
    """


def gen_entities_sql(a: int, b: int) -> str:
    return f"""
    SELECT printf('it%09d', i) AS item_id, CASE WHEN e % 3 = 0 THEN 'ORG' ELSE 'PER' END AS label,
           'ent' || e AS text, 'ent' || e AS norm_id
    FROM (SELECT range AS i, unnest(list_transform(range((hash(range * 29) % 4)::INT),
            lambda k: floor(pow((hash(range * 31 + k) % 100000) / 100000.0, 4) * 2000)::INT)) AS e FROM range({a}, {b}))
    """


def gen_enrichments_sql(a: int, b: int) -> str:
    return f"""
    SELECT printf('it%09d', range) AS item_id, TIMESTAMP '2016-05-01' AS enriched_at, 'm1' AS model_version,
           'sv' AS lang, (hash(range * 37) % 1000) / 1000.0 AS relevance, hash(range * 37) % 1000 < 400 AS relevant,
           ['caution', 'affected', 'donations', 'other'][1 + (hash(range * 41) % 4)::INT] AS info_type,
           ['neg', 'neu', 'pos'][1 + (hash(range * 43) % 3)::INT] AS tone,
           ['bryssel', 'zaventem'] AS profile_terms, '{{"neg": 0.5}}'::JSON AS tone_probs
    FROM range({a}, {b})
    """


def gen_story_items_sql(a: int, b: int) -> str:
    """Every 3rd item is in a story; ~1 story per 20 clustered items."""
    return f"""
    SELECT printf('it%09d', range) AS item_id, 'S' || (range // 60) AS story_id, 0.8 AS similarity,
           TIMESTAMP '2016-05-01' AS assigned_at
    FROM range({a}, {b}) WHERE range % 3 = 0
    """


def gen_stories_sql(a: int, b: int) -> str:
    return f"""
    SELECT 'S' || s AS id, 'headline ' || s AS headline, 20 AS n_items, TIMESTAMP '2016-03-22' AS first_seen,
           TIMESTAMP '2016-03-23' AS last_seen, ['social_only'] AS rumour_reasons, TIMESTAMP '2016-05-01' AS created_at,
           TIMESTAMP '2016-05-01' AS updated_at
    FROM range(({a} + 59) // 60, ({b} + 59) // 60) t(s)
    """
