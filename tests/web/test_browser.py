"""The situation room in a real browser: Debian's chromium driven by Playwright (never `playwright install`).

One server per module (uvicorn in a thread, on a free port of 127.0.0.1) on a copy of the small test
database, read through snapshots as `mediebild web` reads it. Skipped when /usr/bin/chromium is missing;
.ci/run installs it.
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app, port: int) -> Iterator[str]:
    """The ASGI app served by uvicorn on 127.0.0.1:`port` in a thread, for as long as the block runs; its URL."""
    import uvicorn

    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(room_template, tmp_path_factory):
    from mediebild.data.access import Snapshots
    from mediebild.flows.serve import web_services
    from mediebild.web.app import create_app
    from mediebild.web.config import WebSettings

    db = tmp_path_factory.mktemp("browser") / "room.duckdb"
    shutil.copyfile(room_template[0], db)
    port = free_port()
    access = Snapshots(db, settle=0.2, poll=0.2, write_timeout=10).start()
    app = create_app(WebSettings(port=port, refresh_seconds=2), access, web_services())
    with serving(app, port) as url:
        yield {"url": url, "db": db, "access": access}
    access.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page_as(browser, server):
    """page_as(user) -> a fresh browser context's page, logged in through the login form."""
    import room_data

    contexts = []

    def make(user: str | None):
        context = browser.new_context(base_url=server["url"], locale="sv-SE", viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.problems = []  # type: ignore[attr-defined]
        page.on("dialog", lambda d: (page.problems.append(f"dialog: {d.message}"), d.dismiss()))
        page.on("console", lambda m: page.problems.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: page.problems.append(f"error: {e}"))
        if user is not None:
            page.goto("/")
            assert "/login" in page.url
            page.fill("#user", user)
            page.fill("#password", room_data.PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{server['url']}/")
        return page

    yield make
    for context in contexts:
        context.close()


def test_log_in_and_the_overview_shows_the_stories(page_as):
    page = page_as("anna")
    assert page.locator("h1").inner_text() == "Läget nu"
    top = page.locator("#top article.story")
    assert top.count() >= 3
    assert "Centralen" in page.locator("#top").inner_text() and "Slussen" in page.locator("#top").inner_text()
    assert "Rykten att kontrollera" in page.inner_text("main")
    assert page.locator("#volume svg rect.bar").count() > 0
    assert page.problems == []


def test_a_filter_narrows_the_stream(page_as):
    page = page_as("anna")
    page.click("nav.pages >> text=Flödet")
    everything = page.locator("#items article.item").count()
    page.check("input[name=kind][value=official]")
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r".*kind=official.*"))
    rows = page.locator("#items article.item")
    assert 0 < rows.count() < everything
    assert rows.count() == page.locator("#items article.item.kind-row-official").count()
    assert page.problems == []


def test_a_triage_click_persists_and_reaches_the_audit_and_the_next_digest(page_as, server):
    page = page_as("anna")
    page.locator("#top article.story h3 a").first.click()
    page.wait_for_url(re.compile(r".*/berattelse/S\d+$"))
    story = page.url.rsplit("/", 1)[1]
    page.fill("#triage-note", "Bemött i pressmeddelande")
    page.click("button[name=state][value=responded]")
    page.wait_for_load_state()
    badge = page.locator("#triage-state .triage")
    assert re.fullmatch(r"bemött \d\d\.\d\d av Länsstyrelsen", badge.inner_text().strip())
    page.reload()
    assert "bemött" in page.locator("#triage-state").inner_text()
    audit = page.locator("#audit").inner_text()
    assert "anna (Länsstyrelsen)" in audit and "bemött" in audit and "Bemött i pressmeddelande" in audit
    # the next digest: rendered from the page, downloaded, and it says so
    page.click("nav.pages >> text=Dokument")
    page.click(".render-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/dokument\?done=.*"))
    json_id = page.locator("a[href^='/dokument/digest-'][href*='-json-']").first.get_attribute("href")
    body = page.request.get(json_id).json()
    marked = [s for s in body["top_stories"] if s["id"] == story]
    assert marked and re.fullmatch(r"bemött \d\d\.\d\d av Länsstyrelsen", marked[0]["triage"]["text"])
    assert page.problems == []


def test_a_readers_attempt_is_refused(page_as):
    page = page_as("rolf")
    page.locator("#top article.story h3 a").first.click()
    assert page.locator("form.triage-form").count() == 0
    assert "läsbehörighet" in page.inner_text("#triage")
    state = page.inner_text("#triage-state")
    token = page.locator("input[name=csrf]").first.get_attribute("value")  # the logout form's: valid, wrong role
    answer = page.request.post(page.url + "/triage", form={"state": "handled", "csrf": token})
    assert answer.status == 403
    page.reload()
    assert page.inner_text("#triage-state") == state and "hanterad" not in state


def test_script_in_a_title_is_text_and_fires_nothing(page_as):
    import room_data

    page = page_as("anna")
    page.goto("/flodet")
    title = page.locator("#item-evil-1 h3").inner_text()
    assert title == room_data.EVIL
    assert page.evaluate("document.querySelectorAll('main script, main img, main [onerror]').length") == 0
    page.locator("#item-evil-1 details summary").click()  # the copy's title too
    assert "<script>" in page.locator("#item-evil-1 details").inner_text()
    page.wait_for_timeout(300)
    assert page.problems == []  # no dialog, no CSP violation, no script error


