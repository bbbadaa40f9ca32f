"""The digest and brief as the demo and `mediebild serve` run them: stored first, every format, new
versions on re-render, files in the out folder, clustered stories once that step has run, the brief
since the last brief, and the Prefect flow once under the test harness."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from mediebild.data.digest_queries import list_digests
from mediebild.errors import ConfigError
from mediebild.flows.digest import conference_crons, document_id, make_brief, make_digest
from mediebild.items import Item

U = timezone.utc
H = datetime(2016, 3, 22, 8, tzinfo=U)


def add_hour(store, start: datetime, n: int = 9) -> None:
    store.upsert_items([
        Item(id=f"{start:%H}-{i}", source=f"tidning-{i % 3}", kind=("editorial", "social", "official")[i % 3],
             url=f"https://t{i % 3}.example.se/{start:%H}/{i}",
             title=f"Explosioner på Zaventem flygplats i Bryssel, uppdatering {i}" if i % 2 else f"Tunnelbanan i Bryssel stängd {i}",
             text="Flera döda efter två explosioner i avgångshallen. Polisen uppmanar alla att undvika området.",
             author=None, published_at=start + timedelta(minutes=5 * i), fetched_at=start + timedelta(minutes=5 * i + 1))
        for i in range(n)
    ])


def test_make_digest_stores_every_format_and_versions(store, tmp_path):
    add_hour(store, H)
    docs = make_digest(store, period_start=H, period_end=H + timedelta(hours=1), out_dir=tmp_path, now=H + timedelta(hours=1))
    assert [d["format"] for d in docs] == ["html", "md", "pdf", "json"]
    assert docs[0]["id"] == "digest-2016-03-22T08-sv-html-v1"
    for d in docs:
        assert d["path"].read_bytes()[:1] and d["path"].stat().st_size == d["bytes"]
    stored = list_digests(store.con)
    assert len(stored) == 4 and all(r["n_items"] == 9 for r in stored)
    again = make_digest(store, period_start=H, period_end=H + timedelta(hours=1), formats=("md",))
    assert again[0]["id"] == "digest-2016-03-22T08-sv-md-v2" and again[0]["path"] is None
    assert len(list_digests(store.con)) == 5  # nothing overwritten


def test_new_since_last_digest_and_previous_hour(store):
    add_hour(store, H)
    add_hour(store, H + timedelta(hours=1), n=4)
    make_digest(store, period_start=H, period_end=H + timedelta(hours=1), formats=("json",))
    [doc] = make_digest(store, period_start=H + timedelta(hours=1), period_end=H + timedelta(hours=2), formats=("json",))
    body = json.loads(bytes(store.con.execute("SELECT body FROM digests WHERE id = ?", [doc["id"]]).fetchone()[0]))
    assert body["new_since"] == "2016-03-22T09:00:00Z"
    assert body["figures"]["current"]["items"] == 4 and body["figures"]["previous"]["items"] == 9
    assert body["figures"]["delta"]["items"] == -5


def test_brief_since_the_last_brief(store, tmp_path):
    add_hour(store, H)
    add_hour(store, H + timedelta(hours=2), n=3)
    first = make_brief(store, until=H + timedelta(hours=1), formats=("md", "json"), out_dir=tmp_path)
    assert first[0]["id"] == "brief-2016-03-22T0900-sv-md-v1"
    doc = json.loads(first[1]["path"].read_text(encoding="utf-8"))
    assert doc["period"]["start"] == "2016-03-22T03:00:00Z" and doc["last_brief"] is None
    assert len(doc["now_lines"]) == 5
    second = make_brief(store, until=H + timedelta(hours=3), formats=("json",), out_dir=tmp_path)
    doc = json.loads(second[0]["path"].read_text(encoding="utf-8"))
    assert doc["period"]["start"] == "2016-03-22T09:00:00Z"  # since the last brief
    assert doc["last_brief"]["id"].startswith("brief-2016-03-22T0900-sv")
    assert doc["figures"]["current"]["items"] == 3
    md = (tmp_path / "brief-2016-03-22T0900-sv-md-v1.md").read_text(encoding="utf-8")
    assert "Medieläget nu" in md and "Det här bör kommunikatörerna bemöta" in md


def test_clustered_stories_replace_copies_once_the_step_has_run(store):
    stories_flow = pytest.importorskip("mediebild.flows.stories")
    add_hour(store, H, n=12)
    stories_flow.update_stories(store, now=H + timedelta(hours=1))
    from mediebild.reports.digest import build_digest

    data = build_digest(store.con, period_start=H, period_end=H + timedelta(hours=1))
    assert data["stories_from"] == "stories" and data["top_stories"]
    assert data["story_ids"] and data["rumours"] is not None and data["alerts"] is not None
    assert sum(s["n_items"] for s in data["top_stories"]) <= 12


def test_ids_and_conference_times():
    assert document_id("digest", H, H + timedelta(hours=1), "en", "pdf", 3) == "digest-2016-03-22T08-en-pdf-v3"
    assert document_id("brief", H, H + timedelta(hours=2, minutes=30), "sv", "md", 1) == "brief-2016-03-22T1030-sv-md-v1"
    assert document_id("digest", H, H + timedelta(hours=2), "sv", "md", 1) == "digest-2016-03-22T0800-2016-03-22T1000-sv-md-v1"
    assert conference_crons({"brief": {"conference_times": ["08:00", "13:30"], "minutes_before": 15}}) == [
        "45 7 * * *", "15 13 * * *"]
    assert conference_crons({}) == []
    with pytest.raises(ConfigError):
        conference_crons({"brief": {"conference_times": ["25:00"]}})


def test_send_without_configuration_stores_nothing(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MEDIEBILD_CONFIG", raising=False)
    with pytest.raises(ConfigError, match="send"):
        make_digest(store, period_start=H, period_end=H + timedelta(hours=1), send=True)
    assert list_digests(store.con) == []


@pytest.mark.prefect
def test_digest_flow_under_prefect(prefect_harness, db_path, tmp_path):
    from mediebild.data.store import Store
    from mediebild.flows.digest import brief_flow, deployments, digest_flow

    with Store.open(db_path) as store:
        add_hour(store, H)
    docs = digest_flow(db=str(db_path), hour="2016-03-22T09", formats="md,json", out_dir=str(tmp_path))
    assert [d["id"] for d in docs] == ["digest-2016-03-22T08-sv-md-v1", "digest-2016-03-22T08-sv-json-v1"]
    assert brief_flow(db=str(db_path), formats="json")[0]["id"].startswith("brief-")
    found = deployments(db_path, raw={"brief": {"conference_times": ["08:00"]}})
    assert [d.name for d in found] == ["hourly-digest", "conference-brief"]
    assert found[0].parameters["send"] is False  # nothing configured to send to
    assert deployments(db_path, raw={"send": {"folder": str(tmp_path)}})[0].parameters["send"] is True
