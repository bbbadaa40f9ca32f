"""Ingest: one pass over every enabled source, each fetched on its own, stored as it arrives.

The work is split so that each piece can be tested without Prefect:

* `collect(source, cursor, now)` fetches and parses one source and never raises: failures become a
  SourceOutcome with problems (`fetch_and_parse` is the same but lets transient errors escape, so
  Prefect can retry them);
* `store_outcome(store, outcome)` writes one source's items, fetch row, problems and cursor in one
  transaction (a crash loses at most the source in flight; re-running stores nothing twice);
* `run_sources(store, sources, submit, ...)` is the one ingest loop: it starts every source through
  `submit` (bounded concurrency is the submitter's), writes each outcome as it arrives, from the calling
  thread, and sums them up (`IngestSummary`, whose exit code is 1 when a source failed);
* `ingest_pass(store, ...)` runs that loop plainly: `submit` puts `collect` on a thread pool;
* `get_ingest_flow()` is the Prefect flow around the same loop: `submit` starts a task per source, which
  Prefect retries on transient errors only, on the flow's thread-pool task runner.

`store` is any IngestStore (data/intake.py): the embedded DuckDB Store, or the shared Postgres intake that
workers on several machines write into (`[store] catalog`), whose `sources()` hands each worker the sources
it claimed, so no source is fetched twice at once.

Monitors that pace their calls (the official ones: Polisen's 10 s and 60 an hour) measure real time by
default. With `pass_clock=True` they measure the pass's own clock instead (`now` plus the real time
elapsed since the fetch began): a replay of simulated time (the demo) passes it so that their spacing is
kept in simulated time, where an hour passes between two passes.

Flows layer: imports the core, monitors and data (the store, only inside the flow); never SQL of its own.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

from mediebild.data.intake import IngestStore, SharedIntake
from mediebild.errors import ConfigError, SourceError
from mediebild.flows import lazy_flow
from mediebild.monitors import monitor_for
from mediebild.monitors.base import FetchResult, ParseResult, Problem, SourceConfig
from mediebild.monitors.http import DEFAULT_LIMITS, HttpLimits
from mediebild.profile import Profile
from mediebild.timeutil import utcnow


@dataclass
class SourceOutcome:
    source_id: str
    started_at: datetime
    finished_at: datetime
    fetched: FetchResult | None = None
    parsed: ParseResult | None = None
    problems: list[Problem] = field(default_factory=list)
    attempts: int = 1
    url: str | None = None  # what was fetched (the source's URL; fetches remember it)

    @property
    def ok(self) -> bool:
        """The source answered and something was read (or it was unchanged)."""
        if self.fetched is None:
            return False
        if self.fetched.not_modified:
            return True
        return not any(p.severity == "error" for p in self.problems) or bool(self.parsed and self.parsed.items)


@dataclass
class IngestSummary:
    run_id: str
    sources: int = 0
    failed: list[str] = field(default_factory=list)
    items_new: int = 0
    items_updated: int = 0
    items_seen: int = 0
    per_source: list[dict[str, Any]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "sources": self.sources, "failed": self.failed, "items_new": self.items_new,
            "items_updated": self.items_updated, "items_seen": self.items_seen, "per_source": self.per_source,
        }


def _clock(now: datetime) -> Callable[[], datetime]:
    """Times on the pass's own clock: `now` (an argument, so a replay is consistent) plus real elapsed time."""
    t0 = time.monotonic()
    return lambda: now + timedelta(seconds=time.monotonic() - t0)


def fetch_and_parse(source: SourceConfig, cursor: dict[str, Any], now: datetime, limits: HttpLimits = DEFAULT_LIMITS,
                    pass_clock: bool = False) -> SourceOutcome:
    """Fetch and parse one source; SourceError escapes (for retries), content problems do not."""
    clock = _clock(now)
    monitor = monitor_for(source.monitor, limits, clock=clock if pass_clock else None)
    fetched = monitor.fetch(source, cursor, now=now)
    if fetched.not_modified:
        return SourceOutcome(source.id, now, clock(), fetched=fetched, url=source.url)
    parsed = monitor.parse(source, fetched, now=now)
    return SourceOutcome(source.id, now, clock(), fetched=fetched, parsed=parsed, problems=list(parsed.problems),
                         url=source.url)


def failed_outcome(source: SourceConfig, exc: BaseException, started: datetime, attempts: int = 1,
                   finished: datetime | None = None) -> SourceOutcome:
    if isinstance(exc, SourceError):
        problem = Problem(exc.code, str(exc))
    elif isinstance(exc, ConfigError):
        problem = Problem("config", str(exc))
    else:
        problem = Problem("internal", f"{type(exc).__name__}: {str(exc)[:300]}")
    return SourceOutcome(source.id, started, finished or started, problems=[problem], attempts=attempts,
                         url=source.url)


