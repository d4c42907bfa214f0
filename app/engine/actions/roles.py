"""Admin roles of a user: assign a standard role, remove one (Super Admin, after the token
exists), and assign a custom role on a resource set. Undo removes only the assignment the
wizard made for this user, and the binding only once no one else is in it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from app.engine.actions.base import Action, ActionError, Applied, Params, PlanItem, Record, register, settled
from app.engine.context import Context
from app.okta.errors import OktaApiError, OktaNotFound
from app.okta.models import ApiToken, RoleAssignment, User
from app.store.statuses import ActionOutcome, Intent, Verdict

ROLE_LABELS = {
    "SUPER_ADMIN": "Super Administrator",
    "ORG_ADMIN": "Organization Administrator",
    "READ_ONLY_ADMIN": "Read-Only Administrator",
    "HELP_DESK_ADMIN": "Help Desk Administrator",
    "APP_ADMIN": "Application Administrator",
    "USER_ADMIN": "Group Administrator",
    "API_ACCESS_MANAGEMENT_ADMIN": "API Access Management Administrator",
    "REPORT_ADMIN": "Report Administrator",
    "GROUP_MEMBERSHIP_ADMIN": "Group Membership Administrator",
}


def role_label(role_type: str) -> str:
    return ROLE_LABELS.get(role_type, role_type)


async def user_roles(ctx: Context, user_id: str) -> list[RoleAssignment]:
    # The user may be one this onboarding has just created, which Okta can deny for a moment.
    roles: list[RoleAssignment] = await ctx.cached(
        f"roles:{user_id}", lambda: settled(ctx, lambda: ctx.okta.roles.of_user(user_id)))
    return roles


async def _fresh_roles(ctx: Context, user_id: str) -> list[RoleAssignment]:
    ctx.forget(f"roles:{user_id}")
    return await user_roles(ctx, user_id)


def _assigned_here(ctx: Context, user_id: str, role: str) -> bool:
    """Whether an earlier step of this onboarding assigned ``role`` to the user (a role it did
    not assign, on an org set up before, is not waited for)."""
    return any((r.created_by_us or r.intent == Intent.create) and r.details.get("role") == role
               and r.details.get("user") == user_id for r in ctx.records.values())


def _added(ctx: Context, user_id: str, assignment: RoleAssignment) -> None:
    """The phase's read of the user's roles now includes ``assignment`` (no second read)."""
    # Okta gives a standard role's assignment one id for every holder (base32 of its type): the
    # user's own is told from the one a group gives by ``via_group``, not by the id.
    ctx.revise(f"roles:{user_id}", lambda roles: roles if any(
        r.id == assignment.id and not r.via_group for r in roles) else [*roles, assignment])


async def _assign(ctx: Context, assign: Callable[[], Awaitable[RoleAssignment]],
                  find: Callable[[], Awaitable[list[RoleAssignment]]]) -> RoleAssignment:
    """Assign the role. When Okta says it is already assigned (its duplicate codes, E0000090 or
    E0000263, whatever the status), an earlier attempt whose answer was lost got through: find it,
    patiently, as Okta's list can lag behind it."""
    try:
        return await assign()
    except OktaApiError as exc:
        if not exc.is_duplicate:
            raise
        found: list[RoleAssignment] = await ctx.look_again(find)
        if not found:
            raise
        return found[0]


def _user_ref_unknown(ctx: Context, template: str) -> bool:
    return not ctx.scope.can_render(template)


async def _held(ctx: Context, action: Action,
                for_new_account: PlanItem) -> PlanItem | tuple[StandardRoleParams, list[RoleAssignment]]:
    """The rendered parameters and the account's assignments of the role; or, while the account is
    still to be created (nothing to read yet), the plan line ``for_new_account``."""
    if _user_ref_unknown(ctx, action.raw_params["user"]):
        return for_new_account
    p: StandardRoleParams = action.params(ctx)
    return p, [r for r in await user_roles(ctx, p.user) if r.type == p.role]


class StandardRoleParams(Params):
    user: str
    role: str
    # A role the account needs only while its API token is created (Defender's Super Admin): an
    # account that already has a token does not get it again.
    while_no_token: bool = False


async def existing_token(ctx: Context, user_id: str) -> ApiToken | None:
    """The newest API token the account already has. Only an active account can have one (a
    person signs in as it to create it), so an account not yet active costs no token read."""
    user: User | None = await ctx.cached(f"userid:{user_id}", lambda: ctx.okta.users.get(user_id))
    if user is None or user.status != "ACTIVE":
        return None
    tokens = await ctx.api_tokens()
    mine = [token for token in tokens if token.userId == user_id]
    return max(mine, key=lambda token: token.created or "") if mine else None


