"""What the page writes and reads in data/: triage and its audit (data.triage), accounts (data.users), and the
published snapshot it reads while another process writes (data.access)."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest

from mediebild.data.access import Snapshots, writer_present
from mediebild.data.store import Store
from mediebild.data.triage import audit_for, set_source_enabled, set_triage, triage_states
from mediebild.data.users import add_user, get_user, list_users
from mediebild.errors import UserError

T = datetime(2026, 3, 24, 9, 42, tzinfo=timezone.utc)


def make_story(store, story_id: str, merged_into: str | None = None) -> None:
    store.con.execute("INSERT INTO stories (id, headline, merged_into, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                      [story_id, f"Händelse {story_id}", merged_into, T.replace(tzinfo=None), T.replace(tzinfo=None)])


def test_triage_keeps_before_and_after_and_the_newest_row_is_the_state(store):
    make_story(store, "S1")
    first = set_triage(store.con, "S1", "watched", note="Vi följer", user="anna", organisation="Länsstyrelsen", now=T)
    assert first["before"] == {"state": None, "note": None} and first["after"] == {"state": "watched", "note": "Vi följer"}
    set_triage(store.con, "S1", "responded", note="Pressmeddelande", user="bo", organisation="Polisen", now=T)
    state = triage_states(store.con, ["S1"])["S1"]
    assert state["state"] == "responded" and state["organisation"] == "Polisen" and state["at"] == T
    rows = audit_for(store.con, "story", "S1")
    assert [r["after"]["state"] for r in rows] == ["responded", "watched"]
    assert rows[0]["before"]["state"] == "watched" and rows[0]["user_name"] == "bo"
    set_triage(store.con, "S1", None, note=None, user="anna", organisation=None, now=T)
    assert triage_states(store.con, ["S1"]) == {} and len(audit_for(store.con, "story", "S1")) == 3


def test_a_merged_story_keeps_its_triage_on_the_story_it_joined(store):
    make_story(store, "S2")
    make_story(store, "S3")
    set_triage(store.con, "S3", "handled", note=None, user="anna", organisation="Länsstyrelsen", now=T)
    store.con.execute("UPDATE stories SET merged_into = 'S2' WHERE id = 'S3'")  # what the stories step does
    assert triage_states(store.con, ["S2"])["S2"]["state"] == "handled"
    assert len(audit_for(store.con, "story", "S2")) == 1
    set_triage(store.con, "S3", "watched", note=None, user="anna", organisation=None, now=T)  # resolves to S2
    assert audit_for(store.con, "story", "S2")[0]["target_id"] == "S2"


def test_triage_refuses_unknown_states_and_stories(store):
    make_story(store, "S4")
    with pytest.raises(UserError):
        set_triage(store.con, "S4", "ignored", note=None, user="anna", organisation=None)
    with pytest.raises(UserError):
        set_triage(store.con, "S999", "watched", note=None, user="anna", organisation=None)


def test_pausing_a_source_is_audited(store):
    from mediebild.sources import SourceConfig

    store.upsert_source(SourceConfig("svt", "rss", "https://svt.example.se/rss", "SVT"))
    assert set_source_enabled(store.con, "svt", False, user="anna", organisation="Länsstyrelsen")
    assert not set_source_enabled(store.con, "svt", False, user="anna", organisation="Länsstyrelsen")
    assert [s.id for s in store.sources()] == []
    row = audit_for(store.con, "source", "svt")[0]
    assert row["action"] == "source_pause" and row["before"] == {"enabled": True} and row["after"] == {"enabled": False}


def test_accounts_never_list_their_hash(store):
    add_user(store.con, "Anna", role="editor", password_hash="$argon2id$x", organisation=" Länsstyrelsen ")
    assert get_user(store.con, "ANNA")["organisation"] == "Länsstyrelsen"
    assert "password_hash" not in list_users(store.con)[0]
    with pytest.raises(UserError):
        add_user(store.con, "anna", role="editor", password_hash="$argon2id$y")
    assert get_user(store.con, "'; DROP TABLE users; --") is None


HOLD = """
import sys, time
from mediebild.data.store import Store
store = Store.open(sys.argv[1], wait=10)  # as a pass does (STEP_WAIT_SECONDS)
store.con.execute("INSERT INTO sources (id, monitor, url, name, item_kind, added_at) VALUES ('ny', 'rss', 'https://ny.example.se', 'Ny', 'editorial', now())")
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
store.close()
print("done", flush=True)
"""


def test_readers_never_keep_a_writer_out_and_read_the_last_publish(db_path, tmp_path):
    access = Snapshots(db_path, settle=0.0, poll=0.05).start()
    try:
        first = access.version
        with access.read() as con:  # a reader in the middle of a request ...
            child = subprocess.Popen([sys.executable, "-c", HOLD, str(db_path), "1.5"], stdout=subprocess.PIPE, text=True)
            assert child.stdout.readline().strip() == "holding"  # ... does not keep another process from writing
            assert writer_present(db_path)
            assert con.execute("SELECT count(*) FROM sources").fetchone()[0] == 0
        time.sleep(0.3)
        assert access.version == first  # no snapshot while the writer holds the file
        with access.read() as con:
            assert con.execute("SELECT count(*) FROM sources").fetchone()[0] == 0  # the last finished state
        assert child.stdout.readline().strip() == "done"
        child.wait(timeout=10)
        deadline = time.monotonic() + 10
        while access.version == first and time.monotonic() < deadline:
            time.sleep(0.05)
        with access.read() as con:
            assert con.execute("SELECT count(*) FROM sources").fetchone()[0] == 1
    finally:
        access.close()


def test_a_write_waits_for_another_writer_and_is_published_at_once(db_path, tmp_path):
    from mediebild.sources import SourceConfig

    access = Snapshots(db_path, settle=5.0, poll=0.05, write_timeout=20).start()
    try:
        child = subprocess.Popen([sys.executable, "-c", HOLD, str(db_path), "1.0"], stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "holding"
        started = time.monotonic()
        before = access.version
        with access.write() as store:
            assert time.monotonic() - started > 0.5  # waited for the other process
            store.upsert_source(SourceConfig("svt", "rss", "https://svt.example.se/rss", "SVT"))
        assert access.version > before  # published before the file was let go, without waiting for `settle`
        with access.read() as con:
            assert con.execute("SELECT count(*) FROM sources WHERE id = 'svt'").fetchone()[0] == 1
        child.wait(timeout=10)
    finally:
        access.close()


def test_accounts_are_never_published_and_are_read_from_memory(db_path):
    from mediebild.data.snapshot import current_version, snapshot_root

    access = Snapshots(db_path, settle=60.0, poll=0.05, write_timeout=20, private_ttl=0.2).start()
    load = lambda con: {u["name"] for u in list_users(con)}  # noqa: E731
    try:
        with access.write(publish=False) as store:
            add_user(store.con, "anna", role="reader", password_hash="$argon2id$x")
        assert access.private("names", load) == {"anna"}
        folder = current_version(snapshot_root(db_path))
        assert not (folder / "users").exists() and "argon2" not in (folder / "views.sql").read_text()
        with access.read() as con, pytest.raises(Exception, match="users"):
            get_user(con, "anna")
        child = subprocess.Popen([sys.executable, "-c", HOLD, str(db_path), "1.0"], stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "holding"
        time.sleep(0.3)  # expired, but a writer holds the file: the value in memory, at once
        started = time.monotonic()
        assert access.private("names", load) == {"anna"} and time.monotonic() - started < 0.1
        child.wait(timeout=10)
    finally:
        access.close()
