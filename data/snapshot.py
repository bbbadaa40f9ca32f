"""Published read snapshots of the store: what every reader outside the writing process opens.

DuckDB lets one process write a database file and then nobody else may even read it. So the writer keeps its
file and, after each pass, publishes an immutable snapshot beside it, in `<db>.snapshots/`:

    v00000042/items/day=2016-03-22/data_0.parquet   one folder per table, one per UTC day where that fits
    v00000042/stories/data.parquet                  small tables whole
    v00000042/_meta.json                            version, time, per-day signatures of every table
    v00000042/views.sql                             the documented views, for DuckDB's CLI or a notebook
    CURRENT                                         the name of the newest complete version (atomic rename)
    current -> v00000042                            the same as a symlink, for people's tools
    search.sqlite                                   the full-text index (data/search_index.py)

A version folder is written under a `.tmp` name, made durable (fsync), renamed, and only then does `CURRENT`
move (write a temporary file, fsync, rename): a publish killed at any point leaves the previous version
readable and its debris is removed by the next one. Only days whose signature changed are written; every
other file is a hard link to the previous version's, so a pass that touched today costs today.

What is published is what documents may show: social items by private persons carry their pseudonym, no
link and redacted @mentions (mediebild.privacy), and secrets (users, the privacy key) never leave the file.
See docs/storage-decision.md for the measurements behind this design.

Data layer: imports the core (errors, privacy, settings, timeutil) and data.store, data.privacy, data.access,
data.snapshot_tables and data.search_index; nothing above it.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable

import duckdb
import pyarrow as pa

from mediebild.data.privacy import privacy_key
from mediebild.data.snapshot_tables import ROLLUP_INPUTS, TABLES, WIDE_ITEM_INPUTS, TableSpec
from mediebild.errors import StoreError
from mediebild.privacy import PrivacyPolicy
from mediebild.timeutil import utcnow

log = logging.getLogger(__name__)

META = "_meta.json"
POINTER = "CURRENT"
LINK = "current"
SEARCH_INDEX = "search.sqlite"
PLACEHOLDER_DAY = "1970-01-01"   # every day-keyed table has this empty file, so its columns are known
KEEP_VERSIONS = 3
KEEP_SECONDS = 15 * 60           # a version stays this long after it was replaced, for readers still on it
FORMAT_VERSION = 1


def snapshot_root(db_path: Path | str) -> Path:
    """The folder holding the published versions, `CURRENT` and the search index of a database file."""
    return Path(str(db_path) + ".snapshots")


def current_search_index(db_path: Path | str) -> Path:
    """The search index of the newest published snapshot of `db_path`, or a StoreError when there is none.

    Like data.snapshot_read.open_snapshot, publishes first when the database moved on and nobody writes it.
    """
    path = snapshot_root(db_path) / SEARCH_INDEX
    refresh_if_stale(db_path, also_when=not path.exists())
    if not path.exists():
        if not Path(db_path).exists():
            raise StoreError(f"no database at {db_path}: run `mediebild init --db {db_path}` first")
        raise StoreError(f"no search index for {db_path} yet: it is written after the next monitoring pass")
    return path


def refresh_if_stale(db_path: Path | str, *, also_when: bool = False) -> None:
    """Publish `db_path` first when it moved on since its newest snapshot (or `also_when`), and nobody writes it:
    what a reader outside the writer does before it reads (a writer publishes after its pass anyway)."""
    from mediebild.data.access import writer_present

    path = Path(db_path)
    if path.exists() and (also_when or stale(path)) and not writer_present(path):
        publish_database(path)


def current_version(root: Path) -> Path | None:
    """The version folder `CURRENT` names, or None before the first publish."""
    try:
        name = (root / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    folder = root / name
    return folder if name and (folder / META).exists() else None


def read_meta(folder: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((folder / META).read_text(encoding="utf-8"))
    return result


def database_signature(db_path: Path | str) -> list[int]:
    """(mtime_ns, size) of the database file and of its WAL: what tells a reader the file moved on."""
    signature: list[int] = []
    for path in (Path(db_path), Path(str(db_path) + ".wal")):
        try:
            stat = path.stat()
            signature += [stat.st_mtime_ns, stat.st_size]
        except FileNotFoundError:
            signature += [0, 0]
    return signature


@dataclass
class PublishResult:
    version: str
    folder: Path
    seconds: float
    written: dict[str, int] = field(default_factory=dict)   # table -> days (or 1 for a whole table) written
    linked_files: int = 0
    search: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "seconds": round(self.seconds, 3), "written": self.written,
                "linked_files": self.linked_files, "search": self.search}


@contextmanager
def _publish_lock(root: Path) -> Iterator[None]:
    """One publisher at a time per snapshot folder (a pass and a reader refreshing a stale snapshot)."""
    fd = os.open(root / ".publish.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    """Make a version folder durable: the files written for it and every folder (a file linked from the previous
    version, more than one link, is durable already: syncing hundreds of them cost a page's action seconds)."""
    for folder, _, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            if os.stat(path).st_nlink == 1:
                _fsync(path)
        _fsync(Path(folder))


def _day_list(days: set[str]) -> str:
    return ", ".join(f"DATE '{d}'" for d in sorted(days))


def _item_day_predicate(days: set[str] | None) -> str:
    """SQL narrowing items `i` to `days` (a range first, so zone maps skip the rest of the file)."""
    if days is None:
        return "TRUE"
    if not days:
        return "FALSE"
    low, high = min(days), max(days)
    return (f"i.published_at >= TIMESTAMP '{low}' AND i.published_at < TIMESTAMP '{high}' + INTERVAL 1 DAY "
            f"AND CAST(i.published_at AS DATE) IN ({_day_list(days)})")


class _Publisher:
    def __init__(self, cur: duckdb.DuckDBPyConnection, root: Path, prev: Path | None,
                 progress: Callable[[str], None] | None):
        self.cur = cur
        self.root = root
        self.prev = prev
        self.prev_meta: dict[str, Any] = read_meta(prev) if prev is not None else {}
        self.progress = progress or (lambda _step: None)
        self.same_schema: set[str] = set()  # tables whose columns are those of the previous version

    # -- what changed ------------------------------------------------------------------------------

    def schema(self, spec: TableSpec) -> str:
        source = spec.source.replace("{days}", "FALSE")
        rows = self.cur.execute(f"DESCRIBE SELECT {spec.columns} FROM {source}").fetchall()
        return ";".join(f"{r[0]} {r[1]}" for r in rows)

    def signature_rows(self, spec: TableSpec) -> list[tuple[Any, ...]]:
        """(day, hour, rows, xor of row hashes) per hour of a day-keyed table (hour NULL for tables without one),
        or one (None, None, rows, xor) for a whole table."""
        source = spec.signature_source or spec.source
        if spec.day is None:
            row = self.cur.execute(f"SELECT NULL, NULL, count(*), coalesce(bit_xor({spec.signature}), 0) "
                                   f"FROM {source}").fetchone()
            return [row] if row else []
        hour = spec.hour if spec.hour is not None else "NULL"
        return self.cur.execute(
            f"SELECT CAST({spec.day} AS VARCHAR), {hour}, count(*), bit_xor({spec.signature}) FROM {source} "
            f"WHERE {spec.day} IS NOT NULL GROUP BY 1, 2").fetchall()

    def changed(self, name: str, now: dict[str, list[int]], schema: str) -> set[str]:
        before = self.prev_meta.get("tables", {}).get(name)
        if before is None or before.get("schema") != schema or not self._has_files(name):
            return set(now)
        old: dict[str, list[int]] = before.get("days", {})
        # slices gone since (a day forgotten, an hour folded into its day) are simply not linked
        return {key for key in now if now[key] != old.get(key)}

    def _has_files(self, name: str) -> bool:
        return self.prev is not None and (self.prev / name).is_dir()

    # -- privacy -----------------------------------------------------------------------------------

    def shown_social(self, days: set[str], key: bytes) -> None:
        """TEMP table `shown_social`: social items of `days` as documents show them (see mediebild.privacy)."""
        from mediebild.settings import load_settings

        if not days:
            return
        settings = load_settings().privacy
        self.cur.execute("DELETE FROM shown_social")
        policy = PrivacyPolicy.build(key, extra=settings.public_accounts, file=settings.public_accounts_file)
        social = f"""(SELECT i.id, i.url, i.title, i.text,
                             coalesce(json_extract_string(i.raw, '$.social.platform'), s.monitor) AS platform,
                             coalesce(json_extract_string(i.raw, '$.social.author_handle'), i.author) AS handle
                        FROM items i LEFT JOIN sources s ON s.id = i.source_id
                       WHERE i.kind = 'social' AND i.purged_at IS NULL AND {_item_day_predicate(days)})"""
        # Python sees each author once and each post that mentions someone, not every post.
        authors = self.cur.execute(f"SELECT DISTINCT platform, handle FROM {social} WHERE handle IS NOT NULL"
                                   ).fetchall()
        mentions = self.cur.execute(f"SELECT id, platform, title, text FROM {social} "
                                    "WHERE contains(title, '@') OR contains(text, '@')").fetchall()
        author_rows = pa.table({
            "platform": [a[0] for a in authors], "handle": [a[1] for a in authors],
            "shown": [policy.shown_author(a[0], a[1]) for a in authors],
            "public": [policy.is_public(a[0], a[1]) for a in authors]},
            schema=pa.schema([("platform", pa.string()), ("handle", pa.string()), ("shown", pa.string()),
                              ("public", pa.bool_())]))
        mention_rows = pa.table({
            "id": [m[0] for m in mentions],
            "title": [policy.redact_mentions(m[2] or "", m[1]) for m in mentions],
            "text": [policy.redact_mentions(m[3] or "", m[1]) for m in mentions]},
            schema=pa.schema([("id", pa.string()), ("title", pa.string()), ("text", pa.string())]))
        self.cur.register("shown_authors", author_rows)
        self.cur.register("redacted_mentions", mention_rows)
        try:
            self.cur.execute(f"""
                INSERT INTO shown_social
                SELECT p.id, a.shown, CASE WHEN coalesce(a.public, FALSE) THEN p.url END,
                       json_object('social', json_object('platform', p.platform)),
                       coalesce(m.title, p.title), coalesce(m.text, p.text)
                  FROM {social} p
                  LEFT JOIN shown_authors a ON a.platform IS NOT DISTINCT FROM p.platform AND a.handle = p.handle
                  LEFT JOIN redacted_mentions m ON m.id = p.id""")
        finally:
            self.cur.unregister("shown_authors")
            self.cur.unregister("redacted_mentions")

    def shown_stories(self, key: bytes) -> None:
        """TEMP table `shown_stories`: stories named after a social post (their headline is the post's title,
        their link the post's) as documents show them: "privatperson-3f9a2c: <title, mentions masked>", no link
        unless the author is a public account (reports.privacy.protect does the same for a document)."""
        from mediebild.settings import load_settings

        self.cur.execute("DELETE FROM shown_stories")
        settings = load_settings().privacy
        policy = PrivacyPolicy.build(key, extra=settings.public_accounts, file=settings.public_accounts_file)
        rows = self.cur.execute("""
            SELECT st.id, st.headline,
                   coalesce(json_extract_string(i.raw, '$.social.platform'), s.monitor) AS platform,
                   coalesce(json_extract_string(i.raw, '$.social.author_handle'), i.author) AS handle
              FROM stories st
              JOIN (SELECT url, any_value(id) AS id FROM items WHERE kind = 'social' AND url IS NOT NULL
                     GROUP BY url) p ON p.url = st.url
              JOIN items i ON i.id = p.id LEFT JOIN sources s ON s.id = i.source_id
             WHERE st.url IS NOT NULL""").fetchall()
        shown = []
        for story_id, headline, platform, handle in rows:
            if handle is None:
                continue
            public = policy.is_public(platform, handle)
            text = policy.redact_mentions(headline or "", platform)
            shown.append((story_id, text if public else f"{policy.shown_author(platform, handle)}: {text}", public))
        if shown:
            self.cur.executemany("INSERT INTO shown_stories VALUES (?, ?, ?)", shown)

    # -- writing -----------------------------------------------------------------------------------

    def write_table(self, spec: TableSpec, tmp: Path, days: set[str], all_days: set[str],
                    sizes: dict[str, int] | None = None) -> tuple[int, int]:
        """Write the changed slices of one table (or the whole table), link the rest; (written, linked).

        Days are written a group at a time (about ROWS_PER_COPY rows by `sizes`, the rows per slice), so a first
        publish of a big store does not hold every day's partition in memory at once; an hour slice is one file
        of its own (`day=D/hHH.parquet`).
        """
        target = tmp / spec.name
        target.mkdir()
        columns = spec.columns
        source = spec.source
        if spec.day is None:
            if days or self.prev is None:
                self.cur.execute(f"COPY (SELECT {columns} FROM {source}) TO '{target / 'data.parquet'}' "
                                 "(FORMAT parquet, COMPRESSION zstd)")
                return 1, 0
            assert self.prev is not None
            os.link(self.prev / spec.name / "data.parquet", target / "data.parquet")
            return 0, 1
        placeholder = target / f"day={PLACEHOLDER_DAY}"
        placeholder.mkdir()
        before = self.prev / spec.name / f"day={PLACEHOLDER_DAY}" / "empty.parquet" if self.prev else None
        if not days and spec.name in self.same_schema and before is not None and before.exists():
            os.link(before, placeholder / "empty.parquet")
        else:
            self.cur.execute(f"COPY (SELECT {columns} FROM {source.replace('{days}', 'FALSE')} LIMIT 0) "
                             f"TO '{placeholder / 'empty.parquet'}' (FORMAT parquet)")
        written = linked = 0
        whole_days = sorted(d for d in days if "T" not in d)
        for group in _groups(whole_days, sizes or {}):
            narrowed = source.replace("{days}", _item_day_predicate(group))
            self.cur.execute(
                f"COPY (SELECT {columns}, {spec.day} AS day FROM {narrowed} WHERE {spec.day} IN ({_day_list(group)})) "
                f"TO '{target}' (FORMAT parquet, PARTITION_BY (day), OVERWRITE_OR_IGNORE, COMPRESSION zstd)")
            written += len(group)
        for key in sorted(d for d in days if "T" in d):
            day, hour = key.split("T")
            folder = target / f"day={day}"
            folder.mkdir(exist_ok=True)
            start = f"TIMESTAMP '{day} {int(hour):02d}:00:00'"
            narrowed = source.replace("{days}", f"i.published_at >= {start} AND i.published_at < {start} + INTERVAL 1 HOUR")
            self.cur.execute(
                f"COPY (SELECT {columns} FROM {narrowed} WHERE {spec.day} = DATE '{day}' AND {spec.hour} = {int(hour)}) "
                f"TO '{folder / f'h{int(hour):02d}.parquet'}' (FORMAT parquet, COMPRESSION zstd)")
            written += 1
        if self.prev is not None and (self.prev / spec.name).is_dir():
            for part in (self.prev / spec.name).iterdir():
                day = part.name.partition("=")[2]
                if day == PLACEHOLDER_DAY:
                    continue
                for file in part.iterdir():
                    hourly = file.name.startswith("h")
                    key = f"{day}T{int(file.name[1:3])}" if hourly else day
                    if key in days or key not in all_days:
                        continue
                    (target / part.name).mkdir(exist_ok=True)
                    os.link(file, target / part.name / file.name)
                    linked += 1
        return written, linked


ROWS_PER_COPY = 1_000_000
HOT_DAYS = 2  # the newest days are written an hour a file: a pass then rewrites the hours it touched


def _fold(rows: list[tuple[Any, ...]], hot: set[str]) -> dict[str, list[int]]:
    """(day, hour, rows, xor) per hour -> {slice: [rows, xor]}: the hours of hot days, whole other days ('*' for
    a whole table)."""
    slices: dict[str, list[int]] = {}
    for day, hour, count, xor in rows:
        if day is None:
            return {"*": [int(count), int(xor)]}
        key = f"{day}T{int(hour)}" if day in hot and hour is not None else str(day)
        if key in slices:
            slices[key] = [slices[key][0] + int(count), slices[key][1] ^ int(xor)]
        else:
            slices[key] = [int(count), int(xor)]
    return slices


def _groups(days: list[str], sizes: dict[str, int]) -> list[set[str]]:
    """Consecutive days in groups of about ROWS_PER_COPY rows (a day bigger than that is a group of its own)."""
    groups: list[set[str]] = []
    current: set[str] = set()
    rows = 0
    for day in days:
        size = sizes.get(day, 0)
        if current and rows + size > ROWS_PER_COPY:
            groups.append(current)
            current, rows = set(), 0
        current.add(day)
        rows += size
    if current:
        groups.append(current)
    return groups


def _day_keys(signatures: dict[str, list[int]]) -> set[str]:
    return {d for d in signatures if d != "*"}


def publish(con: duckdb.DuckDBPyConnection, db_path: Path | str, *, root: Path | None = None,
            search: bool = True, drop_older: bool = False,
            progress: Callable[[str], None] | None = None, only: set[str] | None = None) -> PublishResult:
    """Publish a new snapshot version of the store `con` is connected to (the writer's connection).

    `only`: the caller changed these tables and nothing else since the newest version was published (an action
    on the page: the audit log, a judgement, a source ...); every other table is linked from that version without
    computing its signatures (which cost seconds at a million items). Only for a writer that knows the newest
    version was current before it wrote (data/access.py checks `stale` first).

    Reads everything in one transaction of its own, so the version is one committed state of the store.
    `drop_older` removes every earlier version at once (after forgetting a person or purging old posts, their
    content must not stay readable in a version kept for slow readers).
    """
    started = time.perf_counter()
    root = root or snapshot_root(db_path)
    root.mkdir(parents=True, exist_ok=True)
    with _publish_lock(root):
        _remove_debris(root)
        prev = current_version(root)
        number = _next_number(root)
        name = f"v{number:08d}"
        tmp = root / f"{name}.tmp"
        tmp.mkdir()
        key = privacy_key(con)  # made (and committed) before the read transaction when the store has none yet
        cur = con.cursor()
        result = PublishResult(version=name, folder=root / name, seconds=0.0)
        try:
            cur.execute("CREATE OR REPLACE TEMP TABLE shown_social (id VARCHAR, author VARCHAR, url VARCHAR, "
                        "raw JSON, title VARCHAR, text VARCHAR)")
            cur.execute("CREATE OR REPLACE TEMP TABLE shown_stories (id VARCHAR, headline VARCHAR, public BOOLEAN)")
            cur.execute("BEGIN TRANSACTION")
            item_keyed = {"items", *ROLLUP_INPUTS, "story_seen"}
            cur.execute("CREATE OR REPLACE TEMP TABLE item_day AS SELECT id, CAST(published_at AS DATE) AS day, "
                        "date_part('hour', published_at) AS hour FROM items"
                        + ("" if only is None or only & item_keyed else " LIMIT 0"))
            publisher = _Publisher(cur, root, prev, progress)
            tables_meta: dict[str, Any] = {}
            changed_days: dict[str, set[str]] = {}
            rollup_days: set[str] = set()
            hot: set[str] = set()  # the newest HOT_DAYS days of items: a pass keeps adding to them
            for spec in TABLES:
                if spec.rollup:
                    continue
                kept = publisher.prev_meta.get("tables", {}).get(spec.name)
                if only is not None and spec.name not in only and kept is not None and publisher._has_files(spec.name):
                    tables_meta[spec.name] = kept  # unchanged by the caller: linked as it is
                    changed_days[spec.name] = set()
                    publisher.same_schema.add(spec.name)
                    continue
                publisher.progress(f"signature {spec.name}")
                rows = publisher.signature_rows(spec)
                if spec.name == "items":  # first in TABLES
                    hot = set(sorted({str(r[0]) for r in rows}, reverse=True)[:HOT_DAYS])
                signatures = _fold(rows, hot if spec.hour is not None else set())
                schema = publisher.schema(spec)
                changed_days[spec.name] = publisher.changed(spec.name, signatures, schema)
                tables_meta[spec.name] = {"schema": schema, "days": signatures}
                if publisher.prev_meta.get("tables", {}).get(spec.name, {}).get("schema") == schema:
                    publisher.same_schema.add(spec.name)
                if spec.name in ROLLUP_INPUTS:
                    rollup_days |= changed_days[spec.name] - {"*"}
            for table in WIDE_ITEM_INPUTS:  # the wide items table carries their columns
                changed_days["items"] |= changed_days[table] & _day_keys(tables_meta["items"]["days"])
            item_days = _day_keys(tables_meta["items"]["days"])
            for spec in TABLES:
                if not spec.rollup:
                    continue
                schema = publisher.schema(spec)
                before = publisher.prev_meta.get("tables", {}).get(spec.name)
                fresh = before is None or before.get("schema") != schema or not publisher._has_files(spec.name)
                changed_days[spec.name] = set(item_days) if fresh else set(rollup_days) & item_days
                tables_meta[spec.name] = {"schema": schema, "days": {d: [0, 0] for d in item_days}}
                if not fresh:
                    publisher.same_schema.add(spec.name)
            publisher.shown_social({d.split("T")[0] for d in changed_days["items"]}, key)
            if changed_days["stories"]:
                publisher.shown_stories(key)
            for spec in TABLES:
                publisher.progress(f"write {spec.name}")
                all_days = _day_keys(tables_meta[spec.name]["days"])
                sizes = {d: v[0] for d, v in tables_meta["items" if spec.rollup else spec.name]["days"].items()}
                written, linked = publisher.write_table(spec, tmp, changed_days[spec.name] - {"*"} if spec.day
                                                        else changed_days[spec.name], all_days, sizes)
                result.written[spec.name] = written
                result.linked_files += linked
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        finally:
            try:
                cur.execute("ROLLBACK")
            except duckdb.Error:
                pass
            cur.close()
        meta = {"format": FORMAT_VERSION, "version": name, "number": number,
                "published_at": utcnow().isoformat(), "database": str(Path(db_path).resolve()),
                "tables": tables_meta}
        (tmp / META).write_text(json.dumps(meta), encoding="utf-8")
        final = root / name
        from mediebild.data.snapshot_read import views_sql

        (tmp / "views.sql").write_text(views_sql(final), encoding="utf-8")
        if search:
            search_days = {d.split("T")[0] for t in ("items", "enrichments", "story_items")
                           for d in changed_days[t] if d != "*"}
            before = publisher.prev_meta.get("tables", {}).get("items", {}).get("days", {})
            search_days |= {d.split("T")[0] for d in before if d not in tables_meta["items"]["days"]}  # emptied
            result.search = _refresh_search(root, tmp, search_days, full=prev is None)
        _fsync_tree(tmp)
        os.replace(tmp, final)
        _fsync(root)
        _point(root, name)
        _prune(root, keep_name=name, drop_older=drop_older)
    result.seconds = time.perf_counter() - started
    log.info("published %s in %.2f s: %s", name, result.seconds, result.written)
    return result


def _refresh_search(root: Path, folder: Path, days: set[str], *, full: bool) -> dict[str, Any] | None:
    """Bring the search index up to the version in `folder` (what is published, so pseudonyms are indexed)."""
    from dataclasses import asdict

    from mediebild.data.search_index import SearchIndex
    from mediebild.data.snapshot_read import connect_folder

    index_path = root / SEARCH_INDEX
    reader = connect_folder(folder)
    try:
        refresh_days = None if full or not index_path.exists() else [date.fromisoformat(d) for d in sorted(days)]
        if refresh_days == []:
            return {"skipped": True}
        index = SearchIndex(index_path)
        try:
            return asdict(index.refresh(reader, refresh_days))
        finally:
            index.close()
    finally:
        reader.close()


def _point(root: Path, name: str) -> None:
    tmp = root / f"{POINTER}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, root / POINTER)
    link_tmp = root / f"{LINK}.tmp"
    if link_tmp.is_symlink() or link_tmp.exists():
        link_tmp.unlink()
    os.symlink(name, link_tmp)
    os.replace(link_tmp, root / LINK)
    _fsync(root)


def _next_number(root: Path) -> int:
    numbers = [int(p.name[1:9]) for p in root.iterdir() if p.name.startswith("v") and p.name[1:9].isdigit()]
    return max(numbers, default=0) + 1


def _remove_debris(root: Path) -> None:
    """Folders of a publish that was killed before its rename."""
    for path in root.iterdir():
        if path.name.startswith("v") and path.name.endswith(".tmp"):
            shutil.rmtree(path, ignore_errors=True)


def _prune(root: Path, *, keep_name: str, drop_older: bool = False) -> None:
    """Drop versions beyond the newest KEEP_VERSIONS that were replaced more than KEEP_SECONDS ago."""
    versions = sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith("v") and p.name[1:].isdigit())
    if drop_older:
        for folder in versions:
            if folder.name != keep_name:
                shutil.rmtree(folder, ignore_errors=True)
        return
    now = time.time()
    for index, folder in enumerate(versions[:-KEEP_VERSIONS]):
        successor = versions[index + 1]
        if folder.name != keep_name and now - successor.stat().st_mtime > KEEP_SECONDS:
            shutil.rmtree(folder, ignore_errors=True)


