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
