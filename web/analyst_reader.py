"""What Sök och trender reads: the published snapshot every page reads (data/access.py) and the search index beside
it.

The store access keeps the newest published version open (one in-memory DuckDB connection, reopened when
`CURRENT` moves) and hands every request its own cursor; this module adds the search index (one SQLite file in
WAL mode refreshed in place by the publisher, opened once: its own lock serialises its use) and a small cache
of recent answers per version (the trends chart's image asks again for what its page computed). The rollups and
`items_enriched` exist only in the published snapshot, which every pass, digest, retention run and action
publishes. What is published is what documents may show (private persons by pseudonym, without links), so the
page shows every role the same.

Web layer: imports data/ (access, search_index, snapshot) and the standard library.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb

from mediebild.data.access import PageAccess, StoreBusy
from mediebild.data.search_index import SearchIndex
from mediebild.data.snapshot import SEARCH_INDEX, snapshot_root

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reading:
    """One request's view: a cursor over the snapshot, the search index, and the version's name."""

    con: duckdb.DuckDBPyConnection
    index: SearchIndex
    version: str


class AnalystReader:
    """The page's published snapshot with the search index beside it, and a cache of answers per version."""

    def __init__(self, access: PageAccess):
        self.access = access
        self.root = snapshot_root(access.path)
        self._lock = threading.Lock()
        self._index: SearchIndex | None = None
        self._cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()

    @classmethod
    def for_access(cls, access: PageAccess) -> AnalystReader:
        return cls(access)

    @contextmanager
    def read(self) -> Iterator[Reading]:
        """A cursor over the newest published version and the search index."""
        with self.access.read_at() as (con, version):
            with self._lock:
                if self._index is None:
                    if not (self.root / SEARCH_INDEX).exists():
                        raise StoreBusy(f"{self.access.path} has no search index yet: it is written after the next pass")
                    self._index = SearchIndex(self.root / SEARCH_INDEX)
                index = self._index
            yield Reading(con, index, f"v{version:08d}")

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
                self._cache[full] = value
                while len(self._cache) > 64:
                    self._cache.popitem(last=False)
            return value

    def close(self) -> None:
        with self._lock:
            if self._index is not None:
                self._index.close()
                self._index = None
