"""Writes and reads of stories, story_items, copies, alerts and the saved clustering state.

The write side (`unseen_items`, `record_pass`, `refresh_stories`, `save_state`, ...) is what
`flows/stories.py` calls inside one transaction per pass. The read side (`list_stories`, `get_story`,
`list_alerts`) is the contract the reports code against: plain dicts with aware UTC datetimes, counts as
of `until`. Items that enrichment has not reached yet simply have no lemmas, entities, categories or tone.
Every function takes the connection of a store at the current schema (Store.open checks it). Nothing here
knows how a document looks.

Data layer: imports the core (items, timeutil), duckdb and data.store; nothing above it.
"""

from __future__ import annotations

import math
import pickle
import zlib
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any, Iterable, Sequence

import duckdb

from mediebild.data.store import aware_utc as _aware
from mediebild.data.store import fetch_dicts as _rows
from mediebild.data.store import naive_utc as _naive
from mediebild.items import KINDS
from mediebild.timeutil import as_utc, floor_hour

Con = duckdb.DuckDBPyConnection

PLACE_LABELS = ("LOC", "GPE", "PLACE", "FAC")
REFRESH_ITEMS = 300  # newest items per story that a pass reads for its headline and rumour flags
KIND_RANK = {"editorial": 0, "official": 1, "social": 2}


def story_key(cluster_id: int) -> str:
    return f"S{cluster_id}"


# -- state ---------------------------------------------------------------------------------------------------
def load_state(con: Con, name: str) -> Any | None:
    row = con.execute("SELECT state FROM story_state WHERE name = ?", [name]).fetchone()
    return None if row is None else pickle.loads(zlib.decompress(row[0]))


def state_digest(con: Con, name: str) -> str | None:
    """A digest (sha1) of the saved state blob `name`, or None when none is saved: tells whether it changed."""
    row = con.execute("SELECT sha1(state) FROM story_state WHERE name = ?", [name]).fetchone()
    return None if row is None else row[0]


def save_state(con: Con, name: str, state: Any, *, now: datetime) -> int:
    blob = zlib.compress(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL), 3)
    con.execute(
        "INSERT OR REPLACE INTO story_state (name, state, saved_at) VALUES (?, ?, ?)", [name, blob, _naive(now)]
    )
    return len(blob)


THREAD_STATE = "threads"  # story id -> its incident thread's id (models.clustering: ClusterState.threads), kept here


def load_threads(con: Con) -> dict[str, str]:
    """story id -> incident thread id, for every story a pass has put in a thread (a story of its own is absent)."""
    return load_state(con, THREAD_STATE) or {}


def record_threads(con: Con, threads: dict[str, str], joins: Sequence[tuple[str, str]], *, now: datetime) -> None:
    """Store a pass's threads: each story's thread (new or changed), then threads joined (absorbed, into) in the
    order the clustering did it, also for stories that left its working set."""
    known = load_threads(con)
    known.update(threads)
    for drop, keep in joins:
        known.setdefault(drop, drop)  # the absorbed thread's own first story
        for story, thread in known.items():
            if thread == drop:
                known[story] = keep
    known = {story: thread for story, thread in known.items() if story != thread}
    save_state(con, THREAD_STATE, known, now=now)


