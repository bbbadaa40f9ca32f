"""Tone: negative / neutral / positive for Swedish and English text.

- Swedish (and Norwegian, Danish): a linear head on the shared features trained on the Swedish tweet/YouTube
  sentiment set (`../shared/data/swedish/sentiment-emoji`, by `train_classifiers`), blended with a small
  Swedish polarity lexicon written for crisis news (that data is informal and full of emojis; news is not).
- English and every other language: VADER (vaderSentiment ships its lexicon), its compound score turned into
  probabilities: P(neutral) = 1 - |compound|, the rest to the sign's side.

`tone.load().predict(texts, langs)` gives per text `tone` and `tone_probs` ({negative, neutral, positive}).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from pathlib import Path

import joblib
import numpy as np

from mediebild.errors import ModelError
from mediebild.models.features import LinearHead, featurize

ARTIFACT = Path(__file__).resolve().parent / "artifacts" / "tone.joblib"
from mediebild.labels import TONES  # noqa: E402 (the one label table)
SCANDINAVIAN = {"sv", "no", "nb", "nn", "da"}
LEXICON_WEIGHT = 0.5  # share of the Swedish lexicon in the blend when it finds polar words

# Prefixes of Swedish words that carry tone in news and posts about incidents (lowercase).
SV_NEGATIVE = (
    "död", "döda", "dödad", "omkom", "skadad", "skadade", "sårad", "attack", "terror", "dåd", "attentat",
    "explosion", "bomb", "skott", "mord", "mörd", "våld", "hot", "hota", "rädsl", "rädd", "panik", "kaos",
    "katastrof", "tragedi", "tragisk", "sorg", "sorgl", "sörj", "fruktansvärd", "hemsk", "förfärlig", "chock",
    "skräck", "fasa", "offer", "brand", "olyck", "kris", "oro", "orolig", "fara", "farlig", "varning",
    "inställ", "försen", "stäng", "strömavbrott", "avbrott", "saknad", "försvunn", "ilsk", "arg", "hat",
    "fel", "misslyck", "dålig", "värst", "sämst", "ledsen", "tyvärr", "problem", "förstör", "ras", "brist",
    "kritik", "kritiser", "skandal", "lögn", "falsk", "rykte", "anklag", "gripen", "misstänkt", "fly",
)
SV_POSITIVE = (
    "bra", "bättre", "bäst", "glad", "glädj", "tack", "tacksam", "lycka", "lyckad", "lyckades", "fantastisk",
    "underbar", "härlig", "fin", "vacker", "älsk", "kärlek", "hjält", "modig", "räddad", "räddade", "överlev",
    "trygg", "säker", "lugn", "hopp", "stöd", "solidar", "hjälp", "omtank", "värme", "gemenskap", "styrka",
    "återhämt", "öppnar igen", "återupptas", "fungerar", "grattis", "vinn", "seger", "positiv", "imponer",
)


_NEG_RE = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, SV_NEGATIVE), key=len, reverse=True)) + r")")
_POS_RE = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, SV_POSITIVE), key=len, reverse=True)) + r")")


def _lexicon_proba(text: str) -> tuple[np.ndarray, int]:
    """Lexicon probabilities (negative, neutral, positive) and how many polar words were found."""
    low = (text or "").lower()
    neg = len(_NEG_RE.findall(low))
    pos = len(_POS_RE.findall(low))
    hits = neg + pos
    if hits == 0:
        return np.array([0.15, 0.7, 0.15]), 0
    polar = min(1.0, 0.45 + 0.2 * hits)
    return np.array([polar * neg / hits, 1.0 - polar, polar * pos / hits]), hits


def _vader_proba(compound: float) -> np.ndarray:
    return np.array([max(0.0, -compound), 1.0 - abs(compound), max(0.0, compound)])


class ToneModel:
    """Swedish head + lexicon for Scandinavian languages, VADER for the rest."""

    def __init__(self, swedish: LinearHead, meta: dict | None = None):
        self.swedish = swedish
        self.meta = meta or {}
        self._vader = None

    @property
    def vader(self):
        if self._vader is None:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            self._vader = SentimentIntensityAnalyzer()
        return self._vader

    def swedish_proba(self, texts: Sequence[str], X=None) -> np.ndarray:
        X = featurize(list(texts), None) if X is None else X
        p = self.swedish.predict_proba(X)
        order = [self.swedish.classes.index(t) for t in TONES]
        model = p[:, order]
        out = np.empty_like(model)
        for i, text in enumerate(texts):
            lex, hits = _lexicon_proba(text)
            w = LEXICON_WEIGHT if hits else 0.2
            out[i] = (1 - w) * model[i] + w * lex
        return out

    def predict(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[dict]:
        texts = [t or "" for t in texts]
        langs = list(langs) if langs is not None else ["sv"] * len(texts)
        probs = np.zeros((len(texts), 3))
        sv_idx = [i for i, lang in enumerate(langs) if (lang or "").lower() in SCANDINAVIAN]
        if sv_idx:
            X = featurize(texts, None)  # the whole batch: shared with relevance and categories
            probs[sv_idx] = self.swedish_proba([texts[i] for i in sv_idx], X[sv_idx])
        for i in set(range(len(texts))) - set(sv_idx):
            probs[i] = _vader_proba(self.vader.polarity_scores(texts[i])["compound"])
        return [
            {"tone": TONES[int(p.argmax())], "tone_probs": {t: round(float(v), 4) for t, v in zip(TONES, p)}}
            for p in probs
        ]


@functools.lru_cache(maxsize=4)
def load(path: Path | str | None = None) -> ToneModel:
    """The shipped model, loaded once per process."""
    path = Path(path) if path else ARTIFACT
    if not path.exists():
        raise ModelError(f"tone model missing at {path}: run `mediebild train classifiers`")
    bundle = joblib.load(path)
    return ToneModel(bundle["swedish"], bundle.get("meta"))
