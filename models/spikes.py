"""Breaking news and spikes: the last hour against the previous 12, robust to low counts.

The approach of EMM's breaking-news detection and Meltwater's spike alerts: a story or a term is "spiking"
when its count in the last hour is far above its own baseline, the mean of the 12 hours before. Counts are
Poisson-like and small, so the score is on the Anscombe (variance-stabilised) scale,
``2 * (sqrt(x + 3/8) - sqrt(mean + 3/8))``, roughly a z-score, and an alert also needs a minimum count and a
minimum ratio to the baseline, so three posts after a quiet night do not make a headline. A brand-new story
(baseline 0) with enough items in its first hour is a breaking story. Counts in, verdicts out.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

BASELINE_HOURS = 12


@dataclass(slots=True, frozen=True)
class SpikeRule:
    min_count: int = 5  # items in the last hour, at least
    min_score: float = 3.0  # Anscombe-scale distance from the baseline
    min_ratio: float = 3.0  # last hour vs the baseline mean (a baseline below 1/h counts as 1/h)


@dataclass(slots=True)
class Spike:
    key: str
    count_last_hour: int
    baseline: float  # mean per hour over the previous 12 hours
    score: float


def anscombe_score(count_last_hour: float, baseline_mean: float) -> float:
    return 2.0 * (math.sqrt(count_last_hour + 0.375) - math.sqrt(max(baseline_mean, 0.0) + 0.375))


def spike(key: str, hourly: Sequence[int], rule: SpikeRule = SpikeRule()) -> Spike | None:
    """`hourly` is oldest first and ends with the last hour (13 values: 12 baseline hours, then the last)."""
    if not hourly:
        return None
    last = int(hourly[-1])
    previous = list(hourly[:-1])[-BASELINE_HOURS:]
    baseline = sum(previous) / BASELINE_HOURS
    score = anscombe_score(last, baseline)
    if last >= rule.min_count and score >= rule.min_score and last >= rule.min_ratio * max(baseline, 1.0):
        return Spike(key, last, baseline, score)
    return None


def spikes(series: Mapping[str, Sequence[int]], rule: SpikeRule = SpikeRule()) -> list[Spike]:
    """Every key whose last hour spikes, highest score first."""
    found = [s for key, hourly in series.items() if (s := spike(key, hourly, rule)) is not None]
    return sorted(found, key=lambda s: (-s.score, s.key))


def term_series(hourly_docs: Sequence[Iterable[Iterable[str]]]) -> dict[str, list[int]]:
    """Document frequency per term per hour: `hourly_docs[h]` is that hour's documents as term lists."""
    counts = [Counter(t for doc in docs for t in set(doc)) for docs in hourly_docs]
    terms = set(counts[-1]) if counts else set()
    return {t: [c.get(t, 0) for c in counts] for t in terms}


def term_spikes(
    hourly_docs: Sequence[Iterable[Iterable[str]]],
    rule: SpikeRule = SpikeRule(min_count=8, min_score=4.0, min_ratio=4.0),
    *,
    min_baseline_docs: int = 20,
    limit: int = 5,
) -> list[Spike]:
    """Terms spiking in the last hour; none until the baseline holds `min_baseline_docs` documents.

    Without history every term is "new", so term alerts wait until there is a baseline to compare with.
    """
    hours = [list(docs) for docs in hourly_docs]
    if sum(len(docs) for docs in hours[:-1]) < min_baseline_docs:
        return []
    return spikes(term_series(hours), rule)[:limit]
