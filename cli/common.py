"""What every command shares: the --db and --json options, the console, JSON output, opening the store."""

from __future__ import annotations

import json
import re
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from mediebild.errors import UserError
from mediebild.timeutil import STOCKHOLM, as_utc, utcnow

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
    """Open the store for a command; a missing file is a user error unless `create`.

    A read-only command whose database is held by a writer (`mediebild serve`, an ingest) reads the newest
    published snapshot instead (data/snapshot_read.py), and says so on stderr.
    """
    from mediebild.data.access import writer_present
    from mediebild.data.store import Store

    if read_only and Path(db).exists() and writer_present(Path(db)):
        from mediebild.data.snapshot_read import snapshot_store

        store = snapshot_store(db)
        err_console.print("[dim]Databasen skrivs just nu: visar den senast publicerade ögonblicksbilden.[/dim]")
        return store
    return Store.open(db, read_only=read_only, create=create, wait=WRITE_WAIT_SECONDS, on_wait=_say_waiting)


WRITE_WAIT_SECONDS = 120.0

_SPAN = re.compile(r"^(\d+)\s*(min|m|h|d)$")
_SPAN_UNITS = {"min": "minutes", "m": "minutes", "h": "hours", "d": "days"}


def parse_when(text: str | None, *, now: datetime | None = None) -> datetime | None:
    """A time for --since/--until: a span back from `now` (`90min`, `6h`, `7d`; default now: the clock), or
    `YYYY-MM-DD[THH[:MM]]` / an ISO time; naive times are Stockholm time. Aware UTC, or None for None."""
    if text is None:
        return None
    text = text.strip()
    span = _SPAN.match(text)
    if span:
        return (now or utcnow()) - timedelta(**{_SPAN_UNITS[span.group(2)]: int(span.group(1))})
    try:
        value = datetime.fromisoformat(text if len(text) != 13 else text + ":00")
    except ValueError as exc:
        raise UserError(f"not a time: {text!r} (use 6h, 7d, 2016-03-22, 2016-03-22T09 or 2016-03-22T09:30)") from exc
    return as_utc(value if value.tzinfo is not None else value.replace(tzinfo=STOCKHOLM))  # a pass holds the file for the seconds one step takes; a command waits for the gap


def _say_waiting() -> None:
    err_console.print("[dim]Databasen skrivs just nu av ett pass: väntar tills det är klart …[/dim]")


# Sub-command groups that several modules fill: `mediebild eval TASK`, `mediebild train TASK`.
eval_app = typer.Typer(
    help="Evaluate the shipped models on held-out data; prints a table, or one JSON object with --json.",
    no_args_is_help=True,
)
train_app = typer.Typer(help="Train (reproduce) the shipped model artefacts.", no_args_is_help=True)
