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


FERRY = Path(__file__).resolve().parents[2] / "models" / "eval_data" / "heldout" / "ferry_stream.csv"
# The blind ferry-fire stream (written without seeing the tool): B-cubed F1 0.419, ARI 0.194, 3 of 58 English items
# with their Swedish story. Pinned so they only go up; far from WikiRef's 0.90 (stories.md says why).
FLOOR_FERRY_F1, FLOOR_FERRY_ARI = 0.41, 0.19


@pytest.mark.slow
def test_the_blind_ferry_stream_meets_floor():
    result = evaluate_stream(FERRY)
    assert result["items"] >= 250
    assert result["bcubed_f1"] >= FLOOR_FERRY_F1 and result["adjusted_rand"] >= FLOOR_FERRY_ARI
