"""Signing in with the company's identity provider: the start (a redirect to the provider) and
the callback (the provider's answer). Both are public: they are how one becomes signed in.

No database transaction is open while the provider is called: the settings are read in one short
unit of work, and the operator, session and audit event are written in another afterwards."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.auth.oidc import FLOW_COOKIE, FLOW_COOKIE_PATH, FLOW_SECONDS, OidcFailure, open_flow, seal_flow
from app.auth.oidc_config import DEFAULT_PROVIDER_NAME, OidcConfig, load_config, read_client_secret
from app.auth.oidc_signin import record_refusal, recorded_lately, sign_in_with_identity
from app.web.deps import actor_for
from app.web.responses import redirect, safe_next
from app.web.routes.auth import open_session
from app.web.state import app_state, secure_cookies
from app.web.templating import render

router = APIRouter(prefix=FLOW_COOKIE_PATH)
CALLBACK_PATH = FLOW_COOKIE_PATH + "/callback"


def redirect_uri(request: Request) -> str:
    """The callback address registered at the provider: the wizard's public address (what people
    type), so it is the same whichever name a request arrived under."""
    return app_state(request).settings.resolved_public_url + CALLBACK_PATH


def _failed(request: Request, failure: OidcFailure, provider: str) -> Response:
    request.state.operator = None
    public = app_state(request).settings.resolved_public_url
    # A callback on another name than the public address arrives without the flow cookie.
    wrong_address = failure.reason == "no_flow" and urlsplit(public).netloc != request.url.netloc
    response = render(request, "auth/oidc_failed.html",
                      {"message": failure.message, "provider": provider, "reason": failure.reason,
                       "public_url": public if wrong_address else None},
                      status_code=failure.status)
    response.delete_cookie(FLOW_COOKIE, path=FLOW_COOKIE_PATH)
    return response


# Not sign-in attempts, so not audited: the feature is off, or a callback arrived with no sign-in
# started in this browser (anyone can request the address; each would otherwise write the trail).
_NOT_ATTEMPTS = frozenset({"disabled", "no_flow"})


async def _refuse(request: Request, failure: OidcFailure, provider: str, *, once_a_minute: bool = False) -> Response:
    """``once_a_minute``: a failure before anyone is sent to the provider (it cannot be reached, its
    discovery is wrong) is the provider's, the same for every visitor: recorded once a minute, not
    at each anonymous request (twenty requests wrote twenty events in 1.4 s: security probe, L3)."""
    if failure.reason not in _NOT_ATTEMPTS:
        async with app_state(request).db.session() as session:
            if not (once_a_minute and await recorded_lately(session, failure, provider)):
                await record_refusal(session, failure, actor_for(request, None), provider)
    return _failed(request, failure, provider)


@router.get("", name="oidc_start")
async def start(request: Request) -> Response:
    state = app_state(request)
    next_url = safe_next(request.query_params.get("next"))
    async with state.db.sessions() as session:
        config = await load_config(session)
    try:
        url, flow = await state.oidc.begin(config, redirect_uri(request), next_url)
    except OidcFailure as failure:
        return await _refuse(request, failure, config.display_name, once_a_minute=True)
    response = redirect(request, url)
    response.set_cookie(FLOW_COOKIE, seal_flow(state.vault, flow), max_age=FLOW_SECONDS, path=FLOW_COOKIE_PATH,
                        httponly=True, samesite="lax", secure=secure_cookies(request))
    return response


@router.get("/callback", name="oidc_callback")
async def callback(request: Request) -> Response:
    state = app_state(request)
    actor = actor_for(request, None)
    config = OidcConfig()
    try:
        flow = open_flow(state.vault, request.cookies.get(FLOW_COOKIE), state.clock.now())
        async with state.db.sessions() as session:
            config = await load_config(session)
            secret = await read_client_secret(session, state.vault, config)
        if secret is None:
            state.oidc.check_config(config)
            raise OidcFailure("no_client_secret", "Sign-in with the identity provider is not set up completely: no "
                              "client secret is stored. Sign in with your username and password, and ask an "
                              "administrator to enter it in Settings.", status=503)
        identity = await state.oidc.finish(config, secret, flow, dict(request.query_params), redirect_uri(request))
        async with state.db.session() as session:
            operator = await sign_in_with_identity(session, config, identity, actor)
            response = await open_session(request, session, operator, flow.next_url)
    except OidcFailure as failure:
        return await _refuse(request, failure, config.display_name if config.enabled else DEFAULT_PROVIDER_NAME)
    response.delete_cookie(FLOW_COOKIE, path=FLOW_COOKIE_PATH)
    return response

