"""Moving data between the embedded store and the shared intake (`mediebild store migrate`).

* `to_intake(store, intake)`: an embedded database into an empty intake (sources with their cursors, items,
  fetches with their ids, problems, the profiles), in one Postgres transaction; rows carry txid 0 (the writer
  has them). The store then records the horizon taken before the copy, so its first pull reads exactly what
  workers wrote since, and nothing of the copy again.
* `to_duckdb(intake, path)`: the intake into a new, standalone DuckDB file (an exercise export): the same
  tables, fetch ids kept; enrichment, stories and digests are made again by `mediebild enrich`/`digest` there.

Both check the result before they report success: the row count of every table and a digest of every table's
ids (items, sources, fetches; problems by count) must be equal on both sides, else a StoreError (the Postgres
transaction is rolled back; a DuckDB file made half-way is removed).

Data layer: imports data.store and data.intake; nothing above it.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import pyarrow as pa

from mediebild.data.intake import (
    FETCH_COLUMNS,
    ITEM_COLUMNS,
    PROBLEM_COLUMNS,
    PROFILE_COLUMNS,
    SOURCE_COLUMNS,
    SharedIntake,
    record_horizon,
)
from mediebild.data.store import Store, scalar
from mediebild.errors import StoreError, UserError

if TYPE_CHECKING:
    import psycopg

Progress = Callable[[str, int, int], None]  # (table, rows done, rows in all)

TABLES: dict[str, Sequence[str]] = {
    "sources": SOURCE_COLUMNS, "items": ITEM_COLUMNS, "fetches": FETCH_COLUMNS, "problems": PROBLEM_COLUMNS,
    "profiles": PROFILE_COLUMNS,
}
ID_CHECKED = ("sources", "items", "fetches", "profiles")
CHUNK = 20_000


def _digest(ids: Sequence[Any]) -> str:
    """Order-free digest of a table's ids (sorted here, so both databases' collations do not matter)."""
    h = hashlib.sha256()
    for value in sorted(str(v) for v in ids):
        h.update(value.encode())
        h.update(b"\0")
    return h.hexdigest()


def duckdb_summary(store: Store) -> dict[str, tuple[int, str]]:
    found = {}
    for table in TABLES:
        if table in ID_CHECKED:
            ids = [r[0] for r in store.con.execute(f"SELECT id FROM {table}").fetchall()]
            found[table] = (len(ids), _digest(ids))
        else:
            found[table] = (store.count(table), "")
    return found


def intake_summary(cur: psycopg.Cursor[Any]) -> dict[str, tuple[int, str]]:
    found = {}
    for table in TABLES:
        if table in ID_CHECKED:
            cur.execute(f"SELECT id FROM {table}")
            ids = [r[0] for r in cur.fetchall()]
            found[table] = (len(ids), _digest(ids))
        else:
            cur.execute(f"SELECT count(*) FROM {table}")
            row = cur.fetchone()
            found[table] = (int(row[0]) if row else 0, "")
    return found


def _compare(source: dict[str, tuple[int, str]], target: dict[str, tuple[int, str]], where: str) -> None:
    wrong = [f"{t}: {source[t][0]} rows there, {target[t][0]} here" + (" (other ids)" if source[t][0] == target[t][0]
                                                                       else "")
             for t in TABLES if source[t] != target[t]]
    if wrong:
        raise StoreError(f"the copy to {where} is not complete, nothing was kept: " + "; ".join(wrong))


def to_intake(store: Store, intake: SharedIntake, *, progress: Progress | None = None) -> dict[str, Any]:
    """Copy the embedded store into the (empty) intake; returns the counts. See the module."""
    t0 = time.perf_counter()
    before = duckdb_summary(store)
    with intake.transaction() as cur:
        cur.execute("LOCK TABLE sources, items, fetches, problems, profiles IN EXCLUSIVE MODE")
        cur.execute("SELECT (SELECT count(*) FROM items) + (SELECT count(*) FROM fetches) + "
                    "(SELECT count(*) FROM sources)")
        row = cur.fetchone()
        if row and row[0]:
            raise UserError("the shared store already holds sources, items or fetches: migrate into an empty "
                            "database (a new one, or drop its tables), or let the writer pull what workers wrote")
        cur.execute("SELECT (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint")
        row = cur.fetchone()
        horizon = int(row[0]) if row else 0
        for table, columns in TABLES.items():
            total = before[table][0]
            done = 0
            result = store.con.execute(f"SELECT {', '.join(columns)} FROM {table}")
            with cur.copy(f"COPY {table} ({', '.join(columns)}, txid) FROM STDIN" if table != "profiles"
                          else f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                while rows := result.fetchmany(CHUNK):
                    for r in rows:
                        copy.write_row((*r, 0) if table != "profiles" else r)
                    done += len(rows)
                    if progress:
                        progress(table, done, total)
        cur.execute("SELECT setval(pg_get_serial_sequence('fetches', 'id'), greatest(max(id), 1)) FROM fetches")
        _compare(before, intake_summary(cur), "the shared store")
        with store.transaction():
            record_horizon(store, intake.id, horizon, before["items"][0], before["fetches"][0])
    return {"to": "shared", "rows": {t: before[t][0] for t in TABLES}, "horizon": horizon,
            "seconds": round(time.perf_counter() - t0, 2)}


def to_duckdb(intake: SharedIntake, path: Path, *, progress: Progress | None = None) -> dict[str, Any]:
    """Copy the intake into a new DuckDB file at `path`; returns the counts. See the module."""
    t0 = time.perf_counter()
    path = Path(path)
    if path.exists():
        raise UserError(f"{path} exists: an export goes into a new file (move or remove the old one)")
    store = Store.open(path, create=True)
    try:
        with intake.con.transaction(), intake.con.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cur.execute("SELECT (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint")
            row = cur.fetchone()
            horizon = int(row[0]) if row else 0
            source = intake_summary(cur)
            with store.transaction():
                for table, columns in TABLES.items():
                    _copy_into_duckdb(intake, store, table, columns, source[table][0], progress)
                max_fetch = scalar(store.con, "SELECT coalesce(max(id), 0) FROM fetches")
                if max_fetch:  # DuckDB has no ALTER SEQUENCE: draw the numbers the copied fetches took
                    store.con.execute("SELECT max(nextval('fetches_seq')) FROM range(?)", [int(max_fetch)]).fetchall()
                record_horizon(store, intake.id, horizon, source["items"][0], source["fetches"][0])
            _compare(source, duckdb_summary(store), str(path))
    except BaseException:
        store.close()
        path.unlink(missing_ok=True)
        Path(str(path) + ".wal").unlink(missing_ok=True)
        raise
    store.close()
    return {"to": str(path), "rows": {t: source[t][0] for t in TABLES}, "seconds": round(time.perf_counter() - t0, 2)}


def _copy_into_duckdb(intake: SharedIntake, store: Store, table: str, columns: Sequence[str], total: int,
                      progress: Progress | None) -> None:
    done = 0
    with intake.con.cursor(name=f"mediebild_export_{table}") as cur:
        cur.itersize = CHUNK
        cur.execute(f"SELECT {', '.join(columns)} FROM {table}")
        while rows := cur.fetchmany(CHUNK):
            batch = pa.table({name: [r[i] for r in rows] for i, name in enumerate(columns)})
            store.con.register("intake_rows", batch)
            try:
                casts = ", ".join(f"{c}::JSON" if c in ("raw", "options", "cursor") else c for c in columns)
                store.con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {casts} FROM intake_rows")
            finally:
                store.con.unregister("intake_rows")
            done += len(rows)
            if progress:
                progress(table, done, total)
