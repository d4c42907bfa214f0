"""Checks on an app installed from the catalog: an Okta API scope is granted to it, and the users
and groups the operator chose are assigned to it."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from app.common.concurrency import together
from app.engine.checks.base import (
    MAKE_AGAIN,
    START_AGAIN,
    Check,
    CheckOutcome,
    CheckParams,
    CheckState,
    register,
)
from app.engine.context import Context
from app.engine.scope import TemplateError
from app.okta.errors import OktaNotFound
from app.okta.models import Grant, Group, User


class GrantCheckParams(CheckParams):
    app: str
    scope: str
    app_label: str = "the app"


@register
class AppGrant(Check):
    kind = "app_grant"
    params_model = GrantCheckParams

    def unready(self) -> CheckOutcome:
        return CheckOutcome.failed("The app has not been found yet", "Install it, then apply the plan.")

    async def check(self, ctx: Context, state: CheckState, p: GrantCheckParams) -> CheckOutcome:
        try:
            grants: list[Grant] = await ctx.cached(f"grants:{p.app}", lambda: ctx.okta.apps.grants(p.app))
        except OktaNotFound:
            return CheckOutcome.failed(f"{p.app_label} ({p.app}) is no longer in Okta",
                                       f"Install it again from the catalog, then {START_AGAIN}.")
        granted = sorted(g.scopeId for g in grants if (g.status or "ACTIVE") == "ACTIVE")
        if p.scope in granted:
            return CheckOutcome.passed(f"{p.scope} is granted to {p.app_label}", granted=granted)
        return CheckOutcome.failed(f"{p.app_label} is granted {', '.join(granted) or 'no Okta API scope'}, not "
                                   f"{p.scope}", f"{MAKE_AGAIN}, or grant {p.scope} on the app's Okta API "
                                   "Scopes tab.", granted=granted,
                                   problem=f"{p.app_label} is not granted {p.scope} in Okta (it holds "
                                           f"{', '.join(granted) or 'no Okta API scope'})")


class AssignmentCheckParams(CheckParams):
    app: str
    # Logins and group names; an optional input the operator never filled in means none.
    users: list[str] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list)
    app_label: str = "the app"


def _names(ctx: Context, raw: Any) -> list[str]:
    try:
        value = ctx.scope.render(raw)
    except TemplateError:
        return []  # an optional list the operator never filled in
    return [str(v).strip() for v in (value if isinstance(value, list) else str(value).splitlines()) if str(v).strip()]


async def _user_by_login(ctx: Context, login: str) -> User | None:
    return await ctx.cached(f"user:{login}", lambda: ctx.okta.users.find_by_login(login))


async def _group_by_name(ctx: Context, name: str) -> Group | None:
    return await ctx.cached(f"group:{name}", lambda: ctx.okta.groups.find_by_name(name))


@register
class AppAssignments(Check):
    """Every chosen user has the app (directly or through a group) and every chosen group is
    assigned to it."""

    kind = "app_assignments"
    params_model = AssignmentCheckParams

    async def evaluate(self, ctx: Context, state: CheckState) -> CheckOutcome:
        try:
            app_id = str(ctx.scope.render(self.raw_params["app"]))
        except TemplateError:
            return CheckOutcome.failed("The app has not been found yet", "Install it, then apply the plan.")
        label = str(self.raw_params.get("app_label", "the app"))
        logins, names = _names(ctx, self.raw_params.get("users", [])), _names(ctx, self.raw_params.get("groups", []))
        # The chosen people and groups, then whether each has the app: a read each, not the app's
        # whole lists (10,000 people were 200 calls at each verification of the watch).
        found = await together(*(_user_by_login(ctx, login) for login in logins),
                               *(_group_by_name(ctx, name) for name in names))
        users: list[User | None] = found[:len(logins)]
        groups: list[Group | None] = found[len(logins):]
        app_users, assigned = await ctx.okta.apps.assignments(app_id, [u.id for u in users if u is not None],
                                                              [g.id for g in groups if g is not None],
                                                              absent_ok=False)
        having = set(app_users)
        if (len(having) < sum(1 for u in users if u) or len(assigned) < sum(1 for g in groups if g)) \
                and await ctx.okta.apps.get(app_id, absent_ok=True) is None:
            return CheckOutcome.failed(f"{label} ({app_id}) is no longer in Okta",
                                       f"Install it again from the catalog, then {START_AGAIN}.")
        problems = [f"{login} does not have it" for login, user in zip(logins, users, strict=True)
                    if user is None or user.id not in having]
        problems += [f"group {name} is not assigned" for name, group in zip(names, groups, strict=True)
                     if group is None or group.id not in assigned]
        evidence = {"users": sorted(having), "groups": sorted(assigned)}
        if problems:
            return CheckOutcome.failed(f"{label}: " + "; ".join(problems),
                                       f"{MAKE_AGAIN}, or assign them in Applications > {label} > "
                                       "Assignments.", **evidence,
                                       problem=f"{label} is no longer assigned as chosen: " + "; ".join(problems))
        if not logins and not names:
            return CheckOutcome.failed(f"No users or groups were chosen for {label}",
                                       "Choose who should have it on this step, then plan and apply again.")
        chosen = ", ".join(logins + [f"group {n}" for n in names])
        return CheckOutcome.passed(f"{label} is assigned to {chosen}", **evidence)
