"""CrisisLex readers, metrics and the evaluation functions behind `mediebild eval ...`.

Readers return plain rows (event, text, labels) with exact duplicates removed after normalisation (retweets
inflate scores, CrisisBench). The eval functions score the *shipped* models on a folder of events or a CSV and
return one dict: task, n, weighted_f1, macro_f1, per_class (precision, recall, f1, support) and more.
The event's own description (its keywords and location, like an incident profile) is given to the model, never
its labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sklearn.metrics import f1_score, precision_recall_fscore_support

from mediebild.errors import UserError
from mediebild.models.corpora.crisislex import (
    INFO_TYPES,
    INFORMATIVENESS,
    TOPIC,
    read_t6,
    read_t26,
)
from mediebild.models.corpora.labelled import read_info_type_rows, read_relevance_csv


def scores(task: str, y_true: Sequence[str | None], y_pred: Sequence[str | None], labels: list[str] | None = None) -> dict:
    """The eval contract: task, n, weighted_f1, macro_f1, accuracy, per_class."""
    labels = labels or sorted({str(y) for y in (*y_true, *y_pred) if y is not None})
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    present = [lab for lab in labels if lab in set(y_true)]
    return {
        "task": task,
        "n": len(y_true),
        "weighted_f1": round(float(f1_score(y_true, y_pred, labels=present, average="weighted", zero_division=0)), 4),
        "macro_f1": round(float(f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0)), 4),
        "accuracy": round(sum(a == b for a, b in zip(y_true, y_pred)) / max(1, len(y_true)), 4),
        "per_class": {
            lab: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4),
                  "f1": round(float(f[i]), 4), "support": int(s[i])}
            for i, lab in enumerate(labels)
        },
    }


# -- the eval functions (shipped models) -------------------------------------------------------------


def eval_informativeness(events_dir: Path | str, model=None) -> dict:
    """3-class informativeness on CrisisLexT26-format folders, each event's own names masked as places."""
    from mediebild.models import relevance

    model = model or relevance.load()
    y_true, y_pred = [], []
    for event in read_t26(events_dir):
        rows = [r for r in event.rows if r.informativeness]
        if not rows:
            continue
        proba = model.informativeness_proba([r.text for r in rows], event.places)
        y_pred += [model.informativeness.classes[i] for i in proba.argmax(axis=1)]
        y_true += [r.informativeness for r in rows]
    return _with_events(scores("informativeness", y_true, y_pred, list(INFORMATIVENESS.values())), events_dir)


def eval_info_type(events_dir: Path | str, model=None) -> dict:
    """Information type on CrisisLexT26-format folders ("Not labeled"/"Not applicable" dropped)."""
    from mediebild.models import categories

    model = model or categories.load()
    y_true, y_pred = [], []
    for event in read_t26(events_dir):
        rows = [r for r in event.rows if r.info_type]
        if not rows:
            continue
        y_pred += [p["info_type"] for p in model.predict([r.text for r in rows], None, places=event.places)]
        y_true += [r.info_type for r in rows]
    return _with_events(scores("info_type", y_true, y_pred, list(INFO_TYPES.values())), events_dir)


def eval_info_type_csv(items_csv: Path | str, model=None, crisislex_only: bool = False) -> dict:
    """Information type on a CSV with columns text,label (label: a key such as caution_and_advice, or its
    CrisisLexT26 name), or on an incident set's relevant rows; the texts are read as the pipeline reads them
    (language detected, Swedish glossed). `crisislex_only` leaves out the incident-sets head, which was trained
    on the development sets (on those, only its leave-one-incident-out figures mean anything)."""
    from mediebild.models import categories
    from mediebild.models.language import detect_languages
    from mediebild.models.nlp import lemmatise

    path = Path(items_csv)
    if not path.is_file():
        raise UserError(f"no CSV file at {path}")
    known = set(INFO_TYPES.values())
    texts, y_true = [], []
    for n, (text, label) in enumerate(read_info_type_rows(path), start=2):
        label = INFO_TYPES.get(label, label)
        if label not in known:
            raise UserError(f"{path}:{n}: unknown information type {label!r}; use one of {', '.join(sorted(known))}")
        texts.append(text)
        y_true.append(label)
    if not texts:
        raise UserError(f"{path}: no rows")
    langs = [lang for lang, _ in detect_languages(texts)]
    model = model or categories.load()
    options = {"incident_head": None} if crisislex_only else {}
    y_pred = [p["info_type"] for p in model.predict(texts, langs, lemmas=lemmatise(texts, langs), **options)]
    result = scores("info_type", y_true, y_pred, list(INFO_TYPES.values()))
    result["items"] = str(path)
    return result


def eval_topic(events_dir: Path | str, model=None) -> dict:
    """On-topic vs off-topic on CrisisLexT6-format folders (the topic head, threshold 0.5), each event's
    places and terms given as a profile would give them."""
    from mediebild.models import relevance

    model = model or relevance.load()
    y_true, y_pred = [], []
    for event in read_t6(events_dir):
        if not event.rows:
            continue
        p = model.topic_proba([r.text for r in event.rows], event.places, event.terms)
        y_pred += ["on_topic" if v >= 0.5 else "off_topic" for v in p]
        y_true += [r.topic for r in event.rows]
    return _with_events(scores("topic", y_true, y_pred, list(TOPIC.values())), events_dir)




def eval_relevance(items_csv: Path | str, profile_path: Path | str, model=None, lemmatize=None) -> dict:
    """Profile + shipped classifiers on a labelled CSV: P/R/F1 of the relevant class and weighted F1.

    `lemmatize(texts, langs) -> list[list[str]]` may supply lemmas (the enrichment's spaCy pipeline);
    without it the profile matches surface words and their inflection-stripped forms.
    """
    from mediebild.models import relevance
    from mediebild.profile import Profile

    profile = Profile.from_toml(profile_path)
    texts, labels, langs = read_relevance_csv(items_csv)
    model = model or relevance.load()
    lemmas = lemmatize(texts, langs) if lemmatize else None
    preds = model.predict(texts, langs, lemmas=lemmas, profile=profile)
    y_true = ["relevant" if v else "not_relevant" for v in labels]
    y_pred = ["relevant" if p["relevant"] else "not_relevant" for p in preds]
    result = scores("relevance", y_true, y_pred, ["relevant", "not_relevant"])
    rel = result["per_class"]["relevant"]
    result.update(precision=rel["precision"], recall=rel["recall"], f1=rel["f1"], profile=profile.name)
    result["errors"] = [
        {"text": t, "label": lab, "relevance": p["relevance"], "profile_terms": p["profile_terms"]}
        for t, lab, p in zip(texts, labels, preds) if bool(lab) != p["relevant"]
    ][:50]
    return result


def _with_events(result: dict, events_dir: Path | str) -> dict:
    result["events_dir"] = str(events_dir)
    return result
