"""Published snapshots (data/snapshot.py, data/snapshot_read.py): what they hold, what they leave out, how a
new version reuses the old one's files, and that readers see one whole version whatever the writer does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from mediebild.data.snapshot import (current_version, publish_database, read_meta, snapshot_root, stale)
from mediebild.data.snapshot_read import open_snapshot
from mediebild.data.snapshot_tables import TABLES
from mediebild.data.store import Store
from mediebild.errors import StoreError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import analyst_data  # noqa: E402


def _counts(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


BASE_TABLES = [t.name for t in TABLES if not t.rollup and t.name != "story_state"]


def test_a_snapshot_holds_every_published_table_as_the_store_has_it(analyst_db):
    publish_database(analyst_db)
    with Store.open(analyst_db, read_only=True) as store:
        expected = _counts(store.con, BASE_TABLES)
    with open_snapshot(analyst_db, refresh=False) as snap:
        assert _counts(snap.con, BASE_TABLES) == expected
        assert expected["items"] > 40 and expected["enrichments"] == expected["items"]
        # the rollups add up to the items they summarise
        assert snap.con.execute("SELECT sum(items) FROM volume_hourly").fetchone()[0] == expected["items"]
        for view in ("items_enriched", "entity_mentions", "stories_overview", "source_health", "documents",
                     "entity_mentions_hourly", "terms_hourly"):
            snap.con.execute(f"SELECT * FROM {view} LIMIT 1").fetchall()
        assert snap.con.execute("SELECT count(*) FROM items_enriched").fetchone()[0] == expected["items"]


def test_secrets_are_never_published(analyst_db):
    publish_database(analyst_db)
    with open_snapshot(analyst_db, refresh=False) as snap:
        for table in ("users", "privacy_key", "relevance_learner", "relevance_base", "forgotten_authors"):
            with pytest.raises(duckdb.CatalogException):
                snap.con.execute(f"SELECT * FROM {table}")
        assert [r[0] for r in snap.con.execute("SELECT name FROM story_state").fetchall()] in ([], ["threads"])
    folder = current_version(snapshot_root(analyst_db))
    everything = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
    assert b"$argon2id$" not in everything


def test_private_authors_are_published_as_pseudonyms(analyst_db):
    with Store.open(analyst_db, read_only=True) as store:
        social = store.con.execute("SELECT id, author, url FROM items WHERE kind = 'social' AND author IS NOT NULL"
                                   ).fetchall()
    assert social, "the test data has a post by a private person"
    publish_database(analyst_db)
    with open_snapshot(analyst_db, refresh=False) as snap:
        shown = dict(snap.con.execute("SELECT id, author FROM items WHERE kind = 'social'").fetchall())
        urls = dict(snap.con.execute("SELECT id, url FROM items WHERE kind = 'social'").fetchall())
        raw = snap.con.execute("SELECT raw FROM items WHERE kind = 'social'").fetchall()
    for item_id, author, _url in social:
        assert shown[item_id] != author and shown[item_id].startswith("privatperson-")
        assert urls[item_id] is None
    assert all(author not in (r[0] or "") for r in raw for _, author, _ in social)


def test_a_story_named_after_a_private_post_is_published_as_documents_show_it(analyst_db):
    with Store.open(analyst_db) as store:
        post = store.con.execute("SELECT id, title, url, author FROM items WHERE kind = 'social' "
                                 "AND author IS NOT NULL AND url IS NOT NULL LIMIT 1").fetchone()
        assert post, "the test data has a post by a private person"
        store.con.execute("INSERT INTO stories (id, headline, url, created_at, updated_at) "
                          "VALUES ('S-private', ?, ?, now(), now())", [post[1], post[2]])
    publish_database(analyst_db)
    with open_snapshot(analyst_db, refresh=False) as snap:
        headline, url = snap.con.execute("SELECT headline, url FROM stories WHERE id = 'S-private'").fetchone()
    assert headline.startswith("privatperson-") and url is None
    assert post[3].lstrip("@") not in headline


def test_publishing_only_the_tables_an_action_changed_links_every_other(analyst_db):
    from mediebild.data.snapshot import note_source, publish
    from mediebild.data.triage import record_action

    publish_database(analyst_db)
    with Store.open(analyst_db) as store:
        record_action(store.con, user="anna", organisation=None, action="story_watch", target_kind="story",
                      target_id="S1")
        done = publish(store.con, analyst_db, only={"audit_log"})
    note_source(analyst_db, done.version)
    assert done.written["audit_log"] == 1 and done.written["items"] == 0 and done.written["volume_hourly"] == 0
    assert not stale(analyst_db)
    with open_snapshot(analyst_db, refresh=False) as snap:
        assert snap.con.execute("SELECT count(*) FROM audit_log WHERE user_name = 'anna'").fetchone()[0] == 1
        assert snap.con.execute("SELECT count(*) FROM items").fetchone()[0] > 40


def test_an_unchanged_store_links_every_file_and_a_new_pass_writes_only_its_day(analyst_db):
    first = publish_database(analyst_db)
    again = publish_database(analyst_db)
    assert sum(again.written.values()) == 0 and again.linked_files > 0
    old_items = sorted(p for p in (first.folder / "items").rglob("*.parquet") if "1970-01-01" not in str(p))
    new_items = sorted(p for p in (again.folder / "items").rglob("*.parquet") if "1970-01-01" not in str(p))
    assert old_items
    assert [os.stat(p).st_ino for p in old_items] == [os.stat(p).st_ino for p in new_items]

    new_ids = analyst_data.add_pass(analyst_db, n=3)
    third = publish_database(analyst_db)
    assert third.written["items"] == 1  # today only
    assert third.written["sources"] == 0 or third.written["sources"] == 1
    with open_snapshot(analyst_db, refresh=False) as snap:
        found = snap.con.execute("SELECT count(*) FROM items WHERE id IN (SELECT unnest(?::VARCHAR[]))",
                                 [new_ids]).fetchone()[0]
    assert found == 3


def test_a_reader_republishes_a_stale_snapshot_when_nobody_writes(analyst_db):
    publish_database(analyst_db)
    assert not stale(analyst_db)
    new_ids = analyst_data.add_pass(analyst_db, n=2)
    assert stale(analyst_db)
    with open_snapshot(analyst_db) as snap:
        assert snap.con.execute("SELECT count(*) FROM items WHERE id = ?", [new_ids[0]]).fetchone()[0] == 1
    assert not stale(analyst_db)


def test_no_snapshot_while_a_writer_holds_a_new_database_is_a_clear_error(analyst_db):
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb,time; c=duckdb.connect({str(analyst_db)!r}); "
                               "print('ok', flush=True); time.sleep(60)"], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"ok"
        with pytest.raises(StoreError, match="no snapshot yet"):
            open_snapshot(analyst_db)
    finally:
        holder.kill()
        holder.wait()


def test_forgetting_drops_every_older_version(analyst_db):
    publish_database(analyst_db)
    publish_database(analyst_db)
    root = snapshot_root(analyst_db)
    assert len([p for p in root.iterdir() if p.name.startswith("v")]) == 2
    publish_database(analyst_db, drop_older=True)
    assert [p.name for p in root.iterdir() if p.name.startswith("v")] == [current_version(root).name]


def test_views_sql_opens_in_a_plain_duckdb(analyst_db):
    publish_database(analyst_db)
    folder = current_version(snapshot_root(analyst_db))
    con = duckdb.connect()
    con.execute((folder / "views.sql").read_text(encoding="utf-8"))
    assert con.execute("SELECT count(*) FROM items_enriched").fetchone()[0] > 0
    assert (snapshot_root(analyst_db) / "current").resolve() == folder.resolve()


KILLER = """
import sys, time
from mediebild.data.snapshot import publish_database
print("go", flush=True)
while True:
    publish_database(sys.argv[1])
