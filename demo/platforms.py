"""What the demo's platforms call things: post ids, handles, titles and search rules, in one place.

The scenario (`demo.scenario`) builds each item's link from these, and the replay server's API endpoints
(`demo.social_api`, `demo.official_api`) serve the same ids and handles, so an item a monitor reads back has
the link the scenario's ground truth knows (`Scenario.truth_by_url`).

* ids: X posts have snowflake ids (milliseconds since X's epoch, shifted 22 bits); Mastodon statuses
  Mastodon's own (milliseconds since 1970 shifted 16 bits); Bluesky records a TID (microseconds, base32
  sortable, 13 characters); Reddit posts a base-36 id of seven characters; official records a number.
* handles: the scenario's author as each platform allows it (Bluesky handles are domain names: `_`
  becomes `-` under `.bsky.social`); display names say that the account is an exercise account.
* search: the subset of X's and Bluesky's query languages the replay server understands: words and
  `#tags` (all must match), `OR` between groups, `-term` to exclude, `is:retweet`, `lang:xx`; parentheses
  are ignored. Matching is case-insensitive; a word matches inside a longer word, as a stem would.
* requests and answers: `ApiRequest` (what an API endpoint of the replay server is asked) and `Answer`
  (status, headers, body), with `json_answer` and `rate_window` for the endpoint modules.

Imports: the standard library only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs

Answer = tuple[int, dict[str, str], bytes]
JSON = "application/json; charset=utf-8"
EXERCISE_HEADER = ("X-Mediebild-Exercise", "Ovningsscenario - inte verkliga meddelanden")  # ASCII: a header


@dataclass(slots=True)
class ApiRequest:
    """One request to a platform endpoint: the path below the feed's mount, the query, lower-case headers."""

    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    base: str = ""  # the feed's public base URL on the replay server (for Link headers and the like)

    @classmethod
    def of(cls, method: str, path: str, query: str, headers: dict[str, str], body: bytes = b"", base: str = "") -> ApiRequest:
        return cls(method.upper(), path or "/", parse_qs(query, keep_blank_values=True), headers, body, base)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def int_arg(self, name: str, default: int, low: int, high: int) -> int | None:
        """An integer parameter within [low, high]; None when it is there but not such a number."""
        value = self.arg(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            return None
        return number if low <= number <= high else None

    def bearer(self) -> str | None:
        """The token of an `Authorization: Bearer ...` header (the scheme in any case, as Reddit sends it)."""
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        return token.strip() or None if scheme.lower() == "bearer" else None

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


def json_answer(status: int, document: Any, headers: dict[str, str] | None = None, content_type: str = JSON) -> Answer:
    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    return status, {"Content-Type": content_type, EXERCISE_HEADER[0]: EXERCISE_HEADER[1], **(headers or {})}, body


def rate_window(now: datetime, minutes: int) -> tuple[datetime, datetime]:
    """The fixed rate-limit window of simulated time that `now` falls in: (start, end)."""
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    span = timedelta(minutes=minutes)
    start = epoch + ((now - epoch) // span) * span
    return start, start + span


def iso_z(value: datetime, ms: bool = True) -> str:
    """UTC with a Z, with milliseconds as X and Bluesky write them."""
    text = value.astimezone(timezone.utc).isoformat(timespec="milliseconds" if ms else "seconds")
    return text.replace("+00:00", "Z")

SOCIAL_MONITORS = ("x", "mastodon", "bluesky", "reddit")
OFFICIAL_MONITORS = ("polisen", "krisinformation", "smhi", "vma")
API_MONITORS = SOCIAL_MONITORS + OFFICIAL_MONITORS
REPOSTS_SHOWN = ("rss", "x", "reddit")  # Mastodon's tag timelines and Bluesky's search never show reposts

SNOWFLAKE_EPOCH_MS = 1288834974657
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_HASHTAG = re.compile(r"#(\w+)", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def post_number(monitor: str, kind: str, digest: int, published: datetime) -> str:
    """The platform's id of a post (or an official record's number), stable for one item."""
    ms = int(published.timestamp() * 1000)
    if monitor == "x":
        return str(((ms - SNOWFLAKE_EPOCH_MS) << 22) | (digest % (1 << 22)))
    if monitor == "bluesky":
        return tid(ms * 1000 + digest % 1000, digest % 1024)
    if monitor == "reddit":
        return base36(36**6 + digest % (36**6 * 2))  # seven characters, "1..." as in 2025-26
    if monitor == "mastodon" or kind == "social":
        return str((ms << 16) + digest % 65536)  # Mastodon's ids (also what the sthlm.social RSS used)
    return str(100000 + digest % 900000)


def tid(microseconds: int, clock_id: int = 0) -> str:
    """An AT Protocol TID: 53 bits of microseconds and 10 of clock id, base32-sortable, 13 characters."""
    n = ((microseconds & ((1 << 53) - 1)) << 10) | (clock_id & 1023)
    out = ""
    for _ in range(13):
        out = _TID_ALPHABET[n & 31] + out
        n >>= 5
    return out


def base36(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _BASE36[r] + out
        if n == 0:
            return out


def handle(monitor: str, author: str | None) -> str:
    """The author's handle on a platform (Bluesky's is a domain name)."""
    author = author or "anonym"
    if monitor == "bluesky":
        return re.sub(r"[^a-z0-9-]+", "-", author.lower()).strip("-") + ".bsky.social"
    return author


def display_name(author: str | None) -> str:
    """An invented account's display name, marked as an exercise account."""
    words = (author or "anonym").replace("_", " ").split()
    return " ".join(w[:1].upper() + w[1:] for w in words) + " (övning)"


def user_number(author: str | None, digits: int = 10) -> str:
    """A stable numeric account id for an author."""
    value = 0
    for ch in (author or "anonym").encode("utf-8"):
        value = (value * 131 + ch) % (10**digits)
    return str(10 ** (digits - 1) + value % (9 * 10 ** (digits - 1)))


def did(author: str | None) -> str:
    """A stable did:plc for an invented Bluesky account (24 base32 characters, as PLC ids have)."""
    n = int(user_number(author, 18)) * 7919 + 104729
    out = ""
    for _ in range(24):
        out += _TID_ALPHABET[n % 32]
        n = n // 32 + 1_000_003 * (len(out) + 1)
    return "did:plc:" + out


def derived_title(monitor: str, text: str) -> str:
    """A title where the platform needs one and the scenario has none: a Reddit thread's first sentence."""
    if monitor != "reddit":
        return ""
    first = _SENTENCE_END.split(text.strip(), maxsplit=1)[0]
    first = _HASHTAG.sub("", first).strip() if first.startswith("#") else first
    return first if len(first) <= 120 else first[:120].rsplit(" ", 1)[0] + "…"


def hashtags(text: str) -> list[tuple[int, int, str]]:
    """(start, end, tag as written) of each #tag, character offsets."""
    return [(m.start(), m.end(), m.group(1)) for m in _HASHTAG.finditer(text)]


def matches(query: str, text: str, *, is_repost: bool = False, lang: str | None = None) -> bool:
    """Whether a post matches a search query (the subset described in the module docstring)."""
    folded = text.casefold()
    tags = {t.casefold() for _, _, t in hashtags(text)}
    groups = re.split(r"\s+OR\s+", query.replace("(", " ").replace(")", " ").strip())
    for group in groups:
        terms = group.split()
        if terms and all(_term(term, folded, tags, is_repost, lang) for term in terms):
            return True
    return False


def _term(term: str, folded: str, tags: set[str], is_repost: bool, lang: str | None) -> bool:
    negate = term.startswith("-") and len(term) > 1
    term = term[1:] if negate else term
    low = term.casefold().strip('"')
    if low == "is:retweet":
        hit = is_repost
    elif low.startswith("lang:"):
        hit = (lang or "") == low[5:]
    elif low.startswith("#"):
        hit = low[1:] in tags
    else:
        hit = low in folded
    return hit != negate
