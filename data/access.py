"""How the situation room reads and writes the store while monitoring writes it: through the published snapshot.

DuckDB lets one process hold a database file read-write, and a process holding it even read-only keeps every
writer out. `mediebild serve` runs its monitoring passes as Prefect flow runs in child processes that hold the
file for the length of a step, and every pass, digest, retention run and forget ends by publishing an immutable
snapshot of the store beside it (data/snapshot.py: Parquet per table and day, `CURRENT` naming the newest). So:

* **Reads** go to the published snapshot, the same one analysts and the read-only commands read: one in-memory
  DuckDB connection over the version `CURRENT` names (data/snapshot_read.connect_folder), opened once per
  version by a follower thread and shared by every request (each gets its own cursor). The version folder
  never changes, so a request reads one committed state however long it takes, and never takes a lock on the
  writer's file. The version's small tables (stories, sources, rollups, alerts, fetches, the audit log) are
  copied into that connection's memory when it is opened (snapshot_read.hold_small_tables), off the request path. `version` is the published version's number: the page's caches and its live update follow it.
  What is published is what documents may show (private social authors by pseudonym, without links, also in
  stories' headlines), so every role sees the same: editors act on posts through the pseudonymised page too.
* **Writes** (triage, judgements, pausing or adding a source, the profile, rendering or sending a document,
  accounts) open the real file read-write for the length of the action, waiting for the writer's gap as the
  command-line writers do (Store.open(wait=...), up to `write_timeout`), and publish before letting go of it,
  so the person who acted sees the result at the next request. Only the days the action changed are written
  (the audit log's today, one stories file ...); a publish that fails is logged: the action is stored and the
  next pass publishes it.
* **What is never published** (accounts with their password hashes, sessions, the relevance learner's state)
  is read through `private(name, load, ...)`: `load(con)` on the real file, kept in memory for `private_ttl`
  seconds. An expired value is served while the follower thread reloads it in the writer's next gap (a short
  read-only open, skipped while a writer holds the file), so no request waits for the lock to authenticate;
  a write through this object reloads the accounts at once (a role change or a disabled account applies at
  the next request), and a caller may ask for a value newer than some seconds, waiting for the gap (a login of a name the
  cache does not know).
* A database that moved on without publishing (a command-line writer, a pass killed before its publish) is
  published by the follower once the file was left alone for `settle` seconds (30 by default: longer than the
  gap between two steps of a pass, so the page never publishes in the middle of one) and nobody holds it.

Data layer: imports the core (errors, timeutil), data.store, data.snapshot and data.snapshot_read; nothing
above it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import struct
import threading
import time
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol

import duckdb

from mediebild.data.store import Store
from mediebild.errors import StoreError
from mediebild.timeutil import as_utc

log = logging.getLogger(__name__)

_FLOCK = "hhqqi4x"  # struct flock on Linux x86-64 and aarch64: type, whence, start, len, pid (+ padding)

Loader = Callable[[duckdb.DuckDBPyConnection], Any]


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


class PageAccess(Protocol):
    """What the page needs of the store: cursors to read, a store to write, a version to follow, and what is
    never published."""

    @property
    def version(self) -> int: ...

    @property
    def closed(self) -> bool: ...

    @property
    def path(self) -> Path: ...

    def read(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]: ...

    def read_at(self) -> AbstractContextManager[tuple[duckdb.DuckDBPyConnection, int]]: ...

    def write(self, *, publish: bool = True,
              touches: tuple[str, ...] | None = None) -> AbstractContextManager[Store]: ...

    def private(self, name: str, load: Loader, *, newer_than: float | None = None, eager: bool = False,
                ttl: float | None = None) -> Any: ...

    def status(self) -> dict[str, object]: ...

    def close(self) -> None: ...


_FILE_LOCKS: dict[Path, threading.RLock] = {}
_FILE_LOCKS_LOCK = threading.Lock()


def _file_lock(path: Path) -> threading.RLock:
    """One lock per database file and process: DuckDB refuses a second open of a file in one process with another
    configuration (read-only beside read-write), and closing any descriptor drops the process's POSIX locks."""
    with _FILE_LOCKS_LOCK:
        return _FILE_LOCKS.setdefault(path, threading.RLock())


