"""Sök och trender: the analysts' search, trends and top lists on the page (`mediebild search|trends|top`).

    /sok                  search: the boolean query, period, the digest's filters, relevant only, sort; hits with
                          highlighted snippets, paged with the index's cursor ("Nästa sida")
    /sok/trender          several queries side by side per 15 min, hour or Stockholm day: a chart and a table
                          (count and share of all items under the same filters)
    /sok/trender.svg      that chart, a standalone SVG for the page's <img> (no script runs in an image)
    /sok/topp             the top lists (sources, entities, places, organisations, people, hashtags, words,
                          stories) with share and change against the previous period; a name runs a search

The query string holds all the state (bookmarkable, shared between officers); nothing is posted, so readers and
editors alike use it. Everything is read from the published snapshot and its search index (web/analyst_reader.py)
through data.analysts and data.search_index; a malformed query is shown on the page (HTTP 400) with the form
kept. Feed text and queries reach the templates as plain strings (autoescaped); a highlight is a list of
(piece, matched) parts, so <mark> is the only markup the page adds.

Why the chart is drawn here and not by reports/analyst_charts.py (matplotlib): web/ may not import reports/, and
handing matplotlib in from flows/serve.py would draw with pyplot, whose global state is not safe in the page's
thread pool, at tens of ms per chart after a second of import; the line geometry is 40 lines of web/chart.py,
labelled in the page's language, and the template escapes every text in it.

Web layer: imports data/ (analysts, search_index, page, item_filter), the core, web's own modules, starlette.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from mediebild.data import page as pq
from mediebild.data.access import StoreBusy
from mediebild.data.analysts import (
    BUCKETS,
    TOP_LISTS,
    Selection,
    bucket_starts,
    data_end,
    matched_volume,
    narrowed_ids,
    top,
    volume,
)
from mediebild.data.item_filter import ItemFilter
from mediebild.data.search_index import Snippet
from mediebild.errors import UserError
from mediebild.timeutil import STOCKHOLM
from mediebild.web import texts
from mediebild.web.analyst_reader import Reading
from mediebild.web.auth import Session
from mediebild.web.chart import lines
from mediebild.web.room import Room, _login_redirect, filter_from, room_of

PERIODS = {"1h": timedelta(hours=1), "6h": timedelta(hours=6), "24h": timedelta(hours=24), "7d": timedelta(days=7)}
TREND_SPANS = {"15min": timedelta(hours=6), "hour": timedelta(hours=24), "day": timedelta(days=14)}
TOP_SPAN = timedelta(hours=24)
SORTS = ("relevance", "time")
MAX_QUERIES = 8
MAX_BUCKETS = 400
PAGE_SIZE = 20
TOP_LIMIT = 10
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
_COMMA = re.compile(r',(?=(?:[^"]*"[^"]*")*[^"]*$)')  # a comma outside "phrases"


def split_queries(text: str) -> tuple[str, ...]:
    """Trend queries: one per line, or comma-separated (a comma inside a "phrase" stays); at most MAX_QUERIES."""
    found = [part.strip() for line in text.splitlines() for part in _COMMA.split(line)]
    return tuple(dict.fromkeys(q for q in found if q))[:MAX_QUERIES]


@dataclass(frozen=True)
class Ask:
    """What the analyst asked, read from the query string (and only that: it is the page's whole state)."""

    query: str
    queries_text: str
    queries: tuple[str, ...]
    period: str
    since: str
    until: str
    items: ItemFilter
    shown: tuple[tuple[str, Any], ...]
    relevant: bool
    sort: str
    cursor: str | None
    by: str
    share: bool

    @classmethod
    def read(cls, params: QueryParams) -> Ask:
        items, shown = filter_from(params)
        period = params.get("period") or ""
        since, until = (params.get("since") or "").strip()[:40], (params.get("until") or "").strip()[:40]
        queries_text = (params.get("queries") or "")[:4000]
        return cls(query=(params.get("q") or "").strip()[:1000], queries_text=queries_text,
                   queries=split_queries(queries_text), period=period if period in PERIODS else "",
                   since=since if period not in PERIODS else "", until=until if period not in PERIODS else "",
                   items=items, shown=tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in shown.items()),
                   relevant=(params.get("relevant") or "") in ("1", "on", "true"),
                   sort=params.get("sort") if params.get("sort") in SORTS else "relevance",  # type: ignore[arg-type]
                   cursor=(params.get("cursor") or "")[:4000] or None,
                   by=params.get("by") if params.get("by") in BUCKETS else "hour",  # type: ignore[arg-type]
                   share=params.get("show") == "share")

    def state(self, **changes: Any) -> list[tuple[str, str]]:
        """The query-string pairs of this state (the cursor only when given), with `changes` applied."""
        values: dict[str, Any] = {"q": self.query, "queries": self.queries_text, "period": self.period,
                                  "since": self.since, "until": self.until, "relevant": "1" if self.relevant else "",
                                  "sort": "" if self.sort == "relevance" else self.sort,
                                  "by": "" if self.by == "hour" else self.by, "show": "share" if self.share else "",
                                  "cursor": "", **dict(self.shown)}
        values.update(changes)
        pairs: list[tuple[str, str]] = []
        for key, value in values.items():
            for one in (value if isinstance(value, (list, tuple)) else [value]):
                if one not in (None, ""):
                    pairs.append((key, str(one)))
        return pairs

    def link(self, path: str, **changes: Any) -> str:
        query = urlencode(self.state(**changes))
        return path + (f"?{query}" if query else "")

    @property
    def key(self) -> tuple[Any, ...]:
        return (*self.state(cursor=self.cursor or ""),)

    def form(self) -> dict[str, Any]:
        """What the form shows."""
        return {**{k: list(v) if isinstance(v, tuple) else v for k, v in self.shown},
                "q": self.query, "queries": self.queries_text, "period": self.period, "since": self.since,
                "until": self.until, "relevant": self.relevant, "sort": self.sort, "by": self.by,
                "share": self.share}


