"""Personal data in social posts: who is shown by name, who by pseudonym.

Posts by private persons are personal data. Documents that leave mediebild (digests, briefs) show a private
author as a stable pseudonym ("privatperson-3f9a2c": the same person is the same pseudonym within one
database, and nobody can turn it back without the database's key), and @mentions of private accounts the
same way. Accounts on the allow-list (authorities, media, elected officials: the shipped
public_accounts.toml for the Stockholm region plus the user's own) are shown as they are.

Core module: imports nothing of the project.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

PSEUDONYM_PREFIX = {"sv": "privatperson", "en": "private-person"}
# @handle, @handle@instance.tld (Mastodon), @handle.bsky.social (Bluesky); not e-mail addresses
MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9_][A-Za-z0-9_.-]*(?:@[A-Za-z0-9.-]+\.[A-Za-z]{2,})?)")


def normalise_handle(handle: str) -> str:
    """'@Polisen_Sthlm' -> 'polisen_sthlm'; Mastodon's '@user@instance' keeps its instance."""
    return handle.strip().lstrip("@").rstrip(".").casefold()


def read_public_accounts(text: str) -> set[str]:
    """Entries of a public-accounts TOML: [platform] accounts = [...], or a top-level accounts = [...] for any
    platform; returned as 'platform:handle' or 'handle'."""
    data = tomllib.loads(text)
    found = {normalise_handle(a) for a in data.get("accounts", []) if isinstance(a, str)}
    for platform, table in data.items():
        if isinstance(table, dict):
            found |= {f"{platform}:{normalise_handle(a)}" for a in table.get("accounts", []) if isinstance(a, str)}
    return found


def shipped_public_accounts() -> set[str]:
    """The allow-list that ships with mediebild (Stockholm-region authorities, media and officials)."""
    return read_public_accounts(resources.files("mediebild").joinpath("public_accounts.toml").read_text("utf-8"))


def handle_hash(key: bytes, handle: str) -> str:
    """A keyed hash of a handle: how a forgotten author is remembered without keeping the handle."""
    return hmac.new(key, normalise_handle(handle).encode(), hashlib.sha256).hexdigest()


def author_handles(raw: Any, author: str | None) -> list[str]:
    """The handles an item names as its author: the monitors' raw["social"]["author_handle"], and `author`."""
    social = raw.get("social") if isinstance(raw, dict) else None
    handle = social.get("author_handle") if isinstance(social, dict) else None
    return [h for h in (handle, author) if isinstance(h, str) and h]


@dataclass(frozen=True)
class PrivacyPolicy:
    """How documents show social authors: `key` is the database's secret for pseudonyms (data.privacy keeps
    it), `public` the allow-list ('platform:handle' or plain 'handle' for every platform)."""

    key: bytes
    public: frozenset[str] = field(default_factory=frozenset)
    lang: str = "sv"

    @classmethod
    def build(cls, key: bytes, extra: Iterable[str] = (), file: Path | None = None, lang: str = "sv") -> "PrivacyPolicy":
        accounts = shipped_public_accounts() | {normalise_handle(a) if ":" not in a else
                                                f"{a.split(':', 1)[0].strip().casefold()}:{normalise_handle(a.split(':', 1)[1])}"
                                                for a in extra}
        if file is not None:
            accounts |= read_public_accounts(Path(file).read_text(encoding="utf-8"))
        return cls(key=key, public=frozenset(accounts), lang=lang)

    def is_public(self, platform: str | None, handle: str | None) -> bool:
        if not handle:
            return False
        name = normalise_handle(handle)
        return name in self.public or (platform is not None and f"{platform.casefold()}:{name}" in self.public)

    def pseudonym(self, platform: str | None, handle: str) -> str:
        """A stable, keyed pseudonym: the same person on the same platform gets the same one."""
        digest = hmac.new(self.key, f"{platform or ''}:{normalise_handle(handle)}".encode(), hashlib.sha256).hexdigest()
        return f"{PSEUDONYM_PREFIX.get(self.lang, PSEUDONYM_PREFIX['sv'])}-{digest[:6]}"

    def shown_author(self, platform: str | None, handle: str | None) -> str | None:
        """The author as a document shows it: the handle of a public account, else a pseudonym."""
        if not handle:
            return None
        return handle if self.is_public(platform, handle) else self.pseudonym(platform, handle)

    def redact_mentions(self, text: str, platform: str | None = None) -> str:
        """@mentions of private accounts replaced by their pseudonyms."""
        def swap(match: re.Match[str]) -> str:
            handle = match.group(1).rstrip(".")
            rest = match.group(1)[len(handle):]
            return match.group(0) if self.is_public(platform, handle) else f"@{self.pseudonym(platform, handle)}{rest}"

        return MENTION.sub(swap, text)
