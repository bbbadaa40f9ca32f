"""Train (reproduce) the shipped relevance, categories and tone artefacts, with the scores their cards quote.

`train_all(out_dir)` reads CrisisLexT26/T6 and the Swedish sentiment set from `../shared/data`, and for each
head (informativeness, topic, info_type, source_type, Swedish tone):

1. scores it leave-events-out (5 folds grouped by event; T6 topic: leave one T6 event out, its T26 twin
   dropped from training too) and on an in-domain random 80/20 split, with duplicates removed beforehand;
2. fits the probability calibration on the out-of-fold decision scores;
3. fits the final head on all the data and writes `relevance.joblib`, `categories.joblib`, `tone.joblib`
   and `training_scores.json` (the figures in the model cards).

The learner is a class-balanced linear SVM (LinearSVC) on the hashed features of `features.py`; one core.
"""

from __future__ import annotations

import csv
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
from mediebild.models import evaluate as ev
from mediebild.models.features import LinearHead, featurize, fit_calibration

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
C_BY_TASK = {"informativeness": 0.1, "informativeness_2class": 0.1, "info_type": 0.1, "source_type": 0.1,
             "topic": 0.1, "tone_sv": 0.3}
RANDOM_STATE = 0


def _learner(task: str) -> LinearSVC:
    return LinearSVC(C=C_BY_TASK.get(task, 0.1), class_weight="balanced", random_state=RANDOM_STATE)


def _weighted_f1(y_true, y_pred) -> float:
    return round(float(f1_score(y_true, y_pred, average="weighted", zero_division=0)), 4)


def _macro_f1(y_true, y_pred) -> float:
    return round(float(f1_score(y_true, y_pred, average="macro", zero_division=0)), 4)


def cross_validate(task: str, X: sp.csr_matrix, y: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]],
                   log: Callable[[str], None] = print) -> tuple[np.ndarray, dict]:
    """Out-of-fold decision scores (rows not in any test fold stay NaN) and the pooled scores."""
    classes = sorted(set(y))
    width = 1 if len(classes) == 2 else len(classes)
    oof = np.full((len(y), width), np.nan)
    for k, (train, test) in enumerate(folds):
        clf = _learner(task).fit(X[train], y[train])
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


def final_head(task: str, X: sp.csr_matrix, y: np.ndarray, oof: np.ndarray) -> LinearHead:
    classes = sorted(set(y))
    done = ~np.isnan(oof[:, 0])
    scale, shift = fit_calibration(oof[done], y[done], classes)
    clf = _learner(task).fit(X, y)
    return LinearHead.from_estimator(clf, scale, shift)


def _featurize_events(events: list[ev.Event], keep: Callable[[ev.Row], bool]) -> tuple[sp.csr_matrix, list]:
    parts, rows = [], []
    for event in events:
        chosen = [r for r in event.rows if keep(r)]
        if chosen:
            parts.append(featurize([r.text for r in chosen], event.places))
            rows.extend(chosen)
    return sp.vstack(parts).tocsr(), rows


def _grouped_folds(groups: np.ndarray, n_splits: int = 5) -> list[tuple[np.ndarray, np.ndarray]]:
    return list(GroupKFold(n_splits=n_splits).split(np.zeros(len(groups)), groups=groups))


def train_t26_task(task: str, events: list[ev.Event], attr: str, log=print, mapping=None) -> tuple[LinearHead, dict]:
    X, rows = _featurize_events(events, lambda r: getattr(r, attr) is not None)
    y = np.array([getattr(r, attr) for r in rows])
    if mapping:
        y = np.array([mapping(v) for v in y])
    groups = np.array([r.event for r in rows])
    t0 = time.perf_counter()
    oof, grouped = cross_validate(task, X, y, _grouped_folds(groups), log)
    rand = random_split(task, X, y)
    head = final_head(task, X, y, oof)
    log(f"{task}: leave-events-out {grouped['weighted_f1']}, random split {rand['weighted_f1']} "
        f"({time.perf_counter() - t0:.0f} s)")
    return head, {"leave_events_out": grouped, "random_80_20": rand, "n": len(y), "events": len(set(groups)),
                  "classes": sorted(set(y))}


def train_topic(t6: list[ev.Event], t26: list[ev.Event], log=print) -> tuple[LinearHead, dict]:
    """On-topic vs off-topic from T6, plus T26 related (on) / not related (off)."""
    X6, rows6 = _featurize_events(t6, lambda r: r.topic is not None)
    X26, rows26 = _featurize_events(t26, lambda r: r.informativeness is not None)
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
    t0 = time.perf_counter()
    oof, grouped = cross_validate("topic", X, y, folds, log)
    rand_idx = np.arange(len(y6))
    rand = random_split("topic", X[rand_idx], y6)
    head = final_head("topic", X, y, oof)
    log(f"topic: leave-one-T6-event-out {grouped['weighted_f1']}, random split {rand['weighted_f1']} "
        f"({time.perf_counter() - t0:.0f} s)")
    return head, {"leave_events_out": grouped, "random_80_20_t6": rand, "n": len(y), "t6_events": len(t6)}


def _same_incident(t26_event: str, t6_event: str) -> bool:
    a = set(t26_event.lower().split("_")[1:])
    b = set(t6_event.lower().split("_")[1:])
    return bool(a & b - {"floods", "bombings", "explosion"})


def read_swedish_sentiment(path: Path) -> tuple[list[str], list[str]]:
    mapping = {"neg": "negative", "neu": "neutral", "pos": "positive"}
    texts, labels, seen = [], [], set()
    with path.open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            key = ev.dedup_key(rec.get("text", ""))
            label = mapping.get((rec.get("label") or "").strip())
            if not key or label is None or key in seen:
                continue
            seen.add(key)
            texts.append(rec["text"])
            labels.append(label)
    return texts, labels


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
    shared = Path(shared) if shared else ev.shared_data_dir()
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

    informativeness, report["informativeness"] = train_t26_task("informativeness", t26, "informativeness", log)
    _, report["informativeness_2class"] = train_t26_task(
        "informativeness_2class", t26, "informativeness", log,
        mapping=lambda v: "informative" if v == "informative" else "not_informative")
    topic, report["topic"] = train_topic(t6, t26, log)
    meta = {"scores": {k: report[k] for k in ("informativeness", "topic")}}
    joblib.dump({"informativeness": informativeness, "topic": topic, "meta": meta},
                out_dir / "relevance.joblib", compress=("xz", 6))

    info_type, report["info_type"] = train_t26_task("info_type", t26, "info_type", log)
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
