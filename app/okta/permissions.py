"""What each Okta call we make needs: the admin role and the OAuth scope, so a 403 can say
exactly what is missing. Roles from Okta's docs and the api map; scopes from the spec."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Requirement:
    roles: str
    scope: str


_SUPER = "Super Administrator"
_READ = "Read-Only Administrator (or higher)"
_ORG = "Organization Administrator or Super Administrator"

REQUIREMENTS: dict[tuple[str, str], Requirement] = {
    ("GET", "/api/v1/users"): Requirement(_READ, "okta.users.read"),
    ("GET", "/api/v1/users/{userId}"): Requirement(_READ, "okta.users.read"),
    ("GET", "/api/v1/users/{userId}/groups"): Requirement(_READ, "okta.users.read"),
    ("POST", "/api/v1/users"): Requirement(_ORG, "okta.users.manage"),
    ("POST", "/api/v1/users/{userId}"): Requirement(_ORG, "okta.users.manage"),
    ("DELETE", "/api/v1/users/{userId}"): Requirement(_ORG, "okta.users.manage"),
    ("POST", "/api/v1/users/{userId}/lifecycle/activate"): Requirement(_ORG, "okta.users.manage"),
    ("POST", "/api/v1/users/{userId}/lifecycle/reactivate"): Requirement(_ORG, "okta.users.manage"),
    ("POST", "/api/v1/users/{userId}/lifecycle/deactivate"): Requirement(_ORG, "okta.users.manage"),
    ("GET", "/api/v1/users/{userId}/roles"): Requirement(_READ, "okta.roles.read"),
    ("POST", "/api/v1/users/{userId}/roles"): Requirement(_SUPER, "okta.roles.manage"),
    ("DELETE", "/api/v1/users/{userId}/roles/{roleAssignmentId}"): Requirement(_SUPER, "okta.roles.manage"),
    ("GET", "/api/v1/iam/roles"): Requirement(_READ, "okta.roles.read"),
    ("GET", "/api/v1/iam/roles/{roleIdOrLabel}"): Requirement(_READ, "okta.roles.read"),
    ("POST", "/api/v1/iam/roles"): Requirement(_SUPER, "okta.roles.manage"),
    ("DELETE", "/api/v1/iam/roles/{roleIdOrLabel}"): Requirement(_SUPER, "okta.roles.manage"),
    ("GET", "/api/v1/iam/roles/{roleIdOrLabel}/permissions"): Requirement(_READ, "okta.roles.read"),
    ("POST", "/api/v1/iam/roles/{roleIdOrLabel}/permissions/{permissionType}"):
        Requirement(_SUPER, "okta.roles.manage"),
    ("DELETE", "/api/v1/iam/roles/{roleIdOrLabel}/permissions/{permissionType}"):
        Requirement(_SUPER, "okta.roles.manage"),
    ("GET", "/api/v1/iam/resource-sets"): Requirement(_READ, "okta.roles.read"),
    ("GET", "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}"): Requirement(_READ, "okta.roles.read"),
    ("POST", "/api/v1/iam/resource-sets"): Requirement(_SUPER, "okta.roles.manage"),
    ("DELETE", "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}"): Requirement(_SUPER, "okta.roles.manage"),
    ("GET", "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/resources"): Requirement(_READ, "okta.roles.read"),
    ("PATCH", "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/resources"):
        Requirement(_SUPER, "okta.roles.manage"),
    ("GET", "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/bindings"): Requirement(_READ, "okta.roles.read"),
    ("POST", "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/bindings"): Requirement(_SUPER, "okta.roles.manage"),
    ("GET", "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/bindings/{roleIdOrLabel}/members"):
        Requirement(_READ, "okta.roles.read"),
    ("PATCH", "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/bindings/{roleIdOrLabel}/members"):
        Requirement(_SUPER, "okta.roles.manage"),
    ("DELETE", "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/bindings/{roleIdOrLabel}/members/{memberId}"):
        Requirement(_SUPER, "okta.roles.manage"),
    ("GET", "/api/v1/meta/schemas/user/{schemaId}"):
        Requirement("Organization, Application or API Access Management Administrator (Read-Only is not "
                    "enough)", "okta.schemas.read"),
    ("POST", "/api/v1/meta/schemas/user/{schemaId}"):
        Requirement("Organization, Application or API Access Management Administrator", "okta.schemas.manage"),
    ("GET", "/api/v1/meta/types/user"): Requirement(_READ, "okta.userTypes.read"),
    ("GET", "/api/v1/api-tokens"): Requirement(_SUPER, "okta.apiTokens.read"),
    ("GET", "/api/v1/api-tokens/{apiTokenId}"): Requirement(_SUPER, "okta.apiTokens.read"),
    ("PUT", "/api/v1/api-tokens/{apiTokenId}"): Requirement(_SUPER, "okta.apiTokens.manage"),
    ("DELETE", "/api/v1/api-tokens/{apiTokenId}"): Requirement(_SUPER, "okta.apiTokens.manage"),
    ("GET", "/api/v1/apps"): Requirement(_READ, "okta.apps.read"),
    ("GET", "/api/v1/apps/{appId}"): Requirement(_READ, "okta.apps.read"),
    ("GET", "/api/v1/apps/{appId}/grants"): Requirement(_READ, "okta.appGrants.read"),
    ("POST", "/api/v1/apps/{appId}/grants"): Requirement(_SUPER, "okta.appGrants.manage"),
    ("DELETE", "/api/v1/apps/{appId}/grants/{grantId}"): Requirement(_SUPER, "okta.appGrants.manage"),
    ("GET", "/api/v1/apps/{appId}/users"): Requirement(_READ, "okta.apps.read"),
    ("POST", "/api/v1/apps/{appId}/users"): Requirement(_ORG, "okta.apps.manage"),
    ("DELETE", "/api/v1/apps/{appId}/users/{userId}"): Requirement(_ORG, "okta.apps.manage"),
    ("GET", "/api/v1/apps/{appId}/groups"): Requirement(_READ, "okta.apps.read"),
    ("PUT", "/api/v1/apps/{appId}/groups/{groupId}"): Requirement(_ORG, "okta.apps.manage"),
    ("DELETE", "/api/v1/apps/{appId}/groups/{groupId}"): Requirement(_ORG, "okta.apps.manage"),
    ("GET", "/api/v1/apps/{appId}/credentials/secrets"): Requirement(_READ, "okta.apps.read"),
    ("POST", "/api/v1/apps/{appId}/credentials/secrets"): Requirement(_ORG, "okta.apps.manage"),
    ("GET", "/integrations/api/v1/api-services"): Requirement(_SUPER, "okta.oauthIntegrations.read"),
    ("GET", "/integrations/api/v1/api-services/{apiServiceId}"): Requirement(_SUPER, "okta.oauthIntegrations.read"),
    ("POST", "/integrations/api/v1/api-services"): Requirement(_SUPER, "okta.oauthIntegrations.manage"),
    ("DELETE", "/integrations/api/v1/api-services/{apiServiceId}"):
        Requirement(_SUPER, "okta.oauthIntegrations.manage"),
    ("GET", "/integrations/api/v1/api-services/{apiServiceId}/credentials/secrets"):
        Requirement(_SUPER, "okta.oauthIntegrations.read"),
    ("POST", "/integrations/api/v1/api-services/{apiServiceId}/credentials/secrets"):
        Requirement(_SUPER, "okta.oauthIntegrations.manage"),
    ("POST", "/integrations/api/v1/api-services/{apiServiceId}/credentials/secrets/{secretId}/lifecycle/deactivate"):
        Requirement(_SUPER, "okta.oauthIntegrations.manage"),
    ("DELETE", "/integrations/api/v1/api-services/{apiServiceId}/credentials/secrets/{secretId}"):
        Requirement(_SUPER, "okta.oauthIntegrations.manage"),
    ("GET", "/api/v1/logStreams"): Requirement(_SUPER, "okta.logStreams.read"),
    ("GET", "/api/v1/logStreams/{logStreamId}"): Requirement(_SUPER, "okta.logStreams.read"),
    ("POST", "/api/v1/logStreams"): Requirement(_SUPER, "okta.logStreams.manage"),
    ("DELETE", "/api/v1/logStreams/{logStreamId}"): Requirement(_SUPER, "okta.logStreams.manage"),
    ("POST", "/api/v1/logStreams/{logStreamId}/lifecycle/deactivate"):
        Requirement(_SUPER, "okta.logStreams.manage"),
    ("GET", "/api/v1/logs"): Requirement(_READ, "okta.logs.read"),
    ("GET", "/api/v1/groups"): Requirement(_READ, "okta.groups.read"),
    ("GET", "/api/v1/groups/{groupId}"): Requirement(_READ, "okta.groups.read"),
    ("GET", "/api/v1/org"): Requirement(_READ, "okta.orgs.read"),
    ("GET", "/api/v1/domains"): Requirement(_READ, "okta.domains.read"),
    ("GET", "/api/v1/zones/{zoneId}"): Requirement(_READ, "okta.networkZones.read"),
}


def requirement_for(method: str, template: str) -> Requirement | None:
    return REQUIREMENTS.get((method.upper(), template))
