"""Reading the Webbnyheter format, the documented split, IO spans, and the shipped model's dev floor."""

from __future__ import annotations

import json

import pytest

from mediebild.models.train.ner import ARTIFACT_DIR, io_spans
from mediebild.models.corpora.swedish import Sentence, normalise_tag, read_conll, split_corpus, split_description

# Token-level micro F1 of the shipped model (spaCy NER + CRF vote) on the held-out dev split, measured
# 2026-11-25 at 0.805 (NER_SV_MODEL_CARD.md; was 0.742). A floor: never lower it; raise it when a better model ships.
DEV_MICRO_F1_FLOOR = 0.80


def test_read_conll_copes_with_the_corpus_quirks(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("Gunhild\tPER\nWestman PER\n,\t0\nbn\n\n\nSäpo\tB-ORG\ni 0\nStockholm\tI-LOC\n", encoding="utf-8")
    sentences = read_conll(path)
    assert sentences == [
        Sentence(["Gunhild", "Westman", ","], ["PER", "PER", "O"]),
        Sentence(["Säpo", "i", "Stockholm"], ["ORG", "O", "LOC"]),
    ]
    assert normalise_tag("0") == normalise_tag("O") == "O"


def test_missing_file_is_a_user_error(tmp_path):
    from mediebild.errors import UserError

    with pytest.raises(UserError):
        read_conll(tmp_path / "nope.txt")


def test_io_spans_join_runs_of_one_tag():
    assert io_spans(["PER", "PER", "O", "LOC", "ORG", "ORG"]) == [(0, 2, "PER"), (3, 4, "LOC"), (4, 6, "ORG")]
    assert io_spans(["O", "O"]) == []


def test_split_is_deterministic_disjoint_and_dev_is_the_last_block():
    sentences = [Sentence([f"w{i}"], ["O"]) for i in range(100)]
    train, validation, dev = split_corpus(sentences)
    assert [s.tokens[0] for s in dev] == [f"w{i}" for i in range(85, 100)]
    assert len(train) + len(validation) + len(dev) == 100
    assert not {s.tokens[0] for s in train} & {s.tokens[0] for s in validation}
    assert split_corpus(sentences) == (train, validation, dev)
    assert "85..99" in split_description(100)["dev"]


def test_shipped_artifact_is_small_and_records_its_split():
    size = sum(p.stat().st_size for p in ARTIFACT_DIR.rglob("*") if p.is_file())
    assert size < 10 * 1024 * 1024
    report = json.loads((ARTIFACT_DIR / "dev_scores.json").read_text(encoding="utf-8"))
    assert report["split"]["dev"].startswith("sentences 5852..6884")
    assert report["dev_scores"]["micro_f1"] >= DEV_MICRO_F1_FLOOR
    assert set(report["dev_scores_by_part"]) == {"pipeline", "spacy_ner_only", "crf_only"}
    assert (ARTIFACT_DIR / "mediebild_crf_ner" / "crf.crfsuite").is_file()


def test_shipped_model_meets_its_floor_on_the_dev_split(shared_data):
    import spacy

    import mediebild.models.ner_crf  # noqa: F401  (registers the pipeline's CRF component)
    from mediebild.models.eval.nlp import score_ner_pipeline

    corpus = shared_data / "swedish" / "ner-webbnyheter2012" / "train_corpus.txt"
    _, _, dev = split_corpus(read_conll(corpus))
    scores = score_ner_pipeline(spacy.load(ARTIFACT_DIR), dev)
    assert scores["n"] == 16512
    assert scores["micro_f1"] >= DEV_MICRO_F1_FLOOR, scores
