"""Social posts are personal data: documents pseudonymise private authors, purge blanks old posts, forget
removes one person everywhere and redacts what showed them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from mediebild.data.store import Store
from mediebild.flows.digest import make_digest
from mediebild.flows.privacy import forget, purge
from mediebild.items import Item, item_id
from mediebild.monitors.base import SourceConfig

START = datetime(2026, 3, 24, 9, 0, tzinfo=timezone.utc)


def post(n: int, handle: str, text: str, *, minutes: int = 10, repost_of: str | None = None) -> Item:
    url = f"https://social.example/@{handle}/{n}"
    return Item(id=f"x:{n}", source="x-bryssel", kind="social", url=url, title=text[:60], text=text, author=handle,
                published_at=START + timedelta(minutes=minutes), fetched_at=START + timedelta(minutes=minutes),
                raw={"social": {"platform": "x", "author_handle": handle, "repost_of": repost_of}})


def article(n: int) -> Item:
    url = f"https://tidning.example/{n}"
    return Item(id=item_id(canonical=url), source="tidning", kind="editorial", url=url, title=f"Nyhet {n}",
                text="Polisen håller presskonferens.", author=None, published_at=START + timedelta(minutes=20),
                fetched_at=START + timedelta(minutes=20))


def stored(tmp_path, items) -> Store:
    store = Store.open(tmp_path / "p.duckdb", create=True)
    store.upsert_source(SourceConfig(id="x-bryssel", monitor="x", url="https://api.x.com", name="X", item_kind="social"))
    store.upsert_source(SourceConfig(id="tidning", monitor="rss", url="https://tidning.example/rss", name="Tidningen"))
    for source in ("x-bryssel", "tidning"):
        store.record_fetch(source_id=source, run_id="r", started_at=START, finished_at=START, http_status=200, size=1,
                           not_modified=False, items=[i for i in items if i.source == source], problems=[], ok=True,
                           cursor={})
    return store


def test_digest_shows_private_authors_by_pseudonym_and_public_accounts_by_name(tmp_path):
    store = stored(tmp_path, [post(1, "anna_s", "Hör att @kalle_k såg allt vid Slussen"),
                              post(2, "krisinformation", "Följ myndigheternas råd"), article(1)])
    docs = make_digest(store, period_start=START, period_end=START + timedelta(hours=1), formats=("json", "html"))
    body = bytes(store.con.execute("SELECT body FROM digests WHERE id = ?", [docs[0]["id"]]).fetchone()[0]).decode()
    html = bytes(store.con.execute("SELECT body FROM digests WHERE id = ?", [docs[1]["id"]]).fetchone()[0]).decode()
    for text in (body, html):
        assert "anna_s" not in text and "kalle_k" not in text and "privatperson-" in text
        assert "https://social.example/@krisinformation/2" in text and "Nyhet 1" in text
    newest = {i["title"]: i for i in json.loads(body)["newest"]}
    private = next(i for t, i in newest.items() if t.startswith("privatperson-"))
    assert private["url"] is None


def test_purge_blanks_old_social_content_only(tmp_path):
    store = stored(tmp_path, [post(1, "anna_s", "gammalt inlägg", minutes=0), article(1)])
    assert purge(store, older_than=timedelta(days=30), now=START + timedelta(days=31)) == 1
    rows = dict(store.con.execute("SELECT kind, text FROM items").fetchall())
    assert rows == {"social": "", "editorial": "Polisen håller presskonferens."}
    assert purge(store, older_than=timedelta(days=30), now=START + timedelta(days=31)) == 0


def test_forget_removes_posts_and_reposts_redacts_documents_and_keeps_them_out(tmp_path):
    store = stored(tmp_path, [post(1, "anna_s", "Det sägs att tunnelbanan är stängd"),
                              post(2, "bertil", "Det sägs att tunnelbanan är stängd", repost_of="x:1"),
                              post(3, "cecilia", "Jag är på Slussen nu"), article(1)])
    first = make_digest(store, period_start=START, period_end=START + timedelta(hours=1), formats=("json", "pdf"))
    report = forget(store, "@Anna_S")
    assert report.items_removed == 2 and sorted(report.documents_redacted) == sorted(d["id"] for d in first)
    assert len(report.documents_rendered) == 2
    assert {r[0] for r in store.con.execute("SELECT id FROM items").fetchall()} == {"x:3", article(1).id}
    old = dict(store.con.execute("SELECT format, body FROM digests WHERE redacted_at IS NOT NULL").fetchall())
    assert bytes(old["pdf"]).startswith(b"%PDF") and b"redigerats" in bytes(old["json"])
    new = bytes(store.con.execute("SELECT body FROM digests WHERE format = 'json' AND version = 2").fetchone()[0])
    assert b"tunnelbanan" not in new and b"Slussen" in new
    # the platform still has the post: a later pass does not bring it back
    store.record_fetch(source_id="x-bryssel", run_id="r2", started_at=START, finished_at=START, http_status=200, size=1,
                       not_modified=False, items=[post(1, "anna_s", "Det sägs att tunnelbanan är stängd"),
                                                  post(4, "cecilia", "Nu öppnar de igen")], problems=[], ok=True, cursor={})
    assert {r[0] for r in store.con.execute("SELECT id FROM items WHERE kind = 'social'").fetchall()} == {"x:3", "x:4"}
    assert "anna" not in json.dumps(store.con.execute("SELECT * FROM forgotten_authors").fetchall(), default=str)


@pytest.mark.prefect
def test_serve_purges_every_night(prefect_harness, tmp_path):
    from mediebild.flows.privacy import get_retention_flow
    from mediebild.flows.serve import build_deployments, describe

    store = stored(tmp_path, [post(1, "anna_s", "gammalt inlägg", minutes=0)])
    store.close()
    assert get_retention_flow()(db=str(tmp_path / "p.duckdb"), retention_days=1) == 1
    found = {d.name: d for d in build_deployments(str(tmp_path / "p.duckdb"), every_minutes=5)}
    assert found["retention"].parameters == {"db": str(tmp_path / "p.duckdb"), "retention_days": 30}
    assert "retention" in dict(describe(every_minutes=5))