def _thread_details(con: Con, story_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """thread id, the thread's live stories and its lead story (most items) for each story in `story_ids`."""
    known = load_threads(con)
    thread_of = {s: known.get(s, s) for s in story_ids}
    wanted = set(thread_of.values())
    members: dict[str, list[str]] = defaultdict(list)
    for story, thread in known.items():
        if thread in wanted:
            members[thread].append(story)
    for thread in wanted:
        members[thread].append(thread)
    every = sorted({s for ms in members.values() for s in ms})
    live = {
        r[0]: (r[1], r[2] or 0)
        for r in con.execute(
            "SELECT id, headline, n_items FROM stories WHERE merged_into IS NULL AND id IN (SELECT unnest(?))", [every]
        ).fetchall()
    }
    out = {}
    for story, thread in thread_of.items():
        stories = sorted({s for s in members[thread] if s in live}, key=lambda s: (-live[s][1], s))
        lead = stories[0] if stories else story
        out[story] = {
            "thread_id": thread,
            "thread_stories": len(stories),
            "part_of": None if lead == story or len(stories) < 2 else {"id": lead, "headline": live[lead][0]},
        }
    return out


# -- the write side of a pass --------------------------------------------------------------------------------
def unseen_items(con: Con, *, until: datetime, limit: int | None = None) -> list[dict[str, Any]]:
    """Items published before `until` that no pass has looked at, oldest first, with what enrichment knows.

    Keys: id, source_id, kind, url, title, text, published_at, lang, lemmas (str or None),
    relevant (bool or None when not enriched), relevance (score or None), entities [norm_id or label:text].
    """
    sql = """
        SELECT i.id, i.source_id, i.kind, i.url, i.title, i.text, i.published_at, coalesce(e.lang, i.lang) AS lang,
               e.lemmas, e.relevant, e.relevance
        FROM items i LEFT JOIN enrichments e ON e.item_id = i.id
        WHERE i.published_at < ? AND NOT EXISTS (SELECT 1 FROM story_seen s WHERE s.item_id = i.id)
        ORDER BY i.published_at, i.id
    """ + (f" LIMIT {int(limit)}" if limit else "")
    items = _rows(con, sql, [_naive(until)])
    ents = entity_ids(con, [i["id"] for i in items])
    for item in items:
        item["entities"] = ents.get(item["id"], [])
    return items


def promoted_items(con: Con, *, until: datetime, since: datetime) -> list[dict[str, Any]]:
    """Items a pass looked at and left out of the stories (not relevant then, not a copy) that enrichment has since
    found relevant (relevance learned from the stream, an officer's judgement): published in [since, until), with the
    same keys as `unseen_items`. The stories step clusters them now."""
    sql = """
        SELECT i.id, i.source_id, i.kind, i.url, i.title, i.text, i.published_at, coalesce(e.lang, i.lang) AS lang,
               e.lemmas, e.relevant, e.relevance
        FROM story_seen s JOIN items i ON i.id = s.item_id JOIN enrichments e ON e.item_id = i.id
        WHERE NOT s.clustered AND e.relevant AND i.published_at >= ? AND i.published_at < ?
          AND NOT EXISTS (SELECT 1 FROM copies c WHERE c.item_id = i.id)
        ORDER BY i.published_at, i.id
    """
    items = _rows(con, sql, [_naive(since), _naive(until)])
    ents = entity_ids(con, [i["id"] for i in items])
    for item in items:
        item["entities"] = ents.get(item["id"], [])
    return items


def mark_clustered(con: Con, items: Sequence[tuple[str, str]]) -> None:
    """(item id, terms) of promoted items that a pass has now clustered."""
    for item_id, terms in items:
        con.execute("UPDATE story_seen SET clustered = TRUE, terms = ? WHERE item_id = ?", [terms, item_id])


def entity_ids(con: Con, item_ids: Sequence[str]) -> dict[str, list[str]]:
    """item id -> its entities' language-independent ids (norm_id, else label:lower-cased text)."""
    if not item_ids:
        return {}
    out: dict[str, list[str]] = defaultdict(list)
    for item_id, ent in con.execute(
        "SELECT item_id, coalesce(norm_id, lower(label) || ':' || lower(text)) FROM entities"
        " WHERE item_id IN (SELECT unnest(?))",
        [list(item_ids)],
    ).fetchall():
        if ent:
            out[item_id].append(ent)
    return out


def story_of_items(con: Con, item_ids: Sequence[str]) -> dict[str, str]:
    if not item_ids:
        return {}
    return dict(
        con.execute(
            "SELECT item_id, story_id FROM story_items WHERE item_id IN (SELECT unnest(?))", [list(item_ids)]
        ).fetchall()
    )


def record_pass(
    con: Con,
    *,
    now: datetime,
    seen: Iterable[tuple[str, bool, str | None]],
    copies: Iterable[tuple[str, str, str, float]],
    assignments: Iterable[tuple[str, str, float]],
    opened: Iterable[str],
    merges: Iterable[tuple[str, str]],
) -> None:
    """Store one pass: items seen, copy links, story memberships, new stories and merges.

    Copies join their representative's story (found in this pass's assignments or in earlier passes).
    """
    at = _naive(now)
    seen = list(seen)
    if seen:
        con.execute(
            "INSERT OR IGNORE INTO story_seen SELECT unnest(?), ?, unnest(?), unnest(?)",
            [[s[0] for s in seen], at, [s[1] for s in seen], [s[2] if len(s) > 2 else None for s in seen]],
        )
    for story_id in opened:
        con.execute(
            "INSERT OR IGNORE INTO stories (id, created_at, updated_at) VALUES (?, ?, ?)", [story_id, at, at]
        )
    assignments = list(assignments)
    if assignments:
        con.execute(
            "INSERT OR REPLACE INTO story_items SELECT unnest(?), unnest(?), unnest(?), ?",
            [[a[0] for a in assignments], [a[1] for a in assignments], [a[2] for a in assignments], at],
        )
    copies = list(copies)
    if copies:
        con.execute(
            "INSERT OR IGNORE INTO copies SELECT unnest(?), unnest(?), unnest(?), unnest(?), ?",
            [[c[0] for c in copies], [c[1] for c in copies], [c[2] for c in copies], [c[3] for c in copies], at],
        )
        con.execute(
            """INSERT OR IGNORE INTO story_items
               SELECT c.item_id, si.story_id, c.similarity, ?
               FROM copies c JOIN story_items si ON si.item_id = c.copy_of
               WHERE c.item_id IN (SELECT unnest(?))""",
            [at, [c[0] for c in copies]],
        )
    for absorbed, into in merges:
        con.execute("UPDATE story_items SET story_id = ? WHERE story_id = ?", [into, absorbed])
        con.execute("UPDATE stories SET merged_into = ?, updated_at = ? WHERE id = ?", [into, at, absorbed])
        con.execute("UPDATE alerts SET story_id = ? WHERE story_id = ?", [into, absorbed])


def story_items_for(
    con: Con, story_ids: Sequence[str], *, until: datetime | None = None, latest: int | None = None
) -> dict[str, list[dict]]:
    """story id -> its items (originals and copies), oldest first; with `latest` only that many newest."""
    if not story_ids:
        return {}
    limit = (
        " QUALIFY row_number() OVER (PARTITION BY si.story_id ORDER BY i.published_at DESC, i.id DESC) <= "
        + str(int(latest))
        if latest
        else ""
    )
    sql = """
        SELECT si.story_id, i.id, i.title, i.text, i.url, i.source_id, i.kind, i.lang, i.published_at,
               c.copy_of, c.how
        FROM story_items si JOIN items i ON i.id = si.item_id LEFT JOIN copies c ON c.item_id = i.id
        WHERE si.story_id IN (SELECT unnest(?))""" + (" AND i.published_at < ?" if until else "") + limit + """
        ORDER BY i.published_at, i.id"""
    params: list[Any] = [list(story_ids)] + ([_naive(until)] if until else [])
    out: dict[str, list[dict]] = defaultdict(list)
    for row in _rows(con, sql, params):
        out[row.pop("story_id")].append(row)
    return out


def representative(items: Sequence[dict]) -> dict | None:
    """The item that names the story: an editorial original with most copies, else official, else social."""
    if not items:
        return None
    n_copies = Counter(i["copy_of"] for i in items if i.get("copy_of"))
    originals = [i for i in items if not i.get("copy_of")] or list(items)
    return min(
        originals,
        key=lambda i: (KIND_RANK.get(i["kind"], 3), -n_copies.get(i["id"], 0), i["published_at"], i["id"]),
    )


def _confirmed_columns(verdict: Any) -> list:
    """[confirmed_at (naive UTC), Swedish reason, English reason] of a rumour verdict, or three NULLs."""
    when = getattr(verdict, "confirmed_at", None)
    if when is None:
        return [None, None, None]
    return [_naive(when), verdict.confirmed_reason, verdict.confirmed_reason_en]


def refresh_stories(
    con: Con, story_ids: Sequence[str], *, now: datetime, verdicts: dict[str, Any] | None = None,
    members: dict[str, list[dict]] | None = None,
) -> None:
    """Recompute the stored headline, times, size and rumour flags of the given stories.

    Times and sizes come from SQL aggregates; the headline from `members` (default: the newest
    REFRESH_ITEMS items of each story), so a pass costs the same however large a story has grown.
    """
    if not story_ids:
        return
    members = members if members is not None else story_items_for(con, story_ids, latest=REFRESH_ITEMS)
    figures = {
        r[0]: r[1:]
        for r in con.execute(
            """SELECT si.story_id, min(i.published_at), max(i.published_at), count(*)
               FROM story_items si JOIN items i ON i.id = si.item_id
               WHERE si.story_id IN (SELECT unnest(?)) GROUP BY si.story_id""",
            [list(story_ids)],
        ).fetchall()
    }
    at = _naive(now)
    for story_id in story_ids:
        if story_id not in figures:
            continue
        first, last, n = figures[story_id]
        rep = representative(members.get(story_id, []))
        verdict = (verdicts or {}).get(story_id)
        params = [
            (rep["title"] or rep["text"][:120]) if rep else None,
            rep["url"] if rep else None,
            rep["id"] if rep else None,
            first,
            last,
            n,
            at,
        ]
        if verdict is not None:
            con.execute(
                """UPDATE stories SET headline = ?, url = ?, representative_item_id = ?, first_seen = ?, last_seen = ?,
                   n_items = ?, updated_at = ?, rumour = ?, rumour_reasons = ?, rumour_codes = ?, rumour_reasons_en = ?,
                   confirmed_at = ?, confirmed_reason = ?, confirmed_reason_en = ?
                   WHERE id = ?""",
                params + [verdict.rumour, verdict.reasons, verdict.codes, list(getattr(verdict, "reasons_en", []))]
                + _confirmed_columns(verdict) + [story_id],
            )
        else:
            con.execute(
                """UPDATE stories SET headline = ?, url = ?, representative_item_id = ?, first_seen = ?, last_seen = ?,
                   n_items = ?, updated_at = ? WHERE id = ?""",
                params + [story_id],
            )


def hourly_story_counts(con: Con, *, now: datetime, hours: int = 13) -> dict[str, list[int]]:
    """Items per hour for every live story with an item in the last hour, oldest hour first, ending [now-1h, now)."""
    start = as_utc(now) - timedelta(hours=hours)
    rows = con.execute(
        """SELECT si.story_id, CAST(floor(epoch(? - i.published_at) / 3600) AS INTEGER) AS ago, count(*)
           FROM story_items si JOIN items i ON i.id = si.item_id JOIN stories s ON s.id = si.story_id
           WHERE s.merged_into IS NULL AND i.published_at >= ? AND i.published_at < ?
             AND si.story_id IN (SELECT si2.story_id FROM story_items si2 JOIN items i2 ON i2.id = si2.item_id
                                 WHERE i2.published_at >= ? AND i2.published_at < ?)
           GROUP BY ALL""",
        [_naive(now), _naive(start), _naive(now), _naive(as_utc(now) - timedelta(hours=1)), _naive(now)],
    ).fetchall()
    out: dict[str, list[int]] = defaultdict(lambda: [0] * hours)
    for story_id, ago, n in rows:
        if 0 <= ago < hours:
            out[story_id][hours - 1 - ago] += n
    return dict(out)


def recent_terms(con: Con, *, now: datetime, hours: int = 13) -> list[tuple[datetime, list[str]]]:
    """(published_at, terms) of the clustered originals of the last `hours` (for term spikes)."""
    rows = con.execute(
        """SELECT i.published_at, s.terms FROM story_seen s JOIN items i ON i.id = s.item_id
           WHERE s.clustered AND s.terms IS NOT NULL AND i.published_at >= ? AND i.published_at < ?""",
        [_naive(as_utc(now) - timedelta(hours=hours)), _naive(now)],
    ).fetchall()
    return [(_aware(at), terms.split()) for at, terms in rows]


def raise_alert(con: Con, alert: dict[str, Any], *, term_quiet: timedelta = timedelta(hours=12)) -> bool:
    """Store an alert unless it was raised before (a story once; a term once per `term_quiet`)."""
    if alert["kind"] == "story":
        alert_id = f"story:{alert['story_id']}"
        if con.execute("SELECT count(*) FROM alerts WHERE kind = 'story' AND story_id = ?", [alert["story_id"]]).fetchone()[0]:
            return False
    else:
        alert_id = f"term:{alert['term']}:{floor_hour(alert['hour']).strftime('%Y-%m-%dT%H')}"
        recent = con.execute(
            "SELECT count(*) FROM alerts WHERE kind = 'term' AND term = ? AND raised_at > ?",
            [alert["term"], _naive(as_utc(alert["raised_at"]) - term_quiet)],
        ).fetchone()[0]
        if recent:
            return False
    con.execute(
        "INSERT OR IGNORE INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            alert_id,
            alert["kind"],
            alert.get("story_id"),
            alert.get("term"),
            _naive(alert["raised_at"]),
            _naive(alert["hour"]),
            int(alert["count_last_hour"]),
            float(alert["baseline"]),
            float(alert["score"]),
            alert.get("headline"),
        ],
    )
    return True


