"""The analysts' full-text search: a SQLite FTS5 sidecar index beside the published snapshots, kept up to date
from the store by `SearchIndex.refresh`, and read by `SearchIndex.search` (docs/storage-decision.md).

The file (`<db>.snapshots/search.sqlite`) is in WAL mode: the writer refreshes it in one transaction while any
number of readers search; a reader sees a refresh all or not at all.

Layout:
- `docs`: one row per indexed item, what a hit shows (title, text for the snippet, url, labels), its signature (a
  hash of everything the index shows or matches on), and its doc id. The doc id orders the index by time:
  `(second of published_at << 20) | n`, so time ranges and newest-first paging are doc-id ranges inside FTS5.
- `fts`: a contentless FTS5 table over five columns: the title and the text stemmed in the item's language, the
  same unstemmed (for wildcards), and `facets`, the item's source, language, kind, information type, tone and
  story as tokens (search_query.facet_token), so filters narrow inside the index rather than row by row. An item
  is removed with FTS5's 'delete' command and the values it was indexed with, recomputed from `docs`; the analysis
  version is kept in `meta`, and an index built by another analysis is rebuilt in full.
- `meta`: the analysis version, whether the index was ever built in full, and the generation, which goes up with
  every refresh that changed something.

Ranking: BM25 with the title weighted above the text; ties by newest, then doc id. Paging uses a keyset cursor.
With the default relevance order the cursor holds the index generation: BM25 scores depend on the whole index, so
a cursor made before a refresh is refused with a message to search again (or to use `sort="time"`). Newest-first
cursors hold only the doc id of the last hit and survive refreshes: no hit repeats; items that arrive later with
older timestamps can appear on later pages.

Data layer: imports the core (errors, timeutil), data.search_query, the standard library and duckdb.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import sqlite3
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Self

import duckdb

from mediebild.data.search_query import (
    ANALYZER_VERSION,
    EVERY_ITEM,
    FACET_COLUMN,
    WORD,
    Highlighter,
    ParsedQuery,
    facet_token,
    facet_tokens,
    fold,
    label_key,
    stem_words,
    translate,
    words,
)
from mediebild.data.search_query import SearchQueryError as SearchQueryError  # noqa: PLC0414 (the contract's name)
from mediebild.errors import StoreError, UserError
from mediebild.timeutil import UTC, as_utc

EPOCH = datetime(1970, 1, 1)
MICROSECOND = timedelta(microseconds=1)
US_PER_DAY = 86_400_000_000
RANK_WINDOW = 50_000  # a relevance search ranks at most the newest this many matches (see _rank_floor)
SEQ_BITS = 20  # up to a million items published in the same second
WEIGHTS = (3.0, 1.0, 3.0, 1.0, 0.0)  # title_stem, text_stem, title_word, text_word, facets
COUNT_CAP = 100_000  # totals above this are shown as "more than"
SNIPPET_CHARS = 220
MAX_LIMIT = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    doc_id       INTEGER PRIMARY KEY,   -- (published second << 20) | n: doc-id order is time order
    item_id      TEXT NOT NULL UNIQUE,
    day          INTEGER NOT NULL,      -- UTC day of published_at, days since 1970-01-01
    published_us INTEGER NOT NULL,      -- published_at, microseconds since 1970-01-01 UTC
    source_id    TEXT, kind TEXT, lang TEXT, info_type TEXT, tone TEXT, relevance REAL, story_id TEXT,
    url          TEXT,
    title        TEXT NOT NULL,
    text         TEXT NOT NULL,
    signature    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_day ON docs (day);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    title_stem, text_stem, title_word, text_word, facets, content='', tokenize='ascii'
);
"""

# The store's side (DuckDB): what the index holds of an item, and a signature of it.
_SIGNED = ["i.id", "i.version", "i.title", "i.text", "i.url", "i.published_at", "i.source_id", "i.kind",
           "coalesce(e.lang, i.lang)", "e.info_type", "e.tone", "e.relevance", "si.story_id"]
