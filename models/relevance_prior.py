"""What incident coverage looks like: a relevance prior learned across the project's own incident sets.

The relevance learner (models/adaptive.py) knows only *this* incident's words, learned from the profile's
confident items; on its own it ranks new incidents' items at AUC 0.64-0.86. What separates follow-up coverage
(a closed school, a queue at the pharmacy, help offered) from the same town's sports results, ads or an accident
abroad is partly the same from one incident to the next. This head learns that from the labelled development
incident sets: TF-IDF of the learner's tokens (lemmas plus cross-language concept tokens) and of character
3-5-grams of the text, class-balanced logistic regression, probability of "about the incident". The learner's
relevance and this prior are averaged (`WEIGHT`); an officer's judgement and a profile exclusion stay final.

How WEIGHT and C were chosen (leave one development set out; never on held-out sets or the demo) is in
models/artifacts/relevance.md. Training: models/train/relevance_prior.py (`mediebild train relevance-prior`).

Runtime module: scikit-learn and numpy over the core; never the store, never training data.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy.sparse as sp

ARTIFACT = Path(__file__).resolve().parent / "artifacts" / "relevance_prior.joblib"
WEIGHT = 0.5  # share of the prior (leave-one-set-out mean F1 at 0.4 / 0.5 / 0.6: 0.833 / 0.848 / 0.858; 0.5 raises all seven sets)
C = 1.0       # inverse regularisation (0.3 vs 1.0 measured: 1.0 better at every weight)


def token_text(tokens: Iterable[str]) -> str:
    """The word features' input: the learner's tokens of an item, in a stable order."""
    return " ".join(sorted(tokens))


class RelevancePrior:
    """Two TF-IDF vectorisers and a logistic regression over (tokens, text) pairs."""

    def __init__(self, words: Any, chars: Any, classifier: Any, meta: dict[str, Any] | None = None):
        self.words = words
        self.chars = chars
        self.classifier = classifier
        self.meta = meta or {}

    def features(self, tokens: Sequence[Iterable[str]], texts: Sequence[str]) -> sp.csr_matrix:
        return sp.hstack([self.words.transform([token_text(t) for t in tokens]),
                          self.chars.transform(list(texts))]).tocsr()

    def proba(self, tokens: Sequence[Iterable[str]], texts: Sequence[str]) -> np.ndarray:
        """P(about the incident) per item."""
        if not len(texts):
            return np.zeros(0)
        column = list(self.classifier.classes_).index(1)
        out: np.ndarray = self.classifier.predict_proba(self.features(tokens, texts))[:, column]
        return out


def combine(score: float, prior: float | None, weight: float = WEIGHT) -> float:
    """An item's relevance from the learner's score and the prior (the score alone without a prior)."""
    return score if prior is None else (1.0 - weight) * score + weight * prior


@functools.lru_cache(maxsize=2)
def load(path: Path | str | None = None) -> RelevancePrior | None:
    """The shipped prior, or None when no artefact exists (relevance is then the learner's alone)."""
    path = Path(path) if path else ARTIFACT
    if not path.exists():
        return None
    prior: RelevancePrior = joblib.load(path)["prior"]
    return prior
