"""Online story clustering: each pass assigns new items to live stories or opens new ones.

Single-pass clustering in the manner of news-stream systems (EMM NewsBrief, Miranda et al. 2018): every item
becomes a TF-IDF vector over its lemmas (hashed, so the vocabulary never has to be fixed; document
frequencies are kept incrementally) plus its entities' language-independent norm_ids (``loc:göteborg`` for
Göteborg and Gothenburg) as extra, up-weighted features, so a Swedish and an English article about the same event
meet on what they name, plus shared concept tokens for the Swedish and English vocabulary of incidents
(models.crosslingual: "skadade" and "injured" both add ``=injured``), so they also meet on what they say. An item joins the story whose centroid is most similar, discounted by time since the
story was last active (half-life), when that similarity clears a threshold; otherwise it opens a story.
After each chunk, stories whose centroids have grown alike are merged (the younger into the older).

All state lives in `ClusterState` (document frequencies, the centroids of stories active within the window),
which the caller passes in and saves; `prune(now)` forgets stories that have been quiet longer than the
window, so the per-batch cost is bounded by the window, not by all history. Texts in, labels out: nothing
here knows the store. Scores, what was tried and what was left out: models/artifacts/stories.md.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction import FeatureHasher

from mediebild.models.crosslingual import concept_tokens
from mediebild.timeutil import as_utc

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@\w+")
_WORD = re.compile(r"[^\W\d_][\w'-]*[\w]|[^\W\d_]", re.UNICODE)


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """Swedish and English stop words (spaCy's lists) plus social-media noise."""
    from spacy.lang.en.stop_words import STOP_WORDS as EN
    from spacy.lang.sv.stop_words import STOP_WORDS as SV

    return frozenset(EN) | frozenset(SV) | {"rt", "via", "amp", "http", "https", "co", "www"}


def tokenise(text: str) -> list[str]:
    """Fallback when no lemmas are stored: lower-case content words, no links, mentions or stop words."""
    text = _MENTION.sub(" ", _URL.sub(" ", text or ""))
    text = unicodedata.normalize("NFKC", text).casefold()
    stops = stop_words()
    return [w for w in _WORD.findall(text.replace("#", " ")) if len(w) > 1 and w not in stops]


TITLE_WEIGHT = 2  # a headline names the story: its words count this many times ...
LONG_TITLE_WEIGHT = 3  # ... and once more in a long article, where the title is a smaller share of the words
LONG_BODY = 100  # body tokens from which an article counts as long
MAX_TOKENS = 150  # the weighted title and the lead: enough to place a story, bounded in cost


def weighted_tokens(title: Sequence[str], body: Sequence[str]) -> list[str]:
    """The tokens clustering sees: the title 2 times (3 in a long article), then the body without a leading
    copy of the title (social posts and lemmatised articles have one), cut at MAX_TOKENS. The pipeline and the
    evaluations both use this, so what is measured is what runs."""
    title, body = list(title), list(body)
    if title and body[: len(title)] == title:
        body = body[len(title) :]
    weight = LONG_TITLE_WEIGHT if len(body) >= LONG_BODY else TITLE_WEIGHT
    return (title * weight + body)[:MAX_TOKENS]


def named(entities: Iterable[str]) -> list[str]:
    """Entity ids that name something: "org:" or "per:" from an empty span would link unrelated items."""
    return [e for e in entities if e and not e.endswith(":")]


@dataclass(slots=True)
class ClusterDoc:
    """One item as clustering sees it: content tokens (lemmas), entity norm_ids, a time."""

    id: str
    tokens: Sequence[str]
    published_at: datetime
    entities: Sequence[str] = ()
    lang: str | None = None


@dataclass(slots=True)
class Assignment:
    item_id: str
    cluster_id: int
    similarity: float  # decayed similarity to the story it joined; 0.0 for the item that opened it
    opened: bool


@dataclass
class ClusterResult:
    assignments: list[Assignment] = field(default_factory=list)
    merges: list[tuple[int, int]] = field(default_factory=list)  # (absorbed, into), in the order done
    threads: dict[int, int] = field(default_factory=dict)  # story id -> its thread, for stories whose thread is new or changed
    thread_joins: list[tuple[int, int]] = field(default_factory=list)  # (thread absorbed, into), in the order done


@dataclass
class ClusterState:
    """Everything that must survive between passes; pickle it (the store keeps it as one blob)."""

    n_features: int = 2**18
    n_docs: int = 0
    df: np.ndarray | None = None  # document frequency per hashed feature
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    sums: sp.csr_matrix | None = None  # one row per live story: the sum of its members' unit vectors
    ent_sums: sp.csr_matrix | None = None  # the same for the bridge vectors (entities + concepts: cross-language)
    langs: list = field(default_factory=list)  # per live story: {language: members in it}
    threads: np.ndarray | None = None  # per live story: the id of its incident thread (its first story's id)
    first_seen: np.ndarray = field(default_factory=lambda: np.zeros(0))  # epoch seconds
    last_seen: np.ndarray = field(default_factory=lambda: np.zeros(0))
    sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    next_id: int = 1

    def __post_init__(self) -> None:
        if self.df is None:
            self.df = np.zeros(self.n_features, dtype=np.int32)
        if self.sums is None:
            self.sums = sp.csr_matrix((0, self.n_features), dtype=np.float32)
        if self.ent_sums is None:
            self.ent_sums = sp.csr_matrix((0, self.n_features), dtype=np.float32)
        self.upgrade()

    def upgrade(self) -> None:
        """Bring a state saved by an older version up to date (language sets become counts; threads)."""
        if getattr(self, "threads", None) is None:
            self.threads = self.ids.copy()
        self.langs = [ls if isinstance(ls, dict) else {lang: 1 for lang in ls} for ls in self.langs]

    @property
    def n_live(self) -> int:
        return int(self.ids.shape[0])


def _unit_rows(m: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ m, dtype=np.float32)


def _other_share(own: np.ndarray, size: np.ndarray) -> np.ndarray:
    """How much of each story is in other languages than an item's (`own` of its `size` members in the item's),
    where the item's language is at most half of it; else 0: a Swedish post meeting a Swedish story that one
    English report joined is compared on its words alone."""
    other = np.where(size > 0, 1.0 - own / np.maximum(size, 1.0), 0.0)
    other[other < 0.5] = 0.0
    return other


def _tf_idf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear term frequency times the smoothed IDF (+1)."""
    out = counts.astype(np.float32)
    out.data = (1.0 + np.log(out.data)) * (idf[out.indices] + 1.0)
    return out


def _row_norm2(m: sp.csr_matrix) -> np.ndarray:
    return np.asarray(m.multiply(m).sum(axis=1)).ravel()


def _epoch(value: datetime) -> float:
    return as_utc(value).timestamp()


class OnlineClusterer:
    """Single-pass clustering with time decay and merging; parameters only, the state is passed in.

    threshold: decayed cosine similarity to a story's centroid needed to join it.
    merge_threshold: cosine similarity of two centroids at which the stories merge.
    half_life: a story quiet for this long counts half as similar.
    window: stories quiet longer than this leave the working set (`prune`).
    entity_weight: weight of an entity feature relative to a lemma (it separates events that share words).
    shared_terms: add to the Swedish and English incident vocabulary of items whose language is sv or en its
        shared concept tokens (models.crosslingual: "skadade" and "injured" both add =injured), so a Swedish and
        an English report of one event share their words, not only their entities.
    cross_language_weight: the bridge. Each item also has a vector in the space the languages share (its
        entities' norm_ids, weighted `entity_weight`, and its concept tokens); its cosine with a story's bridge
        centroid, times this and times the share of the story's members in other languages than the item's
        (when that share is half or more: `_other_share`), is added to the similarity, so an English wire
        version meets the Swedish story it reports on although most of its words are not the story's.
    thread_threshold: incident threads (`ClusterState.threads`): after each chunk, a touched story whose centroid
        is at least this alike (decayed as for merging) to another live story's joins that story's thread
        (single link over stories, far below the merge threshold). Threads only grow and join (like merges),
        never split; a thread's id is its oldest story's. Stories stay fine-grained (rumour flags are per
        story); a thread holds the sub-stories of one incident (the lockdown, the condolences, the Swedes
        abroad). None: every story is its own thread.

    The stream defaults are chosen on the development streams (models/eval_data/dev/: norrkoping_port_stream.csv,
    uppsala_water, sundsvall_bridge; stories.md has the grids and says which data chose what). WikiRef's long articles use `eval_clusters.article_clusterer`
    (0.1 / 0.2), chosen on WikiRef.
    """

    def __init__(
        self,
        *,
        threshold: float = 0.25,
        merge_threshold: float = 0.35,
        half_life: timedelta = timedelta(hours=12),
        window: timedelta = timedelta(hours=48),
        entity_weight: float = 2.0,
        cross_language_weight: float = 0.5,
        shared_terms: bool = True,
        thread_threshold: float | None = 0.12,
        chunk_size: int = 800,
    ) -> None:
        self.threshold = threshold
        self.merge_threshold = merge_threshold
        self.half_life = half_life
        self.window = window
        self.entity_weight = entity_weight
        self.cross_language_weight = cross_language_weight
        self.shared_terms = shared_terms
        self.thread_threshold = thread_threshold
        self.chunk_size = chunk_size

    # -- vectors --------------------------------------------------------------------------------------
    def vectorise(
        self, state: ClusterState, docs: Sequence[ClusterDoc], *, learn: bool = True
    ) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """Unit-length rows: TF-IDF of lemmas (and concept tokens) plus entity features weighted `entity_weight`
        x their IDF; and the unit bridge rows (entities as above plus the concept tokens alone).

        Entities use the plain IDF ln((1+N)/(1+df)), so an entity that every item names (the incident's city)
        adds nothing, while a rare one shared across languages (a station, a street) pulls hard. Lemmas use the
        smoothed IDF (+1), which keeps topic words useful. With `learn` the documents first update the
        document frequencies.
        """
        hasher = FeatureHasher(n_features=state.n_features, input_type="string", alternate_sign=False)
        concepts = hasher.transform([concept_tokens(d.tokens, d.lang) if self.shared_terms else [] for d in docs]).tocsr()
        words = hasher.transform([list(d.tokens) for d in docs]).tocsr() + concepts
        ents = hasher.transform([[f"\x01{e}" for e in named(d.entities)] for d in docs]).tocsr()
        if learn:
            present = (words + ents) > 0
            assert state.df is not None
            state.df += np.asarray(present.sum(axis=0), dtype=np.int32).ravel()
            state.n_docs += len(docs)
        assert state.df is not None
        idf = np.log((1.0 + state.n_docs) / (1.0 + state.df))
        w = _tf_idf(words, idf)
        e = ents.astype(np.float32)
        e.data = np.minimum(e.data, 1.0) * idf[e.indices]
        return _unit_rows(w + e * self.entity_weight), _unit_rows(_tf_idf(concepts, idf) + e * self.entity_weight)

    # -- assignment -----------------------------------------------------------------------------------
    def add(self, state: ClusterState, docs: Iterable[ClusterDoc]) -> ClusterResult:
        """Assign documents (taken in time order) to stories; updates `state` in place."""
        state.upgrade()
        ordered = sorted(docs, key=lambda d: (as_utc(d.published_at), d.id))
        result = ClusterResult()
        for start in range(0, len(ordered), self.chunk_size):
            self._add_chunk(state, ordered[start : start + self.chunk_size], result)
        return result

    def _add_chunk(self, state: ClusterState, docs: list[ClusterDoc], result: ClusterResult) -> None:
        if not docs:
            return
        assert state.sums is not None and state.ent_sums is not None and state.threads is not None
        vectors, bridges = self.vectorise(state, docs)
        times = np.array([_epoch(d.published_at) for d in docs])
        b, k = len(docs), state.n_live
        gram = (vectors @ vectors.T).toarray()
        gram_e = (bridges @ bridges.T).toarray()
        dots = np.zeros((b, k + b))
        dots_e = np.zeros((b, k + b))
        norm2 = np.zeros(k + b)
        norm2_e = np.zeros(k + b)
        if k:
            dots[:, :k] = (vectors @ state.sums.T).toarray()
            dots_e[:, :k] = (bridges @ state.ent_sums.T).toarray()
            norm2[:k] = _row_norm2(state.sums)
            norm2_e[:k] = _row_norm2(state.ent_sums)
        langs: list[dict[str, int]] = [dict(ls) for ls in state.langs] + [{} for _ in range(b)]
        sizes = np.zeros(k + b)
        sizes[:k] = state.sizes
        own: dict[str, np.ndarray] = {lang: np.zeros(k + b) for lang in {d.lang for d in docs if d.lang}}
        for c, ls in enumerate(state.langs):
            for lang, n in ls.items():
                if lang in own:
                    own[lang][c] = n
        xl = self.cross_language_weight
        last = np.zeros(k + b)
        last[:k] = state.last_seen
        first = np.zeros(k + b)
        first[:k] = state.first_seen
        half_life = self.half_life.total_seconds()
        assigned = np.empty(b, dtype=np.int64)
        m = k
        for i in range(b):
            t = times[i]
            column, sim = -1, 0.0
            if m:
                cosine = dots[i, :m] / np.sqrt(np.maximum(norm2[:m], 1e-12))
                lang = docs[i].lang
                if xl and lang:
                    other = _other_share(own[lang][:m], sizes[:m])
                    if other.any():
                        bridge = dots_e[i, :m] / np.sqrt(np.maximum(norm2_e[:m], 1e-12))
                        cosine = cosine + xl * bridge * other
                decayed = cosine * np.exp2(-np.maximum(t - last[:m], 0.0) / half_life)
                best = int(np.argmax(decayed))
                if decayed[best] >= self.threshold:
                    column, sim = best, float(decayed[best])
            opened = column < 0
            if opened:
                column = m
                m += 1
                first[column] = last[column] = t
            norm2[column] += 2.0 * dots[i, column] + gram[i, i]
            norm2_e[column] += 2.0 * dots_e[i, column] + gram_e[i, i]
            dots[:, column] += gram[:, i]
            dots_e[:, column] += gram_e[:, i]
            sizes[column] += 1
            lang_i = docs[i].lang
            if lang_i:
                langs[column][lang_i] = langs[column].get(lang_i, 0) + 1
                own[lang_i][column] += 1
            last[column] = max(last[column], t)
            first[column] = min(first[column], t)
            assigned[i] = column
            result.assignments.append(Assignment(docs[i].id, -1 - column if opened else column, sim, opened))
        # Fold the chunk into the state: existing rows gain their members, new rows are appended.
        n_new = m - k
        new_ids = np.arange(state.next_id, state.next_id + n_new, dtype=np.int64)
        state.next_id += n_new
        ids = np.concatenate([state.ids, new_ids])
        for a in result.assignments[-b:]:
            column = -1 - a.cluster_id if a.opened else a.cluster_id
            a.cluster_id = int(ids[column])
        member = sp.csr_matrix((np.ones(b, dtype=np.float32), (assigned, np.arange(b))), shape=(m, b))
        empty = sp.csr_matrix((n_new, state.n_features), dtype=np.float32)
        state.sums = (sp.vstack([state.sums, empty]).tocsr() + member @ vectors).tocsr()
        state.ent_sums = (sp.vstack([state.ent_sums, empty]).tocsr() + member @ bridges).tocsr()
        state.langs = langs[:m]
        state.ids = ids
        state.threads = np.concatenate([state.threads, new_ids])
        state.first_seen, state.last_seen = first[:m], last[:m]
        state.sizes = np.concatenate([state.sizes, np.zeros(n_new, dtype=np.int64)]) + np.bincount(assigned, minlength=m)
        touched = np.unique(assigned)
        before = dict(zip(state.ids.tolist(), state.threads.tolist()))
        result.merges.extend(self._merge(state, touched, result.thread_joins))
        if self.thread_threshold is not None:
            self._join_threads(state, np.flatnonzero(np.isin(state.ids, ids[touched])), result.thread_joins)
        after = dict(zip(state.ids.tolist(), state.threads.tolist()))
        result.threads.update({s: t for s, t in after.items() if before.get(s) != t or s in new_ids})
        result.threads.update({s: t for s, t in before.items() if s not in after})  # merged away: as they were

    # -- threads, merging and forgetting --------------------------------------------------------------------
    def _decayed_similarities(self, state: ClusterState, rows: np.ndarray) -> np.ndarray:
        """Cosine of the centroids of `rows` with every live story, decayed by the gap in last activity."""
        assert state.sums is not None
        unit = _unit_rows(state.sums)
        sims = (unit[rows] @ unit.T).toarray()
        gap = np.abs(state.last_seen[rows][:, None] - state.last_seen[None, :])
        sims *= np.exp2(-gap / self.half_life.total_seconds())
        sims[np.arange(len(rows)), rows] = 0.0
        return sims

    def _join_threads(self, state: ClusterState, rows: np.ndarray, joins: list[tuple[int, int]]) -> None:
        """Put stories whose centroids are `thread_threshold` alike in one thread (the older thread's id)."""
        assert state.threads is not None and self.thread_threshold is not None
        if state.n_live < 2 or not len(rows):
            return
        sims = self._decayed_similarities(state, rows)
        for r, c in zip(*np.nonzero(sims >= self.thread_threshold)):
            _join(state.threads, int(state.threads[rows[r]]), int(state.threads[c]), joins)

    def _merge(self, state: ClusterState, touched: np.ndarray, joins: list[tuple[int, int]]) -> list[tuple[int, int]]:
        if state.n_live < 2 or not len(touched):
            return []
        assert state.sums is not None and state.ent_sums is not None and state.threads is not None
        sims = self._decayed_similarities(state, touched)
        parent = np.arange(state.n_live)

        def root(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        merges: list[tuple[int, int]] = []
        rows, cols = np.nonzero(sims >= self.merge_threshold)
        for r, c in sorted(zip(rows.tolist(), cols.tolist()), key=lambda rc: -sims[rc[0], rc[1]]):
            a, b = root(int(touched[r])), root(int(c))
            if a == b:
                continue
            keep, drop = (a, b) if state.ids[a] < state.ids[b] else (b, a)
            parent[drop] = keep
            merges.append((int(state.ids[drop]), int(state.ids[keep])))
        if not merges:
            return []
        roots = np.array([root(i) for i in range(state.n_live)])
        # merged stories are one story, so their threads are one thread (the oldest id)
        for i, r in enumerate(roots):
            _join(state.threads, int(state.threads[i]), int(state.threads[r]), joins)
        keep_rows = np.flatnonzero(roots == np.arange(state.n_live))
        position = {int(r): n for n, r in enumerate(keep_rows)}
        gather = sp.csr_matrix(
            (np.ones(state.n_live, dtype=np.float32), ([position[int(r)] for r in roots], np.arange(state.n_live))),
            shape=(len(keep_rows), state.n_live),
        )
        state.sums = (gather @ state.sums).tocsr()
        state.ent_sums = (gather @ state.ent_sums).tocsr()
        merged_langs: list[dict[str, int]] = [{} for _ in keep_rows]
        for i, r in enumerate(roots):
            counts = merged_langs[position[int(r)]]
            for lang, n in state.langs[i].items():
                counts[lang] = counts.get(lang, 0) + n
        state.langs = merged_langs
        state.sizes = np.bincount([position[int(r)] for r in roots], weights=state.sizes, minlength=len(keep_rows)).astype(np.int64)
        first = np.full(len(keep_rows), np.inf)
        last = np.full(len(keep_rows), -np.inf)
        for i, r in enumerate(roots):
            p = position[int(r)]
            first[p] = min(first[p], state.first_seen[i])
            last[p] = max(last[p], state.last_seen[i])
        state.first_seen, state.last_seen = first, last
        state.ids = state.ids[keep_rows]
        state.threads = state.threads[keep_rows]
        return merges

    def prune(self, state: ClusterState, now: datetime) -> list[int]:
        """Forget stories quiet for longer than the window; returns their ids."""
        state.upgrade()
        assert state.sums is not None and state.ent_sums is not None and state.threads is not None
        keep = state.last_seen >= _epoch(now) - self.window.total_seconds()
        dropped = state.ids[~keep].tolist()
        if dropped:
            state.ids = state.ids[keep]
            state.threads = state.threads[keep]
            state.sums = state.sums[np.flatnonzero(keep)]
            state.ent_sums = state.ent_sums[np.flatnonzero(keep)]
            state.langs = [ls for ls, kept in zip(state.langs, keep) if kept]
            state.first_seen, state.last_seen, state.sizes = state.first_seen[keep], state.last_seen[keep], state.sizes[keep]
        return dropped


def _join(threads: np.ndarray, a: int, b: int, joins: list[tuple[int, int]]) -> None:
    """Make threads a and b one: the younger id (larger) joins the older one, in place; recorded in `joins`."""
    if a != b:
        keep, drop = min(a, b), max(a, b)
        threads[threads == drop] = keep
        joins.append((drop, keep))


def resolve_merges(merges: Sequence[tuple[int, int]]) -> dict[int, int]:
    """absorbed -> final surviving story, following chains (a->b, b->c gives a->c)."""
    target = dict(merges)
    out = {}
    for absorbed in target:
        final = target[absorbed]
        seen = {absorbed}
        while final in target and final not in seen:
            seen.add(final)
            final = target[final]
        out[absorbed] = final
    return out


def cluster_labels(assignments: Sequence[Assignment], merges: Sequence[tuple[int, int]]) -> dict[str, int]:
    """item id -> final story id after merges (for evaluation and tests)."""
    final = resolve_merges(merges)
    return {a.item_id: final.get(a.cluster_id, a.cluster_id) for a in assignments}


def time_decay(seconds: float, half_life: timedelta) -> float:
    return math.pow(2.0, -max(seconds, 0.0) / half_life.total_seconds())
