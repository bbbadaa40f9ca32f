"""What each page of the situation room shows, gathered through data/ functions from one read cursor.

Every function here takes a cursor over the published snapshot (data/access.py) and returns the plain dict its
template renders: no SQL (data/ has it),
no HTML (the templates have it). `as_of` is the page's "now": the current time, or the newest item's time when
the database is not being fed (a replayed exercise, a copy), which the page says.

Web layer: imports data/ and the core.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, Callable

import duckdb

from mediebild.data import digest_queries as q
from mediebild.data import page as pq
from mediebild.data.item_filter import ItemFilter
from mediebild.data.profiles import load_active_profile
from mediebild.data.queries import source_health
from mediebild.data.stories import get_story, list_alerts
from mediebild.data.story_scope import story_scope
from mediebild.data.judgements import judgement_states
from mediebild.data.triage import audit_for, audit_for_items, audit_of_kind, triage_states
from mediebild.items import KINDS
from mediebild.timeutil import as_utc, floor_hour, utcnow

Con = duckdb.DuckDBPyConnection

STALE_AFTER = timedelta(hours=2)  # newer data than this counts as "being fed": the page's now is the clock's
TICK = timedelta(microseconds=1)


def as_of(con: Con, now: datetime | None = None) -> tuple[datetime, bool]:
    """(the page's now, whether it is the newest item's time because nothing newer arrived)."""
    clock = as_utc(now or utcnow())
    newest = pq.newest_item_time(con)
    if newest is not None and clock - newest > STALE_AFTER:
        return newest + TICK, True
    return clock, False


def _trim(volume: list[dict[str, Any]], keep: int = 3) -> list[dict[str, Any]]:
    for index, row in enumerate(volume):
        if any(row.get(k) for k in KINDS):
            return volume[min(index, max(len(volume) - keep, 0)):]
    return volume[-keep:]


def _with_triage(con: Con, stories: list[dict[str, Any]]) -> list[dict[str, Any]]:
    states = triage_states(con, [s["id"] for s in stories])
    for story in stories:
        story["triage"] = states.get(story["id"])
    return stories


def _parallel(con: Con, parts: dict[str, Callable[[Con], Any]]) -> dict[str, Any]:
    """Each part on a cursor of its own, at once: the overview's reads are a dozen short scans of the snapshot,
    each waiting more on its files than on the processor."""
    def run(part: Callable[[Con], Any]) -> Any:
        cursor = con.cursor()
        try:
            return part(cursor)
        finally:
            cursor.close()

    with ThreadPoolExecutor(max_workers=OVERVIEW_THREADS, thread_name_prefix="mediebild-overview") as pool:
        futures = {name: pool.submit(run, part) for name, part in parts.items()}
        return {name: future.result() for name, future in futures.items()}


OVERVIEW_THREADS = 4


def overview(con: Con, now: datetime) -> dict[str, Any]:
    """Läget nu: the last hour against the one before, volume, top stories, alerts, rumours, statements, sources."""
    hour_ago = now - timedelta(hours=1)

    def stories(c: Con) -> list[dict[str, Any]]:
        return _with_triage(c, pq.story_cards(c, now=now)) if q.stories_ran(c) else []

    got = _parallel(con, {
        "counts": lambda c: pq.hour_counts(c, now),
        "stories_ran": q.stories_ran,
        "active": stories,
        "alerts": lambda c: list_alerts(c, since=now - timedelta(hours=6) + TICK, until=now + TICK),
        "vma": lambda c: pq.vma_recent(c, now - timedelta(hours=24), now),
        "official": lambda c: pq.official_recent(c, now - timedelta(hours=6), now, limit=8),
        "failing": lambda c: q.failing_sources(c, hour_ago, now),
        "volume": lambda c: pq.volume_by_hour(c, floor_hour(now) - timedelta(hours=11), now),
        "totals": pq.totals,
    })
    current, previous = got["counts"]
    active = got["active"]
    return {
        "current": current, "previous": previous,
        "delta": {"items": current["items"] - previous["items"],
                  "relevant": None if current["relevant"] is None or previous["relevant"] is None
                  else current["relevant"] - previous["relevant"],
                  "by_kind": {k: current["by_kind"].get(k, 0) - previous["by_kind"].get(k, 0) for k in KINDS}},
        "volume": _trim(got["volume"]),
        "stories_ran": got["stories_ran"], "top": active[:10], "rumours": [s for s in active if s["rumour"]][:10],
        "alerts": got["alerts"], "vma": got["vma"], "official": got["official"], "failing": got["failing"],
        "totals": got["totals"],
    }


def stream(con: Con, item_filter: ItemFilter, *, until: datetime, before: tuple[datetime, str] | None,
           limit: int = 50) -> dict[str, Any]:
    """Flödet: a page of originals newest first, their copies and stories, and the filters' choices."""
    def page(c: Con) -> list[dict[str, Any]]:
        found = pq.stream(c, item_filter, until=until, before=before, limit=limit)
        judged = judgement_states(c, "item", [r["id"] for r in found])
        for row in found:
            row["judgement"] = judged.get(row["id"])
        return found

    got = _parallel(con, {"rows": page, "choices": pq.filter_choices})
    rows = got["rows"]
    return {"items": rows, "choices": got["choices"],
            "next": (rows[-1]["published_at"], rows[-1]["id"]) if len(rows) == limit else None}


