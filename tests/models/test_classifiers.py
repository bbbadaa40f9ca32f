"""The shipped relevance, categories and tone models: their API, and score floors that are never lowered.

Floors come from the shipped artefacts (models/artifacts/training_scores.json holds the leave-events-out and
random-split scores measured when they were trained; the Swedish relevance dev sets are in models/eval_data/).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mediebild.models import categories, relevance, tone
from mediebild.models.eval.classifiers import eval_relevance
from mediebild.profile import Profile

EVAL_DATA = Path(relevance.__file__).resolve().parent / "eval_data"
ARTIFACTS = Path(relevance.__file__).resolve().parent / "artifacts"

# Floors: raise them when a change scores better, never lower them.
FLOORS_LEAVE_EVENTS_OUT = {"informativeness": 0.76, "informativeness_2class": 0.79, "info_type": 0.678,
                           "source_type": 0.60, "topic": 0.907}
FLOOR_TOPIC_WORST_EVENT = 0.85  # Sandy, the hardest T6 event held out (0.65 before the event columns)
FLOOR_RELEVANCE_F1 = {"bryssel": 0.94, "storm": 0.97}
# The blind sets of eval_data/heldout/ (items and profiles written apart, README there): far below the goal of
# 0.90; pinned so that they only go up. They were 0.55/0.49/0.48 with the query as a hard gate.
FLOOR_BLIND_RELEVANCE_F1 = {"ostermalm_gas": 0.57, "sodertalje_train": 0.52, "nacka_storm": 0.52}
FLOOR_DEMO_RELEVANCE_F1 = 0.83  # the demo scenario's truth, its shipped profile (0.77 with the hard gate)


def test_relevance_api_and_profile(tmp_path):
    model = relevance.load()
    assert relevance.load() is model  # loaded once per process
    profile = Profile.from_toml(EVAL_DATA / "bryssel.toml")
    texts = ["Två explosioner på Zaventems flygplats i Bryssel, flera döda",
             "EU-toppmöte i Bryssel om migrationen",
             "Belgien vann fotbollslandskampen efter attackerna"]
    out = model.predict(texts, ["sv"] * 3, profile=profile)
    assert set(out[0]) == {"relevance", "relevant", "informativeness", "profile_terms"}
    assert out[0]["relevant"] and out[0]["informativeness"] in ("informative", "not_informative")
    assert "Zaventem" in out[0]["profile_terms"]
    assert not out[1]["relevant"] and out[1]["informativeness"] == "not_related"
    assert not out[2]["relevant"] and out[2]["relevance"] < 0.1  # excluded
    assert all(0.0 <= o["relevance"] <= 1.0 for o in out)
    assert model.predict([], []) == []


def test_relevance_without_profile_is_the_crisis_probability():
    model = relevance.load()
    crisis, chatter = model.predict(["Two dead, dozens injured in the explosion at the marathon finish line",
                                     "omg this pizza is so good lol"], ["en", "en"])
    assert crisis["relevance"] > chatter["relevance"]
    assert crisis["relevant"] and not chatter["relevant"]


def test_categories_api():
    model = categories.load()
    [out] = model.predict(["Donate blood at the Red Cross, volunteers needed"], ["en"])
    assert out["info_type"] in categories.INFO_TYPES and out["source_type"] in categories.SOURCE_TYPES
    assert out["info_type"] == "donations_and_volunteering"
    assert abs(sum(out["info_type_probs"].values()) - 1) < 1e-3
    assert set(out["source_type_probs"]) == set(categories.SOURCE_TYPES)
    assert set(categories.LABELS_SV) == set(categories.LABELS_EN) == set(categories.INFO_TYPES) | set(categories.SOURCE_TYPES)
    assert categories.LABELS_SV["affected_individuals"] == "Drabbade personer"


def test_tone_api_swedish_and_english():
    model = tone.load()
    out = model.predict(["Fruktansvärt, många döda och skadade i attacken",
                         "Tack alla fantastiska frivilliga, ni är underbara ❤️",
                         "Horrible attack, so many people killed",
                         "What a wonderful and beautiful day, love it"], ["sv", "sv", "en", "en"])
    assert [o["tone"] for o in out] == ["negative", "positive", "negative", "positive"]
    assert set(out[0]["tone_probs"]) == set(tone.TONES)
    assert abs(sum(out[0]["tone_probs"].values()) - 1) < 1e-3


def test_leave_events_out_scores_of_shipped_models_meet_floors():
    report = json.loads((ARTIFACTS / "training_scores.json").read_text(encoding="utf-8"))
    for task, floor in FLOORS_LEAVE_EVENTS_OUT.items():
        assert report[task]["leave_events_out"]["weighted_f1"] >= floor, task
    assert min(report["topic"]["leave_events_out"]["per_event"].values()) >= FLOOR_TOPIC_WORST_EVENT


def test_topic_head_reads_the_incident_terms():
    model = relevance.load()
    texts = ["This hurricane is so boring, is the gym open?", "omg this pizza is so good lol"]
    with_terms = model.topic_proba(texts, ["Sandy"], ["hurricane", "Sandy"])
    other_incident = model.topic_proba(texts, ["Boston"], ["bombings", "Boston"])
    assert with_terms[0] > other_incident[0] and with_terms[0] > 0.5
    assert with_terms[1] < 0.5


@pytest.mark.parametrize("name", ["bryssel", "storm"])
def test_swedish_relevance_dev_sets_meet_floor(name):
    result = eval_relevance(EVAL_DATA / f"{name}_sv.csv", EVAL_DATA / f"{name}.toml")
    assert result["n"] >= 80
    assert result["f1"] >= FLOOR_RELEVANCE_F1[name], result["errors"]


@pytest.mark.parametrize("name", sorted(FLOOR_BLIND_RELEVANCE_F1))
def test_blind_swedish_relevance_sets_meet_floor(name):
    result = eval_relevance(EVAL_DATA / "heldout" / f"{name}.csv", EVAL_DATA / "heldout" / f"{name}.toml")
    assert result["n"] >= 150
    assert result["f1"] >= FLOOR_BLIND_RELEVANCE_F1[name]


def test_demo_scenario_relevance_meets_floor():
    from sklearn.metrics import f1_score

    from mediebild.demo.scenario import load_scenario
    from mediebild.items import strip_html
    from mediebild.models.language import detect_languages
    from mediebild.models.nlp import lemmatise

    scenario = load_scenario()
    texts = [f"{strip_html(i.title)}\n{strip_html(i.text)}" for i in scenario.items]
    langs = [lang for lang, _ in detect_languages(texts)]
    predicted = relevance.load().predict(texts, langs, lemmas=lemmatise(texts, langs),
                                         profile=Profile.from_toml(scenario.profile_path))
    truth = [bool(i.relevant) for i in scenario.items]
    assert f1_score(truth, [p["relevant"] for p in predicted]) >= FLOOR_DEMO_RELEVANCE_F1


def test_eval_relevance_command(capsys):
    from mediebild.cli import main

    assert main(["eval", "relevance", "--items", str(EVAL_DATA / "storm_sv.csv"),
                 "--profile", str(EVAL_DATA / "storm.toml"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"precision", "recall", "f1", "weighted_f1", "per_class"} <= set(result)
