"""CSRF protection for every state-changing request: forms and htmx alike.

The token is an HMAC of a random per-browser cookie, bound to the current session cookie and to
the server's key (a "signed double-submit" token): it changes at sign-in, and a page on another site can neither
read nor forge it. Forms carry it in a hidden field; htmx sends it as ``X-CSRF-Token`` (set once
on ``<body hx-headers>``). A mismatching ``Origin`` header is refused as well.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

from starlette.requests import Request

from app.auth.tokens import derive, same, token_hash
from app.web.state import app_state

CSRF_COOKIE = "onboard_csrf"
SESSION_COOKIE = "onboard_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CsrfFailed(Exception):
    def __init__(self, reason: str, *, stale: bool = False) -> None:
        self.reason = reason
        # Our own page's token, bound to another session than the request's (signed out since?), or no
        # cookie of ours sent at all (the browser dropped them: its session is what ended).
        self.stale = stale
        super().__init__(reason)


def csrf_seed(request: Request) -> str:
    seed: str = request.scope.get("state", {}).get("csrf_seed") or request.cookies.get(CSRF_COOKIE, "")
    return seed


def csrf_token(request: Request) -> str:
    session_cookie = request.cookies.get(SESSION_COOKIE, "")
    binding = "csrf|" + (token_hash(session_cookie) if session_cookie else _NO_SESSION)
    override = request.scope.get("state", {}).get("csrf_binding")
    if override is not None:
        binding = override
    # And the server's key: whoever can plant a cookie (a sibling subdomain) could make the token of
    # the seed it planted, and sign a person in to an account of its own (security review, L2).
    return derive(csrf_seed(request), f"{binding}|{_server_part(request)}")


def _server_part(request: Request) -> str:
    """A value only this server's key makes (its primary: a rotated key makes open forms out of date,
    which the page explains and draws again)."""
    return _of_key(app_state(request).keys.ring().primary.material)


@functools.lru_cache(maxsize=4)
def _of_key(material: bytes) -> str:
    return hmac.new(material, b"onboard csrf", hashlib.sha256).hexdigest()


_NO_SESSION = "anonymous"


def for_no_session(request: Request) -> None:
    """This response deletes the session cookie it was sent with (one that no longer signs anyone
    in): its forms are posted without it, so their token is bound to no session."""
    request.scope.setdefault("state", {})["csrf_binding"] = "csrf|" + _NO_SESSION


def own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


async def csrf_protect(request: Request) -> None:
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin is not None and origin != "null" and origin != own_origin(request):
        raise CsrfFailed("The request came from another site.")
    if not request.cookies.get(CSRF_COOKIE):
        # Neither cookie sent (the browser cleared them, or dropped them as it closed): the person's
        # session is what ended, as they are told; the security cookie is not theirs to mend.
        raise CsrfFailed("Your browser did not send the form's security cookie.",
                         stale=not request.cookies.get(SESSION_COOKIE))
    submitted = request.headers.get(CSRF_HEADER)
    if not submitted and request.headers.get("content-type", "").startswith(_FORM_TYPES):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        submitted = value if isinstance(value, str) else None
    if not submitted or not same(submitted, csrf_token(request)):
        raise CsrfFailed("The form's security token is missing or out of date.", stale=bool(submitted))
