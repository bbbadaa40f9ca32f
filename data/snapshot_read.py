"""Reading a published snapshot: one DuckDB connection whose tables and views are the snapshot's files.

`open_snapshot(db)` is what a reader outside the writing process calls. It opens the version `CURRENT` names
(publishing one first when the database changed since, and nobody is writing it), in an in-memory DuckDB
whose views read that version's Parquet files. The version folder never changes, so everything read through
one connection is one committed state of the store, however long the reader takes, while the writer goes on.

The connection has the store's tables by their own names (items, enrichments, stories, …: so the read-only
commands work on it unchanged) and the documented analysts' views (`VIEWS`, documented in README): these
are also written as `views.sql` into every version, for DuckDB's CLI (`duckdb -init <version>/views.sql`) or
a notebook.

Data layer: imports the core (errors), data.snapshot and data.snapshot_tables; nothing above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from mediebild.data.snapshot_tables import TABLES, WIDE_ITEM_COLUMNS
from mediebild.errors import StoreError

LOCAL = "((%s AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/Stockholm')"

# The analysts' views: name -> (what a row is, SQL). README documents every column.
VIEWS: dict[str, tuple[str, str]] = {
    "items_enriched": ("one item with its enrichments, story, original (when a copy) and entities", """
        SELECT i.id, i.published_at, {local_published} AS published_local, i.first_seen_at, i.updated_at,
               i.version, i.source_id, s.name AS source_name, s.monitor AS platform, i.kind,
               coalesce(i.enriched_lang, i.lang) AS lang, i.title, i.text, i.url, i.author,
               i.relevance, i.relevant, i.informativeness, i.info_type, i.source_type, i.tone,
               i.story_id, i.copy_of, i.copy_how, i.entities, i.purged_at
          FROM items_wide i LEFT JOIN sources s ON s.id = i.source_id"""),
    "entity_mentions": ("one mention of a person, organisation, place or other name in an item", """
        SELECT n.item_id, i.published_at, i.source_id, i.kind, coalesce(e.lang, i.lang) AS lang, n.label,
               coalesce(n.norm_id, n.label || ':' || lower(n.text)) AS entity, n.text AS name,
               e.relevant, e.info_type, si.story_id
          FROM entities n JOIN items i ON i.id = n.item_id
          LEFT JOIN enrichments e ON e.item_id = i.id
          LEFT JOIN story_items si ON si.item_id = i.id"""),
    "stories_overview": ("one live story (merged ones are left out), counted from its items", """
        SELECT st.id, st.headline, st.url, st.first_seen, st.last_seen, count(si.item_id) AS items,
               count(DISTINCT i.source_id) AS sources, count(*) FILTER (WHERE i.kind = 'editorial') AS editorial,
               count(*) FILTER (WHERE i.kind = 'social') AS social,
               count(*) FILTER (WHERE i.kind = 'official') AS official,
               st.rumour, st.rumour_reasons, st.confirmed_at, st.confirmed_reason
          FROM stories st
          LEFT JOIN story_items si ON si.story_id = st.id
          LEFT JOIN items i ON i.id = si.item_id
         WHERE st.merged_into IS NULL
         GROUP BY ALL"""),
    "source_health": ("one source with its latest fetch and the last day's record", """
        SELECT s.id AS source_id, s.name, s.monitor, s.item_kind AS kind, s.url, s.enabled,
               last.started_at AS last_fetch_at, last.ok AS last_ok, last.http_status AS last_status,
               last.problem AS last_problem,
               (SELECT max(f.started_at) FROM fetches f WHERE f.source_id = s.id AND f.ok) AS last_ok_at,
               (SELECT count(*) FROM fetches f WHERE f.source_id = s.id
                  AND f.started_at >= (SELECT max(started_at) FROM fetches) - INTERVAL 1 DAY) AS fetches_day,
               (SELECT count(*) FROM fetches f WHERE f.source_id = s.id AND NOT f.ok
                  AND f.started_at >= (SELECT max(started_at) FROM fetches) - INTERVAL 1 DAY) AS failures_day,
               (SELECT count(*) FROM items i WHERE i.source_id = s.id) AS items
          FROM sources s
          LEFT JOIN (SELECT * FROM fetches QUALIFY row_number() OVER (PARTITION BY source_id
                                                                      ORDER BY started_at DESC) = 1) last
            ON last.source_id = s.id"""),
    "documents": ("one rendered digest or brief (the body itself is in the table digests)", """
        SELECT id, kind, period_start, period_end, lang, format, version, len(item_ids) AS items,
               len(story_ids) AS stories, octet_length(body) AS bytes, checksum, created_at, redacted_at
          FROM digests"""),
}
ROLLUP_DOCS = {
    "volume_hourly": "items per UTC hour by kind, source, language, information type, tone and relevance",
    "entity_mentions_hourly": "mentions and items per UTC hour and entity, by kind, source, language, type, tone",
    "terms_hourly": "items per UTC hour containing a word (content lemma) or hashtag, by kind, source, language",
}


def _table_sql(folder: Path, name: str, day_keyed: bool) -> str:
    if day_keyed:
        pattern = str(folder / name / "*" / "*.parquet").replace("'", "''")
        return (f"CREATE OR REPLACE VIEW {name} AS SELECT * EXCLUDE (day) FROM read_parquet('{pattern}', "
                "hive_partitioning = true, hive_types = {'day': DATE}, union_by_name = true)")
    pattern = str(folder / name / "data.parquet").replace("'", "''")
    return f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{pattern}')"


def views_sql(folder: Path) -> str:
    """Every view of the version in `folder`, as SQL a DuckDB CLI or notebook can run."""
    statements = [f"-- mediebild snapshot {folder.name}: the store's tables, then the analysts' views"]
    for spec in TABLES:
        if spec.name == "items":  # the wide table; `items` is the store's own columns of it
            statements.append(_table_sql(folder, "items", True).replace("VIEW items AS", "VIEW items_wide AS") + ";")
            statements.append("CREATE OR REPLACE VIEW items AS SELECT * EXCLUDE ("
                              + ", ".join(WIDE_ITEM_COLUMNS) + ") FROM items_wide;")
            continue
        statements.append(_table_sql(folder, spec.name, spec.day is not None) + ";")
    for name, (meaning, sql) in VIEWS.items():
        body = sql.replace("{local_published}", LOCAL % "i.published_at").replace("{{", "{").replace("}}", "}")
        statements.append(f"-- {name}: {meaning}\nCREATE OR REPLACE VIEW {name} AS {body.strip()};")
    return "\n".join(statements) + "\n"


READER_MEMORY = "1GB"  # a reader spills to disk beyond this (big sorts, exports), so readers never starve the writer


def connect_folder(folder: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the views of one version folder (memory capped, spilling to the
    system's temporary folder)."""
    import tempfile

    spill = Path(tempfile.gettempdir()) / "mediebild-spill"
    con = duckdb.connect(":memory:", config={"memory_limit": READER_MEMORY, "temp_directory": str(spill)})
    try:
        con.execute(views_sql(folder))
    except duckdb.Error as exc:
        con.close()
        raise StoreError(f"cannot read the snapshot {folder}: {str(exc).splitlines()[0]}") from exc
    return con


