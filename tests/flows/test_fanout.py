"""flows.fanout without a Prefect server: how sources are grouped, how a platform's documented rate becomes a
bucket that never lets more through in the platform's window, the request gate, and a group stored plainly."""

from __future__ import annotations

import pytest

from mediebild.errors import UserError
from mediebild.flows.fanout import KIND_RATES, Rate, effective_rates, ingest_group, split_groups
from mediebild.monitors.base import SourceConfig
from mediebild.monitors.http import before_request, request_gate


def _sources(feeds: int, api: int) -> list[SourceConfig]:
    out = [SourceConfig(f"feed-{k:02d}", "rss", f"http://127.0.0.1/{k}.xml", f"F{k}") for k in range(feeds)]
    out += [SourceConfig(f"m-{k}", "mastodon", f"http://127.0.0.1/m{k}", f"M{k}", "social") for k in range(api)]
    return out


def test_groups_cover_every_source_once_and_spread_the_api_sources():
    groups = split_groups(_sources(30, 2), 8)
    assert len(groups) == 4 and max(len(g) for g in groups) <= 8
    flat = [s for g in groups for s in g]
    assert sorted(flat) == sorted(s.id for s in _sources(30, 2)) and len(flat) == len(set(flat))
    assert [sum(s.startswith("m-") for s in g) for g in groups][:2] == [1, 1]
    assert split_groups([], 8) == [] and split_groups(_sources(3, 0), 0) == [["feed-00"], ["feed-01"], ["feed-02"]]


@pytest.mark.parametrize("kind", sorted(KIND_RATES))
def test_a_bucket_never_lets_more_than_the_platforms_count_through_in_its_window(kind):
    rate = Rate(*KIND_RATES[kind])
    requests, seconds = rate.requests, rate.seconds
    assert rate.burst >= 1 and rate.burst + rate.per_second * seconds <= requests + 1e-9


def test_polisen_is_paced_at_least_ten_seconds_apart():
    rate = Rate(*KIND_RATES["polisen"])
    assert rate.burst == 1 and 1 / rate.per_second >= 10


def test_rates_from_the_config_override_and_bad_ones_are_explained():
    rates = effective_rates({"mastodon": [4, 2.0], "custom": [10, 60]})
    assert rates["mastodon"] == Rate(4, 2.0) and rates["custom"] == Rate(10, 60.0) and "bluesky" in rates
    for bad in ("300/300", [0, 10], [5, 0], [1, 2, 3]):
        with pytest.raises(UserError, match=r"\[scale.rates\]"):
            effective_rates({"mastodon": bad})


def test_the_request_gate_is_per_context_and_off_by_default():
    calls = []
    before_request()
    with request_gate(lambda: calls.append(1)):
        before_request()
        before_request()
        with request_gate(None):
            before_request()
    before_request()
    assert calls == [1, 1]


def test_a_group_stores_what_it_fetched_and_a_rerun_skips_what_the_pass_already_has(httpserver, db_path):
    """`slots=False`: the same group loop without a Prefect server (the limits are the server's)."""
    from datetime import datetime, timezone

    from mediebild.data.store import Store

    feed = ('<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title>Nyhet {k}</title>'
            '<link>https://example.se/{k}</link><guid>g{k}</guid></item></channel></rss>')
    for k in range(3):
        httpserver.expect_request(f"/{k}.xml").respond_with_data(feed.format(k=k), content_type="application/rss+xml")
    with Store.open(db_path) as store:
        for k in range(3):
            store.upsert_source(SourceConfig(f"feed-{k}", "rss", httpserver.url_for(f"/{k}.xml"), f"F{k}"))
    now = datetime.now(timezone.utc)
    rows = ingest_group(str(db_path), ["feed-0", "feed-1"], run_id="pass-1", now=now, slots=False, retries=0)
    assert [(r["source"], r["new"]) for r in rows] == [("feed-0", 1), ("feed-1", 1)]
    again = ingest_group(str(db_path), ["feed-0", "feed-1", "feed-2", "gone"], run_id="pass-1", now=now, slots=False)
    assert [r["source"] for r in again] == ["feed-2"]  # a rerun of the group fetches only what is missing
    with Store.open(db_path, read_only=True) as store:
        assert [r["source_id"] for r in store.run_fetches("pass-1")] == ["feed-0", "feed-1", "feed-2"]
        assert store.count("items") == 3
