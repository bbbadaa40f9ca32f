"""WikiRef220 news clusters: articles labelled with their event, for scoring story clustering.

Reads ../shared/data/wikiref-news-clusters in place. Imports the core only.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mediebild.errors import UserError


def read_text(path: Path) -> str:
    """UTF-8, falling back to cp1252 (140 of the WikiRef files are cp1252)."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


@dataclass(slots=True)
class LabelledDoc:
    id: str
    title: str
    text: str
    gold: str
    published_at: datetime | None = None
    topic: str = ""  # WikiRef: the finer label (noise articles keep their noise topic, e.g. noise:smartphone)


def load_wikiref(directory: Path) -> list[LabelledDoc]:
    """The WikiRef220 articles with their gold cluster (noise articles get a singleton label each)."""
    directory = Path(directory)
    labels = directory / "labels.csv"
    texts = directory / "WikiRef220"
    if not labels.is_file() or not texts.is_dir():
        raise UserError(f"not a WikiRef220 folder (needs labels.csv and WikiRef220/): {directory}")
    docs = []
    with labels.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            body = read_text(texts / row["filename"])
            title, _, rest = body.partition("\n")
            gold = f"noise:{row['filename']}" if row["is_noise"] == "1" else row["gold_cluster"]
            docs.append(LabelledDoc(row["filename"], title.strip(), rest.strip(), gold, topic=row["gold_cluster"]))
    return docs
