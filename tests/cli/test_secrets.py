"""Secrets come only from the environment and appear nowhere else: not in output, logs, problem rows, the
source list, documents or the database, even when a server echoes them back."""

from __future__ import annotations

import base64
import json
import logging

from werkzeug import Response

from mediebild.cli import main

TOKENS = {
    "MEDIEBILD_X_BEARER_TOKEN": "planted-x-bearer-7c1f",
    "MEDIEBILD_MASTODON_TOKEN": "planted-mastodon-3b2e",
    "MEDIEBILD_BLUESKY_APP_PASSWORD": "planted-bsky-pass-9d4a",
    "MEDIEBILD_REDDIT_CLIENT_SECRET": "planted-reddit-secret-5e6f",
}


def test_no_planted_token_leaks_anywhere(db_path, tmp_path, httpserver, monkeypatch, capsys, caplog):
    for name, value in TOKENS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MEDIEBILD_BLUESKY_HANDLE", "beredskap.example")
    monkeypatch.setenv("MEDIEBILD_REDDIT_CLIENT_ID", "mediebild-test")
    monkeypatch.setenv("MEDIEBILD_STATE_DIR", str(tmp_path / "state"))

    def echo(request):  # a hostile or broken server: every answer repeats what it was sent
        sent = json.dumps({"headers": dict(request.headers), "form": request.form.to_dict(), "body": request.get_data(as_text=True)})
        return Response(json.dumps({"error": f"unauthorized {sent}", "message": sent}), status=401,
                        content_type="application/json", headers={"WWW-Authenticate": sent[:200]})

    httpserver.expect_request("").respond_with_handler(echo)
    base = httpserver.url_for("/")
    caplog.set_level(logging.DEBUG)
    out = []
    for kind, extra in (("x", ["--query", "bryssel"]), ("mastodon", ["--query", "bryssel"]),
                        ("bluesky", ["--query", "bryssel"]), ("reddit", ["--option", "subreddits=stockholm"])):
        assert main(["sources", "add", base, "--kind", kind, *extra, "--db", str(db_path)]) == 0
    main(["ingest", "--engine", "plain", "--json", "--db", str(db_path)])
    for args in (["sources", "list", "--json"], ["sources", "health", "--json"], ["sources", "health"]):
        main([*args, "--db", str(db_path)])
    main(["digest", "--hour", "2026-03-24T09", "--format", "json,md,html", "--out", str(tmp_path / "out"), "--db", str(db_path)])
    captured = capsys.readouterr()
    out += [captured.out, captured.err, caplog.text]
    out += [p.read_text(encoding="utf-8", errors="replace") for p in (tmp_path / "out").glob("*") if p.is_file()]
    from mediebild.data.store import Store

    with Store.open(db_path, read_only=True) as store:
        tables = [r[0] for r in store.con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        out += [json.dumps(store.con.execute(f'SELECT * FROM "{t}"').fetchall(), default=str) for t in tables]
        problems = store.con.execute("SELECT count(*) FROM problems").fetchone()[0]
    assert problems >= 4  # every source failed with a problem row, so the grep below reads real error paths
    everything = "\n".join(out)
    for name, value in TOKENS.items():
        assert value not in everything, f"{name} leaked"
    basic = base64.b64encode(f"mediebild-test:{TOKENS['MEDIEBILD_REDDIT_CLIENT_SECRET']}".encode()).decode()
    assert basic not in everything, "the Reddit client secret leaked as HTTP basic auth"
