#!/bin/sh
# SIGKILL tests, two writers, compaction, full-text search (results/*.jsonl). The lake runs use the configuration
# the decision recommends: SQLite catalog in WAL mode + sqlite_disable_multithreaded_scans.
cd "$(dirname "$0")/.."
export LAKE_SQLITE_SINGLE_THREAD=1 LAKE_WAL=1
.venv/bin/python  scripts/kill_test.py --backend lake --src runs/base1m --kills 15 --wal | tail -1
.venv2/bin/python scripts/kill_test.py --backend parquet --src runs/base1m --kills 15 | tail -1
.venv2/bin/python scripts/kill_test.py --backend snapfile --src runs/base1m --kills 15 | tail -1
.venv/bin/python  scripts/two_writers.py --src runs/base1m --passes 10 --retry 0
.venv/bin/python  scripts/two_writers.py --src runs/base1m --passes 10 --retry 8
.venv/bin/python  scripts/compaction.py --src runs/base1m --passes 200 --batch 1000 | tail -1
.venv/bin/python  scripts/fts_bench.py --lake runs/base1m
