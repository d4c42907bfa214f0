"""Apps a person installed from the Okta Integration Network catalog (Drata - OIDC, for one): the
wizard finds the app by its label (never creates it: Okta does not publish the catalog keys it
would need), reads its client id and client secret, grants it an Okta API scope, and assigns it to
the users and groups the operator chose. Undo revokes only the grant and removes only the
assignments this onboarding made; the app itself stays."""

from __future__ import annotations

import re
from functools import partial
from typing import Any, ClassVar

from pydantic import Field

from app.engine.actions.base import Action, ActionError, Applied, Params, PlanItem, Record, register
from app.engine.actions.services import kept_fact
from app.engine.context import Context
from app.engine.scope import TemplateError
from app.okta.errors import OktaApiError, OktaNotFound
from app.okta.models import App, Grant, Group, User
from app.store.statuses import ActionOutcome, Intent, Verdict
from app.vault import Secret

# Okta's catalog labels use an en dash where people type a hyphen ("Drata – OIDC").
_DASHES = re.compile(r"\s*[-\u2010-\u2015]\s*")
# Okta never lists a secret shorter than this; shorter or starred values are masked, not secrets.
MIN_SECRET_LENGTH = 14


def _same_label(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return " ".join(_DASHES.sub(" - ", text).casefold().split())

    return norm(a) == norm(b)


def looks_masked(value: str) -> bool:
    return len(value) < MIN_SECRET_LENGTH or "*" in value or "..." in value or "\u2026" in value


class OinAppParams(Params):
    label: str  # the label the catalog gives the app, e.g. "Drata - OIDC"
    search: str  # a prefix of its name or label for Okta's q, e.g. "Drata"
    name: str | None = None  # the catalog key, when known
    install_hint: str  # where a person installs it, for the message when it is missing
    fact: str = "app_id"
    client_id_fact: str = "app_client_id"
    # Where the app's client secret is kept for the vendor step (None: not read).
    secret_purpose: str | None = None
    secret_label: str = "Client secret of the app"  # noqa: S105 - a label, not a secret
    destroy_on: str | None = None


@register
class FindInstalledApp(Action):
    kind = "okta_oin_app"
    produces = frozenset({"{fact}", "{client_id_fact}", "{secret_purpose}_kept"})
    params_model = OinAppParams
    needs_super_admin = False
    description = "Find an app installed from the catalog"

    async def _find(self, ctx: Context, p: OinAppParams) -> tuple[App | None, list[App]]:
        """The app, and what else Okta's prefix search returned (for the operator's message)."""
        ctx.forget(f"apps:{p.search}")
        apps: list[App] = await ctx.cached(f"apps:{p.search}", lambda: ctx.okta.apps.search(p.search))
        found = [a for a in apps if _same_label(a.label or "", p.label)]
        if not found and p.name:
            found = [a for a in apps if a.name == p.name]
        if len(found) > 1:
            ids = ", ".join(f"“{a.label}” ({a.id})" for a in found)
            raise ActionError(f"Several apps match “{p.label}”: {ids}. Rename or remove the extra ones in "
                              "Applications > Applications, then plan again.", conflict=True)
        return (found[0] if found else None), apps

    def _missing(self, p: OinAppParams, others: list[App]) -> str:
        message = (f"The app “{p.label}” is not installed in Okta yet. Install it by hand: {p.install_hint}. "
                   "The wizard never installs it (Okta does not publish the catalog key it would need).")
        if others:
            message += " Apps whose name starts with “" + p.search + "”: " + \
                ", ".join(f"“{a.label}” ({a.id})" for a in others[:5]) + "; none is labelled as expected."
        return message

    @staticmethod
    def _usable(app: App, p: OinAppParams) -> str | None:
        if app.status != "ACTIVE":
            return (f"“{app.label}” ({app.id}) is {app.status or 'not active'}: activate it in Applications > "
                    "Applications, then plan again.")
        if app.client_id is None:
            return (f"“{app.label}” ({app.id}) is not an OpenID Connect app, so it has no client id; install "
                    f"“{p.label}” from the catalog.")
        return None

    async def plan(self, ctx: Context) -> PlanItem:
        p: OinAppParams = self.params(ctx)
        try:
            app, others = await self._find(ctx, p)
        except ActionError as exc:
            return PlanItem(Verdict.conflict, f"Find “{p.label}”", object_type="app", detail=exc.message)
        if app is None:
            return PlanItem(Verdict.deferred, f"Find “{p.label}” once a person has installed it", object_type="app",
                            calls=[f"GET /api/v1/apps?q={p.search}"], detail=self._missing(p, others))
        ctx.remember(f"app:{app.id}", app)  # for the later steps' "is it still there?"
        problem = self._usable(app, p)
        if problem:
            return PlanItem(Verdict.conflict, f"“{app.label}” is installed but unusable", object_type="app",
                            object_id=app.id, detail=problem)
        reads = [f"GET /api/v1/apps/{app.id}/credentials/secrets"] if p.secret_purpose else []
        return PlanItem(Verdict.adopt, f"Use “{app.label}” installed from the catalog (client id {app.client_id})"
                        + ("; read its client secret and keep it sealed until the vendor step is attested"
                           if p.secret_purpose else ""),
                        calls=reads, object_type="app", object_id=app.id,
                        facts={p.fact: app.id, p.client_id_fact: app.client_id})

    async def apply(self, ctx: Context, record: Record) -> Applied:
        p: OinAppParams = self.params(ctx)
        app, others = await self._find(ctx, p)
        if app is None:
            raise ActionError(self._missing(p, others) + " Then select Retry.")
        problem = self._usable(app, p)
        if problem:
            raise ActionError(problem, conflict=True)
        facts: dict[str, Any] = {p.fact: app.id, p.client_id_fact: app.client_id}
        summary = f"Found “{app.label}” (client id {app.client_id})"
        if p.secret_purpose:
            note = await self._keep_secret(ctx, p, app)
            if note is None:
                facts[kept_fact(p.secret_purpose)] = True
                summary += "; its client secret sealed for the vendor step, until that step is attested"
            else:
                summary += f"; {note}"
        return Applied(ActionOutcome.adopted, summary, object_type="app", object_id=app.id,
                       details={"label": app.label, "client_id": app.client_id}, facts=facts)

    @staticmethod
    async def _keep_secret(ctx: Context, p: OinAppParams, app: App) -> str | None:
        """Keep the newest active client secret; returns why not, when it cannot."""
        assert p.secret_purpose is not None
        secrets = [s for s in await ctx.okta.apps.client_secrets(app.id) if s.get("status") == "ACTIVE"]
        if not secrets:
            return "it has no active client secret: generate one on its Sign On tab"
        newest = max(secrets, key=lambda s: str(s.get("created") or ""))
        value = str(newest.get("client_secret") or "")
        if looks_masked(value):
            return "Okta lists its client secret masked: copy it from the app's Sign On tab"
        await ctx.keep_secret(p.secret_purpose, p.secret_label, Secret(value), p.destroy_on)
        return None


class GrantParams(Params):
    app: str  # app id
    scope: str  # e.g. okta.users.read.self
    issuer: str  # the org authorization server, i.e. the org's origin
    app_label: str = "the app"


async def _grants(ctx: Context, app_id: str) -> list[Grant]:
    return await ctx.cached(f"grants:{app_id}", lambda: ctx.okta.apps.grants(app_id))


@register
class EnsureAppGrant(Action):
    kind = "okta_app_grant"
    restores = True
    params_model = GrantParams
    description = "Grant an Okta API scope to an app"
    preview_words = "Grant {scope} to {app_label}"
    unknown: ClassVar[dict[str, str]] = {"scope": "an Okta API scope", "app_label": "the app"}

    @staticmethod
    def _granted(grants: list[Grant], scope: str) -> Grant | None:
        return next((g for g in grants if g.scopeId == scope and (g.status or "ACTIVE") == "ACTIVE"), None)

    async def _fresh_grant(self, ctx: Context, p: GrantParams) -> Grant | None:
        ctx.forget(f"grants:{p.app}")
        return self._granted(await _grants(ctx, p.app), p.scope)

    async def plan(self, ctx: Context) -> PlanItem:
        # The scope and the app's name are known before the app is (a setting, the playbook's words).
        scope, label = (str(ctx.scope.render(value)) if ctx.scope.can_render(value) else str(value)
                        for value in (self.raw_params["scope"], self.raw_params.get("app_label", "the app")))
        calls = [f'POST /api/v1/apps/{{appId}}/grants {{"issuer": "{{org}}", "scopeId": "{scope}"}}']
        if not ctx.scope.can_render(self.raw_params):
            return PlanItem(Verdict.create, f"Grant {scope} to {label} (once the app is found)", calls=calls,
                            object_type="app_grant")
        p: GrantParams = self.params(ctx)
        existing = self._granted(await _grants(ctx, p.app), p.scope)
        if existing:
            return PlanItem(Verdict.unchanged,
                            f"{p.scope} is already granted to {p.app_label}", object_type="app_grant",
                            object_id=existing.id)
        # The app is known now: the call names it and the issuer sent (it read "{appId}" and "{org}").
        calls = [f'POST /api/v1/apps/{p.app}/grants {{"issuer": "{p.issuer}", "scopeId": "{p.scope}"}}']
        return PlanItem(Verdict.create, f"Grant {p.scope} to {p.app_label}", calls=calls, object_type="app_grant")

    async def apply(self, ctx: Context, record: Record) -> Applied:
        p: GrantParams = self.params(ctx)
        ctx.forget(f"grants:{p.app}")
        details = {"app": p.app, "scope": p.scope}
        existing = self._granted(await _grants(ctx, p.app), p.scope)
        if existing:
            ours = record.intent == Intent.create or record.created_by_us
            return Applied(ActionOutcome.created if ours else ActionOutcome.adopted,
                           f"{p.scope} {'granted' if ours else 'was already granted'} to {p.app_label}",
                           object_type="app_grant", object_id=existing.id, details=details)
        await ctx.intend(Intent.create, details)
        try:
            grant = await ctx.okta.apps.grant(p.app, p.issuer, p.scope)
        except OktaApiError as exc:
            # Okta refuses a second grant of the same scope (a duplicate code, or the spec's 400
            # E0000001): our earlier attempt may have got through. Okta's list of grants can lag
            # behind it, so look patiently; anything else is not a duplicate.
            if not exc.may_be_duplicate:
                raise
            found = await ctx.look_again(lambda: self._fresh_grant(ctx, p))
            if found is None:
                raise
            grant = found
        ctx.forget(f"grants:{p.app}")
        return Applied(ActionOutcome.created, f"Granted {p.scope} to {p.app_label}", object_type="app_grant",
                       object_id=grant.id, details=details)

    async def undo(self, ctx: Context, record: Record) -> str | None:
        app_id = str(record.details.get("app", ""))
        if not app_id or not record.object_id:
            return None
        try:
            grants = await ctx.okta.apps.grants(app_id, absent_ok=True)
        except OktaNotFound:
            return None  # the app is gone, and its grants with it
        if not any(g.id == record.object_id for g in grants):
            return None
        await ctx.okta.apps.revoke_grant(app_id, record.object_id)
        return f"Revoked {record.details.get('scope', 'the scope')} from the app"


class AssignmentParams(Params):
    app: str  # app id
    users: list[str] = Field(default_factory=list)  # logins
    groups: list[str] = Field(default_factory=list)  # group names
    app_label: str = "the app"
    where: str = "this step"  # where the operator fixes the names, for messages
    require_one: bool = True


def _names(ctx: Context, raw: Any) -> list[str]:
    """An optional list of names from the operator: a value never given means none, and text
    (one name a line) is split."""
    try:
        value = ctx.scope.render(raw)
    except TemplateError:
        return []
    if isinstance(value, str):
        return [line.strip() for line in value.splitlines() if line.strip()]
    return [str(v) for v in value or []]


def _unique(values: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.strip().casefold(), value.strip())
    return [v for v in seen.values() if v]


@register
class EnsureAppAssignments(Action):
    kind = "okta_app_assignments"
    restores = True
    params_model = AssignmentParams
    needs_super_admin = False
    description = "Assign an app to users and groups"
    preview_words = "Assign {app_label} to its users and groups"
    unknown: ClassVar[dict[str, str]] = {"app_label": "the app"}

    def params(self, ctx: Context) -> AssignmentParams:
        raw = dict(self.raw_params)
        users, groups = _names(ctx, raw.pop("users", [])), _names(ctx, raw.pop("groups", []))
        return AssignmentParams.model_validate({**ctx.scope.render(raw), "users": users, "groups": groups})

    async def _resolve(self, ctx: Context, p: AssignmentParams) -> tuple[list[User], list[Group]]:
        """The chosen people and groups as Okta knows them; refuses with every name it cannot use."""
        problems: list[str] = []
        users: list[User] = []
        groups: list[Group] = []
        if p.require_one and not _unique(p.users) and not _unique(p.groups):
            raise ActionError(f"Choose at least one user or group who should have {p.app_label} ({p.where}).",
                              conflict=True)
        for login in _unique(p.users):
            user: User | None = await ctx.cached(f"user:{login}", partial(ctx.okta.users.find_by_login, login))
            if user is None:
                problems.append(f"no Okta user has the login “{login}”")
            elif user.status == "DEPROVISIONED":
                problems.append(f"“{login}” is deactivated, and Okta assigns apps to active people only")
            else:
                users.append(user)
        for name in _unique(p.groups):
            group: Group | None = await ctx.cached(f"group:{name}", partial(ctx.okta.groups.find_by_name, name))
            if group is None:
                problems.append(f"no Okta group is named “{name}”")
            else:
                groups.append(group)
        if problems:
            raise ActionError("Cannot assign " + p.app_label + ": " + "; ".join(problems) +
                              f". Correct the names ({p.where}; a login is usually an email address, a group is "
                              "named as in Directory > Groups), then plan again.", conflict=True)
        return users, groups

    @staticmethod
    async def _current(ctx: Context, app_id: str, user_ids: list[str], group_ids: list[str]
                       ) -> tuple[set[str], set[str]]:
        """Which of these users are assigned the app directly, and which of these groups are
        assigned (an app gone has none: undo's answer, not a failure)."""
        users, groups = await ctx.okta.apps.assignments(app_id, user_ids, group_ids)
        return {user_id for user_id, found in users.items() if (found.scope or "USER") == "USER"}, groups

    async def plan(self, ctx: Context) -> PlanItem:
        label = self.raw_params.get("app_label", "the app")
        # The names are checked against Okta even before the app is found.
        try:
            users, groups = await self._resolve(ctx, AssignmentParams(
                app="", users=_names(ctx, self.raw_params.get("users", [])),
                groups=_names(ctx, self.raw_params.get("groups", [])), app_label=label,
                where=self.raw_params.get("where", "this step"),
                require_one=self.raw_params.get("require_one", True)))
        except ActionError as exc:
            return PlanItem(Verdict.conflict, f"Assign {label}", object_type="app_assignment", detail=exc.message)
        who = ", ".join([u.profile.login or u.id for u in users] + [f"group {g.name}" for g in groups])
        calls = ["POST /api/v1/apps/{appId}/users (one per user)", "PUT /api/v1/apps/{appId}/groups/{groupId}"]
        if not ctx.scope.can_render(self.raw_params["app"]):
            return PlanItem(Verdict.create, f"Assign {label} to {who} (once the app is found)", calls=calls,
                            object_type="app_assignment")
        app_id = str(ctx.scope.render(self.raw_params["app"]))
        direct, assigned_groups = await self._current(ctx, app_id, [u.id for u in users], [g.id for g in groups])
        missing = [u.profile.login or u.id for u in users if u.id not in direct] + \
            [f"group {g.name}" for g in groups if g.id not in assigned_groups]
        if not missing:
            return PlanItem(Verdict.unchanged, f"{label} is already assigned to {who}", object_type="app_assignment",
                            object_id=app_id)
        # None has it: perhaps because the app found earlier is gone (its assignments went with it),
        # which "Assign…" would only learn from the 404 of its first write.
        if await ctx.cached(f"app:{app_id}", partial(ctx.okta.apps.get, app_id, absent_ok=True)) is None:
            return PlanItem(Verdict.conflict, f"Assign {label}", object_type="app_assignment", object_id=app_id,
                            detail=f"{label} ({app_id}), found earlier, is no longer in Okta. Install it again "
                                   "from the catalog, then undo this onboarding (it removes what the wizard made "
                                   "that is left) and start a new one, which finds it again.")
        return PlanItem(Verdict.create, f"Assign {label} to {', '.join(missing)}",
                        calls=[call.replace("{appId}", app_id) for call in calls],
                        object_type="app_assignment", object_id=app_id)

    async def apply(self, ctx: Context, record: Record) -> Applied:
        p = self.params(ctx)
        users, groups = await self._resolve(ctx, p)
        direct, assigned_groups = await self._current(ctx, p.app, [u.id for u in users], [g.id for g in groups])
        # Assignments an earlier attempt made (or was about to make when it failed): those stay ours.
        made_users = list(dict.fromkeys(str(u) for u in record.details.get("users", [])))
        made_groups = list(dict.fromkeys(str(g) for g in record.details.get("groups", [])))
        # People, then groups: each assignment is checkpointed as ours before Okta is asked.
        for wanted, present, ours, assign in (
                ([u.id for u in users], direct, made_users, ctx.okta.apps.assign_user),
                ([g.id for g in groups], assigned_groups, made_groups, ctx.okta.apps.assign_group)):
            for object_id in wanted:
                if object_id in present:
                    continue
                if object_id not in ours:
                    ours.append(object_id)
                await ctx.intend(Intent.assign, {"app": p.app, "users": made_users, "groups": made_groups})
                await assign(p.app, object_id)
        made = bool(made_users or made_groups)
        who = ", ".join([u.profile.login or u.id for u in users] + [f"group {g.name}" for g in groups])
        return Applied(ActionOutcome.created if made else ActionOutcome.unchanged,
                       f"{p.app_label} is assigned to {who}"
                       + (f" ({len(made_users)} user and {len(made_groups)} group assignments made)" if made else
                          " (all were assigned already)"),
                       object_type="app_assignment", object_id=p.app,
                       details={"app": p.app, "users": made_users, "groups": made_groups})

    async def undo(self, ctx: Context, record: Record) -> str | None:
        app_id = str(record.details.get("app", ""))
        made_users = list(dict.fromkeys(str(u) for u in record.details.get("users", [])))
        made_groups = list(dict.fromkeys(str(g) for g in record.details.get("groups", [])))
        if not app_id or not (made_users or made_groups):
            return None
        # An app gone has taken its assignments with it: none is found, none removed.
        direct, assigned_groups = await self._current(ctx, app_id, made_users, made_groups)
        removed = 0
        for user_id in made_users:
            if user_id in direct:
                await ctx.okta.apps.unassign_user(app_id, user_id)
                removed += 1
        for group_id in made_groups:
            if group_id in assigned_groups:
                await ctx.okta.apps.unassign_group(app_id, group_id)
                removed += 1
        return f"Removed the {removed} assignments this onboarding made" if removed else None
