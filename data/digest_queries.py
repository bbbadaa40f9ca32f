"""The reads that the hourly digest and the conference brief need, and the digests/sends tables.

Every function takes a duckdb connection (`store.con`) of a store at the current schema (Store.open checks
it) and aware UTC datetimes, and returns plain dicts with aware UTC datetimes. Nothing here knows how a
document looks. The later steps (enrichment, stories) may not have run yet: their readers then return None
or an empty list, so a digest works on a database with only items, sources, fetches and problems.

Data layer: imports the core (items, timeutil), duckdb and the rest of data/; nothing above it.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Any

import duckdb

from mediebild.data.item_filter import NO_FILTER, ItemFilter
from mediebild.data.store import fetch_dicts as _rows
from mediebild.data.store import naive_utc as _naive
from mediebild.data.store import scalar
from mediebild.data.stories import list_alerts, list_stories
from mediebild.items import KINDS
from mediebild.timeutil import as_utc, hours, utcnow

Con = duckdb.DuckDBPyConnection

# Entity labels that count as places and as organisations, whatever tag set the NER model uses.
PLACE_LABELS = ("LOC", "GPE", "PLACE", "FAC")
ORG_LABELS = ("ORG", "ORGANISATION", "ORGANIZATION")


def _any(con: Con, sql: str) -> bool:
    return bool(scalar(con, f"SELECT count(*) FROM ({sql} LIMIT 1)"))


def enrichment_ran(con: Con) -> bool:
    """True once the enrichment step has written something."""
    return _any(con, "SELECT 1 FROM enrichments")


def has_relevance(con: Con) -> bool:
    """True once enrichment has judged the relevance of some item."""
    return _any(con, "SELECT 1 FROM enrichments WHERE relevant IS NOT NULL")


class PeriodItems:
    """The items of [start, end) with their enrichment, materialised once as a temporary table.

    Joining the whole enrichments table costs a scan of it per query (about 0.3 s at 1M rows), so the
    digest joins it once here and every figure and list of the period reads the small temporary table.
    Use as a context manager; the table is dropped on exit.
    """

    def __init__(self, con: Con, start: datetime, end: datetime, item_filter: ItemFilter = NO_FILTER):
        self.con, self.start, self.end = con, as_utc(start), as_utc(end)
        self.item_filter = item_filter
        self.table = f"digest_period_{uuid.uuid4().hex[:12]}"
        self.enriched = enrichment_ran(con)
        # a label counts only once some item has it: enrichment may run before its classifiers exist
        self.relevance_known = has_relevance(con)
        self.info_known = _any(con, "SELECT 1 FROM enrichments WHERE info_type IS NOT NULL")

    def __enter__(self) -> "PeriodItems":
        chosen, params = self.item_filter.where(enriched=self.enriched)
        self.con.execute(
            f"""CREATE TEMP TABLE {self.table} AS
                SELECT i.id, i.source_id, coalesce(s.name, i.source_id) AS source_name, i.kind, i.url, i.title,
                       i.text, i.author, i.published_at, i.content_hash, e.relevant, e.info_type
                FROM items i LEFT JOIN sources s ON s.id = i.source_id LEFT JOIN enrichments e ON e.item_id = i.id
                WHERE i.published_at >= ? AND i.published_at < ? AND {chosen}""",
            [_naive(self.start), _naive(self.end), *params],
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {self.table}")

    def counts(self) -> dict[str, Any]:
        """Total, relevant (None before enrichment has run) and by kind."""
        by_kind = dict.fromkeys(KINDS, 0)
        relevant = 0
        for kind, n, rel in self.con.execute(
            f"SELECT kind, count(*), count(*) FILTER (WHERE relevant) FROM {self.table} GROUP BY kind"
        ).fetchall():
            by_kind[kind] = by_kind.get(kind, 0) + n
            relevant += rel
        return {"items": sum(by_kind.values()), "relevant": relevant if self.relevance_known else None, "by_kind": by_kind}

    def per_source(self) -> list[dict[str, Any]]:
        return _rows(
            self.con,
            f"""SELECT source_id, max(source_name) AS name, max(kind) AS kind, count(*) AS items
                FROM {self.table} GROUP BY source_id ORDER BY items DESC, name""",
        )

    def newest(self, *, limit: int = 15, kind: str | None = None) -> list[dict[str, Any]]:
        """The newest items (not those enrichment found irrelevant), optionally of one kind."""
        return _rows(
            self.con,
            f"""SELECT id, title, url, kind, source_id, source_name, published_at, text, author
                FROM {self.table} WHERE coalesce(relevant, TRUE) AND (? IS NULL OR kind = ?)
                ORDER BY published_at DESC, id LIMIT ?""",
            [kind, kind, limit],
        )

    def copy_groups(self, *, limit: int = 10) -> list[dict[str, Any]]:
        """Groups sharing a content hash (agency copies): a rough 'top stories' before clustering exists."""
        return _rows(
            self.con,
            f"""SELECT content_hash AS id, arg_min(title, published_at) AS headline, arg_min(url, published_at) AS url,
                       min(published_at) AS first_seen, max(published_at) AS last_seen, count(*) AS n_items,
                       count(DISTINCT source_id) AS n_outlets, list(id ORDER BY published_at) AS item_ids
                FROM {self.table} WHERE coalesce(relevant, TRUE)
                GROUP BY content_hash HAVING count(*) > 1
                ORDER BY n_outlets DESC, n_items DESC, first_seen LIMIT ?""",
            [limit],
        )

    def item_ids(self) -> list[str]:
        return [r[0] for r in self.con.execute(f"SELECT id FROM {self.table} ORDER BY published_at, id").fetchall()]

    def info_types(self, *, examples: int = 3) -> list[dict[str, Any]]:
        """Relevant items per information type (caution and advice, affected people, ...), with examples."""
        if not self.info_known:
            return []
        return _rows(
            self.con,
            f"""SELECT info_type, count(*) AS items,
                       list({{'id': id, 'title': title, 'url': url, 'source': source_id}} ORDER BY published_at DESC)[1:?] AS examples
                FROM {self.table} WHERE coalesce(relevant, TRUE) AND info_type IS NOT NULL
                GROUP BY info_type ORDER BY items DESC, info_type""",
            [examples],
        )

    def top_entities(self, labels: tuple[str, ...], *, limit: int = 10) -> list[dict[str, Any]]:
        """Most-named entities with one of `labels` (distinct items per name)."""
        marks = ", ".join("?" for _ in labels)
        return _rows(
            self.con,
            f"""SELECT mode(n.text) AS text, max(n.label) AS label, count(DISTINCT n.item_id) AS items
                FROM entities n JOIN {self.table} p ON p.id = n.item_id
                WHERE upper(n.label) IN ({marks}) GROUP BY coalesce(n.norm_id, n.text) ORDER BY items DESC, text LIMIT ?""",
            [*[label.upper() for label in labels], limit],
        )


# -- figures ----------------------------------------------------------------------------------
# One-off reads of a period; the digest itself uses one PeriodItems for all of them.


def period_counts(con: Con, start: datetime, end: datetime, item_filter: ItemFilter = NO_FILTER) -> dict[str, Any]:
    """Items published in [start, end): total, relevant (None before enrichment) and by kind."""
    with PeriodItems(con, start, end, item_filter) as period:
        return period.counts()


def items_per_source(con: Con, start: datetime, end: datetime) -> list[dict[str, Any]]:
    with PeriodItems(con, start, end) as period:
        return period.per_source()


def newest_items(con: Con, start: datetime, end: datetime, *, limit: int = 15, kind: str | None = None) -> list[dict[str, Any]]:
    with PeriodItems(con, start, end) as period:
        return period.newest(limit=limit, kind=kind)


def official_statements(con: Con, start: datetime, end: datetime, *, limit: int = 10) -> list[dict[str, Any]]:
    """Official notices of the period (police, authorities), to be quoted verbatim."""
    return newest_items(con, start, end, limit=limit, kind="official")


def vma_items(con: Con, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """VMAs (Viktigt meddelande till allmänheten) issued, updated or cancelled in the period: the monitors mark
    them raw.alert = 'vma' (Sveriges Radio's VMA API, Krisinformation's VMA feed). Always an alert."""
    return _rows(
        con,
        """SELECT i.id, i.title, i.text, i.url, i.kind, i.source_id, coalesce(s.name, i.source_id) AS source_name,
                  i.published_at, i.updated_at, i.version, json_extract_string(i.raw, '$.msg_type') AS msg_type
           FROM items i LEFT JOIN sources s ON s.id = i.source_id
           WHERE json_extract_string(i.raw, '$.alert') = 'vma'
             AND ((i.published_at >= ? AND i.published_at < ?) OR (i.updated_at >= ? AND i.updated_at < ?))
           ORDER BY coalesce(i.updated_at, i.published_at) DESC, i.id""",
        [_naive(start), _naive(end), _naive(start), _naive(end)],
    )


def official_updates(con: Con, start: datetime, end: datetime, *, limit: int = 10) -> list[dict[str, Any]]:
    """Official notices published earlier and edited in the period (an all-clear arrives as an edit of the same
    Krisinformation item): what they say now, and when they changed."""
    return _rows(
        con,
        """SELECT i.id, i.title, i.text, i.url, i.kind, i.source_id, coalesce(s.name, i.source_id) AS source_name,
                  i.published_at, i.updated_at, i.version
           FROM items i LEFT JOIN sources s ON s.id = i.source_id
           WHERE i.kind = 'official' AND i.updated_at >= ? AND i.updated_at < ? AND i.published_at < ?
           ORDER BY i.updated_at DESC, i.id LIMIT ?""",
        [_naive(start), _naive(end), _naive(start), limit],
    )


def copy_groups(con: Con, start: datetime, end: datetime, *, limit: int = 10) -> list[dict[str, Any]]:
    with PeriodItems(con, start, end) as period:
        return period.copy_groups(limit=limit)


def item_ids(con: Con, start: datetime, end: datetime) -> list[str]:
    with PeriodItems(con, start, end) as period:
        return period.item_ids()


def info_type_counts(con: Con, start: datetime, end: datetime, *, examples: int = 3) -> list[dict[str, Any]]:
    with PeriodItems(con, start, end) as period:
        return period.info_types(examples=examples)


def top_entities(con: Con, start: datetime, end: datetime, labels: tuple[str, ...], *, limit: int = 10) -> list[dict[str, Any]]:
    with PeriodItems(con, start, end) as period:
        return period.top_entities(labels, limit=limit)


def volume_by_hour(con: Con, start: datetime, end: datetime,
                   item_filter: ItemFilter = NO_FILTER) -> list[dict[str, Any]]:
    """Items per hour and kind for every hour in [start, end), zero-filled (only the chosen items, if filtered)."""
    counts: dict[datetime, dict[str, int]] = {h: dict.fromkeys(KINDS, 0) for h in hours(start, end)}
    join, chosen = "", "TRUE"
    params: list[Any] = []
    if item_filter.active:
        chosen, params = item_filter.where(enriched=enrichment_ran(con))
        join = "LEFT JOIN enrichments e ON e.item_id = i.id"
    for hour, kind, n in con.execute(
        f"""SELECT date_trunc('hour', i.published_at) AS h, i.kind, count(*) FROM items i {join}
            WHERE i.published_at >= ? AND i.published_at < ? AND {chosen} GROUP BY h, i.kind""",
        [_naive(start), _naive(end), *params],
    ).fetchall():
        slot = counts.setdefault(as_utc(hour), dict.fromkeys(KINDS, 0))
        slot[kind] = slot.get(kind, 0) + n
    return [{"hour": h, **counts[h]} for h in sorted(counts)]


# -- source health ------------------------------------------------------------------------------


def failing_sources(con: Con, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Sources whose fetches failed in [start, end), and enabled sources not fetched at all then.

    Silence is only reported when some fetch ran in the period (otherwise nothing ran: said elsewhere).
    """
    failed = _rows(
        con,
        """SELECT f.source_id, coalesce(max(s.name), f.source_id) AS name,
                  count(*) FILTER (WHERE NOT f.ok) AS failures, count(*) AS fetches,
                  arg_max(f.problem, f.finished_at) FILTER (WHERE NOT f.ok) AS problem,
                  max(f.finished_at) FILTER (WHERE NOT f.ok) AS last_failure,
                  'failed' AS status
           FROM fetches f LEFT JOIN sources s ON s.id = f.source_id
           WHERE f.started_at >= ? AND f.started_at < ?
           GROUP BY f.source_id HAVING count(*) FILTER (WHERE NOT f.ok) > 0
           ORDER BY failures DESC, name""",
        [_naive(start), _naive(end)],
    )
    ran = scalar(con, "SELECT count(*) FROM fetches WHERE started_at >= ? AND started_at < ?", [_naive(start), _naive(end)])
    if ran:
        failed += _rows(
            con,
            """SELECT s.id AS source_id, s.name, 0 AS failures, 0 AS fetches, NULL AS problem,
                      NULL::TIMESTAMP AS last_failure, 'not_fetched' AS status
               FROM sources s WHERE s.enabled AND NOT EXISTS (
                   SELECT 1 FROM fetches f WHERE f.source_id = s.id AND f.started_at >= ? AND f.started_at < ?)
               ORDER BY s.name""",
            [_naive(start), _naive(end)],
        )
    return failed


