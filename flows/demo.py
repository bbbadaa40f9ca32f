"""The bundled incident, end to end and offline: `mediebild demo`.

The demo scenario (demo/: a Swedish exercise day, the Brussels attacks as the model) is replayed by a
local HTTP server on 127.0.0.1 as simulated time advances. For every simulated hour this runs what
`mediebild serve` runs in real life: an ingest pass (the real Prefect flow, on Prefect's embedded
server, started once for the whole process), enrichment, story clustering and alerts, and the hourly
digest; at the end, the brief for the coordination conference. Everything lands in a DuckDB file and
in the out folder.

Social posts and official notices come from the replay server's platform APIs (X, Mastodon, Bluesky,
Reddit, Polisen, Krisinformation, SMHI, Sveriges Radio's VMA) through the real monitors, registered as
`sources add URL --kind K` would (the server's URL, the feed's query and options). The run's exercise
credentials are put into this process's environment for the run only, with a temporary state folder for
the Bluesky session (demo.credentials); the paced monitors keep their spacing on the simulated clock.

Flows layer: imports the other flows, data, monitors, demo/ (the scenario and its replay server) and the core.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

from mediebild.monitors.base import SourceConfig
from mediebild.monitors.http import HttpLimits

DEMO_LIMITS = HttpLimits(connect_timeout=2.0, read_timeout=5.0, deadline=10.0)


@dataclass
class DemoResult:
    db: Path
    out: Path
    hours: int = 0
    items: int = 0
    failed_fetches: int = 0
    documents: list[dict[str, Any]] = field(default_factory=list)
    steps: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


def fresh_database(db: Path) -> None:
    """The demo replays a fixed day: start from an empty file each time."""
    for path in (db, db.with_name(db.name + ".wal")):
        if path.exists():
            path.unlink()


def scenario_source(feed, url: str) -> SourceConfig:
    """The source `mediebild sources add URL --kind MONITOR [--query Q] [--option k=v ...]` makes of a scenario feed."""
    options = {**feed.options, **({"query": feed.query} if feed.query else {})}
    return SourceConfig(id=feed.id, monitor=feed.monitor, url=url, name=feed.name, item_kind=feed.item_kind,
                        options=options)


def add_scenario_sources(store, scenario, server) -> list[SourceConfig]:
    sources = []
    for feed in scenario.feeds:
        source = scenario_source(feed, server.url(feed.id))
        store.upsert_source(source)
        sources.append(source)
    return sources


def set_scenario_profile(store, scenario) -> Any:
    """Make the scenario's incident profile the active one."""
    from mediebild.data.profiles import save_profile
    from mediebild.profile import Profile

    profile = Profile.from_toml(scenario.profile_path)
    save_profile(store.con, profile)
    return profile


def _optional(module: str, name: str) -> Callable | None:
    try:
        mod = __import__(module, fromlist=[name])
    except ImportError:
        return None
    return getattr(mod, name, None)


def run_demo(
    out: Path,
    *,
    db: Path | None = None,
    lang: str = "sv",
    formats: tuple[str, ...] = ("html", "md", "pdf", "json"),
    use_prefect: bool = True,
    hours: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    credentials: Any = None,
) -> DemoResult:
    """Replay the scenario hour by hour; return where everything went and how long each step took.

    `credentials` (demo.credentials.DemoCredentials) are the exercise credentials the replay server accepts
    and the monitors are given; a fresh random set when None.
    """
    from mediebild.data.snapshot import publish_database
    from mediebild.data.store import Store
    from mediebild.demo.credentials import exercise_environment
    from mediebild.demo.scenario import load_scenario
    from mediebild.demo.server import ReplayServer
    from mediebild.flows.digest import make_brief, make_digest
    from mediebild.flows.ingest import ingest_pass

    started = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    db = Path(db) if db else out / "mediebild-demo.duckdb"
    fresh_database(db)
    scenario = load_scenario()
    result = DemoResult(db=db, out=out)
    enrich_pending = _optional("mediebild.flows.enrich", "enrich_pending")
    update_stories = _optional("mediebild.flows.stories", "update_stories")
    run_flow: Callable[..., Any] | None = None
    if use_prefect:
        from mediebild.flows import configure_prefect

        configure_prefect(db)
        from mediebild.flows.ingest import run_ingest_flow as run_flow

    def timed(step: str, fn: Callable[[], Any]) -> Any:
        t = time.perf_counter()
        value = fn()
        result.steps[step] = result.steps.get(step, 0.0) + time.perf_counter() - t
        return value

    hour_starts = scenario.hours[:hours] if hours else scenario.hours
    total_steps = len(hour_starts) + 1
    with ReplayServer(scenario, credentials=credentials) as server, exercise_environment(server.credentials):
        store = Store.open(db, create=True)
        try:
            add_scenario_sources(store, scenario, server)
            profile = set_scenario_profile(store, scenario)
            for n, hour in enumerate(hour_starts, start=1):
                hour_end = hour + timedelta(hours=1)
                if progress:
                    progress(f"timme {n}/{len(hour_starts)}", n - 1, total_steps)
                server.set_clock(hour_end)
                if run_flow is not None:
                    summary = timed("ingest", lambda: run_flow(str(db), now=hour_end, retries=1, retry_delay_s=0.2,
                                                              limits=DEMO_LIMITS, concurrency=4, pass_clock=True))
                else:
                    summary = timed("ingest", lambda: ingest_pass(store, now=hour_end, limits=DEMO_LIMITS, pass_clock=True))
                result.failed_fetches += len(summary.failed)
                if enrich_pending is not None:
                    timed("enrich", lambda: enrich_pending(store, profile=profile))
                if update_stories is not None:
                    timed("stories", lambda: update_stories(store, now=hour_end))
                docs = timed("digest", lambda: make_digest(store, period_start=hour, period_end=hour_end, lang=lang,
                                                           formats=formats, out_dir=out, now=hour_end))
                result.documents.extend(docs)
                result.hours += 1
            if progress:
                progress("konferensunderlag", total_steps - 1, total_steps)
            end = hour_starts[-1] + timedelta(hours=1)
            docs = timed("brief", lambda: make_brief(store, until=end, since=scenario.hours[0], lang=lang,
                                                     formats=formats, out_dir=out))
            result.documents.extend(docs)
            result.items = store.count("items")
        finally:
            store.close()
    # the readers' snapshot and search index, as a served pass leaves them: trends, top, search, export at once
    timed("publish", lambda: publish_database(db))
    if progress:
        progress("klart", total_steps, total_steps)
    result.seconds = time.perf_counter() - started
    return result