def _parse_local(text: str) -> datetime:
    """A time from the form (`YYYY-MM-DDTHH:MM` of a datetime-local field, or a date): Stockholm unless it has an
    offset."""
    try:
        value = datetime.fromisoformat(text.replace(" ", "T") if len(text) > 10 else text)
    except ValueError:
        raise UserError(f"not a time: {text!r} (use YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
    return value.replace(tzinfo=STOCKHOLM) if value.tzinfo is None else value


def period_of(ask: Ask, end: datetime, default: timedelta | None) -> tuple[datetime | None, datetime | None]:
    """(since, until), aware: a quick choice counts back from the end of the newest hour with items (as the CLI
    does); no period means `default` back from there, or everything when `default` is None."""
    if ask.period in PERIODS:
        return end - PERIODS[ask.period], end
    if ask.since or ask.until:
        until = _parse_local(ask.until) if ask.until else end
        since = _parse_local(ask.since) if ask.since else (until - default if default else None)
        if since is not None and since >= until:
            raise UserError(f"the period starts ({since:%Y-%m-%d %H:%M}) at or after it ends ({until:%Y-%m-%d %H:%M})")
        return since, until
    return (None, None) if default is None else (end - default, end)


def _choices(reading: Reading) -> dict[str, Any]:
    return pq.filter_choices(reading.con)


# -- what each view shows --------------------------------------------------------------------------------------
def search_data(reading: Reading, ask: Ask) -> dict[str, Any]:
    """One page of hits: parts of the title and snippet to highlight, source names, links; the next page's link."""
    since, until = period_of(ask, data_end(reading.con), None)
    if not ask.query:
        return {"hits": None, "since": since, "until": until}
    only = None
    if ask.relevant:
        matched = reading.index.matching_ids(ask.query, since=since, until=until)
        only = narrowed_ids(reading.con, matched, Selection(since or EARLIEST, until or LATEST, ask.items,
                                                            relevant_only=True))
    found = reading.index.search(ask.query, since=since, until=until, kinds=ask.items.kinds, langs=ask.items.langs,
                                 sources=ask.items.sources, info_types=ask.items.info_types, tones=ask.items.tones,
                                 min_relevance=ask.items.min_relevance, limit=PAGE_SIZE, cursor=ask.cursor,
                                 sort=ask.sort, only=only)
    names = pq.source_names(reading.con, sorted({h.source_id for h in found.hits if h.source_id}))
    hits = [{"id": h.id, "published_at": h.published_at, "kind": h.kind, "lang": h.lang, "url": h.url,
             "story_id": h.story_id, "info_type": h.info_type, "tone": h.tone, "relevance": h.relevance,
             "source_name": names.get(h.source_id or "", {}).get("name") or h.source_id,
             "title": Snippet(h.title, h.title_highlights).parts(), "snippet": h.snippet.parts()}
            for h in found.hits]
    return {"hits": hits, "total": found.total, "total_exact": found.total_exact, "since": since, "until": until,
            "ranked_within": found.ranked_within,
            "next": ask.link("/sok", cursor=found.next_cursor) if found.next_cursor else None,
            "first": ask.link("/sok") if ask.cursor else None}


def trends_data(reading: Reading, ask: Ask) -> dict[str, Any]:
    """Per bucket: all items under the filters and each query's matches (count and share); the sums."""
    queries = ask.queries or ((ask.query,) if ask.query else ())
    since, until = period_of(ask, data_end(reading.con), TREND_SPANS[ask.by])
    assert since is not None and until is not None
    selection = Selection(since, until, ask.items, relevant_only=ask.relevant)
    buckets = bucket_starts(selection, ask.by)
    if len(buckets) > MAX_BUCKETS:
        raise UserError(f"{len(buckets)} buckets: choose a shorter period or a larger bucket (at most {MAX_BUCKETS})")
    totals, _ = volume(reading.con, selection, ask.by)
    series = []
    for query in queries:
        ids = reading.index.matching_ids(query, since=since, until=until)
        series.append((query, matched_volume(reading.con, ids, selection, ask.by)))
    rows: list[dict[str, Any]] = []
    for b in buckets:
        total = totals.get(b, 0)
        rows.append({"start": b, "total": total, "cells": [
            {"count": counts.get(b, 0), "share": counts.get(b, 0) / total if total else None} for _, counts in series]})
    all_items = sum(totals.get(b, 0) for b in buckets)
    sums = [sum(counts.get(b, 0) for b in buckets) for _, counts in series]
    return {"queries": list(queries), "since": since, "until": until, "rows": rows, "all_items": all_items,
            "sums": [{"count": s, "share": s / all_items if all_items else None} for s in sums],
            "buckets": buckets,
            "series": [(q, [c.get(b, 0) for b in buckets]) for q, c in series],
            "totals": [totals.get(b, 0) for b in buckets]}


def _search_for(what: str, row: Any) -> str | None:
    """The search query a top-list row runs when clicked (None: it links elsewhere)."""
    if what in ("entities", "places", "organisations", "people"):
        return '"' + " ".join(row.name.replace('"', " ").split()) + '"'
    if what in ("hashtags", "words"):
        return " ".join(row.key.replace('"', " ").split())
    if what == "sources":
        return f'source:"{row.key}"' if '"' not in row.key else None
    return None


def top_data(reading: Reading, ask: Ask) -> dict[str, Any]:
    """Every top list of the period, each row with its link (a search, or the story page)."""
    since, until = period_of(ask, data_end(reading.con), TOP_SPAN)
    assert since is not None and until is not None
    selection = Selection(since, until, ask.items, relevant_only=ask.relevant)
    lists, total, previous_total = [], 0, 0
    for what in TOP_LISTS:
        result = top(reading.con, what, selection, limit=TOP_LIMIT)
        total, previous_total = result.total, result.previous_total
        rows = []
        for row in result.rows:
            query = _search_for(what, row)
            href = (f"/berattelse/{row.key}" if what == "stories" else
                    ask.link("/sok", q=query) if query else None)
            rows.append({"key": row.key, "name": row.name, "label": row.label, "count": row.count,
                         "share": row.share, "previous": row.previous, "change": row.change, "href": href})
        lists.append({"what": what, "rows": rows})
    return {"lists": lists, "total": total, "previous_total": previous_total, "since": since, "until": until}


# -- handlers --------------------------------------------------------------------------------------------------
Builder = Callable[[Reading, Ask], dict[str, Any]]


async def _view(request: Request, template: str, tab: str, build: Builder) -> Response:
    room = room_of(request)
    session = room.session(request)
    if session is None:
        return _login_redirect(request)
    ask = Ask.read(request.query_params)

    def gather() -> dict[str, Any]:
        reader = room.analysts
        try:
            data: dict[str, Any] = reader.cached((tab, ask.key), lambda r: {**build(r, ask), "problem": None})
        except UserError as exc:  # a malformed query, a refused cursor, a bad period: shown with the form
            data = {"problem": str(exc), "hits": None, "since": None, "until": None}
        data["choices"] = reader.cached(("choices",), _choices)
        return data

    try:
        data = await run_in_threadpool(gather)
    except StoreBusy:
        return room.error(request, 503, "busy", session, headers={"Retry-After": "10"})
    return _render(room, request, session, template, tab, ask, data)


def _render(room: Room, request: Request, session: Session, template: str, tab: str, ask: Ask,
            data: dict[str, Any]) -> Response:
    lang = room.lang(request)
    tabs = [(name, ask.link(path)) for name, path in (("search", "/sok"), ("trends", "/sok/trender"),
                                                        ("top", "/sok/topp"))]
    return room.render(request, template, session=session, nav="search", status=400 if data["problem"] else 200,
                       ask=ask, form=ask.form(), tab=tab, tabs=tabs, periods=list(PERIODS), bucket_choices=list(BUCKETS),
                       top_lists=TOP_LISTS, pct=lambda v, signed=False: texts.percent(v, lang, signed=signed),
                       **data)


async def search(request: Request) -> Response:
    return await _view(request, "search.html.j2", "search", search_data)


async def trends(request: Request) -> Response:
    return await _view(request, "trends.html.j2", "trends", trends_data)


async def top_lists(request: Request) -> Response:
    return await _view(request, "top.html.j2", "top", top_data)


async def trends_chart(request: Request) -> Response:
    """The trends chart as image/svg+xml (for the page's <img>); 400 with an empty image when the ask is bad."""
    room = room_of(request)
    session = room.session(request)
    if session is None:
        return Response(status_code=401)
    ask = Ask.read(request.query_params)
    lang = room.lang(request)

    def draw() -> tuple[int, str]:
        try:
            data = room.analysts.cached(("trends", ask.key), lambda r: {**trends_data(r, ask), "problem": None})
        except UserError:
            return 400, ""
        share = ask.share
        series = [(q, [c / t if t else 0.0 for c, t in zip(counts, data["totals"])] if share else counts)
                  for q, counts in data["series"]]
        words = texts.words(lang)
        if not share:
            series.append((words["trends_all_line"], data["totals"]))
        chart = lines(data["buckets"], series, share=share, by=ask.by, lang=lang)
        svg = room.env.get_template("trends.svg.j2").render(chart=chart, lang=lang, share=share,
                                                           title=words["trends_chart"])
        return 200, svg

    try:
        status, svg = await run_in_threadpool(draw)
    except StoreBusy:
        return Response(status_code=503, headers={"Retry-After": "10"})
    return Response(svg, status_code=status, media_type="image/svg+xml")
