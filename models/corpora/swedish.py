"""Swedish corpora: the NER corpus (webbnyheter 2012, CoNLL) and the sentiment set, read in place.

The NER corpus is split the same way every time (SEED, DEV_FRACTION) so training and evaluation agree on
what is held out. Imports the core and models.corpora.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from mediebild.errors import UserError
from mediebild.models.corpora import shared_data_dir
from mediebild.models.corpora.crisislex import dedup_key

OUTSIDE = "O"
DEV_FRACTION = 0.15
VALIDATION_EVERY = 10
SEED = 2012
CORPUS_RELATIVE = Path("swedish") / "ner-webbnyheter2012" / "train_corpus.txt"
LABELS = ("PER", "ORG", "LOC", "MISC")


@dataclass(frozen=True)
class Sentence:
    tokens: list[str]
    tags: list[str]


def default_corpus() -> Path:
    return shared_data_dir() / CORPUS_RELATIVE


def normalise_tag(tag: str) -> str:
    """`0`/`O` -> O; B-/I- prefixes dropped (the corpus is IO, but accept BIO files too)."""
    tag = tag.strip()
    if tag in ("0", "O", "", "_"):
        return OUTSIDE
    if len(tag) > 2 and tag[1] == "-" and tag[0] in "BIES":
        tag = tag[2:]
    return tag.upper()


def read_conll(path: Path) -> list[Sentence]:
    """Sentences of a Webbnyheter-format file; lines without a tag are skipped."""
    if not path.is_file():
        raise UserError(f"no such CoNLL file: {path}")
    sentences: list[Sentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            if not fields:
                if tokens:
                    sentences.append(Sentence(tokens, tags))
                    tokens, tags = [], []
                continue
            if len(fields) < 2:
                continue  # the one malformed line: a token with no tag
            tokens.append(fields[0])
            tags.append(normalise_tag(fields[-1]))
    if tokens:
        sentences.append(Sentence(tokens, tags))
    return sentences


def split_corpus(sentences: list[Sentence]) -> tuple[list[Sentence], list[Sentence], list[Sentence]]:
    """(train, validation, dev): dev is the last DEV_FRACTION of sentences, validation every 10th of the rest."""
    n_dev = int(round(len(sentences) * DEV_FRACTION))
    head, dev = sentences[: len(sentences) - n_dev], sentences[len(sentences) - n_dev :]
    validation = [s for i, s in enumerate(head) if i % VALIDATION_EVERY == VALIDATION_EVERY - 1]
    train = [s for i, s in enumerate(head) if i % VALIDATION_EVERY != VALIDATION_EVERY - 1]
    return train, validation, dev


def split_description(n_sentences: int) -> dict:
    n_dev = int(round(n_sentences * DEV_FRACTION))
    first_dev = n_sentences - n_dev
    return {
        "sentences": n_sentences,
        "dev": f"sentences {first_dev}..{n_sentences - 1} (last {DEV_FRACTION:.0%}, contiguous)",
        "validation": f"sentences i < {first_dev} with i % {VALIDATION_EVERY} == {VALIDATION_EVERY - 1}",
        "train": f"the other sentences i < {first_dev}",
        "seed": SEED,
    }


def read_swedish_sentiment(path: Path) -> tuple[list[str], list[str]]:
    mapping = {"neg": "negative", "neu": "neutral", "pos": "positive"}
    texts, labels, seen = [], [], set()
    with path.open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            key = dedup_key(rec.get("text", ""))
            label = mapping.get((rec.get("label") or "").strip())
            if not key or label is None or key in seen:
                continue
            seen.add(key)
            texts.append(rec["text"])
            labels.append(label)
    return texts, labels
