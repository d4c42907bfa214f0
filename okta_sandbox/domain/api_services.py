"""API service integrations (OIN "API Services" apps such as Authomize) and their OAuth clients.

Installing one (``POST /integrations/api/v1/api-services``) grants it the scopes asked for, which
must be among the scopes the catalog entry allows, and returns the client secret once, in that
response only. The integration's id is its OAuth client id for ``/oauth2/v1/token``.

Catalog keys are Okta's own and are not derived from the display name (a recorded one: "Anzenna"
is ``anzennaapiservice``). The sandbox's Authomize entry therefore uses a key other than the
playbook's default guess, so the wizard's tests meet the refusal a wrong key gets on a real org.

Client secrets (at most two): ``POST .../credentials/secrets`` makes one and shows its value in that
answer only; a secret is deactivated, then deleted (an active one cannot be deleted)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from okta_sandbox import ids
from okta_sandbox.domain import apps as apps_domain
from okta_sandbox.domain import syslog
from okta_sandbox.domain.actors import Actor
from okta_sandbox.entities import ApiServiceIntegration, ClientSecret, Json
from okta_sandbox.errors import not_found, validation_failed
from okta_sandbox.scopes import SPEC_SCOPES
from okta_sandbox.tables import next_seq
from okta_sandbox.timestamps import iso

if TYPE_CHECKING:
    from okta_sandbox.org import SandboxOrg


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    type: str
    name: str
    scopes: frozenset[str]
    config_guide_url: str


# Authomize's key in the sandbox's catalog: realistic in form (compare ``anzennaapiservice``) and
# deliberately not the playbook's default, which is a guess made from the display name.
AUTHOMIZE_TYPE = "authomizeapiservice"


def authomize_entry() -> CatalogEntry:
    return CatalogEntry(
        type=AUTHOMIZE_TYPE,
        name="Authomize Identity Security",
        scopes=frozenset({"okta.users.read", "okta.idps.read", "okta.roles.read", "okta.groups.read",
                          "okta.apps.read", "okta.logs.read", "okta.policies.read", "okta.authorizationServers.read"}),
        config_guide_url="https://docs.authomize.com/okta-configuration-guide",
    )


def integration_target(integration: ApiServiceIntegration) -> Json:
    return syslog.target(integration.id, "AppInstance", integration.name, integration.name)


def install(org: SandboxOrg, body: Mapping[str, Any], actor: Actor) -> tuple[ApiServiceIntegration, ClientSecret]:
    integration_type = body.get("type")
    if not isinstance(integration_type, str) or not integration_type:
        raise validation_failed("type", "type: The field cannot be left blank")
    entry = org.api_service_catalog.get(integration_type)
    if entry is None:
        raise validation_failed("type", f"type: No API service integration with the type '{integration_type}'"
                                        " exists in the Okta Integration Network catalog.")
    scopes = body.get("grantedScopes")
    if not isinstance(scopes, list) or not scopes or not all(isinstance(scope, str) for scope in scopes):
        raise validation_failed("grantedScopes", "grantedScopes: At least one scope is required.")
    unknown = [scope for scope in scopes if scope not in SPEC_SCOPES]
    if unknown:
        raise validation_failed("grantedScopes", f"grantedScopes: Unknown scope(s): {', '.join(unknown)}.")
    not_allowed = [scope for scope in scopes if scope not in entry.scopes]
    if not_allowed:
        raise validation_failed("grantedScopes", f"grantedScopes: {entry.name} can't be granted"
                                                 f" {', '.join(not_allowed)}.")
    properties = body.get("properties")
    if properties is not None and not isinstance(properties, Mapping):
        raise validation_failed("properties", "properties: must be an object.")
    secret = apps_domain.new_secret(org)
    integration = ApiServiceIntegration(
        id=ids.okta_id(ids.APP), seq=next_seq(), type=entry.type, name=entry.name, created_at=org.clock.now(),
        created_by=actor.id, granted_scopes=list(dict.fromkeys(scopes)), config_guide_url=entry.config_guide_url,
        properties=dict(properties) if properties else None, secrets=[secret])
    org.api_services.add(integration)
    syslog.record(org, actor, "application.lifecycle.create", "Add API service integration",
                  [integration_target(integration)])
    return integration, secret


def uninstall(org: SandboxOrg, integration: ApiServiceIntegration, actor: Actor) -> None:
    org.api_services.remove(integration.id)
    # The integration's access tokens stop working with it.
    for token_hash in [key for key, token in org.access_tokens.items() if token.client_id == integration.id]:
        del org.access_tokens[token_hash]
    syslog.record(org, actor, "application.lifecycle.delete", "Delete API service integration",
                  [integration_target(integration)])


def add_secret(org: SandboxOrg, integration: ApiServiceIntegration, actor: Actor) -> ClientSecret:
    apps_domain.check_new_secret({}, len(integration.secrets))
    secret = apps_domain.new_secret(org)
    integration.secrets.append(secret)
    syslog.record(org, actor, "app.oauth2.credentials.lifecycle.create", "Create an OAuth client secret",
                  [integration_target(integration)])
    return secret


def find_secret(integration: ApiServiceIntegration, secret_id: str) -> ClientSecret:
    for secret in integration.secrets:
        if secret.id == secret_id:
            return secret
    raise not_found(f"{secret_id} (ApiServiceIntegrationInstanceSecret)")


def set_secret_status(org: SandboxOrg, integration: ApiServiceIntegration, secret: ClientSecret, status: str,
                      actor: Actor) -> ClientSecret:
    if secret.status != status:
        secret.status = status
        secret.last_updated = org.clock.now()
        verb = "activate" if status == "ACTIVE" else "deactivate"
        syslog.record(org, actor, f"app.oauth2.credentials.lifecycle.{verb}",
                      f"{verb.capitalize()} an OAuth client secret", [integration_target(integration)])
    return secret


def delete_secret(org: SandboxOrg, integration: ApiServiceIntegration, secret: ClientSecret, actor: Actor) -> None:
    if secret.status == "ACTIVE":
        raise validation_failed("secretId", "secretId: An active client secret can't be deleted; deactivate it first.")
    integration.secrets.remove(secret)
    syslog.record(org, actor, "app.oauth2.credentials.lifecycle.delete", "Delete an OAuth client secret",
                  [integration_target(integration)])


def href(org: SandboxOrg, integration: ApiServiceIntegration) -> str:
    return f"{org.base_url}/integrations/api/v1/api-services/{integration.id}"


def render(org: SandboxOrg, integration: ApiServiceIntegration, *, client_secret: str | None = None) -> Json:
    rendered: Json = {
        "id": integration.id, "type": integration.type, "name": integration.name,
        "createdAt": iso(integration.created_at), "createdBy": integration.created_by,
        "grantedScopes": list(integration.granted_scopes), "configGuideUrl": integration.config_guide_url,
        "_links": {
            "self": {"href": href(org, integration), "hints": {"allow": ["GET", "DELETE"]}},
            "client": {"href": f"{org.base_url}/oauth2/v1/clients/{integration.id}", "hints": {"allow": ["GET"]}},
            "logo": {"name": "small", "href": f"{org.base_url}/assets/img/logos/{integration.type}_small_logo.png"},
        },
    }
    if integration.properties:
        rendered["properties"] = dict(integration.properties)
    if client_secret is not None:
        rendered["clientSecret"] = client_secret
    return rendered
