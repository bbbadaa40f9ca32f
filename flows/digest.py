"""Make, store, export and send the hourly digest and the conference brief; their Prefect flows.

Plain functions do the work and are what the demo driver and the CLI call:

    make_digest(store, period_start=..., period_end=..., lang="sv", formats=(...), out_dir=None, send=False)
    make_brief(store, until=..., since=None, lang="sv", formats=(...), out_dir=None, send=False)

Each renders every format from one data dict, stores every document in the `digests` table first
(one transaction; a re-render of a period gets the next version, never overwrites), then writes them
to `out_dir` (atomic) and, with `send`, delivers them as configured in `[send]` (reports/send.py).
The thin Prefect flows `digest_flow` (top of every hour) and `brief_flow` (on demand and before the
conferences in `[brief] conference_times`) wrap them; `deployments()` gives what `mediebild serve` serves.

Flows layer: imports reports, data (digest_queries, item_filter, the store) and the core; never SQL of its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from mediebild.data import digest_queries as q
from mediebild.data.item_filter import NO_FILTER, ItemFilter
from mediebild.errors import ConfigError
from mediebild.flows import lazy_flow
from mediebild.flows.publish import publish_step
from mediebild.reports import texts
from mediebild.reports.brief import build_brief
from mediebild.reports.digest import build_digest
from mediebild.reports.render import EXTENSIONS, FORMATS, parse_formats, render_all
from mediebild.reports.send import Document, Package, SendResult, SendSettings, deliver, load_send_settings, write_atomic
from mediebild.timeutil import as_utc, floor_hour, parse_hour, utcnow

log = logging.getLogger(__name__)


@dataclass
class Run:
    """What one make_* call produced: the stored documents and the result of each send."""

    documents: list[dict[str, Any]] = field(default_factory=list)
    sends: list[SendResult] = field(default_factory=list)

    @property
    def send_failed(self) -> bool:
        return any(s.status == "failed" for s in self.sends)


def document_id(kind: str, start: datetime, end: datetime, lang: str, fmt: str, version: int) -> str:
    """`digest-2016-03-22T08-sv-html-v1` (UTC hour) for an hourly digest; minutes and end otherwise."""
    start, end = as_utc(start), as_utc(end)
    if kind.startswith("digest") and start == floor_hour(start) and end - start == timedelta(hours=1):
        stamp = start.strftime("%Y-%m-%dT%H")
    elif kind == "brief":
        stamp = end.strftime("%Y-%m-%dT%H%M")
    else:
        stamp = f"{start:%Y-%m-%dT%H%M}-{end:%Y-%m-%dT%H%M}"
    return f"{kind}-{stamp}-{lang}-{fmt}-v{version}"


def _subject(data: dict[str, Any]) -> str:
    t = texts.phrases(data["lang"])
    title = t["digest_title"] if data["kind"].startswith("digest") else t["brief_title"]
    return f"{title}: {data['period']['label']}"


def send_stored(store, digest_id: str, *, settings: SendSettings | None = None) -> list[SendResult]:
    """Send an already stored document set again (every format of that version), e.g. after an SMTP outage.

    Recipients that already got this period are skipped, as always.
    """
    from mediebild.errors import UserError

    record = q.get_digest(store.con, digest_id, with_body=False)
    if record is None:
        raise UserError(f"no document {digest_id!r}: see `mediebild digests list`")
    settings = settings if settings is not None else load_send_settings()
    if not settings.configured:
        raise ConfigError("sending needs a [send] section in mediebild.toml (folder, email or webhooks)")
    rows = q.document_set(store.con, kind=record["kind"], period_start=record["period_start"],
                          period_end=record["period_end"], lang=record["lang"], version=record["version"])
    documents = {r["format"]: Document(r["id"], r["format"], r["body"], f"{r['id']}.{EXTENSIONS[r['format']]}")
                 for r in rows}
    label = texts.fmt_period(record["period_start"], record["period_end"], record["lang"])
    subject = _subject({"lang": record["lang"], "kind": record["kind"], "period": {"label": label}})
    package = Package(record["kind"], record["period_start"], record["period_end"], record["lang"], subject, documents)
    return deliver(store.con, package, settings)


def _store_and_deliver(
    store,
    data: dict[str, Any],
    *,
    formats: tuple[str, ...],
    out_dir: Path | None,
    send: bool,
    settings: SendSettings | None,
) -> Run:
    kind, lang = data.get("stored_kind") or data["kind"], data["lang"]
    start, end = data["period"]["start"], data["period"]["end"]
    send_settings = settings if settings is not None or not send else load_send_settings()
    if send:
        assert send_settings is not None
        if not send_settings.configured:
            raise ConfigError("--send needs a [send] section in mediebild.toml (folder, email or webhooks)")
    bodies = render_all(data, formats)  # before the transaction: the PDF takes a moment
    con = store.con
    documents: dict[str, Document] = {}
    run = Run()
    with store.transaction():
        version = max(q.next_version(con, kind=kind, period_start=start, period_end=end, lang=lang, fmt=f)
                      for f in formats)
        for fmt in formats:
            doc_id = document_id(kind, start, end, lang, fmt, version)
            while q.get_digest(con, doc_id, with_body=False) is not None:  # a clash of odd periods
                version += 1
                doc_id = document_id(kind, start, end, lang, fmt, version)
            checksum = q.insert_digest(
                con, id=doc_id, kind=kind, period_start=start, period_end=end, lang=lang, fmt=fmt, version=version,
                body=bodies[fmt], item_ids=data["item_ids"], story_ids=data["story_ids"], created_at=data["generated_at"],
            )
            documents[fmt] = Document(doc_id, fmt, bodies[fmt], f"{doc_id}.{EXTENSIONS[fmt]}")
            run.documents.append({"id": doc_id, "format": fmt, "path": None, "bytes": len(bodies[fmt]),
                                  "version": version, "checksum": checksum})
    if out_dir is not None:
        for record in run.documents:
            doc = documents[record["format"]]
            record["path"] = write_atomic(Path(out_dir) / doc.filename, doc.body)
    if send:
        package = Package(kind, start, end, lang, _subject(data), documents)
        assert send_settings is not None
        run.sends = deliver(con, package, send_settings)  # each send row commits on its own, as it happens
        for result in run.sends:
            if result.status == "failed":
                log.warning("sending %s to %s %s failed after %d attempts: %s", documents[formats[0]].id,
                            result.channel, result.recipient, result.attempts, result.error)
    return run


def produce_digest(
    store,
    *,
    period_start: datetime,
    period_end: datetime,
    lang: str = "sv",
    formats: tuple[str, ...] | str = FORMATS,
    out_dir: Path | None = None,
    send: bool = False,
    now: datetime | None = None,
    settings: SendSettings | None = None,
    item_filter: ItemFilter = NO_FILTER,
) -> Run:
    """make_digest, also returning the send results (the CLI exits 1 when a send failed)."""
    data = build_digest(store.con, period_start=period_start, period_end=period_end, lang=lang, now=now,
                        item_filter=item_filter)
    return _store_and_deliver(store, data, formats=parse_formats(formats), out_dir=out_dir, send=send, settings=settings)


def produce_brief(
    store,
    *,
    until: datetime,
    since: datetime | None = None,
    lang: str = "sv",
    formats: tuple[str, ...] | str = FORMATS,
    out_dir: Path | None = None,
    send: bool = False,
    now: datetime | None = None,
    settings: SendSettings | None = None,
) -> Run:
    data = build_brief(store.con, until=until, since=since, lang=lang, now=now)
    return _store_and_deliver(store, data, formats=parse_formats(formats), out_dir=out_dir, send=send, settings=settings)


def make_digest(
    store,
    *,
    period_start: datetime,
    period_end: datetime,
    lang: str = "sv",
    formats: tuple[str, ...] = FORMATS,
    out_dir: Path | None = None,
    send: bool = False,
    now: datetime | None = None,
    item_filter: ItemFilter = NO_FILTER,
) -> list[dict]:
    """Render, store, export (and send) the digest of one period; one dict per stored document."""
    return produce_digest(store, period_start=period_start, period_end=period_end, lang=lang, formats=formats,
                          out_dir=out_dir, send=send, now=now, item_filter=item_filter).documents


def make_brief(
    store,
    *,
    until: datetime,
    since: datetime | None = None,
    lang: str = "sv",
    formats: tuple[str, ...] = FORMATS,
    out_dir: Path | None = None,
    send: bool = False,
    now: datetime | None = None,
) -> list[dict]:
    """Render, store, export (and send) the conference brief up to `until`; one dict per stored document."""
    return produce_brief(store, until=until, since=since, lang=lang, formats=formats, out_dir=out_dir,
                         send=send, now=now or until).documents


def last_complete_hour(now: datetime | None = None) -> tuple[datetime, datetime]:
    end = floor_hour(now or utcnow())
    return end - timedelta(hours=1), end


# -- Prefect ----------------------------------------------------------------------------------
# The flows are built on first access (module __getattr__, flows.lazy_flow), so the CLI and the demo, which call the
# plain functions, do not pay Prefect's import time. `from mediebild.flows.digest import digest_flow` works.


def run_digest_task(db: str, hour: str | None, lang: str, formats: str, out_dir: str | None, send: bool) -> list[dict]:
    """The digest task's body: the hour's digest (default the last complete hour) from the database at `db`."""
    from mediebild.data.store import STEP_WAIT_SECONDS, Store

    start, end = (parse_hour(hour), parse_hour(hour) + timedelta(hours=1)) if hour else last_complete_hour()
    with Store.open(db, wait=STEP_WAIT_SECONDS) as store:
        run = produce_digest(store, period_start=start, period_end=end, lang=lang, formats=formats,
                             out_dir=Path(out_dir) if out_dir else None, send=send)
    publish_step(db)
    return run.documents


def run_brief_task(db: str, lang: str, formats: str, out_dir: str | None, send: bool) -> list[dict]:
    """The brief task's body: the brief up to now."""
    from mediebild.data.store import STEP_WAIT_SECONDS, Store

    with Store.open(db, wait=STEP_WAIT_SECONDS) as store:
        run = produce_brief(store, until=utcnow(), lang=lang, formats=formats,
                            out_dir=Path(out_dir) if out_dir else None, send=send)
    publish_step(db)
    return run.documents


