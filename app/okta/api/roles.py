"""Admin role assignments of users (standard roles, and custom roles on a resource set).

Assignments never send ``disableNotifications=true``: per Okta's spec that makes the account a
third-party administrator (no admin e-mails, no access to Okta support), which no vendor document
asks for. Okta's default (notifications on) is what an administrator gets in the Admin Console."""

from __future__ import annotations

from app.okta.api.base import Area
from app.okta.models import RoleAssignment

ROLES = "/api/v1/users/{userId}/roles"


class Roles(Area):
    async def of_user(self, user_id: str) -> list[RoleAssignment]:
        return await self.collect(RoleAssignment, ROLES, path_params={"userId": user_id})

    async def assign_standard(self, user_id: str, role_type: str) -> RoleAssignment:
        response = await self.http.call("POST", ROLES, path_params={"userId": user_id}, json_body={"type": role_type})
        return self.parse(RoleAssignment, response.data)

    async def assign_custom(self, user_id: str, role_id: str, resource_set_id: str) -> RoleAssignment:
        response = await self.http.call("POST", ROLES, path_params={"userId": user_id},
                                        json_body={"type": "CUSTOM", "role": role_id, "resource-set": resource_set_id})
        return self.parse(RoleAssignment, response.data)

    async def unassign(self, user_id: str, assignment_id: str) -> None:
        await self.http.call("DELETE", "/api/v1/users/{userId}/roles/{roleAssignmentId}",
                             path_params={"userId": user_id, "roleAssignmentId": assignment_id})
