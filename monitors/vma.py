"""Sveriges Radio's VMA API (`vma`): "Viktigt meddelande till allmänheten", for chosen counties, as alerts.

Source: URL is the alerts endpoint (default https://vmaapi.sr.se/api/v3/alerts; a bare base such as
http://127.0.0.1:PORT gets the path /api/v3/alerts). Options: `counties` (county codes such as "01" or
names such as "Stockholms län", a list or a ";"-string), `language` (sv by default: the CAP info block
in that language, else the first), `include_exercises` (keep status Exercise, off by default), `query`,
`contact`, `min_interval_s` (60 s by default; SR documents no numeric limit).

The answer (CAP 1.2 as JSON, API-NOTES §7 [3P]) is {timestamp, alerts: [{identifier, sender, sent,
status, msgType, references, incidents, info: [{language, event, headline, description, instruction,
senderName, web, expires, severity, urgency, certainty, area: [{areaDesc, geocode[{valueName, value}],
circle, polygon}]}]}]}; `alerts` is [] when nothing is active; a bare list is read too. Kept: status
Actual (and Exercise when asked), msgType Alert, Update and Cancel; tests, drafts, system messages,
Ack and Error are left out without a problem. A Cancel may have no info: its title is then
"VMA avslutat" ("VMA cancelled" in English) and it points at what it ends through raw `references`.

County filter: with one county code the API is asked for it (`geocode`, [3P]); whatever the API does,
alerts are also filtered here: an alert is kept when one of its geocodes starts with a wanted code
(municipality codes start with their county's), or its areaDesc contains a wanted name, or it names no
area or the whole country (a VMA without geography is kept rather than lost).

Every item of this monitor is an alert: raw `alert` is "vma" (reports and the brief test that key;
Krisinformation's VMA feed sets it too). Item id `vma:<identifier>`: each CAP message (alert, update,
cancel) is its own item, linked by raw `references` and `incidents`.

Raw keys (see official.py): alert "vma", authority (senderName, else sender), record_id, sender, status,
msg_type, references (identifiers), incidents, event, severity, urgency, certainty, expires, area
{names (areaDesc), county and municipality (the parts of areaDesc ending in "län" and "kommun"), lat, lon,
coordinates "polygon centroid" (CAP circle or polygon), codes: geocode values}.

Imports: the core and monitors.base/http/official only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mediebild.items import Item, canonical_url, strip_html, trusted_published
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

DEFAULT_URL = "https://vmaapi.sr.se/api/v3/alerts"
DEFAULT_PATH = "/api/v3/alerts"
PACE = Pace(min_interval_s=60.0, backoff_s=300.0)
MSG_TYPES = {"alert", "update", "cancel"}
NATIONAL = {"sverige", "hela sverige", "hela landet", "sweden", "whole of sweden"}
MAX_TEXT_CHARS = 20_000

_WARNINGS = {
    "bad_record": "alerts were not JSON objects and were skipped",
    "missing_id": "alerts without an identifier were skipped",
    "date_missing": "alerts without a sent time: the fetch time was used",
    "date_unparseable": "alerts with an unreadable sent time: the fetch time was used",
    "date_future": "alerts sent in the future: the fetch time was used",
}


class VmaMonitor(PacedMonitor):
    """Sveriges Radio's VMA API (CAP alerts), filtered to the counties the source names."""

    name = "vma"
    PACE = PACE

    def calls(self, source: SourceConfig) -> list[Call]:
        codes = [c for c in as_list(source.options.get("counties"), ";,") if c.isdigit()]
        params = [("geocode", codes[0] if len(codes) == 1 else "")] + query_params(source)
        return [Call("alerts", with_params(endpoint(source.url or DEFAULT_URL, DEFAULT_PATH), params))]

    def read(self, key: str, doc: Any, *, source: SourceConfig, now: datetime) -> tuple[list[Item], list[Problem]]:
        return read_alerts(doc, source=source, now=now)


def read_alerts(doc: Any, *, source: SourceConfig, now: datetime) -> tuple[list[Item], list[Problem]]:
    """The alerts of one answer as items (pure; a bad record is skipped and counted)."""
    records, problem = record_list(doc) if isinstance(doc, list) else record_list(doc, "alerts")
    if problem:
        return [], [problem]
    language = str(source.options.get("language") or "sv").lower()[:2]
    statuses = {"actual", "exercise"} if source.options.get("include_exercises") else {"actual"}
    wanted = as_list(source.options.get("counties"), ";,")
    counts: dict[str, int] = {}
    items = []
    for record in records:
        alert = lower_keys(record)
        if not alert:
            count_problem(counts, "bad_record")
            continue
        if text(alert.get("status")).lower() not in statuses or text(alert.get("msgtype")).lower() not in MSG_TYPES:
            continue  # tests, drafts, system messages, acks: not for the public
        if not text(alert.get("identifier")).strip():
            count_problem(counts, "missing_id")
            continue
        infos = [lower_keys(i) for i in list_of(alert, "info")]
        infos = [i for i in infos if i]
        info = next((i for i in infos if text(i.get("language")).lower().startswith(language)), infos[0] if infos else {})
        areas = [lower_keys(a) for a in list_of(info, "area")]
        if wanted and not _in_counties([a for a in areas if a], wanted):
            continue
        items.append(_item(alert, info, [a for a in areas if a], source=source, language=language, now=now, counts=counts))
    return items, counted_problems(counts, _WARNINGS)


