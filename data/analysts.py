"""The analysts' questions over a published snapshot: volume over time, top lists, export, read-only SQL.

Every function takes a snapshot connection (data/snapshot_read.py) and answers from its views. Volume and top
lists read the hourly rollups when the question fits them (whole hours, filters the rollup keeps), and the
items otherwise, so the answer is the same either way, only the speed differs; `used_rollup` says which.
Buckets and periods are in Europe/Stockholm time (a day bucket is a Stockholm day).

Data layer: imports the core (errors, timeutil), data.item_filter and data.store; nothing above it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

import duckdb

from mediebild.data.item_filter import NO_FILTER, ItemFilter
from mediebild.data.store import naive_utc
from mediebild.errors import UserError
from mediebild.timeutil import STOCKHOLM, utcnow

BUCKETS = {"15min": "15 minutes", "hour": "1 hour", "day": "1 day"}
TOP_LISTS = ("sources", "entities", "places", "organisations", "people", "hashtags", "words", "stories")
ENTITY_LABELS = {"places": "LOC", "organisations": "ORG", "people": "PER"}
ALLOWED_STATEMENTS = {"SELECT", "EXPLAIN"}

# The columns each rollup keeps (data/snapshot_tables.py), besides hour and relevant.
VOLUME_DIMS = frozenset({"kind", "source_id", "lang"})
CATEGORY_DIMS = frozenset({"kind", "info_type", "tone"})
MENTION_DIMS = frozenset({"kind"})
TERM_DIMS = frozenset({"kind"})


def _local(column: str) -> str:
    return f"(({column} AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/Stockholm')"


@dataclass(frozen=True)
class Selection:
    """What an analyst narrows to: a period (aware datetimes), the digest's item filter, relevant only."""

    since: datetime
    until: datetime
    items: ItemFilter = field(default=NO_FILTER)
    relevant_only: bool = False
    use_rollups: bool = True  # False: always count the items themselves (what the rollups are checked against)

    def where(self, one_alias: str | None = None) -> tuple[str, list[Any]]:
        """SQL over `items i` + `enrichments e` (the item filter's aliases) with its parameters; `one_alias`:
        over one relation with all their columns (items_enriched, items_wide)."""
        condition, params = self.items.where(enriched=True, one_alias=one_alias)
        time_column = f"{one_alias or 'i'}.published_at"
        clauses = [f"{time_column} >= ?", f"{time_column} < ?", condition]
        values: list[Any] = [naive_utc(self.since), naive_utc(self.until), *params]
        if self.relevant_only:
            clauses.append(f"{one_alias or 'e'}.relevant")
        return " AND ".join(clauses), values

    def rollup_where(self, dims: frozenset[str]) -> tuple[str, list[Any]] | None:
        """The same selection over a rollup `r` that keeps the columns `dims` (besides hour and relevant), or
        None when the rollup cannot answer it (a period not on whole hours, or a filter on a column it lacks)."""
        if not self.use_rollups:
            return None
        if not all(t.minute == 0 and t.second == 0 and t.microsecond == 0 for t in (self.since, self.until)):
            return None
        if self.items.source_types or self.items.min_relevance is not None:
            return None
        clauses = ["r.hour >= ?", "r.hour < ?"]
        values: list[Any] = [naive_utc(self.since), naive_utc(self.until)]
        for name, column in (("kinds", "kind"), ("sources", "source_id"), ("langs", "lang"),
                             ("info_types", "info_type"), ("tones", "tone")):
            chosen = getattr(self.items, name)
            if not chosen:
                continue
            if column not in dims:
                return None
            clauses.append(f"r.{column} IN ({', '.join('?' for _ in chosen)})")
            values.extend(chosen)
        if self.relevant_only:
            clauses.append("r.relevant")
        return " AND ".join(clauses), values

    def previous(self) -> "Selection":
        """The period of the same length just before this one, same filters."""
        length = self.until - self.since
        return replace(self, since=self.since - length, until=self.since)


