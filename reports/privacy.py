"""What documents show of people: private social authors as pseudonyms, their links left out.

`protect(document, con, policy)` walks a digest or brief document (the plain dict every format renders from)
and, wherever an item or story points at a private person's post, leaves the link out and names the author by
pseudonym ("privatperson-3f9a2c: ..."), and masks @mentions of private accounts in that text. Public accounts
(mediebild.privacy's allow-list) are shown as they are. Reads through data.privacy; imports the core and data.
"""

from __future__ import annotations

from typing import Any

import duckdb

from mediebild.data.privacy import privacy_key, social_authors
from mediebild.privacy import PrivacyPolicy
from mediebild.settings import load_settings

TEXT_KEYS = ("title", "headline", "text", "quote")


def policy_for(con: duckdb.DuckDBPyConnection, lang: str) -> PrivacyPolicy:
    """The policy of this database and configuration: its key, the shipped and the configured allow-lists."""
    settings = load_settings().privacy
    return PrivacyPolicy.build(privacy_key(con), extra=settings.public_accounts, file=settings.public_accounts_file,
                               lang=lang)


def _urls(node: Any, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        if isinstance(node.get("url"), str):
            found.add(node["url"])
        for value in node.values():
            _urls(value, found)
    elif isinstance(node, list):
        for value in node:
            _urls(value, found)
    return found


def _protect(node: Any, authors: dict[str, tuple[str | None, str]], policy: PrivacyPolicy) -> Any:
    if isinstance(node, list):
        return [_protect(v, authors, policy) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _protect(v, authors, policy) for k, v in node.items()}
    url = out.get("url")
    author = authors.get(url) if isinstance(url, str) else None
    if author is not None:
        platform, handle = author
        public = policy.is_public(platform, handle)
        shown = policy.shown_author(platform, handle)
        if not public:
            out["url"] = None
        if "author" in out:
            out["author"] = shown
        for key in TEXT_KEYS:
            if isinstance(out.get(key), str) and out[key]:
                text = policy.redact_mentions(out[key], platform)
                out[key] = text if public or key not in ("title", "headline") else f"{shown}: {text}"
    return out


def protect(document: dict[str, Any], con: duckdb.DuckDBPyConnection, policy: PrivacyPolicy | None = None) -> dict[str, Any]:
    """The document with private persons' posts pseudonymised (a new dict; the input is left alone)."""
    authors = social_authors(con, sorted(_urls(document, set())))
    if not authors:
        return document
    result: dict[str, Any] = _protect(document, authors, policy or policy_for(con, str(document.get("lang") or "sv")))
    return result
