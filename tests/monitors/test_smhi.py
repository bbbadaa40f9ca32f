"""SMHI impact-based warnings against a local server: one item per warning area, filtered to chosen areas."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mediebild.monitors.base import FetchResult, SourceConfig
from mediebild.monitors.http import HttpLimits
from mediebild.monitors.smhi import SmhiMonitor

pytestmark = pytest.mark.usefixtures("official_env")

NOW = datetime(2026, 3, 24, 10, 0, tzinfo=timezone.utc)
LIMITS = HttpLimits(connect_timeout=1.0, read_timeout=2.0, deadline=5.0)
JSON = "application/json"
PATH = "/ibww/api/version/1/warning.json"


def source(url: str = "https://opendata-download-warnings.smhi.se" + PATH, **options) -> SourceConfig:
    return SourceConfig(id="smhi", monitor="smhi", url=url, name="SMHI", options=options)


def parsed(api, name: str, src: SourceConfig | None = None, cursor: dict | None = None):
    fetched = FetchResult(url=source().url, status=200, body=api(f"smhi/{name}"), cursor=cursor or {})
    return SmhiMonitor().parse(src or source(), fetched, now=NOW)


def test_each_warning_area_is_an_official_item(api):
    result = parsed(api, "warnings.json")
    assert result.problems == []
    items = {i.id: i for i in result.items}
    assert set(items) == {"smhi:4101:9901", "smhi:4101:9902", "smhi:3122:9873"}
    wind = items["smhi:4101:9901"]
    assert wind.title == "Gul varning: Mycket hårda vindbyar, Stockholms skärgård"
    assert wind.text.startswith("Var: Stockholms skärgård och kust.\nVad händer: Vindbyar upp till 30 m/s.")
    assert wind.kind == "official" and wind.author == "SMHI" and wind.url is None and wind.lang == "sv"
    assert wind.published_at == datetime(2026, 3, 24, 6, 10, tzinfo=timezone.utc)
    assert wind.raw["level"] == "YELLOW" and wind.raw["event_code"] == "WIND"
    assert wind.raw["valid_from"] == "2026-03-24T12:00:00.000Z"
    area = wind.raw["area"]
    assert area["county"] == "Stockholms län" and area["codes"] == ["1"]
    assert area["names"] == ["Stockholms skärgård", "Stockholms län"]
    assert area["coordinates"] == "polygon centroid" and abs(area["lat"] - 59.4) < 0.05 and abs(area["lon"] - 18.6) < 0.05
    uppsala = items["smhi:4101:9902"]
    assert uppsala.raw["area"]["lat"] == pytest.approx(60.1, abs=0.1)  # from a FeatureCollection
    water = items["smhi:3122:9873"]
    assert water.title == "Meddelande: Risk för vattenbrist - Grundvatten och vattendrag, Skåne län"
    assert "lat" not in water.raw["area"]  # an empty polygon gives no centre


def test_english_titles(api):
    items = {i.id: i for i in parsed(api, "warnings.json", source(language="en")).items}
    assert items["smhi:4101:9902"].title == "Orange warning: Very strong wind gusts, Uppsala County"
    assert items["smhi:4101:9902"].lang == "en"


@pytest.mark.parametrize("options, expected", [
    ({"areas": [1]}, {"smhi:4101:9901"}),
    ({"areas": "Uppsala län;skåne län"}, {"smhi:4101:9902", "smhi:3122:9873"}),
    ({"areas": ["Stockholm County"]}, {"smhi:4101:9901"}),
    ({"levels": "YELLOW;ORANGE;RED"}, {"smhi:4101:9901", "smhi:4101:9902"}),
    ({"areas": [12], "levels": ["RED"]}, set()),
])
def test_area_and_level_filters(api, options, expected):
    assert {i.id for i in parsed(api, "warnings.json", source(**options)).items} == expected


def test_a_raised_level_is_a_new_version_of_the_same_item(api):
    first = parsed(api, "warnings.json")
    second = parsed(api, "warnings-raised.json", cursor=first.cursor)
    (raised,) = second.items
    assert raised.id == "smhi:4101:9901" and raised.title.startswith("Orange varning:")
    assert raised.content_hash != next(i for i in first.items if i.id == raised.id).content_hash


def test_fetch_from_a_bare_base_url_with_spacing(httpserver, api, clock):
    httpserver.expect_request(PATH).respond_with_data(api("smhi/warnings.json"), content_type=JSON)
    src = source(httpserver.url_for("/"), areas=[1])
    monitor = SmhiMonitor(LIMITS, clock=clock)
    fetched = monitor.fetch(src, {}, now=NOW)
    assert fetched.status == 200 and "contact: beredskap@example.se" in httpserver.log[0][0].headers["User-Agent"]
    assert [i.id for i in monitor.parse(src, fetched, now=NOW).items] == ["smhi:4101:9901"]
    clock.advance(59)
    assert monitor.fetch(src, fetched.cursor, now=NOW).deferred and len(httpserver.log) == 1
    fast = source(httpserver.url_for("/"), min_interval_s=0)
    assert not monitor.fetch(fast, fetched.cursor, now=NOW).deferred


@pytest.mark.parametrize("body, status, code, severity", [
    ("smhi/empty.json", 200, None, None),
    ("maintenance.html", 200, "not_json", "error"),
    ("too-many-requests.html", 429, "rate_limited", "warning"),
    ("maintenance.html", 503, "http_503", "error"),
])
def test_empty_html_and_error_answers(httpserver, api, clock, body, status, code, severity):
    httpserver.expect_request(PATH).respond_with_data(api(body), status=status, content_type="text/html")
    src = source(httpserver.url_for(PATH))
    monitor = SmhiMonitor(LIMITS, clock=clock)
    fetched = monitor.fetch(src, {}, now=NOW)
    result = monitor.parse(src, fetched, now=NOW)
    assert result.items == [] and [(p.code, p.severity) for p in result.problems] == ([(code, severity)] if code else [])
    if code == "rate_limited":  # no Retry-After: the source backs off five minutes
        assert fetched.deferred_until is None
        assert monitor.fetch(src, fetched.cursor, now=NOW).deferred_until == clock.now + timedelta(minutes=5)
