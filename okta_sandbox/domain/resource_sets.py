"""Resource sets (``/api/v1/iam/resource-sets``) and their role bindings.

A resource set is a labelled list of resources; a binding ties one custom role to the set and
lists its members (users or groups). A user holds a custom role through a binding member, whose
``irb…`` id is also the role-assignment id ``/api/v1/users/{id}/roles`` shows. Adding a resource
that the set already has, in either URL or ORN form, changes nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from okta_sandbox import ids
from okta_sandbox.domain import syslog
from okta_sandbox.domain.actors import Actor
from okta_sandbox.domain.resources import MemberRef, ResourceRef, parse_member, parse_resource
from okta_sandbox.entities import Binding, BindingMember, CustomRole, Json, Resource, ResourceSet
from okta_sandbox.errors import OktaError, not_found, validation_failed
from okta_sandbox.tables import next_seq
from okta_sandbox.timestamps import iso

if TYPE_CHECKING:
    from okta_sandbox.org import SandboxOrg

MAX_RESOURCES = 1000


def set_target(resource_set: ResourceSet) -> Json:
    return syslog.target(resource_set.id, "RESOURCE_SET", resource_set.label, resource_set.label)


def _text(body: Mapping[str, Any], field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        raise validation_failed(field, f"{field}: The field cannot be left blank")
    return value.strip()


def _check_label(org: SandboxOrg, label: str, *, except_id: str | None = None) -> None:
    if any(existing.label.lower() == label.lower() and existing.id != except_id for existing in org.resource_sets):
        raise validation_failed("label", f"label: A resource set with the label '{label}' already exists.")


def _refs(org: SandboxOrg, values: object, field: str) -> list[ResourceRef]:
    if not isinstance(values, list):
        raise validation_failed(field, f"{field}: must be a list of resource URLs or ORNs.")
    return [parse_resource(org, value, field) for value in values]


def _add_resources(org: SandboxOrg, resource_set: ResourceSet, refs: Sequence[ResourceRef]) -> list[Resource]:
    have = {resource.orn for resource in resource_set.resources.values()}
    added: list[Resource] = []
    for ref in refs:
        if ref.orn in have:
            continue
        have.add(ref.orn)
        resource = Resource(id=ids.okta_id(ids.RESOURCE), seq=next_seq(), orn=ref.orn, href=ref.href,
                            created=org.clock.now())
        resource_set.resources[resource.id] = resource
        added.append(resource)
    if len(resource_set.resources) > MAX_RESOURCES:
        raise validation_failed("resources", f"resources: A resource set holds at most {MAX_RESOURCES} resources.")
    return added


def create_resource_set(org: SandboxOrg, body: Mapping[str, Any], actor: Actor | None) -> ResourceSet:
    label, description = _text(body, "label"), _text(body, "description")
    refs = _refs(org, body.get("resources"), "resources")
    if not refs:
        raise validation_failed("resources", "resources: At least one resource is required.")
    _check_label(org, label)
    now = org.clock.now()
    resource_set = ResourceSet(id=ids.resource_set_id(), seq=next_seq(), label=label, description=description,
                               created=now, last_updated=now)
    _add_resources(org, resource_set, refs)
    org.resource_sets.add(resource_set)
    syslog.record(org, actor, "iam.resourceset.create", "Create a resource set", [set_target(resource_set)])
    return resource_set


def find_resource_set(org: SandboxOrg, ref: str, *, consistent: bool = False) -> ResourceSet:
    listed: Iterable[ResourceSet] = org.resource_sets.values() if consistent else org.resource_sets.listing()
    candidates = list(listed)
    for resource_set in candidates:
        if resource_set.id == ref:
            return resource_set
    for resource_set in candidates:
        if resource_set.label == ref:
            return resource_set
    raise not_found(f"{ref} (ResourceSet)")


def replace_resource_set(org: SandboxOrg, resource_set: ResourceSet, body: Mapping[str, Any],
                         actor: Actor | None) -> ResourceSet:
    label, description = _text(body, "label"), _text(body, "description")
    _check_label(org, label, except_id=resource_set.id)
    resource_set.label, resource_set.description = label, description
    resource_set.last_updated = org.clock.now()
    syslog.record(org, actor, "iam.resourceset.update", "Update a resource set", [set_target(resource_set)])
    return resource_set


def delete_resource_set(org: SandboxOrg, resource_set: ResourceSet, actor: Actor | None) -> None:
    org.resource_sets.remove(resource_set.id)
    syslog.record(org, actor, "iam.resourceset.delete", "Delete a resource set", [set_target(resource_set)])


def add_resources(org: SandboxOrg, resource_set: ResourceSet, values: object, actor: Actor | None) -> list[Resource]:
    refs = _refs(org, values, "additions")
    if not refs:
        raise validation_failed("additions", "additions: At least one resource is required.")
    added = _add_resources(org, resource_set, refs)
    if added:
        resource_set.last_updated = org.clock.now()
        syslog.record(org, actor, "iam.resourceset.resources.add", "Add resources to a resource set",
                      [set_target(resource_set)])
    return added


def remove_resource(org: SandboxOrg, resource_set: ResourceSet, resource_id: str, actor: Actor | None) -> None:
    if resource_set.resources.pop(resource_id, None) is None:
        raise not_found(f"{resource_id} (Resource)")
    resource_set.last_updated = org.clock.now()
    syslog.record(org, actor, "iam.resourceset.resources.delete", "Delete a resource from a resource set",
                  [set_target(resource_set)])


# Bindings

def _members(org: SandboxOrg, values: object, field: str) -> list[MemberRef]:
    if not isinstance(values, list) or not values:
        raise validation_failed(field, f"{field}: At least one member (a user or group URL) is required.")
    return [parse_member(org, value, field) for value in values]


def _add_members(org: SandboxOrg, binding: Binding, refs: Sequence[MemberRef]) -> list[BindingMember]:
    present = {(member.kind, member.principal_id) for member in binding.members.values()}
    added: list[BindingMember] = []
    for ref in refs:
        if (ref.kind, ref.principal_id) in present:
            continue
        present.add((ref.kind, ref.principal_id))
        now = org.clock.now()
        member = BindingMember(id=ids.okta_id(ids.BINDING_MEMBER), seq=next_seq(), kind=ref.kind,
                               principal_id=ref.principal_id, href=ref.href, created=now, last_updated=now)
        binding.members[member.id] = member
        added.append(member)
    return added


def _binding_targets(resource_set: ResourceSet, role: CustomRole, members: Sequence[BindingMember]) -> list[Json]:
    return [set_target(resource_set), syslog.target(role.id, "ROLE", role.label, role.label),
            *(syslog.target(member.principal_id, "User" if member.kind == "user" else "UserGroup", member.href,
                            member.principal_id) for member in members)]


def create_binding(org: SandboxOrg, resource_set: ResourceSet, body: Mapping[str, Any],
                   actor: Actor | None) -> Binding:
    role_ref = body.get("role")
    if not isinstance(role_ref, str) or not role_ref:
        raise validation_failed("role", "role: The field cannot be left blank")
    from okta_sandbox.domain.custom_roles import find_role

    role = find_role(org, role_ref, consistent=True)
    members = _members(org, body.get("members"), "members")
    if role.id in resource_set.bindings:
        raise validation_failed("role", f"role: The role '{role.label}' is already bound to this resource set;"
                                        " add members to the existing binding instead.")
    binding = Binding(role_id=role.id, seq=next_seq(), created=org.clock.now())
    added = _add_members(org, binding, members)
    resource_set.bindings[role.id] = binding
    syslog.record(org, actor, "iam.resourceset.bindings.add", "Add a role binding to a resource set",
                  _binding_targets(resource_set, role, added))
    return binding


def find_binding(org: SandboxOrg, resource_set: ResourceSet, role_ref: str) -> tuple[CustomRole, Binding]:
    from okta_sandbox.domain.custom_roles import find_role

    try:
        role = find_role(org, role_ref, consistent=True)
    except OktaError:
        raise not_found(f"{role_ref} (Binding)") from None
    binding = resource_set.bindings.get(role.id)
    if binding is None:
        raise not_found(f"{role_ref} (Binding)")
    return role, binding


def add_binding_members(org: SandboxOrg, resource_set: ResourceSet, role: CustomRole, binding: Binding,
                        values: object, actor: Actor | None) -> list[BindingMember]:
    added = _add_members(org, binding, _members(org, values, "additions"))
    if added:
        syslog.record(org, actor, "iam.resourceset.bindings.add", "Add members to a role binding",
                      _binding_targets(resource_set, role, added))
    return added


def add_member(org: SandboxOrg, resource_set: ResourceSet, role: CustomRole, member: MemberRef,
               actor: Actor | None) -> BindingMember:
    """Bind ``member`` to ``role`` on ``resource_set``, creating the binding if needed."""
    binding = resource_set.bindings.get(role.id)
    if binding is None:
        binding = Binding(role_id=role.id, seq=next_seq(), created=org.clock.now())
        resource_set.bindings[role.id] = binding
    added = _add_members(org, binding, [member])
    syslog.record(org, actor, "iam.resourceset.bindings.add", "Add a role binding to a resource set",
                  _binding_targets(resource_set, role, added))
    return added[0]


def remove_binding_member(org: SandboxOrg, resource_set: ResourceSet, role: CustomRole, binding: Binding,
                          member_id: str, actor: Actor | None) -> None:
    member = binding.members.pop(member_id, None)
    if member is None:
        raise not_found(f"{member_id} (Member)")
    # A binding that loses its last member stays, empty, until it is deleted (as Okta's does: the
    # recorded Terraform runs delete the binding itself before its role), and while it stays its
    # role cannot be deleted.
    syslog.record(org, actor, "iam.resourceset.bindings.delete", "Remove a member from a role binding",
                  _binding_targets(resource_set, role, [member]))


def delete_binding(org: SandboxOrg, resource_set: ResourceSet, role: CustomRole, actor: Actor | None) -> None:
    binding = resource_set.bindings.pop(role.id)
    syslog.record(org, actor, "iam.resourceset.bindings.delete", "Delete a role binding from a resource set",
                  _binding_targets(resource_set, role, list(binding.members.values())))


# Rendering

def render_resource_set(org: SandboxOrg, resource_set: ResourceSet) -> Json:
    href = f"{org.base_url}/api/v1/iam/resource-sets/{resource_set.id}"
    return {"id": resource_set.id, "label": resource_set.label, "description": resource_set.description,
            "created": iso(resource_set.created), "lastUpdated": iso(resource_set.last_updated),
            "_links": {"self": {"href": href}, "resources": {"href": f"{href}/resources"},
                       "bindings": {"href": f"{href}/bindings"}}}


def render_resource(org: SandboxOrg, resource_set: ResourceSet, resource: Resource) -> Json:
    links: Json = {"resource": {"href": f"{org.base_url}/api/v1/iam/resource-sets/{resource_set.id}"
                                        f"/resources/{resource.id}"}}
    if resource.href:
        links["self"] = {"href": resource.href}
        # Okta also names a whole-collection resource by its kind (recorded: ``users``, ``groups``).
        kind = resource.href.rstrip("/").rsplit("/", 1)[-1]
        if kind in ("users", "groups") and resource.href.rstrip("/").endswith(f"/api/v1/{kind}"):
            links[kind] = {"href": resource.href}
    return {"id": resource.id, "orn": resource.orn, "created": iso(resource.created),
            "lastUpdated": iso(resource.created), "_links": links}


def binding_href(org: SandboxOrg, resource_set: ResourceSet, role_id: str) -> str:
    return f"{org.base_url}/api/v1/iam/resource-sets/{resource_set.id}/bindings/{role_id}"


def render_binding_edit(org: SandboxOrg, resource_set: ResourceSet, role_id: str) -> Json:
    rs_href = f"{org.base_url}/api/v1/iam/resource-sets/{resource_set.id}"
    return {"_links": {"self": {"href": binding_href(org, resource_set, role_id)},
                       "bindings": {"href": f"{rs_href}/bindings"}, "resource-set": {"href": rs_href}}}


def render_binding(org: SandboxOrg, resource_set: ResourceSet, role_id: str) -> Json:
    href = binding_href(org, resource_set, role_id)
    return {"id": role_id, "_links": {"self": {"href": href}, "members": {"href": f"{href}/members"},
                                      "resource-set": {"href": f"{org.base_url}/api/v1/iam/resource-sets/"
                                                                f"{resource_set.id}"}}}


def render_member(member: BindingMember) -> Json:
    return {"id": member.id, "created": iso(member.created), "lastUpdated": iso(member.last_updated),
            "_links": {"self": {"href": member.href}}}
