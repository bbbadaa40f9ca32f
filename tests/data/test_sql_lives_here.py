"""All SQL of the project lives in data/, and the layers below the flows import nothing above them."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUTSIDE_DATA = ["flows", "reports", "cli", "monitors", "models", "demo", "web", "mediebild"]
SQL_CALLS = {"execute", "executemany", "sql"}  # DuckDB connection calls


def python_files(folder: str):
    root = REPO / folder
    # mediebild/ links the card folders in: only its own files are the core
    pattern = "*.py" if folder == "mediebild" else "**/*.py"
    return sorted(p for p in root.glob(pattern) if p.is_file())


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    found |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    return found


def test_no_sql_outside_data():
    offenders = []
    for folder in OUTSIDE_DATA:
        for path in python_files(folder):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS:
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno} .{node.func.attr}(")
    assert offenders == [], "SQL belongs in data/: " + ", ".join(offenders)


def test_data_and_reports_import_nothing_above_them():
    above = {
        "data": ("mediebild.flows", "mediebild.cli", "mediebild.monitors", "mediebild.models", "mediebild.reports",
                 "mediebild.demo", "mediebild.web"),
        "reports": ("mediebild.flows", "mediebild.cli", "mediebild.monitors", "mediebild.models", "mediebild.demo",
                    "mediebild.web"),
    }
    offenders = []
    for folder, forbidden in above.items():
        for path in python_files(folder):
            offenders += [f"{path.relative_to(REPO)} imports {m}" for m in imported_modules(path)
                          if m.startswith(forbidden)]
    assert offenders == []
