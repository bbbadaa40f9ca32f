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
# ARI 0.238, 6 of 6 copies and no false ones, 2 of 17 English items with their Swedish story. Never lower.
FLOOR_DEV_STREAM_F1, FLOOR_DEV_STREAM_ARI = 0.52, 0.22


def test_the_development_stream_meets_floor():
    result = evaluate_stream(DEV_STREAM)
    print(result)
    assert result["items"] >= 100 and result["copies"] == 6
    assert result["bcubed_f1"] >= FLOOR_DEV_STREAM_F1 and result["adjusted_rand"] >= FLOOR_DEV_STREAM_ARI
