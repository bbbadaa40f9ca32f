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
