"""Shared test fixtures: a fresh database, the path to ../shared/data, Prefect kept local and quiet."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Prefect reads its settings at import: keep it offline, quiet and out of the user's home.
_PREFECT_HOME = Path(tempfile.mkdtemp(prefix="mediebild-prefect-"))
os.environ.setdefault("PREFECT_HOME", str(_PREFECT_HOME))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_data_dir() -> Path:
    return Path(os.environ.get("MEDIEBILD_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture
def shared_data() -> Path:
    path = shared_data_dir()
    if not path.exists():
        pytest.skip(f"third-party data not found at {path}")
    return path


@pytest.fixture
def store(tmp_path):
    """A fresh, migrated DuckDB file in a temporary folder."""
    from mediebild.data.store import Store

    s = Store.open(tmp_path / "test.duckdb", create=True)
    yield s
    s.close()


@pytest.fixture
def db_path(tmp_path) -> Path:
    from mediebild.data.store import Store

    path = tmp_path / "test.duckdb"
    Store.open(path, create=True).close()
    return path


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test harness (a temporary server and database) for the whole session: it costs seconds."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def analyst_template(tmp_path_factory):
    """(path, newest item time) of an enriched incident database made once per session (tests/data/analyst_data.py)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent / "data"))
    import analyst_data

    path = tmp_path_factory.mktemp("analysts") / "template.duckdb"
    return path, analyst_data.build(path)


@pytest.fixture
def analyst_db(analyst_template, tmp_path) -> Path:
    """A copy of the enriched incident database for one test (no snapshot published yet)."""
    import shutil

    path = tmp_path / "incident.duckdb"
    shutil.copyfile(analyst_template[0], path)
    return path


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL on 127.0.0.1 for the shared store's tests (tests/pg_server.py); skipped only when
    this machine has no PostgreSQL binaries (`apt-get install postgresql`; .ci/run installs it)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("pg_server", Path(__file__).parent / "pg_server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    import sys

    sys.modules["pg_server"] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    if module.find_bin() is None:
        pytest.skip("no PostgreSQL binaries on this machine (apt-get install postgresql)")
    server = module.start()
    server.password = module.PASSWORD
    yield server
    server.stop()


@pytest.fixture
def intake_url(pg_server, monkeypatch, request) -> str:
    """A fresh database on the test server; PGPASSWORD set for this test (and the processes it starts)."""
    import re

    monkeypatch.setenv("PGPASSWORD", pg_server.password)
    name = "t_" + re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:50]
    return str(pg_server.create_db(name))
