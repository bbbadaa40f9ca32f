"""The reads of the situation room (web/) that the digest's and the stories' readers do not already give.

The stream (Flödet): originals newest first with what enrichment said and the story each belongs to, their
copies collapsed under them, narrowed by the digest's filters (data.item_filter) and paged by a keyset
cursor (published_at, id). Also the choices those filters offer, the newest item time (what "now" means on a
database that is not being fed), the overview's figures and the outlets of a story. Every function returns plain
dicts with aware UTC datetimes; nothing here knows how the page looks.

The page reads the published snapshot (data/access.py), so these read what only a snapshot has: `items_wide`
(each item with its enrichment, story and original in one Parquet table, so the page scans one table instead of
joining four of a million rows each) and the hourly rollups (volume_hourly, category_volume_hourly). Parquet's
statistics on published_at (items are written in time order, the newest days an hour a file) make a narrow
window cheap however many items exist. Functions that also serve the real store (source_exists, inside an
action) say so.

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
from mediebild.items import KINDS
from mediebild.labels import SOURCE_TYPES
from mediebild.timeutil import as_utc, floor_hour

Con = duckdb.DuckDBPyConnection

# The stream first looks this far back from its upper bound and widens only when a page is not full.
STREAM_WINDOWS = (timedelta(hours=1), timedelta(hours=6), timedelta(hours=48), timedelta(days=14), None)

# The published wide items with the enrichment's language as `lang` (what the digest's filters mean by it,
# data.item_filter with one_alias) and the item's own as `item_lang`.
WIDE = "(SELECT * EXCLUDE (lang, enriched_lang), enriched_lang AS lang, lang AS item_lang FROM items_wide)"


def newest_item_time(con: Con) -> datetime | None:
    """The newest item's publication time: the newest hour of the volume rollup, then that hour's items."""
    row = con.execute("SELECT max(hour) FROM volume_hourly").fetchone()
    if row is None or row[0] is None:
        return None
    row = con.execute("SELECT max(published_at) FROM items_wide WHERE published_at >= ?", [row[0]]).fetchone()
    return None if row is None or row[0] is None else aware_utc(row[0])


def totals(con: Con) -> dict[str, int]:
    """How much the database holds: items, live stories, sources."""
    row = con.execute(
        """SELECT (SELECT coalesce(sum(items), 0) FROM volume_hourly),
                  (SELECT count(*) FROM stories WHERE merged_into IS NULL), (SELECT count(*) FROM sources)"""
    ).fetchone()
    items, stories, sources = row if row else (0, 0, 0)
    return {"items": int(items), "stories": int(stories), "sources": int(sources)}


def filter_choices(con: Con) -> dict[str, list[Any]]:
    """What the stream's filters can choose from: sources (id, name, kind) and the labels present (languages,
    information types and tones from the rollups; every source type, which no rollup has)."""
    sources = fetch_dicts(con, "SELECT id, name, item_kind AS kind FROM sources ORDER BY name, id")
    labels: dict[str, list[Any]] = {"langs": [], "info_types": [], "source_types": [], "tones": []}
    if enrichment_ran(con):
        for key, sql in (("langs", "SELECT DISTINCT lang FROM volume_hourly"),
                         ("info_types", "SELECT DISTINCT info_type FROM category_volume_hourly"),
                         ("tones", "SELECT DISTINCT tone FROM category_volume_hourly")):
            labels[key] = sorted(r[0] for r in con.execute(sql).fetchall() if r[0] is not None)
        labels["source_types"] = sorted(SOURCE_TYPES)  # no rollup has them: every label (a scan of the items each)
    return {"sources": sources, **labels}


# Two steps: the page's ids (and times) from the window, then the details of those ids, read from the range of
# times they span; reading every column of the window before the LIMIT would read the text of the whole window.
_STREAM_IDS_SQL = f"""
    SELECT i.id, i.published_at FROM {WIDE} i
    WHERE i.published_at >= ? AND (i.published_at < ? OR (i.published_at = ? AND i.id < ?))
      AND i.copy_of IS NULL AND {{chosen}}
    ORDER BY i.published_at DESC, i.id DESC
    LIMIT ?
