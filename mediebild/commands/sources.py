"""`mediebild init` and `mediebild sources add|list|import|remove|health`: the database and what it watches."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Annotated, Optional
from urllib.parse import urlsplit

import typer
from rich.table import Table

from mediebild.commands.common import DbOption, JsonOption, console, emit_json, open_store
from mediebild.errors import UserError
from mediebild.items import KINDS
from mediebild.monitors.base import MONITOR_KINDS, SourceConfig
from mediebild.timeutil import fmt_local

sources_app = typer.Typer(
    help="What mediebild watches: add, list, import (OPML), remove, and source health.",
    no_args_is_help=True,
)


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60] or "source"


def make_source(url: str, *, kind: str = "rss", name: str | None = None, item_kind: str | None = None,
                source_id: str | None = None) -> SourceConfig:
    """A validated SourceConfig from what a user typed."""
    if kind not in MONITOR_KINDS:
        raise UserError(f"unknown --kind {kind!r}; one of: {', '.join(MONITOR_KINDS)}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(f"not an http(s) URL: {url!r}")
    if item_kind is None:
        item_kind = {"rss": "editorial", "polisen": "official", "krisinformation": "official"}.get(kind, "social")
    if item_kind not in KINDS:
        raise UserError(f"unknown --item-kind {item_kind!r}; one of: {', '.join(KINDS)}")
    name = name or parts.hostname.removeprefix("www.")
    return SourceConfig(id=source_id or slugify(name), monitor=kind, url=url, name=name, item_kind=item_kind)


def read_opml(path: Path) -> list[tuple[str, str | None]]:
    """(xmlUrl, title) of every feed outline in an OPML file."""
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    if not path.exists():
        raise UserError(f"no such file: {path}")
    try:
        root = ElementTree.parse(str(path)).getroot()
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise UserError(f"{path} is not a readable OPML file: {exc}") from exc
    found = []
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl") or outline.get("xmlurl")
        if url:
            found.append((url.strip(), outline.get("title") or outline.get("text")))
    if not found:
        raise UserError(f"{path} has no <outline xmlUrl=...> entries")
    return found


def register(app: typer.Typer) -> None:
    app.add_typer(sources_app, name="sources")

    @app.command("init")
    def init(db: DbOption = Path("mediebild.duckdb")) -> None:
        """Create the database, or bring an existing one up to date (migrations).

        Examples:

          mediebild init

          mediebild init --db /srv/mediebild/incident.duckdb
        """
        store = open_store(db, create=True)
        versions = store.applied_migrations()
        store.close()
        console.print(f"[green]Databasen är klar[/]: {db} (schema v{max(versions)}, {len(versions)} migreringar)")


@sources_app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="Feed or account URL.")],
    kind: Annotated[str, typer.Option("--kind", help=f"Monitor: {', '.join(MONITOR_KINDS)}.")] = "rss",
    name: Annotated[Optional[str], typer.Option("--name", help="Name shown to people.")] = None,
    item_kind: Annotated[Optional[str], typer.Option("--item-kind", help="editorial, social or official.")] = None,
    source_id: Annotated[Optional[str], typer.Option("--id", help="Stable id (default: from the name).")] = None,
    db: DbOption = Path("mediebild.duckdb"),
) -> None:
    """Add a source (or update the one with the same id).

    Examples:

      mediebild sources add https://www.krisinformation.se/nyheter?rss=true --name Krisinformation --item-kind official

      mediebild sources add https://mastodon.social/tags/bryssel.rss --name "#bryssel" --item-kind social
    """
    source = make_source(url, kind=kind, name=name, item_kind=item_kind, source_id=source_id)
    with open_store(db) as store:
        new = store.upsert_source(source)
    console.print(f"{'Lade till' if new else 'Uppdaterade'} källan [bold]{source.id}[/] ({source.monitor}, {source.item_kind}): {url}")


@sources_app.command("import")
def import_opml(
    file: Annotated[Path, typer.Argument(help="OPML file with <outline xmlUrl=...> feeds.")],
    item_kind: Annotated[str, typer.Option("--item-kind", help="editorial, social or official.")] = "editorial",
    db: DbOption = Path("mediebild.duckdb"),
) -> None:
    """Add every feed of an OPML file (as RSS/Atom sources).

    Example:

      mediebild sources import nyhetskallor.opml
    """
    feeds = read_opml(file)
    added = 0
    with open_store(db) as store:
        for url, title in feeds:
            source = make_source(url, kind="rss", name=title, item_kind=item_kind)
            added += store.upsert_source(source)
    console.print(f"Importerade {len(feeds)} flöden ({added} nya) från {file}")


@sources_app.command("remove")
def remove(source_id: Annotated[str, typer.Argument(help="Source id.")], db: DbOption = Path("mediebild.duckdb")) -> None:
    """Stop watching a source (its items stay).

    Example:

      mediebild sources remove svt-nyheter
    """
    with open_store(db) as store:
        if not store.remove_source(source_id):
            raise UserError(f"no source with id {source_id!r} (see `mediebild sources list`)")
    console.print(f"Tog bort {source_id}")


@sources_app.command("list")
def list_sources(db: DbOption = Path("mediebild.duckdb"), as_json: JsonOption = False) -> None:
    """List the sources.

    Examples:

      mediebild sources list

      mediebild sources list --json | jq '.[].url'
    """
    with open_store(db, read_only=True) as store:
        sources = store.sources(enabled_only=False)
    if as_json:
        emit_json([{"id": s.id, "monitor": s.monitor, "url": s.url, "name": s.name, "item_kind": s.item_kind} for s in sources])
        return
    table = Table("id", "namn", "typ", "slag", "url", title=f"Källor ({len(sources)})")
    for s in sources:
        table.add_row(s.id, s.name, s.monitor, s.item_kind, s.url)
    console.print(table)


@sources_app.command("health")
def health(db: DbOption = Path("mediebild.duckdb"), as_json: JsonOption = False) -> None:
    """Per source: last success, last error, error streak and items per hour.

    Examples:

      mediebild sources health

      mediebild sources health --json
    """
    from mediebild.data.queries import source_health

    with open_store(db, read_only=True) as store:
        rows = source_health(store.con)
    if as_json:
        emit_json(rows)
        return
    table = Table("källa", "status", "senast OK", "senaste fel", "fel i rad", "poster/h", "varningar 24h",
                  title="Källornas hälsa (tider i Europe/Stockholm)")
    labels = {"ok": "[green]OK[/]", "failing": "[red]fel[/]", "never_fetched": "[yellow]ej hämtad[/]"}
    for r in rows:
        error = f"{fmt_local(r['last_error_at'])} {r['last_error'] or ''}".strip()
        table.add_row(r["id"], labels[r["status"]], fmt_local(r["last_success"]), error[:80],
                      str(r["error_streak"]), f"{r['items_per_hour']:.1f}", str(r["warnings_24h"]))
    console.print(table)
