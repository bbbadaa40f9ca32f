"""Dokument, Källor and Profil: the pages where editors change what the pipeline does.

    /dokument                    stored digests and briefs; POST /dokument/skapa renders one now, POST
                                 /dokument/{id}/skicka sends a stored one to the recipients of [send]
    /kallor                      source health; POST /kallor/ny adds a source (the rules of `mediebild sources
                                 add`), POST /kallor/{id}/pausa | /ateruppta
    /profil                      the incident profile and the terms relevance learning suggests; POST /profil sets
                                 an edited profile (checked by the loader `mediebild profile set` uses: a bad one
                                 is shown with its error and the old one stays), POST /profil/lagg-till adds one term

Every POST is an editor's or an admin's (CSRF token, same origin, role checked by `_acting`) and leaves a row in
the audit log. A mistake in what was typed is shown on the page itself (status 400) with the form as it was
typed, never reflected from the URL.

Web layer: imports data/ (through views, data.triage and the access object), the core, web's own modules and
starlette.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import duckdb
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from mediebild.data.access import StoreBusy
from mediebild.data.profiles import load_active_profile
from mediebild.data.triage import add_source_audited, record_action, set_profile_audited, set_source_enabled
from mediebild.data.page import source_exists
from mediebild.errors import MediebildError, UserError
from mediebild.profile import TERM_SECTIONS, Profile, add_term
from mediebild.timeutil import STOCKHOLM, floor_hour, utcnow
from mediebild.web import texts, views
from mediebild.web.auth import Session
from mediebild.web.room import DOC_ID, SOURCE_ID, Room, _acting, _live, _now, _page, room_of

log = logging.getLogger(__name__)

MAX_PROFILE = 100_000  # characters of a profile's TOML
MAX_FIELD = 2000


def _field(form: Any, name: str, limit: int = MAX_FIELD) -> str:
    return str(form.get(name) or "").strip()[:limit]


def _busy(room: Room, request: Request, session: Session) -> Response:
    return room.error(request, 503, "busy", session, headers={"Retry-After": "10"})


# -- Dokument ----------------------------------------------------------------------------------------------------
def _recipients(room: Room) -> tuple[list[str], str | None]:
    """(where a document would be sent, why it cannot be sent) for the page."""
    if room.services.recipients is None or room.services.send is None:
        return [], "send_unavailable"
    try:
        found = room.services.recipients()
    except MediebildError as exc:
        return [], str(exc)
    return found, None if found else "send_not_configured"


async def _documents_page(request: Request, *, problem: str | None = None, status: int = 200,
                          session: Session | None = None) -> Response:
    def build(room: Room, session: Session, lang: str) -> dict[str, Any]:
        def gather(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
            return {**_live(room, con), **views.documents(con)}

        data: dict[str, Any] = room.cached(("documents", _now()), gather)
        params = request.query_params
        done = [d for d in params.getlist("done") if DOC_ID.match(d)][:12]
        sent = params.get("sent") or ""
        counts = {k: int(params.get(k) or 0) if (params.get(k) or "").isdigit() else 0
                  for k in ("delivered", "failed", "skipped")}
        local_now = utcnow().astimezone(STOCKHOLM)
        # the last complete hour of the data: the clock's, or the newest item's on a database not being fed
        last_hour = floor_hour(data["as_of"]) - timedelta(hours=1)
        recipients, send_problem = _recipients(room)
        shown_problem = problem or ("hour" if params.get("problem") == "hour" else None)
        return {**data, "done": done, "can_render": room.services.render is not None,
                "default_hour": last_hour.astimezone(STOCKHOLM).strftime("%Y-%m-%dT%H:00"),
                "max_hour": local_now.strftime("%Y-%m-%dT%H:00"), "problem": shown_problem,
                "recipients": recipients, "send_problem": send_problem,
                "sent": sent if DOC_ID.match(sent) else None, "sent_counts": counts}

    return await _page(request, "documents.html.j2", "documents", build, status=status, session=session)


async def documents(request: Request) -> Response:
    return await _documents_page(request)


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
        return _busy(room, request, session)
    except MediebildError as exc:
        log.warning("render failed: %s", exc)
        return await _documents_page(request, problem=str(exc)[:300], status=400, session=session)
    return RedirectResponse("/dokument?" + urlencode([("done", i) for i in ids]), status_code=303)


async def document_send(request: Request) -> Response:
    """Send one stored document set to the recipients of [send] (those that got its period already are skipped)."""
    room = room_of(request)
    doc_id = request.path_params["doc_id"]
    acting = await _acting(request)
    if isinstance(acting, Response):
        return acting
    session, _form = acting
    if not DOC_ID.match(doc_id):
        return room.error(request, 404, "not_found", session)
    send = room.services.send
    recipients, problem = await run_in_threadpool(_recipients, room)
    if send is None or problem is not None:
        return await _documents_page(request, problem=problem or "send_unavailable", status=400, session=session)

    def act() -> list[dict[str, Any]]:
        with room.access.write(touches=("sends", "digests", "audit_log")) as store:
            results = send(store, doc_id)
            record_action(store.con, user=session.user, organisation=session.organisation, action="send_document",
                          target_kind="document", target_id=doc_id,
                          after={"results": [{k: r.get(k) for k in ("channel", "recipient", "status", "error")}
                                             for r in results]})
            return results

    try:
        results = await run_in_threadpool(act)
    except StoreBusy:
        return _busy(room, request, session)
    except MediebildError as exc:
        log.warning("send failed: %s", exc)
        return await _documents_page(request, problem=str(exc)[:300], status=400, session=session)
    counts = {k: sum(1 for r in results if r.get("status") == k) for k in ("delivered", "failed", "skipped")}
    return RedirectResponse("/dokument?" + urlencode({"sent": doc_id, **counts}), status_code=303)


# -- Källor ------------------------------------------------------------------------------------------------------
async def _sources_page(request: Request, *, problem: str | None = None, typed: dict[str, str] | None = None,
                        status: int = 200, session: Session | None = None) -> Response:
    def build(room: Room, session: Session, lang: str) -> dict[str, Any]:
        def gather(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
            live = _live(room, con)
            return {**live, **views.sources(con, live["as_of"])}

        data: dict[str, Any] = room.cached(("sources", _now()), gather)
        params = request.query_params
        outcome = next(((k, params[k]) for k in ("added", "exists") if SOURCE_ID.match(params.get(k) or "")), None)
        return {**data, "problem": problem, "typed": typed or {}, "outcome": outcome,
                "source_kinds": room.services.source_kinds, "can_add": room.services.make_source is not None}

    return await _page(request, "sources.html.j2", "sources", build, status=status, session=session)


async def sources(request: Request) -> Response:
    return await _sources_page(request)


async def source_add(request: Request) -> Response:
    """Add a source by the rules of `mediebild sources add`: one that fetches the same thing exists already and
    nothing changes; a bad URL or kind is shown on the page with what was typed."""
    room = room_of(request)
    acting = await _acting(request)
    if isinstance(acting, Response):
        return acting
    session, form = acting
    make = room.services.make_source
    if make is None:
        return room.error(request, 404, "not_found", session)
    typed = {k: _field(form, k) for k in ("url", "kind", "name", "query")}
    try:
        source = make(typed["url"] or None, typed["kind"] or "rss", typed["name"] or None, typed["query"] or None)
    except MediebildError as exc:
        return await _sources_page(request, problem=str(exc), typed=typed, status=400, session=session)

    def act() -> tuple[str, str]:
        with room.access.write(touches=("sources", "audit_log")) as store:
            change = add_source_audited(store, source, user=session.user, organisation=session.organisation)
            return change.status, change.source.id

    try:
        status, source_id = await run_in_threadpool(act)
    except StoreBusy:
        return _busy(room, request, session)
    except MediebildError as exc:
        return await _sources_page(request, problem=str(exc), typed=typed, status=400, session=session)
    outcome = "exists" if status == "exists" else "added"
    return RedirectResponse(f"/kallor?{urlencode({outcome: source_id})}#source-{quote(source_id)}", status_code=303)


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
        with room.access.write(touches=("sources", "audit_log")) as store:
            if not source_exists(store.con, source_id):
                raise UserError(f"no source {source_id!r}")
            return set_source_enabled(store.con, source_id, action == "ateruppta", user=session.user,
                                      organisation=session.organisation)

    try:
        await run_in_threadpool(act)
    except StoreBusy:
        return _busy(room, request, session)
    except UserError:
        return room.error(request, 404, "not_found", session)
    return RedirectResponse(f"/kallor#source-{quote(source_id)}", status_code=303)


# -- Profil ------------------------------------------------------------------------------------------------------
SUGGESTIONS_TTL = 300.0  # relevance learning moves with the passes; its proposals are read again this often


def _suggestions(room: Room, con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """What relevance learning proposes for the active profile, or None (no profile, nothing learned yet, or the
    database busy the first time). The learner's state is never published: the proposals are computed on the
    real file in the writer's gap and kept SUGGESTIONS_TTL seconds (data/access.py `private`)."""
    suggest = room.services.suggest
    found = load_active_profile(con)
    if suggest is None or found is None:
        return None

    def load(real: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
        profile = load_active_profile(real)
        if profile is None or suggest is None:
            return None
        try:
            return suggest(real, profile)
        except Exception:  # nothing enriched under this profile yet, or a model missing: the page shows none
            log.info("no profile suggestions", exc_info=True)
            return None

    try:
        value: dict[str, Any] | None = room.access.private(f"suggestions:{found.body}", load, ttl=SUGGESTIONS_TTL)
    except StoreBusy:
        return None
    return value


async def _profile_page(request: Request, *, problem: str | None = None, typed: str | None = None,
                        status: int = 200, session: Session | None = None) -> Response:
    def build(room: Room, session: Session, lang: str) -> dict[str, Any]:
        def gather(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
            return {**views.profile(con), "suggestions": _suggestions(room, con),
                    "profile_audit": views.audit_of(con, "profile")}

        data: dict[str, Any] = room.cached(("profile",), gather)
        current = data["profile"]["body"] if data["profile"] else ""
        added = request.query_params.get("added") or ""
        known = [t for terms in (data["profile"] or {}).get("terms", {}).values() for t in terms]
        return {**data, "problem": problem, "edit_body": typed if typed is not None else current,
                "saved": request.query_params.get("saved") == "1",
                "added_term": added if added in known else None}  # shown only when it is in the profile

    return await _page(request, "profile.html.j2", "profile", build, status=status, session=session)


async def profile(request: Request) -> Response:
    return await _profile_page(request)


async def profile_save(request: Request) -> Response:
    """Set an edited profile; a profile the loader refuses is shown with its error, and the old one stays."""
    room = room_of(request)
    acting = await _acting(request)
    if isinstance(acting, Response):
        return acting
    session, form = acting
    body = str(form.get("body") or "").replace("\r\n", "\n")
    if len(body) > MAX_PROFILE:
        return await _profile_page(request, problem="profile_too_long", typed=body[:MAX_PROFILE], status=400,
                                   session=session)
    try:
        new = Profile.from_text(body)
    except MediebildError as exc:
        return await _profile_page(request, problem=str(exc), typed=body, status=400, session=session)

    def act() -> int:
        with room.access.write(touches=("profiles", "audit_log")) as store:
            return set_profile_audited(store.con, new, user=session.user, organisation=session.organisation)

    try:
        await run_in_threadpool(act)
    except StoreBusy:
        return _busy(room, request, session)
    return RedirectResponse("/profil?saved=1", status_code=303)


async def profile_add_term(request: Request) -> Response:
    """Add one suggested term, place or organisation to the active profile (one click)."""
    room = room_of(request)
    acting = await _acting(request)
    if isinstance(acting, Response):
        return acting
    session, form = acting
    section, term = _field(form, "section"), " ".join(_field(form, "term", 200).split())
    if section not in TERM_SECTIONS or not term:
        return room.error(request, 400, "not_found", session)

    def act() -> None:
        with room.access.write(touches=("profiles", "audit_log")) as store:
            current = load_active_profile(store.con)
            if current is None:
                raise UserError("profile_none")
            body = add_term(current.body, section, term)
            if body != current.body:
                set_profile_audited(store.con, Profile.from_text(body), user=session.user,
                                    organisation=session.organisation, note=f"+ {section}: {term}")

    try:
        await run_in_threadpool(act)
    except StoreBusy:
        return _busy(room, request, session)
    except MediebildError as exc:
        return await _profile_page(request, problem=str(exc), status=400, session=session)
    return RedirectResponse("/profil?" + urlencode({"added": term}) + "#suggestions", status_code=303)


__all__ = ["document_render", "document_send", "documents", "profile", "profile_add_term", "profile_save",
           "source_add", "source_toggle", "sources"]
