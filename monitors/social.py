"""What the four social monitors (x, mastodon, bluesky, reddit) share: API calls, pages, limits, secrets.

May import only the mediebild core (items, errors, timeutil) and monitors.base/http; never the store,
flows or models.

**Pages.** An API source answers in several pages, but `FetchResult.body` is one byte string, so a
social `fetch` packs what it received into one JSON document, the *pages envelope*, and `parse` reads
it back (it never raises on it):

    {"format": "mediebild.social-pages/1", "platform": "x",
     "pages": [{"url": "...", "status": 200, "body": "<the answer's text, as received>", "context": {...}}],
     "problems": [{"code": "rate_limited", "message": "...", "severity": "warning"}]}

`problems` are what fetch learnt from the answers' status and headers (a 429, an auth error): fetch
returns them instead of raising, so that the cursor it advanced (or the deferral it recorded) is
stored. Transport failures (timeouts, refused connections, 5xx) still raise TransientSourceError
and the cursor stays where it was.

**Cursor keys shared by every social kind** (platform-specific keys sit beside them):
`next_call_at` (ISO-8601 UTC; no call is made before it), `ratelimit` ({limit, remaining, reset_at}
as last seen), `pending` (where an interrupted paging resumes). Never a secret.

**Secrets** come from the environment only (`secret()`); every answer body, URL, message and cursor
goes through `Secrets.scrub` before it leaves fetch (and httpx/httpcore log records through a filter),
so a server that echoes a credential back cannot put it into an item, a problem, a log or the cursor.

**raw["social"]** (built by `social_raw`), the platform-independent record of a post:
platform, post_id (the platform's own id), author_handle, author_name, author_id, engagement
{likes, reposts, replies, quotes} (ints, None where the platform has no such count), is_repost,
is_reply, is_quote, repost_of / quote_of / reply_to / thread_id (mediebild item ids, so a repost
collapses onto its original; None when unknown), links, tags, mentions, deleted, plus `extra` for
platform-only details. Item.author holds the handle.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable

import httpx

from mediebild.errors import PermanentSourceError, TransientSourceError
from mediebild.items import strip_html
from mediebild.monitors.base import FetchResult, Problem
from mediebild.monitors.http import DEFAULT_LIMITS, USER_AGENT, HttpLimits, before_request
from mediebild.timeutil import as_utc

FORMAT = "mediebild.social-pages/1"
REDACTED = "[redacted]"
TITLE_CHARS = 120
MAX_TEXT_CHARS = 20_000


# -- secrets ---------------------------------------------------------------------------------------


def secret(name: str) -> str | None:
    """A secret from the environment (MEDIEBILD_*), None when unset or blank."""
    return os.environ.get(name, "").strip() or None


_KNOWN: set[str] = set()  # every secret value a monitor has used in this process, for the log filter
_SECRET_NAME = re.compile(r"^MEDIEBILD_\w*(TOKEN|SECRET|PASSWORD|KEY|CLIENT_ID)$")


def environment_secrets() -> set[str]:
    """The values of every MEDIEBILD_*TOKEN/SECRET/PASSWORD/KEY/CLIENT_ID variable: scrubbed wherever they turn up."""
    return {v.strip() for k, v in os.environ.items() if _SECRET_NAME.match(k) and len(v.strip()) >= 4}


class Secrets:
    """The secret values in play during one fetch; `scrub` removes them, and every other credential of the
    environment or one a monitor has used in this process, from any text."""

    def __init__(self, *values: str | None):
        self.values: list[str] = []
        self.add(*values, *environment_secrets())

    def add(self, *values: str | None) -> None:
        new = {v for v in values if v and len(v) >= 4}
        _KNOWN.update(new)
        self.values = sorted(set(self.values) | new, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for value in sorted(set(self.values) | _KNOWN, key=len, reverse=True):
            if value in text:
                text = text.replace(value, REDACTED)
        return text


class _ScrubLog(logging.Filter):
    """httpcore logs response headers at DEBUG: a server that echoes a credential back would put it in a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _KNOWN:
            message = record.getMessage()
            scrubbed = message
            for value in sorted(_KNOWN, key=len, reverse=True):
                scrubbed = scrubbed.replace(value, REDACTED)
            if scrubbed != message:
                record.msg, record.args = scrubbed, None
        return True


for _name in ("httpx", "httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy", "httpcore.socks"):
    logging.getLogger(_name).addFilter(_ScrubLog())


# -- HTTP ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Page:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    context: dict[str, Any] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        """The decoded JSON answer, or None when it is not JSON (an HTML error page, junk)."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None


def client(limits: HttpLimits = DEFAULT_LIMITS) -> httpx.Client:
    """An API client: bounded timeouts and no redirects (credentials must not follow a redirect elsewhere)."""
    return httpx.Client(timeout=httpx.Timeout(limits.read_timeout, connect=limits.connect_timeout), follow_redirects=False)


