"""Trends of search queries (data/analysts.matched_volume with the snapshot's search index): the counts per
bucket are the items the query matches under the selection's filters, never more than all items."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from mediebild.data.analysts import Selection, data_end, matched_volume, volume
from mediebild.data.item_filter import ItemFilter
from mediebild.data.search_index import SearchIndex
from mediebild.data.snapshot import current_search_index, publish_database
from mediebild.data.snapshot_read import open_snapshot


def test_a_query_trend_counts_its_matches_under_the_filters(analyst_db):
    publish_database(analyst_db)
    with open_snapshot(analyst_db, refresh=False) as snap, SearchIndex(current_search_index(analyst_db)) as index:
        end = data_end(snap.con)
        selection = Selection(end - timedelta(hours=6), end)
        totals, _ = volume(snap.con, selection, "hour")
        ids = index.matching_ids("explosion OR smäll", since=selection.since, until=selection.until)
        trend = matched_volume(snap.con, ids, selection, "hour")
        expected = snap.con.execute(
            "SELECT count(*) FROM items WHERE (lower(title || ' ' || text) LIKE '%explosion%' "
            "OR lower(title || ' ' || text) LIKE '%smäll%') AND published_at >= ? AND published_at < ?",
            [selection.since.replace(tzinfo=None) - timedelta(hours=1), selection.until.replace(tzinfo=None)]
        ).fetchone()[0]
        assert 0 < sum(trend.values()) <= expected
        assert all(trend[b] <= totals[b] for b in trend)
        social = matched_volume(snap.con, ids, replace(selection, items=ItemFilter(kinds=("social",))), "hour")
        assert sum(social.values()) < sum(trend.values())
        nothing = index.matching_ids("zzzqqq", since=selection.since, until=selection.until)
        assert matched_volume(snap.con, nothing, selection, "hour") == {}
