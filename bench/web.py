"""Benchmark: the situation room with 1,000,000 items stored; p50/p95 of its pages, and of publishing.

Generates the items inside DuckDB (INSERT ... SELECT from range(), in arrival order over 48 hours, as
bench/digest.py does) with enrichment for every item, entities for one in ten, 20,000 stories (every item in
one; one in five a copy of an earlier item of its story), alerts, fetches, an account and some triage. Then,
through the ASGI app (Starlette's TestClient, so routing, sessions, templates and escaping are included):

* the overview (Läget nu) and the stream (Flödet: unfiltered, by kind, by information type and relevance,
  and its second page), each "cold" (the page's cache emptied before every request: what the first reader
  after a new pass waits) and "warm" (the cache the page keeps per data version);
* one story page; Sök och trender: searches (ranked, a phrase with a filter, by time, the next page, relevant
  only), trends of two queries with their chart, and the top lists (the page's own cache of answers emptied for
  "cold", as for the other pages; the first request publishes the snapshot the page reads, timed apart);
* the same while another process writes and publishes (a pass of 2,000 new items every few seconds, as
  ingest does), with `--while-writing`: the page reads the published snapshot and never waits for the writer;
* the overview a moment after an action lands (the page rebuilds it for the readers who keep it open);
* an action (a triage: the real file opened in the writer's gap, written, published) and opening a newly
  published version, which the follower thread does off the request path.

Every page reads the published snapshot (data/access.py); the database is published once first when it never
was (about 90 s at a million items, with the search index).

Prints figures; asserts nothing.

    .venv/bin/python bench/web.py                       # 1,000,000 items in a temporary folder
    .venv/bin/python bench/web.py --items 200000 --repeat 20 --while-writing
    .venv/bin/python bench/web.py --keep /work/bench-out/web/bench-1m.duckdb --while-writing
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path

START = datetime(2016, 3, 21, 0, tzinfo=timezone.utc)
HOURS = 48
SOURCES = 200
STORIES = 20_000
PASSWORD = "bänken mäter lägesrummet"


def populate(path: Path, n: int) -> float:
    from mediebild.data.store import Store
    from mediebild.data.triage import set_triage
    from mediebild.data.users import add_user
    from mediebild.web.auth import Passwords

    t0 = time.perf_counter()
    seconds = HOURS * 3600
    start = START.replace(tzinfo=None)
    with Store.open(path, create=True) as store:
        con = store.con
        with store.transaction():
            con.execute(
                """INSERT INTO sources (id, monitor, url, name, item_kind, added_at)
                   SELECT 'src-' || i, 'rss', 'https://s' || i || '.example.se/rss', 'Källa ' || i,
                          CASE WHEN i % 10 = 0 THEN 'official' WHEN i % 3 = 0 THEN 'social' ELSE 'editorial' END, ?
                   FROM range(?) t(i)""", [start, SOURCES])
            con.execute(
                f"""INSERT INTO items (id, source_id, kind, url, title, text, author, published_at, fetched_at,
                                      first_seen_at, version, lang, content_hash)
                    SELECT 'it-' || i, 'src-' || (i % {SOURCES}),
                           CASE WHEN i % {SOURCES} % 10 = 0 THEN 'official' WHEN i % {SOURCES} % 3 = 0 THEN 'social' ELSE 'editorial' END,
                           'https://s' || (i % {SOURCES}) || '.example.se/a/' || i,
                           'Rubrik ' || (i % 5000) || ': läget vid Zaventem och i Bryssel <b>',
                           'Brödtext om händelsen nummer ' || (i % 5000) || '. Polisen uppmanar allmänheten att undvika området.',
                           NULL,
                           ?::TIMESTAMP + to_seconds((i * {seconds}) // ?),
                           ?::TIMESTAMP + to_seconds((i * {seconds}) // ? + 60),
                           ?::TIMESTAMP + to_seconds((i * {seconds}) // ? + 60),
                           1, 'sv', 'h' || i
                    FROM range(?) t(i)""", [start, n, start, n, start, n, n])
            con.execute(
                f"""INSERT INTO fetches (source_id, started_at, finished_at, http_status, ok, problem)
                    SELECT 'src-' || s, ?::TIMESTAMP + to_seconds(h * 3600 + 120), ?::TIMESTAMP + to_seconds(h * 3600 + 121),
                           CASE WHEN (s + h) % 37 = 0 THEN 500 ELSE 200 END, (s + h) % 37 <> 0,
                           CASE WHEN (s + h) % 37 = 0 THEN 'http_500: Internal Server Error' END
                    FROM range({SOURCES}) a(s), range({HOURS}) b(h)""", [start, start])
            con.execute(
                """INSERT INTO enrichments (item_id, enriched_at, model_version, lang, relevance, relevant, info_type, tone)
                   SELECT 'it-' || i, now()::TIMESTAMP, 'bench', 'sv', (i % 100) / 100.0, i % 3 <> 0,
                          ['caution_and_advice', 'affected_individuals', 'infrastructure_and_utilities',
                           'sympathy_and_support', 'not_applicable'][1 + i % 5], ['negative', 'neutral'][1 + i % 2]
                   FROM range(?) t(i)""", [n])
            con.execute(
                """INSERT INTO entities (item_id, label, text, norm_id)
                   SELECT 'it-' || i, CASE WHEN i % 2 = 0 THEN 'LOC' ELSE 'ORG' END,
                          ['Zaventem', 'Bryssel', 'Maalbeek', 'Polisen', 'SAS', 'UD'][1 + i % 6], NULL
                   FROM range(0, ?, 10) t(i)""", [n])
            # stories: ten consecutive items form a burst of story (i // 10) % STORIES; each story has a burst
            # every 200,000 items (about ten hours at 1M), so it lives over the days as a real one does
            con.execute(
                f"""INSERT INTO stories (id, headline, first_seen, last_seen, n_items, rumour, rumour_reasons,
                                        created_at, updated_at)
                    SELECT 'S' || s, 'Händelse ' || s || ' vid Zaventem', ?, ?, 0, s % 50 = 0,
                           CASE WHEN s % 50 = 0 THEN ['sprids i sociala medier utan redaktionell källa'] END, ?, ?
                    FROM range({STORIES}) t(s)""", [start, start, start, start])
            con.execute(
                f"""INSERT INTO story_items SELECT 'it-' || i, 'S' || ((i // 10) % {STORIES}), 0.5, ?::TIMESTAMP
                    FROM range(?) t(i)""", [start, n])
            con.execute(
                """INSERT INTO copies SELECT 'it-' || i, 'it-' || (i - 1), 'near', 0.9, ?::TIMESTAMP
                   FROM range(?) t(i) WHERE i % 5 = 4""", [start, n])
            con.execute("INSERT INTO story_seen SELECT item_id, assigned_at, TRUE, NULL FROM story_items")
            con.execute(
                f"""INSERT INTO alerts SELECT 'story:S' || s, 'story', 'S' || s, NULL,
                           ?::TIMESTAMP + to_seconds(s * 7), ?::TIMESTAMP + to_seconds(s * 7), 40, 4.0, 9.0, NULL
                    FROM range(0, {STORIES}, 40) t(s)""", [start, start])
        add_user(con, "bench", role="editor", password_hash=Passwords().hash(PASSWORD), organisation="Bänken")
        for s in range(0, 200, 7):
            set_triage(con, f"S{s}", "watched", note="bänk", user="bench", organisation="Bänken")
    return time.perf_counter() - t0


WRITER = """
import sys, time
from datetime import timedelta
from mediebild.data.store import Store
from mediebild.flows.publish import publish_step
from mediebild.items import Item
from mediebild.timeutil import as_utc
path, start, seconds = sys.argv[1], as_utc(__import__('datetime').datetime.fromisoformat(sys.argv[2])), float(sys.argv[3])
deadline, k = time.monotonic() + seconds, 0
while time.monotonic() < deadline:
    at = start + timedelta(seconds=k)
    items = [Item(id=f'new-{k}-{j}', source='src-1', kind='editorial', url=f'https://s1.example.se/new/{k}/{j}',
                  title=f'Ny post {k}-{j}', text='Ny text om läget.', author=None, published_at=at, fetched_at=at)
             for j in range(2000)]
    t0 = time.perf_counter()
    with Store.open(path, wait=60) as store:
        store.record_fetch(source_id='src-1', run_id='bench', started_at=at, finished_at=at, http_status=200, size=1,
                           not_modified=False, items=items, problems=[], ok=True, cursor=None)
    written = time.perf_counter() - t0
    published = publish_step(path)  # what every pass does when it finishes
    print('pass', k, round(written, 2), round(time.perf_counter() - t0 - written, 2), published.get('error', ''),
          flush=True)
    k += 1
    time.sleep(2.0)
"""


def percentiles(times: list[float]) -> tuple[float, float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return statistics.median(ordered) * 1000, p95 * 1000, ordered[-1] * 1000


def measure(client, room, path: str, repeat: int, *, cold: bool) -> list[float]:
    times = []
    for _ in range(repeat):
        if cold:
            room._cache.clear()
            room.analysts._cache.clear()
        t0 = time.perf_counter()
        answer = client.get(path)
        times.append(time.perf_counter() - t0)
        if answer.status_code != 200:
            raise SystemExit(f"{path}: HTTP {answer.status_code}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", type=Path, help="write the database here (reused when it exists)")
    parser.add_argument("--while-writing", action="store_true", help="also measure while another process writes")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message="Using `httpx`")

    import re

    from starlette.testclient import TestClient

    from mediebild.data.access import Snapshots
    from mediebild.data.triage import set_triage
    from mediebild.flows.serve import web_services
    from mediebild.web.app import create_app
    from mediebild.web.config import WebSettings

    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench.duckdb"
        if not path.exists():
            load = populate(path, args.items)
            print(f"items stored:                 {args.items:>10,}  in {load:6.1f} s (with {STORIES:,} stories, "
                  "enrichment, entities, copies)")
        size = path.stat().st_size
        access = Snapshots(path, settle=2.0, poll=0.5, write_timeout=60)
        t0 = time.perf_counter()
        access.start(wait=600)
        print(f"page start (publishing first when never published): {time.perf_counter() - t0:8.1f} s  "
              f"({size / 2**20:,.0f} MiB database)")
        app = create_app(WebSettings(allowed_hosts=["testserver"]), access, web_services())
        room = app.state.room
        client = TestClient(app, base_url="http://testserver", follow_redirects=False)
        page = client.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        assert client.post("/login", data={"user": "bench", "password": PASSWORD, "csrf": token}).status_code == 303
        stream = client.get("/flodet").text
        older = re.search(r'href="(/flodet\?[^"]*before=[^"]+)"', stream)
        actions = []
        for k in range(5):
            form = client.get("/berattelse/S1234").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
            t0 = time.perf_counter()
            done = client.post("/berattelse/S1234/triage", data={"csrf": csrf, "state": ("watched", "handled")[k % 2],
                                                                   "note": f"bänk {k}"})
            actions.append(time.perf_counter() - t0)
            assert done.status_code == 303, done.status_code
        p50, p95, worst = percentiles(actions)
        print(f"an action (triage: write, publish, redirect): p50 {p50:7.0f} ms  max {worst:7.0f} ms  "
              f"(the actor's next page shows it)")
        from mediebild.data.snapshot import current_version
        from mediebild.data.snapshot_read import connect_folder, hold_small_tables

        folder = current_version(access.root)
        assert folder is not None
        t0 = time.perf_counter()
        opened = connect_folder(folder)
        hold_small_tables(opened, folder)  # as the follower opens a version (data/access.py)
        opened.close()
        print(f"opening a published version:  {(time.perf_counter() - t0) * 1000:10.0f} ms  (off the request path)")
        found = client.get("/sok?q=zaventem+OR+bryssel&sort=time").text
        later = re.search(r'href="([^"]+)" rel="next" id="next-page"', found)
        pages = [
            ("overview", "/"),
            ("stream", "/flodet"),
            ("stream kind=social", "/flodet?kind=social"),
            ("stream info type + relevance", "/flodet?info_type=caution_and_advice&min_relevance=0.5"),
            ("stream, second page", older.group(1).replace("&amp;", "&") if older else "/flodet"),
            ("story", "/berattelse/S1234"),
            ("search, 200 hits", "/sok?q=%22rubrik+1234%22"),
            ("search, OR, kind=social", "/sok?q=%22rubrik+1233%22+OR+%22nummer+4242%22&kind=social"),
            ("search, 6 h, sort by time", "/sok?q=zaventem&period=6h&sort=time"),
            ("search, next page", later.group(1).replace("&amp;", "&") if later else "/sok?q=zaventem"),
            ("search, relevant only", "/sok?q=%22rubrik+1234%22&relevant=1"),
            ("search, 1M hits ranked (worst)", "/sok?q=zaventem"),
            ("trends, 2 queries by hour, 24 h", "/sok/trender?queries=zaventem%0Amaalbeek&period=24h"),
            ("trends chart (SVG)", "/sok/trender.svg?queries=zaventem%0Amaalbeek&period=24h"),
            ("top lists, 24 h", "/sok/topp?period=24h"),
        ]
        print(f"{'page':32} {'cold p50':>9} {'cold p95':>9} {'warm p50':>9} {'warm p95':>9}   (ms, {args.repeat} requests each)")
        for name, url in pages:
            cold = percentiles(measure(client, room, url, args.repeat, cold=True))
            warm = percentiles(measure(client, room, url, args.repeat, cold=False))
            print(f"{name:32} {cold[0]:9.1f} {cold[1]:9.1f} {warm[0]:9.1f} {warm[1]:9.1f}")
        after = []
        for k in range(max(5, args.repeat // 2)):
            with access.write() as store:  # an action lands: a new published version, a new data version
                set_triage(store.con, f"S{k}", "watched", note="bänk", user="bench", organisation="Bänken")
            time.sleep(1.5)  # a reader arrives a moment later; the page has kept its overview warm
            after += measure(client, room, "/", 1, cold=False)
        p50, p95, worst = percentiles(after)
        print(f"{'overview 1.5 s after an action':32} p50 {p50:7.1f}  p95 {p95:7.1f}  max {worst:7.1f}  "
              f"(kept warm by the page; {len(after)} actions)")
        if args.while_writing:
            newest = START + timedelta(hours=HOURS)
            writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), newest.isoformat(), "75"],
                                      stdout=subprocess.PIPE, text=True)
            time.sleep(1.0)
            versions = {access.version}
            print("while another process writes and publishes a pass of 2,000 items every ~2 s:")
            watched = [pages[0], pages[1], pages[2], pages[6], pages[11]]
            for cold in (True, False):
                for name, url in watched:
                    times = []
                    t_end = time.monotonic() + 8
                    while time.monotonic() < t_end:
                        times += measure(client, room, url, 1, cold=cold)
                        versions.add(access.version)
                    p50, p95, worst = percentiles(times)
                    print(f"  {name:30} {'cold' if cold else 'warm'} p50 {p50:7.1f}  p95 {p95:7.1f}  "
                          f"max {worst:7.1f}  ({len(times)} requests)")
            writer.terminate()
            lines = [line.split() for line in (writer.communicate()[0] or "").splitlines() if line.startswith("pass")]
            write_s = [float(line[2]) for line in lines if len(line) > 3]
            publish_s = [float(line[3]) for line in lines if len(line) > 3]
            print(f"  the writer finished {len(lines)} passes (write p50 {statistics.median(write_s or [0]):.2f} s, "
                  f"publish p50 {statistics.median(publish_s or [0]):.2f} s); the page read {len(versions) - 1} "
                  "new versions meanwhile")
        client.close()
        access.close()


if __name__ == "__main__":
    main()
