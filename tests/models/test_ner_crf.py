"""The CRF NER component: features, training on a small made-up corpus, the spaCy round trip and the vote."""

from __future__ import annotations

import spacy
from spacy.tokens import Doc, Span

from mediebild.models.ner_crf import (
    FACTORY,
    _segments,
    gazetteer_labels,
    sentence_features,
    train_crf,
    word_shape,
)

TOY = [
    ("Anna Berg bor i Malmö .", "PER PER O O LOC O"),
    ("Johan Lind flyttade till Lund .", "PER PER O O LOC O"),
    ("Eva Holm jobbar på Volvo i Göteborg .", "PER PER O O ORG O LOC O"),
    ("Per Ek arbetar på Saab i Malmö .", "PER PER O O ORG O LOC O"),
    ("I Lund bor Maria Sand .", "O LOC O PER PER O"),
    ("Det regnar i Göteborg i dag .", "O O O LOC O O O"),
] * 5


def _toy_model(tmp_path):
    return train_crf([(text.split(), tags.split()) for text, tags in TOY], tmp_path / "toy.crfsuite", iterations=50)


def test_shape_and_features_per_token():
    assert word_shape("Göteborg") == "Xxx"
    assert word_shape("SL:s") == "XX:x"
    assert word_shape("2012") == "dd"
    feats = sentence_features(["Polisen", "i", "Stockholm", "."])
    assert len(feats) == 4
    assert feats[0]["w"] == "polisen" and feats[0]["first"] == 1.0
    assert feats[1]["lex"] == 1.0  # "i" is an ordinary Swedish word
    assert feats[2]["-1w"] == "i" and "g4=<sto" in feats[2]


def test_gazetteer_labels_take_the_longest_name():
    labels = gazetteer_labels("Polisen och Region Stockholm varnar".split())
    assert labels == ["ORG", None, "ORG", "ORG", None]


def test_segments_cut_after_sentence_ends():
    words = "A b . C d ! E".split()
    assert _segments(len(words), words) == [(0, 3), (3, 6), (6, 7)]


def test_component_tags_and_survives_a_disk_round_trip(tmp_path):
    nlp = spacy.blank("sv")
    crf = nlp.add_pipe(FACTORY, config={"ner_weight": 0.0})
    crf.load_model(_toy_model(tmp_path))
    doc = nlp(Doc(nlp.vocab, words="Anna Berg bor i Lund .".split()))
    assert [(e.text, e.label_) for e in doc.ents] == [("Anna Berg", "PER"), ("Lund", "LOC")]
    nlp.to_disk(tmp_path / "pipe")
    again = spacy.load(tmp_path / "pipe")
    doc2 = again(Doc(again.vocab, words="Anna Berg bor i Lund .".split()))
    assert [(e.text, e.label_) for e in doc2.ents] == [("Anna Berg", "PER"), ("Lund", "LOC")]


def test_vote_and_gazetteer_entities(tmp_path):
    nlp = spacy.blank("sv")
    crf = nlp.add_pipe(FACTORY, config={"ner_weight": 5.0})
    crf.load_model(_toy_model(tmp_path))
    doc = Doc(nlp.vocab, words="Anna Berg bor i Lund .".split())
    # an upstream NER said "bor" is MISC; with a weight above 1 the vote wins over any marginal
    doc.ents = [Span(doc, 2, 3, label="MISC")]
    doc = crf(doc)
    assert ("bor", "MISC") in [(e.text, e.label_) for e in doc.ents]
    # an entity with an id (the gazetteer ruler's) is kept as it is
    doc = Doc(nlp.vocab, words="Anna Berg bor i Lund .".split())
    doc.ents = [Span(doc, 4, 5, label="ORG", span_id="org:lund")]
    doc = crf(doc)
    assert [(e.text, e.label_, e.ent_id_) for e in doc.ents if e.text == "Lund"] == [("Lund", "ORG", "org:lund")]
