"""`mediebild digest`, `mediebild brief` and `mediebild digests list|show|export`: the documents people read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from mediebild import labels
from mediebild.cli.common import DbOption, JsonOption, console, emit_json, err_console, open_store
from mediebild.errors import UserError
from mediebild.items import KINDS
from mediebild.timeutil import STOCKHOLM, fmt_local, parse_hour, utcnow

FormatOption = Annotated[str, typer.Option("--format", help="Comma-separated: html, md, pdf, json.")]
LangOpt = Annotated[str, typer.Option("--lang", help="Language of the document: sv or en.")]
OutOption = Annotated[Optional[Path], typer.Option("--out", help="Also write the documents to this folder.")]
SendOption = Annotated[bool, typer.Option("--send", help="Deliver as configured in \\[send] of mediebild.toml.")]

def _choices(option: str, raw: str | None, allowed_keys: Callable[[], tuple[str, ...]]) -> tuple[str, ...]:
    """Comma-separated keys or their Swedish/English names -> keys; a clear error naming the allowed ones.

    The label sets are the core's (mediebild.labels), so narrowing a digest loads no model.
    """
    if not raw:
        return ()
    from mediebild.reports import texts

    allowed = allowed_keys()

    names: dict[str, str] = {}
    for key in allowed:
        names[key] = key
        for lang in texts.LANGS:
            names[texts.label(key, lang).casefold()] = key
            names[texts.phrases(lang).get(f"kind_{key}", key).casefold()] = key
    chosen = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        found = names.get(part.casefold()) or names.get(part.casefold().replace(" ", "_").replace("-", "_"))
        if found is None:
            raise UserError(f"{option}: unknown value {part!r}; use one of {', '.join(allowed)}")
        chosen.append(found)
    return tuple(dict.fromkeys(chosen))


def build_filter(kind: str | None = None, info_type: str | None = None, source_type: str | None = None,
                 tone: str | None = None, item_lang: str | None = None, source: str | None = None,
                 min_relevance: float | None = None):
    from mediebild.data.item_filter import ItemFilter

    if min_relevance is not None and not 0.0 <= min_relevance <= 1.0:
        raise UserError(f"--min-relevance: {min_relevance} is not between 0 and 1")
    split = lambda raw: tuple(p.strip() for p in (raw or "").split(",") if p.strip())  # noqa: E731
    return ItemFilter(
        kinds=_choices("--kind", kind, lambda: KINDS),
        info_types=_choices("--info-type", info_type, lambda: labels.INFO_TYPES),
        source_types=_choices("--source-type", source_type, lambda: labels.SOURCE_TYPES),
        tones=_choices("--tone", tone, lambda: labels.TONES),
        langs=tuple(x.lower() for x in split(item_lang)),
        sources=split(source),
        min_relevance=min_relevance,
    )

digests_app = typer.Typer(
    help=(
        "Stored digests and briefs.\n\n"
        "Examples:\n\n"
        "  mediebild digests list\n\n"
        "  mediebild digests show digest-2016-03-22T08-sv-html-v1 --json\n\n"
        "  mediebild digests export digest-2016-03-22T08-sv-pdf-v1 --out ut/"
    ),
    no_args_is_help=True,
)


def parse_time(text: str) -> datetime:
    """A point in time: `YYYY-MM-DDTHH[:MM]`, Stockholm time unless an offset is given."""
    try:
        value = datetime.fromisoformat(text if len(text) > 13 else text + ":00")
    except ValueError:
        raise UserError(f"not a time: {text!r} (expected YYYY-MM-DDTHH or YYYY-MM-DDTHH:MM)") from None
    return (value.replace(tzinfo=STOCKHOLM) if value.tzinfo is None else value).astimezone(STOCKHOLM)


def _report(run, as_json: bool) -> None:
    if as_json:
        emit_json({"documents": run.documents, "sends": [s.__dict__ for s in run.sends]})
    else:
        for doc in run.documents:
            where = f"  {doc['path']}" if doc["path"] else ""
            typer.echo(f"{doc['id']}  {doc['bytes']:>9,} bytes{where}")
        for s in run.sends:
            line = f"{s.channel} {s.recipient}: {s.status}"
            if s.error:
                line += f" ({s.attempts} attempts: {s.error})"
            (err_console if s.status == "failed" else console).print(line, markup=False)
    if run.send_failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    @app.command(
        "digest",
        help=(
            "Render the hourly media digest, store it in the database, optionally write and send it.\n\n"
            "The hour is Stockholm time; the default is the last complete hour.\n\n"
            "Examples:\n\n"
            "  mediebild digest --out ut/\n\n"
            "  mediebild digest --hour 2016-03-22T09 --lang en --format html,pdf --out ut/\n\n"
            "  mediebild digest --send          # to the folder, e-mail and webhooks in mediebild.toml\n\n"
            "  mediebild digest --kind social --info-type 'Varningar och råd' --out ut/   # a narrowed digest\n\n"
            "A narrowed digest (--kind, --info-type, --source-type, --tone, --item-lang, --source,\n"
            "--min-relevance) covers only the chosen items, says so at the top, and is stored beside the\n"
            "full hourly digest (kind digest-<key>), never in its place."
        ),
    )
    def digest_command(
        db: DbOption = Path("mediebild.duckdb"),
        hour: Annotated[Optional[str], typer.Option("--hour", help="YYYY-MM-DDTHH, Stockholm time.")] = None,
        lang: LangOpt = "sv",
        formats: FormatOption = "html,md,pdf,json",
        out: OutOption = None,
        send: SendOption = False,
        as_json: JsonOption = False,
        kind: Annotated[Optional[str], typer.Option(
            "--kind", help="Only these kinds: editorial, social, official (comma-separated).")] = None,
        info_type: Annotated[Optional[str], typer.Option(
            "--info-type", help="Only these information types, e.g. caution_and_advice or 'Varningar och råd'.")] = None,
        source_type: Annotated[Optional[str], typer.Option(
            "--source-type", help="Only these source types: media, government, eyewitness, ngo, business, outsiders.")] = None,
        tone: Annotated[Optional[str], typer.Option("--tone", help="Only these tones: negative, neutral, positive.")] = None,
        item_lang: Annotated[Optional[str], typer.Option(
            "--item-lang", help="Only items in these languages (ISO codes, e.g. sv,en).")] = None,
        source: Annotated[Optional[str], typer.Option("--source", help="Only these source ids (comma-separated).")] = None,
        min_relevance: Annotated[Optional[float], typer.Option(
            "--min-relevance", help="Only items whose relevance score is at least this (0-1).")] = None,
    ) -> None:
        from mediebild.flows.digest import last_complete_hour, produce_digest

        item_filter = build_filter(kind, info_type, source_type, tone, item_lang, source, min_relevance)
        start, end = (parse_hour(hour), parse_hour(hour) + timedelta(hours=1)) if hour else last_complete_hour()
        with open_store(db) as store:
            run = produce_digest(store, period_start=start, period_end=end, lang=lang, formats=formats,
                                 out_dir=out, send=send, item_filter=item_filter)
        _report(run, as_json)

    @app.command(
        "brief",
        help=(
            "Render the one-page monitoring brief for the coordination conference.\n\n"
            "It covers the time since the last brief (or the last six hours) up to now.\n\n"
            "Examples:\n\n"
            "  mediebild brief --out ut/\n\n"
            "  mediebild brief --since 2016-03-22T08 --format pdf --out ut/\n\n"
            "  mediebild brief --lang en --send"
        ),
    )
    def brief_command(
        db: DbOption = Path("mediebild.duckdb"),
        since: Annotated[Optional[str], typer.Option("--since", help="Start, YYYY-MM-DDTHH[:MM] Stockholm time.")] = None,
        until: Annotated[Optional[str], typer.Option("--until", help="End (default now), YYYY-MM-DDTHH[:MM].")] = None,
        lang: LangOpt = "sv",
        formats: FormatOption = "html,md,pdf,json",
        out: OutOption = None,
        send: SendOption = False,
        as_json: JsonOption = False,
    ) -> None:
        from mediebild.flows.digest import produce_brief

        end = parse_time(until) if until else utcnow()
        with open_store(db) as store:
            run = produce_brief(store, until=end, since=parse_time(since) if since else None, lang=lang,
                                formats=formats, out_dir=out, send=send, now=end if until else None)
        _report(run, as_json)

    @digests_app.command("list", help="List stored documents, newest first.\n\nExample:\n\n  mediebild digests list --kind brief --json")
    def list_command(
        db: DbOption = Path("mediebild.duckdb"),
        kind: Annotated[Optional[str], typer.Option("--kind", help="digest or brief.")] = None,
        limit: Annotated[int, typer.Option("--limit", min=1)] = 50,
        as_json: JsonOption = False,
    ) -> None:
        from mediebild.data.digest_queries import list_digests

        if kind not in (None, "digest", "brief"):
            raise UserError(f"--kind must be digest or brief, not {kind!r}")
        with open_store(db, read_only=True) as store:
            rows = list_digests(store.con, kind=kind, limit=limit)
        if as_json:
            emit_json(rows)
            return
        if not rows:
            console.print("No documents stored yet: run `mediebild digest`.")
            return
        table = Table("period (Stockholm)", "bytes", "items", "created")
        table.add_column("id", no_wrap=True)
        for r in rows:
            table.add_row(f"{fmt_local(r['period_start'])}–{fmt_local(r['period_end'], '%H:%M')}",
                          f"{r['bytes']:,}", str(r["n_items"] or 0), fmt_local(r["created_at"]), r["id"])
        console.print(table)

    @digests_app.command("show", help="Show one stored document's record (and its text with --body).\n\nExample:\n\n  mediebild digests show digest-2016-03-22T08-sv-md-v1 --body")
    def show_command(
        digest_id: Annotated[str, typer.Argument(help="Document id, from `mediebild digests list`.")],
        db: DbOption = Path("mediebild.duckdb"),
        body: Annotated[bool, typer.Option("--body", help="Print the document itself (text formats).")] = False,
        as_json: JsonOption = False,
    ) -> None:
        from mediebild.data.digest_queries import get_digest, list_sends

        with open_store(db, read_only=True) as store:
            record = get_digest(store.con, digest_id)
            if record is None:
                raise UserError(f"no document {digest_id!r}: see `mediebild digests list`")
            sends = list_sends(store.con, digest_ids=[digest_id])
        content = bytes(record.pop("body"))
        if as_json:
            record["sends"] = sends
            if body and record["format"] != "pdf":
                record["body"] = content.decode("utf-8")
            emit_json(record)
            return
        if body:
            if record["format"] == "pdf":
                raise UserError("a PDF cannot be shown as text: use `mediebild digests export`")
            typer.echo(content.decode("utf-8"))
            return
        for key in ("id", "kind", "format", "lang", "version", "bytes", "n_items", "n_stories", "checksum"):
            console.print(f"[bold]{key}[/bold]: {record[key]}")
        console.print(f"[bold]period[/bold]: {fmt_local(record['period_start'])} – {fmt_local(record['period_end'])} (Stockholm)")
        console.print(f"[bold]created[/bold]: {fmt_local(record['created_at'])}")
        for s in sends:
            console.print(f"[bold]sent[/bold]: {s['channel']} {s['recipient']} {s['status']} ({s['attempts']} attempts) "
                          f"{s['error'] or ''}", markup=False)

    @digests_app.command("export", help="Write one stored document to a folder.\n\nExample:\n\n  mediebild digests export digest-2016-03-22T08-sv-pdf-v1 --out ut/")
    def export_command(
        digest_id: Annotated[str, typer.Argument(help="Document id, from `mediebild digests list`.")],
        db: DbOption = Path("mediebild.duckdb"),
        out: Annotated[Path, typer.Option("--out", help="Folder to write to.")] = Path("."),
    ) -> None:
        from mediebild.data.digest_queries import get_digest
        from mediebild.reports.render import EXTENSIONS
        from mediebild.reports.send import write_atomic

        with open_store(db, read_only=True) as store:
            record = get_digest(store.con, digest_id)
        if record is None:
            raise UserError(f"no document {digest_id!r}: see `mediebild digests list`")
        if out.exists() and not out.is_dir():
            raise UserError(f"--out {out} is a file, not a folder")
        path = write_atomic(out / f"{digest_id}.{EXTENSIONS[record['format']]}", bytes(record["body"]))
        console.print(str(path), markup=False)

    @digests_app.command(
        "send",
        help=("Send a stored document set (every format of its version) as configured in [send]; recipients that "
              "already got the period are skipped.\n\nExample:\n\n  mediebild digests send digest-2016-03-22T08-sv-html-v1"),
    )
    def send_command(
        digest_id: Annotated[str, typer.Argument(help="Document id, from `mediebild digests list`.")],
        db: DbOption = Path("mediebild.duckdb"),
        as_json: JsonOption = False,
    ) -> None:
        from mediebild.flows.digest import Run, send_stored

        with open_store(db) as store:
            results = send_stored(store, digest_id)
        _report(Run(documents=[], sends=results), as_json)

    @digests_app.command(
        "sends",
        help="List deliveries, newest first (failures too, so nobody trusts silence).\n\nExample:\n\n  mediebild digests sends --failed --json",
    )
    def sends_command(
        db: DbOption = Path("mediebild.duckdb"),
        failed: Annotated[bool, typer.Option("--failed", help="Only failed deliveries.")] = False,
        limit: Annotated[int, typer.Option("--limit", min=1)] = 50,
        as_json: JsonOption = False,
    ) -> None:
        from mediebild.data.digest_queries import list_sends

        with open_store(db, read_only=True) as store:
            rows = [r for r in list_sends(store.con, limit=limit) if not failed or r["status"] == "failed"]
        if as_json:
            emit_json(rows)
            return
        if not rows:
            console.print("No deliveries recorded.")
            return
        table = Table("sent (Stockholm)", "channel", "recipient", "status", "attempts", "error")
        table.add_column("document", no_wrap=True)
        for r in rows:
            table.add_row(fmt_local(r["sent_at"]), r["channel"], r["recipient"], r["status"], str(r["attempts"]),
                          r["error"] or "", r["digest_id"])
        console.print(table)

    app.add_typer(digests_app, name="digests")
