"""Clustering evaluation: metrics on toy data, and the pinned floors on WikiRef220 and a CrisisLex replay."""

from __future__ import annotations

import pytest

from mediebild.models.eval.clusters import WIKIREF_FLOOR_ARI, WIKIREF_FLOOR_F1, WIKIREF_FLOOR_TOPIC_F1, adjusted_rand, bcubed, evaluate_crisislex, evaluate_wikiref, purity
from mediebild.models.corpora.wikiref import read_text


def test_bcubed_and_friends_on_toy_clusterings():
    gold = {"a": 1, "b": 1, "c": 2, "d": 3}
    assert bcubed(gold, gold) == (1.0, 1.0, 1.0)
    lumped = {k: 0 for k in gold}
    p, r, f1 = bcubed(lumped, gold)
    assert r == 1.0 and p == pytest.approx((0.5 + 0.5 + 0.25 + 0.25) / 4)
    assert adjusted_rand(gold, gold) == 1.0
    assert purity(lumped, gold) == 0.5


def test_cp1252_files_are_read(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes("“Paris” – £5".encode("cp1252"))
    assert read_text(path) == "“Paris” – £5"


def test_wikiref_scores_stay_above_their_floors(shared_data):
    folder = shared_data / "wikiref-news-clusters"
    if not folder.exists():
        pytest.skip("WikiRef220 not present")
    result = evaluate_wikiref(folder)
    print(result)
    assert result["documents"] == 220
    assert result["bcubed_f1"] >= WIKIREF_FLOOR_F1
    assert result["topic_bcubed_f1"] >= WIKIREF_FLOOR_TOPIC_F1
    assert result["adjusted_rand"] >= WIKIREF_FLOOR_ARI


def test_boston_replay_is_purer_than_the_majority_baseline(shared_data):
    folder = shared_data / "crisislex"
    if not (folder / "CrisisLexT26" / "2013_Boston_bombings").exists():
        pytest.skip("CrisisLex Boston not present")
    result = evaluate_crisislex(folder)
    print(result)
    assert result["tweets"] > 400 and result["copies"] > 20
    assert result["purity_info_type_stories_5plus"] >= result["majority_baseline"] + 0.15
    assert result["stories"] < result["tweets"] * 0.6
