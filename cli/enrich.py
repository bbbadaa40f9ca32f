"""`mediebild enrich`: language, lemmas, relevance, categories, tone and entities for every pending item."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from mediebild.cli.common import DbOption, JsonOption, console, emit_json, err_console, open_store


def print_summary(summary: dict) -> None:
    console.print(
        f"{summary['items']} poster berikade, {summary['relevant']} relevanta, "
        f"entiteter i {summary['ner_items']} poster ({summary['entities']} st), "
        f"{summary['seconds']:.1f} s"
    )
    if summary["by_language"]:
        table = Table("språk", "poster", title="Per språk")
        for lang, n in summary["by_language"].items():
            table.add_row(lang, str(n))
        console.print(table)
    if summary["by_info_type"]:
        table = Table("informationstyp", "poster", title="Per informationstyp")
        for kind, n in summary["by_info_type"].items():
            table.add_row(kind, str(n))
        console.print(table)
    missing = [name for name, there in summary["models"].items() if not there]
    if missing:
        err_console.print(f"[yellow]modeller saknas ännu ({', '.join(missing)}): de kolumnerna lämnas tomma[/]")


def register(app: typer.Typer) -> None:
    @app.command("enrich")
    def enrich(
        db: DbOption = Path("mediebild.duckdb"),
        batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Items per batch (one transaction each).")] = 2000,
        limit: Annotated[int | None, typer.Option("--limit", min=1, help="Enrich at most this many items.")] = None,
        workers: Annotated[int, typer.Option("--workers", min=1, max=8, help="Processes computing batches (2 on a 2-core machine).")] = 1,
        as_json: JsonOption = False,
    ) -> None:
        """Enrich what is pending: language, lemmas, relevance, information type, tone; entities for relevant items.

        An item is pending when it has not been enriched, or was enriched by older models, an older version of
        the item or another incident profile. Re-running is safe: each item's rows are replaced.

        Examples:

          mediebild enrich

          mediebild enrich --db demo.duckdb --json

          MEDIEBILD_DB=monitor.duckdb mediebild enrich --batch-size 500 --workers 2
        """
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        from mediebild.flows.enrich import enrich_pending

        with open_store(db) as store:
            if as_json:
                summary = enrich_pending(store, batch_size=batch_size, limit=limit, workers=workers)
                emit_json(summary)
                return
            columns = (TextColumn("berikar"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
            with Progress(*columns, console=console, transient=True) as bar:
                task = bar.add_task("enrich", total=None)

                def progress(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                summary = enrich_pending(store, batch_size=batch_size, limit=limit, progress=progress, workers=workers)
        print_summary(summary)
