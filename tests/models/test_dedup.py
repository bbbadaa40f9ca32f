"""Near-duplicates: retweets, wire copies with small edits, exact copies, updates; pickling and pruning."""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta, timezone

from mediebild.models.dedup import DedupDoc, DedupIndex, group_copies, is_retweet, normalise_for_shingles

T = datetime(2016, 3, 22, 8, tzinfo=timezone.utc)
WIRE = (
    "Två explosioner inträffade strax före klockan åtta i avgångshallen på Zaventems flygplats utanför Bryssel. "
    "Enligt belgisk tv har minst elva personer dödats och ett stort antal skadats. Flygplatsen är utrymd."
)

TWEET = "Två explosioner på Zaventems flygplats i Bryssel, rök från avgångshallen och folk springer ut, håll er borta #bryssel"


def doc(i, text, minutes=0, source="s"):
    return DedupDoc(i, text, T + timedelta(minutes=minutes), source)


def test_normalisation_drops_retweet_prefix_links_and_ellipsis():
    assert normalise_for_shingles("RT @polisen: Stäng av http://t.co/x Tack…") == "stäng av tack"
    assert is_retweet("RT @x: hej") and not is_retweet("Art och RT")


def test_exact_near_retweet_and_update_are_told_apart():
    index = DedupIndex()
    matches = index.add([
        doc("tn", WIRE, 0, "tn"),
        doc("sd", WIRE, 3, "sd"),  # the same text in another paper: exact
        doc("kp", "Bryssel: " + WIRE.replace("ett stort antal", "många") + " Mer följer.", 5, "kp"),  # edited copy
        doc("tweet", TWEET, 4, "u1"),
        doc("rt", "RT @u1: " + TWEET[:-20] + "…", 6, "x"),  # a retweet, cut short
        doc("tn2", WIRE + " Polisen uppmanar allmänheten att undvika området.", 30, "tn"),  # an update by the wire
        doc("other", "Ny explosion i tunnelbanan vid Maelbeek nära EU-kvarteren, tunnelbanan i Bryssel stängs helt.", 40, "tn"),
    ])
    by_item = {m.item_id: m for m in matches}
    assert by_item["sd"].how == "exact" and by_item["sd"].copy_of == "tn"
    assert by_item["kp"].how == "near" and by_item["kp"].copy_of == "tn" and 0.5 <= by_item["kp"].similarity < 1
    assert by_item["rt"].how == "retweet" and by_item["rt"].copy_of == "tweet"
    assert by_item["tn2"].how == "update" and by_item["tn2"].copy_of == "tn"
    assert "other" not in by_item
    assert {m.item_id for m in group_copies(matches)["tn"]} == {"sd", "kp", "tn2"}


def test_short_posts_only_match_exactly():
    index = DedupIndex()
    matches = index.add([doc("a", "Explosion i Bryssel!"), doc("b", "Explosion i Bryssel?", 1), doc("c", "Skottlossning i Bryssel", 2)])
    assert [(m.item_id, m.how) for m in matches] == [("b", "exact")]


def test_state_pickles_and_keeps_matching_and_pruning_bounds_the_window():
    index = DedupIndex(window=timedelta(hours=24))
    index.add([doc("tn", WIRE, 0, "tn"), doc("short", "Hej", 1)])
    restored = pickle.loads(pickle.dumps(index))
    assert [m.copy_of for m in restored.add([doc("sd", WIRE + " (TT)", 60, "sd")])] == ["tn"]
    assert restored.prune(T + timedelta(hours=30)) == 2 and len(restored) == 0
    assert restored.add([doc("late", WIRE, 31 * 60, "up")]) == []  # the original has left the window
    assert restored.add([doc("again", WIRE, 31 * 60 + 1, "x")])[0].copy_of == "late"


def test_a_second_pass_over_the_same_items_adds_nothing():
    index = DedupIndex()
    first = index.add([doc("tn", WIRE), doc("sd", WIRE, 1)])
    assert len(first) == 1 and index.add([doc("tn", WIRE)]) == []


LONG = (
    "Polisen meddelar att tunnelbanan mellan T-Centralen och Slussen är avstängd i båda riktningarna efter ett "
    "larm om ett misstänkt föremål på perrongen. Bussar ersätter tågen, och resenärer uppmanas att räkna med "
    "förseningar under eftermiddagen. Polisen har spärrat av uppgångarna vid Gamla stan och ber allmänheten att "
    "följa personalens anvisningar och inte sprida bilder från platsen. Mer information kommer på polisen.se."
)


def test_a_truncated_repost_of_the_first_part_is_a_copy_by_containment():
    index = DedupIndex()
    cut = " ".join(LONG.split()[:18])
    matches = index.add([
        doc("orig", LONG, 0, "polisen"),
        doc("cut", cut[:-3] + "…", 5, "u1"),  # cut mid-word, as social platforms do
        doc("rt", "RT @polisen: " + cut + "... https://t.co/x", 6, "u2"),
        doc("fork", " ".join(LONG.split()[:8]) + " men det stämmer inte alls, det var en övning, lugn bara…", 7, "u3"),
        doc("plain", cut, 8, "u4"),  # the same words without an ellipsis: not cut, so no containment
    ])
    by_item = {m.item_id: m for m in matches}
    assert by_item["cut"].how == "truncated" and by_item["cut"].copy_of == "orig" and by_item["cut"].similarity >= 0.8
    assert by_item["rt"].how == "retweet" and by_item["rt"].copy_of == "orig"
    assert "fork" not in by_item and "plain" not in by_item
    fresh = DedupIndex()
    fresh.add([doc("orig", LONG, 0, "polisen")])
    restored = pickle.loads(pickle.dumps(fresh))  # the prefixes and set sizes survive pickling
    again = restored.add([doc("cut2", " ".join(LONG.split()[:14]) + "…", 30, "u5")])
    assert [(m.copy_of, m.how) for m in again] == [("orig", "truncated")]
    assert restored.prune(T + timedelta(hours=72)) == 1 and not restored._prefix and not restored._sizes
