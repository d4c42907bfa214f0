"""Groups: the built-in Everyone group (every user is a member) and Okta groups seeded by tests or
the demo. The product only reads groups, so there is no create endpoint, only the seed helper."""

from __future__ import annotations

from typing import TYPE_CHECKING

from okta_sandbox import ids
from okta_sandbox.entities import Group, Json, User
from okta_sandbox.errors import validation_failed
from okta_sandbox.tables import next_seq
from okta_sandbox.timestamps import iso

if TYPE_CHECKING:
    from okta_sandbox.org import SandboxOrg

EVERYONE = "Everyone"
# Where Okta serves the groups' default logos (never fetched by the sandbox or the wizard).
GROUP_LOGO_CDN = "https://ok1static.oktacdn.com/assets/img/logos/groups/odyssey"


def create_group(org: SandboxOrg, name: str, description: str = "", *, built_in: bool = False) -> Group:
    if any(group.name.lower() == name.lower() for group in org.groups):
        raise validation_failed("name", "name: A group with this name already exists.")
    now = org.clock.now()
    group = Group(id=ids.okta_id(ids.GROUP), seq=next_seq(), name=name, description=description,
                  type="BUILT_IN" if built_in else "OKTA_GROUP", created=now, last_updated=now,
                  last_membership_updated=now)
    return org.groups.add(group)


def member_ids(org: SandboxOrg, group: Group) -> list[str]:
    if group.type == "BUILT_IN":
        return [user.id for user in org.users]
    return [user.id for user in org.users if user.id in group.members]


def members(org: SandboxOrg, group: Group) -> list[User]:
    wanted = set(member_ids(org, group))
    return [user for user in org.users if user.id in wanted]


def groups_of(org: SandboxOrg, user_id: str) -> list[Group]:
    return [group for group in org.groups if group.type == "BUILT_IN" or user_id in group.members]


def add_member(org: SandboxOrg, group: Group, user_id: str) -> None:
    if group.type == "BUILT_IN" or user_id in group.members:
        return
    group.members.add(user_id)
    group.last_membership_updated = org.clock.now()


def render_group(org: SandboxOrg, group: Group) -> Json:
    href = f"{org.base_url}/api/v1/groups/{group.id}"
    return {
        "id": group.id,
        "created": iso(group.created),
        "lastUpdated": iso(group.last_updated),
        "lastMembershipUpdated": iso(group.last_membership_updated),
        "objectClass": ["okta:user_group"],
        "type": group.type,
        "profile": {"name": group.name, "description": group.description},
        # As recorded: logos on Okta's CDN, and no ``self`` link.
        "_links": {
            "logo": [{"name": size, "href": f"{GROUP_LOGO_CDN}/okta-{size}.png", "type": "image/png"}
                     for size in ("medium", "large")],
            "users": {"href": f"{href}/users"},
            "apps": {"href": f"{href}/apps"},
        },
    }
