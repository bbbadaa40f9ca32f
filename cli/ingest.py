"""`mediebild ingest` (one pass over all sources) and `mediebild serve` (the Prefect schedules, served here or
registered on the Prefect server at PREFECT_API_URL for workers: cli/scale.py)."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from mediebild.cli.common import DbOption, JsonOption, console, emit_json, err_console, open_store


def print_summary(summary, *, title: str = "Inhämtning") -> None:
    table = Table("källa", "status", "HTTP", "poster", "nya", "uppdaterade", "problem", title=title)
    for row in summary.per_source:
        status = "[green]OK[/]" if row["ok"] else "[red]FEL[/]"
        if row["not_modified"]:
            status = "[green]oförändrad[/]"
        problem = row["problem"] or ", ".join(row["warnings"])
        table.add_row(row["source"], status, str(row["status"] or "–"), str(row["items"]), str(row["new"]),
                      str(row["updated"]), (problem or "")[:70])
    console.print(table)
    line = f"{summary.sources} källor, {summary.items_new} nya och {summary.items_updated} uppdaterade poster"
    if summary.failed:
        err_console.print(f"[red]{line}; {len(summary.failed)} källor misslyckades: {', '.join(summary.failed)}[/]")
    else:
        console.print(line)


def register(app: typer.Typer) -> None:
    @app.command("ingest")
    def ingest(
        db: DbOption = Path("mediebild.duckdb"),
        once: Annotated[bool, typer.Option("--once", help="One pass and exit (the default; `serve` repeats).")] = True,
        engine: Annotated[str, typer.Option("--engine", help="prefect (a flow run), plain (no Prefect, for scripts) or workers (spread over the workers of PREFECT_API_URL's pool, after `mediebild deploy`).")] = "prefect",
        catalog: Annotated[Optional[str], typer.Option(
            "--catalog", help="Write into this shared intake (postgresql://user@host:port/db; default \\[store] "
                              "catalog in mediebild.toml; password from PGPASSWORD) instead of --db.")] = None,
        as_json: JsonOption = False,
    ) -> None:
        """One pass over every enabled source: fetch, parse, store. Exit 1 if some sources failed.

        With a shared store (\\[store] catalog, or --catalog) this is a worker: it fetches the sources it claims in
        the intake and writes there; the writer's `mediebild intake` (or `serve`) pulls them into the database.

        Examples:

          mediebild ingest

          mediebild ingest --engine plain --json

          PGPASSWORD=... mediebild ingest --catalog postgresql://mediebild@db.internal/incident

          PREFECT_API_URL=http://127.0.0.1:4200/api mediebild ingest --engine workers
        """
        from mediebild.errors import UserError
        from mediebild.monitors.http import HttpLimits
        from mediebild.settings import load_settings

        settings = load_settings()
        cfg = settings.ingest
        limits = HttpLimits(connect_timeout=cfg.connect_timeout_s, read_timeout=cfg.read_timeout_s,
                            deadline=cfg.deadline_s, max_bytes=cfg.max_bytes)
        catalog = catalog or settings.store.catalog
        if catalog:
            from mediebild.data.intake import SharedIntake

            with SharedIntake.open(catalog) as shared:
                n = len(shared.all_sources())
            where = "the shared store: the writer's `mediebild intake` pushes the sources of its database"
        else:
            with open_store(db) as store:
                n = len(store.sources())
            where = f"{db}: add one with `mediebild sources add URL`"
        if n == 0:
            raise UserError(f"no sources in {where}")
        if engine == "plain":
            from mediebild.flows.ingest import ingest_pass, open_ingest_store

            with open_ingest_store(str(db), catalog, wait=120.0) as store:
                summary = ingest_pass(store, limits=limits, concurrency=cfg.concurrency)
        elif engine == "prefect":
            from mediebild.flows import configure_prefect

            configure_prefect(db)
            from mediebild.flows.ingest import run_ingest_flow

            with console.status("Hämtar källor (Prefect-flöde)…", spinner="dots") if not as_json else nullcontext():
                summary = run_ingest_flow(str(db), concurrency=cfg.concurrency, retries=cfg.retries,
                                          retry_delay_s=cfg.retry_delay_s, limits=limits, catalog=catalog)
        elif engine == "workers":
            from mediebild.flows import configure_prefect
            from mediebild.flows.scale import check_api

            check_api()
            configure_prefect(db)
            from mediebild.flows.fanout import fan_out_ingest

            scale = settings.raw.get("scale") or {}
            with console.status("Hämtar källor (arbetarna)…", spinner="dots") if not as_json else nullcontext():
                result = fan_out_ingest(str(Path(db).resolve()), catalog=catalog, retries=cfg.retries,
                                        retry_delay_s=cfg.retry_delay_s,
                                        limits=limits, concurrency=cfg.concurrency, rates=scale.get("rates"),
                                        group_size=int(scale.get("group_size", 8)))
            if as_json:
                emit_json(result.as_dict())
            else:
                print_summary(result.summary)
                for note in result.reruns:
                    err_console.print(f"[yellow]omkörd grupp: {note['reason']} ({len(note['sources_left'])} källor kvar)[/]")
                if catalog:
                    err_console.print("hämtat till den delade lagringen: `mediebild intake` för in det i databasen")
            raise typer.Exit(result.summary.exit_code)
        else:
            raise UserError(f"unknown --engine {engine!r}: prefect, plain or workers")
        if as_json:
            emit_json(summary.as_dict())
        else:
            print_summary(summary)
        raise typer.Exit(summary.exit_code)

    @app.command("serve")
    def serve(
        db: DbOption = Path("mediebild.duckdb"),
        every: Annotated[int, typer.Option("--every", help="Minutes between ingest passes (default from mediebild.toml, 5).")] = 0,
        out: Annotated[Optional[Path], typer.Option("--out", help="Folder the hourly digests are written to.")] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the schedules and exit.")] = False,
    ) -> None:
        """Run the schedules with Prefect: ingest every few minutes, the digest every hour, briefs before conferences.

        Runs until stopped (Ctrl-C). Starts a local Prefect server (127.0.0.1) unless PREFECT_API_URL points at one.
        With PREFECT_API_URL set, registers the deployments there instead (`mediebild deploy`: workers started
        with `mediebild worker` run them) and serves only the situation room, when `[web] serve` is on.

        Examples:

          mediebild serve --out digests/

          mediebild serve --every 2 --db /srv/mediebild/incident.duckdb

          PREFECT_API_URL=http://prefect.internal:4200/api mediebild serve
        """
        from mediebild.flows import configure_prefect
        from mediebild.flows.serve import build_deployments, describe, prefect_api, serve_all
        from mediebild.settings import load_settings

        settings = load_settings()
        minutes = every or settings.ingest.every_minutes
        open_store(db, create=True).close()
        db_abs = str(Path(db).resolve())
        for name, schedule in describe(every_minutes=minutes, raw=settings.raw):
            console.print(f"schema: [bold]{name}[/] – {schedule}")
        if dry_run:
            return
        import os

        if os.environ.get("PREFECT_API_URL"):
            from mediebild.cli.scale import deploy_to_server
            from mediebild.flows.serve import WebServer
            from mediebild.web.config import load_web_settings

            deploy_to_server(db, every=minutes, out=out)
            web_settings = load_web_settings(settings.raw)
            if web_settings.serve:
                page = WebServer(db_abs, web_settings)
                console.print(f"lägesrummet: {page.url}  (Ctrl-C avslutar)")
                page.run()
            return
        configure_prefect(db)
        with prefect_api():  # a Prefect server whose scheduler runs (the in-process one never schedules a run)
            serve_all(build_deployments(db_abs, every_minutes=minutes, settings=settings,
                                        out_dir=out.resolve() if out else None))
