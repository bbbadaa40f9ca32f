"""Personal data in the store: the pseudonym key, purging social content past retention, forgetting an author.

`privacy_key` keeps the database's secret behind pseudonyms (mediebild.privacy); `social_authors` tells the
documents which links are private persons' posts; `purge_social` blanks social content older than the
retention limit (the row stays, so volumes still count, but title, text, author, link, raw record and
entities go); `forget_author` removes one person's posts everywhere (items, enrichments, entities, stories,
copies, judgements of them, and the reposts that carry their text) and remembers a keyed hash of the handle so a later pass does
not bring them back; `redact_document` replaces a stored document whose items were forgotten.

Data layer: imports the core and data.store only.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from mediebild.data.store import naive_utc
from mediebild.privacy import handle_hash, normalise_handle
from mediebild.timeutil import utcnow

# The author of a social item: its platform and handle, from the monitors' shared raw["social"] record.
AUTHOR_SQL = """
    coalesce(json_extract_string(raw, '$.social.platform'), s.monitor) AS platform,
    coalesce(json_extract_string(raw, '$.social.author_handle'), i.author) AS handle
"""


def privacy_key(con: duckdb.DuckDBPyConnection) -> bytes:
    """The database's pseudonym key, made on first use (a read-only reader without one gets a throwaway key,
    so it can still show documents, with pseudonyms that hold only for that reading)."""
    row = con.execute("SELECT key FROM privacy_key WHERE id = 1").fetchone()
    if row is not None:
        return bytes(row[0])
    key = os.urandom(32)
    try:
        con.execute("INSERT INTO privacy_key VALUES (1, ?, ?)", [key, naive_utc(utcnow())])
    except duckdb.Error:  # a read-only connection
        return key
    return key


def social_authors(con: duckdb.DuckDBPyConnection, urls: list[str]) -> dict[str, tuple[str | None, str]]:
    """url -> (platform, handle) for the social items among these links (their authors are people)."""
    if not urls:
        return {}
    rows = con.execute(
        f"""SELECT i.url, {AUTHOR_SQL} FROM items i LEFT JOIN sources s ON s.id = i.source_id
            WHERE i.kind = 'social' AND i.url IN (SELECT unnest(?::VARCHAR[]))""",
        [sorted(set(urls))],
    ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows if r[2]}


def purge_social(con: duckdb.DuckDBPyConnection, *, before: datetime, now: datetime | None = None) -> int:
    """Blank the content of social items published before `before`; returns how many were purged now."""
    ids = [r[0] for r in con.execute(
        "SELECT id FROM items WHERE kind = 'social' AND published_at < ? AND purged_at IS NULL", [naive_utc(before)]
    ).fetchall()]
    if not ids:
        return 0
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM entities WHERE item_id IN (SELECT unnest(?::VARCHAR[]))", [ids])
        con.execute(
            """UPDATE enrichments SET lemmas = NULL, profile_terms = NULL
               WHERE item_id IN (SELECT unnest(?::VARCHAR[]))""", [ids])
        con.execute(
            """UPDATE items SET title = '', text = '', author = NULL, url = NULL, raw = NULL, purged_at = ?
               WHERE id IN (SELECT unnest(?::VARCHAR[]))""", [naive_utc(now or utcnow()), ids])
        _forget_headlines(con, ids)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(ids)


@dataclass
class Forgotten:
    """What `forget_author` removed: the items (their own posts and reposts of them) and the documents that
    showed any of them (to be redacted and rendered again)."""

    item_ids: list[str] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)


def forget_author(con: duckdb.DuckDBPyConnection, handle: str, *, platform: str | None = None,
                  now: datetime | None = None) -> Forgotten:
    """Remove one person's social posts everywhere, and keep them out of later passes."""
    name = normalise_handle(handle)
    rows = con.execute(
        f"""SELECT i.id, {AUTHOR_SQL} FROM items i LEFT JOIN sources s ON s.id = i.source_id
            WHERE i.kind = 'social'"""
    ).fetchall()
    own = [r[0] for r in rows if r[2] and normalise_handle(r[2]) == name and (platform is None or r[1] == platform)]
    if not own:
        return Forgotten()
    reposts = [r[0] for r in con.execute(
        """SELECT id FROM items WHERE kind = 'social'
           AND json_extract_string(raw, '$.social.repost_of') IN (SELECT unnest(?::VARCHAR[]))""", [own]).fetchall()]
    ids = sorted(set(own) | set(reposts))
    documents = [
        {"id": r[0], "kind": r[1], "period_start": r[2], "period_end": r[3], "lang": r[4], "format": r[5]}
        for r in con.execute(
            """SELECT id, kind, period_start, period_end, lang, format FROM digests
               WHERE redacted_at IS NULL AND list_has_any(item_ids, ?::VARCHAR[]) ORDER BY id""", [ids]).fetchall()
    ]
    key = privacy_key(con)
    con.execute("BEGIN TRANSACTION")
    try:
        _forget_headlines(con, ids)
        for table, column in (("entities", "item_id"), ("enrichments", "item_id"), ("story_items", "item_id"),
                              ("story_seen", "item_id"), ("copies", "item_id"), ("copies", "copy_of"),
                              ("relevance_base", "item_id"), ("items", "id")):
            con.execute(f"DELETE FROM {table} WHERE {column} IN (SELECT unnest(?::VARCHAR[]))", [ids])
        # an officer's judgement of a forgotten post goes too (its note may quote the post)
        con.execute("DELETE FROM judgements WHERE target = 'item' AND target_id IN (SELECT unnest(?::VARCHAR[]))", [ids])
        con.execute(
            """INSERT INTO forgotten_authors VALUES (?, ?, ?, ?)
               ON CONFLICT (author_hash) DO UPDATE SET forgotten_at = EXCLUDED.forgotten_at,
                   items_removed = forgotten_authors.items_removed + EXCLUDED.items_removed""",
            [handle_hash(key, name), platform, naive_utc(now or utcnow()), len(ids)],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return Forgotten(ids, documents)


def redact_document(con: duckdb.DuckDBPyConnection, document_id: str, body: bytes, reason: str,
                    now: datetime | None = None) -> None:
    """Replace a stored document's body with a redaction notice; its row (period, ids) stays for the record."""
    con.execute(
        """UPDATE digests SET body = ?, checksum = ?, redacted_at = ?, redacted_reason = ?,
               item_ids = [], story_ids = [] WHERE id = ?""",
        [body, hashlib.sha256(body).hexdigest(), naive_utc(now or utcnow()), reason, document_id],
    )


def _forget_headlines(con: duckdb.DuckDBPyConnection, ids: list[str]) -> None:
    """Stories and alerts that quote these items lose the quote; the next stories pass picks a new one."""
    stories = [r[0] for r in con.execute(
        "SELECT id FROM stories WHERE representative_item_id IN (SELECT unnest(?::VARCHAR[]))", [ids]).fetchall()]
    if stories:
        con.execute(
            """UPDATE stories SET headline = NULL, url = NULL, representative_item_id = NULL
               WHERE id IN (SELECT unnest(?::VARCHAR[]))""", [stories])
        con.execute("UPDATE alerts SET headline = NULL WHERE story_id IN (SELECT unnest(?::VARCHAR[]))", [stories])
