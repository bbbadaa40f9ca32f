"""Benchmark of the enrichment step: items/s per stage and end to end, and peak memory. Prints figures only.

Texts come from ../shared/data (CrisisLex tweets, Swedish tweets, Swedish news sentences), repeated to --n items.
Stages: language, lemmas (spaCy tokenizer + lookup), the label models of the other half when installed
(relevance, categories, tone), NER (spaCy, Swedish model + gazetteer) on a sample, then `enrich_pending`
end to end on a fresh DuckDB file.

    .venv/bin/python bench/enrich.py --n 20000 --ner-sample 2000 --workers 2
"""

from __future__ import annotations

import argparse
import csv
import random
import os
import resource
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")


def load_texts(shared: Path, n: int) -> list[str]:
    texts: list[str] = []
    for path in sorted((shared / "crisislex" / "CrisisLexT26").glob("*/*-tweets_labeled.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            next(reader, None)
            texts.extend(row[1] for row in reader if len(row) > 1)
    sentiment = shared / "swedish" / "sentiment-emoji" / "swe-sentiment-dataset.csv"
    if sentiment.is_file():
        with sentiment.open(encoding="utf-8", newline="") as handle:
            texts.extend(r["text"] for r in csv.DictReader(handle))
    from mediebild.models.corpora.swedish import read_conll

    corpus = shared / "swedish" / "ner-webbnyheter2012" / "train_corpus.txt"
    if corpus.is_file():
        texts.extend(" ".join(s.tokens) for s in read_conll(corpus)[:5000])
    if not texts:
        sys.exit(f"no texts under {shared}")
    random.Random(0).shuffle(texts)  # a mix like a real stream, not 20,000 English tweets before any Swedish
    out = (texts * (n // len(texts) + 1))[:n]
    return out


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f}/s" if seconds > 0 else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="items")
    parser.add_argument("--ner-sample", type=int, default=2000, help="texts for the NER stage")
    parser.add_argument("--shared", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=2, help="processes for the end-to-end run")
    parser.add_argument("--pass-items", type=int, default=1000, help="new items in the timed pass with relearning")
    parser.add_argument("--history", type=int, default=5000, help="items enriched (and learned) before that pass")
    args = parser.parse_args()

    from mediebild.models.corpora import shared_data_dir

    shared = args.shared or shared_data_dir()
    texts = load_texts(shared, args.n)
    print(f"{len(texts)} texts from {shared}; cpu count {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")

    from mediebild.flows.enrich import load_models
    from mediebild.models.language import detect_languages
    from mediebild.models.nlp import analyse, lemmatise

    t0 = time.perf_counter()
    detect_languages(["warm up"])
    lemmatise(["värm upp"], ["sv"])
    lemmatise(["warm up"], ["en"])
    analyse(["Värm upp i Solna"], ["sv"])
    print(f"load (language model, lemma tables, NER pipeline): {time.perf_counter() - t0:.1f} s")

    timings: dict[str, float] = {}
    t = time.perf_counter()
    langs = [lang for lang, _ in detect_languages([x[:1000] for x in texts])]
    timings["language"] = time.perf_counter() - t
    t = time.perf_counter()
    lemmas = lemmatise(texts, langs)
    timings["lemmas"] = time.perf_counter() - t
    models = load_models()
    if models.relevance is not None:
        t = time.perf_counter()
        models.relevance.predict(texts, langs, lemmas=lemmas, profile=None)
        timings["relevance"] = time.perf_counter() - t
    if models.categories is not None:
        t = time.perf_counter()
        models.categories.predict(texts, langs)
        timings["categories"] = time.perf_counter() - t
    if models.tone is not None:
        t = time.perf_counter()
        models.tone.predict(texts, langs)
        timings["tone"] = time.perf_counter() - t
    from mediebild.models.adaptive import Doc, IncidentLearner, doc_tokens
    from mediebild.profile import Profile

    # a profile that the bench's texts (CrisisLex disasters, Swedish tweets and news) match often, so that the
    # learner has confident items to learn from, as in an incident
    bench_profile = Profile.from_dict({"name": "bench", "start": "2016-03-22T07:00:00+00:00", "terms": {
        "en": ["explosion*", "bomb*", "flood*", "earthquake*", "fire*", "typhoon", "derail*"],
        "sv": ["explosion*", "brand*", "översvämning*", "olycka*"],
        "places": ["Boston", "Colorado", "Queensland", "Philippines", "Alberta", "Stockholm", "Sverige"]}})
    if models.relevance is not None:
        base = [p["relevance"] for p in models.relevance.predict(texts, langs, lemmas=lemmas, profile=bench_profile)]
        t = time.perf_counter()
        docs = [Doc(f"b{i}", doc_tokens(lem, lang), b, None) for i, (lem, lang, b) in enumerate(zip(lemmas, langs, base))]
        learner = IncidentLearner(None)
        learner.observe(docs)
        learner.scores(docs)
        timings["learning"] = time.perf_counter() - t
        print(f"(learning: {learner.state.n_seeds} confident items, {len(learner.weights())} learned terms)")
    for stage, seconds in timings.items():
        print(f"{stage:<11} {rate(len(texts), seconds):>10}  ({seconds:.2f} s)")
    labels = sum(timings.values())
    print(f"{'all labels':<11} {rate(len(texts), labels):>10}  (language + lemmas + installed label models, one core)")
    missing = [k for k in ("relevance", "categories", "tone") if getattr(models, k) is None]
    if missing:
        print(f"not installed yet, not measured: {', '.join(missing)}")

    sample = texts[: args.ner_sample]
    sample_langs = langs[: args.ner_sample]
    t = time.perf_counter()
    analyses = analyse(sample, sample_langs, ner=True)
    seconds = time.perf_counter() - t
    n_ents = sum(len(a.entities) for a in analyses)
    print(f"{'NER':<11} {rate(len(sample), seconds):>10}  ({seconds:.2f} s, {n_ents} entities, languages mixed)")

    from mediebild.data.store import Store
    from mediebild.flows.enrich import enrich_pending
    from mediebild.items import Item

    now = datetime(2016, 3, 22, 9, 0, tzinfo=timezone.utc)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "bench.duckdb", create=True)
        items = [Item(id=f"b{i}", source="bench", kind="social", url=f"https://bench.example/{i}", title="",
                      text=text, author=None, published_at=now, fetched_at=now) for i, text in enumerate(texts)]
        with store.transaction():
            store.upsert_items(items)
        summary = enrich_pending(store, models=models, workers=args.workers, batch_size=1000)
        store.close()
    print(f"{'end to end':<11} {summary['items_per_second'] or 0:>9,.0f}/s  ({summary['seconds']:.1f} s for {summary['items']} items, "
          f"{args.workers} worker(s), "
          f"NER on {summary['ner_items']}, {summary['entities']} entities, DuckDB writes included)")
    if models.relevance is not None:
        pass_with_learning(texts, models, bench_profile, args.history, args.pass_items)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"peak memory (max RSS): {peak_kb / 1024:,.0f} MB in this process, {child_kb / 1024:,.0f} MB in the largest worker")


def pass_with_learning(texts: list[str], models, profile, history: int, n_new: int) -> None:
    """One enrichment pass over `n_new` new items with the profile set and `history` items learned before it
    (one process): labels, the learner's counting, judgements and the re-scoring of the last 48 hours."""
    from datetime import timedelta

    from mediebild.data.store import Store
    from mediebild.flows.enrich import enrich_pending
    from mediebild.items import Item

    start = profile.start or datetime(2016, 3, 22, 7, 0, tzinfo=timezone.utc)
    pool = (texts * ((history + n_new) // len(texts) + 1))[: history + n_new]
    items = [Item(id=f"p{i}", source="bench", kind="social", url=f"https://bench.example/p{i}", title="",
                  text=text, author=None, published_at=start + timedelta(seconds=20 * i),
                  fetched_at=start + timedelta(seconds=20 * i)) for i, text in enumerate(pool)]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "pass.duckdb", create=True)
        with store.transaction():
            store.upsert_items(items[:history])
        enrich_pending(store, models=models, profile=profile, workers=1, batch_size=1000)
        with store.transaction():
            store.upsert_items(items[history:])
        t = time.perf_counter()
        summary = enrich_pending(store, models=models, profile=profile, workers=1, batch_size=1000)
        seconds = time.perf_counter() - t
        store.close()
    learning = summary["learning"] or {}
    print(f"{'pass':<11} {seconds:>9.1f} s  for {summary['items']} new items after {history} (one process; learning "
          f"{learning.get('seconds', 0):.2f} s of it: {learning.get('rescored', 0)} re-scored, "
          f"{learning.get('changed', 0)} changed, {learning.get('learned_terms', 0)} learned terms, "
          f"NER on {summary['ner_items']} + {learning.get('ner_items', 0)})")


if __name__ == "__main__":
    main()
