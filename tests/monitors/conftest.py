"""Shared helpers of the monitor tests: the API answers the project wrote, fixed and movable clocks, a known
contact for the official APIs, a leak check."""

from __future__ import annotations

import json
import logging
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

API = Path(__file__).resolve().parents[1] / "fixtures" / "api"
NOW = datetime(2026, 3, 22, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def api():
    """api("x", "page1.json") -> the bytes of tests/fixtures/api/x/page1.json."""
    return lambda *parts: (API.joinpath(*parts)).read_bytes()


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def state_dir(tmp_path, monkeypatch) -> Path:
    """MEDIEBILD_STATE_DIR in a temporary folder (sessions are kept there)."""
    path = tmp_path / "state"
    monkeypatch.setenv("MEDIEBILD_STATE_DIR", str(path))
    return path


def _texts(value) -> str:
    """Everything a result holds, as text: repr plus JSON where it serialises."""
    out = [repr(value)]
    try:
        out.append(json.dumps(value, default=lambda o: getattr(o, "__dict__", None) or repr(o), ensure_ascii=False))
    except (TypeError, ValueError):
        pass
    return "\n".join(out)


@pytest.fixture
def leak_check(caplog):
    """Record everything a monitor returns, raises or logs; `assert_clean(secret)` greps it all."""
    caplog.set_level(logging.DEBUG)

    class Recorder:
        def __init__(self):
            self.seen: list[str] = []

        def add(self, *things) -> None:
            for thing in things:
                if isinstance(thing, BaseException):
                    chain, exc = [], thing
                    while exc is not None:
                        chain += [repr(exc), str(exc)]
                        exc = exc.__cause__ or exc.__context__
                    self.seen.append("\n".join(chain))
                elif isinstance(thing, bytes):
                    self.seen.append(thing.decode("utf-8", "replace"))
                else:
                    self.seen.append(_texts(thing))
                    for attr in ("items", "problems", "cursor", "body", "url", "headers"):
                        if hasattr(thing, attr):
                            self.seen.append(_texts(getattr(thing, attr)))
                    for item in getattr(thing, "items", []) or []:
                        self.seen.append(_texts(item.to_dict()))

        def assert_clean(self, *secrets: str) -> None:
            # the local test server's own access log (werkzeug) is not the monitor's
            records = [r for r in caplog.records if not r.name.startswith("werkzeug")]
            everything = "\n".join(self.seen) + "\n" + "\n".join(r.getMessage() for r in records)
            assert self.seen, "nothing was recorded"
            for s in secrets:
                assert s not in everything, f"the secret {s[:4]}... leaked"

    return Recorder()


def mutations(document, seed: int = 7, rounds: int = 300):
    """Junk versions of a JSON document: values swapped for wrong types, keys dropped, lists broken."""
    rng = random.Random(seed)
    junk = [None, "", "x", 0, -1, 1.5, True, [], {}, [None], {"a": None}, "\u0000\udc80", 10**30]

    def walk(node):
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                r = rng.random()
                if r < 0.08:
                    continue
                out[k] = rng.choice(junk) if r < 0.2 else walk(v)
            return out
        if isinstance(node, list):
            items = [walk(v) for v in node if rng.random() > 0.05]
            if rng.random() < 0.1:
                items.append(rng.choice(junk))
            return items
        return rng.choice(junk) if rng.random() < 0.15 else node

    for _ in range(rounds):
        yield walk(document)


@pytest.fixture
def mutate():
    """mutate(document) -> junk versions of it (see `mutations`)."""
    return mutations


class FakeClock:
    """What a monitor asks for the real time; the test moves it forward."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 24, 9, 58, tzinfo=timezone.utc))


@pytest.fixture
def official_env(monkeypatch, tmp_path):
    """A known contact, and no mediebild.toml of the developer's to read."""
    config = tmp_path / "mediebild.toml"
    config.write_text("", encoding="utf-8")
    monkeypatch.setenv("MEDIEBILD_CONFIG", str(config))
    monkeypatch.setenv("MEDIEBILD_CONTACT", "beredskap@example.se")
    return config
