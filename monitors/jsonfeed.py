"""JSON Feed 1.0/1.1 (jsonfeed.org), which feedparser 6 does not read.

`parse_json_feed` turns the bytes into the same shape of entries the RSS monitor normalises, and
never raises: malformed JSON or a document that is not a JSON Feed comes back as a problem.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from mediebild.monitors.base import Problem


def looks_like_json(body: bytes, content_type: str = "") -> bool:
    if "json" in content_type.lower():
        return True
    head = body[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{")


def _parse_date(value: Any) -> tuple[datetime | None, bool]:
    """(date, unparseable?) from an RFC 3339 string."""
    if not value:
        return None, False
    try:
        text = str(value).strip().replace("Z", "+00:00")
        parsed = datetime.fromisoformat(text)
        return parsed, False
    except ValueError:
        return None, True


def parse_json_feed(body: bytes) -> tuple[dict[str, Any], list[dict[str, Any]], list[Problem]]:
    """(feed info, entries, problems); entries carry id, link, title, text_html, text, author, published, raw."""
    problems: list[Problem] = []
    try:
        doc = json.loads(body.decode("utf-8-sig", errors="replace"))
    except (ValueError, RecursionError) as exc:
        return {}, [], [Problem("malformed_json", f"not valid JSON: {str(exc)[:200]}")]
    if not isinstance(doc, dict) or "items" not in doc:
        return {}, [], [Problem("not_a_feed", "JSON without an `items` list: not a JSON Feed")]
    version = str(doc.get("version", ""))
    if "jsonfeed.org" not in version:
        problems.append(Problem("jsonfeed_version", f"unknown JSON Feed version {version[:80]!r}", "warning"))
    feed = {
        "title": doc.get("title") if isinstance(doc.get("title"), str) else None,
        "link": doc.get("home_page_url") if isinstance(doc.get("home_page_url"), str) else None,
        "language": doc.get("language") if isinstance(doc.get("language"), str) else None,
    }
    raw_items = doc.get("items")
    if not isinstance(raw_items, list):
        return feed, [], problems + [Problem("malformed_json", "`items` is not a list")]
    entries = []
    skipped = 0
    for raw in raw_items:
        if not isinstance(raw, dict):
            skipped += 1
            continue
        authors = raw.get("authors") or ([raw["author"]] if isinstance(raw.get("author"), dict) else [])
        author = next((a.get("name") for a in authors if isinstance(a, dict) and isinstance(a.get("name"), str)), None)
        published, bad = _parse_date(raw.get("date_published") or raw.get("date_modified"))
        entries.append(
            {
                "id": str(raw.get("id")) if raw.get("id") is not None else None,
                "link": raw.get("url") if isinstance(raw.get("url"), str) else raw.get("external_url"),
                "title": raw.get("title") if isinstance(raw.get("title"), str) else "",
                "text_html": raw.get("content_html") if isinstance(raw.get("content_html"), str) else None,
                "text": raw.get("content_text") if isinstance(raw.get("content_text"), str) else (raw.get("summary") or ""),
                "author": author,
                "published": published,
                "date_unparseable": bad,
                "raw_date": raw.get("date_published"),
                "language": raw.get("language") if isinstance(raw.get("language"), str) else None,
            }
        )
    if skipped:
        problems.append(Problem("malformed_item", f"{skipped} item(s) were not JSON objects and were skipped", "warning"))
    return feed, entries, problems
