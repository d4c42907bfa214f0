"""Profile attributes: custom attributes added to a user schema (found by variable name), and
the end user's permission on a base attribute (only the permission is ever changed), in one schema
or in every user type's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

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


@dataclass(frozen=True)
class TypeSchema:
    label: str  # the user type as the Profile Editor lists it
    schema_id: str
    schema: UserSchema


async def type_schemas(ctx: Context, schema_id: str | None = None) -> list[TypeSchema]:
    """The schema named by ``schema_id``, or (None) every user type's, default type first. The
    default schema applies to the default user type only: each other type (contractors, say) has a
    schema of its own, found through ``/api/v1/meta/types/user``. The list and each schema are read
    once per phase."""
    if schema_id is not None:
        return [TypeSchema("User (default)" if schema_id == "default" else schema_id, schema_id,
                           await _schema(ctx, schema_id))]
    found: list[TypeSchema] = []
    for user_type in sorted(await ctx.cached("user_types", ctx.okta.schemas.user_types), key=lambda t: not t.default):
        if user_type.schema_id is None:
            raise ActionError(f"Okta did not link the schema of the user type {user_type.label}; look at it in "
                              "Directory > Profile Editor.")
        found.append(TypeSchema(user_type.label, user_type.schema_id, await _schema(ctx, user_type.schema_id)))
    return found


@register
class EnsureAttributes(Action):
    kind = "okta_schema_attributes"
    restores = True
    params_model = AttributesParams
    needs_super_admin = False
    description = "Add custom profile attributes"
    preview_words = "{what}: {attributes}"
    shown: ClassVar[dict[str, Callable[[Any], str]]] = {
        "attributes": lambda attributes: ", ".join(str(a.get("name")) for a in attributes)}

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
    # Where the document's requirement is on every user (Drata: each user's email), every user
    # type's schema, not only ``schema_id``'s.
    every_user_type: bool = False


@dataclass(frozen=True)
class _Found:
    where: TypeSchema
    attribute: dict[str, Any]
    current: str | None

    def too_low(self, p: BasePermissionParams) -> bool:
        return PERMISSION_RANK.get(self.current or "HIDE", 0) < PERMISSION_RANK[p.at_least]


@register
class EnsureBasePermission(Action):
    kind = "okta_base_attribute_permission"
    restores = True
    params_model = BasePermissionParams
    needs_super_admin = False
    description = "Make a base attribute readable by the user"
    preview_words = "Make the base attribute {attribute} readable by the user"

    async def _current(self, ctx: Context, p: BasePermissionParams) -> list[_Found]:
        found: list[_Found] = []
        for where in await type_schemas(ctx, None if p.every_user_type else p.schema_id):
            attribute = where.schema.base_property(p.attribute)
            if attribute is None:
                raise ActionError(f"The user schema of {where.label} has no base attribute '{p.attribute}'.")
            found.append(_Found(where, attribute, self_permission(attribute)))
        return found

    async def plan(self, ctx: Context) -> PlanItem:
        p: BasePermissionParams = self.params(ctx)
        found = await self._current(ctx, p)
        low = [f for f in found if f.too_low(p)]
        # The types are named only where the org has more than one, so a default-only org reads as before.
        named = len(found) > 1
        if not low:
            return PlanItem(Verdict.unchanged,
                            f"The user permission of '{p.attribute}' is already "
                            + (", ".join(f"{permission_words(f.current)} in {f.where.label}" for f in found)
                               if named else permission_words(found[0].current)) + ": nothing to change",
                            object_type="schema_attribute", object_id=p.attribute)
        changes = "; ".join(f"from {permission_words(f.current)} to {permission_words(p.set_to)}"
                            + (f" in {f.where.label}" if named else "") for f in low)
        kept = [f for f in found if not f.too_low(p)]
        return PlanItem(Verdict.change, f"Change the user permission of '{p.attribute}' {changes}"
                        + (f"; leave {', '.join(f'{f.where.label} ({permission_words(f.current)})' for f in kept)}"
                           " as it is" if kept else "") + " (nothing else on the attribute changes)",
                        calls=[f"POST /api/v1/meta/schemas/user/{f.where.schema_id} (only {p.attribute}.permissions)"
                               for f in low],
                        object_type="schema_attribute", object_id=p.attribute)

    async def apply(self, ctx: Context, record: Record) -> Applied:
        p: BasePermissionParams = self.params(ctx)
        found = await self._current(ctx, p)
        # A schema an earlier attempt meant to change (its write may or may not have got through), or
        # an earlier run changed (a restore after drift), keeps the permission it had first: undo
        # puts that back.
        earlier = record.intent or record.outcome == ActionOutcome.changed
        changed: dict[str, Any] = dict(_recorded(record)) if earlier else {}
        low = [f for f in found if f.too_low(p)]
        if low:
            for f in low:
                changed.setdefault(f.where.schema_id, {"type": f.where.label, "previous": f.current})
            await ctx.intend(Intent.change, {"schemas": changed})
            for f in low:
                ctx.remember(f"schema:{f.where.schema_id}", await ctx.okta.schemas.set_base_permission(
                    p.attribute, f.attribute, p.set_to, f.where.schema_id))
        named = len(found) > 1
        parts = [(f"changed from {permission_words(f.current)} to {permission_words(p.set_to)}" if f in low
                  else f"is {permission_words(f.current)}") + (f" in {f.where.label}" if named else "") for f in found]
        return Applied(ActionOutcome.changed if changed else ActionOutcome.unchanged,
                       f"User permission of '{p.attribute}' " + ", ".join(parts),
                       object_type="schema_attribute", object_id=p.attribute,
                       details={"schemas": changed,
                                "now": {f.where.schema_id: p.set_to if f in low else f.current for f in found}})

    async def undo(self, ctx: Context, record: Record) -> str | None:
        if not record.object_id:
            return None
        restored: list[str] = []
        for schema_id, was in _recorded(record).items():
            previous = was.get("previous")
            if not previous:
                continue
            schema = await ctx.okta.schemas.user_schema(schema_id)
            attribute = schema.base_property(record.object_id)
            if attribute is None:
                continue
            await ctx.okta.schemas.set_base_permission(record.object_id, attribute, str(previous), schema_id)
            restored.append(f"{previous} in {was.get('type') or schema_id}")
        if not restored:
            return None
        return f"Restored the user permission of '{record.object_id}' to {', '.join(restored)}"


def _recorded(record: Record) -> dict[str, dict[str, Any]]:
    """The schemas a record says were changed, by schema id, with the permission each had. A
    record saved before the action covered every user type names one schema and its
    ``previous`` at the top level."""
    schemas = record.details.get("schemas")
    if isinstance(schemas, dict):
        return {str(k): v for k, v in schemas.items() if isinstance(v, dict)}
    if record.details.get("previous"):
        return {str(record.details.get("schema_id", "default")): {"previous": record.details["previous"]}}
    return {}
