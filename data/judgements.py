"""Officer judgements and the relevance learner's stored state (0009_judgements.sql).

- `add_judgement` records who judged an item or a story relevant or not, when and why; `list_judgements`
  exports them; `verdicts` gives the judgement in force per item (an item's own newest judgement, else the
  newest judgement of its story). Re-enrichment never touches this table.
- `write_base` keeps each enriched item's profile-and-classifier relevance before learning; `unlearned` and
  `base_rows` read it back with the enrichment's lemmas for the learner; `mark_learned` records what was counted.
- `load_state` / `save_state`: the learner's counts per incident profile.

Data layer: imports the core and pyarrow; knows rows and columns only, nothing of the learner.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa

from mediebild.errors import UserError
from mediebild.timeutil import as_utc, utcnow

TARGETS = ("item", "story")
JUDGEMENT_COLUMNS = ("id", "target", "target_id", "relevant", "note", "judged_by", "judged_at")


def _con(target: Any) -> Any:
    return getattr(target, "con", target)


def _naive(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value).replace(tzinfo=None)


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def resolve_target(target: Any, target_id: str) -> str:
    """`item` or `story` for an id the store knows; a UserError otherwise."""
    con = _con(target)
    if con.execute("SELECT 1 FROM items WHERE id = ?", [target_id]).fetchall():
        return "item"
    if con.execute("SELECT 1 FROM stories WHERE id = ?", [target_id]).fetchall():
        return "story"
    raise UserError(f"no item or story with id {target_id!r} (see `mediebild stories` or `mediebild search`)")


def add_judgement(target: Any, target_id: str, relevant: bool, *, by: str, note: str | None = None,
                  kind: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Record one judgement; returns it as a dict (with its id)."""
    kind = kind or resolve_target(target, target_id)
    if kind not in TARGETS:
        raise UserError(f"a judgement is about an item or a story, not {kind!r}")
    if not by.strip():
        raise UserError("say who judges (--by NAME)")
    when = _naive(now or utcnow())
    row = _con(target).execute(
        """INSERT INTO judgements (target, target_id, relevant, note, judged_by, judged_at)
           VALUES (?, ?, ?, ?, ?, ?) RETURNING id""",
        [kind, target_id, bool(relevant), note, by.strip(), when],
    ).fetchall()[0]
    return {"id": int(row[0]), "target": kind, "target_id": target_id, "relevant": bool(relevant), "note": note,
            "judged_by": by.strip(), "judged_at": _aware(when)}


def list_judgements(target: Any, *, since: datetime | None = None) -> list[dict[str, Any]]:
    """Every judgement, oldest first (the whole history: a later one overrides an earlier one of the same target)."""
    sql = f"SELECT {', '.join(JUDGEMENT_COLUMNS)} FROM judgements"
    params: list[Any] = []
    if since is not None:
        sql += " WHERE judged_at >= ?"
        params.append(_naive(since))
    rows = _con(target).execute(sql + " ORDER BY judged_at, id", params).fetchall()
    out = []
    for row in rows:
        rec = dict(zip(JUDGEMENT_COLUMNS, row))
        rec["judged_at"] = _aware(rec["judged_at"])
        out.append(rec)
    return out


def verdicts(target: Any) -> dict[str, bool]:
    """item id -> the judgement in force: the item's own newest one, else its story's newest one (a story
    judgement covers the items the story holds now, also those of stories merged into it)."""
    con = _con(target)
    rows = con.execute(
        """WITH newest AS (
               SELECT target, target_id, relevant,
                      row_number() OVER (PARTITION BY target, target_id ORDER BY judged_at DESC, id DESC) AS n
               FROM judgements)
           SELECT 'story' AS kind, si.item_id, n.relevant
           FROM newest n
           JOIN stories s ON s.id = n.target_id OR s.merged_into = n.target_id
           JOIN story_items si ON si.story_id = s.id
           WHERE n.n = 1 AND n.target = 'story'
           UNION ALL
           SELECT 'item', target_id, relevant FROM newest WHERE n = 1 AND target = 'item'"""
    ).fetchall()
    out: dict[str, bool] = {}
    for kind, item_id, relevant in sorted(rows, key=lambda r: r[0] == "item"):  # item judgements last: they win
        out[str(item_id)] = bool(relevant)
    return out


# -- what the learner reads and writes ------------------------------------------------------------------

_BASE_SCHEMA = pa.schema([
    ("item_id", pa.string()), ("profile_key", pa.string()), ("base", pa.float64()), ("excluded", pa.bool_()),
    ("published_at", pa.timestamp("us")), ("prior", pa.float64()),
])


def write_base(target: Any, rows: Sequence[dict[str, Any]], *, profile_key: str | None) -> int:
    """Store (replace) the pre-learning relevance of enriched items: dicts with item_id, base, excluded,
    published_at and prior (the cross-incident relevance prior, or None). A replaced row is counted again by the
    learner only under another profile."""
    if not rows:
        return 0
    table = pa.table({
        "item_id": [r["item_id"] for r in rows],
        "profile_key": [profile_key] * len(rows),
        "base": [float(r["base"]) for r in rows],
        "excluded": [bool(r.get("excluded")) for r in rows],
        "published_at": [_naive(r.get("published_at")) for r in rows],
        "prior": [None if r.get("prior") is None else float(r["prior"]) for r in rows],
    }, schema=_BASE_SCHEMA)
    con = _con(target)
    con.register("incoming_base", table)
    try:
        # keep learned_at when the same profile scores the same item again (it was counted already)
        con.execute(
            """INSERT OR REPLACE INTO relevance_base (item_id, profile_key, base, excluded, published_at, learned_at, prior)
               SELECT i.item_id, i.profile_key, i.base, i.excluded, i.published_at,
                      CASE WHEN b.profile_key IS NOT DISTINCT FROM i.profile_key THEN b.learned_at END, i.prior
               FROM incoming_base i LEFT JOIN relevance_base b ON b.item_id = i.item_id"""
        )
    finally:
        con.unregister("incoming_base")
    return len(rows)


