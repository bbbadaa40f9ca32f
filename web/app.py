"""The situation room as an ASGI application: `create_app(settings, access, services)`.

Pages (Swedish by default, English with the switch; times in Europe/Stockholm):

    /                     Läget nu: last hour vs the one before, volume, top stories, alerts, rumours, statements,
                          failing sources; updates itself when a pass lands (the script polls /api/version)
    /flodet               Flödet: items newest first with the digest's filters, copies under their original
    /berattelse/{id}      Berättelse: one story, its triage (POST .../triage) and audit
    /dokument             Dokument: stored digests and briefs, each format downloadable; POST /dokument/skapa
    /kallor               Källor: source health; POST /kallor/{id}/pausa | /ateruppta
    /profil, /sok         the incident profile; search and trends (a placeholder until the analysts' issue)
    /login, /logout       every other page needs a session

Readers see; editors and admins also act (triage, pause a source, render a document): a reader's POST is
403. Private social authors are shown by pseudonym to readers, as in the documents; editors and admins see
the author and the link to the post, because they act on posts (answer a rumour, report a threat, ask a
platform to remove something) and must be able to find the original; every such action is in the audit log.

Web layer: imports data/ (through views and the access object), web's own modules, starlette and jinja2.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable
from urllib.parse import quote, urlencode, urlsplit

import duckdb
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from mediebild.data.access import PageAccess, StoreBusy
from mediebild.data.item_filter import ItemFilter
from mediebild.data.store import Store
from mediebild.data.triage import TRIAGE_STATES, record_action, set_source_enabled, set_triage
from mediebild.data.users import count_users, get_user
from mediebild.data.page import source_exists
from mediebild.errors import MediebildError, UserError
from mediebild.items import KINDS
from mediebild.timeutil import STOCKHOLM, as_utc, floor_hour, utcnow
from mediebild.web import texts, views
from mediebild.web.auth import LoginLimiter, Passwords, Session, Sessions, new_token, same
from mediebild.web.chart import stacked_bars
from mediebild.web.config import WebSettings
from mediebild.web.security import DOCUMENT_CSP, SecurityHeaders

log = logging.getLogger(__name__)

ROLE_RANK = {"reader": 0, "editor": 1, "admin": 2}
LANG_COOKIE = "mediebild_lang"
LOGIN_COOKIE = "mediebild_login"
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8", "pdf": "application/pdf",
               "json": "application/json"}
STORY_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")
DOC_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,200}$")
SOURCE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,200}$")

RenderFn = Callable[[Store, str, datetime, str], list[str]]
ProtectFn = Callable[[dict[str, Any], duckdb.DuckDBPyConnection], dict[str, Any]]


@dataclass
class Services:
    """What the flows hand the page (web/ may not import them): rendering a document, pseudonymising people.

    render(store, kind, hour_start_utc, lang) -> the stored document ids; protect(document, con) -> the
    document with private persons' posts pseudonymised (reports.privacy.protect).
    """

    render: RenderFn | None = None
    protect: ProtectFn | None = None


def _hide_social(node: Any) -> Any:
    """Without the documents' pseudonymiser: leave out every social item's author and link (the safe side)."""
    if isinstance(node, list):
        return [_hide_social(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _hide_social(v) for k, v in node.items()}
    if out.get("kind") == "social":
        if "author" in out:
            out["author"] = None
        if "url" in out:
            out["url"] = None
    return out


def safe_url(url: Any) -> str | None:
    """The URL when it is absolute http(s) without white space, quotes or control characters, else None."""
    if not isinstance(url, str) or not url or any(ord(c) < 33 or c in "\"'<>\\`" for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def local_path(value: str | None, default: str = "/") -> str:
    """A redirect target on this site only ("/flodet?x=1"), never another host."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or any(ord(c) < 32 for c in value):
        return default
    return value


