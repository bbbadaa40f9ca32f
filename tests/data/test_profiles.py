"""Profiles in the store: the newest is active; a store where none was set has none."""

from __future__ import annotations

from mediebild.data.profiles import load_active_profile, save_profile
from mediebild.profile import Profile

EXAMPLE = """
name = "Attackerna i Bryssel"
[terms]
sv = ["terrordåd"]
"""


def test_save_and_load_active_profile(store, tmp_path):
    assert load_active_profile(store.con) is None
    first = Profile.from_text(EXAMPLE)
    save_profile(store.con, first)
    second = Profile.from_dict({"name": "Stormen", "terms": {"sv": ["storm*"]}})
    save_profile(store.con, second)
    active = load_active_profile(store.con)
    assert active.name == "Stormen"
    assert active.match("Stormen drar in").terms == ["storm*"]
