#!/bin/sh
# The concurrency matrix behind DECISION.md (results/concurrent.jsonl). Usage: sh scripts/run_concurrency.sh 1m|10m [passes]
S=$1; P=${2:-15}
set -e
cd "$(dirname "$0")/.."
# baselines: the plain DuckDB 2.0.1 writer with no publish, and DuckDB 1.5.5 on a plain file
rm -rf runs/wplain && mkdir -p runs/wplain && cp runs/base$S/plain.duckdb runs/wplain/
.venv2/bin/python scripts/writer.py --backend plain --path runs/wplain/plain.duckdb --passes $P --batch 2000 --sleep 1 --log results/writer_plain_$S.jsonl > /dev/null
rm -rf runs/wplain
for R in 0 2; do
  .venv/bin/python  scripts/concurrent.py --backend lake     --src runs/base$S --readers $R --passes $P --batch 2000 --sleep 1 --reader-pause 0.5 --label "$S lake r$R"
  .venv2/bin/python scripts/concurrent.py --backend parquet  --src runs/base$S --readers $R --passes $P --batch 2000 --sleep 1 --reader-pause 0.5 --publish parquet-incr --label "$S parquet-incr r$R"
  .venv2/bin/python scripts/concurrent.py --backend snapfile --src runs/base$S --readers $R --passes $P --batch 2000 --sleep 1 --reader-pause 0.5 --publish filecopy --label "$S filecopy r$R"
done
