"""The hourly media digest: what the information officers read every hour.

`build_digest(con, period_start=..., period_end=...)` gathers the data of one period from the store
(through `mediebild.data.digest_queries`) into one plain dict, the same for every format: headline
figures against the previous hour, volume per hour and kind, top stories, what is new since the last
digest, official statements verbatim, rumours with why, alerts, what the public asks and needs, the
most-named places and organisations, items per source, the newest items and the sources that failed.
Parts whose pipeline step has not run yet are None (the templates say so) rather than missing.

Reports layer: imports data (digest_queries, item_filter), reports.texts and the core.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mediebild.data import digest_queries as q
from mediebild.data.item_filter import NO_FILTER, ItemFilter
from mediebild.data.triage import triage_states
from mediebild.errors import UserError
from mediebild.items import KINDS
from mediebild.reports.privacy import protect
from mediebild.reports.texts import check_lang, fmt_clock, fmt_period, label, phrases
from mediebild.timeutil import as_utc, utcnow

SCHEMA = "mediebild.digest/1"
VOLUME_HOURS = 12  # hours of history in the volume chart, ending with the period


def trim_leading_quiet_hours(volume: list[dict[str, Any]], keep: int = 3) -> list[dict[str, Any]]:
    """Drop the all-zero hours before the first item, keeping at least the last `keep` hours."""
    for index, row in enumerate(volume):
        if any(row.get(k) for k in KINDS):
            return volume[min(index, max(len(volume) - keep, 0)):]
    return volume[-keep:]


def _delta(current: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"items": current["items"] - previous["items"]}
    if current["relevant"] is not None and previous["relevant"] is not None:
        out["relevant"] = current["relevant"] - previous["relevant"]
    else:
        out["relevant"] = None
    out["by_kind"] = {k: current["by_kind"].get(k, 0) - previous["by_kind"].get(k, 0) for k in KINDS}
    return out


def _top_shares(shares: dict[str, float] | None, lang: str, n: int = 3) -> list[dict[str, Any]]:
    if not shares:
        return []
    ranked = sorted(shares.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return [{"label": k, "name": label(k, lang), "share": round(float(v), 3)} for k, v in ranked]


def normalise_story(story: dict[str, Any], lang: str) -> dict[str, Any]:
    """One shape for templates, whether the story comes from clustering or from a group of copies."""
    tone = _top_shares(story.get("tone"), lang, 1)
    return {
        "id": str(story.get("id")),
        "headline": story.get("headline") or "",
        "url": story.get("url"),
        "first_seen": story.get("first_seen"),
        "last_seen": story.get("last_seen"),
        "n_items": int(story.get("n_items") or 0),
        "n_outlets": int(story.get("n_outlets") or 0),
        "n_copies": int(story["n_copies"] if story.get("n_copies") is not None else story.get("n_items") or 0),
        "growth_per_hour": story.get("growth_per_hour"),
        "part_of": story.get("part_of"),  # the lead story of the incident thread this one belongs to
        "categories": _top_shares(story.get("categories"), lang),
        "tone": tone[0] if tone else None,
        "is_new": bool(story.get("is_new")),
        "rumour": bool(story.get("rumour")),
        # English reasons where the stories step wrote them (migration 0005), Swedish otherwise
        "rumour_reasons": [str(r) for r in ((lang == "en" and story.get("rumour_reasons_en"))
                                           or story.get("rumour_reasons") or [])],
        "places": [str(p) for p in (story.get("places") or [])][:5],
        # "bekräftat sedan 13:05 (myndighet: ...)" when an editorial or official source confirmed the story
        "confirmed": (lang == "en" and story.get("confirmed_reason_en")) or story.get("confirmed_reason"),
        "item_ids": [str(i) for i in story.get("item_ids") or []],
        "triage": None,  # what the officers marked on the situation room's page (with_triage)
    }


# A story's triage on the situation room's page, as the documents say it: "bemött 10.42 av Länsstyrelsen".
TRIAGE_WORDS = {
    "sv": {"watched": "bevakas", "responded": "bemött", "handled": "hanterad", "by": "av"},
    "en": {"watched": "watched", "responded": "responded", "handled": "handled", "by": "by"},
}


def with_triage(con, stories: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Each story's triage state (None when unmarked) as {state, name, at, by, note, text}."""
    words = TRIAGE_WORDS.get(lang, TRIAGE_WORDS["sv"])
    states = triage_states(con, [s["id"] for s in stories])
    for story in stories:
        found = states.get(story["id"])
        if found is None:
            continue
        by = found["organisation"] or found["user"]
        name = words.get(found["state"], found["state"])
        story["triage"] = {"state": found["state"], "name": name, "at": found["at"], "by": by, "note": found["note"],
                           "text": f"{name} {fmt_clock(found['at'], lang)} {words['by']} {by}"}
    return stories


def gather_stories(con, period: q.PeriodItems, lang: str, *, limit: int = 8) -> tuple[str, list[dict[str, Any]]]:
    """('stories', clustered stories) once the stories step has run, else ('copies', groups of copies).

    Under a filter, a story is shown when at least one of its items is among the period's chosen items.
    """
    chosen = set(period.item_ids()) if period.item_filter.active else None
    found = q.stories(con, period.start, period.end, limit=limit if chosen is None else limit * 10)
    if found is not None:
        if chosen is not None:
            found = [s for s in found if chosen.intersection(str(i) for i in s.get("item_ids") or [])][:limit]
        return "stories", with_triage(con, [normalise_story(s, lang) for s in found], lang)
    return "copies", [normalise_story(g, lang) for g in period.copy_groups(limit=limit)]


