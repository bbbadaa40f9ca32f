"""Fixtures of the official monitors' tests: a clock the test moves, API answers, a known contact."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

API = Path(__file__).resolve().parents[1] / "fixtures" / "api"


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
def api():
    """api("polisen/events.json") -> the bytes of a fixture answer."""
    return lambda name: (API / name).read_bytes()


@pytest.fixture
def official_env(monkeypatch, tmp_path):
    """A known contact, and no mediebild.toml of the developer's to read."""
    config = tmp_path / "mediebild.toml"
    config.write_text("", encoding="utf-8")
    monkeypatch.setenv("MEDIEBILD_CONFIG", str(config))
    monkeypatch.setenv("MEDIEBILD_CONTACT", "beredskap@example.se")
    return config
