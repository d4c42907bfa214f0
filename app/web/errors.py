"""Error pages. They say what happened and what to do; they never show internals, and a
database outage is a 503 that says so rather than a 500."""

from __future__ import annotations

import logging
import re
import secrets
import uuid
from urllib.parse import quote, urlsplit

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match

from app.auth.sessions import SESSION_ENDED, Ended, why_ended
from app.store.repositories.state import find_onboarding
from app.web.csrf import SESSION_COOKIE, CsrfFailed
from app.web.deps import NotSignedIn, PasswordChangeRequired, RoleRequired, optional_operator
from app.web.refusals import record_refusal
from app.web.responses import safe_next
from app.web.state import app_state
from app.web.templating import is_htmx, render

log = logging.getLogger("onboard.errors")
# The forms posted by someone not signed in (a stale token there is not a session that ended).
_SIGNED_OUT_FORMS = ("/sign-in", "/setup")

_TITLES = {
    400: "The request was not understood",
    403: "Not allowed",
    404: "Page not found",
    405: "Not a page",
    413: "Too much data",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}


def error_page(request: Request, status: int, message: str, *, title: str | None = None,
               error_id: str | None = None, link: tuple[str, str] | None = None) -> Response:
    """The error page; ``link`` is (address, words) of the page to go to instead, if there is one."""
    context = {"title": title or _TITLES.get(status, "Error"), "message": message, "status": status,
               "error_id": error_id, "link": link}
    if not hasattr(request.state, "operator"):
        request.state.operator = None
    try:
        return render(request, "errors/error.html", context, status_code=status,
                      block="main" if is_htmx(request) else None)
    except Exception:  # the template itself failed (e.g. during a database outage): plain text
        log.exception("error page failed to render")
        return Response(f"{context['title']}: {message}", status_code=status, media_type="text/plain")


# The page a form is posted from, by the address it posts to (pages send no Referer: no-referrer).
_POSTED_FROM = re.compile(r"^/onboardings/[0-9a-fA-F-]{36}|^/[a-z-]+")


def _page_posted_from(path: str) -> str:
    found = _POSTED_FROM.match(path)
    return safe_next(found.group(0) if found else "/", "/")


def _form_page(request: Request) -> str:
    """The page a form was posted from: its own address when that is a page too (the password
    form posts to the page that shows it), else the page its address names."""
    scope = {**request.scope, "method": "GET"}
    if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
        return safe_next(request.url.path, "/")
    return _page_posted_from(request.url.path)


def _page_of(request: Request) -> str | None:
    """The path (and query) of the page an htmx request came from, when it is this site's."""
    current = urlsplit(request.headers.get("hx-current-url", ""))
    # Only its path is kept (safe_next: never another site); the host is compared, not the scheme,
    # which a proxy ending TLS changes.
    if current.netloc != request.url.netloc or not current.path:
        return None
    page = current.path + ("?" + current.query if current.query else "")
    return page if safe_next(page, "") else None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, _exc: NotSignedIn) -> Response:
        target = request.url.path
        if request.url.query and request.method == "GET":
            target += "?" + request.url.query
        if request.headers.get("hx-request") == "true":
            # Back to the page the person was on, not the fragment it asked for: a progress panel
            # polling when the session ended sent them, signed in again, to a bare panel.
            url = "/sign-in?next=" + quote(_page_of(request) or target, safe="")
            return Response(status_code=401, headers={"HX-Redirect": url})
        url = "/sign-in?next=" + quote(target, safe="")
        if request.method != "GET":
            # Why, in the sign-in page's words (a page or a panel goes there, which says it): an
            # operator disabled meanwhile read "Sign in again", and then could not.
            ended = await _why_ended(request) or Ended(SESSION_ENDED)
            # Back to the page the form was on, signed in (it led "home" only, and what was typed
            # there was lost with no word of how to keep it: QA walk 23, M3).
            back = _page_of(request) or _form_page(request)
            return error_page(request, 401, f"{ended.words} Nothing was changed" + (
                "; repeat the action once you are signed in. To keep what you typed, go back in your browser "
                "and copy it first." if ended.may_sign_in else "."), title="Signed out",
                link=("/sign-in?next=" + quote(back, safe=""), "Sign in") if ended.may_sign_in else None)
        return Response(status_code=303, headers={"location": url})

    @app.exception_handler(PasswordChangeRequired)
    async def _password_change_required(request: Request, _exc: PasswordChangeRequired) -> Response:
        url = "/account/password"
        if request.method == "GET" and request.headers.get("hx-request") != "true" and request.url.path != "/":
            # Keep the page the person opened (a colleague's link) for after the new password.
            target = request.url.path + ("?" + request.url.query if request.url.query else "")
            url += "?next=" + quote(target, safe="")
        if request.headers.get("hx-request") == "true":
            return Response(status_code=403, headers={"HX-Redirect": url})
        if request.method != "GET":
            return error_page(request, 403, "Choose your own password first: an administrator set the one you "
                              "signed in with.", title="Choose your password")
        return Response(status_code=303, headers={"location": url})

    @app.exception_handler(RoleRequired)
    async def _role_required(request: Request, exc: RoleRequired) -> Response:
        allowed = " or ".join(role.label for role in exc.allowed)
        role = exc.operator.role_enum.label
        await record_refusal(request, f"This needs the {allowed} role; their role is {role}.")
        return error_page(
            request, 403,
            f"This needs the {allowed} role; your role is {role}. Ask an administrator if you need it.",
        )

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Response:
        if not hasattr(request.state, "operator"):
            await _who_is_signed_in(request)
        if exc.stale and request.state.operator is None and request.url.path == "/sign-out":
            return Response(status_code=303, headers={"location": "/sign-in"})  # signed out already
        if exc.stale and request.state.operator is None and request.url.path not in _SIGNED_OUT_FORMS:
            # Signed out meanwhile (in another tab): the form's token was bound to that session. It
            # read "The form's security token is missing or out of date" (QA walk 16, M4).
            ended = await _why_ended(request) or Ended(SESSION_ENDED)
            back = _page_of(request) or _form_page(request)
            return error_page(request, 401, f"{ended.words} Nothing was changed" + (
                "; repeat the action once you are signed in." if ended.may_sign_in else "."), title="Signed out",
                link=("/sign-in?next=" + quote(back, safe=""), "Sign in") if ended.may_sign_in else None)
        return error_page(
            request, 403,
            f"{exc.reason} Nothing was changed. Go back, reload the page and try again.",
            title="The form could not be accepted",
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not hasattr(request.state, "operator"):
            # Refused by the router itself (no such address, or not for this method), before any
            # route read who is signed in: read it now, so the page keeps its menu like the others.
            await _who_is_signed_in(request)
        message = exc.detail if isinstance(exc.detail, str) and exc.status_code != 500 else ""
        if exc.status_code == 403:  # this person may not do this (their role, or whose onboarding it is)
            await record_refusal(request, message)
            # Back to the onboarding whose button it was, not only "home" (QA walk 24, M4).
            link = await _onboarding_link(request, "Back to the onboarding")
            if link is not None:
                return error_page(request, 403, message or _TITLES[403], title=_TITLES.get(403), link=link)
        if exc.status_code == 404:
            message = "There is nothing at this address. Check the link, or start from the home page."
        elif exc.status_code == 405:
            return await _not_a_page(request)
        return error_page(request, exc.status_code, message or _TITLES.get(exc.status_code, "Error"),
                          title=_TITLES.get(exc.status_code))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, _exc: RequestValidationError) -> Response:
        if not hasattr(request.state, "operator"):
            request.state.operator = None
        return error_page(request, 400, "Some of the submitted values were missing or malformed. "
                          "Go back and check the form.")

    async def _database_down(request: Request, exc: Exception) -> Response:
        log.warning("database unavailable: %s", type(exc).__name__)
        request.state.operator = None
        return error_page(request, 503, "The database cannot be reached right now. Nothing was lost; "
                          "try again in a minute.", title="Temporarily unavailable")

    @app.exception_handler(PoolTimeout)
    async def _pool(request: Request, exc: PoolTimeout) -> Response:
        return await _database_down(request, exc)

    # OperationalError is a DBAPIError: Starlette picks this handler for it too (by the exception's MRO).
    @app.exception_handler(DBAPIError)
    async def _dbapi(request: Request, exc: DBAPIError) -> Response:
        if exc.connection_invalidated or _is_connectivity(exc):
            return await _database_down(request, exc)
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        error_id = secrets.token_hex(4)
        log.error("unhandled error %s on %s %s", error_id, request.method, request.url.path, exc_info=exc)
        if not hasattr(request.state, "operator"):
            request.state.operator = None
        return error_page(request, 500, "The error was logged. If it happens again, give an administrator "
                          "this reference.", error_id=error_id)


