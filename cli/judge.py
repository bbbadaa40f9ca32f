"""Officer judgements: `mediebild judge ITEM|STORY relevant|not-relevant`, `mediebild judgements list|ask`.

A judgement is stored with who and when (data/judgements.py), survives re-enrichment, and is used by the next
enrichment pass: the judged item's relevance is the judgement, and the relevance learner learns from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from mediebild.cli.common import DbOption, JsonOption, console, emit_json, open_store
from mediebild.errors import UserError
from mediebild.timeutil import fmt_local

VERDICTS = {"relevant": True, "not-relevant": False, "irrelevant": False}

judgements_app = typer.Typer(
    help="Officer judgements of relevance.\n\nExamples:\n\n  mediebild judgements list --json\n\n"
         "  mediebild judgements ask --n 5",
    no_args_is_help=True,
)


def _default_judge() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "okänd"


def judge(
    target: Annotated[str, typer.Argument(help="An item id or a story id (S12).")],
    verdict: Annotated[str, typer.Argument(help="relevant or not-relevant.")],
    note: Annotated[Optional[str], typer.Option("--note", help="Why (kept with the judgement).")] = None,
    by: Annotated[Optional[str], typer.Option("--by", help="Who judges (default: the login name).")] = None,
    db: DbOption = Path("mediebild.duckdb"),
    json_out: JsonOption = False,
) -> None:
    """Judge an item or a whole story relevant or not; the next `mediebild enrich` uses it.

    Examples:

      mediebild judge S12 not-relevant --note "annan brand" --by anna

      mediebild judge 3f2a9c0e relevant --json
    """
    from mediebild.data.judgements import add_judgement

    key = verdict.strip().lower()
    if key not in VERDICTS:
        raise UserError(f"say relevant or not-relevant, not {verdict!r}")
    store = open_store(db)
    try:
        with store.transaction() as con:
            row = add_judgement(con, target, VERDICTS[key], by=by or _default_judge(), note=note)
    finally:
        store.close()
    if json_out:
        emit_json(row)
        return
    word = "relevant" if row["relevant"] else "inte relevant"
    kind = "Storyn" if row["target"] == "story" else "Inlägget"
    console.print(f"{kind} {target} bedömt {word} av {row['judged_by']} (nr {row['id']}); "
                  "gäller från nästa `mediebild enrich`.")


@judgements_app.command("list")
def judgements_list(db: DbOption = Path("mediebild.duckdb"), json_out: JsonOption = False) -> None:
    """Every judgement, oldest first (who, when, what, why); a later one of the same target overrides.

    Examples:

      mediebild judgements list

      mediebild judgements list --json > judgements.json
    """
    from mediebild.data.judgements import list_judgements

    store = open_store(db, read_only=True)
    try:
        rows = list_judgements(store)
    finally:
        store.close()
    if json_out:
        emit_json(rows)
        return
    table = Table(title=f"Bedömningar ({len(rows)})")
    for col in ("nr", "när", "vem", "vad", "id", "bedömning", "anteckning"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["id"]), fmt_local(r["judged_at"]), r["judged_by"], r["target"], r["target_id"],
                      "relevant" if r["relevant"] else "inte relevant", r["note"] or "")
    console.print(table)


@judgements_app.command("ask")
def judgements_ask(
    n: Annotated[int, typer.Option("--n", min=1, help="How many items to ask about.")] = 5,
    db: DbOption = Path("mediebild.duckdb"),
    json_out: JsonOption = False,
) -> None:
    """The items the tool is least sure of (relevance nearest the threshold, spread over hours): judge these.

    Examples:

      mediebild judgements ask

      mediebild judgements ask --n 10 --json
    """
    from mediebild.data.profiles import load_active_profile
    from mediebild.flows.enrich import ask_officer

    store = open_store(db, read_only=True)
    try:
        profile = load_active_profile(store.con)
        if profile is None:
            raise UserError("no active profile: `mediebild profile set FILE.toml` first")
        rows = ask_officer(store, profile, n=n)
    finally:
        store.close()
    if json_out:
        emit_json(rows)
        return
    if not rows:
        console.print("Inget att fråga om ännu: kör `mediebild enrich`.")
        return
    for r in rows:
        console.print(f"[bold]{r['item_id']}[/bold]  relevans {r['relevance']:.2f}  "
                      f"{fmt_local(r['published_at']) if r['published_at'] else ''}")
        console.print(f"  {(r['title'] or r['text'] or '')[:160]}")
        if r["learned"]:
            console.print(f"  inlärda ord: {', '.join(r['learned'])}")
    console.print("Bedöm med `mediebild judge ID relevant|not-relevant`.")


def register(app: typer.Typer) -> None:
    app.command("judge")(judge)
    app.add_typer(judgements_app, name="judgements")
