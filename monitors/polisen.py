"""Polisen's events API (`polisen`): the police's published events, as official items.

Source: URL is the API (default https://polisen.se/api/events; a bare base such as http://127.0.0.1:PORT
gets the path /api/events). Options: `locations` (county or municipality names, a list or a
"Stockholms län;Solna" string: the API's `locationname`), `types` (event types, the API's `type`; a
type may contain a comma, so several are joined with `;`), `query` (more parameters in the API's own
names, "DateTime=2026-03-24"), `contact` (for the User-Agent), `site_url` (what relative event URLs
resolve against; default the API's own origin, https://polisen.se), `min_interval_s` (may raise, never
lower, the spacing below). The filters are the API's; nothing is filtered again here.

Rules of the API (polisen.se "Regler för öppna data", API-NOTES §1): a descriptive User-Agent with a
contact (else HTTP 403 or a block), at least 10 s between calls and at most 60 per hour (1,440 per
day follows), HTTPS only. The monitor keeps that budget *by design*: `fetch` computes the next allowed
call from the cursor and, when it is too early, returns a deferred result without calling
(official.fetch_paced). A 429 or a Swedish "Du har gjort för många anrop" page defers the source until
Retry-After (else 10 minutes). Without a contact the call is still made and a `no_contact` warning
asks for one (MEDIEBILD_CONTACT, or `contact` under `[monitors]` in mediebild.toml).

The answer is a bare JSON array of about 500 recent events, not sorted, without paging; items are
keyed on the event id (`polisen:<id>`), so an edited event is a new version of the same item.
Quirks handled: `datetime` ("2025-06-07 7:32:06 +02:00", hour not zero-padded) is the *publish* time
and becomes published_at; the event time is only in `name` ("06 juni 18.50, Trafikolycka, Solna",
Stockholm local time, possibly the previous day or year) and is kept in raw; `url` is relative or
absolute; `location.gps` ("lat,lng") is the centroid of the named area, not the incident site.

Raw keys (see official.py): authority "Polisen", record_id, event_type, event_time (ISO UTC or None),
event_time_text, published (the API's string), summary (True for "Sammanfattning ..." events that
gather many incidents), area {names, county | municipality, lat, lon, coordinates "area centroid"}.

Imports: the core and monitors.base/http/official only.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mediebild.items import Item, canonical_url, strip_html, trusted_published
from mediebild.monitors.base import FetchResult, ParseResult, Problem, SourceConfig
from mediebild.monitors.official import (
    Call,
    Pace,
    PacedMonitor,
    area_record,
    as_list,
    configured_contact,
    count_problem,
    counted_problems,
    county_or_municipality,
    endpoint,
    fetch_paced,
    iso,
    lower_keys,
    number,
    parse_official,
    parse_time,
    point,
    query_params,
    record_list,
    text,
    user_agent,
    with_params,
)
from mediebild.timeutil import STOCKHOLM, as_utc

DEFAULT_URL = "https://polisen.se/api/events"
DEFAULT_PATH = "/api/events"
AUTHORITY = "Polisen"
PACE = Pace(min_interval_s=10.0, max_per_hour=60, backoff_s=600.0)
MAX_TITLE_CHARS = 500
MAX_TEXT_CHARS = 20_000

MONTHS = {name: i for i, name in enumerate(
    ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november",
     "december"), start=1)}
_NAME_TIME = re.compile(r"^\s*(\d{1,2})\s+([a-zåäö]+)\.?\s+(\d{1,2})[.:](\d{2})(?!\d)", re.IGNORECASE)
_WARNINGS = {
    "bad_record": "records were not JSON objects and were skipped",
    "missing_id": "events without an id were skipped",
    "empty_event": "events with neither name nor summary were skipped",
    "date_missing": "events without a publish time: the fetch time was used",
    "date_unparseable": "events with an unreadable publish time: the fetch time was used",
    "date_future": "events published in the future: the fetch time was used",
    "event_time_unparsed": "event names without a readable event time (kept without event_time)",
}


class PolisenMonitor(PacedMonitor):
    """The police events API, paced to its published limits (a source may slow it, never speed it up)."""

    name = "polisen"
    PACE = PACE

    def calls(self, source: SourceConfig) -> list[Call]:
        url = endpoint(source.url or DEFAULT_URL, DEFAULT_PATH)
        parts = urlsplit(url)
        if parts.scheme == "http" and (parts.hostname or "").endswith("polisen.se"):
            url = urlunsplit(("https", *parts[1:]))  # the API is HTTPS only; its redirect may be blocked
        params = [("locationname", ";".join(as_list(source.options.get("locations")))),
                  ("type", ";".join(as_list(source.options.get("types"))))]
        return [Call("events", with_params(url, params + query_params(source)))]

    def pace(self, source: SourceConfig) -> Pace:
        wanted = number(source.options.get("min_interval_s"))
        return PACE if wanted is None or wanted <= PACE.min_interval_s else Pace(wanted, PACE.max_per_hour, PACE.backoff_s)

    def fetch(self, source: SourceConfig, cursor: dict[str, Any], *, now: datetime) -> FetchResult:
        contact = configured_contact(source, self.contact)
        problems = [] if contact else [Problem(
            "no_contact", "polisen.se asks API clients to name a contact in the User-Agent: set MEDIEBILD_CONTACT "
            "or `contact` under [monitors] in mediebild.toml (or the source option `contact`)", "warning")]
        result = fetch_paced(source, cursor, self.calls(source), pace=self.pace(source), limits=self.limits,
                             clock=self.clock, agent=user_agent(contact), problems=problems)
        for problem in result.problems:
            if problem.code == "http_403":
                problem.message += " (polisen.se refuses clients without a descriptive User-Agent and contact)"
        return result

    def parse(self, source: SourceConfig, fetched: FetchResult, *, now: datetime) -> ParseResult:
        return parse_official(fetched, lambda key, doc, page: read_events(doc, source=source, page=page, now=now),
                              default_key="events")


def parse_publish_time(value: str) -> datetime | None:
    """"2025-06-07 7:32:06 +02:00" (hour not zero-padded) or ISO-8601, as aware UTC."""
    value = value.strip()
    if not value:
        return None
    try:
        return as_utc(datetime.strptime(value, "%Y-%m-%d %H:%M:%S %z"))
    except ValueError:
        return parse_time(value)


def event_time_from_name(name: str, reference: datetime) -> tuple[datetime | None, str | None]:
    """The event time at the start of `name` ("06 juni 18.50, ..."), in the year that puts it at or before
    `reference` (the publish time; a day of slack for clocks), and the text it was read from."""
    match = _NAME_TIME.match(name)
    if not match:
        return None, None
    day, month_name, hour, minute = match.groups()
    month = MONTHS.get(month_name.lower())
    if month is None:
        return None, match.group(0).strip()
    local_ref = as_utc(reference).astimezone(STOCKHOLM)
    for year in (local_ref.year, local_ref.year - 1):
        try:
            when = datetime(year, month, int(day), int(hour), int(minute), tzinfo=STOCKHOLM)
        except ValueError:
            return None, match.group(0).strip()
        if when <= local_ref + timedelta(days=1):
            return as_utc(when), match.group(0).strip()
    return None, match.group(0).strip()


def _site(source: SourceConfig, page: FetchResult) -> str:
    site = source.options.get("site_url")
    if isinstance(site, str) and site.startswith(("http://", "https://")):
        return site
    parts = urlsplit(page.url or source.url)
    return urlunsplit((parts.scheme, parts.netloc, "/", "", ""))


def read_events(doc: Any, *, source: SourceConfig, page: FetchResult, now: datetime) -> tuple[list[Item], list[Problem]]:
    """The events of one answer as items (pure; a bad record is skipped and counted, never raised)."""
    records, problem = record_list(doc)
    if problem:
        return [], [problem]
    site = _site(source, page)
    counts: dict[str, int] = {}
    items = []
    for record in records:
        item = _event(record, source=source, site=site, now=now, counts=counts)
        if item is not None:
            items.append(item)
    return items, counted_problems(counts, _WARNINGS)


def _event(record: Any, *, source: SourceConfig, site: str, now: datetime, counts: dict[str, int]) -> Item | None:
    r = lower_keys(record)
    if not r:
        count_problem(counts, "bad_record")
        return None
    event_id = text(r.get("id")).strip()
    if not event_id:
        count_problem(counts, "missing_id")
        return None
    name = strip_html(text(r.get("name")))[:MAX_TITLE_CHARS]
    summary = strip_html(text(r.get("summary")))[:MAX_TEXT_CHARS]
    event_type = strip_html(text(r.get("type")))
    location = lower_keys(r.get("location"))
    place = strip_html(text(location.get("name")))
    if not name and not summary:
        count_problem(counts, "empty_event")
        return None
    published_text = text(r.get("datetime"))
    published = parse_publish_time(published_text)
    stored, flag = trusted_published(published, now, unparseable=bool(published_text.strip()) and published is None)
    if flag:
        count_problem(counts, f"date_{flag}")
    event_time, event_time_text = event_time_from_name(name, published or now)
    if name and event_time is None:
        count_problem(counts, "event_time_unparsed")
    gps = text(location.get("gps")).split(",")
    county, municipality = county_or_municipality(place)
    raw = {
        "authority": AUTHORITY,
        "record_id": event_id,
        "event_type": event_type or None,
        "event_time": iso(event_time) if event_time else None,
        "event_time_text": event_time_text,
        "published": published_text or None,
        "summary": event_type.lower().startswith("sammanfattning"),
        "area": area_record([place], county=county, municipality=municipality,
                            where=point(*gps) if len(gps) == 2 else None, coordinates="area centroid"),
    }
    return Item(
        id=f"polisen:{event_id}",
        source=source.id,
        kind="official",
        url=canonical_url(text(r.get("url")) or None, site),
        title=name or (summary[:120].rsplit(" ", 1)[0] + "…" if len(summary) > 120 else summary),
        text=summary,
        author=AUTHORITY,
        published_at=stored,
        fetched_at=now,
        lang="sv",
        date_flag=flag,
        raw=raw,
    )
