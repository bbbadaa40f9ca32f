"""What the official monitors share: the rate budget, parse never raising on junk, and the store seeing edits."""

from __future__ import annotations

import itertools
import json
import random
import zlib
from datetime import datetime, timedelta, timezone

import pytest

from mediebild.monitors import AVAILABLE, monitor_for
from mediebild.monitors.base import MONITOR_KINDS, FetchResult, SourceConfig
from mediebild.monitors.http import HttpLimits
from mediebild.monitors.official import Pace, next_call_at, record_call, retry_after_seconds

pytestmark = pytest.mark.usefixtures("official_env")

NOW = datetime(2026, 3, 24, 10, 0, tzinfo=timezone.utc)
KINDS = ("polisen", "krisinformation", "smhi", "vma")


def test_registered():
    assert {"smhi", "vma", "polisen", "krisinformation"} <= set(MONITOR_KINDS) & set(AVAILABLE)
    assert [monitor_for(kind).name for kind in KINDS] == list(KINDS)


def test_budget_arithmetic():
    pace = Pace(min_interval_s=10, max_per_hour=3)
    pacing: dict = {}
    assert next_call_at(pacing, pace, NOW) is None
    for minutes in (0, 1, 2):
        record_call(pacing, NOW + timedelta(minutes=minutes), pace)
    later = NOW + timedelta(minutes=3)
    assert next_call_at(pacing, pace, later) == NOW + timedelta(hours=1)  # three in the hour: wait for the first to age
    assert len(pacing["calls"]) == 3
    record_call(pacing, NOW + timedelta(hours=1, seconds=1), pace)
    assert len(pacing["calls"]) == 3  # only the last hour is kept
    # a "call" far ahead of the clock comes from a clock that was reset: it does not block for ever
    assert next_call_at({"calls": [(NOW + timedelta(days=3)).isoformat()]}, pace, NOW) is None
    assert next_call_at({"calls": ["junk", 7, None]}, pace, NOW) is None
    # a server's Retry-After is obeyed, up to the cap
    assert next_call_at({"not_before": (NOW + timedelta(days=9)).isoformat()}, pace, NOW) == NOW + timedelta(days=1)


def test_retry_after_forms():
    assert retry_after_seconds("120", NOW) == 120
    assert retry_after_seconds("Tue, 24 Mar 2026 10:05:00 GMT", NOW) == 300
    assert retry_after_seconds("i morgon", NOW) is None and retry_after_seconds(None, NOW) is None


# -- parse never raises on junk ------------------------------------------------------------------

VOCABULARY = [
    # polisen
    "id", "datetime", "name", "summary", "url", "type", "location", "gps",
    # krisinformation (either case)
    "Identifier", "identifier", "Headline", "Preamble", "BodyText", "PushMessage", "Published", "Updated", "Area",
    "Type", "Description", "Coordinate", "CoordinateObject", "Latitude", "Longitude", "Web", "SenderName", "IsTest",
    "Links", "Url", "Text", "Language",
    # smhi
    "event", "code", "sv", "en", "warningAreas", "warningLevel", "areaName", "affectedAreas", "descriptions", "title",
    "text", "area", "geometry", "coordinates", "features", "published", "approximateStart",
    # vma
    "alerts", "timestamp", "status", "msgType", "sent", "sender", "references", "incidents", "info", "language",
    "headline", "description", "instruction", "areaDesc", "geocode", "value", "polygon", "circle", "web",
]
STRINGS = ["", " ", "Actual", "Alert", "Cancel", "County", "PoI", "YELLOW", "sv-SE", "2026-03-24 7:32:06 +01:00",
           "2026-03-24T08:00:00Z", "24 mars 07.50, Brand, Solna", "31 februari 25.99, x", "59.3,18.0", "18.0,59.3 0",
           "lat,lon", "/relativ/länk", "javascript:alert(1)", "http://[::1", "<p>{0}.</p>", "&nbsp;&amp;", "\x00\u202e",
           "Stockholms län", "01", "1e309", "NaN", "9" * 40, "Faran är över", "true"]


