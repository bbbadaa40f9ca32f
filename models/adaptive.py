"""Relevance that learns the incident as it unfolds: the incident's own vocabulary, learned each pass.

The profile is the seed, not the definition. Each enrichment pass the `IncidentLearner` counts, over every item
seen so far, in how many items each token occurs (the stream's background), and over the *confident* items (a
profile-and-classifier relevance `base` >= 0.5, published after the profile's start, plus the items an officer
judged relevant) in how many of those it occurs. A token that is much more common among the confident items than
in the stream is the incident's vocabulary ("flaskvatten", "tappställe", "Kungsängen", "=injured"); its weight is

    w(t) = log( p(t | confident) / p(t | stream) )        tokens in at least `min_df` confident items, w > 0

(a relevance model in the sense of pseudo-relevance feedback, with the stream so far as the collection). Judged
not-relevant items count `judged_weight` times in the stream, so what an officer rejects stops looking like the
incident. An item's learned relevance is `1 - exp(-sum of w over its distinct tokens / scale)`, and

    relevance = judgement (1.0 / 0.0)               an officer judged the item (or its story)
              = base                                  the profile's exclusion matched
              = (1 - W) * max(base, learned) + W * prior   otherwise (learned = 0 while too few confident items)

where `prior` is the cross-incident relevance prior (models/relevance_prior.py, W its WEIGHT; without it the
relevance is max(base, learned)): the profile's exclusions and the officer's word stay final. Tokens are the
enrichment's lemmas plus the cross-language concept tokens (`models.crosslingual`), so an English report meets
the Swedish vocabulary it shares concepts with.

It is a stream method: the state (`LearnerState`, plain counts, JSON) holds only what was seen so far; the
enrichment step stores it per profile after each pass and re-scores recent items with the new weights
(flows/enrich.py). `questions` picks what to ask the officer: the items nearest the threshold, spread over hours.
`suggest_terms` lists what was learned for `mediebild profile suggest`.

How the settings were chosen (dev sets only) is in models/artifacts/relevance.md ("Which data chose what").
Runtime module: plain Python over the core and models.crosslingual; never the store.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mediebild.models.crosslingual import concept_tokens
from mediebild.models.relevance_prior import combine

VERSION = "adaptive-1"


@dataclass(frozen=True)
class LearnerSettings:
    """What the learner does; the defaults are the shipped ones (relevance.md says how each was chosen)."""

    seed_threshold: float = 0.5   # base relevance at or above which an item after the start teaches the vocabulary
    min_seeds: int = 3            # fewer confident items than this: nothing is learned yet
    min_df: int = 2               # a token must occur in this many confident items to carry weight
    scale: float = 1.0            # learned relevance = 1 - exp(-sum of weights / scale)
    judged_weight: int = 1        # an officer's judgement counts as this many items
    threshold: float = 0.5        # relevant at or above this (the profile's threshold in the pipeline)


@dataclass
class Doc:
    """What the learner sees of an item: its tokens (distinct), profile relevance, time, exclusion."""

    item_id: str
    tokens: frozenset[str]
    base: float
    published_at: datetime | None = None
    excluded: bool = False
    prior: float | None = None  # the cross-incident relevance prior (models/relevance_prior.py), when computed


def doc_tokens(lemmas: Sequence[str] | str | None, lang: str | None) -> frozenset[str]:
    """The learner's tokens of an item: its lemmas (lower case) plus cross-language concept tokens."""
    if isinstance(lemmas, str):
        lemmas = lemmas.split()
    words = [w.lower() for w in lemmas or () if len(w) > 1]
    return frozenset(words) | frozenset(concept_tokens(words, lang))


@dataclass
class LearnerState:
    """Counts over the stream so far (JSON-serialisable; one per incident profile)."""

    n_docs: int = 0
    df: Counter[str] = field(default_factory=Counter)
    n_seeds: int = 0
    df_seed: Counter[str] = field(default_factory=Counter)
    passes: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"version": VERSION, "n_docs": self.n_docs, "df": dict(self.df), "n_seeds": self.n_seeds,
                "df_seed": dict(self.df_seed), "passes": self.passes}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "LearnerState":
        if not data or data.get("version") != VERSION:
            return cls()
        return cls(int(data["n_docs"]), Counter({str(k): int(v) for k, v in data["df"].items()}),
                   int(data["n_seeds"]), Counter({str(k): int(v) for k, v in data["df_seed"].items()}),
                   int(data.get("passes", 0)))


@dataclass(frozen=True)
class Judged:
    """The officer's judgements that apply this pass: item id -> relevant, and the judged items' docs."""

    verdicts: Mapping[str, bool]
    docs: Sequence[Doc] = ()


