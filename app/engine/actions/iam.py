"""Custom admin roles and resource sets, found by label. An existing one with the same label is
adopted if it matches, and reported as a conflict (never overwritten) if it does not."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from app.engine.actions.base import Action, ActionError, Applied, Params, PlanItem, Record, register, settled
from app.engine.context import Context
from app.engine.resources import canonical, permission_gaps, same_resources
from app.okta.errors import OktaApiError, OktaBadRequest, OktaConflict, OktaNotFound
from app.okta.models import CustomRole, Resource, ResourceSet
from app.store.statuses import ActionOutcome, Intent, Verdict


class CustomRoleParams(Params):
    label: str
    description: str
    permissions: list[str]
    fact: str = "custom_role_id"


async def _role(ctx: Context, label: str) -> CustomRole | None:
    """The role by its label, if there is one: a 404 is the answer expected before it is made."""
    return await ctx.cached(f"role:{label}", lambda: _role_by_label(ctx, label))


async def _role_by_label(ctx: Context, label: str) -> CustomRole | None:
    return await ctx.okta.iam.role(label, absent_ok=True)


async def _set_by_label(ctx: Context, label: str) -> ResourceSet | None:
    """The resource set by its label, if there is one: a 404 is the answer expected before it is made."""
    return await ctx.okta.iam.resource_set(label, absent_ok=True)


async def _role_permissions(ctx: Context, role_id: str) -> list[str]:
    return await ctx.cached(f"perms:{role_id}", lambda: ctx.okta.iam.permissions(role_id))


def _describe_gaps(missing: set[str], extra: set[str]) -> str:
    """What follows "it": "lacks a, b and has c besides"."""
    parts = []
    if missing:
        parts.append("lacks " + ", ".join(sorted(missing)))
    if extra:
        parts.append("has " + ", ".join(sorted(extra)) + " besides")
    return " and ".join(parts)


def _differs(what: str, held: str, missing: set[str], extra: set[str]) -> ActionError:
    """An object of ours by name that holds something else: never changed, since a person (or
    another tool) may rely on it as it is."""
    return ActionError(f"The {what} exists with other {held}: it "
                       f"{_describe_gaps(missing, extra)}. It was not changed; fix or rename it in the "
                       "Admin Console and retry.", conflict=True)


def _ensured(ours: bool, what: str, object_type: str, object_id: str, label: str, fact: str) -> Applied:
    """Created by this step, or adopted as it was found with the same content."""
    return Applied(ActionOutcome.created if ours else ActionOutcome.adopted,
                   f"{'Created' if ours else 'Adopted'} the {what}",
                   object_type=object_type, object_id=object_id, details={"label": label}, facts={fact: object_id})


@register
class EnsureCustomRole(Action):
    kind = "okta_custom_role"
    restores = True
    produces = frozenset({"{fact}"})
    params_model = CustomRoleParams
    description = "Create or adopt a custom admin role"

    async def plan(self, ctx: Context) -> PlanItem:
        p: CustomRoleParams = self.params(ctx)
        role = await _role(ctx, p.label)
        body = f'POST /api/v1/iam/roles {{"label": "{p.label}", "permissions": [{", ".join(p.permissions)}]}}'
        if role is None:
            return PlanItem(Verdict.create, f"Create the custom role “{p.label}” with {len(p.permissions)} permissions",
                            calls=[body], object_type="custom_role")
        missing, extra = permission_gaps(p.permissions, await _role_permissions(ctx, role.id))
        if missing or extra:
            return PlanItem(Verdict.conflict, f"A role labelled “{p.label}” exists with other permissions",
                            object_type="custom_role", object_id=role.id,
                            detail=f"It {_describe_gaps(missing, extra)}. The wizard will not change it: rename "
                                   "or fix that role in the Admin Console, then plan again.")
        return PlanItem(Verdict.adopt, f"Use the existing custom role “{p.label}” (same permissions)",
                        object_type="custom_role", object_id=role.id, facts={p.fact: role.id})

    async def apply(self, ctx: Context, record: Record) -> Applied:
        p: CustomRoleParams = self.params(ctx)
        ctx.forget(f"role:{p.label}")
        role = await _role(ctx, p.label)
        if role is None and record.intent == Intent.create:
            role = await ctx.look_again(lambda: _role_by_label(ctx, p.label))
        ours = record.intent == Intent.create or record.created_by_us
        if role is None:
            await ctx.intend(Intent.create, {"label": p.label})
            try:
                role = await ctx.okta.iam.create_role(p.label, p.description, p.permissions)
            except (OktaConflict, OktaBadRequest) as exc:
                role = await ctx.look_again(lambda: _role_by_label(ctx, p.label))
                if role is None:
                    raise exc from None
            ours = True
        else:
            ctx.forget(f"perms:{role.id}")
            missing, extra = permission_gaps(p.permissions, await _role_permissions(ctx, role.id))
            if missing or extra:
                raise _differs(f"custom role “{p.label}”", "permissions", missing, extra)
        return _ensured(ours, f"custom role “{p.label}”", "custom_role", role.id, p.label, p.fact)

    async def undo(self, ctx: Context, record: Record) -> str | None:
        # Already gone is done: its 404 is an answer, not a failure.
        return await _delete(record, lambda i: ctx.okta.iam.role(i, absent_ok=True), ctx.okta.iam.delete_role,
                             "custom role",
                             "it may still be assigned to someone else.")


# An ORN whose partition is not known yet (``orn:{org.partition}:…`` before Okta has shown the
# org's partition): the partition is learned from the ORNs Okta returns for the set's resources.
_NO_PARTITION = "orn::"
# Where an administrator adds a resource to a resource set by hand.
_ADD_BY_HAND = ("Security > Administrators > Resources > “{label}” > Edit > Add resource > Identity and Access "
                "Management > All Identity and Access Management resources > Save changes; then Retry here.")


def _unnamed(resources: list[str]) -> str:
    """Why a set of only ORNs cannot be made while the org's ORN partition is unknown ("" when it
    can): the partition is learned from the ORNs Okta gives the set's URL resources, never guessed,
    and "orn::…" sent at creation is refused (a 400 on Apply, and the same on each Retry: review)."""
    if any(not r.startswith("orn:") for r in resources) or not any(r.startswith(_NO_PARTITION) for r in resources):
        return ""
    return ("Every resource of the set is an ORN, and this org's ORN partition is not known yet (the wizard learns "
            "it from the ORNs Okta gives a set's URL resources, and never guesses it): in the vendor's settings, "
            "name one resource by its URL (https://…/api/v1/users for all users), or write each ORN with the "
            "org's partition (orn:okta:… for a production org, orn:oktapreview:… for a preview org); then make "
            "the plan again.")


def _shown(resource: str) -> str:
    return resource.replace(_NO_PARTITION, "orn:{partition}:", 1) if resource.startswith(_NO_PARTITION) else resource


def _partition_of(resources: list[Resource]) -> str | None:
    """The org's ORN partition, as Okta wrote it in the ORNs it returned."""
    for resource in resources:
        parts = (resource.orn or "").split(":")
        if len(parts) > 2 and parts[0] == "orn" and parts[1]:
            return parts[1]
    return None