HELD_BYTES = 8 * 2**20  # a table of the version whose Parquet files are smaller than this is held in memory
NEVER_HELD = frozenset({"items", "enrichments", "entities", "story_items", "copies", "story_seen", "digests"})


def hold_small_tables(con: duckdb.DuckDBPyConnection, folder: Path) -> list[str]:
    """Copy the version's small tables (stories, sources, the rollups, alerts, fetches, the audit log …) into
    `con`'s memory, under their own names; the tables keyed by item and the documents stay Parquet views.

    For a reader that keeps a version open and asks it many short questions (the page): each would otherwise
    list the table's files and read its footers (a few ms each, a dozen per page), and joining a held table
    costs nothing to read. Done once when the version is opened, off the request path; the answers are the same.
    """
    held = []
    for spec in TABLES:
        if spec.name in NEVER_HELD:
            continue
        try:
            size = sum(f.stat().st_size for f in (folder / spec.name).rglob("*.parquet"))
        except FileNotFoundError:
            continue
        if size > HELD_BYTES:
            continue
        con.execute(f"CREATE TABLE held_{spec.name} AS SELECT * FROM {spec.name}")
        con.execute(f"CREATE OR REPLACE VIEW {spec.name} AS SELECT * FROM held_{spec.name}")
        held.append(spec.name)
    return held


@dataclass
class Snapshot:
    """An open snapshot: the connection, the version folder and its metadata."""

    con: duckdb.DuckDBPyConnection
    folder: Path
    meta: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.meta["version"])

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Snapshot":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_snapshot(db_path: Path | str, *, refresh: bool = True) -> Snapshot:
    """The newest published snapshot of `db_path`.

    With `refresh`, a snapshot older than the database file is republished first when nobody is writing the
    file (a writer publishes after its pass anyway). A database without any snapshot while a writer holds it
    is a StoreError saying to wait for the pass.
    """
    from mediebild.data.snapshot import current_version, read_meta, refresh_if_stale, snapshot_root

    db_path = Path(db_path)
    if refresh:
        refresh_if_stale(db_path)
    folder = current_version(snapshot_root(db_path))
    if folder is None:
        if not db_path.exists():
            raise StoreError(f"no database at {db_path}: run `mediebild init --db {db_path}` first")
        raise StoreError(f"{db_path} is being written and has no snapshot yet: try again after the pass")
    return Snapshot(connect_folder(folder), folder, read_meta(folder))


def snapshot_store(db_path: Path | str) -> Any:
    """A read-only Store over the newest snapshot, for the read-only commands while a writer holds the file.

    The store's tables have their own names in a snapshot, so a command's queries run unchanged; the
    tables that are never published (users, the privacy key, clustering state) are missing there.
    """
    from mediebild.data.store import Store

    snapshot = open_snapshot(db_path)
    return Store(snapshot.con, Path(db_path), read_only=True)
