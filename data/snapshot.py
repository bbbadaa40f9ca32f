"""Published read snapshots of the store: what every reader outside the writing process opens.

The writer keeps its DuckDB file. After each pass it publishes an immutable snapshot beside it
(`<db>.snapshots/`): Parquet files in a new version folder, then an atomic rename of `CURRENT`. The search
index (`search.sqlite`, SQLite FTS5) lives in the same folder. See docs/storage-decision.md.

Data layer: imports the core (errors) and data.store; nothing above it.
"""

from __future__ import annotations

from pathlib import Path

from mediebild.errors import StoreError


def snapshot_root(db_path: Path | str) -> Path:
    """The folder holding the published versions, `CURRENT` and the search index of a database file."""
    return Path(str(db_path) + ".snapshots")


def current_search_index(db_path: Path | str) -> Path:
    """The search index of the newest published snapshot of `db_path`, or a StoreError when there is none."""
    path = snapshot_root(db_path) / "search.sqlite"
    if not path.exists():
        raise StoreError(f"no search index for {db_path} yet: it is written after the next monitoring pass")
    return path