"""


def test_a_publish_killed_at_any_moment_leaves_the_previous_version_readable(analyst_db):
    publish_database(analyst_db)
    with Store.open(analyst_db, read_only=True) as store:
        expected = _counts(store.con, ["items", "enrichments", "story_items", "stories"])
    root = snapshot_root(analyst_db)
    for delay in (0.05, 0.2, 0.4, 0.7, 1.0, 1.5):
        proc = subprocess.Popen([sys.executable, "-c", KILLER, str(analyst_db)], stdout=subprocess.PIPE)
        assert proc.stdout.readline().strip() == b"go"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        folder = current_version(root)
        assert folder is not None and read_meta(folder)["version"] == folder.name
        with open_snapshot(analyst_db, refresh=False) as snap:
            assert _counts(snap.con, list(expected)) == expected
            assert snap.con.execute("SELECT count(*) FROM story_items si ANTI JOIN items i ON i.id = si.item_id"
                                    ).fetchone()[0] == 0
    result = publish_database(analyst_db)  # the next publish clears what the killed ones left
    assert not [p for p in root.iterdir() if p.name.endswith(".tmp") and p.name.startswith("v")]
    assert json.loads((result.folder / "_meta.json").read_text())["version"] == result.version


def test_mentions_of_private_accounts_are_redacted_and_public_ones_kept(analyst_db):
    from datetime import timedelta

    from mediebild.items import Item
    from mediebild.timeutil import utcnow

    now = utcnow().replace(microsecond=0)
    post = Item(id="x:mention-1", source="mastodon-sthlm", kind="social", url="https://x.example/anna_k/1",
                title="Hör av er till @anna_k", text="@anna_k såg det, @polisen_sthlm bekräftar?",
                author="bertil_b", published_at=now - timedelta(minutes=1), fetched_at=now,
                raw={"social": {"platform": "x", "author_handle": "bertil_b"}})
    with Store.open(analyst_db) as store:
        with store.transaction():
            store.upsert_items([post])
    publish_database(analyst_db)
    with open_snapshot(analyst_db, refresh=False) as snap:
        title, text, author, url = snap.con.execute(
            "SELECT title, text, author, url FROM items WHERE id = 'x:mention-1'").fetchone()
    assert "anna_k" not in title + text and "bertil_b" not in (author or "")
    assert "@polisen_sthlm" in text and "@privatperson-" in text
    assert url is None


def test_the_newest_days_are_written_an_hour_a_file_and_compacted_when_they_cool(analyst_db, monkeypatch):
    import mediebild.data.snapshot as snapshot

    first = publish_database(analyst_db)
    with Store.open(analyst_db, read_only=True) as store:
        newest = store.con.execute("SELECT max(published_at) FROM items").fetchone()[0]
        expected = _counts(store.con, BASE_TABLES)
    today = f"day={newest.date()}"
    assert all(p.name.startswith("h") for p in (first.folder / "items" / today).iterdir())
    new_ids = analyst_data.add_pass(analyst_db, n=2)  # a pass touches one hour: the other hours are linked
    second = publish_database(analyst_db)
    assert second.written["items"] == 1 and second.linked_files > 0
    monkeypatch.setattr(snapshot, "HOT_DAYS", 0)  # the day cools (as it does when a newer day starts)
    third = publish_database(analyst_db)
    assert [p.name for p in (third.folder / "items" / today).iterdir()] == ["data_0.parquet"]  # compacted
    with open_snapshot(analyst_db, refresh=False) as snap:
        counts = _counts(snap.con, BASE_TABLES)
        assert counts["items"] == expected["items"] + len(new_ids)
        assert snap.con.execute("SELECT sum(items) FROM volume_hourly").fetchone()[0] == counts["items"]
    with Store.open(analyst_db, read_only=True) as store:
        assert _counts(store.con, BASE_TABLES) == counts
