"""SMHI's impact-based weather warnings (`smhi`), for chosen areas, as official items.

Source: URL is the warnings document (default
https://opendata-download-warnings.smhi.se/ibww/api/version/1/warning.json; a bare base such as
http://127.0.0.1:PORT gets the path /ibww/api/version/1/warning.json). Options: `areas` (SMHI warning
areas to keep, by id or name: [1, "Uppsala län"], or "Stockholms län;Uppsala län"; matched against each
warning area's `affectedAreas` and `areaName`; without it every area is kept), `levels` (warning-level
codes to keep, e.g. "YELLOW;ORANGE;RED" to leave out MESSAGE; all by default), `language` (sv or en,
sv by default), `query`, `contact`, `min_interval_s` (60 s by default; no numeric limit is documented).

The answer (API-NOTES §7, [3P]: shape as recorded in third-party tests) is a JSON array of warnings
{id, event{sv, en, code}, warningAreas[{id, published, created, approximateStart, approximateEnd,
warningLevel{sv, en, code}, eventDescription{sv, en, code}, areaName{sv, en}, affectedAreas[{id, sv, en}],
descriptions[{title{sv, en}, text{sv, en}}], area (GeoJSON)}]}. Each warning area is one item
(`smhi:<warning id>:<area id>`), since level and wording differ between areas of one warning; a
changed text or level is a new version of the same item. The GeoJSON polygon is not stored: only the
mean of its vertices (a rough centre) and the affected areas' names and ids.

Raw keys (see official.py): authority "SMHI", record_id "<warning id>/<area id>", event_type, event_code,
level (MESSAGE, YELLOW, ORANGE, RED), level_name, valid_from, valid_until (the API's approximate
start and end, ISO strings or None), area {names, county, lat, lon, coordinates "polygon centroid",
codes: the SMHI area ids}.

Imports: the core and monitors.base/http/official only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator

from mediebild.items import Item, strip_html, trusted_published
from mediebild.monitors.base import Problem, SourceConfig
from mediebild.monitors.official import (
    Call,
    Pace,
    PacedMonitor,
    area_record,
    as_list,
    centroid,
    count_problem,
    counted_problems,
    endpoint,
    list_of,
    lower_keys,
    parse_time,
    point,
    query_params,
    record_list,
    text,
    with_params,
)

DEFAULT_URL = "https://opendata-download-warnings.smhi.se/ibww/api/version/1/warning.json"
DEFAULT_PATH = "/ibww/api/version/1/warning.json"
AUTHORITY = "SMHI"
PACE = Pace(min_interval_s=60.0, backoff_s=300.0)
MAX_POINTS = 20_000
MAX_TEXT_CHARS = 20_000

_WARNINGS = {
    "bad_record": "warnings or warning areas were not JSON objects and were skipped",
    "missing_id": "warnings without an id were skipped",
    "date_missing": "warning areas without a date: the fetch time was used",
    "date_unparseable": "warning areas with an unreadable date: the fetch time was used",
    "date_future": "warning areas dated in the future: the fetch time was used",
}


class SmhiMonitor(PacedMonitor):
    """SMHI impact-based warnings, filtered to the areas the source names."""

    name = "smhi"
    PACE = PACE

    def calls(self, source: SourceConfig) -> list[Call]:
        return [Call("warnings", with_params(endpoint(source.url or DEFAULT_URL, DEFAULT_PATH), query_params(source)))]

    def read(self, key: str, doc: Any, *, source: SourceConfig, now: datetime) -> tuple[list[Item], list[Problem]]:
        return read_warnings(doc, source=source, now=now)


def _lang(value: Any, language: str) -> str:
    """The text of an {sv, en, code} object in `language`, else Swedish."""
    d = lower_keys(value)
    return strip_html(text(d.get(language)) or text(d.get("sv")))


def _wanted_area(area: dict[str, Any], wanted: set[str]) -> bool:
    if not wanted:
        return True
    keys = {_lang(area.get("areaname"), "sv").casefold(), _lang(area.get("areaname"), "en").casefold()}
    for affected in list_of(area, "affectedareas"):
        a = lower_keys(affected)
        keys |= {text(a.get("id")).casefold(), text(a.get("sv")).casefold(), text(a.get("en")).casefold()}
    return bool(wanted & (keys - {""}))


def read_warnings(doc: Any, *, source: SourceConfig, now: datetime) -> tuple[list[Item], list[Problem]]:
    """The warning areas of one answer as items (pure; a bad record is skipped and counted)."""
    records, problem = record_list(doc)
    if problem:
        return [], [problem]
    language = "en" if str(source.options.get("language") or "sv").lower().startswith("en") else "sv"
    wanted = {a.casefold() for a in as_list(source.options.get("areas"), ";,")}
    levels = {lv.upper() for lv in as_list(source.options.get("levels"), ";,")}
    counts: dict[str, int] = {}
    items = []
    for record in records:
        warning = lower_keys(record)
        warning_id = text(warning.get("id")).strip()
        if not warning or not warning_id:
            count_problem(counts, "bad_record" if not warning else "missing_id")
            continue
        areas = list_of(warning, "warningareas")
        for raw_area in areas:
            area = lower_keys(raw_area)
            if not area:
                count_problem(counts, "bad_record")
                continue
            level = lower_keys(area.get("warninglevel"))
            if levels and text(level.get("code")).upper() not in levels:
                continue
            if _wanted_area(area, wanted):
                items.append(_item(warning, warning_id, area, source=source, language=language, now=now, counts=counts))
    return items, counted_problems(counts, _WARNINGS)


def _item(warning: dict[str, Any], warning_id: str, area: dict[str, Any], *, source: SourceConfig, language: str,
          now: datetime, counts: dict[str, int]) -> Item:
    sv = language == "sv"
    level = lower_keys(area.get("warninglevel"))
    level_code = text(level.get("code")).upper()
    level_name = _lang(level, language)
    event_name = _lang(warning.get("event"), language)
    what = _lang(area.get("eventdescription"), language) or event_name
    where = _lang(area.get("areaname"), language)
    affected = [lower_keys(a) for a in list_of(area, "affectedareas")]
    affected_names = [_lang(a, language) for a in affected]
    place = where or ", ".join(n for n in affected_names if n)
    if level_code == "MESSAGE" or not level_name:
        head = level_name or ("Meddelande" if sv else "Message")
    else:
        head = f"{level_name} {'varning' if sv else 'warning'}"
    title = f"{head}: {what}" + (f", {place}" if place else "")
    lines = []
    for description in list_of(area, "descriptions"):
        d = lower_keys(description)
        heading, body = _lang(d.get("title"), language), _lang(d.get("text"), language)
        if body:
            lines.append(f"{heading}: {body}" if heading else body)
    published_text = text(area.get("published")) or text(area.get("created"))
    published = parse_time(published_text)
    stored, flag = trusted_published(published, now, unparseable=bool(published_text.strip()) and published is None)
    if flag:
        count_problem(counts, f"date_{flag}")
    area_id = text(area.get("id")).strip() or where
    county = next((n for n in [_lang(a, "sv") for a in affected] + [_lang(area.get("areaname"), "sv")]
                   if n.lower().endswith(" län")), None)
    middle = centroid(p for p in _points(area.get("area")))
    raw = {
        "authority": AUTHORITY,
        "record_id": f"{warning_id}/{area_id}",
        "event_type": event_name or None,
        "event_code": text(lower_keys(warning.get("event")).get("code")) or None,
        "level": level_code or None,
        "level_name": level_name or None,
        "valid_from": text(area.get("approximatestart")) or None,
        "valid_until": text(area.get("approximateend")) or None,
        "area": area_record([where, *affected_names], county=county, where=middle, coordinates="polygon centroid",
                            codes=[text(a.get("id")) for a in affected]),
    }
    return Item(
        id=f"smhi:{warning_id}:{area_id}",
        source=source.id,
        kind="official",
        url=None,
        title=title[:500],
        text="\n".join(lines)[:MAX_TEXT_CHARS],
        author=AUTHORITY,
        published_at=stored,
        fetched_at=now,
        lang=language,
        date_flag=flag,
        raw=raw,
    )


def _points(geo: Any, depth: int = 0) -> Iterator[tuple[float, float] | None]:
    """(lat, lon) of the vertices of a GeoJSON object (lon first in GeoJSON), at most MAX_POINTS."""
    count = 0
    stack = [(geo, depth)]
    while stack and count < MAX_POINTS:
        node, level = stack.pop()
        if level > 8:
            continue
        if isinstance(node, dict):
            for key in ("features", "geometry", "geometries", "coordinates"):
                if key in node:
                    stack.append((node[key], level + 1))
        elif isinstance(node, list):
            if len(node) in (2, 3) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in node):
                count += 1
                yield point(node[1], node[0])
            else:
                stack.extend((child, level + 1) for child in node[:MAX_POINTS])