PUBLISH_WAIT_SECONDS = 60.0  # a reader refreshing a stale snapshot may hold the file for a moment
SOURCE = "SOURCE"  # {"version": ..., "database_signature": ...}: the file as it was when that version was taken


def publish_database(db_path: Path | str, *, search: bool = True, drop_older: bool = False,
                     progress: Callable[[str], None] | None = None) -> PublishResult:
    """Open the store, publish it, close it, and note how the file looked then (what `stale` compares)."""
    from mediebild.data.store import Store

    with Store.open(db_path, wait=PUBLISH_WAIT_SECONDS) as store:
        with _memory_capped(store.con):
            result = publish(store.con, db_path, search=search, drop_older=drop_older, progress=progress)
    note_source(db_path, result.version)
    return result


def publish_open(con: duckdb.DuckDBPyConnection, db_path: Path | str, *, search: bool = True,
                 only: set[str] | None = None) -> PublishResult:
    """Publish through a connection the caller holds read-write (memory capped as publish_database does); the
    caller calls note_source once it closed the file. `only`: as publish."""
    with _memory_capped(con):
        return publish(con, db_path, search=search, only=only)


PUBLISH_MEMORY = "1536MB"  # DuckDB spills beyond this (its default is 80 % of the machine: 3.9 GiB at 10M items)


