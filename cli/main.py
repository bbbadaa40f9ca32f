"""The `mediebild` command line: one entry point, sub-commands grouped by audience.

Every command takes --db (env MEDIEBILD_DB); data commands take --json. Exit codes: 0 done,
1 finished with problems (some sources failed), 2 user error. MediebildError becomes one clear line
here, at the edge, never a traceback.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

from mediebild import __version__
from mediebild.errors import MediebildError

app = typer.Typer(
    name="mediebild",
    help=(
        "Media and social-media monitoring for crisis communication.\n\n"
        "Examples:\n\n"
        "  mediebild demo --out demo-out        # the bundled incident, end to end, offline\n\n"
        "  mediebild init && mediebild sources add https://www.svt.se/nyheter/rss.xml --name SVT\n\n"
        "  mediebild ingest && mediebild digest --out out/"
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mediebild {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    """Media and social-media monitoring for crisis communication."""


def _register_commands() -> None:
    import mediebild.cli as commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name in ("common", "main", "__main__"):
            continue
        module = importlib.import_module(f"mediebild.cli.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)
    from mediebild.cli.common import eval_app, train_app

    app.add_typer(eval_app, name="eval")
    app.add_typer(train_app, name="train")


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; MediebildError becomes one line on stderr and its exit code."""
    try:
        result = app(args=argv, standalone_mode=False)  # click returns typer.Exit's code here
        if isinstance(result, int):
            return result
    except MediebildError as exc:
        sys.stderr.write(f"mediebild: error: {exc}\n")
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        sys.stderr.write("mediebild: aborted\n")
        return 130
    except Exception as exc:
        # usage errors (bad option, missing argument) arrive here in non-standalone mode; typer may
        # carry its own copy of click, so recognise them by shape rather than by class
        show, exit_code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            return exit_code
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
