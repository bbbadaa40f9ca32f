"""CrisisLex (T26 and T6): events of labelled crisis tweets, as the classifiers train and evaluate on them.

Reads the CSV folders in ../shared/data/crisislex in place; folds the published label names into the
project's (INFORMATIVENESS, INFO_TYPES, SOURCE_TYPES, TOPIC); drops duplicate tweets (retweets, URLs);
gives one event as timed documents for the story replay. Imports the core and models.features.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from mediebild.errors import UserError
from mediebild.models.corpora.wikiref import LabelledDoc

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
_STOP = {"the", "of", "in", "and", "a", "to", "for", "de", "la", "el", "en", "del", "di", "da", "do", "at"}


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


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        header = [h.strip().lower() for h in next(reader, [])]
        return [dict(zip(header, (c.strip() for c in r))) for r in reader if r]


def event_dirs(events_dir: Path, pattern: str) -> list[Path]:
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
    for folder in event_dirs(Path(events_dir), "*tweets_labeled.csv"):
        event = Event(folder.name, places=event_places(folder), terms=event_terms(folder))
        for path in sorted(folder.glob("*tweets_labeled.csv")):
            for rec in read_csv_rows(path):
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
    for folder in event_dirs(Path(events_dir), "*ontopic_offtopic.csv"):
        event = Event(folder.name, places=event_places(folder), terms=event_terms(folder))
        for path in sorted(folder.glob("*ontopic_offtopic.csv")):
            for rec in read_csv_rows(path):
                text = rec.get("tweet", "")
                key = dedup_key(text)
                label = TOPIC.get(rec.get("label", ""))
                if not text or label is None or (dedup and key in seen):
                    continue
                seen.add(key)
                event.rows.append(Row(folder.name, text, topic=label))
        events.append(event)
    return events


def snowflake_time(tweet_id: int) -> datetime:
    return datetime.fromtimestamp(((tweet_id >> 22) + 1288834974657) / 1000, tz=timezone.utc)


def load_crisislex_event(directory: Path, event: str = "2013_Boston_bombings") -> list[LabelledDoc]:
    """One CrisisLexT26 event's labelled tweets in time order; gold = Information Type."""
    folder = Path(directory) / "CrisisLexT26" / event
    files = sorted(folder.glob("*-tweets_labeled.csv"))
    if not files:
        raise UserError(f"no labelled tweets for {event} under {directory}")
    docs = []
    with files[0].open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader)]
        for row in reader:
            rec = dict(zip(header, row))
            tid = int(rec["Tweet ID"].strip().strip('"').strip("'"))
            docs.append(LabelledDoc(str(tid), "", rec["Tweet Text"], rec["Information Type"].strip(), snowflake_time(tid)))
    docs.sort(key=lambda d: (d.published_at, d.id))
    return docs
