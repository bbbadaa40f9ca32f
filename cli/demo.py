"""`mediebild demo`: the bundled incident scenario, end to end, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mediebild.cli.common import JsonOption, LangOption, console, emit_json


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        out: Annotated[Path, typer.Option("--out", help="Folder for the digests, the brief and the database.")] = Path("demo-out"),
        db: Annotated[Optional[Path], typer.Option("--db", help="DuckDB file (default: OUT/mediebild-demo.duckdb; replaced).")] = None,
        lang: LangOption = "sv",
        formats: Annotated[str, typer.Option("--format", help="Comma-separated: html, md, pdf, json.")] = "html,md,pdf,json",
        engine: Annotated[str, typer.Option("--engine", help="prefect (flow runs) or plain.")] = "prefect",
        as_json: JsonOption = False,
    ) -> None:
        """Replay the bundled incident (a Swedish exercise day modelled on 22 March 2016) end to end, offline.

        A local server on 127.0.0.1 serves the scenario's feeds as simulated time advances; every simulated
        hour is ingested, enriched, clustered into stories and summed up in a digest; a brief for the
        coordination conference closes the day. No network, nothing to start.

        Examples:

          mediebild demo

          mediebild demo --out /tmp/ovning --lang en --format html,pdf
        """
        from mediebild.errors import UserError
        from mediebild.flows.demo import run_demo

        fmt = tuple(f.strip() for f in formats.split(",") if f.strip())
        bad = [f for f in fmt if f not in ("html", "md", "pdf", "json")]
        if bad or not fmt:
            raise UserError(f"unknown --format {','.join(bad) or formats!r}: use html, md, pdf, json")
        if lang not in ("sv", "en"):
            raise UserError(f"unknown --lang {lang!r}: sv or en")
        if engine not in ("prefect", "plain"):
            raise UserError(f"unknown --engine {engine!r}: prefect or plain")
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), console=console, disable=as_json, transient=False) as bar:
            task = bar.add_task("Övningsscenario: Bryssel", total=None)

            def progress(label: str, done: int, total: int) -> None:
                bar.update(task, description=f"Övningsscenario: {label}", completed=done, total=total)

            result = run_demo(out, db=db, lang=lang, formats=fmt, use_prefect=engine == "prefect", progress=progress)
        latest = {}
        for doc in result.documents:
            latest[(str(doc["id"]).split("-", 1)[0], doc["format"])] = doc
        if as_json:
            emit_json({"db": result.db, "out": result.out, "hours": result.hours, "items": result.items,
                       "seconds": round(result.seconds, 1), "steps": {k: round(v, 2) for k, v in result.steps.items()},
                       "documents": result.documents})
            return
        console.print(f"\n[green]Klart[/] på {result.seconds:.0f} s: {result.hours} simulerade timmar, "
                      f"{result.items} poster, {len([d for d in result.documents])} dokument.")
        table = Table("vad", "var", title="Titta här")
        table.add_row("databasen", str(result.db))
        names = {"digest": "senaste timrapport", "brief": "konferensunderlag"}
        for (kind, fmt_name), doc in latest.items():
            if doc.get("path"):
                table.add_row(f"{names.get(kind, kind)} ({fmt_name})", str(doc["path"]))
        table.add_row("alla dokument", str(result.out))
        console.print(table)
        console.print(f"Utforska: [bold]mediebild sources health --db {result.db}[/], "
                      f"[bold]mediebild digests list --db {result.db}[/],\n"
                      f"[bold]mediebild top entities --db {result.db}[/], "
                      f"[bold]mediebild trends explosion bryssel --db {result.db}[/], "
                      f"[bold]mediebild search 'zaventem OR maelbeek' --db {result.db}[/]")
