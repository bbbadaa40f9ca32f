"""Scale-out with a real Prefect server: `mediebild deploy` registers the deployments in a work pool, and
`mediebild worker` starts a Prefect process worker set up for mediebild.

`deploy` (also what `mediebild serve` does when PREFECT_API_URL is set) makes the process work pool `mediebild`
when missing, registers the same deployments `serve` serves in-process (the monitoring pass every few minutes,
the hourly digest, the briefs, the nightly purge) with their schedules, plus `ingest-sources`, the group of
sources the monitoring pass fans out (flows/fanout.py), and makes the concurrency limits: a rate limit per
platform and a limit of 1 per source. Entrypoints are module paths (`mediebild.flows.monitor.monitor_pass`), so a
worker anywhere loads the installed package, never a file path relative to where `deploy` ran. The monitoring
pass may run once at a time (a deployment concurrency limit of 1; a pass still running when the next is due
makes that one wait).

The group deployment sits in the pool's work queue `groups`, every other one in its default queue: a worker
started with `--groups-only` (a machine without the DuckDB file, whose groups write into the shared intake) takes
only groups, a worker without it (the writer's machine) takes everything.

`worker_command` is what `mediebild worker` executes: `prefect worker start --type process --pool mediebild`
(through flows/worker.py, which tags every run the worker claims with its name, so the pass can tell which runs a
dead worker held), its heartbeat, and mediebild's settings in the environment (MEDIEBILD_DB and
MEDIEBILD_CONFIG as absolute paths, Prefect's telemetry off). `check_api` first makes sure PREFECT_API_URL is set
and answers, with one clear error otherwise.

Flows layer: imports flows.serve, flows.fanout, the core and prefect (inside functions only).
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Any

from mediebild.errors import UserError
from mediebild.flows.fanout import (
    GROUP_DEPLOYMENT,
    GROUP_QUEUE,
    POOL,
    WORKER_ENV,
    effective_rates,
    ensure_limits,
    get_group_flow,
)


def check_api(url: str | None = None, *, timeout: float = 5.0) -> str:
    """PREFECT_API_URL (or `url`) when its /health answers; a UserError saying what to do otherwise."""
    import httpx

    url = url or os.environ.get("PREFECT_API_URL")
    if not url:
        raise UserError("PREFECT_API_URL is not set: start a server (`prefect server start`) and export "
                        "PREFECT_API_URL=http://HOST:4200/api, the same on every machine of the pool")
    try:
        answer = httpx.get(url.rstrip("/") + "/health", timeout=timeout)
    except httpx.HTTPError as exc:
        raise UserError(f"the Prefect server at PREFECT_API_URL={url} does not answer ({type(exc).__name__}): "
                        "is `prefect server start` running there?") from None
    if answer.status_code != 200:
        raise UserError(f"the Prefect server at PREFECT_API_URL={url} answered HTTP {answer.status_code} to /health")
    return url


def module_entrypoint(entrypoint: str) -> str:
    """`../x/mediebild/flows/monitor.py:monitor_pass` -> `mediebild.flows.monitor.monitor_pass`."""
    path, attr = entrypoint.rsplit(":", 1)
    parts = Path(path).with_suffix("").parts
    if len(parts) < 3 or parts[-3] != "mediebild":
        raise ValueError(f"not a flow of mediebild: {entrypoint}")
    return ".".join(("mediebild", parts[-2], parts[-1], attr))


def ensure_pool(name: str = POOL) -> None:
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(name)
        except ObjectNotFound:
            try:
                client.create_work_pool(WorkPoolCreate(name=name, type="process"))
            except ObjectAlreadyExists:
                pass


def deploy(db: str, *, every_minutes: int, settings: Any = None, out_dir: Path | None = None,
           pool: str = POOL, paused: bool = False) -> list[str]:
    """Register mediebild's deployments in `pool` (made when missing) and the limits; their names. `paused`:
    their schedules start paused (resume them in Prefect's UI or with `prefect deployment resume`)."""
    from prefect.client.schemas.objects import ConcurrencyLimitStrategy, ConcurrencyOptions

    from mediebild.data.store import Store
    from mediebild.flows.serve import build_deployments

    ensure_pool(pool)
    found = build_deployments(db, every_minutes=every_minutes, settings=settings, out_dir=out_dir, fan_out=True)
    found.append(get_group_flow().to_deployment(name=GROUP_DEPLOYMENT, work_queue_name=GROUP_QUEUE))
    names = []
    for d in found:
        d.entrypoint = module_entrypoint(d.entrypoint)
        if d.name == "mediebild-ingest":
            d.concurrency_limit = 1
            d.concurrency_options = ConcurrencyOptions(collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)
        if paused:
            d.paused = True
        d.apply(work_pool_name=pool)
        names.append(f"{d.flow_name}/{d.name}")
    scale = ((settings.raw if settings is not None else None) or {}).get("scale") or {}
    with Store.open(db, wait=60.0) as store:
        ids = [s.id for s in store.sources()]
    ensure_limits(effective_rates(scale.get("rates")), ids)
    return names


def worker_command(*, pool: str = POOL, limit: int | None = None, name: str | None = None,
                   groups_only: bool = False) -> tuple[list[str], str]:
    """(argv of `prefect worker start`, the worker's name). `groups_only`: only the group runs of fanned-out passes
    (the work queue GROUP_QUEUE), for a machine without the DuckDB file whose groups write into the shared intake."""
    name = name or f"mediebild-{socket.gethostname()}-{os.getpid()}"
    argv = [sys.executable, "-m", "mediebild.flows.worker", "worker", "start", "--pool", pool, "--type", "process",
            "--name", name]
    if limit:
        argv += ["--limit", str(limit)]
    if groups_only:
        argv += ["--work-queue", GROUP_QUEUE]
    return argv, name


def worker_environment(*, db: Path, name: str, heartbeat_s: float, poll_s: float,
                       base: dict[str, str] | None = None) -> dict[str, str]:
    """The worker's environment: mediebild's settings for its flow runs, Prefect's worker timings."""
    env = dict(os.environ if base is None else base)
    env["MEDIEBILD_DB"] = str(Path(db).resolve())
    config = Path(env.get("MEDIEBILD_CONFIG", "mediebild.toml"))
    if config.exists():
        env["MEDIEBILD_CONFIG"] = str(config.resolve())
    env[WORKER_ENV] = name
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("DO_NOT_TRACK", "1")
    env["PREFECT_WORKER_HEARTBEAT_SECONDS"] = str(heartbeat_s)
    env["PREFECT_WORKER_QUERY_SECONDS"] = str(poll_s)
    env.setdefault("PREFECT_WORKER_PREFETCH_SECONDS", str(max(poll_s, 1.0)))
    return env