def data_end(con: duckdb.DuckDBPyConnection) -> datetime:
    """The end of the hour of the newest item, aware (Stockholm); now when there are no items."""
    row = con.execute("SELECT max(hour) FROM volume_hourly").fetchone()
    if not row or row[0] is None:
        return utcnow().astimezone(STOCKHOLM).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    newest: datetime = row[0]
    return (newest.replace(tzinfo=timezone.utc) + timedelta(hours=1)).astimezone(STOCKHOLM)


def check_bucket(bucket: str) -> str:
    if bucket not in BUCKETS:
        raise UserError(f"--by {bucket!r}: use one of {', '.join(BUCKETS)}")
    return bucket


def volume(con: duckdb.DuckDBPyConnection, selection: Selection, bucket: str) -> tuple[dict[datetime, int], bool]:
    """Items per bucket (start of the bucket in Stockholm time, naive) and whether the rollup answered."""
    interval = BUCKETS[check_bucket(bucket)]
    for table, dims in (("volume_hourly", VOLUME_DIMS), ("category_volume_hourly", CATEGORY_DIMS)):
        found = selection.rollup_where(dims) if bucket != "15min" else None
        if found is None:
            continue
        where, params = found
        rows = con.execute(
            f"""SELECT time_bucket(INTERVAL '{interval}', {_local('r.hour')}) AS b, sum(r.items)::BIGINT
                  FROM {table} r WHERE {where} GROUP BY 1 ORDER BY 1""", params).fetchall()
        return {r[0]: int(r[1]) for r in rows}, True
    where, params = selection.where()
    rows = con.execute(
        f"""SELECT time_bucket(INTERVAL '{interval}', {_local('i.published_at')}) AS b, count(*)
              FROM items i LEFT JOIN enrichments e ON e.item_id = i.id WHERE {where} GROUP BY 1 ORDER BY 1""",
        params).fetchall()
    return {r[0]: int(r[1]) for r in rows}, False


def bucket_starts(selection: Selection, bucket: str) -> list[datetime]:
    """Every bucket of the period (naive Stockholm), so a chart shows the empty ones as zero."""
    step = {"15min": timedelta(minutes=15), "hour": timedelta(hours=1), "day": timedelta(days=1)}[bucket]
    start = selection.since.astimezone(STOCKHOLM).replace(tzinfo=None)
    if bucket == "day":
        start = start.replace(hour=0, minute=0, second=0, microsecond=0)
    elif bucket == "hour":
        start = start.replace(minute=0, second=0, microsecond=0)
    else:
        start = start.replace(minute=start.minute - start.minute % 15, second=0, microsecond=0)
    end = selection.until.astimezone(STOCKHOLM).replace(tzinfo=None)
    out = []
    while start < end:
        out.append(start)
        start += step
    return out


def matched_volume(con: duckdb.DuckDBPyConnection, item_ids: list[str], selection: Selection,
                   bucket: str) -> dict[datetime, int]:
    """Items per bucket among `item_ids` (a search's matches), narrowed by the selection's filters."""
    import pyarrow as pa

    interval = BUCKETS[check_bucket(bucket)]
    where, params = selection.where(one_alias="x")
    cursor = con.cursor()
    try:
        cursor.register("matched_ids", pa.table({"id": pa.array(item_ids, type=pa.string())}))
        rows = cursor.execute(
            f"""SELECT time_bucket(INTERVAL '{interval}', {_local('x.published_at')}) AS b, count(*)
                  FROM items_enriched x SEMI JOIN matched_ids m ON m.id = x.id
                 WHERE {where} GROUP BY 1 ORDER BY 1""", params).fetchall()
    finally:
        cursor.close()
    return {r[0]: int(r[1]) for r in rows}


def narrowed_ids(con: duckdb.DuckDBPyConnection, item_ids: list[str], selection: Selection) -> list[str]:
    """The ids among `item_ids` (a search's matches) that the selection keeps (its filters, relevant only)."""
    import pyarrow as pa

    where, params = selection.where(one_alias="x")
    cursor = con.cursor()
    try:
        cursor.register("matched_ids", pa.table({"id": pa.array(item_ids, type=pa.string())}))
        rows = cursor.execute(f"SELECT x.id FROM items_enriched x SEMI JOIN matched_ids m ON m.id = x.id WHERE {where}",
                              params).fetchall()
    finally:
        cursor.close()
    return [str(r[0]) for r in rows]


