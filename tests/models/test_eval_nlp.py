"""Token-level NER scores and the `mediebild eval ner|language` commands."""

from __future__ import annotations

import json

import pytest

from mediebild.cli import main
from mediebild.models.eval.nlp import crisislex_language_set, stopword_vote, token_scores


def test_token_scores_ignore_outside_and_average_three_ways():
    gold = [["PER", "PER", "O", "LOC"], ["ORG", "O"]]
    pred = [["PER", "O", "O", "LOC"], ["LOC", "O"]]
    scores = token_scores(gold, pred)
    assert scores["n"] == 6 and scores["n_entity_tokens"] == 4
    assert scores["per_class"]["PER"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2}
    assert scores["micro_precision"] == pytest.approx(2 / 3) and scores["micro_recall"] == pytest.approx(0.5)
    assert set(scores) >= {"micro_f1", "macro_f1", "weighted_f1", "per_class"}


def test_stopword_vote():
    assert stopword_vote("el terremoto de la ciudad y los muertos")[0] == "es"
    assert stopword_vote("the quake hit the city and the people")[0] == "en"
    assert stopword_vote("😂")[0] is None


def test_eval_ner_json_on_a_small_file(tmp_path, capsys):
    path = tmp_path / "t.conll"
    path.write_text("Stefan\tPER\nLöfven PER\nbesökte\t0\nSolna\tLOC\n.\t0\n\nSäpo\tORG\nvarnar\t0\n", encoding="utf-8")
    assert main(["eval", "ner", "--conll", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["task"] == "ner" and result["n"] == 7
    assert set(result) >= {"weighted_f1", "macro_f1", "micro_f1", "per_class"}
    assert set(result["per_class"]) == {"PER", "ORG", "LOC", "MISC"}


def test_eval_ner_missing_file_is_exit_2(tmp_path, capsys):
    assert main(["eval", "ner", "--conll", str(tmp_path / "nope.conll")]) == 2
    assert "no such CoNLL file" in capsys.readouterr().err


def test_crisislex_silver_set_is_balanced_and_clear(shared_data):
    pairs = crisislex_language_set(shared_data, per_language=50)
    langs = {lang for _, lang in pairs}
    assert {"en", "es"} <= langs
    assert all(len([1 for _, l in pairs if l == lang]) <= 50 for lang in langs)
