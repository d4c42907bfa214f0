"""Users, their role assignments, and groups (``/api/v1/users``, ``/api/v1/groups``)."""

from __future__ import annotations

from collections.abc import Callable

from okta_sandbox import scim
from okta_sandbox.api.context import Call, Reply, handles
from okta_sandbox.domain import custom_roles as roles_of_iam
from okta_sandbox.domain import groups as groups_domain
from okta_sandbox.domain import resource_sets as sets_domain
from okta_sandbox.domain import roles as roles_domain
from okta_sandbox.domain import users as users_domain
from okta_sandbox.entities import Json, User
from okta_sandbox.errors import not_found, validation_failed
from okta_sandbox.paging import decode_cursor, encode_cursor, paginate

USERS_MAX_LIMIT = 200
GROUPS_MAX_LIMIT = 10_000
GROUP_USERS_MAX_LIMIT = 1000
_USER_FILTER_ATTRIBUTES = {"status", "lastUpdated", "id", "profile.login", "profile.email", "profile.firstName",
                           "profile.lastName"}
_GROUP_FILTER_ATTRIBUTES = {"id", "type", "lastUpdated", "lastMembershipUpdated"}
_DATES = {"lastUpdated", "lastMembershipUpdated", "created", "activated", "statusChanged"}


def _user(call: Call, param: str = "id", *, consistent: bool = False) -> User:
    return users_domain.resolve(call.org, call.params[param], me=call.me, consistent=consistent)


def _render(call: Call, user: User) -> Json:
    return users_domain.render_user(call.org, user)


def _query_filter(text: str, allowed: set[str]) -> scim.Node:
    def supported(comparison: scim.Comparison) -> bool:
        if comparison.attribute not in allowed:
            return False
        return comparison.operator == "eq" or (comparison.attribute in _DATES
                                               and comparison.operator in ("gt", "ge", "lt", "le"))

    return scim.restrict(scim.parse(text), supported, allow_not=False)


def _query_search(text: str) -> scim.Node:
    # Okta's search takes every attribute and operator except `ne`.
    return scim.restrict(scim.parse(text), lambda comparison: comparison.operator != "ne")


def _sorted(call: Call, items: list[Json]) -> tuple[list[Json], bool]:
    sort_by = call.text("sortBy")
    if sort_by is None:
        return items, False
    descending = (call.text("sortOrder") or "asc").lower() == "desc"

    def key(item: Json) -> tuple[str, str]:
        values = scim.json_lookup(item)(sort_by)
        return (str(values[0]) if values and values[0] is not None else "", str(item["id"]))

    return sorted(items, key=key, reverse=descending), True


# Users

@handles("listUsers")
def list_users(call: Call) -> Reply:
    org = call.org
    q, search, filter_text = call.text("q"), call.text("search"), call.text("filter")
    if q is not None:
        # `q` matches the start of first name, last name or email, skips deactivated users, and
        # is not paged: `limit` (default 10) caps it.
        limit = call.limit(maximum=USERS_MAX_LIMIT, default=10)
        lowered = q.lower()
        found = [user for user in org.users.listing() if user.status != "DEPROVISIONED" and any(
            str(user.profile.get(key) or "").lower().startswith(lowered) for key in ("firstName", "lastName", "email"))]
        return call.page([_render(call, user) for user in found[:limit]], None)
    users = org.users.listing()
    if search is None:
        return _page_in_creation_order(call, users, filter_text)
    # `search` results are sorted (sortBy/sortOrder) and paged by offset.
    node = _query_search(search)
    items = [item for item in (_render(call, user) for user in users)
             if scim.evaluate(node, scim.json_lookup(item), case_sensitive=False)]
    ordered, by_offset = _sorted(call, items)
    seqs = {user.id: user.seq for user in users}
    page, cursor = paginate(ordered, after=call.text("after"), limit=call.limit(maximum=USERS_MAX_LIMIT),
                            key=None if by_offset else (lambda item: seqs[item["id"]]))
    return call.page(page, cursor)


