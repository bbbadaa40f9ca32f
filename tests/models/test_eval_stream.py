"""Story clustering on a labelled stream CSV: the replay, its scores and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediebild.errors import UserError
from mediebild.models.eval.stream import evaluate_stream

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "streams" / "tiny.csv"


def test_a_tiny_stream_is_replayed_and_scored():
    result = evaluate_stream(TINY)
    assert result["items"] == 6 and result["gold_stories"] == 3
    assert result["copies"] >= 1  # a2 is a wire copy of a1
    assert 0.0 <= result["bcubed_f1"] <= 1.0 and result["cross_language_items"] == 2
    assert result["predicted_stories"] >= 2  # the football derby is not the ferry


def test_a_stream_without_its_columns_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text\n1,hej\n", encoding="utf-8")
    with pytest.raises(UserError, match="missing columns"):
        evaluate_stream(bad)
    with pytest.raises(UserError, match="no CSV"):
        evaluate_stream(tmp_path / "none.csv")


# The blind ferry-fire stream (models/eval_data/heldout/ferry_stream.csv) is held out: no floor here, or it would
# become a selection criterion. Its score is reported in models/artifacts/stories.md and the README.

DEV_STREAM = Path(__file__).resolve().parents[2] / "models" / "eval_data" / "dev" / "norrkoping_port_stream.csv"
# The development stream (port explosion in Norrköping, 101 items, 20 % English, 12 stories + 15 off-topic; written for
# choosing the stream clustering's settings, models/artifacts/stories.md): measured B-cubed F1 0.541 (P 0.89, R 0.39),
# ARI 0.238, 6 of 6 copies and no false ones, 2 of 17 English items with their Swedish story; with the shared-space
# bridge and threads (session 4) F1 0.610 (P 0.96, R 0.45), ARI 0.378, 13 of 17. Never lower.
FLOOR_DEV_STREAM_F1, FLOOR_DEV_STREAM_ARI = 0.58, 0.30


def test_the_development_stream_meets_floor():
    result = evaluate_stream(DEV_STREAM)
    print(result)
    assert result["items"] >= 100 and result["copies"] == 6
    assert result["bcubed_f1"] >= FLOOR_DEV_STREAM_F1 and result["adjusted_rand"] >= FLOOR_DEV_STREAM_ARI


def test_the_tiny_stream_reports_threads_and_rumour_flags():
    result = evaluate_stream(TINY)
    assert 1 <= result["predicted_threads"] <= result["predicted_stories"]
    assert 0.0 <= result["incident_bcubed_f1"] <= 1.0 and result["rumour_flagged"] >= 0


DEV = Path(__file__).resolve().parents[2] / "models" / "eval_data" / "dev"
# The development incident sets (INCIDENT_SETS.md; chosen on, so optimistic): what the stream clustering reached when
# the shared-space bridge, incident threads and the hedged sub-group were chosen (stories.md, session 4), with margin:
#   uppsala_water:    B-cubed F1 0.601 (P 0.83, R 0.47), English with their Swedish story 19 of 39, incident threads
#                     F1 0.695, rumour flags 3 (precision 1.00), the 1 gold rumour found
#   sundsvall_bridge: B-cubed F1 0.627 (P 0.80, R 0.52), 23 of 36, threads 0.727, 5 flags (0.80), 3 of 3 rumours
# Never lower.
DEV_FLOORS = {
    "uppsala_water": {"bcubed_f1": 0.57, "cross_language_together": 15, "incident_bcubed_f1": 0.65,
                      "rumour_precision": 0.9, "rumour_stories_found": 1},
    "sundsvall_bridge": {"bcubed_f1": 0.59, "cross_language_together": 18, "incident_bcubed_f1": 0.68,
                         "rumour_precision": 0.7, "rumour_stories_found": 2},
}


@pytest.mark.parametrize("incident", sorted(DEV_FLOORS))
def test_the_development_incident_sets_meet_floors(incident):
    result = evaluate_stream(DEV / incident / "items.csv")
    print(result)
    for key, floor in DEV_FLOORS[incident].items():
        assert result[key] >= floor, (key, result[key], floor)
