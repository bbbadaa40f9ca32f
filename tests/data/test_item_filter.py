"""The digest's item selection: SQL over items and enrichments, its fingerprint, and its errors."""

from __future__ import annotations

import pytest

from mediebild.data.item_filter import NO_FILTER, ItemFilter
from mediebild.errors import UserError


def test_no_filter_selects_everything():
    assert not NO_FILTER.active
    assert NO_FILTER.where(enriched=False) == ("TRUE", [])


def test_conditions_and_parameters_follow_the_choices():
    f = ItemFilter(kinds=("social",), info_types=("caution_and_advice", "affected_individuals"), min_relevance=0.6)
    sql, params = f.where(enriched=True)
    assert sql == "i.kind IN (?) AND e.info_type IN (?, ?) AND e.relevance >= ?"
    assert params == ["social", "caution_and_advice", "affected_individuals", 0.6]
    assert f.active and f.describe() == {"kinds": ["social"], "info_types": ["caution_and_advice", "affected_individuals"],
                                         "min_relevance": 0.6}


def test_key_is_stable_and_differs_between_selections():
    assert ItemFilter(kinds=("social",)).key == ItemFilter(kinds=("social",)).key
    assert ItemFilter(kinds=("social",)).key != ItemFilter(kinds=("official",)).key


def test_enrichment_choices_before_enrichment_are_a_clear_error():
    with pytest.raises(UserError, match="mediebild enrich"):
        ItemFilter(tones=("negative",)).where(enriched=False)
    with pytest.raises(UserError, match="mediebild enrich"):
        ItemFilter(min_relevance=0.5).where(enriched=False)


def test_a_filtered_period_reads_only_the_chosen_items(store):
    from datetime import datetime, timedelta, timezone

    from mediebild.data.digest_queries import PeriodItems
    from mediebild.items import Item

    h = datetime(2016, 3, 22, 8, tzinfo=timezone.utc)
    store.upsert_items([Item(id=f"{kind}{i}", source=kind, kind=kind, url=f"https://x.example/{kind}/{i}",
                             title="Explosion", text="", author=None, published_at=h + timedelta(minutes=i),
                             fetched_at=h + timedelta(minutes=i))
                        for kind in ("editorial", "social") for i in range(3)])
    with PeriodItems(store.con, h, h + timedelta(hours=1), ItemFilter(kinds=("social",))) as period:
        assert period.counts()["by_kind"] == {"editorial": 0, "social": 3, "official": 0}
        assert period.item_ids() == ["social0", "social1", "social2"]
    with PeriodItems(store.con, h, h + timedelta(hours=1), ItemFilter(sources=("editorial",))) as period:
        assert period.counts()["items"] == 3