def _not_needed(role: str, token: ApiToken) -> str:
    return (f"{role_label(role)} is not needed: the account already has the API token “{token.name or token.id}”, "
            f"and {role_label(role)} is assigned only while a token is created. If you no longer have that "
            "token's value, revoke it (Security > API > Tokens) and plan again.")


@register
class EnsureStandardRole(Action):
    kind = "okta_standard_role"
    restores = True
    params_model = StandardRoleParams
    description = "Assign a standard admin role"
    preview_words = "Assign {role} to the service account"
    shown: ClassVar[dict[str, Callable[[Any], str]]] = {"role": role_label}

    def may_restore(self) -> bool:
        # A role held only while a token is created (Super Admin) is never given back by a repair:
        # with the token revoked since, the plan would assign it again for good.
        return not self.raw_params.get("while_no_token", False)

    async def plan(self, ctx: Context) -> PlanItem:
        role = self.raw_params["role"]
        calls = [f'POST /api/v1/users/{{id}}/roles {{"type": "{role}"}}']
        found = await _held(ctx, self, PlanItem(Verdict.create, f"Assign {role_label(role)} to the new service account",
                                                calls=calls, object_type="role_assignment"))
        if isinstance(found, PlanItem):
            return found
        p, existing = found
        if existing:
            how = "" if any(not r.via_group for r in existing) else " (through a group)"
            return PlanItem(Verdict.unchanged, f"{role_label(p.role)} is already assigned{how}",
                            object_type="role_assignment", object_id=existing[0].id)
        token = await existing_token(ctx, p.user) if p.while_no_token else None
        if token is not None:
            return PlanItem(Verdict.unchanged, _not_needed(p.role, token), object_type="role_assignment")
        return PlanItem(Verdict.create, f"Assign {role_label(p.role)}", calls=calls, object_type="role_assignment")

    async def apply(self, ctx: Context, record: Record) -> Applied:
        p: StandardRoleParams = self.params(ctx)
        # The phase's read of the user's roles is current: every write below brings it up to date.
        held = [r for r in await user_roles(ctx, p.user) if r.type == p.role]
        existing = [r for r in held if not r.via_group]
        if existing:
            ours = record.intent == Intent.create or record.created_by_us
            return Applied(ActionOutcome.created if ours else ActionOutcome.unchanged,
                           f"{role_label(p.role)} {'assigned' if ours else 'was already assigned'}",
                           object_type="role_assignment", object_id=existing[0].id,
                           details={"role": p.role, "user": p.user})
        if held and record.intent is None:
            # Held through a group: counted, never claimed (undo must not touch the group's role).
            return Applied(ActionOutcome.unchanged,
                           f"{role_label(p.role)} is held through a group", object_type="role_assignment",
                           details={"role": p.role, "user": p.user, "group": held[0].group_id})
        token = await existing_token(ctx, p.user) if p.while_no_token and record.intent is None else None
        if token is not None:
            return Applied(ActionOutcome.unchanged, _not_needed(p.role, token), object_type="role_assignment",
                           details={"role": p.role, "user": p.user, "token": token.id})
        await ctx.intend(Intent.create, {"role": p.role, "user": p.user})
        assignment = await _assign(ctx, lambda: ctx.okta.roles.assign_standard(p.user, p.role),
                                   lambda: self._of_type(ctx, p))
        _added(ctx, p.user, assignment)
        return Applied(ActionOutcome.created, f"Assigned {role_label(p.role)}", object_type="role_assignment",
                       object_id=assignment.id, details={"role": p.role, "user": p.user})

    @staticmethod
    async def _of_type(ctx: Context, p: StandardRoleParams) -> list[RoleAssignment]:
        """The user's own (direct) assignments of the role, read afresh."""
        return [r for r in await _fresh_roles(ctx, p.user) if r.type == p.role and not r.via_group]

    async def undo(self, ctx: Context, record: Record) -> str | None:
        user = str(record.details.get("user", ""))
        role = str(record.details.get("role", ""))
        if not user or not record.object_id:
            return None
        # The account gone took its roles with it: its 404 is an answer, not a failure.
        if await ctx.okta.users.get(user, absent_ok=True) is None:
            return None
        current = [r for r in await ctx.okta.roles.of_user(user) if r.id == record.object_id and not r.via_group]
        if not current:
            return None
        await ctx.okta.roles.unassign(user, record.object_id)
        return f"Removed {role_label(role)} from the service account"