def call(
    http: httpx.Client, method: str, url: str, *, secrets: Secrets, limits: HttpLimits = DEFAULT_LIMITS,
    params: Any = None, headers: dict[str, str] | None = None, data: Any = None, json_body: Any = None,
    auth: Any = None, user_agent: str = USER_AGENT,
) -> Page:
    """One API call within `limits`. Any HTTP status is returned as a Page; a 5xx or a transport failure
    raises TransientSourceError, an oversized answer PermanentSourceError (messages scrubbed)."""
    request_headers = {"User-Agent": user_agent, "Accept": "application/json", **(headers or {})}
    target = str(httpx.URL(url, params=params))
    if secrets.scrub(target) != target:  # e.g. a server that sent a credential back as a paging token
        raise PermanentSourceError("refused to put a credential into a request URL (an answer echoed it back)",
                                   code="secret_in_url")
    before_request()  # a platform's rate across workers (monitors.http.request_gate)
    started = time.monotonic()
    try:
        with http.stream(method, url, params=params, headers=request_headers, data=data, json=json_body, auth=auth) as response:
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limits.max_bytes:
                    raise PermanentSourceError(f"answer over the limit of {limits.max_bytes:,} bytes", code="too_large",
                                               status=response.status_code)
                if time.monotonic() - started > limits.deadline:
                    raise TransientSourceError(f"answer not complete after {limits.deadline:.0f} s", code="deadline")
                chunks.append(chunk)
            page = Page(url=secrets.scrub(str(response.url)), status=response.status_code,
                        headers={k.lower(): v for k, v in response.headers.items()}, body=b"".join(chunks))
    except httpx.TimeoutException as exc:
        raise TransientSourceError(f"timed out ({type(exc).__name__})", code="timeout") from None
    except httpx.HTTPError as exc:
        raise TransientSourceError(secrets.scrub(f"{type(exc).__name__}: {str(exc)[:200]}"), code="connect") from None
    if page.status >= 500:
        raise TransientSourceError(f"HTTP {page.status} from the API", code=f"http_{page.status}", status=page.status)
    return page


