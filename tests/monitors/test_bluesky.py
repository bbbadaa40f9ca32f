"""The Bluesky monitor against a local XRPC server (answers in tests/fixtures/api/bluesky)."""

from __future__ import annotations

import base64
import json
import stat
from datetime import datetime, timedelta, timezone

import pytest
from werkzeug.wrappers import Response

from mediebild.flows.ingest import collect
from mediebild.items import Item
from mediebild.monitors import monitor_for
from mediebild.monitors.base import FetchResult, SourceConfig
from mediebild.monitors.bluesky import BlueskyMonitor, bluesky_id, session_path
from mediebild.monitors.social import FORMAT

HANDLE, PASSWORD = "mediebild-test.bsky.social", "abcd-efgh-ijkl-mnop"
SEARCH, CREATE, REFRESH = ("/xrpc/app.bsky.feed.searchPosts", "/xrpc/com.atproto.server.createSession",
                           "/xrpc/com.atproto.server.refreshSession")
NOW = datetime(2026, 3, 22, 9, 0, tzinfo=timezone.utc)


def jwt(name: str, exp: datetime) -> str:
    part = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")  # noqa: E731
    return f"{part({'alg': 'ES256K'})}.{part({'scope': 'com.atproto.appPass', 'sub': 'did:plc:me', 'exp': int(exp.timestamp()), 'n': name})}.c2ln"


ACCESS, REFRESHED, REFRESH_TOKEN = jwt("a1", NOW + timedelta(hours=2)), jwt("a2", NOW + timedelta(hours=2)), jwt("r1", NOW + timedelta(days=60))


@pytest.fixture(autouse=True)
def login(monkeypatch, state_dir):
    monkeypatch.setenv("MEDIEBILD_BLUESKY_HANDLE", HANDLE)
    monkeypatch.setenv("MEDIEBILD_BLUESKY_APP_PASSWORD", PASSWORD)


def source(httpserver, **options) -> SourceConfig:
    return SourceConfig(id="bsky", monitor="bluesky", url=httpserver.url_for("/"), name="Bluesky", item_kind="social",
                        options={"query": "bryssel OR brussels", **options})


def xrpc(body, status: int = 200, **headers) -> Response:
    return Response(body if isinstance(body, bytes) else json.dumps(body), status=status, headers=headers,
                    content_type="application/json")


@pytest.fixture
def server(httpserver, api):
    """createSession, refreshSession and searchPosts; `calls` records (path, args, auth)."""
    calls = []

    def create(request):
        calls.append((request.path, request.get_json(), None))
        if request.get_json() != {"identifier": HANDLE, "password": PASSWORD}:
            return xrpc(api("bluesky", "401-login.json"), 401)
        return xrpc({"did": "did:plc:me", "handle": HANDLE, "accessJwt": ACCESS, "refreshJwt": REFRESH_TOKEN, "active": True})

    def refresh(request):
        calls.append((request.path, {}, request.headers.get("Authorization")))
        if request.headers.get("Authorization") != f"Bearer {REFRESH_TOKEN}":
            return xrpc(api("bluesky", "400-expired.json"), 400)
        return xrpc({"did": "did:plc:me", "handle": HANDLE, "accessJwt": REFRESHED, "refreshJwt": REFRESH_TOKEN})

    def search(request):
        auth = request.headers.get("Authorization")
        calls.append((request.path, dict(request.args), auth))
        if auth not in (f"Bearer {ACCESS}", f"Bearer {REFRESHED}"):
            return xrpc(api("bluesky", "400-expired.json"), 400)
        if request.args.get("since"):
            return xrpc(api("bluesky", "search-newer.json"))
        if request.args.get("cursor") == "page2cursor":
            return xrpc(api("bluesky", "search-page2.json"))
        return xrpc(api("bluesky", "search-page1.json"))

    httpserver.expect_request(CREATE, method="POST").respond_with_handler(create)
    httpserver.expect_request(REFRESH, method="POST").respond_with_handler(refresh)
    httpserver.expect_request(SEARCH).respond_with_handler(search)
    return calls


def run(httpserver, cursor=None, now=NOW, **options):
    monitor, src = BlueskyMonitor(), source(httpserver, **options)
    fetched = monitor.fetch(src, cursor or {}, now=now)
    return monitor.parse(src, fetched, now=now)


