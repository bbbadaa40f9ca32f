"""RSS, Atom and JSON Feed sources: fetch politely, parse with feedparser from bytes, never raise.

feedparser reads RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and CDF, and reports rather than raises on broken
XML (`bozo`); JSON Feed it does not read, so jsonfeed.py does. feedparser is only ever given bytes,
never a URL (it has no timeout of its own). Before parsing, a DOCTYPE internal subset is cut out so
neither external entities nor entity expansion ("billion laughs") can reach the parser: feeds need
neither, and a feed that declares entities is reported.

Normalisation to Item: canonical absolute URL (relative links resolved, tracking parameters
stripped, only http/https), title and text stripped of HTML, published time in UTC with a missing,
unparseable or future date flagged and replaced by the fetch time.
"""

from __future__ import annotations

import calendar
import re
import warnings
from datetime import datetime, timezone
from typing import Any

import feedparser

from mediebild.items import Item, canonical_url, item_id, strip_html, trusted_published
from mediebild.monitors.base import FetchResult, ParseResult, Problem, SourceConfig
from mediebild.monitors.http import DEFAULT_LIMITS, HttpLimits, fetch_url
from mediebild.monitors.jsonfeed import looks_like_json, parse_json_feed

MAX_ITEMS_PER_FEED = 1000
MAX_TEXT_CHARS = 20_000
MAX_TITLE_CHARS = 500

_DOCTYPE_SUBSET = re.compile(rb"<!DOCTYPE[^\[>]*\[.*?\]\s*>", re.IGNORECASE | re.DOTALL)
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
warnings.filterwarnings("ignore", message="To avoid breaking existing software", category=DeprecationWarning)
# feedparser replaces an undefined entity by nothing; keep it from pulling in a DTD over the network.
feedparser.RESOLVE_RELATIVE_URIS = True
feedparser.SANITIZE_HTML = True


def defuse_xml(body: bytes) -> tuple[bytes, list[Problem]]:
    """Remove a DOCTYPE internal subset that declares entities (XXE, entity expansion)."""
    head = body[:65536]
    if not _ENTITY_DECL.search(head) and b"<!ENTITY" not in body[:1024].upper():
        return body, []
    cleaned = _DOCTYPE_SUBSET.sub(b"", body, count=1)
    return cleaned, [
        Problem(
            "xml_entities",
            "the feed declares XML entities in a DOCTYPE (possible XXE or entity expansion); the declarations were removed",
            "warning",
        )
    ]


def _struct_to_datetime(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError):
        return None


def _feedparser_entries(body: bytes, fetched: FetchResult) -> tuple[dict[str, Any], list[dict[str, Any]], list[Problem]]:
    problems: list[Problem] = []
    body, defused = defuse_xml(body)
    problems += defused
    # No content-location: a relative <link> must resolve against the channel's own link (the site), not
    # against wherever the feed happens to be served from; _normalise does that. xml:base still applies.
    # feedparser takes any response_headers as HTTP and flags a missing content-type as bozo.
    headers = {k.lower(): v for k, v in fetched.headers.items() if k.lower() in ("content-type", "content-language")}
    try:
        parsed = feedparser.parse(body, response_headers=headers or None, sanitize_html=False, resolve_relative_uris=False)
    except Exception as exc:  # feedparser promises not to raise; keep that promise for it
        return {}, [], [Problem("parser_crash", f"feedparser failed: {type(exc).__name__}: {str(exc)[:200]}")]
    feed = parsed.get("feed", {}) or {}
    entries_in = parsed.get("entries", []) or []
    if parsed.get("bozo"):
        bozo = parsed.get("bozo_exception")
        message = f"{type(bozo).__name__}: {str(bozo)[:300]}" if bozo else "not well-formed"
        problems.append(Problem("malformed_xml", f"feed is not well-formed ({message}); read what could be read", "warning"))
    if not parsed.get("version") and not entries_in:
        looks_html = b"<html" in body[:2048].lower() or b"<!doctype html" in body[:2048].lower()
        what = "an HTML page" if looks_html else "not a feed"
        problems.append(Problem("not_a_feed", f"the response is {what}: no RSS, Atom or JSON Feed found"))
        return {}, [], problems
    info = {"title": feed.get("title"), "link": feed.get("link"), "language": feed.get("language")}
    entries = []
    for entry in entries_in:
        content = entry.get("content") or []
        text_html = content[0].get("value") if content and isinstance(content[0], dict) else None
        raw_date = entry.get("published") or entry.get("updated") or entry.get("created")
        parsed_date = entry.get("published_parsed") or entry.get("updated_parsed") or entry.get("created_parsed")
        published = _struct_to_datetime(parsed_date) if parsed_date else None
        entries.append(
            {
                "id": entry.get("id"),
                "link": entry.get("link"),
                "title": entry.get("title") or "",
                "text_html": text_html or entry.get("summary") or entry.get("description") or "",
                "text": None,
                "author": entry.get("author"),
                "published": published,
                "date_unparseable": bool(raw_date) and published is None,
                "raw_date": raw_date,
                "language": None,
            }
        )
    return info, entries, problems


