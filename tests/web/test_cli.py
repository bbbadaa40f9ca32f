"""`mediebild users` and `mediebild web`: the password never an argument, read from stdin when not a terminal,
stored as an argon2id hash and never shown; `web --help` and `serve --dry-run` name the page."""

from __future__ import annotations

import json

from mediebild.cli.main import main
from mediebild.data.store import Store
from mediebild.data.users import get_user

PASSWORD = "ett långt lösenord för test"


def run(args, capsys, monkeypatch, stdin: str = ""):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_users_add_reads_the_password_from_stdin_and_stores_a_hash(tmp_path, capsys, monkeypatch):
    db = tmp_path / "u.duckdb"
    code, out, err = run(["users", "add", "Anna", "--role", "editor", "--org", "Länsstyrelsen", "--db", str(db)],
                         capsys, monkeypatch, PASSWORD + "\n")
    assert code == 0, err
    with Store.open(db, read_only=True) as store:
        user = get_user(store.con, "anna")
    assert user["role"] == "editor" and user["organisation"] == "Länsstyrelsen"
    assert user["password_hash"].startswith("$argon2id$") and PASSWORD not in user["password_hash"]
    assert PASSWORD.encode() not in db.read_bytes()
    code, out, _ = run(["users", "list", "--json", "--db", str(db)], capsys, monkeypatch)
    listed = json.loads(out)
    assert listed[0]["name"] == "anna" and "password_hash" not in listed[0] and "argon2" not in out
    code, _, err = run(["users", "add", "anna", "--role", "reader", "--db", str(db)], capsys, monkeypatch, PASSWORD + "\n")
    assert code == 2 and "exists" in err


def test_users_add_refuses_short_passwords_bad_roles_and_names(tmp_path, capsys, monkeypatch):
    db = tmp_path / "u.duckdb"
    assert run(["users", "add", "bo", "--db", str(db)], capsys, monkeypatch, "kort\n")[0] == 2
    assert run(["users", "add", "bo", "--role", "boss", "--db", str(db)], capsys, monkeypatch, PASSWORD + "\n")[0] == 2
    assert run(["users", "add", "bo bo", "--db", str(db)], capsys, monkeypatch, PASSWORD + "\n")[0] == 2


def test_users_role_passwd_and_remove(tmp_path, capsys, monkeypatch):
    db = tmp_path / "u.duckdb"
    run(["users", "add", "bo", "--db", str(db)], capsys, monkeypatch, PASSWORD + "\n")
    with Store.open(db, read_only=True) as store:
        first = get_user(store.con, "bo")["password_hash"]
    assert run(["users", "role", "bo", "admin", "--db", str(db)], capsys, monkeypatch)[0] == 0
    assert run(["users", "passwd", "bo", "--db", str(db)], capsys, monkeypatch, PASSWORD + " nytt\n")[0] == 0
    assert run(["users", "remove", "bo", "--db", str(db)], capsys, monkeypatch)[0] == 0
    with Store.open(db, read_only=True) as store:
        user = get_user(store.con, "bo")
    assert user["role"] == "admin" and user["disabled"] and user["password_hash"] != first


def test_web_help_and_serve_names_the_page(tmp_path, capsys, monkeypatch):
    code, out, _ = run(["web", "--help"], capsys, monkeypatch)
    assert code == 0 and "--port" in out and "users add" in out
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(["serve", "--dry-run", "--db", str(tmp_path / "s.duckdb")], capsys, monkeypatch)
    assert code == 0 and "http://127.0.0.1:8080/" in out


def test_web_starts_on_a_published_store_and_counts_its_accounts(tmp_path):
    """The page reads the published snapshot, where accounts never are: `mediebild web` must count them in the
    file itself (it once crashed with "Table with name users does not exist" once a snapshot had been published)."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    from mediebild.flows.publish import publish_step

    db = tmp_path / "w.duckdb"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    subprocess.run([sys.executable, "-m", "mediebild.cli", "users", "add", "anna", "--role", "editor", "--db", str(db)],
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True, env=env)
    publish_step(str(db))
    assert list((tmp_path / "w.duckdb.snapshots").glob("v*")), "nothing was published"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "mediebild.cli", "web", "--db", str(db), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        deadline, seen = time.monotonic() + 60, ""
        while time.monotonic() < deadline and "lägesrummet:" not in seen and proc.poll() is None:
            seen += proc.stdout.readline()
        assert "lägesrummet:" in seen, seen
        assert "Traceback" not in seen and "inga konton" not in seen
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
