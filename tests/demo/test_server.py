"""The replay server over real HTTP: feeds as simulated time advances, conditional GET, 500s, a broken body."""

from __future__ import annotations

from datetime import timedelta

import feedparser
import httpx
import pytest

from mediebild.demo.scenario import load_scenario
from mediebild.demo.server import ReplayServer
from mediebild.timeutil import STOCKHOLM


@pytest.fixture(scope="module")
def sc():
    return load_scenario()


@pytest.fixture()
def srv(sc):
    with ReplayServer(sc) as server:
        yield server


@pytest.fixture()
def client():
    with httpx.Client(timeout=5) as http:
        yield http


def at(sc, hhmm: str):
    hour, minute = map(int, hhmm.split(":"))
    return sc.start.astimezone(STOCKHOLM).replace(hour=hour, minute=minute).astimezone(sc.start.tzinfo)


def entries_of(sc, feed_id: str, response: httpx.Response) -> list[str]:
    """Item ids in a served feed, whatever its format."""
    if sc.feed(feed_id).format == "json":
        return [record["id"].rsplit(":", 1)[-1] for record in response.json()["items"]]
    return [sc.truth_by_url(entry.link, base=sc.feed(feed_id).home).id for entry in feedparser.parse(response.content).entries]


def test_binds_to_localhost_on_a_free_port(srv):
    assert srv.base_url.startswith("http://127.0.0.1:")
    assert not srv.base_url.endswith(":0")


def test_every_feed_is_served_with_its_content_type(sc, srv, client):
    srv.set_clock(at(sc, "10:30"))
    for feed in (feed for feed in sc.feeds if not feed.is_api):
        response = client.get(srv.url(feed.id))
        assert response.status_code == 200, feed.id
        expected = {"rss": "application/rss+xml", "atom": "application/atom+xml", "json": "application/feed+json"}
        assert response.headers["content-type"].startswith(expected[feed.format])
        assert response.headers["etag"] and response.headers["last-modified"]
        ids = entries_of(sc, feed.id, response)
        assert ids == [item.id for item, _ in sc.visible(feed.id, srv.clock)]


def test_items_appear_as_the_clock_advances(sc, srv, client):
    seen: list[set[str]] = []
    for hour in sc.hours:
        srv.set_clock(hour)
        seen.append(set(entries_of(sc, "nyhetsbyran-tn", client.get(srv.url("nyhetsbyran-tn")))))
    assert all(earlier <= later for earlier, later in zip(seen, seen[1:]))
    assert len(seen[-1]) > len(seen[0]) and sum(a != b for a, b in zip(seen, seen[1:])) >= 10
    srv.set_clock(at(sc, "07:59"))
    assert "tn-04" not in entries_of(sc, "nyhetsbyran-tn", client.get(srv.url("nyhetsbyran-tn")))
    srv.set_clock(at(sc, "08:09"))
    assert "tn-04" in entries_of(sc, "nyhetsbyran-tn", client.get(srv.url("nyhetsbyran-tn")))


def test_conditional_get_answers_304_until_something_changes(sc, srv, client):
    srv.set_clock(at(sc, "09:00"))
    url = srv.url("stockholms-dagblad")
    first = client.get(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"', "If-Modified-Since": modified}).status_code == 200
    srv.set_clock(at(sc, "09:04"))  # nothing new in this feed yet
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    srv.set_clock(at(sc, "10:00"))
    changed = client.get(url, headers={"If-None-Match": etag, "If-Modified-Since": modified})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 200


def test_http_500_at_the_broken_hours(sc, srv, client):
    feed = sc.feed("ekonomibladet")
    start, end = feed.broken_hours
    url = srv.url(feed.id)
    srv.set_clock(at(sc, f"{start - 1:02d}:30"))
    assert client.get(url).status_code == 200
    for hour in range(start, end):
        srv.set_clock(at(sc, f"{hour:02d}:00"))
        assert client.get(url).status_code == 500
    srv.set_clock(at(sc, f"{end:02d}:00"))
    recovered = client.get(url)
    assert recovered.status_code == 200
    ids = entries_of(sc, feed.id, recovered)
    assert "eb-08" in ids  # published while the feed was down, served once it is back
    broken_passes = sum(feed.is_broken(hour) for hour in sc.hours)
    assert 1 <= broken_passes <= 2


def test_malformed_xml_once(sc, srv, client):
    feed = sc.feed("kvallsposten")
    passes = [hour for hour in sc.hours if feed.is_malformed(hour)]
    assert len(passes) == 1
    srv.set_clock(passes[0])
    parsed = feedparser.parse(client.get(srv.url(feed.id)).content)
    assert parsed.bozo
    srv.set_clock(passes[0] + timedelta(hours=1))
    assert not feedparser.parse(client.get(srv.url(feed.id)).content).bozo


def test_index_opml_head_and_404(sc, srv, client):
    index = client.get(srv.base_url + "/")
    assert index.status_code == 200 and "Övningsscenario" in index.text
    opml = client.get(srv.opml_url())
    assert opml.status_code == 200
    assert all((srv.url(feed.id) in opml.text) != feed.is_api for feed in sc.feeds)  # API feeds are no feeds
    assert "API: polisen" in index.text
    head = client.head(srv.url("malarradion"))
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) > 0
    assert client.get(srv.base_url + "/nope.xml").status_code == 404
    assert (srv.scenario.feed("malarradion").path, 200) in srv.log


def test_naive_clock_is_utc_and_stop_is_clean(sc):
    server = ReplayServer(sc).start()
    try:
        server.set_clock(sc.hours[3].replace(tzinfo=None))
        assert server.clock == sc.hours[3]
    finally:
        server.stop()
    with pytest.raises(RuntimeError):
        server.base_url
