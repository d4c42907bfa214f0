"""A minimal Admin Console for the one step only a person can do: signing in as a user and
creating an API token, whose value is shown once. Used by the product's demo and browser tests.
More things a person does to a real org, for the watch's demo and tests: give an administrator
Super Administrator (or take it away), deactivate an administrator (which revokes their API tokens,
as Okta does: a service account someone deactivated), and call Okta with a token as the vendor
would (which moves the token's expiry, as Okta does at each use).

Plain HTML forms, a label on every field, no scripts and no inline styles (the product's browser
tests fail on console errors and its pages run under a strict Content-Security-Policy)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from okta_sandbox import ids
from okta_sandbox.domain import roles as roles_domain
from okta_sandbox.domain import tokens as tokens_domain
from okta_sandbox.domain import users as users_domain
from okta_sandbox.domain.actors import Actor, RequestInfo
from okta_sandbox.entities import User
from okta_sandbox.org import SandboxOrg

templates = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                         autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)
_CSS = (Path(__file__).parent / "templates" / "console.css").read_text(encoding="utf-8")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def _org(request: Request) -> SandboxOrg:
    org: SandboxOrg = request.app.state.org
    return org


def _admins(org: SandboxOrg) -> list[User]:
    """Who can sign in to the Admin Console: active users with an admin role."""
    return [user for user in org.users if user.status == "ACTIVE" and roles_domain.assignments_of(org, user.id)]


def _role_table(org: SandboxOrg) -> list[User]:
    """Whose Super Administrator the console gives or takes: the administrators, and the demo's own
    one even once it holds no role (taken here, it could not be given back, and every connection
    of the demo stayed refused: QA walk 24, M5)."""
    admins = _admins(org)
    return admins + [user for user in org.users if user.id in _keep(org) and user.status == "ACTIVE"
                     and user not in admins]


def _page(request: Request, *, status: int = 200, errors: dict[str, str] | None = None,
          created: dict[str, str] | None = None, form: dict[str, str] | None = None,
          done: str | None = None) -> HTMLResponse:
    org = _org(request)
    users = {user.id: user for user in org.users}
    tokens = [{"id": token.id, "kept": token.user_id in _keep(org),
               "name": token.name, "owner": users[token.user_id].login if token.user_id in users else token.user_id,
               "network": "Any IP" if token.network.get("connection") == "ANYWHERE" else "Network zone",
               "created": tokens_domain.okta_time(token.created),
               "expires": tokens_domain.okta_time(tokens_domain.expires_at(token))}
              for token in org.api_tokens]
    admins = _admins(org)
    html = templates.get_template("console.html").render(
        org=org, admins=admins, role_table=_role_table(org), zones=list(org.network_zones), tokens=tokens,
        errors=errors or {},
        created=created, form=form or {}, action=request.url_for("console_create_token").path,
        super_admins={user.id for user in admins if "SUPER_ADMIN" in roles_domain.standard_types(org, user.id)},
        roles_action=request.url_for("console_roles").path, use_action=request.url_for("console_use_token").path,
        deactivate_action=request.url_for("console_deactivate").path, keep=_keep(org),
        revoke_action=request.url_for("console_revoke_token").path,
        done=done, stylesheet=request.url_for("console_css").path)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


async def console(request: Request) -> Response:
    return _page(request)


async def create_token(request: Request) -> Response:
    org = _org(request)
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    errors: dict[str, str] = {}
    user = org.users.get(form.get("user_id", ""))
    if user is None or user not in _admins(org):
        errors["user_id"] = "Choose an administrator to sign in as."
    name = form.get("name", "").strip()
    if not name:
        errors["name"] = "Give the token a name."
    connection = form.get("network", "ANYWHERE")
    network: dict[str, object] = {"connection": "ANYWHERE"}
    if connection == "ZONE":
        zone = form.get("zone", "")
        if zone not in org.network_zones:
            errors["zone"] = "Choose a network zone."
        network = {"connection": "ZONE", "include": [zone]}
    elif connection != "ANYWHERE":
        errors["network"] = "Choose where the token may be used."
    if errors or user is None:
        return _page(request, status=400, errors=errors, form=form)
    client = request.client
    info = RequestInfo(request_id=ids.request_id(), method="POST", uri=request.url.path,
                       ip_address=client.host if client else "127.0.0.1",
                       user_agent=request.headers.get("user-agent", ""))
    actor = Actor(user.id, "User", user.login, user.display_name, info)
    token, value = tokens_domain.issue_token(org, user.id, name, network, actor=actor)
    return _page(request, status=201, created={"name": token.name, "value": value, "owner": user.login})


async def _form(request: Request) -> dict[str, str]:
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))


def _console_actor(request: Request, user: User) -> Actor:
    client = request.client
    info = RequestInfo(request_id=ids.request_id(), method="POST", uri=request.url.path,
                       ip_address=client.host if client else "127.0.0.1",
                       user_agent=request.headers.get("user-agent", ""))
    return Actor(user.id, "User", user.login, user.display_name, info)


async def super_admin(request: Request) -> Response:
    """Give an administrator Super Administrator, or take it away (as the org's own admin would)."""
    org = _org(request)
    form = await _form(request)
    user = org.users.get(form.get("user_id", ""))
    if user is None or user not in _role_table(org):
        return _page(request, status=400, errors={"roles": "Choose an administrator."})
    held = next((a for a in org.role_assignments if a.user_id == user.id and a.group_id is None
                 and a.type == "SUPER_ADMIN"), None)
    if form.get("grant") == "1" and held is None:
        roles_domain.assign_standard(org, user, "SUPER_ADMIN", _console_actor(request, user))
        return _page(request, done=f"{user.login} is a Super Administrator now.")
    if form.get("grant") == "0" and held is not None:
        roles_domain.unassign(org, user, held, _console_actor(request, user))
        return _page(request, done=f"{user.login} is no longer a Super Administrator.")
    return _page(request, done="Nothing to change.")


def _keep(org: SandboxOrg) -> set[str]:
    """The demo's own administrator, whose token is the wizard's connection: not offered (one click
    would stop the demo)."""
    return {org.demo.admin_user_id} if org.demo is not None else set()


async def deactivate(request: Request) -> Response:
    """Deactivate an administrator, as Directory > People > Deactivate does: Okta revokes their tokens."""
    org = _org(request)
    user = org.users.get((await _form(request)).get("user_id", ""))
    if user is None or user not in _admins(org) or user.id in _keep(org):
        return _page(request, status=400, errors={"roles": "Choose an administrator."})
    users_domain.deactivate_user(org, user, actor=_console_actor(request, user))
    return _page(request, done=f"{user.login} is deactivated: Okta revoked their API tokens.")


async def revoke_token(request: Request) -> Response:
    """Revoke a token, as Security > API > Tokens > Revoke does: the wizard asks a person to revoke
    a token it does not watch there, and the demo had no way to (QA walk 20, L4)."""
    org = _org(request)
    token = org.api_tokens.get((await _form(request)).get("token_id", ""))
    if token is None or token.user_id in _keep(org):
        return _page(request, status=400, errors={"tokens": "Choose a token."})
    owner = org.users.get(token.user_id)
    tokens_domain.revoke_token(org, token, _console_actor(request, owner) if owner is not None else None)
    return _page(request, done=f"The token “{token.name}” is revoked: Okta no longer accepts it.")


async def use_token(request: Request) -> Response:
    """Call Okta with a token as the vendor would: Okta accepts it and moves its expiry."""
    org = _org(request)
    value = (await _form(request)).get("token", "").strip()
    token = tokens_domain.authenticate(org, value) if value else None
    if token is None:
        return _page(request, status=401, errors={"use": "Okta did not accept this token (unknown or expired)."})
    return _page(request, done=f"Okta accepted the token “{token.name}”: it now expires "
                               f"{tokens_domain.okta_time(tokens_domain.expires_at(token))}, 30 days after this use.")


async def stylesheet(request: Request) -> Response:
    return Response(_CSS, media_type="text/css", headers={"Cache-Control": "no-cache"})


async def root(request: Request) -> Response:
    return RedirectResponse(request.url_for("console").path, status_code=303)


def console_routes() -> list[BaseRoute]:
    return [
        Route("/", root, methods=["GET"]),
        Route("/console", console, methods=["GET"], name="console"),
        Route("/console/tokens", create_token, methods=["POST"], name="console_create_token"),
        Route("/console/roles", super_admin, methods=["POST"], name="console_roles"),
        Route("/console/tokens/use", use_token, methods=["POST"], name="console_use_token"),
        Route("/console/tokens/revoke", revoke_token, methods=["POST"], name="console_revoke_token"),
        Route("/console/users/deactivate", deactivate, methods=["POST"], name="console_deactivate"),
        Route("/console.css", stylesheet, methods=["GET"], name="console_css"),
    ]
