"""The Reddit monitor against a local OAuth + listing server (answers in tests/fixtures/api/reddit)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from werkzeug.wrappers import Response

from mediebild.flows.ingest import collect
from mediebild.items import Item
from mediebild.monitors import monitor_for
from mediebild.monitors.base import FetchResult, SourceConfig
from mediebild.monitors.reddit import RedditMonitor
from mediebild.monitors.social import FORMAT

CLIENT_ID, CLIENT_SECRET = "pLaNtEdClIeNtId22", "PlantedRedditSecret-x9y8z7w6v5"
TOKEN_PATH, NEW, SEARCH = "/api/v1/access_token", "/r/stockholm+sweden/new", "/r/stockholm+sweden/search"
T = 1774166400.0  # 2026-03-22T08:00:00Z


@pytest.fixture(autouse=True)
def credentials(monkeypatch):
    monkeypatch.setenv("MEDIEBILD_REDDIT_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("MEDIEBILD_REDDIT_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("MEDIEBILD_REDDIT_USERNAME", "mediebild_ops")


def source(httpserver, **options) -> SourceConfig:
    return SourceConfig(id="reddit", monitor="reddit", url=httpserver.url_for("/"), name="Reddit", item_kind="social",
                        options={"subreddits": ["stockholm", "r/sweden"], **options})


def listing(body: bytes, status: int = 200, *, remaining="988.0", reset="347") -> Response:
    return Response(body, status=status, content_type="application/json",
                    headers={"x-ratelimit-used": "12", "x-ratelimit-remaining": remaining, "x-ratelimit-reset": reset})


class Calls(list):
    """(path, form or args, User-Agent) of every request; `newer` switches the listing to newer posts."""

    newer = False


@pytest.fixture
def server(httpserver, api):
    calls = Calls()
    token = json.loads(api("reddit", "token.json"))["access_token"]

    def oauth(request):
        calls.append((request.path, dict(request.form), request.headers.get("User-Agent")))
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return Response(api("reddit", "401.json"), status=401, content_type="application/json")
        return Response(api("reddit", "token.json"), content_type="application/json")

    def new(request):
        calls.append((request.path, dict(request.args), request.headers.get("User-Agent")))
        assert request.headers["Authorization"] == f"bearer {token}"
        if request.args.get("after") == "t3_1c00003":
            return listing(api("reddit", "new-page2.json"))
        if request.args.get("after") == "t3_1c00006":
            return listing(api("reddit", "empty.json"))
        return listing(api("reddit", "new-newer.json" if calls.newer else "new-page1.json"))

    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_handler(oauth)
    httpserver.expect_request(NEW).respond_with_handler(new)
    httpserver.expect_request(SEARCH).respond_with_handler(new)
    return calls


def test_registered():
    assert isinstance(monitor_for("reddit"), RedditMonitor)


def test_new_posts_paged_to_the_end_then_resumed(httpserver, server, now):
    monitor, src = RedditMonitor(), source(httpserver)
    parsed = monitor.parse(src, monitor.fetch(src, {}, now=now), now=now)
    assert [c[0] for c in server] == [TOKEN_PATH, NEW, NEW]
    assert server[0][1] == {"grant_type": "client_credentials"}
    assert all(ua == "python:mediebild:0.1.0 (by /u/mediebild_ops)" for _, _, ua in server)
    assert server[1][1] == {"limit": "100", "raw_json": "1"} and server[2][1]["after"] == "t3_1c00003"
    ids = [i.id for i in parsed.items]
    assert ids == ["reddit:t3_1c00006", "reddit:t3_1c00005", "reddit:t3_1c00004", "reddit:t3_1c00003", "reddit:t3_1c00002"]
    question, link, crosspost, removed, police = parsed.items
    assert question.url.startswith("https://www.reddit.com/r/stockholm/comments/1c00006/")
    assert question.text == "Min syster är på Zaventem & svarar inte. Tips på vem man ringer?"  # raw_json=1: no &amp;
    assert question.author == "kalle_k" and question.published_at.isoformat() == "2026-03-22T08:25:00+00:00"
    social = question.raw["social"]
    assert social["engagement"] == {"likes": 57, "reposts": 0, "replies": 31, "quotes": None}
    assert social["thread_id"] == question.id and social["extra"]["subreddit"] == "stockholm"
    assert link.raw["social"]["links"] == ["https://www.regeringen.se/ud/bryssel"]
    assert crosspost.raw["social"]["repost_of"] == question.id and crosspost.content_hash == question.content_hash
    assert removed.raw["social"]["deleted"] and removed.text == "" and removed.author is None
    assert police.raw["social"]["links"] == ["https://polisen.se/aktuellt/"]
    codes = {p.code: p.message for p in parsed.problems}
    assert codes["malformed_post"].startswith("3 ") and codes["deleted_post"].startswith("1 ")
    assert parsed.cursor["newest_utc"] == T + 1500 and "pending" not in parsed.cursor
    assert parsed.cursor["ratelimit"] == {"limit": 1000.0, "remaining": 988.0, "reset_at": "2026-03-22T09:05:47Z"}

    server.clear()
    server.newer = True
    later = now + timedelta(minutes=5)
    again = monitor.parse(src, monitor.fetch(src, parsed.cursor, now=later), now=later)
    assert [c[0] for c in server] == [TOKEN_PATH, NEW]  # one page: it reached the newest post seen before
    assert [i.id for i in again.items] == ["reddit:t3_1c00008", "reddit:t3_1c00006"]
    assert again.cursor["newest_utc"] == T + 3000


def test_search_in_the_subreddits(httpserver, server, now):
    monitor, src = RedditMonitor(), source(httpserver, query="bryssel OR zaventem", max_pages=1)
    parsed = monitor.parse(src, monitor.fetch(src, {}, now=now), now=now)
    assert server[1][0] == SEARCH
    assert server[1][1] == {"limit": "100", "raw_json": "1", "q": "bryssel OR zaventem", "restrict_sr": "1", "sort": "new", "t": "day"}
    assert len(parsed.items) == 4 and "budget_truncated" in {p.code for p in parsed.problems}


def test_ratelimit_headers_defer_and_resume(httpserver, api, now):
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_data(api("reddit", "token.json"))
    state = {"n": 0}

    def new(request):
        state["n"] += 1
        if request.args.get("after") == "t3_1c00003":
            return listing(api("reddit", "new-page2.json"))
        return listing(api("reddit", "new-page1.json"), remaining="0.0", reset="120")  # seconds until reset

    httpserver.expect_request(NEW).respond_with_handler(new)
    monitor, src = RedditMonitor(), source(httpserver)
    first = monitor.parse(src, monitor.fetch(src, {"newest_utc": T}, now=now), now=now)
    assert state["n"] == 1 and len(first.items) == 4
    assert first.cursor["next_call_at"] == "2026-03-22T09:02:00Z"
    assert first.cursor["pending"] == {"after": "t3_1c00003", "newest_utc": T + 1500} and first.cursor["newest_utc"] == T
    early = monitor.parse(src, monitor.fetch(src, first.cursor, now=now + timedelta(seconds=60)), now=now)
    assert state["n"] == 1 and [p.code for p in early.problems] == ["deferred"]
    done = monitor.parse(src, monitor.fetch(src, early.cursor, now=now + timedelta(minutes=3)), now=now)
    assert [i.id for i in done.items] == ["reddit:t3_1c00002"]
    assert done.cursor["newest_utc"] == T + 1500 and "pending" not in done.cursor


@pytest.mark.parametrize("fixture, content_type", [("proxy-too-many-requests.html", "text/html"), ("reddit/429.json", "application/json")])
def test_429_defers(httpserver, api, now, fixture, content_type):
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_data(api("reddit", "token.json"))
    httpserver.expect_request(NEW).respond_with_data(api(*fixture.split("/")), status=429, content_type=content_type)
    monitor, src = RedditMonitor(), source(httpserver)
    parsed = monitor.parse(src, monitor.fetch(src, {}, now=now), now=now)
    assert [p.code for p in parsed.problems] == ["rate_limited"] and parsed.cursor["next_call_at"] == "2026-03-22T09:01:00Z"


@pytest.mark.parametrize("fixture, status", [("401.json", 401), ("token-invalid-grant.json", 400)])
def test_refused_credentials_are_one_problem(httpserver, api, now, fixture, status):
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_data(api("reddit", fixture), status=status)
    monitor, src = RedditMonitor(), source(httpserver)
    parsed = monitor.parse(src, monitor.fetch(src, {"newest_utc": T}, now=now), now=now)
    (problem,) = parsed.problems
    assert problem.code == "auth" and "refused the app credentials" in problem.message
    assert len(httpserver.log) == 1 and parsed.cursor == {"newest_utc": T}


def test_private_and_unknown_subreddits(httpserver, api, now):
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_data(api("reddit", "token.json"))
    httpserver.expect_request(NEW).respond_with_data(api("reddit", "403-private.json"), status=403)
    monitor = RedditMonitor()
    parsed = monitor.parse(source(httpserver), monitor.fetch(source(httpserver), {}, now=now), now=now)
    assert [(p.code, p.severity) for p in parsed.problems] == [("forbidden", "error")]
    assert "r/stockholm+sweden is private" in parsed.problems[0].message
    httpserver.clear()
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_data(api("reddit", "token.json"))
    httpserver.expect_request("/r/nosuchsub/new").respond_with_data(
        "", status=302, headers={"Location": "https://www.reddit.com/subreddits/search?q=nosuchsub"})
    src = source(httpserver, subreddits="nosuchsub")
    parsed = monitor.parse(src, monitor.fetch(src, {}, now=now), now=now)
    assert [p.code for p in parsed.problems] == ["not_found"] and "does not exist" in parsed.problems[0].message


@pytest.mark.parametrize("body, code", [(b"<html><body>Our CDN was unable to reach our servers</body></html>", "not_json"),
                                        (b'{"kind": "Listing"}', "malformed"), (b"[]", "malformed")])
def test_malformed_answers(httpserver, api, now, body, code):
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_data(api("reddit", "token.json"))
    httpserver.expect_request(NEW).respond_with_data(body, status=200)
    monitor, src = RedditMonitor(), source(httpserver)
    parsed = monitor.parse(src, monitor.fetch(src, {"newest_utc": T}, now=now), now=now)
    assert parsed.items == [] and code in {p.code for p in parsed.problems} and parsed.cursor["newest_utc"] == T


def test_missing_credentials(httpserver, monkeypatch, now):
    monkeypatch.delenv("MEDIEBILD_REDDIT_CLIENT_SECRET")
    outcome = collect(source(httpserver), {}, now)
    assert [p.code for p in outcome.problems] == ["auth_missing"] and len(httpserver.log) == 0


def test_parse_never_raises_on_junk(api, now, mutate):
    src = SourceConfig(id="r", monitor="reddit", url="https://oauth.reddit.com", name="r")
    monitor = RedditMonitor()
    for body in (b"", b"junk", json.dumps({"format": FORMAT, "pages": [{"status": 200, "body": '{"data": []}'}]}).encode()):
        assert monitor.parse(src, FetchResult(url="u", status=200, body=body), now=now).items == []
    page1 = json.loads(api("reddit", "new-page1.json"))
    for junk in mutate(page1):
        pages = [{"url": "u", "status": 200, "body": json.dumps(junk), "context": {}}]
        body = json.dumps({"format": FORMAT, "platform": "reddit", "pages": pages}).encode()
        parsed = monitor.parse(src, FetchResult(url="u", status=200, body=body), now=now)
        assert all(isinstance(i, Item) and i.url.startswith("https://www.reddit.com/") for i in parsed.items)


def test_credentials_and_token_never_leave_the_monitor(httpserver, api, now, leak_check):
    token = json.loads(api("reddit", "token.json"))["access_token"]
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_handler(
        lambda r: Response(json.dumps({"access_token": token, "echo": r.headers.get("Authorization")}), content_type="application/json"))

    def new(request):
        auth = request.headers.get("Authorization", "")
        if request.args.get("after"):
            return Response(json.dumps({"message": f"{auth} {CLIENT_SECRET}", "error": 418}), status=418)
        data = json.loads(api("reddit", "new-page1.json"))
        data["data"]["children"][0]["data"]["selftext"] = f"{auth} {CLIENT_SECRET} {CLIENT_ID}"
        data["data"]["children"][1]["data"]["author"] = CLIENT_SECRET
        return listing(json.dumps(data).encode())

    httpserver.expect_request(NEW).respond_with_handler(new)
    monitor, src = RedditMonitor(), source(httpserver)
    fetched = monitor.fetch(src, {}, now=now)
    leak_check.add(fetched, monitor.parse(src, fetched, now=now))
    httpserver.clear()
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_data(json.dumps({"error": CLIENT_SECRET}), status=401)
    leak_check.add(collect(src, {}, now))
    leak_check.assert_clean(CLIENT_SECRET, CLIENT_ID, token)
