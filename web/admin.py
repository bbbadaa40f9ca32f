"""Användare: the accounts of the situation room, for admins only (the rules of `mediebild users`).

    /anvandare                         every account with its role, organisation and state
    POST /anvandare/ny                 add an account (name, role, organisation, a password of at least 10 characters)
    POST /anvandare/{name}/roll        change its role (reader, editor, admin)
    POST /anvandare/{name}/stang-av    disable it: it can no longer log in and its sessions end at once
    POST /anvandare/{name}/losenord    set a new password: its sessions end, the next login uses the new one

Names, roles and passwords are checked by the same functions the command line uses (data/users.py, web/auth.py).
An admin cannot disable or demote their own account here (so nobody locks the last admin out from the page; the
command line still can). Every change is a row of the audit log; the password itself is never written anywhere
but as its argon2 hash.

Web layer: imports data/ (users, triage's audit), web's own modules and starlette.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import duckdb
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from mediebild.data.access import StoreBusy
from mediebild.data.triage import audit_user
from mediebild.data.users import (ROLES, add_user, get_user, normalise_name, remove_user, set_password,
                                  set_role)
from mediebild.errors import MediebildError, UserError
from mediebild.web import views
from mediebild.web.auth import Session, password_problem
from mediebild.web.room import Room, _acting, _login_redirect, _page, room_of

ACTIONS = ("roll", "stang-av", "losenord")


async def _users_page(request: Request, *, problem: str | None = None, typed: dict[str, str] | None = None,
                      status: int = 200, session: Session | None = None) -> Response:
    def build(room: Room, session: Session, lang: str) -> dict[str, Any]:
        def gather(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
            return {"user_audit": views.audit_of(con, "user", limit=30)}

        # the accounts are never published: as the page keeps them (reloaded after every change made here)
        users = [{k: v for k, v in account.items() if k != "password_hash"}
                 for account in room.accounts()["users"].values()]
        data: dict[str, Any] = {**room.cached(("users",), gather), "users": users}
        done = request.query_params.get("done") or ""
        names = {u["name"] for u in data["users"]}
        return {**data, "roles": ROLES, "problem": problem, "typed": typed or {},
                "done_user": done if done in names else None}

    return await _page(request, "users.html.j2", "users", build, status=status, session=session)


async def users(request: Request) -> Response:
    room = room_of(request)
    session = room.session(request)
    if session is None:
        return _login_redirect(request)
    if session.role != "admin":
        return room.error(request, 403, "forbidden", session)
    return await _users_page(request, session=session)


def _password(form: Any) -> str:
    password = str(form.get("password") or "")
    problem = password_problem(password)
    if problem:
        raise UserError(problem)
    if password != str(form.get("password2") or ""):
        raise UserError("the two passwords differ")
    return password


async def user_add(request: Request) -> Response:
    room = room_of(request)
    acting = await _acting(request, role="admin")
    if isinstance(acting, Response):
        return acting
    session, form = acting
    typed = {k: str(form.get(k) or "").strip()[:200] for k in ("name", "role", "organisation")}

    def act() -> str:
        name = normalise_name(typed["name"])
        if typed["role"] not in ROLES:
            raise UserError(f"unknown role {typed['role']!r}: choose reader, editor or admin")
        hashed = room.passwords.hash(_password(form))
        with room.access.write(touches=("audit_log",)) as store:
            made = add_user(store.con, name, role=typed["role"], password_hash=hashed,
                            organisation=typed["organisation"] or None)
            audit_user(store.con, "user_add", made, user=session.user, organisation=session.organisation,
                       after={"role": typed["role"], "organisation": typed["organisation"] or None})
            return made

    try:
        made = await run_in_threadpool(act)
    except StoreBusy:
        return room.error(request, 503, "busy", session, headers={"Retry-After": "10"})
    except (MediebildError, ValueError) as exc:
        return await _users_page(request, problem=str(exc), typed=typed, status=400, session=session)
    return RedirectResponse("/anvandare?" + urlencode({"done": made}) + f"#user-{made}", status_code=303)


async def user_change(request: Request) -> Response:
    room = room_of(request)
    action = request.path_params["action"]
    acting = await _acting(request, role="admin")
    if isinstance(acting, Response):
        return acting
    session, form = acting
    try:
        name = normalise_name(request.path_params["name"])
    except UserError:
        return room.error(request, 404, "not_found", session)
    if action not in ACTIONS:
        return room.error(request, 404, "not_found", session)

    def act() -> None:
        new_role = str(form.get("role") or "")
        if name == session.user and (action == "stang-av" or (action == "roll" and new_role != "admin")):
            raise UserError("you cannot disable or demote your own account here")
        hashed = room.passwords.hash(_password(form)) if action == "losenord" else None
        with room.access.write(touches=("audit_log",)) as store:
            account = get_user(store.con, name)
            if account is None:
                raise UserError(f"no user {name!r}")
            user, org = session.user, session.organisation
            if action == "roll":
                set_role(store.con, name, new_role)
                audit_user(store.con, "user_role", name, before={"role": account["role"]}, after={"role": new_role}, user=user,
                           organisation=org)
            elif action == "stang-av":
                remove_user(store.con, name)
                audit_user(store.con, "user_disable", name, before={"disabled": account["disabled"]},
                           after={"disabled": True}, user=user, organisation=org)
            else:
                assert hashed is not None
                set_password(store.con, name, hashed)
                audit_user(store.con, "user_password", name, user=user, organisation=org)
        if action in ("stang-av", "losenord"):
            room.sessions.drop_user(name)  # its open sessions end now, not at their next request

    try:
        await run_in_threadpool(act)
    except StoreBusy:
        return room.error(request, 503, "busy", session, headers={"Retry-After": "10"})
    except (MediebildError, ValueError) as exc:
        return await _users_page(request, problem=str(exc), status=400, session=session)
    return RedirectResponse("/anvandare?" + urlencode({"done": name}) + f"#user-{name}", status_code=303)
