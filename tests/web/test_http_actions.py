"""The situation room's actions over plain HTTP: sessions that survive a restart of the page (stored as token
hashes), a clear error when sending is not configured, and the role and CSRF checks of every new POST."""

from __future__ import annotations

import hashlib

import pytest

from conftest import csrf_of
from mediebild.data.sessions import count_sessions, find_session
from mediebild.data.store import Store

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

POSTS = ["/bedom/item/evil-1", "/bedom/story/S1", "/dokument/x/skicka", "/kallor/ny", "/profil", "/profil/lagg-till",
         "/anvandare/ny", "/anvandare/rolf/roll", "/anvandare/rolf/stang-av", "/anvandare/rolf/losenord"]


def test_a_session_survives_a_restart_of_the_page_and_only_its_hash_is_stored(client_for, make_app, room_db):
    from starlette.testclient import TestClient

    client = client_for("anna")
    token = client.cookies.get("mediebild_session")
    assert client.get("/").status_code == 200
    key = hashlib.sha256(token.encode()).hexdigest()
    with Store.open(room_db, read_only=True) as store:
        assert find_session(store.con, key)["user_name"] == "anna"
        stored = store.con.execute("SELECT * FROM web_sessions").fetchall()
    assert token not in repr(stored)
    client.access.close()  # the page stops ...
    app, _access = make_app()  # ... and starts again on the same database
    again = TestClient(app, base_url="http://testserver", follow_redirects=False)
    again.cookies.set("mediebild_session", token)
    page = again.get("/flodet")
    assert page.status_code == 200 and "anna" in page.text
    logout = again.post("/logout", data={"csrf": csrf_of(page.text)})
    assert logout.status_code == 303
    app, _access = make_app()
    third = TestClient(app, base_url="http://testserver", follow_redirects=False)
    third.cookies.set("mediebild_session", token)
    assert third.get("/").status_code == 303  # logged out stays logged out
    with Store.open(room_db, read_only=True) as store:
        assert count_sessions(store.con, "anna") == 0


def test_sending_when_it_is_not_configured_says_so(client_for):
    client = client_for("anna")
    page = client.get("/dokument")
    assert "Utskick är inte inställt" in page.text and 'class="inline send-form"' not in page.text
    answer = client.post("/dokument/digest-x/skicka", data={"csrf": csrf_of(page.text)})
    assert answer.status_code == 400 and "Utskick är inte inställt" in answer.text


def test_every_new_action_needs_the_token_and_the_role(client_for):
    reader = client_for("rolf")
    token = csrf_of(reader.get("/").text)
    for path in POSTS:
        assert reader.post(path, data={"csrf": token, "verdict": "relevant"}).status_code == 403, path
    editor = client_for("anna")
    for path in POSTS:
        assert editor.post(path, data={"verdict": "relevant"}).status_code == 403, path  # no CSRF token
    token = csrf_of(editor.get("/").text)
    for path in POSTS:
        if path.startswith("/anvandare"):
            assert editor.post(path, data={"csrf": token}).status_code == 403, path  # admins only
    assert editor.get("/anvandare").status_code == 403
    assert client_for("ada").get("/anvandare").status_code == 200


def test_a_bad_source_and_a_bad_profile_are_shown_with_what_was_typed(client_for):
    client = client_for("anna")
    token = csrf_of(client.get("/kallor").text)
    answer = client.post("/kallor/ny", data={"csrf": token, "url": "ftp://<b>x</b>", "kind": "rss"})
    assert answer.status_code == 400 and "not an http(s) URL" in answer.text and "<b>x</b>" not in answer.text
    answer = client.post("/kallor/ny", data={"csrf": token, "url": "https://x.example.se/rss", "kind": "gopher"})
    assert answer.status_code == 400 and "unknown --kind" in answer.text
    answer = client.post("/profil", data={"csrf": token, "body": "name = \n"})
    assert answer.status_code == 400 and "not valid TOML" in answer.text
    assert "Ingen profil är satt" in answer.text  # nothing was stored
