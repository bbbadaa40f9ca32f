"""Sveriges Radio's VMA API against a local server: CAP alerts, county filters, every item an alert."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from mediebild.monitors.base import FetchResult, SourceConfig
from mediebild.monitors.http import HttpLimits
from mediebild.monitors.vma import VmaMonitor

pytestmark = pytest.mark.usefixtures("official_env")

NOW = datetime(2026, 3, 24, 10, 0, tzinfo=timezone.utc)
LIMITS = HttpLimits(connect_timeout=1.0, read_timeout=2.0, deadline=5.0)
JSON = "application/json"
PATH = "/api/v3/alerts"


def source(url: str = "https://vmaapi.sr.se" + PATH, **options) -> SourceConfig:
    return SourceConfig(id="vma", monitor="vma", url=url, name="VMA", options=options)


def parsed(body: bytes, src: SourceConfig | None = None):
    return VmaMonitor().parse(src or source(), FetchResult(url=source().url, status=200, body=body), now=NOW)


def test_alerts_updates_and_cancels_are_alert_items(api):
    result = parsed(api("vma/alerts.json"))
    assert result.problems == []
    items = {i.id: i for i in result.items}
    assert set(items) == {"vma:SR-VMA-20260324-0810", "vma:SR-VMA-20260324-0900", "vma:SR-VMA-20260323-2200-C",
                          "vma:SR-VMA-20260324-0700", "vma:SR-VMA-20260324-0930"}  # no exercise, no test
    assert all(i.raw["alert"] == "vma" and i.kind == "official" for i in items.values())
    fire = items["vma:SR-VMA-20260324-0810"]
    assert fire.title == "VMA: Brand med kraftig rökutveckling i Sundbyberg" and fire.lang == "sv"
    assert fire.text == "Det brinner i en industribyggnad i Rissne.\nRöken är giftig.\nGå inomhus och stäng dörrar, fönster och ventilation."
    assert fire.author == "Storstockholms brandförsvar" and fire.raw["sender"] == "vma@sr.se"
    assert fire.published_at == datetime(2026, 3, 24, 7, 10, tzinfo=timezone.utc)
    assert fire.raw["area"]["county"] == "Stockholms län" and fire.raw["area"]["municipality"] == "Sundbybergs kommun"
    assert fire.raw["area"]["codes"] == ["01", "0183"]
    assert fire.raw["area"]["lat"] == pytest.approx(59.36, abs=0.01) and fire.raw["area"]["coordinates"] == "polygon centroid"
    assert fire.raw["msg_type"] == "Alert" and fire.raw["incidents"] == ["SR-INC-20260324-1"]
    update = items["vma:SR-VMA-20260324-0900"]
    assert update.raw["msg_type"] == "Update" and update.raw["references"] == ["SR-VMA-20260324-0810"]
    cancel = items["vma:SR-VMA-20260323-2200-C"]
    assert cancel.title == "VMA avslutat" and cancel.text == "" and cancel.raw["references"] == ["SR-VMA-20260323-2200"]
    assert cancel.author == "vma@sr.se"


def test_english_info_block(api):
    items = {i.id: i for i in parsed(api("vma/alerts.json"), source(language="en")).items}
    fire = items["vma:SR-VMA-20260324-0810"]
    assert fire.title == "Important public announcement: fire in Sundbyberg" and fire.lang == "en"
    assert items["vma:SR-VMA-20260323-2200-C"].title == "VMA cancelled"


@pytest.mark.parametrize("counties, expected", [
    (["01"], {"0810", "0900", "2200-C", "0930"}),  # Stockholm by code; the cancel without area and the national one stay
    ("Skåne län", {"0700", "2200-C", "0930"}),
    ("0184", {"0900", "2200-C", "0930"}),  # a municipality code: only the update that names Solna
])
def test_county_filter_keeps_national_and_unplaced_alerts(api, counties, expected):
    items = parsed(api("vma/alerts.json"), source(counties=counties)).items
    assert {i.id.split("-", 3)[-1] for i in items} == expected


def test_exercises_when_asked(api):
    ids = {i.id for i in parsed(api("vma/alerts.json"), source(include_exercises=True)).items}
    assert "vma:SR-VMA-OVNING-1" in ids and "vma:SR-VMA-TEST-1" not in ids


def test_a_bare_list_is_read_and_odd_shapes_are_problems(api):
    alerts = json.loads(api("vma/alerts.json"))["alerts"]
    assert len(parsed(json.dumps(alerts).encode()).items) == 5
    result = parsed(b'{"timestamp": "2026-03-24T09:31:00+01:00", "alerts": null}')
    assert [(p.code, p.severity) for p in result.problems] == [("unexpected_shape", "error")]


def test_fetch_asks_for_one_county_and_resumes(httpserver, api, clock):
    httpserver.expect_request(PATH, query_string={"geocode": "01"}).respond_with_data(api("vma/alerts.json"), content_type=JSON)
    src = source(httpserver.url_for("/"), counties="01")
    monitor = VmaMonitor(LIMITS, clock=clock)
    first = monitor.parse(src, monitor.fetch(src, {}, now=NOW), now=NOW)
    assert len(first.items) == 4 and first.problems == []
    clock.advance(61)
    again = monitor.fetch(src, first.cursor, now=NOW)
    assert again.not_modified and len(httpserver.log) == 2
    assert monitor.parse(src, FetchResult(url=again.url, status=200, body=again.body, cursor=first.cursor), now=NOW).items == []


@pytest.mark.parametrize("body, status, code", [
    ("vma/empty.json", 200, None),
    ("too-many-requests.html", 200, "rate_limited"),
    ("maintenance.html", 200, "not_json"),
])
def test_empty_throttled_and_html_answers(httpserver, api, clock, body, status, code):
    httpserver.expect_request(PATH).respond_with_data(api(body), status=status)
    src = source(httpserver.url_for(PATH))
    monitor = VmaMonitor(LIMITS, clock=clock)
    result = monitor.parse(src, monitor.fetch(src, {}, now=NOW), now=NOW)
    assert result.items == [] and [p.code for p in result.problems] == ([code] if code else [])
