"""SMOKE TESTS: the demo scenario's truth replayed hour by hour through the story models, as the pipeline would.

The demo is a showcase, not a development set: nothing is tuned on it, and these floors are loose, set well
under what it measures, so that they only catch a pipeline that stopped working (no stories, no copies, no
rumour flags). Development floors live on data that is not the demo (WikiRef, the CrisisLex replay,
models/eval_data/dev/: tests/models/test_eval_clusters.py, test_eval_stream.py, test_rumours.py).

What is checked: wire copies collapse onto their originals, relevant items become stories, the airport blast
raises a breaking alert in the hour it happened (and nothing spikes before it), and most planted rumours are
flagged. The items go through the project's NLP (lemmas, entities) first. `pytest -s` prints the figures.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

import pytest

from mediebild.items import strip_html
from mediebild.models.clustering import ClusterDoc, ClusterState, OnlineClusterer, resolve_merges, weighted_tokens
from mediebild.models.dedup import DedupDoc, DedupIndex
from mediebild.models.eval.clusters import bcubed
from mediebild.models.rumours import RumourItem, assess
from mediebild.models.spikes import spikes

pytestmark = pytest.mark.slow  # the NLP pass over 327 items takes ~10 s

# Smoke floors (session 3), well under the figures measured: B-cubed F1 0.711 (P 0.788, R 0.648) with today's NER
# and the strict compound match; rumour-flag precision 0.67 (4 of 6) at recall 4 of 4. History: 0.646 at first,
# 0.762 with the sv/en concept tokens, 0.683 with the CRF NER; the floor was a "never lower" target of 0.75,
# then 0.68, which made the demo a selection criterion.
SMOKE_FLOOR_F1 = 0.55
SMOKE_RUMOUR_PRECISION = 0.3
SMOKE_RUMOURS_FLAGGED = 3  # of the 4 planted rumours


@pytest.fixture(scope="module")
def replay():
    scenario_mod = pytest.importorskip("mediebild.demo.scenario")
    nlp = pytest.importorskip("mediebild.models.nlp")
    scenario = scenario_mod.load_scenario()
    items = scenario.items
    texts = [f"{strip_html(i.title)}\n{strip_html(i.text)}" for i in items]
    analyses = dict(zip((i.id for i in items), nlp.analyse(texts, [i.lang for i in items])))
    titles = dict(zip((i.id for i in items), nlp.lemmatise([strip_html(i.title) for i in items], [i.lang for i in items])))
    clusterer, index, state = OnlineClusterer(), DedupIndex(), ClusterState()
    copy_of, labels, merges, hourly = {}, {}, [], []
    for hour in scenario.hours:
        batch = [i for i in items if hour <= i.published < hour + timedelta(hours=1)]
        found = index.add(DedupDoc(i.id, f"{strip_html(i.title)}\n{strip_html(i.text)}", i.published, i.feed_id) for i in batch)
        copy_of.update({m.item_id: m.copy_of for m in found})
        docs = [
            ClusterDoc(i.id, weighted_tokens(titles[i.id], analyses[i.id].lemmas), i.published,
                       [e.norm_id for e in analyses[i.id].entities], i.lang)
            for i in batch if i.id not in copy_of and i.relevant  # relevance as the classifier should give it
        ]
        result = clusterer.add(state, docs)
        merges.extend(result.merges)
        labels.update({a.item_id: a.cluster_id for a in result.assignments})
        hourly.append((hour, batch))
    final = resolve_merges(merges)
    story_of = {}
    for item in items:
        root = copy_of.get(item.id, item.id)
        if root in labels:
            story_of[item.id] = final.get(labels[root], labels[root])
    return scenario, copy_of, story_of, hourly


def test_wire_copies_collapse_onto_their_originals(replay):
    scenario, copy_of, _, _ = replay
    truth = {i.id: i.copy_of for i in scenario.items if i.copy_of}
    assert len(truth) >= 40
    assert {k: copy_of.get(k) for k in truth} == truth
    assert set(copy_of) == set(truth)  # no false copies


def test_relevant_items_become_fewer_stories_that_match_the_truth(replay):
    scenario, _, story_of, _ = replay
    gold = {i.id: i.story for i in scenario.items if i.story}
    pred = {k: story_of.get(k, f"none:{k}") for k in gold}
    p, r, f1 = bcubed(pred, gold)
    print(f"scenario B-cubed P {p:.3f} R {r:.3f} F1 {f1:.3f}; {len(set(pred.values()))} stories for {len(gold)} items")
    assert f1 >= SMOKE_FLOOR_F1
    assert len(set(pred.values())) <= len(gold) / 2


def test_the_airport_blast_breaks_in_its_own_hour_and_nothing_spikes_before(replay):
    scenario, _, story_of, hourly = replay
    counts = defaultdict(lambda: [0] * len(hourly))
    for h, (_, batch) in enumerate(hourly):
        for item in batch:
            if item.id in story_of:
                counts[story_of[item.id]][h] += 1
    first_alert = {}
    for h in range(len(hourly)):
        window = {s: ([0] * 12 + c[: h + 1])[-13:] for s, c in counts.items()}
        for found in spikes(window):
            first_alert.setdefault(found.key, h)
    incident_hour = next(h for h, (start, _) in enumerate(hourly) if start <= scenario.incident_start < start + timedelta(hours=1))
    # The blast is at 07:58 Stockholm time; the burst of reports fills the 08 hour (stories.toml).
    breaking = min(first_alert.values())
    assert breaking in (incident_hour, incident_hour + 1)
    airport = Counter(story_of[i.id] for i in scenario.items if i.story == "airport-blast" and i.id in story_of)
    assert first_alert.get(airport.most_common(1)[0][0]) == breaking


def test_most_planted_rumours_are_flagged(replay):
    scenario, copy_of, story_of, _ = replay
    members = defaultdict(list)
    for item in scenario.items:
        if item.id in story_of:
            members[story_of[item.id]].append(item)
    flagged = 0
    for key, story in scenario.stories.items():
        if not story.rumour:
            continue
        spreading = Counter(story_of[i.id] for i in scenario.items if i.story == key and i.stance == "spread" and i.id in story_of)
        cluster = spreading.most_common(1)[0][0]
        verdict = assess([rumour_item(i, copy_of) for i in members[cluster]])
        flagged += verdict.rumour
        print(key, verdict.reasons)
    assert flagged >= SMOKE_RUMOURS_FLAGGED


def rumour_item(item, copy_of):
    return RumourItem(f"{strip_html(item.title)}\n{strip_html(item.text)}", item.kind, item.published, item.feed_id, copy_of.get(item.id))


def test_rumour_flags_against_the_truth_and_the_confirmed_story_is_not_flagged(replay):
    """Smoke figures. Precision: flagged stories whose majority truth is a planted rumour (flags for contradicting
    casualty figures or an unconfirmed claim inside a news story count against it); recall: planted rumours whose
    main spreading story is flagged. The Swedes-injured story, hedged at first and confirmed by UD, is not flagged."""
    scenario, copy_of, story_of, _ = replay
    members = defaultdict(list)
    for item in scenario.items:
        if item.id in story_of:
            members[story_of[item.id]].append(item)
    verdicts = {s: assess([rumour_item(i, copy_of) for i in items]) for s, items in members.items()}
    truth = {s: scenario.stories[Counter(i.story for i in items).most_common(1)[0][0]].rumour for s, items in members.items()}
    flagged = [s for s, v in verdicts.items() if v.rumour]
    precision = sum(truth[s] for s in flagged) / len(flagged)
    planted = [k for k, st in scenario.stories.items() if st.rumour]
    main = {k: Counter(story_of[i.id] for i in scenario.items if i.story == k and i.stance == "spread" and i.id in story_of).most_common(1)[0][0] for k in planted}
    recall = sum(verdicts[s].rumour for s in main.values()) / len(planted)
    print(f"rumour flags: precision {precision:.2f} ({sum(truth[s] for s in flagged)} of {len(flagged)}), recall {recall:.2f}")
    assert recall >= SMOKE_RUMOURS_FLAGGED / len(planted) and precision >= SMOKE_RUMOUR_PRECISION
    confirmed = Counter(story_of[i.id] for i in scenario.items if i.story == "swedes-injured" and i.id in story_of).most_common(1)[0][0]
    assert not verdicts[confirmed].rumour and verdicts[confirmed].confirmed is not None