def _alerts(con, start: datetime, end: datetime, lang: str, vma: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """Story and term spikes of the period, and every VMA of it first: a VMA is always an alert, also before the
    stories step has run."""
    found = q.alerts(con, start, end)
    vma_alerts = [{"kind": "vma", "kind_name": label("vma", lang), "headline": v["title"] or v["text"],
                   "raised_at": v["updated_at"] or v["published_at"], "count_last_hour": None, "baseline": None}
                  for v in vma]
    if found is None:
        return vma_alerts or None
    return vma_alerts + [{**a, "kind_name": label(a.get("kind"), lang)} for a in found]


def _filter_for_people(item_filter: ItemFilter, lang: str) -> list[dict[str, str]] | None:
    """[{'field': 'info_types', 'values': 'Varningar och råd, ...'}] for the documents; None without a filter."""
    if not item_filter.active:
        return None
    t = phrases(lang)
    shown = []
    for name, values in item_filter.describe().items():
        if name == "min_relevance":
            text = f"≥ {values}"
        elif isinstance(values, float):
            text = str(values)
        elif name == "kinds":
            text = ", ".join(t.get(f"kind_{v}", v) for v in values)
        elif name in ("info_types", "source_types", "tones"):
            text = ", ".join(label(v, lang) for v in values)
        else:
            text = ", ".join(values)
        shown.append({"field": name, "name": t[f"filter_{name}"], "values": text})
    return shown


def build_digest(
    con,
    *,
    period_start: datetime,
    period_end: datetime,
    lang: str = "sv",
    now: datetime | None = None,
    item_filter: ItemFilter = NO_FILTER,
) -> dict[str, Any]:
    """Everything the hourly digest shows for [period_start, period_end), as one plain dict.

    With an active `item_filter` every figure and list covers the chosen items only (the previous hour too, so
    the comparison holds), it is stored as kind `digest-<filter key>` (`stored_kind`), so it never replaces or
counts as the full hourly digest, and `filter` says what was chosen.
    """
    check_lang(lang)
    start, end = as_utc(period_start), as_utc(period_end)
    if end <= start:
        raise UserError(f"empty period: {start.isoformat()} .. {end.isoformat()}")
    prev_start, prev_end = q.window_before(start, end)
    previous = q.period_counts(con, prev_start, prev_end, item_filter)
    stored_kind = f"digest-{item_filter.key}" if item_filter.active else "digest"
    with q.PeriodItems(con, start, end, item_filter) as period:
        current = period.counts()
        source_kind, top = gather_stories(con, period, lang)
        needs = [{**row, "name": label(row["info_type"], lang)} for row in period.info_types()
                 if row["info_type"] and "not_" not in str(row["info_type"]).lower()]
        places = period.top_entities(q.PLACE_LABELS) if period.enriched else None
        organisations = period.top_entities(q.ORG_LABELS) if period.enriched else None
        per_source = period.per_source()
        newest = period.newest(limit=15)
        official = period.newest(limit=10, kind="official")
        stored_ids = period.item_ids()
        info_known = period.info_known
    vma = q.vma_items(con, start, end)
    last = q.previous_document(con, kind=stored_kind, lang=lang, before=start)
    new_since = last["period_end"] if last else start
    new_stories = [s for s in top if s["is_new"] or (s["first_seen"] and as_utc(s["first_seen"]) >= new_since)]
    rumours = [s for s in top if s["rumour"]] if source_kind == "stories" else None
    volume_start = end - timedelta(hours=max(VOLUME_HOURS, int((end - start).total_seconds() // 3600)))
    document = {
        "schema": SCHEMA,
        "kind": "digest",
        "stored_kind": stored_kind,
        "filter": _filter_for_people(item_filter, lang),
        "lang": lang,
        "period": {"start": start, "end": end, "label": fmt_period(start, end, lang)},
        "previous_period": {"start": prev_start, "end": prev_end},
        "generated_at": as_utc(now or utcnow()),
        "empty": current["items"] == 0,
        "figures": {"current": current, "previous": previous, "delta": _delta(current, previous)},
        "volume": trim_leading_quiet_hours(q.volume_by_hour(con, volume_start, end, item_filter)),
        "stories_from": source_kind,
        "top_stories": top,
        "new_since": new_since,
        "new_stories": new_stories,
        "official": official,
        "rumours": rumours,
        "vma": vma,
        "official_updates": q.official_updates(con, start, end),
        "alerts": _alerts(con, start, end, lang, vma),
        "needs": needs if info_known else None,
        "places": places,
        "organisations": organisations,
        "per_source": per_source,
        "newest": newest,
        "failing": q.failing_sources(con, start, end),
        "fetches": q.fetch_summary(con, start, end),
        "item_ids": stored_ids,
        "story_ids": [s["id"] for s in top] if source_kind == "stories" else [],
    }
    return protect(document, con)
