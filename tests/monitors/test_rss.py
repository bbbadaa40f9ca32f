"""The RSS/Atom/JSON Feed parser: quirks normalised, bad content reported, never an exception."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from mediebild.monitors.base import FetchResult, SourceConfig
from mediebild.monitors.rss import parse_feed

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
NOW = datetime(2026, 3, 24, 10, 0, tzinfo=timezone.utc)
SOURCE = SourceConfig(id="test", monitor="rss", url="https://www.testposten.se/rss.xml", name="Test")


def parse(name: str, **headers):
    body = (FEEDS / name).read_bytes()
    fetched = FetchResult(url=SOURCE.url, status=200, body=body, headers=headers)
    return parse_feed(body, source=SOURCE, fetched=fetched, now=NOW)


def test_rss_quirks_are_normalised():
    result = parse("quirks.rss.xml")
    assert len(result.items) == 5
    first = result.items[0]
    assert first.title == "Explosioner på flygplatsen i Bryssel & tunnelbanan"
    assert first.url == "https://www.testposten.se/nyheter/123?id=7"
    assert "alert" not in first.text and "<" not in first.text
    assert "Polisen i Stockholm" in first.text
    assert first.published_at == datetime(2026, 3, 24, 7, 5, tzinfo=timezone.utc)
    flags = {i.title: i.date_flag for i in result.items}
    assert flags["Utan datum"] == "missing"
    assert flags["Trasigt datum"] == "unparseable"
    assert flags["Från framtiden"] == "future"
    assert all(i.published_at <= NOW for i in result.items)
    assert result.items[4].url == "https://www.testposten.se/nyheter/127"  # fragment dropped
    codes = {p.code for p in result.problems}
    assert {"date_missing", "date_unparseable", "date_future"} <= codes
    assert all(p.severity == "warning" for p in result.problems)
    assert result.items[0].lang == "sv"


def test_ids_are_stable_and_tracking_free():
    a = parse("quirks.rss.xml").items
    b = parse("quirks.rss.xml").items
    assert [i.id for i in a] == [i.id for i in b]
    assert len({i.id for i in a}) == len(a)


def test_atom_with_xml_base():
    result = parse("wire.atom.xml", **{"content-type": "application/atom+xml"})
    urls = sorted(i.url for i in result.items)
    assert urls == ["https://www.kvallsbladet.se/nyheter/a1", "https://www.kvallsbladet.se/vader/b2"]
    updated = next(i for i in result.items if i.url.endswith("a1"))
    assert updated.author == "TN"
    assert updated.published_at == datetime(2026, 3, 24, 8, 30, tzinfo=timezone.utc)


def test_json_feed_1_1():
    result = parse("feed.json", **{"content-type": "application/feed+json"})
    assert len(result.items) == 2
    first, second = result.items
    assert first.url == "https://www.malarradion.se/n/1"
    assert first.author == "Redaktionen"
    assert first.published_at == datetime(2026, 3, 24, 7, 40, tzinfo=timezone.utc)
    assert second.title.startswith("Bara text")
    assert second.date_flag == "unparseable"
    assert {"malformed_item", "date_unparseable"} <= {p.code for p in result.problems}


def test_partly_broken_feed_keeps_good_items():
    result = parse("partly-broken.rss.xml")
    assert len(result.items) >= 2
    assert "malformed_xml" in {p.code for p in result.problems}


def test_xxe_and_entity_expansion_are_defused():
    result = parse("xxe.rss.xml")
    text = " ".join(i.title + " " + i.text for i in result.items)
    assert "root:" not in text
    assert "lollol" not in text
    assert "xml_entities" in {p.code for p in result.problems}


@pytest.mark.parametrize(
    "body, code",
    [
        (b"", "empty"),
        (b"<html><body><h1>Welcome</h1></body></html>", "not_a_feed"),
        (b"\x00\xff\xfe garbage \x89PNG", "not_a_feed"),
        (b"{not json", "malformed_json"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "title": "x"}', "not_a_feed"),
    ],
)
def test_bad_bodies_become_problems(body, code):
    result = parse_feed(body, source=SOURCE, now=NOW)
    assert result.items == []
    assert code in {p.code for p in result.problems}
    assert any(p.severity == "error" for p in result.problems)


HEADER = re.compile(rb"^Header:\s*([\w-]+):\s*(.+?)\s*$", re.MULTILINE)
EXPECT = re.compile(rb"^Expect:\s*(.+?)\s*$", re.MULTILINE)


def test_feedparser_corpus_never_raises(shared_data):
    """Every file of feedparser's test corpus: zero exceptions, bozo files reported as problems."""
    files = sorted(p for p in (shared_data / "feedparser-tests").rglob("*") if p.suffix in (".xml", ".json"))
    assert len(files) > 2000
    bozo_expected = bozo_reported = 0
    for path in files:
        body = path.read_bytes()
        headers = {k.decode().lower(): v.decode("latin-1") for k, v in HEADER.findall(body[:2000])}
        fetched = FetchResult(url="http://example.com/feed", status=200, body=body, headers=headers)
        result = parse_feed(body, source=SOURCE, fetched=fetched, now=NOW)  # must not raise
        expect = EXPECT.search(body[:2000])
        if expect and expect.group(1).startswith(b"bozo"):
            bozo_expected += 1
            bozo_reported += any(p.code in ("malformed_xml", "not_a_feed", "empty") for p in result.problems)
        for item in result.items:
            assert item.url is None or item.url.startswith(("http://", "https://"))
    # every feed feedparser's own oracle calls bozo is reported as a problem
    assert bozo_reported == bozo_expected
