"""What Sök och trender reads: the newest published snapshot (Parquet, data/snapshot_read.py) and the search index
beside it, opened once per published version and shared by every request.

Opening a snapshot costs about 100 ms, so `AnalystReader` keeps one open and checks `CURRENT` (one small file) at
each request; a new version is opened when `CURRENT` moves, and the old one is closed once its last reader is
done. Every request gets its own DuckDB cursor (a connection is not thread-safe; cursors are). The search index
is one SQLite file in WAL mode refreshed in place, opened once (its own lock serialises its use).

The page's own data copy (data/access.py) is not what the analysts' views read: the rollups and `items_enriched`
exist only in the published snapshot. Every pass, digest and retention run publishes when it finishes, so the
page only publishes a database that has never been published (through its store access, at the first search);
it never republishes one that moved on, because a publish holds the file read-write (99 s for the first one at a
million items, with the search index) and a pass must never wait for the page; what the page's own actions
change (triage, judgements, sessions) is not what these views show. What is published is what documents may show
(private persons by pseudonym, without links), so the page shows every role the same.

A small cache keeps recent answers per version (the trends chart's image asks again for what its page computed).

Web layer: imports data/ (snapshot, snapshot_read, search_index, access) and the standard library.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from mediebild.data.access import PageAccess, StoreBusy
from mediebild.data.search_index import SearchIndex
from mediebild.data.snapshot import SEARCH_INDEX, current_version, note_source, publish, read_meta, snapshot_root
from mediebild.data.snapshot_read import Snapshot, connect_folder
from mediebild.errors import StoreError

log = logging.getLogger(__name__)


@dataclass
class _Open:
    snapshot: Snapshot
    users: int = 0
    retired: bool = False


@dataclass(frozen=True)
class Reading:
    """One request's view: a cursor over the snapshot, the search index, and the version's name."""

    con: duckdb.DuckDBPyConnection
    index: SearchIndex
    version: str


class AnalystReader:
    """The published snapshot and search index of `db_path`, reopened when a new version is published."""

    def __init__(self, db_path: Path, publisher: Callable[[], None] | None = None):
        self.db_path = Path(db_path)
        self.root = snapshot_root(self.db_path)
        self.publisher = publisher
        self._lock = threading.Lock()
        self._publishing = threading.Lock()
        self._current: _Open | None = None
        self._index: SearchIndex | None = None
        self._cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()

    @classmethod
    def for_access(cls, access: PageAccess) -> AnalystReader:
        """A reader whose publishes go through the page's store access (it waits for a running pass)."""
        path = Path(access.path)

        def publish_now() -> None:
            with access.write() as store:
                result = publish(store.con, path)
            note_source(path, result.version)

        return cls(path, publish_now)

    def _publish(self) -> None:
        """The first snapshot of a database never published (one request publishes, the others wait for it)."""
        if self.publisher is None:
            return
        with self._publishing:
            if current_version(self.root) is not None:
                return
            try:
                self.publisher()
            except Exception:  # a busy store or a failed publish: the page says it is busy, the next request retries
                log.warning("publishing a snapshot for the search page failed", exc_info=True)

    def _folder(self) -> Path:
        folder = current_version(self.root)
        if folder is None:
            self._publish()
            folder = current_version(self.root)
        if folder is None:
            raise StoreBusy(f"{self.db_path} has no published snapshot yet: it is written after the next pass")
        return folder

    @contextmanager
    def read(self) -> Iterator[Reading]:
        """A cursor over the newest published version (opening it when `CURRENT` moved) and the search index."""
        folder = self._folder()
        with self._lock:
            current = self._current
            if current is None or current.snapshot.folder != folder:
                try:
                    opened = _Open(Snapshot(connect_folder(folder), folder, read_meta(folder)))
                except (StoreError, FileNotFoundError) as exc:
                    raise StoreBusy(f"cannot read the published snapshot: {exc}") from exc
                if current is not None:
                    current.retired = True
                    if current.users == 0:
                        current.snapshot.close()
                self._current = current = opened
                self._cache.clear()
            if self._index is None:
                self._index = SearchIndex(self.root / SEARCH_INDEX)
            current.users += 1
            index = self._index
        cursor = current.snapshot.con.cursor()
        try:
            yield Reading(cursor, index, current.snapshot.version)
        finally:
            cursor.close()
            with self._lock:
                current.users -= 1
                if current.retired and current.users == 0:
                    current.snapshot.close()

    def cached(self, key: tuple[Any, ...], build: Callable[[Reading], Any]) -> Any:
        """`build(reading)` once per key and published version (the newest 64 answers are kept)."""
        with self.read() as reading:
            full = (reading.version, *key)
            with self._lock:
                if full in self._cache:
                    self._cache.move_to_end(full)
                    return self._cache[full]
            value = build(reading)
            with self._lock:
                if self._current is not None and self._current.snapshot.version == reading.version:
                    self._cache[full] = value
                    while len(self._cache) > 64:
                        self._cache.popitem(last=False)
            return value

    def close(self) -> None:
        with self._lock:
            if self._current is not None:
                self._current.retired = True
                if self._current.users == 0:
                    self._current.snapshot.close()
                self._current = None
            if self._index is not None:
                self._index.close()
                self._index = None
