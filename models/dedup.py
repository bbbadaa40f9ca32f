"""Near-duplicates and wire copies: MinHash LSH over normalised word shingles.

Retweets and boosts ("RT @x: ..."), one news-agency story printed by several papers (different URLs, small
edits) and successive updates of one article all collapse onto one *representative*: the first item of the
group that the index saw. Exact copies (same normalised text) and near copies (estimated Jaccard similarity of
shingles above a threshold) are told apart, and nothing is deleted: callers store the copy links.

A truncated repost (a post that copies the first part of another and is cut with "…") shares too small a part
of a long original's shingles to pass the Jaccard threshold; it is a copy by *containment*: its first
PREFIX_WORDS words are those of a representative (looked up by a hash of them) and the MinHash estimate of how
much of its shingle set lies inside the representative's is at least `containment`.

The index is incremental and bounded: each call to `DedupIndex.add` assigns new documents against what is in
the index, and `prune(now)` forgets representatives older than the window, so the working set stays flat as
history grows. The index pickles compactly (its LSH tables are rebuilt on load from the stored signatures),
so the store can keep it between passes. It knows texts, never the store.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Sequence

import numpy as np
from datasketch import MinHash, MinHashLSH

from mediebild.timeutil import as_utc

# "RT @user: ...", "RT: ...", Mastodon boosts as some monitors render them, quote/via credits.
_RETWEET = re.compile(r"^\s*(?:rt\b[\s:]*(?:@\w+\s*:?)?|boosted\b[^:]*:|boost:)\s*", re.IGNORECASE)
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_ELLIPSIS = re.compile(r"(\u2026|\.\.\.)\s*$")

#: Copy kinds, for people and for the `copies.how` column.
EXACT, NEAR, RETWEET, UPDATE, TRUNCATED = "exact", "near", "retweet", "update", "truncated"
PREFIX_WORDS = 8  # words that must open both a truncated repost and its original


@dataclass(slots=True)
class DedupDoc:
    """What dedup needs to know about one item."""

    id: str
    text: str  # title and body together
    published_at: datetime
    source: str = ""


@dataclass(slots=True)
class CopyMatch:
    """`item_id` is a copy of the representative `copy_of`."""

    item_id: str
    copy_of: str
    how: str  # exact, near, retweet, update
    similarity: float


def is_retweet(text: str) -> bool:
    return bool(_RETWEET.match(text or ""))


def is_truncated(text: str) -> bool:
    """Cut short with an ellipsis (after links are dropped: "… https://t.co/x" is still cut)."""
    return bool(_ELLIPSIS.search(_URL.sub(" ", text or "").strip()))


def normalise_for_shingles(text: str) -> str:
    """Lower-case words without links, retweet prefixes or a trailing ellipsis (truncated retweets)."""
    text = _RETWEET.sub("", text or "", count=1)
    text = _URL.sub(" ", text)
    text = _ELLIPSIS.sub("", text.strip())
    text = unicodedata.normalize("NFKC", text).casefold()
    return _NON_WORD.sub(" ", text).strip()


def shingles(normalised: str, size: int = 2, limit: int = 600) -> set[bytes]:
    """Word `size`-grams of the first `limit` words (enough to tell a copy, bounded in cost)."""
    words = normalised.split()[:limit]
    if len(words) <= size:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


def _crc32(data: bytes) -> int:
    return zlib.crc32(data)


class DedupIndex:
    """Incremental near-duplicate index.

    `threshold` is the estimated Jaccard similarity of word-bigram sets above which two texts are
    copies; `window` bounds how far back a representative can be matched. Texts shorter than
    `min_chars` after normalisation only ever match exactly (a two-word post says too little to call copies).
    """

    def __init__(
        self,
        *,
        threshold: float = 0.5,
        num_perm: int = 64,
        window: timedelta = timedelta(hours=48),
        min_chars: int = 30,
        containment: float = 0.8,
    ) -> None:
        self.threshold = threshold
        self.containment = containment
        self.num_perm = num_perm
        self.window = window
        self.min_chars = min_chars
        self._init_runtime()
        self._times: dict[str, datetime] = {}
        self._sources: dict[str, str] = {}
        self._signatures: dict[str, np.ndarray] = {}
        self._exact: dict[str, str] = {}  # sha1 of normalised text -> representative
        self._exact_of: dict[str, str] = {}  # representative -> its exact key (for pruning)
        self._prefix: dict[str, str] = {}  # hash of the first PREFIX_WORDS words -> representative
        self._prefix_of: dict[str, str] = {}
        self._sizes: dict[str, int] = {}  # representative -> size of its shingle set (for containment)

    def _init_runtime(self) -> None:
        self._template = MinHash(num_perm=self.num_perm, seed=7, hashfunc=_crc32)
        self._lsh = MinHashLSH(threshold=self.threshold, num_perm=self.num_perm)

    # -- pickling: signatures only; the LSH tables are rebuilt on load ------------------------------
    def __getstate__(self) -> dict:
        keys = list(self._times)
        signed = [k for k in keys if k in self._signatures]
        return {
            "params": (self.threshold, self.num_perm, self.window, self.min_chars),
            "keys": keys,
            "times": [self._times[k] for k in keys],
            "sources": [self._sources.get(k, "") for k in keys],
            "signed": signed,
            "signatures": np.stack([self._signatures[k] for k in signed]).astype(np.uint32)
            if signed
            else np.zeros((0, self.num_perm), dtype=np.uint32),
            "exact": self._exact,
            "prefix": self._prefix,
            "sizes": self._sizes,
            "containment": self.containment,
        }

    def __setstate__(self, state: dict) -> None:
        self.threshold, self.num_perm, self.window, self.min_chars = state["params"]
        self._init_runtime()
        self._times, self._sources, self._signatures = {}, {}, {}
        self._exact = dict(state["exact"])
        self._exact_of = {rep: key for key, rep in self._exact.items()}
        self.containment = state.get("containment", 0.8)
        self._prefix = dict(state.get("prefix", {}))
        self._prefix_of = {rep: key for key, rep in self._prefix.items()}
        self._sizes = dict(state.get("sizes", {}))
        for key, when, source in zip(state["keys"], state["times"], state["sources"]):
            self._remember(key, when, source, None)
        with self._lsh.insertion_session() as session:
            for key, sig in zip(state["signed"], state["signatures"]):
                signature = sig.astype(self._template.hashvalues.dtype)
                self._signatures[key] = signature
                session.insert(key, self._minhash(signature), check_duplication=False)

    def __len__(self) -> int:
        return len(self._times)

    # -- work ---------------------------------------------------------------------------------------
    def _minhash(self, signature: np.ndarray) -> MinHash:
        return MinHash(num_perm=self.num_perm, hashvalues=signature, permutations=self._template.permutations, hashfunc=_crc32, scheme=self._template.scheme)

    def _signature(self, normalised: str) -> MinHash:
        m = MinHash(num_perm=self.num_perm, permutations=self._template.permutations, hashfunc=_crc32, scheme=self._template.scheme)
        m.update_batch(shingles(normalised))
        return m

    def _remember(self, key: str, when: datetime, source: str, signature: np.ndarray | None) -> None:
        self._times[key] = when
        self._sources[key] = source
        if signature is not None:
            self._signatures[key] = signature

    def add(self, docs: Iterable[DedupDoc]) -> list[CopyMatch]:
        """Assign documents in time order; returns one match per document that is a copy.

        A document that is not a copy becomes a representative that later documents can match.
        """
        matches: list[CopyMatch] = []
        for doc in sorted(docs, key=lambda d: (as_utc(d.published_at), d.id)):
            when = as_utc(doc.published_at)
            if doc.id in self._times:
                continue  # already seen (re-run of a pass)
            normalised = normalise_for_shingles(doc.text)
            retweet = is_retweet(doc.text)
            exact_key = hashlib.sha1(normalised.encode("utf-8")).hexdigest()
            rep = self._exact.get(exact_key) if normalised else None
            if rep is not None and rep != doc.id:
                matches.append(CopyMatch(doc.id, rep, RETWEET if retweet else EXACT, 1.0))
                continue
            signature = None
            words = normalised.split()
            if len(normalised) >= self.min_chars:
                truncated = is_truncated(doc.text)
                if truncated and len(words) > PREFIX_WORDS + 1:
                    words = words[:-1]  # the last word may be cut in the middle
                    normalised = " ".join(words)
                minhash = self._signature(normalised)
                signature = minhash.hashvalues
                best, best_sim = self._best_candidate(minhash)
                if best is not None:
                    how = RETWEET if retweet else (UPDATE if doc.source and self._sources.get(best) == doc.source else NEAR)
                    matches.append(CopyMatch(doc.id, best, how, best_sim))
                    continue
                if truncated:
                    rep, contained = self._contained_in(words, minhash)
                    if rep is not None:
                        matches.append(CopyMatch(doc.id, rep, RETWEET if retweet else TRUNCATED, contained))
                        continue
                self._lsh.insert(doc.id, minhash, check_duplication=False)
                self._sizes[doc.id] = len(shingles(normalised))
                if len(words) >= PREFIX_WORDS:
                    key = _prefix_key(words)
                    if key not in self._prefix:
                        self._prefix[key] = doc.id
                        self._prefix_of[doc.id] = key
            self._remember(doc.id, when, doc.source, signature)
            if normalised:
                self._exact[exact_key] = doc.id
                self._exact_of[doc.id] = exact_key
        return matches

    def _contained_in(self, words: list[str], minhash: MinHash) -> tuple[str | None, float]:
        """The representative that opens with the same PREFIX_WORDS words and (MinHash estimate) contains at
        least `containment` of this text's shingles: |A∩B|/|A| = J(|A|+|B|) / ((1+J)|A|)."""
        if len(words) < PREFIX_WORDS:
            return None, 0.0
        rep = self._prefix.get(_prefix_key(words))
        other = self._signatures.get(rep) if rep is not None else None
        if rep is None or other is None:
            return None, 0.0
        jaccard = float(np.count_nonzero(other == minhash.hashvalues)) / self.num_perm
        size_a = len(shingles(" ".join(words)))
        size_b = self._sizes.get(rep, size_a)
        contained = min(1.0, jaccard * (size_a + size_b) / ((1.0 + jaccard) * max(size_a, 1)))
        return (rep, contained) if contained >= self.containment else (None, 0.0)

    def _best_candidate(self, minhash: MinHash) -> tuple[str | None, float]:
        signature = minhash.hashvalues
        candidates = self._lsh.query(minhash)
        best, best_sim = None, 0.0
        for key in candidates:
            other = self._signatures.get(key)
            if other is None:
                continue
            sim = float(np.count_nonzero(other == signature)) / self.num_perm
            if sim >= self.threshold and (sim > best_sim or (sim == best_sim and best is not None and self._times[key] < self._times[best])):
                best, best_sim = key, sim
        return best, best_sim

    def prune(self, now: datetime) -> int:
        """Forget representatives older than the window; returns how many were dropped."""
        cutoff = as_utc(now) - self.window
        old = [k for k, t in self._times.items() if t < cutoff]
        for key in old:
            if key in self._signatures:
                self._lsh.remove(key)
                del self._signatures[key]
            del self._times[key]
            self._sources.pop(key, None)
            exact_key = self._exact_of.pop(key, None)
            if exact_key is not None and self._exact.get(exact_key) == key:
                del self._exact[exact_key]
            prefix_key = self._prefix_of.pop(key, None)
            if prefix_key is not None and self._prefix.get(prefix_key) == key:
                del self._prefix[prefix_key]
            self._sizes.pop(key, None)
        return len(old)


def _prefix_key(words: Sequence[str]) -> str:
    return hashlib.sha1(" ".join(words[:PREFIX_WORDS]).encode("utf-8")).hexdigest()[:16]


def group_copies(matches: Sequence[CopyMatch]) -> dict[str, list[CopyMatch]]:
    """Representative -> its copies, for "also in N outlets" displays."""
    groups: dict[str, list[CopyMatch]] = {}
    for match in matches:
        groups.setdefault(match.copy_of, []).append(match)
    return groups