def junk_value(rng: random.Random, depth: int = 0):
    roll = rng.random()
    if depth > 5 or roll < 0.35:
        return rng.choice([None, True, False, 0, -1, 2 ** 70, 1.5, float("nan"), float("inf"), rng.choice(STRINGS)])
    if roll < 0.6:
        return [junk_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(VOCABULARY): junk_value(rng, depth + 1) for _ in range(rng.randint(0, 6))}


def junk_bodies(seed: int, n: int):
    rng = random.Random(seed)
    for _ in range(n):
        kind = rng.random()
        if kind < 0.25:
            yield bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
        elif kind < 0.35:
            yield b"[" * rng.randint(1, 50_000)  # deep nesting
        else:
            doc = junk_value(rng)
            if rng.random() < 0.5:
                doc = [junk_value(rng) for _ in range(rng.randint(0, 5))]
            elif rng.random() < 0.3:
                doc = {"alerts": [junk_value(rng) for _ in range(3)], "timestamp": junk_value(rng)}
            text = json.dumps(doc, allow_nan=True)
            yield text.encode("utf-8") if rng.random() < 0.9 else text.encode("utf-8")[: rng.randint(0, len(text))]


def mutated(rng: random.Random, node, rate: float = 0.15):
    """A real answer with some of its values replaced by junk, keys dropped, lists shuffled."""
    if rng.random() < rate:
        return junk_value(rng, depth=3)
    if isinstance(node, dict):
        return {k: mutated(rng, v, rate) for k, v in node.items() if rng.random() > rate / 3}
    if isinstance(node, list):
        out = [mutated(rng, v, rate) for v in node]
        rng.shuffle(out)
        return out
    return node


FIXTURES = {"polisen": ["polisen/events.json"], "krisinformation": ["krisinformation/news.json", "krisinformation/vmas.json"],
            "smhi": ["smhi/warnings.json"], "vma": ["vma/alerts.json"]}


@pytest.mark.parametrize("kind", KINDS)
def test_parse_never_raises_on_junk(kind, api):
    monitor = monitor_for(kind)
    source = SourceConfig(id=kind, monitor=kind, url="https://example.se/", name=kind,
                          options={"counties": ["01"], "areas": [1, "Stockholms län"], "locations": "Solna"})
    rng = random.Random(zlib.crc32(kind.encode()))
    real = [json.loads(api(name)) for name in FIXTURES[kind]]
    shaped = (json.dumps(mutated(rng, rng.choice(real)), allow_nan=True).encode() for _ in range(300))
    produced = 0
    for i, body in enumerate(itertools.chain(junk_bodies(seed=zlib.crc32(kind.encode()), n=300), shaped)):
        fetched = FetchResult(url="https://example.se/api", status=200, body=body, cursor={"seen": {"x": "junk"}})
        if i % 3 == 0:  # the several-pages path too
            fetched = FetchResult(url="https://example.se/", status=200, body=None, cursor={"seen": "junk"},
                                  pages=[FetchResult(url="https://example.se/a", status=200, body=body, cursor={"key": "news"}),
                                         FetchResult(url="https://example.se/b", status=500, body=None, cursor={})])
        result = monitor.parse(source, fetched, now=NOW)  # must not raise
        assert all(p.severity in ("error", "warning") for p in result.problems)
        json.dumps(result.cursor)
        produced += len(result.items)
        assert not [p for p in result.problems if p.code == "parse_error"], result.problems
        for item in result.items:
            assert item.kind == "official" and item.id and (item.title or item.text)
            assert item.url is None or item.url.startswith(("http://", "https://"))
            assert item.published_at <= NOW + timedelta(minutes=15)
            json.dumps(item.raw, default=str)
    assert produced > 30  # the mutated real answers reach the readers' deep paths


