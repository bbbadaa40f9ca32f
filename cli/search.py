"""`mediebild search "QUERY"`: the analysts' full-text search over the published search index.

The index is the snapshot's SQLite FTS5 sidecar (data/search_index.py), so a search answers while monitoring
writes. The filters are the digest's (--kind, --type, --tone, --lang, --source, --min-relevance, same names and
values) and the stories' --since/--until (Stockholm time unless an offset is given). Feed text is printed as text,
never as rich markup; matches are highlighted. A malformed query is one line on stderr and exit code 2.

CLI layer: imports the core, cli.common/digest/stories and data.search_index, data.snapshot.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from mediebild.cli.common import DbOption, JsonOption, console, emit_json
from mediebild.cli.digest import build_filter
from mediebild.cli.common import parse_when
from mediebild.cli.stories import SinceOption, UntilOption
from mediebild.errors import UserError
from mediebild.timeutil import fmt_local

HIGHLIGHT = "bold yellow"
SORTS = {"relevance": "relevance", "relevans": "relevance", "time": "time", "tid": "time"}

HELP = (
    "Full-text search of every item: AND, OR, NOT (also OCH, ELLER, INTE), \"phrases\", wildcards (evak*) and\n"
    "field filters (source:, lang:, kind:, type:, tone:, story:, title:), ranked by relevance (BM25, title above\n"
    "text), Swedish and English stemming (evakuera finds evakuerades). Answers from the search index the\n"
    "monitoring pass publishes, so it never waits for the writer.\n\n"
    "Examples:\n\n"
    "  mediebild search 'evakuering OR evakuera'\n\n"
    "  mediebild search '\"stängd väg\" AND (brand OR rök) NOT övning' --since 6h\n\n"
    "  mediebild search 'evak* lang:sv kind:social' --sort time --limit 50\n\n"
    "  mediebild search 'flood* source:bbc-world' --type caution_and_advice --min-relevance 0.5 --json\n\n"
    "  mediebild search 'evakuering' --cursor eyJ2Ijox...   # the next page: the cursor the previous page printed\n\n"
    "A relevance-ordered cursor is only valid until the index is next refreshed (the scores move); a --sort time\n"
    "cursor survives refreshes."
)


def _hit_json(hit: Any) -> dict[str, Any]:
    out = asdict(hit)
    out["snippet"] = {"text": hit.snippet.text, "highlights": [list(s) for s in hit.snippet.highlights]}
    out["title_highlights"] = [list(s) for s in hit.title_highlights]
    return out


def _highlighted(text: str, spans: tuple[tuple[int, int], ...]) -> Text:
    """Feed text as a rich Text (never parsed as markup) with the matches styled."""
    out = Text(text)
    for start, end in spans:
        out.stylize(HIGHLIGHT, start, end)
    return out


def _show(page: Any) -> None:
    if page.total == 0:
        console.print("Inga träffar.")
        return
    shown = f"{page.total:,}".replace(",", " ") if page.total_exact else f"fler än {page.total:,}".replace(",", " ")
    order = "nyast först" if page.sort == "time" else "mest relevant först"
    console.print(f"{shown} träffar ({order})")
    if page.ranked_within:
        console.print(f"[dim]Rangordnade bland de {page.ranked_within:,} senaste träffarna; smalna av med tid eller "
                      "filter för att rangordna alla.[/dim]".replace(",", " "))
    table = Table(show_lines=True)
    table.add_column("publicerad (Stockholm)", no_wrap=True)
    table.add_column("källa")
    table.add_column("träff", ratio=1)
    table.add_column("id", no_wrap=True)
    for hit in page.hits:
        cell = _highlighted(hit.title, hit.title_highlights)
        cell.stylize("bold")
        if hit.snippet.text:
            cell.append("\n")
            cell.append_text(_highlighted(hit.snippet.text, hit.snippet.highlights))
        if hit.url:
            cell.append("\n")
            cell.append(hit.url, style="dim")
        source = Text(f"{hit.source_id or ''}\n{hit.kind or ''} {hit.lang or ''}".rstrip())
        table.add_row(fmt_local(hit.published_at), source, cell, Text(hit.id))
    console.print(table)
    if page.next_cursor:
        console.print(Text(f"Nästa sida: samma sökning och val med --cursor {page.next_cursor}"), soft_wrap=True)


def search(
    query: Annotated[str, typer.Argument(help="What to search for, e.g. 'brand AND evak*' (see the examples).")],
    db: DbOption = Path("mediebild.duckdb"),
    since: SinceOption = None,
    until: UntilOption = None,
    kind: Annotated[str | None, typer.Option(
        "--kind", help="Only these kinds: editorial, social, official (comma-separated).")] = None,
    item_lang: Annotated[str | None, typer.Option(
        "--lang", "--item-lang", help="Only items in these languages (ISO codes, e.g. sv,en).")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only these source ids (comma-separated).")] = None,
    info_type: Annotated[str | None, typer.Option(
        "--type", "--info-type",
        help="Only these information types, e.g. caution_and_advice or 'Varningar och råd'.")] = None,
    tone: Annotated[str | None, typer.Option("--tone", help="Only these tones: negative, neutral, positive.")] = None,
    min_relevance: Annotated[float | None, typer.Option(
        "--min-relevance", help="Only items whose relevance score is at least this (0-1).")] = None,
    sort: Annotated[str, typer.Option("--sort", help="relevance (BM25) or time (newest first).")] = "relevance",
    limit: Annotated[int, typer.Option("--limit", min=1, max=500, help="Hits per page.")] = 20,
    cursor: Annotated[str | None, typer.Option(
        "--cursor", help="The next page: the cursor the previous page printed (same query and options).")] = None,
    as_json: JsonOption = False,
) -> None:
    from mediebild.data.search_index import SearchIndex
    from mediebild.data.snapshot import current_search_index

    order = SORTS.get(sort.strip().lower())
    if order is None:
        raise UserError(f"--sort must be relevance or time, not {sort!r}")
    chosen = build_filter(kind=kind, info_type=info_type, tone=tone, item_lang=item_lang, source=source,
                          min_relevance=min_relevance)
    start, end = parse_when(since), parse_when(until)
    if start and end and start >= end:
        raise UserError(f"--since {since} is not before --until {until}")
    with SearchIndex(current_search_index(db)) as index:
        page = index.search(query, since=start, until=end, kinds=chosen.kinds, langs=chosen.langs,
                            sources=chosen.sources, info_types=chosen.info_types, tones=chosen.tones,
                            min_relevance=chosen.min_relevance, limit=limit, cursor=cursor, sort=order)
    if as_json:
        emit_json({"query": query, "sort": page.sort, "total": page.total, "total_exact": page.total_exact,
                   "ranked_within": page.ranked_within,
                   "filters": page.filters, "generation": page.generation,
                   "hits": [_hit_json(h) for h in page.hits], "next_cursor": page.next_cursor})
        return
    _show(page)


def register(app: typer.Typer) -> None:
    app.command("search", help=HELP)(search)
