"""Shared features: normalisation, the multilingual crisis lexicon, hashing, the shippable linear head."""

from __future__ import annotations

import pickle

import numpy as np

from mediebild.models.features import (
    N_EVENT_COLUMNS,
    LinearHead,
    concepts_of,
    event_columns,
    featurize,
    fit_prior_power,
    incident_pattern,
    n_features,
    normalise,
    place_pattern,
)


def test_normalise_replaces_urls_handles_numbers_and_places():
    text = "RT @Boston_PD: 3 dead in #Boston blast http://t.co/abc &amp; more"
    out = normalise(text, place_pattern(["Boston"]))
    assert "xurl" in out and "xuser" in out and "xnum" in out and "xplace" in out
    assert "boston" not in out and "http" not in out and "rt " not in out and "&amp;" not in out


def test_swedish_and_english_share_concepts():
    sv = set(concepts_of("Två döda och flera skadade i explosionen på flygplatsen"))
    en = set(concepts_of("Two dead and several injured in the explosion at the airport"))
    assert {"dead", "injured", "explosion", "infrastructure"} <= sv & en


def test_swedish_compounds_match_inside_words():
    assert {"bomb", "attack"} <= set(concepts_of("Bombattentat: terrordådet i tunnelbanan"))
    assert "infrastructure" in concepts_of("Omfattande strömavbrott efter stormen")


def test_everyday_text_has_few_concepts():
    assert concepts_of("Vi åt lunch på Södermalm och gick på bio") == []


def test_featurize_shape_and_cache():
    texts = ["Explosion at the airport", "Lunch i parken"]
    X = featurize(texts)
    assert X.shape == (2, n_features())
    assert featurize(texts) is X  # same batch: featurised once


def test_linear_head_pickles_small_and_predicts_the_same():
    rng = np.random.default_rng(0)
    coef = np.zeros((3, n_features()), dtype=np.float32)
    cols = rng.choice(n_features(), 500, replace=False)
    coef[:, cols] = rng.normal(size=(3, 500))
    head = LinearHead(["a", "b", "c"], coef, np.zeros(3), scale=2.0)
    X = featurize(["Explosion at the airport", "two dead after storm", "lunch"])
    restored = pickle.loads(pickle.dumps(head))
    assert len(pickle.dumps(head)) < 50_000
    np.testing.assert_allclose(restored.predict_proba(X), head.predict_proba(X), atol=1e-2)
    assert np.allclose(head.predict_proba(X).sum(axis=1), 1.0)


def test_binary_head_uses_platt_scaling():
    coef = np.zeros((1, n_features()), dtype=np.float32)
    head = LinearHead(["off", "on"], coef, np.array([0.0]), scale=1.0, shift=2.0)
    p = head.predict_proba(featurize(["anything"]))
    assert p.shape == (1, 2) and p[0, 1] > 0.85
    assert head.predict(featurize(["anything"])) == ["on"]


def test_incident_pattern_finds_terms_inside_hashtags_and_inflections():
    pattern = incident_pattern(["Floods", "explosion*", '"Islamiska staten"', "#prayforboston"])
    assert pattern.search("#qldflooding tonight") and pattern.search("explosionerna i tunnelbanan")
    assert pattern.search("islamiska staten tar på sig") and pattern.search("#prayforboston")
    assert not pattern.search("lunch i parken")
    assert incident_pattern([]) is None and incident_pattern(["*", "a"]) is None


def test_event_columns_place_term_either_and_hazard():
    texts = ["Flooding in Brisbane again", "Hurricane warning for the coast", "Brisbane cafe opens", "lunch"]
    X = featurize(texts)
    cols = event_columns(X, texts, places=["Brisbane"], terms=["floods"]).toarray()
    assert cols.shape == (4, N_EVENT_COLUMNS)
    assert cols[0].tolist() == [1, 1, 1, 1]  # place, term, either, some hazard named
    assert cols[1].tolist() == [0, 0, 0, 1]
    assert cols[2].tolist() == [1, 0, 1, 0]
    assert cols[3].tolist() == [0, 0, 0, 0]
    # Without a profile's terms, naming any hazard stands in for naming the incident.
    no_terms = event_columns(X, texts).toarray()
    assert no_terms[:, 1].tolist() == no_terms[:, 3].tolist() == [1, 1, 0, 0]


def test_prior_adjustment_goes_back_towards_class_shares():
    head = LinearHead(["big", "small"] + ["mid"], np.zeros((3, n_features())), np.zeros(3),
                      log_prior=np.log([0.7, 0.1, 0.2]))
    p = head.predict_proba(featurize(["anything"]))
    assert p[0].argmax() == 0 and abs(p[0, 0] - 0.7) < 1e-6
    restored = pickle.loads(pickle.dumps(head))
    np.testing.assert_allclose(restored.predict_proba(featurize(["anything"])), p, atol=1e-6)


def test_fit_prior_power_is_chosen_on_other_folds():
    rng = np.random.default_rng(0)
    y = np.array(["a"] * 80 + ["b"] * 20)
    proba = np.column_stack([rng.uniform(0.3, 0.6, 100), np.zeros(100)])
    proba[:, 1] = 1 - proba[:, 0]  # a balanced learner that leans to "b"; the shares pull back to "a"
    folds = [(np.setdiff1d(np.arange(100), np.arange(k, 100, 4)), np.arange(k, 100, 4)) for k in range(4)]
    power, pred = fit_prior_power(proba, y, ["a", "b"], folds)
    assert power > 0 and (pred == "a").mean() > 0.7 and len(pred) == 100
