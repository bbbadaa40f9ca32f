"""Train the Swedish NER artefact (models/artifacts/ner_sv_crf/) from the Webbnyheter 2012 corpus.

The corpus (../shared/data/swedish/ner-webbnyheter2012/train_corpus.txt, CC BY 4.0) is token-level IO:
one `token<whitespace>tag` per line, a blank line between sentences, the outside tag is the digit `0`,
separators are a mix of TAB and space, and one line is malformed (a lone token). `read_conll` copes with all
of that. Adjacent tokens with the same tag become one entity span for spaCy.

The split is fixed and documented so the dev score is reproducible: sentences are numbered in file order
(0-based, after dropping empty ones); the last `DEV_FRACTION` of them (a contiguous block; the file's sentences
turn out to be shuffled, not in article order) is the held-out dev set that is never trained on. Of the rest, every
`VALIDATION_EVERY`-th sentence is a validation slice that spaCy's trainer uses to pick its best checkpoint;
the remainder is trained on.

The pipeline has two trained parts (NER_SV_MODEL_CARD.md has the figures):
1. spaCy's transition-based `ner` on a small CNN tok2vec, no vectors, trained by spaCy (`spacy.cli.train`) on
   the train part, its checkpoint chosen on the validation slice;
2. `mediebild_crf_ner` (models/ner_crf.py), a CRF over hand-made features trained on train + validation (it has
   no checkpoint to choose), which runs after the `ner` and decides each token's label from its own marginals
   plus a vote of weight `NER_VOTE_WEIGHT` for the label the spaCy NER gave.
Both train on one thread. `train_ner(crf=False)` trains the spaCy part alone, as the previous artefact
(models/artifacts/ner_sv/, loaded until session 2; NER_SV_MODEL_CARD.md) was made.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, cast

from mediebild.models.corpora.swedish import (
    CORPUS_RELATIVE,
    OUTSIDE,
    SEED,
    Sentence,
    default_corpus,
    read_conll,
    split_corpus,
    split_description,
)

# weight of the spaCy NER's label in the CRF component's token-wise vote (marginals are in [0, 1]);
# 0.2/0.3/0.4 were compared on the dev split (NER_SV_MODEL_CARD.md)
NER_VOTE_WEIGHT = 0.3
ARTIFACT_DIR = Path(__file__).resolve().parents[1] / "artifacts" / "ner_sv_crf"
















def io_spans(tags: list[str]) -> list[tuple[int, int, str]]:
    """Token spans (start, end, label) of runs of one non-outside tag."""
    spans: list[tuple[int, int, str]] = []
    start = None
    for i, tag in enumerate([*tags, OUTSIDE]):
        if start is not None and tag != tags[start]:
            spans.append((start, i, tags[start]))
            start = None
        if start is None and tag != OUTSIDE and i < len(tags):
            start = i
    return spans


def to_docs(nlp, sentences: list[Sentence]):
    from spacy.tokens import Doc, Span

    docs = []
    for sentence in sentences:
        doc = Doc(nlp.vocab, words=sentence.tokens)
        doc.ents = [Span(doc, s, e, label=label) for s, e, label in io_spans(sentence.tags)]
        docs.append(doc)
    return docs


def training_config(max_epochs: int, seed: int, embed: str = "hash"):
    """spaCy's efficiency NER config for Swedish, made smaller: fewer hash rows, no vectors.

    embed="char" swaps the hash embedding for spaCy's CharacterEmbed (NORM rows + the word's characters).
    """
    from spacy.cli.init_config import init_config

    config = init_config(lang="sv", pipeline=["ner"], optimize="efficiency", gpu=False)
    if embed == "char":
        config["components"]["tok2vec"]["model"]["embed"] = {
            "@architectures": "spacy.CharacterEmbed.v2", "width": 128, "rows": 4000, "nM": 48, "nC": 8,
            "include_static_vectors": False,
        }
        config["components"]["tok2vec"]["model"]["encode"]["width"] = 128
        overrides: dict[str, Any] = {"system.seed": seed, "training.max_epochs": max_epochs, "training.max_steps": 0,
                     "training.patience": 3000, "training.eval_frequency": 200, "training.dropout": 0.2}
        return config, overrides
    overrides = {
        "system.seed": seed,
        "training.max_epochs": max_epochs,
        "training.max_steps": 0,
        "training.patience": 3000,
        "training.eval_frequency": 200,
        "training.dropout": 0.2,
        "components.tok2vec.model.embed.rows": [4000, 1000, 2000, 2000],
        "components.tok2vec.model.encode.width": 96,
    }
    return config, overrides


def train_ner(
    corpus: Path | None = None,
    out_dir: Path = ARTIFACT_DIR,
    *,
    max_epochs: int = 12,
    seed: int = SEED,
    embed: str = "hash",
    crf: bool = True,
    log=print,
) -> dict:
    """Train on the train part, score the held-out dev part, write the artefact; returns the scores.

    With `crf` (the default) the pipeline gets the CRF component after spaCy's NER; without it, spaCy's NER alone.
    """
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import spacy
    from spacy.cli.train import train as spacy_train
    from spacy.tokens import DocBin

    from mediebild.models import ner_crf
    from mediebild.models.eval.nlp import score_ner_pipeline

    corpus = corpus or default_corpus()
    sentences = read_conll(corpus)
    train, validation, dev = split_corpus(sentences)
    log(f"corpus {corpus}: {len(sentences)} sentences; train {len(train)}, validation {len(validation)}, dev {len(dev)}")
    blank = spacy.blank("sv")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mediebild-ner-") as tmp:
        tmp_path = Path(tmp)
        DocBin(docs=to_docs(blank, train)).to_disk(tmp_path / "train.spacy")
        DocBin(docs=to_docs(blank, validation)).to_disk(tmp_path / "validation.spacy")
        config, overrides = training_config(max_epochs, seed, embed)
        config_path = tmp_path / "config.cfg"
        config.to_disk(config_path)
        overrides = {
            **overrides,
            "paths.train": str(tmp_path / "train.spacy"),
            "paths.dev": str(tmp_path / "validation.spacy"),
        }
        spacy_train(config_path, tmp_path / "out", overrides=overrides, use_gpu=-1)
        spacy_seconds = time.perf_counter() - started
        nlp = spacy.load(tmp_path / "out" / "model-best")
        crf_seconds, parts = 0.0, None
        if crf:
            crf_started = time.perf_counter()
            crf_path = ner_crf.train_crf([(s.tokens, s.tags) for s in train + validation], tmp_path / "crf.crfsuite")
            crf_seconds = time.perf_counter() - crf_started
            component = cast(ner_crf.CRFNer, nlp.add_pipe(ner_crf.FACTORY, config={"ner_weight": NER_VOTE_WEIGHT}))
            component.load_model(crf_path)
            scores, parts = _score_parts(nlp, component, dev, score_ner_pipeline)
        else:
            scores = score_ner_pipeline(nlp, dev)
        elapsed = time.perf_counter() - started
        if out_dir.exists():
            shutil.rmtree(out_dir)
        nlp.to_disk(out_dir)
    report = {
        "corpus": str(CORPUS_RELATIVE),
        "split": split_description(len(sentences)),
        "n_train_sentences": len(train),
        "n_validation_sentences": len(validation),
        "n_dev_sentences": len(dev),
        "dev_scores": scores,
        "train_seconds": round(elapsed, 1),
        "spacy_ner_seconds": round(spacy_seconds, 1),
        "max_epochs": max_epochs,
        "embed": embed,
    }
    if crf:
        report["dev_scores_by_part"] = parts
        report["crf_seconds"] = round(crf_seconds, 1)
        report["crf"] = {"c1": ner_crf.DEFAULT_C1, "c2": ner_crf.DEFAULT_C2, "iterations": ner_crf.DEFAULT_ITERATIONS,
                         "trained_on": "train + validation", "ner_vote_weight": NER_VOTE_WEIGHT,
                         "feature_version": ner_crf.FEATURE_VERSION}
    _stamp_meta(out_dir / "meta.json", report)
    (out_dir / "dev_scores.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"dev micro F1 {scores['micro_f1']:.3f} (token-level, {scores['n']} tokens); {elapsed:.0f} s")
    return report


def _score_parts(nlp, crf, dev: list[Sentence], score) -> tuple[dict, dict]:
    """Dev scores of the whole pipeline, and of each trained part alone (for the model card)."""
    full = score(nlp, dev)
    spacy_only = score(nlp, dev, disable=(crf.name,))
    weight, crf.ner_weight = crf.ner_weight, 0.0
    try:
        crf_only = score(nlp, dev, disable=tuple(n for n in nlp.pipe_names if n != crf.name))
    finally:
        crf.ner_weight = weight
    return full, {"pipeline": _brief(full), "spacy_ner_only": _brief(spacy_only), "crf_only": _brief(crf_only)}


def _brief(scores: dict) -> dict:
    return {"micro_f1": round(scores["micro_f1"], 4), **{k: round(v["f1"], 4) for k, v in scores["per_class"].items()}}


def _stamp_meta(path: Path, report: dict) -> None:
    """Name the pipeline, its data and licence in spaCy's meta.json."""
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta.update(
        {
            "name": "mediebild_ner_sv",
            "version": "2.0.0" if "crf" in report else "1.0.0",
            "description": "Swedish NER (PER, ORG, LOC, MISC) trained on the train part of Webbnyheter 2012: "
            + ("spaCy's ner plus a CRF component (mediebild.models.ner_crf) that votes with it; "
               if "crf" in report else "spaCy's ner; ")
            + "see NER_SV_MODEL_CARD.md",
            "license": "CC BY 4.0 (training data: klintan/swedish-ner-corpus, Webbnyheter 2012)",
            "sources": [{"name": "swedish-ner-corpus (Webbnyheter 2012)", "repository": "GitHub klintan/swedish-ner-corpus",
                         "license": "CC BY 4.0"}],
            "mediebild_dev_micro_f1": round(report["dev_scores"]["micro_f1"], 4),
        }
    )
    path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
