"""Story clustering on a labelled stream: a CSV of items with times, languages and the story each belongs to.

`evaluate_stream(path)` replays the items hour by hour as the pipeline would (dedup, the project's NLP for lemmas
and entities, online clustering with merges) and scores the stories against the labels: B-cubed precision,
recall and F1, the adjusted Rand index, and how often an English item shares a story with a Swedish item of its
true story ("cross-language"). Items the dedup calls copies take their original's story; the labels of off-topic
items should be their own singletons (`noise-<id>`). Every item is clustered (no relevance step), so the figure
is the clustering's alone.

CSV columns: id, time (ISO 8601 with offset), lang (sv, en, ...), title, text, story; others are ignored.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

from mediebild.models.clustering import ClusterDoc, OnlineClusterer, weighted_tokens
from mediebild.models.corpora.labelled import read_stream
from mediebild.models.eval.clusters import adjusted_rand, bcubed, replay_hourly


def evaluate_stream(path: Path | str, clusterer: OnlineClusterer | None = None) -> dict:
    from mediebild.models import nlp

    rows = read_stream(path)
    titles = nlp.lemmatise([r["title"] or "" for r in rows], [r["lang"] for r in rows])
    analyses = nlp.analyse([f"{r['title'] or ''}\n{r['text'] or ''}" for r in rows], [r["lang"] for r in rows])
    seen = {r["id"]: (title, analysis, r["lang"]) for r, title, analysis in zip(rows, titles, analyses)}

    def cluster_doc(item_id: str, _text: str, when: datetime) -> ClusterDoc:
        title_lemmas, analysis, lang = seen[item_id]
        return ClusterDoc(item_id, weighted_tokens(title_lemmas, analysis.lemmas), when,
                          [e.norm_id for e in analysis.entities], lang)

    pred, copy_of, _ = replay_hourly(
        [(r["id"], f"{r['title'] or ''}\n{r['text'] or ''}", r["time"], r.get("source") or "") for r in rows],
        cluster_doc, clusterer or OnlineClusterer())
    gold = {r["id"]: r["story"] for r in rows}
    p, rec, f1 = bcubed(pred, gold)
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
        "dataset": Path(path).name,
        "items": len(rows),
        "gold_stories": len(set(gold.values())),
        "predicted_stories": len(sizes),
        "copies": len(copy_of),
        "bcubed_precision": round(p, 4),
        "bcubed_recall": round(rec, 4),
        "bcubed_f1": round(f1, 4),
        "adjusted_rand": round(adjusted_rand(pred, gold), 4),
        "cross_language_together": together,
        "cross_language_items": total,
    }
