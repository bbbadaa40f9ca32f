"""What the four official monitors (polisen, krisinformation, smhi, vma) share: a paced fetch, JSON in
without exceptions, the official item's raw layout.

* **Pacing by design.** Each source keeps its rate budget in its own cursor (`cursor["pacing"]`): the
  times of its calls in the last hour, a `not_before` set by a server's Retry-After or throttle page, and
  `next_call_at` (the earliest allowed next call, for `sources health`). `fetch_paced` computes the next
  allowed call *before* calling and, when it is too early, returns a deferred FetchResult without any
  HTTP call. Times come from the monitor's `clock` (real time by default, a fake one in tests), never
  from the pass's `now`, because limits are about when calls really happen. Once a call is made,
  `fetch_paced` does not raise: failures come back as `FetchResult.problems`, so the call is recorded
  in the stored cursor and no retry breaks the spacing. A 429 (or an HTML "too many requests" page
  served with 200) defers the source until Retry-After (or `Pace.backoff_s`) and is a warning.
* **Several calls in one fetch** (krisinformation's news and VMAs) come back as `FetchResult.pages`; each
  page's `cursor` names its call (`key`) and its conditional-GET state; the source's cursor keeps them
  under `cursor["http"][key]`.
* **Parsing** (`parse_official`) is pure and never raises: an empty, HTML, non-JSON or oddly shaped body
  is a problem row; a monitor's page reader that fails on a record is caught and reported. Items
  already sent with the same content are left out (`cursor["seen"][key]` maps item id to a short
  content hash), so an edit comes out again and the store bumps its version.
* **User-Agent**: product, version and a contact (source option `contact`, else the monitor's
  `contact`, else `MEDIEBILD_CONTACT`, else `contact` in the `[monitors]` table of mediebild.toml).

Raw layout shared by official items (all keys optional): `authority` (who speaks), `area` {`names`,
`county`, `municipality`, `lat`, `lon`, `coordinates` ("point", "area centroid" or "polygon centroid"),
`codes`}, `event_type`, `event_time` (ISO UTC), `alert` ("vma" on every VMA: reports treat such an
item as an alert), `record_id` (the source's own id).

Imports: the core (items, errors, settings, timeutil) and monitors.base/http only.
"""

from __future__ import annotations

import html
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from mediebild import __version__
from mediebild.errors import SourceError
from mediebild.items import Item
from mediebild.monitors.base import FetchResult, ParseResult, Problem, SourceConfig
from mediebild.monitors.http import HttpLimits, fetch_url
from mediebild.timeutil import STOCKHOLM, as_utc

MAX_ITEMS_PER_PAGE = 1000
HOUR = timedelta(hours=1)
CONTACT_ENV = "MEDIEBILD_CONTACT"
_THROTTLE_PHRASES = ("för många anrop", "for manga anrop", "too many requests", "rate limit")


@dataclass(frozen=True, slots=True)
class Pace:
    """A source's rate budget: spacing, hourly cap, and how long to back off after a rate-limit answer."""

    min_interval_s: float
    max_per_hour: int | None = None
    backoff_s: float = 600.0  # after a 429 or throttle page without Retry-After
    max_backoff_s: float = 86400.0  # a Retry-After is obeyed up to this long


@dataclass(frozen=True, slots=True)
class Call:
    key: str  # names the call in the cursor and in FetchResult.pages
    url: str  # with its query


def iso(value: datetime) -> str:
    return as_utc(value).isoformat()


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 date-time as aware UTC (a naive one is Stockholm local time); None if it is not one."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return as_utc(parsed if parsed.tzinfo else parsed.replace(tzinfo=STOCKHOLM))


# -- pacing ------------------------------------------------------------------------------------


def _calls(pacing: dict[str, Any], now: datetime) -> list[datetime]:
    # a call "recorded" more than an hour ahead comes from a clock that was reset: ignored
    times = [parse_time(t) for t in pacing.get("calls") or [] if isinstance(t, str)]
    return sorted(t for t in times if t is not None and t <= now + HOUR)


