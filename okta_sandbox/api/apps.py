"""Applications (``/api/v1/apps``): lookup by name or label prefix, scope grants, assignments and
client secrets."""

from __future__ import annotations

from collections.abc import Callable

from okta_sandbox import scim
from okta_sandbox.api.context import Call, Reply, handles
from okta_sandbox.domain import apps as apps_domain
from okta_sandbox.domain import users as users_domain
from okta_sandbox.entities import Application
from okta_sandbox.errors import not_found
from okta_sandbox.paging import paginate
from okta_sandbox.visibility import visible

APPS_MAX_LIMIT = 200
APP_USERS_MAX_LIMIT = 500
APP_GROUPS_MAX_LIMIT = 200
_APP_FILTER_ATTRIBUTES = {"id", "status", "name", "credentials.signing.kid", "settings.slo.enabled", "user.id",
                          "group.id"}


def _app(call: Call, *, consistent: bool = False) -> Application:
    app_id = call.params["appId"]
    app = call.org.apps.get(app_id) if consistent else call.org.apps.read(app_id)
    if app is None:
        raise not_found(f"{app_id} (AppInstance)")
    return app


def _href(call: Call, app: Application) -> str:
    return f"{call.org.base_url}/api/v1/apps/{app.id}"


@handles("listApplications")
def list_apps(call: Call) -> Reply:
    org = call.org
    apps = [app for app in org.apps.listing() if app.status != "DELETED"]
    q = call.text("q")
    if q is not None:
        lowered = q.lower()
        apps = [app for app in apps if app.name.lower().startswith(lowered) or app.label.lower().startswith(lowered)]
    filter_text = call.text("filter")
    if filter_text is not None:
        node = scim.restrict(scim.parse(filter_text), lambda comparison: comparison.attribute in _APP_FILTER_ATTRIBUTES
                             and comparison.operator == "eq", allow_not=False)

        def lookup(app: Application) -> Callable[[str], list[object]]:
            rendered = apps_domain.render_app(org, app)
            rendered["user"] = [{"id": user_id} for user_id in app.users]
            rendered["group"] = [{"id": group_id} for group_id in app.groups]
            return scim.json_lookup(rendered)

        apps = [app for app in apps if scim.evaluate(node, lookup(app), case_sensitive=True)]
    page, cursor = paginate(apps, after=call.text("after"), limit=call.limit(maximum=APPS_MAX_LIMIT),
                            key=lambda app: app.seq)
    return call.page([apps_domain.render_app(org, app) for app in page], cursor)


@handles("getApplication")
def get_app(call: Call) -> Reply:
    return Reply(200, apps_domain.render_app(call.org, _app(call)))


# Scope grants

@handles("listScopeConsentGrants")
def list_grants(call: Call) -> Reply:
    app = _app(call)
    grants = sorted((grant for grant in app.grants.values() if visible(call.org, "grant", app.id, grant.id)),
                    key=lambda grant: grant.seq)
    return Reply(200, [apps_domain.render_grant(call.org, app, grant, embedded=False) for grant in grants])


@handles("grantConsentToScope")
def grant(call: Call) -> Reply:
    app = _app(call, consistent=True)
    created = apps_domain.grant_scope(call.org, app, call.json(), call.actor())
    return Reply(201, apps_domain.render_grant(call.org, app, created))


@handles("getScopeConsentGrant")
def get_grant(call: Call) -> Reply:
    app = _app(call)
    found = app.grants.get(call.params["grantId"])
    if found is None or not visible(call.org, "grant", app.id, found.id):
        raise not_found(f"{call.params['grantId']} (OAuth2ScopeConsentGrant)")
    return Reply(200, apps_domain.render_grant(call.org, app, found))


@handles("revokeScopeConsentGrant")
def revoke_grant(call: Call) -> Reply:
    apps_domain.revoke_grant(call.org, _app(call, consistent=True), call.params["grantId"], call.actor())
    return Reply(204)


# User assignments

