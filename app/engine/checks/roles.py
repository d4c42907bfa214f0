"""The admin roles an account holds, against what its document asks for: standard roles by type,
custom roles by (role, resource set), and with ``exact`` nothing else."""

from __future__ import annotations

from pydantic import Field

from app.common.moments import stamp
from app.engine.actions.roles import role_label, user_roles
from app.engine.checks.base import MAKE_AGAIN, READ_AT, Check, CheckOutcome, CheckParams, CheckState, register
from app.engine.context import Context
from app.engine.scope import Scope, TemplateError
from app.okta.models import RoleAssignment


class CustomExpectation(CheckParams):
    role: str
    resource_set: str
    label: str = "the custom role"
    set_label: str | None = None  # the resource set's label, to name it on the page


class UserRolesParams(CheckParams):
    user: str
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    custom: list[CustomExpectation] = Field(default_factory=list)
    exact: bool = False


def _custom_words(held: RoleAssignment, expected: list[CustomExpectation]) -> str:
    """A custom role held, in words (as the audit report names it): Okta's listing gives the role's
    label, so naming it costs no call; a resource set the document expects is named by its label,
    another one by its id."""
    ours = next((c for c in expected if c.resource_set == held.resource_set), None)
    label = held.label or next((c.label for c in expected if c.role == held.role), None)
    role = f"custom role “{label}”" if label else f"custom role {held.role}"
    if ours is None:
        return f"{role} on resource set {held.resource_set}"
    return f"{role} on {f'resource set “{ours.set_label}”' if ours.set_label else 'its resource set'}"


def _login(scope: Scope, user_id: str) -> str:
    """The account's login, as the onboarding knows it (the fact kept beside its id when the wizard
    made it, or the connection's admin), without asking Okta; "" when it is not known."""
    for name, value in scope.facts.items():
        login = scope.facts.get(f"{name}_login")
        if value == user_id and isinstance(login, str) and login:
            return login
    return str(scope.admin.get("login") or "") if scope.admin.get("id") == user_id else ""


@register
class UserRoles(Check):
    kind = "user_roles"
    params_model = UserRolesParams

    def unready(self) -> CheckOutcome:
        return CheckOutcome.failed("The objects this check needs do not exist yet", "Apply the plan first.")

    def from_facts(self, scope: Scope, state: CheckState) -> CheckOutcome | None:
        """The wizard's own credential's standard roles, as the connection's preflight read them
        when it was checked: shown with that time until a verification reads them again, not "not
        checked yet" beside the Preflight panel's "Super Administrator: yes" (QA walk 15, L4). Only
        roles it must hold: what must not be there, or custom roles, the preflight does not read."""
        roles = scope.admin.get("roles")
        read_at = scope.org.read_at if scope.org is not None else None
        if not isinstance(roles, list) or read_at is None:
            return None
        try:
            p = UserRolesParams.model_validate(scope.render(self.raw_params))
        except TemplateError:
            return None
        if p.user != scope.admin.get("id") or p.exclude or p.custom or p.exact or not p.include:
            return None
        standard = {str(r) for r in roles if r != "CUSTOM"}
        found = ", ".join(sorted(role_label(t) for t in standard)) or "no admin roles"
        when = f"when the Okta connection was checked, {stamp(read_at)}"
        evidence = {"roles": sorted(standard), READ_AT: read_at}
        missing = [role_label(t) for t in p.include if t not in standard]
        if missing:
            return CheckOutcome.failed(
                f"Roles: {found}, as Okta reported {when}. {' and '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} missing.",
                "Use a credential whose owner holds it: assign it in Security > Administrators, then check the "
                "Okta connection again (Connections > Check).", **evidence)
        return CheckOutcome.passed(f"Roles: {found}, as Okta reported {when}", **evidence)

    async def check(self, ctx: Context, state: CheckState, p: UserRolesParams) -> CheckOutcome:
        # Read through the phase cache, as the actions read them: a run reads an account's roles
        # once, whichever items ask (and waits out Okta's moment of denial for an account just made).
        roles = await user_roles(ctx, p.user)
        standard = {r.type for r in roles if r.type != "CUSTOM"}
        held = sorted((r for r in roles if r.type == "CUSTOM"), key=lambda r: (str(r.role), str(r.resource_set)))
        custom = {(r.role, r.resource_set) for r in held}
        missing = [f"{role_label(t)} is missing" for t in p.include if t not in standard]
        missing += [f"{c.label} on its resource set is missing" for c in p.custom
                    if (c.role, c.resource_set) not in custom]
        # Roles held through a group count: Okta lists them with the user's own (assignmentType GROUP).
        by_group = {r.type for r in roles if r.type != "CUSTOM" and r.via_group} - {
            r.type for r in roles if r.type != "CUSTOM" and not r.via_group}
        given = [(role_label(t), t in by_group) for t in p.exclude if t in standard]
        extra = [f"{role} is {'held through a group' if group else 'assigned'} and must not be"
                 for role, group in given]
        unexpected: list[str] = []
        if p.exact:
            allowed = set(p.include)
            unexpected += [f"unexpected role {role_label(t)}" for t in standard - allowed if t not in p.exclude]
            expected_custom = {(c.role, c.resource_set) for c in p.custom}
            unexpected += [f"unexpected {_custom_words(r, p.custom)}" for r in held
                           if (r.role, r.resource_set) not in expected_custom]
        extra += unexpected
        problems = missing + extra
        found = ", ".join(sorted(role_label(t) for t in standard) + [_custom_words(r, p.custom) for r in held]) \
            or "no admin roles"
        evidence = {"roles": sorted(standard), "custom": sorted(f"{r}@{s}" for r, s in custom)}
        if problems:
            # Named by its login: an alert that a role was given ("Super Administrator is assigned")
            # must say to which account, first (QA walk 10, M4: a privilege escalation, unnamed).
            login = _login(ctx.scope, p.user)
            account = f"the account {login}" if login else "the account"
            # Applying again adds what is missing; it never takes away a role found added after its
            # work (Super Administrator given back): that is a person's, and the words say so.
            remedy = (f"{MAKE_AGAIN} (it adds, it never removes a role), or assign it in Security > "
                      "Administrators." if missing else "")
            if extra:
                remedy += (" " if remedy else "") + (f"Remove what must not be there from {account} in Security > "
                                                     "Administrators (applying again does not remove roles), "
                                                     "then verify again.")
            # What went wrong, the account named first where a role was given to it: the alert's title.
            who = login or "the account"
            titles = [f"{role} is {'held through a group by' if group else 'assigned to'} {who}"
                      for role, group in given]
            rest = unexpected + missing
            problem = "; ".join(titles + rest) if titles else f"{account[0].upper()}{account[1:]}: " + "; ".join(rest)
            return CheckOutcome.failed(f"Roles: {found}. " + "; ".join(problems) + ".", remedy,
                                       problem=f"{problem} (its roles: {found})", **evidence)
        return CheckOutcome.passed(f"Roles: {found}", **evidence)
