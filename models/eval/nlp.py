"""Evaluations of the language identifier and the Swedish NER, as `mediebild eval language|ner` print them.

NER is scored token by token (the Webbnyheter corpus is IO-tagged, so spans of one type that touch cannot be
told apart): precision, recall and F1 per class over PER, ORG, LOC, MISC, plus micro, macro and weighted
averages, all from scikit-learn. The outside tag takes part only as the absence of a label.

Language identification has no tagged crisis data, so the check sets are built here, honestly labelled by
construction: Swedish from the Swedish NER corpus sentences and the Swedish sentiment tweets, and CrisisLex
tweets whose language a stop-word vote makes clear (see `crisislex_language_set`).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

from mediebild.models.corpora import shared_data_dir
from mediebild.models.corpora.swedish import (
    LABELS,
    OUTSIDE,
    Sentence,
    read_conll,
    split_corpus,
)


# --------------------------------------------------------------------------------------------- NER
def predict_tags(nlp, sentences: list[Sentence], *, disable: tuple[str, ...] = ()) -> list[list[str]]:
    """Run `nlp` on the given tokens (no re-tokenising) and read back one tag per token."""
    from spacy.tokens import Doc

    docs = (Doc(nlp.vocab, words=s.tokens) for s in sentences)
    out: list[list[str]] = []
    for doc in nlp.pipe(docs, batch_size=256, disable=list(disable)):
        out.append([t.ent_type_ if t.ent_type_ in LABELS else OUTSIDE for t in doc])
    return out


def token_scores(gold: list[list[str]], pred: list[list[str]]) -> dict:
    """Token-level P/R/F1 over LABELS with micro, macro and weighted averages (scikit-learn)."""
    from sklearn.metrics import precision_recall_fscore_support

    y_true = [t for sent in gold for t in sent]
    y_pred = [t for sent in pred for t in sent]
    labels = list(LABELS)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    averages = {}
    for avg in ("micro", "macro", "weighted"):
        ap, ar, af, _ = precision_recall_fscore_support(y_true, y_pred, labels=labels, average=avg, zero_division=0)
        averages[avg] = (float(ap), float(ar), float(af))
    return {
        "n": len(y_true),
        "n_entity_tokens": int(sum(1 for t in y_true if t != OUTSIDE)),
        "micro_precision": averages["micro"][0],
        "micro_recall": averages["micro"][1],
        "micro_f1": averages["micro"][2],
        "macro_f1": averages["macro"][2],
        "weighted_f1": averages["weighted"][2],
        "per_class": {
            label: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
            for i, label in enumerate(labels)
        },
    }


def score_ner_pipeline(nlp, sentences: list[Sentence], *, disable: tuple[str, ...] = ()) -> dict:
    return token_scores([s.tags for s in sentences], predict_tags(nlp, sentences, disable=disable))


def evaluate_ner_file(path: Path, *, gazetteer: bool = False) -> dict:
    """Score the shipped Swedish NER (optionally with the gazetteer ruler) on a Webbnyheter-format file."""
    from mediebild.models.nlp import ner_pipeline

    sentences = read_conll(path)
    nlp = ner_pipeline("sv", gazetteer=gazetteer)
    scores = score_ner_pipeline(nlp, sentences)
    return {"task": "ner", "file": str(path), "gazetteer": gazetteer, **scores}


# ---------------------------------------------------------------------------------------- language
_STOPWORDS = {
    "en": "the and of to is in for on with that this are was at from have has by be it you we they".split(),
    "es": "el la los las de del que y en por para con una un es se al como más pero sus lo fue está".split(),
    "pt": "o os as de do da dos das que e em para com uma um não se ao mais por na no foi está".split(),
    "it": "il lo la gli le di del della che e è in per con una un non si sono al alla nel".split(),
    "fr": "le la les de des du que et est en pour avec une un pas se au aux dans sur qui".split(),
    "de": "der die das und ist nicht mit den dem ein eine zu von auf für im sich auch".split(),
    "nl": "de het een en van is niet met op voor dat zijn in te aan ook bij".split(),
    "tl": "ang ng mga sa na at si ay para ni ko mo ito naman lang po".split(),
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_NOISE = re.compile(r"https?://\S+|@\w+|#\w+|\bRT\b")


def stopword_vote(text: str) -> tuple[str | None, int, int]:
    """(language, its stop-word hits, runner-up hits) by a plain stop-word count."""
    words = _WORD.findall(_NOISE.sub(" ", text.lower()))
    counts: Counter[str] = Counter()
    for lang, stops in _STOPWORDS.items():
        stopset = set(stops)
        counts[lang] = sum(1 for w in words if w in stopset)
    (best, hits), (_, second) = counts.most_common(2)
    return (best if hits else None), hits, second


def crisislex_language_set(root: Path, *, per_language: int = 400, min_margin: int = 3) -> list[tuple[str, str]]:
    """(text, lang) from CrisisLexT26 whose stop-word vote is clear: >= `min_margin` more hits than the runner-up.

    Only en, es, pt, it, tl (the languages these events are in) are kept, at most `per_language` each,
    deterministically (file order). This is a silver set: the label comes from a heuristic, not from people.
    """
    keep = {"en", "es", "pt", "it", "tl"}
    out: dict[str, list[tuple[str, str]]] = {lang: [] for lang in keep}
    for path in sorted((root / "crisislex" / "CrisisLexT26").glob("*/*-tweets_labeled.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            next(reader, None)
            for row in reader:
                if len(row) < 2:
                    continue
                text = row[1]
                lang, hits, second = stopword_vote(text)
                if lang in keep and hits - second >= min_margin and len(out[lang]) < per_language:
                    out[lang].append((text, lang))
    return [pair for lang in sorted(out) for pair in out[lang]]


def swedish_language_set(root: Path, *, limit: int = 1000) -> dict[str, list[tuple[str, str]]]:
    """Swedish check sets: NER dev sentences (news prose), their first 8 tokens (headline length), sentiment tweets."""
    sets: dict[str, list[tuple[str, str]]] = {}
    corpus = root / "swedish" / "ner-webbnyheter2012" / "train_corpus.txt"
    if corpus.is_file():
        _, _, dev = split_corpus(read_conll(corpus))
        long_ = [s for s in dev if len(s.tokens) >= 5][:limit]
        sets["sv_news_sentences"] = [(_detok(s.tokens), "sv") for s in long_]
        sets["sv_headline_length"] = [(_detok(s.tokens[:8]), "sv") for s in long_]
    sentiment = root / "swedish" / "sentiment-emoji" / "swe-sentiment-dataset.csv"
    if sentiment.is_file():
        with sentiment.open(encoding="utf-8", newline="") as handle:
            rows = [r["text"] for r in csv.DictReader(handle)][:limit]
        sets["sv_tweets"] = [(t, "sv") for t in rows]
    return sets


def _detok(tokens: list[str]) -> str:
    return re.sub(r"\s+([.,:;!?)])", r"\1", " ".join(tokens))


def evaluate_language(root: Path | None = None) -> dict:
    """Accuracy of `detect_languages` on each check set (and on the project's own headline set)."""
    from mediebild.models.language import HEADLINES, detect_languages

    root = root or shared_data_dir()
    sets: dict[str, list[tuple[str, str]]] = {"headlines_nordic": list(HEADLINES)}
    sets.update(swedish_language_set(root))
    crisis = crisislex_language_set(root) if (root / "crisislex").is_dir() else []
    if crisis:
        sets["crisislex_stopword_silver"] = crisis
    per_set = {}
    total_right = total_n = 0
    all_gold: list[str] = []
    all_pred: list[str] = []
    for name, pairs in sets.items():
        preds = detect_languages([t for t, _ in pairs])
        all_gold.extend(gold for _, gold in pairs)
        all_pred.extend(pred or "und" for pred, _ in preds)
        right = sum(1 for (_, gold), (pred, _) in zip(pairs, preds) if pred == gold)
        confusions = Counter(f"{gold}->{pred}" for (_, gold), (pred, _) in zip(pairs, preds) if pred != gold)
        by_lang = Counter(gold for _, gold in pairs)
        per_set[name] = {
            "n": len(pairs),
            "accuracy": right / len(pairs) if pairs else None,
            "languages": dict(by_lang),
            "top_confusions": dict(confusions.most_common(5)),
        }
        total_right += right
        total_n += len(pairs)
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    labels = sorted(set(all_gold))
    p, r, f, support = precision_recall_fscore_support(all_gold, all_pred, labels=labels, zero_division=0)
    return {
        "task": "language",
        "n": total_n,
        "accuracy": total_right / total_n if total_n else None,
        "weighted_f1": float(f1_score(all_gold, all_pred, labels=labels, average="weighted", zero_division=0)),
        "macro_f1": float(f1_score(all_gold, all_pred, labels=labels, average="macro", zero_division=0)),
        "per_class": {
            lang: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(support[i])}
            for i, lang in enumerate(labels)
        },
        "per_set": per_set,
        "note": (
            "crisislex_stopword_silver is labelled by a stop-word vote (clear margin only), not by people; "
            "Swedish sets are Swedish by construction; headlines_nordic is the project's own sv/no/da/fi set."
        ),
    }
