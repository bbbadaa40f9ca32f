"""The shared intake (issue 15): many producers write fetch results into Postgres, one writer pulls them.

Workers on any machine fetch sources and write what they got into a Postgres *intake* (`SharedIntake`): the
sources with their cursors (ETags, since-ids), fetches, problems and items. Item ids are the intake's primary
key and every write is an `INSERT ... ON CONFLICT` upsert, so two workers storing the same wire copy give one
row. A source is claimed before it is fetched (`UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)`,
with a lease that expires when a worker dies), so no source is fetched by two workers at once.

One writer (`pull_intake`) moves new intake rows into the DuckDB store through the store's own write path
(`Store.upsert_item_table`, `Store.insert_fetches`); enrichment, stories, digests and publishing then run on the
DuckDB file as they do without an intake.

*Which rows are new.* Every intake row carries the id of the transaction that last wrote it (`txid`). A plain
sequence is not enough: values are taken when a row is written but become visible when its transaction
commits, in another order, so a reader that remembers "up to 1,000" misses a 998 committed a moment later.
A pull reads `pg_snapshot_xmin(pg_current_snapshot())`, the oldest transaction still running: every
transaction below it has finished, so the rows with `last <= txid < horizon` are complete and final. The
horizon is stored in DuckDB (`intake_pulls`) in the same transaction as the rows pulled with it: a pull killed
half-way is redone whole, a pull that committed is never redone. Transaction ids are cluster-wide, so a long
write transaction on another database of the same Postgres server holds pulls back until it ends: give the
intake a server (or at least no long-running writers) of its own.

Rows copied from an embedded database by `mediebild store migrate` carry txid 0: the writer has them already.

Connection: `[store] catalog = "postgresql://user@host:port/db"` in mediebild.toml; the password comes from
the environment, `PGPASSWORD` (or libpq's ~/.pgpass / PGPASSFILE), never from the URL or the file. Errors are
one line without the password (`connect`).

Data layer: imports the core (errors, items, profile, sources, timeutil), data.store, duckdb, pyarrow and
psycopg; nothing above it.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterator, Protocol, Sequence
from urllib.parse import urlsplit

import pyarrow as pa

from mediebild.errors import ConfigError, StoreError
from mediebild.items import Item
from mediebild.profile import Profile
from mediebild.sources import SourceConfig
from mediebild.timeutil import utcnow

if TYPE_CHECKING:
    import psycopg

    from mediebild.data.store import Store, UpsertCounts

SCHEMA_VERSION = 1
TXID = "(pg_current_xact_id()::text)::bigint"  # the writing transaction's id, as a plain bigint

# The intake's schema. Timestamps are naive UTC, as in DuckDB; options, cursors and raw records are JSON text.
SCHEMA = f"""
CREATE TABLE intake_meta (
    id             text PRIMARY KEY,          -- this intake's identity: DuckDB's intake_pulls remember it
    schema_version integer NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE sources (
    id              text PRIMARY KEY,
    monitor         text NOT NULL,
    url             text NOT NULL,
    name            text NOT NULL,
    item_kind       text NOT NULL DEFAULT 'editorial',
    enabled         boolean NOT NULL DEFAULT true,
    options         text,
    added_at        timestamp NOT NULL,
    cursor          text,
    fetch_key       text,
    last_fetched_at timestamptz,              -- the last fetch a worker stored
    claimed_by      text,                     -- the worker fetching it now ...
    claimed_until   timestamptz,              -- ... until its lease ends (a dead worker's claim expires)
    txid            bigint NOT NULL DEFAULT {TXID}
);
CREATE TABLE items (
    id            text PRIMARY KEY,
    source_id     text NOT NULL,
    kind          text NOT NULL,
    url           text,
    title         text NOT NULL,
    text          text NOT NULL,
    author        text,
    published_at  timestamp NOT NULL,
    fetched_at    timestamp NOT NULL,
    first_seen_at timestamp NOT NULL,
    updated_at    timestamp,
    version       integer NOT NULL DEFAULT 1,
    lang          text,
    content_hash  text NOT NULL,
    date_flag     text,
    raw           text,
    seq           bigserial,                  -- write order, for people and ORDER BY; pulls use txid
    txid          bigint NOT NULL DEFAULT {TXID}
);
CREATE INDEX items_txid ON items (txid);
CREATE TABLE fetches (
    id            bigserial PRIMARY KEY,
    run_id        text,
    source_id     text NOT NULL,
    started_at    timestamp NOT NULL,
    finished_at   timestamp NOT NULL,
    http_status   integer,
    bytes         bigint NOT NULL DEFAULT 0,
    not_modified  boolean NOT NULL DEFAULT false,
    items_parsed  integer NOT NULL DEFAULT 0,
    items_new     integer NOT NULL DEFAULT 0,
    items_updated integer NOT NULL DEFAULT 0,
    items_seen    integer NOT NULL DEFAULT 0,
    ok            boolean NOT NULL,
    problem       text,
    attempts      integer NOT NULL DEFAULT 1,
    url           text,
    worker        text,
    txid          bigint NOT NULL DEFAULT {TXID}
);
CREATE INDEX fetches_txid ON fetches (txid);
CREATE TABLE problems (
    fetch_id    bigint,
    source_id   text NOT NULL,
    recorded_at timestamp NOT NULL,
    severity    text NOT NULL,
    code        text NOT NULL,
    message     text NOT NULL,
    txid        bigint NOT NULL DEFAULT {TXID}
);
CREATE INDEX problems_txid ON problems (txid);
CREATE TABLE profiles (
    id     integer PRIMARY KEY,
    name   text NOT NULL,
    body   text NOT NULL,
    set_at timestamp NOT NULL
);
"""

ITEM_COLUMNS = ("id", "source_id", "kind", "url", "title", "text", "author", "published_at", "fetched_at",
                "first_seen_at", "updated_at", "version", "lang", "content_hash", "date_flag", "raw")
FETCH_COLUMNS = ("id", "run_id", "source_id", "started_at", "finished_at", "http_status", "bytes", "not_modified",
                 "items_parsed", "items_new", "items_updated", "items_seen", "ok", "problem", "attempts", "url")
SOURCE_COLUMNS = ("id", "monitor", "url", "name", "item_kind", "enabled", "options", "added_at", "cursor", "fetch_key")
PROBLEM_COLUMNS = ("fetch_id", "source_id", "recorded_at", "severity", "code", "message")
PROFILE_COLUMNS = ("id", "name", "body", "set_at")

UPSERT_ITEMS = f"""
INSERT INTO items (id, source_id, kind, url, title, text, author, published_at, fetched_at, first_seen_at,
                   updated_at, version, lang, content_hash, date_flag, raw)
SELECT n.id, n.source_id, n.kind, n.url, n.title, n.text, n.author, n.published_at, n.fetched_at, n.fetched_at,
       NULL, 1, n.lang, n.content_hash, n.date_flag, n.raw
FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[],
            %s::timestamp[], %s::timestamp[], %s::text[], %s::text[], %s::text[], %s::text[])
     AS n(id, source_id, kind, url, title, text, author, published_at, fetched_at, lang, content_hash, date_flag, raw)
ON CONFLICT (id) DO UPDATE SET fetched_at = EXCLUDED.fetched_at, updated_at = EXCLUDED.fetched_at,
    version = items.version + 1, title = EXCLUDED.title, text = EXCLUDED.text, author = EXCLUDED.author,
    content_hash = EXCLUDED.content_hash, raw = EXCLUDED.raw, txid = {TXID}
WHERE items.content_hash <> EXCLUDED.content_hash
RETURNING (xmax = 0)
"""


class IngestStore(Protocol):
    """What the ingest loop (flows/ingest.py) needs of a store: the embedded `Store` and `SharedIntake` both are."""

    def sources(self) -> list[SourceConfig]: ...

    def cursor(self, source_id: str) -> dict[str, Any]: ...

    def record_fetch(self, *, source_id: str, run_id: str | None, started_at: datetime, finished_at: datetime,
                     http_status: int | None, size: int, not_modified: bool, items: list[Item], problems: list[Any],
                     ok: bool, cursor: dict[str, Any] | None, attempts: int = 1,
                     url: str | None = None) -> tuple[int, UpsertCounts]: ...

    def active_profile(self) -> Profile | None: ...

    def run_fetches(self, run_id: str) -> list[dict[str, Any]]: ...


# -- connecting ------------------------------------------------------------------------------------------


def check_catalog_url(url: str) -> str:
    """The catalog URL as given, when it is one mediebild accepts; a ConfigError (without any secret) otherwise."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError as exc:
        raise ConfigError(f"[store] catalog is not a valid URL ({exc}): use postgresql://user@host:port/db") from exc
    if parts.scheme not in ("postgresql", "postgres"):
        raise ConfigError(f"[store] catalog must be a postgresql:// URL, not {parts.scheme or 'a bare'}:// "
                          "(for example postgresql://mediebild@db.internal:5432/mediebild)")
    if parts.password is not None:
        raise ConfigError("[store] catalog must not hold a password: remove it from the URL and set PGPASSWORD "
                          "in the environment (or use ~/.pgpass)")
    if not parts.hostname or not parts.path.strip("/"):
        raise ConfigError(f"[store] catalog {redact(url)} names no host or no database: "
                          "use postgresql://user@host:port/db")
    return url


def redact(url: str) -> str:
    """The URL for messages: user, host, port and database, never a password or query options."""
    try:
        parts = urlsplit(url)
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        if parts.username:
            netloc = f"{parts.username}@{netloc}"
        return f"{parts.scheme}://{netloc}{parts.path}"
    except ValueError:
        return "<unparseable URL>"


def _one_line(exc: BaseException, url: str) -> str:
    """psycopg's message, first meaningful line, with anything that looks like the password taken out."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    password = os.environ.get("PGPASSWORD")
    if password:
        text = text.replace(password, "***")
    return text.replace(url, redact(url))


def connect(url: str) -> psycopg.Connection[Any]:
    """A connection to the intake's Postgres, or a one-line StoreError saying what is wrong."""
    import psycopg

    check_catalog_url(url)
    try:
        return psycopg.connect(url, connect_timeout=5, application_name="mediebild", autocommit=True)
    except psycopg.ProgrammingError as exc:  # an option libpq does not know in the URL
        raise ConfigError(f"[store] catalog {redact(url)}: {_one_line(exc, url)}") from exc
    except psycopg.Error as exc:
        raise StoreError(f"cannot open the shared store {redact(url)}: {_one_line(exc, url)}") from exc


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


PULL_CHUNK = 20_000  # intake rows read (and written to DuckDB) at a time
RETRIED = ("40001", "40P01")  # serialization failure, deadlock detected: the transaction is retried whole


# -- the intake ----------------------------------------------------------------------------------------------


@dataclass
class PullResult:
    items: int = 0
    items_new: int = 0
    items_updated: int = 0
    fetches: int = 0
    problems: int = 0
    cursors: int = 0
    horizon: int = 0
    previous: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class SharedIntake:
    """The Postgres intake, as the ingest loop's store (IngestStore) and as the writer's source of new rows.

    `sources()` claims what this worker fetches next: up to `claim_batch` (0: all) enabled sources that nobody
    holds, that were not fetched since this object's first claim (its pass) nor in the last `refetch_after_s`
    seconds, each for `claim_ttl_s` (a worker that dies loses its claims then); `record_fetch` stores one fetch
    and releases its source. The ingest loop asks again until nothing is left, so workers share a pass's
    sources as they free up. Workers whose passes start together share one round; several workers on one
    schedule should set `refetch_after_s` a little under the interval, or each pass fetches a source again.
    """

    def __init__(self, con: psycopg.Connection[Any], url: str, *, worker: str | None = None,
                 claim_ttl_s: float = 600.0, refetch_after_s: float = 0.0, claim_batch: int = 0):
        self.con = con
        self.url = url
        self.worker = worker or worker_name()
        self.claim_ttl_s = claim_ttl_s
        self.refetch_after_s = refetch_after_s
        self.claim_batch = claim_batch
        self.pass_started: datetime | None = None
        self.id = ""

    @classmethod
    def open(cls, url: str, *, create: bool = True, **options: Any) -> "SharedIntake":
        intake = cls(connect(url), url, **options)
        try:
            intake.id = intake.ensure_schema(create=create)
        except BaseException:
            intake.close()
            raise
        return intake

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "SharedIntake":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Cursor[Any]]:
        """One Postgres transaction (committed on leave, rolled back on an error)."""
        import psycopg

        try:
            with self.con.transaction(), self.con.cursor() as cur:
                yield cur
        except psycopg.OperationalError as exc:
            raise StoreError(f"the shared store {redact(self.url)} failed: {_one_line(exc, self.url)}") from exc

    def _retrying(self, work: Callable[[psycopg.Cursor[Any]], Any]) -> Any:
        """Run `work` in a transaction, again (up to 8 times) when Postgres aborted it for a deadlock."""
        import psycopg

        for attempt in range(8):
            try:
                with self.transaction() as cur:
                    return work(cur)
            except psycopg.errors.Error as exc:
                if exc.sqlstate not in RETRIED or attempt == 7:
                    raise
                time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")

    def ensure_schema(self, *, create: bool = True) -> str:
        """Create the schema when the database has none (once, under an advisory lock); return the intake's id."""
        with self.transaction() as cur:
            cur.execute("SELECT to_regclass('intake_meta') IS NOT NULL")
            exists = bool(_one(cur))
            if not exists:
                if not create:
                    raise StoreError(f"{redact(self.url)} holds no mediebild intake: run `mediebild store migrate "
                                     f"--to {redact(self.url)}` first")
                cur.execute("SELECT pg_advisory_xact_lock(hashtext('mediebild-intake-schema'))")
                cur.execute("SELECT to_regclass('intake_meta') IS NOT NULL")
                if not _one(cur):
                    cur.execute(SCHEMA)
                    cur.execute("INSERT INTO intake_meta (id, schema_version) VALUES (%s, %s)",
                                [uuid.uuid4().hex, SCHEMA_VERSION])
            cur.execute("SELECT id, schema_version FROM intake_meta")
            row = cur.fetchone()
        if row is None:
            raise StoreError(f"{redact(self.url)}: intake_meta is empty")
        if int(row[1]) != SCHEMA_VERSION:
            raise StoreError(f"{redact(self.url)} has intake schema {row[1]}, this mediebild knows {SCHEMA_VERSION}")
        return str(row[0])

    # -- IngestStore ---------------------------------------------------------------------------------------

    def sources(self) -> list[SourceConfig]:
        """Claim the sources this worker fetches now (see the class); another worker skips them."""
        def claim(cur: psycopg.Cursor[Any]) -> list[SourceConfig]:
            if self.pass_started is None:
                cur.execute("SELECT now()")
                self.pass_started = _one(cur)
            cur.execute(
                """
                UPDATE sources SET claimed_by = %s, claimed_until = now() + make_interval(secs => %s)
                WHERE id IN (
                    SELECT id FROM sources
                    WHERE enabled AND (claimed_until IS NULL OR claimed_until < now())
                      AND (last_fetched_at IS NULL OR last_fetched_at < least(%s, now() - make_interval(secs => %s)))
                    ORDER BY last_fetched_at NULLS FIRST, id LIMIT %s FOR UPDATE SKIP LOCKED)
                RETURNING id, monitor, url, name, item_kind, options
                """,
                [self.worker, self.claim_ttl_s, self.pass_started, self.refetch_after_s, self.claim_batch or None],
            )
            return sorted((_source(r) for r in cur.fetchall()), key=lambda s: s.id)
        result: list[SourceConfig] = self._retrying(claim)
        return result

    def all_sources(self, *, enabled_only: bool = True) -> list[SourceConfig]:
        """Every source of the intake, claimed or not (listing only: fetch what `sources()` hands out)."""
        with self.transaction() as cur:
            cur.execute("SELECT id, monitor, url, name, item_kind, options FROM sources"
                        + (" WHERE enabled" if enabled_only else "") + " ORDER BY id")
            return [_source(r) for r in cur.fetchall()]

    def claim(self, source_id: str, *, take_over: str | None = None) -> str | None:
        """Claim the named source for this worker (a fan-out group: the pass chose it, not `sources()`), for
        `claim_ttl_s`, even if fetched lately. Returns None when claimed, else who holds it (a worker whose live
        claim stands; "" for a source the intake does not have or has disabled). A claim whose holder's name
        starts with `take_over` is taken over: the caller holds a lock those holders also take (flows/fanout.py:
        the source's Prefect limit of 1), so such a claim can only be a dead holder's."""
        def work(cur: psycopg.Cursor[Any]) -> str | None:
            cur.execute("SELECT enabled, claimed_by, coalesce(claimed_until < now(), true) FROM sources "
                        "WHERE id = %s FOR UPDATE", [source_id])
            row = cur.fetchone()
            if row is None or not row[0]:
                return ""
            holder, expired = row[1], bool(row[2])
            if holder is not None and holder != self.worker and not expired and \
                    not (take_over and str(holder).startswith(take_over)):
                return str(holder)
            cur.execute("UPDATE sources SET claimed_by = %s, claimed_until = now() + make_interval(secs => %s) "
                        "WHERE id = %s", [self.worker, self.claim_ttl_s, source_id])
            return None

        result: str | None = self._retrying(work)
        return result

    def run_fetches(self, run_id: str) -> list[dict[str, Any]]:
        """The newest fetch row of each source in the ingest run `run_id`, as `Store.run_fetches` gives them: a
        fanned-out pass whose groups write here reads its reruns and its summary from what was stored."""
        from mediebild.data.store import aware_utc

        with self.transaction() as cur:
            cur.execute(
                """
                SELECT DISTINCT ON (source_id) source_id, ok, http_status, not_modified, items_parsed, items_new,
                       items_updated, problem, attempts, finished_at
                FROM fetches WHERE run_id = %s ORDER BY source_id, id DESC
                """,
                [run_id])
            names = [d[0] for d in cur.description or ()]
            return [{k: aware_utc(v) if isinstance(v, datetime) else v for k, v in zip(names, row)}
                    for row in cur.fetchall()]

    def release(self, source_ids: Sequence[str]) -> None:
        """Give up claims without fetching (a worker stopping early)."""
        with self.transaction() as cur:
            cur.execute("UPDATE sources SET claimed_by = NULL, claimed_until = NULL WHERE id = ANY(%s) "
                        "AND claimed_by = %s", [list(source_ids), self.worker])

    def cursor(self, source_id: str) -> dict[str, Any]:
        with self.transaction() as cur:
            cur.execute("SELECT cursor FROM sources WHERE id = %s", [source_id])
            row = cur.fetchone()
        return json.loads(row[0]) if row and row[0] else {}

    def active_profile(self) -> Profile | None:
        """The profile the writer last pushed (`push_from`): workers search X and Bluesky for its terms."""
        with self.transaction() as cur:
            cur.execute("SELECT body FROM profiles ORDER BY set_at DESC, id DESC LIMIT 1")
            row = cur.fetchone()
        return None if row is None else Profile.from_text(str(row[0]))

    def record_fetch(self, *, source_id: str, run_id: str | None, started_at: datetime, finished_at: datetime,
                     http_status: int | None, size: int, not_modified: bool, items: list[Item], problems: list[Any],
                     ok: bool, cursor: dict[str, Any] | None, attempts: int = 1,
                     url: str | None = None) -> tuple[int, UpsertCounts]:
        """One fetch of one source, atomically: its items (upserted by id), fetch row, problems, new cursor; the
        source's claim ends. Deadlocks between workers writing the same items are retried."""
        from mediebild.data.store import UpsertCounts, naive_utc

        unique = {i.id: i for i in items}  # the last copy in a batch wins, as in the embedded store
        batch = [unique[k] for k in sorted(unique)]  # one lock order for every worker: no deadlock between two
        columns = [
            [i.id for i in batch], [i.source for i in batch], [i.kind for i in batch], [i.url for i in batch],
            [i.title for i in batch], [i.text for i in batch], [i.author for i in batch],
            [naive_utc(i.published_at) for i in batch], [naive_utc(i.fetched_at) for i in batch],
            [i.lang for i in batch], [i.content_hash for i in batch], [i.date_flag for i in batch],
            [json.dumps(i.raw, ensure_ascii=False, default=str) if i.raw else None for i in batch],
        ]
        first_error = next((p for p in problems if p.severity == "error"), None)

        def write(cur: psycopg.Cursor[Any]) -> tuple[int, UpsertCounts]:
            new = updated = 0
            if batch:
                cur.execute(UPSERT_ITEMS, columns)
                for (inserted,) in cur.fetchall():
                    new, updated = (new + 1, updated) if inserted else (new, updated + 1)
            counts = UpsertCounts(new=new, updated=updated, seen=len(batch) - new - updated)
            cur.execute(
                """
                INSERT INTO fetches (run_id, source_id, started_at, finished_at, http_status, bytes, not_modified,
                    items_parsed, items_new, items_updated, items_seen, ok, problem, attempts, url, worker)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id
                """,
                [run_id, source_id, naive_utc(started_at), naive_utc(finished_at), http_status, size, not_modified,
                 len(items), counts.new, counts.updated, counts.seen, ok,
                 f"{first_error.code}: {first_error.message}" if first_error else None, attempts, url, self.worker],
            )
            fetch_id = int(_one(cur))
            if problems:
                cur.executemany(
                    "INSERT INTO problems (fetch_id, source_id, recorded_at, severity, code, message) "
                    "VALUES (%s, %s, %s, %s, %s, %s)",
                    [[fetch_id, source_id, naive_utc(finished_at), p.severity, p.code, p.message[:2000]]
                     for p in problems])
            cur.execute(
                f"UPDATE sources SET cursor = coalesce(%s, cursor), last_fetched_at = now(), claimed_by = NULL, "
                f"claimed_until = NULL, txid = {TXID} WHERE id = %s",
                [None if cursor is None else json.dumps(cursor), source_id])
            return fetch_id, counts

        result: tuple[int, UpsertCounts] = self._retrying(write)
        return result

    # -- the writer's side ------------------------------------------------------------------------------------

    def push_from(self, store: Store) -> int:
        """Make the intake's sources what the DuckDB store says (definitions, enabled; a changed fetch key starts
        its cursor over; a source the store no longer has is disabled, never deleted; a store with no sources at
        all disables nothing) and its newest profile the intake's. Cursors stay the intake's: workers own them.
        Returns the number of sources written."""
        sources = store.con.execute(
            "SELECT id, monitor, url, name, item_kind, enabled, options, added_at, fetch_key FROM sources ORDER BY id"
        ).fetchall()
        profile = store.con.execute(
            "SELECT id, name, body, set_at FROM profiles ORDER BY set_at DESC, id DESC LIMIT 1").fetchone()

        def write(cur: psycopg.Cursor[Any]) -> int:
            if sources:
                cur.executemany(
                    """
                    INSERT INTO sources (id, monitor, url, name, item_kind, enabled, options, added_at, fetch_key)
                    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
                    ON CONFLICT (id) DO UPDATE SET monitor = EXCLUDED.monitor, url = EXCLUDED.url,
                        name = EXCLUDED.name, item_kind = EXCLUDED.item_kind, enabled = EXCLUDED.enabled,
                        options = EXCLUDED.options, fetch_key = EXCLUDED.fetch_key,
                        cursor = CASE WHEN sources.fetch_key IS DISTINCT FROM EXCLUDED.fetch_key THEN NULL
                                      ELSE sources.cursor END
                    WHERE (sources.monitor, sources.url, sources.name, sources.item_kind, sources.enabled,
                           sources.options, sources.fetch_key) IS DISTINCT FROM
                          (EXCLUDED.monitor, EXCLUDED.url, EXCLUDED.name, EXCLUDED.item_kind, EXCLUDED.enabled,
                           EXCLUDED.options, EXCLUDED.fetch_key)
                    """,
                    [list(r) for r in sources])
            if sources:  # a store with no sources at all is a wrong --db, not a wish to stop every worker
                cur.execute("UPDATE sources SET enabled = false WHERE enabled AND NOT (id = ANY(%s))",
                            [[r[0] for r in sources]])
            if profile is not None:
                cur.execute("INSERT INTO profiles (id, name, body, set_at) VALUES (%s, %s, %s, %s) "
                            "ON CONFLICT (id) DO NOTHING", list(profile))
            return len(sources)

        count: int = self._retrying(write)
        return count

    def prune(self, *, before: datetime, horizon: int) -> dict[str, int]:
        """Delete rows the writer has pulled (txid below its `horizon`) that are older than `before` (items by
        fetched_at, fetches by finished_at, problems by recorded_at): the intake is a buffer, the DuckDB store
        keeps everything, and social posts past the retention limit must not outlive their purge there."""
        from mediebild.data.store import naive_utc

        bounds = [naive_utc(before), horizon]

        def delete(cur: psycopg.Cursor[Any]) -> dict[str, int]:
            gone = {}
            for table, column in (("items", "fetched_at"), ("fetches", "finished_at"), ("problems", "recorded_at")):
                cur.execute(f"DELETE FROM {table} WHERE {column} < %s AND txid < %s", bounds)
                gone[table] = cur.rowcount
            return gone

        result: dict[str, int] = self._retrying(delete)
        return result

    def social_items(self, chunk: int = PULL_CHUNK) -> Iterator[list[tuple[str, str, str | None, str | None]]]:
        """(id, kind, raw, author) of every social item, `chunk` rows at a time."""
        with self.con.transaction(), self.con.cursor(name="mediebild_social") as cur:
            cur.itersize = chunk
            cur.execute("SELECT id, kind, raw, author FROM items WHERE kind = 'social' ORDER BY id")
            while rows := cur.fetchmany(chunk):
                yield [(r[0], r[1], r[2], r[3]) for r in rows]

    def delete_items(self, ids: Sequence[str]) -> int:
        def delete(cur: psycopg.Cursor[Any]) -> int:
            cur.execute("DELETE FROM items WHERE id = ANY(%s)", [list(ids)])
            return int(cur.rowcount)

        count: int = self._retrying(delete)
        return count

    def counts(self) -> dict[str, int]:
        with self.transaction() as cur:
            found = {}
            for table in ("sources", "items", "fetches", "problems", "profiles"):
                cur.execute(f"SELECT count(*) FROM {table}")
                found[table] = int(_one(cur))
        return found


