"""Profile attributes: custom attributes added to a user schema (found by variable name), and
the end user's permission on a base attribute (only the permission is ever changed)."""

from __future__ import annotations

from typing import Any

from app.engine.actions.base import Action, ActionError, Applied, Params, PlanItem, Record, register
from app.engine.context import Context
from app.okta.models import PERMISSION_RANK, UserSchema, permission_words, self_permission
from app.store.statuses import ActionOutcome, Intent, Verdict


class Attribute(Params):
    name: str
    title: str
    type: str = "string"
    permission: str = "READ_ONLY"

    def body(self) -> dict[str, Any]:
        # The keys Okta's Terraform provider sends for a custom attribute; never required, so
        # adding it cannot make the creation of any user fail.
        return {"title": self.title, "type": self.type, "required": False, "master": {"type": "PROFILE_MASTER"},
                "permissions": [{"principal": "SELF", "action": self.permission}]}


class AttributesParams(Params):
    attributes: list[Attribute]
    schema_id: str = "default"


async def cached_schema(ctx: Context, schema_id: str) -> UserSchema:
    """The user schema, read once per phase run and shared by every step that needs it."""
    return await ctx.cached(f"schema:{schema_id}", lambda: ctx.okta.schemas.user_schema(schema_id))


_schema = cached_schema


@register
class EnsureAttributes(Action):
    kind = "okta_schema_attributes"
    restores = True
    params_model = AttributesParams
    needs_super_admin = False
    description = "Add custom profile attributes"

    def _sort(self, schema: UserSchema, p: AttributesParams) -> tuple[list[Attribute], list[str], list[str]]:
        missing, present, conflicts = [], [], []
        for attr in p.attributes:
            found = schema.custom_property(attr.name)
            if found is None:
                missing.append(attr)
            elif found.get("type") != attr.type:
                conflicts.append(f"{attr.name} exists with type {found.get('type')}, not {attr.type}")
            else:
                present.append(attr.name)
        return missing, present, conflicts

    async def plan(self, ctx: Context) -> PlanItem:
        p: AttributesParams = self.params(ctx)
        missing, present, conflicts = self._sort(await _schema(ctx, p.schema_id), p)
        if conflicts:
            return PlanItem(Verdict.conflict, "Attributes exist with another type", object_type="schema_attribute",
                            detail="; ".join(conflicts) + ". The wizard will not change them.")
        if not missing:
            return PlanItem(Verdict.unchanged, f"Attributes {', '.join(present)} already exist",
                            object_type="schema_attribute")
        return PlanItem(Verdict.create, "Add " + ", ".join(f"{a.name} ({a.type}, user permission "
                                                     f"{a.permission.replace('_', ' ').title()})" for a in missing)
                        + (f"; keep existing {', '.join(present)}" if present else ""),
                        calls=[f"POST /api/v1/meta/schemas/user/{p.schema_id} (only "
                               f"{', '.join(a.name for a in missing)})"], object_type="schema_attribute")

    async def apply(self, ctx: Context, record: Record) -> Applied:
        p: AttributesParams = self.params(ctx)
        # The phase's read of the schema is current: each schema write below replaces it.
        missing, _present, conflicts = self._sort(await _schema(ctx, p.schema_id), p)
        if conflicts:
            raise ActionError("; ".join(conflicts) + ". They were not changed; fix them in the Profile Editor and "
                              "retry.", conflict=True)
        created = list(record.details.get("created", [])) if record.intent else []
        if missing:
            # An attribute an earlier attempt meant to add is named once, whether or not it got through.
            created = list(dict.fromkeys([*created, *(a.name for a in missing)]))
            await ctx.intend(Intent.create, {"created": created})
            ctx.remember(f"schema:{p.schema_id}", await ctx.okta.schemas.add_custom_properties(
                {a.name: a.body() for a in missing}, p.schema_id))
        return Applied(ActionOutcome.created if created else ActionOutcome.unchanged,
                       f"Attributes {', '.join(a.name for a in p.attributes)} present"
                       + (f" (added {', '.join(created)})" if created else ""),
                       object_type="schema_attribute", object_id=",".join(a.name for a in p.attributes),
                       details={"created": created, "schema_id": p.schema_id})

    async def undo(self, ctx: Context, record: Record) -> str | None:
        created = [str(n) for n in record.details.get("created", [])]
        if not created:
            return None
        schema_id = str(record.details.get("schema_id", "default"))
        schema = await ctx.okta.schemas.user_schema(schema_id)
        still = [n for n in created if schema.custom_property(n) is not None]
        if not still:
            return None
        await ctx.okta.schemas.remove_custom_properties(still, schema_id)
        return f"Removed the attributes {', '.join(still)}"