# -- top lists ---------------------------------------------------------------------------------------------


@dataclass
class TopRow:
    key: str
    name: str
    count: int
    share: float
    previous: int
    label: str | None = None

    @property
    def change(self) -> float | None:
        """Relative change against the previous period (None when it had none)."""
        return None if self.previous == 0 else (self.count - self.previous) / self.previous

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "label": self.label, "count": self.count,
                "share": round(self.share, 4), "previous": self.previous,
                "change": None if self.change is None else round(self.change, 3)}


def _totals(con: duckdb.DuckDBPyConnection, selection: Selection) -> tuple[int, int]:
    """All items in the period and in the one before it, in one read (hour buckets of both periods)."""
    previous = selection.previous()
    if selection.rollup_where(VOLUME_DIMS) is None and selection.rollup_where(CATEGORY_DIMS) is None:
        # not on whole hours, or filters the rollups lack: count each period (an hour may straddle the two)
        return (sum(volume(con, selection, "day")[0].values()), sum(volume(con, previous, "day")[0].values()))
    counts, _ = volume(con, replace(selection, since=previous.since), "hour")
    boundary = selection.since.astimezone(STOCKHOLM).replace(tzinfo=None)
    now = sum(n for start, n in counts.items() if start >= boundary)
    return now, sum(counts.values()) - now


def _top_counts(con: duckdb.DuckDBPyConnection, what: str, selection: Selection, limit: int | None,
                only: list[str] | None = None) -> tuple[list[tuple[str, str, str | None, int]], bool]:
    """[(key, name, label, count)] for one period, biggest first; and whether a rollup answered. `only`: just
    these keys (the previous period of a top list needs only the current top's keys; DuckDB pushes the filter
    below the grouping)."""
    if only is not None:
        rows, used = _top_counts_sql(con, what, selection, None)
        sql, params = rows
        wrapped = (f"SELECT * FROM ({sql}) q(key, name, label, n) WHERE key IN (SELECT unnest(?::VARCHAR[]))")
        return _rows(con, wrapped, [*params, only]), used
    (sql, params), used = _top_counts_sql(con, what, selection, limit)
    return _rows(con, sql, params), used


