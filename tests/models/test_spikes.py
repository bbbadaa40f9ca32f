"""Spikes: the last hour against the 12 before, robust to low counts; terms wait for a baseline."""

from __future__ import annotations

from mediebild.models.spikes import SpikeRule, anscombe_score, spike, spikes, term_spikes


def test_a_new_story_with_a_burst_is_breaking_but_three_posts_are_not():
    assert spike("s", [0] * 12 + [12]) is not None
    assert spike("s", [0] * 12 + [3]) is None  # below the minimum count


def test_a_busy_story_needs_far_more_than_its_baseline():
    assert spike("s", [10] * 12 + [14]) is None
    hit = spike("s", [2] * 12 + [20])
    assert hit and hit.baseline == 2 and hit.score > 3


def test_score_is_anscombe_scale_and_ordering_is_by_score():
    assert anscombe_score(0, 0) == 0
    found = spikes({"a": [0] * 12 + [6], "b": [0] * 12 + [30], "c": [5] * 13})
    assert [s.key for s in found] == ["b", "a"]
    assert spikes({"a": [0] * 12 + [6]}, SpikeRule(min_count=10)) == []


def test_term_spikes_wait_for_history_and_find_the_new_word():
    quiet = [[["väder", "sol"], ["trafik", "kö"]] for _ in range(12)]
    burst = [["zaventem", "explosion"] for _ in range(15)] + [["väder"]]
    assert term_spikes([[]] * 12 + [burst]) == []  # no baseline yet
    found = term_spikes(quiet + [burst])
    assert {s.key for s in found} == {"zaventem", "explosion"}


def test_on_the_development_stream_only_the_first_reports_break():
    """The dev stream's gold stories hour by hour (models/eval_data/dev/norrkoping_port_stream.csv): the default rule
    raises one alert, the first reports in the hour of the blast (the same for min_count 4-6, min_score 2.5-3,
    min_ratio 2-3); the later stories grow too slowly to count as breaking."""
    from collections import defaultdict
    from datetime import timedelta
    from pathlib import Path

    from mediebild.models.corpora.labelled import read_stream
    from mediebild.timeutil import floor_hour

    rows = read_stream(Path(__file__).resolve().parents[2] / "models" / "eval_data" / "dev" / "norrkoping_port_stream.csv")
    first = floor_hour(rows[0]["time"]) - timedelta(hours=12)
    n_hours = int((floor_hour(rows[-1]["time"]) - first) / timedelta(hours=1)) + 1
    counts = defaultdict(lambda: [0] * n_hours)
    for row in rows:
        counts[row["story"]][int((floor_hour(row["time"]) - first) / timedelta(hours=1))] += 1
    alerts = [(h, s.key) for h in range(12, n_hours) for s in spikes({k: v[h - 12 : h + 1] for k, v in counts.items()})]
    blast_hour = int((floor_hour(next(r["time"] for r in rows if r["story"] == "first-reports")) - first) / timedelta(hours=1))
    assert alerts == [(blast_hour, "first-reports")]