def headlines(con: Con, story_ids: Sequence[str]) -> dict[str, str]:
    if not story_ids:
        return {}
    return dict(con.execute("SELECT id, headline FROM stories WHERE id IN (SELECT unnest(?))", [list(story_ids)]).fetchall())


# -- the read side: the contract for reports -----------------------------------------------------------------
def _latest_item_time(con: Con) -> datetime | None:
    row = con.execute("SELECT max(published_at) FROM items").fetchone()
    return None if row is None or row[0] is None else _aware(row[0])


def list_stories(
    con: Con,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    ids: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Stories with an item in [since, until), their figures as of `until`, most active and largest first.

    `until` None means as of the newest item in the database; `since` None means any time before `until`
    (and then `is_new` means first seen in the hour before `until`). growth_per_hour is the number of items
    in the last hour before `until` minus the hourly mean of the 12 hours before that. Ordering:
    (items in the 3 hours before `until` + 1) x ln(2 + items). `ids` restricts the list to those stories.
    """
    if until is None:
        latest = _latest_item_time(con)
        if latest is None:
            return []
        until = latest + timedelta(microseconds=1)
    until = as_utc(until)
    since = as_utc(since) if since is not None else None
    new_since = since if since is not None else until - timedelta(hours=1)
    rows = _rows(
        con,
        """
        SELECT si.story_id AS id, min(i.published_at) AS first_seen, max(i.published_at) AS last_seen,
               count(*) AS n_items, count(DISTINCT i.source_id) AS n_outlets,
               count(c.item_id) AS n_copies,
               count(*) FILTER (WHERE i.kind = 'editorial') AS n_editorial,
               count(*) FILTER (WHERE i.kind = 'social') AS n_social,
               count(*) FILTER (WHERE i.kind = 'official') AS n_official,
               count(*) FILTER (WHERE i.published_at >= ?) AS last_hour,
               count(*) FILTER (WHERE i.published_at >= ? AND i.published_at < ?) AS prev_12h,
               count(*) FILTER (WHERE i.published_at >= ?) AS last_3h,
               count(*) FILTER (WHERE i.published_at >= ?) AS in_window,
               any_value(st.rumour) AS rumour, any_value(st.rumour_reasons) AS rumour_reasons,
               any_value(st.rumour_reasons_en) AS rumour_reasons_en, any_value(st.rumour_codes) AS rumour_codes,
               any_value(st.confirmed_at) AS confirmed_at, any_value(st.confirmed_reason) AS confirmed_reason,
               any_value(st.confirmed_reason_en) AS confirmed_reason_en
        FROM story_items si
        JOIN stories st ON st.id = si.story_id AND st.merged_into IS NULL
        JOIN items i ON i.id = si.item_id
        LEFT JOIN copies c ON c.item_id = i.id
        WHERE i.published_at < ? AND (? OR si.story_id IN (SELECT unnest(?::VARCHAR[])))
        GROUP BY si.story_id
        HAVING in_window > 0
        """,
        [
            _naive(until - timedelta(hours=1)),
            _naive(until - timedelta(hours=13)),
            _naive(until - timedelta(hours=1)),
            _naive(until - timedelta(hours=3)),
            _naive(since) if since is not None else datetime(1970, 1, 1),
            _naive(until),
            ids is None,
            list(ids or []),
        ],
    )
    for row in rows:
        row["_score"] = (row["last_3h"] + 1) * math.log(2 + row["n_items"])
    rows.sort(key=lambda r: (-r["_score"], -r["last_seen"].timestamp(), r["id"]))
    rows = rows[:limit]
    details = _details(con, [r["id"] for r in rows], until)
    threads = _thread_details(con, [r["id"] for r in rows])
    out = []
    for row in rows:
        extra = details.get(row["id"], {})
        thread = threads[row["id"]]
        out.append(
            {
                "id": row["id"],
                "headline": extra.get("headline"),
                "url": extra.get("url"),
                "first_seen": row["first_seen"],
                "last_seen": row["last_seen"],
                "n_items": row["n_items"],
                "n_outlets": row["n_outlets"],
                "n_copies": row["n_copies"],
                "by_kind": {"editorial": row["n_editorial"], "social": row["n_social"], "official": row["n_official"]},
                "langs": extra.get("langs", []),
                "top_entities": extra.get("top_entities", []),
                "places": extra.get("places", []),
                "categories": extra.get("categories", {}),
                "tone": extra.get("tone", {}),
                "growth_per_hour": round(row["last_hour"] - row["prev_12h"] / 12.0, 3),
                "is_new": new_since <= row["first_seen"] < until,
                "rumour": bool(row["rumour"]),
                "rumour_reasons": list(row["rumour_reasons"] or []),  # Swedish
                "rumour_reasons_en": list(row["rumour_reasons_en"] or []),
                "rumour_codes": list(row["rumour_codes"] or []),
                # confirmed by an editorial or official source (None, or naive UTC time + reasons)
                "confirmed_at": _aware(row["confirmed_at"]) if row["confirmed_at"] is not None else None,
                "confirmed_reason": row["confirmed_reason"],
                "confirmed_reason_en": row["confirmed_reason_en"],
                "item_ids": extra.get("item_ids", []),
                "representative_item_id": extra.get("representative_item_id"),
                # the incident thread (models.clustering): its id (its oldest story's), how many live stories it
                # holds, and the lead story (most items) this one is part of (None for the lead or a lone story)
                "thread_id": thread["thread_id"],
                "thread_stories": thread["thread_stories"],
                "part_of": thread["part_of"],
            }
        )
    return out


def _details(con: Con, story_ids: Sequence[str], until: datetime) -> dict[str, dict[str, Any]]:
    """Headline, languages, entities, places, categories and tone of each story, as of `until`."""
    members = story_items_for(con, story_ids, until=until)
    all_ids = [i["id"] for items in members.values() for i in items]
    entities = _entities_of(con, all_ids)
    labels = _enrichment_labels(con, all_ids)
    out = {}
    for story_id, items in members.items():
        rep = representative(items)
        ents: Counter = Counter()
        shown: dict[tuple, tuple[str, str]] = {}
        places: Counter = Counter()
        for item in items:
            for label, text, norm in entities.get(item["id"], []):
                key = (norm or f"{label}:{text.lower()}",)
                ents[key] += 1
                shown.setdefault(key, (text, label))
                if (label or "").upper() in PLACE_LABELS or (norm or "").startswith("loc:"):
                    places[text] += 1
        categories = Counter(labels[i["id"]][0] for i in items if labels.get(i["id"], (None,))[0])
        tones = Counter(labels[i["id"]][1] for i in items if labels.get(i["id"], (None, None))[1])
        out[story_id] = {
            "headline": (rep["title"] or rep["text"][:120]) if rep else None,
            "url": rep["url"] if rep else None,
            "representative_item_id": rep["id"] if rep else None,
            "langs": sorted({i["lang"] for i in items if i["lang"]}),
            "top_entities": [
                {"text": shown[k][0], "label": shown[k][1], "norm_id": k[0], "count": n} for k, n in ents.most_common(8)
            ],
            "places": [p for p, _ in places.most_common(5)],
            "categories": _shares(categories),
            "tone": _shares(tones),
            "item_ids": [i["id"] for i in items],
        }
    return out


def _shares(counts: Counter) -> dict[str, float]:
    total = sum(counts.values())
    return {k: round(v / total, 3) for k, v in counts.most_common()} if total else {}


def _entities_of(con: Con, item_ids: Sequence[str]) -> dict[str, list[tuple[str, str, str | None]]]:
    if not item_ids:
        return {}
    out: dict[str, list] = defaultdict(list)
    for item_id, label, text, nid in con.execute(
        "SELECT item_id, label, text, norm_id FROM entities WHERE item_id IN (SELECT unnest(?))", [list(item_ids)]
    ).fetchall():
        out[item_id].append((label, text, nid))
    return out


def _enrichment_labels(con: Con, item_ids: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
    if not item_ids:
        return {}
    return {
        r[0]: (r[1], r[2])
        for r in con.execute(
            "SELECT item_id, info_type, tone FROM enrichments WHERE item_id IN (SELECT unnest(?))", [list(item_ids)]
        ).fetchall()
    }


def get_story(con: Con, story_id: str, *, until: datetime | None = None) -> dict[str, Any] | None:
    """One story's figures (as `list_stories`) plus its items, each original with its copies."""
    row = con.execute("SELECT merged_into FROM stories WHERE id = ?", [story_id]).fetchone()
    if row is None:
        return None
    if row[0]:
        return get_story(con, row[0], until=until)
    found = [s for s in _story_figures(con, story_id, until)]
    if not found:
        return None
    story = found[0]
    items = story_items_for(con, [story["id"]], until=until).get(story["id"], [])
    copies: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        if item["copy_of"]:
            copies[item["copy_of"]].append(
                {"id": item["id"], "source_id": item["source_id"], "url": item["url"], "how": item["how"],
                 "published_at": item["published_at"]}
            )
    story["items"] = [
        {
            "id": i["id"],
            "title": i["title"],
            "url": i["url"],
            "source_id": i["source_id"],
            "kind": i["kind"],
            "published_at": i["published_at"],
            "is_copy_of": i["copy_of"],
            "copy_how": i["how"],
            "copies": copies.get(i["id"], []),
        }
        for i in items
    ]
    return story


def _story_figures(con: Con, story_id: str, until: datetime | None) -> list[dict]:
    # One story through the same code path as the list, so the figures always agree.
    return list_stories(con, until=until, limit=1, ids=[story_id])


def list_alerts(con: Con, *, since: datetime | None = None, until: datetime | None = None) -> list[dict[str, Any]]:
    """Alerts raised in [since, until), newest first."""
    where, params = [], []
    if since is not None:
        where.append("a.raised_at >= ?")
        params.append(_naive(since))
    if until is not None:
        where.append("a.raised_at < ?")
        params.append(_naive(until))
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    return _rows(
        con,
        f"""SELECT a.id, a.story_id, a.kind, a.term, a.raised_at, a.hour, a.count_last_hour, a.baseline, a.score,
                   coalesce(a.headline, s.headline) AS headline
            FROM alerts a LEFT JOIN stories s ON s.id = a.story_id {clause}
            ORDER BY a.raised_at DESC, a.score DESC""",
        params,
    )


def counts_by_kind(items: Iterable[dict]) -> dict[str, int]:
    counts = Counter(i["kind"] for i in items)
    return {k: counts.get(k, 0) for k in KINDS}