def fetch_summary(con: Con, start: datetime, end: datetime) -> dict[str, int]:
    row = con.execute(
        """SELECT count(*) FILTER (WHERE ok), count(*) FILTER (WHERE NOT ok), count(DISTINCT source_id)
           FROM fetches WHERE started_at >= ? AND started_at < ?""",
        [_naive(start), _naive(end)],
    ).fetchone()
    ok, bad, sources = row if row is not None else (0, 0, 0)
    return {"ok": ok or 0, "failed": bad or 0, "sources": sources or 0}


# -- stories and alerts (once the stories step has run) ------------------------------------------


def stories_ran(con: Con) -> bool:
    """True once the stories step has looked at items."""
    return _any(con, "SELECT 1 FROM story_seen")


def stories(con: Con, start: datetime, end: datetime, *, limit: int = 10) -> list[dict[str, Any]] | None:
    """Stories active in the period, or None when the stories step has not run."""
    if not stories_ran(con):
        return None
    return list_stories(con, since=as_utc(start), until=as_utc(end), limit=limit)


def alerts(con: Con, start: datetime, end: datetime) -> list[dict[str, Any]] | None:
    """Alerts of the period, or None before the stories step. An alert is raised at the end of the hour that
    spiked, so (start, end]."""
    if not stories_ran(con):
        return None
    tick = timedelta(microseconds=1)
    return list_alerts(con, since=as_utc(start) + tick, until=as_utc(end) + tick)