def next_call_at(pacing: dict[str, Any], pace: Pace, now: datetime) -> datetime | None:
    """When the budget allows the next call, or None if it allows one now."""
    calls = _calls(pacing, now)
    candidates = []
    if calls:
        candidates.append(calls[-1] + timedelta(seconds=pace.min_interval_s))
    if pace.max_per_hour:
        recent = [t for t in calls if t > now - HOUR]
        if len(recent) >= pace.max_per_hour:
            candidates.append(recent[-pace.max_per_hour] + HOUR)
    not_before = parse_time(pacing.get("not_before"))
    if not_before:
        candidates.append(min(not_before, now + timedelta(seconds=pace.max_backoff_s)))
    when = max(candidates) if candidates else None
    return when if when and when > now else None


def record_call(pacing: dict[str, Any], at: datetime, pace: Pace) -> None:
    keep = max(pace.max_per_hour or 1, 1)
    calls = [t for t in _calls(pacing, at) if t > at - HOUR] + [at]
    pacing["calls"] = [iso(t) for t in calls[-keep:]]
    not_before = parse_time(pacing.get("not_before"))
    if not_before is None or not_before <= at:
        pacing.pop("not_before", None)  # served: a new rate-limit answer sets it again


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, (as_utc(when) - now).total_seconds()) if when else None


def looks_throttled(body: bytes | None) -> bool:
    """An HTML page that says the client asks too often (served with 200 by some sites)."""
    if not body or not body.lstrip()[:1] == b"<":
        return False
    text = html.unescape(body[:16384].decode("utf-8", errors="replace")).lower()
    return any(phrase in text for phrase in _THROTTLE_PHRASES)


# -- requests ----------------------------------------------------------------------------------


def configured_contact(source: SourceConfig, contact: str | None = None) -> str | None:
    """Source option > monitor argument > MEDIEBILD_CONTACT > [monitors] contact in mediebild.toml."""
    value = source.options.get("contact") or contact or os.environ.get(CONTACT_ENV)
    if not value:
        from mediebild.settings import read_config

        section = read_config().get("monitors")
        value = section.get("contact") if isinstance(section, dict) else None
    value = "".join(ch for ch in str(value or "") if " " <= ch <= "~").strip()[:200]
    return value or None


def user_agent(contact: str | None) -> str:
    about = "Swedish crisis media monitoring"
    return f"mediebild/{__version__} ({about}; contact: {contact})" if contact else f"mediebild/{__version__} ({about})"


def endpoint(url: str, default_path: str) -> str:
    """The source URL, or its origin plus the API's default path when the URL names no path (a base)."""
    parts = urlsplit(url.strip())
    if parts.path in ("", "/"):
        return urlunsplit((parts.scheme, parts.netloc, default_path, parts.query, ""))
    return url.strip()


def with_params(url: str, params: Iterable[tuple[str, str]], defaults: Iterable[tuple[str, str]] = ()) -> str:
    """`url` with `params` added (replacing the URL's own) and `defaults` where neither names them.

    Empty values are left out; `;` and `,` stay literal, as the APIs' own clients send them.
    """
    parts = urlsplit(url)
    new = [(k, v) for k, v in params if v not in (None, "")]
    names = {k for k, _ in new}
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in names] + new
    present = {k for k, _ in query}
    query += [(k, v) for k, v in defaults if v not in (None, "") and k not in present]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, safe=";,:"), ""))


def query_params(source: SourceConfig) -> list[tuple[str, str]]:
    """Extra parameters from the source option `query` ("key=value&key=value", the API's own names)."""
    query = source.options.get("query")
    return parse_qsl(query, keep_blank_values=False) if isinstance(query, str) else []


