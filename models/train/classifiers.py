"""Train (reproduce) the shipped relevance, categories and tone artefacts, with the scores their cards quote.

`train_all(out_dir)` reads CrisisLexT26/T6 and the Swedish sentiment set from `../shared/data`, and for each
head (informativeness, topic, info_type, source_type, Swedish tone):

1. scores it leave-events-out (5 folds grouped by event; T6 topic: leave one T6 event out, its T26 twin
   dropped from training too) and on an in-domain random 80/20 split, with duplicates removed beforehand;
2. fits the probability calibration on the out-of-fold decision scores, and for multi-class heads a
   class-prior adjustment, kept only when it raises the leave-events-out score with its power chosen on the
   other folds (`prior_adjustment`);
3. for informativeness and information type, scores the plain baseline (TF-IDF + logistic regression on the
   raw texts, `plain_baseline`) on the same folds, so the report says whether the head beats it;
4. fits the final head on all the data and writes `relevance.joblib`, `categories.joblib`, `tone.joblib`
   and `training_scores.json` (the figures in the model cards).

The learner is a class-balanced linear SVM (LinearSVC) on the hashed features of `features.py`; one core,
about 2.5 minutes for everything. The topic head also reads `features.event_columns` (does the text name the
incident) and weighs the T26 rows at TOPIC_T26_WEIGHT. Sentence embeddings (all-MiniLM-L6-v2, full or
distilled to static token vectors) were measured and left out: see models/artifacts/relevance.md.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import joblib
import numpy as np
import scipy.sparse as sp
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold, StratifiedKFold, train_test_split
from sklearn.svm import LinearSVC

from mediebild.errors import UserError
from mediebild.models import corpora
from mediebild.models.corpora import crisislex as ev
from mediebild.models.corpora.swedish import read_swedish_sentiment
from mediebild.models.features import (
    LinearHead,
    event_columns,
    featurize,
    fit_calibration,
    fit_prior_power,
    scores_to_proba,
)

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
C_BY_TASK = {"informativeness": 0.1, "informativeness_2class": 0.1, "info_type": 0.2, "source_type": 0.1,
             "topic": 0.1, "tone_sv": 0.3}
RANDOM_STATE = 0
TOPIC_T26_WEIGHT = 0.1  # leave-one-T6-event-out: 0.0 -> 0.895, 0.1 -> 0.901, 0.3 -> 0.894, 1.0 -> 0.876


def _learner(task: str) -> LinearSVC:
    return LinearSVC(C=C_BY_TASK.get(task, 0.1), class_weight="balanced", random_state=RANDOM_STATE)


def _weighted_f1(y_true, y_pred) -> float:
    return round(float(f1_score(y_true, y_pred, average="weighted", zero_division=0)), 4)


def _macro_f1(y_true, y_pred) -> float:
    return round(float(f1_score(y_true, y_pred, average="macro", zero_division=0)), 4)


def cross_validate(task: str, X: sp.csr_matrix, y: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]],
                   log: Callable[[str], None] = print, weights: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """Out-of-fold decision scores (rows not in any test fold stay NaN) and the pooled scores."""
    classes = sorted(set(y))
    width = 1 if len(classes) == 2 else len(classes)
    oof = np.full((len(y), width), np.nan)
    for k, (train, test) in enumerate(folds):
        clf = _learner(task).fit(X[train], y[train], sample_weight=None if weights is None else weights[train])
        scores = clf.decision_function(X[test])
        oof[test] = scores.reshape(len(test), width)
        log(f"  {task} fold {k + 1}/{len(folds)}: weighted F1 {_weighted_f1(y[test], clf.predict(X[test]))}")
    done = ~np.isnan(oof[:, 0])
    pred = _scores_to_labels(oof[done], classes)
    return oof, {"weighted_f1": _weighted_f1(y[done], pred), "macro_f1": _macro_f1(y[done], pred),
                 "n": int(done.sum())}


def _scores_to_labels(scores: np.ndarray, classes: list[str]) -> list[str]:
    if len(classes) == 2:
        return [classes[int(s > 0)] for s in scores[:, 0]]
    return [classes[i] for i in scores.argmax(axis=1)]


def random_split(task: str, X: sp.csr_matrix, y: np.ndarray) -> dict:
    train, test = train_test_split(np.arange(len(y)), test_size=0.2, random_state=RANDOM_STATE, stratify=y)
    clf = _learner(task).fit(X[train], y[train])
    pred = clf.predict(X[test])
    return {"weighted_f1": _weighted_f1(y[test], pred), "macro_f1": _macro_f1(y[test], pred), "n": len(test)}


def final_head(task: str, X: sp.csr_matrix, y: np.ndarray, oof: np.ndarray,
               weights: np.ndarray | None = None, log_prior: np.ndarray | None = None) -> LinearHead:
    classes = sorted(set(y))
    done = ~np.isnan(oof[:, 0])
    scale, shift = fit_calibration(oof[done], y[done], classes)
    clf = _learner(task).fit(X, y, sample_weight=weights)
    return LinearHead.from_estimator(clf, scale, shift, log_prior)


def prior_adjustment(oof: np.ndarray, y: np.ndarray, folds, grouped: dict, log=print) -> np.ndarray | None:
    """Class-prior adjustment of a multi-class head, kept only if it raises the nested leave-events-out
    weighted F1 (each fold's power chosen on the other folds); `grouped` is updated with the figures."""
    classes = sorted(set(y))
    if len(classes) == 2:
        return None
    scale, _ = fit_calibration(oof, y, classes)
    power, pred = fit_prior_power(scores_to_proba(oof, len(classes), scale, 0.0), y, classes, folds)
    nested = _weighted_f1(y, pred)
    log(f"  prior adjustment: power {power}, nested leave-events-out {grouped['weighted_f1']} -> {nested}")
    if nested <= grouped["weighted_f1"] or power == 0:
        return None
    grouped.update(weighted_f1_before_prior=grouped["weighted_f1"], macro_f1_before_prior=grouped["macro_f1"],
                   weighted_f1=nested, macro_f1=_macro_f1(y, pred), prior_power=power)
    share = np.array([np.mean(y == c) for c in classes])
    return power * np.log(share)


def _featurize_events(events: list[ev.Event], keep: Callable[[ev.Row], bool],
                      with_event_columns: bool = False) -> tuple[sp.csr_matrix, list]:
    parts, rows = [], []
    for event in events:
        chosen = [r for r in event.rows if keep(r)]
        if chosen:
            texts = [r.text for r in chosen]
            X = featurize(texts, event.places)
            if with_event_columns:
                X = sp.hstack([X, event_columns(X, texts, event.places, event.terms)], format="csr")
            parts.append(X)
            rows.extend(chosen)
    return sp.vstack(parts).tocsr(), rows


def _grouped_folds(groups: np.ndarray, n_splits: int = 5) -> list[tuple[np.ndarray, np.ndarray]]:
    return list(GroupKFold(n_splits=n_splits).split(np.zeros(len(groups)), groups=groups))


def plain_baseline(texts: list[str], y: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]]) -> dict:
    """The plain baseline the shipped heads must beat on unseen events: TF-IDF (scikit-learn defaults, fitted on
    each training fold) + logistic regression (defaults) on the raw texts, scored on the same grouped folds."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    pred = np.empty(len(y), dtype=object)
    for train, test in folds:
        vectoriser = TfidfVectorizer()
        clf = LogisticRegression(max_iter=1000).fit(vectoriser.fit_transform([texts[i] for i in train]), y[train])
        pred[test] = clf.predict(vectoriser.transform([texts[i] for i in test]))
    done = np.array([p is not None for p in pred])
    return {"weighted_f1": _weighted_f1(y[done], pred[done].astype(str)),
            "macro_f1": _macro_f1(y[done], pred[done].astype(str)), "n": int(done.sum())}


def train_t26_task(task: str, events: list[ev.Event], attr: str, log=print, mapping=None,
                   baseline: bool = False) -> tuple[LinearHead, dict]:
    X, rows = _featurize_events(events, lambda r: getattr(r, attr) is not None)
    y = np.array([getattr(r, attr) for r in rows])
    if mapping:
        y = np.array([mapping(v) for v in y])
    groups = np.array([r.event for r in rows])
    t0 = time.perf_counter()
    folds = _grouped_folds(groups)
    oof, grouped = cross_validate(task, X, y, folds, log)
    log_prior = prior_adjustment(oof, y, folds, grouped, log)
    rand = random_split(task, X, y)
    head = final_head(task, X, y, oof, log_prior=log_prior)
    log(f"{task}: leave-events-out {grouped['weighted_f1']}, random split {rand['weighted_f1']} "
        f"({time.perf_counter() - t0:.0f} s)")
    report: dict = {"leave_events_out": grouped, "random_80_20": rand, "n": len(y), "events": len(set(groups)),
                    "classes": sorted(set(y))}
    if baseline:
        plain = plain_baseline([r.text for r in rows], y, folds)
        report["baseline_tfidf_lr_leave_events_out"] = plain
        log(f"{task}: plain TF-IDF + LR baseline, same folds: {plain['weighted_f1']}")
    return head, report


def train_topic(t6: list[ev.Event], t26: list[ev.Event], log=print) -> tuple[LinearHead, dict]:
    """On-topic vs off-topic from T6, plus T26 related (on) / not related (off) at TOPIC_T26_WEIGHT.

    T26's "not related" is keyword-matched chatter about the event, which T6 counts as on-topic (its
    on-topic is "talks about the event at all"), so T26 only lends vocabulary, at a tenth of the weight.
    """
    X6, rows6 = _featurize_events(t6, lambda r: r.topic is not None, with_event_columns=True)
    X26, rows26 = _featurize_events(t26, lambda r: r.informativeness is not None, with_event_columns=True)
    y6 = np.array([r.topic for r in rows6])
    y26 = np.array(["off_topic" if r.informativeness == "not_related" else "on_topic" for r in rows26])
    X = sp.vstack([X6, X26]).tocsr()
    y = np.concatenate([y6, y26])
    groups6 = np.array([r.event for r in rows6])
    folds = []
    for held in sorted(set(groups6)):
        test = np.flatnonzero(groups6 == held)
        twin = {r.event for r in rows26 if _same_incident(r.event, held)}
        train26 = np.array([len(rows6) + i for i, r in enumerate(rows26) if r.event not in twin], dtype=int)
        train = np.concatenate([np.flatnonzero(groups6 != held), train26])
        folds.append((train, test))
    weights = np.concatenate([np.ones(len(y6)), np.full(len(y26), TOPIC_T26_WEIGHT)])
    t0 = time.perf_counter()
    oof, grouped = cross_validate("topic", X, y, folds, log, weights)
    done = ~np.isnan(oof[:, 0])
    pred = np.array(_scores_to_labels(oof[done], sorted(set(y))))
    events6 = np.array([r.event for r in rows6])[done[: len(rows6)]]
    grouped["per_event"] = {e: _weighted_f1(y[done][events6 == e], pred[events6 == e]) for e in sorted(set(events6))}
    rand_idx = np.arange(len(y6))
    rand = random_split("topic", X[rand_idx], y6)
    head = final_head("topic", X, y, oof, weights)
    log(f"topic: leave-one-T6-event-out {grouped['weighted_f1']}, random split {rand['weighted_f1']} "
        f"({time.perf_counter() - t0:.0f} s)")
    return head, {"leave_events_out": grouped, "random_80_20_t6": rand, "n": len(y), "t6_events": len(t6)}


def _same_incident(t26_event: str, t6_event: str) -> bool:
    a = set(t26_event.lower().split("_")[1:])
    b = set(t6_event.lower().split("_")[1:])
    return bool(a & b - {"floods", "bombings", "explosion"})




def train_tone(path: Path, log=print) -> tuple[LinearHead, dict]:
    texts, labels = read_swedish_sentiment(path)
    X = featurize(texts)
    y = np.array(labels)
    folds = list(StratifiedKFold(5, shuffle=True, random_state=RANDOM_STATE).split(np.zeros(len(y)), y))
    oof, cv = cross_validate("tone_sv", X, y, folds, log)
    head = final_head("tone_sv", X, y, oof)
    log(f"tone_sv: 5-fold weighted F1 {cv['weighted_f1']}, macro F1 {cv['macro_f1']}")
    return head, {"cv_5fold": cv, "n": len(y), "classes": sorted(set(y))}


def train_all(out_dir: Path | None = None, shared: Path | None = None, log=print) -> dict:
    """Train every head, write the artefacts, return the scores (also written to training_scores.json)."""
    out_dir = Path(out_dir) if out_dir else ARTIFACTS
    shared = Path(shared) if shared else corpora.shared_data_dir()
    t26_dir, t6_dir = shared / "crisislex" / "CrisisLexT26", shared / "crisislex" / "CrisisLexT6"
    sentiment = shared / "swedish" / "sentiment-emoji" / "swe-sentiment-dataset.csv"
    for need in (t26_dir, t6_dir, sentiment):
        if not need.exists():
            raise UserError(f"training data missing: {need} (set MEDIEBILD_SHARED_DATA)")
    out_dir.mkdir(parents=True, exist_ok=True)
    t26, t6 = ev.read_t26(t26_dir), ev.read_t6(t6_dir)
    log(f"read {sum(len(e.rows) for e in t26)} T26 texts in {len(t26)} events, "
        f"{sum(len(e.rows) for e in t6)} T6 texts in {len(t6)} events (duplicates removed)")
    report: dict = {"trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "t26_events": [e.name for e in t26], "t6_events": [e.name for e in t6]}

    informativeness, report["informativeness"] = train_t26_task("informativeness", t26, "informativeness", log,
                                                                baseline=True)
    _, report["informativeness_2class"] = train_t26_task(
        "informativeness_2class", t26, "informativeness", log,
        mapping=lambda v: "informative" if v == "informative" else "not_informative")
    topic, report["topic"] = train_topic(t6, t26, log)
    meta = {"scores": {k: report[k] for k in ("informativeness", "topic")}}
    joblib.dump({"informativeness": informativeness, "topic": topic, "meta": meta},
                out_dir / "relevance.joblib", compress=("xz", 6))

    info_type, report["info_type"] = train_t26_task("info_type", t26, "info_type", log, baseline=True)
    source_type, report["source_type"] = train_t26_task("source_type", t26, "source_type", log)
    meta = {"scores": {k: report[k] for k in ("info_type", "source_type")}}
    joblib.dump({"info_type": info_type, "source_type": source_type, "meta": meta},
                out_dir / "categories.joblib", compress=("xz", 6))

    swedish, report["tone_sv"] = train_tone(sentiment, log)
    joblib.dump({"swedish": swedish, "meta": {"scores": report["tone_sv"]}}, out_dir / "tone.joblib",
                compress=("xz", 6))

    (out_dir / "training_scores.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


if __name__ == "__main__":
    train_all()
