"""Monitors: one module per kind of source. They fetch and parse, return items, and never touch the store."""

from __future__ import annotations

import importlib
import inspect
from datetime import datetime
from typing import Callable

from mediebild.errors import ConfigError
from mediebild.monitors.base import MONITOR_KINDS, Monitor
from mediebild.monitors.http import DEFAULT_LIMITS, HttpLimits

# Every kind of MONITOR_KINDS has its monitor.
AVAILABLE = ("rss", "x", "mastodon", "bluesky", "reddit", "polisen", "krisinformation", "smhi", "vma")

# kind -> (module, class), imported on first use so a pass loads only the monitors it needs.
_MONITORS = {
    "rss": ("mediebild.monitors.rss", "RssMonitor"),
    "x": ("mediebild.monitors.x", "XMonitor"),
    "mastodon": ("mediebild.monitors.mastodon", "MastodonMonitor"),
    "bluesky": ("mediebild.monitors.bluesky", "BlueskyMonitor"),
    "reddit": ("mediebild.monitors.reddit", "RedditMonitor"),
    "polisen": ("mediebild.monitors.polisen", "PolisenMonitor"),
    "krisinformation": ("mediebild.monitors.krisinformation", "KrisinformationMonitor"),
    "smhi": ("mediebild.monitors.smhi", "SmhiMonitor"),
    "vma": ("mediebild.monitors.vma", "VmaMonitor"),
}


def monitor_for(kind: str, limits: HttpLimits = DEFAULT_LIMITS, clock: Callable[[], datetime] | None = None) -> Monitor:
    """The monitor for a source kind (rss, x, mastodon, ...).

    `clock` is the time a monitor that paces its calls (the official ones) measures its spacing on; None
    leaves the monitor's own default (real time). A replay of simulated time passes the pass's clock.
    """
    if kind in _MONITORS:
        module, name = _MONITORS[kind]
        cls = getattr(importlib.import_module(module), name)
        paced = clock is not None and "clock" in inspect.signature(cls).parameters
        monitor: Monitor = cls(limits, clock=clock) if paced else cls(limits)
        return monitor
    raise ConfigError(f"unknown source kind {kind!r} (one of: {', '.join(MONITOR_KINDS)})")


def default_url(kind: str) -> str | None:
    """The documented API base of a kind (what `sources add --kind K` uses without a URL); None for rss."""
    if kind not in _MONITORS or kind == "rss":
        return None
    module = importlib.import_module(_MONITORS[kind][0])
    value = getattr(module, "DEFAULT_BASE", None) or getattr(module, "DEFAULT_URL", None)
    return str(value) if value else None
