"""`mediebild store migrate` (embedded <-> shared store) and `mediebild intake` (the writer pulls the shared intake)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from mediebild.cli.common import DbOption, JsonOption, console, emit_json, err_console, open_store

store_app = typer.Typer(help="The store's modes: embedded (one DuckDB file) and shared (a Postgres intake).",
                        no_args_is_help=True)

CatalogOption = Annotated[
    Optional[str],
    typer.Option("--catalog", help="The shared intake, postgresql://user@host:port/db (default: \\[store] catalog in "
                                   "mediebild.toml, env MEDIEBILD_STORE__CATALOG); the password from PGPASSWORD."),
]


def catalog_or_fail(catalog: str | None) -> str:
    """The catalog given, else the settings'; a UserError when there is none."""
    from mediebild.errors import UserError
    from mediebild.settings import load_settings

    found = catalog or load_settings().store.catalog
    if not found:
        raise UserError("no shared store configured: set [store] catalog = \"postgresql://user@host:port/db\" in "
                        "mediebild.toml (password in PGPASSWORD) or pass --catalog")
    return found


def _progress(quiet: bool) -> Any:
    if quiet:
        return None
    last: dict[str, int] = {}

    def show(table: str, done: int, total: int) -> None:
        if done == total or done - last.get(table, 0) >= 100_000:
            last[table] = done
            err_console.print(f"[dim]{table}: {done:,} / {total:,}[/dim]")

    return show


def register(app: typer.Typer) -> None:
    app.add_typer(store_app, name="store")

    @store_app.command("migrate")
    def migrate(
        to: Annotated[str, typer.Option("--to", help="postgresql://user@host:port/db (embedded -> shared) or "
                                                     "FILE.duckdb (shared -> a new standalone database).")],
        db: DbOption = Path("mediebild.duckdb"),
        catalog: CatalogOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Move the embedded database into the shared store, or the shared store into a new DuckDB file.

        Embedded -> shared copies sources (with their cursors), items, fetches, problems and profiles from --db
        into an empty intake, checks every table's row count and ids, and tells --db which rows it already has,
        so its first `mediebild intake` pulls only what workers write afterwards. --db stays the writer's store
        (enrichment, stories, digests live there). Then set \\[store] catalog in mediebild.toml.

        Shared -> FILE.duckdb copies the intake (from --catalog or \\[store] catalog) into a new standalone
        database, for an exercise export; `mediebild enrich --db FILE.duckdb` makes its enrichment and stories.

        The password comes from PGPASSWORD (or ~/.pgpass), never from the URL.

        Examples:

          PGPASSWORD=... mediebild store migrate --to postgresql://mediebild@db.internal:5432/incident

          PGPASSWORD=... mediebild store migrate --to exercise-2026-03-22.duckdb --catalog postgresql://mediebild@db.internal/incident
        """
        from mediebild.data.intake import SharedIntake
        from mediebild.data.intake_migrate import to_duckdb, to_intake

        progress = _progress(as_json)
        if to.startswith(("postgresql://", "postgres://")):
            with open_store(db) as store, SharedIntake.open(to) as intake:
                result = to_intake(store, intake, progress=progress)
        else:
            with SharedIntake.open(catalog_or_fail(catalog), create=False) as intake:
                result = to_duckdb(intake, Path(to), progress=progress)
        if as_json:
            emit_json(result)
            return
        rows = ", ".join(f"{n:,} {t}" for t, n in result["rows"].items())
        target = "the shared store" if result["to"] == "shared" else result["to"]
        console.print(f"Copied to {target} and checked (counts and ids): {rows} in {result['seconds']} s")

    @app.command("intake")
    def intake(
        db: DbOption = Path("mediebild.duckdb"),
        catalog: CatalogOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """The writer's pull: what workers wrote into the shared intake goes into --db, exactly once.

        First the sources and the incident profile of --db are pushed to the intake (workers fetch those), then
        new items, fetches, problems and cursors are pulled. Run it (or `mediebild serve`, whose pass does it)
        on the one machine that holds the DuckDB file; then `mediebild enrich` as usual.

        Examples:

          PGPASSWORD=... mediebild intake --db /srv/mediebild/incident.duckdb

          PGPASSWORD=... mediebild intake --catalog postgresql://mediebild@db.internal/incident --json
        """
        from mediebild.flows.intake import pull_step

        result = pull_step(str(db), catalog_or_fail(catalog))
        if as_json:
            emit_json(result)
            return
        console.print(f"{result['items']:,} poster ({result['items_new']:,} nya, {result['items_updated']:,} "
                      f"uppdaterade), {result['fetches']:,} hämtningar och {result['cursors']:,} markörer hämtade "
                      f"från den delade lagringen på {result['seconds']:.2f} s")
