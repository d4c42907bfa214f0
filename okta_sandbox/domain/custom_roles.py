"""Custom admin roles (``/api/v1/iam/roles``): a unique label, a required description, and a set
of Okta permission strings. The roles are addressed by id or by label, which is what makes "does it
exist already?" one GET for an idempotent client."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from okta_sandbox import ids
from okta_sandbox.domain import syslog
from okta_sandbox.domain.actors import Actor
from okta_sandbox.entities import CustomRole, Json, Permission
from okta_sandbox.errors import OktaError, not_found, validation_failed
from okta_sandbox.paging import admin_base_url
from okta_sandbox.tables import next_seq
from okta_sandbox.timestamps import iso

if TYPE_CHECKING:
    from okta_sandbox.org import SandboxOrg

# The permission strings Okta accepts in custom roles (Okta's "Permission types" table and the
# Terraform provider's list of valid values). Anything else is refused, as Okta refuses it.
PERMISSIONS = frozenset({
    "okta.users.manage", "okta.users.create", "okta.users.read", "okta.users.userprofile.manage",
    "okta.users.credentials.manage", "okta.users.credentials.resetFactors", "okta.users.credentials.resetPassword",
    "okta.users.credentials.expirePassword", "okta.users.credentials.manageTemporaryAccessCode",
    "okta.users.lifecycle.manage", "okta.users.lifecycle.activate", "okta.users.lifecycle.deactivate",
    "okta.users.lifecycle.suspend", "okta.users.lifecycle.unsuspend", "okta.users.lifecycle.delete",
    "okta.users.lifecycle.unlock", "okta.users.lifecycle.clearSessions", "okta.users.groupMembership.manage",
    "okta.users.appAssignment.manage", "okta.users.apitokens.manage", "okta.users.apitokens.read",
    "okta.groups.manage", "okta.groups.create", "okta.groups.members.manage", "okta.groups.read",
    "okta.groups.appAssignment.manage", "okta.apps.read", "okta.apps.manage", "okta.apps.assignment.manage",
    "okta.apps.manageFirstPartyApps", "okta.profilesources.import.run", "okta.authzServers.read",
    "okta.authzServers.manage", "okta.customizations.read", "okta.customizations.manage",
    "okta.identityProviders.read", "okta.identityProviders.manage", "okta.workflows.read", "okta.workflows.invoke",
    "okta.governance.accessCertifications.manage", "okta.governance.accessRequests.manage", "okta.agents.manage",
    "okta.agents.register", "okta.agents.view", "okta.directories.manage", "okta.directories.read",
    "okta.devices.manage", "okta.devices.read", "okta.devices.lifecycle.manage", "okta.devices.lifecycle.activate",
    "okta.devices.lifecycle.deactivate", "okta.devices.lifecycle.suspend", "okta.devices.lifecycle.unsuspend",
    "okta.devices.lifecycle.delete", "okta.iam.read", "okta.support.cases.manage", "okta.realms.manage",
    "okta.realms.read",
})


def role_target(role: CustomRole) -> Json:
    return syslog.target(role.id, "ROLE", role.label, role.label)


def _text(body: Mapping[str, Any], field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        raise validation_failed(field, f"{field}: The field cannot be left blank")
    return value.strip()


def _check_label(org: SandboxOrg, label: str, *, except_id: str | None = None) -> None:
    if any(role.label.lower() == label.lower() and role.id != except_id for role in org.custom_roles):
        raise validation_failed("label", f"label: A role with the label '{label}' already exists.")


def _check_permission(permission: str) -> str:
    if permission not in PERMISSIONS:
        raise validation_failed("permissions", f"permissions: '{permission}' is not a valid permission.")
    return permission


def create_role(org: SandboxOrg, body: Mapping[str, Any], actor: Actor | None) -> CustomRole:
    label, description = _text(body, "label"), _text(body, "description")
    permissions = body.get("permissions")
    if not isinstance(permissions, list) or not permissions or not all(isinstance(p, str) for p in permissions):
        raise validation_failed("permissions", "permissions: At least one permission is required.")
    _check_label(org, label)
    now = org.clock.now()
    role = CustomRole(id=ids.okta_id(ids.CUSTOM_ROLE), seq=next_seq(), label=label, description=description,
                      created=now, last_updated=now,
                      permissions={p: Permission(_check_permission(p), now, now) for p in permissions})
    org.custom_roles.add(role)
    syslog.record(org, actor, "iam.role.create", "Create a custom role", [role_target(role)])
    return role


def find_role(org: SandboxOrg, ref: str, *, consistent: bool = False) -> CustomRole:
    candidates: Iterable[CustomRole] = org.custom_roles.values() if consistent else org.custom_roles.listing()
    listed = list(candidates)
    for role in listed:
        if role.id == ref:
            return role
    for role in listed:
        if role.label == ref:
            return role
    raise not_found(f"{ref} (Role)")


def replace_role(org: SandboxOrg, role: CustomRole, body: Mapping[str, Any], actor: Actor | None) -> CustomRole:
    label, description = _text(body, "label"), _text(body, "description")
    _check_label(org, label, except_id=role.id)
    role.label, role.description, role.last_updated = label, description, org.clock.now()
    syslog.record(org, actor, "iam.role.update", "Update a custom role", [role_target(role)])
    return role


def delete_role(org: SandboxOrg, role: CustomRole, actor: Actor | None) -> None:
    if any(role.id in resource_set.bindings for resource_set in org.resource_sets):
        # Okta refuses to delete a role that is still granted through a binding.
        raise OktaError(400, "E0000001", "Api validation failed: role",
                        ["The role is still assigned in a resource set binding; delete the binding first."])
    org.custom_roles.remove(role.id)
    syslog.record(org, actor, "iam.role.delete", "Delete a custom role", [role_target(role)])


def add_permission(org: SandboxOrg, role: CustomRole, permission: str, conditions: Json | None,
                   actor: Actor | None) -> None:
    _check_permission(permission)
    if permission in role.permissions:
        raise validation_failed("permission", f"permission: The role already has the permission '{permission}'.")
    now = org.clock.now()
    role.permissions[permission] = Permission(permission, now, now, conditions)
    role.last_updated = now
    syslog.record(org, actor, "iam.role.permissions.add", "Add permissions to a custom role",
                  [role_target(role), syslog.target(permission, "PERMISSION", permission, permission)])


def remove_permission(org: SandboxOrg, role: CustomRole, permission: str, actor: Actor | None) -> None:
    if permission not in role.permissions:
        raise not_found(f"{permission} (Permission)")
    del role.permissions[permission]
    role.last_updated = org.clock.now()
    syslog.record(org, actor, "iam.role.permissions.delete", "Delete permissions from a custom role",
                  [role_target(role), syslog.target(permission, "PERMISSION", permission, permission)])


def _role_href(org: SandboxOrg, role: CustomRole) -> str:
    """Okta links a custom role and its permissions on the org's ``-admin`` host (recorded:
    TestAccResourceOktaAdminRoleCustom_crud), unlike resource sets, which stay on the org host."""
    return f"{admin_base_url(org.base_url)}/api/v1/iam/roles/{role.id}"


def render_role(org: SandboxOrg, role: CustomRole) -> Json:
    href = _role_href(org, role)
    return {"id": role.id, "label": role.label, "description": role.description, "created": iso(role.created),
            "lastUpdated": iso(role.last_updated),
            "_links": {"permissions": {"href": f"{href}/permissions"}, "self": {"href": href}}}


def render_permission(org: SandboxOrg, role: CustomRole, permission: Permission) -> Json:
    href = _role_href(org, role)
    # Okta always sends ``conditions``, null when the permission has none.
    return {"label": permission.label, "created": iso(permission.created),
            "lastUpdated": iso(permission.last_updated), "conditions": permission.conditions or None,
            "_links": {"role": {"href": href}, "self": {"href": f"{href}/permissions/{permission.label}"}}}