class RssMonitor:
    """RSS/Atom/JSON Feed monitor (the `rss` kind)."""

    name = "rss"

    def __init__(self, limits: HttpLimits = DEFAULT_LIMITS):
        self.limits = limits

    def fetch(self, source: SourceConfig, cursor: dict[str, Any], *, now: datetime) -> FetchResult:
        return fetch_url(source.url, cursor, limits=self.limits)

    def parse(self, source: SourceConfig, fetched: FetchResult, *, now: datetime) -> ParseResult:
        return parse_feed(fetched.body or b"", source=source, fetched=fetched, now=now)


def parse_feed(body: bytes, *, source: SourceConfig, fetched: FetchResult | None = None, now: datetime) -> ParseResult:
    """Bytes -> items, cursor and problems. Never raises on content."""
    fetched = fetched or FetchResult(url=source.url, status=200, body=body)
    if not body.strip():
        return ParseResult(cursor=fetched.cursor, problems=[Problem("empty", "the response body is empty")])
    try:
        if looks_like_json(body, fetched.headers.get("content-type", "") or fetched.headers.get("Content-Type", "")):
            info, entries, problems = parse_json_feed(body)
        else:
            info, entries, problems = _feedparser_entries(body, fetched)
        items, item_problems = _normalise(entries, info, source=source, fetched=fetched, now=now)
    except Exception as exc:  # a bug here must not stop the run: report it as this source's problem
        return ParseResult(
            cursor=fetched.cursor,
            problems=[Problem("parse_error", f"unexpected {type(exc).__name__}: {str(exc)[:200]}")],
        )
    title = strip_html(info.get("title"))[:MAX_TITLE_CHARS] if info.get("title") else None
    return ParseResult(items=items, cursor=fetched.cursor, problems=problems + item_problems, feed_title=title)


def _normalise(
    entries: list[dict[str, Any]], info: dict[str, Any], *, source: SourceConfig, fetched: FetchResult, now: datetime
) -> tuple[list[Item], list[Problem]]:
    problems: list[Problem] = []
    base = canonical_url(info.get("link"), fetched.url) or fetched.url
    language = (info.get("language") or "")[:2].lower() or None
    flags: dict[str, int] = {}
    items: list[Item] = []
    if len(entries) > MAX_ITEMS_PER_FEED:
        problems.append(Problem("too_many_items", f"{len(entries)} entries; kept the first {MAX_ITEMS_PER_FEED}", "warning"))
        entries = entries[:MAX_ITEMS_PER_FEED]
    for entry in entries:
        url = canonical_url(entry.get("link"), base)
        title = strip_html(entry.get("title"))[:MAX_TITLE_CHARS]
        text = entry.get("text") or strip_html(entry.get("text_html"))
        text = text[:MAX_TEXT_CHARS]
        if not title and not text:
            flags["empty_entry"] = flags.get("empty_entry", 0) + 1
            continue
        if not title:
            title = text[:120].rsplit(" ", 1)[0] + ("…" if len(text) > 120 else "")
        published, flag = trusted_published(entry.get("published"), now, unparseable=bool(entry.get("date_unparseable")))
        if flag:
            flags[f"date_{flag}"] = flags.get(f"date_{flag}", 0) + 1
        guid = entry.get("id")
        iid = item_id(canonical=url, source=source.id, fallback=str(guid or f"{title}|{entry.get('raw_date')}"))
        raw = {k: v for k, v in (("guid", guid), ("date", entry.get("raw_date")), ("link", entry.get("link")),
                                 ("feed", info.get("title"))) if v}
        items.append(
            Item(
                id=iid,
                source=source.id,
                kind=source.item_kind,
                url=url,
                title=title,
                text=text,
                author=strip_html(entry.get("author"))[:200] or None,
                published_at=published,
                fetched_at=now,
                lang=(entry.get("language") or "")[:2].lower() or language,
                date_flag=flag,
                raw=raw,
            )
        )
    messages = {
        "date_missing": "entries without a date: the fetch time was used",
        "date_unparseable": "entries with an unparseable date: the fetch time was used",
        "date_future": "entries dated in the future: the fetch time was used",
        "empty_entry": "entries with neither title nor text were skipped",
    }
    for code, n in sorted(flags.items()):
        problems.append(Problem(code, f"{n} {messages[code]}", "warning"))
    return items, problems
