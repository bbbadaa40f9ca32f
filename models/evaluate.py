"""CrisisLex readers, metrics and the evaluation functions behind `mediebild eval ...`.

Readers return plain rows (event, text, labels) with exact duplicates removed after normalisation (retweets
inflate scores, CrisisBench). The eval functions score the *shipped* models on a folder of events or a CSV and
return one dict: task, n, weighted_f1, macro_f1, per_class (precision, recall, f1, support) and more.
The event's own description (its keywords and location, like an incident profile) is given to the model, never
its labels.
"""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from sklearn.metrics import f1_score, precision_recall_fscore_support

from mediebild.errors import UserError

INFORMATIVENESS = {
    "Related and informative": "informative",
    "Related - but not informative": "not_informative",
    "Not related": "not_related",
}
INFO_TYPES = {
    "Affected individuals": "affected_individuals",
    "Caution and advice": "caution_and_advice",
    "Infrastructure and utilities": "infrastructure_and_utilities",
    "Donations and volunteering": "donations_and_volunteering",
    "Sympathy and support": "sympathy_and_support",
    "Other Useful Information": "other_useful_information",
}
SOURCE_TYPES = {
    "Media": "media",
    "Government": "government",
    "Eyewitness": "eyewitness",
    "NGOs": "ngo",
    "Business": "business",
    "Outsiders": "outsiders",
}
TOPIC = {"on-topic": "on_topic", "off-topic": "off_topic"}

_DEDUP_URL = re.compile(r"https?://\S+")
_DEDUP_RT = re.compile(r"^rt @\w+:?\s*")
_DEDUP_SPACE = re.compile(r"\s+")


def shared_data_dir() -> Path:
    """`../shared/data` relative to the repo root, or env MEDIEBILD_SHARED_DATA."""
    env = os.environ.get("MEDIEBILD_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


def dedup_key(text: str) -> str:
    t = _DEDUP_URL.sub("URL", text.lower()).strip()
    t = _DEDUP_RT.sub("", t)
    return _DEDUP_SPACE.sub(" ", t)


@dataclass
class Row:
    event: str
    text: str
    informativeness: str | None = None
    info_type: str | None = None
    source_type: str | None = None
    topic: str | None = None


@dataclass
class Event:
    name: str
    rows: list[Row] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)


_STOP = {"the", "of", "in", "and", "a", "to", "for", "de", "la", "el", "en", "del", "di", "da", "do", "at"}


def event_places(folder: Path) -> list[str]:
    """The event's own names from its description: location and the non-generic words of its keywords.

    This is what an incident profile would hold for it (places and event names), not a label.
    """
    from mediebild.models.features import concepts_of

    files = sorted(folder.glob("*event_description.json"))
    names: set[str] = set()
    if files:
        try:
            desc = json.loads(files[0].read_text(encoding="utf-8"))
        except (OSError, ValueError):
            desc = {}
        loc = (desc.get("location") or {}).get("location_description") or ""
        names.update(w for w in re.split(r"[,/;]\s*", loc) if w)
        for kw in desc.get("keywords") or []:
            for word in re.split(r"[\s#]+", kw.lower()):
                if len(word) >= 4 and word not in _STOP and not concepts_of(word):
                    names.add(word)
    else:
        # No description (CrisisLexT6): the folder name holds the place, e.g. 2013_Boston_Bombings.
        for word in folder.name.split("_")[1:]:
            if len(word) >= 4 and not concepts_of(word):
                names.add(word.lower())
    return sorted(names)


def event_terms(folder: Path) -> list[str]:
    """The event's own hazard words and hashtags: what an incident profile's `terms` would hold for it.

    From the description: its type (`Floods`) and the keywords that are crisis words (`#qldflood`,
    `earthquake`); without one (CrisisLexT6), the words of the folder name (`Sandy`, `Hurricane`).
    """
    from mediebild.models.features import concepts_of

    files = sorted(folder.glob("*event_description.json"))
    words: set[str] = set()
    if files:
        try:
            desc = json.loads(files[0].read_text(encoding="utf-8"))
        except (OSError, ValueError):
            desc = {}
        words.update(re.split(r"\W+", ((desc.get("categorization") or {}).get("type") or "").lower()))
        for kw in desc.get("keywords") or []:
            words.update(w for w in re.split(r"[\s#]+", kw.lower()) if len(w) >= 4 and concepts_of(w))
    else:
        words.update(w.lower() for w in folder.name.split("_")[1:])
    return sorted(w for w in words if len(w) >= 4)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        header = [h.strip().lower() for h in next(reader, [])]
        return [dict(zip(header, (c.strip() for c in r))) for r in reader if r]


