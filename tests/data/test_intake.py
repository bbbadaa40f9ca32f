"""The shared intake (data/intake.py) on a real PostgreSQL: exact ids under concurrent workers, claims, pulls
that move every row into DuckDB exactly once (a SIGKILL mid-pull included), migration there and back, and
one-line errors that never show the password."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from mediebild.data.intake import SharedIntake, pull_intake
from mediebild.data.store import Store
from mediebild.errors import ConfigError, StoreError
from mediebild.items import Item, content_hash
from mediebild.monitors.base import Problem, SourceConfig

NOW = datetime(2026, 3, 22, 9, 0, tzinfo=timezone.utc)


def item(n: int, source: str = "a", text: str = "") -> Item:
    body = text or f"Text {n} om explosionen på flygplatsen."
    return Item(id=f"wire-{n}", source=source, kind="editorial", url=f"https://tt.example.se/{n}", title=f"Nyhet {n}",
                text=body, author=None, published_at=NOW, fetched_at=NOW + timedelta(minutes=1), lang="sv",
                content_hash=content_hash(f"Nyhet {n}", body), raw={"n": n})


def record(intake, source: str, items: list[Item], *, cursor=None, problems=()):
    return intake.record_fetch(source_id=source, run_id="r", started_at=NOW, finished_at=NOW, http_status=200,
                               size=100, not_modified=False, items=items, problems=list(problems), ok=True,
                               cursor=cursor, url=f"https://{source}.example.se/rss")


def add_sources(intake_or_store, ids):
    store = Store.memory() if isinstance(intake_or_store, SharedIntake) else intake_or_store
    for s in ids:
        store.upsert_source(SourceConfig(id=s, monitor="rss", url=f"https://{s}.example.se/rss", name=s))
    if isinstance(intake_or_store, SharedIntake):
        intake_or_store.push_from(store)
    return store


def test_two_workers_storing_the_same_wire_copies_give_one_row_each(intake_url):
    with SharedIntake.open(intake_url) as setup:
        add_sources(setup, ["a", "b"])
    batch = [item(n) for n in range(300)]
    counts = {}
    barrier = threading.Barrier(2)

    def worker(source):
        with SharedIntake.open(intake_url) as intake:
            barrier.wait()
            for start in range(0, 300, 30):  # overlapping batches, in a different order per worker
                chunk = batch[start:start + 30] if source == "a" else batch[270 - start:300 - start]
                _, c = record(intake, source, [dataclasses.replace(i, source=source) for i in chunk])
                counts.setdefault(source, []).append(c)

    def guarded(source):
        try:
            worker(source)
        except BaseException as exc:
            errors.append(exc)

    errors: list[BaseException] = []
    threads = [threading.Thread(target=guarded, args=(s,)) for s in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with SharedIntake.open(intake_url) as intake:
        assert intake.counts()["items"] == 300 and intake.counts()["fetches"] == 20
    assert sum(c.new for cs in counts.values() for c in cs) == 300  # each id new exactly once, whoever won
    assert sum(c.seen for cs in counts.values() for c in cs) == 300


def test_a_source_is_claimed_by_one_worker_until_it_is_recorded(intake_url):
    with SharedIntake.open(intake_url, worker="w1") as w1, SharedIntake.open(intake_url, worker="w2") as w2:
        add_sources(w1, ["a", "b", "c"])
        assert [s.id for s in w1.sources()] == ["a", "b", "c"]
        assert w2.sources() == []  # claimed by w1
        record(w1, "b", [item(1, "b")], cursor={"etag": '"x1"'})
        assert w2.sources() == []  # b was fetched during w2's pass: not again
    with SharedIntake.open(intake_url, worker="w2", claim_batch=1) as w2:  # its next pass
        assert [s.id for s in w2.sources()] == ["b"]
        assert w2.cursor("b") == {"etag": '"x1"'}
    with SharedIntake.open(intake_url, worker="w3", claim_ttl_s=0.01) as w3, \
            SharedIntake.open(intake_url, worker="w4") as w4:
        time.sleep(0.05)  # w1's claims on a and c last 600 s, w2's on b too: none free
        assert w4.sources() == []
        w4.release(["b"])  # not w4's: nothing happens
        assert w3.sources() == []
    with SharedIntake.open(intake_url, worker="w5", refetch_after_s=3600) as w5:
        add_sources(w5, ["d"])
        assert [s.id for s in w5.sources()] == ["d"]
        record(w5, "d", [])
        assert w5.sources() == []  # fetched a moment ago


def test_pull_moves_every_row_once_and_only_what_is_new(intake_url, tmp_path):
    store = Store.open(tmp_path / "w.duckdb", create=True)
    with SharedIntake.open(intake_url) as intake:
        add_sources(store, ["a", "b"])
        intake.push_from(store)
        record(intake, "a", [item(n, "a") for n in range(10)], cursor={"etag": '"a1"'},
               problems=[Problem("bad_date", "ett datum saknas", "warning")])
        record(intake, "b", [item(n, "b") for n in range(5, 15)])
        first = pull_intake(store, intake)
        assert (first.items, first.items_new, first.fetches, first.problems, first.cursors) == (15, 15, 2, 1, 2)
        assert store.count("items") == 15 and store.count("fetches") == 2 and store.count("problems") == 1
        assert store.cursor("a") == {"etag": '"a1"'}
        again = pull_intake(store, intake)
        assert (again.items, again.fetches) == (0, 0) and store.count("fetches") == 2
        changed = item(3, "a", text="Uppdaterad text: två skadade.")
        record(intake, "a", [changed, item(99, "a")])
        third = pull_intake(store, intake)
        assert (third.items, third.items_new, third.items_updated) == (2, 1, 1)
        row = store.con.execute("SELECT text, version FROM items WHERE id = 'wire-3'").fetchone()
        assert row == ("Uppdaterad text: två skadade.", 2)
        fetch_rows = store.con.execute("SELECT source_id, items_new, items_updated FROM fetches ORDER BY id").fetchall()
        assert fetch_rows == [("a", 10, 0), ("b", 5, 0), ("a", 1, 1)]  # as the intake counted them
    store.close()


PULL_SCRIPT = textwrap.dedent("""
    import sys
    from mediebild.data.intake import SharedIntake, pull_intake
    from mediebild.data.store import Store
    with Store.open(sys.argv[1]) as store, SharedIntake.open(sys.argv[2]) as intake:
        pull_intake(store, intake, chunk=int(sys.argv[3]), progress=lambda t, n: print(n, flush=True))
    print("done", flush=True)
