"""Smoke tests of the demo driver: the scenario replayed hour by hour into a real DuckDB file and rendered documents.

The demo is a showcase: these check that it runs end to end (counts, formats, repeatability), not how well the
models do on it; model floors live on development data (tests/models/). The whole day once (plain engine, JSON
documents) for the platform checks: social and official items come through the new monitors, the VMA is an
alert, the rumours arrive from the social platforms, Polisen's spacing holds in simulated time, and no exercise
credential reaches the database or the out folder.
"""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest

from mediebild.data.store import Store
from mediebild.demo.credentials import DemoCredentials
from mediebild.demo.scenario import load_scenario
from mediebild.flows.demo import run_demo

pytestmark = pytest.mark.slow  # each test replays hours of the scenario (the whole day once: ~30 s)

SOCIAL = ("x", "mastodon", "bluesky", "reddit")
OFFICIAL = ("polisen", "krisinformation", "smhi", "vma")


def test_demo_first_hours_end_to_end(tmp_path):
    out = tmp_path / "out"
    result = run_demo(out, use_prefect=False, hours=3, formats=("html", "md", "json"))
    assert result.hours == 3
    with Store.open(result.db, read_only=True) as store:
        assert store.count("sources") >= 12
        items = store.count("items")
        assert items > 30
        kinds = dict(store.con.execute("SELECT kind, count(*) FROM items GROUP BY kind").fetchall())
        assert {"editorial", "social", "official"} <= set(kinds)
        digests = store.con.execute(
            "SELECT kind, count(DISTINCT period_start), count(*) FROM digests GROUP BY kind ORDER BY kind"
        ).fetchall()
        assert ("digest", 3, 9) in digests  # one per hour, in 3 formats
        assert any(kind == "brief" for kind, _, _ in digests)
    files = sorted(p.name for p in out.iterdir())
    assert any(name.endswith(".html") and name.startswith("digest-") for name in files)
    assert any(name.endswith(".md") and name.startswith("brief-") for name in files)
    digest_json = json.loads(next(out.glob("digest-*-json-*.json")).read_text(encoding="utf-8"))
    assert digest_json


def test_demo_is_repeatable(tmp_path):
    first = run_demo(tmp_path / "a", use_prefect=False, hours=2, formats=("json",))
    second = run_demo(tmp_path / "a", use_prefect=False, hours=2, formats=("json",))  # same folder: fresh db
    assert first.items == second.items


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    """The whole day with known exercise credentials (the demo makes random ones otherwise)."""
    credentials = DemoCredentials.generate()
    before = dict(os.environ)
    result = run_demo(tmp_path_factory.mktemp("demo") / "out", use_prefect=False, formats=("json", "md"),
                      credentials=credentials)
    assert dict(os.environ) == before  # the exercise environment was the run's only
    store = Store.open(result.db, read_only=True)
    yield result, store, credentials
    store.close()


def rows(store, sql, params=()):
    return store.con.execute(sql, list(params)).fetchall()


def test_social_and_official_items_come_through_the_new_monitors(day):
    result, store, _ = day
    per_monitor = dict(rows(store, "SELECT s.monitor, count(*) FROM items i JOIN sources s ON s.id = i.source_id GROUP BY 1"))
    assert all(per_monitor.get(kind, 0) > 0 for kind in SOCIAL + OFFICIAL), per_monitor
    kinds = dict(rows(store, "SELECT s.monitor, min(i.kind) || '/' || max(i.kind) FROM items i "
                             "JOIN sources s ON s.id = i.source_id GROUP BY 1"))
    assert all(kinds[k] == "social/social" for k in SOCIAL) and all(kinds[k] == "official/official" for k in OFFICIAL)
    social_rss = rows(store, "SELECT count(*) FROM items i JOIN sources s ON s.id = i.source_id "
                             "WHERE s.monitor = 'rss' AND i.kind = 'social'")[0][0]
    assert social_rss == 0  # every social post now comes from a platform
    failed = [source for source, n in rows(store, "SELECT source_id, count(*) FROM fetches WHERE NOT ok GROUP BY 1")]
    assert set(failed) <= {"ekonomibladet"}, failed  # the scenario's broken feed, nothing else