def _page_in_creation_order(call: Call, users: list[User], filter_text: str | None) -> Reply:
    """A page of the users list (optionally filtered), rendering only the users it serves: the
    cursor says where the previous page stopped, so a 100,000-user org is not rendered per page."""
    node = _query_filter(filter_text, _USER_FILTER_ATTRIBUTES) if filter_text is not None else None
    after = call.text("after")
    last = decode_cursor(after) if after else None
    limit = call.limit(maximum=USERS_MAX_LIMIT)
    page: list[tuple[User, Json]] = []
    more = False
    for user in users:
        if last is not None and user.seq <= last:
            continue
        if node is None and user.status == "DEPROVISIONED":
            continue
        item = _render(call, user)
        if node is not None and not scim.evaluate(node, scim.json_lookup(item), case_sensitive=True):
            continue
        if len(page) == limit:
            more = True
            break
        page.append((user, item))
    return call.page([item for _, item in page], encode_cursor(page[-1][0].seq) if more and page else None)


@handles("createUser")
def create_user(call: Call) -> Reply:
    body = call.json()
    profile = body.get("profile")
    if not isinstance(profile, dict):
        raise validation_failed("profile", "profile: The field cannot be left blank")
    credentials = body.get("credentials") or {}
    password = None
    if isinstance(credentials, dict) and isinstance(credentials.get("password"), dict):
        password = credentials["password"].get("value")
    group_ids = body.get("groupIds") or []
    if not isinstance(group_ids, list) or not all(isinstance(group_id, str) for group_id in group_ids):
        raise validation_failed("groupIds", "groupIds: must be a list of group ids.")
    user_type = body.get("type") or {}
    type_id = user_type.get("id") if isinstance(user_type, dict) else None
    user = users_domain.create_user(
        call.org, profile, password=password, activate=call.flag("activate", True),
        expire_password=(call.text("nextLogin") or "").lower() == "changepassword", group_ids=tuple(group_ids),
        type_id=type_id, actor=call.actor())
    return Reply(200, _render(call, user))


@handles("getUser")
def get_user(call: Call) -> Reply:
    return Reply(200, _render(call, _user(call)))


@handles("updateUser")
def update_user(call: Call) -> Reply:
    user = _user(call, consistent=True)
    body = call.json()
    profile = body.get("profile")
    if profile is not None and not isinstance(profile, dict):
        raise validation_failed("profile", "profile: must be an object.")
    credentials = body.get("credentials") or {}
    password = None
    if isinstance(credentials, dict) and isinstance(credentials.get("password"), dict):
        password = credentials["password"].get("value")
    users_domain.update_user(call.org, user, profile, password=password, actor=call.actor())
    return Reply(200, _render(call, user))


@handles("activateUser")
def activate_user(call: Call) -> Reply:
    user = _user(call, consistent=True)
    return Reply(200, users_domain.activate_user(call.org, user, send_email=call.flag("sendEmail", True),
                                                 actor=call.actor()))


@handles("reactivateUser")
def reactivate_user(call: Call) -> Reply:
    user = _user(call, consistent=True)
    return Reply(200, users_domain.reactivate_user(call.org, user, send_email=call.flag("sendEmail", False),
                                                   actor=call.actor()))


@handles("deactivateUser")
def deactivate_user(call: Call) -> Reply:
    call.flag("sendEmail", False)  # Okta mails the admin; the sandbox has no mail, but checks the flag
    users_domain.deactivate_user(call.org, _user(call, consistent=True), actor=call.actor())
    return Reply(200, {})


@handles("deleteUser")
def delete_user(call: Call) -> Reply:
    call.flag("sendEmail", False)
    users_domain.delete_user(call.org, _user(call, consistent=True), actor=call.actor())
    return Reply(204)


@handles("listUserGroups")
def list_user_groups(call: Call) -> Reply:
    user = _user(call)
    groups = [group for group in groups_domain.groups_of(call.org, user.id) if call.org.groups.is_visible(group)]
    return Reply(200, [groups_domain.render_group(call.org, group) for group in groups])


# Role assignments

@handles("listAssignedRolesForUser")
def list_roles(call: Call) -> Reply:
    user = _user(call, "userId")
    return Reply(200, [roles_domain.render_assignment(call.org, user, assignment)
                       for assignment in roles_domain.assignments_of(call.org, user.id, consistent=False)])


