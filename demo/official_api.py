"""The demo's official sources as their APIs answer: Polisen, Krisinformation, SMHI and Sveriges Radio's VMA.

Each function answers one authority's endpoint for one scenario feed (`FeedSpec.monitor`) at the replay
server's simulated time: a record appears once the clock passes its publish time, and an item's later
version replaces it, as in the RSS replay. Shapes follow shared/API-NOTES.md (sections 1, 2 and 7) and
the fixtures in tests/fixtures/api/; every answer has an ETag and honours If-None-Match (304).

* **Polisen** (`polisen`): `GET /api/events`, a bare JSON array, newest first: `id` (int), `datetime` (the
  publish or update time, hour not zero-padded: "2026-03-24 9:45:00 +01:00"), `name` (the item's title,
  "24 mars 09.40, Övrigt, Stockholm": the event time is only there), `summary`, `url` (relative to
  polisen.se), `type`, `location` {name, gps "lat,lng" of the place's centre}. Filters `locationname` and
  `type` (";" between several, exact names), `DateTime` (a date prefix: 2026, 2026-03, 2026-03-24). A
  request without a descriptive User-Agent is refused with an HTML 403, as polisen.se's rules say.
* **Krisinformation** (`krisinformation`): `GET /v3/news` and `/v3/vmas` (an item goes to the VMA list
  when its `api.endpoint` is "vmas"), `/v3/testvmas` ([]): bare arrays of PascalCase records (Identifier,
  PushMessage, Updated, Published, Headline, Preamble, BodyText, Area, Web, Event, SenderName, ...). An
  edit keeps the Identifier; with `api.keep_updated` it also keeps `Updated` and replaces PushMessage and
  Preamble, as the recorded all-clear did. `SenderName` is "" for Krisinformation's own items (a
  recorded quirk). `language`, `counties` and `allCounties` are accepted; the exercise has only
  Stockholm and national items, so no county filter is applied.
* **SMHI** (`smhi`): `GET /ibww/api/version/1/warning.json`, an array of warnings, each with one warning
  area built from the item's `api` table (event, level, area, start and end in Stockholm time).
* **Sveriges Radio VMA** (`vma`): `GET /api/v3/alerts` {timestamp, alerts: [CAP 1.2 as JSON]}: each
  version of an item is its own message (the first an Alert, later ones `api.update_type`, default Update,
  with `references` to the first), status Exercise. `geocode` keeps alerts with a geocode starting with it.

Imports: the mediebild core and demo's own modules (platforms, scenario).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, time
from typing import Any, Callable

from mediebild.demo.platforms import Answer, ApiRequest, json_answer
from mediebild.demo.scenario import DAY, FeedSpec, Scenario, ScenarioItem, Version
from mediebild.timeutil import STOCKHOLM

# Centres of the places the exercise's police notices name ("lat,lng", as the API gives them).
PLACES = {
    "stockholm": "59.329324,18.068581", "t-centralen": "59.329324,18.068581", "sergels torg": "59.329324,18.068581",
    "solna": "59.36004,18.000967", "sigtuna": "59.617251,17.723562", "arlanda": "59.617251,17.723562",
    "södertälje": "59.195363,17.625689", "huddinge": "59.237061,17.981869", "nacka": "59.310517,18.163948",
    "täby": "59.443919,18.068706", "stockholms län": "59.602496,18.138438",
}
COUNTRY_AREA = {"Type": "Country", "Description": "Sverige", "Coordinate": "17.5,62.5 0",
                "CoordinateObject": {"Latitude": "62.5", "Longitude": "17.5", "Altitude": "0"}, "GeometryInformation": None}
COUNTY_AREA = {"Type": "County", "Description": "Stockholms län", "Coordinate": "18.0686,59.3293 0",
               "CoordinateObject": {"Latitude": "59.3293", "Longitude": "18.0686", "Altitude": "0"}, "GeometryInformation": None}
LEVELS = {"MESSAGE": ("Meddelande", "Message"), "YELLOW": ("Gul", "Yellow"), "ORANGE": ("Orange", "Orange"),
          "RED": ("Röd", "Red")}
EXERCISE_NOTE = "Övningsmaterial i mediebilds demo – inte en verklig varning."
_AGENTS_REFUSED = ("", "python-httpx", "python-requests", "curl", "wget", "go-http-client", "java")
_UPDATED_NOTE = re.compile(r"\s*\(uppdaterad[^)]*\)\s*$")


def answer(scenario: Scenario, feed: FeedSpec, request: ApiRequest, now: datetime, state: object = None) -> Answer:
    """Dispatch a request below an official feed's mount to its authority's endpoint (GET only)."""
    handlers: dict[str, Callable[[Scenario, FeedSpec, ApiRequest, datetime], Answer]] = {
        "polisen": polisen_api, "krisinformation": krisinformation_api, "smhi": smhi_api, "vma": vma_api,
    }
    if request.method not in ("GET", "HEAD"):
        return json_answer(405, {"message": "Method Not Allowed"})
    return _conditional(request, handlers[feed.monitor](scenario, feed, request, now))


def _conditional(request: ApiRequest, result: Answer) -> Answer:
    status, headers, body = result
    if status != 200:
        return result
    etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
    headers = {**headers, "ETag": etag, "Cache-Control": "max-age=60"}
    wanted = [t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",") if t.strip()]
    if etag in wanted or "*" in wanted:
        return 304, {k: v for k, v in headers.items() if k != "Content-Type"}, b""
    return 200, headers, body


def _shown(scenario: Scenario, feed: FeedSpec, now: datetime) -> list[tuple[ScenarioItem, Version]]:
    return scenario.visible(feed.id, now, limit=None)


def _local(value: datetime) -> datetime:
    return value.astimezone(STOCKHOLM)


def _iso(value: datetime) -> str:
    return _local(value).isoformat(timespec="seconds")


def _clock(hhmm: Any) -> datetime | None:
    """"HH:MM" Stockholm time on the scenario day (a table value of the scenario), or None."""
    try:
        return datetime.combine(DAY, time.fromisoformat(str(hhmm)), tzinfo=STOCKHOLM)
    except ValueError:
        return None


# -- Polisen -----------------------------------------------------------------------------------------


def polisen_api(scenario: Scenario, feed: FeedSpec, request: ApiRequest, now: datetime) -> Answer:
    if request.path.rstrip("/") != "/api/events":
        return 404, {"Content-Type": "text/html; charset=utf-8"}, b"<html><body><h1>Sidan kunde inte hittas</h1></body></html>"
    agent = request.headers.get("user-agent", "").strip().lower()
    if any(agent.startswith(refused) for refused in _AGENTS_REFUSED if refused) or not agent:
        page = ("<html><head><title>403 Forbidden</title></head><body><h1>Åtkomst nekad</h1><p>Ange en beskrivande "
                "User-Agent med kontaktuppgifter, se Regler för öppna data.</p></body></html>")
        return 403, {"Content-Type": "text/html; charset=utf-8"}, page.encode("utf-8")
    places = {p.strip().casefold() for p in (request.arg("locationname") or "").split(";") if p.strip()}
    types = {t.strip().casefold() for t in (request.arg("type") or "").split(";") if t.strip()}
    day = (request.arg("DateTime") or "").strip()
    events = [_event(item, version) for item, version in _shown(scenario, feed, now)]
    events = [e for e in events if (not places or e["location"]["name"].casefold() in places)
              and (not types or e["type"].casefold() in types) and (not day or e["datetime"].startswith(day))]
    events.sort(key=lambda e: e["datetime"], reverse=True)
    return json_answer(200, events)


def _event(item: ScenarioItem, version: Version) -> dict[str, Any]:
    parts = [p.strip() for p in _UPDATED_NOTE.sub("", version.title).split(",")]
    place = parts[-1] if len(parts) >= 3 else "Stockholms län"
    kind = ", ".join(parts[1:-1]) if len(parts) >= 3 else "Övrigt"
    at = _local(version.at)
    return {
        "id": int(item.post_id),
        "datetime": f"{at:%Y-%m-%d} {at.hour}:{at:%M:%S} {_offset(at)}",  # the hour not zero-padded
        "name": version.title,
        "summary": version.text,
        "url": "/" + item.url.split("://", 1)[-1].split("/", 1)[-1],
        "type": kind,
        "location": {"name": place, "gps": PLACES.get(place.casefold(), PLACES["stockholms län"])},
    }


def _offset(value: datetime) -> str:
    raw = f"{value:%z}"  # +0100
    return f"{raw[:3]}:{raw[3:]}"


# -- Krisinformation ---------------------------------------------------------------------------------


def krisinformation_api(scenario: Scenario, feed: FeedSpec, request: ApiRequest, now: datetime) -> Answer:
    endpoint = request.path.rstrip("/").rsplit("/", 1)[-1].lower()
    if not request.path.lower().startswith("/v3/") or endpoint not in ("news", "vmas", "testvmas"):
        return json_answer(404, {"Message": "No HTTP resource was found that matches the request URI."})
    if endpoint == "testvmas":
        return json_answer(200, [])
    records = [_kris_record(item, version, n)
               for item, version in _shown(scenario, feed, now)
               for n in [item.versions.index(version)]
               if (item.api.get("endpoint") == "vmas") == (endpoint == "vmas")]
    return json_answer(200, records)


def _kris_record(item: ScenarioItem, version: Version, n: int) -> dict[str, Any]:
    api = item.api
    all_clear_edit = n > 0 and bool(api.get("keep_updated"))
    push = version.text if all_clear_edit else (str(api.get("push", "")) if n == 0 else "")
    areas: list[dict[str, Any]] = [COUNTRY_AREA]
    if api.get("area") or "stockholm" in (version.title + version.text).lower():
        areas.append(COUNTY_AREA)
    if api.get("area"):
        lon_lat = str(api.get("coordinate", "18.0686,59.3293"))
        lon, lat = lon_lat.split(",")
        areas.append({"Type": "PoI", "Description": str(api["area"]), "Coordinate": lon_lat,
                      "CoordinateObject": {"Latitude": lat, "Longitude": lon, "Altitude": None}, "GeometryInformation": None})
    sender = "" if item.author in (None, "Krisinformation.se") else item.author
    vma = api.get("endpoint") == "vmas"
    return {
        "Identifier": item.post_id,
        "PushMessage": push + ("\n\n" if push else ""),
        "Updated": _iso(item.published if all_clear_edit else version.at),
        "Published": _iso(item.published),
        "Headline": version.title,
        "Preamble": version.text + "\n\n",
        "BodyText": str(api.get("body", "")),
        "ImageLink": None,
        "Links": [],
        "Area": areas,
        "Web": item.url,
        "Language": "sv",
        "Event": "Alert" if vma else "News",
        "SenderName": sender,
        "Push": bool(push),
        "BodyLinks": [],
        "SourceID": 1 if vma else 3,
        "IsTest": False,
    }


# -- SMHI --------------------------------------------------------------------------------------------


def smhi_api(scenario: Scenario, feed: FeedSpec, request: ApiRequest, now: datetime) -> Answer:
    if request.path.rstrip("/") != "/ibww/api/version/1/warning.json":
        return json_answer(404, {"message": "Not found"})
    return json_answer(200, [_warning(item, version) for item, version in _shown(scenario, feed, now)])


def _warning(item: ScenarioItem, version: Version) -> dict[str, Any]:
    api = item.api
    level = str(api.get("level", "YELLOW")).upper()
    sv_level, en_level = LEVELS.get(level, (level.title(), level.title()))
    start, end = _clock(api.get("start")), _clock(api.get("end"))

    def both(sv: Any, en: Any, code: str | None = None) -> dict[str, Any]:
        out = {"sv": str(sv or ""), "en": str(en or "")}
        return {**out, "code": code} if code else out

    area = {
        "id": int(item.post_id) * 10 + 1,
        "created": _iso(item.published), "published": _iso(version.at),
        "approximateStart": _iso(start) if start else None, "approximateEnd": _iso(end) if end else None,
        "normalProbability": True, "pushNotice": level != "MESSAGE",
        "areaName": both(api.get("area"), api.get("area_en")),
        "warningLevel": both(sv_level, en_level, level),
        "eventDescription": both(api.get("description"), api.get("description_en"), str(api.get("event_code", "")) + "_EVENT"),
        "affectedAreas": [{"id": int(api.get("area_id", 1)), "sv": str(api.get("area", "")), "en": str(api.get("area_en", ""))}],
        "descriptions": [
            {"title": both("Var", "Where", "WHERE"), "text": both(api.get("where"), api.get("area_en"))},
            {"title": both("Vad händer", "What happens", "INCIDENT"), "text": both(version.text, api.get("description_en"))},
            {"title": both("Övning", "Exercise", "EXERCISE"), "text": both(EXERCISE_NOTE, "Exercise material, not a real warning.")},
        ],
        "area": {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[
            [17.6, 59.1], [18.9, 59.1], [18.9, 60.1], [17.6, 60.1], [17.6, 59.1]]]}},
    }
    return {
        "id": int(item.post_id),
        "normalProbability": True,
        "event": {**both(api.get("event"), api.get("event_en"), str(api.get("event_code", ""))),
                  "mhoClassification": both("Meteorologi", "Meteorology", "MET")},
        "descriptions": [],
        "warningAreas": [area],
    }


# -- Sveriges Radio VMA ------------------------------------------------------------------------------


def vma_api(scenario: Scenario, feed: FeedSpec, request: ApiRequest, now: datetime) -> Answer:
    if request.path.rstrip("/") != "/api/v3/alerts":
        return json_answer(404, {"message": "Not found"})
    wanted = (request.arg("geocode") or "").strip()
    alerts = []
    for item, version in _shown(scenario, feed, now):
        for n, shown in enumerate(item.versions):
            if shown.at <= version.at:
                alerts.append(_cap(item, shown, n))
    if wanted:
        alerts = [a for a in alerts if not a["_codes"] or any(code.startswith(wanted) for code in a["_codes"])]
    alerts.sort(key=lambda a: a["sent"], reverse=True)
    for alert in alerts:
        alert.pop("_codes")
    return json_answer(200, {"timestamp": _iso(now), "alerts": alerts})


def _cap(item: ScenarioItem, version: Version, n: int) -> dict[str, Any]:
    api = item.api
    first = f"SR-VMA-OVNING-{item.post_id}"
    codes = [str(c) for c in api.get("geocodes", [])]
    expires = _clock(api.get("expires"))
    area: dict[str, Any] = {"areaDesc": str(api.get("area", "Stockholms län")),
                            "geocode": [{"valueName": "Länskod" if len(c) == 2 else "Kommunkod", "value": c} for c in codes]}
    if api.get("circle"):
        area["circle"] = [str(api["circle"])]
    return {
        "identifier": first if n == 0 else f"{first}-{n + 1}",
        "sender": "vma@sr.se",
        "sent": _iso(version.at),
        "status": "Exercise",
        "msgType": "Alert" if n == 0 else str(api.get("update_type", "Update")),
        "scope": "Public",
        "references": None if n == 0 else f"vma@sr.se,{first},{_iso(item.published)}",
        "incidents": f"SR-INC-OVNING-{item.post_id}",
        "note": "Övningsmeddelande i mediebilds demo",
        "info": [{
            "language": "sv-SE", "category": ["Fire" if "brand" in version.title.lower() else "Safety"],
            "event": "Viktigt meddelande till allmänheten (VMA)", "urgency": "Immediate" if n == 0 else "Past",
            "severity": "Severe" if n == 0 else "Minor", "certainty": "Observed", "senderName": item.author,
            "headline": version.title, "description": version.text,
            "instruction": str(api.get("instruction")) if n == 0 and api.get("instruction") else None,
            "web": item.url, "expires": _iso(expires) if expires else None, "area": [area],
        }],
        "_codes": codes,
    }