def _number(folder: Path) -> int:
    """v00000042 -> 42."""
    try:
        return int(folder.name[1:])
    except ValueError:
        return 0


@dataclass
class _Open:
    """One published version, open: its connection and how many requests read it now."""

    folder: Path
    con: duckdb.DuckDBPyConnection
    published_at: datetime | None
    users: int = 0
    retired: bool = False


@dataclass
class _Private:
    load: Loader
    value: Any
    loaded: float
    eager: bool
    ttl: float
    asked: float = 0.0


PRIVATE_FORGOTTEN = 600.0  # a private value nobody asked for this long is dropped instead of reloaded


class Snapshots:
    """Reads the published snapshot, writes the real file and publishes after (see the module doc)."""

    def __init__(self, path: Path | str, *, poll: float = 1.0, settle: float = 30.0, write_timeout: float = 30.0,
                 private_ttl: float = 30.0):
        from mediebild.data.snapshot import snapshot_root

        self.path = Path(path).resolve()
        self.root = snapshot_root(self.path)
        self.poll, self.settle, self.write_timeout, self.private_ttl = poll, settle, write_timeout, private_ttl
        self._file_lock = _file_lock(self.path)  # this process's opens and probes of the real file, one at a time
        self._lock = threading.Lock()  # the current version, its reader counts and the private values
        self._current: _Open | None = None
        self._private: dict[str, _Private] = {}
        self._moved_since: tuple[list[int], float] | None = None  # (file signature, since) of a stale database
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.publishes = 0  # snapshots this object published (after actions, or of a database left stale)

    # -- life ----------------------------------------------------------------------------------------------------
    def start(self, *, wait: float | None = None) -> "Snapshots":
        """Open the newest published version (publishing first when the database moved on and nobody writes it,
        waiting up to `wait` seconds for a writer when there is no version at all) and start following."""
        from mediebild.data.snapshot import current_version, stale

        if not self.path.exists():
            raise StoreError(f"no database at {self.path}: run `mediebild init --db {self.path}` first")
        deadline = time.monotonic() + (self.write_timeout if wait is None else wait)
        while True:
            if stale(self.path) and not self._writer():
                self._publish_now()
            if current_version(self.root) is not None or time.monotonic() > deadline:
                break
            time.sleep(min(self.poll, 0.2))
        self._sync()
        self._thread = threading.Thread(target=self._follow, name="mediebild-web-snapshots", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self._lock:
            current, self._current = self._current, None
            if current is not None:
                current.retired = True
                if current.users == 0:
                    current.con.close()

    @property
    def closed(self) -> bool:
        return self._stop.is_set()

    def _follow(self) -> None:
        while not self._stop.wait(self.poll):
            try:
                self._sync()
                self._publish_if_left_stale()
                self._reload_private()
            except Exception:  # keep following: the next poll tries again
                log.exception("following the published snapshot failed")

    def _writer(self) -> bool:
        with self._file_lock:
            return writer_present(self.path)

    # -- the published version -----------------------------------------------------------------------------------
    def _sync(self) -> bool:
        """Open the version `CURRENT` names when it is not the one open; True when a new one is in use."""
        from mediebild.data.snapshot import current_version, read_meta
        from mediebild.data.snapshot_read import connect_folder, hold_small_tables

        folder = current_version(self.root)
        current = self._current
        if folder is None or (current is not None and current.folder == folder):
            return False
        try:
            meta = read_meta(folder)
            con = connect_folder(folder)
        except (StoreError, FileNotFoundError, ValueError) as exc:  # pruned meanwhile: the next poll reads anew
            log.warning("cannot open the published snapshot %s: %s", folder, exc)
            return False
        for setting in ("SET enable_object_cache = true", "SET parquet_metadata_cache = true"):
            try:  # Parquet footers read once per version, not once per query
                con.execute(setting)
            except duckdb.Error:
                pass
        try:  # the small tables in memory: the page's many short reads of them cost nothing then
            hold_small_tables(con, folder)
        except (duckdb.Error, OSError) as exc:  # pruned meanwhile: the next poll reads anew
            con.close()
            log.warning("cannot open the published snapshot %s: %s", folder, exc)
            return False
        published = meta.get("published_at")
        opened = _Open(folder, con, as_utc(datetime.fromisoformat(published)) if published else None)
        with self._lock:
            old = self._current
            if old is not None and _number(old.folder) > _number(folder):  # a slower sync opened a newer one
                con.close()
                return False
            self._current = opened
            if old is not None:
                old.retired = True
                if old.users == 0:
                    old.con.close()
        return True

    @property
    def version(self) -> int:
        current = self._current
        return _number(current.folder) if current is not None else 0

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor over the newest published version."""
        with self.read_at() as (con, _version):
            yield con

    @contextmanager
    def read_at(self) -> Iterator[tuple[duckdb.DuckDBPyConnection, int]]:
        """A cursor over the newest published version, and that version's number."""
        if self._current is None:
            self._sync()
        with self._lock:
            gen = self._current
            if gen is None:
                raise StoreBusy(f"{self.path} has no published snapshot yet: it is written after the next pass")
            gen.users += 1
        try:
            cursor = gen.con.cursor()
            try:
                yield cursor, _number(gen.folder)
            finally:
                cursor.close()
        finally:
            with self._lock:
                gen.users -= 1
                if gen.retired and gen.users == 0:
                    gen.con.close()

    @property
    def folder(self) -> Path | None:
        """The version folder being read (None before the first publish)."""
        current = self._current
        return current.folder if current is not None else None

    def status(self) -> dict[str, object]:
        from mediebild.data.snapshot import stale

        gen = self._current
        if self._file_lock.acquire(blocking=False):  # never wait behind a write for a status line
            try:
                writer = writer_present(self.path)
            finally:
                self._file_lock.release()
        else:
            writer = True
        return {"version": self.version, "taken_at": gen.published_at if gen else None, "writer": writer,
                "pending": stale(self.path)}

    # -- publishing ----------------------------------------------------------------------------------------------
    def _publish_now(self) -> bool:
        """Publish the database, which moved on without publishing (the file is opened read-write for it), and
        reload the accounts in the same open (a command-line writer may have changed them); False when that
        failed."""
        from mediebild.data.snapshot import PUBLISH_WAIT_SECONDS, note_source, publish_open

        with self._file_lock:
            try:
                with Store.open(self.path, wait=PUBLISH_WAIT_SECONDS) as store:
                    version = publish_open(store.con, self.path).version
                    self._reload_private(store.con, everything=False)
                note_source(self.path, version)
            except Exception as exc:  # busy or broken: readers keep the previous version, the next poll retries
                log.warning("publishing %s failed: %s", self.path, exc)
                return False
        self.publishes += 1
        self._sync()
        return True

    def _publish_if_left_stale(self) -> None:
        """Publish a database that moved on without publishing, once nobody wrote it for `settle` seconds."""
        from mediebild.data.snapshot import database_signature, stale

        if not stale(self.path):
            self._moved_since = None
            return
        signature, now = database_signature(self.path), time.monotonic()
        if self._moved_since is None or self._moved_since[0] != signature or self._writer():
            self._moved_since = (signature, now)  # (again) changed or held: wait for it to settle
            return
        if now - self._moved_since[1] >= self.settle:
            self._publish_now()
            self._moved_since = None

    # -- writing -------------------------------------------------------------------------------------------------
    @contextmanager
    def write(self, *, publish: bool = True, touches: tuple[str, ...] | None = None) -> Iterator[Store]:
        """The real store, read-write, for one action; waits for another writer up to `write_timeout` s. With
        `publish` (anything the pages show changed), a new version is published before the file is let go;
        `touches`: the only published tables the action changes (then, when the newest version was current
        before, the others are linked without reading them: an action publishes in a fraction of a second)."""
        from mediebild.data.snapshot import current_version, note_source, publish_open, stale

        with self._file_lock:
            was_current = not stale(self.path)
            try:
                store = Store.open(self.path, wait=self.write_timeout)
            except StoreError as exc:
                if "in use" in str(exc):
                    raise StoreBusy(f"{self.path} is held by another process (a monitoring pass?): "
                                    "try again shortly") from exc
                raise
            version = None
            try:
                yield store
                self._reload_private(store.con, everything=False)
                if publish:
                    try:
                        only = set(touches) if touches is not None and was_current else None
                        version = publish_open(store.con, self.path, only=only).version
                    except Exception as exc:  # the action is stored; the next pass publishes it
                        log.warning("publishing %s after an action failed: %s", self.path, exc)
            finally:
                store.close()
            if version is not None:
                note_source(self.path, version)
                self.publishes += 1
            elif not publish and was_current:  # only what is never published changed: the version still holds
                folder = current_version(self.root)
                if folder is not None:
                    note_source(self.path, folder.name)
        if version is not None:
            self._sync()

    # -- what is never published ---------------------------------------------------------------------------------
    def private(self, name: str, load: Loader, *, newer_than: float | None = None, eager: bool = False,
                ttl: float | None = None) -> Any:
        """`load(con)` on the real file, kept `ttl` (default `private_ttl`) s (see the module doc). An expired
        value is returned as it is and reloaded by the follower; one loaded more than `newer_than` s ago is
        reloaded now, waiting for the writer's gap; a missing one is always loaded now. `eager`: reloaded after
        every write through this object."""
        ttl = self.private_ttl if ttl is None else ttl
        now = time.monotonic()
        with self._lock:
            found = self._private.get(name)
            if found is not None:
                found.load, found.eager, found.ttl, found.asked = load, found.eager or eager, ttl, now
        if found is not None and (newer_than is None or now - found.loaded < newer_than):
            return found.value
        with self._file_lock:
            try:
                store = Store.open(self.path, read_only=True, wait=self.write_timeout)
            except StoreError as exc:
                if found is not None:
                    return found.value
                raise StoreBusy(f"{self.path} is held by another process: try again shortly") from exc
            try:
                value = load(store.con)
            finally:
                store.close()
        with self._lock:
            self._private[name] = _Private(load, value, time.monotonic(), eager, ttl, time.monotonic())
        return value

    def _reload_private(self, con: duckdb.DuckDBPyConnection | None = None, *, everything: bool = True) -> None:
        """Reload expired private values in the writer's gap (the follower), or the eager ones through the
        connection of a write (`con`)."""
        now = time.monotonic()
        with self._lock:
            for name in [n for n, p in self._private.items() if now - p.asked > PRIVATE_FORGOTTEN]:
                del self._private[name]
            due = {name: p for name, p in self._private.items()
                   if (p.eager if con is not None and not everything else now - p.loaded >= p.ttl)}
        if not due:
            return
        if con is not None:
            self._load_into(due, con)
            return
        if not self._file_lock.acquire(blocking=False):
            return
        try:
            if writer_present(self.path):
                return  # the next poll, in the writer's gap
            try:
                store = Store.open(self.path, read_only=True)
            except StoreError:
                return
            try:
                self._load_into(due, store.con)
            finally:
                store.close()
        finally:
            self._file_lock.release()

    def _load_into(self, due: dict[str, _Private], con: duckdb.DuckDBPyConnection) -> None:
        for name, found in due.items():
            try:
                value = found.load(con)
            except Exception:
                log.warning("reloading %s failed", name, exc_info=True)
                continue
            with self._lock:
                self._private[name] = _Private(found.load, value, time.monotonic(), found.eager, found.ttl,
                                               found.asked)
