"""The Monitor contract: how every kind of source is read.

A monitor has two halves (DESIGN.md, after feedparser and dlt):

* `fetch(source, cursor, now=...)` does the I/O and may raise SourceError (transient or permanent);
* `parse(source, fetched, now=...)` is pure: bytes in, items + next cursor + problems out. It never
  raises on bad content: a broken feed becomes a Problem, and the good items of a partly broken feed
  are still returned.

The incremental cursor (ETag, Last-Modified, body MD5, platform since-ids) is an argument and a return
value, never hidden state, so the store decides what is remembered between runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from mediebild.items import Item
from mediebild.sources import SourceConfig

# Monitor names accepted by `mediebild sources add --kind`.
MONITOR_KINDS = ("rss", "x", "mastodon", "bluesky", "reddit", "polisen", "krisinformation")

__all__ = ["MONITOR_KINDS", "SourceConfig", "Problem", "FetchResult", "ParseResult", "Monitor"]


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

    @property
    def size(self) -> int:
        return len(self.body or b"")


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
