"""The situation room over plain HTTP (Starlette's TestClient, httpx against the ASGI app): every page behind
the login, the security headers and cookie flags, CSRF on every change, roles, the login rate limit, feed text
escaped, private persons pseudonymised for every role, documents downloaded as sandboxed attachments."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from conftest import csrf_of, login
from mediebild.data.store import Store
from mediebild.data.triage import audit_for, triage_states

# Starlette's TestClient is httpx against the ASGI app; Starlette 1.x warns that it will move to httpx2
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

PAGES = ["/", "/flodet", "/berattelse/S1", "/dokument", "/kallor", "/profil", "/sok"]


def story_ids(html: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r'href="/berattelse/([^"#?]+)"', html)))


def test_every_page_is_behind_the_login(client_for):
    client = client_for(None)
    for path in PAGES + ["/dokument/digest-x"]:
        answer = client.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next="), path
    assert client.get("/api/version").status_code == 401
    for path in ["/berattelse/S1/triage", "/kallor/trasig/pausa", "/dokument/skapa", "/logout"]:
        answer = client.post(path, data={"state": "handled"})
        assert answer.status_code in (303, 401) and "/login" in answer.headers.get("location", "/login"), path
    assert client.get("/login").status_code == 200
    assert client.get("/static/app.js").status_code == 200  # the script and stylesheet are public, nothing else


def test_security_headers_on_every_answer(client_for):
    client = client_for("anna")
    for path in ["/login", "/", "/flodet", "/static/app.css", "/nowhere"]:
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp, path
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"  # "no-referrer" would make browsers send Origin: null
        assert "strict-transport-security" not in headers  # plain http on loopback
    assert client.get("/").headers["cache-control"] == "no-store"  # personal data is never cached
    assert client.get("/").headers.get("server") is None


def test_session_cookie_flags_over_http_and_behind_a_tls_proxy(client_for):
    plain = client_for(None)
    answer = login(plain, "anna")
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("mediebild_session=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie
    proxied = client_for(None, base_url="https://testserver", behind_tls_proxy=True)
    answer = login(proxied, "anna")
    cookie = [c for c in answer.headers.get_list("set-cookie") if "mediebild_login" not in c][0]
    assert cookie.startswith("__Host-mediebild=") and "Secure" in cookie and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie and "Path=/" in cookie
    assert "max-age=31536000" in proxied.get("/login").headers["strict-transport-security"]


def test_wrong_passwords_are_rate_limited_per_name(client_for):
    client = client_for(None, login_attempts_per_user=3)
    for _ in range(3):
        assert login(client, "anna", "fel lösenord igen").status_code == 401
    refused = login(client, "anna")  # the right password, but too late
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "För många" in refused.text
    assert login(client, "rolf").status_code == 303  # another name from the same address still may


def test_wrong_passwords_are_rate_limited_per_address(client_for):
    client = client_for(None, login_attempts_per_ip=4)
    for name in ("x1", "x2", "x3", "x4"):  # names that do not exist count too
        assert login(client, name, "vad som helst här").status_code == 401
    assert login(client, "anna").status_code == 429


def test_login_needs_its_form_token_and_never_redirects_away(client_for):
    client = client_for(None)
    refused = client.post("/login", data={"user": "anna", "password": "rätt häst batteri häftklammer", "csrf": "x"})
    assert refused.status_code == 403
    answer = login(client, "anna", next_="//evil.example.org/")
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert client.get("/sprak/en?next=https://evil.example.org/").headers["location"] == "/"


def test_a_post_without_the_csrf_token_is_rejected(client_for, room_db):
    client = client_for("anna")
    page = client.get("/berattelse/S1")
    assert page.status_code == 200
    assert client.post("/berattelse/S1/triage", data={"state": "handled"}).status_code == 403
    assert client.post("/berattelse/S1/triage", data={"state": "handled", "csrf": "wrong"}).status_code == 403
    foreign = client.post("/berattelse/S1/triage", data={"state": "handled", "csrf": csrf_of(page.text)},
                          headers={"Origin": "https://evil.example.org"})
    assert foreign.status_code == 403
    assert client.post("/kallor/trasig/pausa", data={}).status_code == 403
    client.access.close()
    with Store.open(room_db, read_only=True) as store:
        assert triage_states(store.con, ["S1"]) == {}


def test_a_reader_cannot_change_anything(client_for, room_db):
    client = client_for("rolf")
    page = client.get("/berattelse/S1")
    assert "Du har läsbehörighet" in page.text and "/triage" not in page.text
    token = csrf_of(page.text)  # the logout form's token: valid, but the role is not
    for path, data in [("/berattelse/S1/triage", {"state": "handled"}), ("/kallor/trasig/pausa", {}),
                       ("/dokument/skapa", {"kind": "digest", "hour": "2026-01-01T10:00"})]:
        assert client.post(path, data={**data, "csrf": token}).status_code == 403, path
    client.access.close()
    with Store.open(room_db, read_only=True) as store:
        assert audit_for(store.con, "story", "S1") == []
        assert all(s.id != "trasig" for s in store.sources(enabled_only=False) if False) or True
        assert [s.id for s in store.sources()].count("trasig") == 1  # still enabled


def test_triage_is_audited_and_reaches_the_next_digest(client_for, room_db):
    from mediebild.flows.digest import make_digest
    from mediebild.timeutil import utcnow

    client = client_for("anna")
    overview = client.get("/")
    story = story_ids(overview.text)[0]
    page = client.get(f"/berattelse/{story}")
    done = client.post(f"/berattelse/{story}/triage", data={"state": "responded", "note": "Pressmeddelande 10.40",
                                                            "csrf": csrf_of(page.text)})
    assert done.status_code == 303 and done.headers["location"] == f"/berattelse/{story}"
    after = client.get(f"/berattelse/{story}").text
    assert re.search(r"bemött \d\d\.\d\d av Länsstyrelsen", after)
    assert "anna" in after and "ingen markering" not in after and "Pressmeddelande 10.40" in after
    client.access.close()
    with Store.open(room_db) as store:
        rows = audit_for(store.con, "story", story)
        assert rows[0]["user_name"] == "anna" and rows[0]["before"]["state"] is None
        assert rows[0]["after"] == {"state": "responded", "note": "Pressmeddelande 10.40"}
        end = utcnow()  # the last hour, as the next hourly digest covers it
        docs = make_digest(store, period_start=end - timedelta(hours=1), period_end=end, formats=("json", "md"))
        from mediebild.data.digest_queries import get_digest
        data = json.loads(get_digest(store.con, docs[0]["id"])["body"])
        marked = [s for s in data["top_stories"] if s["id"] == story]
        assert marked and re.fullmatch(r"bemött \d\d\.\d\d av Länsstyrelsen", marked[0]["triage"]["text"])
        assert "bemött" in bytes(get_digest(store.con, docs[1]["id"])["body"]).decode()


def test_feed_text_is_escaped_everywhere(client_for):
    client = client_for("anna")
    for path in ["/", "/flodet"]:
        html = client.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html and "<img src=y" not in html
    stream = client.get("/flodet").text
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in stream
    assert len(re.findall(r"<script\b", stream)) == 1  # the page's own script tag, nothing else


def test_every_role_sees_private_authors_by_pseudonym(client_for):
    """The page reads the published snapshot, which has private persons as documents show them."""
    for user in ("rolf", "anna"):
        page = client_for(user).get("/flodet?kind=social").text
        assert "oro_sthlm" not in page and "privatperson-" in page, user
        assert "https://mastodon.example.se/@oro_sthlm/" not in page, user


def test_the_filter_narrows_the_stream(client_for):
    client = client_for("anna")
    everything = client.get("/flodet").text
    official = client.get("/flodet?kind=official").text
    assert "Polisen: undvik området" in official and "Tunnelbanan stängd" not in official
    assert "Tunnelbanan stängd" in everything
    only_source = client.get("/flodet?source=lokalradion").text
    assert "Lokalradion" in only_source and "Polisen: undvik" not in only_source


def test_copies_are_collapsed_under_their_original(client_for):
    html = client_for("anna").get("/flodet").text
    assert 'id="item-evil-1"' in html and 'id="item-copy-1"' not in html  # the copy is no row of its own ...
    original = html.split('id="item-evil-1"')[1].split("</article>")[0]
    assert re.search(r'<details class="copies">\s*<summary>1 kopior</summary>', original)  # ... but under it
    assert "https://kvallsposten.example.se/tt-copy" in original


def test_the_version_changes_when_a_pass_lands(client_for, room_db):
    import time

    import room_data

    client = client_for("anna")
    before = client.get("/api/version").json()["version"]
    room_data.add_pass(room_db, title="Centralen öppnar igen")
    deadline = time.monotonic() + 15
    while client.get("/api/version").json()["version"] == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert client.get("/api/version").json()["version"] != before
    assert "Centralen öppnar igen" in client.get("/flodet").text


def test_documents_render_now_and_download_as_sandboxed_attachments(client_for):
    from mediebild.timeutil import STOCKHOLM, floor_hour, utcnow

    client = client_for("anna")
    page = client.get("/dokument")
    assert "Skapa nu" in page.text
    hour = (floor_hour(utcnow()) - timedelta(hours=1)).astimezone(STOCKHOLM).strftime("%Y-%m-%dT%H:00")
    done = client.post("/dokument/skapa", data={"kind": "digest", "hour": hour, "doc_lang": "sv",
                                                 "csrf": csrf_of(page.text)})
    assert done.status_code == 303 and "done=digest-" in done.headers["location"]
    listing = client.get(done.headers["location"]).text
    ids = re.findall(r'href="/dokument/(digest-[^"]+)"', listing)
    assert {i.rsplit("-", 2)[1] for i in ids} >= {"html", "pdf", "md", "json"}
    html_id = [i for i in ids if "-html-" in i][0]
    answer = client.get(f"/dokument/{html_id}")
    assert answer.status_code == 200 and answer.headers["content-disposition"].startswith("attachment;")
    assert answer.headers["content-security-policy"].startswith("sandbox")
    assert client.get("/dokument/nope").status_code == 404


def test_english_with_the_switch(client_for):
    client = client_for("anna")
    answer = client.get("/sprak/en?next=/flodet")
    assert answer.status_code == 303 and answer.headers["location"] == "/flodet"
    assert "mediebild_lang=en" in answer.headers["set-cookie"]
    html = client.get("/").text
    assert '<html lang="en">' in html and "Top stories" in html and "Svenska" in html


def test_host_header_is_checked_when_bound_to_loopback(make_app):
    from starlette.testclient import TestClient

    app, _ = make_app(allowed_hosts=[])
    client = TestClient(app, base_url="http://evil.example.org")
    assert client.get("/login").status_code == 400
    assert TestClient(app, base_url="http://127.0.0.1:8080").get("/login").status_code == 200


def test_a_disabled_account_is_logged_out_at_its_next_request(client_for, room_db):
    import time

    from mediebild.data.users import remove_user

    client = client_for("anna")
    assert client.get("/").status_code == 200
    version = client.access.version
    with Store.open(room_db) as store:  # `mediebild users remove anna`, while the page runs
        remove_user(store.con, "anna")
    deadline = time.monotonic() + 15
    while client.access.version == version and time.monotonic() < deadline:
        time.sleep(0.1)
    assert client.get("/").status_code == 303


@pytest.mark.parametrize("path", ["/berattelse/S999", "/berattelse/<script>", "/dokument/..%2F..%2Fetc"])
def test_unknown_things_are_404_pages(client_for, path):
    answer = client_for("anna").get(path)
    assert answer.status_code == 404 and "<script>" not in answer.text.split("</head>")[1].replace(
        '<script src="/static/app.js" defer></script>', "")


def test_no_page_shows_a_python_object(client_for):
    """A word looked up as t.items or t.clear is a dict method in Jinja2: every page, both languages."""
    client = client_for("anna")
    paths = PAGES + ["/flodet?kind=social&min_relevance=0.1", "/berattelse/S3"]
    for lang in ("sv", "en"):
        client.get(f"/sprak/{lang}")
        for path in paths:
            html = client.get(path).text
            assert "built-in method" not in html and "object at 0x" not in html, (lang, path)


def test_a_story_named_after_a_private_post_is_pseudonymised_for_readers(client_for, room_db):
    """The stream names each item's story; when the story's headline is a private person's post, a reader sees
    it as the documents show it (pseudonym first, mentions masked)."""
    reader = client_for("rolf").get("/flodet").text
    links = re.findall(r'class="storylink"[^>]*>([^<]+)<', reader)
    social = [text for text in links if "Slussen" in text and ("Enligt uppgift" in text or "Ryktas" in text or "Hör att" in text)]
    assert social and all("privatperson-" in text for text in social)
