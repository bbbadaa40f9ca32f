"""The digest's reads on a real DuckDB file: figures, zero-filled volume, failing and silent sources,
entities and enrichment when present, stored documents with versions, and the sends table's rule that a
period is delivered at most once to a recipient."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import duckdb
import pytest

from mediebild.data import digest_queries as q
from mediebild.items import Item

U = timezone.utc
H = datetime(2016, 3, 22, 8, tzinfo=U)


def naive(t: datetime) -> datetime:
    return t.replace(tzinfo=None)


def add(store, n: int, start: datetime, kind: str = "editorial", source: str = "svt") -> None:
    store.upsert_items([
        Item(id=f"{source}-{start:%H}-{kind}-{i}", source=source, kind=kind, url=f"https://x.se/{source}/{start:%H}/{kind}/{i}",
             title=f"Titel {i}", text=f"Text {i} {kind}", author=None,
             published_at=start + timedelta(minutes=i), fetched_at=start + timedelta(minutes=i))
        for i in range(n)
    ])


def test_counts_against_previous_hour_and_volume(store):
    add(store, 5, H)
    add(store, 2, H, kind="official", source="polisen")
    add(store, 3, H - timedelta(hours=1), kind="social", source="x")
    now = q.period_counts(store.con, H, H + timedelta(hours=1))
    assert now == {"items": 7, "relevant": None, "by_kind": {"editorial": 5, "social": 0, "official": 2}}
    prev_start, prev_end = q.window_before(H, H + timedelta(hours=1))
    assert q.period_counts(store.con, prev_start, prev_end)["by_kind"]["social"] == 3
    volume = q.volume_by_hour(store.con, H - timedelta(hours=3), H + timedelta(hours=1))
    assert [v["hour"] for v in volume] == [H - timedelta(hours=h) for h in (3, 2, 1, 0)]
    assert [sum(v[k] for k in ("editorial", "social", "official")) for v in volume] == [0, 0, 3, 7]
    assert [r["source_id"] for r in q.items_per_source(store.con, H, H + timedelta(hours=1))] == ["svt", "polisen"]
    official = q.official_statements(store.con, H, H + timedelta(hours=1))
    assert [o["source_id"] for o in official] == ["polisen", "polisen"] and official[0]["published_at"].tzinfo


def test_failing_and_silent_sources(store):
    for sid in ("ok", "broken", "silent"):
        store.con.execute("INSERT INTO sources (id, monitor, url, name, added_at) VALUES (?, 'rss', ?, ?, ?)",
                          [sid, f"https://{sid}.se", sid.title(), naive(H)])
    rows = [("ok", True, None), ("broken", False, "timeout: read timed out"), ("broken", True, None)]
    for sid, ok, problem in rows:
        store.con.execute("INSERT INTO fetches (source_id, started_at, finished_at, ok, problem) VALUES (?, ?, ?, ?, ?)",
                          [sid, naive(H + timedelta(minutes=10)), naive(H + timedelta(minutes=11)), ok, problem])
    failing = q.failing_sources(store.con, H, H + timedelta(hours=1))
    assert [(f["source_id"], f["status"], f["failures"], f["fetches"]) for f in failing] == [
        ("broken", "failed", 1, 2), ("silent", "not_fetched", 0, 0)]
    assert failing[0]["problem"] == "timeout: read timed out"
    assert q.fetch_summary(store.con, H, H + timedelta(hours=1)) == {"ok": 2, "failed": 1, "sources": 2}
    # an hour in which no ingest ran does not call every source silent (the digest says nothing ran)
    assert q.failing_sources(store.con, H + timedelta(hours=3), H + timedelta(hours=4)) == []


def test_enrichment_and_entities_when_present(store):
    add(store, 4, H)
    assert q.info_type_counts(store.con, H, H + timedelta(hours=1)) == []
    assert not q.has_relevance(store.con)
    ids = [r[0] for r in store.con.execute("SELECT id FROM items ORDER BY id").fetchall()]
    store.con.executemany(
        "INSERT INTO enrichments (item_id, enriched_at, model_version, relevant, info_type) VALUES (?, now()::TIMESTAMP, 'test', ?, ?)", [
        [ids[0], True, "caution_and_advice"], [ids[1], True, "caution_and_advice"], [ids[2], False, "not_applicable"],
        [ids[3], True, "affected_individuals"]])
    store.con.executemany("INSERT INTO entities (item_id, label, text, norm_id) VALUES (?, ?, ?, ?)", [
        [ids[0], "LOC", "Zaventem", "Q1"], [ids[1], "GPE", "zaventem", "Q1"], [ids[1], "ORG", "Polisen", None],
        [ids[2], "LOC", "Bryssel", None]])
    counts = q.period_counts(store.con, H, H + timedelta(hours=1))
    assert counts["relevant"] == 3
    needs = q.info_type_counts(store.con, H, H + timedelta(hours=1))
    assert [(n["info_type"], n["items"]) for n in needs] == [("caution_and_advice", 2), ("affected_individuals", 1)]
    assert len(needs[0]["examples"]) == 2
    places = q.top_entities(store.con, H, H + timedelta(hours=1), q.PLACE_LABELS)
    assert places[0]["items"] == 2 and places[0]["text"] in ("Zaventem", "zaventem")
    assert [o["text"] for o in q.top_entities(store.con, H, H + timedelta(hours=1), q.ORG_LABELS)] == ["Polisen"]
    assert len(q.newest_items(store.con, H, H + timedelta(hours=1))) == 3  # the irrelevant one is left out


def test_digest_rows_versions_and_reads(store):
    args = dict(kind="digest", period_start=H, period_end=H + timedelta(hours=1), lang="sv", fmt="md")
    assert q.next_version(store.con, **args) == 1
    checksum = q.insert_digest(store.con, id="digest-a-v1", version=1, body=b"# hej", item_ids=["a"], story_ids=[],
                               **{k: v for k, v in args.items()})
    assert len(checksum) == 64
    assert q.next_version(store.con, **args) == 2
    with pytest.raises(duckdb.ConstraintException):  # an id is never overwritten
        q.insert_digest(store.con, id="digest-a-v1", version=2, body=b"x", item_ids=[], story_ids=[], **args)
    record = q.get_digest(store.con, "digest-a-v1")
    assert bytes(record["body"]) == b"# hej" and record["n_items"] == 1 and record["period_start"] == H
    assert [r["id"] for r in q.list_digests(store.con)] == ["digest-a-v1"]
    assert q.previous_document(store.con, kind="digest", lang="sv", before=H + timedelta(hours=1))["id"] == "digest-a-v1"
    assert q.previous_document(store.con, kind="digest", lang="sv", before=H) is None
    html = {**args, "fmt": "html"}
    q.insert_digest(store.con, id="digest-a-html-v1", version=1, body=b"<p>hej</p>", item_ids=[], story_ids=[], **html)
    q.insert_digest(store.con, id="digest-a-v2", version=2, body=b"# ny", item_ids=[], story_ids=[], **args)
    same = {k: v for k, v in args.items() if k != "fmt"}
    assert q.document_set(store.con, version=1, **same) == [
        {"id": "digest-a-html-v1", "format": "html", "body": b"<p>hej</p>"},
        {"id": "digest-a-v1", "format": "md", "body": b"# hej"}]
    assert q.document_set(store.con, version=3, **same) == []


def test_a_period_is_delivered_once_per_recipient(store):
    key = dict(kind="digest", period_start=H, lang="sv", channel="email", recipient="a@b.se")
    common = dict(digest_id="d1", period_end=H + timedelta(hours=1), attempts=1, **key)
    q.record_send(store.con, status="failed", error="SMTP 451", **common)
    q.record_send(store.con, status="failed", error="SMTP 451", **common)  # failures are history, any number
    assert not q.already_delivered(store.con, **key)
    q.record_send(store.con, status="delivered", **common)
    assert q.already_delivered(store.con, **key)
    with pytest.raises(duckdb.ConstraintException):
        q.record_send(store.con, status="delivered", **common)
    assert not q.already_delivered(store.con, **{**key, "recipient": "c@d.se"})
