"""The Monitor contract: how every kind of source is read.

A monitor has two halves (DESIGN.md, after feedparser and dlt):

* `fetch(source, cursor, now=...)` does the I/O and may raise SourceError (transient or permanent);
* `parse(source, fetched, now=...)` is pure: bytes in, items + next cursor + problems out. It never
  raises on bad content: a broken feed becomes a Problem, and the good items of a partly broken feed
  are still returned.

The incremental cursor (ETag, Last-Modified, body MD5, platform since-ids) is an argument and a return
value, never hidden state, so the store decides what is remembered between runs.

Three optional fields of FetchResult serve API sources with rate limits or several calls per fetch; a
monitor that needs none of them (rss) never sets them, and a caller that knows none of them still works:

* `deferred_until`: the monitor made **no** call because the rate budget it keeps in the cursor (calls
  made, a server's Retry-After) does not allow one before that time. Not an error and not "not
  modified": `body` is None, `status` None, and `parse` returns no items, no problems and the cursor.
* `problems`: what went wrong while fetching but is returned instead of raised. A rate-budgeted monitor
  must not raise once it has made a call, or the call would go unrecorded (the store keeps no cursor
  from a failed fetch) and a retry would break its spacing; `parse` passes these problems on.
* `pages`: when one fetch made several calls (paging, or a source that reads several endpoints), one
  FetchResult per answer (its own url, status, body, headers), in call order. The outer result then
  describes the fetch as a whole (`body` None, `size` counting every page, `not_modified` only when
  every page was unchanged) and `parse` reads the pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from mediebild.items import Item
from mediebild.sources import SourceConfig

# Monitor names accepted by `mediebild sources add --kind`.
MONITOR_KINDS = ("rss", "x", "mastodon", "bluesky", "reddit", "polisen", "krisinformation", "smhi", "vma")

# The kind of item each monitor yields unless the user says otherwise.
DEFAULT_ITEM_KIND = {
    "rss": "editorial", "x": "social", "mastodon": "social", "bluesky": "social", "reddit": "social",
    "polisen": "official", "krisinformation": "official", "smhi": "official", "vma": "official",
}

__all__ = ["MONITOR_KINDS", "DEFAULT_ITEM_KIND", "SourceConfig", "Problem", "FetchResult", "ParseResult", "Monitor"]


@dataclass(slots=True)
class Problem:
    """Something wrong with a source or its content; stored as a row and shown as source health."""

    code: str  # e.g. http_500, timeout, too_large, not_a_feed, malformed_xml, bad_date, entity_expansion
    message: str
    severity: str = "error"  # "error": the fetch failed or lost content; "warning": content was repaired


@dataclass(slots=True)
class FetchResult:
    url: str
    status: int | None
    body: bytes | None
    headers: dict[str, str] = field(default_factory=dict)
    not_modified: bool = False
    elapsed_s: float = 0.0
    cursor: dict[str, Any] = field(default_factory=dict)  # etag, last_modified, body_md5 to remember
    deferred_until: datetime | None = None  # no call made: the rate budget allows the next one then
    problems: list[Problem] = field(default_factory=list)  # fetch failures returned rather than raised
    pages: list[FetchResult] = field(default_factory=list)  # one per call when a fetch made several

    @property
    def size(self) -> int:
        return len(self.body or b"") + sum(page.size for page in self.pages)

    @property
    def deferred(self) -> bool:
        return self.deferred_until is not None


@dataclass(slots=True)
class ParseResult:
    items: list[Item] = field(default_factory=list)
    cursor: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    feed_title: str | None = None


class Monitor(Protocol):
    """What every module in monitors/ provides."""

    name: str

    def fetch(self, source: SourceConfig, cursor: dict[str, Any], *, now: datetime) -> FetchResult: ...

    def parse(self, source: SourceConfig, fetched: FetchResult, *, now: datetime) -> ParseResult: ...
