"""Workers on "other machines" writing one fanned-out pass into the shared intake, on a real Prefect server and a
real (throwaway) Postgres: the commands of README's "Scale-out" section with `[store] catalog` set.

`prefect server start`, `mediebild deploy`, two `mediebild worker --groups-only` processes whose --db does not
exist (machines without the DuckDB file: they take only the group runs, work queue `groups`, and write into the
intake), `mediebild intake` (pushes the sources), `mediebild ingest --engine workers` (the pass, with the catalog
from mediebild.toml: the URL only, PGPASSWORD from the environment), `mediebild intake` again (the pull). Every
item lands in the DuckDB file exactly once, every fetch was made by one of the two workers, a second pull moves
nothing. Skipped when the Prefect server cannot start here; about a minute on this machine.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from mediebild.monitors.base import SourceConfig

pytestmark = [pytest.mark.prefect, pytest.mark.slow, pytest.mark.timeout(240)]

FEEDS, OWN, WIRE = 12, 4, 3


def rss(feed: int) -> str:
    def entry(link: str, title: str) -> str:
        return (f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
                f"<description>{title}: Centralen.</description></item>")

    items = "".join(entry(f"https://tt.example.se/wire/{n}", f"TT {n}") for n in range(WIRE))
    items += "".join(entry(f"https://feed{feed}.example.se/{n}", f"Egen {feed}-{n}") for n in range(OWN))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>f{feed}</title>{items}</channel></rss>'


@pytest.fixture
def feeds():
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()

    def feed(request: Request) -> Response:
        time.sleep(0.2)
        return Response(rss(int(request.path.split("/")[-1].split(".")[0])), content_type="application/rss+xml")

    server.expect_request(re.compile(r"^/feed/\d+\.xml$")).respond_with_handler(feed)
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def test_groups_only_workers_write_a_pass_into_the_intake_and_the_pull_lands_it_once(
        feeds, intake_url, tmp_path, monkeypatch):
    from mediebild.data.intake import SharedIntake
    from mediebild.data.store import Store
    from mediebild.errors import UserError
    from mediebild.flows.serve import prefect_api

    db = tmp_path / "writer.duckdb"
    with Store.open(db, create=True) as store:
        for k in range(FEEDS):
            store.upsert_source(SourceConfig(f"feed-{k:02d}", "rss", feeds.url_for(f"/feed/{k}.xml"), f"Flöde {k}"))
    config = tmp_path / "mediebild.toml"
    config.write_text(f'[ingest]\nconcurrency = 2\nretries = 0\n\n[scale]\ngroup_size = 3\n\n'
                      f'[store]\ncatalog = "{intake_url}"\n', encoding="utf-8")
    for name, value in {"PREFECT_HOME": str(tmp_path / ".prefect"), "MEDIEBILD_CONFIG": str(config),
                        "MEDIEBILD_STATE_DIR": str(tmp_path / "state")}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.delenv("MEDIEBILD_DB", raising=False)
    mediebild = [sys.executable, "-m", "mediebild.cli"]
    elsewhere = tmp_path / "elsewhere" / "no.duckdb"  # the workers' machines have no DuckDB file
    workers: list[subprocess.Popen] = []
    cm = prefect_api(wait=120)
    try:
        url = cm.__enter__()
    except UserError as exc:
        pytest.skip(f"prefect server cannot start here: {exc}")
    try:
        env = {**os.environ, "PREFECT_API_URL": url}

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([*mediebild, *args], check=False, env=env, capture_output=True, text=True,
                                  timeout=150)

        done = run("intake", "--db", str(db), "--json")  # the writer pushes its sources to the intake
        assert done.returncode == 0, done.stderr[-2000:]
        done = run("deploy", "--db", str(db), "--paused")
        assert done.returncode == 0, done.stderr[-3000:]
        for name in ("remote-a", "remote-b"):
            workers.append(subprocess.Popen(
                [*mediebild, "worker", "--groups-only", "--db", str(elsewhere), "--name", name, "--limit", "2",
                 "--heartbeat", "2", "--poll", "1"], env=env, stdout=subprocess.DEVNULL,
                stderr=open(tmp_path / f"{name}.log", "wb"), start_new_session=True))
        done = run("ingest", "--engine", "workers", "--json", "--db", str(db))
        assert done.returncode == 0, (done.stderr[-3000:], (tmp_path / "remote-a.log").read_text()[-2000:])
        result = json.loads(done.stdout)
    finally:
        for process in workers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in workers:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        cm.__exit__(None, None, None)

    unique = WIRE + FEEDS * OWN
    assert result["failed"] == [] and result["unfinished"] == [] and result["group_runs"] == 4
    assert result["items_new"] == unique and result["publishes"] == 0  # read from the intake; nothing published
    assert not elsewhere.parent.exists() or not elsewhere.exists()
    with SharedIntake.open(intake_url) as intake:
        fetched = intake.run_fetches(result["run_id"])
        with intake.transaction() as cur:
            cur.execute("SELECT DISTINCT split_part(worker, ':', 2) FROM fetches WHERE run_id = %s",
                        [result["run_id"]])
            by = {r[0] for r in cur.fetchall()}
    assert len(fetched) == FEEDS and by <= {"remote-a", "remote-b"} and by, by
    with Store.open(db, read_only=True) as store:
        assert store.count("items") == 0  # the groups wrote into the intake only

    env = {**os.environ}
    pull = subprocess.run([*mediebild, "intake", "--db", str(db), "--json"], check=False, env=env, capture_output=True,
                          text=True, timeout=120)
    assert pull.returncode == 0, pull.stderr[-2000:]
    pulled = json.loads(pull.stdout)
    assert (pulled["items"], pulled["items_new"], pulled["fetches"]) == (unique, unique, FEEDS)
    again = subprocess.run([*mediebild, "intake", "--db", str(db), "--json"], check=False, env=env, capture_output=True,
                           text=True, timeout=120)
    assert again.returncode == 0 and json.loads(again.stdout)["items"] == 0
    with Store.open(db, read_only=True) as store:
        assert store.con.execute("SELECT count(*), count(DISTINCT id), count(DISTINCT url) FROM items").fetchone() \
            == (unique, unique, unique)
        assert len(store.run_fetches(result["run_id"])) == FEEDS
