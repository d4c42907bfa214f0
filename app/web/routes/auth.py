"""Sign-in and sign-out. Every way of signing in (a password here, the identity provider in
``oidc_sign_in``) ends in :func:`open_session`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from app.audit import record
from app.auth.oidc_config import load_config
from app.auth.operators import PasswordChange, change_own_password
from app.auth.sessions import Ended, end_session, start_session, why_ended
from app.auth.setup import needs_setup
from app.auth.signin import check_current_password, sign_in
from app.auth.tokens import new_token, token_hash
from app.common.validation import ValidationFailed, has_control_characters, without_control_characters
from app.store.models import Operator
from app.vault import Secret
from app.web.csrf import SESSION_COOKIE, for_no_session
from app.web.deps import CurrentOperator, DbSession, ReadDbSession, actor_for, optional_operator, read_input
from app.web.flash import set_flash
from app.web.responses import redirect, safe_next
from app.web.state import app_state, secure_cookies
from app.web.templating import render

router = APIRouter()


def _sign_in_address(next_url: str) -> str:
    """The sign-in page's own address, keeping where the person was going."""
    return "/sign-in" if next_url == "/" else f"/sign-in?{urlencode({'next': next_url})}"


async def _sign_in_page(request: Request, db: AsyncSession, *, username: str = "", error: str | None = None,
                        next_url: str = "/", status_code: int = 200, no_operators: bool = False,
                        locked_until: datetime | None = None, ended: Ended | None = None) -> Response:
    """``locked_until``: the end of a lock the error names, which the page draws in the reader's zone;
    ``ended``: why the session the person had was ended by the server."""
    oidc = await load_config(db)
    return render(request, "auth/sign_in.html",
                  {"username": username, "error": error, "next_url": next_url, "no_operators": no_operators,
                   "oidc_provider": oidc.display_name if oidc.enabled else None,
                   "locked_until": locked_until.timestamp() if locked_until else None, "ended": ended},
                  status_code=status_code, page_url=_sign_in_address(next_url))


async def open_session(request: Request, db: AsyncSession, operator: Operator, next_url: str) -> Response:
    """Sign ``operator`` in: a new session, its cookie, a new CSRF cookie, and the way onward."""
    state = app_state(request)
    # A fresh session token every time: a token planted before sign-in is worth nothing after it.
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await end_session(db, old)
    token = await start_session(db, operator, state.settings,
                                source_ip=actor_for(request, None).source_ip,
                                user_agent=request.headers.get("user-agent"))
    response = redirect(request, next_url)
    secure = secure_cookies(request)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure, path="/")
    request.scope.setdefault("state", {})["rotate_csrf"] = new_token()
    return response


@router.get("/sign-in", name="sign_in")
async def sign_in_form(request: Request, db: DbSession,
                       operator: Annotated[Operator | None, Depends(optional_operator)]) -> Response:
    next_url = safe_next(request.query_params.get("next"))
    if operator is not None:
        return redirect(request, next_url)
    # Sent here because the session ended (disabled, a new password, expired): say why, once.
    token = request.cookies.get(SESSION_COOKIE)
    ended = None
    if token:
        ended = await why_ended(db, token, app_state(request).settings)
        for_no_session(request)  # the cookie is deleted below: the form is posted without it
    response = await _sign_in_page(request, db, next_url=next_url, no_operators=await needs_setup(db), ended=ended)
    if token:
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/sign-in", name="sign_in_submit")
async def sign_in_submit(request: Request, db: ReadDbSession) -> Response:
    # A read session only: sign_in writes in short transactions of its own, never while argon2
    # runs, so anonymous attempts cannot hold SQLite's write lock and stall everyone's work.
    form = await request.form()
    username = str(form.get("username", ""))[:200]
    password = str(form.get("password", ""))[:1024]
    next_url = safe_next(str(form.get("next", "")) or None)
    request.state.operator = None
    if not username.strip() or not password:
        return await _sign_in_page(request, db, username=username, next_url=next_url, status_code=400,
                                   error="Enter your username and password.")
    if has_control_characters(username):
        # No account has such a name; the database (Postgres) could not even look it up.
        return await _sign_in_page(request, db, username=without_control_characters(username), next_url=next_url,
                                   status_code=400, error="A username has no control characters or line breaks.")
    state = app_state(request)
    # Not taught to the redactor: anyone may type anything here (security review, H1).
    outcome = await sign_in(state.db, state.settings, username, Secret(password, remember=False),
                            actor_for(request, None))
    if outcome.operator is None:
        if outcome.delay_seconds:
            await state.sleep(outcome.delay_seconds)
        return await _sign_in_page(request, db, username=username, next_url=next_url, error=outcome.message,
                                   status_code=429 if outcome.locked_until else 401,
                                   locked_until=outcome.locked_until)
    async with state.db.session() as session:
        return await open_session(request, session, outcome.operator, next_url)


@router.post("/sign-out", name="sign_out")
async def sign_out(request: Request, db: DbSession, operator: CurrentOperator) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await end_session(db, token)
    await record(db, action="sign_out", actor=actor_for(request, operator), subject_type="operator",
                 subject_id=str(operator.id), summary=f"{operator.username} signed out",
                 details={"session": token_hash(token)[:12] if token else None})
    response = redirect(request, "/sign-in")
    response.delete_cookie(SESSION_COOKIE, path="/")
    request.scope.setdefault("state", {})["rotate_csrf"] = new_token()
    set_flash(request, response, "You are signed out.", "info")
    return response


def _password_address(next_url: str) -> str:
    """The password page's own address, keeping where the person was going."""
    return "/account/password" if next_url == "/" else f"/account/password?{urlencode({'next': next_url})}"


@router.get("/account/password", name="account_password")
async def password_page(request: Request, operator: CurrentOperator) -> Response:
    next_url = safe_next(request.query_params.get("next"))
    return render(request, "auth/password.html", {"errors": {}, "message": None, "next_url": next_url,
                                                  "required": operator.must_change_password})


@router.post("/account/password", name="account_password_submit")
async def password_submit(request: Request, db: DbSession, operator: CurrentOperator) -> Response:
    form = await request.form()
    # Same-site paths only, as at sign-in: the link the person opened before choosing a password.
    next_url = safe_next(str(form.get("next", "")) or None)
    change = await read_input(request, PasswordChange)
    state, actor = app_state(request), actor_for(request, operator)
    # The current password is checked first, counted as a sign-in attempt in units of work of its
    # own: before this request's own takes the write lock (SQLite has one), and kept when the change
    # is refused and rolled back.
    wrong = await check_current_password(state.db, state.settings, operator.username, operator.password_hash,
                                         Secret(change.current_password, remember=False), actor) \
        if change.current_password and operator.password_hash and operator.external_issuer is None else None

    async def counted_check(_who: Operator, _current: Secret) -> str | None:
        return wrong

    try:
        # The other sessions end; this one, which chose the password, goes on.
        await change_own_password(db, operator.id, change, actor, this_session=request.cookies.get(SESSION_COOKIE),
                                  check=counted_check)
    except ValidationFailed as exc:
        await db.rollback()
        return render(request, "auth/password.html", {"errors": exc.errors, "message": exc.message,
                                                      "next_url": next_url,
                                                      "required": operator.must_change_password}, status_code=400,
                      page_url=_password_address(next_url))
    response = redirect(request, next_url)
    set_flash(request, response, "Your password is changed: use it from now on.")
    return response
