"""Krisinformation.se API v3 (`krisinformation`): the authorities' news and VMAs, as official items.

Source: URL is the API base (default https://api.krisinformation.se/v3; a bare base such as
http://127.0.0.1:PORT gets the path /v3). One fetch reads `/news` and `/vmas` (two calls, returned as
FetchResult.pages); a URL that already ends in /news, /vmas or /testvmas reads only that endpoint.
Options: `feeds` ("news;vmas" by default), `language` (sv by default), `counties` (county codes, e.g.
["01", "03"]: the API's `counties`, with `allCounties=false`; without it `allCounties=true`),
`include_test` (keep test items, off by default: they are skipped), `query` (more parameters in the
API's own names, "days=3&numberOfNewsArticles=50"), `contact`, `site_url` (for relative links),
`min_interval_s` (60 s by default: the API asks only to avoid unnecessary requests).

The answer is a bare JSON array, `[]` when nothing is active; keys are PascalCase in recorded data but
are matched case-insensitively (a third-party README claims lower case). Item ids are
`krisinformation:<feed>:<language>:<Identifier>`, stable across edits: an "all clear" arrives as an
edit of the same item ("Uppdatering ... Faran är över" replacing PushMessage/Preamble, `Updated` not
always bumped), so change is seen in the content, not in `Updated`: the text holds Preamble, BodyText
and the PushMessage (when the Preamble does not already say it), so any of those edits changes the
item's content hash, comes out of parse again and becomes a new version in the store. An edit whose
text says the danger is over is flagged `all_clear` in raw (a wording heuristic).
Quirks handled: HTML entities in plain-text fields, a literal `{0}` placeholder in BodyText (removed,
counted as a warning), trailing spaces and newlines, `Coordinate` as "lon,lat alt" and
`CoordinateObject` values as strings, `Area` always holding "Country: Sverige", `SenderName` "".

Raw keys (see official.py): authority (SenderName, or None when empty), publisher "Krisinformation.se",
record_id, feed ("news" or "vmas"), event (the API's Event), alert "vma" on every item of the VMA
feed, all_clear, push_message, published, updated (the API's strings), area {names, county,
municipality, lat, lon, coordinates "point" for a PoI else "area centroid"}, links [{text, url}].

Imports: the core and monitors.base/http/official only.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from mediebild.items import Item, canonical_url, normalise_text, strip_html, trusted_published
from mediebild.monitors.base import Problem, SourceConfig
from mediebild.monitors.official import (
    Call,
    Pace,
    PacedMonitor,
    area_record,
    as_list,
    count_problem,
    counted_problems,
    endpoint,
    lower_keys,
    parse_time,
    point,
    query_params,
    record_list,
    text,
    with_params,
)

DEFAULT_URL = "https://api.krisinformation.se/v3"
DEFAULT_PATH = "/v3"
FEEDS = ("news", "vmas")
VMA_FEEDS = ("vmas", "testvmas")
PUBLISHER = "Krisinformation.se"
SITE = "https://www.krisinformation.se/"
PACE = Pace(min_interval_s=60.0, backoff_s=300.0)
MAX_TITLE_CHARS = 500
MAX_TEXT_CHARS = 20_000

_PLACEHOLDER = re.compile(r"\{\d+\}[.,:;!]?")
_ALL_CLEAR = re.compile(r"faran (?:är )?över|faran har upphört|avblås|all clear|danger is over|danger has passed",
                        re.IGNORECASE)
_WARNINGS = {
    "bad_record": "records were not JSON objects and were skipped",
    "missing_id": "items without an Identifier were skipped",
    "empty_item": "items with neither headline nor text were skipped",
    "placeholder": "items had a template placeholder such as {0} in their text (removed)",
    "date_missing": "items without a date: the fetch time was used",
    "date_unparseable": "items with an unreadable date: the fetch time was used",
    "date_future": "items dated in the future: the fetch time was used",
}


class KrisinformationMonitor(PacedMonitor):
    """Krisinformation.se news and VMAs (API v3)."""

    name = "krisinformation"
    PACE = PACE

    def calls(self, source: SourceConfig) -> list[Call]:
        base = endpoint(source.url or DEFAULT_URL, DEFAULT_PATH)
        path, _, query = base.partition("?")
        last = path.rstrip("/").rsplit("/", 1)[-1].lower()
        if last in FEEDS + ("testvmas",):
            targets = [(last, base)]
        else:
            wanted = [f.lower() for f in as_list(source.options.get("feeds"), ";,")] or list(FEEDS)
            targets = [(f, path.rstrip("/") + "/" + f + (f"?{query}" if query else "")) for f in FEEDS if f in wanted]
        counties = as_list(source.options.get("counties"), ";,")
        params = [("language", str(source.options.get("language") or "")), ("counties", ",".join(counties)),
                  ("allCounties", "false" if counties else ""), ("includeTest", "true" if source.options.get("include_test") else "")]
        defaults = [("language", "sv"), ("allCounties", "true")]  # unless the URL or the options say otherwise
        return [Call(key, with_params(url, params + query_params(source), defaults)) for key, url in targets]

    def read(self, key: str, doc: Any, *, source: SourceConfig, now: datetime) -> tuple[list[Item], list[Problem]]:
        return read_items(doc, feed=key, source=source, now=now)


def read_items(doc: Any, *, feed: str, source: SourceConfig, now: datetime) -> tuple[list[Item], list[Problem]]:
    """The items of one answer (news or VMAs); pure, a bad record is skipped and counted."""
    records, problem = record_list(doc)
    if problem:
        return [], [problem]
    counts: dict[str, int] = {}
    site_url = source.options.get("site_url")
    site = site_url if isinstance(site_url, str) else SITE
    keep_tests = bool(source.options.get("include_test"))
    language = str(source.options.get("language") or "sv")[:2].lower()
    items = []
    for record in records:
        r = lower_keys(record)
        if not r:
            count_problem(counts, "bad_record")
            continue
        if not keep_tests and (r.get("istest") is True or text(r.get("istest")).lower() == "true"):
            continue  # a test message is not news: skipped without a problem
        item = _item(r, feed=feed, source=source, site=site, language=language, now=now, counts=counts)
        if item is not None:
            items.append(item)
    return items, counted_problems(counts, _WARNINGS)


def _item(r: dict[str, Any], *, feed: str, source: SourceConfig, site: str, language: str, now: datetime,
          counts: dict[str, int]) -> Item | None:
    record_id = text(r.get("identifier")).strip() or text(r.get("contentid")).strip()
    if not record_id:
        count_problem(counts, "missing_id")
        return None
    title = strip_html(text(r.get("headline")))[:MAX_TITLE_CHARS]
    preamble = strip_html(text(r.get("preamble")))
    push = strip_html(text(r.get("pushmessage")))
    body_html = text(r.get("bodytext"))
    if _PLACEHOLDER.search(body_html):
        count_problem(counts, "placeholder")
        body_html = _PLACEHOLDER.sub("", body_html)
    body = strip_html(body_html)
    parts = [preamble, body]
    if push and normalise_text(push) not in normalise_text(" ".join(parts)):
        parts.append(push)
    body_text = "\n".join(p for p in parts if p)[:MAX_TEXT_CHARS]
    if not title and not body_text:
        count_problem(counts, "empty_item")
        return None
    if not title:
        title = body_text[:120].rsplit(" ", 1)[0] + ("…" if len(body_text) > 120 else "")
    published_text = text(r.get("published")) or text(r.get("updated"))
    published = parse_time(published_text)
    stored, flag = trusted_published(published, now, unparseable=bool(published_text.strip()) and published is None)
    if flag:
        count_problem(counts, f"date_{flag}")
    sender = strip_html(text(r.get("sendername")))
    lang = (text(r.get("language"))[:2].lower() or language) or None
    raw: dict[str, Any] = {
        "authority": sender or None,
        "publisher": PUBLISHER,
        "record_id": record_id,
        "feed": "vmas" if feed in VMA_FEEDS else feed,
        "event": text(r.get("event")) or None,
        "push_message": push or None,
        "published": text(r.get("published")) or None,
        "updated": text(r.get("updated")) or None,
        "area": _area(r.get("area")),
        "links": _links(r.get("links")) + _links(r.get("bodylinks")),
    }
    if feed in VMA_FEEDS:
        raw["alert"] = "vma"
    if _ALL_CLEAR.search(" ".join((title, push, preamble))):
        raw["all_clear"] = True
    web = text(r.get("web")).strip()
    return Item(
        id=f"krisinformation:{raw['feed']}:{lang or language}:{record_id}",
        source=source.id,
        kind="official",
        url=canonical_url(web, site) if web else None,
        title=title,
        text=body_text,
        author=sender or PUBLISHER,
        published_at=stored,
        fetched_at=now,
        lang=lang,
        date_flag=flag,
        raw=raw,
    )


def _coordinate(area: dict[str, Any]) -> tuple[float, float] | None:
    co = lower_keys(area.get("coordinateobject"))
    where = point(co.get("latitude"), co.get("longitude"))
    if where:
        return where
    first = text(area.get("coordinate")).strip().split(" ")[0].split(",")  # "lon,lat alt": longitude first
    return point(first[1], first[0]) if len(first) == 2 else None


def _area(value: Any) -> dict[str, Any]:
    areas = [lower_keys(a) for a in value] if isinstance(value, list) else []
    names, county, municipality, where, how = [], None, None, None, None
    countries = []
    for area in areas:
        kind = text(area.get("type")).lower()
        name = strip_html(text(area.get("description")))
        if kind == "country":
            countries.append(name)
            continue
        names.append(name)
        if kind == "county" and county is None:
            county = name or None
        elif kind == "municipality" and municipality is None:
            municipality = name or None
        spot = _coordinate(area)
        if spot and (where is None or (kind == "poi" and how != "point")):
            where, how = spot, "point" if kind == "poi" else "area centroid"
    return area_record(names or countries, county=county, municipality=municipality, where=where, coordinates=how)


def _links(value: Any) -> list[dict[str, str]]:
    links = []
    for link in value if isinstance(value, list) else []:
        entry = lower_keys(link)
        url = canonical_url(text(entry.get("url")).strip() or None)
        if url:
            links.append({"text": strip_html(text(entry.get("text")))[:200], "url": url})
    return links[:20]
