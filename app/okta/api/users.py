"""Users: look-up by id or login, create, update the profile, lifecycle, and listing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from app.okta.api.base import Area, quote_filter_value
from app.okta.models import Group, User
from app.vault import Secret

USERS = "/api/v1/users"
USER = "/api/v1/users/{userId}"


class Users(Area):
    async def get(self, id_or_login: str, *, absent_ok: bool = False) -> User | None:
        return await self.lookup(User, USER, {"userId": id_or_login}, absent_ok=absent_ok)

    async def me(self) -> User:
        return self.parse(User, (await self.http.call("GET", USER, path_params={"userId": "me"})).data)

    async def find_by_login(self, login: str) -> User | None:
        """The user whose login is ``login`` in any case: Okta's logins are unique whatever their case,
        and its look-up by login ignores case where its ``filter`` does not ("Filtering is case-sensitive
        for ... query values", the spec): a login typed in another case was not found, and the plan
        created a user Okta already had. A look-up, not ``search``, which is eventually consistent.
        Okta also answers a look-up by a login's short name ("mdi-service" for
        "mdi-service@acme.example"), which is another login; and cannot look up a login with a "/" in
        it, which only the (case-sensitive) filter finds."""
        if "/" in login:
            response = await self.http.call("GET", USERS, params={
                "filter": f"profile.login eq {quote_filter_value(login)}", "limit": 2})
            users = self.parse_list(User, response.data)
            return users[0] if users else None
        user = await self.get(login, absent_ok=True)
        return user if user is not None and (user.profile.login or "").casefold() == login.casefold() else None

    async def create(self, profile: dict[str, Any], *, password: Secret | None = None, activate: bool = True) -> User:
        body: dict[str, Any] = {"profile": profile}
        if password is not None:
            body["credentials"] = {"password": {"value": password.reveal()}}
        response = await self.http.call("POST", USERS, params={"activate": str(activate).lower()}, json_body=body)
        return self.parse(User, response.data)

    async def update_profile(self, user_id: str, profile: dict[str, Any]) -> User:
        response = await self.http.call("POST", USER, path_params={"userId": user_id}, json_body={"profile": profile})
        return self.parse(User, response.data)

    async def activate(self, user_id: str, *, send_email: bool = False) -> dict[str, Any]:
        response = await self.http.call("POST", "/api/v1/users/{userId}/lifecycle/activate",
                                        path_params={"userId": user_id},
                                        params={"sendEmail": str(send_email).lower()})
        return response.data if isinstance(response.data, dict) else {}

    async def reactivate(self, user_id: str, *, send_email: bool = False) -> dict[str, Any]:
        """A new activation link for a PROVISIONED user (the earlier links stop working)."""
        response = await self.http.call("POST", "/api/v1/users/{userId}/lifecycle/reactivate",
                                        path_params={"userId": user_id},
                                        params={"sendEmail": str(send_email).lower()})
        return response.data if isinstance(response.data, dict) else {}

    async def deactivate(self, user_id: str) -> None:
        await self.http.call("POST", "/api/v1/users/{userId}/lifecycle/deactivate", path_params={"userId": user_id},
                             params={"sendEmail": "false"})

    async def delete(self, user_id: str) -> None:
        """Okta deletes in two steps: the first DELETE deactivates, the second removes."""
        await self.http.call("DELETE", USER, path_params={"userId": user_id}, params={"sendEmail": "false"})

    async def first(self, *, limit: int = 1, fields: str | None = None) -> list[User]:
        """The first ``limit`` users Okta lists (one call, no paging): enough to prove a
        credential can read users."""
        response = await self.http.call("GET", USERS, params={"limit": limit, "fields": fields})
        return self.parse_list(User, response.data)

    def pages(self, *, filter: str | None = None, search: str | None = None, limit: int = 200,
              fields: str | None = None) -> AsyncIterator[list[Any]]:
        return self.http.pages(USERS, params={"filter": filter, "search": search, "limit": limit, "fields": fields})

    async def groups(self, user_id: str) -> list[Group]:
        return await self.collect(Group, "/api/v1/users/{userId}/groups", path_params={"userId": user_id})
