"""How the situation room reads and writes the store while monitoring writes it.

DuckDB lets one process hold a database file read-write, and a process holding it read-only keeps every
writer out too (measured: "Could not set lock"). `mediebild serve` runs its monitoring passes as Prefect flow
runs in child processes that open the file read-write for the length of a step, so a page that kept the file
open, even read-only, would make those passes fail. Until the store itself lets readers and a writer share it
(the storage work of the analysts' issue), the page works like this:

* **Reads** go to a *snapshot*: a copy of the database file (and its WAL) taken while no writer holds it,
  opened read-only by the page. Taking a copy takes no lock (the file is only read), so a pass is never kept
  out by the page; a copy that a writer may have touched (the file changed, or a writer appeared, while it
  was copied) is thrown away and taken again later. A new copy is taken when the file has changed and has
  been left alone for `settle` seconds (so not between two steps of one pass). Readers therefore never wait
  for a writer and never see half a pass; they see the last pass that finished.
* **Writes** (triage, pausing a source, rendering a document) open the real file read-write for the length of
  the action, after waiting (up to `write_timeout`) until no other process holds it; then a new snapshot is
  taken at once, so the person who acted sees the result.

`Snapshots` does the above; `HeldStore` serves a store that this process holds anyway (tests, benchmarks).
The kernel reports only *other* processes' locks, so `Snapshots` is for a process whose only opens of the
real file are its own `write()`s (`mediebild web`, `mediebild serve`); a process that writes the file itself
through another connection should use `HeldStore` on that connection.
Both hand out DuckDB cursors (one per request, safe across threads) and a `version` that changes whenever
what the page reads may have changed, which the page's live updates follow. Everything the page reads goes
through data/ functions given such a cursor, so this module can be replaced when the store changes.

Data layer: imports the core (errors, timeutil) and data.store; nothing above it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import struct
import threading
import time
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterator, Protocol

import duckdb

from mediebild.data.store import Store
from mediebild.errors import StoreError
from mediebild.timeutil import utcnow

log = logging.getLogger(__name__)

_FLOCK = "hhqqi4x"  # struct flock on Linux x86-64 and aarch64: type, whence, start, len, pid (+ padding)


class StoreBusy(StoreError):
    """The page cannot read or write now: no snapshot yet, or a writer kept the file too long."""


def writer_present(path: Path) -> bool:
    """True when another process holds a write lock on the database file (a DuckDB read-write connection).

    Asks the kernel (fcntl F_GETLK) without taking a lock. A missing file has no writer. Callers in a process
    that may itself hold the file open must serialise this with their own opens: closing any descriptor of a
    file drops the process's POSIX locks on it.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        request = struct.pack(_FLOCK, fcntl.F_RDLCK, 0, 0, 0, 0)
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, request)
        return bool(struct.unpack(_FLOCK, answer)[0] != fcntl.F_UNLCK)
    finally:
        os.close(fd)


def _signature(path: Path) -> tuple[int, ...] | None:
    """What tells that the file changed: (mtime, size) of the database and of its WAL."""
    try:
        main = path.stat()
    except FileNotFoundError:
        return None
    try:
        wal = Path(f"{path}.wal").stat()
        extra: tuple[int, ...] = (wal.st_mtime_ns, wal.st_size)
    except FileNotFoundError:
        extra = (0, 0)
    return (main.st_mtime_ns, main.st_size, *extra)


class PageAccess(Protocol):
    """What the page needs of the store: cursors to read, a store to write, a version to follow."""

    @property
    def version(self) -> int: ...

    @property
    def closed(self) -> bool: ...

    @property
    def path(self) -> Path: ...

    def read(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]: ...

    def write(self) -> AbstractContextManager[Store]: ...

    def status(self) -> dict[str, object]: ...

    def close(self) -> None: ...


class HeldStore:
    """Reads and writes through a store this process holds open (tests, benchmarks, a single-process setup)."""

    def __init__(self, store: Store):
        self.store = store
        self.path = Path(store.path)
        self._version = 1
        self._lock = threading.Lock()
        self._taken_at = utcnow()

    @property
    def version(self) -> int:
        return self._version

    @property
    def closed(self) -> bool:
        return False

    def touch(self) -> None:
        """Say that the data changed (a writer outside `write()` wrote to the held store)."""
        self._version += 1
        self._taken_at = utcnow()

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cursor = self.store.con.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    @contextmanager
    def write(self) -> Iterator[Store]:
        with self._lock:
            yield self.store
            self.touch()

    def status(self) -> dict[str, object]:
        return {"version": self._version, "taken_at": self._taken_at, "writer": False, "pending": False}

    def close(self) -> None:
        pass


@dataclass
class _Generation:
    number: int
    path: Path
    store: Store
    taken_at: datetime
    signature: tuple[int, ...] | None
    users: int = 0
    retired: bool = False
    files: list[Path] = field(default_factory=list)


