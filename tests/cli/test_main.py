"""The command line as a user meets it: help with examples, one-line errors with exit 2, JSON on stdout."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import typer

from mediebild.cli import app, main


def all_commands():
    root = typer.main.get_command(app)
    found = []

    def walk(cmd, path):
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                walk(sub, path + [name])
        else:
            found.append(path)

    walk(root, [])
    return found


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_every_command_has_help_with_examples(capsys):
    commands = all_commands()
    assert ["init"] in commands and ["sources", "add"] in commands and ["ingest"] in commands
    missing = []
    for path in commands:
        code, out, _ = run(path + ["--help"], capsys)
        assert code == 0, path
        if "Example" not in out and "example" not in out:
            missing.append(" ".join(path))
    assert not missing, f"--help without examples: {missing}"


def one_line_error(err: str) -> None:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert "Traceback" not in err
    assert len(lines) == 1, err
    assert lines[0].startswith("mediebild: error:")


def test_missing_database(tmp_path, capsys):
    code, _, err = run(["sources", "list", "--db", str(tmp_path / "none" / "x.duckdb")], capsys)
    assert code == 2
    one_line_error(err)
    assert "mediebild init" in err


def test_db_is_a_folder(tmp_path, capsys):
    code, _, err = run(["init", "--db", str(tmp_path)], capsys)
    assert code == 2
    one_line_error(err)


def test_init_in_missing_folder(tmp_path, capsys):
    code, _, err = run(["init", "--db", str(tmp_path / "no" / "such" / "x.duckdb")], capsys)
    assert code == 2
    one_line_error(err)


def test_corrupt_database_file(tmp_path, capsys):
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"this is not a duckdb file" * 100)
    code, _, err = run(["sources", "list", "--db", str(bad)], capsys)
    assert code == 2
    one_line_error(err)


def test_missing_opml_and_bad_url(db_path, tmp_path, capsys):
    code, _, err = run(["sources", "import", str(tmp_path / "nope.opml"), "--db", str(db_path)], capsys)
    assert code == 2
    one_line_error(err)
    code, _, err = run(["sources", "add", "ftp://example.com/feed", "--db", str(db_path)], capsys)
    assert code == 2
    one_line_error(err)
    code, _, err = run(["sources", "add", "https://example.com/feed", "--kind", "myspace", "--db", str(db_path)], capsys)
    assert code == 2
    one_line_error(err)


def test_unknown_option_is_a_usage_error(capsys):
    code, _, err = run(["ingest", "--no-such-flag"], capsys)
    assert code == 2
    assert "Traceback" not in err


def test_opml_import_and_list_json(db_path, tmp_path, capsys):
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>Källor</title></head><body>'
        '<outline text="Nyheter"><outline text="Testposten" xmlUrl="https://www.testposten.se/rss.xml"/>'
        '<outline text="Mälarradion" xmlUrl="https://www.malarradion.se/feed.json"/></outline></body></opml>',
        encoding="utf-8",
    )
    code, _, _ = run(["sources", "import", str(opml), "--db", str(db_path)], capsys)
    assert code == 0
    code, out, _ = run(["sources", "list", "--json", "--db", str(db_path)], capsys)
    assert code == 0
    listed = json.loads(out)
    assert {s["id"] for s in listed} == {"testposten-se", "malarradion-se"}
    assert {s["name"] for s in listed} == {"Testposten", "Mälarradion"}


def test_ingest_without_sources_is_a_user_error(db_path, capsys):
    code, _, err = run(["ingest", "--engine", "plain", "--db", str(db_path)], capsys)
    assert code == 2
    one_line_error(err)


def test_ingest_json_and_exit_1_on_failures(db_path, httpserver, capsys):
    httpserver.expect_request("/ok.xml").respond_with_data(
        '<rss version="2.0"><channel><title>ok</title><item><title>Hej</title><link>https://ok.example/1</link></item>'
        "</channel></rss>"
    )
    httpserver.expect_request("/fail.xml").respond_with_data("", status=404)
    for name in ("ok", "fail"):
        assert run(["sources", "add", httpserver.url_for(f"/{name}.xml"), "--name", name, "--db", str(db_path)], capsys)[0] == 0
    code, out, _ = run(["ingest", "--engine", "plain", "--json", "--db", str(db_path)], capsys)
    assert code == 1
    summary = json.loads(out)
    assert summary["failed"] == ["fail"] and summary["items_new"] == 1
    code, out, _ = run(["sources", "health", "--json", "--db", str(db_path)], capsys)
    health = {r["id"]: r for r in json.loads(out)}
    assert health["fail"]["status"] == "failing" and health["fail"]["last_error"].startswith("http_404")


def test_bad_config_file(db_path, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mediebild.toml").write_text("[ingest]\nconcurrency = 'many'\n")
    code, _, err = run(["ingest", "--engine", "plain", "--db", str(db_path)], capsys)
    assert code == 2
    one_line_error(err)
    assert "ingest.concurrency" in err


def test_console_script_runs():
    done = subprocess.run([sys.executable, "-m", "mediebild.cli", "--version"], capture_output=True, text=True, cwd="/")
    assert done.returncode == 0 and done.stdout.startswith("mediebild ")


def test_serve_dry_run_lists_the_schedules(tmp_path, capsys):
    code, out, _ = run(["serve", "--dry-run", "--every", "3", "--db", str(tmp_path / "serve.duckdb")], capsys)
    assert code == 0
    assert "mediebild-ingest" in out and "var 3:e minut" in out and "hourly-digest" in out
