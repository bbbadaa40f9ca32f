"""`mediebild deploy`, `worker`, `serve` and `ingest --engine workers` without a Prefect server: one clear line
and exit 2, never a traceback, before anything is registered or started."""

from __future__ import annotations

import socket

import pytest

from mediebild.cli.main import main


@pytest.fixture
def silent_api(monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{port}/api")


@pytest.mark.parametrize("argv", [["deploy"], ["worker"], ["serve"]])
def test_a_prefect_server_that_does_not_answer_is_one_line(argv, db_path, silent_api, capsys):
    assert main([*argv, "--db", str(db_path)]) == 2
    err = capsys.readouterr().err
    assert "does not answer" in err and "Traceback" not in err


def test_a_pass_over_workers_needs_a_server(db_path, monkeypatch, capsys):
    from mediebild.data.store import Store
    from mediebild.monitors.base import SourceConfig

    with Store.open(db_path) as store:
        store.upsert_source(SourceConfig("f", "rss", "http://127.0.0.1:9/f.xml", "F"))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert main(["ingest", "--engine", "workers", "--db", str(db_path)]) == 2
    assert "PREFECT_API_URL is not set" in capsys.readouterr().err


def test_a_worker_needs_its_database(tmp_path, silent_api, capsys):
    assert main(["worker", "--db", str(tmp_path / "missing.duckdb")]) == 2
    assert "no database at" in capsys.readouterr().err


def test_a_groups_only_worker_with_a_catalog_needs_the_intake_not_the_database(tmp_path, silent_api, intake_url,
                                                                               monkeypatch, capsys):
    from mediebild.data.intake import SharedIntake

    monkeypatch.setenv("MEDIEBILD_STORE__CATALOG", intake_url)
    missing = str(tmp_path / "missing.duckdb")
    assert main(["worker", "--groups-only", "--db", missing]) == 2  # no intake schema there yet
    assert "holds no mediebild intake" in capsys.readouterr().err
    SharedIntake.open(intake_url).close()
    assert main(["worker", "--groups-only", "--db", missing]) == 2  # past the store check: on to the server
    err = capsys.readouterr().err
    assert "does not answer" in err and "no database at" not in err
