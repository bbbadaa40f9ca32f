"""Packaging: the card's top-level folders install into one namespace, without an import hook.

mediebild/ holds a relative symlink to each top-level folder, so `mediebild.models` is models/ for Python,
for `pip install .` (setuptools copies through the links) and for static tools alike.
"""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CARD_FOLDERS = ("cli", "monitors", "models", "data", "reports", "flows", "demo", "web")


def test_every_card_folder_is_linked_into_the_namespace():
    for folder in CARD_FOLDERS:
        link = REPO / "mediebild" / folder
        assert link.is_symlink() and link.readlink() == Path("..") / folder, link
        module = importlib.import_module(f"mediebild.{folder}")
        assert Path(module.__file__).resolve().parent == (REPO / folder).resolve()


def test_packages_are_found_not_listed():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "package-dir" not in config, "a package-dir mapping needs an import hook in editable installs"
    assert config["packages"]["find"]["include"] == ["mediebild", "mediebild.*"]


def test_package_data_globs_cover_data_files():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    data = config["package-data"]
    assert "migrations/*.sql" in data["mediebild.data"]
    assert any(g.startswith("templates") for g in data["mediebild.reports"])
    assert any(g.startswith("artifacts") for g in data["mediebild.models"])
    assert any(g.startswith("scenario") for g in data["mediebild.demo"])
