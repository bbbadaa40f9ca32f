"""The rumour rules' cues and contradiction check on the project's labelled development sets.

`eval_rumour_cues` scores hedge, denial and confirmation cues (models.rumours) on a text,label CSV
(models/eval_data/dev/rumour_hedges.csv); `eval_casualty_pairs` scores the contradicting-figures check on
labelled pairs of casualty reports (models/eval_data/dev/casualty_pairs.csv). Imports the runtime models and
models.corpora.
"""

from __future__ import annotations

from pathlib import Path

from mediebild.errors import UserError
from mediebild.models.corpora.crisislex import read_csv_rows

RUMOUR_CUE_LABELS = ("hedge", "denial", "confirmation", "plain")


def eval_rumour_cues(items_csv: Path | str) -> dict:
    """The rumour rules' cues (models.rumours) on a labelled CSV (text,label; label one of RUMOUR_CUE_LABELS).

    For each cue, precision / recall / F1 of its label: `hedge` against a strong hedge (what flags a story on one
    item) and against any hedge (weak ones need two independent items), `denial` against `denials(text)`,
    `confirmation` against `confirmation(text)`. The misses and false alarms are listed for reading.
    """
    from mediebild.models.rumours import confirmation, denials, hedges

    path = Path(items_csv)
    rows = read_csv_rows(path) if path.is_file() else None
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
    rows = read_csv_rows(path)
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
