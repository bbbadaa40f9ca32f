"""The Mastodon monitor against local "instances" (answers in tests/fixtures/api/mastodon)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from werkzeug.wrappers import Response

from mediebild.errors import TransientSourceError
from mediebild.flows.ingest import collect
from mediebild.items import Item
from mediebild.monitors import monitor_for
from mediebild.monitors.base import FetchResult, SourceConfig
from mediebild.monitors.mastodon import MastodonMonitor, html_text, mastodon_id
from mediebild.monitors.social import FORMAT

TOKEN = "PlantedMastodonToken-9f8e7d6c5b4a3f2e1d0c"
TAG = "/api/v1/timelines/tag/"
NEWEST = "116244090868883653"


def source(httpserver, query="#bryssel #Brussels", **options) -> SourceConfig:
    return SourceConfig(id="m", monitor="mastodon", url=httpserver.url_for("/"), name="Mastodon", item_kind="social",
                        options={"query": query, "instances": [httpserver.url_for("/other")], **options})


def page(body: bytes, prev: str | None = None, status: int = 200, **headers) -> Response:
    if prev:  # the Link points at the real host: only its parameters may be used
        headers["Link"] = (f'<https://mastodon.example/api/v1/timelines/tag/bryssel?limit=40&max_id=1>; rel="next", '
                           f'<https://mastodon.example/api/v1/timelines/tag/bryssel?limit=40&min_id={prev}>; rel="prev"')
    return Response(body, status=status, headers=headers, content_type="application/json")


@pytest.fixture
def instances(httpserver, api):
    """Two instances on one local server: "/" (the source's own) and "/other"; records who sent what."""
    calls = []

    def handler(request):
        other = request.path.startswith("/other/")
        calls.append((request.path, dict(request.args), request.headers.get("Authorization")))
        if request.path.endswith("/brussels"):
            return page(api("mastodon", "empty.json"))
        if other:
            return page(api("mastodon", "empty.json" if "min_id" in request.args else "remote-copy.json"))
        min_id = request.args.get("min_id")
        if min_id is None:
            return page(api("mastodon", "tag-page1.json"), prev=NEWEST)
        if min_id == NEWEST:
            return page(api("mastodon", "tag-newer.json"), prev="116244100000000002")
        return page(api("mastodon", "empty.json"))

    httpserver.expect_request("/api/v1/timelines/tag/bryssel").respond_with_handler(handler)
    httpserver.expect_request("/api/v1/timelines/tag/brussels").respond_with_handler(handler)
    httpserver.expect_request("/other/api/v1/timelines/tag/bryssel").respond_with_handler(handler)
    httpserver.expect_request("/other/api/v1/timelines/tag/brussels").respond_with_handler(handler)
    return calls


def test_registered():
    assert isinstance(monitor_for("mastodon"), MastodonMonitor)


def test_tags_on_two_instances_then_newer_pages_until_empty(httpserver, instances, now, monkeypatch):
    monkeypatch.setenv("MEDIEBILD_MASTODON_TOKEN", TOKEN)
    monitor, src = MastodonMonitor(), source(httpserver)
    base, other = httpserver.url_for("/").rstrip("/"), httpserver.url_for("/other")
    parsed = monitor.parse(src, monitor.fetch(src, {}, now=now), now=now)
    # the token goes to the source's own instance only
    assert {auth for path, _, auth in instances if not path.startswith("/other")} == {f"Bearer {TOKEN}"}
    assert {auth for path, _, auth in instances if path.startswith("/other")} == {None}
    assert all(args["limit"] == "40" and "min_id" not in args for _, args, _ in instances)
    ids = [i.id for i in parsed.items]
    assert len(ids) == 5 and len(set(ids)) == 5  # the remote copy on /other is the same status: one item
    first, reblog, reply, undated, vrt = parsed.items
    assert first.id == mastodon_id(f"https://mastodon.social/users/krisbloggen/statuses/{NEWEST}")
    assert first.author == "krisbloggen@mastodon.social" and first.lang == "sv"
    assert "https://www.testposten.se/nyheter/2016/03/22/bryssel-explosioner" in first.text
    assert "Följ @sverigesradio #Bryssel" in first.text and "<" not in first.text
    social = first.raw["social"]
    assert social["links"] == ["https://www.testposten.se/nyheter/2016/03/22/bryssel-explosioner"]
    assert social["engagement"] == {"likes": 11, "reposts": 5, "replies": 2, "quotes": None}
    assert social["tags"] == ["bryssel"] and social["author_name"] == "Krisbloggen 🔶" and social["thread_id"] == first.id
    assert reblog.raw["social"]["is_repost"]
    assert reblog.raw["social"]["repost_of"] == mastodon_id("https://mastodon.example.be/users/rtbf/statuses/5550001")
    assert reblog.text == "Explosions à l'aéroport de Zaventem. #Bruxelles" and reblog.lang == "fr"
    assert reblog.author == "anna@mastodon.social"
    assert reply.title == "Bilder från platsen" and reply.text == "@krisbloggen Såg röken från terminalen.\nAlla tåg stoppade."
    assert reply.raw["social"]["is_reply"] and reply.raw["social"]["thread_id"] is None
    assert reply.raw["social"]["is_quote"] and reply.raw["social"]["engagement"]["quotes"] == 1
    assert undated.date_flag == "unparseable" and undated.author is None
    assert vrt.lang == "nl" and vrt.raw["social"]["extra"]["instance"] == other
    warnings = {p.code: p.message for p in parsed.problems}
    assert "2 statuses without" in warnings["malformed_post"] and all(p.severity == "warning" for p in parsed.problems)
    assert parsed.cursor["min_id"] == {f"{base} #bryssel": NEWEST, f"{other} #bryssel": "998878"}

    instances.clear()
    later = now + timedelta(minutes=5)
    again = monitor.parse(src, monitor.fetch(src, parsed.cursor, now=later), now=later)
    own = [args.get("min_id") for path, args, _ in instances if path == "/api/v1/timelines/tag/bryssel"]
    assert own == [NEWEST, "116244100000000002"]  # rel="prev" followed until an empty page
    assert [i.text for i in again.items] == ["Polisen i Stockholm: ökad närvaro på Arlanda och T-Centralen.",
                                             "Belgian threat level raised to 4."]
    assert again.cursor["min_id"][f"{base} #bryssel"] == "116244100000000002"
    assert again.problems == []


def test_rate_limit_defers_that_instance_only(httpserver, api, now):
    reset = now + timedelta(minutes=3)
    calls = []

    def handler(request):
        calls.append(request.path)
        if not request.path.startswith("/other"):
            return page(api("mastodon", "429.json"), status=429, **{"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                                                                   "X-RateLimit-Reset": reset.isoformat().replace("+00:00", ".412233Z")})
        return page(api("mastodon", "remote-copy.json"))

    httpserver.expect_request("/api/v1/timelines/tag/bryssel").respond_with_handler(handler)
    httpserver.expect_request("/other/api/v1/timelines/tag/bryssel").respond_with_handler(handler)
    monitor, src = MastodonMonitor(), source(httpserver, query="#bryssel")
    base = httpserver.url_for("/").rstrip("/")
    parsed = monitor.parse(src, monitor.fetch(src, {}, now=now), now=now)
    assert len(parsed.items) == 2 and [p.code for p in parsed.problems] == ["rate_limited"]
    assert parsed.cursor["instances"][base]["next_call_at"] == "2026-03-22T09:03:00.412233Z"
    assert parsed.cursor["instances"][base]["ratelimit"]["remaining"] == 0
    assert "next_call_at" not in parsed.cursor  # the other instance may still be asked
    calls.clear()
    soon = now + timedelta(minutes=1)
    deferred = monitor.parse(src, monitor.fetch(src, parsed.cursor, now=soon), now=soon)
    assert calls == ["/other/api/v1/timelines/tag/bryssel"] and "deferred" in {p.code for p in deferred.problems}
    calls.clear()
    monitor.fetch(src, deferred.cursor, now=now + timedelta(minutes=4))
    assert "/api/v1/timelines/tag/bryssel" in calls


def test_html_too_many_requests_page_defers(httpserver, api, now):
    httpserver.expect_request("/api/v1/timelines/tag/bryssel").respond_with_data(
        api("proxy-too-many-requests.html"), status=429, content_type="text/html")
    src = SourceConfig(id="m", monitor="mastodon", url=httpserver.url_for("/"), name="m", options={"query": "#bryssel"})
    parsed = MastodonMonitor().parse(src, MastodonMonitor().fetch(src, {}, now=now), now=now)
    assert [p.code for p in parsed.problems] == ["rate_limited"]
    assert parsed.cursor["next_call_at"] == "2026-03-22T09:05:00Z"  # the only instance: the whole source waits


@pytest.mark.parametrize("token, fixture, words", [(None, "401.json", "requires a token"),
                                                   (TOKEN, "401-invalid-token.json", "refused MEDIEBILD_MASTODON_TOKEN")])
def test_auth_error_is_one_problem_and_other_instances_go_on(httpserver, api, now, monkeypatch, token, fixture, words):
    if token:
        monkeypatch.setenv("MEDIEBILD_MASTODON_TOKEN", token)
    httpserver.expect_request("/api/v1/timelines/tag/bryssel").respond_with_data(api("mastodon", fixture), status=401)
    httpserver.expect_request("/other/api/v1/timelines/tag/bryssel").respond_with_data(api("mastodon", "remote-copy.json"))
    monitor, src = MastodonMonitor(), source(httpserver, query="#bryssel")
    parsed = monitor.parse(src, monitor.fetch(src, {}, now=now), now=now)
    (problem,) = parsed.problems
    assert problem.code == "auth" and problem.severity == "error" and words in problem.message
    assert len(parsed.items) == 2


def test_words_are_searched_with_a_token_only(httpserver, api, now, monkeypatch):
    httpserver.expect_request("/api/v1/timelines/tag/bryssel").respond_with_data(api("mastodon", "empty.json"))
    src = SourceConfig(id="m", monitor="mastodon", url=httpserver.url_for("/"), name="m",
                       options={"query": "#bryssel flyg inställt"})
    monitor = MastodonMonitor()
    parsed = monitor.parse(src, monitor.fetch(src, {}, now=now), now=now)
    assert [p.code for p in parsed.problems] == ["search_needs_token"] and parsed.items == []

    monkeypatch.setenv("MEDIEBILD_MASTODON_TOKEN", TOKEN)
    searches = []

    def search(request):
        searches.append((dict(request.args), request.headers.get("Authorization")))
        return page(api("mastodon", "search.json"))

    httpserver.expect_request("/api/v2/search").respond_with_handler(search)
    parsed = monitor.parse(src, monitor.fetch(src, {}, now=now), now=now)
    assert searches == [({"q": "flyg inställt", "type": "statuses", "resolve": "false", "limit": "40"}, f"Bearer {TOKEN}")]
    assert [i.text for i in parsed.items] == ["Är Brysselflyget från Arlanda inställt?"]
    base = httpserver.url_for("/").rstrip("/")
    assert parsed.cursor["min_id"] == {f"{base} search:flyg inställt": "116244110000000000"}


@pytest.mark.parametrize("body, code", [(b"<html><body>Maintenance</body></html>", "not_json"),
                                        (b'{"error": "odd"}', "malformed"), (b"\x00\x01", "not_json")])
def test_malformed_answers_are_problems(httpserver, now, body, code):
    httpserver.expect_request("/api/v1/timelines/tag/bryssel").respond_with_data(body, content_type="application/json")
    src = SourceConfig(id="m", monitor="mastodon", url=httpserver.url_for("/"), name="m", options={"query": "#bryssel"})
    parsed = MastodonMonitor().parse(src, MastodonMonitor().fetch(src, {"min_id": {"x": "1"}}, now=now), now=now)
    assert parsed.items == [] and code in {p.code for p in parsed.problems}
    assert parsed.cursor["min_id"] == {"x": "1"}


def test_transport_failure_everywhere_raises_for_a_retry(now):
    src = SourceConfig(id="m", monitor="mastodon", url="http://127.0.0.1:9", name="m", options={"query": "#bryssel"})
    with pytest.raises(TransientSourceError):
        MastodonMonitor().fetch(src, {}, now=now)
    assert not collect(src, {}, now).ok


def test_html_text_joins_link_parts():
    html = ('<p>a <a href="https://x.se/lång/väg"><span class="invisible">https://</span><span class="ellipsis">x.se/lå'
            '</span><span class="invisible">ng/väg</span></a><br>b &amp; c</p><p>d</p>')
    assert html_text(html) == "a https://x.se/lång/väg\nb & c\nd"


def test_parse_never_raises_on_junk(api, now, mutate):
    src = SourceConfig(id="m", monitor="mastodon", url="https://mastodon.social", name="m")
    monitor = MastodonMonitor()
    for body in (b"", b"junk", b"{}", json.dumps({"format": FORMAT, "pages": [{"status": 200, "body": "[1, {}]"}]}).encode()):
        assert monitor.parse(src, FetchResult(url="u", status=200, body=body), now=now).items == []
    statuses = json.loads(api("mastodon", "tag-page1.json"))
    for junk in mutate(statuses):
        pages = [{"url": "u", "status": 200, "body": json.dumps(junk), "context": {"instance": "https://m.se"}}]
        body = json.dumps({"format": FORMAT, "platform": "mastodon", "pages": pages}).encode()
        parsed = monitor.parse(src, FetchResult(url="u", status=200, body=body), now=now)
        assert all(isinstance(i, Item) and i.id.startswith("mastodon:") for i in parsed.items)


def test_the_token_never_leaves_the_monitor(httpserver, api, now, monkeypatch, leak_check):
    monkeypatch.setenv("MEDIEBILD_MASTODON_TOKEN", TOKEN)

    def echo(request):
        auth = request.headers.get("Authorization", "")
        statuses = json.loads(api("mastodon", "tag-newer.json"))
        statuses[0]["content"] = f"<p>{auth}</p>"
        statuses[1]["account"]["display_name"] = auth
        if request.args.get("min_id") == "err":
            return page(json.dumps({"error": f"bad token {auth}"}).encode(), status=403)
        if request.args.get("min_id") == "link":
            return page(json.dumps(statuses).encode(), prev=auth.replace("Bearer ", ""))
        return page(json.dumps(statuses).encode(), **{"X-Echo": auth})

    httpserver.expect_request("/api/v1/timelines/tag/bryssel").respond_with_handler(echo)
    monitor = MastodonMonitor()
    src = SourceConfig(id="m", monitor="mastodon", url=httpserver.url_for("/"), name="m", options={"query": "#bryssel"})
    base = httpserver.url_for("/").rstrip("/")
    for min_id in (None, "err", "link"):
        cursor = {"min_id": {f"{base} #bryssel": min_id}} if min_id else {}
        fetched = monitor.fetch(src, cursor, now=now)
        leak_check.add(fetched, monitor.parse(src, fetched, now=now))
    leak_check.assert_clean(TOKEN)
