"""Shared text features for the crisis classifiers: event-independent normalisation, lexicon concepts, hashing.

Every classifier head (relevance, information type, source type) reads the same sparse matrix, built once per
batch by `featurize()`:

- `normalise()` makes text independent of the incident: URLs, @handles, numbers, e-mail addresses and
  "RT" become placeholder words, and the incident's own names (the profile's places, or an event's keywords
  in CrisisLex) become `xplace`, so a model trained on Boston or Queensland has not learnt "boston" but
  "a crisis at xplace";
- word 1-2-grams and character 3-5-grams are hashed (stateless, no vocabulary to ship, identical for every
  head), with sublinear term frequency and l2 norm;
- the concepts of `crisis_lexicon` (multilingual: sv, en, es, pt, it, fr, de) are added as extra columns,
  so Swedish text shares features with the English training data;
- `event_columns()` adds, for the on/off-topic head only, four columns that say whether a text names the
  incident at all: its places, its own terms (an event's hazard words and hashtags, or a profile's terms),
  either of them, and any hazard concept of the lexicon ("talks about a disaster at all").

The last batch is cached, so calling relevance, categories and tone on the same texts featurises once.
"""

from __future__ import annotations

import functools
import html
import re
import threading
from collections.abc import Iterable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

from mediebild.models.crisis_lexicon import CONCEPT_NAMES, stems

URL_RE = re.compile(r"(?:https?://|www\.)\S+|\b\S+\.(?:com|org|net|se|be|co|ly|gl|me|io)/\S*", re.I)
HANDLE_RE = re.compile(r"@\w+")
EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b")
NUMBER_RE = re.compile(r"\b\d+(?:[.,:]\d+)*\b")
RT_RE = re.compile(r"^\s*(?:rt|mt)\b:?|\b(?:rt|via)\s+xuser\b:?", re.I)
SPACE_RE = re.compile(r"\s+")

N_WORD_FEATURES = 2**18
N_CHAR_FEATURES = 2**19
CONCEPT_WEIGHT = 0.35  # scale of the concept block relative to the unit-norm n-gram blocks


def _concept_tables():
    """Stems split by how they match: whole word, word prefix, inside a word, or a multi-word phrase."""
    exact, prefix, infix, phrases = {}, {}, {}, {}
    for stem, concept, is_infix in stems():
        idx = CONCEPT_NAMES.index(concept)
        core = stem.strip()
        if " " in core:
            phrases.setdefault(core, idx)
        elif stem.endswith(" "):
            exact.setdefault(core, idx)
        elif is_infix:
            infix.setdefault(core, idx)
        else:
            prefix.setdefault(core, idx)
    phrase_re = re.compile(r"(?<!\w)(" + "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)) + r")")
    return exact, prefix, infix, phrases, phrase_re


_EXACT, _PREFIX, _INFIX, _PHRASES, _PHRASE_RE = _concept_tables()
_PREFIX_LENGTHS = sorted({len(p) for p in _PREFIX})
_INFIX_ITEMS = list(_INFIX.items())
_TOKEN_RE = re.compile(r"\w+")
_word_memo: dict[str, frozenset[int]] = {}


def _word_concepts(word: str) -> frozenset[int]:
    hit = _word_memo.get(word)
    if hit is not None:
        return hit
    found = set()
    if word in _EXACT:
        found.add(_EXACT[word])
    for n in _PREFIX_LENGTHS:
        if n > len(word):
            break
        idx = _PREFIX.get(word[:n])
        if idx is not None:
            found.add(idx)
    for stem, idx in _INFIX_ITEMS:
        if stem in word:
            found.add(idx)
    hit = frozenset(found)
    if len(_word_memo) > 500_000:
        _word_memo.clear()
    _word_memo[word] = hit
    return hit


def _concept_ids(text: str) -> set[int]:
    low = (text or "").lower()
    found: set[int] = set()
    for word in set(_TOKEN_RE.findall(low)):
        found |= _word_concepts(word)
    found.update(_PHRASES[m.group(1)] for m in _PHRASE_RE.finditer(low))
    return found


def place_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """A regex that finds the incident's own names (places, event names) anywhere, also inside hashtags."""
    words = sorted({t.strip().lower().rstrip("*") for t in terms if t and len(t.strip().rstrip("*")) >= 3},
                   key=len, reverse=True)
    if not words:
        return None
    return re.compile("|".join(re.escape(w) for w in words))


