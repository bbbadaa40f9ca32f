"""The stories step: dedup and cluster new items, update story figures, raise spike alerts, flag rumours.

`update_stories(store, now=...)` is a plain function (tested without Prefect); `get_stories_flow()` wraps it
as a thin Prefect flow. One pass reads the items no pass has seen, loads the dedup index and cluster state
saved by the previous pass, assigns the new items, and writes everything (memberships, copies, merges,
incident threads, story figures, alerts, the new state) in one transaction, so a crash loses at most the pass in flight.
Everything is dedup'd; only relevant items (all items before enrichment exists) are clustered.

Flows layer: imports models (clustering, dedup, rumours, spikes, nlp), data.stories and the core.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from mediebild.items import item_text
from mediebild.data import stories as db
from mediebild.flows import lazy_flow
from mediebild.models.clustering import (
    ClusterDoc,
    ClusterState,
    OnlineClusterer,
    resolve_merges,
    tokenise,
    weighted_tokens,
)
from mediebild.models.dedup import DedupDoc, DedupIndex
from mediebild.models.rumours import RumourItem, assess, denials, hedges
from mediebild.models.spikes import SpikeRule, spikes, term_spikes
from mediebild.timeutil import as_utc, floor_hour, utcnow

DEDUP_STATE = "dedup"
CLUSTER_STATE = "clusters"
# Items below the relevance classifier's cut but above this score are still clustered: follow-ups and rumours
# seldom name the incident's terms. Chosen on the relevance dev sets (bryssel_sv, storm_sv, ostermalm_gas, with
# enrichment's lemmas; stories.md has the table): at 0.2 they keep 100 %, 100 % and 86 % of the relevant items
# with 34 of 72, 26 of 39 and 54 of 87 off-topic items; 0.25 costs Östermalm recall 0.86 -> 0.78 to drop four
# off-topic items, 0.15 adds one relevant Östermalm item and three off-topic Brussels ones. (It was first chosen
# on the demo day; the dev sets put it at the same knee.) Since relevance averages in the cross-incident prior
# (models/relevance_prior.py), scores of off-topic items sit higher, so the same trade-off moved to 0.3: on the
# seven relevance dev sets (leave-one-set-out priors) 0.3 keeps at least the recall 0.2 had before
# (0.93 / 0.97 / 0.94 / 0.89 / 0.97 / 1.00 / 1.00 against 0.91 / 0.97 / 0.85 / 0.82 / 0.97 / 1.00 / 1.00 for gavle,
# ljusdal, sundsvall, uppsala, östermalm, bryssel, storm) with as many or fewer off-topic items on six of seven
# (62/99, 63/98, 63/92, 40/88, 65/87, 39/72, 14/39 against 66, 62, 66, 41, 68, 45, 26); 0.25 lets 6-18 more
# off-topic items in on five of them.
STORY_RELEVANCE_FLOOR = 0.3
# ... and an item that hedges or denies (models.rumours: "enligt uppgift", "dementerar", "det stämmer inte") down
# to this score: a rumour and its denials are what officers must see, and they name the incident least. Not
# chosen on dev data: the three relevance dev sets have no hedging or denying item between 0.1 and 0.2, so it
# changes nothing there (0 items either way); the value came from the demo day and is kept because the rule is
# general (only items with a rumour cue pass) and costs the dev sets nothing. A dev set with rumour items and a
# profile would be needed to choose it.
RUMOUR_RELEVANCE_FLOOR = 0.1
# How far back a pass looks for items that became relevant after it had passed them by (enrichment re-scores the
# last 48 hours when relevance learns; the same window here).
PROMOTION_WINDOW = timedelta(hours=48)


def to_cluster(item: dict[str, Any]) -> bool:
    """Cluster relevant items; before enrichment (relevant is None) everything."""
    if item.get("relevant") is not False:
        return True
    score = item.get("relevance") or 0.0
    if score >= STORY_RELEVANCE_FLOOR:
        return True
    if score < RUMOUR_RELEVANCE_FLOOR:
        return False
    text = f"{item.get('title') or ''}\n{item.get('text') or ''}"
    return bool(hedges(text, weak=False) or denials(text))


def item_tokens(item: dict[str, Any], title_lemmas: list[str] | None = None) -> list[str]:
    """What clustering sees (models.clustering.weighted_tokens): the title weighted, then the body.

    With enrichment's lemmas the title is counted in lemmas too (`title_lemmas`, else the tokeniser's
    words), so "Explosion i hamnen" adds weight to the lemmas explosion and hamn that the body uses.
    """
    if item.get("lemmas"):
        title = title_lemmas if title_lemmas is not None else tokenise(item.get("title") or "")
        return weighted_tokens(title, item["lemmas"].split())
    return weighted_tokens(tokenise(item.get("title") or ""), tokenise(item.get("text") or ""))


def title_lemmas(items: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Lemmas of the titles of enriched items (the lookup lemmatiser: cheap, and loaded by enrichment anyway)."""
    enriched = [i for i in items if i.get("lemmas") and (i.get("title") or "").strip()]
    if not enriched:
        return {}
    try:
        from mediebild.models.nlp import lemmatise
    except ImportError:  # pragma: no cover - the NLP extra is part of the install
        return {}
    lemmas = lemmatise([i["title"] for i in enriched], [i.get("lang") for i in enriched])
    return {i["id"]: list(found) for i, found in zip(enriched, lemmas)}


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
        index: DedupIndex = _load_state(store, DEDUP_STATE) or DedupIndex()
        state: ClusterState = _load_state(store, CLUSTER_STATE) or ClusterState()
        items = db.unseen_items(con, until=now)
        by_id = {i["id"]: i for i in items}

        matches = index.add(DedupDoc(i["id"], item_text(i["title"], i["text"]), i["published_at"], i["source_id"]) for i in items)
        copy_of = {m.item_id: m for m in matches}
        # items passed by earlier because they were not relevant then, and relevant now (learning, judgements)
        promoted = db.promoted_items(con, until=now, since=now - PROMOTION_WINDOW)
        originals = [i for i in items if i["id"] not in copy_of and to_cluster(i)] + promoted
        titles = title_lemmas(originals)
        tokens = {i["id"]: item_tokens(i, titles.get(i["id"])) for i in originals}
        result = clusterer.add(
            state, [ClusterDoc(i["id"], tokens[i["id"]], i["published_at"], i["entities"], i["lang"]) for i in originals]
        )
        merges = [(db.story_key(a), db.story_key(b)) for a, b in result.merges]
        final = resolve_merges(result.merges)
        assignments = [
            (a.item_id, db.story_key(final.get(a.cluster_id, a.cluster_id)), a.similarity) for a in result.assignments
        ]
        opened = sorted({db.story_key(a.cluster_id) for a in result.assignments if a.opened})
        clustered = {a[0] for a in assignments}
        db.mark_clustered(con, [(i["id"], " ".join(dict.fromkeys(tokens[i["id"]]))) for i in promoted if i["id"] in clustered])
        db.record_pass(
            con,
            now=now,
            seen=[
                (i["id"], i["id"] in clustered, " ".join(dict.fromkeys(tokens[i["id"]])) if i["id"] in clustered else None)
                for i in items
            ],
            copies=[(m.item_id, m.copy_of, m.how, m.similarity) for m in matches],
            assignments=assignments,
            opened=opened,
            merges=merges,
        )
        db.record_threads(
            con,
            {db.story_key(story): db.story_key(thread) for story, thread in result.threads.items()},
            [(db.story_key(a), db.story_key(b)) for a, b in result.thread_joins],
            now=now,
        )
        touched = sorted(
            set(db.story_of_items(con, list(by_id)).values()) | {b for _, b in merges}
        )
        members = db.story_items_for(con, touched, latest=db.REFRESH_ITEMS)
        verdicts = _rumour_verdicts(members)
        db.refresh_stories(con, touched, now=now, verdicts=verdicts, members=members)
        alerts = _raise_alerts(con, now=now, rule=story_rule)

        index.prune(now)
        dropped = clusterer.prune(state, now)
        dedup_bytes = db.save_state(con, DEDUP_STATE, index, now=now)
        cluster_bytes = db.save_state(con, CLUSTER_STATE, state, now=now)
    _remember_state(store, DEDUP_STATE, index)  # only after the commit
    _remember_state(store, CLUSTER_STATE, state)
    return {
        "now": now,
        "items": len(items),
        "copies": len(matches),
        "clustered": len(assignments),
        "promoted": len(promoted),
        "stories_opened": len(opened),
        "stories_touched": len(touched),
        "merges": len(merges),
        "alerts": alerts,
        "rumours": sorted(s for s, v in verdicts.items() if v.rumour),
        "live_stories": state.n_live,
        "threads": len(set(state.threads.tolist())) if state.threads is not None else state.n_live,
        "stories_retired": len(dropped),
        "state_bytes": dedup_bytes + cluster_bytes,
        "seconds": round(time.perf_counter() - started, 3),
    }


