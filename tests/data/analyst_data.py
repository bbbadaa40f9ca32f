"""A small enriched database for the snapshot and analysts' tests: the situation room's three hours of a
fictional incident (tests/web/room_data.py), enriched by the real models and grouped into stories."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))

import room_data  # noqa: E402

from mediebild.data.store import Store  # noqa: E402
from mediebild.profile import Profile  # noqa: E402

PROFILE = Profile.from_dict({"name": "Explosion vid Centralen",
                             "terms": {"sv": ["explosion", "smäll"], "places": ["Centralen", "Slussen"]}})


def build(path: Path) -> datetime:
    """The database at `path`, enriched; the time of its newest item."""
    from mediebild.flows.enrich import enrich_pending, load_models
    from mediebild.flows.stories import update_stories

    now = room_data.build(path)
    with Store.open(path) as store:
        enrich_pending(store, models=load_models(), profile=PROFILE)
        update_stories(store, now=now + timedelta(minutes=1))
    return now


def add_pass(path: Path, **kwargs: object) -> list[str]:
    return room_data.add_pass(path, **kwargs)  # type: ignore[arg-type]
