"""Enrichment tables: what is pending, bulk idempotent replace of enrichments and entities, summaries."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from mediebild.data import enrichments as db
from mediebild.items import Item

NOW = datetime(2016, 3, 22, 9, 0, tzinfo=timezone.utc)


def add_items(store, n: int, *, text: str = "Text") -> list[str]:
    items = [
        Item(id=f"i{i}", source="s", kind="social", url=f"https://x.example/{i}", title=f"Rubrik {i}",
             text=f"{text} {i}", author=None, published_at=NOW, fetched_at=NOW)
        for i in range(n)
    ]
    with store.transaction():
        store.upsert_items(items)
    return [i.id for i in items]


def row(item_id: str, **extra):
    return {"item_id": item_id, "model_version": "v1", "lang": "sv", "lang_confidence": 0.9,
            "lemmas": ["polis", "explosion"], "item_version": 1, "profile_key": None, **extra}


def test_pending_until_enriched_then_again_for_new_model_profile_or_item_version(store):
    ids = add_items(store, 3)
    assert db.pending_item_ids(store, model_version="v1", profile_key=None) == ids
    db.write_enrichments(store, [row(i) for i in ids], [])
    assert db.pending_item_ids(store, model_version="v1", profile_key=None) == []
    assert db.count_pending(store, model_version="v2", profile_key=None) == 3
    assert db.count_pending(store, model_version="v1", profile_key="p1") == 3
    store.con.execute("UPDATE items SET version = 2 WHERE id = 'i1'")
    assert db.pending_item_ids(store, model_version="v1", profile_key=None) == ["i1"]
    assert db.pending_item_ids(store, model_version="v2", profile_key=None, limit=2) == ["i0", "i1"]


def test_rewrite_replaces_rows_and_entities_in_one_go(store):
    ids = add_items(store, 2)
    entities = [{"item_id": "i0", "label": "ORG", "text": "Säpo", "norm_id": "org:sapo", "start_char": 0, "end_char": 4},
                {"item_id": "i0", "label": "LOC", "text": "Bryssel", "norm_id": "loc:bryssel", "start_char": 9, "end_char": 16}]
    probs = {"Drabbade personer": 0.7, "Övrig nyttig information": 0.3}
    db.write_enrichments(store, [row(i, info_type="Drabbade personer", info_type_probs=probs, relevant=True,
                                     profile_terms=["bryssel"], ner_done=True) for i in ids], entities)
    assert len(db.entities_of(store, "i0")) == 2
    stored = db.enrichment_of(store, "i0")
    assert stored["lemmas"] == "polis explosion"
    assert json.loads(stored["info_type_probs"]) == probs
    assert stored["profile_terms"] == ["bryssel"] and stored["relevant"] is True and stored["ner_done"] is True
    # again, with one entity fewer and other values: replaced, not added
    db.write_enrichments(store, [row("i0", lang="en", relevant=False)], entities[:1])
    assert store.con.execute("SELECT count(*) FROM enrichments").fetchone()[0] == 2
    assert [e["norm_id"] for e in db.entities_of(store, "i0")] == ["org:sapo"]
    assert db.enrichment_of(store, "i0")["lang"] == "en"
    assert db.enrichment_of(store, "i0")["ner_done"] is False


def test_a_failed_batch_leaves_the_previous_rows(store):
    add_items(store, 1)
    db.write_enrichments(store, [row("i0")], [{"item_id": "i0", "label": "ORG", "text": "SL", "norm_id": "org:sl",
                                               "start_char": 0, "end_char": 2}])
    bad_entity = {"item_id": "i0", "label": None, "text": "x", "norm_id": None, "start_char": 0, "end_char": 1}
    try:
        db.write_enrichments(store, [row("i0", lang="en")], [bad_entity])  # label NOT NULL
    except Exception:
        pass
    else:  # pragma: no cover
        raise AssertionError("the NOT NULL violation should have raised")
    assert db.enrichment_of(store, "i0")["lang"] == "sv"
    assert [e["norm_id"] for e in db.entities_of(store, "i0")] == ["org:sl"]


def test_bulk_write_of_many_rows_and_summary(store):
    ids = add_items(store, 3000)
    rows = [row(i, relevant=(n % 3 == 0), info_type="Varningar och råd" if n % 2 else None) for n, i in enumerate(ids)]
    entities = [{"item_id": i, "label": "LOC", "text": "Solna", "norm_id": "loc:solna", "start_char": 0, "end_char": 5}
                for i in ids]
    assert db.write_enrichments(store, rows, entities) == 3000
    summary = db.summary(store)
    assert summary["items"] == 3000 and summary["relevant"] == 1000 and summary["entities"] == 3000
    assert summary["by_language"] == {"sv": 3000} and summary["by_info_type"] == {"Varningar och råd": 1500}
    assert db.summary(store, item_ids=ids[:10])["items"] == 10


def test_fetch_items_keeps_the_order_asked(store):
    add_items(store, 3)
    assert [i["id"] for i in db.fetch_items(store, ["i2", "i0"])] == ["i2", "i0"]
    assert db.fetch_items(store, []) == []
