"""The Item record's helpers: canonical URLs, stable ids, HTML stripping, trusted dates."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from mediebild.items import canonical_url, content_hash, item_id, strip_html, trusted_published

NOW = datetime(2026, 3, 24, 10, 0, tzinfo=timezone.utc)


def test_canonical_url():
    assert canonical_url("HTTPS://WWW.Example.SE:443/a?utm_source=x&b=1&fbclid=z#frag") == "https://www.example.se/a?b=1"
    assert canonical_url("/nyheter/1", "https://www.example.se/feed.xml") == "https://www.example.se/nyheter/1"
    assert canonical_url("http://example.se:8080") == "http://example.se:8080/"
    for bad in ("javascript:alert(1)", "file:///etc/passwd", "data:text/html,x", "", None, "http://"):
        assert canonical_url(bad) is None


def test_item_id_prefers_platform_then_url():
    assert item_id(canonical=None, platform_id="x:123") == "x:123"
    a = item_id(canonical="https://a.se/1", source="s1")
    assert a == item_id(canonical="https://a.se/1", source="s2")  # same URL, same item
    assert item_id(canonical=None, source="s1", fallback="g") != item_id(canonical=None, source="s2", fallback="g")


def test_strip_html_and_content_hash():
    text = strip_html("<p>Hej&nbsp;<b>världen</b></p><script>evil()</script><p>&lt;script&gt; är text</p>")
    assert text == "Hej världen\n<script> är text"
    assert content_hash("Rubrik", "Samma text.") == content_hash("RUBRIK", "samma   text")


def test_trusted_published():
    assert trusted_published(None, NOW) == (NOW, "missing")
    assert trusted_published(None, NOW, unparseable=True) == (NOW, "unparseable")
    assert trusted_published(NOW + timedelta(days=1), NOW) == (NOW, "future")
    earlier = NOW - timedelta(hours=2)
    assert trusted_published(earlier, NOW) == (earlier, None)
    assert trusted_published(NOW + timedelta(minutes=5), NOW)[1] is None  # clock skew tolerated
