"""English glosses for Swedish text: what they add, what they leave alone, and what they do for information type."""

from __future__ import annotations

import pytest

from mediebild.models.gloss import gloss, glossed_texts, version

# Smoke test, not a target: the demo scenario's relevant items measured weighted F1 0.50 with the glosses (0.40
# without); the loose floor only catches a gloss or head that stopped working. The demo is a showcase.
SMOKE_DEMO_INFO_TYPE_F1 = 0.40


def test_advice_and_people_get_their_english_words():
    assert "stay indoors" in gloss("Allmänheten uppmanas att stanna inomhus och stänga fönster", None)
    words = gloss("Två döda och flera skadade efter explosionen", None).split()
    assert {"dead", "injured", "explosion"} <= set(words)


def test_services_down_and_their_advice_get_their_english_words():
    """An IT attack or outage has few casualties and much infrastructure and advice: its wording must reach the
    English-trained head as outage and advice words (general vocabulary, session 4)."""
    words = set(gloss("IT-attacken gör att kassasystemen ligger nere på apotek och i butiker", None).split())
    assert {"cyber", "systems", "down", "outage", "pharmacies", "stores"} <= words
    assert "change your password" in gloss("Byt lösenord och klicka inte på länkar i mejl", None)
    assert "do not click" in gloss("Byt lösenord och klicka inte på länkar i mejl", None)


def test_other_languages_and_plain_words_are_left_alone():
    texts = ["Two dead after the blast", "Vädret blir fint i morgon"]
    out = glossed_texts(texts, ["en", "sv"])
    assert out[0] == texts[0]
    assert out[1] == texts[1]  # nothing of crisis vocabulary: no gloss at all


def test_version_is_stable():
    assert version() == version() and len(version()) == 8


@pytest.mark.slow
def test_swedish_information_types_on_the_demo_smoke():
    """Smoke test with a loose floor on the demo (a showcase, never tuned on)."""
    from sklearn.metrics import f1_score

    from mediebild.demo.scenario import load_scenario
    from mediebild.items import strip_html
    from mediebild.models import categories
    from mediebild.models.corpora.crisislex import INFO_TYPES
    from mediebild.models.language import detect_languages
    from mediebild.models.nlp import lemmatise

    items = [i for i in load_scenario().items if i.relevant and i.info_type]
    texts = [f"{strip_html(i.title)}\n{strip_html(i.text)}" for i in items]
    langs = [lang for lang, _ in detect_languages(texts)]
    predicted = categories.load().predict(texts, langs, lemmas=lemmatise(texts, langs))
    truth = [INFO_TYPES[i.info_type] for i in items]
    f1 = f1_score(truth, [p["info_type"] for p in predicted], average="weighted")
    print(f"demo information type weighted F1 (smoke) {f1:.3f}")
    assert f1 >= SMOKE_DEMO_INFO_TYPE_F1


# The blind Swedish information-type set (models/eval_data/heldout/sv_info_type.csv) is held out: no floor here, or
# it would become a selection criterion; its score is reported in models/artifacts/categories.md.


# Swedish information-type development sets that are not the demo: dev/sv_info_type_dev.csv (60 texts, 10 per class,
# incidents of the other dev sets: weighted F1 0.460 without glosses, 0.562 with them, 0.575 with the services-down
# wording of session 4) and the relevant rows of the dev incident sets (uppsala_water 0.389 -> 0.413, sundsvall_bridge
# 0.534 -> 0.527 in session 4). Never lower. These floors are the CrisisLex head read through the gloss alone: the
# incident-sets head that is blended in was trained on these very sets (tests/models/test_incident_types.py scores
# the blend leave-one-incident-out).
FLOOR_DEV_INFO_TYPE_F1 = {"sv_info_type_dev.csv": 0.56, "uppsala_water/items.csv": 0.40,
                          "sundsvall_bridge/items.csv": 0.51}


@pytest.mark.parametrize("name", sorted(FLOOR_DEV_INFO_TYPE_F1))
def test_swedish_information_types_on_the_development_sets_meet_floor(name):
    from pathlib import Path

    from mediebild.models.eval.classifiers import eval_info_type_csv

    here = Path(__file__).resolve().parents[2] / "models" / "eval_data" / "dev" / name
    result = eval_info_type_csv(here, crisislex_only=True)
    print(f"{name}: dev information type weighted F1 {result['weighted_f1']}")
    assert result["n"] >= 60 and result["weighted_f1"] >= FLOOR_DEV_INFO_TYPE_F1[name]
