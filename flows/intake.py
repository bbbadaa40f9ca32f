"""The writer's half of the shared store (issue 15): pull what workers wrote into the shared intake into DuckDB.

`pull_step(db, catalog)` first pushes the store's sources and profile to the intake (workers fetch what the
store lists: `mediebild sources add` on the writer reaches them at the next pull), then pulls new items,
fetches, problems and cursors into the DuckDB file, exactly once (data/intake.py). Enrichment, stories,
digests and publishing then run on the DuckDB file as without an intake. Only one process may pull into a
file: the DuckDB file lock makes sure of it (a second waits for the first, `STEP_WAIT_SECONDS`).

Flows layer: imports data.intake and data.store (inside the step) and prefect (inside the builder).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

from mediebild.flows import lazy_flow


def pull_step(db: str, catalog: str, *, progress: Callable[[str, int], None] | None = None) -> dict[str, Any]:
    """Push sources and profile to the intake at `catalog`, pull its new rows into `db`; what was done, as a dict."""
    from mediebild.data.intake import SharedIntake, pull_intake
    from mediebild.data.store import STEP_WAIT_SECONDS, Store

    with Store.open(db, wait=STEP_WAIT_SECONDS) as store, SharedIntake.open(catalog) as intake:
        pushed = intake.push_from(store)
        result = pull_intake(store, intake, progress=progress).as_dict()
    result["sources_pushed"] = pushed
    return result


def push_step(db: str, catalog: str) -> int:
    """Only the push half of `pull_step`: the store's sources and profile to the intake (before a pass's ingest,
    so a source added since the last pass is fetched in this one). Returns the number of sources."""
    from mediebild.data.intake import SharedIntake
    from mediebild.data.store import STEP_WAIT_SECONDS, Store

    with Store.open(db, wait=STEP_WAIT_SECONDS) as store, SharedIntake.open(catalog) as intake:
        return intake.push_from(store)


def prune_step(db: str, catalog: str, *, older_than: timedelta | None = None) -> dict[str, Any]:
    """The intake's share of retention and forgetting: delete pulled rows older than `older_than` (when given)
    and every post of an author forgotten in `db`. Run by the daily retention, `mediebild purge` and `forget`."""
    from mediebild.data.intake import SharedIntake, forget_in_intake, last_horizon
    from mediebild.data.store import STEP_WAIT_SECONDS, Store
    from mediebild.timeutil import utcnow

    with Store.open(db, wait=STEP_WAIT_SECONDS) as store, SharedIntake.open(catalog) as intake:
        result: dict[str, Any] = {"forgotten_removed": forget_in_intake(store, intake)}
        if older_than is not None:
            result.update(intake.prune(before=utcnow() - older_than,
                                       horizon=last_horizon(store, intake.id)))
    return result


@lazy_flow
def get_intake_flow() -> Any:
    """The Prefect flow `intake-pull`, built on first use (flows.lazy_flow)."""
    from prefect import flow

    @flow(name="intake-pull", persist_result=False, log_prints=False)
    def intake_pull(db: str, catalog: str) -> dict[str, Any]:
        """Pull what workers wrote into the shared intake into the DuckDB store (one writer)."""
        return pull_step(db, catalog)

    return intake_pull
