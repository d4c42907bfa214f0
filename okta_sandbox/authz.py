"""Who is calling and what they may do.

Authentication: ``Authorization: SSWS <token>`` (an API token, acting as its owner) or
``Authorization: Bearer <access token>`` from ``/oauth2/v1/token``. A missing, unknown, expired or
revoked credential is 401 E0000011.

Authorization, for a token's owner, uses the owner's roles *at the time of the call*, so removing
Super Admin from the owner takes the token's powers away at once:

1. SUPER_ADMIN may call everything.
2. Operations that carry the spec's ``x-okta-iam-admin-roles`` (the user schema, for one) allow
   exactly those standard roles.
3. Otherwise the operation's OAuth scope must be among the scopes the caller's standard roles grant
   (``STANDARD_ROLE_SCOPES``: a summary of Okta's standard-role documentation; only SUPER_ADMIN has
   ``okta.roles.manage``, ``okta.appGrants.manage``, ``okta.logStreams.*`` and
   ``okta.oauthIntegrations.manage``), or among those its custom roles grant
   (``PERMISSION_SCOPES``). A custom role's permission counts only when its resource set holds a
   resource of the matching kind (users, groups, apps, or the IAM resources), the resource-set
   check simplified to kinds rather than individual objects.
4. Anyone may read their own user (``GET /api/v1/users/me``).

For an OAuth access token the operation's scope must be one of the token's scopes; no admin role
is involved (an API service integration acts through its granted scopes). A refusal is 403
E0000006, with Okta's ``WWW-Authenticate: Bearer … insufficient_scope`` header for OAuth callers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from okta_sandbox.domain import oauth, roles, tokens
from okta_sandbox.errors import access_denied, invalid_token
from okta_sandbox.operations import Operation

if TYPE_CHECKING:
    from okta_sandbox.org import SandboxOrg

_READ = ("okta.users.read", "okta.groups.read", "okta.apps.read", "okta.orgs.read", "okta.userTypes.read",
         "okta.domains.read")
STANDARD_ROLE_SCOPES: dict[str, frozenset[str]] = {
    "ORG_ADMIN": frozenset({*_READ, "okta.users.manage", "okta.groups.manage", "okta.apps.manage",
                            "okta.userTypes.manage", "okta.roles.read", "okta.logs.read", "okta.appGrants.read",
                            "okta.oauthIntegrations.read", "okta.apiTokens.read", "okta.apiTokens.manage"}),
    "APP_ADMIN": frozenset({*_READ, "okta.apps.manage", "okta.appGrants.read", "okta.oauthIntegrations.read",
                            "okta.apiTokens.read", "okta.apiTokens.manage"}),
    "USER_ADMIN": frozenset({*_READ, "okta.users.manage", "okta.apiTokens.read", "okta.apiTokens.manage"}),
    "HELP_DESK_ADMIN": frozenset({*_READ, "okta.apiTokens.read", "okta.apiTokens.manage"}),
    "READ_ONLY_ADMIN": frozenset({*_READ, "okta.roles.read", "okta.logs.read", "okta.appGrants.read",
                                  "okta.oauthIntegrations.read", "okta.apiTokens.read", "okta.apiTokens.manage"}),
    "API_ACCESS_MANAGEMENT_ADMIN": frozenset({*_READ, "okta.appGrants.read", "okta.apiTokens.read",
                                              "okta.apiTokens.manage"}),
    "REPORT_ADMIN": frozenset({"okta.orgs.read", "okta.logs.read", "okta.users.read", "okta.groups.read",
                               "okta.apps.read", "okta.apiTokens.read", "okta.apiTokens.manage"}),
    "GROUP_MEMBERSHIP_ADMIN": frozenset({"okta.orgs.read", "okta.users.read", "okta.groups.read",
                                         "okta.apiTokens.read", "okta.apiTokens.manage"}),
    "MOBILE_ADMIN": frozenset({"okta.orgs.read"}),
    "WORKFLOWS_ADMIN": frozenset({"okta.orgs.read"}),
    "ACCESS_CERTIFICATIONS_ADMIN": frozenset({"okta.orgs.read"}),
    "ACCESS_REQUESTS_ADMIN": frozenset({"okta.orgs.read"}),
}

# Custom-role permission -> (resource kind it needs in the resource set, scopes it grants,
# operations it allows beyond those scopes).
PERMISSION_SCOPES: dict[str, tuple[str, frozenset[str], frozenset[str]]] = {
    "okta.users.read": ("users", frozenset({"okta.users.read"}), frozenset()),
    "okta.users.manage": ("users", frozenset({"okta.users.read", "okta.users.manage"}), frozenset()),
    "okta.users.create": ("users", frozenset({"okta.users.read"}), frozenset({"createUser"})),
    "okta.users.userprofile.manage": ("users", frozenset({"okta.users.read"}), frozenset({"updateUser"})),
    "okta.users.lifecycle.manage": ("users", frozenset({"okta.users.read"}),
                                    frozenset({"activateUser", "deactivateUser", "deleteUser"})),
    "okta.users.lifecycle.activate": ("users", frozenset({"okta.users.read"}), frozenset({"activateUser"})),
    "okta.users.lifecycle.deactivate": ("users", frozenset({"okta.users.read"}), frozenset({"deactivateUser"})),
    "okta.users.lifecycle.delete": ("users", frozenset({"okta.users.read"}), frozenset({"deleteUser"})),
    "okta.users.credentials.manage": ("users", frozenset({"okta.users.read"}), frozenset()),
    "okta.users.groupMembership.manage": ("users", frozenset({"okta.users.read"}), frozenset()),
    "okta.users.appAssignment.manage": ("users", frozenset({"okta.users.read"}), frozenset()),
    "okta.groups.read": ("groups", frozenset({"okta.groups.read"}), frozenset()),
    "okta.groups.manage": ("groups", frozenset({"okta.groups.read", "okta.groups.manage"}), frozenset()),
    "okta.groups.members.manage": ("groups", frozenset({"okta.groups.read"}), frozenset()),
    "okta.apps.read": ("apps", frozenset({"okta.apps.read", "okta.appGrants.read"}), frozenset()),
    "okta.apps.manage": ("apps", frozenset({"okta.apps.read", "okta.apps.manage", "okta.appGrants.read"}),
                         frozenset()),
    "okta.apps.assignment.manage": ("apps", frozenset({"okta.apps.read"}), frozenset({
        "assignUserToApplication", "unassignUserFromApplication", "assignGroupToApplication",
        "unassignApplicationFromGroup"})),
    "okta.iam.read": ("iam", frozenset({"okta.roles.read"}), frozenset()),
}


@dataclass(frozen=True, slots=True)
class Principal:
    kind: str  # "user" (an API token's owner) or "client" (an OAuth access token's client)
    id: str
    api_token_id: str | None = None
    scopes: frozenset[str] | None = None

    @property
    def user_id(self) -> str | None:
        return self.id if self.kind == "user" else None


def authenticate(org: SandboxOrg, authorization: str | None) -> Principal:
    scheme, _, credential = (authorization or "").strip().partition(" ")
    credential = credential.strip()
    if not credential:
        raise invalid_token()
    if scheme.upper() == "SSWS":
        token = tokens.authenticate(org, credential)
        owner = org.users.get(token.user_id) if token else None
        if token is None or owner is None or owner.status not in ("ACTIVE", "PASSWORD_EXPIRED"):
            raise invalid_token()
        return Principal("user", owner.id, api_token_id=token.id)
    if scheme.lower() == "bearer":
        access = oauth.authenticate(org, credential)
        if access is None:
            raise invalid_token()
        return Principal("client", access.client_id, scopes=access.scopes)
    raise invalid_token()


def is_super_admin(org: SandboxOrg, principal: Principal) -> bool:
    return principal.kind == "user" and "SUPER_ADMIN" in roles.standard_types(org, principal.id)


def _user_scopes(org: SandboxOrg, user_id: str, operation: Operation) -> bool:
    standard = roles.standard_types(org, user_id)
    if "SUPER_ADMIN" in standard:
        return True
    if operation.admin_roles is not None:
        return bool(standard & set(operation.admin_roles))
    if operation.scope is None:
        # Only revoking one's own current token has no scope: any token may do that.
        return operation.operation_id == "revokeCurrentApiToken"
    if any(operation.scope in STANDARD_ROLE_SCOPES.get(role, frozenset()) for role in standard):
        return True
    for role, resource_set in roles.custom_grants(org, user_id):
        kinds = {_kind(resource.orn) for resource in resource_set.resources.values()}
        for permission in role.permissions:
            kind, scopes, operations = PERMISSION_SCOPES.get(permission, ("", frozenset(), frozenset()))
            if kind in kinds and (operation.scope in scopes or operation.operation_id in operations):
                return True
    return False


def _kind(orn: str) -> str:
    parts = orn.split(":")
    if parts[2:3] == ["iam"]:
        return "iam"
    if parts[2:3] == ["idp"]:
        return "apps"
    rest = parts[4:]
    if rest == ["users"] or (len(rest) == 3 and rest[2] == "contained_resources"):
        return "users"
    return "groups"


def authorize(org: SandboxOrg, principal: Principal, operation: Operation, *, reads_self: bool = False) -> None:
    if principal.kind == "client":
        if operation.scope is not None and operation.scope in (principal.scopes or frozenset()):
            return
        challenge = (f'Bearer authorization_uri="{org.base_url}/oauth2/v1/authorize", realm="IdpAuthorizationServer",'
                     f' scope="{operation.scope or ""}", error="insufficient_scope",'
                     ' error_description="The access token provided does not contain the required scopes.",'
                     f' resource="{operation.path}"')
        raise access_denied(headers={"WWW-Authenticate": challenge})
    if reads_self or _user_scopes(org, principal.id, operation):
        return
    raise access_denied()

