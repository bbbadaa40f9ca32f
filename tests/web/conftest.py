"""Fixtures of the situation room's tests: a small database made once per session and copied per test, the
page on it (snapshots of the copy, as `mediebild web` reads), and logged-in HTTP clients."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import room_data  # noqa: E402


@pytest.fixture(scope="session")
def room_template(tmp_path_factory) -> tuple[Path, Any]:
    path = tmp_path_factory.mktemp("room") / "template.duckdb"
    now = room_data.build(path)
    return path, now


@pytest.fixture
def room_db(room_template, tmp_path) -> Path:
    path = tmp_path / "room.duckdb"
    shutil.copyfile(room_template[0], path)
    return path


@pytest.fixture
def make_app(room_db):
    """make_app(**settings) -> (app, access); the access is closed after the test."""
    from mediebild.data.access import Snapshots
    from mediebild.flows.serve import web_services
    from mediebild.web.app import create_app
    from mediebild.web.config import WebSettings

    made = []

    def make(*, settle: float = 0.0, poll: float = 0.1, **settings: Any):
        settings.setdefault("allowed_hosts", ["testserver", "127.0.0.1", "localhost"])
        access = Snapshots(room_db, settle=settle, poll=poll, write_timeout=10).start()
        made.append(access)
        return create_app(WebSettings(**settings), access, web_services()), access

    yield make
    for access in made:
        access.close()


def login(client, user: str, password: str = room_data.PASSWORD, next_: str = "/"):
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"user": user, "password": password, "csrf": token, "next": next_},
                       follow_redirects=False)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


@pytest.fixture
def client_for(make_app) -> Iterator[Any]:
    """client_for(user, **settings) -> a TestClient logged in as that user (None: not logged in)."""
    from starlette.testclient import TestClient

    clients = []

    def make(user: str | None, *, base_url: str = "http://testserver", **settings: Any):
        app, access = make_app(**settings)
        client = TestClient(app, base_url=base_url, follow_redirects=False)
        client.access = access  # type: ignore[attr-defined]
        clients.append(client)
        if user is not None:
            done = login(client, user)
            assert done.status_code == 303, done.text[:500]
        return client

    yield make
    for client in clients:
        client.close()
