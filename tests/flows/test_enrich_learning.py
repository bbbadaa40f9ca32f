"""The relevance learner in the enrichment step: it learns across passes, takes judgements, re-scores."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from mediebild.data import enrichments as db
from mediebild.data import judgements as jdb
from mediebild.flows.enrich import Models, enrich_pending, suggest_profile
from mediebild.items import Item
from mediebild.profile import Profile

START = datetime(2026, 9, 7, 8, 0, tzinfo=timezone.utc)
PROFILE = Profile.from_dict({"name": "Vatten i Uppsala", "start": START.isoformat(),
                             "terms": {"sv": ["kokningsrekommendation"], "places": ["Uppsala"]}})


class ProfileRelevance:
    """Relevant when the text names the profile's term (a stand-in for the shipped model's contract)."""

    version = "profile-stand-in-1"

    def predict(self, texts, langs, *, lemmas, profile=None):
        out = []
        for text in texts:
            hit = "kokningsrekommendation" in text.lower()
            out.append({"relevance": 0.9 if hit else 0.05, "relevant": hit, "informativeness": None,
                        "profile_terms": [], "profile_excluded": "badvatten" in text.lower()})
        return out


def add(store, n, text, minutes, prefix):
    items = [Item(id=f"{prefix}{i}", source="s", kind="social", url=f"https://x.example/{prefix}{i}", title="",
                  text=f"{text} {i}", author=None, published_at=START + timedelta(minutes=minutes + i),
                  fetched_at=START + timedelta(minutes=minutes + i)) for i in range(n)]
    with store.transaction():
        store.upsert_items(items)


@pytest.fixture
def models():
    return Models(relevance=ProfileRelevance())


def test_learning_across_passes_rescores_and_keeps_judgements(store, models):
    add(store, 4, "Kokningsrekommendation i Uppsala: hämta flaskvatten vid tanken", 10, "s")
    add(store, 3, "Fotbollsmatch på Studenternas i kväll", 12, "n")
    first = enrich_pending(store, models=models, profile=PROFILE)
    assert first["learning"]["seeds"] == 4 and first["learning"]["counted"] == 7
    # the next hour: consequence posts that name neither the term nor the place
    add(store, 2, "Kö vid tanken, flaskvatten slut på hyllan", 70, "f")
    second = enrich_pending(store, models=models, profile=PROFILE)
    assert second["items"] == 2 and second["learning"]["counted"] == 2
    follow = db.enrichment_of(store, "f0")
    assert follow["relevant"] is True and follow["relevance"] > 0.5 and follow["ner_done"] is True
    assert db.enrichment_of(store, "n0")["relevant"] is False
    base = store.con.execute("SELECT base FROM relevance_base WHERE item_id = 'f0'").fetchone()[0]
    assert base == pytest.approx(0.05)

    # an officer: f0 is not about the incident, n1 is
    with store.transaction() as con:
        jdb.add_judgement(con, "f0", False, by="anna", note="annan kö")
        jdb.add_judgement(con, "n1", True, by="anna")
    third = enrich_pending(store, models=models, profile=PROFILE)
    assert third["items"] == 0 and third["learning"]["judged_items"] == 2
    assert db.enrichment_of(store, "f0")["relevance"] == 0.0 and db.enrichment_of(store, "f0")["relevant"] is False
    assert db.enrichment_of(store, "n1")["relevance"] == 1.0

    # re-enrichment under another profile keeps the judgements and uses them
    other = Profile.from_dict({"name": "Vatten 2", "start": START.isoformat(),
                               "terms": {"sv": ["kokningsrekommendation", "kokvatten"]}})
    again = enrich_pending(store, models=models, profile=other)
    assert again["items"] == 9 and len(jdb.list_judgements(store)) == 2
    assert db.enrichment_of(store, "f0")["relevant"] is False and db.enrichment_of(store, "n1")["relevant"] is True
    state = jdb.load_state(store, again["profile_key"])
    assert state["n_docs"] == 9 and json.dumps(state)


def test_exclusion_is_never_lifted_and_suggestions_come_from_the_stream(store, models):
    add(store, 4, "Kokningsrekommendation: flaskvatten vid tanken på Stora torget", 10, "s")
    add(store, 1, "Badvatten: flaskvatten vid tanken", 20, "x")
    enrich_pending(store, models=models, profile=PROFILE)
    assert db.enrichment_of(store, "x0")["relevant"] is False
    suggestion = suggest_profile(store, PROFILE)
    terms = [t["term"] for t in suggestion["terms"]]
    assert "flaskvatten" in terms and "kokningsrekommendation" not in terms
    assert suggestion["confident_items"] == 4


def test_story_judgement_covers_its_items_and_item_judgement_wins(store):
    add(store, 3, "Text", 0, "i")
    now = START
    store.con.execute("INSERT INTO stories (id, created_at, updated_at) VALUES ('S1', ?, ?), ('S2', ?, ?)",
                      [now.replace(tzinfo=None)] * 4)
    store.con.execute("UPDATE stories SET merged_into = 'S1' WHERE id = 'S2'")
    store.con.execute("""INSERT INTO story_items VALUES ('i0', 'S1', 1.0, ?), ('i1', 'S1', 1.0, ?),
                         ('i2', 'S2', 1.0, ?)""", [now.replace(tzinfo=None)] * 3)
    jdb.add_judgement(store, "S1", False, by="bo", now=now)
    jdb.add_judgement(store, "i1", True, by="bo", now=now)
    assert jdb.verdicts(store) == {"i0": False, "i1": True, "i2": False}
    jdb.add_judgement(store, "S1", True, by="cia", now=now + timedelta(minutes=5))
    assert jdb.verdicts(store) == {"i0": True, "i1": True, "i2": True}
    assert [j["judged_by"] for j in jdb.list_judgements(store)] == ["bo", "bo", "cia"]


def test_the_relevance_prior_is_stored_once_and_averaged_in_each_pass(store):
    from mediebild.models import relevance_prior

    prior = relevance_prior.load()
    assert prior is not None
    models = Models(relevance=ProfileRelevance(), relevance_prior=prior)
    add(store, 4, "Kokningsrekommendation i Uppsala: hämta flaskvatten vid tanken", 10, "s")
    add(store, 2, "Fotbollsmatch på Studenternas i kväll", 12, "n")
    enrich_pending(store, models=models, profile=PROFILE)
    stored = dict(store.con.execute("SELECT item_id, prior FROM relevance_base").fetchall())
    assert set(stored) == {"s0", "s1", "s2", "s3", "n0", "n1"} and all(0.0 <= p <= 1.0 for p in stored.values())
    for item_id in ("s0", "n0"):
        relevance = db.enrichment_of(store, item_id)["relevance"]
        base = store.con.execute("SELECT base FROM relevance_base WHERE item_id = ?", [item_id]).fetchone()[0]
        # the learner's score is at least the base; the prior takes WEIGHT of the relevance
        w = relevance_prior.WEIGHT
        assert relevance >= (1 - w) * base + w * stored[item_id] - 1e-3
        assert relevance <= (1 - w) * 1.0 + w * stored[item_id] + 1e-3
