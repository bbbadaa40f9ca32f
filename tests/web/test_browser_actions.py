# ruff: noqa: F811  (the fixtures imported from test_browser are the test functions' parameters)
"""The situation room's actions in a real browser (Debian's chromium driven by Playwright): an editor judges
items and stories, sends a document, adds a source and edits the profile; an admin manages accounts. Each
time the result and its audit line are on the page; a reader gets no button and a forged POST is refused (403),
and a POST without the CSRF token is refused too. One server for the module, sending to a folder."""

from __future__ import annotations

import re
import shutil

import pytest

from test_browser import ARGS, CHROMIUM, browser, free_port, page_as, serving  # noqa: F401,F811 (fixtures)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)")

SUGGESTED = {"profile": "x", "items_seen": 40, "confident_items": 12,
             "terms": [{"term": "avspärrning", "weight": 1.2, "items": 5, "stream_items": 9}],
             "places": [{"label": "LOC", "text": "Vasagatan", "norm_id": "vasagatan", "items": 4, "items_before": 0}],
             "organisations": []}
PROFILE = 'name = "Explosionen vid Centralen"\n# övningens profil\n[terms]\nsv = ["explosion*", "smäll*"]\nplaces = ["Centralen"]\n'


@pytest.fixture(scope="module")
def server(room_template, tmp_path_factory):

    from mediebild.data.access import Snapshots
    from mediebild.flows.serve import web_services
    from mediebild.reports.send import SendSettings
    from mediebild.web.app import create_app
    from mediebild.web.config import WebSettings

    folder = tmp_path_factory.mktemp("sent")
    db = tmp_path_factory.mktemp("actions") / "room.duckdb"
    shutil.copyfile(room_template[0], db)
    port = free_port()
    access = Snapshots(db, settle=0.2, poll=0.2, write_timeout=10).start()
    services = web_services(send_settings=SendSettings(folder=folder))
    services.suggest = lambda con, profile: SUGGESTED
    app = create_app(WebSettings(port=port, refresh_seconds=60), access, services)
    with serving(app, port) as url:
        yield {"url": url, "db": db, "access": access, "folder": folder}
    access.close()


def csrf(page) -> str:
    return page.locator("input[name=csrf]").first.get_attribute("value")


def refused(page, path: str, form: dict) -> None:
    """A reader's forged POST (with a valid token of their own) and anybody's POST without a token: both 403."""
    assert page.request.post(path, form={**form, "csrf": csrf(page)}).status == 403
    assert page.request.post(path, form=form).status == 403


def test_an_editor_judges_an_item_in_the_stream_and_a_story(page_as):
    page = page_as("anna")
    page.goto("/flodet")
    box = page.locator("#items .judgement").first
    box_id = box.get_attribute("id")
    assert "ej bedömd" in box.inner_text()
    box.locator("button[value=relevant]").click()
    page.wait_for_load_state()
    assert re.search(r"bedömd relevant \d+ \w+ \d\d\.\d\d av anna", page.locator(f"#{box_id}").inner_text())
    # the story: its judgement, and the item's judgement in its audit
    page.locator("#items a.storylink").first.click()
    page.wait_for_url(re.compile(r".*/berattelse/S\d+$"))
    page.locator("#judge-story button[value=not_relevant]").click()
    page.wait_for_url(re.compile(r".*/berattelse/S\d+#judgement$"))
    assert "bedömd inte relevant" in page.inner_text("#judge-story") and "av anna" in page.inner_text("#judge-story")
    audit = page.inner_text("#audit")
    assert "anna (Länsstyrelsen)" in audit and "bedömde relevans" in audit and "– → inte relevant" in audit
    assert page.problems == []


def test_a_reader_cannot_judge(page_as):
    page = page_as("rolf")
    page.goto("/flodet")
    assert page.locator(".judge-form").count() == 0 and page.locator("#items .judgement").count() > 0
    item = page.locator("#items article.item").first.get_attribute("id").removeprefix("item-")
    refused(page, f"/bedom/item/{item}", {"verdict": "relevant"})
    page.locator("#items a.storylink").first.click()
    assert page.locator("#judgement .judge-form").count() == 0 and "läsbehörighet" in page.inner_text("#judgement")
    refused(page, page.url.replace("/berattelse/", "/bedom/story/"), {"verdict": "relevant"})


def test_an_editor_sends_a_document_and_a_reader_cannot(page_as, server):
    page = page_as("anna")
    page.goto("/dokument")
    assert "Skickas till: mapp:" in page.inner_text("#send-recipients")
    if page.locator(".send-form").count() == 0:
        page.click(".render-form button[type=submit]")
        page.wait_for_url(re.compile(r".*/dokument\?done=.*"))
    page.locator(".send-form button").first.click()
    page.wait_for_url(re.compile(r".*/dokument\?sent=.*"))
    assert "1 levererade" in page.inner_text("#document-sent")
    assert "skickade dokument" in page.inner_text("#document-audit") and "delivered" in page.inner_text("#document-audit")
    assert any(server["folder"].rglob("*.html"))
    reader = page_as("rolf")
    reader.goto("/dokument")
    assert reader.locator(".send-form").count() == 0
    doc = page.locator(".send-form").first.get_attribute("action")
    refused(reader, doc, {})
    assert page.problems == [] and reader.problems == []


