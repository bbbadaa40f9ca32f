"""Krisinformation.se news and VMAs against a local server: two calls per fetch, edits seen by content."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mediebild.monitors.base import FetchResult, SourceConfig
from mediebild.monitors.http import HttpLimits
from mediebild.monitors.krisinformation import KrisinformationMonitor

pytestmark = pytest.mark.usefixtures("official_env")

NOW = datetime(2026, 3, 24, 10, 0, tzinfo=timezone.utc)
LIMITS = HttpLimits(connect_timeout=1.0, read_timeout=2.0, deadline=5.0)
JSON = "application/json; charset=utf-8"


def source(url: str = "https://api.krisinformation.se/v3", **options) -> SourceConfig:
    return SourceConfig(id="krisinformation", monitor="krisinformation", url=url, name="Krisinformation", options=options)


def parse_news(api, name: str, cursor: dict | None = None):
    fetched = FetchResult(url="https://api.krisinformation.se/v3/news", status=200, body=api(f"krisinformation/{name}"),
                          cursor=cursor or {})
    return KrisinformationMonitor().parse(source("https://api.krisinformation.se/v3/news"), fetched, now=NOW)


def serve(httpserver, api, news="news.json", vmas="vmas.json"):
    httpserver.expect_request("/v3/news").respond_with_data(api(f"krisinformation/{news}"), content_type=JSON)
    httpserver.expect_request("/v3/vmas").respond_with_data(api(f"krisinformation/{vmas}"), content_type=JSON)


def test_news_quirks_are_normalised(api):
    result = parse_news(api, "news.json")
    items = {i.id: i for i in result.items}
    assert set(items) == {"krisinformation:news:sv:31213", "krisinformation:news:sv:31190"}  # the test item is skipped
    fire = items["krisinformation:news:sv:31213"]
    assert fire.kind == "official" and fire.lang == "sv"
    assert fire.title == "⚠ VMA: Brand i industribyggnad i Sundbyberg"  # trailing space gone, emoji kept
    assert "Sundbyberg kommun" in fire.text and "&nbsp;" not in fire.text  # entity in a plain-text field
    assert "{0}" not in fire.text and "\n.\n" not in fire.text
    assert "Gå inomhus" in fire.text  # the push message adds what the preamble does not say
    assert fire.published_at == datetime(2026, 3, 24, 7, 12, tzinfo=timezone.utc)
    assert fire.author == "Storstockholms brandförsvar" and fire.raw["authority"] == "Storstockholms brandförsvar"
    assert fire.raw["area"] == {"names": ["Stockholms län", "Rissne, Sundbyberg"], "county": "Stockholms län",
                                "municipality": None, "lat": 59.3775, "lon": 17.9398, "coordinates": "point"}
    assert fire.raw["links"] == [{"text": "Storstockholms brandförsvar", "url": "https://www.ssbf.brand.se/"}]
    assert fire.url == "https://www.krisinformation.se/nyheter/2026/mars/vma-brand-i-sundbyberg"
    assert "alert" not in fire.raw  # a news item about a VMA is not the VMA
    traffic = items["krisinformation:news:sv:31190"]
    assert traffic.author == "Krisinformation.se" and traffic.raw["authority"] is None  # SenderName ""
    assert traffic.raw["area"]["names"] == ["Sverige"]  # only the country: kept as the area
    assert [(p.code, p.severity) for p in result.problems] == [("placeholder", "warning")]


def test_lower_case_keys_are_read_the_same(api):
    (item,) = parse_news(api, "news-lowercase.json").items
    assert item.id == "krisinformation:news:sv:31191" and item.title == "Vattenläcka i Solna: koka vattnet"
    assert item.raw["area"]["municipality"] == "Solna" and item.raw["area"]["lat"] == 59.36  # "lon,lat alt"
    assert item.author == "Solna stad"


def test_all_clear_is_an_edit_of_the_same_item_and_comes_out_again(api):
    first = parse_news(api, "news.json")
    before = {i.id: i for i in first.items}
    second = parse_news(api, "news-all-clear.json", cursor=first.cursor)
    (edited,) = second.items  # the unchanged traffic item does not come out again
    original = before[edited.id]
    assert edited.id == "krisinformation:news:sv:31213"
    assert edited.content_hash != original.content_hash  # the store makes it version 2
    assert edited.raw["updated"] == original.raw["updated"]  # Updated was not bumped: the content tells
    assert edited.raw["all_clear"] is True and "Faran är över" in edited.text
    assert "all_clear" not in original.raw


def test_fetch_reads_news_and_vmas_in_one_fetch(httpserver, api, clock):
    serve(httpserver, api)
    src = source(httpserver.url_for("/"), counties=["01", "03"])
    monitor = KrisinformationMonitor(LIMITS, clock=clock)
    fetched = monitor.fetch(src, {}, now=NOW)
    assert [p.cursor["key"] for p in fetched.pages] == ["news", "vmas"] and fetched.body is None
    assert fetched.size == sum(len(p.body) for p in fetched.pages)
    for request, _ in httpserver.log:
        assert request.args["language"] == "sv" and request.args["counties"] == "01,03"
        assert request.args["allCounties"] == "false" and request.headers["User-Agent"].startswith("mediebild/")
    result = monitor.parse(src, fetched, now=NOW)
    vma = next(i for i in result.items if i.raw["feed"] == "vmas")
    assert vma.id == "krisinformation:vmas:sv:VMA-2026-0324-01" and vma.raw["alert"] == "vma"
    assert len(result.items) == 3 and set(fetched.cursor["http"]) == {"news", "vmas"}


def test_one_endpoint_only_when_the_url_names_it(httpserver, api, clock):
    serve(httpserver, api)
    src = source(httpserver.url_for("/v3/vmas"))
    monitor = KrisinformationMonitor(LIMITS, clock=clock)
    fetched = monitor.fetch(src, {}, now=NOW)
    assert fetched.pages == [] and fetched.status == 200 and len(httpserver.log) == 1
    assert [i.raw["alert"] for i in monitor.parse(src, fetched, now=NOW).items] == ["vma"]


def test_one_endpoint_failing_keeps_the_other(httpserver, api, clock):
    httpserver.expect_request("/v3/news").respond_with_data(api("krisinformation/news.json"), content_type=JSON)
    httpserver.expect_request("/v3/vmas").respond_with_data("fel", status=502)
    src = source(httpserver.url_for("/v3"))
    monitor = KrisinformationMonitor(LIMITS, clock=clock)
    result = monitor.parse(src, monitor.fetch(src, {}, now=NOW), now=NOW)
    assert len(result.items) == 2
    assert ("http_502", "error") in [(p.code, p.severity) for p in result.problems]
    assert any(p.message.startswith("vmas: ") for p in result.problems)


def test_a_429_stops_the_fetch_and_defers(httpserver, api, clock):
    httpserver.expect_request("/v3/news").respond_with_data(api("too-many-requests.html"), status=429,
                                                            headers={"Retry-After": "600"})
    httpserver.expect_request("/v3/vmas").respond_with_data(api("krisinformation/vmas.json"), content_type=JSON)
    src = source(httpserver.url_for("/v3"))
    monitor = KrisinformationMonitor(LIMITS, clock=clock)
    fetched = monitor.fetch(src, {}, now=NOW)
    assert len(httpserver.log) == 1  # vmas was not asked after the 429
    assert [p.code for p in fetched.problems] == ["rate_limited"]
    clock.advance(300)
    assert monitor.fetch(src, fetched.cursor, now=NOW).deferred_until == clock.now + timedelta(seconds=300)


def test_spacing_and_the_cursor_across_passes(httpserver, api, clock):
    serve(httpserver, api)
    src = source(httpserver.url_for("/v3"))
    monitor = KrisinformationMonitor(LIMITS, clock=clock)
    first = monitor.parse(src, monitor.fetch(src, {}, now=NOW), now=NOW)
    clock.advance(30)
    assert monitor.fetch(src, first.cursor, now=NOW).deferred and len(httpserver.log) == 2
    clock.advance(31)
    unchanged = monitor.fetch(src, first.cursor, now=NOW)
    assert unchanged.not_modified and len(httpserver.log) == 4
    httpserver.clear()
    serve(httpserver, api, news="news-all-clear.json")
    clock.advance(61)
    later = monitor.parse(src, monitor.fetch(src, unchanged.cursor, now=NOW), now=NOW)
    assert [i.id for i in later.items] == ["krisinformation:news:sv:31213"]


@pytest.mark.parametrize("news, code", [("maintenance.html", "not_json"), ("krisinformation/empty.json", None)])
def test_html_and_empty_answers(httpserver, api, clock, news, code):
    httpserver.expect_request("/v3/news").respond_with_data(api(news), content_type="text/html" if code else JSON)
    src = source(httpserver.url_for("/v3/news"))
    monitor = KrisinformationMonitor(LIMITS, clock=clock)
    result = monitor.parse(src, monitor.fetch(src, {}, now=NOW), now=NOW)
    assert result.items == [] and [p.code for p in result.problems] == ([code] if code else [])
