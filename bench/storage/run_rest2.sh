#!/bin/sh
# Second round: two writers with the retry reading the whole error, compaction with working maintenance,
# and writer throughput with no readers at 10M (plain 2.0.1 file vs DuckLake rollback-journal vs WAL).
cd "$(dirname "$0")/.."
export LAKE_SQLITE_SINGLE_THREAD=1 LAKE_WAL=1
.venv/bin/python  scripts/two_writers.py --src runs/base1m --passes 10 --retry 0
.venv/bin/python  scripts/two_writers.py --src runs/base1m --passes 10 --retry 10
.venv/bin/python  scripts/compaction.py --src runs/base1m --passes 120 --batch 1000 | tail -1
for k in 1 2; do
  rm -rf runs/wplain && mkdir -p runs/wplain && cp runs/base10m/plain.duckdb runs/wplain/
  .venv2/bin/python scripts/writer.py --backend plain --path runs/wplain/plain.duckdb --passes 15 --batch 2000 --sleep 1 --log results/throughput_10m_plain.jsonl > /dev/null
  rm -rf runs/wplain
  LAKE_WAL= .venv/bin/python scripts/concurrent.py --backend lake --src runs/base10m --readers 0 --passes 15 --batch 2000 --sleep 1 --label "10m lake r0 rollback (throughput $k)" | cut -c1-300
  .venv/bin/python scripts/concurrent.py --backend lake --src runs/base10m --readers 0 --passes 15 --batch 2000 --sleep 1 --wal --label "10m lake r0 WAL+1thread (throughput $k)" | cut -c1-300
done
