"""The situation room's shared state and request helpers: what every page module (app.py, manage.py, admin.py)
builds on.

`Services` is what the flows hand the page (rendering, sending and suggesting need modules web/ may not
import); `Room` holds the settings, the store access, the sessions (in memory and, through `StoredSessions`,
in the database), the login limit, the templates and a small cache keyed on the data version; the helpers
check a POST (logged in, same origin, CSRF token, role) and render a page from a builder run in a thread.

Web layer: imports data/ (through views and the access object), web's own modules, starlette and jinja2.
"""
from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urlencode, urlsplit

import duckdb
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, QueryParams
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from mediebild import labels
from mediebild.data.access import PageAccess, StoreBusy
from mediebild.data.item_filter import ItemFilter
from mediebild.data.sessions import delete_session, delete_user_sessions, live_sessions, save_session
from mediebild.data.store import Store
from mediebild.data.triage import TRIAGE_STATES
from mediebild.data.users import all_users, normalise_name
from mediebild.errors import UserError
from mediebild.items import KINDS
from mediebild.profile import Profile
from mediebild.sources import SourceConfig
from mediebild.timeutil import utcnow
from mediebild.web import texts, views
from mediebild.web.analyst_reader import AnalystReader
from mediebild.web.auth import LoginLimiter, Passwords, Session, Sessions, same
from mediebild.web.config import WebSettings

log = logging.getLogger(__name__)

ROLE_RANK = {"reader": 0, "editor": 1, "admin": 2}
LANG_COOKIE = "mediebild_lang"
LOGIN_COOKIE = "mediebild_login"
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8", "pdf": "application/pdf",
               "json": "application/json"}
STORY_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")
DOC_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,200}$")
SOURCE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,200}$")
ITEM_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,300}$")

RenderFn = Callable[[Store, str, datetime, str], list[str]]


@dataclass
class Services:
    """What the flows hand the page (web/ may not import them).

    render(store, kind, hour_start_utc, lang) -> the stored document ids; recipients() -> where a
    document is sent ("email: a@b.se", ...), raising a MediebildError when sending is not configured;
    send(store, document_id) -> one {channel, recipient, status, error} per recipient (flows.digest.send_stored);
    make_source(url, kind, name, query) -> a validated SourceConfig by the rules of `mediebild sources add`;
    source_kinds: the monitors a source may use; suggest(cursor, profile) -> the terms, places and organisations
    relevance learning proposes for the profile (`mediebild profile suggest`).
    """

    render: RenderFn | None = None
    recipients: Callable[[], list[str]] | None = None
    send: Callable[[Store, str], list[dict[str, Any]]] | None = None
    make_source: Callable[[str | None, str, str | None, str | None], SourceConfig] | None = None
    source_kinds: tuple[str, ...] = ()
    suggest: Callable[[duckdb.DuckDBPyConnection, Profile], dict[str, Any]] | None = None


ACCOUNTS = "accounts"  # the name of the accounts and sessions among the access's private values


