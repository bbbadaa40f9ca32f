"""`mediebild top`, `export` and `query` from the command line: they read the published snapshot, publish one
when the database moved on and nobody writes it, and go on answering while another process holds the file."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from mediebild.cli import main
from mediebild.data.snapshot import publish_database, snapshot_root


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def test_top_publishes_a_first_snapshot_and_answers(analyst_db, capsys):
    assert not snapshot_root(analyst_db).exists()
    assert main(["top", "sources", "--db", str(analyst_db), "--json"]) == 0
    result = _json(capsys)
    assert result["rows"] and result["total_items"] == sum(r["count"] for r in result["rows"])
    assert snapshot_root(analyst_db).exists()
    assert main(["top", "entities", "--db", str(analyst_db), "--since", "2h", "--relevant"]) == 0
    assert "Topp entities" in capsys.readouterr().out


def test_top_refuses_unknown_lists_and_bad_times(analyst_db, capsys):
    assert main(["top", "kittens", "--db", str(analyst_db)]) == 2
    assert "use one of" in capsys.readouterr().err
    assert main(["top", "sources", "--since", "igår", "--db", str(analyst_db)]) == 2
    assert main(["top", "sources", "--since", "2026-01-02", "--until", "2026-01-01", "--db", str(analyst_db)]) == 2


def test_export_to_standard_output_and_files(analyst_db, tmp_path, capsys):
    assert main(["query", "SELECT count(*) AS n FROM items", "--db", str(analyst_db), "--json"]) == 0
    total = _json(capsys)[0]["n"]
    assert main(["export", "--format", "csv", "--db", str(analyst_db)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == total and {"id", "title", "info_type", "story_id", "entities"} <= set(rows[0])
    assert main(["export", "--format", "jsonl", "--kind", "social", "--db", str(analyst_db)]) == 0
    social = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert social and all(r["kind"] == "social" for r in social)
    out = tmp_path / "relevant.parquet"
    assert main(["export", "--format", "parquet", "--out", str(out), "--relevant", "--db", str(analyst_db)]) == 0
    table = pq.read_table(out)
    assert 0 < table.num_rows <= total and all(table.column("relevant").to_pylist())
    assert main(["export", "--format", "parquet", "--db", str(analyst_db)]) == 2  # parquet needs --out


def test_query_reads_views_and_refuses_writing(analyst_db, capsys):
    assert main(["query", "SELECT kind, count(*) AS n FROM items_enriched GROUP BY kind ORDER BY kind",
                 "--db", str(analyst_db), "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "kind,n"
    assert main(["query", "DROP VIEW items", "--db", str(analyst_db)]) == 2
    assert "only reading" in capsys.readouterr().err
    assert main(["query", "SELEC 1", "--db", str(analyst_db)]) == 2
    assert main(["query", "SELECT * FROM read_csv('/etc/hostname')", "--db", str(analyst_db)]) == 2


HOLD = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); time.sleep(120)"


@pytest.fixture
def held(analyst_db):
    """The database held read-write by another process, as a pass of `mediebild serve` holds it."""
    publish_database(analyst_db)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(analyst_db)], stdout=subprocess.PIPE)
    assert holder.stdout.readline().strip() == b"ok"
    yield analyst_db
    holder.kill()
    holder.wait()


def test_analysts_and_read_only_commands_answer_while_another_process_writes(held, capsys):
    assert main(["top", "sources", "--db", str(held), "--json"]) == 0
    assert _json(capsys)["rows"]
    assert main(["export", "--format", "csv", "--db", str(held)]) == 0
    assert capsys.readouterr().out.count("\n") > 10
    assert main(["query", "SELECT count(*) AS n FROM stories_overview", "--db", str(held), "--json"]) == 0
    assert _json(capsys)[0]["n"] > 0
    for argv in (["sources", "list"], ["sources", "health"], ["digests", "list"], ["stories", "--since", "6h"]):
        assert main([*argv, "--db", str(held)]) == 0, argv
        assert "ögonblicksbild" in capsys.readouterr().err


def test_trends_side_by_side_with_a_chart_that_escapes_the_query(analyst_db, tmp_path, capsys):
    assert main(["trends", "explosion", "Slussen", "--by", "hour", "--since", "6h", "--db", str(analyst_db),
                 "--json"]) == 0
    result = _json(capsys)
    assert [s["query"] for s in result["series"]] == ["explosion", "Slussen"]
    assert len(result["buckets"]) == 6 == len(result["totals"])
    for series in result["series"]:
        assert all(c <= t for c, t in zip(series["counts"], result["totals"]))
    assert sum(result["series"][0]["counts"]) > 0
    chart = tmp_path / "trender.svg"
    evil = '"<script>alert(1)</script>"'
    assert main(["trends", "explosion", evil, "--plot", str(chart), "--db", str(analyst_db)]) == 0
    svg = chart.read_text()
    assert svg.startswith("<?xml") and "<script>" not in svg and "&lt;script&gt;" in svg
    assert main(["trends", "explosion", "--plot", str(tmp_path / "x.gif"), "--db", str(analyst_db)]) == 2
    assert main(["trends", "explosion", "--by", "week", "--db", str(analyst_db)]) == 2
    assert main(["trends", "explosion AND (", "--db", str(analyst_db)]) == 2


def test_an_export_piped_into_head_ends_quietly(analyst_db):
    publish_database(analyst_db)
    pipeline = (f"{sys.executable} -m mediebild.cli export --format jsonl --db {analyst_db} | head -1; "
                "echo \"export=${PIPESTATUS[0]}\" >&2")
    done = subprocess.run(["bash", "-c", pipeline], capture_output=True, text=True, timeout=120)
    assert json.loads(done.stdout.splitlines()[0])["id"]
    assert "export=0" in done.stderr and "Traceback" not in done.stderr