def _top_counts_sql(con: duckdb.DuckDBPyConnection, what: str, selection: Selection,
                    limit: int | None) -> tuple[tuple[str, list[Any]], bool]:
    """The SQL of _top_counts and its parameters; and whether it reads a rollup."""
    top = f"LIMIT {int(limit)}" if limit else ""
    if what == "sources":
        found = selection.rollup_where(VOLUME_DIMS)
        if found is not None:
            where, params = found
            sql = f"""SELECT r.source_id, coalesce(s.name, r.source_id), NULL, sum(r.items)::BIGINT AS n
                        FROM volume_hourly r LEFT JOIN sources s ON s.id = r.source_id WHERE {where}
                       GROUP BY ALL ORDER BY n DESC, 1 {top}"""
            return (sql, params), True
        where, params = selection.where()
        sql = f"""SELECT i.source_id, coalesce(s.name, i.source_id), NULL, count(*) AS n
                    FROM items i LEFT JOIN enrichments e ON e.item_id = i.id LEFT JOIN sources s ON s.id = i.source_id
                   WHERE {where} GROUP BY ALL ORDER BY n DESC, 1 {top}"""
        return (sql, params), False
    if what in ("entities", *ENTITY_LABELS):
        label = ENTITY_LABELS.get(what)
        found = selection.rollup_where(MENTION_DIMS)
        if found is not None:
            where, params = found
            if label:
                where, params = where + " AND r.label = ?", [*params, label]
            # the name as written most often, a capitalised form before a lower-case one (#bryssel, Bryssel)
            name = "arg_max(r.name, r.mentions + CASE WHEN r.name <> lower(r.name) THEN 1e9 ELSE 0 END)"
            sql = f"""SELECT r.entity, {name}, any_value(r.label), sum(r.items)::BIGINT AS n
                        FROM entity_mentions_hourly r WHERE {where} GROUP BY r.entity ORDER BY n DESC, 1 {top}"""
            return (sql, params), True
        where, params = selection.where()
        if label:
            where, params = where + " AND n.label = ?", [*params, label]
        sql = f"""SELECT coalesce(n.norm_id, n.label || ':' || lower(n.text)) AS entity,
                         coalesce(mode(n.text) FILTER (WHERE n.text <> lower(n.text)), mode(n.text)), any_value(n.label),
                         count(DISTINCT i.id) AS c
                    FROM entities n JOIN items i ON i.id = n.item_id LEFT JOIN enrichments e ON e.item_id = i.id
                   WHERE {where} GROUP BY entity ORDER BY c DESC, 1 {top}"""
        return (sql, params), False
    if what in ("hashtags", "words"):
        kind = "hashtag" if what == "hashtags" else "word"
        found = selection.rollup_where(TERM_DIMS)
        if found is not None:
            where, params = found
            sql = f"""SELECT r.term, r.term, NULL, sum(r.items)::BIGINT AS n FROM terms_hourly r
                       WHERE {where} AND r.term_kind = ? GROUP BY r.term ORDER BY n DESC, 1 {top}"""
            return (sql, [*params, kind]), True
        where, params = selection.where()
        terms = ("string_split(coalesce(e.lemmas, ''), ' ')" if kind == "word" else
                 "list_transform(regexp_extract_all(i.title || ' ' || i.text, '#([[:alnum:]_]+)', 1), lambda x: lower(x))")
        sql = f"""SELECT term, term, NULL, count(DISTINCT id) AS n FROM (
                    SELECT i.id, unnest(list_distinct({terms})) AS term
                      FROM items i LEFT JOIN enrichments e ON e.item_id = i.id
                     WHERE {where} AND i.purged_at IS NULL)
                   WHERE length(term) > 1 GROUP BY term ORDER BY n DESC, 1 {top}"""
        return (sql, params), False
    if what == "stories":
        if selection.use_rollups:
            # the wide items carry each item's story and enrichment: one scan of the period, no joins of whole
            # tables (x.lang is the enrichment's language, as e.lang below)
            where, params = selection.where(one_alias="x")
            sql = f"""SELECT x.story_id, coalesce(st.headline, x.story_id), CASE WHEN st.rumour THEN 'rumour' END,
                             count(*) AS n
                        FROM (SELECT * EXCLUDE (lang, enriched_lang), enriched_lang AS lang FROM items_wide) x
                        LEFT JOIN stories st ON st.id = x.story_id
                       WHERE x.story_id IS NOT NULL AND {where} GROUP BY ALL ORDER BY n DESC, 1 {top}"""
            return (sql, params), False
        where, params = selection.where()
        sql = f"""SELECT si.story_id, coalesce(st.headline, si.story_id), CASE WHEN st.rumour THEN 'rumour' END,
                         count(*) AS n
                    FROM story_items si JOIN items i ON i.id = si.item_id LEFT JOIN enrichments e ON e.item_id = i.id
                    LEFT JOIN stories st ON st.id = si.story_id
                   WHERE {where} GROUP BY ALL ORDER BY n DESC, 1 {top}"""
        return (sql, params), False
    raise UserError(f"top {what!r}: use one of {', '.join(TOP_LISTS)}")


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[tuple[str, str, str | None, int]]:
    return [(str(r[0]), str(r[1]), r[2], int(r[3])) for r in con.execute(sql, params).fetchall()]


@dataclass
class TopList:
    what: str
    selection: Selection
    total: int
    previous_total: int
    rows: list[TopRow]
    used_rollup: bool


