"""`mediebild stories` (list, show, update), `mediebild alerts` and `mediebild eval clusters`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from mediebild.cli.common import DbOption, JsonOption, console, emit_json, eval_app, open_store, parse_when
from mediebild.errors import UserError
from mediebild.timeutil import fmt_local

SinceOption = Annotated[
    Optional[str],
    typer.Option("--since", help="From this time: 6h (hours back), 2016-03-22T09 or an ISO time (Stockholm time unless an offset is given)."),
]
UntilOption = Annotated[
    Optional[str], typer.Option("--until", help="As of this time (same forms as --since); default: the newest item.")
]


stories_app = typer.Typer(
    help=(
        "What is happening now: stories (clusters of items) with their figures.\n\n"
        "Examples:\n\n"
        "  mediebild stories --since 6h\n\n"
        "  mediebild stories --since 2016-03-22T08 --until 2016-03-22T12 --json\n\n"
        "  mediebild stories show S12\n\n"
        "  mediebild stories update"
    ),
    invoke_without_command=True,
)


@stories_app.callback()
def stories_list(
    ctx: typer.Context,
    db: DbOption = Path("mediebild.duckdb"),
    since: SinceOption = None,
    until: UntilOption = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many stories.")] = 30,
    as_json: JsonOption = False,
) -> None:
    """List stories, most active and largest first (as of --until)."""
    if ctx.invoked_subcommand is not None:
        return
    from mediebild.data.stories import list_stories

    with open_store(db, read_only=True) as store:
        stories = list_stories(store.con, since=parse_when(since), until=parse_when(until), limit=limit)
    if as_json:
        emit_json({"stories": stories})
        return
    if not stories:
        console.print("Inga händelser (stories) ännu: kör `mediebild stories update` efter inhämtningen.")
        return
    table = Table("id", "rubrik", "först", "senast", "poster", "kanaler", "red/soc/off", "kopior", "tillväxt/h", "flaggor",
                  title="Händelser")
    for s in stories:
        flags = []
        if s["is_new"]:
            flags.append("[cyan]NY[/]")
        if s["rumour"]:
            flags.append("[red]VERIFIERA[/]")
        k = s["by_kind"]
        table.add_row(
            s["id"], (s["headline"] or "")[:70], fmt_local(s["first_seen"]), fmt_local(s["last_seen"], "%H:%M"),
            str(s["n_items"]), str(s["n_outlets"]), f"{k['editorial']}/{k['social']}/{k['official']}", str(s["n_copies"]),
            f"{s['growth_per_hour']:+.1f}", " ".join(flags),
        )
    console.print(table)
    for s in stories:
        if s["rumour"]:
            console.print(f"[red]{s['id']}[/] att verifiera: " + "; ".join(s["rumour_reasons"]))


@stories_app.command("show")
def stories_show(
    story_id: Annotated[str, typer.Argument(help="The story id, e.g. S12 (or 12).")],
    db: DbOption = Path("mediebild.duckdb"),
    as_json: JsonOption = False,
) -> None:
    """One story: its figures, its items and the copies of each (wire copies, retweets, updates).

    Examples:

      mediebild stories show S12

      mediebild stories show 12 --json
    """
    from mediebild.data.stories import get_story

    key = story_id if story_id.upper().startswith("S") else f"S{story_id}"
    with open_store(db, read_only=True) as store:
        story = get_story(store.con, key.upper())
    if story is None:
        raise UserError(f"no story {story_id!r}: see `mediebild stories`")
    if as_json:
        emit_json(story)
        return
    console.print(f"[bold]{story['id']}[/] {story['headline']}")
    console.print(
        f"{fmt_local(story['first_seen'])} – {fmt_local(story['last_seen'])}, {story['n_items']} poster i "
        f"{story['n_outlets']} kanaler, {story['n_copies']} kopior, språk: {', '.join(story['langs']) or '–'}"
    )
    if story["top_entities"]:
        console.print("Namn: " + ", ".join(f"{e['text']} ({e['count']})" for e in story["top_entities"]))
    if story["rumour"]:
        console.print("[red]Att verifiera:[/] " + "; ".join(story["rumour_reasons"]))
    table = Table("tid", "kanal", "typ", "rubrik", "kopior")
    for item in story["items"]:
        if item["is_copy_of"]:
            continue
        also = f"även i {len(item['copies'])}: " + ", ".join(c["source_id"] for c in item["copies"]) if item["copies"] else ""
        table.add_row(fmt_local(item["published_at"], "%H:%M"), item["source_id"], item["kind"], (item["title"] or "")[:70], also[:60])
    console.print(table)


@stories_app.command("update")
def stories_update(
    db: DbOption = Path("mediebild.duckdb"),
    now: Annotated[Optional[str], typer.Option("--now", help="Pass time (replays); default: the current time.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Dedup and cluster the items not yet assigned, raise spike alerts, flag rumours (one pass).

    Examples:

      mediebild stories update

      mediebild stories update --now 2016-03-22T10 --json
    """
    from mediebild.flows.stories import update_stories

    with open_store(db) as store:
        summary = update_stories(store, now=parse_when(now))
    if as_json:
        emit_json(summary)
        return
    console.print(
        f"{summary['items']} nya poster: {summary['copies']} kopior, {summary['clustered']} i händelser, "
        f"{summary['stories_opened']} nya händelser, {summary['merges']} sammanslagna, {len(summary['alerts'])} larm "
        f"({summary['seconds']} s)"
    )


