"""The ingest pass: one failing source never stops the others, re-runs store nothing twice, kills lose nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timezone

import pytest
from werkzeug.wrappers import Response

from mediebild.flows.ingest import collect, ingest_pass, store_outcome
from mediebild.monitors.base import SourceConfig
from mediebild.monitors.http import HttpLimits

LIMITS = HttpLimits(connect_timeout=1.0, read_timeout=1.0, deadline=3.0, max_bytes=1024 * 1024, max_redirects=3)
NOW = datetime(2026, 3, 24, 10, 0, tzinfo=timezone.utc)


def rss(name: str, n: int, start: int = 0) -> bytes:
    items = "".join(
        f"<item><title>{name} nyhet {i}</title><link>https://{name}.example.se/n/{i}</link>"
        f"<pubDate>Tue, 24 Mar 2026 08:{i % 60:02d}:00 +0100</pubDate><description>Text {i} från {name}.</description></item>"
        for i in range(start, start + n)
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{name}</title>{items}</channel></rss>'.encode()


def add_sources(store, httpserver, names):
    for name in names:
        store.upsert_source(SourceConfig(id=name, monitor="rss", url=httpserver.url_for(f"/{name}.xml"), name=name))


def test_failing_sources_do_not_stop_the_others(store, httpserver):
    httpserver.expect_request("/good.xml").respond_with_data(rss("good", 5), content_type="application/rss+xml")
    httpserver.expect_request("/other.xml").respond_with_data(rss("other", 3), content_type="application/rss+xml")
    httpserver.expect_request("/broken.xml").respond_with_data("fel", status=500)
    httpserver.expect_request("/garbage.xml").respond_with_data(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    httpserver.expect_request("/html.xml").respond_with_data("<!doctype html><html><body>Sidan finns inte</body></html>",
                                                             content_type="text/html")
    store.upsert_source(SourceConfig(id="dns", monitor="rss", url="http://no-such-host.invalid/feed", name="dns"))
    add_sources(store, httpserver, ["good", "other", "broken", "garbage", "html"])
    summary = ingest_pass(store, now=NOW, limits=LIMITS, concurrency=3)
    assert sorted(summary.failed) == ["broken", "dns", "garbage", "html"]
    assert summary.exit_code == 1
    assert store.count("items") == 8
    problems = dict(store.con.execute("SELECT source_id, code FROM problems WHERE severity = 'error'").fetchall())
    assert problems["broken"] == "http_500" and problems["garbage"] == "not_a_feed" and problems["html"] == "not_a_feed"
    assert problems["dns"] in ("dns", "connect")
    from mediebild.data.queries import source_health

    health = {r["id"]: r for r in source_health(store.con)}
    assert health["broken"]["status"] == "failing" and health["broken"]["error_streak"] == 1
    assert health["good"]["status"] == "ok" and health["good"]["last_success"] is not None


def test_ingest_twice_stores_nothing_twice(store, httpserver):
    httpserver.expect_request("/a.xml").respond_with_data(rss("a", 10), content_type="application/rss+xml")
    httpserver.expect_request("/b.xml").respond_with_data(rss("b", 4), content_type="application/rss+xml",
                                                          headers={"ETag": '"b1"'})
    add_sources(store, httpserver, ["a", "b"])
    first = ingest_pass(store, now=NOW, limits=LIMITS)
    counts = {t: store.count(t) for t in ("items", "sources")}
    second = ingest_pass(store, now=NOW, limits=LIMITS)
    assert first.items_new == 14 and second.items_new == 0
    assert {t: store.count(t) for t in ("items", "sources")} == counts
    assert all(row["not_modified"] for row in second.per_source)  # MD5 for a, ETag for b
    assert store.count("fetches") == 4


def test_updated_article_bumps_version(store, httpserver):
    add_sources(store, httpserver, ["u"])
    httpserver.expect_ordered_request("/u.xml").respond_with_data(rss("u", 2))
    httpserver.expect_ordered_request("/u.xml").respond_with_data(rss("u", 2).replace(b"nyhet 1<", b"nyhet 1 UPPDATERAD<"))
    ingest_pass(store, now=NOW, limits=LIMITS)
    summary = ingest_pass(store, now=NOW, limits=LIMITS)
    assert summary.items_updated == 1 and store.count("items") == 2
    version, title = store.con.execute("SELECT version, title FROM items WHERE title LIKE '%UPPDATERAD%'").fetchone()
    assert version == 2


def test_collect_never_raises_on_unknown_monitor():
    outcome = collect(SourceConfig(id="x", monitor="myspace", url="https://myspace.example", name="x"), {}, NOW)
    assert not outcome.ok and outcome.problems[0].code == "config"


KILL_SCRIPT = textwrap.dedent(
    """
    import sys
    from mediebild.data.store import Store
    from mediebild.flows.ingest import ingest_pass
    store = Store.open(sys.argv[1])
    ingest_pass(store, concurrency=1)
    store.close()
    print("done")
    """
)


def test_sigkill_mid_run_loses_and_duplicates_nothing(tmp_path, httpserver):
    from mediebild.data.store import Store

    names = [f"s{i:02d}" for i in range(16)]

    def slow_feed(request):
        time.sleep(0.25)
        name = request.path.strip("/").removesuffix(".xml")
        return Response(rss(name, 20), content_type="application/rss+xml")

    for name in names:
        httpserver.expect_request(f"/{name}.xml").respond_with_handler(slow_feed)
    db = tmp_path / "kill.duckdb"
    with Store.open(db, create=True) as store:
        add_sources(store, httpserver, names)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(db)], env=env, stdout=subprocess.PIPE)
    deadline = time.monotonic() + 60
    # wait until some, not all, sources are stored, then kill -9
    while time.monotonic() < deadline:
        time.sleep(0.3)
        if len(httpserver.log) >= 5:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with Store.open(db) as store:
        partial_items = store.count("items")
        partial_fetches = store.count("fetches")
        # atomic per source: every stored fetch has all of its 20 items, no half source
        assert partial_items == 20 * partial_fetches
        assert 0 < partial_fetches < len(names)
    rerun = subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(db)], env=env, capture_output=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr.decode()[-2000:]
    with Store.open(db) as store:
        assert store.count("items") == 20 * len(names)
        assert store.con.execute("SELECT count(DISTINCT id) FROM items").fetchone()[0] == 20 * len(names)
        assert store.con.execute("SELECT count(DISTINCT source_id) FROM fetches").fetchone()[0] == len(names)


@pytest.mark.prefect
def test_ingest_flow_under_prefect_harness(tmp_path, httpserver, prefect_harness):
    """The real flow: one task per source, retries on transient errors only, the run summarised."""
    from mediebild.data.store import Store
    from mediebild.flows.ingest import run_ingest_flow

    httpserver.expect_request("/good.xml").respond_with_data(rss("good", 3))
    httpserver.expect_request("/flaky.xml").respond_with_data("fel", status=503)
    httpserver.expect_request("/gone.xml").respond_with_data("borta", status=404)
    db = tmp_path / "flow.duckdb"
    with Store.open(db, create=True) as store:
        add_sources(store, httpserver, ["good", "flaky", "gone"])
    summary = run_ingest_flow(str(db), retries=2, retry_delay_s=0, limits=LIMITS, concurrency=2)
    assert sorted(summary.failed) == ["flaky", "gone"]
    hits = [entry[0].path for entry in httpserver.log]
    assert hits.count("/flaky.xml") == 3  # transient: first try + 2 retries
    assert hits.count("/gone.xml") == 1  # permanent: no retry
    with Store.open(db) as store:
        assert store.count("items") == 3
        attempts = dict(store.con.execute("SELECT source_id, attempts FROM fetches").fetchall())
        assert attempts["flaky"] == 3 and attempts["gone"] == 1


@pytest.mark.prefect
def test_monitor_pass_runs_ingest_enrich_and_stories(tmp_path, httpserver, prefect_harness):
    """The flow `mediebild serve` schedules: one pass stores, enriches and clusters."""
    from mediebild.data.store import Store
    from mediebild.flows.monitor import get_monitor_flow

    httpserver.expect_request("/a.xml").respond_with_data(rss("a", 4))
    db = tmp_path / "pass.duckdb"
    with Store.open(db, create=True) as store:
        add_sources(store, httpserver, ["a"])
    result = get_monitor_flow()(db=str(db), retries=0, retry_delay_s=0, limits=LIMITS)
    assert result["ingest"]["items_new"] == 4
    assert "error" not in result["enrich"] and "error" not in result["stories"]
    with Store.open(db) as store:
        assert store.count("enrichments") == 4


def test_fetch_times_follow_the_pass_clock(store, httpserver):
    """A replay at a simulated time records its fetches at that time, so health and digests agree with it."""
    from mediebild.data.queries import source_health

    httpserver.expect_request("/c.xml").respond_with_data(rss("c", 3))
    httpserver.expect_request("/d.xml").respond_with_data("fel", status=500)
    add_sources(store, httpserver, ["c", "d"])
    ingest_pass(store, now=NOW, limits=LIMITS)
    started, finished = store.con.execute("SELECT min(started_at), max(finished_at) FROM fetches").fetchone()
    assert started == NOW.replace(tzinfo=None) and (finished - started).total_seconds() < 60
    health = {r["id"]: r for r in source_health(store.con)}
    assert health["c"]["last_success"] == NOW.replace(microsecond=0) or health["c"]["last_success"] >= NOW
    assert health["c"]["items_per_hour"] > 0
    assert health["d"]["last_error_at"] >= NOW


def test_the_loop_stores_what_a_submitter_lets_escape_with_its_attempts(store, httpserver):
    """run_sources without threads or Prefect: a future that raises is a failed fetch after the submitter's retries."""
    from concurrent.futures import Future

    from mediebild.errors import PermanentSourceError, TransientSourceError
    from mediebild.flows.ingest import fetch_and_parse, run_sources

    httpserver.expect_request("/fine.xml").respond_with_data(rss("fine", 2))
    add_sources(store, httpserver, ["fine", "flaky", "gone"])
    errors = {"flaky": TransientSourceError("HTTP 503", code="http_503", status=503),
              "gone": PermanentSourceError("HTTP 404", code="http_404", status=404)}

    def submit(source, cursor):
        future: Future = Future()
        if source.id in errors:
            future.set_exception(errors[source.id])
        else:
            future.set_result(fetch_and_parse(source, cursor, NOW, LIMITS))
        return future

    seen = []
    summary = run_sources(store, store.sources(), submit, now=NOW, retries=2, on_done=seen.append)
    assert summary.sources == 3 and sorted(summary.failed) == ["flaky", "gone"] and summary.exit_code == 1
    assert summary.items_new == 2 and [r["source"] for r in summary.per_source] == ["fine", "flaky", "gone"]
    assert sorted(r["source"] for r in seen) == ["fine", "flaky", "gone"]
    attempts = dict(store.con.execute("SELECT source_id, attempts FROM fetches").fetchall())
    assert attempts == {"fine": 1, "flaky": 3, "gone": 1}
    problems = dict(store.con.execute("SELECT source_id, code FROM problems WHERE severity = 'error'").fetchall())
    assert problems == {"flaky": "http_503", "gone": "http_404"}


