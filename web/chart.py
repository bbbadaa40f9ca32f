"""Charts of the situation room as plain SVG geometry, drawn by the templates (so every text is escaped).

A stacked bar per hour (editorial, official, social), the hour's local time below it, a scale on the left.
No script and no inline style: the colours come from classes in the page's stylesheet, which the
Content-Security-Policy allows, and each bar has a <title> that a screen reader and a tooltip read.

Web layer: imports the core (items, timeutil) and web.texts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from mediebild.items import KINDS
from mediebild.web.texts import clock

WIDTH, HEIGHT = 720, 190
LEFT, BOTTOM, TOP = 34, 22, 8


def _nice_max(value: int) -> int:
    for step in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 50_000, 100_000):
        if value <= step:
            return step
    return ((value // 100_000) + 1) * 100_000


def stacked_bars(rows: Sequence[dict[str, Any]], lang: str, *, key: str = "hour",
                 width: int = WIDTH, height: int = HEIGHT) -> dict[str, Any]:
    """Geometry of a stacked bar chart: rows are {key: datetime, editorial: n, social: n, official: n}."""
    totals = [sum(int(r.get(k) or 0) for k in KINDS) for r in rows]
    top = _nice_max(max(totals or [0]) or 1)
    plot_w, plot_h = width - LEFT - 4, height - BOTTOM - TOP
    slot = plot_w / max(len(rows), 1)
    bar_w = max(2.0, slot * 0.72)
    bars, labels = [], []
    order = ("editorial", "official", "social")
    for index, row in enumerate(rows):
        x = LEFT + index * slot + (slot - bar_w) / 2
        base: float = TOP + plot_h
        at: datetime = row[key]
        for kind in order:
            n = int(row.get(kind) or 0)
            if not n:
                continue
            h = plot_h * n / top
            base -= h
            bars.append({"x": round(x, 1), "y": round(base, 1), "w": round(bar_w, 1), "h": round(max(h, 0.5), 1),
                         "kind": kind, "n": n, "at": clock(at, lang)})
        if len(rows) <= 14 or index % 2 == 0:
            labels.append({"x": round(x + bar_w / 2, 1), "text": clock(at, lang)[:2]})
    ticks = [{"y": round(TOP + plot_h - plot_h * f, 1), "text": str(int(top * f))} for f in (0, 0.5, 1)]
    return {"width": width, "height": height, "bars": bars, "labels": labels, "ticks": ticks,
            "left": LEFT, "right": width - 4, "baseline": TOP + plot_h, "label_y": height - 6,
            "total": sum(totals)}
