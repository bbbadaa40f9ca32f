"""`mediebild serve`: the Prefect schedules, served from this process.

A monitoring pass (ingest, enrichment, stories and alerts: flows/monitor.py) every few minutes; the hourly
digest just after the top of every hour; the conference brief before the conference times in
`[brief] conference_times` of mediebild.toml; every night, the purge of social content past the retention
limit (flows/privacy.py). With no PREFECT_API_URL
Prefect runs a temporary server inside this process. To scale out, point PREFECT_API_URL at a Prefect
server (Postgres-backed) and run the same deployments on workers; the single DuckDB file then becomes a
shared catalog (DuckLake or Postgres-backed), see README.

Flows layer: imports the other flows and prefect (only when deployments are built).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any


def describe(*, every_minutes: int, raw: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """(deployment name, schedule in words) for people, without importing Prefect."""
    found = [("mediebild-ingest", f"var {every_minutes}:e minut: inhämtning, berikning, händelser och larm")]
    found.append(("hourly-digest", "en minut över varje hel timme (Europe/Stockholm)"))
    found.append(("retention", "varje natt 03.15: sociala inlägg äldre än [privacy] retention_days rensas"))
    times = ((raw or {}).get("brief") or {}).get("conference_times") or []
    if times:
        found.append(("conference-brief", "före konferenserna " + ", ".join(map(str, times))))
    return found


def build_deployments(db: str, *, every_minutes: int, settings=None, out_dir: Path | None = None) -> list:
    """Prefect RunnerDeployments for `prefect.serve`."""
    from prefect.schedules import Cron
    from prefect.task_runners import ThreadPoolTaskRunner

    from mediebild.flows.digest import deployments as digest_deployments
    from mediebild.flows.monitor import get_monitor_flow
    from mediebild.flows.privacy import get_retention_flow

    cfg = settings.ingest if settings is not None else None
    flow = get_monitor_flow()
    params: dict[str, Any] = {"db": db}
    if cfg is not None:
        flow = flow.with_options(task_runner=ThreadPoolTaskRunner(max_workers=cfg.concurrency))
        params.update(retries=cfg.retries, retry_delay_s=cfg.retry_delay_s)
    ingest = flow.to_deployment(name="mediebild-ingest", interval=timedelta(minutes=every_minutes), parameters=params)
    lang = settings.lang if settings is not None else "sv"
    raw = settings.raw if settings is not None else None
    retention_days = settings.privacy.retention_days if settings is not None else 30
    retention = get_retention_flow().to_deployment(
        name="retention", schedules=[Cron("15 3 * * *", timezone="Europe/Stockholm")],
        parameters={"db": db, "retention_days": retention_days})
    return [ingest, *digest_deployments(db, out_dir=out_dir, lang=lang, raw=raw), retention]


def serve_all(deployments: list) -> None:
    from prefect import serve

    serve(*deployments)
