"""The stories step: dedup and cluster new items, update story figures, raise spike alerts, flag rumours.

`update_stories(store, now=...)` is a plain function (tested without Prefect); `get_stories_flow()` wraps it
as a thin Prefect flow. One pass reads the items no pass has seen, loads the dedup index and cluster state
saved by the previous pass, assigns the new items, and writes everything (memberships, copies, merges,
story figures, alerts, the new state) in one transaction, so a crash loses at most the pass in flight.
Everything is dedup'd; only relevant items (all items before enrichment exists) are clustered.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from mediebild.data import stories as db
from mediebild.models.clustering import ClusterDoc, ClusterState, OnlineClusterer, resolve_merges, tokenise
from mediebild.models.dedup import DedupDoc, DedupIndex
from mediebild.models.rumours import RumourItem, assess
from mediebild.models.spikes import SpikeRule, spikes, term_spikes
from mediebild.timeutil import as_utc, floor_hour, utcnow

DEDUP_STATE = "dedup"
CLUSTER_STATE = "clusters"
MAX_TOKENS = 150  # the title twice and the lead: enough to place a story, bounded in cost


def item_text(title: str | None, text: str | None) -> str:
    """Title and body as one text, without repeating a title that the body starts with (social posts)."""
    title, text = (title or "").strip(), (text or "").strip()
    if not title or text.startswith(title.rstrip(".…")):
        return text or title
    return f"{title}\n{text}"


def item_tokens(item: dict[str, Any]) -> list[str]:
    """Lemmas from enrichment when present, else the fallback tokeniser; the title counts twice."""
    if item.get("lemmas"):
        lemmas = item["lemmas"].split()
        title = tokenise(item.get("title") or "")
        return (title + lemmas)[:MAX_TOKENS]
    title = tokenise(item.get("title") or "")
    body = tokenise(item.get("text") or "")
    if title and body[: len(title)] == title:
        body = body[len(title) :]
    return (title * 2 + body)[:MAX_TOKENS]


def update_stories(
    store,
    *,
    now: datetime | None = None,
    clusterer: OnlineClusterer | None = None,
    story_rule: SpikeRule = SpikeRule(),
) -> dict[str, Any]:
    """One pass up to `now` (default: the current time). Returns a summary of what it did."""
    now = as_utc(now or utcnow())
    started = time.perf_counter()
    clusterer = clusterer or OnlineClusterer()
    con = store.con
    with store.transaction():
        index: DedupIndex = db.load_state(con, DEDUP_STATE) or DedupIndex()
        state: ClusterState = db.load_state(con, CLUSTER_STATE) or ClusterState()
        items = db.unseen_items(con, until=now)
        by_id = {i["id"]: i for i in items}

        matches = index.add(DedupDoc(i["id"], item_text(i["title"], i["text"]), i["published_at"], i["source_id"]) for i in items)
        copy_of = {m.item_id: m for m in matches}
        to_cluster = [i for i in items if i["id"] not in copy_of and i["relevant"] is not False]
        result = clusterer.add(
            state, [ClusterDoc(i["id"], item_tokens(i), i["published_at"], i["entities"], i["lang"]) for i in to_cluster]
        )
        merges = [(db.story_key(a), db.story_key(b)) for a, b in result.merges]
        final = resolve_merges(result.merges)
        assignments = [
            (a.item_id, db.story_key(final.get(a.cluster_id, a.cluster_id)), a.similarity) for a in result.assignments
        ]
        opened = sorted({db.story_key(a.cluster_id) for a in result.assignments if a.opened})
        clustered = {a[0] for a in assignments}
        db.record_pass(
            con,
            now=now,
            seen=[(i["id"], i["id"] in clustered) for i in items],
            copies=[(m.item_id, m.copy_of, m.how, m.similarity) for m in matches],
            assignments=assignments,
            opened=opened,
            merges=merges,
        )
        touched = sorted(
            set(db.story_of_items(con, list(by_id)).values()) | {b for _, b in merges}
        )
        verdicts = _rumour_verdicts(con, touched)
        db.refresh_stories(con, touched, now=now, verdicts=verdicts)
        alerts = _raise_alerts(con, now=now, rule=story_rule)

        index.prune(now)
        dropped = clusterer.prune(state, now)
        dedup_bytes = db.save_state(con, DEDUP_STATE, index, now=now)
        cluster_bytes = db.save_state(con, CLUSTER_STATE, state, now=now)
    return {
        "now": now,
        "items": len(items),
        "copies": len(matches),
        "clustered": len(assignments),
        "stories_opened": len(opened),
        "stories_touched": len(touched),
        "merges": len(merges),
        "alerts": alerts,
        "rumours": sorted(s for s, v in verdicts.items() if v.rumour),
        "live_stories": state.n_live,
        "stories_retired": len(dropped),
        "state_bytes": dedup_bytes + cluster_bytes,
        "seconds": round(time.perf_counter() - started, 3),
    }


def _rumour_verdicts(con, story_ids: list[str]) -> dict[str, Any]:
    members = db.story_items_for(con, story_ids)
    return {
        story_id: assess(
            [RumourItem(item_text(i["title"], i["text"]), i["kind"], i["published_at"], i["source_id"]) for i in items]
        )
        for story_id, items in members.items()
    }


def _raise_alerts(con, *, now: datetime, rule: SpikeRule) -> list[dict[str, Any]]:
    """Story and term spikes for the hour ending at `now`; each stored once (see data.stories.raise_alert)."""
    hour = floor_hour(now - timedelta(hours=1))
    raised = []
    story_spikes = spikes(db.hourly_story_counts(con, now=now), rule)
    names = db.headlines(con, [s.key for s in story_spikes])
    for s in story_spikes:
        alert = {"kind": "story", "story_id": s.key, "term": None, "raised_at": now, "hour": hour,
                 "count_last_hour": s.count_last_hour, "baseline": s.baseline, "score": s.score,
                 "headline": names.get(s.key)}
        if db.raise_alert(con, alert):
            raised.append(alert)
    texts = db.recent_texts(con, now=now)
    hourly: list[list[list[str]]] = [[] for _ in range(13)]
    for t in texts:
        ago = int((now - t["published_at"]).total_seconds() // 3600)
        if 0 <= ago < 13:
            hourly[12 - ago].append(t["lemmas"].split() if t.get("lemmas") else tokenise(item_text(t["title"], t["text"])))
    for s in term_spikes(hourly):
        alert = {"kind": "term", "story_id": None, "term": s.key, "raised_at": now, "hour": hour,
                 "count_last_hour": s.count_last_hour, "baseline": s.baseline, "score": s.score, "headline": None}
        if db.raise_alert(con, alert):
            raised.append(alert)
    return raised


# -- Prefect: a thin wrapper ----------------------------------------------------------------------------------
_FLOW = None


def get_stories_flow():
    """The Prefect flow `stories`, built on first use (importing prefect costs seconds)."""
    global _FLOW
    if _FLOW is None:
        from prefect import flow, task
        from prefect.cache_policies import NO_CACHE

        @task(name="update-stories", cache_policy=NO_CACHE, persist_result=False)
        def update_stories_task(db_path: str, now: datetime | None) -> dict[str, Any]:
            from mediebild.data.store import Store

            with Store.open(db_path) as store:
                return update_stories(store, now=now)

        @flow(name="stories", persist_result=False, log_prints=False)
        def stories_flow(db: str, now: datetime | None = None) -> dict[str, Any]:
            """Dedup, cluster, spike alerts and rumour flags for the items not yet assigned."""
            return update_stories_task(db, now)

        _FLOW = stories_flow
    return _FLOW
