"""Groups: finding by name, listing members."""

from __future__ import annotations

from app.okta.api.base import Area, quote_filter_value
from app.okta.models import Group, User


class Groups(Area):
    async def find_by_name(self, name: str) -> Group | None:
        groups = await self.collect(Group, "/api/v1/groups",
                                    params={"search": f"profile.name eq {quote_filter_value(name)}", "limit": 2})
        return groups[0] if groups else None

    async def named_like(self, prefix: str, *, limit: int = 10) -> list[Group]:
        """Groups whose name starts with ``prefix`` (Okta's ``q``: one call, no paging), to
        suggest the group a person meant."""
        response = await self.http.call("GET", "/api/v1/groups", params={"q": prefix, "limit": limit})
        return self.parse_list(Group, response.data)

    async def all(self, *, limit: int = 200) -> list[Group]:
        return await self.collect(Group, "/api/v1/groups", params={"limit": limit})

    async def get(self, group_id: str, *, absent_ok: bool = False) -> Group | None:
        return await self.lookup(Group, "/api/v1/groups/{groupId}", {"groupId": group_id}, absent_ok=absent_ok)

    async def members(self, group_id: str) -> list[User]:
        return await self.collect(User, "/api/v1/groups/{groupId}/users", path_params={"groupId": group_id})