@lazy_flow
def _build_flows() -> dict[str, Any]:
    """{"digest_flow": ..., "brief_flow": ...}, built on first use (flows.lazy_flow)."""
    from prefect import flow, task

    digest_task = task(name="digest")(run_digest_task)
    brief_task = task(name="brief")(run_brief_task)

    def digest_flow(db: str = "mediebild.duckdb", hour: str | None = None, lang: str = "sv",
                    formats: str = ",".join(FORMATS), out_dir: str | None = None, send: bool = False) -> list[dict]:
        """The hourly digest of `hour` (Stockholm YYYY-MM-DDTHH), default the last complete hour."""
        return digest_task(db, hour, lang, formats, out_dir, send)

    def brief_flow(db: str = "mediebild.duckdb", lang: str = "sv", formats: str = ",".join(FORMATS),
                   out_dir: str | None = None, send: bool = False) -> list[dict]:
        """The conference brief up to now."""
        return brief_task(db, lang, formats, out_dir, send)

    for fn in (digest_flow, brief_flow):
        fn.__qualname__ = fn.__name__  # importable as mediebild.flows.digest.<name> (module __getattr__)
    return {"digest_flow": flow(name="mediebild-digest")(digest_flow), "brief_flow": flow(name="mediebild-brief")(brief_flow)}


