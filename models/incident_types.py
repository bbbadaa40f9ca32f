"""Information type as incidents are written up: a head trained on the project's own incident sets.

The shipped information-type head (models/categories.py) learned CrisisLexT26: English tweets about natural
disasters, read for Swedish through a word gloss. Swedish coverage of a water failure, a bridge collapse or a
forest fire files its items differently (much infrastructure and advice, few casualties), and that head scored
0.41-0.58 weighted F1 on the development incident sets. This head is trained on the development incident sets'
relevant items (Swedish and English as written, no gloss): word uni- and bigrams of the lemmas and character
3-5-grams of the text, class-balanced logistic regression. `categories` blends its probabilities with the
CrisisLex head's: `p = w * p_incident + (1 - w) * p_crisislex`, with w = BLEND_SWEDISH for Swedish items and
BLEND_OTHER for the rest (English tweets are what CrisisLex knows best: a higher weight there costs unseen
CrisisLex events more than it gives the incident sets' English items).

How the blend weights and C were chosen (leave one development incident out; never on held-out sets or the demo) is in
models/artifacts/categories.md. Training: models/train/incident_types.py (`mediebild train incident-types`).

Runtime module: scikit-learn and numpy over the core; never the store, never training data.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy.sparse as sp

from mediebild.labels import INFO_TYPES

ARTIFACT = Path(__file__).resolve().parent / "artifacts" / "incident_types.joblib"
BLEND_SWEDISH = 0.85  # weight of this head for Swedish items (leave-one-incident-out: 0.7-0.85 flat, 0.85 best)
BLEND_OTHER = 0.5     # ... for other languages: CrisisLexT26 leave-events-out stays 0.679 at 0.5, falls to 0.656 at 0.7
C = 3.0               # inverse regularisation of the logistic regression (3 vs 10 measured; 3 best)


def lemma_text(lemmas: Sequence[str] | None, text: str) -> str:
    """The word features' input: the lemmas, or the lower-cased text when there are none."""
    return " ".join(lemmas) if lemmas else text.lower()


class IncidentTypeHead:
    """Two TF-IDF vectorisers and a logistic regression; probabilities in `labels.INFO_TYPES` order."""

    def __init__(self, words: Any, chars: Any, classifier: Any, meta: dict[str, Any] | None = None):
        self.words = words
        self.chars = chars
        self.classifier = classifier
        self.meta = meta or {}

    def features(self, texts: Sequence[str], lemmas: Sequence[Sequence[str] | None] | None) -> sp.csr_matrix:
        lemma_texts = [lemma_text(lemmas[i] if lemmas is not None else None, t) for i, t in enumerate(texts)]
        return sp.hstack([self.words.transform(lemma_texts), self.chars.transform(texts)]).tocsr()

    def predict_proba(self, texts: Sequence[str], lemmas: Sequence[Sequence[str] | None] | None = None) -> np.ndarray:
        """(n, len(INFO_TYPES)) probabilities; a class the training data lacked gets 0."""
        proba = self.classifier.predict_proba(self.features(texts, lemmas))
        out = np.zeros((len(texts), len(INFO_TYPES)))
        for j, label in enumerate(self.classifier.classes_):
            out[:, INFO_TYPES.index(str(label))] = proba[:, j]
        return out


def blend(p_incident: np.ndarray, p_crisislex: np.ndarray, langs: Sequence[str | None] | None,
          swedish: float = BLEND_SWEDISH, other: float = BLEND_OTHER) -> np.ndarray:
    """The two heads' probabilities mixed per item by its language (unknown languages count as other)."""
    langs = langs if langs is not None else [None] * len(p_incident)
    weight = np.array([swedish if lang == "sv" else other for lang in langs])[:, None]
    mixed: np.ndarray = weight * p_incident + (1.0 - weight) * p_crisislex
    return mixed


@functools.lru_cache(maxsize=2)
def load(path: Path | str | None = None) -> IncidentTypeHead | None:
    """The shipped head, or None when no artefact exists (the CrisisLex head is then used alone)."""
    path = Path(path) if path else ARTIFACT
    if not path.exists():
        return None
    bundle = joblib.load(path)
    head: IncidentTypeHead = bundle["head"]
    return head
