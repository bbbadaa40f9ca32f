"""The police events monitor against a local server: its quirks, its filters, and its rate budget by design."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from werkzeug.wrappers import Response

from mediebild.monitors.base import FetchResult, SourceConfig
from mediebild.monitors.http import HttpLimits
from mediebild.monitors.polisen import PolisenMonitor, event_time_from_name, parse_publish_time

pytestmark = pytest.mark.usefixtures("official_env")

NOW = datetime(2026, 3, 24, 10, 0, tzinfo=timezone.utc)
LIMITS = HttpLimits(connect_timeout=1.0, read_timeout=2.0, deadline=5.0)
JSON = "application/json; charset=utf-8"


def source(url: str = "https://polisen.se/api/events", **options) -> SourceConfig:
    return SourceConfig(id="polisen-sthlm", monitor="polisen", url=url, name="Polisen", options=options)


def parsed(api, name: str, src: SourceConfig | None = None):
    body = api(f"polisen/{name}")
    fetched = FetchResult(url="https://polisen.se/api/events", status=200, body=body)
    return PolisenMonitor().parse(src or source(), fetched, now=NOW)


def test_events_become_official_items_with_publish_and_event_times(api):
    result = parsed(api, "events.json")
    assert result.problems == []
    items = {i.id: i for i in result.items}
    assert set(items) == {"polisen:600101", "polisen:600088", "polisen:600095", "polisen:599990"}
    crash = items["polisen:600101"]
    assert crash.kind == "official" and crash.author == "Polisen" and crash.lang == "sv"
    assert crash.title == "24 mars 07.50, Trafikolycka, personskada, Solna"
    # "2026-03-24 8:05:12 +01:00": an unpadded hour is read, and it is the publish time
    assert crash.published_at == datetime(2026, 3, 24, 7, 5, 12, tzinfo=timezone.utc)
    assert crash.raw["event_time"] == "2026-03-24T06:50:00+00:00"  # 07.50 Stockholm time, from the name
    assert crash.raw["event_type"] == "Trafikolycka, personskada"
    assert crash.raw["area"] == {"names": ["Solna"], "county": None, "municipality": "Solna", "lat": 59.36004,
                                 "lon": 18.000967, "coordinates": "area centroid"}
    # relative and absolute URLs
    assert crash.url == "https://polisen.se/aktuellt/handelser/2026/mars/24/24-mars-07.50-trafikolycka-personskada-solna/"
    fire = items["polisen:600088"]
    assert fire.url == "https://polisen.se/aktuellt/handelser/2026/mars/23/23-mars-23.40-brand-stockholm/"
    assert fire.raw["event_time"] == "2026-03-23T22:40:00+00:00"  # the day before it was published
    night = items["polisen:600095"]
    assert night.raw["summary"] is True and night.raw["area"]["county"] == "Stockholms län"
    assert night.raw["event_time"] == "2026-03-24T05:45:00+00:00"  # "6.45": unpadded hour in the name too
    new_year = items["polisen:599990"]
    assert new_year.raw["event_time"] == "2025-12-31T22:55:00+00:00"  # published 1 January: last year's event


def test_time_helpers():
    assert parse_publish_time("2025-06-07 7:32:06 +02:00") == datetime(2025, 6, 7, 5, 32, 6, tzinfo=timezone.utc)
    assert parse_publish_time("igår") is None
    ref = datetime(2025, 6, 7, 5, 32, tzinfo=timezone.utc)
    when, raw = event_time_from_name("06 juni 18.50, Trafikolycka, Stockholm", ref)
    assert when == datetime(2025, 6, 6, 16, 50, tzinfo=timezone.utc) and raw == "06 juni 18.50"
    assert event_time_from_name("31 februari 10.00, Brand, Solna", ref)[0] is None
    assert event_time_from_name("Gripen person, Malmö", ref) == (None, None)


def test_relative_urls_resolve_against_the_api_origin_or_site_url(api):
    body = api("polisen/events.json")
    fetched = FetchResult(url="http://127.0.0.1:8123/api/events", status=200, body=body)
    items = {i.id: i for i in PolisenMonitor().parse(source(), fetched, now=NOW).items}
    assert items["polisen:600101"].url.startswith("http://127.0.0.1:8123/aktuellt/handelser/")
    assert items["polisen:600088"].url.startswith("https://polisen.se/")  # absolute stays
    site = source(site_url="https://polisen.se")
    items = {i.id: i for i in PolisenMonitor().parse(site, fetched, now=NOW).items}
    assert items["polisen:600101"].url.startswith("https://polisen.se/aktuellt/")


def test_partly_broken_answer_keeps_good_events_and_counts_the_rest(api):
    result = parsed(api, "partly-broken.json")
    ids = sorted(i.id for i in result.items)
    assert ids == ["polisen:6", "polisen:600101", "polisen:7"]
    odd = next(i for i in result.items if i.id == "polisen:6")
    assert odd.url is None  # javascript: is not a link
    assert odd.date_flag == "unparseable" and odd.published_at == NOW
    assert odd.raw["area"]["names"] == [] and "lat" not in odd.raw["area"]
    codes = {p.code for p in result.problems}
    assert {"bad_record", "missing_id", "empty_event", "date_unparseable", "event_time_unparsed"} <= codes
    assert all(p.severity == "warning" for p in result.problems)


def test_fetch_sends_filters_and_a_user_agent_with_contact(httpserver, api, clock):
    def answer(request):
        agent = request.headers["User-Agent"]
        assert agent.startswith("mediebild/") and "contact: beredskap@example.se" in agent
        assert request.args["locationname"] == "Stockholms län;Solna"
        assert request.args["type"] == "Trafikolycka, personskada;Brand"
        return Response(api("polisen/events.json"), content_type=JSON)

    httpserver.expect_request("/api/events").respond_with_handler(answer)
    src = source(httpserver.url_for("/"), locations=["Stockholms län", "Solna"], types="Trafikolycka, personskada;Brand")
    monitor = PolisenMonitor(LIMITS, clock=clock)
    fetched = monitor.fetch(src, {}, now=NOW)
    assert fetched.status == 200 and not fetched.problems and len(httpserver.log) == 1
    assert len(monitor.parse(src, fetched, now=NOW).items) == 4
    assert fetched.cursor["pacing"]["calls"] == [clock.now.isoformat()]
    assert fetched.cursor["pacing"]["next_call_at"] == (clock.now + timedelta(seconds=10)).isoformat()


def test_a_second_fetch_within_ten_seconds_is_deferred_without_a_call(httpserver, api, clock):
    httpserver.expect_request("/api/events").respond_with_data(api("polisen/events.json"), content_type=JSON)
    src, monitor = source(httpserver.url_for("/api/events")), PolisenMonitor(LIMITS, clock=clock)
    first = monitor.fetch(src, {}, now=NOW)
    clock.advance(9.5)
    second = monitor.fetch(src, first.cursor, now=NOW)
    assert second.deferred and second.deferred_until == clock.now + timedelta(seconds=0.5)
    assert second.body is None and second.status is None and not second.problems and not second.not_modified
    assert len(httpserver.log) == 1  # no HTTP call was made
    result = monitor.parse(src, second, now=NOW)  # parse of a deferred fetch: nothing, and the cursor kept
    assert result.items == [] and result.problems == [] and result.cursor["pacing"]["calls"] == first.cursor["pacing"]["calls"]
    clock.advance(0.5)
    third = monitor.fetch(src, second.cursor, now=NOW)
    assert not third.deferred and len(httpserver.log) == 2


def test_never_more_than_sixty_calls_an_hour(httpserver, clock):
    httpserver.expect_request("/api/events").respond_with_data(b"[]", content_type=JSON)
    src, monitor = source(httpserver.url_for("/api/events")), PolisenMonitor(LIMITS, clock=clock)
    cursor, first_call = {}, clock.now
    for _ in range(60):
        fetched = monitor.fetch(src, cursor, now=NOW)
        assert not fetched.deferred
        cursor = fetched.cursor
        clock.advance(11)
    assert len(httpserver.log) == 60
    deferred = monitor.fetch(src, cursor, now=NOW)  # 11 s after the 60th call, 11 minutes after the first
    assert deferred.deferred_until == first_call + timedelta(hours=1)
    assert len(httpserver.log) == 60 and len(deferred.cursor["pacing"]["calls"]) == 60
    clock.now = first_call + timedelta(hours=1, seconds=1)
    assert not monitor.fetch(src, deferred.cursor, now=NOW).deferred and len(httpserver.log) == 61


def test_a_429_with_retry_after_defers_the_source_and_is_a_warning(httpserver, api, clock):
    httpserver.expect_request("/api/events").respond_with_data(
        api("too-many-requests.html"), status=429, content_type="text/html; charset=utf-8", headers={"Retry-After": "120"})
    src, monitor = source(httpserver.url_for("/api/events")), PolisenMonitor(LIMITS, clock=clock)
    fetched = monitor.fetch(src, {}, now=NOW)  # no exception: the call must be recorded
    assert fetched.status == 429 and fetched.body is None
    assert [(p.code, p.severity) for p in fetched.problems] == [("rate_limited", "warning")]
    assert fetched.cursor["pacing"]["not_before"] == (clock.now + timedelta(seconds=120)).isoformat()
    result = monitor.parse(src, fetched, now=NOW)
    assert result.items == [] and [p.code for p in result.problems] == ["rate_limited"]
    clock.advance(60)
    assert monitor.fetch(src, fetched.cursor, now=NOW).deferred_until == clock.now + timedelta(seconds=60)
    httpserver.clear()
    httpserver.expect_request("/api/events").respond_with_data(api("polisen/events.json"), content_type=JSON)
    clock.advance(61)
    resumed = monitor.fetch(src, fetched.cursor, now=NOW)
    assert resumed.status == 200 and len(monitor.parse(src, resumed, now=NOW).items) == 4


def test_a_throttle_page_served_with_200_defers_too(httpserver, api, clock):
    httpserver.expect_request("/api/events").respond_with_data(api("too-many-requests.html"), content_type="text/html")
    src, monitor = source(httpserver.url_for("/api/events")), PolisenMonitor(LIMITS, clock=clock)
    fetched = monitor.fetch(src, {}, now=NOW)
    assert [p.code for p in fetched.problems] == ["rate_limited"]
    assert fetched.cursor["pacing"]["not_before"] == (clock.now + timedelta(minutes=10)).isoformat()
    assert monitor.parse(src, fetched, now=NOW).items == []


@pytest.mark.parametrize("body, content_type, code", [
    ("maintenance.html", "text/html", "not_json"),
    (b"[{\"id\": 1, \"name\": ", "application/json", "malformed_json"),
    (b'{"message": "An error has occurred."}', "application/json", "unexpected_shape"),
    (b"", "application/json", "empty"),
])
def test_bad_answers_are_error_rows_not_exceptions(httpserver, api, clock, body, content_type, code):
    data = api(body) if isinstance(body, str) else body
    httpserver.expect_request("/api/events").respond_with_data(data, content_type=content_type)
    src, monitor = source(httpserver.url_for("/api/events")), PolisenMonitor(LIMITS, clock=clock)
    result = monitor.parse(src, monitor.fetch(src, {}, now=NOW), now=NOW)
    assert result.items == []
    assert [(p.code, p.severity) for p in result.problems] == [(code, "error")]


@pytest.mark.parametrize("status, code", [(500, "http_500"), (403, "http_403"), (404, "http_404")])
def test_http_errors_are_returned_and_the_call_is_still_counted(httpserver, clock, status, code):
    httpserver.expect_request("/api/events").respond_with_data("nej", status=status)
    src, monitor = source(httpserver.url_for("/api/events")), PolisenMonitor(LIMITS, clock=clock)
    fetched = monitor.fetch(src, {}, now=NOW)
    assert [(p.code, p.severity) for p in fetched.problems] == [(code, "error")]
    assert fetched.cursor["pacing"]["calls"] == [clock.now.isoformat()]
    if status == 403:
        assert "User-Agent" in fetched.problems[0].message
    assert monitor.fetch(src, fetched.cursor, now=NOW).deferred  # a failed call counts against the budget


def test_the_cursor_resumes_and_only_new_or_edited_events_come_out(httpserver, api, clock):
    httpserver.expect_request("/api/events").respond_with_data(api("polisen/events.json"), content_type=JSON)
    src, monitor = source(httpserver.url_for("/api/events")), PolisenMonitor(LIMITS, clock=clock)
    first = monitor.parse(src, monitor.fetch(src, {}, now=NOW), now=NOW)
    assert len(first.items) == 4
    clock.advance(11)
    same = monitor.fetch(src, first.cursor, now=NOW)
    assert same.not_modified  # the same body: nothing to parse
    httpserver.clear()
    httpserver.expect_request("/api/events").respond_with_data(api("polisen/events-next.json"), content_type=JSON)
    clock.advance(11)
    second = monitor.parse(src, monitor.fetch(src, same.cursor, now=NOW), now=NOW)
    assert sorted(i.id for i in second.items) == ["polisen:600101", "polisen:600120"]  # the edit and the new one
    edited = next(i for i in second.items if i.id == "polisen:600101")
    assert "Uppdatering 08:40" in edited.text
    clock.advance(11)
    third = monitor.parse(src, monitor.fetch(src, second.cursor, now=NOW), now=NOW)
    assert third.items == []  # nothing new: no duplicates


def test_empty_answer(httpserver, api, clock):
    httpserver.expect_request("/api/events").respond_with_data(api("polisen/empty.json"), content_type=JSON)
    src, monitor = source(httpserver.url_for("/api/events")), PolisenMonitor(LIMITS, clock=clock)
    result = monitor.parse(src, monitor.fetch(src, {}, now=NOW), now=NOW)
    assert result.items == [] and result.problems == []


def test_without_a_contact_the_call_is_made_and_a_warning_asks_for_one(httpserver, clock, monkeypatch):
    monkeypatch.delenv("MEDIEBILD_CONTACT")
    httpserver.expect_request("/api/events").respond_with_data(b"[]", content_type=JSON)
    src, monitor = source(httpserver.url_for("/api/events")), PolisenMonitor(LIMITS, clock=clock)
    fetched = monitor.fetch(src, {}, now=NOW)
    assert [(p.code, p.severity) for p in fetched.problems] == [("no_contact", "warning")]
    assert "contact:" not in httpserver.log[0][0].headers["User-Agent"]


def test_contact_from_mediebild_toml_and_from_the_source(httpserver, clock, monkeypatch, official_env):
    monkeypatch.delenv("MEDIEBILD_CONTACT")
    official_env.write_text('[monitors]\ncontact = "lansstyrelsen@example.se"\n', encoding="utf-8")
    httpserver.expect_request("/api/events").respond_with_data(b"[]", content_type=JSON)
    monitor = PolisenMonitor(LIMITS, clock=clock)
    monitor.fetch(source(httpserver.url_for("/api/events")), {}, now=NOW)
    monitor.fetch(source(httpserver.url_for("/api/events"), contact="kommun@example.se\r\nX-Evil: 1"), {}, now=NOW)
    agents = [request.headers["User-Agent"] for request, _ in httpserver.log]
    assert "contact: lansstyrelsen@example.se" in agents[0]
    assert "contact: kommun@example.seX-Evil: 1" in agents[1] and "\n" not in agents[1]  # no header injection


def test_the_spacing_can_be_raised_not_lowered():
    assert PolisenMonitor().pace(source(min_interval_s=2)).min_interval_s == 10
    assert PolisenMonitor().pace(source(min_interval_s=30)).min_interval_s == 30
    assert PolisenMonitor().calls(source("http://polisen.se/api/events"))[0].url.startswith("https://polisen.se/")
