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
