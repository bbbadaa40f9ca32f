"""The project's own labelled sets (models/eval_data): relevance CSVs and labelled story streams.

A stream is a CSV with STREAM_COLUMNS columns, replayed hour by hour by models.eval.stream; a relevance set is
text,label[,kind,note]. Imports the core only.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from mediebild.errors import UserError
from mediebild.timeutil import as_utc

STREAM_COLUMNS = ("id", "time", "lang", "title", "text", "story")


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