_SIGNATURE = ("(md5_number_lower(concat_ws(chr(31), "
              + ", ".join(f"coalesce(CAST({c} AS VARCHAR), chr(30))" for c in _SIGNED) + ")) >> 1)::BIGINT")
_STORE_FROM = """
    FROM items i LEFT JOIN enrichments e ON e.item_id = i.id LEFT JOIN story_items si ON si.item_id = i.id
    WHERE i.purged_at IS NULL AND ({where})
"""
_STORE_SIGNATURES = f"SELECT i.id, {_SIGNATURE} {_STORE_FROM}"
_STORE_ROWS = f"""
    SELECT i.id, i.published_at, i.source_id, i.kind, lower(coalesce(e.lang, i.lang)), e.info_type, e.tone,
           e.relevance, si.story_id, i.url, i.title, i.text, {_SIGNATURE}
    {_STORE_FROM}
"""
_DOC_COLUMNS = ("doc_id, item_id, day, published_us, source_id, kind, lang, info_type, tone, relevance, story_id, "
                "url, title, text, signature")


@dataclass(frozen=True)
class RefreshStats:
    added: int
    replaced: int
    removed: int
    unchanged: int
    seconds: float
    generation: int
    full: bool  # the whole store was read (days=None, a new index, or a new analysis)


@dataclass(frozen=True)
class Snippet:
    """Plain text (feed text, unescaped) and the [start, end) character spans to highlight in it."""

    text: str
    highlights: tuple[tuple[int, int], ...] = ()

    def parts(self) -> list[tuple[str, bool]]:
        """The text cut into (piece, highlighted) parts, in order."""
        out: list[tuple[str, bool]] = []
        at = 0
        for start, end in self.highlights:
            if start > at:
                out.append((self.text[at:start], False))
            out.append((self.text[start:end], True))
            at = end
        if at < len(self.text):
            out.append((self.text[at:], False))
        return out


@dataclass(frozen=True)
class SearchHit:
    id: str
    published_at: datetime
    source_id: str | None
    kind: str | None
    lang: str | None
    title: str
    url: str | None
    story_id: str | None
    info_type: str | None
    tone: str | None
    relevance: float | None
    score: float | None  # higher is better (negated BM25); None when sorted by time
    snippet: Snippet
    title_highlights: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    next_cursor: str | None
    total: int  # hits of the whole search; at most COUNT_CAP when total_exact is False
    total_exact: bool = True
    generation: int = 0
    sort: str = "relevance"
    filters: dict[str, list[str]] = field(default_factory=dict)
    ranked_within: int | None = None  # set when only the newest this many matches were ranked (RANK_WINDOW)


@dataclass
class _StoreRow:
    item_id: str
    published_us: int
    source_id: str | None
    kind: str | None
    lang: str | None
    info_type: str | None
    tone: str | None
    relevance: float | None
    story_id: str | None
    url: str | None
    title: str
    text: str
    signature: int

    @property
    def second(self) -> int:
        return self.published_us // 1_000_000


def _micros(value: datetime) -> int:
    return (as_utc(value).replace(tzinfo=None) - EPOCH) // MICROSECOND


def _index_values(title: str, text: str, lang: str | None, facets: dict[str, str | None]) -> tuple[str, ...]:
    """The five FTS column values of an item: exactly what was indexed, so it can also be deleted."""
    title_words, text_words = words(title), words(text)
    return (" ".join(stem_words(title_words, lang)), " ".join(stem_words(text_words, lang)),
            " ".join(title_words), " ".join(text_words), facet_tokens(facets))


def _facets(source_id: str | None, lang: str | None, kind: str | None, info_type: str | None, tone: str | None,
            story_id: str | None) -> dict[str, str | None]:
    return {"source": source_id, "lang": lang, "kind": kind, "type": info_type, "tone": tone, "story": story_id}


