"""Information type and source type: the CrisisLexT26 label sets, with Swedish and English display names.

Two linear heads on the shared features (`features.featurize`), trained on CrisisLexT26 by
`train_classifiers`. Labels are stable English keys; `LABELS_SV` / `LABELS_EN` are for people.
`categories.load().predict(texts, langs)` gives, per text, info_type and source_type with a probability per
label (info_type_probs, source_type_probs). The information type is blended with the head trained on the
project's own development incident sets (models/incident_types.py) when its artefact is shipped.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from mediebild.errors import ModelError
from mediebild.models import incident_types
from mediebild.models.gloss import glossed_texts
from mediebild.models.features import LinearHead, featurize, featurize_uncached, with_rows

_SHIPPED: Any = object()  # predict's default: the shipped incident-sets head, when its artefact exists
ARTIFACT = Path(__file__).resolve().parent / "artifacts" / "categories.joblib"

from mediebild.labels import INFO_TYPES, LABELS_EN, LABELS_SV, SOURCE_TYPES  # noqa: E402 (the one label table)


def label_name(key: str, lang: str = "sv") -> str:
    return (LABELS_EN if lang == "en" else LABELS_SV).get(key, key)


class CategoryModel:
    """The shipped information-type and source-type heads."""

    def __init__(self, info_type: LinearHead, source_type: LinearHead, meta: dict | None = None):
        self.info_type = info_type
        self.source_type = source_type
        self.meta = meta or {}

    def predict(self, texts: Sequence[str], langs: Sequence[str | None] | None = None,
                places: Sequence[str] = (), lemmas: Sequence[list[str] | None] | None = None,
                incident_head: Any = _SHIPPED) -> list[dict]:
        """Labels and probabilities per text; Swedish texts are read with their English gloss (models/gloss.py).

        The information type blends the CrisisLex head with the incident-sets head (models/incident_types.py;
        `incident_head=None` gives the CrisisLex head alone)."""
        texts = [t or "" for t in texts]
        if not texts:
            return []
        X = featurize(texts, places)  # usually the batch relevance has just featurised: cached
        if langs is not None and "sv" in langs:
            glossed = glossed_texts(texts, list(langs), lemmas)
            changed = [i for i, (a, b) in enumerate(zip(texts, glossed)) if a is not b]
            if changed:  # only the glossed rows are featurised again, and the cache is left to tone
                X = with_rows(X, changed, featurize_uncached([glossed[i] for i in changed], places))
        p_info = self.info_type.predict_proba(X)
        head = incident_types.load() if incident_head is _SHIPPED else incident_head
        if head is not None:
            p_info = incident_types.blend(head.predict_proba(texts, lemmas), self._in_info_types_order(p_info), langs)
            info_classes: list[str] = list(INFO_TYPES)
        else:
            info_classes = [str(c) for c in self.info_type.classes]
        p_src = self.source_type.predict_proba(X)
        out = []
        for i in range(len(texts)):
            info: dict[str, float] = {c: round(float(p), 4) for c, p in zip(info_classes, p_info[i])}
            src: dict[str, float] = {str(c): round(float(p), 4) for c, p in zip(self.source_type.classes, p_src[i])}
            best_info: str = max(info, key=info.__getitem__)
            best_src: str = max(src, key=src.__getitem__)
            out.append({
                "info_type": best_info,
                "info_type_probs": info,
                "source_type": best_src,
                "source_type_probs": src,
            })
        return out

    def _in_info_types_order(self, proba: np.ndarray) -> np.ndarray:
        columns = [str(c) for c in self.info_type.classes]
        return proba[:, [columns.index(c) for c in INFO_TYPES]]


@functools.lru_cache(maxsize=4)
def load(path: Path | str | None = None) -> CategoryModel:
    """The shipped model, loaded once per process."""
    path = Path(path) if path else ARTIFACT
    if not path.exists():
        raise ModelError(f"categories model missing at {path}: run `mediebild train classifiers`")
    bundle = joblib.load(path)
    return CategoryModel(bundle["info_type"], bundle["source_type"], bundle.get("meta"))