def load_accounts(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Every account (with its password hash) and every live stored session: small, never published, kept in
    this process's memory by the store access (data/access.py `private`)."""
    return {"users": all_users(con), "sessions": live_sessions(con)}


class StoredSessions:
    """The sessions' backing in the database (data/sessions.py): written through the page's store access (in the
    writer's gap, without publishing: sessions are never published), found again in the accounts it keeps."""

    def __init__(self, access: PageAccess):
        self.access = access

    def save(self, key: str, session: Session, expires: float) -> None:
        with self.access.write(publish=False) as store:
            save_session(store.con, key, user=session.user, csrf=session.csrf,
                         created_at=datetime.fromtimestamp(session.created, timezone.utc),
                         expires_at=datetime.fromtimestamp(expires, timezone.utc))

    def load(self, key: str) -> Session | None:
        accounts = self.access.private(ACCOUNTS, load_accounts, eager=True)
        found = accounts["sessions"].get(key)
        account = accounts["users"].get(found["user_name"]) if found else None
        if found is None or account is None or account["disabled"]:
            return None
        if found["expires_at"].timestamp() <= time.time():
            return None
        created = found["created_at"].timestamp()
        return Session(user=account["name"], role=account["role"], organisation=account["organisation"],
                       csrf=found["csrf"], created=created, last_seen=created)

    def delete(self, key: str) -> None:
        with self.access.write(publish=False) as store:
            delete_session(store.con, key)

    def delete_user(self, user: str) -> None:
        with self.access.write(publish=False) as store:
            delete_user_sessions(store.con, user)


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


BUILD_WAIT_SECONDS = 30.0  # a reader waits this long for the same page built by another request, then builds it


class Room:
    """The application's state: settings, store access, sessions, the login limit, templates and a cache."""

    def __init__(self, settings: WebSettings, access: PageAccess, services: Services | None = None,
                 passwords: Passwords | None = None, stored_sessions: bool = True):
        self.settings = settings
        self.access = access
        self.services = services or Services()
        self.passwords = passwords or Passwords()
        self.sessions = Sessions(lifetime_s=settings.session_hours * 3600, idle_s=settings.idle_minutes * 60,
                                 backing=StoredSessions(access) if stored_sessions else None)
        self.limiter = LoginLimiter(per_user=settings.login_attempts_per_user, per_ip=settings.login_attempts_per_ip,
                                    window_s=settings.login_window_minutes * 60)
        self.env = Environment(loader=PackageLoader("mediebild.web", "templates"),
                               autoescape=select_autoescape(default=True, default_for_string=True),
                               undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.env.filters.update(safe_url=safe_url, signed=_signed, stamp=texts.stamp)
        self._cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._building: dict[tuple[Any, ...], threading.Event] = {}  # the builds under way, by cache key
        # pages kept warm: name -> (the cache key now, its builder, when a reader last asked)
        self._warm: dict[tuple[Any, ...], tuple[Callable[[], tuple[Any, ...]],
                                                Callable[[duckdb.DuckDBPyConnection], Any], float]] = {}
        self._warmer: threading.Thread | None = None
        self._analysts: AnalystReader | None = None

    @property
    def analysts(self) -> AnalystReader:
        """The published snapshot and search index Sök och trender reads (opened at its first request)."""
        with self._cache_lock:
            if self._analysts is None:
                self._analysts = AnalystReader.for_access(self.access)
            return self._analysts

    # -- reading -------------------------------------------------------------------------------------------------
    def cached(self, key: tuple[Any, ...], build: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
        """`build(cursor)` once per key and data version (a new pass or an action gives a new version).

        One build at a time per key and version: a reader asking while another request or the warming thread
        builds the same page waits for that build instead of running the same queries beside it (after a pass
        the warming thread and the first readers all asked at once, each slowing the others)."""
        full = (self.access.version, *key)
        with self._cache_lock:
            if full in self._cache:
                self._cache.move_to_end(full)
                return self._cache[full]
            building = self._building.get(full)
            if building is None:
                self._building[full] = building = threading.Event()
                mine = True
            else:
                mine = False
        if not mine:
            building.wait(timeout=BUILD_WAIT_SECONDS)
            with self._cache_lock:
                for done in (full, (self.access.version, *key)):  # that build may have read a newer version
                    if done in self._cache:
                        self._cache.move_to_end(done)
                        return self._cache[done]
            return self._build(key, build)  # that build failed or is slow: build it here
        try:
            return self._build(key, build)
        finally:
            with self._cache_lock:
                self._building.pop(full, None)
            building.set()

    def _build(self, key: tuple[Any, ...], build: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
        with self.access.read_at() as (con, version):
            value = build(con)
        with self._cache_lock:
            self._cache[(version, *key)] = value  # the version read, should a new one have been published meanwhile
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

    def accounts(self, *, newer_than: float | None = None) -> dict[str, Any]:
        """{"users": name -> account (with its hash), "sessions": ...} as this process keeps them (data/access.py
        `private`: reloaded in the writer's gaps and after every write through the page); `newer_than` seconds:
        reload now when older (waits for the writer's gap)."""
        found: dict[str, Any] = self.access.private(ACCOUNTS, load_accounts, eager=True, newer_than=newer_than)
        return found

    def account(self, name: str, *, newer_than: float | None = None) -> dict[str, Any] | None:
        """The account of a name (with its password hash), or None (a role change through the page applies at
        once, one made elsewhere within the access's private_ttl)."""
        try:
            norm = normalise_name(name)
        except UserError:
            return None
        found: dict[str, Any] | None = self.accounts(newer_than=newer_than)["users"].get(norm)
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
        changed = account is not None and account["password_set_at"].timestamp() > session.created + 1
        if account is None or account["disabled"] or changed:  # disabled, or a new password since this login
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
            is_admin=session is not None and session.role == "admin",
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
                build: Callable[[Room, Session, str], dict[str, Any] | None], *, status: int = 200,
                session: Session | None = None) -> Response:
    room = room_of(request)
    session = session or room.session(request)
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
    return room.render(request, template, session=session, nav=nav, status=status, **data)


def _now() -> datetime:
    """The minute a page's data is cached for (a new pass or an action makes a new version at once)."""
    return utcnow().replace(second=0, microsecond=0)


def _live(room: Room, con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    now, stale = views.as_of(con, utcnow())
    return {"as_of": now, "stale": stale}


def filter_from(params: QueryParams) -> tuple[ItemFilter, dict[str, Any]]:
    """The digest's filters from a query string (Flödet, Sök och trender): unknown kinds, information types,
    source types and tones are left out (the label sets of mediebild.labels, as `mediebild digest` checks them);
    the second value is what the form shows."""

    def many(name: str, known: tuple[str, ...] | None = None) -> tuple[str, ...]:
        found = tuple(dict.fromkeys(v for v in params.getlist(name) if v and len(v) <= 200))[:50]
        return found if known is None else tuple(v for v in found if v in known)

    kinds = many("kind", KINDS)
    relevance: float | None = None
    raw = (params.get("min_relevance") or "")[:20]
    if raw:
        try:
            relevance = float(raw.replace(",", "."))
        except ValueError:
            relevance = None
        relevance = min(max(relevance, 0.0), 1.0) if relevance is not None and math.isfinite(relevance) else None
    chosen = ItemFilter(kinds=kinds, sources=many("source"), langs=tuple(v.lower() for v in many("lang")),
                        info_types=many("info_type", labels.INFO_TYPES),
                        source_types=many("source_type", labels.SOURCE_TYPES), tones=many("tone", labels.TONES),
                        min_relevance=relevance)
    shown = {"kind": list(kinds), "source": list(chosen.sources), "lang": list(chosen.langs),
             "info_type": list(chosen.info_types), "source_type": list(chosen.source_types),
             "tone": list(chosen.tones), "min_relevance": raw if relevance is not None else ""}
    return chosen, shown
