"""Retention and the right to be forgotten, as whole operations: `purge` and `forget`.

`purge(store, older_than=...)` blanks social content past the retention limit (data.privacy.purge_social).
`forget(store, handle)` removes one person's posts everywhere (data.privacy.forget_author), replaces every
stored document that showed them with a redaction notice in its own format, and renders a new version of each
such digest or brief without them. Narrowed digests (kind digest-<filter>) are redacted; their full digest's
new version covers the period. `get_retention_flow()` is the daily purge that `mediebild serve` schedules. Flows layer: imports data, reports and the core.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mediebild.data import privacy as db
from mediebild.flows import lazy_flow
from mediebild.flows.publish import publish_step
from mediebild.data.store import STEP_WAIT_SECONDS, Store
from mediebild.reports.render import render_pdf
from mediebild.timeutil import as_utc, utcnow

NOTICE = {
    "sv": "Dokumentet har redigerats: det innehöll inlägg av en person vars uppgifter har raderats på begäran. "
          "En ny version utan dem har tagits fram.",
    "en": "This document was redacted: it contained posts by a person whose data was deleted on request. "
          "A new version without them has been produced.",
}


@dataclass
class ForgetReport:
    items_removed: int = 0
    documents_redacted: list[str] = field(default_factory=list)
    documents_rendered: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"items_removed": self.items_removed, "documents_redacted": self.documents_redacted,
                "documents_rendered": self.documents_rendered}


def notice_body(fmt: str, lang: str, document_id: str) -> bytes:
    """The redaction notice in a document's own format."""
    text = NOTICE.get(lang, NOTICE["sv"])
    if fmt == "json":
        return json.dumps({"schema": "mediebild.redacted/1", "id": document_id, "redacted": True, "notice": text},
                          ensure_ascii=False).encode()
    if fmt == "md":
        return f"# {document_id}\n\n{text}\n".encode()
    page = f"<!doctype html><html lang='{lang}'><meta charset='utf-8'><title>{html.escape(document_id)}</title>" \
           f"<body><h1>{html.escape(document_id)}</h1><p>{html.escape(text)}</p></body></html>"
    return render_pdf(page) if fmt == "pdf" else page.encode()


def purge(store: Store, *, older_than: timedelta, now: datetime | None = None) -> int:
    """Blank social content published more than `older_than` ago; returns how many items were purged."""
    now = now or utcnow()
    return db.purge_social(store.con, before=now - older_than, now=now)


def forget(store: Store, handle: str, *, platform: str | None = None, now: datetime | None = None) -> ForgetReport:
    """Remove one person's posts everywhere and replace the documents that showed them."""
    from mediebild.flows.digest import make_brief, make_digest

    gone = db.forget_author(store.con, handle, platform=platform, now=now)
    report = ForgetReport(items_removed=len(gone.item_ids))
    periods: dict[tuple[str, datetime, datetime, str], set[str]] = {}
    for doc in gone.documents:
        with store.transaction():
            db.redact_document(store.con, doc["id"], notice_body(doc["format"], doc["lang"], doc["id"]),
                               "forgotten author", now)
        report.documents_redacted.append(doc["id"])
        if doc["kind"] in ("digest", "brief"):
            key = (doc["kind"], as_utc(doc["period_start"]), as_utc(doc["period_end"]), doc["lang"])
            periods.setdefault(key, set()).add(doc["format"])
    for (kind, start, end, lang), formats in sorted(periods.items()):
        ordered = tuple(f for f in ("html", "md", "pdf", "json") if f in formats)
        if kind == "digest":
            made = make_digest(store, period_start=start, period_end=end, lang=lang, formats=ordered, now=now)
        else:
            made = make_brief(store, until=end, since=start, lang=lang, formats=ordered, now=now)
        report.documents_rendered += [d["id"] for d in made]
    return report


def run_retention(db_path: str, retention_days: int, catalog: str | None = None) -> int:
    """Open the store and purge social content older than `retention_days` (the daily schedule of `serve`); with
    a shared store (`catalog`), the intake's pulled rows past that age go too (flows.intake.prune_step)."""
    with Store.open(db_path, wait=STEP_WAIT_SECONDS) as store:
        purged = purge(store, older_than=timedelta(days=retention_days))
    if catalog:
        from mediebild.flows.intake import prune_step

        prune_step(db_path, catalog, older_than=timedelta(days=retention_days))
    publish_step(db_path, drop_older=True)  # the purged content leaves the readers' snapshot now, not at the next pass
    return purged


@lazy_flow
def get_retention_flow() -> Any:
    """The Prefect flow around run_retention, built on first use."""
    from prefect import flow

    def retention_flow(db: str = "mediebild.duckdb", retention_days: int = 30, catalog: str | None = None) -> int:
        return run_retention(db, retention_days, catalog)

    # importable as mediebild.flows.privacy:retention_flow: a served run loads its flow from that entrypoint
    retention_flow.__qualname__ = retention_flow.__name__
    return flow(name="mediebild-retention", log_prints=False)(retention_flow)


def __getattr__(name: str) -> Any:
    if name == "retention_flow":
        return get_retention_flow()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
