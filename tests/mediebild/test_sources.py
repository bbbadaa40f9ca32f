"""Source identity: what a source fetches names it, and ids and names stay readable and unique."""

from __future__ import annotations

from mediebild.sources import SourceConfig, fetch_key, normalise_url, suggested_id, suggested_name, unique_id, unique_name


def test_the_same_feed_written_two_ways_is_one_source():
    assert normalise_url("HTTPS://WWW.SVT.se:443/nyheter//rss.xml/#top") == "https://www.svt.se/nyheter/rss.xml"
    assert fetch_key("rss", "https://svt.se/a?b=2&a=1") == fetch_key("rss", "https://svt.se/a/?a=1&b=2")


def test_two_feeds_on_one_host_are_two_sources():
    assert fetch_key("rss", "https://www.svt.se/nyheter/rss.xml") != fetch_key("rss", "https://www.svt.se/sport/rss.xml")
    assert suggested_id("https://www.svt.se/nyheter/rss.xml") == "svt-se-nyheter"
    assert suggested_id("https://www.svt.se/sport/rss.xml") == "svt-se-sport"
    assert suggested_name("https://www.svt.se/sport/rss.xml") == "svt.se/sport"


def test_query_is_part_of_an_api_source():
    tags = SourceConfig(id="m", monitor="mastodon", url="https://mastodon.social", name="m", options={"query": "#Bryssel  #brussels"})
    same = SourceConfig(id="n", monitor="mastodon", url="https://mastodon.social/", name="n", options={"query": "#bryssel #brussels"})
    other = SourceConfig(id="o", monitor="mastodon", url="https://mastodon.social", name="o", options={"query": "#stockholm"})
    assert tags.fetch_key == same.fetch_key != other.fetch_key
    assert suggested_id("https://mastodon.social", "#bryssel") == "mastodon-social-bryssel"


def test_feeds_named_by_query_string_and_extension():
    assert suggested_id("https://www.krisinformation.se/nyheter?rss=true") == "krisinformation-se-nyheter"
    long_id = suggested_id("https://polisen.se/aktuellt/rss/stockholms-lan/handelser-rss---stockholms-lan/")
    assert long_id.startswith("polisen-se-aktuellt-stockholms-lan-") and len(long_id) <= 60
    assert suggested_id("https://example.se/feed.json") == "example-se"


def test_unique_ids_and_names():
    assert unique_id("svt-se", set()) == "svt-se"
    assert unique_id("svt-se", {"svt-se", "svt-se-2"}) == "svt-se-3"
    assert unique_name("SVT", {"SVT"}) == "SVT (2)"
