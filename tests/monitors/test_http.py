"""Hostile and broken servers on 127.0.0.1: each becomes a SourceError in bounded time and memory."""

from __future__ import annotations

import dataclasses
import gzip
import time

import pytest
from werkzeug.wrappers import Response

from mediebild.errors import PermanentSourceError, SourceError, TransientSourceError
from mediebild.monitors.http import HttpLimits, fetch_url

LIMITS = HttpLimits(connect_timeout=1.0, read_timeout=1.0, deadline=3.0, max_bytes=1024 * 1024, max_redirects=3)
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>a</title></item></channel></rss>'


def test_ok_then_conditional_get(httpserver):
    httpserver.expect_request("/feed").respond_with_data(
        FEED, content_type="application/rss+xml", headers={"ETag": '"v1"', "Last-Modified": "Tue, 24 Mar 2026 08:00:00 GMT"}
    )
    first = fetch_url(httpserver.url_for("/feed"), limits=LIMITS)
    assert first.status == 200 and first.body == FEED
    assert first.cursor["etag"] == '"v1"' and first.cursor["body_md5"]
    httpserver.clear()

    def conditional(request):
        assert request.headers["If-None-Match"] == '"v1"'
        assert request.headers["If-Modified-Since"] == "Tue, 24 Mar 2026 08:00:00 GMT"
        assert request.headers["User-Agent"].startswith("mediebild/")
        return Response(status=304)

    httpserver.expect_request("/feed").respond_with_handler(conditional)
    second = fetch_url(httpserver.url_for("/feed"), first.cursor, limits=LIMITS)
    assert second.not_modified and second.status == 304


def test_lying_etag_is_caught_by_md5(httpserver):
    httpserver.expect_request("/feed").respond_with_data(FEED, headers={"ETag": f'"{time.time()}"'})
    first = fetch_url(httpserver.url_for("/feed"), limits=LIMITS)
    second = fetch_url(httpserver.url_for("/feed"), first.cursor, limits=LIMITS)
    assert second.status == 200 and second.not_modified


def test_gzip_is_decoded(httpserver):
    httpserver.expect_request("/feed").respond_with_data(gzip.compress(FEED), headers={"Content-Encoding": "gzip"})
    assert fetch_url(httpserver.url_for("/feed"), limits=LIMITS).body == FEED


@pytest.mark.parametrize("status, error", [(500, TransientSourceError), (503, TransientSourceError),
                                           (429, TransientSourceError), (404, PermanentSourceError),
                                           (410, PermanentSourceError)])
def test_http_errors_are_classified(httpserver, status, error):
    httpserver.expect_request("/feed").respond_with_data("nope", status=status, headers={"Retry-After": "120"})
    with pytest.raises(error) as info:
        fetch_url(httpserver.url_for("/feed"), limits=LIMITS)
    assert info.value.code == f"http_{status}"


def test_hanging_server_times_out(httpserver):
    def hang(request):
        time.sleep(1.6)  # over the read timeout; short, since the test server is single-threaded
        return Response(FEED)

    httpserver.expect_request("/feed").respond_with_handler(hang)
    started = time.monotonic()
    with pytest.raises(TransientSourceError) as info:
        fetch_url(httpserver.url_for("/feed"), limits=LIMITS)
    assert info.value.code == "timeout"
    assert time.monotonic() - started < 1.55


def test_trickling_server_hits_the_deadline(httpserver):
    def trickle(request):
        def body():
            for _ in range(30):
                yield b"x"
                time.sleep(0.5)  # under the read timeout each time, far over the deadline in all

        return Response(body(), content_type="application/rss+xml")

    httpserver.expect_request("/feed").respond_with_handler(trickle)
    started = time.monotonic()
    with pytest.raises(TransientSourceError) as info:
        fetch_url(httpserver.url_for("/feed"), limits=LIMITS)
    assert info.value.code == "deadline"
    assert time.monotonic() - started < LIMITS.deadline + 2


def test_huge_body_is_cut(httpserver):
    def huge(request):
        chunk = b"a" * 65536
        return Response((chunk for _ in range(800)), content_type="application/rss+xml")  # 50 MB

    httpserver.expect_request("/feed").respond_with_handler(huge)
    patient = dataclasses.replace(LIMITS, read_timeout=15.0, deadline=60.0)  # a loaded machine must not time out first
    with pytest.raises(PermanentSourceError) as info:
        fetch_url(httpserver.url_for("/feed"), limits=patient)
    assert info.value.code == "too_large"


def test_declared_huge_body_is_refused_before_reading(httpserver):
    httpserver.expect_request("/feed").respond_with_data(b"a" * (LIMITS.max_bytes + 10))
    with pytest.raises(PermanentSourceError) as info:
        fetch_url(httpserver.url_for("/feed"), limits=LIMITS)
    assert info.value.code == "too_large"


def test_gzip_bomb_stops_at_the_cap(httpserver):
    bomb = gzip.compress(b"\0" * (200 * 1024 * 1024), compresslevel=9)  # 200 MB in about 200 kB
    httpserver.expect_request("/feed").respond_with_data(bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(PermanentSourceError) as info:
        fetch_url(httpserver.url_for("/feed"), limits=LIMITS)
    assert info.value.code == "too_large"


def test_redirect_loop(httpserver):
    httpserver.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data("", status=302, headers={"Location": "/a"})
    with pytest.raises(PermanentSourceError) as info:
        fetch_url(httpserver.url_for("/a"), limits=LIMITS)
    assert info.value.code == "redirect_loop"


def test_connection_refused_and_bad_schemes():
    with pytest.raises(TransientSourceError):
        fetch_url("http://127.0.0.1:9/feed", limits=LIMITS)  # discard port: nothing listens
    for url in ("file:///etc/passwd", "ftp://example.com/feed"):
        with pytest.raises(PermanentSourceError) as info:
            fetch_url(url, limits=LIMITS)
        assert info.value.code == "bad_url"


def test_unresolvable_host_is_a_source_error():
    with pytest.raises(SourceError):
        fetch_url("http://no-such-host.invalid/feed", limits=LIMITS)