""")


def test_a_pull_killed_half_way_is_redone_whole(intake_url, tmp_path):
    db = tmp_path / "w.duckdb"
    with Store.open(db, create=True) as store, SharedIntake.open(intake_url) as intake:
        add_sources(store, ["a"])
        intake.push_from(store)
        for start in range(0, 30_000, 3_000):
            record(intake, "a", [item(n, "a") for n in range(start, start + 3_000)])
        pull_intake(store, intake)  # a first pull, so the killed one is not the first
        for start in range(30_000, 60_000, 3_000):
            record(intake, "a", [item(n, "a") for n in range(start, start + 3_000)])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.Popen([sys.executable, "-c", PULL_SCRIPT, str(db), intake_url, "1000"], env=env,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    seen = [proc.stdout.readline().strip() for _ in range(5)]  # 5,000 of 30,000 items written, uncommitted
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL and seen[-1] == "5000"
    with Store.open(db) as store:
        assert store.count("items") == 30_000 and store.count("fetches") == 10  # the killed pull left nothing
    rerun = subprocess.run([sys.executable, "-c", PULL_SCRIPT, str(db), intake_url, "1000"], env=env,
                           capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0 and rerun.stdout.strip().endswith("done"), rerun.stderr
    with Store.open(db) as store, SharedIntake.open(intake_url) as intake:
        assert store.count("items") == 60_000 and store.count("fetches") == 20
        assert store.con.execute("SELECT count(DISTINCT id) FROM items").fetchone()[0] == 60_000
        assert pull_intake(store, intake).items == 0


def test_migrate_there_and_back_keeps_every_row(intake_url, tmp_path):
    from mediebild.data.intake_migrate import to_duckdb, to_intake
    from mediebild.data.profiles import save_profile
    from mediebild.profile import Profile

    with Store.open(tmp_path / "embedded.duckdb", create=True) as store:
        add_sources(store, ["a", "b", "c"])
        store.set_enabled("c", False)
        save_profile(store.con, Profile.from_text('name = "Flygplatsen"\n\n[terms]\nsv = ["explosion"]\n'))
        store.record_fetch(source_id="a", run_id="r1", started_at=NOW, finished_at=NOW, http_status=200, size=10,
                           not_modified=False, items=[item(n, "a") for n in range(50)],
                           problems=[Problem("bad_date", "saknas", "warning")], ok=True, cursor={"etag": '"e"'})
        store.record_fetch(source_id="b", run_id="r1", started_at=NOW, finished_at=NOW, http_status=500, size=0,
                           not_modified=False, items=[], problems=[Problem("http_500", "fel", "error")], ok=False,
                           cursor=None)
        store.record_fetch(source_id="a", run_id="r2", started_at=NOW, finished_at=NOW, http_status=200, size=10,
                           not_modified=False, items=[item(3, "a", text="ny version")], problems=[], ok=True,
                           cursor={"etag": '"f"'})
        tables = {t: store.con.execute(f"SELECT * EXCLUDE (purged_at) FROM {t} ORDER BY ALL").fetchall()
                  if t == "items" else store.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                  for t in ("sources", "items", "fetches", "problems", "profiles")}
        with SharedIntake.open(intake_url) as intake:
            there = to_intake(store, intake)
            assert there["rows"] == {"sources": 3, "items": 50, "fetches": 3, "problems": 2, "profiles": 1}
            assert pull_intake(store, intake).items == 0  # the writer has what it migrated
            with pytest.raises(Exception, match="already holds"):
                to_intake(store, intake)
            back = to_duckdb(intake, tmp_path / "export.duckdb")
    assert back["rows"] == there["rows"]
    with Store.open(tmp_path / "export.duckdb") as exported:
        for table, rows in tables.items():
            got = (exported.con.execute(f"SELECT * EXCLUDE (purged_at) FROM {table} ORDER BY ALL").fetchall()
                   if table == "items" else exported.con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall())
            assert got == rows, table
        assert exported.record_fetch(source_id="a", run_id="r3", started_at=NOW, finished_at=NOW, http_status=304,
                                     size=0, not_modified=True, items=[], problems=[], ok=True, cursor=None)[0] == 4


@pytest.mark.parametrize("url, message", [
    ("mysql://u@127.0.0.1/db", "must be a postgresql:// URL"),
    ("postgresql://u:hemligt@127.0.0.1/db", "must not hold a password"),
    ("postgresql://u@127.0.0.1:notaport/db", "not a valid URL"),
    ("postgresql://u@127.0.0.1:5432/", "names no host or no database"),
    ("postgresql://u@127.0.0.1:5432/db?nosuchoption=1", "invalid URI query parameter"),
])
def test_a_wrong_url_is_one_clear_line(url, message):
    with pytest.raises(ConfigError, match=message) as caught:
        SharedIntake.open(url)
    assert "\n" not in str(caught.value) and "hemligt" not in str(caught.value)


def test_unreachable_server_and_wrong_password_are_one_line_without_the_password(pg_server, monkeypatch, tmp_path,
                                                                                capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    monkeypatch.setenv("PGPASSWORD", "fel-lösenord-123")
    with pytest.raises(StoreError) as caught:
        SharedIntake.open(f"postgresql://mediebild@127.0.0.1:{closed}/postgres")
    assert "cannot open the shared store postgresql://mediebild@127.0.0.1" in str(caught.value)
    assert "refused" in str(caught.value).lower()
    with pytest.raises(StoreError) as caught:
        SharedIntake.open(pg_server.url())
    text = str(caught.value)
    assert "password authentication failed" in text and "fel-lösenord-123" not in text and "\n" not in text
    from mediebild.cli.main import main

    Store.open(tmp_path / "w.duckdb", create=True).close()
    capsys.readouterr()
    for args in (["intake", "--db", str(tmp_path / "w.duckdb")], ["ingest", "--engine", "plain"],
                 ["store", "migrate", "--to", str(tmp_path / "x.duckdb")]):
        code = main([*args, "--catalog", pg_server.url()])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1, err
        assert err.startswith("mediebild: error: cannot open the shared store postgresql://mediebild@127.0.0.1:")
        assert "password authentication failed" in err and "fel-lösenord-123" not in err
    code = main(["intake", "--db", str(tmp_path / "w.duckdb"), "--catalog", "postgresql://u:hemligt@127.0.0.1/db"])
    err = capsys.readouterr().err
    assert code == 2 and "must not hold a password" in err and "hemligt" not in err


def test_retention_and_forgetting_reach_the_intake(intake_url, tmp_path):
    from mediebild.data.intake import forget_in_intake, last_horizon
    from mediebild.data.privacy import forget_author

    def post(n: int, handle: str) -> Item:
        return dataclasses.replace(item(n, "a"), id=f"post-{n}", kind="social", author=handle,
                                   raw={"social": {"author_handle": handle}})

    with Store.open(tmp_path / "w.duckdb", create=True) as store, SharedIntake.open(intake_url) as intake:
        add_sources(store, ["a"])
        intake.push_from(store)
        record(intake, "a", [post(1, "anna_s"), post(2, "bertil"), post(3, "anna_s")])
        pull_intake(store, intake)
        forget_author(store.con, "@anna_s")
        assert forget_in_intake(store, intake) == 2
        record(intake, "a", [post(4, "anna_s"), post(5, "cecilia")])  # a worker stores her again before a pull
        assert pull_intake(store, intake).items == 1  # the pull leaves her out
        assert forget_in_intake(store, intake) == 1
        record(intake, "a", [post(6, "david")])  # not pulled yet: retention must keep it
        gone = intake.prune(before=NOW + timedelta(days=1), horizon=last_horizon(store, intake.id))
        assert gone["items"] == 2 and gone["fetches"] == 2  # bertil's and cecilia's, with the two pulled fetches
        assert intake.counts()["items"] == 1 and pull_intake(store, intake).items == 1
        assert sorted(r[0] for r in store.con.execute("SELECT id FROM items").fetchall()) == [
            "post-2", "post-5", "post-6"]


def test_pulls_while_workers_write_miss_nothing_and_repeat_nothing(intake_url, tmp_path):
    """Transactions commit out of the order they started in; pulls taken meanwhile must still see every row once."""
    with SharedIntake.open(intake_url) as setup:
        store = add_sources(setup, ["a", "b", "c"])
        store.close()
    errors: list[BaseException] = []

    def worker(source: str, offset: int) -> None:
        try:
            with SharedIntake.open(intake_url) as intake:
                for k in range(60):
                    # new items, wire copies the others store too, and a changed version of an earlier one
                    batch = [item(offset + k * 10 + j, source) for j in range(10)] + [item(10_000 + k, source)]
                    if k > 5:
                        batch.append(item(offset + (k - 5) * 10, source, text=f"uppdaterad {k}"))
                    record(intake, source, batch, cursor={"k": k})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(s, n * 1000)) for n, s in enumerate(("a", "b", "c"))]
    with Store.open(tmp_path / "w.duckdb", create=True) as writer, SharedIntake.open(intake_url) as intake:
        add_sources(writer, ["a", "b", "c"])
        for t in threads:
            t.start()
        pulls = 0
        while any(t.is_alive() for t in threads):
            pull_intake(writer, intake)
            pulls += 1
        for t in threads:
            t.join()
        pull_intake(writer, intake)
        assert errors == [] and pulls > 3
        with intake.transaction() as cur:
            cur.execute("SELECT id, content_hash, version FROM items")
            theirs = {r[0]: (r[1], r[2]) for r in cur.fetchall()}
        ours = {r[0]: (r[1], r[2]) for r in writer.con.execute("SELECT id, content_hash, version FROM items").fetchall()}
        assert {k: v[0] for k, v in ours.items()} == {k: v[0] for k, v in theirs.items()}  # every id, newest text
        assert writer.count("fetches") == 180 and intake.counts()["fetches"] == 180
        assert all(writer.cursor(s) == {"k": 59} for s in ("a", "b", "c"))


def test_the_push_follows_the_store_but_an_empty_store_stops_nobody(intake_url):
    with SharedIntake.open(intake_url, worker="w") as intake:
        store = add_sources(intake, ["a", "b", "c"])
        store.remove_source("b")
        store.update_source("c", url="https://c.example.se/ny.rss")
        record(intake, "a", [], cursor={"etag": '"a"'})
        record(intake, "c", [], cursor={"etag": 1})
        intake.push_from(store)
        assert [s.id for s in intake.all_sources()] == ["a", "c"]  # b disabled
        assert intake.cursor("a") == {"etag": '"a"'} and intake.cursor("c") == {}  # c fetches another thing now
        intake.push_from(Store.memory())
        assert [s.id for s in intake.all_sources()] == ["a", "c"]


def test_a_dead_workers_claims_expire(intake_url):
    with SharedIntake.open(intake_url, worker="dies", claim_ttl_s=0.5) as dying:
        add_sources(dying, ["a", "b"])
        assert [s.id for s in dying.sources()] == ["a", "b"]
    # the worker is gone without recording anything (a SIGKILL): its claims hold until their lease ends
    with SharedIntake.open(intake_url, worker="next") as other:
        assert other.sources() == []
    time.sleep(0.6)
    with SharedIntake.open(intake_url, worker="later") as later:
        assert [s.id for s in later.sources()] == ["a", "b"]


def test_a_row_committed_after_a_later_one_is_pulled_all_the_same(intake_url, tmp_path):
    """Why pulls follow transaction ids, not the items' sequence: A takes seq 1, B takes seq 2 and commits, a pull
    runs (a sequence cursor would now say "up to 2" and never look at 1 again), then A commits its seq 1. The pull
    does not read past A while A runs (B's row waits for it), and the next one brings both."""
    from mediebild.data.intake import UPSERT_ITEMS

    with Store.open(tmp_path / "w.duckdb", create=True) as store, SharedIntake.open(intake_url) as b, \
            SharedIntake.open(intake_url) as a:
        add_sources(store, ["a"])
        b.push_from(store)
        slow = item(1, "a")
        with a.con.transaction(), a.con.cursor() as cur:
            cur.execute(UPSERT_ITEMS, [[slow.id], ["a"], ["editorial"], [slow.url], [slow.title], [slow.text], [None],
                                       [slow.published_at.replace(tzinfo=None)], [slow.fetched_at.replace(tzinfo=None)],
                                       ["sv"], [slow.content_hash], [None], [None]])
            record(b, "a", [item(2, "a")])
            first = pull_intake(store, b)
            assert first.items == 0  # B's row is committed, but A (older) still runs: the horizon stops before A
        with b.transaction() as cur:
            cur.execute("SELECT id, seq FROM items ORDER BY seq")
            assert [r[0] for r in cur.fetchall()] == ["wire-1", "wire-2"]  # A's row has the lower sequence number
        second = pull_intake(store, b)
        assert second.items == 2
        assert sorted(r[0] for r in store.con.execute("SELECT id FROM items").fetchall()) == ["wire-1", "wire-2"]