class BasePermissionParams(Params):
    attribute: str
    at_least: str = "READ_ONLY"
    set_to: str = "READ_ONLY"
    schema_id: str = "default"


@register
class EnsureBasePermission(Action):
    kind = "okta_base_attribute_permission"
    restores = True
    params_model = BasePermissionParams
    needs_super_admin = False
    description = "Make a base attribute readable by the user"

    async def _current(self, ctx: Context, p: BasePermissionParams) -> tuple[dict[str, Any], str | None]:
        schema = await _schema(ctx, p.schema_id)
        attribute = schema.base_property(p.attribute)
        if attribute is None:
            raise ActionError(f"The user schema has no base attribute '{p.attribute}'.")
        return attribute, self_permission(attribute)

    async def plan(self, ctx: Context) -> PlanItem:
        p: BasePermissionParams = self.params(ctx)
        _attribute, current = await self._current(ctx, p)
        if PERMISSION_RANK.get(current or "HIDE", 0) >= PERMISSION_RANK[p.at_least]:
            return PlanItem(Verdict.unchanged,
                            f"The user permission of '{p.attribute}' is already {permission_words(current)}: "
                            "nothing to change",
                            object_type="schema_attribute", object_id=p.attribute)
        return PlanItem(Verdict.change, f"Change the user permission of '{p.attribute}' from "
                        f"{permission_words(current)} to {permission_words(p.set_to)} (nothing else on the attribute "
                        "changes)",
                        calls=[f"POST /api/v1/meta/schemas/user/{p.schema_id} (only {p.attribute}.permissions)"],
                        object_type="schema_attribute", object_id=p.attribute)

    async def apply(self, ctx: Context, record: Record) -> Applied:
        p: BasePermissionParams = self.params(ctx)
        attribute, current = await self._current(ctx, p)
        previous = record.details.get("previous", current) if record.intent else current
        if PERMISSION_RANK.get(current or "HIDE", 0) >= PERMISSION_RANK[p.at_least]:
            changed = record.intent == Intent.change
            return Applied(ActionOutcome.changed if changed else ActionOutcome.unchanged,
                           f"User permission of '{p.attribute}' is {permission_words(current)}",
                           object_type="schema_attribute",
                           object_id=p.attribute, details={"previous": previous, "now": current,
                                                           "schema_id": p.schema_id})
        await ctx.intend(Intent.change, {"previous": current})
        ctx.remember(f"schema:{p.schema_id}", await ctx.okta.schemas.set_base_permission(
            p.attribute, attribute, p.set_to, p.schema_id))
        return Applied(ActionOutcome.changed,
                       f"User permission of '{p.attribute}' changed from {permission_words(current)} to "
                       f"{permission_words(p.set_to)}",
                       object_type="schema_attribute", object_id=p.attribute,
                       details={"previous": current, "now": p.set_to, "schema_id": p.schema_id})

    async def undo(self, ctx: Context, record: Record) -> str | None:
        previous = record.details.get("previous")
        if not previous or not record.object_id:
            return None
        schema_id = str(record.details.get("schema_id", "default"))
        schema = await ctx.okta.schemas.user_schema(schema_id)
        attribute = schema.base_property(record.object_id)
        if attribute is None:
            return None
        await ctx.okta.schemas.set_base_permission(record.object_id, attribute, str(previous), schema_id)
        return f"Restored the user permission of '{record.object_id}' to {previous}"
