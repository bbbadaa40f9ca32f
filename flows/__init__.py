"""The flows layer: the pipeline's steps as plain functions and as Prefect flows, and their schedules.

ingest.py (sources -> items), enrich.py (labels and entities), stories.py (dedup, clusters, alerts),
digest.py (digest and brief: made, stored, exported, sent), monitor.py (one monitoring pass: ingest, enrich,
stories), serve.py (the schedules of `mediebild serve`), demo.py (the bundled incident, end to end), and the
scale-out on a real Prefect server: fanout.py (a pass spread over workers, limits across them, reruns of what a
dead worker left), scale.py (`mediebild deploy` and the set-up of `mediebild worker`) and worker.py (the process
`mediebild worker` becomes).

Flows are thin: each task calls a plain function that is tested without Prefect, and the CLI's plain paths
call those functions directly. Prefect is imported only inside a builder decorated with `lazy_flow` (its
import costs seconds). `configure_prefect` must run before prefect is first imported: it switches telemetry
off (PREFECT_SERVER_ANALYTICS_ENABLED, DO_NOT_TRACK) and keeps PREFECT_HOME beside the data, unless the user
set these. With no PREFECT_API_URL, Prefect starts one temporary local server per process; set
PREFECT_API_URL to use a real Prefect server instead.

May import: monitors, models (runtime modules only), reports, data, the core, demo/ (for the demo driver),
and prefect.

Must never: run SQL (the store is read and written through data/ functions); be imported by anything but the
CLI (and tests); import prefect at module level.
"""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path
from typing import Callable, TypeVar

T = TypeVar("T")


def configure_prefect(db: Path | str | None = None) -> None:
    """Environment defaults for Prefect; the user's own settings win."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # An expected failure (a feed answering 500) is reported by mediebild itself, as a problem row and in
    # the run summary; Prefect's console handlers would print a traceback for it. Runs are still logged
    # to the Prefect API (and its UI) at the level above.
    for handler in ("CONSOLE", "CONSOLE_FLOW_RUNS", "CONSOLE_TASK_RUNS"):
        os.environ.setdefault(f"PREFECT_LOGGING_HANDLERS_{handler}_LEVEL", "CRITICAL")
    os.environ.setdefault("PREFECT_LOGGING_LOG_PRINTS", "false")
    os.environ.setdefault("PREFECT_UI_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    if db is not None and "PREFECT_HOME" not in os.environ:
        home = Path(db).resolve().parent / ".prefect"
        os.environ["PREFECT_HOME"] = str(home)


def lazy_flow(builder: Callable[[], T]) -> Callable[[], T]:
    """Decorate a builder of Prefect flows (or of anything built from prefect): call it once, on first use.

    Importing prefect costs seconds, so a flow module builds its flow inside a function and the plain paths
    (the CLI's `--engine plain`, the demo, the tests) never pay for it. Every call returns the object the
    first call built; a lock keeps two threads from building two.
    """
    lock = threading.Lock()
    built: list[T] = []

    @functools.wraps(builder)
    def get() -> T:
        if not built:
            with lock:
                if not built:
                    built.append(builder())
        return built[0]

    return get