def _day_ranges(days: Iterable[date]) -> list[tuple[datetime, datetime]]:
    """Sorted days merged into [start, end) ranges of naive UTC datetimes."""
    ranges: list[tuple[datetime, datetime]] = []
    for day in sorted(set(days)):
        start = datetime(day.year, day.month, day.day)
        if ranges and ranges[-1][1] == start:
            ranges[-1] = (ranges[-1][0], start + timedelta(days=1))
        else:
            ranges.append((start, start + timedelta(days=1)))
    return ranges


class SearchIndex:
    """The search index file: `refresh` (the writer) and `search` (everyone)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self._con = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False, timeout=30)
            self._con.execute("PRAGMA journal_mode=WAL")
            self._con.execute("PRAGMA synchronous=NORMAL")
            self._con.execute("PRAGMA cache_size=-65536")
            self._con.execute("PRAGMA temp_store=MEMORY")
            exists = self._con.execute("SELECT 1 FROM sqlite_master WHERE name = 'fts'").fetchone()
            if not exists:
                self._con.executescript("BEGIN IMMEDIATE;" + _SCHEMA + "COMMIT;")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the search index {self.path}: {exc}") from exc
        self._lock = threading.Lock()

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- meta -----------------------------------------------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        row = self._con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self._con.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [key, value])

    @property
    def generation(self) -> int:
        return int(self._meta("generation") or 0)

    def count(self) -> int:
        return int(self._con.execute("SELECT count(*) FROM docs").fetchone()[0])

    # -- refresh --------------------------------------------------------------------------------------------------

    def refresh(self, con: duckdb.DuckDBPyConnection, days: Sequence[date] | None) -> RefreshStats:
        """Make the index equal the store for `days` (UTC days of published_at; None: everything).

        Items are compared by signature: new ones are added, changed ones replaced, and those deleted or purged in
        the store removed; the rest is not touched. An item that moved to a day not in `days` is re-indexed from
        where it is now. An index never built in full, or built by another analysis, is built in full whatever
        `days` says. One SQLite transaction: readers see all of it or none.
        """
        started = time.perf_counter()
        with self._lock:
            rebuild = self._meta("analyzer") != ANALYZER_VERSION
            full = days is None or rebuild or self._meta("complete") != "1"
            self._con.execute("BEGIN IMMEDIATE")
            try:
                if rebuild:
                    self._con.execute("INSERT INTO fts (fts) VALUES ('delete-all')")
                    self._con.execute("DELETE FROM docs")
                counts: Counter[str] = Counter()
                for day in self._all_days(con) if full else sorted(set(days or ())):
                    counts.update(self._refresh_days(con, [day]))  # a day at a time: memory stays one day's
                generation = self.generation + (1 if counts["added"] + counts["replaced"] + counts["removed"] else 0)
                self._set_meta("generation", str(generation))
                if full:
                    self._set_meta("analyzer", ANALYZER_VERSION)
                    self._set_meta("complete", "1")
                self._con.execute("COMMIT")
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
        return RefreshStats(added=counts["added"], replaced=counts["replaced"], removed=counts["removed"],
                            unchanged=counts["unchanged"], seconds=round(time.perf_counter() - started, 3),
                            generation=generation, full=full)

    def _all_days(self, con: duckdb.DuckDBPyConnection) -> list[date]:
        """Every day the store or the index has items of."""
        in_store = {r[0] for r in con.execute("SELECT DISTINCT CAST(published_at AS DATE) FROM items").fetchall()}
        in_index = {EPOCH.date() + timedelta(days=r[0]) for r in self._con.execute("SELECT DISTINCT day FROM docs")}
        return sorted(in_store | in_index)

    def _refresh_days(self, con: duckdb.DuckDBPyConnection, days: list[date]) -> dict[str, int]:
        """Inside the refresh transaction: bring these days of the index level with the store."""
        where, params = self._day_condition(days)
        current = dict(con.execute(_STORE_SIGNATURES.format(where=where), params).fetchall())
        indexed = self._indexed(days)
        changed = [item_id for item_id, signature in current.items()
                   if item_id not in indexed or indexed[item_id][1] != signature]
        gone = [item_id for item_id in indexed if item_id not in current]
        moved = self._still_in_store(con, gone) if gone else set()
        indexed.update(self._indexed_ids([i for i in changed if i not in indexed]))  # moved in from elsewhere
        rows = self._store_rows(con, changed, sorted(moved), where, params, len(current))
        rows = [r for r in rows if r.item_id not in indexed or indexed[r.item_id][1] != r.signature]
        removed = [item_id for item_id in gone if item_id not in moved]
        replaced = [r.item_id for r in rows if r.item_id in indexed]
        self._apply(rows, {i: indexed[i][0] for i in replaced}, [indexed[i][0] for i in removed])
        return {"added": len(rows) - len(replaced), "replaced": len(replaced), "removed": len(removed),
                "unchanged": len(current) - sum(1 for r in rows if r.item_id in current)}

    @staticmethod
    def _day_condition(days: Sequence[date]) -> tuple[str, list[Any]]:
        ranges = _day_ranges(days)
        if not ranges:
            return "FALSE", []
        return (" OR ".join("(i.published_at >= ? AND i.published_at < ?)" for _ in ranges),
                [bound for r in ranges for bound in r])

    def _indexed(self, days: Sequence[date]) -> dict[str, tuple[int, int]]:
        """item id -> (doc id, signature) of what the index holds for `days`."""
        day_numbers = sorted({(d - EPOCH.date()).days for d in days})
        cur = self._con.execute("SELECT item_id, doc_id, signature FROM docs WHERE day IN "
                                "(SELECT value FROM json_each(?))", [json.dumps(day_numbers)])
        return {item_id: (doc_id, signature) for item_id, doc_id, signature in cur}

    def _indexed_ids(self, item_ids: list[str]) -> dict[str, tuple[int, int]]:
        if not item_ids:
            return {}
        cur = self._con.execute("SELECT item_id, doc_id, signature FROM docs WHERE item_id IN "
                                "(SELECT value FROM json_each(?))", [json.dumps(item_ids)])
        return {item_id: (doc_id, signature) for item_id, doc_id, signature in cur}

    @staticmethod
    def _still_in_store(con: duckdb.DuckDBPyConnection, item_ids: list[str]) -> set[str]:
        rows = con.execute("SELECT id FROM items WHERE purged_at IS NULL AND id IN (SELECT unnest(?::VARCHAR[]))",
                           [item_ids]).fetchall()
        return {r[0] for r in rows}

    @staticmethod
    def _store_rows(con: duckdb.DuckDBPyConnection, changed: list[str], moved: list[str], where: str,
                    params: list[Any], in_days: int) -> list[_StoreRow]:
        """The store's rows of the changed items of the days (read by day when many changed, else by id) and of
        the items that moved out of them (by id)."""
        if not changed and not moved:
            return []
        wanted = set(changed) | set(moved)
        if len(changed) > in_days // 3:
            sql = _STORE_ROWS.format(where=f"({where}) OR i.id IN (SELECT unnest(?::VARCHAR[]))")
            args = [*params, moved]
        else:
            sql, args = _STORE_ROWS.format(where="i.id IN (SELECT unnest(?::VARCHAR[]))"), [changed + moved]
        out = []
        for (item_id, published_at, source_id, kind, lang, info_type, tone, relevance, story_id, url, title, text,
             signature) in con.execute(sql, args).fetchall():
            if item_id in wanted:
                out.append(_StoreRow(item_id, _micros(published_at), source_id, kind, lang, info_type, tone,
                                     relevance, story_id, url, title or "", text or "", signature))
        return out

    def _apply(self, rows: list[_StoreRow], replaced_doc_ids: dict[str, int], removed_doc_ids: list[int]) -> None:
        """Inside the refresh transaction: take out the old versions, then put in the new ones."""
        con = self._con
        old_ids = list(replaced_doc_ids.values()) + removed_doc_ids
        old = con.execute(
            "SELECT doc_id, title, text, lang, source_id, kind, info_type, tone, story_id FROM docs "
            "WHERE doc_id IN (SELECT value FROM json_each(?))", [json.dumps(old_ids)]).fetchall() if old_ids else []
        con.executemany(
            "INSERT INTO fts (fts, rowid, title_stem, text_stem, title_word, text_word, facets) "
            "VALUES ('delete', ?, ?, ?, ?, ?, ?)",
            ((doc_id, *_index_values(title, text, lang, _facets(source_id, lang, kind, info_type, tone, story_id)))
             for doc_id, title, text, lang, source_id, kind, info_type, tone, story_id in old))
        old_seconds = {doc_id: doc_id >> SEQ_BITS for doc_id in replaced_doc_ids.values()}
        doc_ids: dict[str, int] = {}
        for row in rows:
            previous = replaced_doc_ids.get(row.item_id)
            if previous is not None and old_seconds[previous] == row.second:
                doc_ids[row.item_id] = previous  # same second: the item keeps its place
        dropped = removed_doc_ids + [d for i, d in replaced_doc_ids.items() if i not in doc_ids]
        con.executemany("DELETE FROM docs WHERE doc_id = ?", ((d,) for d in dropped))
        doc_ids.update(self._allocate([r for r in rows if r.item_id not in doc_ids]))
        con.executemany(
            f"INSERT OR REPLACE INTO docs ({_DOC_COLUMNS}) VALUES ({', '.join('?' * 15)})",
            ((doc_ids[r.item_id], r.item_id, r.published_us // US_PER_DAY, r.published_us, r.source_id, r.kind,
              r.lang, r.info_type, r.tone, r.relevance, r.story_id, r.url, r.title, r.text, r.signature)
             for r in rows))
        con.executemany(
            "INSERT INTO fts (rowid, title_stem, text_stem, title_word, text_word, facets) VALUES (?, ?, ?, ?, ?, ?)",
            ((doc_ids[r.item_id], *_index_values(r.title, r.text, r.lang, _facets(
                r.source_id, r.lang, r.kind, r.info_type, r.tone, r.story_id))) for r in rows))

    def _allocate(self, rows: list[_StoreRow]) -> dict[str, int]:
        """New doc ids, `(second << 20) | n` with n after the highest taken in that second."""
        by_day: dict[int, list[_StoreRow]] = defaultdict(list)
        for row in rows:
            by_day[row.published_us // US_PER_DAY].append(row)
        out: dict[str, int] = {}
        for day, day_rows in by_day.items():
            low, high = (day * 86_400) << SEQ_BITS, ((day + 1) * 86_400) << SEQ_BITS
            taken = dict(self._con.execute(
                "SELECT doc_id >> 20, max(doc_id) FROM docs WHERE doc_id >= ? AND doc_id < ? GROUP BY 1", [low, high]))
            for row in sorted(day_rows, key=lambda r: (r.published_us, r.item_id)):
                doc_id = taken[row.second] + 1 if row.second in taken else row.second << SEQ_BITS
                if doc_id >> SEQ_BITS != row.second:
                    raise StoreError(f"more than {1 << SEQ_BITS} items published in one second at {row.second}")
                out[row.item_id] = taken[row.second] = doc_id
        return out

    # -- search ---------------------------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        kinds: Sequence[str] = (),
        langs: Sequence[str] = (),
        sources: Sequence[str] = (),
        info_types: Sequence[str] = (),
        tones: Sequence[str] = (),
        min_relevance: float | None = None,
        limit: int = 20,
        cursor: str | None = None,
        sort: str = "relevance",
        only: Collection[str] | None = None,
    ) -> SearchPage:
        """One page of hits of `query` (the search language of data.search_query), narrowed by the options.

        `since` is inclusive and `until` exclusive, both to the second. The options combine with the query's own
        field filters by AND. `cursor` is the previous page's `next_cursor` for the same search. `sort` is
        "relevance" (BM25, title above text; ties newest first) or "time" (newest first). `only`: hits among
        these item ids alone (a narrowing the index cannot do itself, such as items judged relevant); its cursor
        is for the same set.
        """
        if sort not in ("relevance", "time"):
            raise UserError(f"sort by relevance or time, not {sort!r}")
        if not 1 <= limit <= MAX_LIMIT:
            raise UserError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
        parsed = translate(query)
        option_values = {"kind": [label_key("kind", k) for k in kinds], "lang": [x.lower() for x in langs],
                         "source": list(sources), "type": [label_key("type", t) for t in info_types],
                         "tone": [label_key("tone", t) for t in tones]}
        match = self._match(parsed, option_values)
        low = -(1 << 62) if since is None else -(-_micros(since) // 1_000_000) << SEQ_BITS
        high = (1 << 62) if until is None else -(-_micros(until) // 1_000_000) << SEQ_BITS
        restrict = None if only is None else json.dumps(sorted(only))
        fingerprint = hashlib.sha1(json.dumps(
            [match, low, high, min_relevance, sort, restrict], ensure_ascii=False).encode("utf-8")).hexdigest()[:12]
        with self._lock:
            self._con.execute("BEGIN")
            try:
                generation = self.generation
                after = self._read_cursor(cursor, fingerprint, generation, sort)
                floor = self._rank_floor(match, low, high, min_relevance, restrict) if sort == "relevance" else None
                hits = self._page(match, low if floor is None else floor, high, min_relevance, sort, after, limit + 1,
                                  restrict)
                total, exact = self._total(match, low, high, min_relevance, restrict)
                more = len(hits) > limit
                hits = hits[:limit]
                details = self._details([doc_id for doc_id, _ in hits])
            finally:
                self._con.execute("COMMIT")
        next_cursor = None
        if more and hits:
            last_doc, last_score = hits[-1]
            next_cursor = _encode_cursor({"v": 1, "f": fingerprint, "g": generation, "o": sort, "d": last_doc,
                                          "s": last_score})
        filters = {k: sorted(v) for k, v in parsed.filters.items()}
        for key, values in option_values.items():
            if values:
                filters.setdefault(key, [])
                filters[key] = sorted(set(filters[key]) | set(values))
        return SearchPage(
            hits=[_hit(details[doc_id], None if sort == "time" else -score, parsed.highlighter) for doc_id, score in hits if doc_id in details],
            next_cursor=next_cursor, total=total, total_exact=exact, generation=generation, sort=sort, filters=filters,
            ranked_within=None if floor is None else RANK_WINDOW)

    def matching_ids(self, query: str, *, since: datetime | None = None, until: datetime | None = None) -> list[str]:
        """Every item id `query` matches in [since, until), unranked (what trends count; other filters are
        applied by the caller on the snapshot)."""
        match = self._match(translate(query), {})
        low = -(1 << 62) if since is None else -(-_micros(since) // 1_000_000) << SEQ_BITS
        high = (1 << 62) if until is None else -(-_micros(until) // 1_000_000) << SEQ_BITS
        sql = ("SELECT docs.item_id FROM fts JOIN docs ON docs.doc_id = fts.rowid "
               "WHERE fts MATCH ? AND fts.rowid >= ? AND fts.rowid < ?")
        with self._lock:
            try:
                return [str(r[0]) for r in self._con.execute(sql, [match, low, high]).fetchall()]
            except sqlite3.OperationalError as exc:
                raise SearchQueryError(f"the search index could not run this query ({exc})") from exc

    @staticmethod
    def _match(parsed: ParsedQuery, option_values: dict[str, list[str]]) -> str:
        """The whole FTS5 MATCH expression: the query's text and filters, the options' filters, the exclusions."""
        required = ([parsed.text] if parsed.text else []) + parsed.required
        for facet, values in option_values.items():
            if values:
                required.append(FACET_COLUMN + " : (" + " OR ".join(
                    f'"{facet_token(facet, v)}"' for v in values) + ")")
        if not required:
            required.append(f'{FACET_COLUMN} : "{EVERY_ITEM}"')
        match = " AND ".join(f"({r})" for r in required)
        if parsed.excluded:
            match = f"({match}) NOT ({' OR '.join(f'({e})' for e in parsed.excluded)})"
        return match

    def _rank_floor(self, match: str, low: int, high: int, min_relevance: float | None,
                    restrict: str | None) -> int | None:
        """The doc id of the RANK_WINDOW-th newest match, when there are more matches than that (ranking is then
        done among the newest RANK_WINDOW: BM25 costs 1-2 µs a match, so a word in a million items of a big
        store would take seconds to rank, and in a running incident the newest matches are the ones wanted)."""
        relevance_join, relevance_where, params = self._relevance_filter(min_relevance, restrict)
        row = self._con.execute(
            f"SELECT fts.rowid FROM fts {relevance_join} WHERE fts MATCH ? AND fts.rowid >= ? AND fts.rowid < ? "
            f"{relevance_where} ORDER BY fts.rowid DESC LIMIT 1 OFFSET ?",
            [match, low, high, *params, RANK_WINDOW - 1]).fetchone()
        return None if row is None else int(row[0])

    def _page(self, match: str, low: int, high: int, min_relevance: float | None, sort: str,
              after: tuple[int, float] | None, limit: int, restrict: str | None = None) -> list[tuple[int, float]]:
        """(doc id, bm25) of the next `limit` hits after the cursor's last hit."""
        relevance_join, relevance_where, params = self._relevance_filter(min_relevance, restrict)
        bm25 = f"bm25(fts, {', '.join(str(w) for w in WEIGHTS)})"
        args: list[Any] = [match, low, high, *params]
        keyset = ""
        if after is not None and sort == "time":
            keyset = "AND fts.rowid < ?"
            args.append(after[0])
        elif after is not None:
            keyset = f"AND ({bm25} > ? OR ({bm25} = ? AND fts.rowid < ?))"
            args += [after[1], after[1], after[0]]
        select = "0.0" if sort == "time" else bm25
        order = "fts.rowid DESC" if sort == "time" else "score, fts.rowid DESC"
        sql = (f"SELECT fts.rowid, {select} AS score FROM fts {relevance_join} "
               f"WHERE fts MATCH ? AND fts.rowid >= ? AND fts.rowid < ? {relevance_where} {keyset} "
               f"ORDER BY {order} LIMIT ?")
        try:
            return [(int(d), float(s)) for d, s in self._con.execute(sql, [*args, limit]).fetchall()]
        except sqlite3.OperationalError as exc:  # the translation should make this impossible: say so plainly
            raise SearchQueryError(f"the search index could not run this query ({exc})") from exc

    @staticmethod
    def _relevance_filter(min_relevance: float | None, restrict: str | None = None) -> tuple[str, str, list[Any]]:
        """The join and conditions on `docs` for a minimum relevance and a restriction to some item ids (a JSON
        array), with their parameters."""
        if min_relevance is None and restrict is None:
            return "", "", []
        where, params = "", list[Any]()
        if min_relevance is not None:
            where, params = "AND docs.relevance >= ?", [float(min_relevance)]
        if restrict is not None:
            where += " AND docs.item_id IN (SELECT value FROM json_each(?))"
            params.append(restrict)
        return "JOIN docs ON docs.doc_id = fts.rowid", where, params

    def _total(self, match: str, low: int, high: int, min_relevance: float | None,
               restrict: str | None = None) -> tuple[int, bool]:
        relevance_join, relevance_where, params = self._relevance_filter(min_relevance, restrict)
        row = self._con.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM fts {relevance_join} WHERE fts MATCH ? AND fts.rowid >= ? "
            f"AND fts.rowid < ? {relevance_where} LIMIT ?)", [match, low, high, *params, COUNT_CAP + 1]).fetchone()
        total = int(row[0])
        return min(total, COUNT_CAP), total <= COUNT_CAP

    def _details(self, doc_ids: list[int]) -> dict[int, tuple[Any, ...]]:
        if not doc_ids:
            return {}
        rows = self._con.execute(f"SELECT {_DOC_COLUMNS} FROM docs WHERE doc_id IN (SELECT value FROM json_each(?))",
                                 [json.dumps(doc_ids)]).fetchall()
        return {int(r[0]): tuple(r) for r in rows}

    @staticmethod
    def _read_cursor(cursor: str | None, fingerprint: str, generation: int, sort: str) -> tuple[int, float] | None:
        if not cursor:
            return None
        try:
            state = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8"))
            doc_id, score = int(state["d"]), float(state["s"])
            same = state["f"] == fingerprint and state["o"] == sort
            made_at = int(state["g"])
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
            raise SearchQueryError("not a search cursor: copy next_cursor from the previous page as it is") from None
        if not same:
            raise SearchQueryError("this cursor belongs to another search: repeat the same query and options with it")
        if sort == "relevance" and made_at != generation:
            raise UserError("the search index was refreshed since this cursor was made, so relevance scores moved: "
                            "run the search again, or page with sort by time, whose cursors survive refreshes")
        return doc_id, score


