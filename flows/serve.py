"""`mediebild serve`: the Prefect schedules, served from this process.

A monitoring pass (ingest, enrichment, stories and alerts: flows/monitor.py) every few minutes; the hourly
digest just after the top of every hour; the conference brief before the conference times in
`[brief] conference_times` of mediebild.toml; every night, the purge of social content past the retention
limit (flows/privacy.py). Beside them, in the same process, the situation room (web/, `[web] serve = true`,
127.0.0.1:8080 by default): uvicorn in a thread of its own. The monitoring passes run as Prefect flow runs in
child processes that open the DuckDB file read-write, so the page never holds the file: it reads the snapshot
every pass publishes and writes briefly between passes (mediebild.data.access says how). With no PREFECT_API_URL,
`prefect_api` starts a local Prefect server (`prefect server start` on 127.0.0.1, its database in PREFECT_HOME
beside the data) for as long as `mediebild serve` runs: Prefect's own temporary in-process server (what
`prefect.serve` falls back to) does not run the scheduler service (Prefect 3.x marks it not to run in ephemeral
servers), so the deployments were registered and then never got a run. To scale out, point PREFECT_API_URL at a Prefect
server: `mediebild serve` then registers the same deployments there for `mediebild worker` processes instead of
serving them (flows/scale.py, flows/fanout.py; README, "Scale-out").

Flows layer: imports the other flows, reports (what the page is handed), web, and prefect (only when
deployments are built).
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

log = logging.getLogger(__name__)


def describe(*, every_minutes: int, raw: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """(deployment name, schedule in words) for people, without importing Prefect."""
    found = [("mediebild-ingest", f"var {every_minutes}:e minut: inhämtning, berikning, händelser och larm")]
    found.append(("hourly-digest", "en minut över varje hel timme (Europe/Stockholm)"))
    found.append(("retention", "varje natt 03.15: sociala inlägg äldre än [privacy] retention_days rensas"))
    times = ((raw or {}).get("brief") or {}).get("conference_times") or []
    if times:
        found.append(("conference-brief", "före konferenserna " + ", ".join(map(str, times))))
    from mediebild.web.config import load_web_settings

    web = load_web_settings(raw)
    if web.serve:
        found.append(("lägesrummet", f"webbsidan på http://{web.host}:{web.port}/ (avsnittet web i mediebild.toml)"))
    return found


@contextmanager
def prefect_api(*, wait: float = 180.0) -> Iterator[str]:
    """The URL of a Prefect API whose scheduler runs: PREFECT_API_URL when set, else a local `prefect server
    start` (127.0.0.1, a free port, no UI) started here and stopped on exit. Call before prefect is imported
    (it reads PREFECT_API_URL once); a server that does not answer within `wait` seconds is a UserError."""
    import httpx

    from mediebild.errors import UserError

    given = os.environ.get("PREFECT_API_URL")
    if given:
        yield given
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_UI_ENABLED": "false", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect")
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / "mediebild-prefect-server.log"
    with open(log_path, "ab") as out:  # a file, not a pipe: a chatty server never blocks on a full pipe
        process = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                                    "--port", str(port), "--no-ui", "--log-level", "WARNING"],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + wait
        while True:
            if process.poll() is not None:
                err = log_path.read_text(encoding="utf-8", errors="replace")[-500:].strip()
                raise UserError(f"the local Prefect server did not start ({log_path}): {err or process.returncode}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise UserError(f"the local Prefect server did not answer within {wait:.0f} s; set PREFECT_API_URL "
                                "to a running Prefect server instead")
            time.sleep(0.5)
        os.environ["PREFECT_API_URL"] = url
        log.warning("mediebild: a local Prefect server runs the schedules at %s", url)
        yield url
    finally:
        if os.environ.get("PREFECT_API_URL") == url:
            del os.environ["PREFECT_API_URL"]
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def build_deployments(db: str, *, every_minutes: int, settings: Any = None, out_dir: Path | None = None,
                      fan_out: bool = False) -> list[Any]:
    """Prefect RunnerDeployments for `prefect.serve`; with `fan_out`, the monitoring pass spreads its ingest over
    the workers of a pool (flows/fanout.py, `mediebild deploy`)."""
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
    if settings is not None and settings.store.catalog:
        params["catalog"] = settings.store.catalog  # the URL only: the password stays in the environment
    if fan_out:
        scale = ((settings.raw if settings is not None else None) or {}).get("scale") or {}
        params.update(fan_out=True, group_size=int(scale.get("group_size", 8)), rates=scale.get("rates"),
                      concurrency=cfg.concurrency if cfg is not None else 4)
    ingest = flow.to_deployment(name="mediebild-ingest", interval=timedelta(minutes=every_minutes), parameters=params)
    lang = settings.lang if settings is not None else "sv"
    raw = settings.raw if settings is not None else None
    retention_days = settings.privacy.retention_days if settings is not None else 30
    retention = get_retention_flow().to_deployment(
        name="retention", schedules=[Cron("15 3 * * *", timezone="Europe/Stockholm")],
        parameters={"db": db, "retention_days": retention_days,
                    **({"catalog": settings.store.catalog} if settings is not None and settings.store.catalog else {})})
    return [ingest, *digest_deployments(db, out_dir=out_dir, lang=lang, raw=raw), retention]


def web_services(*, send_settings: Any = None) -> Any:
    """What the page is handed of the flows, reports and monitors (web/ may not import them): rendering a digest
    or a brief now, the documents' pseudonymisation of private persons, sending a stored document (to
    `send_settings`, by default [send] of mediebild.toml read at each send), making a source from what was typed
    (the rules of `mediebild sources add`), and the profile suggestions of `mediebild profile suggest`. (Private
    persons need no pseudonymising here: the page reads the published snapshot, which has them so.)"""
    from mediebild.flows.digest import make_brief, make_digest, send_stored
    from mediebild.monitors.base import MONITOR_KINDS
    from mediebild.monitors.catalog import make_source
    from mediebild.reports.send import load_send_settings, redact_url
    from mediebild.web.app import Services

    def render(store: Any, kind: str, hour: datetime, lang: str) -> list[str]:
        end = hour + timedelta(hours=1)
        if kind == "brief":
            docs = make_brief(store, until=end, lang=lang)
        else:
            docs = make_digest(store, period_start=hour, period_end=end, lang=lang)
        return [str(d["id"]) for d in docs]

    def settings() -> Any:
        return send_settings if send_settings is not None else load_send_settings()

    def recipients() -> list[str]:
        """Where a document goes ("e-post: a@b.se"); [] when [send] configures nowhere (a bad [send] raises)."""
        found = settings()
        out = [f"mapp: {found.folder}"] if found.folder else []
        out += [f"e-post: {to}" for to in (found.email.to if found.email else [])]
        out += [f"webhook: {redact_url(h.url)}" for h in found.webhooks]
        return out

    def send(store: Any, doc_id: str) -> list[dict[str, Any]]:
        return [{"channel": r.channel, "recipient": r.recipient, "status": r.status, "error": r.error}
                for r in send_stored(store, doc_id, settings=settings())]

    def new_source(url: str | None, kind: str, name: str | None, query: str | None) -> Any:
        return make_source(url, kind=kind, name=name, query=query)

    def suggest(con: Any, profile: Any) -> dict[str, Any]:
        from mediebild.flows.enrich import suggest_profile

        return suggest_profile(con, profile, n=15)

    return Services(render=render, recipients=recipients, send=send, make_source=new_source,
                    source_kinds=tuple(MONITOR_KINDS), suggest=suggest)


class WebServer:
    """The situation room on uvicorn: `run()` in the foreground (`mediebild web`) or `start()` in a thread
    beside the schedules (`mediebild serve`); `stop()` ends both the server and its snapshots."""

    def __init__(self, db: Path | str, web_settings: Any = None, *, raw: dict[str, Any] | None = None):
        from mediebild.data.access import Snapshots
        from mediebild.data.privacy import privacy_key
        from mediebild.web.app import create_app
        from mediebild.web.config import load_web_settings

        import uvicorn

        self.settings = web_settings if web_settings is not None else load_web_settings(raw)
        self.access = Snapshots(db)
        with self.access.write(publish=False) as store:  # migrates, and makes the pseudonym key before publishing
            privacy_key(store.con)
        self.access.start()  # publishes first when the database moved on since its newest snapshot
        self.app = create_app(self.settings, self.access, web_services())
        config = uvicorn.Config(self.app, host=self.settings.host, port=self.settings.port, proxy_headers=True,
                                forwarded_allow_ips=self.settings.forwarded_allow_ips, server_header=False,
                                log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.port}/"

    def run(self) -> None:
        try:
            self.server.run()
        finally:
            self.access.close()

    def start(self, *, wait: float = 20.0) -> "WebServer":
        """Serve in a thread; returns once the page listens, or raises a UserError when it cannot (a port in use)."""
        import time

        from mediebild.errors import UserError

        self.thread = threading.Thread(target=self.server.run, name="mediebild-web", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + wait
        while not self.server.started and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not self.server.started:
            self.stop()
            raise UserError(f"the situation room cannot listen on {self.settings.host}:{self.settings.port} (in use by "
                            "another program?): choose another with [web] port, or [web] serve = false")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)
        self.access.close()


def serve_all(deployments: list[Any], *, db: str | None = None, raw: dict[str, Any] | None = None) -> None:
    """Serve the deployments with Prefect and, unless `[web] serve = false`, the situation room beside them.

    `db` defaults to the database the deployments run on.
    """
    from prefect import serve

    from mediebild.settings import read_config
    from mediebild.web.config import load_web_settings

    raw = raw if raw is not None else read_config()
    web_settings = load_web_settings(raw)
    db = db or next((str(d.parameters["db"]) for d in deployments if (d.parameters or {}).get("db")), None)
    page = None
    if web_settings.serve and db:
        page = WebServer(db, web_settings).start()
        log.warning("mediebild: the situation room is at %s", page.url)
        print(f"lägesrummet: {page.url}", flush=True)
    try:
        serve(*deployments)
    finally:
        if page is not None:
            page.stop()
