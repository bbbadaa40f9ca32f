"""What a team does with the situation room: triage of stories, and the audit log of every action.

A story is marked watched, responded or handled (bevakas, bemött, hanterad) with a note, or cleared. Every
action taken on the page (triage, pausing or resuming a source, rendering a document) is one row of
`audit_log`: who (the account and its organisation), what, when, and the state before and after. Rows are
only inserted: a story's triage state is its newest triage row, so the state and its history never disagree.
A story merged into another by the stories step keeps its triage: the surviving story shows it (and its audit).

Data layer: imports the core (errors, timeutil) and data.store; nothing above it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Sequence

import duckdb

from mediebild.data.store import aware_utc, fetch_dicts, naive_utc
from mediebild.errors import UserError
from mediebild.timeutil import utcnow

Con = duckdb.DuckDBPyConnection

TRIAGE_STATES: tuple[str, ...] = ("watched", "responded", "handled")
NOTE_MAX = 2000


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def _loads(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return value
    loaded = json.loads(value)
    return loaded if isinstance(loaded, dict) else None


def record_action(con: Con, *, user: str, organisation: str | None, action: str, target_kind: str, target_id: str,
                  before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
                  note: str | None = None, now: datetime | None = None) -> int:
    """Append one row to the audit log; returns its id."""
    row = con.execute(
        """INSERT INTO audit_log (acted_at, user_name, organisation, action, target_kind, target_id, state_before,
                                  state_after, note)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
        [naive_utc(now or utcnow()), user, organisation, action, target_kind, target_id, _json(before), _json(after),
         (note or None) and note[:NOTE_MAX]],
    ).fetchone()
    return int(row[0]) if row else 0


def _story_exists(con: Con, story_id: str) -> str | None:
    """The live story that `story_id` is (itself, or the one it was merged into), or None."""
    row = con.execute("SELECT coalesce(merged_into, id) FROM stories WHERE id = ?", [story_id]).fetchone()
    return None if row is None else str(row[0])


def triage_states(con: Con, story_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """story id -> its triage {state, note, at, user, organisation}, for the stories that have one.

    A story's state is its newest triage row, counting the rows of stories merged into it; a cleared story
    (state None) is left out.
    """
    if not story_ids:
        return {}
    rows = con.execute(
        """SELECT coalesce(s.merged_into, a.target_id) AS story, arg_max(a.state_after, a.id), arg_max(a.acted_at, a.id),
                  arg_max(a.user_name, a.id), arg_max(a.organisation, a.id)
           FROM audit_log a LEFT JOIN stories s ON s.id = a.target_id
           WHERE a.action = 'triage' AND a.target_kind = 'story'
             AND coalesce(s.merged_into, a.target_id) IN (SELECT unnest(?::VARCHAR[]))
           GROUP BY story""",
        [list(story_ids)],
    ).fetchall()
    out: dict[str, dict[str, Any]] = {}
    for story, after, at, user, organisation in rows:
        state = _loads(after) or {}
        if state.get("state"):
            out[str(story)] = {"state": state["state"], "note": state.get("note"), "at": aware_utc(at),
                               "user": user, "organisation": organisation}
    return out


def set_triage(con: Con, story_id: str, state: str | None, *, note: str | None, user: str,
               organisation: str | None, now: datetime | None = None) -> dict[str, Any]:
    """Mark a story (None clears its state); one audit row with the state before and after. Returns that row.

    The row is written for the live story (a merged story's id resolves to the story it joined).
    """
    if state is not None and state not in TRIAGE_STATES:
        raise UserError(f"unknown triage state {state!r}: choose watched, responded or handled")
    target = _story_exists(con, story_id)
    if target is None:
        raise UserError(f"no story {story_id!r}")
    clean_note = (note or "").strip()[:NOTE_MAX] or None
    con.execute("BEGIN TRANSACTION")
    try:
        current = triage_states(con, [target]).get(target)
        before = {"state": current["state"], "note": current["note"]} if current else {"state": None, "note": None}
        after = {"state": state, "note": clean_note}
        row_id = record_action(con, user=user, organisation=organisation, action="triage", target_kind="story",
                               target_id=target, before=before, after=after, note=clean_note, now=now)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return {"id": row_id, "story_id": target, "before": before, "after": after}


def audit_for(con: Con, target_kind: str, target_id: str, *, limit: int = 200) -> list[dict[str, Any]]:
    """The audit rows of one target, newest first; for a story also those of the stories merged into it."""
    rows = fetch_dicts(
        con,
        """SELECT a.id, a.acted_at AS at, a.user_name, a.organisation, a.action, a.target_kind, a.target_id,
                  a.state_before AS before, a.state_after AS after, a.note
           FROM audit_log a LEFT JOIN stories s ON a.target_kind = 'story' AND s.id = a.target_id
           WHERE a.target_kind = ? AND (a.target_id = ? OR s.merged_into = ?)
           ORDER BY a.id DESC LIMIT ?""",
        [target_kind, target_id, target_id, limit],
    )
    for row in rows:
        row["before"], row["after"] = _loads(row["before"]), _loads(row["after"])
    return rows


def recent_audit(con: Con, *, limit: int = 50) -> list[dict[str, Any]]:
    """The newest audit rows of every kind."""
    rows = fetch_dicts(
        con,
        """SELECT id, acted_at AS at, user_name, organisation, action, target_kind, target_id,
                  state_before AS before, state_after AS after, note
           FROM audit_log ORDER BY id DESC LIMIT ?""",
        [limit],
    )
    for row in rows:
        row["before"], row["after"] = _loads(row["before"]), _loads(row["after"])
    return rows


def set_source_enabled(con: Con, source_id: str, enabled: bool, *, user: str, organisation: str | None,
                       note: str | None = None, now: datetime | None = None) -> bool:
    """Pause (enabled=False) or resume a source, with an audit row; False when it already was so."""
    row = con.execute("SELECT enabled FROM sources WHERE id = ?", [source_id]).fetchone()
    if row is None:
        raise UserError(f"no source {source_id!r}")
    if bool(row[0]) == enabled:
        return False
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("UPDATE sources SET enabled = ? WHERE id = ?", [enabled, source_id])
        record_action(con, user=user, organisation=organisation,
                      action="source_resume" if enabled else "source_pause", target_kind="source",
                      target_id=source_id, before={"enabled": bool(row[0])}, after={"enabled": enabled},
                      note=note, now=now)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return True