@register
class RemoveStandardRole(Action):
    kind = "okta_remove_standard_role"
    params_model = StandardRoleParams
    description = "Remove a standard admin role"
    preview_words = "Remove {role} from the service account"
    shown: ClassVar[dict[str, Callable[[Any], str]]] = {"role": role_label}

    async def plan(self, ctx: Context) -> PlanItem:
        role = self.raw_params["role"]
        calls = ["GET /api/v1/users/{id}/roles", "DELETE /api/v1/users/{id}/roles/{roleAssignmentId}"]
        found = await _held(ctx, self, PlanItem(Verdict.remove, f"Remove {role_label(role)} from the service account",
                                                calls=calls, object_type="role_assignment"))
        if isinstance(found, PlanItem):
            return found
        p, held = found
        existing = [r for r in held if not r.via_group]
        if any(r.via_group for r in held):
            return PlanItem(Verdict.conflict,
                            f"{role_label(p.role)} is held through a group", object_type="role_assignment",
                            detail=await _through_group(ctx, p.role, held))
        if not existing:
            return PlanItem(Verdict.unchanged, f"{role_label(p.role)} is not assigned", object_type="role_assignment")
        return PlanItem(Verdict.remove, f"Remove {role_label(p.role)}", calls=calls, object_type="role_assignment",
                        object_id=existing[0].id)

    async def apply(self, ctx: Context, record: Record) -> Applied:
        p: StandardRoleParams = self.params(ctx)
        if ctx.scope.admin.get("id") == p.user:
            raise ActionError("The wizard will not remove a role from the account whose credential it uses.")
        held = [r for r in await user_roles(ctx, p.user) if r.type == p.role]
        existing = [r for r in held if not r.via_group]
        if not existing and record.intent is None and _assigned_here(ctx, p.user, p.role):
            # A role assigned a moment ago (by an earlier step) can be missing from Okta's list for
            # a while: look again before concluding it is not assigned, rather than leave it behind.
            existing = await ctx.look_again(lambda: EnsureStandardRole._of_type(ctx, p))
        through_group = any(r.via_group for r in held)
        if not existing and not through_group:
            # Not assigned, or removed by an earlier attempt whose answer was lost.
            return Applied(ActionOutcome.unchanged if record.intent is None else ActionOutcome.removed,
                           f"{role_label(p.role)} is not assigned", object_type="role_assignment",
                           object_id=record.details.get("assignment") if record.intent == Intent.remove else None,
                           details={"role": p.role, "user": p.user})
        if existing:
            await ctx.intend(Intent.remove, {"role": p.role, "user": p.user, "assignment": existing[0].id})
            gone = {assignment.id for assignment in existing}
            for assignment in existing:
                await ctx.okta.roles.unassign(p.user, assignment.id)
            ctx.revise(f"roles:{p.user}", lambda roles: [r for r in roles if r.via_group or r.id not in gone])
        if through_group:
            # Never through the user endpoint: the role is the group's, and so is the decision.
            raise ActionError(await _through_group(ctx, p.role, held), conflict=True)
        return Applied(ActionOutcome.removed, f"Removed {role_label(p.role)}", object_type="role_assignment",
                       object_id=existing[0].id, details={"role": p.role, "user": p.user})


async def _through_group(ctx: Context, role: str, held: list[RoleAssignment]) -> str:
    """Why a role held through a group stays, and what the administrator does about it. Okta's
    user endpoint cannot remove a group's role, and the wizard would not strip a whole group."""
    names = []
    for group_id in sorted({r.group_id for r in held if r.via_group and r.group_id}):
        group = await ctx.okta.groups.get(group_id)
        names.append(f"“{group.name}”" if group else group_id)
    groups = ", ".join(names) or "a group"
    return (f"The service account holds {role_label(role)} through its membership of {groups}. The wizard "
            "removes only roles assigned to the account itself. Remove the account from that group (Directory > "
            f"Groups), or ask whoever owns the group whether it should hold {role_label(role)}, then retry.")


class CustomRoleAssignmentParams(Params):
    user: str
    role: str  # custom role id
    resource_set: str  # resource set id
    role_label: str = "the custom role"