# The state a pass saved, kept in this process so the next pass skips unpickling it (rebuilding the LSH
# tables costs seconds). Used only while the stored blob is byte for byte the one this process wrote.
_STATE_CACHE: dict[tuple[str, str], tuple[str, Any]] = {}


def _load_state(store, name: str):
    cached = _STATE_CACHE.pop((str(store.path), name), None)  # the pass owns it; a failed pass leaves nothing
    if cached is not None and cached[0] == db.state_digest(store.con, name):
        return cached[1]
    return db.load_state(store.con, name)


def _remember_state(store, name: str, obj: Any) -> None:
    digest = db.state_digest(store.con, name)
    if digest is not None:
        _STATE_CACHE[(str(store.path), name)] = (digest, obj)


def _rumour_verdicts(members: dict[str, list[dict]]) -> dict[str, Any]:
    """Rumour flags of each story from its newest items (originals and copies alike: spread counts), hedging and
    denials read from the story's hedged sub-group (models.rumours.rumour_group), so a flag stays with the posts
    that carry the rumour when stories grow together."""
    return {
        story_id: assess(
            [
                RumourItem(item_text(i["title"], i["text"]), i["kind"], i["published_at"], i["source_id"], i.get("copy_of"))
                for i in items
            ],
            subgroup=True,
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
    hourly: list[list[list[str]]] = [[] for _ in range(13)]
    for at, terms in db.recent_terms(con, now=now):
        ago = int((now - at).total_seconds() // 3600)
        if 0 <= ago < 13:
            hourly[12 - ago].append(terms)
    for s in term_spikes(hourly):
        alert = {"kind": "term", "story_id": None, "term": s.key, "raised_at": now, "hour": hour,
                 "count_last_hour": s.count_last_hour, "baseline": s.baseline, "score": s.score, "headline": None}
        if db.raise_alert(con, alert):
            raised.append(alert)
    return raised


# -- Prefect: a thin wrapper ----------------------------------------------------------------------------------
@lazy_flow
def get_stories_flow():
    """The Prefect flow `stories`, built on first use (flows.lazy_flow)."""
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE

    @task(name="update-stories", cache_policy=NO_CACHE, persist_result=False)
    def update_stories_task(db_path: str, now: datetime | None) -> dict[str, Any]:
        from mediebild.data.store import STEP_WAIT_SECONDS, Store

        with Store.open(db_path, wait=STEP_WAIT_SECONDS) as store:
            return update_stories(store, now=now)

    @flow(name="stories", persist_result=False, log_prints=False)
    def stories_flow(db: str, now: datetime | None = None) -> dict[str, Any]:
        """Dedup, cluster, spike alerts and rumour flags for the items not yet assigned."""
        return update_stories_task(db, now)

    return stories_flow
