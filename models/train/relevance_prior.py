"""Train the cross-incident relevance prior (models/relevance_prior.py) and score it honestly.

Training data: every *development* relevance set with its profile: the incident sets in
`models/eval_data/dev/*/` (items.csv + profile.toml), `heldout/ostermalm_gas` (a development set since it was
read, see heldout/README.md), `bryssel_sv` and `storm_sv`. Held-out sets are never read here.

`leave_one_out` replays each set hour by hour as the pipeline would (models.eval.adaptive), with the prior
trained on the other sets, and reports F1 and AUC of the learner alone and of the learner combined with the prior
(the figures in models/artifacts/relevance.md); `train` fits on all of them and writes `relevance_prior.joblib`.

Training module: imports the runtime models, models.eval and scikit-learn; nothing imports it at run time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from scipy.sparse import vstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from mediebild.errors import UserError
from mediebild.models import relevance_prior
from mediebild.models.adaptive import Doc, IncidentLearner, LearnerSettings
from mediebild.models.relevance_prior import RelevancePrior, token_text

EVAL_DATA = Path(__file__).resolve().parents[1] / "eval_data"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@dataclass
class RelevanceSet:
    name: str
    texts: list[str]
    labels: np.ndarray
    docs: list[Doc]
    asof: np.ndarray      # the learner's relevance of each item in the pass of its hour, without a prior
    threshold: float


def development_sets(root: Path = EVAL_DATA) -> list[tuple[str, Path, Path]]:
    """(name, items, profile) of every development relevance set."""
    found = [(d.name, d / "items.csv", d / "profile.toml") for d in sorted((root / "dev").iterdir())
             if (d / "items.csv").exists() and (d / "profile.toml").exists()]
    for name, items, profile in (("ostermalm_gas", "heldout/ostermalm_gas.csv", "heldout/ostermalm_gas.toml"),
                                 ("bryssel_sv", "bryssel_sv.csv", "bryssel.toml"),
                                 ("storm_sv", "storm_sv.csv", "storm.toml")):
        if (root / items).exists():
            found.append((name, root / items, root / profile))
    if not found:
        raise UserError(f"no development relevance sets under {root}")
    return found


def read_set(name: str, items: Path, profile_path: Path) -> RelevanceSet:
    from mediebild.models.eval.adaptive import passes, prepare, read_rows
    from mediebild.profile import Profile

    profile = Profile.from_toml(profile_path)
    rows = read_rows(items)
    docs = prepare(rows, profile, prior=False)
    learner = IncidentLearner(profile.start, LearnerSettings(threshold=profile.threshold))
    asof = np.zeros(len(rows))
    for group in passes(rows):
        learner.observe(docs[i] for i in group)
        for i in group:
            asof[i] = learner.score(docs[i])
    return RelevanceSet(name, [r.text for r in rows], np.array([r.label for r in rows]), docs, asof,
                        profile.threshold)


def fit_prior(sets: Sequence[RelevanceSet], c: float = relevance_prior.C, meta: dict[str, Any] | None = None
              ) -> RelevancePrior:
    tokens = [token_text(d.tokens) for s in sets for d in s.docs]
    texts = [t for s in sets for t in s.texts]
    words = TfidfVectorizer(sublinear_tf=True, min_df=2, token_pattern=r"\S+").fit(tokens)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=3).fit(texts)
    prior = RelevancePrior(words, chars, None, meta)
    X = vstack([prior.features([d.tokens for d in s.docs], s.texts) for s in sets]).tocsr()
    prior.classifier = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(
        X, np.concatenate([s.labels for s in sets]))
    return prior


def combined(s: RelevanceSet, prior: np.ndarray, weight: float) -> np.ndarray:
    """The pipeline's relevance with the prior: a profile exclusion keeps the learner's (= base) score."""
    return np.array([a if d.excluded else relevance_prior.combine(float(a), float(p), weight)
                     for a, p, d in zip(s.asof, prior, s.docs)])


def _f1(labels: np.ndarray, relevant: np.ndarray) -> float:
    tp = int((relevant & (labels == 1)).sum())
    fp = int((relevant & (labels == 0)).sum())
    fn = int((~relevant & (labels == 1)).sum())
    return round(2 * tp / (2 * tp + fp + fn), 4) if tp else 0.0


def leave_one_out(sets: Sequence[RelevanceSet], weights: Sequence[float] = (0.4, relevance_prior.WEIGHT, 0.6),
                  log: Callable[[str], None] = print) -> dict[str, Any]:
    """F1 and AUC per development set: the learner alone, and combined with a prior trained on the other sets."""
    priors = {}
    for held in sets:
        model = fit_prior([s for s in sets if s is not held])
        priors[held.name] = model.proba([d.tokens for d in held.docs], held.texts)
    report: dict[str, Any] = {"learner": {}, "runs": []}
    for s in sets:
        report["learner"][s.name] = {"f1": _f1(s.labels, s.asof >= s.threshold),
                                     "auc": round(float(roc_auc_score(s.labels, s.asof)), 4)}
    log("learner alone: " + ", ".join(f"{k} {v['f1']:.3f}" for k, v in report["learner"].items())
        + f"; mean {np.mean([v['f1'] for v in report['learner'].values()]):.3f}")
    for weight in weights:
        per_set = {}
        for s in sets:
            score = combined(s, priors[s.name], weight)
            per_set[s.name] = {"f1": _f1(s.labels, score >= s.threshold),
                               "auc": round(float(roc_auc_score(s.labels, score)), 4)}
        mean = round(float(np.mean([v["f1"] for v in per_set.values()])), 4)
        report["runs"].append({"weight": weight, "sets": per_set, "mean_f1": mean})
        log(f"with the prior at {weight:g}: " + ", ".join(f"{k} {v['f1']:.3f}" for k, v in per_set.items())
            + f"; mean {mean:.3f}")
    report["mean_f1_learner"] = round(float(np.mean([v["f1"] for v in report["learner"].values()])), 4)
    return report


def train(out_dir: Path | None = None, root: Path = EVAL_DATA, log: Callable[[str], None] = print,
          score: bool = True) -> dict[str, Any]:
    """Score leave-one-set-out (unless `score` is False), fit on every development set, write the artefact."""
    out_dir = Path(out_dir) if out_dir else ARTIFACTS
    sets = [read_set(*spec) for spec in development_sets(root)]
    log(f"read {sum(len(s.texts) for s in sets)} labelled items in {len(sets)} development sets")
    report: dict[str, Any] = {"trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                              "C": relevance_prior.C, "weight": relevance_prior.WEIGHT,
                              "sets": [s.name for s in sets]}
    if score:
        report["leave_one_set_out"] = leave_one_out(sets, log=log)
    prior = fit_prior(sets, meta={"sets": [s.name for s in sets], "C": relevance_prior.C})
    out_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump({"prior": prior, "meta": report}, out_dir / "relevance_prior.joblib", compress=("xz", 6))
    relevance_prior.load.cache_clear()
    log(f"wrote {out_dir / 'relevance_prior.joblib'}")
    return report
