"""Custom admin roles, resource sets and their bindings (``/api/v1/iam``)."""

from __future__ import annotations

from typing import Any

from app.okta.api.base import Area
from app.okta.models import Binding, BindingMember, CustomRole, Permission, Resource, ResourceSet

ROLES = "/api/v1/iam/roles"
ROLE = "/api/v1/iam/roles/{roleIdOrLabel}"
SETS = "/api/v1/iam/resource-sets"
SET = "/api/v1/iam/resource-sets/{resourceSetIdOrLabel}"
SET_RESOURCES = SET + "/resources"
SET_BINDINGS = SET + "/bindings"
BINDING = SET_BINDINGS + "/{roleIdOrLabel}"
MEMBERS = BINDING + "/members"


class Iam(Area):
    # -- custom roles --
    async def role(self, id_or_label: str, *, absent_ok: bool = False) -> CustomRole | None:
        return await self.lookup(CustomRole, ROLE, {"roleIdOrLabel": id_or_label}, absent_ok=absent_ok)

    async def roles(self) -> list[CustomRole]:
        return await self.collect(CustomRole, ROLES, key="roles")

    async def create_role(self, label: str, description: str, permissions: list[str]) -> CustomRole:
        body = {"label": label, "description": description, "permissions": permissions}
        return self.parse(CustomRole, (await self.http.call("POST", ROLES, json_body=body)).data)

    async def delete_role(self, role_id: str) -> None:
        await self.http.call("DELETE", ROLE, path_params={"roleIdOrLabel": role_id})

    async def permissions(self, role_id: str) -> list[str]:
        items = await self.collect(Permission, ROLE + "/permissions", path_params={"roleIdOrLabel": role_id},
                                   key="permissions")
        return [p.label for p in items]

    async def add_permission(self, role_id: str, permission: str) -> None:
        await self.http.call("POST", ROLE + "/permissions/{permissionType}",
                             path_params={"roleIdOrLabel": role_id, "permissionType": permission})

    async def remove_permission(self, role_id: str, permission: str) -> None:
        await self.http.call("DELETE", ROLE + "/permissions/{permissionType}",
                             path_params={"roleIdOrLabel": role_id, "permissionType": permission})

    # -- resource sets --
    async def resource_set(self, id_or_label: str, *, absent_ok: bool = False) -> ResourceSet | None:
        return await self.lookup(ResourceSet, SET, {"resourceSetIdOrLabel": id_or_label}, absent_ok=absent_ok)

    async def resource_sets(self) -> list[ResourceSet]:
        return await self.collect(ResourceSet, SETS, key="resource-sets")

    async def create_resource_set(self, label: str, description: str, resources: list[str]) -> ResourceSet:
        body = {"label": label, "description": description, "resources": resources}
        return self.parse(ResourceSet, (await self.http.call("POST", SETS, json_body=body)).data)

    async def delete_resource_set(self, set_id: str) -> None:
        await self.http.call("DELETE", SET, path_params={"resourceSetIdOrLabel": set_id})

    async def resources(self, set_id: str) -> list[Resource]:
        return await self.collect(Resource, SET_RESOURCES, path_params={"resourceSetIdOrLabel": set_id},
                                  key="resources")

    async def add_resources(self, set_id: str, resources: list[str]) -> None:
        await self.http.call("PATCH", SET_RESOURCES, path_params={"resourceSetIdOrLabel": set_id},
                             json_body={"additions": resources})

    async def remove_resource(self, set_id: str, resource_id: str) -> None:
        await self.http.call("DELETE", SET_RESOURCES + "/{resourceId}",
                             path_params={"resourceSetIdOrLabel": set_id, "resourceId": resource_id})

    # -- bindings --
    async def bindings(self, set_id: str) -> list[Binding]:
        return await self.collect(Binding, SET_BINDINGS, path_params={"resourceSetIdOrLabel": set_id}, key="roles")

    async def create_binding(self, set_id: str, role_id: str, members: list[str]) -> dict[str, Any]:
        response = await self.http.call("POST", SET_BINDINGS, path_params={"resourceSetIdOrLabel": set_id},
                                        json_body={"role": role_id, "members": members})
        return response.data if isinstance(response.data, dict) else {}

    async def delete_binding(self, set_id: str, role_id: str) -> None:
        await self.http.call("DELETE", BINDING, path_params={"resourceSetIdOrLabel": set_id, "roleIdOrLabel": role_id})

    async def binding_members(self, set_id: str, role_id: str, *, absent_ok: bool = False) -> list[BindingMember]:
        return await self.collect(BindingMember, MEMBERS,
                                  path_params={"resourceSetIdOrLabel": set_id, "roleIdOrLabel": role_id},
                                  key="members", absent_ok=absent_ok)

    async def add_binding_members(self, set_id: str, role_id: str, members: list[str]) -> None:
        await self.http.call("PATCH", MEMBERS, path_params={"resourceSetIdOrLabel": set_id, "roleIdOrLabel": role_id},
                             json_body={"additions": members})

    async def remove_binding_member(self, set_id: str, role_id: str, member_id: str) -> None:
        await self.http.call("DELETE", MEMBERS + "/{memberId}",
                             path_params={"resourceSetIdOrLabel": set_id, "roleIdOrLabel": role_id,
                                          "memberId": member_id})