class Snapshots:
    """Reads from a read-only copy of the database, refreshed after every finished write (see the module doc)."""

    def __init__(self, path: Path | str, folder: Path | str | None = None, *, poll: float = 1.0,
                 settle: float = 1.0, write_timeout: float = 30.0):
        self.path = Path(path).resolve()
        self.folder = Path(folder) if folder else self.path.parent / f".{self.path.name}.web"
        self.poll, self.settle, self.write_timeout = poll, settle, write_timeout
        self._file_lock = threading.RLock()  # our own opens and probes of the real file, one at a time
        self._gen_lock = threading.Lock()  # the current generation and its reader counts
        self._current: _Generation | None = None
        self._number = 0
        self._seen: tuple[tuple[int, ...] | None, float] | None = None  # (signature, since) of the file
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failures = 0  # copies thrown away because a writer touched the file meanwhile

    # -- life ----------------------------------------------------------------------------------------------------
    def start(self, *, wait: float | None = None) -> "Snapshots":
        """Take the first snapshot (waiting up to `wait` seconds for a writer to finish) and start following."""
        if not self.path.exists():
            raise StoreError(f"no database at {self.path}: run `mediebild init --db {self.path}` first")
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("snapshot-*"):
            old.unlink(missing_ok=True)
        deadline = time.monotonic() + (self.write_timeout if wait is None else wait)
        while not self.refresh(force=True) and time.monotonic() < deadline:
            time.sleep(min(self.poll, 0.2))
        self._thread = threading.Thread(target=self._follow, name="mediebild-web-snapshots", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._gen_lock:
            current, self._current = self._current, None
            dispose = current is not None and current.users == 0
            if current is not None:
                current.retired = True  # a reader still inside disposes of it when done
        if current is not None and dispose:
            self._dispose(current)

    def _follow(self) -> None:
        while not self._stop.wait(self.poll):
            try:
                self.refresh()
            except Exception:  # keep following: the next poll tries again
                log.exception("snapshot refresh failed")

    # -- reading -------------------------------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._stop.is_set()

    @property
    def version(self) -> int:
        current = self._current
        return current.number if current is not None else 0

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._gen_lock:
            gen = self._current
            if gen is None:
                raise StoreBusy(f"{self.path} has been held by a writer since the page started: no snapshot yet")
            gen.users += 1
        try:
            cursor = gen.store.con.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
        finally:
            with self._gen_lock:
                gen.users -= 1
                dispose = gen.retired and gen.users == 0
            if dispose:
                self._dispose(gen)

    def status(self) -> dict[str, object]:
        gen = self._current
        if self._file_lock.acquire(blocking=False):  # never wait behind a write for a status line
            try:
                writer = writer_present(self.path)
            finally:
                self._file_lock.release()
        else:
            writer = True
        return {"version": gen.number if gen else 0, "taken_at": gen.taken_at if gen else None, "writer": writer,
                "pending": gen is not None and _signature(self.path) != gen.signature}

    # -- snapshots -----------------------------------------------------------------------------------------------
    def refresh(self, *, force: bool = False) -> bool:
        """Take a new snapshot when the file changed and was left alone for `settle` s (now, with `force`).

        Returns True when a new snapshot is in use.
        """
        with self._file_lock:
            before = _signature(self.path)
            current = self._current
            if before is None or (not force and current is not None and before == current.signature):
                return False
            now = time.monotonic()
            if self._seen is None or self._seen[0] != before:
                self._seen = (before, now)
            if writer_present(self.path):
                self._seen = (before, now)  # settle again once the writer is gone
                return False
            if not force and now - self._seen[1] < self.settle:
                return False
            number = self._number + 1
            target = self.folder / f"snapshot-{number}.duckdb"
            files = [target]
            try:
                shutil.copyfile(self.path, target)
                wal = Path(f"{self.path}.wal")
                if wal.exists():
                    shutil.copyfile(wal, Path(f"{target}.wal"))
                    files.append(Path(f"{target}.wal"))
            except FileNotFoundError:  # the WAL went away while we copied: a writer checkpointed
                self._discard(files)
                return False
            if _signature(self.path) != before or writer_present(self.path):
                self.failures += 1
                self._discard(files)
                return False
        try:
            store = Store.open(target, read_only=True)
        except (StoreError, duckdb.Error) as exc:
            self._discard(files)
            log.warning("snapshot %s not usable: %s", target, exc)
            return False
        gen = _Generation(number=number, path=target, store=store, taken_at=utcnow(), signature=before, files=files)
        with self._gen_lock:
            self._number = number
            old, self._current = self._current, gen
            dispose = False
            if old is not None:
                old.retired = True
                dispose = old.users == 0
        if old is not None and dispose:
            self._dispose(old)
        return True

    def _discard(self, files: list[Path]) -> None:
        for f in files:
            f.unlink(missing_ok=True)

    def _dispose(self, gen: _Generation) -> None:
        try:
            gen.store.close()
        finally:
            self._discard(gen.files)

    # -- writing -------------------------------------------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[Store]:
        """The real store, read-write, for one action; waits for another writer up to `write_timeout` s."""
        deadline = time.monotonic() + self.write_timeout
        with self._file_lock:
            store = None
            while store is None:
                if not writer_present(self.path):
                    try:
                        store = Store.open(self.path)
                        break
                    except StoreError as exc:
                        if "in use" not in str(exc):
                            raise
                if time.monotonic() > deadline:
                    raise StoreBusy(f"{self.path} is held by another process (a monitoring pass?): try again shortly")
                time.sleep(0.1)
            try:
                yield store
            finally:
                store.close()
            self.refresh(force=True)
