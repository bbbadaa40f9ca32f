"""Reads and writes of the enrichment tables (0002_enrichment.sql): what is pending, bulk replace, summaries.

An item is pending when it has no enrichments row, or its row was made by another model version, for an older
version of the item, or with another incident profile. Writes are bulk (Arrow tables registered with DuckDB)
and idempotent: a batch's enrichments rows and entities rows are deleted and inserted again in one transaction.
This module knows rows and columns only, nothing of models or document layout.

Data layer: imports the core (timeutil) and pyarrow; nothing above it.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterator, Sequence

import pyarrow as pa

from mediebild.timeutil import as_utc, utcnow

ENRICHMENT_COLUMNS: tuple[str, ...] = (
    "item_id", "enriched_at", "model_version", "lang", "lang_confidence", "lemmas", "relevance", "relevant",
    "informativeness", "profile_terms", "info_type", "info_type_probs", "source_type", "source_type_probs",
    "tone", "tone_probs", "item_version", "profile_key", "ner_done",
)
JSON_COLUMNS = ("info_type_probs", "source_type_probs", "tone_probs")
ENTITY_COLUMNS: tuple[str, ...] = ("item_id", "label", "text", "norm_id", "start_char", "end_char")

_ENRICHMENT_SCHEMA = pa.schema(
    [
        ("item_id", pa.string()), ("enriched_at", pa.timestamp("us")), ("model_version", pa.string()),
        ("lang", pa.string()), ("lang_confidence", pa.float64()), ("lemmas", pa.string()),
        ("relevance", pa.float64()), ("relevant", pa.bool_()), ("informativeness", pa.string()),
        ("profile_terms", pa.list_(pa.string())), ("info_type", pa.string()), ("info_type_probs", pa.string()),
        ("source_type", pa.string()), ("source_type_probs", pa.string()), ("tone", pa.string()),
        ("tone_probs", pa.string()), ("item_version", pa.int32()), ("profile_key", pa.string()),
        ("ner_done", pa.bool_()),
    ]
)
_ENTITY_SCHEMA = pa.schema(
    [
        ("item_id", pa.string()), ("label", pa.string()), ("text", pa.string()), ("norm_id", pa.string()),
        ("start_char", pa.int32()), ("end_char", pa.int32()),
    ]
)


def _fetch_one(con, sql: str, params: Any = None) -> tuple | None:
    """The first row, with the result consumed (DuckDB refuses other work on a half-read result)."""
    rows = con.execute(sql, params).fetchall() if params is not None else con.execute(sql).fetchall()
    return rows[0] if rows else None


def _con(target):
    return getattr(target, "con", target)


@contextmanager
def _transaction(target) -> Iterator[Any]:
    if hasattr(target, "transaction"):
        with target.transaction() as con:
            yield con
        return
    con = target
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


_PENDING_WHERE = """
    e.item_id IS NULL
    OR e.model_version <> $model_version
    OR e.item_version IS DISTINCT FROM i.version
    OR e.profile_key IS DISTINCT FROM $profile_key
