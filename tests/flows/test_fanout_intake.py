"""The fan-out joined to the shared intake: groups of a pass write into a real (throwaway) Postgres intake, the
writer's pull brings their items into the DuckDB store exactly once.

The groups run in-process, in threads, as `ingest-sources` flow runs on workers would (flows.fanout.ingest_group
with the pass's catalog); the Prefect limit of 1 per source is stood in for by a lock per source, so what is
shown is how the groups, the intake's claims and the pull fit together, not Prefect's scheduling (that is
tests/flows/test_scale_out.py's). Before the groups: a killed group run has stored one source of its group and
left the intake claim of another (a fan-out claim with a 10-minute lease), and a `mediebild ingest` worker holds a
third for 2 s. The rerun takes over the dead group's claim, waits out the other worker's, and fetches only what the
pass has no fetch of; wire copies carried by every feed are one item. The second test runs the monitoring pass
with both catalog and fan_out: push, fan out into the intake, pull.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

FEEDS, OWN, WIRE = 6, 3, 2


def rss(feed: int) -> str:
    def entry(link: str, title: str) -> str:
        return (f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
                f"<description>{title}: Centralen.</description></item>")

    items = "".join(entry(f"https://tt.example.se/wire/{n}", f"TT {n}") for n in range(WIRE))
    items += "".join(entry(f"https://feed{feed}.example.se/{n}", f"Egen {feed}-{n}") for n in range(OWN))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>f{feed}</title>{items}</channel></rss>'


@pytest.fixture
def one_holder_per_source(monkeypatch):
    """Prefect's global concurrency limits, in-process: a lock per `mediebild-source-<id>` (a limit of 1 that
    blocks, as `strict=True` with a server does), no rate limit. Records the most holders any source ever had."""
    from prefect.concurrency import sync

    locks: dict[str, threading.Lock] = {}
    guard = threading.Lock()
    holders: dict[str, int] = {}
    most = {"n": 0}

    @contextmanager
    def concurrency(names: str, occupy: int = 1, **_: object) -> Iterator[None]:
        with guard:
            lock = locks.setdefault(names, threading.Lock())
        with lock:
            with guard:
                holders[names] = holders.get(names, 0) + 1
                most["n"] = max(most["n"], holders[names])
            try:
                yield
            finally:
                with guard:
                    holders[names] -= 1

    monkeypatch.setattr(sync, "concurrency", concurrency)
    monkeypatch.setattr(sync, "rate_limit", lambda *a, **k: None)
    return most


def test_fanned_out_groups_write_into_the_intake_and_the_pull_lands_every_item_once(
        intake_url, tmp_path, httpserver, one_holder_per_source):
    from mediebild.data.intake import SharedIntake
    from mediebild.data.store import Store
    from mediebild.flows.fanout import (
        CLAIM_PREFIX,
        FanOutResult,
        _summarise,
        ingest_group,
        listed_sources,
        split_groups,
    )
    from mediebild.flows.ingest import IngestSummary
    from mediebild.flows.intake import pull_step, push_step
    from mediebild.monitors.base import SourceConfig

    for k in range(FEEDS):
        httpserver.expect_request(f"/f{k}.xml").respond_with_data(rss(k), content_type="application/rss+xml")
    db = tmp_path / "writer.duckdb"
    with Store.open(db, create=True) as store:
        for k in range(FEEDS):
            store.upsert_source(SourceConfig(f"f{k}", "rss", httpserver.url_for(f"/f{k}.xml"), f"Flöde {k}"))
    assert push_step(str(db), intake_url) == FEEDS  # what the monitoring pass does first

    run_id, now = "pass-1", datetime.now(UTC)
    with SharedIntake.open(intake_url) as intake:
        groups = split_groups(listed_sources(intake), 2)
        assert intake.counts()["sources"] == FEEDS and all(
            row is None for row in _claims(intake))  # listing claimed nothing
    assert groups == [["f0", "f3"], ["f1", "f4"], ["f2", "f5"]]

    # a group run killed mid-way: it stored f0 and had claimed f3 when its worker died
    assert [r["source"] for r in ingest_group(str(db), ["f0"], run_id=run_id, now=now, catalog=intake_url,
                                              retries=0)] == ["f0"]
    with SharedIntake.open(intake_url, worker=f"{CLAIM_PREFIX}worker-a:4711") as dead:
        assert dead.claim("f3") is None
    # a `mediebild ingest --catalog` worker on another machine holds f4 for 2 s
    with SharedIntake.open(intake_url, worker="other-host:99", claim_ttl_s=2.0) as other:
        assert other.claim("f4") is None
    with SharedIntake.open(intake_url) as intake:
        assert intake.claim("f3") == f"{CLAIM_PREFIX}worker-a:4711" and intake.claim("f4") == "other-host:99"

    # the rerun of the killed group and the other groups, at once, as workers on several machines would run them
    with ThreadPoolExecutor(max_workers=len(groups)) as pool:
        futures = [pool.submit(ingest_group, str(db), ids, run_id=run_id, now=now, catalog=intake_url, retries=0,
                               concurrency=2) for ids in groups]
        rows = [r for f in futures for r in f.result()]
    assert sorted(r["source"] for r in rows) == [f"f{k}" for k in range(1, FEEDS)]  # f0 was stored already
    assert all(r["ok"] for r in rows)
    assert one_holder_per_source["n"] == 1

    unique = WIRE + FEEDS * OWN
    with SharedIntake.open(intake_url) as intake:
        fetched = intake.run_fetches(run_id)
        assert [r["source_id"] for r in fetched] == [f"f{k}" for k in range(FEEDS)] and all(r["ok"] for r in fetched)
        assert intake.counts()["items"] == unique and intake.counts()["fetches"] == FEEDS
        assert all(row is None for row in _claims(intake))  # every claim ended with its fetch
    result = FanOutResult(IngestSummary(run_id=run_id, sources=FEEDS))
    _summarise(result, fetched, [f"f{k}" for k in range(FEEDS)])
    assert result.summary.failed == [] and result.summary.items_new == unique  # the pass's summary, from the intake

    # a rerun after everything is stored fetches nothing
    assert ingest_group(str(db), groups[0], run_id=run_id, now=now, catalog=intake_url) == []
    with Store.open(db, read_only=True) as store:
        assert store.count("items") == 0  # the groups never touched the DuckDB file

    pulled = pull_step(str(db), intake_url)
    assert (pulled["items"], pulled["items_new"], pulled["fetches"]) == (unique, unique, FEEDS)
    again = pull_step(str(db), intake_url)
    assert (again["items"], again["fetches"]) == (0, 0)
    with Store.open(db, read_only=True) as store:
        assert store.con.execute("SELECT count(*), count(DISTINCT id), count(DISTINCT url) FROM items").fetchone() \
            == (unique, unique, unique)
        assert [r["source_id"] for r in store.run_fetches(run_id)] == [f"f{k}" for k in range(FEEDS)]
        assert store.con.execute("SELECT count(*) FROM fetches WHERE run_id = ?", [run_id]).fetchone()[0] == FEEDS


def _claims(intake) -> list[str | None]:
    with intake.transaction() as cur:
        cur.execute("SELECT CASE WHEN claimed_until > now() THEN claimed_by END FROM sources ORDER BY id")
        return [r[0] for r in cur.fetchall()]


@pytest.mark.prefect
def test_the_monitoring_pass_with_catalog_and_fan_out_pushes_fans_out_into_the_intake_then_pulls(
        intake_url, tmp_path, httpserver, prefect_harness, monkeypatch):
    """The order of monitor-pass with both: push (the groups see the store's sources in the intake), the fan-out
    with the catalog (stood in for by its groups run here, as without workers it cannot run), then the pull."""
    from mediebild.data.intake import SharedIntake
    from mediebild.data.store import Store
    from mediebild.flows import fanout
    from mediebild.flows.ingest import IngestSummary
    from mediebild.flows.monitor import get_monitor_flow
    from mediebild.monitors.base import SourceConfig

    for k in range(2):
        httpserver.expect_request(f"/f{k}.xml").respond_with_data(rss(k), content_type="application/rss+xml")
    db = tmp_path / "writer.duckdb"
    with Store.open(db, create=True) as store:
        for k in range(2):
            store.upsert_source(SourceConfig(f"f{k}", "rss", httpserver.url_for(f"/f{k}.xml"), f"Flöde {k}"))
    calls = []

    def fan_out_here(db: str, *, catalog: str | None = None, **_: object) -> fanout.FanOutResult:
        assert catalog == intake_url
        with SharedIntake.open(catalog) as intake:
            ids = [s.id for s in fanout.listed_sources(intake)]
        calls.append(ids)
        rows = fanout.ingest_group(db, ids, run_id="p1", now=datetime.now(UTC), catalog=catalog,
                                   slots=False, retries=0)
        assert len(rows) == len(ids)
        result = fanout.FanOutResult(IngestSummary(run_id="p1", sources=len(ids)))
        with SharedIntake.open(catalog) as intake:
            fanout._summarise(result, intake.run_fetches("p1"), ids)
        return result

    monkeypatch.setattr(fanout, "fan_out_ingest", fan_out_here)
    result = get_monitor_flow()(db=str(db), retries=0, retry_delay_s=0, catalog=intake_url, fan_out=True)
    unique = WIRE + 2 * OWN
    assert calls == [["f0", "f1"]]  # pushed before the fan-out
    assert result["ingest"]["items_new"] == unique and result["intake"]["items"] == unique
    assert "error" not in result["enrich"]
    with Store.open(db, read_only=True) as store:
        assert store.count("items") == unique and store.count("enrichments") == unique
