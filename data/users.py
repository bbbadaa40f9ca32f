"""Accounts of the situation room (web/): who may log in, with which role and for which organisation.

A row holds the name (lower case), the role (reader, editor, admin), the organisation shown with triage
("bemött 10.42 av Länsstyrelsen"), and an argon2 hash of the password. Hashing happens above this layer
(web/auth.py): nothing here ever sees a password. `mediebild users` and the page's Användare write through these
functions; disabling an account or setting its password ends its stored sessions (data/sessions.py).

Data layer: imports the core (errors, timeutil) and data.store; nothing above it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import duckdb

from mediebild.data.sessions import delete_user_sessions
from mediebild.data.store import fetch_dicts, naive_utc
from mediebild.errors import UserError
from mediebild.timeutil import utcnow

ROLES: tuple[str, ...] = ("reader", "editor", "admin")
NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")

_COLUMNS = "name, role, organisation, password_hash, created_at, password_set_at, disabled"


def normalise_name(name: str) -> str:
    """The stored form of a user name (lower case, trimmed); a UserError when it is not a valid name."""
    norm = (name or "").strip().casefold()
    if not NAME.match(norm):
        raise UserError(f"not a valid user name: {name!r} (letters a-z, digits and . _ @ -, at most 64)")
    return norm


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: choose reader, editor or admin")
    return role


def add_user(con: duckdb.DuckDBPyConnection, name: str, *, role: str, password_hash: str,
             organisation: str | None = None, now: datetime | None = None) -> str:
    """Create an account; returns the stored name. A name that exists is a UserError."""
    norm = normalise_name(name)
    check_role(role)
    if get_user(con, norm) is not None:
        raise UserError(f"the user {norm!r} exists: change the password with `mediebild users passwd {norm}`")
    at = naive_utc(now or utcnow())
    con.execute(
        f"INSERT INTO users ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, FALSE)",
        [norm, role, (organisation or "").strip() or None, password_hash, at, at],
    )
    return norm


def get_user(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any] | None:
    """The account (with its password hash), or None; disabled accounts are returned too (with disabled=True)."""
    norm = (name or "").strip().casefold()
    if not NAME.match(norm):
        return None
    rows = fetch_dicts(con, f"SELECT {_COLUMNS} FROM users WHERE name = ?", [norm])
    return rows[0] if rows else None


def all_users(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Every account as get_user gives it (with its password hash), by name: what the page keeps in memory."""
    return {str(r["name"]): r for r in fetch_dicts(con, f"SELECT {_COLUMNS} FROM users ORDER BY name")}


def list_users(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every account, without password hashes, by name."""
    return fetch_dicts(con, "SELECT name, role, organisation, created_at, password_set_at, disabled FROM users ORDER BY name")


def count_users(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT count(*) FROM users WHERE NOT disabled").fetchone()
    return int(row[0]) if row else 0


def set_password(con: duckdb.DuckDBPyConnection, name: str, password_hash: str, *, now: datetime | None = None) -> None:
    norm = normalise_name(name)
    done = con.execute("UPDATE users SET password_hash = ?, password_set_at = ? WHERE name = ? RETURNING name",
                       [password_hash, naive_utc(now or utcnow()), norm]).fetchall()
    if not done:
        raise UserError(f"no user {norm!r} (see `mediebild users list`)")
    delete_user_sessions(con, norm)  # a new password ends the sessions logged in with the old one


def set_role(con: duckdb.DuckDBPyConnection, name: str, role: str) -> None:
    norm = normalise_name(name)
    check_role(role)
    if not con.execute("UPDATE users SET role = ? WHERE name = ? RETURNING name", [role, norm]).fetchall():
        raise UserError(f"no user {norm!r} (see `mediebild users list`)")


def remove_user(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Disable an account (the audit log keeps naming it, so the row stays); it can no longer log in, and its
    stored sessions end."""
    norm = normalise_name(name)
    if not con.execute("UPDATE users SET disabled = TRUE WHERE name = ? RETURNING name", [norm]).fetchall():
        raise UserError(f"no user {norm!r} (see `mediebild users list`)")
    delete_user_sessions(con, norm)
