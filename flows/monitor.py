"""One monitoring pass as a Prefect flow: ingest, enrichment, stories and alerts, then the readers' snapshot.

This is what `mediebild serve` runs every few minutes. With `fan_out` (the deployment `mediebild deploy`
registers on a Prefect server) the ingest step is spread over the pool's workers (flows/fanout.py) and the
other steps run where the pass runs. Each step is its own (sub)flow that reads what
the previous one stored, so a failed step is retried on the next pass without redoing the others; a
step that raises is reported and the pass goes on to the next one.

With a shared store ([store] catalog) the pass pushes sources and profile to the intake, writes into it (itself,
or through the fanned-out groups on any machine) and pulls it in before enriching.

Flows layer: imports the other flows (flows.fanout when fanning out), monitors.http (the fetch limits) and
prefect (inside the builder).
"""

from __future__ import annotations

from typing import Any

from mediebild.flows import lazy_flow
from mediebild.monitors.http import DEFAULT_LIMITS, HttpLimits


@lazy_flow
def get_monitor_flow():
    """The Prefect flow `monitor-pass`, built on first use (flows.lazy_flow)."""
    from prefect import flow

    from mediebild.flows.enrich import get_enrich_flow
    from mediebild.flows.ingest import get_ingest_flow
    from mediebild.flows.intake import get_intake_flow, push_step
    from mediebild.flows.publish import publish_step
    from mediebild.flows.stories import get_stories_flow

    def monitor_pass(db: str, retries: int = 2, retry_delay_s: float = 2.0,
                     limits: HttpLimits = DEFAULT_LIMITS, catalog: str | None = None, fan_out: bool = False,
                     group_size: int = 8, rates: dict[str, Any] | None = None, concurrency: int = 4) -> dict[str, Any]:
        """Ingest every source, enrich what is new, update stories and alerts, publish the readers' snapshot.

        With `catalog` (the shared store), this pass first pushes the store's sources and profile to the intake,
        fetches what it claims into the intake like any worker, then pulls everything workers wrote into `db`
        before enriching. With `fan_out`, the pass spreads its sources over the workers of the Prefect pool
        (flows/fanout.py), which write into `db`; with both, they write into the intake (on any machine) and the
        pull brings their items into `db` exactly once."""
        if catalog:
            push_step(db, catalog)  # the sources and profile workers fetch with, as the store has them now
        result: dict[str, Any]
        if fan_out:
            from mediebild.flows.fanout import fan_out_ingest

            result = {"ingest": fan_out_ingest(db, catalog=catalog, retries=retries, retry_delay_s=retry_delay_s,
                                               limits=limits, group_size=group_size, rates=rates,
                                               concurrency=concurrency).as_dict()}
        else:
            result = {"ingest": get_ingest_flow()(db=db, retries=retries, retry_delay_s=retry_delay_s,
                                                  limits=limits, catalog=catalog)}
        if catalog:
            result["intake"] = get_intake_flow()(db=db, catalog=catalog)
        for name, step in (("enrich", get_enrich_flow()), ("stories", get_stories_flow())):
            try:
                result[name] = step(db=db)
            except Exception as exc:  # the next pass retries; ingest already stored what it fetched
                result[name] = {"error": f"{type(exc).__name__}: {exc}"}
        result["publish"] = publish_step(db)
        return result

    monitor_pass.__qualname__ = monitor_pass.__name__  # importable as mediebild.flows.monitor:monitor_pass
    return flow(name="monitor-pass", persist_result=False, log_prints=False)(monitor_pass)


# A served flow run starts in a child process that loads the flow from its entrypoint, the function's module and
# __qualname__: a flow defined in its builder would be `get_monitor_flow.<locals>.monitor_pass`, which cannot be
# imported (every scheduled pass crashed so). Named as the module's own attribute, built on first access.
def __getattr__(name: str) -> Any:
    if name == "monitor_pass":
        return get_monitor_flow()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
