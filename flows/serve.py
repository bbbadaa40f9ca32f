"""`mediebild serve`: the Prefect schedules (ingest every few minutes, the digest at the top of the hour).

Served with Prefect's `serve()` in this process. To scale out, point PREFECT_API_URL at a Prefect
server (Postgres-backed) and run the same deployments on workers; the single DuckDB file then becomes a
shared catalog (DuckLake or Postgres-backed), see README.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any


def build_deployments(db: str, *, every_minutes: int, settings=None) -> list[dict[str, Any]]:
    """Deployment descriptions: name, schedule text, and a factory for Prefect's RunnerDeployment."""
    cfg = settings.ingest if settings is not None else None
    deployments: list[dict[str, Any]] = []

    def ingest_deployment():
        from prefect.task_runners import ThreadPoolTaskRunner

        from mediebild.flows.ingest import get_ingest_flow

        flow = get_ingest_flow()
        if cfg is not None:
            flow = flow.with_options(task_runner=ThreadPoolTaskRunner(max_workers=cfg.concurrency))
        params = {"db": db}
        if cfg is not None:
            params.update(retries=cfg.retries, retry_delay_s=cfg.retry_delay_s)
        return flow.to_deployment(name="mediebild-ingest", interval=timedelta(minutes=every_minutes), parameters=params)

    deployments.append({"name": "mediebild-ingest", "schedule": f"var {every_minutes}:e minut", "build": ingest_deployment})
    try:
        from mediebild.flows.digest import digest_deployment
    except ImportError:
        digest_deployment = None
    if digest_deployment is not None:
        deployments.append({"name": "mediebild-digest", "schedule": "varje hel timme (Europe/Stockholm)",
                            "build": lambda: digest_deployment(db)})
    return deployments


def serve_all(deployments: list[dict[str, Any]]) -> None:
    from prefect import serve

    serve(*[d["build"]() for d in deployments])