def alerts_command(
    db: DbOption = Path("mediebild.duckdb"),
    since: SinceOption = None,
    until: UntilOption = None,
    as_json: JsonOption = False,
) -> None:
    """Breaking stories and spiking terms: the last hour far above the 12 before. Each is raised once.

    Examples:

      mediebild alerts

      mediebild alerts --since 12h --json
    """
    from mediebild.data.stories import list_alerts

    with open_store(db, read_only=True) as store:
        alerts = list_alerts(store.con, since=parse_when(since), until=parse_when(until))
    if as_json:
        emit_json({"alerts": alerts})
        return
    if not alerts:
        console.print("Inga larm.")
        return
    table = Table("timme", "typ", "händelse / ord", "senaste timmen", "bas/h", "poäng", title="Larm")
    for a in alerts:
        what = f"{a['story_id']} {a['headline'] or ''}" if a["kind"] == "story" else a["term"]
        table.add_row(fmt_local(a["hour"]), "händelse" if a["kind"] == "story" else "ord", what[:70],
                      str(a["count_last_hour"]), f"{a['baseline']:.1f}", f"{a['score']:.1f}")
    console.print(table)


@eval_app.command("clusters")
def eval_clusters(
    wikiref: Annotated[Optional[Path], typer.Option("--wikiref", help="The WikiRef220 folder (labels.csv, WikiRef220/).")] = None,
    crisislex: Annotated[Optional[Path], typer.Option("--crisislex", help="The CrisisLex folder: also replay one event's first day.")] = None,
    event: Annotated[str, typer.Option("--event", help="CrisisLexT26 event to replay.")] = "2013_Boston_bombings",
    stream: Annotated[Optional[Path], typer.Option(
        "--stream", help="A labelled stream CSV (id,time,lang,title,text,story): replayed hour by hour.")] = None,
    threshold: Annotated[Optional[float], typer.Option("--threshold", help="Override the join threshold.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Story clustering: B-cubed P/R/F1 and ARI on WikiRef220 or on a labelled stream; purity on a CrisisLex replay.

    Exit 1 when WikiRef B-cubed F1 falls below its pinned floor.

    Examples:

      mediebild eval clusters --wikiref ../shared/data/wikiref-news-clusters

      mediebild eval clusters --wikiref ../shared/data/wikiref-news-clusters --crisislex ../shared/data/crisislex --json

      mediebild eval clusters --stream models/eval_data/dev/norrkoping_port_stream.csv
    """
    from mediebild.models.corpora import shared_data_dir
    from mediebild.models.eval import clusters as ev

    if wikiref is None and crisislex is None and stream is None:
        wikiref = shared_data_dir() / "wikiref-news-clusters"
    results = []
    below = False
    if wikiref is not None:
        clusterer = ev.article_clusterer()
        if threshold is not None:
            clusterer.threshold = threshold
        res = ev.evaluate_wikiref(wikiref, clusterer)
        below = res["bcubed_f1"] < res["floor_bcubed_f1"] or res["topic_bcubed_f1"] < res["floor_topic_bcubed_f1"]
        results.append(res)
    if crisislex is not None:
        from mediebild.models.clustering import OnlineClusterer

        clusterer = OnlineClusterer() if threshold is None else OnlineClusterer(threshold=threshold)
        results.append(ev.evaluate_crisislex(crisislex, event, clusterer=clusterer))
    if stream is not None:
        from mediebild.models.clustering import OnlineClusterer
        from mediebild.models.eval.stream import evaluate_stream

        clusterer = OnlineClusterer() if threshold is None else OnlineClusterer(threshold=threshold)
        results.append(evaluate_stream(stream, clusterer))
    if as_json:
        emit_json({"results": results, "below_floor": below})
    else:
        for res in results:
            table = Table("mått", "värde", title=res["dataset"])
            for key, value in res.items():
                if key != "dataset":
                    table.add_row(key, str(value))
            console.print(table)
    if below:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(stories_app, name="stories")
    app.command("alerts")(alerts_command)