"""
_STREAM_ROWS_SQL = f"""
    SELECT i.id, i.title, i.text, i.url, i.kind, i.source_id, coalesce(s.name, i.source_id) AS source_name,
           i.author, i.published_at, i.updated_at, i.version, coalesce(i.lang, i.item_lang) AS lang, i.relevance,
           i.relevant, i.info_type, i.source_type, i.tone, i.story_id, st.headline AS story_headline,
           st.url AS story_url, st.rumour AS story_rumour
    FROM {WIDE} i
    LEFT JOIN sources s ON s.id = i.source_id
    LEFT JOIN stories st ON st.id = i.story_id
    WHERE i.published_at >= ? AND i.published_at <= ? AND i.id IN (SELECT unnest(?::VARCHAR[]))
    ORDER BY i.published_at DESC, i.id DESC
"""


def stream(con: Con, item_filter: ItemFilter = NO_FILTER, *, until: datetime,
           before: tuple[datetime, str] | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Originals (not copies) published before `until` (or before the keyset `before`), newest first.

    Each row has the item, its source name, its enrichment labels (None before enrichment), its `story` ({id,
    headline, url, rumour}, None before the stories step) and `copies`: the items that repeat it, oldest first.
    """
    chosen, params = item_filter.where(enriched=enrichment_ran(con), one_alias="i")
    # strictly before `until` when not paging: the keyset's tie-break compares ids, and "" sorts before every id
    upper, upper_id = before if before is not None else (as_utc(until), "")
    found: list[tuple[str, datetime]] = []
    for window in STREAM_WINDOWS:
        lower = naive_utc(upper - window) if window is not None else datetime(1970, 1, 1)
        found = con.execute(_STREAM_IDS_SQL.format(chosen=chosen),
                            [lower, naive_utc(upper), naive_utc(upper), upper_id, *params, limit]).fetchall()
        if len(found) >= limit:
            break
    rows = fetch_dicts(con, _STREAM_ROWS_SQL, [min(f[1] for f in found), max(f[1] for f in found),
                                               [f[0] for f in found]]) if found else []
    copies = copies_of(con, [r["id"] for r in rows], since=min((r["published_at"] for r in rows), default=None))
    for row in rows:
        row["copies"] = copies.get(row["id"], [])
        # the story as its own record, with its representative's link, so whatever pseudonymises a post's
        # title also treats a story named after a private person's post
        story_id, headline, url, rumour = (row.pop(k) for k in ("story_id", "story_headline", "story_url", "story_rumour"))
        row["story"] = None if story_id is None else {"id": story_id, "headline": headline, "url": url,
                                                      "rumour": bool(rumour)}
    return rows


COPY_LEAD = timedelta(days=2)  # a copy is looked for from this long before its original (clocks disagree)