def _codes(area: dict[str, Any]) -> list[str]:
    codes = []
    for code in list_of(area, "geocode"):
        value = text(lower_keys(code).get("value")).strip()
        if value:
            codes.append(value)
    return codes


def _in_counties(areas: list[dict[str, Any]], wanted: list[str]) -> bool:
    names = [strip_html(text(a.get("areadesc"))).casefold() for a in areas]
    if not areas or (not any(names) and not any(_codes(a) for a in areas)) or any(n in NATIONAL for n in names):
        return True
    codes = [c for a in areas for c in _codes(a)]
    for want in wanted:
        if want.isdigit() and any(code.startswith(want) for code in codes):
            return True
        if not want.isdigit() and any(want.casefold() in name for name in names):
            return True
    return False


def _shape_points(area: dict[str, Any]) -> list[tuple[float, float] | None]:
    """Vertices of CAP polygons ("lat,lon lat,lon ...") and centres of circles ("lat,lon radius")."""
    points = []
    for key in ("polygon", "circle"):
        shapes = area.get(key)
        for shape in shapes if isinstance(shapes, list) else [shapes]:
            tokens = text(shape).split()
            for token in tokens[:1] if key == "circle" else tokens[:5000]:
                pair = token.split(",")
                if len(pair) == 2:
                    points.append(point(pair[0], pair[1]))
    return points


def _item(alert: dict[str, Any], info: dict[str, Any], areas: list[dict[str, Any]], *, source: SourceConfig,
          language: str, now: datetime, counts: dict[str, int]) -> Item:
    identifier = text(alert.get("identifier")).strip()
    msg_type = text(alert.get("msgtype")).capitalize()
    sv = language != "en"
    title = strip_html(text(info.get("headline"))) or strip_html(text(info.get("event")))
    if not title:
        title = ("VMA avslutat" if sv else "VMA cancelled") if msg_type == "Cancel" else "VMA"
    body = "\n".join(p for p in (strip_html(text(info.get("description"))), strip_html(text(info.get("instruction")))) if p)
    sent_text = text(alert.get("sent"))
    sent = parse_time(sent_text)
    stored, flag = trusted_published(sent, now, unparseable=bool(sent_text.strip()) and sent is None)
    if flag:
        count_problem(counts, f"date_{flag}")
    sender = text(alert.get("sender")).strip()
    authority = strip_html(text(info.get("sendername"))) or sender or None
    names = [strip_html(text(a.get("areadesc"))) for a in areas]
    parts = [part.strip() for name in names for part in name.split(",")]  # "Sundbybergs kommun, Stockholms län"
    county = next((p for p in parts if p.lower().endswith(" län")), None)
    municipality = next((p for p in parts if p.lower().endswith(" kommun")), None)
    references = [ref.split(",")[1] if ref.count(",") >= 2 else ref for ref in text(alert.get("references")).split()]
    raw = {
        "alert": "vma",
        "authority": authority,
        "record_id": identifier,
        "sender": sender or None,
        "status": text(alert.get("status")) or None,
        "msg_type": msg_type or None,
        "references": references,
        "incidents": text(alert.get("incidents")).split(),
        "event": strip_html(text(info.get("event"))) or None,
        "severity": text(info.get("severity")) or None,
        "urgency": text(info.get("urgency")) or None,
        "certainty": text(info.get("certainty")) or None,
        "expires": text(info.get("expires")) or None,
        "area": area_record(names, county=county, municipality=municipality,
                            where=centroid(p for a in areas for p in _shape_points(a)), coordinates="polygon centroid",
                            codes=[c for a in areas for c in _codes(a)]),
    }
    web = text(info.get("web")).strip()
    return Item(
        id=f"vma:{identifier}",
        source=source.id,
        kind="official",
        url=canonical_url(web) if web else None,
        title=title[:500],
        text=body[:MAX_TEXT_CHARS],
        author=authority,
        published_at=stored,
        fetched_at=now,
        lang=(text(info.get("language"))[:2].lower() or language) or None,
        date_flag=flag,
        raw=raw,
    )