class ResourceSetParams(Params):
    label: str
    description: str
    resources: list[str]
    fact: str = "resource_set_id"


@register
class EnsureResourceSet(Action):
    kind = "okta_resource_set"
    restores = True
    produces = frozenset({"{fact}"})
    params_model = ResourceSetParams
    description = "Create or adopt a resource set"

    async def _compare(self, ctx: Context, p: ResourceSetParams, set_id: str) -> tuple[set[str], set[str]]:
        have = await ctx.cached(f"resources:{set_id}", lambda: ctx.okta.iam.resources(set_id))
        org = ctx.scope.org
        return same_resources(p.resources, [r.orn or r.link("self") or r.id for r in have],
                              org_id=org.org_id if org else "", partition=org.partition if org else "okta")

    async def plan(self, ctx: Context) -> PlanItem:
        p: ResourceSetParams = self.params(ctx)
        found: ResourceSet | None = await ctx.cached(f"rs:{p.label}", lambda: _set_by_label(ctx, p.label))
        unnamed = _unnamed(p.resources) if found is None else ""
        if unnamed:
            return PlanItem(Verdict.conflict, f"The resource set “{p.label}” cannot be created as set",
                            object_type="resource_set", detail=unnamed)
        if found is None:
            return PlanItem(Verdict.create, f"Create the resource set “{p.label}” with {len(p.resources)} resources",
                            calls=self._create_calls(p), object_type="resource_set")
        missing, extra = await self._compare(ctx, p, found.id)
        if missing or extra:
            return PlanItem(Verdict.conflict, f"A resource set labelled “{p.label}” exists with other resources",
                            object_type="resource_set", object_id=found.id,
                            detail=f"It {_describe_gaps(missing, extra)}. The wizard will not change it.")
        return PlanItem(Verdict.adopt, f"Use the existing resource set “{p.label}” (same resources)",
                        object_type="resource_set", object_id=found.id, facts={p.fact: found.id})

    @staticmethod
    def _split(resources: list[str]) -> tuple[list[str], list[str]]:
        """(sent at creation, added after it): ORNs go in a second call, so that a refused ORN
        (Okta publishes no ORN for some resources) is named on its own, and so that the set's URL
        resources show the org's ORN partition first."""
        urls = [r for r in resources if not r.startswith("orn:")]
        return (urls, [r for r in resources if r.startswith("orn:")]) if urls else (resources, [])

    def _create_calls(self, p: ResourceSetParams) -> list[str]:
        first, later = self._split(p.resources)
        calls = [f'POST /api/v1/iam/resource-sets {{"label": "{p.label}", "resources": [{", ".join(first)}]}}']
        if any(r.startswith(_NO_PARTITION) for r in later):
            calls.append("GET /api/v1/iam/resource-sets/{id}/resources (the org's ORN partition)")
        if later:
            calls.append(f'PATCH /api/v1/iam/resource-sets/{{id}}/resources {{"additions": '
                         f'[{", ".join(_shown(r) for r in later)}]}}')
        return calls

    async def _add(self, ctx: Context, p: ResourceSetParams, set_id: str, wanted: list[str]) -> None:
        """Add ``wanted`` to our set, each ORN with the partition Okta uses for this org."""
        if any(r.startswith(_NO_PARTITION) for r in wanted):
            # A set made a moment ago can be missing from reads for a while (Okta's replicas).
            have = await ctx.cached(f"resources:{set_id}", lambda: settled(ctx, lambda: ctx.okta.iam.resources(set_id)))
            partition = _partition_of(have)
            if partition is None:
                raise ActionError(f"Okta returned no ORN for the resources of “{p.label}”, so the org's ORN "
                                  "partition is unknown and these resources cannot be named: "
                                  f"{', '.join(_shown(r) for r in wanted)}. Add them by hand: "
                                  + _ADD_BY_HAND.format(label=p.label))
            if ctx.scope.org is not None:
                ctx.scope.org.partition = partition
            wanted = [f"orn:{partition}:" + r[len(_NO_PARTITION):] if r.startswith(_NO_PARTITION) else r
                      for r in wanted]
        try:
            await settled(ctx, lambda: ctx.okta.iam.add_resources(set_id, wanted))
        except (OktaBadRequest, OktaNotFound) as exc:
            raise ActionError(f"Okta refused the resource {', '.join(wanted)} (sent to the resource set "
                              f"“{p.label}”). Add it by hand: " + _ADD_BY_HAND.format(label=p.label)
                              + f" Okta said: {exc.okta_said}", conflict=True) from exc
        ctx.forget(f"resources:{set_id}")

    async def apply(self, ctx: Context, record: Record) -> Applied:
        p: ResourceSetParams = self.params(ctx)
        found = await _set_by_label(ctx, p.label)
        if found is None and record.intent == Intent.create:
            found = await ctx.look_again(lambda: _set_by_label(ctx, p.label))
        ours = record.intent == Intent.create or record.created_by_us
        if found is None:
            unnamed = _unnamed(p.resources)
            if unnamed:
                raise ActionError(unnamed, conflict=True)
            await ctx.intend(Intent.create, {"label": p.label})
            first, later = self._split(p.resources)
            try:
                found = await ctx.okta.iam.create_resource_set(p.label, p.description, first)
            except (OktaConflict, OktaBadRequest) as exc:
                found = await ctx.look_again(lambda: _set_by_label(ctx, p.label))
                if found is None:
                    raise exc from None
            else:
                ctx.forget(f"resources:{found.id}")
                if later:
                    await self._add(ctx, p, found.id, later)
            ours = True
        else:
            ctx.forget(f"resources:{found.id}")
            missing, extra = await self._compare(ctx, p, found.id)
            org = ctx.scope.org
            if missing and ours:
                # Our own set, created before a crash or a refused ORN with fewer resources: complete it.
                await self._add(ctx, p, found.id, [r for r in p.resources if canonical(
                    r, org_id=org.org_id if org else "") in missing])
            elif missing or extra:
                raise _differs(f"resource set “{p.label}”", "resources", missing, extra)
        return _ensured(ours, f"resource set “{p.label}”", "resource_set", found.id, p.label, p.fact)

    async def undo(self, ctx: Context, record: Record) -> str | None:
        return await _delete(record, lambda i: ctx.okta.iam.resource_set(i, absent_ok=True),
                             ctx.okta.iam.delete_resource_set, "resource set", "it may still be bound to other admins.")


async def _delete(record: Record, find: Callable[[str], Awaitable[object | None]],
                  delete: Callable[[str], Awaitable[object]], what: str, refusal: str) -> str | None:
    """Undo of an object this onboarding created: already gone is done (``find`` says a 404 is an
    answer it expects); Okta refusing (the object is still in use) stops undo with Okta's reason
    and the likely cause."""
    if not record.object_id or await find(record.object_id) is None:
        return None
    try:
        await delete(record.object_id)
    except OktaApiError as exc:
        raise ActionError(f"Okta would not delete the {what} ({exc.okta_said}); {refusal}") from exc
    return f"Deleted the {what} “{record.details.get('label', record.object_id)}”"
