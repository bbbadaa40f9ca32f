"""The four social monitors through the real ingest pass and a real DuckDB store, with planted secrets.

One local server plays X, Mastodon, Bluesky and Reddit and echoes every credential it receives into
posts and error bodies; afterwards no table of the database holds any of them, the cursors round-trip
through the store, and a source whose credentials are refused is one problem while the others go on.
"""

from __future__ import annotations

import ast
import json
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.wrappers import Response

from mediebild.flows.ingest import ingest_pass
from mediebild.monitors.base import SourceConfig

SECRETS = {
    "MEDIEBILD_X_BEARER_TOKEN": "PlantedXBearer-0a1b2c3d4e5f",
    "MEDIEBILD_MASTODON_TOKEN": "PlantedMastodon-6a7b8c9d0e",
    "MEDIEBILD_BLUESKY_HANDLE": "mediebild-test.bsky.social",
    "MEDIEBILD_BLUESKY_APP_PASSWORD": "plnt-dpwd-qrst-uvwx",
    "MEDIEBILD_REDDIT_CLIENT_ID": "PlantedRedditId77",
    "MEDIEBILD_REDDIT_CLIENT_SECRET": "PlantedRedditSecret-88zz",
}
ACCESS_JWT, REFRESH_JWT = "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.planted-access", "planted-refresh-jwt-99"
REDDIT_TOKEN = "planted-reddit-app-token-55"


@pytest.fixture
def platforms(httpserver, api, monkeypatch, state_dir):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    echo = " ".join(list(SECRETS.values()) + [ACCESS_JWT, REFRESH_JWT, REDDIT_TOKEN])

    def x(request):
        data = json.loads(api("x", "newer.json" if request.args.get("since_id") else "page1.json"))
        data["data"][0]["text"] += " " + request.headers["Authorization"]
        data["meta"].pop("next_token", None)
        return Response(json.dumps(data), content_type="application/json", headers={"x-rate-limit-remaining": "3"})

    def mastodon(request):
        statuses = json.loads(api("mastodon", "tag-newer.json"))
        statuses[0]["content"] = f"<p>{request.headers.get('Authorization')} {echo}</p>"
        return Response(json.dumps(statuses), content_type="application/json")

    def bluesky_login(request):
        return Response(json.dumps({"did": "did:plc:me", "handle": "me", "accessJwt": ACCESS_JWT, "refreshJwt": REFRESH_JWT,
                                    "echo": request.get_json()}), content_type="application/json")

    def bluesky(request):
        data = json.loads(api("bluesky", "search-page2.json"))
        data["posts"][0]["record"]["text"] += " " + echo
        return Response(json.dumps(data), content_type="application/json")

    def reddit_token(request):
        if request.authorization is None or request.authorization.username != SECRETS["MEDIEBILD_REDDIT_CLIENT_ID"]:
            return Response(json.dumps({"message": f"Unauthorized {echo}", "error": 401}), status=401)
        return Response(json.dumps({"access_token": REDDIT_TOKEN, "echo": request.headers.get("Authorization")}),
                        content_type="application/json")

    def reddit(request):
        data = json.loads(api("reddit", "new-page2.json"))
        data["data"]["children"][0]["data"]["selftext"] = echo + " " + request.headers["Authorization"]
        return Response(json.dumps(data), content_type="application/json")

    httpserver.expect_request("/2/tweets/search/recent").respond_with_handler(x)
    httpserver.expect_request("/api/v1/timelines/tag/bryssel").respond_with_handler(mastodon)
    httpserver.expect_request("/xrpc/com.atproto.server.createSession", method="POST").respond_with_handler(bluesky_login)
    httpserver.expect_request("/xrpc/app.bsky.feed.searchPosts").respond_with_handler(bluesky)
    httpserver.expect_request("/api/v1/access_token", method="POST").respond_with_handler(reddit_token)
    httpserver.expect_request("/r/stockholm/new").respond_with_handler(reddit)
    base = httpserver.url_for("/")
    return [
        SourceConfig("x-bryssel", "x", base, "X", "social", {"query": "bryssel"}),
        SourceConfig("m-bryssel", "mastodon", base, "Mastodon", "social", {"query": "#bryssel"}),
        SourceConfig("b-bryssel", "bluesky", base, "Bluesky", "social", {"query": "bryssel"}),
        SourceConfig("r-sthlm", "reddit", base, "Reddit", "social", {"subreddits": "stockholm"}),
    ]


def dump(store) -> str:
    tables = [r[0] for r in store.con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
    return "\n".join(json.dumps(store.con.execute(f'SELECT * FROM "{t}"').fetchall(), default=str, ensure_ascii=False) for t in tables)


def test_no_secret_reaches_the_database_and_cursors_round_trip(store, platforms, now, monkeypatch):
    for s in platforms:
        store.upsert_source(s)
    # One at a time: the test servers echo every platform's tokens into every answer, and a session token is known
    # to the scrubber only once its own login has happened; in parallel, another platform's answer could carry a
    # token before the login that makes it (nothing real does that, but the grep below would see it).
    first = ingest_pass(store, now=now, concurrency=1)
    assert first.failed == [] and first.items_new == 7
    assert store.cursor("x-bryssel")["since_id"] == "1712000000000000105"
    assert store.cursor("b-bryssel")["since"] and store.cursor("r-sthlm")["newest_utc"]
    assert list(store.cursor("m-bryssel")["min_id"].values()) == ["116244100000000002"]

    monkeypatch.setenv("MEDIEBILD_REDDIT_CLIENT_ID", "wrong-client-id")  # refused: one problem, the others go on
    second = ingest_pass(store, now=now + timedelta(minutes=5), concurrency=1)
    assert store.cursor("x-bryssel")["since_id"] == "1712000000000000200"  # the cursor came back from the store
    assert second.failed == ["r-sthlm"]
    row = next(r for r in second.per_source if r["source"] == "r-sthlm")
    assert row["problem"].startswith("auth: Reddit refused the app credentials (401")

    text = dump(store)
    assert "Polisen i Stockholm höjer beredskapen" in text  # the grep does see the items
    for value in [*SECRETS.values(), ACCESS_JWT, REFRESH_JWT, REDDIT_TOKEN]:
        if value == SECRETS["MEDIEBILD_BLUESKY_HANDLE"]:
            continue  # the handle is an account name, not a secret
        assert value not in text, f"{value[:8]}... reached the database"


MONITORS = Path(__file__).resolve().parents[2] / "monitors"
ALLOWED = {"mediebild", "mediebild.items", "mediebild.errors", "mediebild.settings", "mediebild.timeutil",
           "mediebild.monitors.base", "mediebild.monitors.http", "mediebild.monitors.social",
           "mediebild.monitors.social_pages"}


@pytest.mark.parametrize("name", ["social", "x", "mastodon", "bluesky", "reddit"])
def test_social_monitors_import_only_the_core(name):
    tree = ast.parse((MONITORS / f"{name}.py").read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    project = {m for m in imported if m.startswith("mediebild")}
    assert project <= ALLOWED, project - ALLOWED
    assert len((MONITORS / f"{name}.py").read_text(encoding="utf-8").splitlines()) < 400
