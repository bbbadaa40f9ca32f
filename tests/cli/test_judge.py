"""`mediebild judge`, `mediebild judgements list|ask` and `mediebild profile suggest`."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from mediebild.cli import main
from mediebild.data.store import Store
from mediebild.items import Item

NOW = datetime(2026, 9, 7, 9, 0, tzinfo=timezone.utc)


def make_db(db_path):
    with Store.open(db_path, create=True) as store:
        with store.transaction():
            store.upsert_items([Item(id="a1", source="s", kind="social", url="https://x.example/a1", title="",
                                     text="Kö vid tanken", author=None, published_at=NOW, fetched_at=NOW)])
        store.con.execute("INSERT INTO stories (id, created_at, updated_at) VALUES ('S7', ?, ?)",
                          [NOW.replace(tzinfo=None)] * 2)


def test_judge_records_who_what_when_and_lists_them(db_path, capsys):
    make_db(db_path)
    assert main(["judge", "a1", "relevant", "--note", "kön gäller vattnet", "--by", "anna", "--db", str(db_path),
                 "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["target"] == "item" and row["relevant"] is True and row["judged_by"] == "anna"
    assert main(["judge", "S7", "not-relevant", "--db", str(db_path)]) == 0
    assert "S7" in capsys.readouterr().out
    assert main(["judgements", "list", "--db", str(db_path), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["target"], r["target_id"], r["relevant"]) for r in rows] == [("item", "a1", True), ("story", "S7", False)]
    assert rows[0]["note"] == "kön gäller vattnet" and rows[0]["judged_at"].startswith("20")
    assert rows[1]["judged_by"]


def test_judge_refuses_unknown_ids_and_verdicts(db_path, capsys):
    make_db(db_path)
    assert main(["judge", "nope", "relevant", "--db", str(db_path)]) == 2
    assert main(["judge", "a1", "maybe", "--db", str(db_path)]) == 2
    assert main(["judgements", "list", "--db", str(db_path), "--json"]) == 0
    capsys.readouterr()


def test_ask_and_suggest_need_a_profile_and_work_on_an_empty_pass(db_path, capsys, tmp_path):
    make_db(db_path)
    assert main(["profile", "suggest", "--db", str(db_path)]) == 2
    profile = tmp_path / "p.toml"
    profile.write_text('name = "Vatten"\nstart = "2026-09-07T08:00:00+00:00"\n[terms]\nsv = ["kokvatten"]\n',
                       encoding="utf-8")
    assert main(["profile", "set", str(profile), "--db", str(db_path)]) == 0
    capsys.readouterr()
    assert main(["profile", "suggest", "--db", str(db_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["terms"] == [] and result["profile"] == "Vatten"
    assert main(["judgements", "ask", "--db", str(db_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
