"""The analysts' commands: `mediebild top`, `export`, `query` and `trends`, read from the published snapshot.

They never open the writer's database file: they read the newest snapshot (data/snapshot_read.py), so they
answer while `mediebild serve` or an ingest writes, and what they read is one finished pass.
The options every analyst command shares (period, kind, language, source, type, tone, relevance) are here.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from mediebild.cli.common import DbOption, JsonOption, console, emit_json, err_console, parse_when
from mediebild.errors import UserError
from mediebild.timeutil import STOCKHOLM

SinceOption = Annotated[Optional[str], typer.Option(
    "--since", help="Start: YYYY-MM-DD[THH[:MM]] Stockholm time (or with an offset), or a span before --until: "
                    "90min, 6h, 7d.")]
UntilOption = Annotated[Optional[str], typer.Option(
    "--until", help="End (not included), same forms; default: the end of the newest hour with items.")]
KindOption = Annotated[Optional[str], typer.Option("--kind", help="Only these kinds: editorial, social, official.")]
LangOption = Annotated[Optional[str], typer.Option("--lang", help="Only items in these languages (sv,en).")]
SourceOption = Annotated[Optional[str], typer.Option("--source", help="Only these source ids (comma-separated).")]
InfoTypeOption = Annotated[Optional[str], typer.Option(
    "--info-type", help="Only these information types, e.g. caution_and_advice or 'Varningar och råd'.")]
ToneOption = Annotated[Optional[str], typer.Option("--tone", help="Only these tones: negative, neutral, positive.")]
MinRelevanceOption = Annotated[Optional[float], typer.Option(
    "--min-relevance", help="Only items whose relevance score is at least this (0-1).")]
RelevantOption = Annotated[bool, typer.Option("--relevant", help="Only items judged relevant to the incident.")]


def build_selection(con: Any, since: str | None, until: str | None, kind: str | None, lang: str | None,
                    source: str | None, info_type: str | None, tone: str | None, min_relevance: float | None,
                    relevant: bool, *, default_span: timedelta = timedelta(hours=24)) -> Any:
    """The analysts' Selection from the shared options (the digest's filters, checked the same way)."""
    from mediebild.cli.digest import build_filter
    from mediebild.data.analysts import Selection, data_end

    end = parse_when(until) or data_end(con)
    start = parse_when(since, now=end) or end - default_span
    if start >= end:
        raise UserError(f"--since ({start:%Y-%m-%d %H:%M}) must be before --until ({end:%Y-%m-%d %H:%M})")
    return Selection(start, end, build_filter(kind, info_type, None, tone, lang, source, min_relevance),
                     relevant_only=relevant)


def open_reader(db: Path) -> Any:
    from mediebild.data.snapshot_read import open_snapshot

    return open_snapshot(db)


def _period(selection: Any) -> str:
    return (f"{selection.since.astimezone(STOCKHOLM):%Y-%m-%d %H:%M}–"
            f"{selection.until.astimezone(STOCKHOLM):%Y-%m-%d %H:%M}")


def _change(value: float | None) -> str:
    if value is None:
        return "ny"
    return f"{value:+.0%}"


def register(app: typer.Typer) -> None:
    register_trends(app)

    @app.command("top")
    def top_command(
        what: Annotated[str, typer.Argument(
            help="sources, entities, places, organisations, people, hashtags, words or stories.")],
        limit: Annotated[int, typer.Option("--limit", min=1, help="How many.")] = 20,
        db: DbOption = Path("mediebild.duckdb"),
        since: SinceOption = None, until: UntilOption = None, kind: KindOption = None, lang: LangOption = None,
        source: SourceOption = None, info_type: InfoTypeOption = None, tone: ToneOption = None,
        min_relevance: MinRelevanceOption = None, relevant: RelevantOption = False,
        as_json: JsonOption = False,
    ) -> None:
        """What is biggest in a period, with its share of all items and the change against the period before
        (what is rising). Default period: the last 24 hours with data.

        Examples:

          mediebild top entities --since 6h

          mediebild top sources --kind social --since 2016-03-22T07 --until 2016-03-22T13

          mediebild top hashtags --relevant --json
        """
        from mediebild.data.analysts import top

        with open_reader(db) as snap:
            selection = build_selection(snap.con, since, until, kind, lang, source, info_type, tone,
                                        min_relevance, relevant)
            result = top(snap.con, what, selection, limit=limit)
        if as_json:
            emit_json({"what": what, "since": selection.since.isoformat(), "until": selection.until.isoformat(),
                       "total_items": result.total, "previous_total_items": result.previous_total,
                       "snapshot": snap.version, "rows": [row.as_dict() for row in result.rows]})
            return
        table = Table(title=f"Topp {escape(what)} {_period(selection)} ({result.total} poster; "
                            f"perioden före {result.previous_total})")
        table.add_column("#", justify="right")
        table.add_column("Namn")
        table.add_column("Antal", justify="right")
        table.add_column("Andel", justify="right")
        table.add_column("Före", justify="right")
        table.add_column("Förändring", justify="right")
        for n, row in enumerate(result.rows, 1):
            name = escape(row.name) + (f" [dim]({escape(row.label)})[/dim]" if row.label else "")
            table.add_row(str(n), name, str(row.count), f"{row.share:.1%}", str(row.previous), _change(row.change))
        console.print(table)
        if not result.rows:
            console.print("Inga poster i perioden med de valen.")

    @app.command("export")
    def export_command(
        fmt: Annotated[str, typer.Option("--format", help="csv, parquet or jsonl.")] = "csv",
        out: Annotated[Optional[Path], typer.Option("--out", help="File to write (default: standard output; "
                                                                  "parquet needs a file).")] = None,
        db: DbOption = Path("mediebild.duckdb"),
        since: SinceOption = None, until: UntilOption = None, kind: KindOption = None, lang: LangOption = None,
        source: SourceOption = None, info_type: InfoTypeOption = None, tone: ToneOption = None,
        min_relevance: MinRelevanceOption = None, relevant: RelevantOption = False,
    ) -> None:
        """Every item of a period, one row each with its enrichments, story and entities; uncapped and streamed
        (constant memory). Default period: everything. Authors of private posts are pseudonymised.

        Examples:

          mediebild export --format csv --out poster.csv --since 2016-03-22

          mediebild export --format parquet --out relevant.parquet --relevant

          mediebild export --format jsonl --kind social | head
        """
        from mediebild.data.analysts import export_to_file

        if fmt not in ("csv", "parquet", "jsonl"):
            raise UserError(f"--format {fmt!r}: use csv, parquet or jsonl")
        if fmt == "parquet" and out is None:
            raise UserError("--format parquet needs --out FILE")
        with open_reader(db) as snap:
            selection = build_selection(snap.con, since or "2000-01-01", until or "2100-01-01", kind, lang, source,
                                        info_type, tone, min_relevance, relevant)
            if out is not None:
                tmp = out.with_name(out.name + ".part")
                try:
                    rows = export_to_file(snap.con, selection, str(tmp), fmt)
                    tmp.replace(out)
                finally:
                    tmp.unlink(missing_ok=True)
                err_console.print(f"Skrev {rows} rader till {escape(str(out))} (ögonblicksbild {snap.version})")
                return
            _export_stdout(snap.con, selection, fmt)

    @app.command("query")
    def query_command(
        sql: Annotated[str, typer.Argument(help="One read-only SQL statement over the documented views.")],
        fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
        limit: Annotated[int, typer.Option("--limit", min=1, help="Rows shown as a table.")] = 100,
        db: DbOption = Path("mediebild.duckdb"),
        as_json: JsonOption = False,
    ) -> None:
        """Run read-only SQL against the snapshot's views (README lists them: items_enriched, entity_mentions,
        stories_overview, volume_hourly, entity_mentions_hourly, terms_hourly, source_health, documents, and
        the store's own tables). Only SELECT (WITH, FROM, DESCRIBE, SUMMARIZE) is allowed; no file outside the
        snapshot can be read or written.

        Examples:

          mediebild query "SELECT kind, count(*) FROM items_enriched GROUP BY kind"

          mediebild query "SELECT * FROM source_health WHERE NOT last_ok" --format csv

          mediebild query "DESCRIBE items_enriched"
        """
        from mediebild.data.analysts import lock_down, run_query

        if as_json:
            fmt = "json"
        if fmt not in ("table", "csv", "json"):
            raise UserError(f"--format {fmt!r}: use table, csv or json")
        with open_reader(db) as snap:
            lock_down(snap.con, str(snap.folder))
            columns, batches = run_query(snap.con, sql)
            if fmt != "table":
                _write_batches(batches, fmt)
                return
            rows: list[dict[str, Any]] = []
            for batch in batches:
                rows.extend(batch.to_pylist())
                if len(rows) > limit:
                    break
            table = Table()
            for column in columns:
                table.add_column(escape(column))
            for row in rows[:limit]:
                table.add_row(*(escape("" if v is None else str(v)) for v in row.values()))
            console.print(table)
            if len(rows) > limit:
                console.print(f"[dim]Visar de första {limit} raderna (--limit, eller --format csv för alla).[/dim]")


def _export_stdout(con: Any, selection: Any, fmt: str) -> None:
    from mediebild.data.analysts import export_batches

    _write_batches(export_batches(con, selection, flat=fmt == "csv"), fmt)


def _write_batches(batches: Any, fmt: str) -> None:
    """To standard output a batch at a time: csv (one header), jsonl (an object per line) or json (one array).
    A reader that stops early (`| head`) ends the export quietly, as a Unix filter does."""
    try:
        _write_batches_to_stdout(batches, fmt)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)  # Python would otherwise fail again flushing stdout at exit
        os.dup2(devnull, sys.stdout.fileno())


def _write_batches_to_stdout(batches: Any, fmt: str) -> None:
    import csv
    import io
    import json

    import pyarrow as pa
    import pyarrow.csv as pacsv

    out = sys.stdout.buffer
    first = True
    for batch in batches:
        if fmt == "csv":
            if first:  # pyarrow quotes every header name; write it as DuckDB's COPY does
                header = io.StringIO()
                csv.writer(header, lineterminator="\n").writerow(batch.schema.names)
                out.write(header.getvalue().encode("utf-8"))
            options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
            pacsv.write_csv(pa.Table.from_batches([batch]), out, write_options=options)
        else:
            for row in batch.to_pylist():
                line = json.dumps(row, ensure_ascii=False, default=str).encode("utf-8")
                if fmt == "json":
                    line = (b"[" if first else b",") + line
                    first = False
                out.write(line + b"\n")
        first = False
    if fmt == "json":
        out.write(b"[]\n" if first else b"]\n")
    out.flush()


DEFAULT_SPANS = {"15min": timedelta(hours=6), "hour": timedelta(hours=24), "day": timedelta(days=14)}


def register_trends(app: typer.Typer) -> None:
    @app.command("trends")
    def trends_command(
        queries: Annotated[list[str], typer.Argument(help="One or more search queries (the language of "
                                                          "`mediebild search`), counted side by side.")],
        by: Annotated[str, typer.Option("--by", help="Bucket: 15min, hour or day (Stockholm time).")] = "hour",
        plot: Annotated[Optional[Path], typer.Option("--plot", help="Also draw the chart to FILE.svg or FILE.png.")]
        = None,
        share: Annotated[bool, typer.Option("--share", help="Plot the share of all items instead of counts.")]
        = False,
        db: DbOption = Path("mediebild.duckdb"),
        since: SinceOption = None, until: UntilOption = None, kind: KindOption = None, lang: LangOption = None,
        source: SourceOption = None, info_type: InfoTypeOption = None, tone: ToneOption = None,
        min_relevance: MinRelevanceOption = None, relevant: RelevantOption = False,
        as_json: JsonOption = False,
    ) -> None:
        """Attention over time: how many items match each query per bucket, and their share of all items in
        the bucket (same filters). Default period: the last 24 hours with data (6 h by 15min, 14 days by day).

        Examples:

          mediebild trends explosion "tunnelbanan stängd" --by 15min --since 6h

          mediebild trends "bryssel OR brussels" zaventem --by hour --plot trender.svg

          mediebild trends evakuer* --kind social --relevant --json
        """
        from mediebild.data.analysts import bucket_starts, check_bucket, matched_volume, volume
        from mediebild.data.search_index import SearchIndex
        from mediebild.data.snapshot import current_search_index

        check_bucket(by)
        if plot is not None and plot.suffix.lower() not in (".svg", ".png"):
            raise UserError(f"--plot {plot}: the file must end in .svg or .png")
        index_path = current_search_index(db)
        with open_reader(db) as snap, SearchIndex(index_path) as index:
            selection = build_selection(snap.con, since, until, kind, lang, source, info_type, tone,
                                        min_relevance, relevant, default_span=DEFAULT_SPANS[by])
            totals, _ = volume(snap.con, selection, by)
            series = []
            for query in queries:
                ids = index.matching_ids(query, since=selection.since, until=selection.until)
                series.append((query, matched_volume(snap.con, ids, selection, by)))
        buckets = bucket_starts(selection, by)
        if as_json:
            emit_json({"by": by, "since": selection.since.isoformat(), "until": selection.until.isoformat(),
                       "snapshot": snap.version, "buckets": [b.isoformat() for b in buckets],
                       "totals": [totals.get(b, 0) for b in buckets],
                       "series": [{"query": q, "counts": [c.get(b, 0) for b in buckets],
                                   "shares": [round(c.get(b, 0) / totals[b], 4) if totals.get(b) else 0.0
                                              for b in buckets]} for q, c in series]})
        else:
            table = Table(title=f"Trender per {by} {_period(selection)} (Stockholmstid)")
            table.add_column("Från")
            table.add_column("Alla", justify="right")
            for query, _ in series:
                table.add_column(escape(query), justify="right")
            fmt = "%Y-%m-%d" if by == "day" else "%m-%d %H:%M"
            for b in buckets:
                total = totals.get(b, 0)
                cells = [f"{c.get(b, 0)} ({c.get(b, 0) / total:.0%})" if total else "0" for _, c in series]
                table.add_row(b.strftime(fmt), str(total), *cells)
            console.print(table)
        if plot is not None:
            from mediebild.reports.analyst_charts import trend_chart

            trend_chart(plot, buckets, [(q, [c.get(b, 0) for b in buckets]) for q, c in series],
                        [totals.get(b, 0) for b in buckets], share=share, by=by)
            err_console.print(f"Diagrammet sparat i {escape(str(plot))}")
