"""Monitors: one module per kind of source. They fetch and parse, return items, and never touch the store."""

from __future__ import annotations

from mediebild.errors import ConfigError
from mediebild.monitors.base import MONITOR_KINDS, Monitor
from mediebild.monitors.http import DEFAULT_LIMITS, HttpLimits

# Monitors that exist today; the other kinds of MONITOR_KINDS come with later issues.
AVAILABLE = ("rss", "polisen", "krisinformation", "smhi", "vma")


def monitor_for(kind: str, limits: HttpLimits = DEFAULT_LIMITS) -> Monitor:
    """The monitor for a source kind (rss, x, mastodon, ...)."""
    if kind == "rss":
        from mediebild.monitors.rss import RssMonitor

        return RssMonitor(limits)
    if kind == "polisen":
        from mediebild.monitors.polisen import PolisenMonitor

        return PolisenMonitor(limits)
    if kind == "krisinformation":
        from mediebild.monitors.krisinformation import KrisinformationMonitor

        return KrisinformationMonitor(limits)
    if kind == "smhi":
        from mediebild.monitors.smhi import SmhiMonitor

        return SmhiMonitor(limits)
    if kind == "vma":
        from mediebild.monitors.vma import VmaMonitor

        return VmaMonitor(limits)
    if kind in MONITOR_KINDS:
        raise ConfigError(f"the {kind} monitor is not available yet (available: {', '.join(AVAILABLE)})")
    raise ConfigError(f"unknown source kind {kind!r} (one of: {', '.join(MONITOR_KINDS)})")
