"""First-run setup: the first administrator chooses a username and password."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.auth.sessions import start_session
from app.auth.setup import FirstAdministrator, SetupUnavailable, check_setup_token, complete_setup
from app.auth.tokens import new_token
from app.common.validation import ValidationFailed
from app.web.csrf import SESSION_COOKIE
from app.web.deps import DbSession, actor_for, form_values, typed_input
from app.web.flash import set_flash
from app.web.responses import redirect
from app.web.state import app_state, secure_cookies
from app.web.templating import render

router = APIRouter()


@router.get("/setup", name="setup")
async def setup_form(request: Request, db: DbSession) -> Response:
    request.state.operator = None
    token = request.query_params.get("token", "")
    try:
        await check_setup_token(db, token)
    except SetupUnavailable as exc:
        return render(request, "auth/setup.html", {"unavailable": str(exc), "token": "", "values": {},
                                                   "errors": {}, "message": None}, status_code=410)
    return render(request, "auth/setup.html", {"unavailable": None, "token": token, "values": {},
                                               "errors": {}, "message": None})


@router.post("/setup", name="setup_submit")
async def setup_submit(request: Request, db: DbSession) -> Response:
    request.state.operator = None
    values = await form_values(request)
    token = values.get("token", "")
    try:
        operator = await complete_setup(db, token, typed_input(FirstAdministrator, values),
                                        actor_for(request, None))
    except SetupUnavailable as exc:
        return render(request, "auth/setup.html", {"unavailable": str(exc), "token": "", "values": {},
                                                   "errors": {}, "message": None}, status_code=410)
    except ValidationFailed as exc:
        typed = {"username": values.get("username", ""), "display_name": values.get("display_name", "")}
        return render(request, "auth/setup.html", {"unavailable": None, "token": token, "values": typed,
                                                   "errors": exc.errors, "message": exc.message},
                      status_code=400)
    session_token = await start_session(db, operator, app_state(request).settings,
                                        source_ip=actor_for(request, None).source_ip,
                                        user_agent=request.headers.get("user-agent"))
    response = redirect(request, "/")
    response.set_cookie(SESSION_COOKIE, session_token, httponly=True, samesite="lax",
                        secure=secure_cookies(request), path="/")
    request.scope.setdefault("state", {})["rotate_csrf"] = new_token()
    set_flash(request, response, f"Welcome, {operator.display_name}. You are the first administrator.")
    return response
