"""`mediebild init` and `mediebild sources add|list|import|remove|health`: the database and what it watches."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from mediebild.cli.common import DbOption, JsonOption, console, emit_json, open_store
from mediebild.errors import UserError
from mediebild.data.store import SourceChange
from mediebild.monitors.base import MONITOR_KINDS
from mediebild.monitors.catalog import KIND_LABELS, api_source_name, make_source  # noqa: F401 (moved there; kept importable here)
from mediebild.sources import suggested_id
from mediebild.timeutil import fmt_local, utcnow

sources_app = typer.Typer(
    help="What mediebild watches: add, list, import (OPML), remove, and source health.",
    no_args_is_help=True,
)


def parse_options(pairs: list[str] | None) -> dict[str, Any]:
    """--option key=value pairs; a value with ';' becomes a list ("Stockholms län;Uppsala län")."""
    options: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(r"[a-z][a-z0-9_]*", key):
            raise UserError(f"--option {pair!r}: write key=value, for example --option locations='Stockholms län'")
        parts = [v.strip() for v in value.split(";") if v.strip()]
        options[key] = parts if len(parts) > 1 else (parts[0] if parts else "")
    return options


def describe_change(change: SourceChange) -> str:
    """One line for people about what `sources add` did."""
    s = change.source
    if change.status == "exists":
        return f"Källan finns redan: [bold]{s.id}[/] ({s.name}) hämtar {s.url}; inget ändrat"
    if change.status == "replaced":
        return f"Ersatte källan [bold]{s.id}[/]: hämtar nu {s.url} (tidigare {change.previous_url}); posterna finns kvar"
    note = " (namnet eller id:t var upptaget, så ett nummer lades till)" if change.renamed else ""
    return f"Lade till källan [bold]{s.id}[/] ({s.name}; {s.monitor}, {s.item_kind}): {s.url}{note}"


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
    url: Annotated[Optional[str], typer.Argument(help="Feed URL, or an API source's base URL (default: the documented one).")] = None,
    kind: Annotated[str, typer.Option("--kind", help=f"Monitor: {', '.join(MONITOR_KINDS)}.")] = "rss",
    name: Annotated[Optional[str], typer.Option("--name", help="Name shown to people (default: from the URL).")] = None,
    item_kind: Annotated[Optional[str], typer.Option("--item-kind", help="editorial, social or official.")] = None,
    query: Annotated[Optional[str], typer.Option("--query", help="What an API source searches for (hashtags, words).")] = None,
    source_id: Annotated[Optional[str], typer.Option("--id", help="Stable id (default: from the name or URL).")] = None,
    option: Annotated[Optional[list[str]], typer.Option("--option", help="A filter of an API source, key=value ('a;b' for several).")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="With --id: make that source fetch this URL instead.")] = False,
    db: DbOption = Path("mediebild.duckdb"),
) -> None:
    """Add a source. A source is what it fetches: a second feed from the same site is a second source,
    the same feed again changes nothing, and nothing is replaced unless you ask (--id ID --replace,
    or `sources update`).

    Examples:

      mediebild sources add https://www.svt.se/nyheter/rss.xml            # id svt-se-nyheter

      mediebild sources add https://www.svt.se/sport/rss.xml              # id svt-se-sport: a second source

      mediebild sources add https://www.krisinformation.se/nyheter?rss=true --name Krisinformation --item-kind official

      mediebild sources add https://mastodon.social/tags/bryssel.rss --name "#bryssel" --item-kind social

      mediebild sources add https://www.svt.se/nyheter/lokalt/stockholm/rss.xml --id svt-se-nyheter --replace

      mediebild sources add --kind polisen --option locations="Stockholms län" --option types="Explosion;Skottlossning"

      mediebild sources add --kind krisinformation --option counties="Stockholms län"

      mediebild sources add --kind mastodon --query "#bryssel #brussels" --option instances=https://mastodon.nu

      mediebild sources add --kind x --query "(Bryssel OR Brussels) lang:sv -is:retweet"   # MEDIEBILD_X_BEARER_TOKEN

      mediebild sources add http://127.0.0.1:8000 --kind vma --option counties=01              # a local test server
    """
    if replace and not source_id:
        raise UserError("--replace needs --id: the id of the source that should fetch this URL instead")
    source = make_source(url, kind=kind, name=name, item_kind=item_kind, source_id=source_id, query=query,
                         options=parse_options(option))
    with open_store(db) as store:
        change = store.add_source(source, explicit_id=source_id is not None, replace=replace)
    console.print(describe_change(change))


@sources_app.command("update")
def update(
    source_id: Annotated[str, typer.Argument(help="Source id (see `mediebild sources list`).")],
    url: Annotated[Optional[str], typer.Option("--url", help="A new URL to fetch (the cursor starts over).")] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="A new name.")] = None,
    item_kind: Annotated[Optional[str], typer.Option("--item-kind", help="editorial, social or official.")] = None,
    query: Annotated[Optional[str], typer.Option("--query", help="A new query for an API source.")] = None,
    option: Annotated[Optional[list[str]], typer.Option("--option", help="Set a filter, key=value (key= removes it).")] = None,
    db: DbOption = Path("mediebild.duckdb"),
) -> None:
    """Change a source; its items and fetch history stay.

    Examples:

      mediebild sources update svt-se-nyheter --name "SVT Nyheter"

      mediebild sources update svt-se-nyheter --url https://www.svt.se/nyheter/inrikes/rss.xml

      mediebild sources update polisen-stockholms-lan --option types="Explosion;Brand"
    """
    with open_store(db) as store:
        current = next((s for s in store.sources(enabled_only=False) if s.id == source_id), None)
        if current is None:
            raise UserError(f"no source with id {source_id!r} (see `mediebild sources list`)")
        wanted = make_source(url or current.url, kind=current.monitor, name=name or current.name,
                             item_kind=item_kind or current.item_kind, source_id=source_id,
                             query=query if query is not None else current.query)
        merged = {**current.options, **wanted.options, **parse_options(option)}
        changes = {"url": wanted.url, "name": wanted.name, "item_kind": wanted.item_kind,
                   "options": {k: v for k, v in merged.items() if v not in ("", [])}}
        updated = store.update_source(source_id, **changes)
    console.print(f"Uppdaterade källan [bold]{updated.id}[/] ({updated.name}): {updated.url}")


@sources_app.command("import")
def import_opml(
    file: Annotated[Path, typer.Argument(help="OPML file with <outline xmlUrl=...> feeds.")],
    item_kind: Annotated[str, typer.Option("--item-kind", help="editorial, social or official.")] = "editorial",
    db: DbOption = Path("mediebild.duckdb"),
) -> None:
    """Add every feed of an OPML file (as RSS/Atom sources), by the same rules as `sources add`:
    feeds already watched are left alone, and several feeds from one site are several sources.

    Example:

      mediebild sources import nyhetskallor.opml
    """
    feeds = read_opml(file)
    counts = {"added": 0, "exists": 0}
    with open_store(db) as store:
        for url, title in feeds:
            source = make_source(url, kind="rss", name=title, item_kind=item_kind)
            source.id = suggested_id(url)  # ids from the URL, which tells feeds apart; titles often repeat
            counts[store.add_source(source).status] += 1
    console.print(f"Importerade {len(feeds)} flöden från {file}: {counts['added']} nya, {counts['exists']} fanns redan")


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
        emit_json([{"id": s.id, "monitor": s.monitor, "url": s.url, "name": s.name, "item_kind": s.item_kind,
                    "query": s.query, "options": {k: v for k, v in s.options.items() if k != "query"}} for s in sources])
        return
    table = Table("id", "namn", "typ", "slag", "url", "sökfråga och filter", title=f"Källor ({len(sources)})")
    for s in sources:
        filters = [f"{k}={';'.join(map(str, v)) if isinstance(v, list) else v}" for k, v in s.options.items() if k != "query"]
        table.add_row(s.id, s.name, s.monitor, s.item_kind, s.url, " ".join([s.query or "", *filters]).strip())
    console.print(table)


def budget(row: dict[str, Any]) -> str:
    """An API source's next allowed call and its remaining rate budget, for the health table."""
    parts = []
    if row.get("next_call_at") and row["next_call_at"] > utcnow():
        parts.append(f"väntar till {fmt_local(row['next_call_at'])}")
    limits = row.get("rate_limit") or {}
    if limits.get("remaining") is not None and limits.get("limit") is not None:
        parts.append(f"{limits['remaining']}/{limits['limit']} kvar")
    return ", ".join(parts)


@sources_app.command("health")
def health(db: DbOption = Path("mediebild.duckdb"), as_json: JsonOption = False) -> None:
    """Per source: last success, last error, error streak, items per hour and, for API sources, the next
    allowed call and the rate budget left.

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
                  "nästa anrop", title="Källornas hälsa (tider i Europe/Stockholm)")
    labels = {"ok": "[green]OK[/]", "failing": "[red]fel[/]", "never_fetched": "[yellow]ej hämtad[/]"}
    for r in rows:
        error = f"{fmt_local(r['last_error_at'])} {r['last_error'] or ''}".strip()
        table.add_row(r["id"], labels[r["status"]], fmt_local(r["last_success"]), error[:80],
                      str(r["error_streak"]), f"{r['items_per_hour']:.1f}", str(r["warnings_24h"]), budget(r))
    console.print(table)
