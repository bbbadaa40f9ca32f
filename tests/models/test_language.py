"""Language identification: Nordic headlines not confused, required languages, no answer on no text, floors."""

from __future__ import annotations

import pytest

from mediebild.models.language import HEADLINES, SUPPORTED_LANGUAGES, detect_language, detect_languages

REQUIRED = ("sv", "en", "no", "da", "fi", "de", "fr", "nl", "es", "it", "ar", "so")


def test_required_languages_are_supported_and_in_the_check_set():
    assert set(REQUIRED) <= set(SUPPORTED_LANGUAGES)
    assert set(REQUIRED) <= {lang for _, lang in HEADLINES}


def test_nordic_headlines_are_seldom_confused():
    """The check set (rewritten without the demo's headlines) is 71 of 73 right; the two misses are Norwegian
    headlines taken for Swedish and Danish (LANGUAGE_MODEL_CARD.md); no Swedish headline may be missed."""
    predicted = detect_languages([text for text, _ in HEADLINES])
    wrong = [(text, gold, lang) for (text, gold), (lang, _) in zip(HEADLINES, predicted) if lang != gold]
    assert len(wrong) <= 2, wrong
    assert not [w for w in wrong if w[1] == "sv"]


def test_confidence_is_a_probability_and_empty_text_has_no_language():
    for lang, confidence in detect_languages(["Polisen spärrar av Slussen", "", "😂😂", "https://t.co/abc @namn", "112"]):
        assert 0.0 <= confidence <= 1.0
    assert detect_language("") == (None, 0.0)
    assert detect_language("😂😂")[0] is None
    assert detect_language("https://t.co/abc @namn")[0] is None


def test_links_and_handles_do_not_decide_the_language():
    lang, _ = detect_language("RT @BrusselsAirport: Säkerhetspolisen höjer beredskapen efter dåden https://t.co/x")
    assert lang == "sv"


def test_norwegian_bokmal_and_nynorsk_are_one_code():
    lang, confidence = detect_language("Eg veit ikkje kva som skjedde på flyplassen i Brussel i dag")
    assert lang == "no" and confidence > 0.5


# Floors measured 2026-11-25 (LANGUAGE_MODEL_CARD.md); never lower them. headlines_nordic was re-measured when the
# check set was rewritten without the demo's headlines (1.0 on the old set, 0.973 = 71/73 on the new one).
FLOORS = {
    "headlines_nordic": 0.97,
    "sv_news_sentences": 0.985,
    "sv_headline_length": 0.98,
    "sv_tweets": 0.87,
    "crisislex_stopword_silver": 0.99,
}


def test_language_accuracy_floors(shared_data):
    from mediebild.models.eval.nlp import evaluate_language

    result = evaluate_language(shared_data)
    assert result["task"] == "language"
    assert {"n", "weighted_f1", "macro_f1", "per_class"} <= set(result)
    assert result["per_class"]["sv"]["support"] >= 3000
    for name, floor in FLOORS.items():
        assert result["per_set"][name]["accuracy"] >= floor, (name, result["per_set"][name])