def __getattr__(name: str) -> Any:
    if name in ("digest_flow", "brief_flow"):
        return _build_flows()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def conference_crons(raw: dict[str, Any] | None) -> list[str]:
    """Cron lines (Stockholm time) for briefs `[brief] minutes_before` (default 10) each conference time."""
    section = (raw or {}).get("brief", {}) or {}
    before = int(section.get("minutes_before", 10))
    crons = []
    for value in section.get("conference_times", []) or []:
        try:
            hh, mm = (int(p) for p in str(value).split(":"))
            if not (0 <= hh < 24 and 0 <= mm < 60):
                raise ValueError
        except ValueError:
            raise ConfigError(f"mediebild.toml [brief] conference_times: not a time HH:MM: {value!r}") from None
        minutes = (hh * 60 + mm - before) % (24 * 60)
        crons.append(f"{minutes % 60} {minutes // 60} * * *")
    return crons


def deployments(db: str | Path, *, out_dir: str | Path | None = None, lang: str = "sv", send: bool | None = None,
                raw: dict[str, Any] | None = None) -> list:
    """The RunnerDeployments `mediebild serve` serves: the digest at minute 1 of every hour, briefs before conferences.

    `send` None means: send when `[send]` in `raw` (the parsed mediebild.toml) configures somewhere to send to.
    """
    from prefect.schedules import Cron

    from mediebild.reports.send import parse_send_settings

    if send is None:
        send = parse_send_settings((raw or {}).get("send")).configured

    params = {"db": str(db), "lang": lang, "out_dir": str(out_dir) if out_dir else None, "send": send}
    flows = _build_flows()
    found = [flows["digest_flow"].to_deployment(
        name="hourly-digest", schedules=[Cron("1 * * * *", timezone="Europe/Stockholm")], parameters=params)]
    crons = conference_crons(raw)
    if crons:
        found.append(flows["brief_flow"].to_deployment(
            name="conference-brief", schedules=[Cron(c, timezone="Europe/Stockholm") for c in crons], parameters=params))
    return found
