"""Screenshots of the situation room's pages, as `make look` takes them (Debian's chromium through Playwright).

Copies the database (the demo's, by default) to a temporary folder, adds three accounts to the copy (an
editor, a reader and an admin: the original is left alone), serves the page on a free port of 127.0.0.1 and saves a
full-page PNG of every page, in Swedish and English, as an editor and as a reader, and of Användare as an admin.

    .venv/bin/python tests/web/screens.py --db look-out/mediebild-demo.duckdb --out look-out/look/web
"""

from __future__ import annotations

import argparse
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic", "--hide-scrollbars"]
PASSWORD = "titta på lägesrummet nu"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--width", type=int, default=1280)
    args = parser.parse_args()

    import uvicorn
    from playwright.sync_api import sync_playwright

    from mediebild.data.access import Snapshots
    from mediebild.data.store import Store
    from mediebild.data.users import add_user, get_user
    from mediebild.flows.serve import web_services
    from mediebild.web.app import create_app
    from mediebild.web.auth import Passwords
    from mediebild.web.config import WebSettings

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "look.duckdb"
        shutil.copyfile(args.db, db)
        with Store.open(db) as store:
            hashed = Passwords().hash(PASSWORD)
            for name, role, org in (("look-editor", "editor", "Länsstyrelsen"), ("look-reader", "reader", None),
                                    ("look-admin", "admin", "Länsstyrelsen")):
                if get_user(store.con, name) is None:
                    add_user(store.con, name, role=role, password_hash=hashed, organisation=org)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        access = Snapshots(db, settle=0.2, poll=0.2).start()
        app = create_app(WebSettings(port=port), access, web_services())
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        saved = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=ARGS, headless=True)

            def shoot(page, name: str) -> None:
                page.wait_for_load_state("networkidle")
                target = args.out / f"{name}.png"
                page.screenshot(path=str(target), full_page=True)
                saved.append(target)

            for user, lang in (("look-editor", "sv"), ("look-editor", "en"), ("look-reader", "sv"), ("look-admin", "sv")):
                context = browser.new_context(base_url=base, viewport={"width": args.width, "height": 900},
                                              locale="sv-SE")
                page = context.new_page()
                page.goto("/")
                if user == "look-editor" and lang == "sv":
                    shoot(page, "00-login")
                page.fill("#user", user)
                page.fill("#password", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url(base + "/")
                if lang == "en":
                    page.goto("/sprak/en?next=/")
                if user == "look-admin":  # the accounts page, which only admins see
                    page.goto("/anvandare")
                    shoot(page, "10-users")
                    context.close()
                    continue
                prefix = {"sv": "", "en": "en-"}[lang] + ("reader-" if user == "look-reader" else "")
                shoot(page, f"{prefix}01-overview")
                story = page.locator("#top article.story h3 a").first
                if story.count():
                    story.click()
                    shoot(page, f"{prefix}03-story")
                rumour = page.locator("#rumours h3 a").first if page.url.endswith("/") else None
                page.goto("/flodet")
                shoot(page, f"{prefix}02-stream")
                if user == "look-editor" and lang == "sv":
                    page.goto("/")
                    rumour = page.locator("#rumours h3 a").first
                    if rumour.count():
                        rumour.click()
                        shoot(page, "03-story-rumour")
                    page.goto("/flodet?kind=social")
                    shoot(page, "02-stream-social")
                    for path, name in (("/dokument", "04-documents"), ("/kallor", "05-sources"),
                                       ("/profil", "06-profile"), ("/sok?q=explosion+OR+zaventem", "07-search"),
                                       ("/sok/trender?queries=explosion%0Azaventem%0Amaalbeek", "08-trends"),
                                       ("/sok/topp", "09-top")):
                        page.goto(path)
                        shoot(page, name)
                context.close()
            browser.close()
        server.should_exit = True
        thread.join(timeout=10)
        access.close()
    print("look at:")
    for path in saved:
        print(f"  {path.resolve()}")


if __name__ == "__main__":
    main()
