"""The spaCy pipelines: case-aware lemmas, content words only, gazetteer ids, Swedish NER, offsets."""

from __future__ import annotations

import pytest

from mediebild.models.nlp import Analysis, Entity, analyse, lemma_of, lemmatise


@pytest.mark.parametrize(
    ("word", "lemma"),
    [
        ("Polisen", "polis"), ("polisen", "polis"), ("POLISEN", "polis"), ("för", "för"), ("har", "ha"),
        ("Stockholms", "stockholm"), ("Säpos", "säpo"), ("Bryssels", "bryssel"), ("attackerna", "attack"),
        ("Explosionerna", "explosion"), ("SL:s", "sl"), ("mars", "mars"),
    ],
)
def test_swedish_lemmas_handle_case_and_missing_pos(word, lemma):
    assert lemma_of(word, "sv") == lemma


def test_lemmatise_keeps_lower_case_content_words_only():
    [sv, en] = lemmatise(
        [
            "RT @polisen: Explosionerna vid T-Centralen! Läs mer på https://polisen.se 22 mars #bryssel",
            "Police say the explosions at Brussels airport killed 11 people, http://t.co/x",
        ],
        ["sv", "en"],
    )
    assert sv == ["explosion", "t-centralen", "läsa", "mars", "bryssel"]  # a hashtag's word is content
    assert all(w == w.lower() for w in sv + en)
    for noise in ("rt", "@polisen", "polisen", "https://polisen.se", "22", "!", "vid", "på", "#"):
        assert noise not in sv
    assert "explosion" in en and "airport" in en and "the" not in en and "11" not in en


def test_unknown_and_missing_languages_still_get_tokens():
    [so, none] = lemmatise(["Qarax ayaa ka dhacay garoonka", "Zaventem Zaventem"], ["so", None])
    assert "qarax" in so
    assert none == ["zaventem", "zaventem"]


def test_analyse_returns_entities_with_ids_and_offsets():
    texts = [
        "Säpo och Säkerhetspolisen, alltså SÄPO, följer läget. SL:s trafik vid T-Centralen stoppas.",
        "Explosions at Zaventem and Maelbeek; the Swedish Embassy in Brussels is open.",
    ]
    [sv, en] = analyse(texts, ["sv", "en"])
    assert isinstance(sv, Analysis) and all(isinstance(e, Entity) for e in sv.entities)
    assert [e.norm_id for e in sv.entities if e.norm_id == "org:sapo"] == ["org:sapo"] * 3
    assert {"org:sl", "loc:t-centralen"} <= {e.norm_id for e in sv.entities}
    assert {"loc:zaventem", "loc:maelbeek", "org:sveriges-ambassad-bryssel"} <= {e.norm_id for e in en.entities}
    for text, analysis in zip(texts, (sv, en)):
        for e in analysis.entities:
            assert text[e.start : e.end] == e.text
            assert e.label in ("PER", "ORG", "LOC", "MISC")
    assert "säpo" in sv.lemmas


def test_swedish_ner_finds_people_not_in_the_gazetteer():
    [result] = analyse(["Statsminister Stefan Löfven besökte Rinkeby i Stockholm på fredagen."], ["sv"])
    people = [e for e in result.entities if e.label == "PER"]
    assert any("Löfven" in e.text for e in people)
    assert all(e.norm_id.startswith("per:") for e in people)


def test_ner_false_is_the_lemma_fast_path():
    [result] = analyse(["Polisen spärrar av Slussen"], ["sv"], ner=False)
    assert result.entities == [] and result.lemmas == lemmatise(["Polisen spärrar av Slussen"], ["sv"])[0]


def test_lengths_must_match():
    with pytest.raises(ValueError):
        lemmatise(["a", "b"], ["sv"])


def test_english_ner_is_trained_and_folded_into_our_labels():
    analysis = analyse(["Prime Minister Charles Michel said the blasts at Zaventem were terror; Belgian police "
                        "raised the alert."], ["en"])[0]
    found = {(e.label, e.norm_id) for e in analysis.entities}
    assert ("PER", "per:charles-michel") in found  # not in the gazetteer: the trained model found it
    assert ("LOC", "loc:zaventem") in found  # the gazetteer's id wins for names it knows
    assert all(e.label in {"PER", "ORG", "LOC", "MISC"} for e in analysis.entities)  # no DATE, CARDINAL...