def as_list(value: Any, separators: str = ";") -> list[str]:
    """A list of non-empty strings from a list or a string split on `separators`."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        values = [str(v) for v in value if v is not None]
    else:
        values = re.split(f"[{re.escape(separators)}]", str(value))
    return [v.strip() for v in values if v.strip()]


def fetch_paced(
    source: SourceConfig,
    cursor: dict[str, Any],
    calls: list[Call],
    *,
    pace: Pace,
    limits: HttpLimits,
    clock: Callable[[], datetime],
    agent: str,
    problems: list[Problem] | None = None,
) -> FetchResult:
    """Make `calls` if the budget in `cursor` allows, else none; never raises after the first call."""
    new_cursor = dict(cursor)
    pacing = dict(cursor["pacing"]) if isinstance(cursor.get("pacing"), dict) else {}
    now = clock()
    wait = next_call_at(pacing, pace, now)
    if wait is not None:
        pacing["next_call_at"] = iso(wait)
        new_cursor["pacing"] = pacing
        return FetchResult(url=calls[0].url, status=None, body=None, cursor=new_cursor, deferred_until=wait)
    problems = list(problems or [])
    http_state = {k: v for k, v in cursor["http"].items() if isinstance(v, dict)} if isinstance(cursor.get("http"), dict) else {}
    pages: list[FetchResult] = []
    for call in calls:
        at = clock()
        record_call(pacing, at, pace)
        prefix = f"{call.key}: " if len(calls) > 1 else ""
        try:
            page = fetch_url(call.url, http_state.get(call.key) or {}, limits=limits, user_agent=agent,
                             headers={"Accept": "application/json"})
        except SourceError as exc:
            pages.append(FetchResult(url=call.url, status=exc.status, body=None, cursor={"key": call.key}))
            if exc.status == 429:
                _defer(pacing, pace, at, getattr(exc, "retry_after", None))
                problems.append(Problem("rate_limited", f"{prefix}{exc}; {_deferred_text(pacing)}", "warning"))
                break
            problems.append(Problem(exc.code, f"{prefix}{exc}"))
            continue
        if looks_throttled(page.body):
            _defer(pacing, pace, at, page.headers.get("retry-after"))
            problems.append(Problem("rate_limited", f"{prefix}the server answered with a 'too many requests' page; "
                                    f"{_deferred_text(pacing)}", "warning"))
            pages.append(FetchResult(url=page.url, status=page.status, body=None, headers=page.headers, cursor={"key": call.key}))
            break
        http_state[call.key] = page.cursor
        page.cursor = {"key": call.key, **page.cursor}
        pages.append(page)
    new_cursor["http"] = http_state
    following = next_call_at(pacing, pace, clock())
    pacing["next_call_at"] = iso(following) if following else None
    new_cursor["pacing"] = pacing
    unchanged = bool(pages) and len(pages) == len(calls) and all(p.not_modified for p in pages) and not problems
    if len(calls) == 1:
        page = pages[0]
        return FetchResult(url=page.url, status=page.status, body=page.body, headers=page.headers, not_modified=unchanged,
                           elapsed_s=page.elapsed_s, cursor=new_cursor, problems=problems)
    return FetchResult(url=calls[0].url, status=pages[-1].status if pages else None, body=None, not_modified=unchanged,
                       elapsed_s=sum(p.elapsed_s for p in pages), cursor=new_cursor, problems=problems, pages=pages)


def _defer(pacing: dict[str, Any], pace: Pace, at: datetime, retry_after: str | None) -> None:
    seconds = retry_after_seconds(retry_after, at)
    seconds = pace.backoff_s if seconds is None else min(max(seconds, pace.min_interval_s), pace.max_backoff_s)
    pacing["not_before"] = iso(at + timedelta(seconds=seconds))


def _deferred_text(pacing: dict[str, Any]) -> str:
    return f"no call before {pacing['not_before']}"


# -- parsing -----------------------------------------------------------------------------------


def load_json(body: bytes | None) -> tuple[Any, Problem | None]:
    """The decoded document, or a problem: empty, an HTML page, not JSON. Never raises."""
    if not body or not body.strip():
        return None, Problem("empty", "the response body is empty")
    text = body.decode("utf-8-sig", errors="replace")
    if text.lstrip()[:1] == "<":
        what = "an HTML page" if "<html" in text[:2048].lower() or "<!doctype html" in text[:2048].lower() else "XML or HTML"
        return None, Problem("not_json", f"the response is {what}, not JSON")
    try:
        return json.loads(text), None
    except (ValueError, RecursionError) as exc:
        return None, Problem("malformed_json", f"not valid JSON: {str(exc)[:200]}")


def lower_keys(value: Any) -> dict[str, Any]:
    """A record with lower-cased keys (APIs disagree on case); {} for anything that is not an object."""
    return {str(k).lower(): v for k, v in value.items()} if isinstance(value, dict) else {}


def text(value: Any) -> str:
    """A string field as a string; numbers as their text; anything else empty."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def number(value: Any) -> float | None:
    try:
        result = float(value) if isinstance(value, (int, float, str)) and not isinstance(value, bool) else None
    except ValueError:
        return None
    return result if result is not None and result == result and abs(result) != float("inf") else None


