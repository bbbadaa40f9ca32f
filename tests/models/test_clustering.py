"""Online clustering: assignment, cross-language bridging by entities, time decay, merging, bounded state."""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta, timezone

from mediebild.models.clustering import (
    ClusterDoc,
    ClusterState,
    OnlineClusterer,
    cluster_labels,
    named,
    resolve_merges,
    tokenise,
    weighted_tokens,
)

T = datetime(2016, 3, 22, 8, tzinfo=timezone.utc)
BACKGROUND = [
    "Hammarby presenterade en ny huvudtränare inför säsongen i allsvenskan",
    "Bostadspriserna sjönk i februari enligt Mäklarstatistik, störst nedgång i Göteborg",
    "Kraftigt snöfall stoppar tågtrafiken mellan Kiruna och Narvik under natten",
    "Elpriset väntas stiga i södra Sverige när kylan pressar upp förbrukningen",
    "Regeringen presenterar en ny budget för skolan med mer pengar till lärare",
    "Kulturhuset visar en utställning om svensk design från femtiotalet",
    "Vårens första konsert i Konserthuset lockade fullsatt publik",
    "Ny undersökning: var tredje ung sover mindre än sju timmar per natt",
]


def cdoc(i, text, minutes=0, entities=(), lang="sv"):
    return ClusterDoc(i, tokenise(text), T + timedelta(minutes=minutes), list(entities), lang)


def background(n=3):
    return [cdoc(f"bg{k}-{j}", f"{text} del {j}", -600 + k * 10 + j) for j in range(n) for k, text in enumerate(BACKGROUND)]


def test_tokenise_drops_stop_words_links_and_mentions():
    assert tokenise("RT @polisen: Explosion på flygplatsen i Bryssel! https://t.co/x #bryssel") == [
        "explosion", "flygplatsen", "bryssel", "bryssel"]


def test_items_about_one_event_share_a_story_and_others_do_not():
    clusterer, state = OnlineClusterer(), ClusterState()
    clusterer.add(state, background())
    result = clusterer.add(state, [
        cdoc("a1", "Explosioner på flygplatsen Zaventem i Bryssel, avgångshallen utrymd", 0, ["loc:zaventem"]),
        cdoc("a2", "Flera döda i explosionerna på flygplatsen Zaventem, avgångshallen förstörd", 10, ["loc:zaventem"]),
        cdoc("a3", "Vittnen berättar om explosionerna i avgångshallen på flygplatsen", 20),
        cdoc("m1", "Explosion i tunnelbanan vid Maelbeek, tunnelbanetåg träffat nära EU-kvarteren", 75, ["loc:maelbeek"]),
        cdoc("m2", "Tunnelbanan stängd efter explosionen vid Maelbeek, tunnelbanetåg förstört", 85, ["loc:maelbeek"]),
    ])
    labels = cluster_labels(result.assignments, result.merges)
    assert labels["a1"] == labels["a2"] == labels["a3"]
    assert labels["m1"] == labels["m2"] != labels["a1"]
    assert [a.opened for a in result.assignments] == [True, False, False, True, False]


def test_a_swedish_and_an_english_article_meet_on_their_entities():
    clusterer, state = OnlineClusterer(), ClusterState()
    clusterer.add(state, background(4))
    ents = ["loc:bryssel", "loc:zaventem"]
    result = clusterer.add(state, [
        cdoc("sv", "Två explosioner i avgångshallen på flygplatsen Zaventem utanför Bryssel, flera döda", 0, ents),
        cdoc("en", "Two explosions hit the departure hall of Zaventem airport outside Brussels, several killed", 15, ents, "en"),
        cdoc("en2", "Hammarby football club names a new head coach for the season", 20, [], "en"),
    ])
    labels = cluster_labels(result.assignments, result.merges)
    assert labels["sv"] == labels["en"] != labels["en2"]
    assert state.langs[list(state.ids).index(labels["sv"])] == {"sv": 1, "en": 1}


def test_time_decay_keeps_an_old_quiet_story_from_absorbing_a_new_one():
    clusterer, state = OnlineClusterer(half_life=timedelta(hours=2)), ClusterState()
    clusterer.add(state, background())
    first = clusterer.add(state, [cdoc("old", "Brand i flerfamiljshus i Rinkeby, flera evakuerade", 0)])
    later = clusterer.add(state, [cdoc("new", "Brand i flerfamiljshus i Rinkeby, flera evakuerade igen", 20 * 60)])
    assert later.assignments[0].cluster_id != first.assignments[0].cluster_id


def test_stories_merge_when_their_centroids_meet():
    clusterer, state = OnlineClusterer(threshold=0.9, merge_threshold=0.3), ClusterState()
    clusterer.add(state, background())
    result = clusterer.add(state, [
        cdoc("x1", "Explosion flygplatsen Zaventem avgångshallen", 0),
        cdoc("x2", "Zaventem avgångshallen explosion rök döda", 5),
    ])
    assert [a.opened for a in result.assignments] == [True, True]  # too far apart to join item by item
    assert result.merges and resolve_merges(result.merges)
    labels = cluster_labels(result.assignments, result.merges)
    assert labels["x1"] == labels["x2"]


def test_state_is_bounded_by_the_window_and_survives_pickling():
    clusterer, state = OnlineClusterer(window=timedelta(hours=6)), ClusterState()
    clusterer.add(state, background())
    restored = pickle.loads(pickle.dumps(state))
    assert restored.n_live == state.n_live > 0
    dropped = clusterer.prune(restored, T + timedelta(hours=12))
    assert len(dropped) == state.n_live and restored.n_live == 0
    clusterer.add(restored, [cdoc("n", "Något helt nytt om trafiken på Essingeleden", 13 * 60)])
    assert restored.n_live == 1 and restored.sums.shape[0] == restored.ent_sums.shape[0] == 1