"""


def pending_item_ids(target, *, model_version: str, profile_key: str | None, limit: int | None = None) -> list[str]:
    """Ids of items to (re-)enrich, oldest first."""
    sql = f"""SELECT i.id FROM items i LEFT JOIN enrichments e ON e.item_id = i.id
              WHERE {_PENDING_WHERE} ORDER BY i.published_at, i.id"""
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    rows = _con(target).execute(sql, {"model_version": model_version, "profile_key": profile_key}).fetchall()
    return [r[0] for r in rows]


def count_pending(target, *, model_version: str, profile_key: str | None) -> int:
    sql = f"SELECT count(*) FROM items i LEFT JOIN enrichments e ON e.item_id = i.id WHERE {_PENDING_WHERE}"
    return int(_fetch_one(_con(target), sql, {"model_version": model_version, "profile_key": profile_key})[0])


def fetch_items(target, ids: Sequence[str]) -> list[dict[str, Any]]:
    """id, title, text, kind, source_id, version, published_at of the given items, in the order given."""
    if not ids:
        return []
    con = _con(target)
    wanted = pa.table({"id": pa.array(list(ids), pa.string()), "pos": pa.array(range(len(ids)), pa.int64())})
    con.register("wanted_items", wanted)
    try:
        rows = con.execute(
            """SELECT i.id, i.title, i.text, i.kind, i.source_id, i.version, i.published_at
               FROM wanted_items w JOIN items i ON i.id = w.id ORDER BY w.pos"""
        ).fetchall()
    finally:
        con.unregister("wanted_items")
    keys = ("id", "title", "text", "kind", "source_id", "version", "published_at")
    return [dict(zip(keys, row)) for row in rows]


def _naive(value: datetime | None) -> datetime:
    return as_utc(value or utcnow()).replace(tzinfo=None)


def _json(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def write_enrichments(target, rows: list[dict[str, Any]], entities: list[dict[str, Any]]) -> int:
    """Replace the enrichments and entities rows of the items in `rows`, in one transaction; returns len(rows).

    `rows` hold ENRICHMENT_COLUMNS (missing keys are NULL; lemmas may be a list; *_probs may be dicts);
    `entities` hold ENTITY_COLUMNS. Every entity's item must be in `rows`.
    """
    if not rows:
        return 0
    columns: dict[str, list[Any]] = {name: [] for name in ENRICHMENT_COLUMNS}
    for row in rows:
        for name in ENRICHMENT_COLUMNS:
            value = row.get(name)
            if name == "enriched_at":
                value = _naive(value)
            elif name == "lemmas" and isinstance(value, (list, tuple)):
                value = " ".join(value)
            elif name in JSON_COLUMNS:
                value = _json(value)
            elif name == "ner_done":
                value = bool(value)
            elif name == "profile_terms" and value is not None:
                value = list(value)
            columns[name].append(value)
    enrich_table = pa.table(columns, schema=_ENRICHMENT_SCHEMA)
    entity_table = pa.table(
        {name: [e.get(name) for e in entities] for name in ENTITY_COLUMNS}, schema=_ENTITY_SCHEMA
    )
    select = ", ".join(f"CAST({c} AS JSON)" if c in JSON_COLUMNS else c for c in ENRICHMENT_COLUMNS)
    with _transaction(target) as con:
        con.register("incoming_enrichments", enrich_table)
        con.register("incoming_entities", entity_table)
        try:
            con.execute("DELETE FROM entities WHERE item_id IN (SELECT item_id FROM incoming_enrichments)")
            con.execute("DELETE FROM enrichments WHERE item_id IN (SELECT item_id FROM incoming_enrichments)")
            con.execute(
                f"INSERT INTO enrichments ({', '.join(ENRICHMENT_COLUMNS)}) SELECT {select} FROM incoming_enrichments"
            )
            con.execute(
                f"INSERT INTO entities ({', '.join(ENTITY_COLUMNS)}) SELECT {', '.join(ENTITY_COLUMNS)} FROM incoming_entities"
            )
        finally:
            con.unregister("incoming_enrichments")
            con.unregister("incoming_entities")
    return len(rows)


def entities_of(target, item_id: str) -> list[dict[str, Any]]:
    rows = _con(target).execute(
        f"SELECT {', '.join(ENTITY_COLUMNS)} FROM entities WHERE item_id = ? ORDER BY start_char", [item_id]
    ).fetchall()
    return [dict(zip(ENTITY_COLUMNS, r)) for r in rows]


def enrichment_of(target, item_id: str) -> dict[str, Any] | None:
    con = _con(target)
    row = _fetch_one(con, f"SELECT {', '.join(ENRICHMENT_COLUMNS)} FROM enrichments WHERE item_id = ?", [item_id])
    return None if row is None else dict(zip(ENRICHMENT_COLUMNS, row))


def summary(target, *, item_ids: Sequence[str] | None = None) -> dict[str, Any]:
    """Counts for people: items enriched, relevant, by language, by info type, entities (optionally for some items)."""
    con = _con(target)
    where, params = "", []
    if item_ids is not None:
        con.register("summary_ids", pa.table({"id": pa.array(list(item_ids), pa.string())}))
        where = "WHERE item_id IN (SELECT id FROM summary_ids)"
    try:
        total, relevant = _fetch_one(con, f"SELECT count(*), count(*) FILTER (WHERE relevant) FROM enrichments {where}", params)
        by_lang = con.execute(
            f"SELECT coalesce(lang, '?'), count(*) FROM enrichments {where} GROUP BY 1 ORDER BY 2 DESC, 1"
        ).fetchall()
        by_type = con.execute(
            f"""SELECT info_type, count(*) FROM enrichments {where + (' AND' if where else 'WHERE')}
                info_type IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1"""
        ).fetchall()
        n_entities = _fetch_one(con, f"SELECT count(*) FROM entities {where}")[0]
    finally:
        if item_ids is not None:
            con.unregister("summary_ids")
    return {
        "items": int(total),
        "relevant": int(relevant),
        "by_language": {k: int(v) for k, v in by_lang},
        "by_info_type": {k: int(v) for k, v in by_type},
        "entities": int(n_entities),
    }


def update_relevance(target, rows: Sequence[dict[str, Any]]) -> int:
    """Set relevance and relevant of already enriched items (dicts with item_id, relevance, relevant), as the
    relevance learner re-scores them; every other column stays. Returns the rows given."""
    if not rows:
        return 0
    table = pa.table({
        "item_id": pa.array([r["item_id"] for r in rows], pa.string()),
        "relevance": pa.array([float(r["relevance"]) for r in rows], pa.float64()),
        "relevant": pa.array([bool(r["relevant"]) for r in rows], pa.bool_()),
    })
    con = _con(target)
    con.register("rescored", table)
    try:
        con.execute(
            """UPDATE enrichments SET relevance = r.relevance, relevant = r.relevant
               FROM rescored r WHERE enrichments.item_id = r.item_id"""
        )
    finally:
        con.unregister("rescored")
    return len(rows)


def add_entities(target, item_ids: Sequence[str], entities: list[dict[str, Any]]) -> None:
    """Replace the entities of `item_ids` and mark their NER done (items that became relevant after enrichment)."""
    if not item_ids:
        return
    con = _con(target)
    con.register("ner_ids", pa.table({"id": pa.array(list(item_ids), pa.string())}))
    con.register("incoming_entities", pa.table(
        {name: [e.get(name) for e in entities] for name in ENTITY_COLUMNS}, schema=_ENTITY_SCHEMA))
    try:
        con.execute("DELETE FROM entities WHERE item_id IN (SELECT id FROM ner_ids)")
        con.execute(f"INSERT INTO entities ({', '.join(ENTITY_COLUMNS)}) SELECT {', '.join(ENTITY_COLUMNS)} FROM incoming_entities")
        con.execute("UPDATE enrichments SET ner_done = TRUE WHERE item_id IN (SELECT id FROM ner_ids)")
    finally:
        con.unregister("ner_ids")
        con.unregister("incoming_entities")


def texts_of(target, item_ids: Sequence[str]) -> list[dict[str, Any]]:
    """id, title, text and lang of enriched items (for NER on items that became relevant)."""
    if not item_ids:
        return []
    con = _con(target)
    con.register("text_ids", pa.table({"id": pa.array(list(item_ids), pa.string())}))
    try:
        rows = con.execute("""SELECT i.id, i.title, i.text, e.lang FROM items i JOIN enrichments e ON e.item_id = i.id
                              WHERE i.id IN (SELECT id FROM text_ids)""").fetchall()
    finally:
        con.unregister("text_ids")
    return [dict(zip(("id", "title", "text", "lang"), r)) for r in rows]
