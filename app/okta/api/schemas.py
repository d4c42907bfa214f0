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
        return await self.update_user_schema(_definitions("custom", properties), schema_id)

    async def remove_custom_properties(self, names: list[str], schema_id: str = "default") -> UserSchema:
        return await self.write_custom_properties({name: None for name in names}, schema_id)

    async def write_custom_properties(self, properties: dict[str, dict[str, Any] | None],
                                      schema_id: str = "default") -> UserSchema:
        """Add or replace custom properties (whole definitions) and remove others (None), in one update."""
        return await self.update_user_schema(_definitions("custom", properties), schema_id)

    async def set_base_permission(self, name: str, current: dict[str, Any], action: str,
                                  schema_id: str = "default") -> UserSchema:
        """Change only the end user's permission on a base attribute, resending its title, type,
        ``required`` and ``master`` as they are: Okta's own tools (the Terraform provider) send
        exactly these, so a base property is never made optional or remastered by omission."""
        attribute: dict[str, Any] = {key: current[key] for key in ("title", "type") if key in current}
        attribute["required"] = bool(current.get("required", False))
        attribute["master"] = current.get("master") or {"type": "PROFILE_MASTER"}
        attribute["permissions"] = [{"principal": "SELF", "action": action}]
        return await self.update_user_schema(_definitions("base", {name: attribute}), schema_id)

    async def user_types(self) -> list[UserType]:
        return self.parse_list(UserType, (await self.http.call("GET", "/api/v1/meta/types/user")).data)


# What Okta's Terraform provider sends of a custom property it updates (its recorded requests);
# what Okta adds when it answers (``mutability``) is not sent back.
_CUSTOM_KEYS = ("title", "description", "type", "enum", "oneOf", "items", "scope", "minLength", "maxLength",
                "pattern", "unique", "externalName", "externalNamespace")


def with_self_permission(current: dict[str, Any], action: str) -> dict[str, Any]:
    """A custom property's definition as Okta has it, with only the end user's permission changed:
    a property is replaced whole by an update, so nothing else of it (an enum, a length) is lost."""
    attribute: dict[str, Any] = {key: current[key] for key in _CUSTOM_KEYS if current.get(key) is not None}
    attribute["required"] = bool(current.get("required", False))
    attribute["master"] = current.get("master") or {"type": "PROFILE_MASTER"}
    attribute["permissions"] = [{"principal": "SELF", "action": action}]
    return attribute


def _definitions(section: str, properties: dict[str, Any]) -> dict[str, Any]:
    """The body of a schema update in the shape Okta's own tools send (the Terraform provider's
    recorded requests): the section object names itself (``#custom`` / ``#base``) and its type."""
    return {"definitions": {section: {"id": f"#{section}", "type": "object", "properties": properties}}}