def normalise(text: str, places: re.Pattern[str] | None = None) -> str:
    """Lowercased text with URLs, handles, numbers and the incident's names replaced by placeholder words."""
    t = html.unescape(text or "")
    t = URL_RE.sub(" xurl ", t)
    t = EMAIL_RE.sub(" xmail ", t)
    t = HANDLE_RE.sub(" xuser ", t)
    t = t.lower()
    if places is not None:
        t = places.sub(" xplace ", t)
    t = RT_RE.sub(" ", t)
    t = NUMBER_RE.sub(" xnum ", t)
    t = t.replace("#", " ")
    return SPACE_RE.sub(" ", t).strip()


def _stem(word: str) -> str:
    for suffix in ("ings", "ing", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def incident_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """A regex for the incident's own terms (`explosion*`, `#prayforboston`, `Floods`), found anywhere in a
    lowercased text, also inside hashtags; plural and -ing endings are dropped so `floods` finds `flooding`."""
    stems = set()
    for term in terms:
        for word in re.split(r"[\s\-]+", (term or "").lower().strip().strip('"')):
            word = word.strip("#*\"'")
            if len(word) >= 3:
                stems.add(_stem(word))
    if not stems:
        return None
    return re.compile("|".join(re.escape(w) for w in sorted(stems, key=len, reverse=True)))


HAZARD_CONCEPTS = ("explosion", "bomb", "attack", "shooting", "fire", "flood", "storm", "earthquake", "crash",
                   "collapse", "haze")
N_EVENT_COLUMNS = 4


@functools.lru_cache(maxsize=2)
def _hazard_indicator(width: int) -> np.ndarray:
    first = N_WORD_FEATURES + N_CHAR_FEATURES
    v = np.zeros(width, dtype=np.float32)
    v[[first + CONCEPT_NAMES.index(c) for c in HAZARD_CONCEPTS]] = 1.0
    return v


def event_columns(X: sp.csr_matrix, texts: Sequence[str], places: Iterable[str] = (),
                  terms: Iterable[str] = ()) -> sp.csr_matrix:
    """(texts x 4): names a place of the incident, names one of its terms, either, any hazard concept.

    `X` is the shared matrix of the same texts (its concept block gives the hazard column). Without terms
    (no profile) the term column falls back to the hazard concepts: "some disaster is named".
    """
    hazard = (np.asarray(X @ _hazard_indicator(X.shape[1])).ravel() > 0).astype(np.float32)
    place_re, term_re = place_pattern(places or ()), incident_pattern(terms or ())
    lowered = [html.unescape(t or "").lower() for t in texts] if (place_re or term_re) else []
    place = np.array([bool(place_re.search(t)) for t in lowered], np.float32) if place_re else \
        np.zeros(len(texts), np.float32)
    term = np.array([bool(term_re.search(t)) for t in lowered], np.float32) if term_re else hazard
    return sp.csr_matrix(np.column_stack([place, term, np.maximum(place, term), hazard]))


def concepts_of(text: str) -> list[str]:
    """Names of the lexicon concepts found in a text (raw or normalised), each once, in lexicon order."""
    return [CONCEPT_NAMES[i] for i in sorted(_concept_ids(text))]


def concept_matrix(texts: Sequence[str]) -> sp.csr_matrix:
    """Binary (texts x concepts) matrix, plus a last column counting how many concepts fired (scaled)."""
    rows: list[int] = []
    cols: list[int] = []
    n_concepts = len(CONCEPT_NAMES)
    counts = np.zeros(len(texts), dtype=np.float32)
    for i, text in enumerate(texts):
        found = _concept_ids(text)
        rows.extend([i] * len(found))
        cols.extend(found)
        counts[i] = len(found)
    rows.extend(range(len(texts)))
    cols.extend([n_concepts] * len(texts))
    data = np.concatenate([np.ones(len(rows) - len(texts), dtype=np.float32), np.minimum(counts, 6.0) / 6.0])
    return sp.csr_matrix((data, (rows, cols)), shape=(len(texts), n_concepts + 1), dtype=np.float32)


_WORDS = HashingVectorizer(
    n_features=N_WORD_FEATURES, ngram_range=(1, 2), alternate_sign=False, norm=None,
    token_pattern=r"(?u)\b\w\w+\b", lowercase=False,
)
_CHARS = HashingVectorizer(
    n_features=N_CHAR_FEATURES, analyzer="char_wb", ngram_range=(3, 5), alternate_sign=False, norm=None,
    lowercase=False,
)


def _sublinear_l2(m: sp.csr_matrix) -> sp.csr_matrix:
    m = m.tocsr().astype(np.float32)
    np.log1p(m.data, out=m.data)
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ m)


