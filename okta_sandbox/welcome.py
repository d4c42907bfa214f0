"""The activation page behind an activation link (``/welcome/{token}``): the person the account is
for chooses its password, and the account becomes active. Real Okta then asks for MFA enrolment;
the sandbox stops at the password. Plain HTML, no scripts."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from okta_sandbox.console import SECURITY_HEADERS, templates
from okta_sandbox.errors import OktaError
from okta_sandbox.org import SandboxOrg


def _org(request: Request) -> SandboxOrg:
    org: SandboxOrg = request.app.state.org
    return org


def _render(request: Request, *, status: int = 200, **context: object) -> HTMLResponse:
    org = _org(request)
    html = templates.get_template("welcome.html").render(
        org=org, console=request.url_for("console").path, stylesheet=request.url_for("console_css").path,
        action=request.url.path, **context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


async def welcome(request: Request) -> Response:
    org = _org(request)
    user = org.users.get(org.activation_tokens.get(request.path_params["token"], ""))
    if user is None:
        return _render(request, status=404, user=None, errors={}, done=False)
    if request.method == "GET":
        return _render(request, user=user, errors={}, done=False)
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    password, again = form.get("password", ""), form.get("password_again", "")
    errors: dict[str, str] = {}
    if password != again:
        errors["password_again"] = "The two passwords differ."  # noqa: S105 - a message, not a password
    if not errors:
        try:
            org.complete_activation(user.id, password)
        except OktaError as error:
            errors["password"] = error.causes[0] if error.causes else error.summary
    if errors:
        return _render(request, status=400, user=user, errors=errors, done=False)
    return _render(request, user=user, errors={}, done=True)


def welcome_routes() -> list[BaseRoute]:
    return [Route("/welcome/{token}", welcome, methods=["GET", "POST"], name="welcome")]
