"""The README is tested against the CLI: every `mediebild ...` command it shows exists, with its flags."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import typer

from mediebild.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"


def cli_tree():
    root = typer.main.get_command(app)
    return root


def resolve(words: list[str]):
    """The click command a README line names, and the words left for its options."""
    cmd = cli_tree()
    rest = list(words)
    while rest and hasattr(cmd, "commands") and rest[0] in cmd.commands:
        cmd = cmd.commands[rest.pop(0)]
    return cmd, rest


def readme_commands() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            while words and "=" in words[0]:  # VAR=value prefixes
                words.pop(0)
            if words and words[0] == "mediebild":
                found.append(words[1:])
    return found


def test_readme_commands_exist():
    commands = readme_commands()
    assert len(commands) >= 10
    for words in commands:
        cmd, rest = resolve(words)
        runnable = not hasattr(cmd, "commands") or getattr(cmd, "invoke_without_command", False)
        assert runnable, f"README names an unknown command or a bare group: mediebild {' '.join(words)}"
        options = {opt for param in cmd.params for opt in getattr(param, "opts", [])}
        for word in rest:
            if word.startswith("--"):
                assert word.split("=")[0] in options, f"unknown option {word} in README: mediebild {' '.join(words)}"


def test_readme_names_the_test_command():
    text = README.read_text(encoding="utf-8")
    assert "make test" in text and "make demo" in text
    ci = (README.parent / ".ci" / "run").read_text()
    assert "make test" in ci


def test_readme_configuration_example_is_valid(tmp_path, monkeypatch):
    """The mediebild.toml shown in the README loads: settings, [send] and the incident profile."""
    from mediebild.profile import Profile
    from mediebild.reports.send import load_send_settings
    from mediebild.settings import load_settings

    blocks = re.findall(r"```toml\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)
    config = next(b for b in blocks if "[ingest]" in b)
    path = tmp_path / "mediebild.toml"
    path.write_text(config, encoding="utf-8")
    monkeypatch.setenv("MEDIEBILD_CONFIG", str(path))
    settings = load_settings()
    assert settings.ingest.concurrency == 4 and settings.lang == "sv"
    load_send_settings(settings.raw)
    profile = next(b for b in blocks if "[terms]" in b)
    assert Profile.from_text(profile).name == "Attackerna i Bryssel"