@pytest.mark.prefect
def test_plain_and_prefect_paths_give_the_same_summary(tmp_path, httpserver, prefect_harness):
    """The same sources through ingest_pass and through the Prefect flow: the same rows, twice (then unchanged)."""
    from mediebild.data.store import Store
    from mediebild.flows.ingest import ingest_pass, run_ingest_flow

    httpserver.expect_request("/good.xml").respond_with_data(rss("good", 5), content_type="application/rss+xml")
    httpserver.expect_request("/tagged.xml").respond_with_data(rss("tagged", 3), content_type="application/rss+xml",
                                                               headers={"ETag": '"t1"'})
    httpserver.expect_request("/broken.xml").respond_with_data("fel", status=500)
    httpserver.expect_request("/gone.xml").respond_with_data("borta", status=404)
    httpserver.expect_request("/html.xml").respond_with_data("<!doctype html><html><body>Nej</body></html>",
                                                             content_type="text/html")
    names = ["good", "tagged", "broken", "gone", "html"]
    dbs = {engine: tmp_path / f"{engine}.duckdb" for engine in ("plain", "prefect")}
    for db in dbs.values():
        with Store.open(db, create=True) as store:
            add_sources(store, httpserver, names)

    def comparable(summary):
        return {k: v for k, v in summary.as_dict().items() if k != "run_id"}

    for failed in (["broken", "gone", "html"], ["broken", "gone"]):  # the second time the HTML page is unchanged
        with Store.open(dbs["plain"]) as store:
            plain = ingest_pass(store, now=NOW, limits=LIMITS, concurrency=2)
        flow = run_ingest_flow(str(dbs["prefect"]), now=NOW, retries=0, retry_delay_s=0, limits=LIMITS, concurrency=2)
        assert comparable(plain) == comparable(flow)
        assert plain.exit_code == flow.exit_code == 1 and sorted(plain.failed) == failed
    assert plain.items_new == 0 and all(r["not_modified"] for r in plain.per_source if r["ok"])
    stored = {}
    for engine, db in dbs.items():
        with Store.open(db) as store:
            stored[engine] = (
                store.con.execute("SELECT source_id, ok, http_status, not_modified, items_new, attempts FROM fetches "
                                  "ORDER BY ALL").fetchall(),
                store.con.execute("SELECT source_id, code FROM problems ORDER BY ALL").fetchall(),
                store.count("items"),
            )
    assert stored["plain"] == stored["prefect"]


def test_x_and_bluesky_sources_without_a_query_search_for_the_profile():
    from mediebild.flows.ingest import with_profile_queries
    from mediebild.profile import Profile

    profile = Profile.from_dict({"name": "p", "terms": {"sv": ["explosion"], "places": ["Bryssel"]}})
    sources = [SourceConfig(id="x", monitor="x", url="https://api.x.com", name="X"),
               SourceConfig(id="b", monitor="bluesky", url="https://bsky.social", name="B", options={"query": "egen"}),
               SourceConfig(id="r", monitor="rss", url="https://e.se/rss", name="R")]
    fetched = {s.id: s.query for s in with_profile_queries(sources, profile)}
    assert fetched == {"x": "(explosion OR Bryssel)", "b": "egen", "r": None}
    assert with_profile_queries(sources, None) == sources