def looks_like_html(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html")) or b"<html" in head


def error_text(page: Page, secrets: Secrets, limit: int = 200) -> str:
    """A short, scrubbed description of an error answer, for a problem message."""
    data = page.json()
    if isinstance(data, dict):
        parts = [data.get(k) for k in ("title", "error", "message", "detail", "reason")]
        errors = data.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            parts.append(errors[0].get("message"))
        text = "; ".join(dict.fromkeys(str(p) for p in parts if p and not isinstance(p, (dict, list))))
    elif looks_like_html(page.body):
        text = "an HTML page: " + strip_html(page.body[:2000].decode("utf-8", "replace"))[:120]
    else:
        text = page.body[:120].decode("utf-8", "replace")
    return secrets.scrub(text)[:limit]


# -- time and limits -------------------------------------------------------------------------------


def iso(value: datetime) -> str:
    return as_utc(value).isoformat().replace("+00:00", "Z")


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 time (with Z, fractions, offsets) or epoch seconds as aware UTC, None if unreadable."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), tz=timezone.utc)
        except (ValueError, OverflowError, OSError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return as_utc(parsed)


def number(value: Any) -> float | None:
    try:
        return float(value) if value is not None and str(value).strip() != "" else None
    except (TypeError, ValueError):
        return None


def deferred_until(cursor: dict[str, Any], now: datetime) -> datetime | None:
    """The time before which no call may be made, if it is still ahead of `now`."""
    until = parse_time(cursor.get("next_call_at"))
    return until if until and until > now else None


def defer(cursor: dict[str, Any], until: datetime) -> dict[str, Any]:
    return {**cursor, "next_call_at": iso(until)}


def ratelimit_state(limit: Any, remaining: Any, reset_at: datetime | None) -> dict[str, Any]:
    return {"limit": number(limit), "remaining": number(remaining), "reset_at": iso(reset_at) if reset_at else None}


def option_int(options: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    try:
        value = int(options.get(key, default))
    except (TypeError, ValueError):
        return default
    return max(low, min(high, value))


# -- the pages envelope ----------------------------------------------------------------------------


def pack(platform: str, pages: Iterable[Page], problems: Iterable[Problem], secrets: Secrets) -> bytes:
    """The pages envelope (see the module docstring), scrubbed of every secret."""
    document = {
        "format": FORMAT,
        "platform": platform,
        "pages": [{"url": p.url, "status": p.status, "body": p.body.decode("utf-8", "replace"), "context": p.context}
                  for p in pages],
        "problems": [{"code": p.code, "message": p.message, "severity": p.severity} for p in problems],
    }
    return secrets.scrub(json.dumps(document, ensure_ascii=False)).encode("utf-8", "replace")


def result(platform: str, url: str, pages: list[Page], problems: list[Problem], cursor: dict[str, Any],
           secrets: Secrets, started: float) -> FetchResult:
    status = pages[-1].status if pages else None
    body = pack(platform, pages, problems, secrets)
    cursor = json.loads(secrets.scrub(json.dumps(cursor)))  # paging tokens come from answers, too
    return FetchResult(url=url, status=status, body=body, headers={"content-type": "application/json"},
                       elapsed_s=time.monotonic() - started, cursor=cursor)


def unpack(body: bytes | None) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Pages (each with its decoded JSON under "data", None when not JSON) and problems. Never raises."""
    try:
        document = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError):
        return [], [Problem("bad_envelope", "the fetched answer is not a pages envelope (not JSON)")]
    if not isinstance(document, dict) or document.get("format") != FORMAT or not isinstance(document.get("pages"), list):
        return [], [Problem("bad_envelope", "the fetched answer is not a pages envelope")]
    problems: list[Problem] = []
    for p in document.get("problems") or []:
        if isinstance(p, dict) and p.get("code"):
            problems.append(Problem(str(p["code"]), str(p.get("message") or ""), str(p.get("severity") or "error")))
    pages: list[dict[str, Any]] = []
    for n, page in enumerate(document["pages"], 1):
        if not isinstance(page, dict):
            continue
        text = answer if isinstance(answer := page.get("body"), str) else ""
        status = page.get("status") if isinstance(page.get("status"), int) else None
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if data is None and status == 200:
            what = "an HTML page" if looks_like_html(text.encode("utf-8", "replace")) else "not JSON"
            snippet = strip_html(text[:400])[:100]
            problems.append(Problem("not_json", f"page {n}: the answer is {what} ({snippet!r}); skipped"))
        ctx = page.get("context") if isinstance(page.get("context"), dict) else {}
        pages.append({"status": status, "url": page.get("url"), "data": data, "context": ctx})
    return pages, problems


# -- items -----------------------------------------------------------------------------------------


def clean(value: Any, limit: int = MAX_TEXT_CHARS) -> str:
    """A string from an API field as safe text: non-strings become "", lone surrogates "?", NULs dropped."""
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")[:limit] if isinstance(value, str) else ""


def title_from(text: str) -> str:
    first = text.strip().split("\n", 1)[0]
    if len(first) <= TITLE_CHARS:
        return first
    return first[:TITLE_CHARS].rsplit(" ", 1)[0] + "…"


def count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value == value:
        return int(value)
    return int(value) if isinstance(value, str) and value.strip().isdigit() else None


def social_raw(
    platform: str, post_id: str, *, author_handle: str | None = None, author_name: str | None = None,
    author_id: str | None = None, likes: Any = None, reposts: Any = None, replies: Any = None, quotes: Any = None,
    repost_of: str | None = None, quote_of: str | None = None, reply_to: str | None = None,
    thread_id: str | None = None, links: list[str] | None = None, tags: list[str] | None = None,
    mentions: list[str] | None = None, deleted: bool = False, extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """raw["social"]: the platform-independent keys documented in this module's docstring."""
    return {
        "platform": platform, "post_id": post_id, "author_handle": author_handle, "author_name": author_name,
        "author_id": author_id,
        "engagement": {"likes": count(likes), "reposts": count(reposts), "replies": count(replies), "quotes": count(quotes)},
        "is_repost": bool(repost_of), "is_reply": bool(reply_to), "is_quote": bool(quote_of),
        "repost_of": repost_of, "quote_of": quote_of, "reply_to": reply_to, "thread_id": thread_id,
        "links": links or [], "tags": tags or [], "mentions": mentions or [], "deleted": deleted, "extra": extra or {},
    }


def summarise(counts: dict[str, int], messages: dict[str, str]) -> list[Problem]:
    """Per-item defects, counted: one warning per kind instead of one per post."""
    return [Problem(code, f"{n} {messages.get(code, code)}", "warning") for code, n in sorted(counts.items()) if n]


# -- state kept outside the database (sessions) ------------------------------------------------------


def state_dir() -> Path:
    """Where mediebild keeps state that must not go into the database: MEDIEBILD_STATE_DIR, else
    $XDG_STATE_HOME/mediebild, else ~/.local/state/mediebild."""
    if os.environ.get("MEDIEBILD_STATE_DIR"):
        return Path(os.environ["MEDIEBILD_STATE_DIR"])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "mediebild"


def write_private(path: Path, data: dict[str, Any]) -> None:
    """Write a JSON file readable by its owner only (0600), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_private(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def next_period(now: datetime, period: str) -> datetime:
    """Start of the next usage period ("Daily" or "Monthly", as X names them), UTC."""
    now = as_utc(now)
    if str(period).lower().startswith("day"):
        return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return datetime(year, month, 1, tzinfo=timezone.utc)
