"""What a team does with the situation room: triage of stories, and the audit log of every action.

A story is marked watched, responded or handled (bevakas, bemött, hanterad) with a note, or cleared. Every
action taken on the page (triage, pausing or resuming a source, rendering a document) is one row of
`audit_log`: who (the account and its organisation), what, when, and the state before and after. Rows are
only inserted: a story's triage state is its newest triage row, so the state and its history never disagree.
A story merged into another by the stories step keeps its triage: the surviving story shows it (and its audit).
The page's other actions write here too, each with its audit row in the same transaction: an officer's
relevance judgement of an item or a story (`judge`, stored as the judgements `mediebild judge` writes and
relevance learning reads), a source added (`add_source_audited`), the incident profile set
(`set_profile_audited`), and changes to accounts (`audit_user`).

Data layer: imports the core (errors, timeutil) and data.store; nothing above it.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterator, Sequence

import duckdb

from mediebild.data.judgements import add_judgement, judgement_states
from mediebild.data.profiles import load_active_profile, save_profile
from mediebild.data.store import SourceChange, Store, aware_utc, fetch_dicts, naive_utc
from mediebild.errors import UserError
from mediebild.profile import Profile
from mediebild.sources import SourceConfig
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


@contextmanager
def _atomic(con: Con) -> Iterator[Con]:
    """BEGIN ... COMMIT around a block (ROLLBACK when it raises)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def judge(con: Con, kind: str, target_id: str, relevant: bool, *, user: str, organisation: str | None,
          note: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """An officer judges an item or a story relevant or not: one judgement (data.judgements, as `mediebild judge`
    writes it, so relevance learning uses it) and one audit row with the judgement before and after.

    A story merged into another is judged as the story it joined. Returns {"id", "target_id", "before", "after"}.
    """
    if kind == "story":
        live = _story_exists(con, target_id)
        if live is None:
            raise UserError(f"no story {target_id!r}")
        target_id = live
    elif kind == "item":
        if not con.execute("SELECT 1 FROM items WHERE id = ?", [target_id]).fetchall():
            raise UserError(f"no item {target_id!r}")
    else:
        raise UserError(f"a judgement is about an item or a story, not {kind!r}")
    clean_note = (note or "").strip()[:NOTE_MAX] or None
    with _atomic(con):
        current = judgement_states(con, kind, [target_id]).get(target_id)
        before = {"relevant": current["relevant"] if current else None}
        after = {"relevant": bool(relevant)}
        add_judgement(con, target_id, bool(relevant), by=user, note=clean_note, kind=kind, now=now)
        row_id = record_action(con, user=user, organisation=organisation, action="judge", target_kind=kind,
                               target_id=target_id, before=before, after=after, note=clean_note, now=now)
    return {"id": row_id, "target_id": target_id, "before": before, "after": after}


def add_source_audited(store: Store, source: SourceConfig, *, user: str, organisation: str | None,
                       now: datetime | None = None) -> SourceChange:
    """`Store.add_source` (the rules of `mediebild sources add`: a source that fetches the same thing exists and
    nothing changes; a taken id or name gets a suffix), with an audit row when a source was added."""
    change = store.add_source(source, now=now)
    if change.status == "added":
        s = change.source
        record_action(store.con, user=user, organisation=organisation, action="source_add", target_kind="source",
                      target_id=s.id, after={"url": s.url, "kind": s.monitor, "name": s.name, "query": s.query},
                      now=now)
    return change


def set_profile_audited(con: Con, profile: Profile, *, user: str, organisation: str | None,
                        note: str | None = None, now: datetime | None = None) -> int:
    """Make `profile` the active incident profile (as `mediebild profile set`), with an audit row naming the
    profile before and after (name and fingerprint). Returns the new profile's id."""
    with _atomic(con):
        old = load_active_profile(con)
        new_id = save_profile(con, profile)
        record_action(con, user=user, organisation=organisation, action="profile_set", target_kind="profile",
                      target_id=str(new_id), before=None if old is None else {"name": old.name, "key": old.key},
                      after={"name": profile.name, "key": profile.key}, note=note, now=now)
    return new_id


def audit_user(con: Con, action: str, name: str, *, user: str, organisation: str | None,
               before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
               now: datetime | None = None) -> int:
    """An audit row for a change to an account (user_add, user_role, user_disable, user_password)."""
    return record_action(con, user=user, organisation=organisation, action=action, target_kind="user",
                         target_id=name, before=before, after=after, now=now)


def audit_of_kind(con: Con, target_kind: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """The newest audit rows about one kind of target (source, document, profile, user)."""
    rows = fetch_dicts(
        con,
        """SELECT id, acted_at AS at, user_name, organisation, action, target_kind, target_id,
                  state_before AS before, state_after AS after, note
           FROM audit_log WHERE target_kind = ? ORDER BY id DESC LIMIT ?""",
        [target_kind, limit],
    )
    for row in rows:
        row["before"], row["after"] = _loads(row["before"]), _loads(row["after"])
    return rows


def audit_for_items(con: Con, item_ids: Sequence[str], *, limit: int = 200) -> list[dict[str, Any]]:
    """The audit rows of a set of items (their judgements), newest first."""
    if not item_ids:
        return []
    rows = fetch_dicts(
        con,
        """SELECT id, acted_at AS at, user_name, organisation, action, target_kind, target_id,
                  state_before AS before, state_after AS after, note
           FROM audit_log WHERE target_kind = 'item' AND target_id IN (SELECT unnest(?::VARCHAR[]))
           ORDER BY id DESC LIMIT ?""",
        [list(item_ids), limit],
    )
    for row in rows:
        row["before"], row["after"] = _loads(row["before"]), _loads(row["after"])
    return rows