def story(con: Con, story_id: str) -> dict[str, Any] | None:
    """Berättelse: one story with its timeline, outlets and copies, rumour reasons, entities, triage and audit."""
    scope = story_scope(con, story_id)  # the story's rows only: get_story joins whole tables otherwise
    if scope is None:
        return None
    with scope:
        found = get_story(scope.con, story_id, until=scope.until)
        if found is None:
            return None
        items = found["items"]
        times = [i["published_at"] for i in items]
        details = pq.item_details(scope.con, [i["id"] for i in items], since=min(times, default=None),
                                  until=max(times, default=None))
        names = pq.source_names(scope.con, sorted({i["source_id"] for i in items}))
    hours: dict[datetime, dict[str, Any]] = {}
    outlets: dict[str, dict[str, Any]] = {}
    copies_by_source: Counter[str] = Counter()
    for item in items:
        item.update({k: v for k, v in details.get(item["id"], {}).items() if k not in item})
        item["source_name"] = names.get(item["source_id"], {}).get("name", item["source_id"])
        hour = floor_hour(item["published_at"])
        slot = hours.setdefault(hour, {"hour": hour, **dict.fromkeys(KINDS, 0)})
        slot[item["kind"]] = slot.get(item["kind"], 0) + 1
        outlet = outlets.setdefault(item["source_id"], {"source_id": item["source_id"], "name": item["source_name"],
                                                         "kind": item["kind"], "items": 0, "copies": 0,
                                                         "first": item["published_at"]})
        outlet["items"] += 1
        if item["is_copy_of"]:
            outlet["copies"] += 1
            copies_by_source[item["source_id"]] += 1
        outlet["first"] = min(outlet["first"], item["published_at"])
    timeline = []
    if hours:
        t, last = min(hours), max(hours)
        while t <= last:
            timeline.append(hours.get(t, {"hour": t, **dict.fromkeys(KINDS, 0)}))
            t += timedelta(hours=1)
    originals = [i for i in items if not i["is_copy_of"]]
    originals.sort(key=lambda i: (i["published_at"], i["id"]), reverse=True)
    found["originals"] = originals
    found["timeline"] = timeline
    found["outlets"] = sorted(outlets.values(), key=lambda o: (o["first"], o["name"]))
    found["triage"] = triage_states(con, [found["id"]]).get(found["id"])
    found["judgement"] = judgement_states(con, "story", [found["id"]]).get(found["id"])
    judged = judgement_states(con, "item", [i["id"] for i in originals])
    for item in originals:
        item["judgement"] = judged.get(item["id"])
    audit = audit_for(con, "story", found["id"]) + audit_for_items(con, [i["id"] for i in items])
    found["audit"] = sorted(audit, key=lambda a: a["id"], reverse=True)[:200]
    return found


def documents(con: Con, *, limit: int = 400) -> dict[str, Any]:
    """Dokument: stored digests and briefs by period, newest first, each with its formats."""
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for doc in q.list_digests(con, limit=limit):
        key = (doc["kind"], doc["period_start"], doc["period_end"], doc["lang"], doc["version"])
        group = groups.setdefault(key, {"kind": doc["kind"], "period_start": doc["period_start"],
                                        "period_end": doc["period_end"], "lang": doc["lang"],
                                        "version": doc["version"], "created_at": doc["created_at"],
                                        "n_items": doc["n_items"], "n_stories": doc["n_stories"], "formats": []})
        group["formats"].append({"id": doc["id"], "format": doc["format"], "bytes": doc["bytes"]})
    ordered = sorted(groups.values(), key=lambda g: (g["period_end"], g["created_at"]), reverse=True)
    for group in ordered:
        group["formats"].sort(key=lambda f: ("html", "pdf", "md", "json").index(f["format"])
                              if f["format"] in ("html", "pdf", "md", "json") else 9)
    return {"groups": ordered, "document_audit": audit_of_kind(con, "document", limit=20)}


def document(con: Con, doc_id: str) -> dict[str, Any] | None:
    return q.get_digest(con, doc_id, with_body=True)


def audit_of(con: Con, target_kind: str, limit: int = 20) -> list[dict[str, Any]]:
    """The newest audit rows about documents, sources, the profile or accounts."""
    return audit_of_kind(con, target_kind, limit=limit)


def sources(con: Con, now: datetime) -> dict[str, Any]:
    """Källor: the health of every source and the recent pause/resume actions."""
    rows = source_health(con, now=now)
    actions = audit_of_kind(con, "source", limit=20)
    return {"sources": rows, "actions": actions}


def profile(con: Con) -> dict[str, Any]:
    """Profil: the active incident profile as stored (None when none is set)."""
    found = load_active_profile(con)
    if found is None:
        return {"profile": None}
    model = found.model
    return {"profile": {"name": model.name, "start": model.start, "end": model.end, "description": model.description,
                        "query": model.query, "threshold": model.threshold, "terms": model.terms.model_dump(),
                        "body": found.body}}