# -- through the ingest functions into a real store ---------------------------------------------


def test_an_all_clear_edit_is_a_new_version_in_the_store(httpserver, api, store):
    from mediebild.flows.ingest import collect, store_outcome

    limits = HttpLimits(connect_timeout=1.0, read_timeout=2.0, deadline=5.0)
    httpserver.expect_request("/v3/news").respond_with_data(api("krisinformation/news.json"), content_type="application/json")
    httpserver.expect_request("/v3/vmas").respond_with_data(api("krisinformation/vmas.json"), content_type="application/json")
    src = SourceConfig(id="kris", monitor="krisinformation", url=httpserver.url_for("/v3"), name="Krisinformation",
                       item_kind="official", options={"min_interval_s": 0})
    store.upsert_source(src)
    first = store_outcome(store, collect(src, store.cursor(src.id), NOW, limits))
    assert first["ok"] and first["new"] == 3
    again = store_outcome(store, collect(src, store.cursor(src.id), NOW + timedelta(minutes=5), limits))
    assert again["ok"] and again["not_modified"] and again["new"] == 0  # the same answers: nothing twice
    httpserver.clear()
    httpserver.expect_request("/v3/news").respond_with_data(api("krisinformation/news-all-clear.json"), content_type="application/json")
    httpserver.expect_request("/v3/vmas").respond_with_data(api("krisinformation/vmas.json"), content_type="application/json")
    edit = store_outcome(store, collect(src, store.cursor(src.id), NOW + timedelta(minutes=10), limits))
    assert edit["ok"] and edit["new"] == 0 and edit["updated"] == 1
    row = store.con.execute("SELECT version, text, raw->>'all_clear' FROM items WHERE id = 'krisinformation:news:sv:31213'").fetchone()
    assert row[0] == 2 and "Faran är över" in row[1] and row[2] == "true"
    assert store.count("items") == 3
    vma = store.con.execute("SELECT raw->>'alert' FROM items WHERE id LIKE 'krisinformation:vmas:%'").fetchone()
    assert vma == ("vma",)


def test_a_deferred_pass_is_quiet_and_keeps_the_budget(httpserver, api, store):
    from mediebild.flows.ingest import collect, store_outcome

    limits = HttpLimits(connect_timeout=1.0, read_timeout=2.0, deadline=5.0)
    httpserver.expect_request("/api/events").respond_with_data(api("polisen/events.json"), content_type="application/json")
    src = SourceConfig(id="polisen", monitor="polisen", url=httpserver.url_for("/"), name="Polisen", item_kind="official")
    store.upsert_source(src)
    first = store_outcome(store, collect(src, store.cursor(src.id), NOW, limits))
    assert first["ok"] and first["new"] == 4
    second = store_outcome(store, collect(src, store.cursor(src.id), NOW, limits))  # at once: within 10 s
    assert second["ok"] and second["status"] is None and second["items"] == 0 and second["problem"] is None
    assert len(httpserver.log) == 1
    pacing = store.cursor(src.id)["pacing"]
    assert len(pacing["calls"]) == 1 and pacing["next_call_at"]  # for `sources health`


@pytest.mark.parametrize("kind", KINDS)
def test_a_junk_cursor_is_survived(httpserver, kind):
    path = "/v3/news" if kind == "krisinformation" else "/x"
    httpserver.expect_request(path).respond_with_data(b"[]", content_type="application/json")
    src = SourceConfig(id=kind, monitor=kind, url=httpserver.url_for(path), name=kind)
    monitor = monitor_for(kind, HttpLimits(connect_timeout=1.0, read_timeout=2.0, deadline=5.0))
    cursor = {"pacing": "junk", "http": [1], "seen": 5, "etag": 7}
    fetched = monitor.fetch(src, cursor, now=NOW)
    assert fetched.status == 200 and not fetched.deferred
    assert monitor.parse(src, fetched, now=NOW).items == []
