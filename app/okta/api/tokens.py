"""API token metadata. Okta has no API to create a token: a person does that in the Admin Console."""

from __future__ import annotations

from typing import Any

from app.okta.api.base import Area
from app.okta.models import ApiToken, NetworkZone

TOKENS = "/api/v1/api-tokens"
TOKEN = "/api/v1/api-tokens/{apiTokenId}"  # noqa: S105 - a path, not a secret
ZONE = "/api/v1/zones/{zoneId}"


class Tokens(Area):
    async def all(self) -> list[ApiToken]:
        return await self.collect(ApiToken, TOKENS)

    async def of_user(self, user_id: str) -> list[ApiToken]:
        return [token for token in await self.all() if token.userId == user_id]

    async def get(self, token_id: str, *, absent_ok: bool = False) -> ApiToken | None:
        return await self.lookup(ApiToken, TOKEN, {"apiTokenId": token_id}, absent_ok=absent_ok)

    async def set_network(self, token: ApiToken, network: dict[str, Any]) -> ApiToken:
        """The token's network condition, its name and owner sent as read: Okta's own tools (the
        recorded Terraform runs) send the owner with it; only a body Okta was seen to take is sent."""
        body: dict[str, Any] = {"name": token.name or "API token", "network": network}
        if token.userId:
            body["userId"] = token.userId
        response = await self.http.call("PUT", TOKEN, path_params={"apiTokenId": token.id}, json_body=body)
        return self.parse(ApiToken, response.data)

    async def zone(self, zone_id: str) -> NetworkZone | None:
        """A network zone a token is limited to, by its id (to name it)."""
        return await self.lookup(NetworkZone, ZONE, {"zoneId": zone_id}, absent_ok=False)

    async def revoke(self, token_id: str) -> None:
        await self.http.call("DELETE", TOKEN, path_params={"apiTokenId": token_id})
