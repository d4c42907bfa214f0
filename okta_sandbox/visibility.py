"""What an ``invisible`` fault hides: the objects one call created, kept out of reads for a while.

The sandbox runs the call's handler between two inventories of the org; every object in the
second and not in the first was created by the call. Items of the org's tables are hidden by
the table itself (as the org-wide ``eventual_consistency_ms`` does); objects that live inside
others (a custom role assignment, an app's assignments and grants, a custom profile attribute)
are hidden in the fault plan's :class:`~okta_sandbox.faults.Hidden`, which the handlers that read
them consult through :func:`visible`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from okta_sandbox.faults import ObjectKey

if TYPE_CHECKING:
    from okta_sandbox.org import SandboxOrg

TABLES = ("users", "groups", "apps", "role_assignments", "custom_roles", "resource_sets", "api_tokens",
          "api_services", "log_streams")


def inventory(org: SandboxOrg) -> set[ObjectKey]:
    """The key of every object of the org that a call can create."""
    keys: set[ObjectKey] = set()
    for name in TABLES:
        table: Any = getattr(org, name)
        # A table's key, not the id: a standard role assignment's id is shared by every holder.
        keys.update((name, table.key_of(item)) for item in table)
    for app in org.apps:
        keys.update(("grant", app.id, grant_id) for grant_id in app.grants)
        keys.update(("app_user", app.id, user_id) for user_id in app.users)
        keys.update(("app_group", app.id, group_id) for group_id in app.groups)
    for resource_set in org.resource_sets:
        for role_id, binding in resource_set.bindings.items():
            keys.update(("member", resource_set.id, role_id, member_id) for member_id in binding.members)
    for schema in org.schemas.values():
        keys.update(("property", schema.id, name) for name in schema.custom)
    return keys


def hide_created(org: SandboxOrg, before: set[ObjectKey], seconds: float) -> int:
    """Hide from reads, for ``seconds`` of org-clock time, what is new since ``before``; returns
    how many objects that was."""
    until = org.clock.now() + seconds
    created = inventory(org) - before
    for key in created:
        if key[0] in TABLES:
            getattr(org, key[0]).hide(key[1], until)
        else:
            org.faults.hidden.hide(key, until)
    return len(created)


def visible(org: SandboxOrg, *key: str) -> bool:
    """Whether a read may show the object (tables answer for their own items)."""
    return org.faults.hidden.visible(key, org.clock.now())
