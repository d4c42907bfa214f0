"""Custom roles, resource sets and role bindings (``/api/v1/iam``). These lists announce their next
page in the body (``_links.next``), not in a Link header, and address roles and resource sets by
id or by label. As on a real org, the next-page link points at the org's admin host (here the
sandbox's admin alias, see ``okta_sandbox.paging``), which the client must map back to the org."""

from __future__ import annotations

from okta_sandbox.api.context import Call, Reply, handles
from okta_sandbox.domain import custom_roles as roles_domain
from okta_sandbox.domain import resource_sets as sets_domain
from okta_sandbox.entities import CustomRole, Json, ResourceSet
from okta_sandbox.errors import not_found, validation_failed
from okta_sandbox.paging import on_admin_host, paginate
from okta_sandbox.visibility import visible

RESOURCES_MAX_LIMIT = 100


def _role(call: Call, *, consistent: bool = False) -> CustomRole:
    return roles_domain.find_role(call.org, call.params["roleIdOrLabel"], consistent=consistent)


def _set(call: Call, *, consistent: bool = False) -> ResourceSet:
    return sets_domain.find_resource_set(call.org, call.params["resourceSetIdOrLabel"], consistent=consistent)


def _rs_href(call: Call, resource_set: ResourceSet) -> str:
    return f"{call.org.base_url}/api/v1/iam/resource-sets/{resource_set.id}"


def _links(call: Call, next_cursor: str | None, extra: dict[str, Json] | None = None) -> Json:
    """``_links`` of an IAM list, its ``next`` on the admin host as Okta answers it."""
    links: dict[str, Json] = dict(call.body_links(next_cursor, extra))
    nxt = links.get("next")
    if isinstance(nxt, dict) and isinstance(nxt.get("href"), str):
        links["next"] = {**nxt, "href": on_admin_host(call.org.base_url, nxt["href"])}
    return links


# Custom roles

@handles("listRoles")
def list_roles(call: Call) -> Reply:
    page, cursor = paginate(call.org.custom_roles.listing(), after=call.text("after"),
                            limit=call.limit(maximum=100), key=lambda role: role.seq)
    return Reply(200, {"roles": [roles_domain.render_role(call.org, role) for role in page],
                       "_links": _links(call, cursor)})


@handles("createRole")
def create_role(call: Call) -> Reply:
    role = roles_domain.create_role(call.org, call.json(), call.actor())
    return Reply(200, roles_domain.render_role(call.org, role))


@handles("getRole")
def get_role(call: Call) -> Reply:
    return Reply(200, roles_domain.render_role(call.org, _role(call)))


@handles("replaceRole")
def replace_role(call: Call) -> Reply:
    role = roles_domain.replace_role(call.org, _role(call, consistent=True), call.json(), call.actor())
    return Reply(200, roles_domain.render_role(call.org, role))


@handles("deleteRole")
def delete_role(call: Call) -> Reply:
    roles_domain.delete_role(call.org, _role(call, consistent=True), call.actor())
    return Reply(204)


@handles("listRolePermissions")
def list_permissions(call: Call) -> Reply:
    role = _role(call)
    return Reply(200, {"permissions": [roles_domain.render_permission(call.org, role, permission)
                                       for permission in role.permissions.values()]})


@handles("getRolePermission")
def get_permission(call: Call) -> Reply:
    role = _role(call)
    permission = role.permissions.get(call.params["permissionType"])
    if permission is None:
        raise not_found(f"{call.params['permissionType']} (Permission)")
    return Reply(200, roles_domain.render_permission(call.org, role, permission))


@handles("createRolePermission")
def add_permission(call: Call) -> Reply:
    role = _role(call, consistent=True)
    body = call.json(required=False)
    conditions = body.get("conditions")
    if conditions is not None and not isinstance(conditions, dict):
        raise validation_failed("conditions", "conditions: must be an object.")
    roles_domain.add_permission(call.org, role, call.params["permissionType"], conditions, call.actor())
    return Reply(204)


@handles("deleteRolePermission")
def delete_permission(call: Call) -> Reply:
    roles_domain.remove_permission(call.org, _role(call, consistent=True), call.params["permissionType"], call.actor())
    return Reply(204)


# Resource sets

@handles("listResourceSets")
def list_resource_sets(call: Call) -> Reply:
    page, cursor = paginate(call.org.resource_sets.listing(), after=call.text("after"),
                            limit=call.limit(maximum=100), key=lambda resource_set: resource_set.seq)
    return Reply(200, {"resource-sets": [sets_domain.render_resource_set(call.org, rs) for rs in page],
                       "_links": _links(call, cursor)})


@handles("createResourceSet")
def create_resource_set(call: Call) -> Reply:
    resource_set = sets_domain.create_resource_set(call.org, call.json(), call.actor())
    return Reply(200, sets_domain.render_resource_set(call.org, resource_set))


@handles("getResourceSet")
def get_resource_set(call: Call) -> Reply:
    return Reply(200, sets_domain.render_resource_set(call.org, _set(call)))


@handles("replaceResourceSet")
def replace_resource_set(call: Call) -> Reply:
    resource_set = sets_domain.replace_resource_set(call.org, _set(call, consistent=True), call.json(), call.actor())
    return Reply(200, sets_domain.render_resource_set(call.org, resource_set))


