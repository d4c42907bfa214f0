"""The sandbox as an OpenID Connect provider: discovery, the signing keys, the authorize page, and
a console page listing the sign-in clients. The token endpoint stays in the Okta pipeline
(``okta_sandbox.app``), where the authorization code grant joins the client credentials grant.

The authorize page is where "the person" signs in: they pick one of the org's active users and
press Sign in; there is no password (the sandbox stands for an org whose sign-in already
happened). Plain HTML, a label on every field, no scripts; its Content-Security-Policy lets the
form's redirect reach the client's registered redirect URI and nothing else."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from okta_sandbox.console import SECURITY_HEADERS, templates
from okta_sandbox.domain import oidc as oidc_domain
from okta_sandbox.domain.oidc import AuthorizationRequest, AuthorizeError
from okta_sandbox.org import SandboxOrg

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _org(request: Request) -> SandboxOrg:
    org: SandboxOrg = request.app.state.org
    return org


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def openid_configuration(request: Request) -> Response:
    return JSONResponse(oidc_domain.discovery(_org(request)))


async def keys(request: Request) -> Response:
    return JSONResponse(_org(request).oidc_key.jwks(), headers={"Cache-Control": "max-age=300"})


def _page(request: Request, *, status: int = 200, error: str | None = None,
          authorization: AuthorizationRequest | None = None, selected: str = "") -> HTMLResponse:
    org = _org(request)
    html = templates.get_template("authorize.html").render(
        org=org, error=error, authorization=authorization, users=oidc_domain.users_who_can_sign_in(org),
        selected=selected, action=request.url.path, stylesheet=request.url_for("console_css").path)
    headers = dict(SECURITY_HEADERS)
    if authorization is not None:
        # The form posts here and is answered with a redirect to the client; browsers apply
        # form-action to that redirect too, so the client's origin must be allowed.
        headers["Content-Security-Policy"] = (f"default-src 'none'; style-src 'self'; form-action 'self' "
                                              f"{_origin(authorization.redirect_uri)}; base-uri 'none'")
    return HTMLResponse(html, status_code=status, headers=headers)


def _back_to_client(authorization_redirect: str, params: dict[str, str]) -> Response:
    separator = "&" if urlsplit(authorization_redirect).query else "?"
    return RedirectResponse(authorization_redirect + separator + urlencode(params), status_code=303,
                            headers=_NO_STORE)


def _refused(request: Request, params: dict[str, str], error: AuthorizeError) -> Response:
    if not error.redirect:
        return _page(request, status=400, error=error.description)
    back = {"error": error.error, "error_description": error.description}
    if params.get("state"):
        back["state"] = params["state"]
    return _back_to_client(params["redirect_uri"], back)


async def authorize(request: Request) -> Response:
    org = _org(request)
    if request.method == "GET":
        params = dict(request.query_params)
    else:
        params = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    try:
        authorization = oidc_domain.check_authorization_request(org, params)
    except AuthorizeError as error:
        return _refused(request, params, error)
    if request.method == "GET":
        return _page(request, authorization=authorization)
    if params.get("action") == "cancel":
        return _back_to_client(authorization.redirect_uri, {
            "error": "access_denied", "error_description": "The user cancelled the sign-in.",
            "state": authorization.state})
    user = org.users.get(params.get("user_id", ""))
    if user is None or user.status != "ACTIVE":
        return _page(request, status=400, authorization=authorization, selected=params.get("user_id", ""),
                     error="Choose an active user to sign in as.")
    try:
        code = oidc_domain.issue_code(org, authorization, user)
    except AuthorizeError as error:
        return _refused(request, params, error)
    return _back_to_client(authorization.redirect_uri, {"code": code, "state": authorization.state})


async def clients(request: Request) -> Response:
    """What the Admin Console's app pages show: each sign-in client's id, secret and redirect URIs."""
    org = _org(request)
    html = templates.get_template("oidc_clients.html").render(
        org=org, clients=list(org.oidc.clients.values()), issuer=org.base_url,
        stylesheet=request.url_for("console_css").path)
    return HTMLResponse(html, headers=SECURITY_HEADERS)


def oidc_routes() -> list[BaseRoute]:
    """Listed before the sandbox's catch-all Okta route (and its ``/__sandbox__`` mount)."""
    return [
        Route(oidc_domain.DISCOVERY_PATH, openid_configuration, methods=["GET"], name="oidc_discovery"),
        Route(oidc_domain.KEYS_PATH, keys, methods=["GET"], name="oidc_keys"),
        Route(oidc_domain.AUTHORIZE_PATH, authorize, methods=["GET", "POST"], name="oidc_authorize"),
        Route("/__sandbox__/oidc", clients, methods=["GET"], name="oidc_clients"),
    ]
