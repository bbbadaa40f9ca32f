"""The store: one DuckDB file, numbered migrations, bulk upserts, one writer.

Writes go through a Store opened read-write by one process (ingest, enrich, the demo, serve). Readers
use `Store.open(path, read_only=True)` or Parquet snapshots. Every write that belongs together (a
source's items, its fetch row, its problems and its new cursor) is one transaction, so a crash or a
kill loses at most the source in flight and never leaves half of it behind. `Store.open` hands out a
store at the current schema only (`check_schema`): a writer migrates first, a reader of an older
database gets a StoreError saying to run `mediebild init`.

Data layer: imports the core (errors, items, sources, timeutil), duckdb and pyarrow; nothing above it.
"""

from __future__ import annotations

import json
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import replace as replace_fields
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import duckdb
import pyarrow as pa

from mediebild.data.profiles import load_active_profile
from mediebild.errors import StoreError, UserError
from mediebild.items import Item
from mediebild.privacy import author_handles, handle_hash
from mediebild.profile import Profile
from mediebild.sources import SourceConfig, unique_id, unique_name
from mediebild.timeutil import as_utc, utcnow

MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


# How long a flow step waits for another process holding the file (a reader refreshing its snapshot, the web
# page saving a triage) before it fails; the next pass retries a step that failed.
STEP_WAIT_SECONDS = 60.0


def naive_utc(value: datetime | None) -> datetime | None:
    """DuckDB TIMESTAMP columns hold naive UTC."""
    return None if value is None else as_utc(value).replace(tzinfo=None)


