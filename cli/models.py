"""Commands for the incident profile and the crisis classifiers: `profile set|show`, `eval informativeness|
info-type|topic|relevance`, `train classifiers|relevance-prior|incident-types`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from mediebild.cli.common import DbOption, JsonOption, console, emit_json, eval_app, open_store, train_app
from mediebild.errors import UserError

profile_app = typer.Typer(
    help="The incident profile (a saved search: name, start, query, terms).\n\n"
         "Examples:\n\n  mediebild profile set bryssel.toml\n\n  mediebild profile show --json",
    no_args_is_help=True,
)

EventsOption = Annotated[Path, typer.Option("--events", help="Folder of CrisisLex event folders (or one event).")]


def _table(result: dict, title: str) -> None:
    table = Table(title=f"{title}  n={result['n']}  weighted F1 {result['weighted_f1']:.3f}  "
                        f"macro F1 {result['macro_f1']:.3f}")
    for col in ("class", "precision", "recall", "F1", "support"):
        table.add_column(col, justify="left" if col == "class" else "right")
    for label, s in result["per_class"].items():
        table.add_row(label, f"{s['precision']:.3f}", f"{s['recall']:.3f}", f"{s['f1']:.3f}", str(s["support"]))
    console.print(table)
    for key in ("precision", "recall", "f1"):
        if key in result:
            console.print(f"relevant class {key}: {result[key]:.3f}")


@profile_app.command("set")
def profile_set(file: Annotated[Path, typer.Argument(help="The profile TOML file.")], db: DbOption = Path("mediebild.duckdb"),
                json_out: JsonOption = False) -> None:
    """Check a profile file and make it the active profile.

    Examples:

      mediebild profile set demo/scenario/profile.toml

      mediebild profile set bryssel.toml --db /data/mediebild.duckdb --json
    """
    from mediebild.data.profiles import save_profile
    from mediebild.profile import Profile

    profile = Profile.from_toml(file)
    store = open_store(db, create=True)
    try:
        with store.transaction() as con:
            new_id = save_profile(con, profile)
    finally:
        store.close()
    if json_out:
        emit_json({"id": new_id, "name": profile.name, "key": profile.key, "profile": profile.to_dict()})
    else:
        console.print(f"Aktiv profil: [bold]{profile.name}[/bold] (id {new_id})")


@profile_app.command("show")
def profile_show(db: DbOption = Path("mediebild.duckdb"), json_out: JsonOption = False) -> None:
    """Show the active profile.

    Examples:

      mediebild profile show

      mediebild profile show --json
    """
    from mediebild.data.profiles import load_active_profile

    store = open_store(db, read_only=True)
    try:
        profile = load_active_profile(store.con)
    finally:
        store.close()
    if json_out:
        emit_json(None if profile is None else {"name": profile.name, "key": profile.key, "profile": profile.to_dict()})
        return
    if profile is None:
        console.print("Ingen profil är satt: `mediebild profile set FIL.toml`")
        return
    console.print(profile.body.rstrip())


@profile_app.command("suggest")
def profile_suggest(
    n: Annotated[int, typer.Option("--n", min=1, help="At most this many of each kind.")] = 15,
    db: DbOption = Path("mediebild.duckdb"),
    json_out: JsonOption = False,
) -> None:
    """Terms, places and organisations the stream suggests adding to the active profile (what the relevance
    learner found since the profile's start; run `mediebild enrich` first).

    Examples:

      mediebild profile suggest

      mediebild profile suggest --n 30 --json
    """
    from mediebild.data.profiles import load_active_profile
    from mediebild.flows.enrich import suggest_profile

    store = open_store(db, read_only=True)
    try:
        profile = load_active_profile(store.con)
        if profile is None:
            raise UserError("no active profile: `mediebild profile set FILE.toml` first")
        result = suggest_profile(store, profile, n=n)
    finally:
        store.close()
    if json_out:
        emit_json(result)
        return
    console.print(f"Förslag till profilen [bold]{result['profile']}[/bold] ({result['items_seen']} inlägg sedda, "
                  f"{result['confident_items']} säkra)")
    table = Table(title="Ord (terms)")
    for col in ("ord", "vikt", "i säkra inlägg", "i alla inlägg"):
        table.add_column(col, justify="left" if col == "ord" else "right")
    for t in result["terms"]:
        table.add_row(t["term"], f"{t['weight']:.2f}", str(t["items"]), str(t["stream_items"]))
    console.print(table)
    for key, title in (("places", "Platser (places)"), ("organisations", "Organisationer (organisations)")):
        table = Table(title=title)
        for col in ("namn", "relevanta inlägg sedan start", "inlägg före start"):
            table.add_column(col, justify="left" if col == "namn" else "right")
        for e in result[key]:
            table.add_row(e["text"], str(e["items"]), str(e["items_before"]))
        console.print(table)


@eval_app.command("informativeness")
def eval_informativeness(events: EventsOption, json_out: JsonOption = False) -> None:
    """Informativeness (3 classes) of the shipped model on CrisisLexT26-format event folders.

    Examples:

      mediebild eval informativeness --events ../shared/data/crisislex/CrisisLexT26

      mediebild eval informativeness --events DIR --json
    """
    from mediebild.models.eval.classifiers import eval_informativeness as run

    result = run(events)
    emit_json(result) if json_out else _table(result, "informativeness")


@eval_app.command("info-type")
def eval_info_type(
    events: Annotated[Optional[Path], typer.Option("--events", help="Folder of CrisisLexT26 event folders.")] = None,
    items: Annotated[Optional[Path], typer.Option("--items", help="Or a CSV with columns text,label.")] = None,
    json_out: JsonOption = False,
) -> None:
    """Information type (6 classes) of the shipped model on CrisisLexT26-format event folders, or on a CSV
    (text,label) read as the pipeline reads items (Swedish with its English gloss).

    Examples:

      mediebild eval info-type --events ../shared/data/crisislex/CrisisLexT26

      mediebild eval info-type --items models/eval_data/dev/sv_info_type_dev.csv --json
    """
    from mediebild.models.eval.classifiers import eval_info_type as run
    from mediebild.models.eval.classifiers import eval_info_type_csv

    if (events is None) == (items is None):
        raise UserError("give either --events DIR or --items FILE.csv")
    if events is not None:
        result = run(events)
    else:
        assert items is not None  # checked above: exactly one of the two
        result = eval_info_type_csv(items)
    emit_json(result) if json_out else _table(result, "information type")


@eval_app.command("topic")
def eval_topic(events: EventsOption, json_out: JsonOption = False) -> None:
    """On-topic vs off-topic of the shipped model on CrisisLexT6-format event folders.

    Examples:

      mediebild eval topic --events ../shared/data/crisislex/CrisisLexT6

      mediebild eval topic --events DIR --json
    """
    from mediebild.models.eval.classifiers import eval_topic as run

    result = run(events)
    emit_json(result) if json_out else _table(result, "on/off-topic")


@eval_app.command("relevance")
def eval_relevance(
    items: Annotated[Path, typer.Option("--items", help="CSV with columns text,label (1 = about the incident).")],
    profile: Annotated[Path, typer.Option("--profile", help="The incident profile TOML.")],
    feedback: Annotated[int, typer.Option("--feedback", min=0, help="Simulate an officer who judges this many "
                                          "items the tool asks about (most uncertain, spread over time).")] = 0,
    static: Annotated[bool, typer.Option("--static", help="The profile and classifiers alone, without learning "
                                         "(the relevance before adaptive learning; no --feedback).")] = False,
    json_out: JsonOption = False,
) -> None:
    """Relevance as the pipeline computes it on a labelled CSV: the items are replayed hour by hour (an incident
    set with times; a CSV without times is one pass) and the relevance learner learns from what each pass has
    seen. Precision, recall and F1 of the relevant class, of each item as scored in its own pass.

    Examples:

      mediebild eval relevance --items models/eval_data/dev/uppsala_water/items.csv --profile models/eval_data/dev/uppsala_water/profile.toml

      mediebild eval relevance --items storm.csv --profile storm.toml --feedback 20 --json

      mediebild eval relevance --items storm.csv --profile storm.toml --static
    """
    if static and feedback:
        raise UserError("--feedback needs learning: leave out --static")
    if static:
        from mediebild.models.eval.classifiers import eval_relevance as run

        result = run(items, profile)
    else:
        from mediebild.models.eval.adaptive import eval_adaptive

        result = eval_adaptive(items, profile, feedback=feedback)
    emit_json(result) if json_out else _table(result, "relevance")
    if not json_out and "final" in result:
        console.print(f"feedback {result['feedback']} judged; AUC {result['auc']}; after the last pass F1 "
                      f"{result['final']['f1']:.3f}; profile and classifiers alone F1 {result['base']['f1']:.3f}; "
                      f"all relevant F1 {result['all_relevant_f1']:.3f}")


@train_app.command("classifiers")
def train_classifiers(
    out: Annotated[Path | None, typer.Option("--out", help="Folder for the artefacts (default: the shipped ones).")] = None,
    json_out: JsonOption = False,
) -> None:
    """Retrain relevance, categories and tone from ../shared/data, with leave-events-out scores (a few minutes).

    Examples:

      mediebild train classifiers

      mediebild train classifiers --out /tmp/artifacts --json
    """
    from mediebild.models.train.classifiers import train_all

    run_training(train_all, out, json_out)


def run_training(train: Callable[..., dict[str, Any]], out: Path | None, json_out: bool) -> None:
    """Run a training function that logs line by line: its lines on the console, or its report as JSON."""
    def log(line: str) -> None:
        if not json_out:
            console.print(line)

    report = train(out, log=log)
    if json_out:
        emit_json(report)


@train_app.command("relevance-prior")
def train_relevance_prior(
    out: Annotated[Path | None, typer.Option("--out", help="Folder for the artefact (default: the shipped one).")] = None,
    json_out: JsonOption = False,
) -> None:
    """Retrain the cross-incident relevance prior on the development relevance sets, with leave-one-set-out
    scores of the learner alone and with the prior (a few minutes).

    Examples:

      mediebild train relevance-prior

      mediebild train relevance-prior --out /tmp/artifacts --json
    """
    from mediebild.models.train.relevance_prior import train

    run_training(train, out, json_out)


@train_app.command("incident-types")
def train_incident_types(
    out: Annotated[Path | None, typer.Option("--out", help="Folder for the artefact (default: the shipped one).")] = None,
    json_out: JsonOption = False,
) -> None:
    """Retrain the information-type head on the development incident sets (models/eval_data/dev), with
    leave-one-incident-out scores of its blend with the CrisisLex head (about a minute).

    Examples:

      mediebild train incident-types

      mediebild train incident-types --out /tmp/artifacts --json
    """
    from mediebild.models.train.incident_types import train

    run_training(train, out, json_out)


def register(app: typer.Typer) -> None:
    app.add_typer(profile_app, name="profile")


__all__ = ["register", "UserError"]