def _event_dirs(events_dir: Path, pattern: str) -> list[Path]:
    if not events_dir.is_dir():
        raise UserError(f"not a folder: {events_dir}")
    if list(events_dir.glob(pattern)):
        return [events_dir]  # one event folder given directly
    dirs = sorted(d for d in events_dir.iterdir() if d.is_dir() and list(d.glob(pattern)))
    if not dirs:
        raise UserError(f"no event folders with {pattern} under {events_dir}")
    return dirs


def read_t26(events_dir: Path | str, *, dedup: bool = True) -> list[Event]:
    """CrisisLexT26-format event folders (`*-tweets_labeled.csv`), duplicates within the set removed."""
    seen: set[str] = set()
    events = []
    for folder in _event_dirs(Path(events_dir), "*tweets_labeled.csv"):
        event = Event(folder.name, places=event_places(folder), terms=event_terms(folder))
        for path in sorted(folder.glob("*tweets_labeled.csv")):
            for rec in _read_csv(path):
                text = rec.get("tweet text", "")
                key = dedup_key(text)
                if not text or (dedup and key in seen):
                    continue
                seen.add(key)
                event.rows.append(Row(
                    folder.name, text,
                    informativeness=INFORMATIVENESS.get(rec.get("informativeness", "")),
                    info_type=INFO_TYPES.get(rec.get("information type", "")),
                    source_type=SOURCE_TYPES.get(rec.get("information source", "")),
                ))
        events.append(event)
    return events


def read_t6(events_dir: Path | str, *, dedup: bool = True) -> list[Event]:
    """CrisisLexT6-format event folders (`*-ontopic_offtopic.csv`), duplicates removed."""
    seen: set[str] = set()
    events = []
    for folder in _event_dirs(Path(events_dir), "*ontopic_offtopic.csv"):
        event = Event(folder.name, places=event_places(folder), terms=event_terms(folder))
        for path in sorted(folder.glob("*ontopic_offtopic.csv")):
            for rec in _read_csv(path):
                text = rec.get("tweet", "")
                key = dedup_key(text)
                label = TOPIC.get(rec.get("label", ""))
                if not text or label is None or (dedup and key in seen):
                    continue
                seen.add(key)
                event.rows.append(Row(folder.name, text, topic=label))
        events.append(event)
    return events


def scores(task: str, y_true: list[str], y_pred: list[str], labels: list[str] | None = None) -> dict:
    """The eval contract: task, n, weighted_f1, macro_f1, accuracy, per_class."""
    labels = labels or sorted(set(y_true) | set(y_pred))
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


def eval_info_type_csv(items_csv: Path | str, model=None) -> dict:
    """Information type on a CSV with columns text,label (label: a key such as caution_and_advice, or its
    CrisisLexT26 name); the texts are read as the pipeline reads them (language detected, Swedish glossed)."""
    from mediebild.models import categories
    from mediebild.models.language import detect_languages
    from mediebild.models.nlp import lemmatise

    path = Path(items_csv)
    if not path.is_file():
        raise UserError(f"no CSV file at {path}")
    known = set(INFO_TYPES.values())
    records = _read_csv(path)
    if records and not {"text", "label"} <= set(records[0]):
        raise UserError(f"{path}: needs the columns text,label")
    texts, y_true = [], []
    for n, rec in enumerate(records, start=2):
        label = (rec["label"] or "").strip()
        label = INFO_TYPES.get(label, label)
        if label not in known:
            raise UserError(f"{path}:{n}: unknown information type {label!r}; use one of {', '.join(sorted(known))}")
        texts.append(rec["text"] or "")
        y_true.append(label)
    if not texts:
        raise UserError(f"{path}: no rows")
    langs = [lang for lang, _ in detect_languages(texts)]
    model = model or categories.load()
    y_pred = [p["info_type"] for p in model.predict(texts, langs, lemmas=lemmatise(texts, langs))]
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