def aware_utc(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every bundled migration, in order."""
    found = []
    for entry in resources.files("mediebild.data").joinpath("migrations").iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise StoreError(f"two migrations share a number: {versions}")
    return found


def fetch_dicts(con, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    """Rows of a query as dicts, TIMESTAMP values as aware UTC datetimes (the readers' common form)."""
    cur = con.execute(sql, list(params or []))
    names = [d[0] for d in cur.description]
    return [
        {k: aware_utc(v) if isinstance(v, datetime) else v for k, v in zip(names, row)}
        for row in cur.fetchall()
    ]


def scalar(con, sql: str, params: Iterable[Any] = ()) -> Any:
    """The first column of the first row of a query (None when there is no row)."""
    row = con.execute(sql, list(params or [])).fetchone()
    return None if row is None else row[0]


@dataclass
class SourceChange:
    """What `Store.add_source` did: "added", "exists" (the same thing is already fetched) or "replaced"."""

    status: str
    source: SourceConfig
    renamed: bool = False  # a generated id or a name was taken, so a suffix was added
    previous_url: str | None = None  # what a replaced source fetched before


@dataclass
class UpsertCounts:
    new: int = 0
    updated: int = 0
    seen: int = 0


class Store:
    """A DuckDB database file holding everything mediebild knows."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, read_only: bool):
        self.con = con
        self.path = path
        self.read_only = read_only

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str, *, read_only: bool = False, create: bool = False, migrate: bool = True,
             wait: float = 0.0, on_wait: Callable[[], None] | None = None) -> "Store":
        """Open the database; with `create`, make it (and run migrations) when missing.

        Another process holding the file (a pass of `mediebild serve`) is waited for, up to `wait` seconds
        (passes hold it for the seconds a step takes); `on_wait` is called once when the wait begins.

        Opening an existing file read-write applies pending migrations, so an upgraded mediebild
        works on an old database without a separate step. Then `check_schema`: whatever opens a store
        gets one at the current schema, or a StoreError. A read-only open cannot migrate, so an older
        database is that error, saying to run `mediebild init` (or to let a writer open it first).
        """
        path = Path(path)
        if path.exists() and path.is_dir():
            raise UserError(f"--db {path} is a folder, not a database file")
        if not path.exists():
            if not create or read_only:
                raise UserError(f"no database at {path}: run `mediebild init --db {path}` first")
            if not path.parent.exists():
                raise UserError(f"cannot create {path}: the folder {path.parent} does not exist")
        deadline = time.monotonic() + wait
        while True:
            try:
                con = duckdb.connect(str(path), read_only=read_only)
                break
            except duckdb.IOException as exc:
                message = str(exc)
                if "lock" not in message.lower():
                    raise StoreError(f"cannot open {path}: {message.splitlines()[0]}") from exc
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"{path} is in use by another process (is `mediebild serve` or an ingest running?)"
                        + (f" and stayed so for {wait:.0f} s" if wait else "")
                        + "; read-only commands read its published snapshot meanwhile"
                    ) from exc
                if on_wait is not None:
                    on_wait()
                    on_wait = None
                time.sleep(0.1)
            except duckdb.Error as exc:
                raise StoreError(f"cannot open {path}: {str(exc).splitlines()[0]}") from exc
        store = cls(con, path, read_only)
        try:
            if not read_only and migrate:
                store.migrate()
            store.check_schema()
        except BaseException:
            con.close()
            raise
        return store

    @classmethod
    def memory(cls) -> "Store":
        store = cls(duckdb.connect(":memory:"), Path(":memory:"), False)
        store.migrate()
        return store

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema --------------------------------------------------------------------------------

    def applied_migrations(self) -> list[int]:
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
        ).fetchone()[0]
        if not exists:
            return []
        return [row[0] for row in self.con.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()]

    def migrate(self) -> list[int]:
        """Apply pending migrations, each in its own transaction; return the versions applied."""
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)"
        )
        done = set(self.applied_migrations())
        applied = []
        for version, name, sql in migrations():
            if version in done:
                continue
            try:
                with self.transaction():
                    self.con.execute(sql)
                    self.con.execute(
                        "INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, name, naive_utc(utcnow())]
                    )
            except duckdb.Error as exc:
                raise StoreError(f"migration {version:04d}_{name} failed: {str(exc).splitlines()[0]}") from exc
            applied.append(version)
        self._fill_fetch_keys()
        return applied

    def check_schema(self) -> None:
        """The one schema check: every bundled migration is applied, and none this mediebild does not know.

        Readers code against the current schema only (every table and column of data/migrations/), so a
        database that is behind is refused here, in one place, rather than half-read.
        """
        applied = set(self.applied_migrations())
        known = {version for version, _, _ in migrations()}
        newer = sorted(applied - known)
        if newer:
            raise StoreError(
                f"{self.path} has schema {max(newer):04d}, newer than this mediebild knows ({max(known):04d}): "
                "upgrade mediebild to open it"
            )
        pending = sorted(known - applied)
        if pending:
            missing = ", ".join(f"{v:04d}" for v in pending)
            raise StoreError(
                f"{self.path} has an older schema (migrations {missing} not applied): run `mediebild init --db "
                f"{self.path}` to upgrade it (a writer such as `mediebild ingest` also upgrades it when it opens it)"
            )

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")

    # -- sources -------------------------------------------------------------------------------

    def upsert_source(self, source: SourceConfig, *, now: datetime | None = None) -> bool:
        """Write a source under the id it carries (the demo, tests and benches choose their ids); True when new.

        What people add goes through `add_source`, which never lets one source replace another.
        """
        existed = self.con.execute("SELECT count(*) FROM sources WHERE id = ?", [source.id]).fetchone()[0]
        self.con.execute(
            """
            INSERT INTO sources (id, monitor, url, name, item_kind, enabled, options, added_at, fetch_key)
            VALUES (?, ?, ?, ?, ?, TRUE, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET monitor = EXCLUDED.monitor, url = EXCLUDED.url, name = EXCLUDED.name,
                item_kind = EXCLUDED.item_kind, options = EXCLUDED.options, fetch_key = EXCLUDED.fetch_key
            """,
            [source.id, source.monitor, source.url, source.name, source.item_kind,
             json.dumps(source.options or {}), naive_utc(now or utcnow()), source.fetch_key],
        )
        return not existed

    def add_source(self, source: SourceConfig, *, explicit_id: bool = False, replace: bool = False,
                   now: datetime | None = None) -> SourceChange:
        """Add a source the way a person asked for it; never replaces another source unless asked.

        * A source that fetches the same thing (same fetch key) exists: nothing changes ("exists").
        * `explicit_id` names an id another source holds: with `replace`, that source fetches this instead
          (its items and history stay, its cursor starts over: "replaced"); without, a UserError.
        * Otherwise a new source ("added"); a generated id or a name that is taken gets a suffix
          (`svt-se-sport-2`, `SVT (2)`) and the change says so (`renamed`).
        """
        with self.transaction():
            same = self._sources_where("fetch_key = ?", [source.fetch_key])
            if same:
                return SourceChange("exists", same[0])
            holder = self._sources_where("id = ?", [source.id])
            if holder and explicit_id:
                if not replace:
                    raise UserError(
                        f"the id {source.id!r} is already used by {holder[0].url}; choose another --id, or add "
                        f"--replace to make {source.id!r} fetch {source.url} instead"
                    )
                self._rewrite_source(source)
                return SourceChange("replaced", source, previous_url=holder[0].url)
            taken_ids = {r[0] for r in self.con.execute("SELECT id FROM sources").fetchall()}
            taken_names = {r[0] for r in self.con.execute("SELECT name FROM sources").fetchall()}
            final = replace_fields(source, id=unique_id(source.id, taken_ids), name=unique_name(source.name, taken_names))
            self.upsert_source(final, now=now)
            return SourceChange("added", final, renamed=(final.id, final.name) != (source.id, source.name))

    def update_source(self, source_id: str, **changes: Any) -> SourceConfig:
        """Change a source's url, name, monitor, item_kind or options (query); its items and history stay.

        A change of what it fetches starts its cursor over; a change that would make it fetch what another
        source fetches is refused.
        """
        with self.transaction():
            current = self._sources_where("id = ?", [source_id])
            if not current:
                raise UserError(f"no source with id {source_id!r} (see `mediebild sources list`)")
            updated = replace_fields(current[0], **changes)
            other = [s for s in self._sources_where("fetch_key = ?", [updated.fetch_key]) if s.id != source_id]
            if other:
                raise UserError(f"{other[0].id!r} already fetches {updated.url}; remove it first or keep both apart")
            taken_names = {r[0] for r in self.con.execute("SELECT name FROM sources WHERE id <> ?", [source_id]).fetchall()}
            if updated.name in taken_names:
                raise UserError(f"another source is already named {updated.name!r}")
            if updated.fetch_key != current[0].fetch_key:
                self._rewrite_source(updated)
            else:
                self.upsert_source(updated)
            return updated

    def _rewrite_source(self, source: SourceConfig) -> None:
        """Point an existing id at a new thing to fetch: the old cursor (ETag, since-ids) no longer applies."""
        self.con.execute(
            "UPDATE sources SET monitor = ?, url = ?, name = ?, item_kind = ?, options = ?, fetch_key = ?, cursor = NULL"
            " WHERE id = ?",
            [source.monitor, source.url, source.name, source.item_kind, json.dumps(source.options or {}),
             source.fetch_key, source.id],
        )

    def _sources_where(self, condition: str, params: list[Any]) -> list[SourceConfig]:
        rows = self.con.execute(
            f"SELECT id, monitor, url, name, item_kind, options FROM sources WHERE {condition} ORDER BY id", params
        ).fetchall()
        return [SourceConfig(id=r[0], monitor=r[1], url=r[2], name=r[3], item_kind=r[4], options=json.loads(r[5] or "{}"))
                for r in rows]

    def _fill_fetch_keys(self) -> None:
        """Give sources stored before fetch keys existed their key (migration 0007 adds the column empty)."""
        rows = self._sources_where("fetch_key IS NULL", [])
        for source in rows:
            self.con.execute("UPDATE sources SET fetch_key = ? WHERE id = ?", [source.fetch_key, source.id])

    def sources(self, *, enabled_only: bool = True) -> list[SourceConfig]:
        return self._sources_where("enabled" if enabled_only else "TRUE", [])

    def source_ids_by_url(self) -> dict[str, str]:
        return dict(self.con.execute("SELECT url, id FROM sources").fetchall())

    def cursor(self, source_id: str) -> dict[str, Any]:
        row = self.con.execute("SELECT cursor FROM sources WHERE id = ?", [source_id]).fetchone()
        return json.loads(row[0]) if row and row[0] else {}

    def set_enabled(self, source_id: str, enabled: bool) -> bool:
        return bool(self.con.execute("UPDATE sources SET enabled = ? WHERE id = ? RETURNING id", [enabled, source_id]).fetchall())

    def remove_source(self, source_id: str) -> bool:
        return bool(self.con.execute("DELETE FROM sources WHERE id = ? RETURNING id", [source_id]).fetchall())

    # -- items ---------------------------------------------------------------------------------

    def upsert_items(self, items: Iterable[Item]) -> UpsertCounts:
        """Insert new items and update changed ones, in bulk (Arrow), keyed on item id.

        An item seen again with the same content is left alone (nothing is written for it); one whose
        title or text changed (an updated article) gets the new content, fetched_at = updated_at = this
        fetch, and version + 1. The first sighting (first_seen_at) never changes. Must run inside a transaction for atomicity with the
        fetch row; it is idempotent on its own.
        """
        unique: dict[str, Item] = {}
        for item in items:
            unique[item.id] = item  # the last copy in a batch wins
        if not unique:
            return UpsertCounts()
        batch = list(unique.values())
        return self.upsert_item_table(pa.table(
            {
                "id": [i.id for i in batch],
                "source_id": [i.source for i in batch],
                "kind": [i.kind for i in batch],
                "url": [i.url for i in batch],
                "title": [i.title for i in batch],
                "text": [i.text for i in batch],
                "author": [i.author for i in batch],
                "published_at": pa.array([naive_utc(i.published_at) for i in batch], pa.timestamp("us")),
                "fetched_at": pa.array([naive_utc(i.fetched_at) for i in batch], pa.timestamp("us")),
                "lang": [i.lang for i in batch],
                "content_hash": [i.content_hash for i in batch],
                "date_flag": [i.date_flag for i in batch],
                "raw": [json.dumps(i.raw, ensure_ascii=False, default=str) if i.raw else None for i in batch],
                "first_seen_at": pa.array([None] * len(batch), pa.timestamp("us")),
            }
        ))

    def upsert_item_table(self, table: pa.Table) -> UpsertCounts:
        """`upsert_items` on an Arrow table of the items' columns (ids unique; `first_seen_at` may be null: the
        fetch time is the first sighting then). The shared intake's pull writes through here too."""
        if table.num_rows == 0:
            return UpsertCounts()
        con = self.con
        con.register("incoming_items", table)
        try:
            new, updated = con.execute(
                """
                SELECT count(*) FILTER (WHERE e.id IS NULL),
                       count(*) FILTER (WHERE e.id IS NOT NULL AND e.content_hash <> n.content_hash)
                FROM incoming_items n LEFT JOIN items e ON e.id = n.id
                """
            ).fetchall()[0]  # fetchall: an unfinished result would block unregister() in DuckDB 2
            if new:
                con.execute(
                    """
                    INSERT INTO items (id, source_id, kind, url, title, text, author, published_at, fetched_at,
                                       first_seen_at, updated_at, version, lang, content_hash, date_flag, raw)
                    SELECT n.id, n.source_id, n.kind, n.url, n.title, n.text, n.author, n.published_at, n.fetched_at,
                           coalesce(n.first_seen_at, n.fetched_at), NULL, 1, n.lang, n.content_hash, n.date_flag, n.raw::JSON
                    FROM incoming_items n ANTI JOIN items e ON e.id = n.id
                    """
                )
            if updated:
                con.execute(
                    """
                    UPDATE items SET fetched_at = n.fetched_at, updated_at = n.fetched_at, version = items.version + 1,
                                     title = n.title, text = n.text, author = n.author,
                                     content_hash = n.content_hash, raw = n.raw::JSON
                    FROM incoming_items n
                    WHERE items.id = n.id AND items.content_hash <> n.content_hash
                    """
                )
        finally:
            con.unregister("incoming_items")
        return UpsertCounts(new=new, updated=updated, seen=table.num_rows - new - updated)

    def count(self, table: str) -> int:
        if not re.fullmatch(r"[a-z_]+", table):
            raise ValueError(table)
        return self.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def _without_forgotten_authors(self, items: list[Item]) -> list[Item]:
        if not items:
            return items
        forgotten = self.forgotten_author_check()
        if forgotten is None:
            return items
        return [i for i in items if not forgotten(i.kind, i.raw, i.author)]

    def forgotten_author_check(self) -> Callable[[str, dict[str, Any] | None, str | None], bool] | None:
        """A test (kind, raw, author) -> True for a social post by an author forgotten on request; None when
        nobody was forgotten. Such posts are not stored again, whichever way they arrive."""
        hashes = {r[0] for r in self.con.execute("SELECT author_hash FROM forgotten_authors").fetchall()}
        if not hashes:
            return None
        key_row = self.con.execute("SELECT key FROM privacy_key WHERE id = 1").fetchone()
        if key_row is None:
            return None
        key = bytes(key_row[0])
        return lambda kind, raw, author: kind == "social" and any(
            handle_hash(key, h) in hashes for h in author_handles(raw or {}, author))

    # -- fetches -------------------------------------------------------------------------------

    def record_fetch(
        self,
        *,
        source_id: str,
        run_id: str | None,
        started_at: datetime,
        finished_at: datetime,
        http_status: int | None,
        size: int,
        not_modified: bool,
        items: list[Item],
        problems: list,
        ok: bool,
        cursor: dict[str, Any] | None,
        attempts: int = 1,
        url: str | None = None,
    ) -> tuple[int, UpsertCounts]:
        """Store one fetch of one source: its items, its fetch row, its problems and its new cursor, atomically.

        Social posts by an author who was forgotten on request (`mediebild forget`) are not stored again.
        """
        items = self._without_forgotten_authors(items)
        with self.transaction():
            counts = self.upsert_items(items) if items else UpsertCounts()
            first_error = next((p for p in problems if p.severity == "error"), None)
            fetch_id = self.insert_fetch(
                {"run_id": run_id, "source_id": source_id, "started_at": started_at, "finished_at": finished_at,
                 "http_status": http_status, "bytes": size, "not_modified": not_modified, "items_parsed": len(items),
                 "items_new": counts.new, "items_updated": counts.updated, "items_seen": counts.seen, "ok": ok,
                 "problem": f"{first_error.code}: {first_error.message}" if first_error else None,
                 "attempts": attempts, "url": url},
                [(finished_at, p.severity, p.code, p.message) for p in problems],
            )
            if cursor is not None:
                self.set_cursor(source_id, cursor)
        return fetch_id, counts

    def insert_fetch(self, fetch: dict[str, Any], problems: list[tuple[datetime, str, str, str]]) -> int:
        """One fetch row (the columns of `fetches` but id) and its problems (recorded_at, severity, code, message);
        returns the new fetch id. Inside the caller's transaction."""
        fetch_id = int(self.con.execute(
            """
            INSERT INTO fetches (run_id, source_id, started_at, finished_at, http_status, bytes, not_modified,
                                 items_parsed, items_new, items_updated, items_seen, ok, problem, attempts, url)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """,
            [fetch["run_id"], fetch["source_id"], naive_utc(fetch["started_at"]), naive_utc(fetch["finished_at"]),
             fetch["http_status"], fetch["bytes"], fetch["not_modified"], fetch["items_parsed"], fetch["items_new"],
             fetch["items_updated"], fetch["items_seen"], fetch["ok"], fetch["problem"], fetch["attempts"], fetch["url"]],
        ).fetchone()[0])
        if problems:
            self.con.executemany(
                "INSERT INTO problems VALUES (?, ?, ?, ?, ?, ?)",
                [[fetch_id, fetch["source_id"], naive_utc(at), severity, code, message[:2000]]
                 for at, severity, code, message in problems],
            )
        return fetch_id

    def insert_fetches(self, fetches: list[dict[str, Any]],
                       problems: list[list[tuple[datetime, str, str, str]]]) -> list[int]:
        """`insert_fetch` for many fetches at once (the shared intake's pull): ids drawn from the same sequence,
        rows written in bulk. Inside the caller's transaction; returns the new ids in order."""
        if not fetches:
            return []
        ids = sorted(int(r[0]) for r in self.con.execute("SELECT nextval('fetches_seq') FROM range(?)",
                                                          [len(fetches)]).fetchall())
        ts = pa.timestamp("us")
        columns = ("run_id", "source_id", "http_status", "bytes", "not_modified", "items_parsed", "items_new",
                   "items_updated", "items_seen", "ok", "problem", "attempts", "url")
        table = pa.table({
            "id": pa.array(ids, pa.int64()),
            "started_at": pa.array([naive_utc(f["started_at"]) for f in fetches], ts),
            "finished_at": pa.array([naive_utc(f["finished_at"]) for f in fetches], ts),
            **{c: [f[c] for f in fetches] for c in columns},
        })
        self.con.register("incoming_fetches", table)
        try:
            self.con.execute(f"INSERT INTO fetches (id, started_at, finished_at, {', '.join(columns)}) "
                             f"SELECT id, started_at, finished_at, {', '.join(columns)} FROM incoming_fetches")
        finally:
            self.con.unregister("incoming_fetches")
        rows = [[fetch_id, f["source_id"], naive_utc(at), severity, code, message[:2000]]
                for fetch_id, f, found in zip(ids, fetches, problems) for at, severity, code, message in found]
        if rows:
            self.con.executemany("INSERT INTO problems VALUES (?, ?, ?, ?, ?, ?)", rows)
        return ids

    def set_cursor(self, source_id: str, cursor: dict[str, Any] | None) -> None:
        self.con.execute("UPDATE sources SET cursor = ? WHERE id = ?",
                         [None if cursor is None else json.dumps(cursor), source_id])

    def active_profile(self) -> Profile | None:
        """The incident profile in force (the ingest loop asks any IngestStore for it)."""
        return load_active_profile(self.con)
    def run_fetches(self, run_id: str) -> list[dict[str, Any]]:
        """The newest fetch row of each source in the ingest run `run_id` (a scaled-out pass writes from many
        processes, so its summary and its reruns read what was stored rather than what one process saw)."""
        return fetch_dicts(
            self.con,
            """
            SELECT source_id, ok, http_status, not_modified, items_parsed, items_new, items_updated, problem,
                   attempts, finished_at
            FROM fetches WHERE run_id = ?
            QUALIFY row_number() OVER (PARTITION BY source_id ORDER BY id DESC) = 1
            ORDER BY source_id
            """,
            [run_id],
        )
