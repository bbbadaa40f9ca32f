"""Benchmark: dedup + online story clustering over generated items streamed in hourly batches.

Prints items/s over the whole stream and the per-batch time as history grows (first, middle and last
tenth of the hours), which must stay flat: the working set is bounded by the window, not by all history.
With --flow it also runs the real stories step (DuckDB, saved state, alerts, rumours) hour by hour.

    .venv/bin/python bench/stories.py                      # 100,000 items, 100 hourly batches
    .venv/bin/python bench/stories.py --items 20000 --flow # plus the full step on a DuckDB file

Generated, not real, text: each story has its own topic words and one or two rare entities, items mix in
common words, and a fifth of all items are retweets or lightly edited copies of recent ones.
"""

from __future__ import annotations

import argparse
import pickle
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from mediebild.models.clustering import ClusterDoc, ClusterState, OnlineClusterer
from mediebild.models.dedup import DedupDoc, DedupIndex

T0 = datetime(2016, 3, 22, tzinfo=timezone.utc)


def generate(n_items: int, hours: int, seed: int = 1):
    """(hour, [item dicts]) batches; items: id, title, text, tokens, entities, published_at, source, lang."""
    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "be", "da", "fe", "gu", "ha", "jo", "pe", "sy"]
    vocab = [a + b + c for a in syllables for b in syllables for c in syllables]  # 4,096 pseudo-words
    common = vocab[:300]
    per_hour = n_items // hours
    stories: list[dict] = []
    recent: list[dict] = []
    n = 0
    for hour in range(hours):
        start = T0 + timedelta(hours=hour)
        for _ in range(rng.randint(8, 14)):  # new stories this hour
            stories.append({
                "words": rng.sample(vocab[300:], 15),
                "entities": [f"loc:{rng.choice(vocab)}", f"org:{rng.choice(vocab)}"],
                "born": hour,
                "weight": rng.paretovariate(1.5),
            })
        live = [s for s in stories if hour - s["born"] < 8]
        weights = [s["weight"] for s in live]
        batch = []
        for k in range(per_hour):
            n += 1
            at = start + timedelta(seconds=3600 * k / per_hour)
            if recent and rng.random() < 0.2:
                src = rng.choice(recent[-500:])
                text = ("RT @x: " if rng.random() < 0.5 else "") + src["text"] + (" uppdaterad" if rng.random() < 0.3 else "")
                item = dict(src, id=f"i{n}", text=text, published_at=at, source=f"s{rng.randint(1, 400)}")
            else:
                story = rng.choices(live, weights)[0]
                words = rng.sample(story["words"], 9) + rng.sample(common, 6)
                rng.shuffle(words)
                item = {
                    "id": f"i{n}", "title": " ".join(words[:5]), "text": " ".join(words),
                    "tokens": words[:5] * 2 + words, "entities": story["entities"], "published_at": at,
                    "source": f"s{rng.randint(1, 400)}", "lang": "sv" if rng.random() < 0.85 else "en",
                }
            batch.append(item)
        recent.extend(batch)
        recent = recent[-2000:]
        yield start, batch


def bench_models(n_items: int, hours: int) -> None:
    clusterer = OnlineClusterer()
    index, state = DedupIndex(), ClusterState()
    per_batch, total_items, dedup_s, cluster_s = [], 0, 0.0, 0.0
    for start, batch in generate(n_items, hours):
        t0 = time.perf_counter()
        copies = {m.item_id for m in index.add(DedupDoc(i["id"], i["title"] + "\n" + i["text"], i["published_at"], i["source"]) for i in batch)}
        t1 = time.perf_counter()
        clusterer.add(state, [ClusterDoc(i["id"], i["tokens"], i["published_at"], i["entities"], i["lang"]) for i in batch if i["id"] not in copies])
        end = start + timedelta(hours=1)
        index.prune(end)
        clusterer.prune(state, end)
        t2 = time.perf_counter()
        dedup_s += t1 - t0
        cluster_s += t2 - t1
        per_batch.append((t2 - t0, len(index), state.n_live, len(copies)))
        total_items += len(batch)
    seconds = dedup_s + cluster_s
    tenth = max(1, len(per_batch) // 10)
    first, middle, last = per_batch[:tenth], per_batch[len(per_batch) // 2 : len(per_batch) // 2 + tenth], per_batch[-tenth:]
    t_state = time.perf_counter()
    blob = pickle.dumps(index) + pickle.dumps(state)
    pickle_s = time.perf_counter() - t_state
    print(f"items: {total_items:,} in {len(per_batch)} hourly batches of {total_items // len(per_batch):,}")
    print(f"dedup + clustering: {total_items / seconds:,.0f} items/s ({seconds:.1f} s: dedup {dedup_s:.1f} s, clustering {cluster_s:.1f} s)")
    for name, part in (("first", first), ("middle", middle), ("last", last)):
        print(f"per-batch time, {name} tenth of the hours: median {statistics.median(p[0] for p in part) * 1000:.0f} ms, "
              f"live stories {statistics.median(p[2] for p in part):.0f}, dedup index {statistics.median(p[1] for p in part):,.0f}")
    ratio = statistics.median(p[0] for p in last) / statistics.median(p[0] for p in first[1:] or first)
    print(f"last/first per-batch ratio: {ratio:.2f} (flat means about 1; history grew {len(per_batch)}x)")
    print(f"copies found: {sum(p[3] for p in per_batch):,}; saved state: {len(blob) / 1e6:.1f} MB pickled in {pickle_s * 1000:.0f} ms")


def bench_flow(n_items: int, hours: int) -> None:
    from mediebild.data.store import Store
    from mediebild.flows.stories import update_stories
    from mediebild.items import Item

    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "bench.duckdb", create=True) as store:
        times = []
        for start, batch in generate(n_items, hours, seed=2):
            items = [Item(id=i["id"], source=i["source"], kind="social", url=None, title=i["title"], text=i["text"],
                          author=None, published_at=i["published_at"], fetched_at=i["published_at"], lang=i["lang"])
                     for i in batch]
            with store.transaction():
                store.upsert_items(items)
            summary = update_stories(store, now=start + timedelta(hours=1))
            times.append(summary["seconds"])
        tenth = max(1, len(times) // 10)
        total = sum(times)
        print(f"full stories step (DuckDB, state saved each pass): {n_items / total:,.0f} items/s; per pass median "
              f"first tenth {statistics.median(times[:tenth]) * 1000:.0f} ms, last tenth {statistics.median(times[-tenth:]) * 1000:.0f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--hours", type=int, default=100)
    parser.add_argument("--flow", action="store_true", help="also run the full stories step on DuckDB")
    args = parser.parse_args(argv)
    bench_models(args.items, args.hours)
    if args.flow:
        bench_flow(min(args.items, 20_000), min(args.hours, 40))
    return 0


if __name__ == "__main__":
    sys.exit(main())
