"""Fixtures for the documents' tests: a store with a small, hostile Swedish hour of items."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mediebild.items import Item

HOUR = datetime(2016, 3, 22, 8, tzinfo=timezone.utc)  # 09.00-10.00 Stockholm time
EVIL_TITLE = 'Explosion på Zaventem <script>alert("x")</script> <img src=x onerror=alert(1)> **fet** [klick](javascript:alert(1)) # rubrik | cell ` kod'
SWEDISH = "Räddningstjänsten: håll er borta från Ölandsgatan, åäö ÅÄÖ"


def add_items(store, *, start=HOUR, n=12, evil=True):
    items = []
    for i in range(n):
        kind = ("editorial", "social", "official")[i % 3]
        items.append(Item(
            id=f"item-{start:%H}-{i}", source=f"kalla-{i % 4}", kind=kind,
            url="javascript:alert(1)" if i == 1 else f"https://nyheter.example.se/a/{start:%H}/{i}",
            title=(EVIL_TITLE if evil and i < 3 else SWEDISH if i == 3 else f"Nyhet {i} om läget"),
            text="Polisen uppmanar allmänheten att undvika området.\n<script>alert(2)</script> onerror=alert(3)",
            author=None, published_at=start + timedelta(minutes=4 * i + 1), fetched_at=start + timedelta(minutes=4 * i + 2),
        ))
    # two copies of the same agency text at two outlets
    for j in range(2):
        items.append(Item(id=f"tt-{start:%H}-{j}", source=f"tidning-{j}", kind="editorial",
                          url=f"https://tidning{j}.example.se/tt", title="TT: Flygplatsen i Bryssel stängd",
                          text="Alla flyg är inställda.", author=None,
                          published_at=start + timedelta(minutes=30 + j), fetched_at=start + timedelta(minutes=31 + j)))
    store.upsert_items(items)
    return items


@pytest.fixture
def hour_store(store):
    add_items(store)
    store.con.execute(
        "INSERT INTO sources (id, monitor, url, name, item_kind, added_at) VALUES "
        "('kalla-0', 'rss', 'https://a.example.se/rss', 'Källa Noll <b>', 'editorial', ?), "
        "('trasig', 'rss', 'https://b.example.se/rss', 'Trasig källa', 'editorial', ?)",
        [HOUR.replace(tzinfo=None), HOUR.replace(tzinfo=None)],
    )
    store.con.execute(
        "INSERT INTO fetches (source_id, started_at, finished_at, ok, problem) VALUES "
        "('kalla-0', ?, ?, TRUE, NULL), ('trasig', ?, ?, FALSE, 'http_500: Internal Server Error')",
        [HOUR.replace(tzinfo=None) + timedelta(minutes=5)] * 4,
    )
    return store


class Sample:
    hour = HOUR
    evil_title = EVIL_TITLE
    swedish = SWEDISH
    add_items = staticmethod(add_items)


@pytest.fixture
def sample() -> type[Sample]:
    return Sample
