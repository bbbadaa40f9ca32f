"""Train the incident-sets information-type head (models/incident_types.py) and score it honestly.

Training data: the relevant items of every *development* incident set (`models/eval_data/dev/*/items.csv`) and
the Swedish development texts (`dev/sv_info_type_dev.csv`), read as the pipeline reads them (language
detected, spaCy lemmas). Held-out sets are never read here.

`leave_one_out` scores the blend for each development set with the head trained on the others (the figures
in models/artifacts/categories.md and the choice of the blend weights and C); `train` fits on all of them and writes
`incident_types.joblib`.

Training module: imports the runtime models, models.corpora and scikit-learn; nothing imports it at run time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from mediebild.errors import UserError
from mediebild.labels import INFO_TYPES
from mediebild.models import incident_types
from mediebild.models.corpora.crisislex import INFO_TYPES as CRISISLEX_NAMES
from mediebild.models.corpora.labelled import read_info_type_rows
from mediebild.models.incident_types import IncidentTypeHead, lemma_text

DEV_DIR = Path(__file__).resolve().parents[1] / "eval_data" / "dev"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@dataclass
class LabelledSet:
    name: str
    texts: list[str]
    lemmas: list[list[str]]
    langs: list[str | None]
    labels: list[str]


def development_sets(dev_dir: Path = DEV_DIR) -> list[Path]:
    """Every development incident set, plus the Swedish development texts."""
    paths = sorted(dev_dir.glob("*/items.csv"))
    extra = dev_dir / "sv_info_type_dev.csv"
    if extra.exists():
        paths.append(extra)
    if not paths:
        raise UserError(f"no development incident sets under {dev_dir}")
    return paths


def read_set(path: Path) -> LabelledSet:
    from mediebild.models.language import detect_languages
    from mediebild.models.nlp import lemmatise

    known = set(INFO_TYPES)
    rows = [(text, CRISISLEX_NAMES.get(label, label)) for text, label in read_info_type_rows(path)]
    bad = sorted({label for _, label in rows if label not in known})
    if bad:
        raise UserError(f"{path}: unknown information types {bad}")
    texts = [t for t, _ in rows]
    langs = [lang for lang, _ in detect_languages(texts)]
    lemmas = [list(x or []) for x in lemmatise(texts, langs)]
    name = path.parent.name if path.name == "items.csv" else path.stem
    return LabelledSet(name, texts, lemmas, langs, [label for _, label in rows])


def fit_head(sets: Sequence[LabelledSet], c: float = incident_types.C, meta: dict[str, Any] | None = None
             ) -> IncidentTypeHead:
    texts = [t for s in sets for t in s.texts]
    lemma_texts = [lemma_text(lem, t) for s in sets for t, lem in zip(s.texts, s.lemmas)]
    labels = [label for s in sets for label in s.labels]
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True).fit(lemma_texts)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True).fit(texts)
    head = IncidentTypeHead(words, chars, None, meta)
    head.classifier = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(
        head.features(texts, [s_lem for s in sets for s_lem in s.lemmas]), labels)
    return head


def crisislex_proba(s: LabelledSet) -> np.ndarray:
    """The CrisisLex head's probabilities alone (no blend), in INFO_TYPES order."""
    from mediebild.models import categories

    model = categories.load()
    out = model.predict(s.texts, s.langs, lemmas=s.lemmas, incident_head=None)
    return np.array([[p["info_type_probs"].get(c, 0.0) for c in INFO_TYPES] for p in out])


def _wf1(truth: Sequence[str], proba: np.ndarray) -> float:
    return round(float(f1_score(truth, [INFO_TYPES[i] for i in proba.argmax(1)], average="weighted")), 4)


BLENDS = ((0.0, 0.0), (0.7, 0.7), (incident_types.BLEND_SWEDISH, incident_types.BLEND_OTHER),
          (incident_types.BLEND_SWEDISH, incident_types.BLEND_SWEDISH), (1.0, 1.0))


def leave_one_out(sets: Sequence[LabelledSet], weights: Sequence[tuple[float, float]] = BLENDS,
                  cs: Sequence[float] = (incident_types.C,), log: Callable[[str], None] = print) -> dict[str, Any]:
    """Weighted F1 per development set with the head trained on the other sets, for each C and blend weights
    (Swedish, other languages)."""
    base = {s.name: crisislex_proba(s) for s in sets}
    report: dict[str, Any] = {"sets": {s.name: len(s.texts) for s in sets}, "runs": []}
    for c in cs:
        own = {}
        for held in sets:
            head = fit_head([s for s in sets if s is not held], c)
            own[held.name] = head.predict_proba(held.texts, held.lemmas)
        for w_sv, w_other in weights:
            per_set = {s.name: _wf1(s.labels, incident_types.blend(own[s.name], base[s.name], s.langs, w_sv, w_other))
                       for s in sets}
            mean = round(float(np.mean(list(per_set.values()))), 4)
            report["runs"].append({"C": c, "blend_swedish": w_sv, "blend_other": w_other, "weighted_f1": per_set,
                                   "mean": mean})
            log(f"C {c:g} blend {w_sv:g}/{w_other:g}: " + ", ".join(f"{k} {v:.3f}" for k, v in per_set.items()) + f"; mean {mean:.3f}")
    return report


def train(out_dir: Path | None = None, dev_dir: Path = DEV_DIR, log: Callable[[str], None] = print,
          score: bool = True) -> dict[str, Any]:
    """Score leave-one-incident-out (unless `score` is False), fit on every development set, write the artefact."""
    out_dir = Path(out_dir) if out_dir else ARTIFACTS
    sets = [read_set(p) for p in development_sets(dev_dir)]
    log(f"read {sum(len(s.texts) for s in sets)} labelled items in {len(sets)} development sets")
    report: dict[str, Any] = {"trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                              "C": incident_types.C, "blend_swedish": incident_types.BLEND_SWEDISH,
                              "blend_other": incident_types.BLEND_OTHER}
    if score:
        report["leave_one_incident_out"] = leave_one_out(sets, log=log)
    head = fit_head(sets, meta={"sets": [s.name for s in sets], "C": incident_types.C})
    out_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump({"head": head, "meta": report}, out_dir / "incident_types.joblib", compress=("xz", 6))
    incident_types.load.cache_clear()
    log(f"wrote {out_dir / 'incident_types.joblib'}")
    return report
