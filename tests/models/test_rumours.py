"""Rumour flags: social-only spread, hedging, denials and contradicting casualty figures, with reasons in Swedish and English."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from mediebild.models.rumours import RumourItem, assess, casualty_figures, hedges, reason_text

T = datetime(2016, 3, 22, 9, tzinfo=timezone.utc)


def test_social_only_spread_is_flagged_with_a_reason():
    verdict = assess([RumourItem(f"Folk springer vid T-Centralen #{k}", "social", T, f"u{k}") for k in range(4)])
    assert verdict.rumour and verdict.codes == ["social_only"]
    assert "sociala medier" in verdict.reasons[0]


def test_a_story_with_an_editorial_source_is_not_social_only():
    items = [RumourItem("Folk springer vid T-Centralen", "social")] * 4 + [RumourItem("Polisen på plats vid T-Centralen", "editorial")]
    assert not assess(items).rumour


def test_hedging_in_swedish_and_english():
    assert hedges("Enligt uppgift ska det ha skjutits") == ["enligt uppgift", "ska det ha"]
    assert hedges("Reportedly two blasts, unconfirmed") == ["reportedly", "unconfirmed"]
    verdict = assess([RumourItem("Obekräftade uppgifter om skottlossning", "editorial")])
    assert verdict.codes == ["hedging"] and "obekräftade uppgifter" in verdict.reasons[0]


def test_denial_is_flagged():
    verdict = assess([
        RumourItem("Explosion vid Schuman, säger vittnen", "editorial", T, "a"),
        RumourItem("Polisen dementerar uppgifterna om en explosion vid Schuman", "official", T, "polisen"),
    ])
    assert "denial" in verdict.codes and any("dementeras" in r for r in verdict.reasons)


def test_contradicting_casualty_figures_close_in_time_but_not_a_rising_toll():
    assert casualty_figures("Minst elva döda och 30 skadade") == {"dead": {11}, "injured": {30}}
    close = assess([
        RumourItem("11 döda i explosionerna", "editorial", T, "tn"),
        RumourItem("Uppgifter: 20 döda på flygplatsen", "editorial", T + timedelta(minutes=20), "kp"),
    ])
    assert "contradiction" in close.codes and any("11 mot 20" in r for r in close.reasons)
    rising = assess([
        RumourItem("11 döda i explosionerna", "editorial", T, "tn"),
        RumourItem("Dödssiffran stiger: 31 döda", "official", T + timedelta(hours=4), "pol"),
    ])
    assert "contradiction" not in rising.codes


def test_weak_hedges_need_company_and_unrelated_quantities_do_not_contradict():
    one = assess([RumourItem("Uppgifter om läget från länsstyrelsen", "official")])
    assert not one.rumour
    two = assess([RumourItem("Uppgifter om skottlossning", "editorial"), RumourItem("Uppgifter om skott vid T-Centralen", "social")])
    assert two.codes == ["hedging"]
    quantities = assess([
        RumourItem("Två svenskar skadade", "editorial", T, "ud"),
        RumourItem("Över 250 skadade i attackerna", "editorial", T + timedelta(minutes=30), "tn"),
    ])
    assert not quantities.rumour


def test_denials_in_plain_words():
    for text in ("Belgisk polis: Ingen explosion vid Schuman", "Swedavia: Arlanda är inte utrymt", "Police: no shooting at T-Centralen"):
        assert assess([RumourItem(text, "official")]).codes == ["denial"], text
    assert not assess([RumourItem("Så skyddar du dig mot falska bilder", "editorial")]).rumour


def test_every_reason_has_a_code_with_parameters_and_both_languages():
    items = [
        RumourItem("Obekräftade uppgifter om 11 döda", "social", T, "x"),
        RumourItem("Polisen dementerar: ingen explosion", "official", T, "polisen"),
        RumourItem("Enligt uppgift 20 döda", "editorial", T, "tn"),
    ]
    verdict = assess(items)
    assert verdict.codes == [d.code for d in verdict.details]
    assert len(verdict.reasons) == len(verdict.reasons_en) == len(verdict.details) >= 2
    denial = next(d for d in verdict.details if d.code == "denial")
    assert denial.params["kind"] == "official"
    assert reason_text("denial", denial.params, "sv").startswith("uppgift dementeras (myndighet")
    assert reason_text("denial", denial.params, "en").startswith("claim denied (authority")
    assert verdict.reasons_in("en") == verdict.reasons_en
    assert reason_text("contradiction", {"casualty": "dead", "low": 11, "high": 20}, "en") == (
        "contradicting figures (dead): 11 against 20")
    assert reason_text("unknown_code", {}, "en") == "unknown_code"


def test_a_hedge_answered_by_an_official_confirmation_no_longer_flags():
    hedged = RumourItem("Obekräftade uppgifter om att svenskar är skadade", "social", T, "x")
    cannot = RumourItem("UD kan inte bekräfta uppgifterna om skadade svenskar", "editorial", T + timedelta(minutes=20), "kp")
    assert assess([hedged, cannot]).rumour and assess([hedged, cannot]).confirmed is None  # negated: no confirmation
    confirms = RumourItem("UD bekräftar: två svenskar skadade", "official", T + timedelta(hours=2), "ud")
    verdict = assess([hedged, cannot, confirms])
    assert not verdict.rumour and verdict.confirmed_at == T + timedelta(hours=2)
    assert reason_text("confirmed", verdict.confirmed.params, "sv") == 'bekräftat sedan 12:00 (myndighet: "bekräftar")'
    assert reason_text("confirmed", verdict.confirmed.params, "en").startswith("confirmed since 12:00 (authority")
    later = RumourItem("Rykten om fler skadade svenskar", "social", T + timedelta(hours=3), "y")
    assert assess([hedged, confirms, later]).codes == ["hedging"]  # a new hedge after the confirmation counts
    social = RumourItem("UD bekräftar två skadade", "social", T + timedelta(hours=2), "z")
    assert assess([hedged, social]).rumour  # a post saying so is no confirmation
    assert assess([RumourItem("Ministry confirms two injured", "editorial", T)]).confirmed is not None
    assert assess([RumourItem("Police could not confirm the reports", "editorial", T)]).confirmed is None


def test_weak_hedges_count_a_story_and_its_copies_once_and_no_reports_is_no_hedge():
    original = RumourItem("Uppgifter om skadade finns", "editorial", T, "tn")
    copies = [RumourItem("Uppgifter om skadade finns (TN)", "editorial", T, f"p{k}", original="tn-1") for k in range(3)]
    assert not assess([RumourItem("Uppgifter om skadade finns", "editorial", T, "tn", original="tn-1"), *copies]).rumour
    assert assess([original, *copies]).codes == ["hedging"]  # without copy links they look independent
    assert hedges("Polisen har inga uppgifter om någon koppling till Sverige", weak=True) == []


def test_hearsay_in_posts_is_a_hedge():
    assert hedges("Hör att all tunnelbana är stoppad?? Någon som vet?", weak=False) == ["hör att"]
    assert hedges("Det sägs att det skjuts där", weak=False) == ["det sägs"]
    assert hedges("Hearing that the metro is shut, can anyone confirm?", weak=False) == ["can anyone confirm", "hearing that"]
    assert not hedges("Polisen hörde vittnen på plats", weak=False)
    assert not hedges("Någon som vet om Eurostar går från Bryssel i morgon?", weak=False)  # a question, not hearsay
