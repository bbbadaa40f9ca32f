"""The reads of the situation room (web/) that the digest's and the stories' readers do not already give.

The stream (Flödet): originals newest first with what enrichment said and the story each belongs to, their
copies collapsed under them, narrowed by the digest's filters (data.item_filter) and paged by a keyset
cursor (published_at, id). Also the choices those filters offer, the newest item time (what "now" means on a
database that is not being fed), and the outlets of a story. Every function takes a cursor of a store at the
current schema and returns plain dicts with aware UTC datetimes; nothing here knows how the page looks.

Data layer: imports the core and data (store, item_filter, digest_queries); nothing above it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any, Sequence

import duckdb

from mediebild.data.digest_queries import enrichment_ran
from mediebild.data.item_filter import NO_FILTER, ItemFilter
from mediebild.data.store import aware_utc, fetch_dicts, naive_utc
from mediebild.timeutil import as_utc

Con = duckdb.DuckDBPyConnection

# The stream first looks this far back from its upper bound and widens only when a page is not full: DuckDB's
# zone maps on published_at (items arrive in time order) make a narrow window cheap however many items exist.
STREAM_WINDOWS = (timedelta(hours=6), timedelta(hours=48), timedelta(days=14), None)


def newest_item_time(con: Con) -> datetime | None:
    row = con.execute("SELECT max(published_at) FROM items").fetchone()
    return None if row is None or row[0] is None else aware_utc(row[0])


def totals(con: Con) -> dict[str, int]:
    """How much the database holds: items, live stories, sources."""
    row = con.execute(
        """SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM stories WHERE merged_into IS NULL),
                  (SELECT count(*) FROM sources)"""
    ).fetchone()
    items, stories, sources = row if row else (0, 0, 0)
    return {"items": int(items), "stories": int(stories), "sources": int(sources)}


def filter_choices(con: Con) -> dict[str, list[Any]]:
    """What the stream's filters can choose from: sources (id, name, kind) and the labels present."""
    sources = fetch_dicts(con, "SELECT id, name, item_kind AS kind FROM sources ORDER BY name, id")
    labels: dict[str, list[Any]] = {"langs": [], "info_types": [], "source_types": [], "tones": []}
    if enrichment_ran(con):
        for column, key in (("lang", "langs"), ("info_type", "info_types"), ("source_type", "source_types"),
                            ("tone", "tones")):
            labels[key] = [r[0] for r in con.execute(
                f"SELECT DISTINCT {column} FROM enrichments WHERE {column} IS NOT NULL ORDER BY 1").fetchall()]
    return {"sources": sources, **labels}


_STREAM_SQL = """
    SELECT i.id, i.title, i.text, i.url, i.kind, i.source_id, coalesce(s.name, i.source_id) AS source_name,
           i.author, i.published_at, i.updated_at, i.version, coalesce(e.lang, i.lang) AS lang, e.relevance,
           e.relevant, e.info_type, e.source_type, e.tone, si.story_id, st.headline AS story_headline,
           st.rumour AS story_rumour
    FROM items i
    LEFT JOIN enrichments e ON e.item_id = i.id
    LEFT JOIN sources s ON s.id = i.source_id
    LEFT JOIN story_items si ON si.item_id = i.id
    LEFT JOIN stories st ON st.id = si.story_id
    WHERE i.published_at >= ? AND (i.published_at < ? OR (i.published_at = ? AND i.id < ?))
      AND NOT EXISTS (SELECT 1 FROM copies c WHERE c.item_id = i.id)
      AND {chosen}
    ORDER BY i.published_at DESC, i.id DESC
    LIMIT ?
"""


def stream(con: Con, item_filter: ItemFilter = NO_FILTER, *, until: datetime,
           before: tuple[datetime, str] | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Originals (not copies) published before `until` (or before the keyset `before`), newest first.

    Each row has the item, its source name, its enrichment labels (None before enrichment), its story (id and
    headline, None before the stories step) and `copies`: the items that repeat it, oldest first.
    """
    chosen, params = item_filter.where(enriched=enrichment_ran(con))
    upper, upper_id = before if before is not None else (as_utc(until), "")
    if before is None:
        # strictly before `until`: the keyset's tie-break compares ids, and "" sorts before every id
        upper_id = ""
    rows: list[dict[str, Any]] = []
    for window in STREAM_WINDOWS:
        lower = naive_utc(upper - window) if window is not None else datetime(1970, 1, 1)
        rows = fetch_dicts(con, _STREAM_SQL.format(chosen=chosen),
                           [lower, naive_utc(upper), naive_utc(upper), upper_id, *params, limit])
        if len(rows) >= limit:
            break
    copies = copies_of(con, [r["id"] for r in rows])
    for row in rows:
        row["copies"] = copies.get(row["id"], [])
    return rows


def copies_of(con: Con, item_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """original id -> the items that repeat it (wire copies, reposts, updates), oldest first."""
    if not item_ids:
        return {}
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in fetch_dicts(
        con,
        """SELECT c.copy_of, i.id, i.title, i.url, i.kind, i.source_id, coalesce(s.name, i.source_id) AS source_name,
                  i.author, i.published_at, c.how
           FROM copies c JOIN items i ON i.id = c.item_id LEFT JOIN sources s ON s.id = i.source_id
           WHERE c.copy_of IN (SELECT unnest(?::VARCHAR[]))
           ORDER BY i.published_at, i.id""",
        [list(item_ids)],
    ):
        out[row.pop("copy_of")].append(row)
    return dict(out)


def item_details(con: Con, item_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """id -> text, author, source name and enrichment labels of these items (for a story's timeline)."""
    if not item_ids:
        return {}
    rows = fetch_dicts(
        con,
        """SELECT i.id, i.text, i.author, coalesce(s.name, i.source_id) AS source_name, i.updated_at, i.version,
                  coalesce(e.lang, i.lang) AS lang, e.relevance, e.info_type, e.tone
           FROM items i LEFT JOIN sources s ON s.id = i.source_id LEFT JOIN enrichments e ON e.item_id = i.id
           WHERE i.id IN (SELECT unnest(?::VARCHAR[]))""",
        [list(item_ids)],
    )
    return {r["id"]: r for r in rows}


def source_names(con: Con, source_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """source id -> {name, kind}."""
    if not source_ids:
        return {}
    return {r[0]: {"name": r[1], "kind": r[2]} for r in con.execute(
        "SELECT id, name, item_kind FROM sources WHERE id IN (SELECT unnest(?::VARCHAR[]))",
        [list(source_ids)]).fetchall()}


def source_exists(con: Con, source_id: str) -> bool:
    row = con.execute("SELECT count(*) FROM sources WHERE id = ?", [source_id]).fetchone()
    return bool(row and row[0])


def story_ids_of(con: Con, item_ids: Sequence[str]) -> dict[str, str]:
    """item id -> the live story it belongs to."""
    if not item_ids:
        return {}
    return {r[0]: r[1] for r in con.execute(
        "SELECT item_id, story_id FROM story_items WHERE item_id IN (SELECT unnest(?::VARCHAR[]))",
        [list(item_ids)]).fetchall()}
