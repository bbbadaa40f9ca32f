"""The monitoring brief for the coordination conference: one page, read out in two minutes.

`build_brief(con, until=...)` covers the time since the last brief (or the last six hours) and says,
in plain language: the media picture now in five lines, the main narratives, rumours and how they
spread, what communicators should address, and the trend since the last brief. Sentences are built
here as plain text (feed text inside them stays untrusted: the templates escape every line).

Reports layer: imports data.digest_queries, reports.digest and reports.texts, and the core.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mediebild.data import digest_queries as q
from mediebild.errors import UserError
from mediebild.reports.digest import gather_stories
from mediebild.reports.privacy import protect
from mediebild.reports.texts import check_lang, fmt_clock, fmt_period, label, phrases
from mediebild.timeutil import as_utc, utcnow

SCHEMA = "mediebild.brief/1"
DEFAULT_WINDOW = timedelta(hours=6)
ADVICE_TYPES = ("caution_and_advice", "affected_individuals", "infrastructure_and_utilities")


def _n(value: int, lang: str, one: str, many: str) -> str:
    return f"{value} {one if value == 1 else many}"


def _change(delta: int, lang: str) -> str:
    if delta == 0:
        return "lika många som perioden innan" if lang == "sv" else "as many as the period before"
    more = delta > 0
    if lang == "sv":
        return f"{abs(delta)} {'fler' if more else 'färre'} än perioden innan"
    return f"{abs(delta)} {'more' if more else 'fewer'} than the period before"


def _five_lines(d: dict[str, Any], lang: str) -> list[str]:
    sv = lang == "sv"
    cur, delta = d["figures"]["current"], d["figures"]["delta"]
    k = cur["by_kind"]
    lines = []
    if cur["items"] == 0:
        lines.append("Inga poster publicerades under perioden." if sv else "No items were published during the period.")
    elif sv:
        lines.append(
            f"{_n(cur['items'], lang, 'post', 'poster')} sedan {fmt_clock(d['period']['start'], lang)} "
            f"({k['editorial']} redaktionella, {k['social']} sociala, {k['official']} från myndigheter), "
            f"{_change(delta['items'], lang)}."
        )
    else:
        lines.append(
            f"{_n(cur['items'], lang, 'item', 'items')} since {fmt_clock(d['period']['start'], lang)} "
            f"({k['editorial']} editorial, {k['social']} social, {k['official']} official), {_change(delta['items'], lang)}."
        )
    top = max(d["narratives"], key=lambda s: (s["n_outlets"], s["n_items"])) if d["narratives"] else None
    if top:
        lines.append(
            (f"Mest spritt: \u201d{top['headline']}\u201d hos {_n(top['n_outlets'], lang, 'källa', 'källor')}." if sv
             else f"Most widely carried: \u201c{top['headline']}\u201d at {_n(top['n_outlets'], lang, 'outlet', 'outlets')}.")
        )
    else:
        lines.append("Ingen nyhet sprids hos flera källor ännu." if sv else "No news is carried by several outlets yet.")
    official = d["official"]
    n_official = k["official"]
    if official:
        last = official[0]
        lines.append(
            (f"Myndigheterna: {n_official} besked, senast {last['source_name']} kl. {fmt_clock(last['published_at'], lang)}: "
             f"\u201d{last['title']}\u201d." if sv
             else f"Authorities: {n_official} statements, latest {last['source_name']} at "
                  f"{fmt_clock(last['published_at'], lang)}: \u201c{last['title']}\u201d.")
        )
    else:
        lines.append("Inga nya besked från myndigheterna under perioden." if sv else "No new official statements in the period.")
    if d["rumours"] is None:
        lines.append("Rykten: ingen automatisk granskning har körts ännu." if sv else "Rumours: no automatic check has run yet.")
    elif d["rumours"]:
        lines.append(
            (f"{_n(len(d['rumours']), lang, 'rykte', 'rykten')} att kontrollera, störst: \u201d{d['rumours'][0]['headline']}\u201d." if sv
             else f"{_n(len(d['rumours']), lang, 'rumour', 'rumours')} to verify, largest: \u201c{d['rumours'][0]['headline']}\u201d.")
        )
    else:
        lines.append("Inga rykten har flaggats." if sv else "No rumours have been flagged.")
    failing = [f for f in d["failing"] if f["status"] == "failed"]
    if failing:
        names = ", ".join(f["name"] for f in failing[:4])
        lines.append(
            (f"Obs: {_n(len(failing), lang, 'källa', 'källor')} gick inte att läsa ({names}); tystnad därifrån betyder inget." if sv
             else f"Note: {_n(len(failing), lang, 'source', 'sources')} could not be read ({names}); silence from them means nothing.")
        )
    else:
        lines.append("Alla bevakade källor lästes utan fel." if sv else "Every monitored source was read without errors.")
    return lines


def _address(d: dict[str, Any], lang: str) -> list[str]:
    sv = lang == "sv"
    out = []
    for rumour in (d["rumours"] or [])[:3]:
        why = "; ".join(rumour["rumour_reasons"]) or ("okänt skäl" if sv else "reason unknown")
        out.append(
            f"Bemöt eller bekräfta: \u201d{rumour['headline']}\u201d ({why})." if sv
            else f"Counter or confirm: \u201c{rumour['headline']}\u201d ({why})."
        )
    for need in d["needs"] or []:
        if str(need["info_type"]).lower() in ADVICE_TYPES:
            out.append(
                f"Allmänheten söker \u201d{need['name'].lower()}\u201d: {_n(need['items'], lang, 'post', 'poster')}; ge tydliga råd." if sv
                else f"The public looks for \u201c{need['name'].lower()}\u201d: {_n(need['items'], lang, 'item', 'items')}; give clear advice."
            )
    if not d["official"] and d["figures"]["current"]["items"]:
        out.append(
            "Inga myndighetsbesked syns i flödet: överväg ett samordnat besked." if sv
            else "No official statement shows in the feeds: consider a joint statement."
        )
    if not out:
        out.append("Inget särskilt att bemöta just nu; fortsätt bevaka." if sv else "Nothing in particular to address now; keep monitoring.")
    return out


def _trend(d: dict[str, Any], lang: str, last_brief: dict[str, Any] | None) -> list[str]:
    sv = lang == "sv"
    cur, prev = d["figures"]["current"], d["figures"]["previous"]
    out = []
    if last_brief is None:
        out.append("Detta är den första lägesbilden; jämförelsen gäller perioden innan." if sv
                   else "This is the first brief; the comparison is with the period before.")
    out.append(
        f"Flödet: {cur['items']} poster mot {prev['items']} perioden innan." if sv
        else f"Volume: {cur['items']} items against {prev['items']} the period before."
    )
    new = d["new_narratives"]
    if new:
        names = "; ".join(f"\u201d{s['headline']}\u201d" if sv else f"\u201c{s['headline']}\u201d" for s in new[:3])
        out.append(f"Nytt sedan förra lägesbilden: {names}." if sv else f"New since the last brief: {names}.")
    growing = [s for s in d["narratives"] if (s["growth_per_hour"] or 0) > 0]
    if growing:
        s = growing[0]
        out.append(
            f"Växer snabbast: \u201d{s['headline']}\u201d (+{s['growth_per_hour']:.0f} per timme)." if sv
            else f"Growing fastest: \u201c{s['headline']}\u201d (+{s['growth_per_hour']:.0f} per hour)."
        )
    return out


def build_brief(
    con,
    *,
    until: datetime,
    since: datetime | None = None,
    lang: str = "sv",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Everything the conference brief says about [since, until), as one plain dict."""
    check_lang(lang)
    end = as_utc(until)
    last_brief = q.previous_document(con, kind="brief", lang=lang, before=end - timedelta(microseconds=1))
    if since is None:
        start = last_brief["period_end"] if last_brief else end - DEFAULT_WINDOW
    else:
        start = as_utc(since)
    if end <= start:
        raise UserError(f"--since must be before the end of the brief ({start.isoformat()} >= {end.isoformat()})")
    prev_start, prev_end = q.window_before(start, end)
    previous = q.period_counts(con, prev_start, prev_end)
    with q.PeriodItems(con, start, end) as period:
        current = period.counts()
        source_kind, narratives = gather_stories(con, period, lang, limit=5)
        needs = [{**row, "name": label(row["info_type"], lang)} for row in period.info_types()]
        official = period.newest(limit=5, kind="official")
        item_ids = period.item_ids()
    new_since = last_brief["period_end"] if last_brief else start
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "kind": "brief",
        "lang": lang,
        "period": {"start": start, "end": end, "label": fmt_period(start, end, lang)},
        "previous_period": {"start": prev_start, "end": prev_end},
        "last_brief": {"id": last_brief["id"], "period_end": last_brief["period_end"]} if last_brief else None,
        "generated_at": as_utc(now or utcnow()),
        "empty": current["items"] == 0,
        "figures": {"current": current, "previous": previous,
                    "delta": {"items": current["items"] - previous["items"]}},
        "stories_from": source_kind,
        "narratives": narratives,
        "new_narratives": [s for s in narratives if s["first_seen"] and as_utc(s["first_seen"]) >= new_since],
        "rumours": [s for s in narratives if s["rumour"]] if source_kind == "stories" else None,
        "official": official,
        "vma": q.vma_items(con, start, end),
        "needs": needs,
        "failing": q.failing_sources(con, start, end),
        "item_ids": item_ids,
        "story_ids": [s["id"] for s in narratives] if source_kind == "stories" else [],
    }
    data = protect(data, con)
    vma_lines = [f"{phrases(lang)['vma_title']}: {v['title'] or v['text']}" for v in data["vma"][:2]]
    data["now_lines"] = (vma_lines + _five_lines(data, lang))[: max(5, len(vma_lines))]
    data["address"] = _address(data, lang)
    data["trend"] = _trend(data, lang, last_brief)
    return data
