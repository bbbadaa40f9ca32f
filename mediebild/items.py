"""The Item record: one article, post or notice, whatever source it came from.

Contract (DESIGN.md): id is stable (platform id, else a hash of the canonical URL); published_at is
UTC and never trusted blindly: a missing, unparseable or future date is flagged in `date_flag` and
replaced by the fetch time. `content_hash` is over normalised text, so syndicated copies of one
agency story share it even when their URLs differ.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from mediebild.timeutil import as_utc

Kind = Literal["editorial", "social", "official"]
KINDS: tuple[str, ...] = ("editorial", "social", "official")

# How far ahead of the fetch time a date may be before it is called a future date (clock skew).
FUTURE_TOLERANCE = timedelta(minutes=15)

TRACKING_PARAMS = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|yclid|_ga|ref_src|ref|cmpid|"
    r"xtor|at_medium|at_campaign|at_custom\d*|ns_source|ns_mchannel|ns_campaign|sr_share|s_cid)$",
    re.IGNORECASE,
)


@dataclass(slots=True)
class Item:
    id: str
    source: str
    kind: str
    url: str | None
    title: str
    text: str
    author: str | None
    published_at: datetime
    fetched_at: datetime
    lang: str | None = None
    content_hash: str = ""
    date_flag: str | None = None  # None, "missing", "unparseable" or "future"
    raw: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.published_at = as_utc(self.published_at)
        self.fetched_at = as_utc(self.fetched_at)
        if not self.content_hash:
            self.content_hash = content_hash(self.title, self.text)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def item_text(title: str | None, text: str | None) -> str:
    """Title and body as one text, without repeating a title the body starts with (social posts).

    Every model sees items through this, so entity offsets (entities.start_char/end_char) are offsets in it.
    """
    title, text = (title or "").strip(), (text or "").strip()
    if not title or text.startswith(title.rstrip(".…")):
        return text or title
    return f"{title}\n{text}"


def stable_id(*parts: str) -> str:
    """A short, stable id from its parts (sha1, 16 hex digits)."""
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def item_id(*, canonical: str | None, platform_id: str | None = None, source: str = "", fallback: str = "") -> str:
    """Platform id when the platform has global ids (x:123), else the canonical URL, else a source-local key."""
    if platform_id:
        return platform_id
    if canonical:
        return stable_id("url", canonical)
    return stable_id("local", source, fallback)


def canonical_url(url: str | None, base: str | None = None) -> str | None:
    """Absolute, lower-cased host, no fragment, no tracking parameters, no default port.

    Relative links are resolved against `base`. Anything that is not http(s) after that is dropped:
    a feed must not be able to smuggle `javascript:` or `file:` links into a digest.
    """
    if not url:
        return None
    url = url.strip()
    if base:
        try:
            url = urljoin(base, url)
        except ValueError:
            return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    try:
        port = parts.port
    except ValueError:
        return None
    netloc = host if port in (None, 80 if scheme == "http" else 443) else f"{host}:{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAMS.match(k)])
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, query, ""))


_TAG = re.compile(r"<[^>]*>", re.DOTALL)
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_BLOCK = re.compile(r"<\s*(br|/p|/div|/li|/h[1-6]|p|li)\b[^>]*>", re.IGNORECASE)
# control and format characters (C0/C1 but tab and newline, zero-width, bidi overrides, BOM)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200c-\u200f\u202a-\u202e\u2060-\u2064\ufeff\ufff9-\ufffb]")
_SPACES = re.compile(r"[ \t\u00a0\u200b]+")
_NEWLINES = re.compile(r"\s*\n\s*")


def strip_html(value: str | None) -> str:
    """Plain text from an HTML fragment: tags removed, entities decoded, white space folded.

    The result is still untrusted text (it may contain `<` after decoding): renderers escape it.
    """
    if not value:
        return ""
    text = _SCRIPT.sub(" ", value)
    text = _BLOCK.sub("\n", text)
    text = _TAG.sub(" ", text)
    text = html.unescape(text)
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    text = _NEWLINES.sub("\n", text)
    return text.strip()


_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalise_text(value: str) -> str:
    """Lower-case words only: the form used for exact-copy detection."""
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", value).casefold()).strip()


def content_hash(title: str, text: str) -> str:
    return hashlib.sha1(normalise_text(f"{title} {text}").encode("utf-8")).hexdigest()[:16]


def trusted_published(published: datetime | None, fetched_at: datetime, *, unparseable: bool = False) -> tuple[datetime, str | None]:
    """The date to store and its flag: a missing, unparseable or future date becomes the fetch time."""
    if published is None:
        return fetched_at, "unparseable" if unparseable else "missing"
    published = as_utc(published)
    if published > fetched_at + FUTURE_TOLERANCE:
        return fetched_at, "future"
    return published, None
