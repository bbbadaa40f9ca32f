"""What every command shares: the --db and --json options, the console, JSON output, opening the store."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

DEFAULT_DB = Path("mediebild.duckdb")

DbOption = Annotated[
    Path,
    typer.Option("--db", envvar="MEDIEBILD_DB", help="DuckDB file (env MEDIEBILD_DB).", show_default=True),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout, nothing else.")]
LangOption = Annotated[str, typer.Option("--lang", help="Language of text for people: sv or en.")]

# Tables and progress go to stdout for people; with --json only the document goes to stdout.
console = Console()
err_console = Console(stderr=True)


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def emit_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=_default) + "\n")


def open_store(db: Path, *, read_only: bool = False, create: bool = False):
    """Open the store for a command; a missing file is a user error unless `create`."""
    from mediebild.data.store import Store

    return Store.open(db, read_only=read_only, create=create)


# Sub-command groups that several modules fill: `mediebild eval TASK`, `mediebild train TASK`.
eval_app = typer.Typer(
    help="Evaluate the shipped models on held-out data; prints a table, or one JSON object with --json.",
    no_args_is_help=True,
)
train_app = typer.Typer(help="Train (reproduce) the shipped model artefacts.", no_args_is_help=True)
