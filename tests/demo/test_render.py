"""Rendering the scenario's feeds: documents feedparser reads, with the quirks injected on purpose."""

from __future__ import annotations

import json
from dataclasses import replace

import feedparser
import pytest

from mediebild.demo.render import render, truncate
from mediebild.demo.scenario import load_scenario


@pytest.fixture(scope="module")
def sc():
    return load_scenario()


@pytest.fixture(scope="module")
def documents(sc):
    """Every feed as rendered at the end of the day: feed id -> (body, content type)."""
    return {feed.id: render(feed, sc.visible(feed.id, sc.end)) for feed in sc.feeds if not feed.is_api}


def test_xml_feeds_parse_cleanly(sc, documents):
    for feed in (feed for feed in sc.feeds if not feed.is_api):
        body, content_type = documents[feed.id]
        expected = len(sc.visible(feed.id, sc.end))
        if feed.format == "json":
            assert content_type.startswith("application/feed+json")
            document = json.loads(body)
            assert document["version"] == "https://jsonfeed.org/version/1.1"
            assert len(document["items"]) == expected
            continue
        parsed = feedparser.parse(body)
        assert not parsed.bozo, (feed.id, parsed.get("bozo_exception"))
        assert len(parsed.entries) == expected, feed.id
        assert parsed.feed.get("title") == feed.name
        assert content_type.startswith("application/rss+xml" if feed.format == "rss" else "application/atom+xml")


def test_entries_carry_the_items_text_and_links(sc, documents):
    parsed = feedparser.parse(documents["nyhetsbyran-tn"][0])
    for entry, (item, version) in zip(parsed.entries, sc.visible("nyhetsbyran-tn", sc.end)):
        assert entry.title == version.title
        assert version.text in entry.summary
        assert sc.truth_by_url(entry.link) is item


def test_html_and_double_escaped_titles(sc, documents):
    body = documents["kvallsposten"][0].decode("utf-8")
    assert "&lt;b&gt;JUST NU:&lt;/b&gt;" in body
    assert "SAS &amp;amp; Brussels Airlines" in body
    titles = [entry.title for entry in feedparser.parse(body).entries]
    assert any(title.startswith("<b>JUST NU:</b>") for title in titles)
    assert "SAS &amp; Brussels Airlines ställer in alla flyg" in titles


def test_dates_missing_unparseable_and_future(sc, documents):
    radio = {entry.id.rsplit(":", 1)[-1]: entry for entry in feedparser.parse(documents["malarradion"][0]).entries}
    assert "updated" not in radio["mr-16"] and "published" not in radio["mr-16"]
    assert radio["mr-09"].updated.startswith("tisdag 24 mars 2026 kl.")
    assert radio["mr-09"].get("updated_parsed") is None
    paper = {entry.id.rsplit(":", 1)[-1]: entry for entry in feedparser.parse(documents["stockholms-dagblad"][0]).entries}
    future = paper["sd-27"]
    assert future.published_parsed.tm_mday == 25
    local = {entry.id.rsplit(":", 1)[-1]: entry for entry in feedparser.parse(documents["sodertorns-tidning"][0]).entries}
    assert "published" not in local["st-15"]  # an RSS item without pubDate
    business = {entry.id.rsplit(":", 1)[-1]: entry for entry in feedparser.parse(documents["ekonomibladet"][0]).entries}
    assert business["eb-13"].published.startswith("tisdag") and business["eb-13"].get("published_parsed") is None
    roslag = json.loads(documents["roslagsposten"][0])
    assert any("date_published" not in record for record in roslag["items"])


def test_cdata_utm_relative_and_latin1(sc, documents):
    daily = documents["stockholms-dagblad"][0].decode("utf-8")
    assert "<description><![CDATA[<p>" in daily
    assert "utm_source=rss" in daily
    local, content_type = documents["sodertorns-tidning"]
    assert content_type.endswith("charset=iso-8859-1")
    assert local.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    assert "Södertörns".encode("iso-8859-1") in local
    links = [entry.link for entry in feedparser.parse(local).entries]
    assert all(link.startswith("/nyheter/") for link in links)
    home = sc.feed("sodertorns-tidning").home
    assert all(sc.truth_by_url(link, base=home) is not None for link in links)


def test_mastodon_hashtag_rss_has_no_titles(sc):
    """The Mastodon instance's own hashtag RSS (served beside its API): items without titles, tag links."""
    feed = replace(sc.feed("mastodon-sthlm"), format="rss")
    parsed = feedparser.parse(render(feed, sc.visible(feed.id, sc.end))[0])
    assert len(parsed.entries) == 25
    assert all("title" not in entry or not entry.title for entry in parsed.entries)
    assert all(entry.link.startswith("https://sthlm.social/@") for entry in parsed.entries)
    assert any('class="mention hashtag"' in entry.summary for entry in parsed.entries)


def test_api_feeds_are_not_rendered_as_documents(sc):
    with pytest.raises(ValueError, match="API feed"):
        render(sc.feed("x-sok"), sc.visible("x-sok", sc.end))


def test_updates_replace_the_version_under_the_same_link(sc):
    feed = sc.feed("nyhetsbyran-tn")
    item = sc.item("tn-04")
    before = feedparser.parse(render(feed, sc.visible(feed.id, item.published))[0]).entries
    after = feedparser.parse(render(feed, sc.visible(feed.id, item.updates[0].at))[0]).entries
    first = next(entry for entry in before if entry.id.endswith("tn-04"))
    second = next(entry for entry in after if entry.id.endswith("tn-04"))
    assert first.link == second.link and first.title != second.title
    assert second.title.startswith("UPPDATERAD")


def test_truncated_body_is_malformed_but_readable(sc, documents):
    parsed = feedparser.parse(truncate(documents["kvallsposten"][0]))
    assert parsed.bozo
    assert 0 < len(parsed.entries) < len(sc.visible("kvallsposten", sc.end))