def read_relevance_csv(path: Path | str) -> tuple[list[str], list[int], list[str | None]]:
    """Texts, labels (1 = about the incident) and languages (column `lang`, optional) of a relevance CSV."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"no CSV file at {path}")
    texts, labels, langs = [], [], []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"text", "label"} <= {f.strip() for f in reader.fieldnames}:
            raise UserError(f"{path}: needs the columns text,label")
        for n, rec in enumerate(reader, start=2):
            rec = {(k or "").strip(): v for k, v in rec.items()}
            try:
                label = int(str(rec["label"]).strip())
            except ValueError:
                raise UserError(f"{path}:{n}: label must be 0 or 1, not {rec['label']!r}") from None
            texts.append(rec["text"] or "")
            labels.append(1 if label else 0)
            langs.append((rec.get("lang") or "").strip() or None)
    if not texts:
        raise UserError(f"{path}: no rows")
    return texts, labels, langs


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


RUMOUR_CUE_LABELS = ("hedge", "denial", "confirmation", "plain")


def eval_rumour_cues(items_csv: Path | str) -> dict:
    """The rumour rules' cues (models.rumours) on a labelled CSV (text,label; label one of RUMOUR_CUE_LABELS).

    For each cue, precision / recall / F1 of its label: `hedge` against a strong hedge (what flags a story on one
    item) and against any hedge (weak ones need two independent items), `denial` against `denials(text)`,
    `confirmation` against `confirmation(text)`. The misses and false alarms are listed for reading.
    """
    from mediebild.models.rumours import confirmation, denials, hedges

    path = Path(items_csv)
    rows = _read_csv(path) if path.is_file() else None
    if rows is None:
        raise UserError(f"no CSV file at {path}")
    bad = [r.get("label") for r in rows if r.get("label") not in RUMOUR_CUE_LABELS]
    if bad:
        raise UserError(f"{path}: labels must be one of {', '.join(RUMOUR_CUE_LABELS)}, not {bad[0]!r}")
    detectors = {
        "hedge": lambda t: bool(hedges(t, weak=False)),
        "hedge_any": lambda t: bool(hedges(t)),
        "denial": lambda t: bool(denials(t)),
        "confirmation": lambda t: confirmation(t) is not None,
    }
    result: dict = {"task": "rumour_cues", "n": len(rows), "labels": {k: sum(r["label"] == k for r in rows)
                                                                       for k in RUMOUR_CUE_LABELS}}
    for cue, detect in detectors.items():
        gold = cue.split("_")[0]
        truth = [r["label"] == gold for r in rows]
        found = [detect(r["text"]) for r in rows]
        tp = sum(t and f for t, f in zip(truth, found))
        p = tp / sum(found) if sum(found) else 0.0
        rec = tp / sum(truth) if sum(truth) else 0.0
        result[cue] = {
            "precision": round(p, 4), "recall": round(rec, 4),
            "f1": round(2 * p * rec / (p + rec), 4) if p + rec else 0.0,
            "missed": [r["text"] for r, t, f in zip(rows, truth, found) if t and not f],
            "false_alarms": [f"{r['label']}: {r['text']}" for r, t, f in zip(rows, truth, found) if f and not t],
        }
    return result


def eval_casualty_pairs(pairs_csv: Path | str) -> dict:
    """The rumour rules' contradiction check on labelled pairs of casualty reports (two items of one story from two
    sources, minutes apart; column `contradiction` yes/no): precision, recall and F1 of "contradicting figures"."""
    from datetime import datetime, timedelta, timezone

    from mediebild.models.rumours import RumourItem, assess

    path = Path(pairs_csv)
    if not path.is_file():
        raise UserError(f"no CSV file at {path}")
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    tp = fp = fn = 0
    errors = []
    rows = _read_csv(path)
    for r in rows:
        items = [RumourItem(r[f"text_{x}"], "editorial", start + timedelta(minutes=int(r[f"minutes_{x}"])), r[f"source_{x}"])
                 for x in ("a", "b")]
        found = "contradiction" in assess(items).codes
        truth = r["contradiction"] == "yes"
        tp, fp, fn = tp + (found and truth), fp + (found and not truth), fn + (truth and not found)
        if found != truth:
            errors.append(f"{'false alarm' if found else 'missed'}: {r['text_a']} / {r['text_b']}")
    p = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return {"task": "casualty_contradictions", "n": len(rows), "precision": round(p, 4), "recall": round(rec, 4),
            "f1": round(2 * p * rec / (p + rec), 4) if p + rec else 0.0, "errors": errors}