@handles("listApplicationUsers")
def list_app_users(call: Call) -> Reply:
    app = _app(call)
    entries = apps_domain.app_user_entries(call.org, app, consistent=False)
    q = call.text("q")
    if q is not None:
        lowered = q.lower()
        entries = [entry for entry in entries if any(
            str(value or "").lower().startswith(lowered) for value in (
                entry[0].login, entry[0].profile.get("firstName"), entry[0].profile.get("lastName"),
                entry[0].profile.get("email")))]
    page, cursor = paginate(entries, after=call.text("after"), limit=call.limit(maximum=APP_USERS_MAX_LIMIT))
    return call.page([apps_domain.render_app_user(call.org, app, *entry) for entry in page], cursor)


@handles("assignUserToApplication")
def assign_user(call: Call) -> Reply:
    app = _app(call, consistent=True)
    body = call.json()
    user_id = body.get("id")
    if not isinstance(user_id, str) or not user_id:
        raise not_found("id (User)")
    user = users_domain.resolve(call.org, user_id, me=call.me, consistent=True)
    assignment = apps_domain.assign_user(call.org, app, user, body, call.actor())
    return Reply(200, apps_domain.render_app_user(call.org, app, user, "USER", assignment.created,
                                                  assignment.profile))


@handles("getApplicationUser")
def get_app_user(call: Call) -> Reply:
    app = _app(call)
    for entry in apps_domain.app_user_entries(call.org, app, consistent=False):
        if entry[0].id == call.params["userId"]:
            return Reply(200, apps_domain.render_app_user(call.org, app, *entry))
    raise not_found(f"{call.params['userId']} (AppUser)")


@handles("unassignUserFromApplication")
def unassign_user(call: Call) -> Reply:
    apps_domain.unassign_user(call.org, _app(call, consistent=True), call.params["userId"], call.actor())
    return Reply(204)


# Group assignments

@handles("listApplicationGroupAssignments")
def list_app_groups(call: Call) -> Reply:
    app = _app(call)
    assignments = sorted((assignment for assignment in app.groups.values()
                          if visible(call.org, "app_group", app.id, assignment.group_id)),
                         key=lambda assignment: assignment.seq)
    q = call.text("q")
    if q is not None:
        names = {group.id: group.name.lower() for group in call.org.groups}
        assignments = [a for a in assignments if names.get(a.group_id, "").startswith(q.lower())]
    page, cursor = paginate(assignments, after=call.text("after"), limit=call.limit(maximum=APP_GROUPS_MAX_LIMIT),
                            key=lambda assignment: assignment.seq)
    return call.page([apps_domain.render_group_assignment(call.org, app, a) for a in page], cursor)


@handles("getApplicationGroupAssignment")
def get_app_group(call: Call) -> Reply:
    app = _app(call)
    assignment = app.groups.get(call.params["groupId"])
    if assignment is None or not visible(call.org, "app_group", app.id, assignment.group_id):
        raise not_found(f"{call.params['groupId']} (ApplicationGroupAssignment)")
    return Reply(200, apps_domain.render_group_assignment(call.org, app, assignment))


@handles("assignGroupToApplication")
def assign_group(call: Call) -> Reply:
    app = _app(call, consistent=True)
    group = call.org.groups.get(call.params["groupId"])
    if group is None:
        raise not_found(f"{call.params['groupId']} (UserGroup)")
    assignment = apps_domain.assign_group(call.org, app, group, call.json(required=False), call.actor())
    return Reply(200, apps_domain.render_group_assignment(call.org, app, assignment))


@handles("unassignApplicationFromGroup")
def unassign_group(call: Call) -> Reply:
    apps_domain.unassign_group(call.org, _app(call, consistent=True), call.params["groupId"], call.actor())
    return Reply(204)


# Client secrets

@handles("listOAuth2ClientSecrets")
def list_secrets(call: Call) -> Reply:
    app = _app(call)
    if app.client_id is None:
        raise not_found(f"{app.id} (OAuth2Client)")
    return Reply(200, [apps_domain.render_secret(secret, _href(call, app), masked=False) for secret in app.secrets])


@handles("createOAuth2ClientSecret")
def create_secret(call: Call) -> Reply:
    app = _app(call, consistent=True)
    secret = apps_domain.add_client_secret(call.org, app, call.json(required=False), call.actor())
    return Reply(201, apps_domain.render_secret(secret, _href(call, app), masked=False))
