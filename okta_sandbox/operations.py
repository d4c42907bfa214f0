"""The Okta Management API operations the sandbox serves: one row per operation, as Okta's spec
names it, with the OAuth scope the spec requires and the spec's ``x-okta-iam-admin-roles``.

This table is the single list of what the sandbox implements. The router binds a handler to each
row by ``operation_id``; ``scripts/cut_okta_spec.py`` cuts exactly these operations out of Okta's
spec into ``spec/okta/management-subset.yaml``; and a test checks every row's scope and admin roles
against that cut, so the table cannot drift from the spec. It imports nothing heavy on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    method: str
    path: str
    # The spec's `oauth2` scope for the operation; None where the spec allows no OAuth access
    # (the unauthenticated well-known document, and revoking the current SSWS token).
    scope: str | None
    # The spec's `x-okta-iam-admin-roles`: when present, only these standard roles (and
    # SUPER_ADMIN) may call the operation, whatever permissions a principal holds otherwise.
    admin_roles: tuple[str, ...] | None = None


_SCHEMA_ADMINS = ("API_ACCESS_MANAGEMENT_ADMIN", "APP_ADMIN", "ORG_ADMIN")
_RS = "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}"
_BINDING = _RS + "/bindings/{roleIdOrLabel}"
_ROLE = "/api/v1/iam/roles/{roleIdOrLabel}"
_APP = "/api/v1/apps/{appId}"
_API_SERVICE = "/integrations/api/v1/api-services/{apiServiceId}"

OPERATIONS: tuple[Operation, ...] = (
    # Org
    Operation("getWellknownOrgMetadata", "GET", "/.well-known/okta-organization", None),
    Operation("getOrgSettings", "GET", "/api/v1/org", "okta.orgs.read"),
    Operation("listCustomDomains", "GET", "/api/v1/domains", "okta.domains.read"),
    # Users
    Operation("createUser", "POST", "/api/v1/users", "okta.users.manage"),
    Operation("listUsers", "GET", "/api/v1/users", "okta.users.read"),
    Operation("getUser", "GET", "/api/v1/users/{id}", "okta.users.read"),
    Operation("updateUser", "POST", "/api/v1/users/{id}", "okta.users.manage"),
    Operation("deleteUser", "DELETE", "/api/v1/users/{id}", "okta.users.manage"),
    Operation("activateUser", "POST", "/api/v1/users/{id}/lifecycle/activate", "okta.users.manage"),
    Operation("reactivateUser", "POST", "/api/v1/users/{id}/lifecycle/reactivate", "okta.users.manage"),
    Operation("deactivateUser", "POST", "/api/v1/users/{id}/lifecycle/deactivate", "okta.users.manage"),
    Operation("listUserGroups", "GET", "/api/v1/users/{id}/groups", "okta.users.read"),
    # Role assignments of a user (standard and custom)
    Operation("listAssignedRolesForUser", "GET", "/api/v1/users/{userId}/roles", "okta.roles.read"),
    Operation("assignRoleToUser", "POST", "/api/v1/users/{userId}/roles", "okta.roles.manage"),
    Operation("getUserAssignedRole", "GET", "/api/v1/users/{userId}/roles/{roleAssignmentId}", "okta.roles.read"),
    Operation("unassignRoleFromUser", "DELETE", "/api/v1/users/{userId}/roles/{roleAssignmentId}",
              "okta.roles.manage"),
    # Custom roles
    Operation("listRoles", "GET", "/api/v1/iam/roles", "okta.roles.read"),
    Operation("createRole", "POST", "/api/v1/iam/roles", "okta.roles.manage"),
    Operation("getRole", "GET", _ROLE, "okta.roles.read"),
    Operation("replaceRole", "PUT", _ROLE, "okta.roles.manage"),
    Operation("deleteRole", "DELETE", _ROLE, "okta.roles.manage"),
    Operation("listRolePermissions", "GET", _ROLE + "/permissions", "okta.roles.read"),
    Operation("getRolePermission", "GET", _ROLE + "/permissions/{permissionType}", "okta.roles.read"),
    Operation("createRolePermission", "POST", _ROLE + "/permissions/{permissionType}", "okta.roles.manage"),
    Operation("deleteRolePermission", "DELETE", _ROLE + "/permissions/{permissionType}", "okta.roles.manage"),
    # Resource sets, their resources and bindings
    Operation("listResourceSets", "GET", "/api/v1/iam/resource-sets", "okta.roles.read"),
    Operation("createResourceSet", "POST", "/api/v1/iam/resource-sets", "okta.roles.manage"),
    Operation("getResourceSet", "GET", _RS, "okta.roles.read"),
    Operation("replaceResourceSet", "PUT", _RS, "okta.roles.manage"),
    Operation("deleteResourceSet", "DELETE", _RS, "okta.roles.manage"),
    Operation("listResourceSetResources", "GET", _RS + "/resources", "okta.roles.read"),
    Operation("addResourceSetResources", "PATCH", _RS + "/resources", "okta.roles.manage"),
    Operation("deleteResourceSetResource", "DELETE", _RS + "/resources/{resourceId}", "okta.roles.manage"),
    Operation("listBindings", "GET", _RS + "/bindings", "okta.roles.read"),
    Operation("createResourceSetBinding", "POST", _RS + "/bindings", "okta.roles.manage"),
    Operation("getBinding", "GET", _BINDING, "okta.roles.read"),
    Operation("deleteBinding", "DELETE", _BINDING, "okta.roles.manage"),
    Operation("listMembersOfBinding", "GET", _BINDING + "/members", "okta.roles.read"),
    Operation("addMembersToBinding", "PATCH", _BINDING + "/members", "okta.roles.manage"),
    Operation("getMemberOfBinding", "GET", _BINDING + "/members/{memberId}", "okta.roles.read"),
    Operation("unassignMemberFromBinding", "DELETE", _BINDING + "/members/{memberId}", "okta.roles.manage"),
    # User schema and types
    Operation("getUserSchema", "GET", "/api/v1/meta/schemas/user/{schemaId}", "okta.schemas.read", _SCHEMA_ADMINS),
    Operation("updateUserProfile", "POST", "/api/v1/meta/schemas/user/{schemaId}", "okta.schemas.manage",
              ("API_ACCESS_MANAGEMENT_ADMIN", "ORG_ADMIN", "APP_ADMIN")),
    Operation("listUserTypes", "GET", "/api/v1/meta/types/user", "okta.userTypes.read"),
    # API tokens (no create: tokens are made in the Admin Console only)
    Operation("listApiTokens", "GET", "/api/v1/api-tokens", "okta.apiTokens.read"),
    Operation("revokeCurrentApiToken", "DELETE", "/api/v1/api-tokens/current", None),
    Operation("getApiToken", "GET", "/api/v1/api-tokens/{apiTokenId}", "okta.apiTokens.read"),
    Operation("upsertApiToken", "PUT", "/api/v1/api-tokens/{apiTokenId}", "okta.apiTokens.manage"),
    Operation("revokeApiToken", "DELETE", "/api/v1/api-tokens/{apiTokenId}", "okta.apiTokens.manage"),
    # Applications: lookup, scope grants, assignments, client secrets
    Operation("listApplications", "GET", "/api/v1/apps", "okta.apps.read"),
    Operation("getApplication", "GET", _APP, "okta.apps.read"),
    Operation("listScopeConsentGrants", "GET", _APP + "/grants", "okta.appGrants.read"),
    Operation("grantConsentToScope", "POST", _APP + "/grants", "okta.appGrants.manage"),
    Operation("getScopeConsentGrant", "GET", _APP + "/grants/{grantId}", "okta.appGrants.read"),
    Operation("revokeScopeConsentGrant", "DELETE", _APP + "/grants/{grantId}", "okta.appGrants.manage"),
    Operation("listApplicationUsers", "GET", _APP + "/users", "okta.apps.read"),
    Operation("assignUserToApplication", "POST", _APP + "/users", "okta.apps.manage"),
    Operation("getApplicationUser", "GET", _APP + "/users/{userId}", "okta.apps.read"),
    Operation("unassignUserFromApplication", "DELETE", _APP + "/users/{userId}", "okta.apps.manage"),
    Operation("listApplicationGroupAssignments", "GET", _APP + "/groups", "okta.apps.read"),
    Operation("getApplicationGroupAssignment", "GET", _APP + "/groups/{groupId}", "okta.apps.read"),
    Operation("assignGroupToApplication", "PUT", _APP + "/groups/{groupId}", "okta.apps.manage"),
    Operation("unassignApplicationFromGroup", "DELETE", _APP + "/groups/{groupId}", "okta.apps.manage"),
    Operation("listOAuth2ClientSecrets", "GET", _APP + "/credentials/secrets", "okta.apps.read"),
    Operation("createOAuth2ClientSecret", "POST", _APP + "/credentials/secrets", "okta.apps.manage"),
    # API service integrations (OIN)
    Operation("listApiServiceIntegrationInstances", "GET", "/integrations/api/v1/api-services",
              "okta.oauthIntegrations.read"),
    Operation("createApiServiceIntegrationInstance", "POST", "/integrations/api/v1/api-services",
              "okta.oauthIntegrations.manage"),
    Operation("getApiServiceIntegrationInstance", "GET", _API_SERVICE, "okta.oauthIntegrations.read"),
    Operation("deleteApiServiceIntegrationInstance", "DELETE", _API_SERVICE, "okta.oauthIntegrations.manage"),
    Operation("listApiServiceIntegrationInstanceSecrets", "GET", _API_SERVICE + "/credentials/secrets",
              "okta.oauthIntegrations.read"),
    Operation("createApiServiceIntegrationInstanceSecret", "POST", _API_SERVICE + "/credentials/secrets",
              "okta.oauthIntegrations.manage"),
    Operation("deleteApiServiceIntegrationInstanceSecret", "DELETE", _API_SERVICE + "/credentials/secrets/{secretId}",
              "okta.oauthIntegrations.manage"),
    Operation("activateApiServiceIntegrationInstanceSecret", "POST",
              _API_SERVICE + "/credentials/secrets/{secretId}/lifecycle/activate", "okta.oauthIntegrations.manage"),
    Operation("deactivateApiServiceIntegrationInstanceSecret", "POST",
              _API_SERVICE + "/credentials/secrets/{secretId}/lifecycle/deactivate", "okta.oauthIntegrations.manage"),
    # Log streams
    Operation("listLogStreams", "GET", "/api/v1/logStreams", "okta.logStreams.read"),
    Operation("createLogStream", "POST", "/api/v1/logStreams", "okta.logStreams.manage"),
    Operation("getLogStream", "GET", "/api/v1/logStreams/{logStreamId}", "okta.logStreams.read"),
    Operation("replaceLogStream", "PUT", "/api/v1/logStreams/{logStreamId}", "okta.logStreams.manage"),
    Operation("deleteLogStream", "DELETE", "/api/v1/logStreams/{logStreamId}", "okta.logStreams.manage"),
    Operation("activateLogStream", "POST", "/api/v1/logStreams/{logStreamId}/lifecycle/activate",
              "okta.logStreams.manage"),
    Operation("deactivateLogStream", "POST", "/api/v1/logStreams/{logStreamId}/lifecycle/deactivate",
              "okta.logStreams.manage"),
    # System Log
    Operation("listLogEvents", "GET", "/api/v1/logs", "okta.logs.read"),
    # Groups
    Operation("listGroups", "GET", "/api/v1/groups", "okta.groups.read"),
    Operation("getGroup", "GET", "/api/v1/groups/{groupId}", "okta.groups.read"),
    Operation("listGroupUsers", "GET", "/api/v1/groups/{groupId}/users", "okta.groups.read"),
    # Network zones (read only: a zone-limited token's zones, named)
    Operation("getNetworkZone", "GET", "/api/v1/zones/{zoneId}", "okta.networkZones.read"),
)

OPERATIONS_BY_ID: dict[str, Operation] = {op.operation_id: op for op in OPERATIONS}
