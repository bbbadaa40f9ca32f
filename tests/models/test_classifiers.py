"""The shipped relevance, categories and tone models: their API, the training code, and score floors on dev sets.

Floors sit on development data only: the training code run on a small CrisisLex slice and scored on events it did
not see, and the Swedish relevance dev sets (models/eval_data/bryssel_sv, storm_sv, heldout/ostermalm_gas). The
blind sets (heldout/sodertalje_train, nacka_storm) are no gate: a floor on them would make them a selection
criterion; their scores are reported in models/artifacts/relevance.md. The demo scenario is a smoke test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mediebild.models import categories, relevance, tone
from mediebild.models.eval.classifiers import eval_relevance
from mediebild.profile import Profile

EVAL_DATA = Path(relevance.__file__).resolve().parent / "eval_data"

# Floors: raise them when a change scores better, never lower them.
FLOOR_RELEVANCE_F1 = {"bryssel": 0.94, "storm": 0.97, "ostermalm_gas": 0.57}  # dev sets (ostermalm_gas: errors read)
# Smoke test, not a target: the demo scenario's truth with its shipped profile measured 0.833; a loose floor only
# catches a pipeline that stopped working (the demo is a showcase, not a development set).
SMOKE_DEMO_RELEVANCE_F1 = 0.70


def test_relevance_api_and_profile(tmp_path):
    model = relevance.load()
    assert relevance.load() is model  # loaded once per process
    profile = Profile.from_toml(EVAL_DATA / "bryssel.toml")
    texts = ["Två explosioner på Zaventems flygplats i Bryssel, flera döda",
             "EU-toppmöte i Bryssel om migrationen",
             "Belgien vann fotbollslandskampen efter attackerna"]
    out = model.predict(texts, ["sv"] * 3, profile=profile)
    assert set(out[0]) == {"relevance", "relevant", "informativeness", "profile_terms", "profile_excluded"}
    assert out[0]["relevant"] and out[0]["informativeness"] in ("informative", "not_informative")
    assert "Zaventem" in out[0]["profile_terms"]
    assert not out[1]["relevant"] and out[1]["informativeness"] == "not_related"
    assert not out[2]["relevant"] and out[2]["relevance"] < 0.1 and out[2]["profile_excluded"]  # excluded
    assert not out[0]["profile_excluded"]
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


# The training code on a small slice: 300 texts from each of six T26 events (and of the four T6 events for topic),
# scored on two T26 events it never saw (Colorado floods, Lac-Mégantic). Measured when written: informativeness
# 0.678 held out (leave-events-out within the slice 0.742), information type 0.629 (0.624), topic leave-one-T6-event-
# out 0.926; majority-class weighted F1 on the held-out events is 0.55 for informativeness. About 5 s. The plain
# TF-IDF + LR baseline on the same slice folds must score below the head (session 4).
SLICE_TRAIN = ("2012_Colorado_wildfires", "2012_Typhoon_Pablo", "2013_Boston_bombings", "2013_Queensland_floods",
               "2013_Savar_building_collapse", "2013_NY_train_crash")
SLICE_HELD_OUT = ("2013_Colorado_floods", "2013_Lac_Megantic_train_crash")
SLICE_ROWS = 300
FLOORS_SLICE_HELD_OUT = {"informativeness": 0.63, "info_type": 0.58}
FLOORS_SLICE_LEAVE_EVENTS_OUT = {"informativeness": 0.70, "info_type": 0.57, "topic": 0.88}


def test_the_training_code_on_a_small_slice_scores_unseen_events_above_floor(shared_data):
    """Runs what `mediebild train classifiers` runs (features, grouped folds, calibration, prior adjustment, the
    final head) on a slice, then scores the head on held-out events: a worse featuriser or learner fails here."""
    import dataclasses

    from sklearn.metrics import f1_score

    from mediebild.models.corpora import crisislex as ev
    from mediebild.models.features import featurize
    from mediebild.models.train.classifiers import train_t26_task, train_topic

    def thin(event):
        step = max(1, len(event.rows) // SLICE_ROWS)
        return dataclasses.replace(event, rows=event.rows[::step][:SLICE_ROWS])

    events = ev.read_t26(shared_data / "crisislex" / "CrisisLexT26")
    train = [thin(e) for e in events if e.name in SLICE_TRAIN]
    held = [thin(e) for e in events if e.name in SLICE_HELD_OUT]
    assert len(train) == len(SLICE_TRAIN) and len(held) == len(SLICE_HELD_OUT)
    for task, floor in FLOORS_SLICE_HELD_OUT.items():
        head, report = train_t26_task(task, train, task, log=lambda _: None, baseline=True)
        # issue 13: the head must beat the plain TF-IDF + logistic regression baseline on the same unseen events
        plain = report["baseline_tfidf_lr_leave_events_out"]["weighted_f1"]
        assert report["leave_events_out"]["weighted_f1"] > plain, (task, plain)
        truth, predicted = [], []
        for event in held:
            rows = [r for r in event.rows if getattr(r, task) is not None]
            proba = head.predict_proba(featurize([r.text for r in rows], event.places))
            predicted += [head.classes[i] for i in proba.argmax(axis=1)]
            truth += [getattr(r, task) for r in rows]
        held_out = f1_score(truth, predicted, average="weighted")
        print(f"{task}: held-out events {held_out:.3f}, leave-events-out in the slice "
              f"{report['leave_events_out']['weighted_f1']} (plain baseline {plain})")
        assert held_out >= floor, task
        assert report["leave_events_out"]["weighted_f1"] >= FLOORS_SLICE_LEAVE_EVENTS_OUT[task], task
    t6 = [thin(e) for e in ev.read_t6(shared_data / "crisislex" / "CrisisLexT6")]
    _, report = train_topic(t6, train, log=lambda _: None)
    print(f"topic: leave-one-T6-event-out {report['leave_events_out']['weighted_f1']}")
    assert report["leave_events_out"]["weighted_f1"] >= FLOORS_SLICE_LEAVE_EVENTS_OUT["topic"]


def test_topic_head_reads_the_incident_terms():
    model = relevance.load()
    texts = ["This hurricane is so boring, is the gym open?", "omg this pizza is so good lol"]
    with_terms = model.topic_proba(texts, ["Sandy"], ["hurricane", "Sandy"])
    other_incident = model.topic_proba(texts, ["Boston"], ["bombings", "Boston"])
    assert with_terms[0] > other_incident[0] and with_terms[0] > 0.5
    assert with_terms[1] < 0.5


RELEVANCE_DEV_SETS = {"bryssel": ("bryssel_sv.csv", "bryssel.toml"), "storm": ("storm_sv.csv", "storm.toml"),
                      "ostermalm_gas": ("heldout/ostermalm_gas.csv", "heldout/ostermalm_gas.toml")}


@pytest.mark.parametrize("name", sorted(RELEVANCE_DEV_SETS))
def test_swedish_relevance_dev_sets_meet_floor(name):
    items, profile = RELEVANCE_DEV_SETS[name]
    result = eval_relevance(EVAL_DATA / items, EVAL_DATA / profile)
    assert result["n"] >= 80
    assert result["f1"] >= FLOOR_RELEVANCE_F1[name], result["errors"]


def test_demo_scenario_relevance_smoke():
    """Smoke test (loose floor): the demo is a showcase, never tuned on; 0.833 measured (relevance.md)."""
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
    f1 = f1_score(truth, [p["relevant"] for p in predicted])
    print(f"demo relevance F1 (smoke) {f1:.3f}")
    assert f1 >= SMOKE_DEMO_RELEVANCE_F1


def test_eval_relevance_command(capsys):
    from mediebild.cli import main

    assert main(["eval", "relevance", "--items", str(EVAL_DATA / "storm_sv.csv"),
                 "--profile", str(EVAL_DATA / "storm.toml"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"precision", "recall", "f1", "weighted_f1", "per_class"} <= set(result)
