"""The stories step end to end on a real DuckDB file: dedup, clustering, alerts, rumours, restart safety."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from mediebild.data.stories import get_story, list_alerts, list_stories, load_state
from mediebild.flows.stories import item_text, item_tokens, update_stories
from mediebild.items import Item, stable_id

T0 = datetime(2016, 3, 22, 0, 0, tzinfo=timezone.utc)


def make_item(n: int, source: str, kind: str, minutes: float, title: str, text: str, lang: str = "sv") -> Item:
    at = T0 + timedelta(minutes=minutes)
    return Item(
        id=stable_id("test", source, str(n)),
        source=source,
        kind=kind,
        url=f"https://{source}.example/{n}",
        title=title,
        text=text,
        author=None,
        published_at=at,
        fetched_at=at,
        lang=lang,
    )


BACKGROUND = [
    ("Bostadspriserna sjönk i februari", "Priserna på bostadsrätter sjönk med en procent i februari enligt Mäklarstatistik."),
    ("Elpriset väntas stiga", "Kylan pressar upp elpriset i södra Sverige under veckan, säger elbolagen."),
    ("Ny tränare för Hammarby", "Hammarby presenterade på måndagen en ny huvudtränare inför säsongen i allsvenskan."),
    ("Snökaos i norra Norrland", "Kraftigt snöfall stoppar tågtrafiken mellan Kiruna och Narvik under natten."),
]

AIRPORT_SV = "Två explosioner har inträffat i avgångshallen på Zaventems flygplats utanför Bryssel. Flera personer har dödats och många skadats, flygplatsen är utrymd."
AIRPORT_EN = "Two explosions hit the departure hall of Zaventem airport outside Brussels. Several people were killed and many injured, the airport has been evacuated."
METRO_SV = "En explosion har inträffat i ett tunnelbanetåg vid stationen Maelbeek nära EU-kvarteren i Bryssel. Tunnelbanan stängs."
RUMOUR = "Folk springer vid T-Centralen, det sägs att det skjuts där! Sprids på sociala medier, obekräftat"


def scenario_items() -> list[Item]:
    items, n = [], 0
    rng = random.Random(7)
    vocabulary = [f"{a}{b}" for a in ("bo", "el", "sko", "tåg", "väg", "mat", "hus", "sjö") for b in ("plan", "pris", "lag", "val", "torg", "bank", "park", "bygge")]
    for hour in range(8):  # a quiet night: unrelated local news, three items an hour
        for k in range(3):
            title, text = BACKGROUND[(hour + k) % len(BACKGROUND)]
            words = " ".join(rng.sample(vocabulary, 12))
            n += 1
            items.append(make_item(n, f"paper{k}", "editorial", hour * 60 + 10 + k * 15, f"{title} ({hour})", f"{words}. {text}"))
    # 08: the airport story breaks: wire copies in three papers, English coverage, social posts and retweets
    for k, paper in enumerate(["tn", "sd", "kp", "up"]):
        n += 1
        items.append(make_item(n, paper, "editorial", 8 * 60 + 5 + k, "Explosioner på flygplatsen i Bryssel", AIRPORT_SV + (" Mer följer." if k == 2 else "")))
    n += 1
    items.append(make_item(n, "bbc", "editorial", 8 * 60 + 20, "Explosions at Brussels airport", AIRPORT_EN, "en"))
    for k in range(8):
        n += 1
        text = f"Explosioner på Zaventem flygplatsen i Bryssel, rök och kaos i avgångshallen, många skadade #{k} #bryssel"
        items.append(make_item(n, f"user{k}", "social", 8 * 60 + 25 + k * 3, "", text))
        n += 1
        items.append(make_item(n, f"fan{k}", "social", 8 * 60 + 27 + k * 3, "", f"RT @user{k}: {text}"))
    # 09: the metro blast
    for k in range(3):
        n += 1
        items.append(make_item(n, f"paper{k}", "editorial", 9 * 60 + 15 + k * 5, "Explosion i tunnelbanan i Bryssel", METRO_SV + f" Uppdatering {k}."))
    # 10: a rumour on social media only
    for k in range(6):
        n += 1
        items.append(make_item(n, f"anon{k}", "social", 10 * 60 + 40 + k * 2, "", f"{RUMOUR} #{k} #tcentralen #skottlossning"))
    return items


def ingest(store, items):
    """Store items, and the entities an enrichment pass would find (norm_ids are language-independent)."""
    with store.transaction():
        store.upsert_items(items)
        for item in items:
            body = f"{item.title} {item.text}"
            for word, norm in (("Bryssel", "loc:bryssel"), ("Brussels", "loc:bryssel"), ("Zaventem", "loc:zaventem"),
                               ("Maelbeek", "loc:maelbeek"), ("T-Centralen", "loc:t-centralen")):
                if word in body:
                    store.con.execute(
                        "INSERT INTO entities (item_id, label, text, norm_id) VALUES (?, 'LOC', ?, ?)", [item.id, word, norm]
                    )


def run_hours(store, items, last_hour: int = 11):
    summaries = []
    for hour in range(last_hour + 1):
        end = T0 + timedelta(hours=hour + 1)
        ingest(store, [i for i in items if end - timedelta(hours=1) <= i.published_at < end])
        summaries.append(update_stories(store, now=end))
    return summaries


def test_item_text_does_not_repeat_a_title_the_body_starts_with():
    assert item_text("Hej där", "Hej där, allihop") == "Hej där, allihop"
    assert item_text("Rubrik", "Brödtext") == "Rubrik\nBrödtext"
    assert item_tokens({"title": "Explosion i Bryssel", "text": "Explosion i Bryssel nu", "lemmas": None}).count("explosion") == 2


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    """The test scenario replayed hour by hour once for the tests that only read the result."""
    from mediebild.data.store import Store

    store = Store.open(tmp_path_factory.mktemp("stories") / "replay.duckdb", create=True)
    items = scenario_items()
    summaries = run_hours(store, items)
    yield store, items, summaries
    store.close()


def test_hourly_passes_build_stories_copies_alerts_and_rumours(replayed):
    store, items, summaries = replayed
    assert sum(s["items"] for s in summaries) == len(items)
    stories = list_stories(store.con, until=T0 + timedelta(hours=12), limit=100)
    by_headline = {s["headline"]: s for s in stories}

    airport = by_headline["Explosioner på flygplatsen i Bryssel"]
    assert airport["by_kind"]["editorial"] >= 4
    assert airport["n_copies"] >= 3 + 8  # wire copies and retweets
    assert airport["n_outlets"] >= 8
    assert set(airport["langs"]) == {"en", "sv"}  # cross-language: the English report joined
    story = get_story(store.con, airport["id"])
    rep = next(i for i in story["items"] if i["id"] == airport["representative_item_id"])
    assert len(rep["copies"]) >= 3 and all(c["how"] in ("exact", "near", "update", "retweet") for c in rep["copies"])
    assert {i["is_copy_of"] for i in story["items"] if i["is_copy_of"]} and all(
        c in {i["id"] for i in story["items"]} for c in (x["id"] for x in rep["copies"])
    )

    metro = next(s for s in stories if "tunnelbanan" in (s["headline"] or ""))
    assert metro["id"] != airport["id"]

    rumour = next(s for s in stories if s["rumour"] and s["by_kind"]["social"] == s["n_items"])
    assert any("sociala medier" in r for r in rumour["rumour_reasons"])
    assert "social_only" in rumour["rumour_codes"]
    assert len(rumour["rumour_reasons_en"]) == len(rumour["rumour_reasons"])
    assert any("social media" in r for r in rumour["rumour_reasons_en"])  # the English digest shows these
    assert not airport["rumour"] or all("sociala medier utan" not in r for r in airport["rumour_reasons"])

    alerts = list_alerts(store.con)
    story_alerts = [a for a in alerts if a["kind"] == "story"]
    airport_alert = [a for a in story_alerts if a["story_id"] == airport["id"]]
    assert len(airport_alert) == 1  # raised once, not every pass
    assert airport_alert[0]["hour"] == T0 + timedelta(hours=8)
    assert airport_alert[0]["raised_at"] == T0 + timedelta(hours=9)
    assert not [a for a in story_alerts if a["hour"] < T0 + timedelta(hours=8)]  # no alert in the quiet night

    # the background stories stay apart from the incident
    background = [s for s in stories if "Bostadspriserna" in (s["headline"] or "")]
    assert background and all(s["id"] != airport["id"] for s in background)


def test_a_pass_is_idempotent_and_state_survives_reopening(tmp_path):
    from mediebild.data.store import Store

    path = tmp_path / "s.duckdb"
    items = scenario_items()
    with Store.open(path, create=True) as store:
        run_hours(store, items, last_hour=8)
        before = list_stories(store.con, limit=100)
        again = update_stories(store, now=T0 + timedelta(hours=9))
        assert again["items"] == 0 and again["alerts"] == []
    with Store.open(path) as store:
        assert load_state(store.con, "clusters").n_live > 0
        ingest(store, [i for i in items if i.published_at >= T0 + timedelta(hours=9)])
        update_stories(store, now=T0 + timedelta(hours=12))
        after = list_stories(store.con, limit=100)
    airport_before = next(s for s in before if s["headline"] == "Explosioner på flygplatsen i Bryssel")
    assert any(s["id"] == airport_before["id"] for s in after)


def test_list_stories_counts_as_of_until(replayed):
    store = replayed[0]
    early = list_stories(store.con, since=T0 + timedelta(hours=8), until=T0 + timedelta(hours=8, minutes=30))
    late = list_stories(store.con, since=T0 + timedelta(hours=8), until=T0 + timedelta(hours=12))
    e = next(s for s in early if s["headline"] == "Explosioner på flygplatsen i Bryssel")
    l = next(s for s in late if s["id"] == e["id"])
    assert e["n_items"] < l["n_items"]
    assert e["is_new"] and e["growth_per_hour"] > 0
    assert all(s["last_seen"] >= T0 + timedelta(hours=8) for s in late)


def test_rumours_and_denials_are_clustered_below_the_usual_relevance_floor():
    from mediebild.flows.stories import STORY_RELEVANCE_FLOOR, to_cluster

    def item(text, relevance):
        return {"title": "", "text": text, "relevant": False, "relevance": relevance}

    assert to_cluster({"relevant": None}) and to_cluster({"relevant": True, "relevance": 0.9})
    assert to_cluster(item("Tusentals samlades på Sergels torg", STORY_RELEVANCE_FLOOR + 0.05))
    assert not to_cluster(item("Tunnelbanan hem var full i kväll", 0.15))
    assert to_cluster(item("Enligt uppgift stoppas tunnelbanan i hela Stockholm", 0.13))  # a rumour
    assert to_cluster(item("SL dementerar uppgifterna: trafiken går som vanligt", 0.12))  # its denial
    assert not to_cluster(item("Enligt uppgift höjs elpriset i vinter", 0.03))  # hedged, but off-topic


def test_the_sub_stories_of_the_incident_share_a_thread_and_are_shown_as_part_of_it(replayed):
    """The metro blast and the airport blast are stories of their own (rumour flags stay per story) but one
    incident thread; list_stories names the thread's lead story as what the other is part of."""
    store, _, _ = replayed
    stories = list_stories(store.con, until=T0 + timedelta(hours=12), limit=100)
    airport = next(s for s in stories if s["headline"] == "Explosioner på flygplatsen i Bryssel")
    metro = next(s for s in stories if "tunnelbanan" in (s["headline"] or ""))
    assert metro["thread_id"] == airport["thread_id"] and airport["thread_stories"] >= 2
    assert airport["part_of"] is None  # the lead story (most items)
    assert metro["part_of"] == {"id": airport["id"], "headline": airport["headline"]}
    background = [s for s in stories if "Bostadspriserna" in (s["headline"] or "")]
    assert background and all(s["thread_id"] != airport["thread_id"] for s in background)


