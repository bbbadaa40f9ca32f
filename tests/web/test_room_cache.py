"""The page's cache builds a page once per data version, also when readers and the warming thread ask at once."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

from mediebild.web.config import WebSettings
from mediebild.web.room import Room


class FakeAccess:
    version = 7
    closed = False
    path = None

    @contextmanager
    def read_at(self):
        yield object(), self.version


def test_readers_asking_at_once_share_one_build():
    room = Room(WebSettings(allowed_hosts=["testserver"]), FakeAccess(), stored_sessions=False)  # type: ignore[arg-type]
    builds = []

    def build(con):
        builds.append(con)
        time.sleep(0.3)
        return {"built": len(builds)}

    answers = []
    readers = [threading.Thread(target=lambda: answers.append(room.cached(("overview",), build))) for _ in range(4)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert len(builds) == 1 and answers == [{"built": 1}] * 4
    room._cache.clear()  # a new version (or an emptied cache) builds again
    assert room.cached(("overview",), build) == {"built": 2}


def test_a_failed_build_lets_the_waiting_reader_build_its_own():
    room = Room(WebSettings(allowed_hosts=["testserver"]), FakeAccess(), stored_sessions=False)  # type: ignore[arg-type]
    started = threading.Event()

    def failing(con):
        started.set()
        time.sleep(0.2)
        raise RuntimeError("the snapshot went away")

    errors = []

    def first():
        try:
            room.cached(("stream",), failing)
        except RuntimeError as exc:
            errors.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    started.wait()
    assert room.cached(("stream",), lambda con: "built here") == "built here"
    thread.join()
    assert len(errors) == 1
