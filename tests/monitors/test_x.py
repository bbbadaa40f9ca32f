"""The X recent-search monitor against a local server speaking API v2 (answers in tests/fixtures/api/x)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from werkzeug.wrappers import Response

from mediebild.errors import PermanentSourceError
from mediebild.flows.ingest import collect
from mediebild.items import Item, content_hash
from mediebild.monitors import AVAILABLE, monitor_for
from mediebild.monitors.base import FetchResult, SourceConfig
from mediebild.monitors.social import FORMAT
from mediebild.monitors.x import XMonitor

TOKEN = "AAAAAAAAAAAAAAAAAAAAAPlantedXBearerToken0123456789"
PATH = "/2/tweets/search/recent"


@pytest.fixture(autouse=True)
def token(monkeypatch):
    monkeypatch.setenv("MEDIEBILD_X_BEARER_TOKEN", TOKEN)


def source(httpserver, **options) -> SourceConfig:
    return SourceConfig(id="x-bryssel", monitor="x", url=httpserver.url_for("/"), name="X #bryssel", item_kind="social",
                        options={"query": "bryssel OR brussels -is:retweet", **options})


def answer(body: bytes, status: int = 200, *, remaining: int = 440, reset: datetime | None = None, **headers) -> Response:
    reset = reset or datetime(2026, 3, 22, 9, 10, tzinfo=timezone.utc)
    base = {"x-rate-limit-limit": "450", "x-rate-limit-remaining": str(remaining), "x-rate-limit-reset": str(int(reset.timestamp()))}
    return Response(body, status=status, headers={**base, **headers}, content_type="application/json")


def test_registered():
    assert "x" in AVAILABLE and isinstance(monitor_for("x"), XMonitor)


def test_pages_to_the_end_then_resumes_from_since_id(httpserver, api, now):
    seen = []

    def handler(request):
        seen.append(dict(request.args))
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.headers["User-Agent"].startswith("mediebild/")
        if request.args.get("since_id") == "1712000000000000105":
            return answer(api("x", "newer.json"))
        if request.args.get("next_token") == "b26v89c19zqg8o3fpds":
            return answer(api("x", "page2.json"))
        return answer(api("x", "page1.json"))

    httpserver.expect_request(PATH).respond_with_handler(handler)
    monitor, src = XMonitor(), source(httpserver)
    fetched = monitor.fetch(src, {}, now=now)
    parsed = monitor.parse(src, fetched, now=now)
    assert [a.get("next_token") for a in seen] == [None, "b26v89c19zqg8o3fpds"]
    assert seen[0]["expansions"] == "author_id,referenced_tweets.id,referenced_tweets.id.author_id"
    assert "since_id" not in seen[0] and seen[0]["max_results"] == "100"
    assert [i.id for i in parsed.items] == ["x:1712000000000000105", "x:1712000000000000104", "x:1712000000000000103",
                                            "x:1712000000000000102"]
    first, repost, reply, quote = parsed.items
    assert first.url == "https://x.com/testposten/status/1712000000000000105"
    assert first.author == "testposten" and first.lang == "sv" and first.kind == "social"
    assert first.published_at == datetime(2026, 3, 22, 7, 58, 31, tzinfo=timezone.utc)
    social = first.raw["social"]
    assert social["platform"] == "x" and social["author_name"] == "Testposten Nyheter"
    assert social["engagement"] == {"likes": 88, "reposts": 41, "replies": 7, "quotes": 3}
    assert social["thread_id"] == first.id and not social["is_repost"]
    assert social["links"] == ["https://www.testposten.se/nyheter/123"] and social["tags"] == ["bryssel"]
    # the repost carries the original's id and full text, so it collapses onto it as a copy
    assert repost.raw["social"]["is_repost"] and repost.raw["social"]["repost_of"] == "x:1712000000000000100"
    original = "Explosioner på flygplatsen i Bryssel, Zaventem. Flera skadade enligt belgisk polis. Följ vår direktrapport."
    assert repost.text == original and repost.content_hash == content_hash(repost.title, original)
    assert reply.raw["social"]["is_reply"] and reply.raw["social"]["thread_id"] == "x:1712000000000000100"
    assert quote.raw["social"]["quote_of"] == "x:1711999999999999000"
    assert quote.text.endswith("not to travel to the airport.")  # note_tweet: the long text, not the cut one
    codes = {p.code: p for p in parsed.problems}
    assert "referenced_missing" in codes and "1 referenced posts" in codes["referenced_missing"].message  # deleted
    assert "3 posts without" in codes["malformed_post"].message
    assert all(p.severity == "warning" for p in parsed.problems)
    assert parsed.cursor["since_id"] == "1712000000000000105" and "pending" not in parsed.cursor
    assert parsed.cursor["ratelimit"]["remaining"] == 440 and parsed.cursor["usage"]["posts"] == 7

    second = monitor.fetch(src, parsed.cursor, now=now + timedelta(minutes=5))
    again = monitor.parse(src, second, now=now + timedelta(minutes=5))
    assert seen[-1]["since_id"] == "1712000000000000105"
    assert [i.id for i in again.items] == ["x:1712000000000000200"]
    assert again.cursor["since_id"] == "1712000000000000200"


def test_empty_result_keeps_the_cursor(httpserver, api, now):
    httpserver.expect_request(PATH).respond_with_response(answer(api("x", "empty.json")))
    monitor, src = XMonitor(), source(httpserver)
    parsed = monitor.parse(src, monitor.fetch(src, {"since_id": "5"}, now=now), now=now)
    assert parsed.items == [] and parsed.problems == []
    assert parsed.cursor["since_id"] == "5"


def test_rate_limit_mid_paging_defers_then_resumes(httpserver, api, now):
    reset = now + timedelta(minutes=10)

    def handler(request):
        if request.args.get("next_token") == "b26v89c19zqg8o3fpds":
            return answer(api("x", "429-window.json"), 429, remaining=0, reset=reset)
        return answer(api("x", "page1.json"))

    httpserver.expect_request(PATH).respond_with_handler(handler)
    monitor, src = XMonitor(), source(httpserver)
    first = monitor.parse(src, monitor.fetch(src, {}, now=now), now=now)
    assert len(first.items) == 3
    assert "rate_limited" in {p.code for p in first.problems}
    assert first.cursor["next_call_at"] == "2026-03-22T09:10:00Z"
    assert first.cursor["pending"] == {"next_token": "b26v89c19zqg8o3fpds", "newest_id": "1712000000000000105"}
    assert "since_id" not in first.cursor

    calls = len(httpserver.log)
    early = monitor.parse(src, monitor.fetch(src, first.cursor, now=now + timedelta(minutes=3)), now=now)
    assert len(httpserver.log) == calls  # no call before the reset
    assert [p.code for p in early.problems] == ["deferred"] and early.problems[0].severity == "warning"

    httpserver.clear()

    def resume(request):
        assert request.args["next_token"] == "b26v89c19zqg8o3fpds"
        return answer(api("x", "page2.json"))

    httpserver.expect_request(PATH).respond_with_handler(resume)
    later = now + timedelta(minutes=11)
    done = monitor.parse(src, monitor.fetch(src, early.cursor, now=later), now=later)
    assert [i.id for i in done.items] == ["x:1712000000000000102"]
    assert done.cursor["since_id"] == "1712000000000000105" and "pending" not in done.cursor


@pytest.mark.parametrize("fixture, status", [("429-window.json", 429), ("429-v1.json", 429)])
def test_rate_limit_without_headers_defers_a_window(httpserver, api, now, fixture, status):
    httpserver.expect_request(PATH).respond_with_data(api("x", fixture), status=status, content_type="application/json")
    monitor, src = XMonitor(), source(httpserver)
    parsed = monitor.parse(src, monitor.fetch(src, {"since_id": "7"}, now=now), now=now)
    assert [p.code for p in parsed.problems] == ["rate_limited"]
    assert parsed.cursor["next_call_at"] == "2026-03-22T09:15:00Z" and parsed.cursor["since_id"] == "7"


def test_html_too_many_requests_page(httpserver, api, now):
    httpserver.expect_request(PATH).respond_with_data(api("proxy-too-many-requests.html"), status=429, content_type="text/html")
    monitor, src = XMonitor(), source(httpserver)
    parsed = monitor.parse(src, monitor.fetch(src, {}, now=now), now=now)
    assert [p.code for p in parsed.problems] == ["rate_limited"] and parsed.items == []
    assert "next_call_at" in parsed.cursor


def test_usage_cap_stops_the_source_until_the_next_period(httpserver, api, now):
    httpserver.expect_request(PATH).respond_with_response(answer(api("x", "429-usage-cap.json"), 429, remaining=39999))
    monitor, src = XMonitor(), source(httpserver)
    parsed = monitor.parse(src, monitor.fetch(src, {"since_id": "7"}, now=now), now=now)
    (problem,) = parsed.problems
    assert problem.code == "usage_cap" and problem.severity == "error"
    assert "monthly usage cap" in problem.message and "2026-04-01T00:00:00Z" in problem.message
    assert parsed.cursor["next_call_at"] == "2026-04-01T00:00:00Z"


def test_monthly_budget_by_design(httpserver, api, now):
    httpserver.expect_request(PATH).respond_with_response(answer(api("x", "page1.json")))
    monitor, src = XMonitor(), source(httpserver, monthly_cap=3)
    parsed = monitor.parse(src, monitor.fetch(src, {}, now=now), now=now)
    assert len(httpserver.log) == 1 and len(parsed.items) == 3  # stopped at the cap, not at X's
    assert parsed.cursor["usage"] == {"period": "2026-03", "posts": 3}
    following = monitor.parse(src, monitor.fetch(src, parsed.cursor, now=now), now=now)
    assert len(httpserver.log) == 1
    assert [p.code for p in following.problems] == ["budget_exhausted"]
    assert following.cursor["next_call_at"] == "2026-04-01T00:00:00Z"


def test_pages_per_pass_budget_skips_the_rest_with_a_warning(httpserver, api, now):
    httpserver.expect_request(PATH).respond_with_response(answer(api("x", "page1.json")))
    monitor, src = XMonitor(), source(httpserver, max_pages=1)
    parsed = monitor.parse(src, monitor.fetch(src, {}, now=now), now=now)
    assert len(httpserver.log) == 1
    assert "budget_truncated" in {p.code for p in parsed.problems}
    assert parsed.cursor["since_id"] == "1712000000000000105" and "pending" not in parsed.cursor


@pytest.mark.parametrize(
    "fixture, status, code, words",
    [
        ("401.json", 401, "auth", "refused the bearer token"),
        ("403-not-enrolled.json", 403, "auth_tier", "not enrolled for recent search"),
        ("453.json", 403, "auth_tier", "lacks recent search (453)"),
    ],
)
def test_auth_errors_are_one_sentence(httpserver, api, now, fixture, status, code, words):
    httpserver.expect_request(PATH).respond_with_data(api("x", fixture), status=status, content_type="application/problem+json")
    monitor, src = XMonitor(), source(httpserver)
    parsed = monitor.parse(src, monitor.fetch(src, {"since_id": "7"}, now=now), now=now)
    (problem,) = parsed.problems
    assert problem.code == code and problem.severity == "error" and words in problem.message
    assert problem.message.count(". ") == 0 and len(problem.message) < 220
    assert parsed.cursor["since_id"] == "7" and parsed.items == []


def test_missing_token_is_one_problem_and_other_sources_go_on(httpserver, api, now, monkeypatch):
    monkeypatch.delenv("MEDIEBILD_X_BEARER_TOKEN")
    src = source(httpserver)
    with pytest.raises(PermanentSourceError):
        XMonitor().fetch(src, {}, now=now)
    outcome = collect(src, {}, now)
    assert [p.code for p in outcome.problems] == ["auth_missing"] and not outcome.ok
    assert "MEDIEBILD_X_BEARER_TOKEN is not set" in outcome.problems[0].message


@pytest.mark.parametrize("body", [b"<html><body>Bad gateway</body></html>", b"[1, 2]", b"\xff\xfe\x00junk", b""])
def test_malformed_answers_are_problems_and_the_cursor_stays(httpserver, now, body):
    httpserver.expect_request(PATH).respond_with_data(body, status=200, content_type="application/json")
    monitor, src = XMonitor(), source(httpserver)
    parsed = monitor.parse(src, monitor.fetch(src, {"since_id": "7"}, now=now), now=now)
    assert parsed.items == [] and parsed.cursor["since_id"] == "7"
    assert any(p.severity == "error" for p in parsed.problems)


def envelope(*bodies) -> FetchResult:
    pages = [{"url": "u", "status": 200, "body": b if isinstance(b, str) else json.dumps(b), "context": {}} for b in bodies]
    return FetchResult(url="u", status=200, body=json.dumps({"format": FORMAT, "platform": "x", "pages": pages}).encode())


def test_parse_never_raises_on_junk(api, now, mutate):
    src = SourceConfig(id="x", monitor="x", url="https://api.x.com", name="x")
    monitor = XMonitor()
    for body in (b"", b"junk", b"[]", b'{"format": 1}', json.dumps({"format": FORMAT, "pages": [1, None, {"body": 3}]}).encode()):
        assert monitor.parse(src, FetchResult(url="u", status=200, body=body), now=now).items == []
    page1 = json.loads(api("x", "page1.json"))
    for junk in mutate(page1):
        parsed = monitor.parse(src, envelope(junk), now=now)
        assert all(isinstance(i, Item) and i.id.startswith("x:") and i.text for i in parsed.items)
        json.dumps([i.to_dict() for i in parsed.items], default=str)


def test_the_token_never_leaves_the_monitor(httpserver, api, now, leak_check):
    """A server that echoes the Authorization header back, in errors and in posts: the token goes nowhere."""
    def echo(request):
        auth = request.headers.get("Authorization", "")
        if request.args.get("since_id") == "1":
            return answer(json.dumps({"title": "Unauthorized", "detail": f"bad {auth}"}).encode(), 401)
        if request.args.get("since_id") == "2":
            return answer(json.dumps({"title": "UsageCapExceeded", "detail": auth, "period": auth}).encode(), 429)
        if request.args.get("since_id") == "3":
            return answer(f"<html><body>{auth}</body></html>".encode(), 200)
        data = json.loads(api("x", "page1.json"))
        data["data"][0]["text"] += " " + auth
        data["includes"]["users"][0]["name"] = auth
        if request.args.get("since_id") == "4":
            data["meta"]["next_token"] = auth
        return answer(json.dumps(data).encode(), 200)

    httpserver.expect_request(PATH).respond_with_handler(echo)
    monitor, src = XMonitor(), source(httpserver, max_pages=2)
    for cursor in ({}, {"since_id": "1"}, {"since_id": "2"}, {"since_id": "3"}, {"since_id": "4"}):
        try:
            fetched = monitor.fetch(src, cursor, now=now)
        except PermanentSourceError as exc:  # since_id 4: the token came back as a paging token
            assert exc.code == "secret_in_url"
            leak_check.add(exc)
            continue
        leak_check.add(fetched, monitor.parse(src, fetched, now=now))
    httpserver.clear()
    httpserver.expect_request(PATH).respond_with_data("", status=503)
    try:
        monitor.fetch(src, {}, now=now)
    except Exception as exc:  # noqa: BLE001 - recorded for the grep
        leak_check.add(exc)
    leak_check.add(collect(src, {}, now))
    leak_check.assert_clean(TOKEN)


def test_a_stale_next_token_is_dropped_not_retried_forever(httpserver, now):
    httpserver.expect_request(PATH).respond_with_data(
        json.dumps({"title": "Invalid Request", "detail": "The `next_token` query parameter value is invalid"}), status=400)
    monitor, src = XMonitor(), source(httpserver)
    cursor = {"since_id": "7", "pending": {"next_token": "stale", "newest_id": "9"}}
    parsed = monitor.parse(src, monitor.fetch(src, cursor, now=now), now=now)
    assert httpserver.log[0][0].args["next_token"] == "stale"
    (problem,) = parsed.problems
    assert problem.code == "http_400" and "interrupted paging was dropped" in problem.message
    assert parsed.cursor["since_id"] == "7" and "pending" not in parsed.cursor
