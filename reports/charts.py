"""Small inline SVG charts for the documents: items per hour, stacked by kind.

The geometry is computed here and drawn by the autoescaped Jinja template `volume_chart.svg.j2`, so
the SVG embeds inline in HTML and PDF, needs no script, no font download and no network.

Reports layer: imports the core (items, timeutil) only.
"""

from __future__ import annotations

from typing import Any

from mediebild.items import KINDS
from mediebild.timeutil import local

COLOURS = {"editorial": "#1f5f8b", "social": "#e0902f", "official": "#3c8d4f"}


def volume_chart_geometry(volume: list[dict[str, Any]], *, width: int = 640, height: int = 180) -> dict[str, Any]:
    """Bars (x, y, w, h, colour, title) for each hour and kind, plus axis labels."""
    left, right, top, bottom = 34, 8, 10, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(volume), 1)
    peak = max((sum(row.get(k, 0) for k in KINDS) for row in volume), default=0)
    scale_max = max(peak, 1)
    slot = plot_w / n
    bar_w = max(slot * 0.7, 1.0)
    bars, labels = [], []
    every = max(1, n // 12)
    for index, row in enumerate(volume):
        x = left + index * slot + (slot - bar_w) / 2
        base = top + plot_h
        hour_text = local(row["hour"]).strftime("%H")
        for kind in KINDS:
            count = row.get(kind, 0)
            if not count:
                continue
            h = plot_h * count / scale_max
            base -= h
            bars.append({"x": round(x, 1), "y": round(base, 1), "w": round(bar_w, 1), "h": round(h, 1),
                         "colour": COLOURS[kind], "kind": kind, "count": count, "hour": hour_text})
        if index % every == 0 or index == n - 1:
            labels.append({"x": round(left + index * slot + slot / 2, 1), "text": hour_text})
    return {"width": width, "height": height, "left": left, "top": top, "plot_w": plot_w, "plot_h": plot_h,
            "bottom_y": top + plot_h, "peak": peak, "bars": bars, "labels": labels,
            "legend": [{"kind": k, "colour": COLOURS[k]} for k in KINDS]}


def volume_chart_svg(env, volume: list[dict[str, Any]], texts: dict[str, str]) -> str:
    """The SVG markup (a string already escaped by the template) for the hourly volume chart."""
    geometry = volume_chart_geometry(volume)
    return env.get_template("volume_chart.svg.j2").render(g=geometry, t=texts)
