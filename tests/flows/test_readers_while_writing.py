"""The storage contract of issue 12, end to end: an ingest loop writes and publishes in one process while
other processes query, export, list digests and render one. Nobody gets a lock error, counts never go
backwards, a story never points at a missing item, and a writer killed mid-pass or mid-publish leaves the
previous state readable."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mediebild.data.snapshot import publish_database
from mediebild.data.snapshot_read import open_snapshot

TESTS = Path(__file__).resolve().parents[1]

WRITER = f"""
import sys, time
from datetime import timedelta
sys.path.insert(0, {str(TESTS / 'web')!r})
import room_data
from mediebild.data.snapshot import publish_database
from mediebild.data.store import STEP_WAIT_SECONDS, Store
from mediebild.flows.stories import update_stories
from mediebild.timeutil import utcnow
db, passes, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for n in range(passes):
    now = utcnow()
    items = [room_data._item(f"pass-{{n}}-{{k}}-{{now:%H%M%S%f}}", "dagbladet", "editorial", now - timedelta(seconds=k),
                             f"Pass {{n}}: ny uppgift om Centralen ({{k}})", "Polisen meddelar att Centralen öppnar.")
             for k in range(5)]
    with Store.open(db, wait=STEP_WAIT_SECONDS) as store:  # as a pass's step opens it
        store.record_fetch(source_id="dagbladet", run_id=f"pass-{{n}}", started_at=now, finished_at=now,
                           http_status=200, size=10, not_modified=False, items=items, problems=[], ok=True,
                           cursor=None)
        update_stories(store, now=now + timedelta(seconds=1))
    result = publish_database(db)
    with open(log, "a") as out:
        out.write(result.version + "\\n")
    time.sleep(0.2)
print("done", flush=True)
"""

READER = """
import json, sys, time
from mediebild.data.analysts import Selection, export_to_file, top
from mediebild.data.snapshot_read import open_snapshot
from datetime import datetime, timedelta, timezone
db, seconds, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
seen, problems, last, n = [], [], -1, 0
end = time.monotonic() + seconds
while time.monotonic() < end:
    try:
        with open_snapshot(db, refresh=False) as snap:
            items = snap.con.execute("SELECT count(*) FROM items").fetchone()[0]
            dangling = snap.con.execute(
                "SELECT count(*) FROM story_items si ANTI JOIN items i ON i.id = si.item_id").fetchone()[0]
            rolled = snap.con.execute("SELECT coalesce(sum(items), 0) FROM volume_hourly").fetchone()[0]
            now = datetime.now(timezone.utc)
            top(snap.con, "sources", Selection(now - timedelta(hours=6), now))
            if n % 3 == 0:
                export_to_file(snap.con, Selection(now - timedelta(days=2), now + timedelta(hours=1)),
                               out + ".csv", "csv")
        if items < last:
            problems.append(f"items went back from {last} to {items}")
        if dangling:
            problems.append(f"{dangling} story items without their item")
        if rolled != items:
            problems.append(f"volume_hourly sums to {rolled}, items are {items}")
        last = items
        seen.append(items)
    except Exception as exc:
        problems.append(f"{type(exc).__name__}: {exc}")
    n += 1
    time.sleep(0.05)
json.dump({"iterations": n, "problems": problems, "seen": seen}, open(out, "w"))
"""


def test_readers_never_wait_for_the_writer_nor_see_half_a_pass(analyst_db, tmp_path):
    publish_database(analyst_db)
    log = tmp_path / "versions.log"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(analyst_db), "8", str(log)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    readers = [subprocess.Popen([sys.executable, "-c", READER, str(analyst_db), "25", str(tmp_path / f"r{k}.json")],
                                stderr=subprocess.PIPE) for k in range(2)]
    mediebild = [sys.executable, "-m", "mediebild.cli"]
    commands = []
    time.sleep(2)
    for argv in (["digests", "list"], ["top", "entities", "--json"], ["query", "SELECT count(*) FROM items"],
                 ["digest", "--format", "json"]):
        done = subprocess.run([*mediebild, *argv, "--db", str(analyst_db)], capture_output=True, text=True,
                              timeout=240)
        commands.append((argv, done.returncode, done.stderr))
    out, err = writer.communicate(timeout=240)
    for reader in readers:
        reader.wait(timeout=120)
    assert writer.returncode == 0, err.decode()
    assert out.strip() == b"done"
    for argv, code, stderr in commands:
        assert code == 0, (argv, stderr)
        assert "in use" not in stderr and "lock" not in stderr.lower()
    for k in range(2):
        report = json.loads((tmp_path / f"r{k}.json").read_text())
        assert report["problems"] == [], report["problems"][:5]
        assert report["iterations"] > 5 and report["seen"] == sorted(report["seen"])
    assert len(log.read_text().split()) == 8
    with open_snapshot(analyst_db, refresh=False) as snap:
        assert snap.con.execute("SELECT count(*) FROM items WHERE title LIKE 'Pass 7:%'").fetchone()[0] == 5


def test_a_writer_killed_mid_pass_leaves_the_last_published_state(analyst_db, tmp_path):
    publish_database(analyst_db)
    with open_snapshot(analyst_db, refresh=False) as snap:
        before = snap.con.execute("SELECT count(*) FROM items").fetchone()[0]
    log = tmp_path / "versions.log"
    for delay in (0.3, 0.9, 1.6):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(analyst_db), "50", str(log)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(delay + 2.0)  # past the imports, into the passes
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        with open_snapshot(analyst_db, refresh=False) as snap:
            items = snap.con.execute("SELECT count(*) FROM items").fetchone()[0]
            assert snap.con.execute(
                "SELECT count(*) FROM story_items si ANTI JOIN items i ON i.id = si.item_id").fetchone()[0] == 0
        assert items >= before
        before = items
    result = publish_database(analyst_db)  # the store recovers (DuckDB's WAL) and publishes again
    assert result.version and not [p for p in os.listdir(result.folder.parent) if p.endswith(".tmp")
                                   and p.startswith("v")]
