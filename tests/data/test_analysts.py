"""The analysts' questions (data/analysts.py) on a published snapshot of a small enriched incident: the
rollups give the same answers as counting the items, periods and buckets are Stockholm time, exports stream
every row, and the SQL door only reads."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import duckdb
import pyarrow.parquet as pq
import pytest

from mediebild.data.analysts import (TOP_LISTS, Selection, bucket_starts, check_read_only, data_end,
                                     export_batches, export_to_file, lock_down, run_query, top, volume)
from mediebild.data.item_filter import ItemFilter
from mediebild.data.snapshot import publish_database
from mediebild.data.snapshot_read import open_snapshot
from mediebild.errors import UserError
from mediebild.timeutil import STOCKHOLM


@pytest.fixture
def snap(analyst_db):
    publish_database(analyst_db)
    with open_snapshot(analyst_db, refresh=False) as snapshot:
        yield snapshot


def _whole_period(con) -> Selection:
    end = data_end(con)
    return Selection(end - timedelta(hours=6), end)


@pytest.mark.parametrize("what", TOP_LISTS)
def test_top_lists_from_rollups_equal_counting_the_items(snap, what):
    selection = _whole_period(snap.con)
    fast = top(snap.con, what, selection, limit=50)
    slow = top(snap.con, what, replace(selection, use_rollups=False), limit=50)
    assert slow.used_rollup is False
    if what != "stories":
        assert fast.used_rollup is True
    assert [(r.key, r.count, r.previous) for r in fast.rows] == [(r.key, r.count, r.previous) for r in slow.rows]
    assert fast.total == slow.total > 0
    if what in ("sources", "entities", "places", "words"):
        assert fast.rows, what


def test_filters_narrow_rollups_and_items_alike(snap):
    selection = replace(_whole_period(snap.con), items=ItemFilter(kinds=("editorial",), langs=("sv",)),
                        relevant_only=True)
    for what in ("sources", "entities", "hashtags", "stories"):
        fast = top(snap.con, what, selection)
        slow = top(snap.con, what, replace(selection, use_rollups=False))
        assert [(r.key, r.count) for r in fast.rows] == [(r.key, r.count) for r in slow.rows]
    social = top(snap.con, "sources", replace(selection, items=ItemFilter(kinds=("social",))))
    assert {r.key for r in social.rows} <= {"mastodon-sthlm"}


def test_a_period_not_on_whole_hours_counts_the_items(snap):
    end = data_end(snap.con)
    selection = Selection(end - timedelta(minutes=90), end - timedelta(minutes=15))
    result = top(snap.con, "sources", selection)
    assert result.used_rollup is False
    counts, used = volume(snap.con, selection, "15min")
    assert used is False and sum(counts.values()) == result.total


def test_volume_buckets_are_stockholm_time_and_add_up(snap):
    selection = _whole_period(snap.con)
    by_hour, used = volume(snap.con, selection, "hour")
    by_day, _ = volume(snap.con, selection, "day")
    by_quarter, _ = volume(snap.con, selection, "15min")
    assert used is True
    assert sum(by_hour.values()) == sum(by_day.values()) == sum(by_quarter.values()) > 0
    starts = bucket_starts(selection, "hour")
    assert set(by_hour) <= set(starts)
    assert starts[0] == selection.since.astimezone(STOCKHOLM).replace(tzinfo=None)


def test_share_and_change_against_the_previous_period(snap):
    end = data_end(snap.con)
    result = top(snap.con, "sources", Selection(end - timedelta(hours=1), end))
    assert abs(sum(r.share for r in result.rows) - 1.0) < 1e-9
    first = result.rows[0]
    assert first.previous >= 0
    assert (first.change is None) == (first.previous == 0)


def test_export_streams_every_row_with_enrichments_story_and_entities(snap, tmp_path):
    selection = Selection(datetime(2000, 1, 1, tzinfo=STOCKHOLM), datetime(2100, 1, 1, tzinfo=STOCKHOLM))
    total = snap.con.execute("SELECT count(*) FROM items").fetchone()[0]
    batches = list(export_batches(snap.con, selection, flat=False, batch_rows=7))
    assert len(batches) > 1 and sum(b.num_rows for b in batches) == total
    rows = [r for b in batches for r in b.to_pylist()]
    assert any(r["entities"] for r in rows) and any(r["story_id"] for r in rows)
    assert all(r["info_type"] for r in rows)
    for fmt in ("csv", "parquet", "jsonl"):
        path = tmp_path / f"out.{fmt}"
        assert export_to_file(snap.con, selection, str(path), fmt) == total
    assert pq.read_table(tmp_path / "out.parquet").num_rows == total
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == total


@pytest.mark.parametrize("sql", [
    "COPY items TO '/tmp/x.csv'", "INSERT INTO items SELECT * FROM items", "ATTACH 'x.duckdb'",
    "SET enable_external_access = true", "PRAGMA version", "CREATE TABLE x AS SELECT 1", "SELECT 1; SELECT 2",
    "DROP VIEW items", "INSTALL httpfs", "LOAD httpfs", "EXPORT DATABASE '/tmp/x'",
])
def test_the_sql_door_refuses_anything_but_reading(sql):
    with pytest.raises(UserError):
        check_read_only(sql)


def test_a_locked_down_connection_reads_the_snapshot_and_nothing_else(snap, tmp_path):
    (tmp_path / "secret.csv").write_text("a\n1\n")
    lock_down(snap.con, str(snap.folder))
    columns, batches = run_query(snap.con, "SELECT count(*) AS n FROM items_enriched")
    assert columns == ["n"] and batches.read_all().to_pylist()[0]["n"] > 0
    with pytest.raises(UserError, match="disabled|Permission"):
        run_query(snap.con, f"SELECT * FROM read_csv('{tmp_path / 'secret.csv'}')")
    with pytest.raises(duckdb.Error):
        snap.con.execute("SET enable_external_access = true")