def test_vma_items_are_alerts_and_the_all_clear_is_a_new_version(day):
    _, store, _ = day
    sc = load_scenario()
    alerts = rows(store, "SELECT i.id, s.monitor, i.version, json_extract_string(i.raw, '$.alert') FROM items i "
                         "JOIN sources s ON s.id = i.source_id WHERE json_extract_string(i.raw, '$.alert') = 'vma'")
    assert {monitor for _, monitor, _, _ in alerts} == {"vma", "krisinformation"}
    assert len([a for a in alerts if a[1] == "vma"]) == 2  # the alert and its Cancel, two CAP messages
    edited = next(a for a in alerts if a[1] == "krisinformation")
    assert edited[0].endswith(":" + sc.item("ki-09").post_id) and edited[2] >= 2  # same Identifier, new version
    text, all_clear = rows(store, "SELECT text, json_extract(raw, '$.all_clear') FROM items WHERE id = ?", [edited[0]])[0]
    assert "Faran är över" in text and all_clear == "true"


def test_rumours_arrive_from_the_social_platforms(day):
    _, store, _ = day
    sc = load_scenario()
    monitor_of = {}
    for url, monitor in rows(store, "SELECT i.url, s.monitor FROM items i JOIN sources s ON s.id = i.source_id"):
        truth = sc.truth_by_url(url)
        if truth is not None:
            monitor_of[truth.id] = monitor
    for key in (k for k, story in sc.stories.items() if story.rumour):
        spread = sorted((i for i in sc.items if i.rumour_key == key and i.rumour), key=lambda i: i.published)
        social = [i for i in spread if i.kind == "social"]
        assert all(i.id in monitor_of for i in social), key  # every spreading post was ingested ...
        assert monitor_of[spread[0].id] in SOCIAL, key  # ... the first from a platform
        assert len({monitor_of[i.id] for i in social}) >= 2, key


def test_stories_and_rumour_flags_smoke(day):
    """Loose floors on the demo's own stories (the pinned scores live in tests/models on the scenario truth)."""
    _, store, _ = day
    stories = rows(store, "SELECT count(*), count(*) FILTER (WHERE rumour) FROM stories WHERE merged_into IS NULL")[0]
    assert stories[0] >= 15 and stories[1] >= 3, stories


def test_polisen_is_paced_in_simulated_time(day):
    result, store, _ = day
    calls = rows(store, "SELECT count(*), count(http_status) FROM fetches WHERE source_id = 'polisen-stockholm'")[0]
    assert calls == (result.hours, result.hours)  # one call a pass, none deferred: an hour apart in simulated time
    cursor = json.loads(rows(store, "SELECT cursor FROM sources WHERE id = 'polisen-stockholm'")[0][0])
    recorded = cursor["pacing"]["calls"]
    assert recorded and all(call.startswith("2026-03-24") for call in recorded)


def test_no_credential_reaches_the_database_or_the_out_folder(day):
    result, store, credentials = day
    secrets = credentials.values()
    columns = rows(store, "SELECT table_name, column_name FROM information_schema.columns "
                          "WHERE data_type IN ('VARCHAR', 'JSON') AND table_schema = 'main'")
    for table, column in columns:
        for value in secrets:
            hits = rows(store, f'SELECT count(*) FROM "{table}" WHERE CAST("{column}" AS VARCHAR) LIKE ?', [f"%{value}%"])
            assert hits[0][0] == 0, (table, column)
    files = [path for path in result.out.rglob("*") if path.is_file()]
    assert any(path.suffix == ".duckdb" for path in files) and len(files) > 20
    for path in files:
        data = path.read_bytes()
        assert not any(value.encode() in data for value in secrets), path.name
    per_source = Counter(source for source, in rows(store, "SELECT source_id FROM problems WHERE code LIKE 'auth%'"))
    assert not per_source  # the exercise credentials were accepted everywhere
