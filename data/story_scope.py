"""One story's rows of a published snapshot, in a small in-memory DuckDB, for the story page (Berättelse).

data.stories.get_story answers from the store's tables: its figures, members, entities and labels join
story_items, items, copies, enrichments and entities whole, which on a snapshot of a million items read every
item's id several times (about a second). The snapshot's wide items table (`items_wide`) already carries each
item's story, original and enrichment, so `story_scope` reads the story's items from it in one filtered scan,
with their entities, the story (and the stories its thread and merges name) and the thread state, and registers
them (Arrow tables) under the store's names and columns on a cursor of its own, of a scratch in-memory database. get_story and the page's
item details then run there unchanged, so they answer what they answer on the whole snapshot: every table is
narrowed to rows those queries would have kept (story_items and copies are keyed by item id, copies' original
and how are NOT NULL), and the time "as of" is the snapshot's newest item, which get_story would have used.

Data layer: imports data (page, stories), duckdb and pyarrow; nothing above it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pyarrow.compute as pc

from mediebild.data.page import newest_item_time
from mediebild.data.stories import load_threads

Con = duckdb.DuckDBPyConnection

_COLUMNS = ("id, title, text, url, source_id, kind, lang, published_at, updated_at, version, author, enriched_lang, "
            "relevance, info_type, tone, story_id, copy_of, copy_how")


@dataclass
class StoryScope:
    """`con`: the story's rows under the store's table names (items, story_items, copies, enrichments, entities,
    stories, story_state, sources) and `items_wide`; `until`: the snapshot's newest item time + 1 µs."""

    con: Con
    story_id: str
    until: datetime

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> StoryScope:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_SCRATCH: list[Con] = []
_SCRATCH_LOCK = threading.Lock()


def _scratch_cursor() -> Con:
    """A cursor of an empty in-memory database made once (opening one costs ~13 ms); made under a lock, as the
    page's requests run in threads."""
    with _SCRATCH_LOCK:
        if not _SCRATCH:
            _SCRATCH.append(duckdb.connect(":memory:", config={"memory_limit": "256MB"}))
        return _SCRATCH[0].cursor()


def _arrow(con: Con, sql: str, params: list[Any]) -> Any:
    """The rows as an Arrow table (a relation on a cursor of its own: `con` may hold an unfinished result)."""
    cursor = con.cursor()
    try:
        return cursor.sql(sql, params=params).to_arrow_table()
    finally:
        cursor.close()


def _merge_chain(con: Con, story_id: str) -> list[str]:
    """The story asked for and the stories it was merged into, in order (get_story follows the same links)."""
    chain = [story_id]
    while len(chain) < 100:
        row = con.execute("SELECT merged_into FROM stories WHERE id = ?", [chain[-1]]).fetchone()
        if row is None or not row[0] or row[0] in chain:
            break
        chain.append(row[0])
    return chain


def story_scope(con: Con, story_id: str) -> StoryScope | None:
    """The rows of one story (following merges) out of the snapshot `con`, or None when the snapshot holds no item
    (get_story answers None then)."""
    newest = newest_item_time(con)
    if newest is None:
        return None
    chain = _merge_chain(con, story_id)
    target = chain[-1]
    threads = load_threads(con)
    thread = threads.get(target, target)
    named = sorted({*chain, thread, *(s for s, t in threads.items() if t == thread)})
    wide = _arrow(con, f"SELECT {_COLUMNS} FROM items_wide WHERE story_id = ?", [target])
    ids = wide.column("id").to_pylist()
    copied = pc.is_valid(wide.column("copy_of"))
    tables: dict[str, Any] = {
        "items_wide": wide,
        "items": wide.select(["id", "title", "text", "url", "source_id", "kind", "lang", "published_at"]),
        "story_items": wide.select(["id", "story_id"]).rename_columns(["item_id", "story_id"]),
        "copies": wide.filter(copied).select(["id", "copy_of", "copy_how"]).rename_columns(["item_id", "copy_of", "how"]),
        "enrichments": wide.select(["id", "info_type", "tone"]).rename_columns(["item_id", "info_type", "tone"]),
        "entities": _arrow(con, "SELECT item_id, label, text, norm_id FROM entities "
                                "WHERE item_id IN (SELECT unnest(?::VARCHAR[]))", [ids]),
        "stories": _arrow(con, "SELECT * FROM stories WHERE id IN (SELECT unnest(?::VARCHAR[]))", [named]),
        "story_state": _arrow(con, "SELECT * FROM story_state", []),
        "sources": _arrow(con, "SELECT * FROM sources WHERE id IN (SELECT unnest(?::VARCHAR[]))",
                          [sorted(set(wide.column("source_id").to_pylist()))]),
    }
    scoped = _scratch_cursor()  # registrations are the cursor's own: requests at once never see each other's
    try:
        for name, table in tables.items():
            scoped.register(name, table)
    except BaseException:
        scoped.close()
        raise
    return StoryScope(scoped, story_id, newest + timedelta(microseconds=1))