def _encode_cursor(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode("utf-8")).decode("ascii").rstrip("=")


def _hit(row: tuple[Any, ...], score: float | None, highlighter: Highlighter) -> SearchHit:
    (_, item_id, _, published_us, source_id, kind, lang, info_type, tone, relevance, story_id, url, title, text,
     _) = row
    matches = highlighter.matcher(lang)
    return SearchHit(
        id=item_id, published_at=(EPOCH + published_us * MICROSECOND).replace(tzinfo=UTC), source_id=source_id,
        kind=kind, lang=lang, title=title, url=url, story_id=story_id, info_type=info_type, tone=tone,
        relevance=relevance, score=score,
        snippet=make_snippet(text, matches), title_highlights=_spans(title, matches, 0, len(title)))


def _spans(text: str, matches: Any, start: int, end: int) -> tuple[tuple[int, int], ...]:
    return tuple((m.start() - start, m.end() - start) for m in WORD.finditer(text, start, end) if matches(fold(m.group())))


def make_snippet(text: str, matches: Any, width: int = SNIPPET_CHARS) -> Snippet:
    """The part of `text` (at most about `width` characters) with the most matching words, with their spans."""
    if not text:
        return Snippet("")
    hits = [m.start() for m in WORD.finditer(text) if matches(fold(m.group()))]
    start = 0
    if hits and len(text) > width:
        best, first = 0, 0
        for last in range(len(hits)):  # the window starting at a hit that holds the most hits
            while hits[last] - hits[first] > width * 2 // 3:
                first += 1
            if last - first + 1 > best:
                best, start = last - first + 1, hits[first]
        start = max(0, start - width // 6)
        while start > 0 and not text[start - 1].isspace():
            start -= 1
    end = min(len(text), start + width)
    while end < len(text) and not text[end].isspace() and end - start < width + 30:
        end += 1
    spans = _spans(text, matches, start, end)
    piece = "".join(" " if c in "\r\n\t" else c for c in text[start:end])
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix)
    return Snippet(prefix + piece + suffix, tuple((s + shift, e + shift) for s, e in spans))