class IncidentLearner:
    """Learns the incident's vocabulary from the stream; `observe` new items, then `score` any items.

    `start` is the profile's start: items published before it are background only (they never teach).
    """

    def __init__(self, start: datetime | None = None, settings: LearnerSettings | None = None,
                 state: LearnerState | None = None):
        self.start = start
        self.settings = settings or LearnerSettings()
        self.state = state or LearnerState()
        self._weights: dict[str, float] | None = None
        self._judged = Judged({})

    # -- learning ---------------------------------------------------------------------------------------

    def is_seed(self, doc: Doc) -> bool:
        """Whether an item teaches the incident's vocabulary on its own (before judgements)."""
        if doc.excluded or doc.base < self.settings.seed_threshold:
            return False
        return self.start is None or doc.published_at is None or doc.published_at >= self.start

    def observe(self, docs: Iterable[Doc]) -> int:
        """Count new items (each once: the caller passes items the learner has not seen); returns seeds added."""
        added = 0
        for doc in docs:
            self.state.n_docs += 1
            self.state.df.update(doc.tokens)
            if self.is_seed(doc):
                self.state.n_seeds += 1
                self.state.df_seed.update(doc.tokens)
                added += 1
        self.state.passes += 1
        self._weights = None
        return added

    def use_judgements(self, judged: Judged) -> None:
        """The officer's judgements for this pass (they override the counts, they are not added to the state)."""
        self._judged = judged
        self._weights = None

    def weights(self) -> dict[str, float]:
        """Token -> weight (> 0) of the incident's vocabulary as learned so far (empty: nothing learned yet)."""
        if self._weights is not None:
            return self._weights
        s, st = self.settings, self.state
        df_seed, n_seed = Counter(st.df_seed), float(st.n_seeds)
        df_bg, n_bg = Counter(st.df), float(st.n_docs)
        jw = s.judged_weight
        for doc in self._judged.docs:
            verdict = self._judged.verdicts.get(doc.item_id)
            if verdict is None:
                continue
            seed = self.is_seed(doc)
            if verdict and not seed:          # judged relevant: teaches, with weight
                for t in doc.tokens:
                    df_seed[t] += jw
                n_seed += jw
            elif not verdict:
                if seed:                      # a confident item the officer rejected: it no longer teaches
                    df_seed.subtract(doc.tokens)
                    n_seed -= 1
                for t in doc.tokens:          # and what it says weighs more in the background
                    df_bg[t] += jw
                n_bg += jw
        weights: dict[str, float] = {}
        if n_seed >= s.min_seeds and n_bg > 0:
            for t, n in df_seed.items():
                if n < s.min_df:
                    continue
                w = math.log((n / n_seed) / ((df_bg[t] + 1.0) / (n_bg + 2.0)))
                if w > 0:
                    weights[t] = w
        self._weights = weights
        return weights

    # -- scoring --------------------------------------------------------------------------------------

    def learned(self, doc: Doc) -> float:
        """The learned relevance of an item from the incident's vocabulary alone (0 when nothing is learned)."""
        weights = self.weights()
        if not weights:
            return 0.0
        total = sum(weights.get(t, 0.0) for t in doc.tokens)
        return 1.0 - math.exp(-total / self.settings.scale)

    def score(self, doc: Doc) -> float:
        """The item's relevance this pass (see the module docstring)."""
        verdict = self._judged.verdicts.get(doc.item_id)
        if verdict is not None:
            return 1.0 if verdict else 0.0
        if doc.excluded:
            return doc.base
        return combine(max(doc.base, self.learned(doc)), doc.prior)

    def scores(self, docs: Iterable[Doc]) -> list[float]:
        return [self.score(d) for d in docs]

    def contributions(self, doc: Doc, n: int = 5) -> list[str]:
        """The learned tokens that raised an item most (for people: why the learner thinks it is relevant)."""
        weights = self.weights()
        hits = sorted(((weights[t], t) for t in doc.tokens if t in weights), reverse=True)
        return [t for _, t in hits[:n]]


def questions(docs: Sequence[Doc], scores: Sequence[float], *, n: int, threshold: float = 0.5,
              judged: Iterable[str] = (), per_hour: int = 1) -> list[str]:
    """Which items to ask the officer about: the most uncertain (relevance nearest the threshold), at most
    `per_hour` from each hour of publication (newest hours first), then the next most uncertain anywhere."""
    done = set(judged)
    ranked = sorted((abs(s - threshold), i) for i, (d, s) in enumerate(zip(docs, scores)) if d.item_id not in done)
    chosen: list[int] = []
    per: Counter[Any] = Counter()
    for _, i in ranked:
        when = docs[i].published_at
        hour = when.replace(minute=0, second=0, microsecond=0) if when else None
        if per[hour] < per_hour:
            chosen.append(i)
            per[hour] += 1
        if len(chosen) >= n:
            break
    if len(chosen) < n:
        chosen += [i for _, i in ranked if i not in chosen][: n - len(chosen)]
    return [docs[i].item_id for i in chosen]


def suggest_terms(learner: IncidentLearner, known: Iterable[str] = (), n: int = 20) -> list[dict[str, Any]]:
    """The learned vocabulary that the profile does not already hold: token, weight, confident items with it.

    `known` are the profile's words (terms, places, organisations, lower case; a trailing `*` matches as a
    prefix). Concept tokens ("=injured") are left out: they are the tool's own, not words to search for.
    """
    words = [k.lower() for k in known]
    exact = {w for w in words if not w.endswith("*")}
    prefixes = tuple(w[:-1] for w in words if w.endswith("*") and len(w) > 2)
    out = []
    for token, weight in sorted(learner.weights().items(), key=lambda kv: -kv[1]):
        if token.startswith("=") or token in exact or (prefixes and token.startswith(prefixes)) or len(token) < 3:
            continue
        out.append({"term": token, "weight": round(weight, 3), "items": int(learner.state.df_seed.get(token, 0)),
                    "stream_items": int(learner.state.df.get(token, 0))})
        if len(out) >= n:
            break
    return out
