"""Admin role assignments of a user (``/api/v1/users/{userId}/roles``).

Standard roles (SUPER_ADMIN, ORG_ADMIN, READ_ONLY_ADMIN, ...) are assignments of their own, whose
id is Okta's: the role type in base32, the same for every holder, so an assignment is its holder
and id (``StandardRoleAssignment.key``); assigning one twice is Okta's 409 E0000090. A custom role
is assigned as a member of a resource-set binding, so its assignment id is the member's ``irb…``
id and it shows up both here and under the binding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from okta_sandbox import ids
from okta_sandbox.domain import resource_sets as sets_domain
from okta_sandbox.domain import syslog
from okta_sandbox.domain.actors import Actor
from okta_sandbox.domain.resources import MemberRef
from okta_sandbox.entities import BindingMember, CustomRole, Json, ResourceSet, StandardRoleAssignment, User
from okta_sandbox.errors import not_found, role_already_assigned, validation_failed
from okta_sandbox.tables import next_seq
from okta_sandbox.timestamps import iso
from okta_sandbox.visibility import visible

if TYPE_CHECKING:
    from okta_sandbox.org import SandboxOrg

# Labels as Okta shows them in role assignments.
STANDARD_ROLES: dict[str, str] = {
    "SUPER_ADMIN": "Super Organization administrator",
    "ORG_ADMIN": "Organization administrator",
    "APP_ADMIN": "Application administrator",
    "USER_ADMIN": "Group administrator",
    "HELP_DESK_ADMIN": "Help Desk administrator",
    "READ_ONLY_ADMIN": "Read-only administrator",
    "MOBILE_ADMIN": "Mobile administrator",
    "API_ACCESS_MANAGEMENT_ADMIN": "API Access Management administrator",
    "REPORT_ADMIN": "Report administrator",
    "GROUP_MEMBERSHIP_ADMIN": "Group Membership administrator",
    "WORKFLOWS_ADMIN": "Workflows administrator",
    "ACCESS_CERTIFICATIONS_ADMIN": "Access Certifications administrator",
    "ACCESS_REQUESTS_ADMIN": "Access Requests administrator",
}
# What POST …/roles accepts as a standard role (MOBILE_ADMIN can only be seen, not assigned).
ASSIGNABLE = frozenset(STANDARD_ROLES) - {"MOBILE_ADMIN"}


@dataclass(frozen=True, slots=True)
class CustomAssignment:
    resource_set: ResourceSet
    role: CustomRole
    member: BindingMember


Assignment = StandardRoleAssignment | CustomAssignment


def assign_standard(org: SandboxOrg, user: User, role_type: str, actor: Actor | None) -> StandardRoleAssignment:
    if role_type not in ASSIGNABLE:
        raise validation_failed("type", f"type: '{role_type}' is not a role type that can be assigned.")
    if any(existing.user_id == user.id and existing.group_id is None and existing.type == role_type
           for existing in org.role_assignments):
        raise role_already_assigned()
    now = org.clock.now()
    assignment = StandardRoleAssignment(id=ids.standard_role_assignment_id(role_type), seq=next_seq(),
                                        user_id=user.id, type=role_type, created=now, last_updated=now)
    org.role_assignments.add(assignment)
    syslog.record(org, actor, "user.account.privilege.grant", "Grant user privilege",
                  [{**syslog.target(user.id, "User", user.login, user.display_name),
                    "detailEntry": {"privilegeGranted": STANDARD_ROLES[role_type]}}])
    return assignment


def assign_standard_to_group(org: SandboxOrg, group_id: str, role_type: str) -> StandardRoleAssignment:
    """A standard role held by a group (``POST /api/v1/groups/{groupId}/roles`` in Okta; here
    seeded through the control API): each member holds it, through the group."""
    if role_type not in ASSIGNABLE:
        raise validation_failed("type", f"type: '{role_type}' is not a role type that can be assigned.")
    if group_id not in org.groups:
        raise not_found(f"{group_id} (UserGroup)")
    if any(existing.group_id == group_id and existing.type == role_type for existing in org.role_assignments):
        raise role_already_assigned()
    now = org.clock.now()
    assignment = StandardRoleAssignment(id=ids.standard_role_assignment_id(role_type), seq=next_seq(), user_id="",
                                        type=role_type, created=now, last_updated=now, group_id=group_id)
    org.role_assignments.add(assignment)
    return assignment


def _group_ids(org: SandboxOrg, user_id: str) -> set[str]:
    from okta_sandbox.domain.groups import groups_of

    return {group.id for group in groups_of(org, user_id)}


def _held(assignment: StandardRoleAssignment, user_id: str, group_ids: set[str]) -> bool:
    return assignment.user_id == user_id if assignment.group_id is None else assignment.group_id in group_ids


def assign_custom(org: SandboxOrg, user: User, role: CustomRole, resource_set: ResourceSet,
                  actor: Actor | None) -> CustomAssignment:
    binding = resource_set.bindings.get(role.id)
    if binding and any(member.kind == "user" and member.principal_id == user.id for member in binding.members.values()):
        raise role_already_assigned()
    member = sets_domain.add_member(org, resource_set, role,
                                    MemberRef("user", user.id, f"{org.base_url}/api/v1/users/{user.id}"), actor)
    return CustomAssignment(resource_set, role, member)


def assignments_of(org: SandboxOrg, user_id: str, *, consistent: bool = True) -> list[Assignment]:
    standard = org.role_assignments.values() if consistent else org.role_assignments.listing()
    group_ids = _group_ids(org, user_id)
    # Real role lists include the roles a user holds through a group (assignmentType GROUP).
    found: list[Assignment] = [assignment for assignment in standard if _held(assignment, user_id, group_ids)]
    custom: list[CustomAssignment] = []
    for resource_set in org.resource_sets:
        for role_id, binding in resource_set.bindings.items():
            role = org.custom_roles.get(role_id)
            if role is None:
                continue
            # A group member of the binding gives the role to every user of the group (listed as GROUP).
            custom.extend(CustomAssignment(resource_set, role, member) for member in binding.members.values()
                          if ((member.kind == "user" and member.principal_id == user_id)
                              or (member.kind == "group" and member.principal_id in group_ids))
                          and (consistent or visible(org, "member", resource_set.id, role_id, member.id)))
    custom.sort(key=lambda custom_assignment: custom_assignment.member.seq)
    found.extend(custom)
    return found


def find_assignment(org: SandboxOrg, user_id: str, assignment_id: str, *, consistent: bool = False) -> Assignment:
    found = [assignment for assignment in assignments_of(org, user_id, consistent=consistent)
             if (assignment.id if isinstance(assignment, StandardRoleAssignment) else assignment.member.id)
             == assignment_id]
    if not found:
        raise not_found(f"{assignment_id} (RoleAssignment)")
    # A role held both directly and through a group is listed twice with one id: the user's own
    # assignment is the one the user's endpoints read and remove.
    return next((assignment for assignment in found
                 if isinstance(assignment, StandardRoleAssignment) and assignment.group_id is None), found[0])


def unassign(org: SandboxOrg, user: User, assignment: Assignment, actor: Actor | None) -> None:
    if isinstance(assignment, StandardRoleAssignment):
        if assignment.group_id is not None:
            # The user holds it through a group: it is not the user's to remove.
            raise not_found(f"{assignment.id} (RoleAssignment)")
        org.role_assignments.remove(assignment.key)
        syslog.record(org, actor, "user.account.privilege.revoke", "Revoke user privilege",
                      [{**syslog.target(user.id, "User", user.login, user.display_name),
                        "detailEntry": {"privilegeRevoked": STANDARD_ROLES[assignment.type]}}])
        return
    if assignment.member.kind == "group":
        # Held through a group's binding member: not the user's to remove.
        raise not_found(f"{assignment.member.id} (RoleAssignment)")
    binding = assignment.resource_set.bindings[assignment.role.id]
    sets_domain.remove_binding_member(org, assignment.resource_set, assignment.role, binding, assignment.member.id,
                                      actor)


def standard_types(org: SandboxOrg, user_id: str) -> set[str]:
    group_ids = _group_ids(org, user_id)
    return {assignment.type for assignment in org.role_assignments if _held(assignment, user_id, group_ids)}


def custom_grants(org: SandboxOrg, user_id: str) -> list[tuple[CustomRole, ResourceSet]]:
    """Every (custom role, resource set) the user holds, directly or through a group."""
    from okta_sandbox.domain.groups import groups_of

    group_ids = {group.id for group in groups_of(org, user_id)}
    grants: list[tuple[CustomRole, ResourceSet]] = []
    for resource_set in org.resource_sets:
        for role_id, binding in resource_set.bindings.items():
            role = org.custom_roles.get(role_id)
            if role is None:
                continue
            if any((member.kind == "user" and member.principal_id == user_id)
                   or (member.kind == "group" and member.principal_id in group_ids)
                   for member in binding.members.values()):
                grants.append((role, resource_set))
    return grants


def remove_all_for_user(org: SandboxOrg, user_id: str) -> None:
    for assignment in [a for a in org.role_assignments if a.user_id == user_id and a.group_id is None]:
        org.role_assignments.remove(assignment.key)
    for resource_set in org.resource_sets:
        for role_id, binding in list(resource_set.bindings.items()):
            for member_id in [m.id for m in binding.members.values() if m.kind == "user" and m.principal_id == user_id]:
                del binding.members[member_id]
            if not binding.members:
                del resource_set.bindings[role_id]


def render_assignment(org: SandboxOrg, user: User, assignment: Assignment) -> Json:
    assignee = {"href": f"{org.base_url}/api/v1/users/{user.id}"}
    if isinstance(assignment, StandardRoleAssignment):
        if assignment.group_id is not None:
            return {"id": assignment.id, "label": STANDARD_ROLES[assignment.type], "type": assignment.type,
                    "status": "ACTIVE", "created": iso(assignment.created),
                    "lastUpdated": iso(assignment.last_updated), "assignmentType": "GROUP",
                    "_links": {"assignee": {"href": f"{org.base_url}/api/v1/groups/{assignment.group_id}"}}}
        return {"id": assignment.id, "label": STANDARD_ROLES[assignment.type], "type": assignment.type,
                "status": "ACTIVE", "created": iso(assignment.created), "lastUpdated": iso(assignment.last_updated),
                "assignmentType": "USER", "_links": {"assignee": assignee}}
    role, resource_set, member = assignment.role, assignment.resource_set, assignment.member
    role_href = f"{org.base_url}/api/v1/iam/roles/{role.id}"
    binding = sets_domain.binding_href(org, resource_set, role.id)
    if member.kind == "group":
        assignee = {"href": f"{org.base_url}/api/v1/groups/{member.principal_id}"}
    return {"id": member.id, "role": role.id, "label": role.label, "type": "CUSTOM", "status": "ACTIVE",
            "created": iso(member.created), "lastUpdated": iso(member.last_updated),
            "assignmentType": "GROUP" if member.kind == "group" else "USER",
            "resource-set": resource_set.id,
            "_links": {"assignee": assignee,
                       "resource-set": {"href": f"{org.base_url}/api/v1/iam/resource-sets/{resource_set.id}"},
                       "member": {"href": f"{binding}/members/{member.id}"},
                       "role": {"href": role_href}, "permissions": {"href": f"{role_href}/permissions"}}}
