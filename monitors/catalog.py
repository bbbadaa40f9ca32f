"""What a person typed about a new source -> a validated SourceConfig, by the rules of `mediebild sources add`.

`make_source` is shared by the command line (`mediebild sources add|update|import`) and the situation room's
Källor (handed to the page by flows/serve.py): the kind must be a known monitor, the URL http(s) without
credentials (an API source without one calls its documented base), and the id and name come from the URL, or
for an API source from its kind, query and filters, when not given. Whether the source exists already is the
store's question (data/store.py `add_source`).

Monitors layer: imports the core (errors, items, sources) and monitors' own modules.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from mediebild.errors import UserError
from mediebild.items import KINDS
from mediebild.monitors import default_url
from mediebild.monitors.base import DEFAULT_ITEM_KIND, MONITOR_KINDS
from mediebild.sources import MANNER_OPTIONS, SourceConfig, slugify, suggested_id, suggested_name


def api_source_name(kind: str, query: str | None, options: dict[str, Any]) -> str:
    """A readable name for an API source: its kind, query and filters ('polisen Stockholms län')."""
    filters = [";".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in sorted(options.items())
               if k not in MANNER_OPTIONS and v not in (None, "", []) and "://" not in str(v)]
    return " ".join([KIND_LABELS.get(kind, kind), *([" ".join(query.split())] if query else []), *filters])


KIND_LABELS = {"polisen": "Polisen", "krisinformation": "Krisinformation", "smhi": "SMHI", "vma": "VMA", "x": "X",
               "mastodon": "Mastodon", "bluesky": "Bluesky", "reddit": "Reddit"}


def make_source(url: str | None, *, kind: str = "rss", name: str | None = None, item_kind: str | None = None,
                source_id: str | None = None, query: str | None = None,
                options: dict[str, Any] | None = None) -> SourceConfig:
    """A validated SourceConfig from what a user typed; id and name from the URL (or, for an API source, from
    its kind, query and filters) when not given; an API source without a URL calls its documented base."""
    if kind not in MONITOR_KINDS:
        raise UserError(f"unknown --kind {kind!r}; one of: {', '.join(MONITOR_KINDS)}")
    if not url:
        url = default_url(kind)
        if not url:
            raise UserError("give the feed's URL (only API sources have a default)")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(f"not an http(s) URL: {url!r}")
    if parts.username or parts.password:
        raise UserError("the URL carries a user name or password; credentials come from the environment, never the URL")
    item_kind = item_kind or DEFAULT_ITEM_KIND.get(kind, "social")
    if item_kind not in KINDS:
        raise UserError(f"unknown --item-kind {item_kind!r}; one of: {', '.join(KINDS)}")
    if source_id is not None and slugify(source_id) != source_id:
        raise UserError(f"--id {source_id!r}: use lower-case letters, digits and '-' (for example {slugify(source_id)!r})")
    options = {**(options or {}), **({"query": query} if query else {})}
    generated = suggested_name(url, query) if kind == "rss" else api_source_name(kind, query, options)
    name = (name or "").strip() or generated
    return SourceConfig(id=source_id or suggested_id(url, query, name if name != suggested_name(url, query) else None),
                        monitor=kind, url=url, name=name, item_kind=item_kind, options=options)