def collect(source: SourceConfig, cursor: dict[str, Any], now: datetime, limits: HttpLimits = DEFAULT_LIMITS,
            pass_clock: bool = False) -> SourceOutcome:
    """fetch_and_parse that never raises: a failure is an outcome with a problem."""
    clock = _clock(now)
    try:
        return fetch_and_parse(source, cursor, now, limits, pass_clock)
    except Exception as exc:  # one source's failure, whatever it is, must not stop the others
        return failed_outcome(source, exc, now, finished=clock())


def store_outcome(store: IngestStore, outcome: SourceOutcome, *, run_id: str | None = None) -> dict[str, Any]:
    """Write one source's outcome atomically; return a summary row."""
    fetched, parsed = outcome.fetched, outcome.parsed
    items = parsed.items if parsed else []
    # what the parse kept (seen ids of API sources) wins over what the fetch knew (ETag, pacing)
    cursor = parsed.cursor if parsed is not None else fetched.cursor if fetched is not None else None
    _, counts = store.record_fetch(
        source_id=outcome.source_id,
        run_id=run_id,
        started_at=outcome.started_at,
        finished_at=outcome.finished_at,
        http_status=fetched.status if fetched else None,
        size=fetched.size if fetched else 0,
        not_modified=bool(fetched and fetched.not_modified),
        items=items,
        problems=outcome.problems,
        ok=outcome.ok,
        cursor=cursor,
        attempts=outcome.attempts,
        url=outcome.url,
    )
    first_error = next((p for p in outcome.problems if p.severity == "error"), None)
    return {
        "source": outcome.source_id, "ok": outcome.ok, "status": fetched.status if fetched else None,
        "not_modified": bool(fetched and fetched.not_modified), "items": len(items), "new": counts.new,
        "updated": counts.updated, "problem": f"{first_error.code}: {first_error.message}" if first_error else None,
        "warnings": [p.code for p in outcome.problems if p.severity == "warning"],
    }


def _add(summary: IngestSummary, row: dict[str, Any]) -> None:
    summary.per_source.append(row)
    summary.items_new += row["new"]
    summary.items_updated += row["updated"]
    summary.items_seen += row["items"] - row["new"] - row["updated"]
    if not row["ok"]:
        summary.failed.append(row["source"])


# Starts one source: (source, its cursor) -> a future whose result() is the SourceOutcome, or raises.
Submit = Callable[[SourceConfig, dict[str, Any]], Any]


# Platforms whose search needs a query; a source of these kinds added without --query searches for the
# active incident profile's terms and places.
PROFILE_QUERY_KINDS = ("x", "bluesky")


def with_profile_queries(sources: list[SourceConfig], profile: Profile | None) -> list[SourceConfig]:
    """Sources as they fetch this pass: an X or Bluesky source without a query gets the profile's."""
    query = profile.search_query() if profile is not None else None
    if not query:
        return sources
    return [dataclasses.replace(s, options={**s.options, "query": query})
            if s.monitor in PROFILE_QUERY_KINDS and not s.query else s for s in sources]


def run_sources(
    store: IngestStore,
    sources: Iterable[SourceConfig],
    submit: Submit,
    *,
    now: datetime,
    completed: Callable[[list[Any]], Iterable[Any]] = as_completed,
    retries: int = 0,
    on_done: Callable[[dict[str, Any]], None] | None = None,
    run_id: str | None = None,
) -> IngestSummary:
    """The one ingest loop: start every source through `submit`, store each outcome as it arrives, sum up.

    `completed(futures)` yields the futures as they finish (concurrent.futures' as_completed, or Prefect's).
    A future whose result() raises failed after the submitter's `retries` (transient errors only): it is
    stored as a failed fetch that took 1 + `retries` attempts (1 for a permanent error). Each source is
    written in one transaction, from this thread; `on_done(row)` follows each.
    """
    sources = with_profile_queries(list(sources), store.active_profile())
    summary = IngestSummary(run_id=run_id or uuid.uuid4().hex[:12], sources=len(sources))
    clock = _clock(now)
    futures = {submit(s, store.cursor(s.id)): s for s in sources}
    for future in completed(list(futures)):
        source = futures[future]
        try:
            outcome = future.result()
        except Exception as exc:  # one source's failure, whatever it is, must not stop the others
            attempts = 1 + (retries if isinstance(exc, SourceError) and exc.transient else 0)
            outcome = failed_outcome(source, exc, now, attempts, finished=clock())
        row = store_outcome(store, outcome, run_id=summary.run_id)
        _add(summary, row)
        if on_done:
            on_done(row)
    summary.per_source.sort(key=lambda r: r["source"])
    summary.failed.sort()  # in source order, not in the order the fetches happened to finish
    return summary