def copies_of(con: Con, item_ids: Sequence[str], *, since: datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """original id -> the items that repeat it (wire copies, reposts, updates), oldest first; `since`: the oldest
    original's time (copies are read from COPY_LEAD before it on)."""
    if not item_ids:
        return {}
    lower = naive_utc(as_utc(since) - COPY_LEAD) if since is not None else datetime(1970, 1, 1)
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in fetch_dicts(
        con,
        """SELECT i.copy_of, i.id, i.title, i.url, i.kind, i.source_id, coalesce(s.name, i.source_id) AS source_name,
                  i.author, i.published_at, i.copy_how AS how
           FROM items_wide i LEFT JOIN sources s ON s.id = i.source_id
           WHERE i.published_at >= ? AND i.copy_of IN (SELECT unnest(?::VARCHAR[]))
           ORDER BY i.published_at, i.id""",
        [lower, list(item_ids)],
    ):
        out[row.pop("copy_of")].append(row)
    return dict(out)


def item_details(con: Con, item_ids: Sequence[str], *, since: datetime | None = None,
                 until: datetime | None = None) -> dict[str, dict[str, Any]]:
    """id -> text, author, source name and enrichment labels of these items (for a story's timeline), read from
    [since, until] when the caller knows the items' times."""
    if not item_ids:
        return {}
    lower = naive_utc(since) if since is not None else datetime(1970, 1, 1)
    upper = naive_utc(until) if until is not None else datetime(9999, 1, 1)
    rows = fetch_dicts(
        con,
        """SELECT i.id, i.text, i.author, coalesce(s.name, i.source_id) AS source_name, i.updated_at, i.version,
                  coalesce(i.enriched_lang, i.lang) AS lang, i.relevance, i.info_type, i.tone
           FROM items_wide i LEFT JOIN sources s ON s.id = i.source_id
           WHERE i.published_at >= ? AND i.published_at <= ? AND i.id IN (SELECT unnest(?::VARCHAR[]))""",
        [lower, upper, list(item_ids)],
    )
    return {r["id"]: r for r in rows}


def volume_by_hour(con: Con, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Items per hour and kind for every hour from start's to end's, zero-filled (from the volume rollup)."""
    first, last = floor_hour(as_utc(start)), floor_hour(as_utc(end))
    counts: dict[datetime, dict[str, int]] = {}
    hour = first
    while hour <= last:
        counts[hour] = dict.fromkeys(KINDS, 0)
        hour += timedelta(hours=1)
    for hour, kind, n in con.execute(
        "SELECT hour, kind, sum(items) FROM volume_hourly WHERE hour >= ? AND hour <= ? GROUP BY ALL",
        [naive_utc(first), naive_utc(last)],
    ).fetchall():
        slot = counts.setdefault(as_utc(hour), dict.fromkeys(KINDS, 0))
        slot[kind] = slot.get(kind, 0) + int(n)
    return [{"hour": h, **counts[h]} for h in sorted(counts)]


def source_names(con: Con, source_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """source id -> {name, kind}."""
    if not source_ids:
        return {}
    return {r[0]: {"name": r[1], "kind": r[2]} for r in con.execute(
        "SELECT id, name, item_kind FROM sources WHERE id IN (SELECT unnest(?::VARCHAR[]))",
        [list(source_ids)]).fetchall()}


def source_exists(con: Con, source_id: str) -> bool:
    """Whether a source of that id exists (also on the real store, inside an action)."""
    row = con.execute("SELECT count(*) FROM sources WHERE id = ?", [source_id]).fetchone()
    return bool(row and row[0])


def hour_counts(con: Con, now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the last hour, the hour before) as digest_queries.period_counts gives them: items, relevant (None before
    enrichment has judged any item), by kind; one scan of two hours instead of one per hour."""
    from mediebild.data.digest_queries import has_relevance

    hour_ago, two_ago = as_utc(now) - timedelta(hours=1), as_utc(now) - timedelta(hours=2)
    rows = con.execute(
        """SELECT kind, count(*) FILTER (WHERE published_at >= ?), count(*) FILTER (WHERE published_at >= ? AND relevant),
                  count(*) FILTER (WHERE published_at < ?), count(*) FILTER (WHERE published_at < ? AND relevant)
           FROM items_wide WHERE published_at >= ? AND published_at < ? GROUP BY kind""",
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
    found: list[tuple[Any, ...]] = []
    for window in (timedelta(hours=1), None):  # the newest hour usually has them: read more only when not
        lower = max(as_utc(since), as_utc(until) - window) if window is not None else as_utc(since)
        found = con.execute(
            """SELECT id, published_at FROM items_wide
               WHERE kind = 'official' AND published_at >= ? AND published_at < ? AND coalesce(relevant, TRUE)
               ORDER BY published_at DESC, id LIMIT ?""",
            [naive_utc(lower), naive_utc(until), limit],
        ).fetchall()
        if len(found) >= limit:
            break
    return _details(con, found, """i.id, i.title, i.url, i.kind, i.source_id, coalesce(s.name, i.source_id) AS source_name,
                                   i.published_at, i.updated_at, i.text, i.author""",
                    "ORDER BY i.published_at DESC, i.id")


def _details(con: Con, found: list[tuple[Any, ...]], columns: str, order: str) -> list[dict[str, Any]]:
    """`columns` of the items (id, published_at) in `found`, read from the range of times they span (reading the
    texts of only those row groups)."""
    if not found:
        return []
    return fetch_dicts(
        con,
        f"""SELECT {columns} FROM items_wide i LEFT JOIN sources s ON s.id = i.source_id
            WHERE i.published_at >= ? AND i.published_at <= ? AND i.id IN (SELECT unnest(?::VARCHAR[])) {order}""",
        [min(f[1] for f in found), max(f[1] for f in found), [f[0] for f in found]],
    )


def vma_recent(con: Con, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """VMAs issued, updated or cancelled in [since, until) (digest_queries.vma_items, as two range reads so that
    the time index of items is used)."""
    found = con.execute(
        """SELECT id, published_at FROM items_wide WHERE kind = 'official' AND published_at >= ? AND published_at < ?
              AND json_extract_string(raw, '$.alert') = 'vma'
           UNION
           SELECT id, published_at FROM items_wide WHERE kind = 'official' AND updated_at >= ? AND updated_at < ?
              AND json_extract_string(raw, '$.alert') = 'vma'""",
        [naive_utc(since), naive_utc(until), naive_utc(since), naive_utc(until)],
    ).fetchall()
    return _details(con, found, """i.id, i.title, i.text, i.url, i.kind, i.source_id,
                                   coalesce(s.name, i.source_id) AS source_name, i.published_at, i.updated_at,
                                   i.version, json_extract_string(i.raw, '$.msg_type') AS msg_type""",
                    "ORDER BY coalesce(i.updated_at, i.published_at) DESC, i.id")


_CHOSEN_SQL = """
WITH recent AS (
    SELECT story_id, count(*) AS n3 FROM items_wide
    WHERE published_at >= ? AND published_at < ? AND story_id IS NOT NULL GROUP BY story_id),
ranked AS (
    SELECT r.story_id FROM recent r JOIN stories s ON s.id = r.story_id AND s.merged_into IS NULL
    ORDER BY (r.n3 + 1) * ln(2 + s.n_items) DESC, r.story_id LIMIT ?)
SELECT story_id FROM ranked
UNION SELECT id FROM stories WHERE rumour AND merged_into IS NULL AND last_seen >= ?
"""
_CARDS_SQL = """
WITH figures AS (
    SELECT i.story_id, min(i.published_at) AS first_seen, max(i.published_at) AS last_seen, count(*) AS n_items,
           count(DISTINCT i.source_id) AS n_outlets, count(i.copy_of) AS n_copies,
           count(*) FILTER (WHERE i.kind = 'editorial') AS n_editorial,
           count(*) FILTER (WHERE i.kind = 'social') AS n_social,
           count(*) FILTER (WHERE i.kind = 'official') AS n_official,
           count(*) FILTER (WHERE i.published_at >= ?) AS last_hour,
           count(*) FILTER (WHERE i.published_at >= ? AND i.published_at < ?) AS prev_12h,
           count(*) FILTER (WHERE i.published_at >= ?) AS last_3h,
           count(*) FILTER (WHERE i.published_at >= ?) AS in_window
    FROM items_wide i
    WHERE i.story_id IN (SELECT unnest(?::VARCHAR[])) AND i.published_at < ?
    GROUP BY i.story_id)
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
        naive_utc(now - hour), naive_utc(now - 13 * hour), naive_utc(now - hour), naive_utc(now - 3 * hour),
        naive_utc(now - window), chosen, naive_utc(now),
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
