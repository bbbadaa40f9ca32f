"""Reads for people and analysts: the health of every source.

Every function takes a duckdb connection (read-only is enough) and returns plain dicts with aware
UTC datetimes, so the CLI, the reports and the tests share one reading of the tables.

Data layer: imports data.store and the core; nothing above it.
"""

from __future__ import annotations

import json

from datetime import datetime
from typing import Any

from mediebild.data.store import aware_utc, naive_utc


def source_health(con, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Per source: last success, last error, error streak, items per hour (last 24 h of its fetches)."""
    rows = con.execute(
        """
        WITH f AS (
            SELECT source_id, finished_at, ok, problem,
                   row_number() OVER (PARTITION BY source_id ORDER BY finished_at DESC, id DESC) AS rn
            FROM fetches
        ),
        last_ok AS (SELECT source_id, max(finished_at) AS at FROM fetches WHERE ok GROUP BY source_id),
        last_err AS (SELECT source_id, arg_max(problem, finished_at) AS problem, max(finished_at) AS at
                     FROM fetches WHERE NOT ok GROUP BY source_id),
        streak AS (
            SELECT f.source_id, count(*) AS n FROM f LEFT JOIN last_ok USING (source_id)
            WHERE NOT f.ok AND (last_ok.at IS NULL OR f.finished_at > last_ok.at) GROUP BY f.source_id
        ),
        latest AS (SELECT source_id, finished_at AS at, ok FROM f WHERE rn = 1),
        volume AS (
            SELECT i.source_id, count(*) AS n FROM items i JOIN latest USING (source_id)
            WHERE i.first_seen_at > coalesce(?, latest.at) - INTERVAL 24 HOUR GROUP BY i.source_id
        ),
        warnings AS (
            SELECT p.source_id, count(*) AS n FROM problems p JOIN latest USING (source_id)
            WHERE p.severity = 'warning' AND p.recorded_at > latest.at - INTERVAL 24 HOUR GROUP BY p.source_id
        )
        SELECT s.id, s.name, s.monitor, s.item_kind, s.url, s.enabled,
               last_ok.at, last_err.at, last_err.problem, coalesce(streak.n, 0), latest.at, latest.ok,
               coalesce(volume.n, 0), coalesce(warnings.n, 0),
               (SELECT count(*) FROM fetches x WHERE x.source_id = s.id), s.cursor
        FROM sources s
        LEFT JOIN last_ok ON last_ok.source_id = s.id
        LEFT JOIN last_err ON last_err.source_id = s.id
        LEFT JOIN streak ON streak.source_id = s.id
        LEFT JOIN latest ON latest.source_id = s.id
        LEFT JOIN volume ON volume.source_id = s.id
        LEFT JOIN warnings ON warnings.source_id = s.id
        ORDER BY coalesce(streak.n, 0) DESC, s.id
        """,
        [naive_utc(now)],
    ).fetchall()
    result = []
    for r in rows:
        status = "never_fetched" if r[14] == 0 else ("ok" if r[11] else "failing")
        result.append(
            {
                "id": r[0], "name": r[1], "monitor": r[2], "item_kind": r[3], "url": r[4], "enabled": r[5],
                "last_success": aware_utc(r[6]), "last_error_at": aware_utc(r[7]), "last_error": r[8],
                "error_streak": r[9], "last_fetch": aware_utc(r[10]), "status": status,
                "items_per_hour": round(r[12] / 24.0, 2), "warnings_24h": r[13], "fetches": r[14],
                **rate_limit_state(r[15]),
            }
        )
    return result


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return aware_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


def rate_limit_state(cursor_json: str | None) -> dict[str, Any]:
    """What an API source's cursor says about its budget: the next allowed call and the platform's last
    rate-limit figures (`next_call_at`, `rate_limit`); None for feeds, which have neither."""
    try:
        cursor = json.loads(cursor_json) if cursor_json else {}
    except ValueError:
        cursor = {}
    if not isinstance(cursor, dict):
        cursor = {}
    pacing = cursor.get("pacing")
    pacing = pacing if isinstance(pacing, dict) else {}
    next_call = _when(cursor.get("next_call_at")) or _when(pacing.get("next_call_at")) or _when(pacing.get("not_before"))
    limits = cursor.get("ratelimit")
    limits = limits if isinstance(limits, dict) else None
    return {"next_call_at": next_call, "rate_limit": limits}