def featurize_normalised(normalised: Sequence[str]) -> sp.csr_matrix:
    """Feature matrix from already normalised texts (see `normalise`)."""
    words = _sublinear_l2(_WORDS.transform(normalised))
    chars = _sublinear_l2(_CHARS.transform(normalised))
    concepts = concept_matrix(normalised) * CONCEPT_WEIGHT
    return sp.hstack([words, chars, concepts], format="csr", dtype=np.float32)


_cache_lock = threading.Lock()
_cache: dict[str, object] = {"key": None, "value": None}


def featurize(texts: Sequence[str], places: Iterable[str] | None = ()) -> sp.csr_matrix:
    """The shared feature matrix for raw texts; `places` are the incident's own names to mask as `xplace`.

    The last batch is kept, so several heads on the same texts pay for featurisation once; `places=None`
    means "any masking will do" and reuses the last batch of the same texts whatever its places.
    """
    place_list = tuple(sorted(set(places or ())))
    key = (hash(tuple(texts)), len(texts), place_list)
    with _cache_lock:
        cached = _cache["key"]
        if cached == key or (places is None and cached is not None and cached[:2] == key[:2]):  # type: ignore[index]
            return _cache["value"]  # type: ignore[return-value]
    matrix = featurize_uncached(texts, place_list)
    with _cache_lock:
        _cache["key"], _cache["value"] = key, matrix
    return matrix


def featurize_uncached(texts: Sequence[str], places: Iterable[str] | None = ()) -> sp.csr_matrix:
    """`featurize` without touching the one-batch cache (for a few variant rows of a cached batch)."""
    pattern = place_pattern(tuple(sorted(set(places or ()))))
    return featurize_normalised([normalise(t, pattern) for t in texts])


def with_rows(X: sp.csr_matrix, rows: Sequence[int], replacement: sp.csr_matrix) -> sp.csr_matrix:
    """X with the given rows replaced by those of `replacement` (in order)."""
    if not len(rows):
        return X
    index = np.arange(X.shape[0])
    index[np.asarray(rows)] = X.shape[0] + np.arange(len(rows))
    return sp.vstack([X, replacement], format="csr")[index]


def n_features() -> int:
    return N_WORD_FEATURES + N_CHAR_FEATURES + len(CONCEPT_NAMES) + 1


