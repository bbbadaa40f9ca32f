"""A linear-chain CRF token tagger for Swedish NER, as a spaCy pipeline component (`mediebild_crf_ner`).

Why: on the Webbnyheter 2012 corpus (about 96k training tokens, no pretrained Swedish vectors on the package
index) a CRF over hand-made features (word, shape, affixes, character 4-grams of capitalised words, a +-2
context window, membership in spacy-lookups-data's Swedish lemma table as a "this is an ordinary word" hint,
the label of a project gazetteer name covering the token) scores clearly higher than spaCy's own transition-based NER trained from scratch (NER_SV_MODEL_CARD.md).

The component lives in the same spaCy pipeline as the statistical `ner` (models/artifacts/ner_sv_crf/) and runs
after it: per token it takes the CRF's marginal probabilities of O/PER/ORG/LOC/MISC, adds `ner_weight` to the
label the spaCy NER gave that token (a token-wise vote), and writes the argmax labels back as entity spans
(runs of one label). Entities that carry an entity id (the project's gazetteer ruler) are kept as they are.

Training (`train_crf`) uses python-crfsuite (L-BFGS, L1+L2). The model file is stored in the component's
folder of the pipeline, so `spacy.load` of the pipeline restores it; importing this module registers the
factory, which `mediebild.models.train.ner` and `mediebild.models.nlp` do before loading.
"""

from __future__ import annotations

import json
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from spacy.language import Language
from spacy.tokens import Doc, Span

OUTSIDE = "O"
LABELS = ("PER", "ORG", "LOC", "MISC")
FACTORY = "mediebild_crf_ner"
FEATURE_VERSION = 1
DEFAULT_C1 = 0.05
DEFAULT_C2 = 0.2
DEFAULT_ITERATIONS = 200
_SENTENCE_END = frozenset({".", "!", "?"})
_UPPER = re.compile(r"[A-ZÅÄÖÉÜ]")
_LOWER = re.compile(r"[a-zåäöéüà-ÿ]")
_DIGIT = re.compile(r"[0-9]")
_REPEAT = re.compile(r"(.)\1{2,}")


@lru_cache(maxsize=1)
def _lexicon() -> frozenset[str]:
    """Lower-case Swedish word forms and lemmas of spacy-lookups-data's lemma table (ordinary words)."""
    from mediebild.models.lemmas import lemma_table

    table = lemma_table("sv")
    return frozenset(k.lower() for k in table) | frozenset(v.lower() for v in table.values())


@lru_cache(maxsize=1)
def _gazetteer() -> tuple[dict[tuple[str, ...], str], int]:
    """The project gazetteer (models/artifacts/gazetteer.toml) as lower-cased token tuples -> label."""
    from mediebild.models.entities import alias_index

    index = {tuple(alias.split()): label for alias, (_, label) in alias_index().items()}
    return index, max((len(k) for k in index), default=0)


def gazetteer_labels(tokens: list[str]) -> list[str | None]:
    """Per token, the label of the longest gazetteer name covering it (left to right, no overlaps)."""
    index, longest = _gazetteer()
    lower = [t.lower() for t in tokens]
    labels: list[str | None] = [None] * len(tokens)
    i = 0
    while i < len(tokens):
        for size in range(min(longest, len(tokens) - i), 0, -1):
            label = index.get(tuple(lower[i:i + size]))
            if label:
                labels[i:i + size] = [label] * size
                i += size
                break
        else:
            i += 1
    return labels


def word_shape(word: str) -> str:
    """X for capitals, x for small letters, d for digits, runs of 3+ cut to 2 ("Göteborg" -> "Xxx", "2012" -> "dd")."""
    shape = _DIGIT.sub("d", _LOWER.sub("x", _UPPER.sub("X", word)))
    return _REPEAT.sub(r"\1\1", shape)


def _token_base(word: str, lexicon: frozenset[str]) -> dict:
    lower = word.lower()
    title = word[:1].isupper()
    base = {
        "w": lower, "sh": word_shape(word), "p2": lower[:2], "p3": lower[:3], "s1": lower[-1:], "s2": lower[-2:],
        "s3": lower[-3:], "s4": lower[-4:], "title": title, "upper": word.isupper() and len(word) > 1,
        "lex": lower in lexicon, "len": str(min(len(word), 8)),
    }
    if lower.endswith("s") and len(lower) > 3:
        base["lexs"] = lower[:-1] in lexicon  # a genitive of an ordinary word
    return base


def sentence_features(tokens: list[str], lexicon: frozenset[str] | None = None) -> list[dict]:
    """One crfsuite feature dict per token (strings are categorical, floats are weights)."""
    lexicon = _lexicon() if lexicon is None else lexicon
    base = [_token_base(w, lexicon) for w in tokens]
    gazetteer = gazetteer_labels(tokens)
    n = len(tokens)
    out: list[dict] = []
    for i, word in enumerate(tokens):
        b = base[i]
        feats: dict = {"bias": 1.0, "first": i == 0, **b}
        lower = b["w"]
        feats["s5"] = lower[-5:]
        feats["p4"] = lower[:4]
        if b["title"] and len(lower) > 4:
            bounded = f"<{lower}>"
            for k in range(len(bounded) - 3):
                feats["g4=" + bounded[k:k + 4]] = 1.0
        for d in (-2, -1, 1, 2):
            j = i + d
            if 0 <= j < n:
                other = base[j]
                feats[f"{d}w"] = other["w"]
                feats[f"{d}sh"] = other["sh"]
                feats[f"{d}title"] = other["title"]
                if abs(d) == 1:
                    feats[f"{d}lex"] = other["lex"]
                    feats[f"{d}s3"] = other["s3"]
            else:
                feats[f"{d}pad"] = True
        if gazetteer[i]:
            feats[f"gaz={gazetteer[i]}"] = 1.0
        if i > 0:
            feats["-1w|w"] = f"{base[i - 1]['w']}|{lower}"
        if i < n - 1:
            feats["w|+1w"] = lower + "|" + base[i + 1]["w"]
        out.append({k: (1.0 if v else 0.0) if isinstance(v, bool) else v for k, v in feats.items()})
    return out


