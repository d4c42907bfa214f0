"""The user profile schema (custom attributes, base attribute permissions) and user types."""

from __future__ import annotations

from typing import Any

from app.okta.api.base import Area
from app.okta.models import UserSchema, UserType

SCHEMA = "/api/v1/meta/schemas/user/{schemaId}"


class Schemas(Area):
    async def user_schema(self, schema_id: str = "default") -> UserSchema:
        return self.parse(UserSchema, (await self.http.call("GET", SCHEMA, path_params={"schemaId": schema_id})).data)

    async def update_user_schema(self, body: dict[str, Any], schema_id: str = "default") -> UserSchema:
        """A partial update: properties the body does not mention are left as they are."""
        response = await self.http.call("POST", SCHEMA, path_params={"schemaId": schema_id}, json_body=body)
        return self.parse(UserSchema, response.data)

    async def add_custom_properties(self, properties: dict[str, dict[str, Any]],
                                    schema_id: str = "default") -> UserSchema:
        return await self.update_user_schema({"definitions": {"custom": {"properties": properties}}}, schema_id)

    async def remove_custom_properties(self, names: list[str], schema_id: str = "default") -> UserSchema:
        return await self.update_user_schema(
            {"definitions": {"custom": {"properties": {name: None for name in names}}}}, schema_id)

    async def set_base_permission(self, name: str, current: dict[str, Any], action: str,
                                  schema_id: str = "default") -> UserSchema:
        """Change only the end user's permission on a base attribute, resending its title and type
        as they are (Okta requires them) and nothing else."""
        attribute: dict[str, Any] = {key: current[key] for key in ("title", "type") if key in current}
        attribute["permissions"] = [{"principal": "SELF", "action": action}]
        return await self.update_user_schema({"definitions": {"base": {"properties": {name: attribute}}}}, schema_id)

    async def user_types(self) -> list[UserType]:
        return self.parse_list(UserType, (await self.http.call("GET", "/api/v1/meta/types/user")).data)