def point(lat: Any, lon: Any) -> tuple[float, float] | None:
    la, lo = number(lat), number(lon)
    if la is None or lo is None or not (-90 <= la <= 90 and -180 <= lo <= 180):
        return None
    return la, lo


def centroid(points: Iterable[tuple[float, float] | None]) -> tuple[float, float] | None:
    good = [p for p in points if p is not None]
    if not good:
        return None
    return round(sum(p[0] for p in good) / len(good), 5), round(sum(p[1] for p in good) / len(good), 5)


def area_record(names: Iterable[str], *, county: str | None = None, municipality: str | None = None,
                where: tuple[float, float] | None = None, coordinates: str | None = None,
                codes: Iterable[str] = ()) -> dict[str, Any]:
    """The `area` of an official item's raw (see the module docstring)."""
    names = list(dict.fromkeys(n.strip() for n in names if n and n.strip()))
    area: dict[str, Any] = {"names": names, "county": county, "municipality": municipality}
    if where:
        area.update(lat=where[0], lon=where[1], coordinates=coordinates)
    codes = [c for c in codes if c]
    if codes:
        area["codes"] = list(dict.fromkeys(codes))
    return area


def county_or_municipality(name: str) -> tuple[str | None, str | None]:
    """("Stockholms län", None) for a county name, (None, "Solna") for anything else."""
    name = name.strip()
    if not name:
        return None, None
    return (name, None) if name.lower().endswith(" län") else (None, name)


PageReader = Callable[[str, Any, FetchResult], tuple[list[Item], list[Problem]]]


