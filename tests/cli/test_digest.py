"""`mediebild digest`, `brief` and `digests list|show|export` as a user meets them: files and ids on
success, JSON on stdout with --json, one-line errors with exit 2, exit 1 when a send failed."""

from __future__ import annotations

import json
import socket
from datetime import datetime, timedelta, timezone

import pytest

from mediebild.cli import main
from mediebild.items import Item

H = datetime(2016, 3, 22, 8, tzinfo=timezone.utc)


@pytest.fixture
def db(db_path):
    from mediebild.data.store import Store

    with Store.open(db_path) as store:
        store.upsert_items([
            Item(id=f"i{i}", source="svt", kind="editorial", url=f"https://svt.example.se/{i}", title=f"Läget på Zaventem {i}",
                 text="Flygplatsen är stängd.", author=None, published_at=H + timedelta(minutes=i),
                 fetched_at=H + timedelta(minutes=i)) for i in range(5)])
    return db_path


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_digest_list_show_export(db, tmp_path, capsys):
    code, out, err = run(capsys, "digest", "--db", str(db), "--hour", "2016-03-22T09", "--format", "html,md,json",
                         "--out", str(tmp_path / "ut"))
    assert code == 0, err
    assert "digest-2016-03-22T08-sv-md-v1" in out and (tmp_path / "ut" / "digest-2016-03-22T08-sv-md-v1.md").exists()
    code, out, _ = run(capsys, "digests", "list", "--db", str(db), "--json")
    rows = json.loads(out)
    assert code == 0 and {r["format"] for r in rows} == {"html", "md", "json"}
    code, out, _ = run(capsys, "digests", "show", "digest-2016-03-22T08-sv-md-v1", "--db", str(db), "--json", "--body")
    shown = json.loads(out)
    assert shown["n_items"] == 5 and "Läget på Zaventem 4" in shown["body"] and shown["sends"] == []
    code, out, _ = run(capsys, "digests", "show", "digest-2016-03-22T08-sv-md-v1", "--db", str(db), "--body")
    assert out.startswith("# Mediebild")
    code, out, _ = run(capsys, "digests", "export", "digest-2016-03-22T08-sv-html-v1", "--db", str(db), "--out", str(tmp_path / "x"))
    assert code == 0 and (tmp_path / "x" / "digest-2016-03-22T08-sv-html-v1.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_brief_command(db, capsys):
    code, out, err = run(capsys, "brief", "--db", str(db), "--until", "2016-03-22T10", "--format", "md", "--json")
    assert code == 0, err
    [doc] = json.loads(out)["documents"]
    assert doc["id"] == "brief-2016-03-22T0900-sv-md-v1"


@pytest.mark.parametrize("args, message", [
    (["digest", "--format", "docx"], "unknown format"),
    (["digest", "--hour", "igår"], "not an hour"),
    (["digest", "--lang", "fi"], "unknown language"),
    (["brief", "--since", "2016-03-22T12", "--until", "2016-03-22T10"], "--since must be before"),
    (["digests", "show", "nope"], "no document 'nope'"),
    (["digests", "list", "--kind", "memo"], "--kind must be"),
])
def test_user_errors_are_one_line_exit_2(db, capsys, args, message):
    code, out, err = run(capsys, *args[:1], *(args[1:2] if args[0] == "digests" else []), "--db", str(db),
                         *(args[2:] if args[0] == "digests" else args[1:]))
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_failed_send_exits_1_and_keeps_the_digest(db, tmp_path, capsys, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = tmp_path / "mediebild.toml"
    config.write_text(f'[send]\nretries = 1\n[send.email]\nhost = "127.0.0.1"\nport = {port}\nstarttls = false\n'
                      'from = "a@b.se"\nto = ["c@d.se"]\ntimeout = 2\n', encoding="utf-8")
    monkeypatch.setenv("MEDIEBILD_CONFIG", str(config))
    code, out, err = run(capsys, "digest", "--db", str(db), "--hour", "2016-03-22T09", "--format", "md", "--send")
    assert code == 1 and "email c@d.se: failed" in err
    code, out, _ = run(capsys, "digests", "show", "digest-2016-03-22T08-sv-md-v1", "--db", str(db), "--json")
    assert json.loads(out)["sends"][0]["status"] == "failed"


def test_sends_are_listed_and_a_stored_digest_can_be_sent_again(db, tmp_path, capsys, monkeypatch):
    config = tmp_path / "mediebild.toml"
    config.write_text(f'[send]\nfolder = "{tmp_path / "utskick"}"\n', encoding="utf-8")
    monkeypatch.setenv("MEDIEBILD_CONFIG", str(config))
    code, out, err = run(capsys, "digest", "--db", str(db), "--hour", "2016-03-22T09", "--format", "md")
    assert code == 0, err
    code, out, err = run(capsys, "digests", "send", "digest-2016-03-22T08-sv-md-v1", "--db", str(db))
    assert code == 0 and "folder" in out and "delivered" in out
    assert (tmp_path / "utskick" / "digest-2016-03-22T08-sv-md-v1.md").exists()
    code, out, _ = run(capsys, "digests", "sends", "--db", str(db), "--json")
    assert [r["status"] for r in json.loads(out)] == ["delivered"]
    code, out, _ = run(capsys, "digests", "sends", "--db", str(db), "--failed", "--json")
    assert json.loads(out) == []


def test_a_narrowed_digest_says_so_and_is_stored_beside_the_full_one(db, tmp_path, capsys):
    code, out, err = run(capsys, "digest", "--db", str(db), "--hour", "2016-03-22T09", "--format", "md,json",
                         "--kind", "Sociala medier,official", "--out", str(tmp_path / "ut"), "--json")
    assert code == 0, err
    ids = [d["id"] for d in json.loads(out)["documents"]]
    assert all(i.startswith("digest-") and "-2016-03-22T08-sv-" in i and i.count("-") > 6 for i in ids), ids
    md = (tmp_path / "ut" / f"{ids[0]}.md").read_text(encoding="utf-8")
    assert "Urval: typ Sociala medier, Myndigheter" in md
    data = json.loads((tmp_path / "ut" / f"{ids[1]}.json").read_text(encoding="utf-8"))
    assert data["figures"]["current"]["items"] == 0  # the five items are editorial
    # the full hourly digest of the same hour is still version 1 of its own kind
    code, out, err = run(capsys, "digest", "--db", str(db), "--hour", "2016-03-22T09", "--format", "json", "--json")
    assert json.loads(out)["documents"][0]["id"] == "digest-2016-03-22T08-sv-json-v1"


@pytest.mark.parametrize("args, message", [
    (["--kind", "tv"], "--kind: unknown value 'tv'"),
    (["--tone", "negative"], "mediebild enrich"),
    (["--min-relevance", "2"], "not between 0 and 1"),
])
def test_narrowing_errors_are_one_line_exit_2(db, capsys, args, message):
    code, out, err = run(capsys, "digest", "--db", str(db), "--hour", "2016-03-22T09", "--format", "json", *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_listing_digests_includes_the_narrowed_ones(db, capsys):
    run(capsys, "digest", "--db", str(db), "--hour", "2016-03-22T09", "--format", "json")
    run(capsys, "digest", "--db", str(db), "--hour", "2016-03-22T09", "--format", "json", "--kind", "social")
    code, out, err = run(capsys, "digests", "list", "--db", str(db), "--kind", "digest", "--json")
    assert code == 0, err
    kinds = sorted(d["kind"] for d in json.loads(out))
    assert len(kinds) == 2 and kinds[0] == "digest" and kinds[1].startswith("digest-")