def test_registered():
    assert isinstance(monitor_for("bluesky"), BlueskyMonitor)


def test_login_search_to_the_end_then_resume_with_the_kept_session(httpserver, server, state_dir):
    parsed = run(httpserver)
    assert [c[0] for c in server] == [CREATE, SEARCH, SEARCH]
    assert server[1][1] == {"q": "bryssel OR brussels", "sort": "latest", "limit": "100"}
    assert server[2][1]["cursor"] == "page2cursor" and server[1][2] == f"Bearer {ACCESS}"
    first, reply, quote, external, older = parsed.items
    assert first.url == "https://bsky.app/profile/krisbloggen.bsky.social/post/3kzq2bryssel1"
    assert first.id == bluesky_id("at://did:plc:krisinfo7x2/app.bsky.feed.post/3kzq2bryssel1")
    assert first.author == "krisbloggen.bsky.social" and first.lang == "sv"
    social = first.raw["social"]
    assert social["engagement"] == {"likes": 40, "reposts": 12, "replies": 3, "quotes": 2}
    # facets: UTF-8 byte offsets (Två, på, 💥, läs before the link) become character spans
    link = social["extra"]["facets"][0]
    assert link["type"] == "link" and link["text"] == "testposten.se/nyheter/2016..." and link["start"] == 39
    assert first.text[link["start"]:link["end"]] == link["text"]
    assert social["links"] == ["https://www.testposten.se/nyheter/2016/03/22/bryssel"]
    assert social["tags"] == ["Bryssel"] and social["mentions"] == ["polisen.bsky.social"]
    assert reply.url == "https://bsky.app/profile/did:plc:anna9/post/3kzq2reply22"  # handle.invalid: the did
    assert reply.raw["social"]["is_reply"]
    assert reply.raw["social"]["thread_id"] == bluesky_id("at://did:plc:krisinfo7x2/app.bsky.feed.post/3kzq2root000")
    assert reply.raw["social"]["reply_to"] == bluesky_id("at://did:plc:krisinfo7x2/app.bsky.feed.post/3kzq2parent0")
    assert quote.raw["social"]["quote_of"] == bluesky_id("at://did:plc:gone/app.bsky.feed.post/3kzq2gone000")
    assert quote.raw["social"]["extra"]["quoted_missing"]  # the quoted post was deleted
    assert external.raw["social"]["links"] == ["https://news.example.com/threat"] and external.date_flag == "future"
    assert older.text.startswith("Stockholms stad")
    warnings = {p.code: p.message for p in parsed.problems}
    assert set(warnings) == {"bad_facets", "malformed_post", "quoted_missing", "date_future"}
    assert warnings["bad_facets"].startswith("2 ") and warnings["malformed_post"].startswith("4 ")
    assert parsed.cursor == {"since": "2026-03-22T08:05:00Z"}  # newest sort time less the overlap

    path = session_path(httpserver.url_for("/").rstrip("/"), HANDLE)
    assert path.parent.parent == state_dir and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["accessJwt"] == ACCESS

    server.clear()
    again = run(httpserver, parsed.cursor, now=NOW + timedelta(minutes=10))
    assert [c[0] for c in server] == [SEARCH]  # the session was reused: no new login
    assert server[0][1]["since"] == "2026-03-22T08:05:00Z"
    assert [i.text for i in again.items] == ["Ny lägesbild från länsstyrelsen kl 10."]
    assert again.cursor["since"] == "2026-03-22T08:35:00Z"


def test_expired_session_is_refreshed_not_logged_in_again(httpserver, server):
    path = session_path(httpserver.url_for("/").rstrip("/"), HANDLE)
    from mediebild.monitors.social import write_private

    write_private(path, {"base": httpserver.url_for("/").rstrip("/"), "handle": HANDLE,
                         "accessJwt": jwt("old", NOW - timedelta(minutes=1)), "refreshJwt": REFRESH_TOKEN, "logins": []})
    parsed = run(httpserver, max_pages=1)
    assert [c[0] for c in server] == [REFRESH, SEARCH] and server[1][2] == f"Bearer {REFRESHED}"
    assert len(parsed.items) == 4 and json.loads(path.read_text())["accessJwt"] == REFRESHED

    server.clear()  # a token the server calls expired (not a JWT we can read): refresh, then retry
    write_private(path, {"base": httpserver.url_for("/").rstrip("/"), "handle": HANDLE, "accessJwt": "opaque-token-1",
                         "refreshJwt": "opaque-refresh-1", "logins": []})
    parsed = run(httpserver, max_pages=1)
    assert [c[0] for c in server] == [SEARCH, REFRESH, CREATE, SEARCH]  # the refresh was refused too: a new login
    assert len(parsed.items) == 4


