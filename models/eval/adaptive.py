"""Adaptive relevance on a labelled incident set, replayed pass by pass as the pipeline would see it.

`eval_adaptive(items_csv, profile_toml, feedback=K)` reads an incident set (`id,time,...,relevant`) or a plain
relevance CSV (`text,label`), computes what enrichment computes (language, lemmas, the profile-and-classifier
relevance), and replays the items hour by hour through `models.adaptive.IncidentLearner`: each pass the learner
sees the hour's new items, and the pass scores them with what was learned from the items seen so far (a stream
method: nothing from later hours). A CSV without times is one pass.

With `feedback=K` a simulated officer answers the tool's questions (`models.adaptive.questions`: the items
nearest the threshold, at most one per hour of publication) with the set's labels, `ceil(K / passes)` per pass
until K are answered; the judged items are then left out of the scores ("scores the rest").

Scores: `precision`, `recall`, `f1` of each item's label *as of its own pass* (what that hour's digest saw);
`final` the same for the labels after the last pass (earlier items re-scored with everything learned, as the
enrichment's re-scoring does); `base` the profile-and-classifier relevance alone; `all_relevant_f1` the F1 of
calling every item relevant (the floor a recall-hungry method must beat); `auc` ranks the as-of scores.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from mediebild.models.adaptive import Doc, IncidentLearner, Judged, LearnerSettings, doc_tokens, questions

Lemmatize = Callable[[list[str], list[str | None]], list[list[str]]]


@dataclass
class Row:
    item_id: str
    text: str
    label: int
    lang: str | None
    published_at: datetime | None


def read_rows(path: Path | str) -> list[Row]:
    """An incident set (time order) or a text,label CSV (file order, no times)."""
    import csv

    from mediebild.models.corpora.labelled import is_incident_set, read_relevance_csv, read_stream

    with Path(path).open(encoding="utf-8", newline="") as fh:
        incident = is_incident_set(csv.DictReader(fh).fieldnames)
    if incident:
        return [Row(r["id"], _text(r), int(str(r["relevant"]).strip() or 0), r["lang"], r["time"])
                for r in read_stream(path)]
    texts, labels, langs = read_relevance_csv(path)
    return [Row(f"r{i}", t, y, lang, None) for i, (t, y, lang) in enumerate(zip(texts, labels, langs))]


def _text(rec: dict[str, Any]) -> str:
    from mediebild.items import item_text

    return item_text(rec.get("title"), rec.get("text"))


def passes(rows: Sequence[Row]) -> list[list[int]]:
    """Row indices grouped by hour of publication, in time order (one pass when rows have no times)."""
    if not rows or any(r.published_at is None for r in rows):
        return [list(range(len(rows)))]
    hours: dict[datetime, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        assert r.published_at is not None
        hours[r.published_at.replace(minute=0, second=0, microsecond=0)].append(i)
    return [hours[h] for h in sorted(hours)]


def prepare(rows: Sequence[Row], profile: Any, model: Any = None, lemmatize: Lemmatize | None = None,
            prior: bool = True) -> list[Doc]:
    """What enrichment computes for each row: language (given or detected), lemmas, base relevance, and the
    shipped relevance prior (models/relevance_prior.py) unless `prior` is False."""
    from mediebild.models import relevance, relevance_prior
    from mediebild.models.language import detect_languages
    from mediebild.models.nlp import lemmatise

    texts = [r.text for r in rows]
    detected = [lang for lang, _ in detect_languages([t[:1000] for t in texts])]
    langs: list[str | None] = [r.lang or d for r, d in zip(rows, detected)]
    lemmas = (lemmatize or lemmatise)(texts, langs)
    preds = (model or relevance.load()).predict(texts, langs, lemmas=lemmas, profile=profile)
    docs = [Doc(r.item_id, doc_tokens(lem, lang), float(p["relevance"]), r.published_at,
                bool(p.get("profile_excluded")))
            for r, lem, lang, p in zip(rows, lemmas, langs, preds)]
    head = relevance_prior.load() if prior else None
    if head is not None:
        for doc, p_relevant in zip(docs, head.proba([d.tokens for d in docs], texts)):
            doc.prior = float(p_relevant)
    return docs


def _prf(labels: Sequence[int], predicted: Sequence[bool]) -> dict[str, float]:
    tp = sum(1 for y, p in zip(labels, predicted) if y and p)
    fp = sum(1 for y, p in zip(labels, predicted) if not y and p)
    fn = sum(1 for y, p in zip(labels, predicted) if y and not p)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def _auc(labels: Sequence[int], scores: Sequence[float]) -> float | None:
    pos = [s for y, s in zip(labels, scores) if y]
    neg = [s for y, s in zip(labels, scores) if not y]
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return round(wins / (len(pos) * len(neg)), 4)


def replay(rows: Sequence[Row], docs: Sequence[Doc], *, start: datetime | None, feedback: int = 0,
           settings: LearnerSettings | None = None) -> dict[str, Any]:
    """Replay the stream pass by pass; see the module docstring for what is scored."""
    settings = settings or LearnerSettings()
    learner = IncidentLearner(start, settings)
    groups = passes(rows)
    per_pass = math.ceil(feedback / len(groups)) if feedback and groups else 0
    verdicts: dict[str, bool] = {}
    label_of = {r.item_id: r.label for r in rows}
    asof = [0.0] * len(rows)
    seen: list[int] = []
    for group in groups:
        learner.observe(docs[i] for i in group)
        seen += group
        if per_pass and len(verdicts) < feedback:
            seen_docs = [docs[i] for i in seen]
            learner.use_judgements(Judged(dict(verdicts), [docs[i] for i in seen if docs[i].item_id in verdicts]))
            ask = questions(seen_docs, learner.scores(seen_docs), n=min(per_pass, feedback - len(verdicts)),
                            threshold=settings.threshold, judged=verdicts)
            verdicts.update({item_id: bool(label_of[item_id]) for item_id in ask})
        learner.use_judgements(Judged(dict(verdicts), [docs[i] for i in seen if docs[i].item_id in verdicts]))
        for i in group:
            asof[i] = learner.score(docs[i])
    final = learner.scores(docs)
    keep = [i for i, r in enumerate(rows) if r.item_id not in verdicts]
    labels = [rows[i].label for i in keep]
    from mediebild.models.eval.classifiers import scores

    names = ["relevant" if y else "not_relevant" for y in labels]
    predicted = ["relevant" if asof[i] >= settings.threshold else "not_relevant" for i in keep]
    result: dict[str, Any] = {
        **scores("relevance", names, predicted, ["relevant", "not_relevant"]),
        **_prf(labels, [asof[i] >= settings.threshold for i in keep]),
        "auc": _auc(labels, [asof[i] for i in keep]),
        "final": _prf(labels, [final[i] >= settings.threshold for i in keep]),
        "base": _prf(labels, [docs[i].base >= settings.threshold for i in keep]),
        "all_relevant_f1": _prf(labels, [True] * len(keep))["f1"],
        "feedback": len(verdicts),
        "feedback_relevant": sum(verdicts.values()),
        "scored": len(keep),
        "passes": len(groups),
        "learned_terms": len(learner.weights()),
        "seeds": learner.state.n_seeds,
    }
    result["errors"] = [
        {"id": rows[i].item_id, "text": rows[i].text[:200], "label": rows[i].label, "relevance": round(asof[i], 4),
         "learned": learner.contributions(docs[i])}
        for i in keep if bool(rows[i].label) != (asof[i] >= settings.threshold)
    ][:50]
    return result


def eval_adaptive(items_csv: Path | str, profile_path: Path | str, *, feedback: int = 0, model: Any = None,
                  settings: LearnerSettings | None = None, lemmatize: Lemmatize | None = None,
                  prior: bool = True) -> dict[str, Any]:
    """The eval contract for adaptive relevance: precision, recall, f1 (as of each pass), feedback, final...
    `prior=False` scores the learner without the relevance prior (which was trained on the development sets)."""
    from mediebild.profile import Profile

    profile = Profile.from_toml(profile_path)
    rows = read_rows(items_csv)
    docs = prepare(rows, profile, model, lemmatize, prior=prior)
    threshold = profile.threshold
    settings = settings or LearnerSettings(threshold=threshold)
    result = replay(rows, docs, start=profile.start, feedback=feedback, settings=settings)
    result.update(task="relevance", n=len(rows), profile=profile.name,
                  method="adaptive+prior" if prior and any(d.prior is not None for d in docs) else "adaptive")
    return result
