"""Scaled-out ingest: one pass spread over Prefect workers, the platforms' limits held across all of them.

**How the work is split.** The pass (`fan_out_ingest`, the ingest step of the `monitor-pass` deployment when
the flows run on a Prefect server) reads the enabled sources and cuts them into groups of `group_size`, API
sources dealt out first so that no group holds two of them; each group is one flow run of the `ingest-sources`
deployment, which any worker of the `mediebild` pool picks up. A group and not a source per flow run: a process
worker starts every flow run in a fresh Python process (2-3 s of imports on this machine), which 30 one-feed
runs would spend mostly starting. Inside a group the sources are fetched by threads, as in `mediebild ingest`,
each with the same retries of transient errors.

**Limits across workers** (Prefect global concurrency limits, made or updated by `ensure_limits` at deploy time
and before every pass, so a source added since has its own):

* `mediebild-kind-<kind>`: a rate limit (a bucket of `burst` slots that decays at `rate` per second) for each
  platform of KIND_RATES, API-NOTES' documented limits (`[scale.rates]` in mediebild.toml overrides). Every
  request of such a source takes a slot first (monitors.http.request_gate), so all workers together stay within
  the platform's rate: the bucket plus what decays within the platform's window never exceeds its count;
* `mediebild-source-<id>`: limit 1, held with a lease while one source's cursor is read, the source fetched and
  its outcome stored, so no source is fetched by two workers at once and its cursor never goes backwards.

**A killed worker.** Prefect marks a run Crashed when its process dies under a live worker; when the worker
itself dies (SIGKILL, a machine lost) its runs stay Running and nothing else notices. So the pass watches its
group runs: `mediebild worker` tags each run it claims `worker:<name>` (flows/worker.py), and a run whose worker
has missed three heartbeats is set Crashed by the pass (so is a run left Pending or Running without a worker tag
for `lost_after_s` while a worker of the pool is dead: one claimed in the instant before its tag). A Crashed, Failed or
Cancelled group runs again (up to `reruns` times) with only its sources that have no fetch row of this pass yet
(`run_fetches` of the store or the intake): what the killed run stored stays, what it had in flight is fetched
again, and since items are upserted by id nothing is stored twice. A source in flight when its worker died keeps
its slot until the lease lapses (60 s, Prefect's minimum), so its rerun waits that long. If the pass itself dies,
the next scheduled pass fetches everything again.

**The store.** Every process reaches the store through `ingest_store(db, catalog)` only. Without a catalog it is
a short read-write open of the DuckDB file, which allows one writer process at a time, so each source's outcome
is one short open and Store.open waits for the gap; while the groups run, the pass publishes the readers'
snapshot every `publish_every_s` when something new was stored, so readers see fetched items within that time
instead of at the end of the pass.

**With a catalog** (`[store] catalog`, handed to the pass and on to every group as a parameter: the URL only,
the password stays in each machine's PGPASSWORD) it is the shared Postgres intake (data/intake.py), so workers on
any machine write there and none needs the DuckDB file; the writer's pull (flows/intake.py, which the monitoring
pass runs after its groups) moves every row into DuckDB exactly once, and publishing follows the pull, not the
groups. The pass lists the intake's sources without claiming them (`all_sources`) and reads reruns and its summary
from the intake's fetch rows (`SharedIntake.run_fetches`). *Claims and limits.* A group claims each source in
the intake once it holds the source's Prefect slot, by name (`SharedIntake.claim`: the pass chose the source,
so neither `last_fetched_at` nor the claim batch applies). Between groups the Prefect limit of 1 is the lock:
whoever holds the slot takes over a claim another group left (`fanout:` names, a killed worker's, whose 10-minute
claim would otherwise outlive its 60-s slot and stall the rerun). Against `mediebild ingest` workers claiming
from the same intake the claim is the lock: the group waits (at most the claim's lease) until theirs ends, then
fetches with the cursor they stored. So the two never fight, and no source is fetched by two processes at once.

Flows layer: imports flows.ingest, flows.publish, data (the store, the intake), monitors (limits, the
request gate), the core and prefect (inside functions only).
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from mediebild.data.intake import IngestStore, SharedIntake, worker_name
from mediebild.data.store import STEP_WAIT_SECONDS, Store
from mediebild.errors import SourceError, UserError
from mediebild.flows import lazy_flow
from mediebild.flows.ingest import IngestSummary, SourceOutcome, failed_outcome, fetch_and_parse, store_outcome
from mediebild.flows.ingest import with_profile_queries
from mediebild.monitors.base import SourceConfig
from mediebild.monitors.http import DEFAULT_LIMITS, HttpLimits, request_gate
from mediebild.timeutil import utcnow

log = logging.getLogger(__name__)

POOL = "mediebild"
GROUP_FLOW = "ingest-sources"
GROUP_DEPLOYMENT = "mediebild-ingest-sources"
GROUP_QUEUE = "groups"  # the pool's work queue of the group runs: `mediebild worker --groups-only` takes only these
WORKER_ENV = "MEDIEBILD_WORKER_NAME"  # the name `mediebild worker` gives its Prefect worker (flows/worker.py)
SOURCE_LEASE_S = 60.0  # Prefect's shortest lease: how long a dead holder keeps a source's slot
CLAIM_PREFIX = "fanout:"  # the intake claims of fan-out groups, which only a holder of the source's slot takes
MISSED_HEARTBEATS = 3

# kind: (requests, per seconds), from API-NOTES (shared/API-NOTES.md); the sources of other kinds (feeds, the
# official APIs without a documented quota) have no platform rate and are paced by their own monitors.
KIND_RATES: dict[str, tuple[int, float] | tuple[int, float, int]] = {
    "mastodon": (300, 300.0),  # 300 requests / 5 min per account and per IP (instance-configurable)
    "bluesky": (3000, 300.0),  # PDS: 3000 requests / 5 min per IP
    "x": (450, 900.0),  # recent search: 450 / 15 min per app
    "reddit": (100, 60.0),  # 100 queries / min per OAuth client id
    "polisen": (60, 3600.0, 1),  # 60 calls / hour and at least 10 s apart: a bucket of 1, one slot every 61 s
}


# -- limits ---------------------------------------------------------------------------------------


def kind_limit(kind: str) -> str:
    return f"mediebild-kind-{kind}"


def source_limit(source_id: str) -> str:
    return f"mediebild-source-{source_id}"


@dataclass(frozen=True)
class Rate:
    """A platform's documented rate as a bucket: `burst` slots at once, refilled at `per_second`.

    A bucket of B slots refilled at r per second lets at most B + r*W requests through in any window of W
    seconds, so B + r*W is kept at the platform's count: B is a tenth of it (at least 1), r the rest over W.
    """

    requests: int
    seconds: float
    max_burst: int | None = None  # 1 for a platform that wants its calls spaced

    @property
    def burst(self) -> int:
        return max(1, self.max_burst or self.requests // 10)

    @property
    def per_second(self) -> float:
        return max(self.requests - self.burst, 1) / self.seconds


def effective_rates(overrides: dict[str, Any] | None = None) -> dict[str, Rate]:
    """KIND_RATES with `[scale.rates]` (kind = [requests, seconds]) on top; a bad entry is a UserError."""
    rates = {kind: Rate(*value) for kind, value in KIND_RATES.items()}
    for kind, value in (overrides or {}).items():
        try:
            requests, seconds = value
            rates[str(kind)] = Rate(int(requests), float(seconds))
        except (TypeError, ValueError):
            raise UserError(f"[scale.rates] {kind} = {value!r}: give [requests, seconds], e.g. [300, 300]") from None
        if rates[str(kind)].requests < 1 or rates[str(kind)].seconds <= 0:
            raise UserError(f"[scale.rates] {kind} = {value!r}: requests >= 1 and seconds > 0")
    return rates


def ensure_limits(rates: dict[str, Rate], source_ids: list[str]) -> None:
    """Create (or bring up to date) the per-kind rate limits and the per-source limits of 1 on the server."""
    from prefect import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
    from prefect.exceptions import ObjectNotFound

    wanted: dict[str, tuple[int, float | None]] = {kind_limit(k): (r.burst, r.per_second) for k, r in rates.items()}
    wanted.update({source_limit(s): (1, None) for s in source_ids})
    with get_client(sync_client=True) as client:
        existing = {}
        offset = 0
        while True:
            page = client.read_global_concurrency_limits(limit=200, offset=offset)
            existing.update({lim.name: lim for lim in page})
            if len(page) < 200:
                break
            offset += 200
        for name, (limit, decay) in wanted.items():
            found = existing.get(name)
            if found is None:
                try:
                    client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(
                        name=name, limit=limit, slot_decay_per_second=decay or 0.0, active=True))
                except Exception:  # another pass made it meanwhile
                    log.debug("limit %s exists already", name)
            elif found.limit != limit or abs((found.slot_decay_per_second or 0.0) - (decay or 0.0)) > 1e-9:
                try:
                    client.update_global_concurrency_limit(name, GlobalConcurrencyLimitUpdate(
                        limit=limit, slot_decay_per_second=decay or 0.0))
                except ObjectNotFound:
                    pass


# -- the store, behind one function ----------------------------------------------------------------


@contextmanager
def ingest_store(db: str, catalog: str | None = None) -> Iterator[IngestStore]:
    """The one way the scaled-out ingest reaches the store: with `catalog`, the shared intake there (as this
    process's fan-out claimer); else a short read-write open of the DuckDB file `db` that waits for the gap while
    another process holds it."""
    if catalog:
        from mediebild.settings import load_settings

        lease = load_settings().store.claim_ttl_s  # as `mediebild ingest` workers claim: how long to wait for one
        with SharedIntake.open(catalog, worker=group_worker(), claim_ttl_s=lease) as intake:
            yield intake
        return
    with Store.open(db, wait=STEP_WAIT_SECONDS) as store:
        yield store


def group_worker() -> str:
    """This process's name in the intake's claims: `fanout:` + the `mediebild worker`'s name (or host) + pid."""
    name = os.environ.get(WORKER_ENV)
    return f"{CLAIM_PREFIX}{name}:{os.getpid()}" if name else f"{CLAIM_PREFIX}{worker_name()}"


def listed_sources(store: IngestStore) -> list[SourceConfig]:
    """The enabled sources, none claimed (an intake's `sources()` claims what it returns; listing must not)."""
    return store.all_sources() if isinstance(store, SharedIntake) else store.sources()


def claim_in_intake(intake: SharedIntake, source_id: str, *, take_over: bool, wait_s: float | None = None,
                    poll_s: float = 1.0) -> bool:
    """Claim `source_id` for this group (see the module): False when the intake has no such enabled source, or a
    `mediebild ingest` worker's claim did not end within `wait_s` (default: the claim lease, by when it lapses)."""
    deadline = time.monotonic() + (intake.claim_ttl_s + 5.0 if wait_s is None else wait_s)
    while True:
        holder = intake.claim(source_id, take_over=CLAIM_PREFIX if take_over else None)
        if holder is None:
            return True
        if holder == "" or time.monotonic() >= deadline:
            log.warning("mediebild: %s not fetched: %s", source_id,
                        f"claimed by {holder} in the intake" if holder else "not an enabled source of the intake")
            return False
        time.sleep(poll_s)


# -- one group of sources, in one flow run on a worker ------------------------------------------------


def fetch_with_retries(source: SourceConfig, cursor: dict[str, Any], now: datetime, limits: HttpLimits,
                       retries: int, retry_delay_s: float) -> SourceOutcome:
    """fetch_and_parse with `retries` more tries of a transient SourceError; never raises (as ingest's tasks)."""
    attempt = 0
    while True:
        attempt += 1
        try:
            outcome = fetch_and_parse(source, cursor, now, limits)
            outcome.attempts = attempt
            return outcome
        except SourceError as exc:
            if exc.transient and attempt <= retries:
                time.sleep(retry_delay_s)
                continue
            return failed_outcome(source, exc, now, attempt, finished=utcnow())
        except Exception as exc:  # one source's failure must not stop the group
            return failed_outcome(source, exc, now, attempt, finished=utcnow())


def ingest_one(db: str, source: SourceConfig, *, run_id: str, now: datetime, limits: HttpLimits, retries: int,
               retry_delay_s: float, rated_kinds: frozenset[str], slots: bool = True,
               catalog: str | None = None, claim_wait_s: float | None = None) -> dict[str, Any] | None:
    """Hold the source's slot (and with a catalog its intake claim), read its cursor, fetch (each request through
    its kind's rate limit), store. None when the intake would not let this group claim it (`claim_in_intake`)."""
    from prefect.concurrency.sync import concurrency, rate_limit

    def gate() -> None:
        rate_limit(kind_limit(source.monitor), strict=True)

    held = concurrency(source_limit(source.id), occupy=1, lease_duration=SOURCE_LEASE_S, strict=True) if slots \
        else _nothing()
    with held:
        with ingest_store(db, catalog) as store:
            if isinstance(store, SharedIntake) and \
                    not claim_in_intake(store, source.id, take_over=slots, wait_s=claim_wait_s):
                return None
            cursor = store.cursor(source.id)
        with request_gate(gate if source.monitor in rated_kinds else None):
            outcome = fetch_with_retries(source, cursor, now, limits, retries, retry_delay_s)
        with ingest_store(db, catalog) as store:  # record_fetch ends the intake claim with the fetch
            return store_outcome(store, outcome, run_id=run_id)


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def ingest_group(db: str, source_ids: list[str], *, run_id: str, now: datetime, limits: HttpLimits = DEFAULT_LIMITS,
                 retries: int = 2, retry_delay_s: float = 2.0, rated_kinds: list[str] | None = None,
                 concurrency: int = 4, slots: bool = True, catalog: str | None = None,
                 claim_wait_s: float | None = None) -> list[dict[str, Any]]:
    """Fetch and store the sources `source_ids` of the pass `run_id` that have no fetch row of it yet, into the
    intake at `catalog` when given, else into the DuckDB file `db`. `slots=False`: without the Prefect limits (tests
    without a server; an intake claim of another group is then not taken over)."""
    with ingest_store(db, catalog) as store:
        known = {s.id: s for s in listed_sources(store)}
        done = {r["source_id"] for r in store.run_fetches(run_id)}
        profile = store.active_profile()
    todo = with_profile_queries([known[i] for i in source_ids if i in known and i not in done], profile)
    kinds = frozenset(rated_kinds or ())
    rows = []
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        futures = [pool.submit(ingest_one, db, s, run_id=run_id, now=now, limits=limits, retries=retries,
                               retry_delay_s=retry_delay_s, rated_kinds=kinds, slots=slots, catalog=catalog,
                               claim_wait_s=claim_wait_s) for s in todo]
        for future in as_completed(futures):
            row = future.result()
            if row is not None:
                rows.append(row)
    return sorted(rows, key=lambda r: str(r["source"]))


@lazy_flow
def get_group_flow() -> Any:
    """The Prefect flow `ingest-sources`: one group of a scaled-out pass, built on first use."""
    from prefect import flow

    def ingest_sources(db: str, source_ids: list[str], run_id: str, now: datetime,
                       limits: HttpLimits = DEFAULT_LIMITS, retries: int = 2, retry_delay_s: float = 2.0,
                       rated_kinds: list[str] | None = None, concurrency: int = 4,
                       catalog: str | None = None) -> dict[str, Any]:
        """Fetch and store one group of sources of the pass `run_id` (skipping those it already stored), into the
        shared intake at `catalog` (a URL without password) when given, else into the DuckDB file `db`."""
        rows = ingest_group(db, source_ids, run_id=run_id, now=now, limits=limits, retries=retries,
                            retry_delay_s=retry_delay_s, rated_kinds=rated_kinds, concurrency=concurrency,
                            catalog=catalog)
        return {"sources": len(rows), "items_new": sum(int(r["new"]) for r in rows)}

    ingest_sources.__qualname__ = ingest_sources.__name__  # importable as mediebild.flows.fanout.ingest_sources
    return flow(name=GROUP_FLOW, persist_result=False, log_prints=False)(ingest_sources)


def __getattr__(name: str) -> Any:
    """`ingest_sources`, the group flow, as a module attribute: a worker loads it from the deployment's
    entrypoint (mediebild.flows.fanout.ingest_sources)."""
    if name == "ingest_sources":
        return get_group_flow()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -- the pass: fan out, watch, rerun what a dead worker left ----------------------------------------


def split_groups(sources: list[SourceConfig], group_size: int) -> list[list[str]]:
    """Source ids in groups of at most `group_size`: API sources dealt out first, one per group, then feeds."""
    group_size = max(1, group_size)
    n = max(1, -(-len(sources) // group_size))
    api = [s for s in sources if s.monitor in KIND_RATES]
    rest = [s for s in sources if s.monitor not in KIND_RATES]
    groups: list[list[str]] = [[] for _ in range(n)]
    for k, s in enumerate(api + rest):
        groups[k % n].append(s.id)
    return [g for g in groups if g]


@dataclass
class GroupRun:
    source_ids: list[str]
    run_id: Any  # the Prefect flow run's UUID
    attempt: int = 1


@dataclass
class FanOutResult:
    summary: IngestSummary
    runs: int = 0
    reruns: list[dict[str, Any]] = field(default_factory=list)
    publishes: int = 0
    unfinished: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {**self.summary.as_dict(), "group_runs": self.runs, "reruns": self.reruns,
                "publishes": self.publishes, "unfinished": self.unfinished}


def _dead_workers(client: Any, pool: str) -> set[str]:
    """Workers of the pool that Prefect marks OFFLINE or that missed MISSED_HEARTBEATS heartbeats."""
    now = datetime.now(timezone.utc)
    dead = set()
    for worker in client.read_workers_for_work_pool(pool):
        interval = float(worker.heartbeat_interval_seconds or 30)
        last = worker.last_heartbeat_time
        status = str(getattr(worker.status, "value", worker.status) or "").upper()
        if status == "OFFLINE" or last is None or (now - last).total_seconds() > MISSED_HEARTBEATS * interval + 1:
            dead.add(worker.name)
    return dead


def fan_out_ingest(
    db: str,
    *,
    catalog: str | None = None,
    now: datetime | None = None,
    group_size: int = 8,
    rates: dict[str, Any] | None = None,
    retries: int = 2,
    retry_delay_s: float = 2.0,
    limits: HttpLimits = DEFAULT_LIMITS,
    concurrency: int = 4,
    reruns: int = 2,
    publish_every_s: float = 10.0,
    timeout_s: float = 1800.0,
    poll_s: float = 1.0,
    pool: str = POOL,
    lost_after_s: float = 120.0,
    on_rerun: Callable[[dict[str, Any]], None] | None = None,
) -> FanOutResult:
    """One ingest pass spread over the pool's workers (see the module); returns when every group is settled.
    With `catalog` the groups write into that shared intake and nothing is published: pull it in (flows/intake.py)."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.deployments import run_deployment
    from prefect.states import Crashed

    from mediebild.data.snapshot import publish_database

    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_deployment_by_name(f"{GROUP_FLOW}/{GROUP_DEPLOYMENT}")
        except ObjectNotFound:
            raise UserError(f"the Prefect server has no deployment {GROUP_FLOW}/{GROUP_DEPLOYMENT}: run "
                            "`mediebild deploy` first, and start workers with `mediebild worker`") from None
    when = now or utcnow()
    run_id = uuid.uuid4().hex[:12]
    with ingest_store(db, catalog) as store:
        sources = listed_sources(store)
    table = effective_rates(rates)
    ensure_limits(table, [s.id for s in sources])
    rated = sorted({s.monitor for s in sources} & set(table))
    result = FanOutResult(IngestSummary(run_id=run_id, sources=len(sources)))

    def submit(ids: list[str], attempt: int) -> GroupRun:
        run: Any = run_deployment(  # a FlowRun (a coroutine only when called from async code)
            f"{GROUP_FLOW}/{GROUP_DEPLOYMENT}", timeout=0, as_subflow=True,
            parameters={"db": db, "source_ids": ids, "run_id": run_id, "now": when, "limits": limits,
                        "retries": retries, "retry_delay_s": retry_delay_s, "rated_kinds": rated,
                        "concurrency": concurrency, "catalog": catalog},
            tags=["mediebild", f"pass:{run_id}"], flow_run_name=f"{run_id}-{ids[0]}-try{attempt}")
        result.runs += 1
        return GroupRun(ids, run.id, attempt)

    active = {g.run_id: g for g in (submit(ids, 1) for ids in split_groups(sources, group_size))}
    deadline = time.monotonic() + timeout_s
    last_publish, stored_since = time.monotonic(), False
    with get_client(sync_client=True) as client:
        while active and time.monotonic() < deadline:
            time.sleep(poll_s)
            runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=list(active))))
            dead = _dead_workers(client, pool) if any(r.state and (r.state.is_running() or r.state.is_pending())
                                                      for r in runs) else set()
            for run in runs:
                group, state = active[run.id], run.state
                if state is None:
                    continue
                reason = None
                if state.is_completed():
                    del active[run.id]
                    stored_since = True
                    continue
                if state.is_failed() or state.is_crashed() or state.is_cancelled():
                    reason = f"{state.type.value.lower()}: {(state.message or '')[:200]}"
                elif state.is_running() or state.is_pending():
                    worker = next((t.split(":", 1)[1] for t in run.tags if t.startswith("worker:")), None)
                    if worker in dead:
                        reason = f"its worker {worker} stopped sending heartbeats"
                    elif worker is None and dead and state.timestamp is not None and \
                            (datetime.now(timezone.utc) - state.timestamp).total_seconds() > lost_after_s:
                        reason = f"claimed by no live worker for {lost_after_s:.0f} s while {', '.join(sorted(dead))} died"
                    if reason:
                        client.set_flow_run_state(run.id, Crashed(message=f"mediebild: {reason}"), force=True)
                if reason is None:
                    continue
                del active[run.id]
                stored_since = True
                with ingest_store(db, catalog) as store:
                    done = {r["source_id"] for r in store.run_fetches(run_id)}
                left = [i for i in group.source_ids if i not in done]
                note = {"run": str(run.id), "attempt": group.attempt, "reason": reason, "sources_left": left}
                if left and group.attempt <= reruns:
                    again = submit(left, group.attempt + 1)
                    active[again.run_id] = again
                    note["rerun"] = str(again.run_id)
                log.warning("mediebild: group run %s %s; %d sources left", run.id, reason, len(left))
                result.reruns.append(note)
                if on_rerun is not None:
                    on_rerun(note)
            if stored_since and not catalog and time.monotonic() - last_publish >= publish_every_s:
                _publish(publish_database, db, result)
                last_publish, stored_since = time.monotonic(), False
    if active:
        result.unfinished = sorted(i for g in active.values() for i in g.source_ids)
    if not catalog:  # with a catalog the DuckDB file has nothing new until the pull
        _publish(publish_database, db, result)
    with ingest_store(db, catalog) as store:
        rows = store.run_fetches(run_id)
    _summarise(result, rows, [s.id for s in sources])
    return result


def _publish(publish: Callable[..., Any], db: str, result: FanOutResult) -> None:
    try:
        publish(db)
        result.publishes += 1
    except Exception as exc:  # readers keep the previous version; the next publish catches up
        log.warning("publishing the snapshot of %s failed: %s", db, exc)


def _summarise(result: FanOutResult, rows: list[dict[str, Any]], source_ids: list[str]) -> None:
    summary = result.summary
    fetched = {str(r["source_id"]): r for r in rows}
    for sid in sorted(source_ids):
        row = fetched.get(sid)
        if row is None:
            summary.failed.append(sid)
            summary.per_source.append({"source": sid, "ok": False, "status": None, "not_modified": False, "items": 0,
                                       "new": 0, "updated": 0, "problem": "not fetched: the pass ended first",
                                       "warnings": []})
            continue
        new, updated, parsed = int(row["items_new"] or 0), int(row["items_updated"] or 0), int(row["items_parsed"] or 0)
        summary.items_new += new
        summary.items_updated += updated
        summary.items_seen += parsed - new - updated
        if not row["ok"]:
            summary.failed.append(sid)
        summary.per_source.append({"source": sid, "ok": bool(row["ok"]), "status": row["http_status"],
                                   "not_modified": bool(row["not_modified"]), "items": parsed, "new": new,
                                   "updated": updated, "problem": row["problem"], "warnings": []})
