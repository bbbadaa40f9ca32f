"""Incident profiles in the store: the newest row of `profiles` is the active one.

Data layer: imports the core (mediebild.profile, timeutil) and nothing above it.
"""

from __future__ import annotations

import duckdb

from mediebild.profile import Profile, to_toml
from mediebild.timeutil import utcnow


def save_profile(con: duckdb.DuckDBPyConnection, profile: Profile) -> int:
    """Store the profile as the newest (active) row of `profiles`; returns its id."""
    row = con.execute("SELECT coalesce(max(id), 0) + 1 FROM profiles").fetchone()
    new_id = int(row[0]) if row else 1
    con.execute(
        "INSERT INTO profiles (id, name, body, set_at) VALUES (?, ?, ?, ?)",
        [new_id, profile.name, profile.body or to_toml(profile), utcnow().replace(tzinfo=None)],
    )
    return new_id


def load_active_profile(con: duckdb.DuckDBPyConnection) -> Profile | None:
    """The newest stored profile, or None when none is set."""
    row = con.execute("SELECT body FROM profiles ORDER BY set_at DESC, id DESC LIMIT 1").fetchone()
    return None if row is None else Profile.from_text(str(row[0]))
