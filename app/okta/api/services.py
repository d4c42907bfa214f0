"""API service integrations from the Okta Integration Network (e.g. Authomize)."""

from __future__ import annotations

from app.okta.api.base import Area
from app.okta.models import ApiServiceIntegration, ApiServiceIntegrationSecret
from app.vault import Secret

SERVICES = "/integrations/api/v1/api-services"
SERVICE = "/integrations/api/v1/api-services/{apiServiceId}"
SECRETS = SERVICE + "/credentials/secrets"
SECRET = SECRETS + "/{secretId}"


class Services(Area):
    async def all(self) -> list[ApiServiceIntegration]:
        return await self.collect(ApiServiceIntegration, SERVICES)

    async def get(self, service_id: str, *, absent_ok: bool = False) -> ApiServiceIntegration | None:
        return await self.lookup(ApiServiceIntegration, SERVICE, {"apiServiceId": service_id}, absent_ok=absent_ok)

    async def install(self, type_key: str, scopes: list[str]) -> tuple[ApiServiceIntegration, Secret]:
        """Install; the client secret comes back only in this response, as a Secret."""
        response = await self.http.call("POST", SERVICES, json_body={"type": type_key, "grantedScopes": scopes})
        data = dict(response.data) if isinstance(response.data, dict) else {}
        secret = Secret(str(data.pop("clientSecret", "")))
        return self.parse(ApiServiceIntegration, data), secret

    async def uninstall(self, service_id: str) -> None:
        await self.http.call("DELETE", SERVICE, path_params={"apiServiceId": service_id})

    async def new_client_secret(self, service_id: str) -> tuple[str, Secret]:
        """A new system-generated client secret for an installed integration (at most two may
        exist); returns its id and the value, which Okta shows only in this response."""
        response = await self.http.call("POST", SECRETS, path_params={"apiServiceId": service_id})
        data = response.data if isinstance(response.data, dict) else {}
        return str(data.get("id", "")), Secret(str(data.get("client_secret", "")))

    async def client_secrets(self, service_id: str) -> list[ApiServiceIntegrationSecret]:
        """The integration's client secrets (values masked: Okta shows a value only when made)."""
        response = await self.http.call("GET", SECRETS, path_params={"apiServiceId": service_id})
        return self.parse_list(ApiServiceIntegrationSecret, response.data)

    async def deactivate_client_secret(self, service_id: str, secret_id: str) -> None:
        await self.http.call("POST", SECRET + "/lifecycle/deactivate",
                             path_params={"apiServiceId": service_id, "secretId": secret_id})

    async def delete_client_secret(self, service_id: str, secret_id: str) -> None:
        """Delete a secret; Okta deletes only inactive ones, so deactivate it first."""
        await self.http.call("DELETE", SECRET, path_params={"apiServiceId": service_id, "secretId": secret_id})