def _signed(value: Any) -> str:
    if value is None:
        return ""
    n = float(value)
    if n == int(n):
        n = int(n)
        return f"+{n}" if n > 0 else ("±0" if n == 0 else f"−{abs(n)}")
    return f"{n:+.1f}".replace("-", "−")


class Room:
    """The application's state: settings, store access, sessions, the login limit, templates and a cache."""

    def __init__(self, settings: WebSettings, access: PageAccess, services: Services | None = None,
                 passwords: Passwords | None = None):
        self.settings = settings
        self.access = access
        self.services = services or Services()
        self.passwords = passwords or Passwords()
        self.sessions = Sessions(lifetime_s=settings.session_hours * 3600, idle_s=settings.idle_minutes * 60)
        self.limiter = LoginLimiter(per_user=settings.login_attempts_per_user, per_ip=settings.login_attempts_per_ip,
                                    window_s=settings.login_window_minutes * 60)
        self.env = Environment(loader=PackageLoader("mediebild.web", "templates"),
                               autoescape=select_autoescape(default=True, default_for_string=True),
                               undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.env.filters.update(safe_url=safe_url, signed=_signed, stamp=texts.stamp)
        self._cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._cache_lock = threading.Lock()
        # pages kept warm: name -> (the cache key now, its builder, when a reader last asked)
        self._warm: dict[tuple[Any, ...], tuple[Callable[[], tuple[Any, ...]],
                                                Callable[[duckdb.DuckDBPyConnection], Any], float]] = {}
        self._warmer: threading.Thread | None = None

    # -- reading -------------------------------------------------------------------------------------------------
    def cached(self, key: tuple[Any, ...], build: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
        """`build(cursor)` once per key and data version (a new pass or an action gives a new version)."""
        full = (self.access.version, *key)
        with self._cache_lock:
            if full in self._cache:
                self._cache.move_to_end(full)
                return self._cache[full]
        with self.access.read() as con:
            value = build(con)
        with self._cache_lock:
            self._cache[full] = value
            while len(self._cache) > 128:
                self._cache.popitem(last=False)
        return value

    def keep_warm(self, name: tuple[Any, ...], key: Callable[[], tuple[Any, ...]],
                  build: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
        """`cached(key(), build)`, and keep that entry built while readers keep asking for it (10 minutes).

        A thread rebuilds it as soon as a new pass or action lands or the minute turns, so the first reader after
        a pass does not wait for the overview's queries (about 0.2 s at a million items).
        """
        with self._cache_lock:
            self._warm[name] = (key, build, time.monotonic())
            if self._warmer is None:
                self._warmer = threading.Thread(target=self._keep_warm, name="mediebild-web-warm", daemon=True)
                self._warmer.start()
        return self.cached(key(), build)

    def _keep_warm(self) -> None:
        while not getattr(self.access, "closed", False):
            time.sleep(0.5)
            with self._cache_lock:
                entries = list(self._warm.items())
            for name, (key, build, asked) in entries:
                if time.monotonic() - asked > 600:
                    with self._cache_lock:
                        self._warm.pop(name, None)
                    continue
                try:
                    self.cached(key(), build)
                except Exception:  # busy or closing: the next round tries again, readers build their own
                    log.debug("warming %s failed", name, exc_info=True)

    def read(self, build: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
        with self.access.read() as con:
            return build(con)

    def protect(self, document: dict[str, Any], con: duckdb.DuckDBPyConnection, reveal: bool,
                lang: str) -> dict[str, Any]:
        """The document as a reader may see it (private persons by pseudonym); editors' (`reveal`) as it is."""
        if reveal:
            return document
        if self.services.protect is None:
            result: dict[str, Any] = _hide_social(document)
            return result
        shown = self.services.protect({**document, "lang": lang}, con)
        shown.pop("lang", None)
        return shown

    def account(self, name: str) -> dict[str, Any] | None:
        """The account behind a session, as of the current data version (a role change applies at once)."""
        found: dict[str, Any] | None = self.cached(("account", name), lambda con: get_user(con, name))
        return found

    # -- the request's context -----------------------------------------------------------------------------------
    def secure(self, request: Request) -> bool:
        return self.settings.behind_tls_proxy or request.url.scheme == "https"

    def cookie_name(self, request: Request) -> str:
        return "__Host-mediebild" if self.secure(request) else "mediebild_session"

    def session(self, request: Request) -> Session | None:
        token = request.cookies.get(self.cookie_name(request))
        session = self.sessions.get(token)
        if session is None:
            return None
        try:
            account = self.account(session.user)
        except StoreBusy:
            return session
        if account is None or account["disabled"]:
            self.sessions.drop(token)
            return None
        session.role, session.organisation = account["role"], account["organisation"]
        return session

    def lang(self, request: Request) -> str:
        return texts.check(request.cookies.get(LANG_COOKIE) or self.settings.lang)

    def render(self, request: Request, template: str, *, session: Session | None, status: int = 200,
               nav: str = "", **context: Any) -> HTMLResponse:
        lang = self.lang(request)
        t = texts.words(lang)
        env = self.env
        html = env.get_template(template).render(
            t=t, lang=lang, session=session, nav=nav, settings=self.settings,
            can_edit=session is not None and ROLE_RANK.get(session.role, 0) >= ROLE_RANK["editor"],
            version=self.access.version, path=request.url.path,
            here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            clock=lambda v: texts.clock(v, lang), when=lambda v: texts.when(v, lang),
            label=lambda v: texts.label(v, lang), kinds=KINDS, triage_states=TRIAGE_STATES,
            **context,
        )
        return HTMLResponse(html, status_code=status)

    def error(self, request: Request, status: int, key: str, session: Session | None = None,
              headers: dict[str, str] | None = None) -> HTMLResponse:
        response = self.render(request, "error.html.j2", session=session, status=status, message_key=key)
        for k, v in (headers or {}).items():
            response.headers[k] = v
        return response


# -- helpers for handlers ----------------------------------------------------------------------------------------
def room_of(request: Request) -> Room:
    room: Room = request.app.state.room
    return room


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


async def _acting(request: Request, role: str = "editor") -> tuple[Session, FormData] | Response:
    """The session and form of a POST that changes something: logged in, same origin, CSRF token, role."""
    room = room_of(request)
    session = room.session(request)
    if session is None:
        return JSONResponse({"error": "login required"}, status_code=401) if _wants_json(request) \
            else _login_redirect(request)
    form = await request.form()
    token = request.headers.get("x-csrf-token") or str(form.get("csrf") or "")
    if not _same_origin(request) or not same(token, session.csrf):
        return room.error(request, 403, "csrf_failed", session)
    if ROLE_RANK.get(session.role, 0) < ROLE_RANK[role]:
        return room.error(request, 403, "forbidden", session)
    return session, form


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _page(request: Request, template: str, nav: str,
                build: Callable[[Room, Session, str], dict[str, Any] | None]) -> Response:
    room = room_of(request)
    session = room.session(request)
    if session is None:
        return _login_redirect(request)
    lang = room.lang(request)
    try:
        data = await run_in_threadpool(build, room, session, lang)
    except StoreBusy:
        return room.error(request, 503, "busy", session, headers={"Retry-After": "10"})
    except UserError as exc:
        log.info("bad request: %s", exc)
        return room.error(request, 400, "not_found", session)
    if data is None:
        return room.error(request, 404, "not_found", session)
    return room.render(request, template, session=session, nav=nav, **data)


def _reveal(session: Session) -> bool:
    """Editors and admins see private authors and their links; readers see pseudonyms (the module doc says why)."""
    return ROLE_RANK.get(session.role, 0) >= ROLE_RANK["editor"]


def _now() -> datetime:
    """The minute a page's data is cached for (a new pass or an action makes a new version at once)."""
    return utcnow().replace(second=0, microsecond=0)


def _live(room: Room, con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    now, stale = views.as_of(con, utcnow())
    return {"as_of": now, "stale": stale}


# -- pages -------------------------------------------------------------------------------------------------------
async def overview(request: Request) -> Response:
    def build(room: Room, session: Session, lang: str) -> dict[str, Any]:
        reveal = _reveal(session)

        def gather(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
            live = _live(room, con)
            data = views.overview(con, live["as_of"])
            data = room.protect(data, con, reveal, lang)
            return {**live, **data}

        data: dict[str, Any] = room.keep_warm(("overview", reveal, lang), lambda: ("overview", _now(), reveal, lang),
                                              gather)
        return {**data, "chart": stacked_bars(data["volume"], lang)}

    return await _page(request, "overview.html.j2", "overview", build)


def _filter_from(request: Request) -> tuple[ItemFilter, dict[str, Any]]:
    params = request.query_params

    def many(name: str) -> tuple[str, ...]:
        return tuple(v for v in params.getlist(name) if v and len(v) <= 200)[:50]

    kinds = tuple(k for k in many("kind") if k in KINDS)
    relevance: float | None = None
    raw = params.get("min_relevance") or ""
    if raw:
        try:
            relevance = min(max(float(raw.replace(",", ".")), 0.0), 1.0)
        except ValueError:
            relevance = None
    chosen = ItemFilter(kinds=kinds, sources=many("source"), langs=many("lang"), info_types=many("info_type"),
                        source_types=many("source_type"), tones=many("tone"), min_relevance=relevance)
    shown = {"kind": list(kinds), "source": list(chosen.sources), "lang": list(chosen.langs),
             "info_type": list(chosen.info_types), "source_type": list(chosen.source_types),
             "tone": list(chosen.tones), "min_relevance": raw if relevance is not None else ""}
    return chosen, shown


def _before(request: Request) -> tuple[datetime, str] | None:
    raw = request.query_params.get("before") or ""
    if "|" not in raw:
        return None
    stamp, _, item_id = raw.partition("|")
    try:
        return as_utc(datetime.fromisoformat(stamp)), item_id[:300]
    except ValueError:
        return None


async def stream(request: Request) -> Response:
    item_filter, shown = _filter_from(request)
    before = _before(request)

    def build(room: Room, session: Session, lang: str) -> dict[str, Any]:
        def gather(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
            live = _live(room, con)
            try:
                data = views.stream(con, item_filter, until=live["as_of"], before=before)
                problem = None
            except UserError as exc:  # a filter on enrichment before enrichment ran
                data, problem = {"items": [], "choices": {"sources": [], "langs": [], "info_types": [],
                                                          "source_types": [], "tones": []}, "next": None}, str(exc)
            data = room.protect(data, con, reveal, lang)
            return {**live, **data, "problem": problem}

        reveal = _reveal(session)
        data: dict[str, Any] = room.cached(("stream", _now(), reveal, lang, item_filter, before), gather)
        query = [(k, v) for k, vs in shown.items() for v in (vs if isinstance(vs, list) else [vs]) if v]
        older = None
        if data["next"] is not None:
            older = "/flodet?" + urlencode(query + [("before", f"{data['next'][0].isoformat()}|{data['next'][1]}")])
        return {**data, "shown": shown, "older": older, "paged": before is not None,
                "filtered": item_filter.active, "newest_link": "/flodet?" + urlencode(query)}

    return await _page(request, "stream.html.j2", "stream", build)


async def story(request: Request) -> Response:
    story_id = request.path_params["story_id"]
    if not STORY_ID.match(story_id):
        return room_of(request).error(request, 404, "not_found", room_of(request).session(request))

    def build(room: Room, session: Session, lang: str) -> dict[str, Any] | None:
        def gather(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
            found = views.story(con, story_id)
            if found is None:
                return None
            return {**_live(room, con), "story": room.protect(found, con, reveal, lang)}

        reveal = _reveal(session)
        data: dict[str, Any] | None = room.cached(("story", story_id, reveal, lang), gather)
        if data is None:
            return None
        return {**data, "chart": stacked_bars(data["story"]["timeline"], lang, width=560, height=150)}

    return await _page(request, "story.html.j2", "overview", build)


async def triage(request: Request) -> Response:
    room = room_of(request)
    story_id = request.path_params["story_id"]
    acting = await _acting(request)
    if isinstance(acting, Response):
        return acting
    session, form = acting
    state = str(form.get("state") or "")
    if state not in (*TRIAGE_STATES, "none") or not STORY_ID.match(story_id):
        return room.error(request, 400, "not_found", session)
    note = str(form.get("note") or "")

    def act() -> dict[str, Any]:
        with room.access.write() as store:
            return set_triage(store.con, story_id, None if state == "none" else state, note=note,
                              user=session.user, organisation=session.organisation)

    try:
        done = await run_in_threadpool(act)
    except StoreBusy:
        return room.error(request, 503, "busy", session, headers={"Retry-After": "10"})
    except UserError:
        return room.error(request, 404, "not_found", session)
    target = local_path(str(form.get("next") or ""), f"/berattelse/{quote(done['story_id'])}")
    return RedirectResponse(target, status_code=303)


async def documents(request: Request) -> Response:
    def build(room: Room, session: Session, lang: str) -> dict[str, Any]:
        def gather(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
            return {**_live(room, con), **views.documents(con)}

        data: dict[str, Any] = room.cached(("documents", _now()), gather)
        done = [d for d in request.query_params.getlist("done") if DOC_ID.match(d)][:12]
        local_now = utcnow().astimezone(STOCKHOLM)
        # the last complete hour of the data: the clock's, or the newest item's on a database not being fed
        last_hour = floor_hour(data["as_of"]) - timedelta(hours=1)
        return {**data, "done": done, "can_render": room.services.render is not None,
                "default_hour": last_hour.astimezone(STOCKHOLM).strftime("%Y-%m-%dT%H:00"),
                "max_hour": local_now.strftime("%Y-%m-%dT%H:00"), "problem": request.query_params.get("problem")}

    return await _page(request, "documents.html.j2", "documents", build)


async def document_download(request: Request) -> Response:
    room = room_of(request)
    session = room.session(request)
    if session is None:
        return _login_redirect(request)
    doc_id = request.path_params["doc_id"]
    if not DOC_ID.match(doc_id):
        return room.error(request, 404, "not_found", session)
    try:
        doc = await run_in_threadpool(room.read, lambda con: views.document(con, doc_id))
    except StoreBusy:
        return room.error(request, 503, "busy", session, headers={"Retry-After": "10"})
    if doc is None:
        return room.error(request, 404, "not_found", session)
    fmt = str(doc["format"])
    filename = f"{doc_id}.{fmt}"
    return Response(bytes(doc["body"]), media_type=MEDIA_TYPES.get(fmt, "application/octet-stream"), headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Content-Security-Policy": DOCUMENT_CSP})


def _parse_hour(text: str) -> datetime:
    """'2026-03-24T10:00' (Stockholm local, from <input type=datetime-local>) -> aware UTC hour start."""
    try:
        value = datetime.fromisoformat(text.strip()[:16])
    except ValueError as exc:
        raise UserError(f"not an hour: {text!r}") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=STOCKHOLM)
    return floor_hour(value)


async def document_render(request: Request) -> Response:
    room = room_of(request)
    acting = await _acting(request)
    if isinstance(acting, Response):
        return acting
    session, form = acting
    render = room.services.render
    if render is None:
        return room.error(request, 404, "render_unavailable", session)
    kind = str(form.get("kind") or "digest")
    lang = texts.check(str(form.get("doc_lang") or room.lang(request)))
    if kind not in ("digest", "brief"):
        return room.error(request, 400, "not_found", session)
    try:
        hour = _parse_hour(str(form.get("hour") or ""))
    except UserError:
        return RedirectResponse("/dokument?" + urlencode({"problem": "hour"}), status_code=303)

    def act() -> list[str]:
        with room.access.write() as store:
            ids = render(store, kind, hour, lang)
            record_action(store.con, user=session.user, organisation=session.organisation, action="render_document",
                          target_kind="document", target_id=ids[0] if ids else kind,
                          after={"kind": kind, "hour": hour.isoformat(), "lang": lang, "ids": ids})
            return ids

    try:
        ids = await run_in_threadpool(act)
    except StoreBusy:
        return room.error(request, 503, "busy", session, headers={"Retry-After": "10"})
    except MediebildError as exc:
        log.warning("render failed: %s", exc)
        return RedirectResponse("/dokument?" + urlencode({"problem": str(exc)[:200]}), status_code=303)
    return RedirectResponse("/dokument?" + urlencode([("done", i) for i in ids]), status_code=303)


async def sources(request: Request) -> Response:
    def build(room: Room, session: Session, lang: str) -> dict[str, Any]:
        def gather(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
            live = _live(room, con)
            return {**live, **views.sources(con, live["as_of"])}

        data: dict[str, Any] = room.cached(("sources", _now()), gather)
        return data

    return await _page(request, "sources.html.j2", "sources", build)


async def source_toggle(request: Request) -> Response:
    room = room_of(request)
    source_id = request.path_params["source_id"]
    action = request.path_params["action"]
    acting = await _acting(request)
    if isinstance(acting, Response):
        return acting
    session, _form = acting
    if action not in ("pausa", "ateruppta") or not SOURCE_ID.match(source_id):
        return room.error(request, 404, "not_found", session)

    def act() -> bool:
        with room.access.write() as store:
            if not source_exists(store.con, source_id):
                raise UserError(f"no source {source_id!r}")
            return set_source_enabled(store.con, source_id, action == "ateruppta", user=session.user,
                                      organisation=session.organisation)

    try:
        await run_in_threadpool(act)
    except StoreBusy:
        return room.error(request, 503, "busy", session, headers={"Retry-After": "10"})
    except UserError:
        return room.error(request, 404, "not_found", session)
    return RedirectResponse(f"/kallor#source-{quote(source_id)}", status_code=303)


async def profile(request: Request) -> Response:
    def build(room: Room, session: Session, lang: str) -> dict[str, Any]:
        data: dict[str, Any] = room.cached(("profile",), views.profile)
        return data

    return await _page(request, "profile.html.j2", "profile", build)


async def search(request: Request) -> Response:
    return await _page(request, "search.html.j2", "search", lambda room, session, lang: {})


async def api_version(request: Request) -> Response:
    room = room_of(request)
    if room.session(request) is None:
        return JSONResponse({"error": "login required"}, status_code=401)
    status = await run_in_threadpool(room.access.status)
    taken = status.get("taken_at")
    return JSONResponse({"version": room.access.version, "writer": bool(status.get("writer")),
                         "taken_at": taken.isoformat() if isinstance(taken, datetime) else None},
                        headers={"Cache-Control": "no-store"})


async def switch_lang(request: Request) -> Response:
    lang = texts.check(request.path_params["lang"])
    response = RedirectResponse(local_path(request.query_params.get("next")), status_code=303)
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True, samesite="strict",
                        secure=room_of(request).secure(request))
    return response


# -- login -------------------------------------------------------------------------------------------------------
async def login_page(request: Request) -> Response:
    room = room_of(request)
    if room.session(request) is not None:
        return RedirectResponse(local_path(request.query_params.get("next")), status_code=303)
    return await _login_form(request, status=200, message=None)


async def _login_form(request: Request, *, status: int, message: str | None, minutes: int = 0,
                      headers: dict[str, str] | None = None) -> Response:
    room = room_of(request)
    token = new_token()
    try:
        no_users = await run_in_threadpool(room.cached, ("users_count",), count_users) == 0
    except StoreBusy:
        no_users = False
    response = room.render(request, "login.html.j2", session=None, status=status, login_csrf=token,
                           next=local_path(request.query_params.get("next")), message=message,
                           minutes=minutes, no_users=no_users)
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                        secure=room.secure(request), path="/login")
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


async def login(request: Request) -> Response:
    room = room_of(request)
    form = await request.form()
    if not _same_origin(request) or not same(str(form.get("csrf") or ""), request.cookies.get(LOGIN_COOKIE)):
        return await _login_form(request, status=403, message="login_expired")
    name = str(form.get("user") or "").strip().casefold()[:64]
    password = str(form.get("password") or "")
    ip = request.client.host if request.client else "unknown"
    wait = room.limiter.retry_after(name, ip)
    if wait > 0:
        minutes = max(1, int(wait // 60) + (1 if wait % 60 else 0))
        return await _login_form(request, status=429, message="login_limited", minutes=minutes,
                                 headers={"Retry-After": str(int(wait) + 1)})

    def check() -> dict[str, Any] | None:
        try:
            account = room.read(lambda con: get_user(con, name))
        except StoreBusy:
            raise
        usable = account is not None and not account["disabled"]
        ok = room.passwords.verify(account["password_hash"] if usable and account else None, password)
        return account if ok and usable else None

    try:
        account = await run_in_threadpool(check)
    except StoreBusy:
        return room.error(request, 503, "busy", None, headers={"Retry-After": "10"})
    if account is None:
        room.limiter.failure(name, ip)
        log.info("failed login for %r from %s", name, ip)
        return await _login_form(request, status=401, message="login_failed")
    room.limiter.success(name)
    room.sessions.drop(request.cookies.get(room.cookie_name(request)))
    token, _session = room.sessions.create(account["name"], account["role"], account["organisation"])
    response = RedirectResponse(local_path(str(form.get("next") or "")), status_code=303)
    response.set_cookie(room.cookie_name(request), token, httponly=True, samesite="strict", secure=room.secure(request),
                        path="/", max_age=int(room.settings.session_hours * 3600))
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


async def logout(request: Request) -> Response:
    room = room_of(request)
    acting = await _acting(request, role="reader")
    if isinstance(acting, Response):
        return acting
    room.sessions.drop(request.cookies.get(room.cookie_name(request)))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(room.cookie_name(request), path="/", secure=room.secure(request), httponly=True,
                           samesite="strict")
    return response


async def not_found(request: Request, exc: Exception) -> Response:
    room = room_of(request)
    code = exc.status_code if isinstance(exc, HTTPException) else 404
    key = "not_found" if code in (404, 405) else "error"
    return room.error(request, code, key, room.session(request))


def create_app(settings: WebSettings, access: PageAccess, services: Services | None = None, *,
               passwords: Passwords | None = None) -> Starlette:
    """The ASGI application of the situation room."""
    room = Room(settings, access, services, passwords)
    routes = [
        Route("/", overview),
        Route("/flodet", stream),
        Route("/berattelse/{story_id}", story),
        Route("/berattelse/{story_id}/triage", triage, methods=["POST"]),
        Route("/dokument", documents),
        Route("/dokument/skapa", document_render, methods=["POST"]),
        Route("/dokument/{doc_id}", document_download),
        Route("/kallor", sources),
        Route("/kallor/{source_id}/{action}", source_toggle, methods=["POST"]),
        Route("/profil", profile),
        Route("/sok", search),
        Route("/api/version", api_version),
        Route("/sprak/{lang}", switch_lang),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Mount("/static", app=StaticFiles(packages=[("mediebild.web", "static")]), name="static"),
    ]
    middleware = [Middleware(SecurityHeaders, hsts=settings.behind_tls_proxy)]
    hosts = settings.hosts()
    if hosts != ["*"]:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=hosts))
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={HTTPException: not_found})
    app.state.room = room
    return app