def train_crf(sentences: Iterable[tuple[list[str], list[str]]], model_path: Path, *, c1: float = DEFAULT_C1,
              c2: float = DEFAULT_C2, iterations: int = DEFAULT_ITERATIONS) -> Path:
    """Train a crfsuite model on (tokens, IO tags) pairs and write it to `model_path`."""
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    lexicon = _lexicon()
    for tokens, tags in sentences:
        trainer.append(sentence_features(tokens, lexicon), tags)
    trainer.set_params({"c1": c1, "c2": c2, "max_iterations": iterations, "feature.possible_transitions": True})
    model_path.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(model_path))
    return model_path


def _segments(n: int, words: list[str]) -> list[tuple[int, int]]:
    """Sentence-like pieces of a doc ([start, end) token ranges), cut after . ! ? (the CRF saw sentences)."""
    pieces: list[tuple[int, int]] = []
    start = 0
    for i, word in enumerate(words):
        if word in _SENTENCE_END and i + 1 < n:
            pieces.append((start, i + 1))
            start = i + 1
    if start < n:
        pieces.append((start, n))
    return pieces


class CRFNer:
    """The spaCy component: CRF marginals (+ a vote from the spaCy NER before it) -> doc.ents."""

    MODEL_FILE = "crf.crfsuite"

    def __init__(self, nlp: Language, name: str, ner_weight: float, feature_version: int):
        self.name = name
        self.ner_weight = ner_weight
        self.feature_version = feature_version
        self._tagger = None
        self._model_bytes: bytes | None = None
        self._lock = threading.Lock()  # a crfsuite Tagger holds the sequence it was last given

    # --- model I/O -------------------------------------------------------------------------------
    def load_model(self, path: Path) -> "CRFNer":
        """Read a crfsuite model file into memory (the file may be removed afterwards)."""
        import pycrfsuite

        self._model_bytes = Path(path).read_bytes()
        tagger = pycrfsuite.Tagger()
        tagger.open_inmemory(self._model_bytes)
        self._tagger = tagger
        return self

    def to_disk(self, path, *, exclude=()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        if self._model_bytes is None:
            raise ValueError(f"{self.name}: no CRF model loaded")
        (path / self.MODEL_FILE).write_bytes(self._model_bytes)
        (path / "cfg.json").write_text(json.dumps({"ner_weight": self.ner_weight,
                                                   "feature_version": self.feature_version}) + "\n")

    def from_disk(self, path, *, exclude=()) -> "CRFNer":
        path = Path(path)
        if not (path / self.MODEL_FILE).is_file():
            raise FileNotFoundError(f"{self.name}: no {self.MODEL_FILE} in {path}")
        return self.load_model(path / self.MODEL_FILE)

    # --- tagging ---------------------------------------------------------------------------------
    def token_labels(self, words: list[str], votes: list[str] | None = None) -> list[str]:
        """Per-token label: argmax of CRF marginals plus `ner_weight` on the vote (if any)."""
        if self._tagger is None:
            raise ValueError(f"{self.name}: no CRF model loaded")
        tagger = self._tagger
        known = set(tagger.labels())
        labels = (OUTSIDE, *LABELS)
        out: list[str] = []
        for start, end in _segments(len(words), words):
            features = sentence_features(words[start:end])
            with self._lock:
                tagger.set(features)
                marginals = [[tagger.marginal(label, i) if label in known else 0.0 for label in labels]
                             for i in range(end - start)]
            for i, row in enumerate(marginals):
                vote = votes[start + i] if votes else None
                scores = [p + (self.ner_weight if label == vote else 0.0) for label, p in zip(labels, row)]
                out.append(labels[max(range(len(labels)), key=scores.__getitem__)])
        return out

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        words = [t.text for t in doc]
        fixed = [e for e in doc.ents if e.ent_id_]  # the gazetteer's, kept as they are
        votes = None
        if self.ner_weight > 0:
            votes = [t.ent_type_ if t.ent_type_ in LABELS else OUTSIDE for t in doc]
        labels = self.token_labels(words, votes)
        taken = [False] * len(doc)
        for ent in fixed:
            for i in range(ent.start, ent.end):
                taken[i] = True
        spans = list(fixed)
        start = None
        for i in range(len(doc) + 1):
            label = labels[i] if i < len(doc) and not taken[i] else OUTSIDE
            if start is not None and label != labels[start]:
                spans.append(Span(doc, start, i, label=labels[start]))
                start = None
            if start is None and label != OUTSIDE:
                start = i
        doc.ents = sorted(spans, key=lambda s: s.start)
        return doc


@Language.factory(FACTORY, default_config={"ner_weight": 0.3, "feature_version": FEATURE_VERSION})
def make_crf_ner(nlp: Language, name: str, ner_weight: float, feature_version: int) -> CRFNer:
    if feature_version != FEATURE_VERSION:
        raise ValueError(f"{FACTORY}: model features v{feature_version}, this code has v{FEATURE_VERSION}; "
                         "retrain with `mediebild train ner`")
    return CRFNer(nlp, name, ner_weight, feature_version)
