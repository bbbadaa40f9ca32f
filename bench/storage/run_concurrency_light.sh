#!/bin/sh
# 10M, lighter readers (torn-read check on the newest 100k ids), DuckLake catalog in rollback-journal vs WAL mode.
cd "$(dirname "$0")/.."
.venv/bin/python  scripts/concurrent.py --backend lake    --src runs/base10m --readers 0 --passes 10 --batch 2000 --sleep 1 --wal --label "10m lake r0 WAL"
.venv/bin/python  scripts/concurrent.py --backend lake    --src runs/base10m --readers 2 --passes 10 --batch 2000 --sleep 1 --reader-pause 0.5 --light --label "10m lake r2 light"
.venv/bin/python  scripts/concurrent.py --backend lake    --src runs/base10m --readers 2 --passes 10 --batch 2000 --sleep 1 --reader-pause 0.5 --light --wal --label "10m lake r2 light WAL"
.venv2/bin/python scripts/concurrent.py --backend parquet --src runs/base10m --readers 2 --passes 10 --batch 2000 --sleep 1 --reader-pause 0.5 --light --publish parquet-incr --label "10m parquet-incr r2 light"