# -- digests table ------------------------------------------------------------------------------


def next_version(con: Con, *, kind: str, period_start: datetime, period_end: datetime, lang: str, fmt: str) -> int:
    latest = scalar(
        con,
        """SELECT max(version) FROM digests
           WHERE kind = ? AND period_start = ? AND period_end = ? AND lang = ? AND format = ?""",
        [kind, _naive(period_start), _naive(period_end), lang, fmt],
    )
    return int(latest or 0) + 1


def insert_digest(
    con: Con,
    *,
    id: str,
    kind: str,
    period_start: datetime,
    period_end: datetime,
    lang: str,
    fmt: str,
    version: int,
    body: bytes,
    item_ids: list[str],
    story_ids: list[str],
    created_at: datetime | None = None,
) -> str:
    """Store one rendered document; returns its sha256 checksum. Ids are never overwritten."""
    checksum = hashlib.sha256(body).hexdigest()
    con.execute(
        """INSERT INTO digests (id, kind, period_start, period_end, lang, format, version, body, item_ids,
                                story_ids, checksum, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [id, kind, _naive(period_start), _naive(period_end), lang, fmt, version, body, item_ids, story_ids,
         checksum, _naive(created_at or utcnow())],
    )
    return checksum


def document_set(con: Con, *, kind: str, period_start: datetime, period_end: datetime, lang: str,
                 version: int) -> list[dict[str, Any]]:
    """Every format of one stored version of a document: [{id, format, body (bytes)}], by id."""
    rows = con.execute(
        """SELECT id, format, body FROM digests WHERE kind = ? AND period_start = ? AND period_end = ? AND lang = ?
           AND version = ? ORDER BY id""",
        [kind, _naive(period_start), _naive(period_end), lang, version],
    ).fetchall()
    return [{"id": doc_id, "format": fmt, "body": bytes(body)} for doc_id, fmt, body in rows]


_DIGEST_META = """id, kind, period_start, period_end, lang, format, version, octet_length(body) AS bytes,
                  len(item_ids) AS n_items, len(story_ids) AS n_stories, checksum, created_at"""


def list_digests(con: Con, *, kind: str | None = None, lang: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Stored documents, newest first; kind "digest" includes the narrowed ones (kind digest-<filter key>)."""
    conds: list[str] = ["TRUE"]
    params: list[Any] = []
    if kind:
        conds.append("(kind = ? OR kind LIKE ? || '-%')")
        params.extend([kind, kind])
    if lang:
        conds.append("lang = ?")
        params.append(lang)
    params.append(limit)
    return _rows(
        con,
        f"SELECT {_DIGEST_META} FROM digests WHERE {' AND '.join(conds)} "
        "ORDER BY period_end DESC, created_at DESC, id LIMIT ?",
        params,
    )


def get_digest(con: Con, digest_id: str, *, with_body: bool = True) -> dict[str, Any] | None:
    extra = ", body, item_ids, story_ids" if with_body else ""
    found = _rows(con, f"SELECT {_DIGEST_META}{extra} FROM digests WHERE id = ?", [digest_id])
    return found[0] if found else None


def previous_document(con: Con, *, kind: str, lang: str, before: datetime) -> dict[str, Any] | None:
    """The latest stored document of this kind and language whose period ended at or before `before`."""
    found = _rows(
        con,
        f"""SELECT {_DIGEST_META} FROM digests WHERE kind = ? AND lang = ? AND period_end <= ?
            ORDER BY period_end DESC, created_at DESC LIMIT 1""",
        [kind, lang, _naive(before)],
    )
    return found[0] if found else None


# -- sends table --------------------------------------------------------------------------------


def delivered_key(*, kind: str, period_start: datetime, lang: str, channel: str, recipient: str) -> str:
    return f"{kind}|{as_utc(period_start).replace(tzinfo=None).isoformat()}|{lang}|{channel}|{recipient}"


def already_delivered(con: Con, *, kind: str, period_start: datetime, lang: str, channel: str, recipient: str) -> bool:
    key = delivered_key(kind=kind, period_start=period_start, lang=lang, channel=channel, recipient=recipient)
    return bool(scalar(con, "SELECT count(*) FROM sends WHERE delivered_key = ?", [key]))


def record_send(
    con: Con,
    *,
    digest_id: str,
    kind: str,
    period_start: datetime,
    period_end: datetime,
    lang: str,
    channel: str,
    recipient: str,
    status: str,
    attempts: int,
    error: str | None = None,
    sent_at: datetime | None = None,
) -> int:
    """Insert one send row; a delivered row carries the unique key that forbids a second delivery."""
    key = (
        delivered_key(kind=kind, period_start=period_start, lang=lang, channel=channel, recipient=recipient)
        if status == "delivered"
        else None
    )
    return int(scalar(
        con,
        """INSERT INTO sends (digest_id, kind, period_start, period_end, lang, channel, recipient, status,
                              attempts, error, sent_at, delivered_key)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
        [digest_id, kind, _naive(period_start), _naive(period_end), lang, channel, recipient, status, attempts,
         (error or None) and error[:1000], _naive(sent_at or utcnow()), key],
    ))


def list_sends(con: Con, *, digest_ids: list[str] | None = None, limit: int = 100) -> list[dict[str, Any]]:
    if digest_ids is not None:
        return _rows(
            con,
            "SELECT * EXCLUDE (delivered_key) FROM sends WHERE list_contains(?, digest_id) ORDER BY id LIMIT ?",
            [digest_ids, limit],
        )
    return _rows(con, "SELECT * EXCLUDE (delivered_key) FROM sends ORDER BY id DESC LIMIT ?", [limit])


def window_before(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The window of the same length just before [start, end)."""
    length: timedelta = as_utc(end) - as_utc(start)
    return as_utc(start) - length, as_utc(start)
