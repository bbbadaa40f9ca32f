"""Publishing the readers' snapshot after a step that wrote the store (see data/snapshot.py).

Every flow that writes (a monitoring pass, a digest, retention) ends by publishing, so analysts, the web page
and every read-only command see the new state within one pass, without ever opening the writer's file.
A failed publish is logged and reported; the data is safe in the store and the next pass publishes again.

Flows layer: imports data.snapshot; nothing else of the project.
"""

from __future__ import annotations

import logging
from typing import Any

from mediebild.data.snapshot import publish_database

log = logging.getLogger(__name__)


def publish_step(db: str, *, drop_older: bool = False) -> dict[str, Any]:
    """Publish `db`; the result as a dict (with "error" when it failed: the pass goes on). `drop_older` after
    removing personal data, so no earlier version keeps it."""
    try:
        return publish_database(db, drop_older=drop_older).as_dict()
    except Exception as exc:  # reported, retried by the next pass; readers keep the previous version
        log.warning("publishing the snapshot of %s failed: %s", db, exc)
        return {"error": f"{type(exc).__name__}: {exc}"}
