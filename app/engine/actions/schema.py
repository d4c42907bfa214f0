"""Profile attributes: custom attributes added to a user schema (found by variable name), and
the end user's permission on a base attribute (only the permission is ever changed), in one schema
or in every user type's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from app.engine.actions.base import Action, ActionError, Applied, Params, PlanItem, Record, register
from app.engine.context import Context
from app.okta.api.schemas import with_self_permission
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
    # Whether an attribute the org already has is set to ``permission`` too: where the document asks
    # for it (Defender's read-only attributes), not where it names only the attribute (Drata's), so an
    # administrator's own choice is not changed unasked.
    set_existing_permission: bool = False


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

    def _sort(self, schema: UserSchema, p: AttributesParams) -> _Sorted:
        sorted_ = _Sorted()
        for attr in p.attributes:
            found = schema.custom_property(attr.name)
            if found is None:
                sorted_.missing.append(attr)
            elif found.get("type") != attr.type:
                sorted_.conflicts.append(f"{attr.name} exists with type {found.get('type')}, not {attr.type}")
            elif p.set_existing_permission and self_permission(found) != attr.permission:
                sorted_.loose.append((attr, found))
            else:
                sorted_.present.append(attr.name)
        return sorted_

    async def plan(self, ctx: Context) -> PlanItem:
        p: AttributesParams = self.params(ctx)
        found = self._sort(await _schema(ctx, p.schema_id), p)
        if found.conflicts:
            return PlanItem(Verdict.conflict, "Attributes exist with another type", object_type="schema_attribute",
                            detail="; ".join(found.conflicts) + ". The wizard will not change them.")
        if not found.missing and not found.loose:
            return PlanItem(Verdict.unchanged, f"Attributes {', '.join(found.present)} already exist",
                            object_type="schema_attribute")
        # An attribute that exists with another user permission than the document's (users could edit
        # it) is set to it, and said before apply: the plan read "keep existing ObjectGuid" and only the
        # verification after it found ObjectGuid Read-Write (QA walk 29, M1).
        parts = (["Add " + ", ".join(f"{a.name} ({a.type}, user permission {permission_words(a.permission)})"
                                      for a in found.missing)] if found.missing else []) + \
            (["set the user permission of " + ", ".join(
                f"{a.name} from {permission_words(self_permission(had))} to {permission_words(a.permission)}"
                for a, had in found.loose) + f" (nothing else on {'it' if len(found.loose) == 1 else 'them'} "
              "changes)"] if found.loose else []) + \
            ([f"keep existing {', '.join(found.present)}"] if found.present else [])
        summary = "; ".join(parts)
        return PlanItem(Verdict.create if found.missing else Verdict.change, summary[0].upper() + summary[1:],
                        calls=[f"POST /api/v1/meta/schemas/user/{p.schema_id} (only {', '.join(found.written)})"],
                        object_type="schema_attribute")

    async def apply(self, ctx: Context, record: Record) -> Applied:
        p: AttributesParams = self.params(ctx)
        # The phase's read of the schema is current: each schema write below replaces it.
        found = self._sort(await _schema(ctx, p.schema_id), p)
        if found.conflicts:
            raise ActionError("; ".join(found.conflicts) + ". They were not changed; fix them in the Profile Editor "
                              "and retry.", conflict=True)
        # What an earlier run or attempt added, and the permission each attribute had before the wizard
        # first set it (an attempt's write may or may not have got through), are kept: a restore after
        # drift added one attribute and undo then removed only that one of the three it had made.
        created = [str(n) for n in record.details.get("created", [])]
        previous: dict[str, str | None] = dict(record.details.get("permissions") or {})
        if found.missing or found.loose:
            # An attribute an earlier attempt meant to add is named once, whether or not it got through.
            created = list(dict.fromkeys([*created, *(a.name for a in found.missing)]))
            for attr in found.missing:  # made by the wizard now: undo removes it, there is nothing to restore
                previous.pop(attr.name, None)
            for attr, had in found.loose:
                if attr.name not in created:
                    previous.setdefault(attr.name, self_permission(had))
            await ctx.intend(Intent.create if found.missing else Intent.change,
                             {"created": created, "permissions": previous})
            ctx.remember(f"schema:{p.schema_id}", await ctx.okta.schemas.write_custom_properties(
                {**{a.name: a.body() for a in found.missing},
                 **{a.name: with_self_permission(had, a.permission) for a, had in found.loose}}, p.schema_id))
        set_words = ", ".join(f"{name} set to {permission_words(self._wanted(p, name))}, was "
                              f"{permission_words(was)}" for name, was in previous.items())
        said = "; ".join(([f"added {', '.join(created)}"] if created else [])
                         + ([f"user permission of {set_words}"] if previous else []))
        outcome = ActionOutcome.created if created else ActionOutcome.changed if previous else ActionOutcome.unchanged
        return Applied(outcome, f"Attributes {', '.join(a.name for a in p.attributes)} present"
                       + (f" ({said})" if said else ""),
                       object_type="schema_attribute", object_id=",".join(a.name for a in p.attributes),
                       details={"created": created, "schema_id": p.schema_id, "permissions": previous})

    @staticmethod
    def _wanted(p: AttributesParams, name: str) -> str:
        return next((a.permission for a in p.attributes if a.name == name), "the document's")

    def undo_words(self, record: Record) -> str | None:
        """What undo does, for its confirmation: the attributes this onboarding added go, the ones it
        found stay, a user permission it set goes back (the page said "remove" beside all three names
        where undo removed one: QA walk 29, M4)."""
        created = [str(n) for n in record.details.get("created", [])]
        restored = _restored(record)
        names = [n for n in str(record.object_id or "").split(",") if n]
        kept = [n for n in names if n not in created]
        parts = ([f"remove {', '.join(created)} (added by this onboarding)"] if created else []) + \
            [f"restore the user permission of {name} to {permission_words(was)}" for name, was in restored.items()] \
            + ([f"{', '.join(kept)} {'stays' if len(kept) == 1 else 'stay'}"] if kept and created else [])
        return "; ".join(parts) if parts else None

    async def undo(self, ctx: Context, record: Record) -> str | None:
        created = [str(n) for n in record.details.get("created", [])]
        restored = _restored(record)
        if not created and not restored:
            return None
        schema_id = str(record.details.get("schema_id", "default"))
        schema = await ctx.okta.schemas.user_schema(schema_id)
        still = [n for n in created if schema.custom_property(n) is not None]
        back = {n: (was, prop) for n, was in restored.items() if (prop := schema.custom_property(n)) is not None}
        if not still and not back:
            return None
        await ctx.okta.schemas.write_custom_properties(
            {**{n: None for n in still}, **{n: with_self_permission(prop, was) for n, (was, prop) in back.items()}},
            schema_id)
        return "; ".join(([f"Removed the attributes {', '.join(still)}"] if still else [])
                         + [f"restored the user permission of {n} to {permission_words(was)}" for n, (was, _p) in
                            back.items()])


@dataclass
class _Sorted:
    """The attributes a schema has of those asked for: missing, present as asked, present with
    another user permission (and their definitions), and present with another type (conflicts)."""

    missing: list[Attribute] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    loose: list[tuple[Attribute, dict[str, Any]]] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    @property
    def written(self) -> list[str]:
        return [a.name for a in self.missing] + [a.name for a, _had in self.loose]


def _restored(record: Record) -> dict[str, str]:
    """The attributes whose user permission the wizard set, and the one each had before (a
    permission it had none of is not put back: there was nothing to restore)."""
    return {str(name): str(was) for name, was in (record.details.get("permissions") or {}).items() if was}


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
                raise ActionError(f"The user schema of {where.label} has no base attribute “{p.attribute}”.")
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
                            f"The user permission of “{p.attribute}” is already "
                            + (", ".join(f"{permission_words(f.current)} in {f.where.label}" for f in found)
                               if named else permission_words(found[0].current)) + ": nothing to change",
                            object_type="schema_attribute", object_id=p.attribute)
        changes = "; ".join(f"from {permission_words(f.current)} to {permission_words(p.set_to)}"
                            + (f" in {f.where.label}" if named else "") for f in low)
        kept = [f for f in found if not f.too_low(p)]
        return PlanItem(Verdict.change, f"Change the user permission of “{p.attribute}” {changes}"
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
                       f"User permission of “{p.attribute}” " + ", ".join(parts),
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
        return f"Restored the user permission of “{record.object_id}” to {', '.join(restored)}"


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