def test_big_batches_are_chunked_with_the_same_result_shape():
    clusterer, state = OnlineClusterer(chunk_size=5), ClusterState()
    result = clusterer.add(state, background(2))
    assert len(result.assignments) == 2 * len(BACKGROUND)
    assert state.sizes.sum() == 2 * len(BACKGROUND)


def test_the_title_counts_twice_and_three_times_in_a_long_article():
    assert weighted_tokens(["explosion", "flygplats"], ["explosion", "flygplats", "rök"]) == [
        "explosion", "flygplats", "explosion", "flygplats", "rök"]  # the body's leading title is not repeated
    long_body = [f"w{k}" for k in range(200)]
    tokens = weighted_tokens(["samsung"], long_body)
    assert tokens[:3] == ["samsung"] * 3 and len(tokens) == 150


def test_entity_ids_without_a_name_are_ignored():
    assert named(["org:", "per:", "", "loc:zaventem"]) == ["loc:zaventem"]
    clusterer, state = OnlineClusterer(), ClusterState()
    docs = [cdoc("x1", "Hammarby vann derbyt", 0, ["org:"]), cdoc("x2", "Elpriset stiger i vinter", 5, ["org:"])]
    labels = cluster_labels(clusterer.add(state, docs).assignments, [])
    assert labels["x1"] != labels["x2"]



def test_a_swedish_and_an_english_report_meet_on_shared_terms_without_entities():
    docs = [
        cdoc("sv", "Två skadade i explosionen på flygplatsen, avgångshallen utrymd", 0),
        cdoc("en", "Two injured in the airport blast, departure hall evacuated", 15, lang="en"),
    ]
    shared, state = OnlineClusterer(), ClusterState()
    shared.add(state, background(4))
    labels = cluster_labels(shared.add(state, docs).assignments, [])
    assert labels["sv"] == labels["en"]
    plain, state = OnlineClusterer(shared_terms=False), ClusterState()
    plain.add(state, background(4))
    labels = cluster_labels(plain.add(state, docs).assignments, [])
    assert labels["sv"] != labels["en"]


def test_sub_stories_of_one_incident_share_a_thread_and_another_event_does_not():
    clusterer, state = OnlineClusterer(), ClusterState()
    clusterer.add(state, background(4))
    result = clusterer.add(state, [
        cdoc("a1", "Explosion på flygplatsen Zaventem i Bryssel, avgångshallen utrymd", 0, ["loc:zaventem"]),
        cdoc("a2", "Flera döda i explosionen på flygplatsen Zaventem i Bryssel", 10, ["loc:zaventem"]),
        cdoc("c1", "Kungen sänder sitt deltagande till Belgien efter explosionen i Bryssel", 60, ["loc:bryssel"]),
        cdoc("c2", "Statsministern: våra tankar går till Belgien efter dådet i Bryssel", 70, ["loc:bryssel"]),
        cdoc("h1", "Hammarby vann derbyt mot AIK på Tele2 Arena inför fullsatt publik", 75),
    ])
    labels = cluster_labels(result.assignments, result.merges)
    assert labels["a1"] == labels["a2"] and labels["c1"] == labels["c2"] != labels["a1"]  # stories stay apart
    thread = dict(zip(state.ids.tolist(), state.threads.tolist()))
    assert thread[labels["a1"]] == thread[labels["c1"]] == min(labels["a1"], labels["c1"])  # ... in one thread
    assert thread[labels["h1"]] != thread[labels["a1"]]
    assert result.threads[labels["c1"]] == thread[labels["a1"]]


def test_without_a_thread_threshold_every_story_is_its_own_thread():
    clusterer, state = OnlineClusterer(thread_threshold=None), ClusterState()
    clusterer.add(state, background(2))
    assert state.threads.tolist() == state.ids.tolist()


def test_a_state_saved_before_threads_is_upgraded():
    clusterer, state = OnlineClusterer(), ClusterState()
    clusterer.add(state, background(1))
    old = pickle.loads(pickle.dumps(state))
    del old.threads
    old.langs = [set(ls) for ls in old.langs]  # language sets, as states saved before counts were kept
    clusterer.add(old, [cdoc("n", "Kraftigt snöfall stoppar tågtrafiken mellan Kiruna och Narvik igen", 30)])
    assert len(old.threads) == old.n_live and all(isinstance(ls, dict) for ls in old.langs)


def test_an_english_version_joins_a_swedish_story_through_the_bridge():
    """The bridge (names and concept tokens), weighed by the story's share of members in other languages: a
    Swedish story of three posts is met by an English version that shares no word with it, only a name and a
    concept ("rasade" and "gave way" are not even that: only =collapse via "rasa" on the Swedish side)."""
    ents = ["loc:selångersån"]
    docs = [
        cdoc("s1", "Bron över Selångersån rasade i rusningstrafiken, bilar i älven", 0, ents),
        cdoc("s2", "Raset vid Selångersån: bilar föll i älven när bron rasade", 10, ents),
        cdoc("s3", "Bron rasade vid Selångersån, dykare söker i älven", 20, ents),
        cdoc("e1", "Vehicles plunged into the water as a span at Selångersån gave way", 40, ents, "en"),
    ]
    for weight, together in ((0.0, False), (OnlineClusterer().cross_language_weight, True)):
        clusterer, state = OnlineClusterer(cross_language_weight=weight), ClusterState()
        clusterer.add(state, background(4))
        result = clusterer.add(state, docs)
        labels = cluster_labels(result.assignments, result.merges)
        assert (labels["e1"] == labels["s1"]) is together
