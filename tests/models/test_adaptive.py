"""The relevance learner (models/adaptive.py) on small hand-made streams, and its stream evaluation."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone

import pytest

from mediebild.models.adaptive import (
    Doc,
    IncidentLearner,
    Judged,
    LearnerSettings,
    LearnerState,
    doc_tokens,
    questions,
    suggest_terms,
)

START = datetime(2026, 9, 7, 8, 0, tzinfo=timezone.utc)


def doc(item_id, words, base, minutes=30, excluded=False):
    return Doc(item_id, frozenset(words.split()), base, START + timedelta(minutes=minutes), excluded)


SEEDS = [doc(f"s{i}", "kokningsrekommendation uppsala vatten flaskvatten tank", 0.8) for i in range(4)]
NOISE = [doc(f"n{i}", f"fotboll sirius mål match{i}", 0.05) for i in range(6)]
FOLLOW_UP = doc("f1", "kö vid tank flaskvatten slut", 0.05)
OTHER = doc("o1", "kö vid kassan på ica", 0.05)


def learner(*docs, **settings):
    lr = IncidentLearner(START, LearnerSettings(**settings))
    lr.observe(docs or [*SEEDS, *NOISE, FOLLOW_UP, OTHER])
    return lr


def test_learns_the_incident_vocabulary_from_confident_items():
    lr = learner()
    weights = lr.weights()
    assert {"flaskvatten", "tank", "vatten"} <= set(weights)
    assert "fotboll" not in weights and "kö" not in weights  # not among the confident items
    assert lr.score(FOLLOW_UP) >= 0.5 > lr.score(OTHER)
    assert lr.score(OTHER) == OTHER.base  # learning only adds
    assert lr.contributions(FOLLOW_UP)[:2] == sorted(lr.contributions(FOLLOW_UP)[:2], key=lambda t: -weights[t])


def test_nothing_learned_before_enough_confident_items_or_before_the_start():
    assert learner(*SEEDS[:2], *NOISE).weights() == {}
    early = [doc(d.item_id, " ".join(d.tokens), d.base, minutes=-30) for d in SEEDS]
    lr = learner(*early, *NOISE, FOLLOW_UP)
    assert lr.weights() == {} and lr.score(FOLLOW_UP) == FOLLOW_UP.base


def test_exclusion_and_judgements_are_final():
    lr = learner()
    excluded = doc("x", "flaskvatten tank vatten", 0.01, excluded=True)
    assert lr.score(excluded) == 0.01
    lr.use_judgements(Judged({"f1": False, "o1": True}, [FOLLOW_UP, OTHER]))
    assert lr.score(FOLLOW_UP) == 0.0 and lr.score(OTHER) == 1.0


def test_rejected_items_stop_teaching_and_weigh_in_the_background():
    lr = learner()
    before = lr.weights()["vatten"]
    lr.use_judgements(Judged({"s0": False, "s1": False}, SEEDS[:2]))
    assert lr.weights().get("vatten", 0.0) < before
    lr.use_judgements(Judged({"o1": True}, [OTHER]))
    assert "kassan" not in lr.weights()  # one judged item: below min_df
    lr = learner(judged_weight=2)
    lr.use_judgements(Judged({"o1": True}, [OTHER]))
    assert "kassan" in lr.weights()


def test_state_round_trips_through_json_and_keeps_counting():
    lr = learner()
    state = LearnerState.from_json(lr.state.to_json())
    again = IncidentLearner(START, state=state)
    assert again.weights() == lr.weights()
    again.observe([doc("s9", "kokningsrekommendation vatten", 0.9)])
    assert again.state.n_seeds == 5 and again.state.n_docs == lr.state.n_docs + 1
    assert LearnerState.from_json({"version": "old"}).n_docs == 0


def test_questions_are_the_most_uncertain_spread_over_hours():
    docs = [doc("a", "x", 0.49, 10), doc("b", "x", 0.51, 20), doc("c", "x", 0.45, 70), doc("d", "x", 0.9, 80)]
    scores = [d.base for d in docs]
    assert questions(docs, scores, n=2) == ["a", "c"]  # b is as uncertain as a but in the same hour
    assert questions(docs, scores, n=3) == ["a", "c", "b"]
    assert questions(docs, scores, n=2, judged=["a"]) == ["b", "c"]


def test_suggestions_leave_out_what_the_profile_has():
    lr = learner()
    terms = [t["term"] for t in suggest_terms(lr, known=["kokningsrekommendation", "uppsala", "flask*"])]
    assert "tank" in terms and "vatten" in terms
    assert not {"kokningsrekommendation", "uppsala", "flaskvatten"} & set(terms)
    assert not any(t.startswith("=") for t in terms)


def test_doc_tokens_add_cross_language_concepts():
    tokens = doc_tokens("explosion flygplats", "sv")
    assert {"explosion", "flygplats", "=explosion", "=airport"} <= tokens
    assert doc_tokens(["Airport", "x"], "en") == frozenset({"airport", "=airport"})


# -- the stream evaluation ------------------------------------------------------------------------------------

PROFILE = """name = "Vatten"
start = "2026-09-07T08:00:00+00:00"
query = "kokningsrekommendation AND Uppsala"
[terms]
sv = ["kokningsrekommendation"]
places = ["Uppsala"]
"""


@pytest.fixture
def incident_set(tmp_path):
    rows = []
    n = 0

    def add(hour, text, relevant, story):
        nonlocal n
        n += 1
        rows.append({"id": f"i{n:03d}", "time": (START + timedelta(hours=hour, minutes=n)).isoformat(), "lang": "sv",
                     "kind": "social", "source": "s", "title": "", "text": text, "story": story,
                     "relevant": relevant, "info_type": "x" if relevant else "not_relevant", "note": ""})

    for h in range(4):
        for k in range(3):
            add(h, f"Kokningsrekommendation i Uppsala: koka vattnet, flaskvatten vid tankarna {k}", 1, "notice")
        add(h, "Lång kö vid tanken, flaskvattnet tog slut i butiken", 1, "queue")
        add(h, "Sirius vann matchen mot Hammarby på Studenternas", 0, f"noise-{h}a")
        add(h, "Ny utställning på konstmuseet i Uppsala", 0, f"noise-{h}b")
    path = tmp_path / "items.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (tmp_path / "profile.toml").write_text(PROFILE, encoding="utf-8")
    return path, tmp_path / "profile.toml"


def test_eval_replays_hour_by_hour_and_learns(incident_set):
    from mediebild.models.eval.adaptive import eval_adaptive

    items, profile = incident_set
    result = eval_adaptive(items, profile, prior=False)  # the learner alone (the prior: test_relevance_prior.py)
    assert result["passes"] == 4 and result["feedback"] == 0 and result["n"] == 24
    assert {"precision", "recall", "f1", "weighted_f1", "per_class", "final", "base", "auc"} <= set(result)
    assert result["base"]["recall"] == 0.75  # the queue posts name neither term nor place
    assert result["final"]["recall"] == 1.0 and result["final"]["precision"] == 1.0
    assert result["recall"] >= result["base"]["recall"]  # learning only adds


def test_eval_feedback_judges_k_items_and_scores_the_rest(incident_set):
    from mediebild.models.eval.adaptive import eval_adaptive

    items, profile = incident_set
    result = eval_adaptive(items, profile, feedback=3)
    assert result["feedback"] == 3 and result["scored"] == 21


def test_eval_relevance_command_with_feedback(incident_set, capsys):
    import json

    from mediebild.cli import main

    items, profile = incident_set
    assert main(["eval", "relevance", "--items", str(items), "--profile", str(profile), "--feedback", "2",
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["feedback"] == 2 and {"precision", "recall", "f1"} <= set(result)
    assert main(["eval", "relevance", "--items", str(items), "--profile", str(profile), "--static", "--feedback",
                 "2"]) == 2


# -- floors on the development sets (never on held-out sets; measured values in relevance.md) ------------------
# The learner alone: the relevance prior was trained on these very sets, so with it they would be in-sample
# (tests/models/test_relevance_prior.py scores the combination leave-one-set-out).

EVAL_DATA = __import__("pathlib").Path(__file__).resolve().parents[2] / "models" / "eval_data"
ADAPTIVE_DEV_SETS = {
    # name: (items, profile, feedback, floor)   measured 2026-12-04: 0.758 / 0.797 / 0.686 / 0.697 / 0.715 / 0.899 / 0.957
    "uppsala_water": ("dev/uppsala_water/items.csv", "dev/uppsala_water/profile.toml", 0, 0.70),
    "uppsala_water+20": ("dev/uppsala_water/items.csv", "dev/uppsala_water/profile.toml", 20, 0.74),
    "sundsvall_bridge": ("dev/sundsvall_bridge/items.csv", "dev/sundsvall_bridge/profile.toml", 0, 0.63),
    "sundsvall_bridge+20": ("dev/sundsvall_bridge/items.csv", "dev/sundsvall_bridge/profile.toml", 20, 0.64),
    "ostermalm_gas": ("heldout/ostermalm_gas.csv", "heldout/ostermalm_gas.toml", 0, 0.67),
    "bryssel": ("bryssel_sv.csv", "bryssel.toml", 0, 0.85),
    "storm": ("storm_sv.csv", "storm.toml", 0, 0.92),
}


@pytest.mark.parametrize("name", sorted(ADAPTIVE_DEV_SETS))
def test_adaptive_relevance_dev_sets_meet_floor(name):
    from mediebild.models.eval.adaptive import eval_adaptive

    items, profile, feedback, floor = ADAPTIVE_DEV_SETS[name]
    result = eval_adaptive(EVAL_DATA / items, EVAL_DATA / profile, feedback=feedback, prior=False)
    print(f"{name}: adaptive F1 {result['f1']:.3f} (P {result['precision']:.2f} R {result['recall']:.2f})")
    assert result["feedback"] == feedback
    assert result["f1"] >= floor, result["errors"][:10]
    assert result["recall"] >= result["base"]["recall"]  # learning only adds