def ingest_pass(
    store: IngestStore,
    *,
    now: datetime | None = None,
    limits: HttpLimits = DEFAULT_LIMITS,
    concurrency: int = 4,
    sources: Iterable[SourceConfig] | None = None,
    on_done: Callable[[dict[str, Any]], None] | None = None,
    pass_clock: bool = False,
) -> IngestSummary:
    """One pass over the sources without Prefect: `concurrency` threads fetch, this thread writes; no retries."""
    when = now or utcnow()
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        def run(chosen: list[SourceConfig], run_id: str | None) -> IngestSummary:
            return run_sources(store, chosen, lambda s, cursor: pool.submit(collect, s, cursor, when, limits, pass_clock),
                               now=when, on_done=on_done, run_id=run_id)

        if sources is not None:
            return run(list(sources), None)
        return claimed_rounds(store, run)


def claimed_rounds(store: IngestStore, run: Callable[[list[SourceConfig], str | None], IngestSummary]) -> IngestSummary:
    """`run` over the store's sources; a shared intake hands them out a batch at a time (its `claim_batch`), so
    ask again until this pass has nothing left, and sum the rounds up as one pass (one run id)."""
    summary = run(store.sources(), None)
    if not isinstance(store, SharedIntake):
        return summary
    while more := store.sources():
        part = run(more, summary.run_id)
        summary.sources += part.sources
        summary.failed += part.failed
        summary.items_new += part.items_new
        summary.items_updated += part.items_updated
        summary.items_seen += part.items_seen
        summary.per_source += part.per_source
    summary.per_source.sort(key=lambda r: r["source"])
    summary.failed.sort()
    return summary


def open_ingest_store(db: str, catalog: str | None, *, wait: float = 0.0) -> Any:
    """Where an ingest pass writes: the shared intake at `catalog` (the settings' [store] catalog), else the
    DuckDB file `db`. Either is a context manager."""
    if catalog:
        from mediebild.settings import load_settings

        cfg = load_settings().store
        return SharedIntake.open(catalog, claim_ttl_s=cfg.claim_ttl_s, refetch_after_s=cfg.refetch_after_s,
                                 claim_batch=cfg.claim_batch)
    from mediebild.data.store import Store

    return Store.open(db, wait=wait)


# -- Prefect -------------------------------------------------------------------------------------


def _only_transient(task, task_run, state) -> bool:
    """Retry condition: retry SourceErrors that say they are transient, nothing else."""
    try:
        state.result()
    except SourceError as exc:
        return exc.transient
    except Exception:
        return False
    return False


@lazy_flow
def get_ingest_flow():
    """The Prefect flow `ingest`, built on first use (flows.lazy_flow)."""
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE
    from prefect.task_runners import ThreadPoolTaskRunner

    @task(
        name="fetch-source",
        task_run_name="fetch-{source.id}",
        retries=2,
        retry_delay_seconds=2,
        retry_condition_fn=_only_transient,
        cache_policy=NO_CACHE,
        persist_result=False,
    )
    def fetch_source(source: SourceConfig, cursor: dict[str, Any], now: datetime, limits: HttpLimits,
                     pass_clock: bool = False) -> SourceOutcome:
        return fetch_and_parse(source, cursor, now, limits, pass_clock)

    @flow(name="ingest", task_runner=ThreadPoolTaskRunner(max_workers=4), persist_result=False, log_prints=False)
    def ingest_flow(
        db: str,
        now: datetime | None = None,
        retries: int = 2,
        retry_delay_s: float = 2.0,
        limits: HttpLimits = DEFAULT_LIMITS,
        pass_clock: bool = False,
        catalog: str | None = None,
    ) -> dict[str, Any]:
        """One ingest pass over every enabled source of the database `db` (`pass_clock`: see the module); with
        `catalog` (a postgresql:// URL) over the sources this worker claims in that shared intake, written there."""
        from prefect.futures import as_completed as prefect_completed

        from mediebild.data.store import STEP_WAIT_SECONDS

        when = now or utcnow()
        task_fn = fetch_source.with_options(retries=retries, retry_delay_seconds=retry_delay_s)
        with open_ingest_store(db, catalog, wait=STEP_WAIT_SECONDS) as store:
            # the flow's ThreadPoolTaskRunner bounds how many fetches run at once
            summary = claimed_rounds(store, lambda chosen, run_id: run_sources(
                store, chosen, lambda s, cursor: task_fn.submit(s, cursor, when, limits, pass_clock),
                now=when, completed=prefect_completed, retries=retries, run_id=run_id))
        return summary.as_dict()

    return ingest_flow


def run_ingest_flow(db: str, **kwargs: Any) -> IngestSummary:
    """Run the flow (on Prefect's embedded server unless PREFECT_API_URL is set) and return its summary."""
    from prefect.task_runners import ThreadPoolTaskRunner

    concurrency = max(1, int(kwargs.pop("concurrency", 4)))
    flow = get_ingest_flow().with_options(task_runner=ThreadPoolTaskRunner(max_workers=concurrency))
    return IngestSummary(**flow(db=str(db), **kwargs))
