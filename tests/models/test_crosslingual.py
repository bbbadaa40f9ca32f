"""Shared sv/en tokens for the incident vocabulary: lemmas, Swedish inflections and compounds, other words kept."""

from __future__ import annotations

from mediebild.models.crosslingual import TERMS, concepts_of, shared_tokens


def test_swedish_and_english_lemmas_meet_on_one_concept():
    sv = shared_tokens(["explosion", "flygplats", "skadad", "tunnelbana"], "sv")
    en = shared_tokens(["blast", "airport", "injure", "subway"], "en")
    assert sv == en == ["=explosion", "=airport", "=injured", "=metro"]


def test_swedish_compounds_and_inflections_give_their_parts():
    assert concepts_of("flygplatsen", "sv") == ("airport",)
    assert concepts_of("brysselflygplatsen", "sv") == ("airport",)  # the head of a compound
    assert concepts_of("terrorhotnivån", "sv") == ("terror", "threat")  # modifier and head
    assert concepts_of("tunnelbanetåget", "sv")[0] == "metro"


def test_short_stems_do_not_fire_inside_unrelated_words():
    for word in ("hotell", "dörr", "planera", "rasism"):
        assert concepts_of(word, "sv") != ("threat",) and "dead" not in concepts_of(word, "sv"), word
    assert concepts_of("hotell", "sv") == ("hotel",)


def test_unknown_words_and_other_languages_are_left_alone():
    assert shared_tokens(["zaventem", "blodcentralen", "football"], "en") == ["zaventem", "blodcentralen", "football"]
    assert shared_tokens(["explosion"], None) == ["explosion"]
    assert shared_tokens(["explosion"], "de") == ["explosion"]


def test_every_concept_has_words_in_both_languages():
    for concept, (en, sv) in TERMS.items():
        assert en and sv, concept
        assert all(w == w.lower() for w in en + sv), concept


def test_compound_heads_need_a_real_first_part():
    assert concepts_of("springa", "sv") == ()  # s-p-ringa is no compound
    assert concepts_of("arlanda", "sv") == ()  # ar-landa is no arrival
    assert "close" in concepts_of("avstänga", "sv")  # av|stänga is
    assert "terror" in concepts_of("terrorhotnivån", "sv")