def parse_official(fetched: FetchResult, read: PageReader, *, default_key: str) -> ParseResult:
    """Read every page of a fetch with `read(key, document, page)`; new or changed items only. Never raises."""
    if fetched.deferred:
        return ParseResult(cursor=dict(fetched.cursor))
    problems = list(fetched.problems)
    seen_before: dict[str, Any] = fetched.cursor["seen"] if isinstance(fetched.cursor.get("seen"), dict) else {}
    seen = {k: v for k, v in seen_before.items() if isinstance(v, dict)}
    items: list[Item] = []
    pages = fetched.pages if fetched.pages else [fetched]
    for page in pages:
        key = str(page.cursor.get("key") or default_key) if fetched.pages else default_key
        prefix = f"{key}: " if fetched.pages else ""
        if page.body is None:
            continue  # failed, throttled or 304: already a problem, or nothing new; its seen ids stay
        doc, problem = load_json(page.body)
        if problem:
            problems.append(Problem(problem.code, prefix + problem.message, problem.severity))
            continue
        try:
            page_items, page_problems = read(key, doc, page)
        except Exception as exc:  # a bug or an unforeseen shape must not stop the run: it is this source's problem
            problems.append(Problem("parse_error", f"{prefix}unexpected {type(exc).__name__}: {str(exc)[:200]}"))
            continue
        problems += [Problem(p.code, prefix + p.message, p.severity) for p in page_problems]
        if len(page_items) > MAX_ITEMS_PER_PAGE:
            problems.append(Problem("too_many_items", f"{prefix}{len(page_items)} records; kept the first {MAX_ITEMS_PER_PAGE}", "warning"))
            page_items = page_items[:MAX_ITEMS_PER_PAGE]
        latest = {item.id: item for item in page_items}  # the last copy of an id wins, as in the store
        before = seen.get(key, {})
        items += [item for item in latest.values() if before.get(item.id) != item.content_hash[:10]]
        seen[key] = {item.id: item.content_hash[:10] for item in latest.values()}
    return ParseResult(items=items, cursor={**fetched.cursor, "seen": seen}, problems=problems)


def count_problem(counts: dict[str, int], code: str) -> None:
    counts[code] = counts.get(code, 0) + 1


def counted_problems(counts: dict[str, int], messages: dict[str, str]) -> list[Problem]:
    return [Problem(code, f"{n} {messages.get(code, code)}", "warning") for code, n in sorted(counts.items())]


def list_of(record: dict[str, Any], key: str) -> list[Any]:
    """record[key] when it is a list, else [] (API answers are not trusted to have the documented shape)."""
    value = record.get(key)
    return value if isinstance(value, list) else []


def record_list(doc: Any, key: str | None = None) -> tuple[list[Any], Problem | None]:
    """The list of records of a document: the document itself, or its member `key` ([] and a problem if not)."""
    if key is not None and isinstance(doc, dict):
        doc = lower_keys(doc).get(key.lower())
    if isinstance(doc, list):
        return doc, None
    where = f"a list under '{key}'" if key else "a JSON list"
    return [], Problem("unexpected_shape", f"expected {where}, got {type(doc).__name__}")



class PacedMonitor:
    """What the official monitors share: construction, pacing (the kind's `PACE`, which a source may slow with
    the option `min_interval_s`), the paced fetch and the parse of every page; a kind says what to call (`calls`)
    and how to read one answer (`read`)."""

    name = ""
    PACE = Pace(min_interval_s=60.0, backoff_s=300.0)

    def __init__(self, limits: HttpLimits | None = None, *, clock: Callable[[], datetime] | None = None,
                 contact: str | None = None):
        from mediebild.monitors.http import DEFAULT_LIMITS
        from mediebild.timeutil import utcnow

        self.limits = limits or DEFAULT_LIMITS
        self.clock = clock or utcnow
        self.contact = contact

    def calls(self, source: SourceConfig) -> list[Call]:
        raise NotImplementedError

    def read(self, key: str, doc: Any, *, source: SourceConfig, now: datetime) -> tuple[list[Item], list[Problem]]:
        raise NotImplementedError

    def pace(self, source: SourceConfig) -> Pace:
        wanted = number(source.options.get("min_interval_s"))
        return self.PACE if wanted is None or wanted < 0 else Pace(wanted, self.PACE.max_per_hour, self.PACE.backoff_s)

    def fetch(self, source: SourceConfig, cursor: dict[str, Any], *, now: datetime) -> FetchResult:
        agent = user_agent(configured_contact(source, self.contact))
        return fetch_paced(source, cursor, self.calls(source), pace=self.pace(source), limits=self.limits,
                           clock=self.clock, agent=agent)

    def parse(self, source: SourceConfig, fetched: FetchResult, *, now: datetime) -> ParseResult:
        return parse_official(fetched, lambda key, doc, page: self.read(key, doc, source=source, now=now),
                              default_key=self.calls(source)[0].key)
