"""The store: migrations recorded once, bulk upserts, atomic fetch records, read-only readers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mediebild.data.store import Store, migrations
from mediebild.errors import StoreError, UserError
from mediebild.items import Item, item_id
from mediebild.monitors.base import Problem, SourceConfig

NOW = datetime(2026, 3, 24, 10, 0, tzinfo=timezone.utc)


def make_items(n, source="s", start=0):
    return [
        Item(id=item_id(canonical=f"https://e.se/{i}"), source=source, kind="editorial", url=f"https://e.se/{i}",
             title=f"Rubrik {i}", text=f"Text {i} åäö", author=None, published_at=NOW, fetched_at=NOW)
        for i in range(start, start + n)
    ]


def test_migrations_apply_once(tmp_path):
    path = tmp_path / "m.duckdb"
    with Store.open(path, create=True) as store:
        versions = store.applied_migrations()
        assert versions == [v for v, _, _ in migrations()]
    with Store.open(path) as store:
        assert store.migrate() == []


def test_upsert_counts_new_updated_seen(store):
    store.upsert_source(SourceConfig(id="s", monitor="rss", url="https://e.se/rss", name="S"))
    with store.transaction():
        counts = store.upsert_items(make_items(1000))
    assert (counts.new, counts.updated, counts.seen) == (1000, 0, 0)
    changed = make_items(1000)
    changed[0] = Item(**{**changed[0].to_dict(), "title": "Ny rubrik", "content_hash": "",
                         "fetched_at": NOW + timedelta(hours=1)})
    with store.transaction():
        counts = store.upsert_items(changed + changed[:5])  # duplicates inside one batch too
    assert (counts.new, counts.updated, counts.seen) == (0, 1, 999)
    row = store.con.execute(
        "SELECT version, title, first_seen_at, updated_at FROM items WHERE id = ?", [changed[0].id]
    ).fetchone()
    assert row[0] == 2 and row[1] == "Ny rubrik"
    assert row[2] == NOW.replace(tzinfo=None) and row[3] == (NOW + timedelta(hours=1)).replace(tzinfo=None)


def test_record_fetch_is_atomic(store):
    store.upsert_source(SourceConfig(id="s", monitor="rss", url="https://e.se/rss", name="S"))
    bad = make_items(3)
    bad[1].raw = {"x": object()}  # serialised with str(); fine
    fetch_id, counts = store.record_fetch(
        source_id="s", run_id="r", started_at=NOW, finished_at=NOW, http_status=200, size=10, not_modified=False,
        items=bad, problems=[Problem("date_missing", "1 item", "warning")], ok=True, cursor={"etag": "e"},
    )
    assert counts.new == 3 and store.cursor("s") == {"etag": "e"}
    with pytest.raises(Exception):
        with store.transaction():
            store.upsert_items(make_items(2, start=100))
            raise RuntimeError("crash in the middle")
    assert store.count("items") == 3


def test_read_only_reader_and_lock_message(tmp_path):
    path = tmp_path / "r.duckdb"
    Store.open(path, create=True).close()
    with Store.open(path, read_only=True) as reader:
        assert reader.count("items") == 0
    with pytest.raises(UserError):
        Store.open(tmp_path / "missing.duckdb", read_only=True)


def test_lock_held_by_another_process_is_a_clear_error(tmp_path):
    import subprocess
    import sys
    import time

    path = tmp_path / "locked.duckdb"
    Store.open(path, create=True).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb,time; c=duckdb.connect({str(path)!r}); print('ok', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout.readline().strip() == b"ok"
        with pytest.raises(StoreError) as info:
            Store.open(path)
        assert "in use" in str(info.value)
    finally:
        holder.kill()
        holder.wait()


# -- source identity ------------------------------------------------------------------------------


def test_a_second_feed_from_the_same_site_is_added_beside_the_first(store):
    first = store.add_source(SourceConfig(id="svt-se-nyheter", monitor="rss", url="https://www.svt.se/nyheter/rss.xml",
                                          name="svt.se/nyheter"))
    second = store.add_source(SourceConfig(id="svt-se-sport", monitor="rss", url="https://www.svt.se/sport/rss.xml",
                                           name="svt.se/sport"))
    assert (first.status, second.status) == ("added", "added")
    assert [s.id for s in store.sources()] == ["svt-se-nyheter", "svt-se-sport"]


def test_the_same_url_twice_changes_nothing(store):
    store.add_source(SourceConfig(id="a", monitor="rss", url="https://www.svt.se/nyheter/rss.xml", name="A"))
    again = store.add_source(SourceConfig(id="b", monitor="rss", url="HTTPS://www.svt.se/nyheter/rss.xml/", name="B"))
    assert again.status == "exists" and again.source.id == "a"
    assert store.count("sources") == 1


def test_a_taken_id_or_name_gets_a_suffix_and_an_explicit_id_is_never_taken_over(store):
    store.add_source(SourceConfig(id="svt", monitor="rss", url="https://www.svt.se/nyheter/rss.xml", name="SVT"))
    clash = store.add_source(SourceConfig(id="svt", monitor="rss", url="https://www.svt.se/sport/rss.xml", name="SVT"))
    assert clash.status == "added" and clash.renamed
    assert (clash.source.id, clash.source.name) == ("svt-2", "SVT (2)")
    with pytest.raises(UserError, match="--replace"):
        store.add_source(SourceConfig(id="svt", monitor="rss", url="https://www.svt.se/kultur/rss.xml", name="K"),
                         explicit_id=True)
    assert store.count("sources") == 2


def test_replace_keeps_the_items_and_starts_the_cursor_over(store):
    store.add_source(SourceConfig(id="s", monitor="rss", url="https://e.se/rss", name="S"))
    store.record_fetch(source_id="s", run_id="r", started_at=NOW, finished_at=NOW, http_status=200, size=1,
                       not_modified=False, items=make_items(3), problems=[], ok=True, cursor={"etag": "e"},
                       url="https://e.se/rss")
    change = store.add_source(SourceConfig(id="s", monitor="rss", url="https://e.se/other.xml", name="S"),
                              explicit_id=True, replace=True)
    assert change.status == "replaced" and change.previous_url == "https://e.se/rss"
    assert store.cursor("s") == {} and store.count("items") == 3
    assert store.con.execute("SELECT url FROM fetches").fetchall() == [("https://e.se/rss",)]


def test_update_refuses_to_fetch_what_another_source_fetches(store):
    store.add_source(SourceConfig(id="a", monitor="rss", url="https://e.se/a.xml", name="A"))
    store.add_source(SourceConfig(id="b", monitor="rss", url="https://e.se/b.xml", name="B"))
    with pytest.raises(UserError, match="already fetches"):
        store.update_source("b", url="https://e.se/a.xml")
    assert store.update_source("b", name="Bee").name == "Bee"


def old_database(path, *, up_to: int):
    """A database as an older mediebild left it: migrations up to `up_to` applied, nothing after."""
    import duckdb

    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)")
    for version, name, sql in migrations():
        if version <= up_to:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])
    return con


def test_migration_gives_old_sources_their_keys_and_keeps_items(tmp_path):
    """A database from before source identity (schema 0006) opens with every source and item intact."""
    path = tmp_path / "old.duckdb"
    con = old_database(path, up_to=6)
    con.execute("INSERT INTO sources (id, monitor, url, name, added_at) VALUES ('svt-se', 'rss', 'https://www.svt.se/sport/rss.xml', 'svt.se', now())")
    con.close()
    with Store.open(path) as store:
        with store.transaction():
            store.upsert_items(make_items(5, source="svt-se"))
    with Store.open(path) as store:
        assert store.con.execute("SELECT fetch_key FROM sources").fetchall() == [("rss|https://www.svt.se/sport/rss.xml|",)]
        assert store.count("items") == 5
        added = store.add_source(SourceConfig(id="svt-se", monitor="rss", url="https://www.svt.se/nyheter/rss.xml",
                                              name="svt.se"))
        assert added.status == "added" and added.source.id == "svt-se-2"


# -- the schema check ---------------------------------------------------------------------------


@pytest.mark.parametrize("up_to", [1, 4, 6])
def test_a_reader_of_an_older_database_is_told_to_run_init(tmp_path, up_to):
    """Read-only cannot migrate: one clear error instead of readers half-reading an older schema."""
    path = tmp_path / "old.duckdb"
    old_database(path, up_to=up_to).close()
    with pytest.raises(StoreError, match=r"older schema.*mediebild init --db"):
        Store.open(path, read_only=True)
    with pytest.raises(StoreError, match="mediebild init"):
        Store.open(path, migrate=False)
    with Store.open(path) as writer:  # a writer (or `mediebild init`) upgrades it
        assert writer.applied_migrations() == [v for v, _, _ in migrations()]
    with Store.open(path, read_only=True) as reader:
        assert reader.count("items") == 0 and reader.sources() == []


def test_a_duckdb_file_that_is_not_a_mediebild_database_is_refused_read_only(tmp_path):
    import duckdb

    path = tmp_path / "other.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(StoreError, match="mediebild init"):
        Store.open(path, read_only=True)


def test_a_database_from_a_newer_mediebild_is_refused(tmp_path):
    path = tmp_path / "new.duckdb"
    Store.open(path, create=True).close()
    import duckdb

    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_migrations VALUES (9999, 'from_the_future', now())")
    con.close()
    for read_only in (True, False):
        with pytest.raises(StoreError, match="newer than this mediebild"):
            Store.open(path, read_only=read_only)