@handles("deleteResourceSet")
def delete_resource_set(call: Call) -> Reply:
    sets_domain.delete_resource_set(call.org, _set(call, consistent=True), call.actor())
    return Reply(204)


@handles("listResourceSetResources")
def list_resources(call: Call) -> Reply:
    resource_set = _set(call)
    page, cursor = paginate(list(resource_set.resources.values()), after=call.text("after"),
                            limit=call.limit(maximum=RESOURCES_MAX_LIMIT), key=lambda resource: resource.seq)
    href = _rs_href(call, resource_set)
    return Reply(200, {"resources": [sets_domain.render_resource(call.org, resource_set, r) for r in page],
                       "_links": _links(call, cursor, {"self": {"href": f"{href}/resources"},
                                                          "resource-set": {"href": href}})})


@handles("addResourceSetResources")
def add_resources(call: Call) -> Reply:
    resource_set = _set(call, consistent=True)
    sets_domain.add_resources(call.org, resource_set, call.json().get("additions"), call.actor())
    return Reply(200, sets_domain.render_resource_set(call.org, resource_set))


@handles("deleteResourceSetResource")
def delete_resource(call: Call) -> Reply:
    sets_domain.remove_resource(call.org, _set(call, consistent=True), call.params["resourceId"], call.actor())
    return Reply(204)


# Bindings

@handles("listBindings")
def list_bindings(call: Call) -> Reply:
    resource_set = _set(call)
    bindings = sorted(resource_set.bindings.values(), key=lambda binding: binding.seq)
    page, cursor = paginate(bindings, after=call.text("after"), limit=call.limit(maximum=100),
                            key=lambda binding: binding.seq)
    href = _rs_href(call, resource_set)
    roles = [{"id": binding.role_id,
              "_links": {"self": {"href": f"{call.org.base_url}/api/v1/iam/roles/{binding.role_id}"},
                         "members": {"href": f"{href}/bindings/{binding.role_id}/members"}}} for binding in page]
    return Reply(200, {"roles": roles, "_links": _links(call, cursor, {"self": {"href": f"{href}/bindings"},
                                                                         "resource-set": {"href": href}})})


@handles("createResourceSetBinding")
def create_binding(call: Call) -> Reply:
    resource_set = _set(call, consistent=True)
    binding = sets_domain.create_binding(call.org, resource_set, call.json(), call.actor())
    return Reply(200, sets_domain.render_binding_edit(call.org, resource_set, binding.role_id))


@handles("getBinding")
def get_binding(call: Call) -> Reply:
    resource_set = _set(call)
    role, _ = sets_domain.find_binding(call.org, resource_set, call.params["roleIdOrLabel"])
    return Reply(200, sets_domain.render_binding(call.org, resource_set, role.id))


@handles("deleteBinding")
def delete_binding(call: Call) -> Reply:
    resource_set = _set(call, consistent=True)
    role, _ = sets_domain.find_binding(call.org, resource_set, call.params["roleIdOrLabel"])
    sets_domain.delete_binding(call.org, resource_set, role, call.actor())
    return Reply(204)


@handles("listMembersOfBinding")
def list_members(call: Call) -> Reply:
    resource_set = _set(call)
    role, binding = sets_domain.find_binding(call.org, resource_set, call.params["roleIdOrLabel"])
    members = sorted((member for member in binding.members.values()
                      if visible(call.org, "member", resource_set.id, role.id, member.id)),
                     key=lambda member: member.seq)
    page, cursor = paginate(members, after=call.text("after"), limit=call.limit(maximum=100),
                            key=lambda member: member.seq)
    href = sets_domain.binding_href(call.org, resource_set, role.id)
    return Reply(200, {"members": [sets_domain.render_member(member) for member in page],
                       # As recorded (TestAccOktaAdminRoleCustomAssignments): no ``self``, only ``binding``.
                       "_links": _links(call, cursor, {"binding": {"href": href}})})


@handles("addMembersToBinding")
def add_members(call: Call) -> Reply:
    resource_set = _set(call, consistent=True)
    role, binding = sets_domain.find_binding(call.org, resource_set, call.params["roleIdOrLabel"])
    sets_domain.add_binding_members(call.org, resource_set, role, binding, call.json().get("additions"), call.actor())
    return Reply(200, sets_domain.render_binding_edit(call.org, resource_set, role.id))


@handles("getMemberOfBinding")
def get_member(call: Call) -> Reply:
    resource_set = _set(call)
    role, binding = sets_domain.find_binding(call.org, resource_set, call.params["roleIdOrLabel"])
    member = binding.members.get(call.params["memberId"])
    if member is None or not visible(call.org, "member", resource_set.id, role.id, member.id):
        raise not_found(f"{call.params['memberId']} (Member)")
    return Reply(200, sets_domain.render_member(member))


@handles("unassignMemberFromBinding")
def remove_member(call: Call) -> Reply:
    resource_set = _set(call, consistent=True)
    role, binding = sets_domain.find_binding(call.org, resource_set, call.params["roleIdOrLabel"])
    sets_domain.remove_binding_member(call.org, resource_set, role, binding, call.params["memberId"], call.actor())
    return Reply(204)