@register
class EnsureCustomRoleAssignment(Action):
    kind = "okta_custom_role_assignment"
    restores = True
    params_model = CustomRoleAssignmentParams
    description = "Assign a custom role on a resource set"
    preview_words = "Assign the custom role “{role_label}” on its resource set"

    @staticmethod
    def _matching(roles: list[RoleAssignment], p: CustomRoleAssignmentParams) -> list[RoleAssignment]:
        return [r for r in roles if r.type == "CUSTOM" and r.role == p.role and r.resource_set == p.resource_set]

    async def _fresh_matching(self, ctx: Context, p: CustomRoleAssignmentParams) -> list[RoleAssignment]:
        return self._matching(await _fresh_roles(ctx, p.user), p)

    async def plan(self, ctx: Context) -> PlanItem:
        label = str(self.raw_params.get("role_label", "the custom role"))
        if ctx.scope.can_render(label):
            label = str(ctx.scope.render(label))
        calls = ['POST /api/v1/users/{id}/roles {"type": "CUSTOM", "role": "{roleId}", '
                 '"resource-set": "{resourceSetId}"}']
        if not ctx.scope.can_render(self.raw_params):
            return PlanItem(Verdict.create, f"Assign {label} on its resource set", calls=calls,
                            object_type="role_assignment")
        p: CustomRoleAssignmentParams = self.params(ctx)
        existing = self._matching(await user_roles(ctx, p.user), p)
        if existing:
            direct = [r for r in existing if not r.via_group]
            how = "" if direct else " through a group" + (f" ({existing[0].group_id})" if existing[0].group_id
                                                          else "") + "; undo leaves the group's binding alone"
            return PlanItem(Verdict.unchanged, f"{p.role_label} is already assigned on the resource set{how}",
                            object_type="role_assignment", object_id=(direct or existing)[0].id)
        return PlanItem(Verdict.create, f"Assign {p.role_label} on its resource set", calls=calls,
                        object_type="role_assignment")

    async def apply(self, ctx: Context, record: Record) -> Applied:
        p: CustomRoleAssignmentParams = self.params(ctx)
        existing = self._matching(await user_roles(ctx, p.user), p)
        details = {"user": p.user, "role": p.role, "resource_set": p.resource_set}
        if existing:
            direct = [r for r in existing if not r.via_group]
            # Held only through a group: the group's binding member is not ours, whatever the intent.
            ours = bool(direct) and (record.intent == Intent.create or record.created_by_us)
            return Applied(ActionOutcome.created if ours else ActionOutcome.unchanged,
                           f"{p.role_label} assigned on the resource set"
                           + ("" if direct else " (through a group)"),
                           object_type="role_assignment", object_id=(direct or existing)[0].id, details=details)
        await ctx.intend(Intent.create, details)
        assignment = await _assign(ctx, lambda: ctx.okta.roles.assign_custom(p.user, p.role, p.resource_set),
                                   lambda: self._fresh_matching(ctx, p))
        _added(ctx, p.user, assignment)
        return Applied(ActionOutcome.created,
                       f"Assigned {p.role_label} on the resource set", object_type="role_assignment",
                       object_id=assignment.id, details=details)

    async def undo(self, ctx: Context, record: Record) -> str | None:
        """What Okta's own tools do (the recorded Terraform runs): remove our member from the
        binding, then delete the binding if no one else is in it. An empty binding grants nothing
        but keeps its role from being deleted, so leaving it would stop the role's own undo."""
        user = str(record.details.get("user", ""))
        set_id = str(record.details.get("resource_set", ""))
        role_id = str(record.details.get("role", ""))
        if not user or not set_id or not role_id or not record.object_id:
            return None
        try:
            members = await ctx.okta.iam.binding_members(set_id, role_id, absent_ok=True)
        except OktaNotFound:
            return None  # the resource set or its binding is gone, and the membership with it
        ours = [m for m in members if m.id == record.object_id or _is_user(m.link("self"), user)]
        others = [m for m in members if m not in ours]
        for member in ours:
            try:
                await ctx.okta.iam.remove_binding_member(set_id, role_id, member.id)
            except OktaNotFound:
                pass  # removed by an earlier attempt whose answer was lost
        done = []
        if ours:
            done.append("Removed the service account from the custom role's binding")
        if not others:
            try:
                await ctx.okta.iam.delete_binding(set_id, role_id)
            except OktaNotFound:
                pass
            else:
                done.append("deleted the binding, which had no other member")
        return "; ".join(done) if done else None


def _is_user(href: str | None, user_id: str) -> bool:
    return bool(href) and str(href).rstrip("/").endswith(f"/api/v1/users/{user_id}")
