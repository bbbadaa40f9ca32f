"""`mediebild deploy` and `mediebild worker`: the flows on a real Prefect server, run by any number of workers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from mediebild.cli.common import DbOption, console, err_console, open_store


def deploy_to_server(db: Path, *, every: int = 0, out: Optional[Path] = None, pool: str = "mediebild",
                     paused: bool = False) -> list[str]:
    """What `deploy` (and `serve` with PREFECT_API_URL set) does; the deployments' names."""
    from mediebild.flows import configure_prefect
    from mediebild.flows.scale import check_api, deploy
    from mediebild.settings import load_settings

    url = check_api()
    settings = load_settings()
    open_store(db, create=True).close()
    configure_prefect(db)
    names = deploy(str(Path(db).resolve()), every_minutes=every or settings.ingest.every_minutes, settings=settings,
                   out_dir=out.resolve() if out else None, pool=pool, paused=paused)
    for name in names:
        console.print(f"deployment: [bold]{name}[/] i arbetspoolen {pool} på {url}")
    console.print(f"starta arbetare: mediebild worker --pool {pool} --db {Path(db).resolve()}")
    return names


def register(app: typer.Typer) -> None:
    @app.command("deploy")
    def deploy_command(
        db: DbOption = Path("mediebild.duckdb"),
        every: Annotated[int, typer.Option("--every", help="Minutes between monitoring passes (default from mediebild.toml, 5).")] = 0,
        out: Annotated[Optional[Path], typer.Option("--out", help="Folder the hourly digests are written to.")] = None,
        pool: Annotated[str, typer.Option("--pool", help="The Prefect work pool (a process pool, made when missing).")] = "mediebild",
        paused: Annotated[bool, typer.Option("--paused", help="Register the schedules paused (resume them in Prefect's UI, or `prefect deployment resume`).")] = False,
    ) -> None:
        """Register the schedules as deployments on the Prefect server at PREFECT_API_URL; workers run them.

        The monitoring pass spreads its ingest over the workers (groups of sources, `[scale] group_size`), under
        one rate limit per platform and one limit per source that hold across all workers.

        Examples:

          export PREFECT_API_URL=http://127.0.0.1:4200/api

          mediebild deploy --db /srv/mediebild/incident.duckdb --out digests/

          mediebild worker --db /srv/mediebild/incident.duckdb   # on each machine, as many as you like
        """
        deploy_to_server(db, every=every, out=out, pool=pool, paused=paused)

    @app.command("worker")
    def worker(
        db: Annotated[Optional[Path], typer.Option("--db", envvar="MEDIEBILD_DB", help="DuckDB file (env MEDIEBILD_DB, default `db` of mediebild.toml).")] = None,
        pool: Annotated[str, typer.Option("--pool", help="The Prefect work pool to take runs from.")] = "mediebild",
        limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="Flow runs at once on this worker (default: no limit).")] = None,
        name: Annotated[Optional[str], typer.Option("--name", help="The worker's name (default mediebild-HOST-PID).")] = None,
        heartbeat: Annotated[float, typer.Option("--heartbeat", min=1.0, help="Seconds between heartbeats; a worker silent for three is taken for dead and its runs are rerun.")] = 10.0,
        poll: Annotated[float, typer.Option("--poll", min=0.5, help="Seconds between the worker's looks for new runs.")] = 2.0,
        groups_only: Annotated[bool, typer.Option("--groups-only", help="Take only the groups of fanned-out passes (work queue `groups`): a machine without the DuckDB file, whose groups write into the shared intake (\\[store] catalog).")] = False,
    ) -> None:
        """A Prefect process worker for mediebild's flows (a thin wrapper over `prefect worker start`).

        Sets mediebild's settings for the runs it starts (the database from --db or mediebild.toml, the config
        file), checks that PREFECT_API_URL answers, then becomes `prefect worker start --type process`.

        Examples:

          PREFECT_API_URL=http://127.0.0.1:4200/api mediebild worker --db /srv/mediebild/incident.duckdb

          mediebild worker --limit 4 --name worker-a

          PGPASSWORD=... mediebild worker --groups-only   # another machine: groups into the shared intake
        """
        from mediebild.flows import configure_prefect
        from mediebild.flows.scale import check_api, worker_command, worker_environment
        from mediebild.settings import load_settings

        settings = load_settings()
        path = db or settings.db
        if groups_only and settings.store.catalog:
            from mediebild.data.intake import SharedIntake

            SharedIntake.open(settings.store.catalog, create=False).close()  # its groups write there, not into --db
        else:
            open_store(path).close()  # a clear error for a missing file before the worker takes any run
        check_api()
        configure_prefect(path)
        argv, worker_name = worker_command(pool=pool, limit=limit, name=name, groups_only=groups_only)
        env = worker_environment(db=path, name=worker_name, heartbeat_s=heartbeat, poll_s=poll)
        shared = groups_only and settings.store.catalog
        where = "den delade lagringen" if shared else f"databasen {Path(path).resolve()}"
        err_console.print(f"arbetare {worker_name}: poolen {pool}{' (bara grupper)' if groups_only else ''}, {where}")
        os.execve(argv[0], argv, env)  # the worker itself, under this pid: stopping it stops the worker
