"""Apps: finding an installed app, its scope grants, user and group assignments, client secrets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.common.concurrency import together
from app.okta.api.base import Area
from app.okta.models import App, AppGroup, AppUser, Grant
from app.vault import Secret

APPS = "/api/v1/apps"
APP = "/api/v1/apps/{appId}"


class Apps(Area):
    async def search(self, prefix: str) -> list[App]:
        """Apps whose name or label starts with ``prefix`` (Okta's ``q``)."""
        return await self.collect(App, APPS, params={"q": prefix, "limit": 50})

    async def get(self, app_id: str, *, absent_ok: bool = False) -> App | None:
        return await self.lookup(App, APP, {"appId": app_id}, absent_ok=absent_ok)

    async def grants(self, app_id: str, *, absent_ok: bool = False) -> list[Grant]:
        return await self.collect(Grant, APP + "/grants", path_params={"appId": app_id}, absent_ok=absent_ok)

    async def grant(self, app_id: str, issuer: str, scope: str) -> Grant:
        response = await self.http.call("POST", APP + "/grants", path_params={"appId": app_id},
                                        json_body={"issuer": issuer, "scopeId": scope})
        return self.parse(Grant, response.data)

    async def revoke_grant(self, app_id: str, grant_id: str) -> None:
        await self.http.call("DELETE", APP + "/grants/{grantId}", path_params={"appId": app_id, "grantId": grant_id})

    async def user(self, app_id: str, user_id: str, *, absent_ok: bool = True) -> AppUser | None:
        """The user's assignment to the app, direct (scope USER) or through a group (GROUP); None:
        the user does not have the app (or the app is gone). ``absent_ok``: see :meth:`lookup`."""
        return await self.lookup(AppUser, APP + "/users/{userId}", {"appId": app_id, "userId": user_id},
                                 absent_ok=absent_ok)

    async def group(self, app_id: str, group_id: str, *, absent_ok: bool = True) -> AppGroup | None:
        """The group's assignment to the app; None: not assigned (or the app is gone)."""
        return await self.lookup(AppGroup, APP + "/groups/{groupId}", {"appId": app_id, "groupId": group_id},
                                 absent_ok=absent_ok)

    async def assignments(self, app_id: str, user_ids: Sequence[str], group_ids: Sequence[str], *,
                          absent_ok: bool = True) -> tuple[dict[str, AppUser], set[str]]:
        """Which of these users have the app (each with its assignment) and which of these groups are
        assigned to it: one read each, at once. Not the app's whole lists: an app assigned to 10,000
        people was 200 calls of the org's shared /api/v1/apps limit at each plan and verification.
        ``absent_ok``: a plan or an undo expects some not to have it; for a check, a missing
        assignment is the fault, and its read reads Failed in the trail."""
        answers = await together(*(self.user(app_id, user_id, absent_ok=absent_ok) for user_id in user_ids),
                                 *(self.group(app_id, group_id, absent_ok=absent_ok) for group_id in group_ids))
        users = {user_id: answer for user_id, answer in zip(user_ids, answers[:len(user_ids)], strict=True)
                 if isinstance(answer, AppUser)}
        groups = {group_id for group_id, answer in zip(group_ids, answers[len(user_ids):], strict=True)
                  if answer is not None}
        return users, groups

    async def assign_user(self, app_id: str, user_id: str) -> AppUser:
        response = await self.http.call("POST", APP + "/users", path_params={"appId": app_id},
                                        json_body={"id": user_id, "scope": "USER"})
        return self.parse(AppUser, response.data)

    async def unassign_user(self, app_id: str, user_id: str) -> None:
        await self.http.call("DELETE", APP + "/users/{userId}", path_params={"appId": app_id, "userId": user_id})

    async def assign_group(self, app_id: str, group_id: str) -> AppGroup:
        response = await self.http.call("PUT", APP + "/groups/{groupId}",
                                        path_params={"appId": app_id, "groupId": group_id}, json_body={})
        return self.parse(AppGroup, response.data)

    async def unassign_group(self, app_id: str, group_id: str) -> None:
        await self.http.call("DELETE", APP + "/groups/{groupId}", path_params={"appId": app_id, "groupId": group_id})

    async def client_secrets(self, app_id: str) -> list[dict[str, Any]]:
        data = (await self.http.call("GET", APP + "/credentials/secrets", path_params={"appId": app_id})).data
        return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []

    async def new_client_secret(self, app_id: str) -> tuple[str, Secret]:
        """A new system-generated client secret (returns its id and the value, shown once)."""
        response = await self.http.call("POST", APP + "/credentials/secrets", path_params={"appId": app_id},
                                        json_body={})
        data = response.data if isinstance(response.data, dict) else {}
        return str(data.get("id", "")), Secret(str(data.get("client_secret", "")))
