"""Applications: lookup, admin consent grants of Okta API scopes, user and group assignments, and
OAuth client secrets.

Apps are installed by seeding (the product never creates one: an OIN app such as "Drata - OIDC" is
installed by a person from the catalog). An OIDC app's client id is its app id, and its client
secrets are listed in full, which is what lets the wizard hand the Drata secret on."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from okta_sandbox import ids
from okta_sandbox.domain import syslog
from okta_sandbox.domain.actors import Actor
from okta_sandbox.entities import (
    AppGroupAssignment,
    Application,
    AppUserAssignment,
    ClientSecret,
    Group,
    Json,
    ScopeGrant,
    User,
)
from okta_sandbox.errors import invalid_status, not_found, validation_failed
from okta_sandbox.scopes import GRANTABLE_SCOPES
from okta_sandbox.tables import next_seq
from okta_sandbox.timestamps import iso
from okta_sandbox.visibility import visible

if TYPE_CHECKING:
    from okta_sandbox.org import SandboxOrg

MAX_CLIENT_SECRETS = 2
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]+")


def app_target(app: Application) -> Json:
    return syslog.target(app.id, "AppInstance", app.label, app.label)


def new_secret(org: SandboxOrg, value: str | None = None, status: str = "ACTIVE") -> ClientSecret:
    now = org.clock.now()
    return ClientSecret(id=ids.okta_id(ids.CLIENT_SECRET), seq=next_seq(), value=value or ids.client_secret_value(),
                        status=status, created=now, last_updated=now)


def create_app(org: SandboxOrg, *, label: str, name: str = "oidc_client", sign_on_mode: str = "OPENID_CONNECT",
               settings: Json | None = None, redirect_uris: list[str] | None = None,
               grant_types: list[str] | None = None, application_type: str = "web") -> Application:
    """Install an app as a person would from the catalog (seeding only; no event)."""
    now = org.clock.now()
    app_id = ids.okta_id(ids.APP)
    credentials: Json = {"userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"},
                         "signing": {"kid": ids.okta_id("kid", 43)}}
    app_settings: Json = {"app": {}, "implicitAssignment": False, **(settings or {})}
    secrets: list[ClientSecret] = []
    if sign_on_mode == "OPENID_CONNECT":
        credentials["oauthClient"] = {"autoKeyRotation": True, "client_id": app_id,
                                      "token_endpoint_auth_method": "client_secret_basic", "pkce_required": False}
        app_settings["oauthClient"] = {
            "redirect_uris": redirect_uris or [],
            "response_types": ["code"],
            "grant_types": grant_types or ["authorization_code"],
            "application_type": application_type,
            "consent_method": "REQUIRED",
            "issuer_mode": "DYNAMIC",
        }
        secrets.append(new_secret(org))
    app = Application(id=app_id, seq=next_seq(), name=name, label=label, sign_on_mode=sign_on_mode, status="ACTIVE",
                      created=now, last_updated=now, settings=app_settings, credentials=credentials,
                      secrets=secrets)
    return org.apps.add(app)


def render_app(org: SandboxOrg, app: Application) -> Json:
    href = f"{org.base_url}/api/v1/apps/{app.id}"
    return {
        "id": app.id,
        "orn": f"orn:okta:idp:{org.org_id}:apps:{app.name}:{app.id}",
        "name": app.name,
        "label": app.label,
        "status": app.status,
        "created": iso(app.created),
        "lastUpdated": iso(app.last_updated),
        "accessibility": {"selfService": False},
        "visibility": {"autoLaunch": False, "autoSubmitToolbar": False, "hide": {"iOS": False, "web": False},
                       "appLinks": {f"{app.name}_link": True}},
        "features": list(app.features),
        "signOnMode": app.sign_on_mode,
        "credentials": dict(app.credentials),
        "settings": dict(app.settings),
        "_links": {
            "appLinks": [{"name": f"{app.name}_link", "href": f"{org.base_url}/home/{app.name}/{app.id}/link",
                          "type": "text/html"}],
            "groups": {"href": f"{href}/groups"},
            "users": {"href": f"{href}/users"},
            "self": {"href": href},
            "deactivate": {"href": f"{href}/lifecycle/deactivate"},
        },
    }


# Scope grants (admin consent)

def grant_scope(org: SandboxOrg, app: Application, body: Mapping[str, Any], actor: Actor) -> ScopeGrant:
    issuer, scope_id = body.get("issuer"), body.get("scopeId")
    if not isinstance(issuer, str) or not issuer:
        raise validation_failed("issuer", "issuer: The field cannot be left blank")
    if not isinstance(scope_id, str) or not scope_id:
        raise validation_failed("scopeId", "scopeId: The field cannot be left blank")
    if issuer.rstrip("/") != org.base_url:
        raise validation_failed("issuer", f"issuer: Okta API scopes are granted on the org authorization server;"
                                          f" the issuer must be {org.base_url}.")
    if scope_id not in GRANTABLE_SCOPES:
        raise validation_failed("scopeId", f"scopeId: '{scope_id}' is not an Okta API scope.")
    if app.client_id is None:
        raise validation_failed("appId", "appId: Only OAuth 2.0 client apps can be granted Okta API scopes.")
    if any(grant.scope_id == scope_id for grant in app.grants.values()):
        raise validation_failed("scopeId", f"scopeId: The scope '{scope_id}' is already granted to this app.")
    now = org.clock.now()
    grant = ScopeGrant(id=ids.okta_id(ids.GRANT), seq=next_seq(), scope_id=scope_id, issuer=org.base_url,
                       created=now, last_updated=now, created_by_id=actor.id,
                       created_by_type="User" if actor.type == "User" else "Client")
    app.grants[grant.id] = grant
    syslog.record(org, actor, "app.oauth2.admin.consent.grant", "Admin consent grant for an app",
                  [app_target(app), syslog.target(scope_id, "Scope", scope_id, scope_id)])
    return grant


def revoke_grant(org: SandboxOrg, app: Application, grant_id: str, actor: Actor) -> None:
    grant = app.grants.pop(grant_id, None)
    if grant is None:
        raise not_found(f"{grant_id} (OAuth2ScopeConsentGrant)")
    syslog.record(org, actor, "app.oauth2.admin.consent.revoke", "Admin consent revoke for an app",
                  [app_target(app), syslog.target(grant.scope_id, "Scope", grant.scope_id, grant.scope_id)])


def render_grant(org: SandboxOrg, app: Application, grant: ScopeGrant, *, embedded: bool = True) -> Json:
    """A grant; Okta embeds its scope when answering for one grant, not in the list (recorded:
    TestAccResourceOktaAppOAuthApplication_apiScope)."""
    href = f"{org.base_url}/api/v1/apps/{app.id}"
    rendered: Json = {
        "id": grant.id, "status": "ACTIVE", "created": iso(grant.created),
        "createdBy": {"id": grant.created_by_id, "type": grant.created_by_type},
        "lastUpdated": iso(grant.last_updated), "issuer": grant.issuer, "clientId": app.client_id,
        "scopeId": grant.scope_id, "source": "ADMIN", "_embedded": {"scope": {"id": grant.scope_id}},
        "_links": {"app": {"href": href, "title": app.label},
                   "self": {"href": f"{href}/grants/{grant.id}", "hints": {"allow": ["GET", "DELETE"]}},
                   "client": {"href": f"{org.base_url}/oauth2/v1/clients/{app.client_id}", "title": app.label}},
    }
    if not embedded:
        del rendered["_embedded"]
    return rendered


# Assignments

def assign_user(org: SandboxOrg, app: Application, user: User, body: Mapping[str, Any],
                actor: Actor | None) -> AppUserAssignment:
    if user.status == "DEPROVISIONED":
        raise invalid_status()
    profile = body.get("profile") or {}
    if not isinstance(profile, Mapping):
        raise validation_failed("profile", "profile: must be an object.")
    scope = body.get("scope", "USER")
    if scope not in ("USER", None):
        raise validation_failed("scope", "scope: An assignment made through this API has scope USER.")
    now = org.clock.now()
    existing = app.users.get(user.id)
    if existing is not None:
        existing.profile = {**existing.profile, **profile}
        existing.last_updated = now
        return existing
    assignment = AppUserAssignment(user_id=user.id, seq=next_seq(), created=now, last_updated=now,
                                   profile=dict(profile))
    app.users[user.id] = assignment
    syslog.record(org, actor, "application.user_membership.add", "Add user to application membership",
                  [syslog.target(user.id, "User", user.login, user.display_name), app_target(app)])
    return assignment


def unassign_user(org: SandboxOrg, app: Application, user_id: str, actor: Actor | None) -> None:
    if app.users.pop(user_id, None) is None:
        raise not_found(f"{user_id} (AppUser)")
    user = org.users.get(user_id)
    syslog.record(org, actor, "application.user_membership.remove", "Remove user from application membership",
                  [syslog.target(user_id, "User", user.login if user else user_id,
                                 user.display_name if user else user_id), app_target(app)])


def app_user_entries(org: SandboxOrg, app: Application, *, consistent: bool = True
                     ) -> list[tuple[User, str, float, Json]]:
    """Everyone with the app, as (user, scope, assigned at, profile): direct assignments first
    seen, then members of assigned groups, as Okta lists them. A read (``consistent=False``) leaves
    out assignments an ``invisible`` fault hides."""
    from okta_sandbox.domain.groups import member_ids

    entries: dict[str, tuple[User, str, float, Json]] = {}
    for assignment in sorted(app.users.values(), key=lambda a: a.seq):
        user = org.users.get(assignment.user_id)
        if user is not None and (consistent or visible(org, "app_user", app.id, user.id)):
            entries[user.id] = (user, "USER", assignment.created, assignment.profile)
    for group_assignment in sorted(app.groups.values(), key=lambda a: a.seq):
        group = org.groups.get(group_assignment.group_id)
        if group is None or not (consistent or visible(org, "app_group", app.id, group.id)):
            continue
        for user_id in member_ids(org, group):
            user = org.users.get(user_id)
            if user is not None and user.id not in entries:
                entries[user.id] = (user, "GROUP", group_assignment.last_updated, {})
    return list(entries.values())


def render_app_user(org: SandboxOrg, app: Application, user: User, scope: str, assigned: float, profile: Json) -> Json:
    return {
        "id": user.id, "created": iso(assigned), "lastUpdated": iso(assigned), "scope": scope,
        "status": "ACTIVE" if user.status == "ACTIVE" else "PROVISIONED", "statusChanged": iso(assigned),
        "passwordChanged": None, "syncState": "DISABLED", "credentials": {"userName": user.login},
        "profile": dict(profile),
        "_links": {"app": {"href": f"{org.base_url}/api/v1/apps/{app.id}"},
                   "user": {"href": f"{org.base_url}/api/v1/users/{user.id}"}},
    }


def assign_group(org: SandboxOrg, app: Application, group: Group, body: Mapping[str, Any],
                 actor: Actor | None) -> AppGroupAssignment:
    priority = body.get("priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool) or priority < 0:
        raise validation_failed("priority", "priority: must be a non-negative integer.")
    profile = body.get("profile") or {}
    if not isinstance(profile, Mapping):
        raise validation_failed("profile", "profile: must be an object.")
    now = org.clock.now()
    existing = app.groups.get(group.id)
    if existing is not None:
        existing.priority, existing.profile, existing.last_updated = priority, dict(profile), now
        return existing
    assignment = AppGroupAssignment(group_id=group.id, seq=next_seq(), priority=priority, last_updated=now,
                                    profile=dict(profile))
    app.groups[group.id] = assignment
    syslog.record(org, actor, "group.application_assignment.add", "Add assigned application to group",
                  [syslog.target(group.id, "UserGroup", group.name, group.name), app_target(app)])
    return assignment


def unassign_group(org: SandboxOrg, app: Application, group_id: str, actor: Actor | None) -> None:
    if app.groups.pop(group_id, None) is None:
        raise not_found(f"{group_id} (ApplicationGroupAssignment)")
    group = org.groups.get(group_id)
    name = group.name if group else group_id
    syslog.record(org, actor, "group.application_assignment.remove", "Remove assigned application from group",
                  [syslog.target(group_id, "UserGroup", name, name), app_target(app)])


def render_group_assignment(org: SandboxOrg, app: Application, assignment: AppGroupAssignment) -> Json:
    href = f"{org.base_url}/api/v1/apps/{app.id}"
    return {"id": assignment.group_id, "priority": assignment.priority, "lastUpdated": iso(assignment.last_updated),
            "profile": dict(assignment.profile),
            "_links": {"app": {"href": href}, "self": {"href": f"{href}/groups/{assignment.group_id}"},
                       "group": {"href": f"{org.base_url}/api/v1/groups/{assignment.group_id}"}}}


def remove_user_everywhere(org: SandboxOrg, user_id: str) -> None:
    for app in org.apps:
        app.users.pop(user_id, None)


# Client secrets

def check_new_secret(body: Mapping[str, Any], count: int) -> tuple[str | None, str]:
    if count >= MAX_CLIENT_SECRETS:
        raise validation_failed("OAuth2ClientSecretMediated", "You've reached the maximum number of client secrets"
                                                              " per client.")
    value = body.get("client_secret")
    status = body.get("status", "ACTIVE")
    if status not in ("ACTIVE", "INACTIVE"):
        raise validation_failed("status", "status: must be ACTIVE or INACTIVE.")
    if value is None:
        return None, str(status)
    if not isinstance(value, str):
        raise validation_failed("client_secret", "client_secret: must be a string.")
    if len(value) < 14:
        raise validation_failed("client_secret",
                                "client_secret: 'client_secret' must be at least '14' characters long.")
    if len(value) > 100:
        raise validation_failed("client_secret", "client_secret: 'client_secret' can't be more than '100' characters"
                                                 " long.")
    if not _PRINTABLE_ASCII.fullmatch(value):
        raise validation_failed("client_secret", "client_secret: 'client_secret' must only contain printable ASCII:"
                                                 " [x20-x7E]+")
    return value, str(status)


def add_client_secret(org: SandboxOrg, app: Application, body: Mapping[str, Any], actor: Actor | None) -> ClientSecret:
    if app.client_id is None:
        raise not_found(f"{app.id} (OAuth2Client)")
    value, status = check_new_secret(body, len(app.secrets))
    secret = new_secret(org, value, status)
    app.secrets.append(secret)
    syslog.record(org, actor, "app.oauth2.credentials.lifecycle.create", "Create an OAuth client secret",
                  [app_target(app)])
    return secret


def render_secret(secret: ClientSecret, base_href: str, *, masked: bool) -> Json:
    href = f"{base_href}/credentials/secrets/{secret.id}"
    action = "deactivate" if secret.status == "ACTIVE" else "activate"
    links: Json = {action: {"href": f"{href}/lifecycle/{action}", "hints": {"allow": ["POST"]}}}
    if secret.status == "INACTIVE":
        links["delete"] = {"href": href, "hints": {"allow": ["DELETE"]}}
    return {"id": secret.id, "status": secret.status,
            "client_secret": f"***{secret.value[-4:]}" if masked else secret.value,
            "secret_hash": secret.hash, "created": iso(secret.created), "lastUpdated": iso(secret.last_updated),
            "_links": links}