@pytest.mark.parametrize("fixture, words", [("401-login.json", "refused the login (401 AuthenticationRequired)"),
                                            ("401-auth-factor.json", "must be an app password")])
def test_refused_login_is_one_problem(httpserver, api, now, fixture, words):
    httpserver.expect_request(CREATE, method="POST").respond_with_data(api("bluesky", fixture), status=401)
    src = source(httpserver)
    parsed = BlueskyMonitor().parse(src, BlueskyMonitor().fetch(src, {"since": "x"}, now=now), now=now)
    (problem,) = parsed.problems
    assert problem.code == "auth" and problem.severity == "error" and words in problem.message
    assert parsed.cursor == {"since": "x"} and len(httpserver.log) == 1


def test_logins_are_budgeted(httpserver, server):
    path = session_path(httpserver.url_for("/").rstrip("/"), HANDLE)
    from mediebild.monitors.social import iso, write_private

    logins = [iso(NOW - timedelta(seconds=10 * i)) for i in range(25)]
    write_private(path, {"base": httpserver.url_for("/").rstrip("/"), "handle": HANDLE, "logins": logins})
    parsed = run(httpserver)
    assert server == [] and [p.code for p in parsed.problems] == ["login_budget"]
    assert parsed.cursor["next_call_at"] == iso(NOW - timedelta(seconds=240) + timedelta(minutes=5))


@pytest.mark.parametrize("reset, expected", [(str(int(datetime(2026, 3, 22, 9, 7, tzinfo=timezone.utc).timestamp())), "2026-03-22T09:07:00Z"),
                                             ("120", "2026-03-22T09:02:00Z")])
def test_rate_limit_mid_paging_defers_and_resumes(httpserver, api, server, reset, expected):
    httpserver.clear()
    httpserver.expect_request(CREATE, method="POST").respond_with_data(
        json.dumps({"did": "d", "handle": HANDLE, "accessJwt": ACCESS, "refreshJwt": REFRESH_TOKEN}))
    state = {"limited": True}

    def search(request):
        if request.args.get("cursor") == "page2cursor":
            if state["limited"]:
                return xrpc(api("bluesky", "429.json"), 429, **{"RateLimit-Limit": "3000", "RateLimit-Remaining": "0",
                                                                "RateLimit-Reset": reset})
            return xrpc(api("bluesky", "search-page2.json"))
        return xrpc(api("bluesky", "search-page1.json"), **{"RateLimit-Limit": "3000", "RateLimit-Remaining": "1"})

    httpserver.expect_request(SEARCH).respond_with_handler(search)
    first = run(httpserver)
    assert len(first.items) == 4 and "rate_limited" in {p.code for p in first.problems}
    assert first.cursor["next_call_at"] == expected and first.cursor["ratelimit"]["remaining"] == 0
    assert first.cursor["pending"] == {"cursor": "page2cursor", "newest": "2026-03-22T08:10:00Z"}
    assert "since" not in first.cursor
    calls = len(httpserver.log)
    assert [p.code for p in run(httpserver, first.cursor, now=NOW + timedelta(seconds=30)).problems] == ["deferred"]
    assert len(httpserver.log) == calls
    state["limited"] = False
    done = run(httpserver, first.cursor, now=NOW + timedelta(minutes=10))
    assert [i.text[:9] for i in done.items] == ["Stockholm"]
    assert done.cursor["since"] == "2026-03-22T08:05:00Z" and "pending" not in done.cursor


