"""Rumour flags: social-only spread, hedging, denials and contradicting casualty figures, with reasons in Swedish and English."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

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


def test_denials_are_a_grammar_not_a_list_of_events():
    """Verbs of denying, a claim called false, a negated verb of happening; no incident's nouns."""
    for text in ("Räddningstjänsten: Det har inte skett någon ny läcka",
                 "Polisen: Inget tyder på att någon beväpnad person fanns i skolan",
                 "Smittskyddsläkaren har inga uppgifter om att någon blivit sjuk av vattnet",
                 "Uppgiften om sabotage saknar grund, säger polisen",
                 "Elbolaget avfärdar uppgifterna om en veckas avbrott",
                 "Ryktet om plundring är falskt",
                 "Police deny reports of a second gunman",
                 "There is no truth in claims that the dam is failing",
                 "TTC says reports of an explosion are false"):
        assert assess([RumourItem(text, "official")]).codes == ["denial"], text
    for text in ("Ingen har skadats i branden", "Inga uppgifter om skadade i nuläget", "No injuries have been reported",
                 "Den misstänkte förnekar brott", "Så skyddar du dig mot falska bilder", "Det stämmer att vägen är avstängd",
                 "This should never happen again"):
        assert not assess([RumourItem(text, "official")]).rumour, text
    assert hedges("Ryktet om plundring är falskt, säger polisen") == []  # a denial passes no hedge on


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


def test_hearsay_in_posts_is_a_hedge_but_hearing_a_sound_is_not():
    assert hedges("Hör att all tunnelbana är stoppad?? Någon som vet?", weak=False) == ["hör att"]
    assert hedges("Det sägs att det skjuts där", weak=False) == ["det sägs"]
    assert hedges("Hearing that the metro is shut, can anyone confirm?", weak=False) == ["can anyone confirm", "hearing that"]
    assert not hedges("Polisen hörde vittnen på plats", weak=False)
    assert not hedges("Någon som vet om Eurostar går från Bryssel i morgon?", weak=False)  # a question, not hearsay
    assert not hedges("I hear the helicopters over Salford all night", weak=False)  # a sound (CrisisLexT26's four "I hear")
    assert hedges("I heard there might be a shooter at the school", weak=False) == ["i heard there"]
    assert hedges("Workers are said to have been injured", weak=False) == ["are said to have"]
    assert hedges("Polisen kan i nuläget inte bekräfta hur många som skadats", weak=False) != []


DEV_RUMOUR_CUES = Path(__file__).resolve().parents[2] / "models" / "eval_data" / "dev" / "rumour_hedges.csv"
# Floors on the development set written for the rumour cues (132 sv/en posts about incidents other than the demo's;
# models/artifacts/stories.md): measured hedge P 1.00 R 0.77 (any hedge R 0.91), denial P 1.00 R 0.82,
# confirmation 1.00 / 1.00. Dev figures, optimistic: the rules were written with the set at hand.
FLOOR_DEV_CUES = {"hedge": (0.95, 0.75), "hedge_any": (0.9, 0.88), "denial": (0.95, 0.8), "confirmation": (0.95, 0.95)}


def test_rumour_cues_on_the_development_set_meet_floors():
    from mediebild.models.eval.rumours import eval_rumour_cues

    result = eval_rumour_cues(DEV_RUMOUR_CUES)
    assert result["n"] >= 120
    for cue, (precision, recall) in FLOOR_DEV_CUES.items():
        print(cue, result[cue]["precision"], result[cue]["recall"])
        assert result[cue]["precision"] >= precision and result[cue]["recall"] >= recall, (cue, result[cue])


DEV = Path(__file__).resolve().parents[2] / "models" / "eval_data" / "dev"


def test_contradicting_figures_on_the_development_pairs_meet_floor():
    """22 pairs of casualty reports (dev; stories.md): a later, higher figure is an unfolding toll, a lower one or a
    different one at about the same time contradicts. Measured P 1.00 R 0.91 (P 0.77 before the rising-toll rule)."""
    from mediebild.models.eval.rumours import eval_casualty_pairs

    result = eval_casualty_pairs(DEV / "casualty_pairs.csv")
    print(result)
    assert result["n"] >= 20 and result["precision"] >= 0.95 and result["recall"] >= 0.85


def test_the_development_stream_flags_its_rumours_and_nothing_else():
    """The gold stories of the dev stream (Norrköping port): the two rumours are flagged (hedged, then denied), the
    ten other stories are not (the casualty count rising 4 -> 9 -> 12 within hours is no contradiction)."""
    from collections import defaultdict

    from mediebild.models.corpora.labelled import read_stream

    stories = defaultdict(list)
    for row in read_stream(DEV / "norrkoping_port_stream.csv"):
        if not row["story"].startswith("noise"):
            stories[row["story"]].append(RumourItem(f"{row['title']}\n{row['text']}", row["kind"], row["time"], row["source"]))
    flagged = {story for story, items in stories.items() if assess(items).rumour}
    assert flagged == {"rumour-terror", "rumour-toxic-cloud"}


def test_the_hedged_sub_group_of_a_grown_story_carries_the_flag():
    """A story that grew around a rumour (a death toll next to the rumoured one): hedging, denials and
    confirmations are read from the posts that hedge or deny and the posts that share their words."""
    items = [
        RumourItem("Tre döda och femton skadade i raset vid bron, bekräftar polisen", "official", T + timedelta(hours=1), "polisen"),
        RumourItem("Räddningstjänsten har avslutat arbetet vid bron för natten", "official", T + timedelta(minutes=5), "rtj"),
        RumourItem("Enligt källor inom vården är 17 döda, myndigheterna mörkar dödssiffran", "social", T + timedelta(minutes=20), "a"),
        RumourItem("17 döda?? mörkar myndigheterna dödssiffran verkligen", "social", T + timedelta(minutes=30), "b"),
    ]
    from mediebild.models.rumours import rumour_group

    assert rumour_group(items) == [2, 3]  # the hedge, and the post that shares its words
    whole = assess(items)
    assert not whole.rumour  # the police confirmation in the other sub-story answered the hedge
    grouped = assess(items, subgroup=True)
    assert grouped.rumour and grouped.codes == ["hedging"] and grouped.group == [2, 3]
    assert "(1 av 4 poster)" in grouped.reasons[0]
    assert assess(items[:2], subgroup=True).group == [] and not assess(items[:2], subgroup=True).rumour
