"""The situation room as an ASGI application: `create_app(settings, access, services)`.

Pages (Swedish by default, English with the switch; times in Europe/Stockholm):

    /                     Läget nu: last hour vs the one before, volume, top stories, alerts, rumours, statements,
                          failing sources; updates itself when a pass lands (the script polls /api/version)
    /flodet               Flödet: items newest first with the digest's filters, copies under their original;
                          each item judged relevant or not (POST /bedom/item/{id})
    /berattelse/{id}      Berättelse: one story, its triage (POST .../triage), its and its items' judgements
                          (POST /bedom/story/{id}) and the audit
    /dokument             Dokument (manage.py): stored digests and briefs, each format downloadable; render one
                          (POST /dokument/skapa), send one (POST /dokument/{id}/skicka)
    /kallor               Källor (manage.py): source health; add a source (POST /kallor/ny); pause or resume one
    /profil               Profil (manage.py): the incident profile, edited (POST /profil), and the terms relevance
                          learning suggests, each added with one click (POST /profil/lagg-till)
    /anvandare            Användare (admin.py, admins only): accounts, added, role changed, disabled, password reset
    /sok                  Sök och trender (analysts.py): search with highlights and paging (/sok), several queries
                          over time in a chart and a table (/sok/trender, its chart /sok/trender.svg), the top
                          lists with their change (/sok/topp); all state in the query string
    /login, /logout       every other page needs a session

Readers see; editors and admins also act (triage, judge, send, add or pause a source, edit the profile, render a
document): a reader's POST is 403. Only admins manage accounts. Every action is a row of the audit log (who, what,
when, before and after). Every page reads the published snapshot (data/access.py), which holds what documents may
show: private social authors by pseudonym, without the link to their post, for every role (an editor who must find
the original post asks the operator, who has the database; the page never reads the unpublished file for content).

Web layer: imports data/ (through views and the access object), web's own modules, starlette and jinja2.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import duckdb
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from mediebild.data.access import PageAccess, StoreBusy
from mediebild.data.triage import TRIAGE_STATES, judge, set_triage
from mediebild.errors import UserError
from mediebild.timeutil import as_utc
from mediebild.web import admin, analysts, manage, texts, views
from mediebild.web.auth import Passwords, new_token, same
from mediebild.web.chart import stacked_bars
from mediebild.web.config import WebSettings
from mediebild.web.auth import Session
from mediebild.web.room import (DOC_ID, ITEM_ID, LANG_COOKIE, LOGIN_COOKIE, MEDIA_TYPES, STORY_ID, Room,
                                Services, _acting, _live, _login_redirect, _now, _page,
                                _same_origin, filter_from, local_path, room_of, safe_url)
from mediebild.web.security import DOCUMENT_CSP, SecurityHeaders

__all__ = ["Services", "create_app", "local_path", "safe_url"]

log = logging.getLogger(__name__)

LOGIN_RELOAD_SECONDS = 5.0  # a login of a name the page does not know reads the accounts again when older


# -- pages -------------------------------------------------------------------------------------------------------
async def overview(request: Request) -> Response:
    def build(room: Room, session: Session, lang: str) -> dict[str, Any]:
        def gather(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
            live = _live(room, con)
            return {**live, **views.overview(con, live["as_of"])}

        data: dict[str, Any] = room.keep_warm(("overview",), lambda: ("overview", _now()), gather)
        return {**data, "chart": stacked_bars(data["volume"], lang)}

    return await _page(request, "overview.html.j2", "overview", build)


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
    item_filter, shown = filter_from(request.query_params)
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
            return {**live, **data, "problem": problem}

        if item_filter.active or before is not None:
            data: dict[str, Any] = room.cached(("stream", _now(), item_filter, before), gather)
        else:  # the newest page of everything: what most readers keep open, kept built after every pass
            data = room.keep_warm(("stream",), lambda: ("stream", _now(), item_filter, None), gather)
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
            return {**_live(room, con), "story": found}

        data: dict[str, Any] | None = room.cached(("story", story_id), gather)
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
        with room.access.write(touches=("audit_log",)) as store:
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


async def judge_target(request: Request) -> Response:
    """An editor judges an item (Flödet, Berättelse) or a story relevant or not; back to where it was done."""
    room = room_of(request)
    kind, target_id = request.path_params["kind"], request.path_params["target_id"]
    acting = await _acting(request)
    if isinstance(acting, Response):
        return acting
    session, form = acting
    verdict = str(form.get("verdict") or "")
    if kind not in ("item", "story") or verdict not in ("relevant", "not_relevant") or not ITEM_ID.match(target_id):
        return room.error(request, 400, "not_found", session)

    def act() -> dict[str, Any]:
        with room.access.write(touches=("judgements", "audit_log")) as store:
            return judge(store.con, kind, target_id, verdict == "relevant", user=session.user,
                         organisation=session.organisation, note=str(form.get("note") or "") or None)

    try:
        done = await run_in_threadpool(act)
    except StoreBusy:
        return room.error(request, 503, "busy", session, headers={"Retry-After": "10"})
    except UserError:
        return room.error(request, 404, "not_found", session)
    anchor = f"#item-{quote(done['target_id'])}" if kind == "item" else "#judgement"
    default = f"/berattelse/{quote(done['target_id'])}" if kind == "story" else "/flodet"
    target = local_path(str(form.get("next") or ""), default)
    return RedirectResponse(target.split("#", 1)[0] + anchor, status_code=303)


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
        accounts = await run_in_threadpool(room.accounts)
        no_users = not any(not a["disabled"] for a in accounts["users"].values())
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
        account = room.account(name)
        if account is None:  # made since the page last read the accounts (`mediebild users add`): read them now
            account = room.account(name, newer_than=LOGIN_RELOAD_SECONDS)
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

    def start() -> str:
        room.sessions.drop(request.cookies.get(room.cookie_name(request)))
        token, _session = room.sessions.create(account["name"], account["role"], account["organisation"])
        return token

    token = await run_in_threadpool(start)
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
    await run_in_threadpool(room.sessions.drop, request.cookies.get(room.cookie_name(request)))
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
               passwords: Passwords | None = None, stored_sessions: bool = True) -> Starlette:
    """The ASGI application of the situation room (`stored_sessions`: keep sessions in the database too)."""
    room = Room(settings, access, services, passwords, stored_sessions)
    routes = [
        Route("/", overview),
        Route("/flodet", stream),
        Route("/berattelse/{story_id}", story),
        Route("/berattelse/{story_id}/triage", triage, methods=["POST"]),
        Route("/bedom/{kind}/{target_id}", judge_target, methods=["POST"]),
        Route("/dokument", manage.documents),
        Route("/dokument/skapa", manage.document_render, methods=["POST"]),
        Route("/dokument/{doc_id}", document_download),
        Route("/dokument/{doc_id}/skicka", manage.document_send, methods=["POST"]),
        Route("/kallor", manage.sources),
        Route("/kallor/ny", manage.source_add, methods=["POST"]),
        Route("/kallor/{source_id}/{action}", manage.source_toggle, methods=["POST"]),
        Route("/profil", manage.profile),
        Route("/profil", manage.profile_save, methods=["POST"]),
        Route("/profil/lagg-till", manage.profile_add_term, methods=["POST"]),
        Route("/anvandare", admin.users),
        Route("/anvandare/ny", admin.user_add, methods=["POST"]),
        Route("/anvandare/{name}/{action}", admin.user_change, methods=["POST"]),
        Route("/sok", analysts.search),
        Route("/sok/trender", analysts.trends),
        Route("/sok/trender.svg", analysts.trends_chart),
        Route("/sok/topp", analysts.top_lists),
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