def test_empty_result(httpserver, api, server):
    httpserver.clear()
    httpserver.expect_request(CREATE, method="POST").respond_with_data(
        json.dumps({"did": "d", "handle": HANDLE, "accessJwt": ACCESS, "refreshJwt": REFRESH_TOKEN}))
    httpserver.expect_request(SEARCH).respond_with_data(api("bluesky", "search-empty.json"))
    parsed = run(httpserver, {"since": "2026-03-22T08:00:00Z"})
    assert parsed.items == [] and parsed.problems == [] and parsed.cursor == {"since": "2026-03-22T08:00:00Z"}


@pytest.mark.parametrize("body, status, code", [(b"Request forbidden by administrative rules.\n", 403, "forbidden"),
                                                (b'{"error":"BadQueryString","message":"Error: q: invalid query"}', 400, "http_400"),
                                                (b"<html><body>Too Many Requests</body></html>", 200, "not_json")])
def test_refusals_and_junk_answers(httpserver, server, body, status, code):
    httpserver.clear()
    httpserver.expect_request(CREATE, method="POST").respond_with_data(
        json.dumps({"did": "d", "handle": HANDLE, "accessJwt": ACCESS, "refreshJwt": REFRESH_TOKEN}))
    httpserver.expect_request(SEARCH).respond_with_data(body, status=status)
    parsed = run(httpserver, {"since": "s"})
    assert parsed.items == [] and code in {p.code for p in parsed.problems}
    assert any(p.severity == "error" for p in parsed.problems) and parsed.cursor["since"] == "s"


def test_missing_credentials_is_one_problem(httpserver, monkeypatch, now):
    monkeypatch.delenv("MEDIEBILD_BLUESKY_APP_PASSWORD")
    outcome = collect(source(httpserver), {}, now)
    assert [p.code for p in outcome.problems] == ["auth_missing"] and len(httpserver.log) == 0


def test_parse_never_raises_on_junk(api, now, mutate):
    src = SourceConfig(id="b", monitor="bluesky", url="https://bsky.social", name="b")
    monitor = BlueskyMonitor()
    for body in (b"", b"junk", b"[]", json.dumps({"format": FORMAT, "pages": [{"status": 200, "body": '{"posts": 1}'}]}).encode()):
        assert monitor.parse(src, FetchResult(url="u", status=200, body=body), now=now).items == []
    page1 = json.loads(api("bluesky", "search-page1.json"))
    for junk in mutate(page1):
        pages = [{"url": "u", "status": 200, "body": json.dumps(junk), "context": {}}]
        body = json.dumps({"format": FORMAT, "platform": "bluesky", "pages": pages}).encode()
        parsed = monitor.parse(src, FetchResult(url="u", status=200, body=body), now=now)
        assert all(isinstance(i, Item) and i.url.startswith("https://bsky.app/profile/") for i in parsed.items)


def test_password_and_session_tokens_never_leave_the_monitor(httpserver, api, leak_check):
    """The server echoes the password and the tokens into posts and errors: none of it comes out."""
    def create(request):
        return xrpc({"did": "d", "handle": HANDLE, "accessJwt": ACCESS, "refreshJwt": REFRESH_TOKEN,
                     "message": request.get_json()["password"]})

    def search(request):
        auth = request.headers.get("Authorization", "")
        if request.args.get("since") == "err":
            return xrpc({"error": "BadQueryString", "message": f"{auth} {PASSWORD} {REFRESH_TOKEN}"}, 400)
        data = json.loads(api("bluesky", "search-page2.json"))
        data["posts"][0]["record"]["text"] += f" {auth} {PASSWORD}"
        data["posts"][0]["author"]["displayName"] = REFRESH_TOKEN
        return xrpc(data, **{"X-Echo": auth})

    httpserver.expect_request(CREATE, method="POST").respond_with_handler(create)
    httpserver.expect_request(SEARCH).respond_with_handler(search)
    monitor, src = BlueskyMonitor(), source(httpserver)
    for cursor in ({}, {"since": "err"}):
        fetched = monitor.fetch(src, cursor, now=NOW)
        leak_check.add(fetched, monitor.parse(src, fetched, now=NOW))
    httpserver.clear()
    httpserver.expect_request(CREATE, method="POST").respond_with_data(json.dumps({"error": PASSWORD}), status=401)
    session_path(httpserver.url_for("/").rstrip("/"), HANDLE).unlink()
    leak_check.add(collect(src, {}, NOW))
    leak_check.assert_clean(PASSWORD, ACCESS, REFRESH_TOKEN)
