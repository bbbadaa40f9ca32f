"""Charts for analysts: the trends of several queries over time, drawn with matplotlib to SVG or PNG.

Text from outside (the queries) only ever becomes matplotlib text objects, never markup; matplotlib's SVG
writer escapes it. Times on the axis are Stockholm time, as the buckets are.

Reports layer: imports matplotlib (Agg, no display) and the standard library only.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path


def trend_chart(path: Path, buckets: list[datetime], series: list[tuple[str, list[int]]], totals: list[int], *,
                share: bool = False, by: str = "hour") -> None:
    """One line per query: items per bucket (or their share of all items), written to `path` (.svg or .png)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(10, 4.5), dpi=120)
    x = mdates.date2num(buckets)  # matplotlib's own numbers for dates (what it would convert them to anyway)
    try:
        for label, counts in series:
            values = [c / t if t else 0.0 for c, t in zip(counts, totals, strict=True)] if share else counts
            axes.plot(x, values, marker="o" if len(buckets) <= 48 else None, markersize=3, linewidth=1.8,
                      label=label)
        if not share:
            axes.plot(x, totals, color="#999999", linewidth=1, linestyle="--", label="alla poster")
        axes.set_ylabel("andel av alla poster" if share else "poster")
        if share:
            axes.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        axes.set_xlabel({"15min": "kvart", "hour": "timme", "day": "dag"}.get(by, by) + " (Stockholmstid)")
        axes.xaxis_date()
        axes.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=10))
        axes.xaxis.set_major_formatter(mdates.DateFormatter("%d/%m" if by == "day" else "%d/%m %H:%M"))
        axes.grid(True, alpha=0.3)
        axes.set_ylim(bottom=0)
        axes.legend(loc="upper left", fontsize="small")
        figure.autofmt_xdate()
        figure.tight_layout()
        figure.savefig(path, format=path.suffix.lower().lstrip("."))
    finally:
        plt.close(figure)
