"""Monitors: one module per kind of source. They fetch and parse, return items, and never touch the store."""

from __future__ import annotations

from mediebild.errors import ConfigError
from mediebild.monitors.base import MONITOR_KINDS, Monitor
from mediebild.monitors.http import DEFAULT_LIMITS, HttpLimits

# Monitors that exist today; the other kinds of MONITOR_KINDS come with later issues.
AVAILABLE = ("rss", "x", "mastodon", "bluesky", "reddit")

# The social monitors (issue 11): kind -> (module, class), imported on first use.
_SOCIAL = {
    "x": ("mediebild.monitors.x", "XMonitor"),
    "mastodon": ("mediebild.monitors.mastodon", "MastodonMonitor"),
    "bluesky": ("mediebild.monitors.bluesky", "BlueskyMonitor"),
    "reddit": ("mediebild.monitors.reddit", "RedditMonitor"),
}


def monitor_for(kind: str, limits: HttpLimits = DEFAULT_LIMITS) -> Monitor:
    """The monitor for a source kind (rss, x, mastodon, ...)."""
    if kind == "rss":
        from mediebild.monitors.rss import RssMonitor

        return RssMonitor(limits)
    if kind in _SOCIAL:
        import importlib

        module, name = _SOCIAL[kind]
        return getattr(importlib.import_module(module), name)(limits)
    if kind in MONITOR_KINDS:
        raise ConfigError(f"the {kind} monitor is not available yet (available: {', '.join(AVAILABLE)})")
    raise ConfigError(f"unknown source kind {kind!r} (one of: {', '.join(MONITOR_KINDS)})")
