"""Packaging: every Python package folder is listed in pyproject, so `pip install .` carries it too.

An editable install finds modules that a wheel would leave out; this test catches that difference
without building a wheel.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_installed():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    package_dir = config["package-dir"]
    listed = set(config["packages"])
    expected = set()
    for package, folder in package_dir.items():
        for init in (REPO / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / folder)
            if "__pycache__" in rel.parts:
                continue
            expected.add(".".join([package, *rel.parts]) if rel.parts else package)
    assert expected <= listed, f"packages missing from pyproject: {sorted(expected - listed)}"


def test_package_data_globs_cover_data_files():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    data = config["package-data"]
    assert "migrations/*.sql" in data["mediebild.data"]
    assert any(g.startswith("templates") for g in data["mediebild.reports"])
    assert any(g.startswith("artifacts") for g in data["mediebild.models"])
    assert any(g.startswith("scenario") for g in data["mediebild.demo"])