def top(con: duckdb.DuckDBPyConnection, what: str, selection: Selection, *, limit: int = 20) -> TopList:
    """The top `limit` of `what` in the period, with their share of all items and the previous period."""
    if what not in TOP_LISTS:
        raise UserError(f"top {what!r}: use one of {', '.join(TOP_LISTS)}")
    current, used_rollup = _top_counts(con, what, selection, limit)
    keys = [row[0] for row in current]
    before = {row[0]: row[3] for row in _top_counts(con, what, selection.previous(), None, only=keys)[0]}
    total, previous_total = _totals(con, selection)
    rows = [TopRow(key, name, count, count / total if total else 0.0, before.get(key, 0), label)
            for key, name, label, count in current]
    return TopList(what, selection, total, previous_total, rows, used_rollup)


# -- export and SQL ----------------------------------------------------------------------------------------

EXPORT_COLUMNS = ("id", "published_at", "published_local", "source_id", "source_name", "platform", "kind", "lang",
                  "title", "text", "url", "author", "relevance", "relevant", "informativeness", "info_type",
                  "source_type", "tone", "story_id", "copy_of", "entities")


def export_sql(selection: Selection, *, flat: bool) -> tuple[str, list[Any]]:
    """The export's SELECT over items_enriched, oldest first (`flat`: entities as JSON text, for CSV)."""
    where, params = selection.where(one_alias="x")
    columns = ", ".join("to_json(x.entities) AS entities" if flat and c == "entities" else f"x.{c}"
                        for c in EXPORT_COLUMNS)
    return f"SELECT {columns} FROM items_enriched x WHERE {where} ORDER BY x.published_at, x.id", params


def export_batches(con: duckdb.DuckDBPyConnection, selection: Selection, *, flat: bool,
                   batch_rows: int = 65536) -> Iterator[Any]:
    """pyarrow RecordBatches of the export, read as they stream (constant memory)."""
    sql, params = export_sql(selection, flat=flat)
    cursor = con.cursor()  # its own result, so the connection stays free for other work while this streams
    try:
        yield from cursor.sql(sql, params=params).to_arrow_reader(batch_rows)
    finally:
        cursor.close()


def export_to_file(con: duckdb.DuckDBPyConnection, selection: Selection, path: str, fmt: str) -> int:
    """DuckDB's own COPY, streamed; the number of rows written."""
    sql, params = export_sql(selection, flat=fmt == "csv")
    options = {"csv": "FORMAT csv, HEADER true", "parquet": "FORMAT parquet, COMPRESSION zstd",
               "jsonl": "FORMAT json"}[fmt]
    quoted = path.replace("'", "''")
    row = con.execute(f"COPY ({sql}) TO '{quoted}' ({options})", params).fetchone()
    return int(row[0]) if row else 0


def check_read_only(sql: str) -> str:
    """The one SELECT (or EXPLAIN) statement in `sql`, or a UserError saying why it is refused."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise UserError(f"SQL: {str(exc).splitlines()[0]}") from exc
    if len(statements) != 1:
        raise UserError(f"SQL: give exactly one statement (got {len(statements)})")
    kind = statements[0].type.name
    if kind not in ALLOWED_STATEMENTS:
        raise UserError(f"SQL: only reading is allowed here (SELECT, WITH, FROM, DESCRIBE, SUMMARIZE), not {kind}")
    return sql


def lock_down(con: duckdb.DuckDBPyConnection, readable: str) -> None:
    """No file outside `readable` can be read or written through `con` from now on, nor can this be undone."""
    quoted = readable.rstrip("/").replace("'", "''") + "/"
    con.execute(f"SET allowed_directories = ['{quoted}']")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def run_query(con: duckdb.DuckDBPyConnection, sql: str, *, batch_rows: int = 65536) -> tuple[list[str], Any]:
    """An analyst's read-only statement: its column names and a pyarrow RecordBatchReader (streamed).

    Errors in the statement become UserErrors that quote DuckDB's first line.
    """
    check_read_only(sql)
    try:
        relation = con.cursor().sql(sql)
        return list(relation.columns), relation.to_arrow_reader(batch_rows)
    except duckdb.Error as exc:
        raise UserError(f"SQL: {str(exc).strip().splitlines()[0]}") from exc
