"""Sessions of the situation room in the database (0011_web_sessions.sql), so they survive a restart.

The web layer (web/auth.py) makes the token and keeps its sessions in memory; this module stores what it needs
to find one again after a restart: the SHA-256 of the token (never the token), the account, the CSRF token,
and when the session was made and when it ends. Expired rows are removed when a new session is stored.

Data layer: imports the core (timeutil) and data.store; nothing above it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

from mediebild.data.store import fetch_dicts, naive_utc
from mediebild.timeutil import utcnow

Con = duckdb.DuckDBPyConnection


def save_session(con: Con, token_hash: str, *, user: str, csrf: str, created_at: datetime, expires_at: datetime,
                 now: datetime | None = None) -> None:
    """Store one session (and drop the sessions that have expired)."""
    con.execute("DELETE FROM web_sessions WHERE expires_at <= ?", [naive_utc(now or utcnow())])
    con.execute("INSERT OR REPLACE INTO web_sessions (token_hash, user_name, csrf, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?)", [token_hash, user, csrf, naive_utc(created_at), naive_utc(expires_at)])


def find_session(con: Con, token_hash: str, *, now: datetime | None = None) -> dict[str, Any] | None:
    """The stored session {user_name, csrf, created_at, expires_at} of a token's hash, unless it expired."""
    rows = fetch_dicts(con, "SELECT user_name, csrf, created_at, expires_at FROM web_sessions "
                            "WHERE token_hash = ? AND expires_at > ?", [token_hash, naive_utc(now or utcnow())])
    return rows[0] if rows else None


def live_sessions(con: Con, *, now: datetime | None = None) -> dict[str, dict[str, Any]]:
    """Every stored session that has not expired, by its token's hash (the page keeps them in memory)."""
    rows = fetch_dicts(con, "SELECT token_hash, user_name, csrf, created_at, expires_at FROM web_sessions "
                            "WHERE expires_at > ?", [naive_utc(now or utcnow())])
    return {str(r.pop("token_hash")): r for r in rows}


def delete_session(con: Con, token_hash: str) -> None:
    con.execute("DELETE FROM web_sessions WHERE token_hash = ?", [token_hash])


def delete_user_sessions(con: Con, user: str) -> int:
    """End every stored session of an account; returns how many there were."""
    return len(con.execute("DELETE FROM web_sessions WHERE user_name = ? RETURNING token_hash", [user]).fetchall())


def count_sessions(con: Con, user: str | None = None) -> int:
    row = con.execute("SELECT count(*) FROM web_sessions WHERE ? IS NULL OR user_name = ?", [user, user]).fetchone()
    return int(row[0]) if row else 0
