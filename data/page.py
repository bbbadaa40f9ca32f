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

import math

import duckdb

from mediebild.data.digest_queries import enrichment_ran
from mediebild.data.item_filter import NO_FILTER, ItemFilter
from mediebild.data.store import aware_utc, fetch_dicts, naive_utc
from mediebild.timeutil import as_utc

Con = duckdb.DuckDBPyConnection

# The stream first looks this far back from its upper bound and widens only when a page is not full: DuckDB's
# zone maps on published_at (items arrive in time order) make a narrow window cheap however many items exist.
STREAM_WINDOWS = (timedelta(hours=1), timedelta(hours=6), timedelta(hours=48), timedelta(days=14), None)


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


# Two steps: the page's ids from items alone (and enrichments only when a filter needs them), then the details
# of those ids; joining every table before the LIMIT would read the title and text of the whole window.
_STREAM_IDS_SQL = """
    SELECT i.id FROM items i {join}
    WHERE i.published_at >= ? AND (i.published_at < ? OR (i.published_at = ? AND i.id < ?))
      AND NOT EXISTS (SELECT 1 FROM copies c WHERE c.item_id = i.id)
      AND {chosen}
    ORDER BY i.published_at DESC, i.id DESC
    LIMIT ?
"""
_STREAM_ROWS_SQL = """
    SELECT i.id, i.title, i.text, i.url, i.kind, i.source_id, coalesce(s.name, i.source_id) AS source_name,
           i.author, i.published_at, i.updated_at, i.version, coalesce(e.lang, i.lang) AS lang, e.relevance,
           e.relevant, e.info_type, e.source_type, e.tone, si.story_id, st.headline AS story_headline,
           st.url AS story_url, st.rumour AS story_rumour
    FROM items i
    LEFT JOIN enrichments e ON e.item_id = i.id
    LEFT JOIN sources s ON s.id = i.source_id
    LEFT JOIN story_items si ON si.item_id = i.id
    LEFT JOIN stories st ON st.id = si.story_id
    WHERE i.id IN (SELECT unnest(?::VARCHAR[]))
    ORDER BY i.published_at DESC, i.id DESC
"""