@handles("assignRoleToUser")
def assign_role(call: Call) -> Reply:
    user = _user(call, "userId", consistent=True)
    body = call.json()
    role_type = body.get("type")
    if not isinstance(role_type, str) or not role_type:
        raise validation_failed("type", "type: The field cannot be left blank")
    if role_type == "CUSTOM":
        role_ref, set_ref = body.get("role"), body.get("resource-set")
        if not isinstance(role_ref, str) or not role_ref:
            raise validation_failed("role", "role: A custom role assignment needs the role id.")
        if not isinstance(set_ref, str) or not set_ref:
            raise validation_failed("resource-set", "resource-set: A custom role assignment needs the resource set id.")
        role = roles_of_iam.find_role(call.org, role_ref, consistent=True)
        resource_set = sets_domain.find_resource_set(call.org, set_ref, consistent=True)
        custom = roles_domain.assign_custom(call.org, user, role, resource_set, call.actor())
        return Reply(201, roles_domain.render_assignment(call.org, user, custom))
    assignment = roles_domain.assign_standard(call.org, user, role_type, call.actor())
    return Reply(201, roles_domain.render_assignment(call.org, user, assignment))


@handles("getUserAssignedRole")
def get_role(call: Call) -> Reply:
    user = _user(call, "userId")
    assignment = roles_domain.find_assignment(call.org, user.id, call.params["roleAssignmentId"])
    return Reply(200, roles_domain.render_assignment(call.org, user, assignment))


@handles("unassignRoleFromUser")
def unassign_role(call: Call) -> Reply:
    user = _user(call, "userId", consistent=True)
    assignment = roles_domain.find_assignment(call.org, user.id, call.params["roleAssignmentId"], consistent=True)
    roles_domain.unassign(call.org, user, assignment, call.actor())
    return Reply(204)


# Groups

@handles("listGroups")
def list_groups(call: Call) -> Reply:
    org = call.org
    groups = org.groups.listing()
    q = call.text("q")
    if q is not None:
        # `q` is a name prefix search for pickers: no paging, 300 results by default.
        limit = call.limit(maximum=GROUPS_MAX_LIMIT, default=300)
        found = [group for group in groups if group.name.lower().startswith(q.lower())]
        return call.page([groups_domain.render_group(org, group) for group in found[:limit]], None)
    rendered = [(group, groups_domain.render_group(org, group)) for group in groups]
    search, filter_text = call.text("search"), call.text("filter")
    if search is not None or filter_text is not None:
        node = _query_search(search) if search is not None else _query_filter(filter_text or "",
                                                                               _GROUP_FILTER_ATTRIBUTES)
        rendered = [(group, item) for group, item in rendered
                    if scim.evaluate(node, scim.json_lookup(item), case_sensitive=search is None)]
    items = [item for _, item in rendered]
    ordered, by_offset = _sorted(call, items) if search is not None else (items, False)
    seqs = {group.id: group.seq for group, _ in rendered}
    key: Callable[[Json], int] | None = None if by_offset else (lambda item: seqs[item["id"]])
    page, cursor = paginate(ordered, after=call.text("after"), limit=call.limit(maximum=GROUPS_MAX_LIMIT), key=key)
    return call.page(page, cursor)


@handles("getGroup")
def get_group(call: Call) -> Reply:
    group = call.org.groups.read(call.params["groupId"])
    if group is None:
        raise not_found(f"{call.params['groupId']} (UserGroup)")
    return Reply(200, groups_domain.render_group(call.org, group))


@handles("listGroupUsers")
def list_group_users(call: Call) -> Reply:
    group = call.org.groups.read(call.params["groupId"])
    if group is None:
        raise not_found(f"{call.params['groupId']} (UserGroup)")
    members = [user for user in groups_domain.members(call.org, group) if call.org.users.is_visible(user)]
    page, cursor = paginate(members, after=call.text("after"), limit=call.limit(maximum=GROUP_USERS_MAX_LIMIT),
                            key=lambda user: user.seq)
    return call.page([_render(call, user) for user in page], cursor)