def _one(cur: psycopg.Cursor[Any]) -> Any:
    row = cur.fetchone()
    return None if row is None else row[0]


def _source(row: Sequence[Any]) -> SourceConfig:
    return SourceConfig(id=row[0], monitor=row[1], url=row[2], name=row[3], item_kind=row[4],
                        options=json.loads(row[5] or "{}"))


# -- pulling into DuckDB ------------------------------------------------------------------------------------



def last_horizon(store: Store, intake_id: str) -> int:
    row = store.con.execute("SELECT max(horizon) FROM intake_pulls WHERE intake_id = ?", [intake_id]).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def record_horizon(store: Store, intake_id: str, horizon: int, items: int, fetches: int) -> None:
    store.con.execute("INSERT INTO intake_pulls VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                      [intake_id, horizon, utcnow().replace(tzinfo=None), items, fetches])


def item_table(rows: list[Sequence[Any]], names: Sequence[str]) -> pa.Table:
    """Intake item rows as the Arrow table `Store.upsert_item_table` takes."""
    cols = {name: [r[i] for r in rows] for i, name in enumerate(names)}
    ts = pa.timestamp("us")
    return pa.table({
        "id": cols["id"], "source_id": cols["source_id"], "kind": cols["kind"], "url": pa.array(cols["url"], pa.string()),
        "title": cols["title"], "text": cols["text"], "author": pa.array(cols["author"], pa.string()),
        "published_at": pa.array(cols["published_at"], ts), "fetched_at": pa.array(cols["fetched_at"], ts),
        "lang": pa.array(cols["lang"], pa.string()), "content_hash": cols["content_hash"],
        "date_flag": pa.array(cols["date_flag"], pa.string()), "raw": pa.array(cols["raw"], pa.string()),
        "first_seen_at": pa.array(cols["first_seen_at"], ts),
    })


def forget_in_intake(store: Store, intake: SharedIntake) -> int:
    """Delete from the intake the social posts of authors forgotten on request in the store (`mediebild forget`):
    the pull already leaves them out, this removes the copies workers wrote. Returns how many went."""
    forgotten = store.forgotten_author_check()
    if forgotten is None:
        return 0
    doomed = [item_id for rows in intake.social_items() for item_id, kind, raw, author in rows
              if forgotten(kind, json.loads(raw) if raw else None, author)]
    return intake.delete_items(doomed) if doomed else 0


def pull_intake(store: Store, intake: SharedIntake, *, chunk: int = PULL_CHUNK,
                progress: Callable[[str, int], None] | None = None) -> PullResult:
    """Move what workers wrote since the last pull into the DuckDB store, exactly once (see the module).

    One DuckDB transaction holds every row pulled and the new horizon; the intake is read in one REPEATABLE READ
    snapshot, items `chunk` rows at a time. Social posts by forgotten authors are left out, as in `record_fetch`.
    """
    t0 = time.perf_counter()
    result = PullResult(previous=last_horizon(store, intake.id))
    forgotten = store.forgotten_author_check()
    known_sources = {r[0] for r in store.con.execute("SELECT id FROM sources").fetchall()}
    with intake.con.transaction(), intake.con.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cur.execute("SELECT (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint")
        result.horizon = int(_one(cur))
        if result.horizon <= result.previous:
            result.horizon = result.previous
            return result
        span = [result.previous, result.horizon]
        with store.transaction():
            names = ITEM_COLUMNS
            with intake.con.cursor(name="mediebild_pull") as items_cur:
                items_cur.itersize = chunk
                items_cur.execute(f"SELECT {', '.join(names)} FROM items WHERE txid >= %s AND txid < %s", span)
                while True:
                    rows = items_cur.fetchmany(chunk)
                    if not rows:
                        break
                    if forgotten is not None:
                        raw_at = names.index("raw")
                        rows = [r for r in rows if not forgotten(r[2], json.loads(r[raw_at]) if r[raw_at] else None,
                                                                 r[6])]
                    counts = store.upsert_item_table(item_table(rows, names))
                    result.items += len(rows)
                    result.items_new += counts.new
                    result.items_updated += counts.updated
                    if progress:
                        progress("items", result.items)
            cur.execute(f"SELECT {', '.join(PROBLEM_COLUMNS)} FROM problems WHERE txid >= %s AND txid < %s", span)
            problems: dict[int, list[tuple[datetime, str, str, str]]] = {}
            for p in cur.fetchall():
                problems.setdefault(p[0], []).append((p[2], p[3], p[4], p[5]))
            cur.execute(f"SELECT {', '.join(FETCH_COLUMNS)} FROM fetches WHERE txid >= %s AND txid < %s ORDER BY id",
                        span)
            fetches = [dict(zip(FETCH_COLUMNS, row)) for row in cur.fetchall()]
            found = [problems.pop(f["id"], []) for f in fetches]
            store.insert_fetches(fetches, found)  # new ids from the store's sequence, problems follow theirs
            result.fetches = len(fetches)
            result.problems = sum(map(len, found))
            cur.execute("SELECT id, cursor FROM sources WHERE txid >= %s AND txid < %s", span)
            for source_id, cursor in cur.fetchall():
                if source_id in known_sources:
                    store.set_cursor(source_id, json.loads(cursor) if cursor else None)
                    result.cursors += 1
            record_horizon(store, intake.id, result.horizon, result.items, result.fetches)
    result.seconds = time.perf_counter() - t0
    return result
