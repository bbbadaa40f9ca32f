"""The shared store end to end, through the command line: an embedded database migrated into the intake, two
worker processes ingesting the same feeds (with wire copies in several of them) at once, the writer pulling
every item into DuckDB exactly once, and the intake exported to a standalone database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from werkzeug.wrappers import Request, Response

from mediebild.data.intake import SharedIntake
from mediebild.data.store import Store
from mediebild.monitors.base import SourceConfig

FEEDS = 8
WIRE = 25  # items every feed carries (the same link: one id)
OWN = 25  # items only one feed carries


def rss(feed: int) -> bytes:
    def entry(link: str, title: str, n: int) -> str:
        return (f"<item><title>{title}</title><link>{link}</link><pubDate>Tue, 22 Mar 2016 08:{n % 60:02d}:00 +0100"
                f"</pubDate><description>{title}: explosionen på Zaventem.</description></item>")

    wire = "".join(entry(f"https://tt.example.se/wire/{n}", f"TT {n}", n) for n in range(WIRE))
    own = "".join(entry(f"https://feed{feed}.example.se/n/{n}", f"Egen {feed}-{n}", n) for n in range(OWN))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>f{feed}</title>{wire}{own}'
            "</channel></rss>").encode()


def slow_feed(request: Request) -> Response:
    time.sleep(0.3)  # both workers fetch at once, and store overlapping wire copies at once
    return Response(rss(int(request.path.strip("/f.xml"))), content_type="application/rss+xml")


def cli(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "mediebild.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_two_workers_one_writer_every_item_exactly_once(intake_url, tmp_path, httpserver):
    for feed in range(FEEDS):
        httpserver.expect_request(f"/f{feed}.xml").respond_with_handler(slow_feed)
    db = tmp_path / "writer.duckdb"
    with Store.open(db, create=True) as store:
        for feed in range(FEEDS):
            store.upsert_source(SourceConfig(id=f"f{feed}", monitor="rss", url=httpserver.url_for(f"/f{feed}.xml"),
                                             name=f"f{feed}"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p), "MEDIEBILD_STORE__CLAIM_BATCH": "2"}
    migrate = cli("store", "migrate", "--to", intake_url, "--db", str(db), "--json", env=env)
    out, err = migrate.communicate(timeout=120)
    assert migrate.returncode == 0, err
    assert json.loads(out)["rows"]["sources"] == FEEDS
    assert os.environ["PGPASSWORD"] not in out + err

    workers = [cli("ingest", "--engine", "plain", "--catalog", intake_url, "--json", env=env) for _ in range(2)]
    results = []
    for w in workers:
        out, err = w.communicate(timeout=180)
        assert w.returncode == 0, err
        results.append(json.loads(out))
    fetched = sorted(r["source"] for result in results for r in result["per_source"])
    assert fetched == sorted(f"f{n}" for n in range(FEEDS))  # every source once, by one worker or the other
    assert all(result["sources"] > 0 for result in results)  # both did some of the work
    unique = WIRE + FEEDS * OWN
    assert sum(result["items_new"] for result in results) == unique

    with SharedIntake.open(intake_url) as intake:
        assert intake.counts()["items"] == unique and intake.counts()["fetches"] == FEEDS
    pull = cli("intake", "--db", str(db), "--catalog", intake_url, "--json", env=env)
    out, err = pull.communicate(timeout=120)
    assert pull.returncode == 0, err
    pulled = json.loads(out)
    assert (pulled["items"], pulled["items_new"], pulled["fetches"]) == (unique, unique, FEEDS)
    with Store.open(db) as store:
        assert store.count("items") == unique and store.count("fetches") == FEEDS
        assert all(store.cursor(f"f{n}") for n in range(FEEDS))  # the workers' cursors reached the writer

    export = cli("store", "migrate", "--to", str(tmp_path / "exercise.duckdb"), "--catalog", intake_url, env=env)
    out, err = export.communicate(timeout=120)
    assert export.returncode == 0, err
    with Store.open(tmp_path / "exercise.duckdb") as exported:
        assert exported.count("items") == unique and exported.count("sources") == FEEDS


@pytest.mark.prefect
def test_the_monitoring_pass_with_a_catalog_fetches_into_the_intake_then_pulls_and_enriches(
        intake_url, tmp_path, httpserver, prefect_harness):
    from mediebild.flows.monitor import get_monitor_flow

    httpserver.expect_request("/f0.xml").respond_with_data(rss(0), content_type="application/rss+xml")
    db = tmp_path / "writer.duckdb"
    with Store.open(db, create=True) as store:
        store.upsert_source(SourceConfig(id="f0", monitor="rss", url=httpserver.url_for("/f0.xml"), name="f0"))
    result = get_monitor_flow()(db=str(db), retries=0, retry_delay_s=0, catalog=intake_url)
    assert result["ingest"]["items_new"] == WIRE + OWN  # a source added to the store is fetched in the same pass
    assert result["intake"]["items"] == WIRE + OWN and "error" not in result["enrich"]
    with Store.open(db) as store:
        assert store.count("items") == WIRE + OWN and store.count("enrichments") == WIRE + OWN