def test_a_post_without_the_csrf_token_is_rejected(page_as):
    page = page_as("anna")
    page.locator("#top article.story h3 a").first.click()
    page.evaluate("document.querySelector('form.triage-form input[name=csrf]').remove()")
    page.click("button[name=state][value=handled]")
    page.wait_for_load_state()
    assert "säkerhetsnyckel" in page.inner_text("main")
    answer = page.request.post(page.url.replace("/triage", "") + "/triage" if "/triage" not in page.url else page.url,
                               form={"state": "handled"})
    assert answer.status == 403


def test_the_page_updates_when_a_new_pass_lands_without_losing_the_readers_place(page_as, server):
    import room_data

    page = page_as("anna")
    page.goto("/flodet")
    anchor = page.locator("#items article.item").nth(6)
    anchor_id = anchor.get_attribute("id")
    anchor.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 40)")
    before = page.evaluate(f"document.getElementById('{anchor_id}').getBoundingClientRect().top")
    room_data.add_pass(server["db"], n=3, title="Centralen öppnar igen")
    page.locator("#items >> text=Centralen öppnar igen").first.wait_for(timeout=20_000)
    after = page.evaluate(f"document.getElementById('{anchor_id}').getBoundingClientRect().top")
    assert abs(after - before) <= 4, (before, after)  # new rows came in above without moving the reader
    assert "uppdaterad" in page.inner_text("#asof")
    assert page.problems == []


# -- Sök och trender -----------------------------------------------------------------------------------------------
def test_a_search_shows_highlighted_hits(page_as):
    page = page_as("rolf")
    page.click("nav.pages >> text=Sök och trender")
    page.fill("#q", "explosion")
    page.click("#search-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/sok\?.*q=explosion.*"))
    assert page.locator("#hits li.hit").count() > 0
    assert page.locator("#hits mark").count() > 0
    assert page.locator("#hits mark").first.inner_text().lower() == "explosion"
    assert page.problems == []


def test_script_in_a_query_or_a_title_on_the_search_page_is_text(page_as):
    page = page_as("anna")
    answer = page.goto("/sok?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert answer is not None and answer.status == 400
    assert page.locator("#problem").is_visible()
    assert page.input_value("#q") == "<script>alert(1)</script>"
    page.goto("/sok?q=Centralen&sort=time")
    evil = page.locator("#hit-evil-1, #hit-copy-1").first
    assert "<script>" in evil.inner_text() and "<img" in evil.inner_text()
    assert page.locator("main script, main img").count() == 0
    assert [p for p in page.problems if "status of 400" not in p] == []  # no dialog, no script error


def test_a_malformed_query_shows_its_error_and_keeps_the_form(page_as):
    page = page_as("anna")
    page.goto("/sok")
    page.fill("#q", "(brand AND")
    page.click("#search-form button[type=submit]")
    assert "character 1" in page.locator("#problem").inner_text()
    assert page.input_value("#q") == "(brand AND"
    assert [p for p in page.problems if "status of 400" not in p] == []  # the page itself answered 400


def test_paging_with_the_next_page_link(page_as):
    page = page_as("anna")
    page.goto("/sok?q=Centralen+OR+Slussen&sort=time")
    first = page.locator("#hits li.hit").evaluate_all("els => els.map(e => e.id)")
    page.click("#next-page")
    page.wait_for_url(re.compile(r".*cursor=.*"))
    second = page.locator("#hits li.hit").evaluate_all("els => els.map(e => e.id)")
    assert len(first) == 20 and second and not set(first) & set(second)
    assert page.problems == []


def test_trends_chart_loads_and_the_table_sums(page_as):
    page = page_as("anna")
    page.goto("/sok/trender")
    page.fill("#queries", "explosion\nSlussen")
    page.select_option("select[name=by]", "15min")
    page.click("#trends-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/sok/trender\?.*"))
    image = page.locator("#trend-chart")
    image.scroll_into_view_if_needed()
    page.wait_for_function("() => document.getElementById('trend-chart').complete")
    assert image.evaluate("img => img.naturalWidth") > 0
    answer = page.request.get(image.get_attribute("src"))
    assert answer.status == 200 and answer.headers["content-type"].startswith("image/svg+xml")
    sums = page.evaluate("""() => {
        const rows = [...document.querySelectorAll('#trend-table tbody tr')];
        const col = n => rows.reduce((s, r) => s + Number(r.querySelectorAll('td[data-count]')[n].dataset.count), 0);
        const foot = [...document.querySelectorAll('#trend-table tfoot td[data-count]')].map(td => Number(td.dataset.count));
        return {cols: [col(0), col(1)], foot};
    }""")
    assert sums["cols"] == sums["foot"] and sum(sums["foot"]) > 0
    assert page.problems == []


def test_a_top_list_links_to_a_search(page_as):
    page = page_as("anna")
    page.goto("/sok/topp?period=24h")
    link = page.locator("#top-sources tbody a").first
    name = link.inner_text()
    link.click()
    page.wait_for_url(re.compile(r".*/sok\?.*q=source.*"))
    assert page.locator("#hits li.hit").count() > 0
    assert name in page.locator("#hits").inner_text()
    assert page.locator("select[name=period]").input_value() == "24h"  # the period came along
    assert page.problems == []