@contextmanager
def _memory_capped(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Cap the database instance's memory while publishing, then give back what it had (the same process may
    hold the file through other connections, which share the instance)."""
    import tempfile

    before = con.execute("SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchone()
    spill = Path(tempfile.gettempdir()) / "mediebild-spill"
    con.execute(f"SET memory_limit = '{PUBLISH_MEMORY}'")
    if before is not None and not before[1]:
        con.execute(f"SET temp_directory = '{spill}'")
    try:
        yield
    finally:
        if before is not None:
            con.execute(f"SET memory_limit = '{before[0]}'")


def note_source(db_path: Path | str, version: str) -> None:
    """Record the database file's signature for `version`, after the writer closed the file."""
    root = snapshot_root(db_path)
    tmp = root / f"{SOURCE}.tmp"
    tmp.write_text(json.dumps({"version": version, "database_signature": database_signature(db_path)}),
                   encoding="utf-8")
    os.replace(tmp, root / SOURCE)


def stale(db_path: Path | str, root: Path | None = None) -> bool:
    """True when the database file changed after the newest version was published (or none exists)."""
    root = root or snapshot_root(db_path)
    folder = current_version(root)
    if folder is None:
        return True
    try:
        source = json.loads((root / SOURCE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return True
    return bool(source.get("version") != folder.name
                or source.get("database_signature") != database_signature(db_path))
