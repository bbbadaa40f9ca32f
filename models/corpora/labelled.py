"""The project's own labelled sets (models/eval_data): relevance CSVs and labelled story streams.

A stream is a CSV with STREAM_COLUMNS columns, replayed hour by hour by models.eval.stream; a relevance set is
text,label[,kind,note]. An incident set (INCIDENT_COLUMNS: a labelled stream with relevance and information
type per item, as in models/eval_data/heldout/<incident>/items.csv) serves all three evaluations: its rows
read as the pipeline reads items (title and text through `item_text`). Imports the core only.
"""

from __future__ import annotations

import csv
from datetime import datetime
from collections.abc import Sequence
from pathlib import Path

from mediebild.errors import UserError
from mediebild.items import item_text
from mediebild.timeutil import as_utc

STREAM_COLUMNS = ("id", "time", "lang", "title", "text", "story")
INCIDENT_COLUMNS = (*STREAM_COLUMNS, "kind", "source", "relevant", "info_type", "note")
NOT_RELEVANT = "not_relevant"


def is_incident_set(fieldnames: Sequence[str] | None) -> bool:
    """Whether a CSV has the incident-set columns (rather than a plain text,label set)."""
    return set(INCIDENT_COLUMNS) <= {f.strip() for f in fieldnames or []}


def read_stream(path: Path | str) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"no CSV file at {path}")
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in STREAM_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise UserError(f"{path}: missing columns {', '.join(missing)}")
        rows = []
        for n, rec in enumerate(reader, start=2):
            try:
                when = as_utc(datetime.fromisoformat(rec["time"].strip()))
            except ValueError:
                raise UserError(f"{path}:{n}: not an ISO time: {rec['time']!r}") from None
            rows.append({**rec, "time": when, "lang": (rec["lang"] or "").strip() or None})
    if not rows:
        raise UserError(f"{path}: no rows")
    return sorted(rows, key=lambda r: (r["time"], r["id"]))


def read_relevance_csv(path: Path | str) -> tuple[list[str], list[int], list[str | None]]:
    """Texts, labels (1 = about the incident) and languages (column `lang`, optional) of a relevance CSV:
    text,label[,lang], or an incident set (title and text, label from `relevant`)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"no CSV file at {path}")
    texts, labels, langs = [], [], []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        incident = is_incident_set(reader.fieldnames)
        if not incident and (not reader.fieldnames or not {"text", "label"} <= {f.strip() for f in reader.fieldnames}):
            raise UserError(f"{path}: needs the columns text,label (or an incident set: {','.join(INCIDENT_COLUMNS)})")
        column = "relevant" if incident else "label"
        for n, rec in enumerate(reader, start=2):
            rec = {(k or "").strip(): v for k, v in rec.items()}
            try:
                label = int(str(rec[column]).strip())
            except ValueError:
                raise UserError(f"{path}:{n}: {column} must be 0 or 1, not {rec[column]!r}") from None
            texts.append(item_text(rec.get("title"), rec["text"]) if incident else rec["text"] or "")
            labels.append(1 if label else 0)
            langs.append((rec.get("lang") or "").strip() or None)
    if not texts:
        raise UserError(f"{path}: no rows")
    return texts, labels, langs


def read_info_type_rows(path: Path | str) -> list[tuple[str, str]]:
    """(text, information type) of every labelled row: text,label sets, or an incident set's relevant rows."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"no CSV file at {path}")
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = {f.strip() for f in reader.fieldnames or []}
        if is_incident_set(reader.fieldnames):
            return [(item_text(r.get("title"), r["text"]), r["info_type"].strip()) for r in reader
                    if (r.get("info_type") or "").strip() not in ("", NOT_RELEVANT)]
        if not {"text", "label"} <= fields:
            raise UserError(f"{path}: needs the columns text,label (or an incident set: {','.join(INCIDENT_COLUMNS)})")
        return [(r["text"] or "", (r["label"] or "").strip()) for r in reader]