async def _who_is_signed_in(request: Request) -> None:
    """Who is signed in, for the page's menu: nobody when it cannot be read (the database is down)."""
    try:
        await optional_operator(request)
    except Exception:
        log.warning("could not read who is signed in for an error page", exc_info=True)
        request.state.operator = None


async def _why_ended(request: Request) -> Ended | None:
    """Why the request's session cookie no longer signs it in (None: no cookie, or unreadable)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    state = app_state(request)
    try:
        async with state.db.sessions() as session:
            return await why_ended(session, token, state.settings)
    except Exception:
        log.warning("could not read why a session ended for an error page", exc_info=True)
        return None


_ONBOARDING_ACTION = re.compile(r"/onboardings/([0-9a-fA-F-]{36})/")


def _onboarding_named(path: str) -> uuid.UUID | None:
    """The onboarding an action's address names (``/onboardings/{id}/take``), if it names one."""
    match = _ONBOARDING_ACTION.match(path)
    try:
        return uuid.UUID(match.group(1)) if match else None
    except ValueError:
        return None


async def _not_a_page(request: Request) -> Response:
    """A 405. Opened in the address bar (a bookmark, a reload, a copied link), the address of a
    button's action: say so, and lead to the onboarding it acts on when it names one the signed-in
    person can open (nobody signed out learns from this whether an onboarding exists)."""
    if request.method not in ("GET", "HEAD"):
        return error_page(request, 405, "This address does not accept that kind of request.",
                          title="Request not accepted")
    message = "This address is a button's action: it does its work when its button is pressed, not when it is opened."
    link = await _onboarding_link(request, "Open the onboarding")
    if link is not None:
        return error_page(request, 405, message + " Open the onboarding instead, and press the button there.",
                          link=link)
    return error_page(request, 405, message + " Go back to the page that has the button.")


async def _onboarding_link(request: Request, label: str) -> tuple[str, str] | None:
    """A link to the onboarding the address acts on, if it names one the signed-in person can open
    (nobody signed out learns from this whether an onboarding exists)."""
    named = _onboarding_named(request.url.path)
    if named is None or getattr(request.state, "operator", None) is None:
        return None
    async with app_state(request).db.sessions() as session:
        found = await find_onboarding(session, named)
    if found is None:
        return None
    return str(request.url_for("onboarding", onboarding_id=str(found.id))), label


def _is_connectivity(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower() if exc.orig is not None else ""
    return any(
        marker in text
        for marker in ("connection refused", "could not connect", "server closed the connection",
                       "terminating connection", "connection is closed", "unable to open database",
                       "connection timeout", "the database system is")
    )
