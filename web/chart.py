"""Charts of the situation room as plain SVG geometry, drawn by the templates (so every text is escaped).

A stacked bar per hour (editorial, official, social), the hour's local time below it, a scale on the left.
No script and no inline style: the colours come from classes in the page's stylesheet, which the
Content-Security-Policy allows, and each bar has a <title> that a screen reader and a tooltip read.

Also the trends chart of Sök och trender (`lines`): one line per query, a standalone SVG for an <img>.

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


# The trends chart: one line per query, drawn as a standalone SVG (served as image/svg+xml and shown in an <img>,
# where no script can run); its colours are presentation attributes, because an image cannot use the page's
# stylesheet. The palette is Okabe and Ito's, which colour-blind readers can tell apart.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
LINE_W, LINE_H = 880, 300
LINE_LEFT, LINE_RIGHT, LINE_TOP, LINE_BOTTOM = 52, 12, 12, 40


def lines(buckets: Sequence[datetime], series: Sequence[tuple[str, Sequence[float]]], *, share: bool, by: str,
          lang: str) -> dict[str, Any]:
    """Geometry of a line chart: `series` are (label, one value per bucket); `share`: values are fractions."""
    top_value = max((v for _, values in series for v in values), default=0.0)
    if share:
        top = min(1.0, max(0.05, (int(top_value * 20) + 1) / 20))  # the next 5 %
    else:
        top = float(_nice_max(int(top_value) or 1))
    plot_w, plot_h = LINE_W - LINE_LEFT - LINE_RIGHT, LINE_H - LINE_TOP - LINE_BOTTOM
    n = len(buckets)
    step = plot_w / max(n - 1, 1)

    def x(i: int) -> float:
        return round(LINE_LEFT + (i * step if n > 1 else plot_w / 2), 1)

    def y(v: float) -> float:
        return round(LINE_TOP + plot_h - plot_h * min(v, top) / top, 1)

    drawn = []
    for number, (label, values) in enumerate(series):
        points = [(x(i), y(float(v))) for i, v in enumerate(values)]
        drawn.append({"label": label, "colour": PALETTE[number % len(PALETTE)],
                      "points": " ".join(f"{px},{py}" for px, py in points),
                      "dots": points if n <= 48 else []})
    every = max(1, -(-n // 10))
    labels = []
    for i, b in enumerate(buckets):
        if i % every == 0:
            text = f"{b.day}/{b.month}" if by == "day" else (f"{b.day}/{b.month} " if b.hour == 0 and b.minute == 0
                                                              or i == 0 else "") + b.strftime(
                "%H.%M" if lang == "sv" else "%H:%M")
            labels.append({"x": x(i), "text": text})
    ticks = []
    for f in (0, 0.25, 0.5, 0.75, 1):
        value = top * f
        text = f"{value * 100:.0f} %" if share else f"{value:g}"
        ticks.append({"y": y(value), "text": text})
    legend = [{"x": LINE_LEFT + (k % 4) * 205, "y": LINE_H - 6 + (k // 4) * 16, "label": s["label"],
               "colour": s["colour"]} for k, s in enumerate(drawn)]
    return {"width": LINE_W, "height": LINE_H + 16 * ((len(drawn) - 1) // 4 if drawn else 0), "left": LINE_LEFT,
            "right": LINE_W - LINE_RIGHT, "baseline": LINE_TOP + plot_h, "label_y": LINE_H - LINE_BOTTOM + 16,
            "series": drawn, "ticks": ticks, "labels": labels, "legend": legend}
