"""`mediebild purge` and `mediebild forget`: retention of social content and forgetting one person."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Optional

import typer

from mediebild.cli.common import DbOption, JsonOption, console, emit_json, open_store
from mediebild.errors import UserError

DURATION = re.compile(r"^\s*(\d+)\s*(d|h|dagar|dygn|timmar)?\s*$")


def parse_duration(text: str) -> timedelta:
    """'30d' (days, the default unit) or '12h'."""
    match = DURATION.match(text or "")
    if not match or int(match.group(1)) == 0:
        raise UserError(f"--older-than {text!r}: write days as 30d or hours as 12h")
    n, unit = int(match.group(1)), match.group(2) or "d"
    return timedelta(hours=n) if unit in ("h", "timmar") else timedelta(days=n)


def _prune_intake(db: Path, older_than: timedelta | None = None) -> None:
    """With a shared store, the intake loses the same posts (what workers wrote there is a copy too)."""
    from mediebild.settings import load_settings

    catalog = load_settings().store.catalog
    if catalog:
        from mediebild.flows.intake import prune_step

        prune_step(str(db), catalog, older_than=older_than)


def register(app: typer.Typer) -> None:
    @app.command("purge")
    def purge(
        older_than: Annotated[Optional[str], typer.Option("--older-than", help="Age, e.g. 30d or 12h (default: [privacy] retention_days).")] = None,
        db: DbOption = Path("mediebild.duckdb"),
        as_json: JsonOption = False,
    ) -> None:
        """Blank the content of social posts older than the retention limit (title, text, author, link, raw
        record and entities); the rows stay so volumes still count. Editorial and official items are kept.

        Examples:

          mediebild purge                      # [privacy] retention_days in mediebild.toml, default 30

          mediebild purge --older-than 7d
        """
        from mediebild.flows.privacy import purge as run
        from mediebild.flows.publish import publish_step
        from mediebild.settings import load_settings

        age = parse_duration(older_than) if older_than else timedelta(days=load_settings().privacy.retention_days)
        with open_store(db) as store:
            n = run(store, older_than=age)
        publish_step(str(db), drop_older=True)  # readers' snapshots lose the content now
        _prune_intake(db, older_than=age)
        if as_json:
            emit_json({"purged": n, "older_than_days": age.total_seconds() / 86400})
        else:
            console.print(f"Rensade innehållet i {n} sociala inlägg äldre än {age.days or age.seconds // 3600}"
                          f" {'dagar' if age.days else 'timmar'}")

    @app.command("forget")
    def forget(
        author: Annotated[str, typer.Option("--author", help="The person's handle, e.g. @anna_s.")],
        platform: Annotated[Optional[str], typer.Option("--platform", help="Only on this platform (x, mastodon, ...).")] = None,
        db: DbOption = Path("mediebild.duckdb"),
        as_json: JsonOption = False,
    ) -> None:
        """Remove one person's posts everywhere (items, enrichments, entities, stories, copies and reposts of
        them), keep them out of later passes, redact every stored digest or brief that showed them and render a
        new version of it.

        Examples:

          mediebild forget --author @anna_s

          mediebild forget --author anna@mastodon.nu --platform mastodon --json
        """
        from mediebild.flows.privacy import forget as run
        from mediebild.flows.publish import publish_step

        if not author.strip().lstrip("@"):
            raise UserError("--author needs a handle")
        with open_store(db) as store:
            report = run(store, author, platform=platform)
        publish_step(str(db), drop_older=True)  # readers' snapshots lose the person's posts now
        _prune_intake(db)
        if as_json:
            emit_json(report.as_dict())
            return
        console.print(f"Tog bort {report.items_removed} inlägg; {len(report.documents_redacted)} dokument redigerades, "
                      f"{len(report.documents_rendered)} nya versioner togs fram")
