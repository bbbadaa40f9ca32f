"""The gazetteer of places and actors, and the normalisation of entity names to one id.

`models/artifacts/gazetteer.toml` lists the authorities, transport operators, airports, stations, hospitals,
embassies and the 26 municipalities of Stockholm County (plus the real places of the 2016 Brussels attacks, the
reference incident of DESIGN.md), each with a normalised id ("org:sapo") and its name variants ("Säpo", "Säkerhetspolisen", "SÄPO"). This module turns
it into spaCy EntityRuler patterns (case-insensitive phrases; short all-caps acronyms case-sensitive; Swedish
genitives added: "Säpos", "SL:s") and normalises any entity text, from the ruler or the statistical NER, to an id:
a gazetteer id when the text is a known variant, else `<label>:<slug of the text>`.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from mediebild.errors import ModelError

GAZETTEER_PATH = Path(__file__).resolve().parent / "artifacts" / "gazetteer.toml"
ENTITY_LABELS: tuple[str, ...] = ("PER", "ORG", "LOC", "MISC")
_ACRONYM = re.compile(r"^[A-ZÅÄÖ0-9]{2,4}$")
_SLUG_DROP = re.compile(r"[^\w]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    id: str
    label: str
    names: tuple[str, ...]


def _municipality_entries(row: dict) -> list[GazetteerEntry]:
    name = row["name"]
    slug = slugify(name)
    places = (name, *row.get("extra", []))
    authority = tuple(row.get("authority", [])) + (f"{name} kommun",)
    return [
        GazetteerEntry(f"loc:{slug}", "LOC", tuple(dict.fromkeys(places))),
        GazetteerEntry(f"org:{slug}-kommun", "ORG", tuple(dict.fromkeys(authority))),
    ]


@lru_cache(maxsize=4)
def load_gazetteer(path: Path = GAZETTEER_PATH) -> tuple[GazetteerEntry, ...]:
    """Entries of the gazetteer file; a bad file is a ModelError naming the entry."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ModelError(f"cannot read gazetteer {path}: {exc}") from exc
    entries: list[GazetteerEntry] = []
    for i, row in enumerate(data.get("entity", [])):
        label = row.get("label")
        if label not in ENTITY_LABELS or not row.get("id") or not row.get("names"):
            raise ModelError(f"gazetteer {path}: entity #{i + 1} ({row.get('id')!r}) needs id, label in {ENTITY_LABELS}, names")
        entries.append(GazetteerEntry(row["id"], label, tuple(row["names"])))
    for row in data.get("municipality", []):
        entries.extend(_municipality_entries(row))
    for row in data.get("place", []):
        names = tuple(row.get("names", []))
        if not names:
            raise ModelError(f"gazetteer {path}: a [[place]] without names")
        entries.append(GazetteerEntry(f"loc:{slugify(names[0])}", "LOC", names))
    ids = [e.id for e in entries]
    if len(ids) != len(set(ids)):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        raise ModelError(f"gazetteer {path}: duplicate ids {dupes}")
    return tuple(entries)


def slugify(text: str) -> str:
    """Lower case, accents kept for å/ä/ö but other marks folded, runs of non-word characters to '-'."""
    text = unicodedata.normalize("NFC", text.strip().lower())
    folded = []
    for ch in text:
        if ch in "åäöæø":
            folded.append(ch)
        else:
            folded.append(unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode() or ch)
    return _SLUG_DROP.sub("-", "".join(folded)).strip("-")


def _genitives(name: str) -> list[str]:
    """Swedish genitive forms: 'Säpos', 'SL:s'; none for names ending in s/x/z."""
    if name[-1:].lower() in ("s", "x", "z") or not name[-1:].isalnum():
        return []
    if _ACRONYM.match(name) or name[-1].isdigit():
        return [f"{name}:s"]
    return [f"{name}s"]


def ruler_patterns(lang: str = "sv", entries: tuple[GazetteerEntry, ...] | None = None) -> list[dict]:
    """EntityRuler patterns: phrases (matched on LOWER) and case-sensitive token patterns for acronyms."""
    entries = entries if entries is not None else load_gazetteer()
    patterns: list[dict] = []
    for entry in entries:
        for name in entry.names:
            variants = [name, *(_genitives(name) if lang in ("sv", "no", "da") else [])]
            for variant in variants:
                if _ACRONYM.match(variant.split(":")[0]) and " " not in variant:
                    patterns.append({"label": entry.label, "pattern": [{"ORTH": variant}], "id": entry.id})
                else:
                    patterns.append({"label": entry.label, "pattern": variant, "id": entry.id})
    return patterns


@lru_cache(maxsize=1)
def alias_index() -> dict[str, tuple[str, str]]:
    """lower-cased variant (and its genitive) -> (id, label)."""
    index: dict[str, tuple[str, str]] = {}
    for entry in load_gazetteer():
        for name in entry.names:
            for variant in (name, *_genitives(name)):
                index.setdefault(_alias_key(variant), (entry.id, entry.label))
    return index


def _alias_key(text: str) -> str:
    return " ".join(text.lower().replace("\u2019", "'").split())


def normalise(label: str, text: str) -> str:
    """The normalised id of an entity: a gazetteer id for a known variant, else `<label>:<slug>`."""
    hit = alias_index().get(_alias_key(text))
    if hit is not None:
        return hit[0]
    if text.endswith(("'s", "\u2019s")):
        hit = alias_index().get(_alias_key(text[:-2]))
        if hit is not None:
            return hit[0]
    return f"{label.lower()}:{slugify(text)}"


def gazetteer_lookup(text: str) -> tuple[str, str] | None:
    """(id, label) when `text` is a gazetteer variant, else None."""
    return alias_index().get(_alias_key(text))
