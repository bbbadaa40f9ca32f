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