def stream(con: Con, item_filter: ItemFilter = NO_FILTER, *, until: datetime,
           before: tuple[datetime, str] | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Originals (not copies) published before `until` (or before the keyset `before`), newest first.

    Each row has the item, its source name, its enrichment labels (None before enrichment), its `story` ({id,
    headline, url, rumour}, None before the stories step) and `copies`: the items that repeat it, oldest first.
    """
    chosen, params = item_filter.where(enriched=enrichment_ran(con))
    needs_enrichment = "e." in chosen
    join = "LEFT JOIN enrichments e ON e.item_id = i.id" if needs_enrichment else ""
    # strictly before `until` when not paging: the keyset's tie-break compares ids, and "" sorts before every id
    upper, upper_id = before if before is not None else (as_utc(until), "")
    ids: list[str] = []
    for window in STREAM_WINDOWS:
        lower = naive_utc(upper - window) if window is not None else datetime(1970, 1, 1)
        ids = [r[0] for r in con.execute(_STREAM_IDS_SQL.format(join=join, chosen=chosen),
                                         [lower, naive_utc(upper), naive_utc(upper), upper_id, *params, limit]).fetchall()]
        if len(ids) >= limit:
            break
    rows = fetch_dicts(con, _STREAM_ROWS_SQL, [ids]) if ids else []
    copies = copies_of(con, [r["id"] for r in rows])
    for row in rows:
        row["copies"] = copies.get(row["id"], [])
        # the story as its own record, with its representative's link, so whatever pseudonymises a post's
        # title (reports.privacy) also treats a story named after a private person's post
        story_id, headline, url, rumour = (row.pop(k) for k in ("story_id", "story_headline", "story_url", "story_rumour"))
        row["story"] = None if story_id is None else {"id": story_id, "headline": headline, "url": url,
                                                      "rumour": bool(rumour)}
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


def hour_counts(con: Con, now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the last hour, the hour before) as digest_queries.period_counts gives them: items, relevant (None before
    enrichment has judged any item), by kind; one scan of two hours instead of one per hour."""
    from mediebild.data.digest_queries import has_relevance
    from mediebild.items import KINDS

    hour_ago, two_ago = as_utc(now) - timedelta(hours=1), as_utc(now) - timedelta(hours=2)
    rows = con.execute(
        """SELECT i.kind, count(*) FILTER (WHERE i.published_at >= ?), count(*) FILTER (WHERE i.published_at >= ? AND e.relevant),
                  count(*) FILTER (WHERE i.published_at < ?), count(*) FILTER (WHERE i.published_at < ? AND e.relevant)
           FROM items i LEFT JOIN enrichments e ON e.item_id = i.id
           WHERE i.published_at >= ? AND i.published_at < ? GROUP BY i.kind""",
        [naive_utc(hour_ago)] * 4 + [naive_utc(two_ago), naive_utc(now)],
    ).fetchall()
    known = has_relevance(con)
    out = []
    for pick in ((1, 2), (3, 4)):
        by_kind = dict.fromkeys(KINDS, 0)
        relevant = 0
        for row in rows:
            by_kind[row[0]] = by_kind.get(row[0], 0) + int(row[pick[0]])
            relevant += int(row[pick[1]])
        out.append({"items": sum(by_kind.values()), "relevant": relevant if known else None, "by_kind": by_kind})
    return out[0], out[1]


def official_recent(con: Con, since: datetime, until: datetime, *, limit: int = 8) -> list[dict[str, Any]]:
    """The newest official notices of [since, until) that enrichment did not find irrelevant, verbatim (as the
    digest's official statements, read without materialising the period)."""
    ids = [r[0] for r in con.execute(
        """SELECT i.id FROM items i LEFT JOIN enrichments e ON e.item_id = i.id
           WHERE i.kind = 'official' AND i.published_at >= ? AND i.published_at < ? AND coalesce(e.relevant, TRUE)
           ORDER BY i.published_at DESC, i.id LIMIT ?""",
        [naive_utc(since), naive_utc(until), limit],
    ).fetchall()]
    if not ids:
        return []
    return fetch_dicts(
        con,
        """SELECT i.id, i.title, i.url, i.kind, i.source_id, coalesce(s.name, i.source_id) AS source_name,
                  i.published_at, i.updated_at, i.text, i.author
           FROM items i LEFT JOIN sources s ON s.id = i.source_id
           WHERE i.id IN (SELECT unnest(?::VARCHAR[]))
           ORDER BY i.published_at DESC, i.id""",
        [ids],
    )


def vma_recent(con: Con, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """VMAs issued, updated or cancelled in [since, until) (digest_queries.vma_items, as two range reads so that
    the time index of items is used)."""
    return fetch_dicts(
        con,
        """WITH hit AS (
               SELECT id FROM items WHERE published_at >= ? AND published_at < ? AND json_extract_string(raw, '$.alert') = 'vma'
               UNION
               SELECT id FROM items WHERE updated_at >= ? AND updated_at < ? AND json_extract_string(raw, '$.alert') = 'vma')
           SELECT i.id, i.title, i.text, i.url, i.kind, i.source_id, coalesce(s.name, i.source_id) AS source_name,
                  i.published_at, i.updated_at, i.version, json_extract_string(i.raw, '$.msg_type') AS msg_type
           FROM items i JOIN hit USING (id) LEFT JOIN sources s ON s.id = i.source_id
           ORDER BY coalesce(i.updated_at, i.published_at) DESC, i.id""",
        [naive_utc(since), naive_utc(until), naive_utc(since), naive_utc(until)],
    )


_CHOSEN_SQL = """
WITH recent AS (
    SELECT si.story_id, count(*) AS n3 FROM items i JOIN story_items si ON si.item_id = i.id
    WHERE i.published_at >= ? AND i.published_at < ? GROUP BY si.story_id),
ranked AS (
    SELECT r.story_id FROM recent r JOIN stories s ON s.id = r.story_id AND s.merged_into IS NULL
    ORDER BY (r.n3 + 1) * ln(2 + s.n_items) DESC, r.story_id LIMIT ?)
SELECT story_id FROM ranked
UNION SELECT id FROM stories WHERE rumour AND merged_into IS NULL AND last_seen >= ?
"""
_CARDS_SQL = """
WITH members AS (SELECT story_id, item_id FROM story_items WHERE story_id IN (SELECT unnest(?::VARCHAR[]))),
figures AS (
    SELECT m.story_id, min(i.published_at) AS first_seen, max(i.published_at) AS last_seen, count(*) AS n_items,
           count(DISTINCT i.source_id) AS n_outlets, count(c.item_id) AS n_copies,
           count(*) FILTER (WHERE i.kind = 'editorial') AS n_editorial,
           count(*) FILTER (WHERE i.kind = 'social') AS n_social,
           count(*) FILTER (WHERE i.kind = 'official') AS n_official,
           count(*) FILTER (WHERE i.published_at >= ?) AS last_hour,
           count(*) FILTER (WHERE i.published_at >= ? AND i.published_at < ?) AS prev_12h,
           count(*) FILTER (WHERE i.published_at >= ?) AS last_3h,
           count(*) FILTER (WHERE i.published_at >= ?) AS in_window
    FROM members m JOIN items i ON i.id = m.item_id LEFT JOIN copies c ON c.item_id = m.item_id
    WHERE i.published_at < ?
    GROUP BY m.story_id)
SELECT f.*, st.headline, st.url, st.rumour, st.rumour_reasons, st.rumour_reasons_en, st.rumour_codes,
       st.confirmed_at, st.confirmed_reason, st.confirmed_reason_en
FROM figures f JOIN stories st ON st.id = f.story_id
WHERE f.in_window > 0
"""


def story_cards(con: Con, *, now: datetime, window: timedelta = timedelta(hours=12), candidates: int = 60,
                rank_hours: int = 3) -> list[dict[str, Any]]:
    """The live stories for the overview, most active first: the `candidates` with most items in the last
    `rank_hours` hours, and every rumour seen within `window`, each with an item in `window`.

    The figures follow data.stories.list_stories (counts as of `now`; growth_per_hour = items in the last hour
    minus the hourly mean of the 12 before; order (items in the last 3 hours + 1) x ln(2 + items)), computed
    for the chosen stories only and without their texts: the headline is the one the stories step stored. A
    story's entities, categories and tone are on its own page (get_story).
    """
    now = as_utc(now)
    hour = timedelta(hours=1)
    chosen = [r[0] for r in con.execute(_CHOSEN_SQL, [
        naive_utc(now - timedelta(hours=rank_hours)), naive_utc(now), candidates, naive_utc(now - window)]).fetchall()]
    if not chosen:
        return []
    rows = fetch_dicts(con, _CARDS_SQL, [
        chosen, naive_utc(now - hour), naive_utc(now - 13 * hour), naive_utc(now - hour), naive_utc(now - 3 * hour),
        naive_utc(now - window), naive_utc(now),
    ])
    out = []
    for r in rows:
        out.append({
            "id": r["story_id"], "headline": r["headline"], "url": r["url"],
            "first_seen": r["first_seen"], "last_seen": r["last_seen"], "n_items": r["n_items"],
            "n_outlets": r["n_outlets"], "n_copies": r["n_copies"],
            "by_kind": {"editorial": r["n_editorial"], "social": r["n_social"], "official": r["n_official"]},
            "growth_per_hour": round(r["last_hour"] - r["prev_12h"] / 12.0, 3),
            "is_new": r["first_seen"] >= now - hour,
            "rumour": bool(r["rumour"]), "rumour_reasons": list(r["rumour_reasons"] or []),
            "rumour_reasons_en": list(r["rumour_reasons_en"] or []), "rumour_codes": list(r["rumour_codes"] or []),
            "confirmed_at": r["confirmed_at"], "confirmed_reason": r["confirmed_reason"],
            "confirmed_reason_en": r["confirmed_reason_en"],
            "_score": (r["last_3h"] + 1) * math.log(2 + r["n_items"]),
        })
    out.sort(key=lambda s: (-s["_score"], -s["last_seen"].timestamp(), s["id"]))
    return out
