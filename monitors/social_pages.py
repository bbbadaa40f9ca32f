"""Reading the posts of a social fetch: every page's records into items, defects counted, never raising.

Mastodon, Bluesky and Reddit answer with a list of posts per page; `parse_posts` walks the pages that
monitors/social.py packed, takes each page's list (`records`), turns each record into an item (`to_item`),
drops repeats, and counts what could not be read, so every monitor reports its defects the same way.

Imports the core, monitors.base and monitors.social only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mediebild.items import Item
from mediebild.monitors.base import FetchResult, ParseResult, Problem
from mediebild.monitors.social import summarise, unpack

# A page's records (None: the answer does not have the documented shape).
Records = Callable[[dict[str, Any]], "list[Any] | None"]
# One record as an item of this source (None: not a usable post); counts its own defects in `flags`.
ToItem = Callable[[Any, dict[str, Any], dict[str, int]], "Item | None"]


def parse_posts(fetched: FetchResult, *, records: Records, to_item: ToItem, messages: dict[str, str],
                malformed: str) -> ParseResult:
    """Items of every answered page, each once; `malformed` is the problem for a page without a list of posts."""
    pages, problems = unpack(fetched.body)
    items: list[Item] = []
    seen: set[str] = set()
    flags: dict[str, int] = {}
    for page in pages:
        if page["status"] != 200 or page["data"] is None:
            continue
        found = records(page)
        if found is None:
            problems.append(Problem("malformed", malformed))
            continue
        for record in found:
            try:
                item = to_item(record, page, flags)
            except Exception:  # a bug must not stop the run: count it as this source's problem
                flags["parse_error"] = flags.get("parse_error", 0) + 1
                continue
            if item is None:
                flags["malformed_post"] = flags.get("malformed_post", 0) + 1
            elif item.id not in seen:
                seen.add(item.id)
                items.append(item)
    problems += summarise(flags, messages)
    return ParseResult(items=items, cursor=fetched.cursor, problems=problems)
