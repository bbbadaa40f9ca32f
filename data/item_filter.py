"""Which items a digest covers: a selection by kind, source, language, information type, source type, tone and
relevance, as an information officer narrows a monitoring view ("only social media", "only caution and advice").

`ItemFilter` holds the choices as plain label keys (`social`, `caution_and_advice`, `negative`); `where()` turns
them into one SQL condition over `items i` joined with `enrichments e`, with its parameters. Choices on
enrichment columns need the enrichment step to have run: `where(enriched=False)` raises a UserError naming the
missing step rather than silently selecting nothing. `key` is a short stable fingerprint, so a filtered digest
is stored as its own document kind (`digest-<key>`) and never replaces, or counts as, the full hourly digest.

Data layer: imports the core (errors); nothing above it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from mediebild.errors import UserError

# filter field -> (SQL column, needs the enrichments table)
_COLUMNS: dict[str, tuple[str, bool]] = {
    "kinds": ("i.kind", False),
    "sources": ("i.source_id", False),
    "langs": ("e.lang", True),
    "info_types": ("e.info_type", True),
    "source_types": ("e.source_type", True),
    "tones": ("e.tone", True),
}


@dataclass(frozen=True)
class ItemFilter:
    kinds: tuple[str, ...] = field(default=())
    sources: tuple[str, ...] = field(default=())
    langs: tuple[str, ...] = field(default=())
    info_types: tuple[str, ...] = field(default=())
    source_types: tuple[str, ...] = field(default=())
    tones: tuple[str, ...] = field(default=())
    min_relevance: float | None = None

    @property
    def active(self) -> bool:
        return any(self.describe().values())

    def describe(self) -> dict[str, list[str] | float]:
        """The choices that are set, as a JSON-able dict (shown in the documents)."""
        out: dict[str, list[str] | float] = {k: list(v) for k, v in asdict(self).items()
                                             if k != "min_relevance" and v}
        if self.min_relevance is not None:
            out["min_relevance"] = self.min_relevance
        return out

    @property
    def key(self) -> str:
        blob = json.dumps(self.describe(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha1(blob.encode("utf-8")).hexdigest()[:8]

    def where(self, *, enriched: bool, one_alias: str | None = None) -> tuple[str, list]:
        """('cond AND cond', params) over `items i` and `enrichments e`; ('TRUE', []) when nothing is chosen.

        `enriched` says whether the enrichment step has run; choices on its columns need it. `one_alias`: the
        columns are all in one relation of that name (a wide table of items with their enrichments).
        """
        conditions: list[str] = []
        params: list = []
        for name, (column, needs_enrichment) in _COLUMNS.items():
            values = getattr(self, name)
            if not values:
                continue
            if needs_enrichment and not enriched:
                raise UserError(f"the {name.replace('_', ' ')} filter needs enriched items: run `mediebild enrich` first")
            if one_alias:
                column = f"{one_alias}.{column.split('.', 1)[1]}"
            conditions.append(f"{column} IN ({', '.join('?' for _ in values)})")
            params.extend(values)
        if self.min_relevance is not None:
            if not enriched:
                raise UserError("the relevance filter needs enriched items: run `mediebild enrich` first")
            conditions.append(f"{one_alias or 'e'}.relevance >= ?")
            params.append(float(self.min_relevance))
        return (" AND ".join(conditions) or "TRUE"), params


NO_FILTER = ItemFilter()
