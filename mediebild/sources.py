"""Configured sources: what a source fetches, and the ids and names people see for it.

A source is identified by what it fetches (DESIGN.md, contracts): its monitor, its normalised URL and,
for API sources, its query. Two feeds on one host (svt.se/nyheter and svt.se/sport) are two sources;
the same feed typed twice (https://SVT.se/nyheter/ and https://svt.se/nyheter) is one. Ids and names are
generated from the URL's host and path so they stay readable (`svt-se-nyheter`) and are made unique
among the existing ones (`svt-se-nyheter-2`) rather than replacing anything.

Core module: imports nothing of the project.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
# Path segments and file extensions that say "this is a feed" and nothing about which feed it is.
FEED_WORDS = frozenset(
    "rss rss2 rss20 xml feed feeds atom index default api json jsonfeed syndication export public".split()
)
FEED_EXTENSIONS = re.compile(r"\.(xml|rss|atom|json|php|aspx?|html?|cgi)$", re.IGNORECASE)
MAX_ID_LENGTH = 60


@dataclass(slots=True)
class SourceConfig:
    """A configured source, as stored in the sources table."""

    id: str
    monitor: str  # rss, x, mastodon, ...
    url: str
    name: str
    item_kind: str = "editorial"  # editorial, social or official: the kind of the items it yields
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def query(self) -> str | None:
        """The search query of an API source (hashtags, a search string, event types), if any."""
        value = (self.options or {}).get("query")
        return str(value) if value else None

    @property
    def fetch_key(self) -> str:
        """What this source fetches; two sources with the same key are the same source."""
        return fetch_key(self.monitor, self.url, self.query, self.options)


def slugify(text: str) -> str:
    """ASCII, lower case, words joined by '-', at most MAX_ID_LENGTH characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:MAX_ID_LENGTH].rstrip("-") or "source"


def normalise_url(url: str) -> str:
    """The URL as it is fetched, written one way: scheme and host in lower case, no default port, no
    fragment, no user info, no doubled or trailing slash, query parameters sorted.

    >>> normalise_url("HTTPS://www.SVT.se:443/nyheter//rss.xml/?b=2&a=1#top")
    'https://www.svt.se/nyheter/rss.xml?a=1&b=2'
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    if len(path) > 1:
        path = path.rstrip("/")
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return urlunsplit((scheme, netloc, path, query, ""))


def normalise_query(query: str | None) -> str:
    """An API source's query with white space folded and case ignored ('#Bryssel  #brussels')."""
    return " ".join((query or "").casefold().split())


# Options that change how politely or under which name a source is fetched, not what it fetches.
MANNER_OPTIONS = frozenset({"query", "contact", "min_interval_s", "site_url"})


def fetch_key(monitor: str, url: str, query: str | None = None, options: dict[str, Any] | None = None) -> str:
    """The identity of a source: monitor, normalised URL and, for API sources, the query and the filters
    (Polisen's counties, a subreddit list): two Polisen sources for two counties are two sources."""
    filters = sorted(
        (key, normalise_query(";".join(map(str, value)) if isinstance(value, list) else str(value)))
        for key, value in (options or {}).items()
        if key not in MANNER_OPTIONS and value not in (None, "", [])
    )
    extra = "".join(f"|{key}={value}" for key, value in filters)
    return f"{monitor}|{normalise_url(url)}|{normalise_query(query)}{extra}"


def _url_words(url: str) -> tuple[str, list[str]]:
    """(host without www., the path segments that tell feeds on one host apart)."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    words = []
    for segment in parts.path.split("/"):
        segment = FEED_EXTENSIONS.sub("", segment)
        if segment and segment.lower() not in FEED_WORDS:
            words.append(segment)
    for key, value in parse_qsl(parts.query):
        if value and key.lower() not in FEED_WORDS and value.lower() not in FEED_WORDS and value.lower() != "true":
            words.append(value)
    return host, words[:4]


def suggested_name(url: str, query: str | None = None) -> str:
    """A readable name from the URL: 'svt.se/nyheter', 'mastodon.social #bryssel'."""
    host, words = _url_words(url)
    name = "/".join([host, *words]) if words else host
    return f"{name} {' '.join(query.split())}" if query else name


def suggested_id(url: str, query: str | None = None, name: str | None = None) -> str:
    """A readable id: from the name a person gave, else from the URL's host and path ('svt-se-nyheter')."""
    if name:
        return slugify(name)
    return slugify(suggested_name(url, query))


def unique_id(candidate: str, taken: Collection[str]) -> str:
    """candidate, or candidate-2, candidate-3, ... whichever is free."""
    if candidate not in taken:
        return candidate
    n = 2
    while f"{candidate[: MAX_ID_LENGTH - 4]}-{n}" in taken:
        n += 1
    return f"{candidate[: MAX_ID_LENGTH - 4]}-{n}"


def unique_name(candidate: str, taken: Collection[str]) -> str:
    """candidate, or 'candidate (2)', 'candidate (3)', ... whichever is free."""
    if candidate not in taken:
        return candidate
    n = 2
    while f"{candidate} ({n})" in taken:
        n += 1
    return f"{candidate} ({n})"
