"""Story clustering on a labelled stream: a CSV of items with times, languages and the story each belongs to.

`evaluate_stream(path)` replays the items hour by hour as the pipeline would (dedup, the project's NLP for lemmas
and entities, online clustering with merges and incident threads) and scores the stories against the labels:
B-cubed precision, recall and F1, the adjusted Rand index, and how often an English item shares a story with a
Swedish item of its true story ("cross-language"). Items the dedup calls copies take their original's story; the
labels of off-topic items should be their own singletons (`noise-<id>`). Every item is clustered (no relevance
step), so the figure is the clustering's alone.

Two more measures, on the same replay:
- the incident level (`incident_bcubed_*`): the gold incident is one group of every item whose story is not
  off-topic (`noise-...`, `other-...`), each off-topic story its own; the prediction is each item's incident
  thread (`ClusterState.threads`). It says whether the sub-stories of the incident are held together, and the
  off-topic items kept out, whatever the fine stories are.
- rumour flags (`rumour_*`): `models.rumours.assess(..., subgroup=True)` on each predicted story's items, as the
  stories step does; a flag is right when most of the flagged hedged sub-group (`verdict.group`; the whole story
  for a flag without one) belongs to a gold rumour story (a story id with "rumour" or "fake" in it);
  `rumour_story_precision` asks the same of the whole flagged story; `rumour_stories_found` counts the gold
  rumour stories that are most of some flag.

CSV columns: id, time (ISO 8601 with offset), lang (sv, en, ...), title, text, story; kind and source are used
when present; others are ignored.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any, Sequence

from mediebild.models.clustering import ClusterDoc, OnlineClusterer, weighted_tokens
from mediebild.models.corpora.labelled import read_stream
from mediebild.models.eval.clusters import adjusted_rand, bcubed, replay_hourly
from mediebild.models.rumours import RumourItem, assess

OFF_TOPIC = ("noise", "other")  # story id prefixes of off-topic items
RUMOUR_MARKS = ("rumour", "fake")  # a gold story whose id has one of these is a rumour


def evaluate_stream(path: Path | str, clusterer: OnlineClusterer | None = None) -> dict:
    from mediebild.models import nlp

    rows = read_stream(path)
    titles = nlp.lemmatise([r["title"] or "" for r in rows], [r["lang"] for r in rows])
    analyses = nlp.analyse([f"{r['title'] or ''}\n{r['text'] or ''}" for r in rows], [r["lang"] for r in rows])
    docs = {
        r["id"]: ClusterDoc(r["id"], weighted_tokens(title, analysis.lemmas), r["time"],
                            [e.norm_id for e in analysis.entities], r["lang"])
        for r, title, analysis in zip(rows, titles, analyses)
    }
    return {"dataset": Path(path).name, **score_replay(rows, docs, clusterer or OnlineClusterer())}


def score_replay(rows: Sequence[dict[str, Any]], docs: dict[str, ClusterDoc], clusterer: OnlineClusterer) -> dict:
    """Replay `rows` (read_stream's dicts) hour by hour with `docs` (what clustering sees of each) and score it."""

    def cluster_doc(item_id: str, _text: str, when: datetime) -> ClusterDoc:
        return docs[item_id]

    threads: dict[str, object] = {}
    pred, copy_of, _ = replay_hourly(
        [(r["id"], f"{r['title'] or ''}\n{r['text'] or ''}", r["time"], r.get("source") or "") for r in rows],
        cluster_doc, clusterer, threads)
    gold = {r["id"]: r["story"] for r in rows}
    p, rec, f1 = bcubed(pred, gold)
    incident = {i: s if s.startswith(OFF_TOPIC) else "incident" for i, s in gold.items()}
    ip, ir, if1 = bcubed(threads, incident)
    together = total = 0
    for r in rows:
        if r["lang"] != "en":
            continue
        swedish = [s["id"] for s in rows if s["story"] == r["story"] and s["lang"] == "sv"]
        if swedish:
            total += 1
            together += any(pred[s] == pred[r["id"]] for s in swedish)
    sizes = Counter(pred.values())
    return {
        "items": len(rows),
        "gold_stories": len(set(gold.values())),
        "predicted_stories": len(sizes),
        "predicted_threads": len(set(threads.values())),
        "copies": len(copy_of),
        "bcubed_precision": round(p, 4),
        "bcubed_recall": round(rec, 4),
        "bcubed_f1": round(f1, 4),
        "adjusted_rand": round(adjusted_rand(pred, gold), 4),
        "cross_language_together": together,
        "cross_language_items": total,
        "incident_bcubed_precision": round(ip, 4),
        "incident_bcubed_recall": round(ir, 4),
        "incident_bcubed_f1": round(if1, 4),
        **rumour_scores(rows, pred, copy_of),
    }


def rumour_scores(rows: Sequence[dict[str, Any]], pred: dict[str, object], copy_of: dict[str, str]) -> dict:
    """Rumour flags on the predicted stories against the gold rumour stories (see the module docstring)."""
    members: dict[object, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        members[pred[r["id"]]].append(r)
    flagged = right = right_story = 0
    found = set()

    def rumour_majority(items: list[dict[str, Any]]) -> str | None:
        story, n = Counter(r["story"] for r in items).most_common(1)[0]
        return story if any(mark in story for mark in RUMOUR_MARKS) and n * 2 > len(items) else None

    for items in members.values():
        verdict = assess([RumourItem(f"{r['title'] or ''}\n{r['text'] or ''}", r.get("kind") or "social", r["time"],
                                     r.get("source") or "", copy_of.get(r["id"])) for r in items], subgroup=True)
        if not verdict.rumour:
            continue
        flagged += 1
        story = rumour_majority([items[i] for i in verdict.group] or items)
        right += story is not None
        right_story += rumour_majority(items) is not None
        if story:
            found.add(story)
    gold_rumours = {r["story"] for r in rows if any(mark in r["story"] for mark in RUMOUR_MARKS)}
    return {
        "rumour_flagged": flagged,
        "rumour_precision": round(right / flagged, 4) if flagged else 0.0,
        "rumour_story_precision": round(right_story / flagged, 4) if flagged else 0.0,
        "rumour_stories_found": len(found),
        "rumour_stories": len(gold_rumours),
    }