def test_threads_follow_joins_also_for_stories_no_longer_live(tmp_path):
    from mediebild.data.store import Store
    from mediebild.data.stories import load_threads, record_threads

    with Store.open(tmp_path / "t.duckdb", create=True) as store:
        record_threads(store.con, {"S2": "S1", "S4": "S3"}, [], now=T0)
        record_threads(store.con, {"S5": "S3"}, [("S3", "S1")], now=T0 + timedelta(hours=1))
        assert load_threads(store.con) == {"S2": "S1", "S4": "S1", "S5": "S1", "S3": "S1"}


def test_an_item_that_becomes_relevant_later_joins_its_story(tmp_path):
    """Relevance learned from the stream (or an officer's judgement) lifts an item the stories step had passed by:
    the next pass clusters it into its story."""
    from mediebild.data.store import Store

    airport = [make_item(900 + k, paper, "editorial", 8 * 60 + k, "Explosioner på flygplatsen i Bryssel", AIRPORT_SV)
               for k, paper in enumerate(["tn", "sd"])]
    queue = make_item(950, "kp", "editorial", 8 * 60 + 20, "Köerna växer vid Zaventem",
                      "Resenärer i Bryssel väntar i timmar vid Zaventem sedan explosionerna i avgångshallen stängt flygplatsen.")
    with Store.open(tmp_path / "p.duckdb", create=True) as store:
        ingest(store, [*airport, queue])
        for item, relevant, score in ((airport[0], True, 0.9), (airport[1], True, 0.9), (queue, False, 0.05)):
            store.con.execute("INSERT INTO enrichments (item_id, enriched_at, model_version, relevant, relevance) "
                              "VALUES (?, now(), 'test', ?, ?)", [item.id, relevant, score])
        first = update_stories(store, now=T0 + timedelta(hours=9))
        assert first["promoted"] == 0 and queue.id not in {i for s in list_stories(store.con, limit=10) for i in s["item_ids"]}
        store.con.execute("UPDATE enrichments SET relevant = TRUE, relevance = 0.7 WHERE item_id = ?", [queue.id])
        second = update_stories(store, now=T0 + timedelta(hours=10))
        assert second["promoted"] == 1
        stories = list_stories(store.con, limit=10)
        assert any(queue.id in s["item_ids"] for s in stories)
        assert update_stories(store, now=T0 + timedelta(hours=11))["promoted"] == 0  # once only