def test_an_editor_adds_a_source_once_and_a_bad_one_is_explained(page_as):
    page = page_as("anna")
    page.goto("/kallor")
    page.fill("#source-url", "https://nyheter.example.se/inrikes/rss.xml")
    page.fill("#source-name", "Nyheter inrikes")
    page.click("#source-add button[type=submit]")
    page.wait_for_url(re.compile(r".*/kallor\?added=.*"))
    assert "lades till" in page.inner_text("#source-outcome")
    assert "Nyheter inrikes" in page.inner_text("#source-table")
    assert "lade till källan" in page.inner_text("#source-audit") and "anna" in page.inner_text("#source-audit")
    page.fill("#source-url", "https://nyheter.example.se/inrikes/rss.xml")
    page.click("#source-add button[type=submit]")
    page.wait_for_url(re.compile(r".*/kallor\?exists=.*"))
    assert "finns redan" in page.inner_text("#source-outcome") and "Inget ändrades" in page.inner_text("#source-outcome")
    page.fill("#source-url", "https://user:pw@nyheter.example.se/rss")
    page.click("#source-add button[type=submit]")
    page.wait_for_load_state()
    assert "inte till" in page.inner_text("#source-problem") and "password" in page.inner_text("#source-problem")
    assert page.input_value("#source-url") == "https://user:pw@nyheter.example.se/rss"  # what was typed stays
    reader = page_as("rolf")
    reader.goto("/kallor")
    assert reader.locator("#source-add").count() == 0
    refused(reader, "/kallor/ny", {"url": "https://annat.example.se/rss", "kind": "rss"})


def test_an_editor_edits_the_profile_and_adds_a_suggested_term(page_as):
    page = page_as("anna")
    page.goto("/profil")
    page.fill("#profile-body", PROFILE)
    page.click("#profile-edit button[type=submit]")
    page.wait_for_url(re.compile(r".*/profil\?saved=1"))
    assert page.inner_text("#profile-name") == "Explosionen vid Centralen"
    page.fill("#profile-body", 'name = "Trasig"\n[terms]\nsv = "inte en lista"\n')
    page.click("#profile-edit button[type=submit]")
    page.wait_for_load_state()
    assert "den tidigare gäller fortfarande" in page.inner_text("#profile-problem")
    assert "terms.sv" in page.inner_text("#profile-problem")
    assert page.inner_text("#profile-name") == "Explosionen vid Centralen"  # the old one stays
    page.goto("/profil")
    page.locator("#suggestions li.suggestion", has_text="avspärrning").locator("button").click()
    page.wait_for_url(re.compile(r".*/profil\?added=.*"))
    assert "avspärrning" in page.inner_text("#term-added") and "avspärrning" in page.inner_text("#profile-terms")
    assert "# övningens profil" in page.input_value("#profile-body")  # the comment survived the one-click add
    assert "ändrade profilen" in page.inner_text("#profile-audit") and "+ sv: avspärrning" in page.inner_text("#profile-audit")
    reader = page_as("rolf")
    reader.goto("/profil")
    assert reader.locator("#profile-edit").count() == 0 and reader.locator("form.add-term").count() == 0
    assert "avspärrning" in reader.inner_text("#suggestions") or "Vasagatan" in reader.inner_text("#suggestions")
    refused(reader, "/profil", {"body": PROFILE})
    refused(reader, "/profil/lagg-till", {"section": "places", "term": "Vasagatan"})
    assert [p for p in page.problems if "status of 400" not in p] == []  # the refused profile's answer is a 400


def test_an_admin_manages_accounts_and_a_disabled_users_session_ends(page_as):
    import room_data

    admin = page_as("ada")
    admin.click("nav.pages >> text=Användare")
    admin.fill("#new-name", "eva")
    admin.select_option("#new-role", "editor")
    admin.fill("#new-org", "Kommunen")
    admin.fill("#new-password", room_data.PASSWORD)
    admin.fill("#new-password2", room_data.PASSWORD)
    admin.click("#user-add button[type=submit]")
    admin.wait_for_url(re.compile(r".*/anvandare\?done=eva.*"))
    assert "redaktör" in admin.inner_text("#user-eva") and "Kommunen" in admin.inner_text("#user-eva")
    eva = page_as("eva")  # logs in with the password the admin set
    assert eva.locator("h1").inner_text() == "Läget nu"
    admin.locator("#user-eva select[name=role]").select_option("reader")
    admin.locator("#user-eva .role-form button").click()
    admin.wait_for_load_state()
    assert "läsare" in admin.inner_text("#user-eva .role")
    admin.locator("#user-eva .disable-form button").click()
    admin.wait_for_load_state()
    assert "avstängt" in admin.inner_text("#user-eva .state")
    audit = admin.inner_text("#user-audit")
    assert "skapade kontot eva" in audit and "bytte roll för eva (editor → reader)" in audit and "stängde av kontot eva" in audit
    eva.goto("/flodet")
    assert "/login" in eva.url  # the disabled account's session ended
    editor = page_as("anna")
    assert editor.locator("nav.pages >> text=Användare").count() == 0
    assert editor.request.get("/anvandare").status == 403
    refused(editor, "/anvandare/ny", {"name": "mallory", "role": "admin", "password": "x" * 12, "password2": "x" * 12})
    refused(editor, "/anvandare/rolf/stang-av", {})
    assert admin.problems == []