_BASE_SELECT = """SELECT b.item_id, b.base, b.excluded, b.published_at, e.lemmas, e.lang, e.relevance, e.relevant,
                         b.prior
                  FROM relevance_base b JOIN enrichments e ON e.item_id = b.item_id"""
_BASE_KEYS = ("item_id", "base", "excluded", "published_at", "lemmas", "lang", "relevance", "relevant", "prior")


def _base_dicts(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        rec = dict(zip(_BASE_KEYS, row))
        rec["published_at"] = _aware(rec["published_at"])
        out.append(rec)
    return out


def unlearned(target: Any, *, profile_key: str | None) -> list[dict[str, Any]]:
    """Items scored under this profile that the learner has not counted yet, oldest first."""
    rows = _con(target).execute(
        _BASE_SELECT + " WHERE b.profile_key IS NOT DISTINCT FROM ? AND b.learned_at IS NULL"
                       " ORDER BY b.published_at, b.item_id", [profile_key]).fetchall()
    return _base_dicts(rows)


def mark_learned(target: Any, item_ids: Sequence[str], *, now: datetime | None = None) -> None:
    if not item_ids:
        return
    con = _con(target)
    con.register("learned_ids", pa.table({"id": pa.array(list(item_ids), pa.string())}))
    try:
        con.execute("UPDATE relevance_base SET learned_at = ? WHERE item_id IN (SELECT id FROM learned_ids)",
                    [_naive(now or utcnow())])
    finally:
        con.unregister("learned_ids")


def base_rows(target: Any, *, profile_key: str | None, since: datetime | None = None,
              item_ids: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Items scored under this profile published at or after `since` (all when None), plus `item_ids`."""
    con = _con(target)
    con.register("extra_ids", pa.table({"id": pa.array(list(item_ids), pa.string())}))
    try:
        rows = con.execute(
            _BASE_SELECT + """ WHERE b.profile_key IS NOT DISTINCT FROM ?
                               AND (? IS NULL OR b.published_at >= ? OR b.item_id IN (SELECT id FROM extra_ids))
                               ORDER BY b.published_at, b.item_id""",
            [profile_key, _naive(since), _naive(since)]).fetchall()
    finally:
        con.unregister("extra_ids")
    return _base_dicts(rows)


def newest_published(target: Any, *, profile_key: str | None) -> datetime | None:
    row = _con(target).execute("SELECT max(published_at) FROM relevance_base WHERE profile_key IS NOT DISTINCT FROM ?",
                               [profile_key]).fetchall()
    return _aware(row[0][0]) if row else None


def load_state(target: Any, profile_key: str | None) -> dict[str, Any] | None:
    rows = _con(target).execute("SELECT state FROM relevance_learner WHERE profile_key = ?",
                                [profile_key or ""]).fetchall()
    if not rows:
        return None
    value = rows[0][0]
    loaded = json.loads(value) if isinstance(value, str) else value
    return loaded if isinstance(loaded, dict) else None


def save_state(target: Any, profile_key: str | None, state: dict[str, Any], *, now: datetime | None = None) -> None:
    _con(target).execute(
        "INSERT OR REPLACE INTO relevance_learner (profile_key, state, n_docs, n_seeds, saved_at) VALUES (?, ?, ?, ?, ?)",
        [profile_key or "", json.dumps(state, ensure_ascii=False), int(state.get("n_docs", 0)),
         int(state.get("n_seeds", 0)), _naive(now or utcnow())],
    )


def learned_entities(target: Any, *, since: datetime | None, labels: Sequence[str] = ("LOC", "ORG"),
                     limit: int = 200) -> list[dict[str, Any]]:
    """Entities of relevant items (published from `since`) with how many relevant items name them, and how many
    items published before `since` do (for `mediebild profile suggest`)."""
    con = _con(target)
    rows = con.execute(
        f"""SELECT en.label, min(en.text) AS text, en.norm_id,
                   count(DISTINCT en.item_id) FILTER (WHERE (? IS NULL OR i.published_at >= ?) AND e.relevant) AS n_after,
                   count(DISTINCT en.item_id) FILTER (WHERE ? IS NOT NULL AND i.published_at < ?) AS n_before
            FROM entities en JOIN items i ON i.id = en.item_id JOIN enrichments e ON e.item_id = en.item_id
            WHERE en.label IN ({', '.join('?' for _ in labels)})
            GROUP BY en.label, en.norm_id ORDER BY n_after DESC, text LIMIT {int(limit)}""",
        [_naive(since), _naive(since), _naive(since), _naive(since), *labels]).fetchall()
    return [{"label": r[0], "text": r[1], "norm_id": r[2], "items": int(r[3]), "items_before": int(r[4])}
            for r in rows]


def judgement_states(target: Any, kind: str, target_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """target id -> the judgement in force of that item or story {relevant, judged_by, judged_at, note} (its newest
    own judgement, whoever made it: the page, `mediebild judge` or an import), for the targets that have one."""
    if not target_ids:
        return {}
    rows = _con(target).execute(
        """SELECT target_id, arg_max(relevant, (judged_at, id)), arg_max(judged_by, (judged_at, id)),
                  max(judged_at), arg_max(note, (judged_at, id))
           FROM judgements WHERE target = ? AND target_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY target_id""",
        [kind, list(target_ids)]).fetchall()
    return {str(r[0]): {"relevant": bool(r[1]), "judged_by": r[2], "judged_at": _aware(r[3]), "note": r[4]}
            for r in rows}
