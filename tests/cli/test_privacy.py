"""`mediebild purge` and `mediebild forget` as a user meets them."""

from __future__ import annotations

import json

from mediebild.cli import main


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_purge_and_forget_commands(db_path, capsys):
    code, out, _ = run(["purge", "--older-than", "7d", "--json", "--db", str(db_path)], capsys)
    assert code == 0 and json.loads(out) == {"purged": 0, "older_than_days": 7.0}
    code, _, err = run(["purge", "--older-than", "a week", "--db", str(db_path)], capsys)
    assert code == 2 and "30d" in err
    code, out, _ = run(["forget", "--author", "@anna_s", "--json", "--db", str(db_path)], capsys)
    assert code == 0 and json.loads(out)["items_removed"] == 0
    code, _, err = run(["forget", "--author", "@", "--db", str(db_path)], capsys)
    assert code == 2
