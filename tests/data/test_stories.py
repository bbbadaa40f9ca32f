"""The stories tables: the read contract the reports code against, merges, copies, alerts raised once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from mediebild.data import stories as db
from mediebild.items import Item

T = datetime(2016, 3, 22, 8, tzinfo=timezone.utc)
LIST_KEYS = {
    "id", "headline", "url", "first_seen", "last_seen", "n_items", "n_outlets", "n_copies", "by_kind", "langs",
    "top_entities", "places", "categories", "tone", "growth_per_hour", "is_new", "rumour", "rumour_reasons",
    "rumour_reasons_en", "rumour_codes", "confirmed_at", "confirmed_reason", "confirmed_reason_en", "item_ids",
    "representative_item_id", "thread_id", "thread_stories", "part_of",
}


def item(i, source, kind, minutes, title, text="", lang="sv"):
    at = T + timedelta(minutes=minutes)
    return Item(id=i, source=source, kind=kind, url=f"https://{source}.example/{i}", title=title, text=text or title,
                author=None, published_at=at, fetched_at=at, lang=lang)


def seed(store):
    items = [
        item("a", "tn", "editorial", 5, "Explosioner på flygplatsen"),
        item("b", "sd", "editorial", 7, "Explosioner på flygplatsen"),
        item("c", "x", "social", 20, "Rök över Zaventem"),
        item("d", "polisen", "official", 70, "Polisen: undvik området"),
        item("e", "y", "social", 75, "Ny explosion i tunnelbanan"),
    ]
    with store.transaction():
        store.upsert_items(items)
        db.record_pass(
            store.con, now=T + timedelta(hours=2),
            seen=[(i.id, True) for i in items],
            copies=[("b", "a", "exact", 1.0)],
            assignments=[("a", "S1", 0.0), ("c", "S1", 0.4), ("d", "S1", 0.3), ("e", "S2", 0.0)],
            opened=["S1", "S2"], merges=[],
        )
        db.refresh_stories(store.con, ["S1", "S2"], now=T + timedelta(hours=2))


def test_list_stories_has_the_contract_keys_and_counts_copies(store):
    seed(store)
    stories = db.list_stories(store.con, until=T + timedelta(hours=2))
    assert [set(s) for s in stories] == [LIST_KEYS, LIST_KEYS]
    s1 = next(s for s in stories if s["id"] == "S1")
    assert s1["headline"] == "Explosioner på flygplatsen" and s1["representative_item_id"] == "a"
    assert s1["n_items"] == 4 and s1["n_copies"] == 1 and s1["n_outlets"] == 4
    assert s1["by_kind"] == {"editorial": 2, "social": 1, "official": 1}
    assert s1["first_seen"] == T + timedelta(minutes=5) and s1["first_seen"].tzinfo is not None
    assert sorted(s1["item_ids"]) == ["a", "b", "c", "d"]


def test_figures_are_as_of_until_and_since_filters_on_activity(store):
    seed(store)
    early = db.list_stories(store.con, until=T + timedelta(minutes=30))
    assert [s["id"] for s in early] == ["S1"] and early[0]["n_items"] == 3
    assert early[0]["is_new"] and early[0]["growth_per_hour"] == 3.0
    later = db.list_stories(store.con, since=T + timedelta(hours=1), until=T + timedelta(hours=2))
    assert {s["id"] for s in later} == {"S1", "S2"}
    assert not next(s for s in later if s["id"] == "S1")["is_new"]


def test_get_story_lists_items_with_their_copies_and_follows_merges(store):
    seed(store)
    story = db.get_story(store.con, "S1")
    first = next(i for i in story["items"] if i["id"] == "a")
    assert [c["id"] for c in first["copies"]] == ["b"] and first["is_copy_of"] is None
    assert next(i for i in story["items"] if i["id"] == "b")["is_copy_of"] == "a"
    with store.transaction():
        db.record_pass(store.con, now=T + timedelta(hours=3), seen=[], copies=[], assignments=[], opened=[], merges=[("S2", "S1")])
    merged = db.get_story(store.con, "S2")
    assert merged["id"] == "S1" and merged["n_items"] == 5
    assert [s["id"] for s in db.list_stories(store.con)] == ["S1"]
    assert db.get_story(store.con, "S99") is None


def test_alerts_are_raised_once(store):
    seed(store)
    alert = {"kind": "story", "story_id": "S1", "term": None, "raised_at": T + timedelta(hours=1), "hour": T,
             "count_last_hour": 9, "baseline": 0.0, "score": 5.4, "headline": None}
    assert db.raise_alert(store.con, alert)
    assert not db.raise_alert(store.con, dict(alert, raised_at=T + timedelta(hours=2)))
    term = dict(alert, kind="term", story_id=None, term="zaventem")
    assert db.raise_alert(store.con, term)
    assert not db.raise_alert(store.con, dict(term, raised_at=T + timedelta(hours=5), hour=T + timedelta(hours=4)))
    assert db.raise_alert(store.con, dict(term, raised_at=T + timedelta(hours=14), hour=T + timedelta(hours=13)))
    alerts = db.list_alerts(store.con, since=T)
    assert len(alerts) == 3 and next(a for a in alerts if a["kind"] == "story")["headline"] == "Explosioner på flygplatsen"  # from the story while none was stored
    assert db.list_alerts(store.con, since=T + timedelta(hours=10))[0]["term"] == "zaventem"


def test_state_round_trips(store):
    with store.transaction():
        db.save_state(store.con, "x", {"a": [1, 2]}, now=T)
    assert db.load_state(store.con, "x") == {"a": [1, 2]} and db.load_state(store.con, "missing") is None
    first = db.state_digest(store.con, "x")
    assert first is not None and db.state_digest(store.con, "missing") is None
    assert db.state_digest(store.con, "x") == first
    with store.transaction():
        db.save_state(store.con, "x", {"a": [1, 2, 3]}, now=T)
    assert db.state_digest(store.con, "x") != first


def test_a_confirmation_is_stored_and_listed_with_its_time(store):
    from mediebild.models.rumours import RumourItem, assess

    seed(store)
    verdict = assess([RumourItem("Obekräftade uppgifter om skadade svenskar", "social", T + timedelta(minutes=20)),
                      RumourItem("UD bekräftar: två svenskar skadade", "official", T + timedelta(minutes=70))])
    assert not verdict.rumour and verdict.confirmed is not None
    with store.transaction():
        db.refresh_stories(store.con, ["S1"], now=T + timedelta(hours=2), verdicts={"S1": verdict})
    s1 = next(s for s in db.list_stories(store.con, until=T + timedelta(hours=2)) if s["id"] == "S1")
    assert s1["confirmed_at"] == T + timedelta(minutes=70)
    assert s1["confirmed_reason"].startswith("bekräftat sedan") and s1["confirmed_reason_en"].startswith("confirmed since")
    s2 = next(s for s in db.list_stories(store.con, until=T + timedelta(hours=2)) if s["id"] == "S2")
    assert s2["confirmed_at"] is None and s2["confirmed_reason"] is None
