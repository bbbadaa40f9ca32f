"""The process `mediebild worker` becomes: Prefect's own `prefect worker start` command, with one addition.

A flow run the worker claims (its Pending state accepted) is tagged `worker:<name>` at once, before its process
starts. When a worker dies (SIGKILL, a machine lost) Prefect leaves its runs Pending or Running; the tag is how the
scaled-out pass (flows/fanout.py) knows which runs died with it, from the moment they were claimed. Everything
else is Prefect's: `python -m mediebild.flows.worker worker start --pool ... --type process ...` takes exactly
the arguments of `prefect worker start`, and the worker's name comes from MEDIEBILD_WORKER_NAME.

Flows layer: imports flows.fanout (the names) and prefect.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from mediebild.flows.fanout import WORKER_ENV

log = logging.getLogger(__name__)


def tag_claimed_runs(name: str) -> None:
    """Make every ProcessWorker of this process tag the runs it claims `worker:<name>`."""
    from prefect.workers.process import ProcessWorker

    original = ProcessWorker._propose_pending_state

    async def propose_and_tag(self: Any, flow_run: Any) -> bool:
        claimed = bool(await original(self, flow_run))
        if claimed:
            try:
                await self.client.update_flow_run(flow_run.id, tags=[*flow_run.tags, f"worker:{name}"])
            except Exception as exc:  # the run still runs; only a death of this worker would go unnoticed
                log.warning("could not tag flow run %s with its worker: %s", flow_run.id, exc)
        return claimed

    ProcessWorker._propose_pending_state = propose_and_tag  # type: ignore[method-assign]


def main() -> None:
    """`prefect` itself, with the arguments of this process (Prefect's CLI reads sys.argv)."""
    name = os.environ.get(WORKER_ENV)
    if name:
        tag_claimed_runs(name)
    from prefect.cli import app

    sys.argv[0] = "prefect"
    app()


if __name__ == "__main__":
    main()