class LinearHead:
    """A fitted linear classifier on the shared features, small to ship: coefficients as float16, classes,
    and a softmax temperature (multi-class) or Platt scaling (two classes) fitted on out-of-fold scores.

    `log_prior` (multi-class only) is added to the tempered scores before the softmax: `t * log(class share)`,
    which moves a class-balanced learner part of the way back to the class shares (see `fit_prior_power`).
    """

    log_prior: np.ndarray | None = None  # artefacts written before it existed have none

    def __init__(self, classes: Sequence[str], coef: np.ndarray, intercept: np.ndarray,
                 scale: float = 1.0, shift: float = 0.0, log_prior: np.ndarray | None = None):
        self.classes = list(classes)
        self.weights = np.ascontiguousarray(np.asarray(coef, dtype=np.float32).T)  # (n_features, k)
        self.intercept = np.asarray(intercept, dtype=np.float32)
        self.scale = float(scale)
        self.shift = float(shift)
        self.log_prior = None if log_prior is None else np.asarray(log_prior, dtype=np.float64)

    def __getstate__(self) -> dict:
        # Ship only the hash buckets seen in training, as float16: a few MB instead of tens.
        state = self.__dict__.copy()
        rows = np.flatnonzero(np.any(self.weights != 0, axis=1)).astype(np.int32)
        state["weights"] = (self.weights.shape, rows, self.weights[rows].astype(np.float16))
        return state

    def __setstate__(self, state: dict) -> None:
        shape, rows, values = state.pop("weights")
        weights = np.zeros(shape, dtype=np.float32)
        weights[rows] = values.astype(np.float32)
        state["weights"] = weights
        self.__dict__.update(state)

    @classmethod
    def from_estimator(cls, estimator, scale: float = 1.0, shift: float = 0.0,
                       log_prior: np.ndarray | None = None) -> "LinearHead":
        coef = np.asarray(estimator.coef_)
        intercept = np.atleast_1d(estimator.intercept_)
        return cls([str(c) for c in estimator.classes_], coef, intercept, scale, shift, log_prior)

    def decision(self, X: sp.csr_matrix, extra: sp.csr_matrix | None = None) -> np.ndarray:
        """Scores of X, or of the columns of X followed by those of `extra` (no copy of X is made)."""
        if extra is None:
            return np.asarray(X @ self.weights) + self.intercept
        n = X.shape[1]
        return np.asarray(X @ self.weights[:n]) + np.asarray(extra @ self.weights[n:]) + self.intercept

    def predict_proba(self, X: sp.csr_matrix, extra: sp.csr_matrix | None = None) -> np.ndarray:
        return scores_to_proba(self.decision(X, extra), len(self.classes), self.scale, self.shift, self.log_prior)

    def predict(self, X: sp.csr_matrix) -> list[str]:
        proba = self.predict_proba(X)
        return [self.classes[i] for i in proba.argmax(axis=1)]


def scores_to_proba(scores: np.ndarray, n_classes: int, scale: float, shift: float,
                    log_prior: np.ndarray | None = None) -> np.ndarray:
    """Decision scores to probabilities: Platt sigmoid for two classes, tempered softmax otherwise."""
    if n_classes == 2:
        s = scores.ravel() if scores.ndim == 1 or scores.shape[1] == 1 else scores[:, -1]
        p1 = 1.0 / (1.0 + np.exp(-(scale * s + shift)))
        return np.column_stack([1.0 - p1, p1])
    z = scale * scores if log_prior is None else scale * scores + log_prior
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_calibration(scores: np.ndarray, y: Sequence[str] | np.ndarray, classes: Sequence[str]) -> tuple[float, float]:
    """(scale, shift) minimising log loss of out-of-fold decision scores."""
    from scipy.optimize import minimize

    index = {c: i for i, c in enumerate(classes)}
    target = np.array([index[v] for v in y])

    def loss(params: np.ndarray) -> float:
        p = scores_to_proba(scores, len(classes), params[0], params[1] if len(classes) == 2 else 0.0)
        return float(-np.mean(np.log(np.clip(p[np.arange(len(target)), target], 1e-9, 1.0))))

    best = minimize(loss, x0=np.array([1.0, 0.0]), method="Nelder-Mead", options={"maxiter": 400})
    scale, shift = best.x
    return float(scale), float(shift if len(classes) == 2 else 0.0)


def fit_prior_power(proba: np.ndarray, y: Sequence[str] | np.ndarray, classes: Sequence[str],
                    folds: Sequence[tuple[np.ndarray, np.ndarray]],
                    grid: Sequence[float] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0)) -> tuple[float, np.ndarray]:
    """The power `t` of the class shares which, multiplied into out-of-fold probabilities, gives the best
    weighted F1; and the labels predicted when each test fold gets the `t` chosen on the other folds only
    (the honest figure to report). Returns (t chosen on all folds, nested labels; rows in no fold: "")."""
    from sklearn.metrics import f1_score

    truth = np.asarray(y)
    labels = np.asarray(classes)

    def shares(rows: np.ndarray) -> np.ndarray:
        return np.array([np.mean(truth[rows] == c) for c in labels]) + 1e-9

    def best_power(rows: np.ndarray) -> float:
        share = shares(rows)
        return max(grid, key=lambda t: f1_score(truth[rows], labels[(proba[rows] * share**t).argmax(1)],
                                                 average="weighted"))

    pred = np.full(len(truth), "", dtype=object)
    for train, test in folds:
        train = train[~np.isnan(proba[train, 0])]
        pred[test] = labels[(proba[test] * shares(train) ** best_power(train)).argmax(1)]
    scored = np.flatnonzero(pred != "")
    return best_power(scored), pred.astype(str)
