"""The checks the five documents need. Each reads through the phase cache, so a verification
run reads every Okta object once however many items look at it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from app.common.moments import okta_moment, stamp
from app.engine.checks import other_tokens
from app.engine.checks.base import MAKE_AGAIN, START_AGAIN, Check, CheckOutcome, CheckParams, CheckState, register
from app.engine.context import Context
from app.engine.resources import permission_gaps, same_resources
from app.engine.scope import Scope, TemplateError
from app.okta.errors import OktaNotFound
from app.okta.models import (
    Resource,
    User,
)
from app.playbooks.tasks import TOKEN_VERIFIED
from app.store.statuses import COULD_NOT_CHECK, REFUSED_REMEDY, ActionState, CheckStatus


class NoParams(CheckParams):
    pass


@register
class Attest(Check):
    """What only a person can confirm (a licence, a vendor console): needs a named attestation."""

    kind = "attest"
    reads_okta = False
    params_model = NoParams
    manual = True

    async def evaluate(self, ctx: Context, state: CheckState) -> CheckOutcome:
        found = state.attestations.get(self.key)
        if found:
            return CheckOutcome(CheckStatus.attested, f"Attested by {found['by']} on {found['at']}"
                                + (f": {found['note']}" if found.get("note") else "")
                                + (f". {found['warning']}" if found.get("warning") else ""), None, dict(found))
        return CheckOutcome(CheckStatus.needs_attestation, "Not attested yet",
                            "Do this step, then attest it with your name.")


class ActionParams(CheckParams):
    action: str


@register
class ActionDone(Check):
    """A step the wizard did and recorded (with Okta's object id as evidence)."""

    kind = "action_done"
    reads_okta = False
    params_model = ActionParams

    def from_facts(self, scope: Scope, state: CheckState) -> CheckOutcome | None:
        """Done as recorded, shown at once: Oort's "The service account exists" read "to do, not
        checked yet" beside the account made, activated and its token verified (QA walk 22, L1)."""
        record = state.actions.get(ActionParams.model_validate(self.raw_params).action)
        if not record or record.get("state") != ActionState.done:
            return None
        # Dated: what the step found or left then ("still active: deactivate it") is a record of that
        # moment, which a completed onboarding's checklist read as if said now (QA walk 19, M3).
        when = f"When applied, {record['at']}: " if record.get("at") else ""
        return CheckOutcome.passed(f"{when}{record.get('summary') or 'Done'}"
                                   + (f" (Okta id {record['object_id']})" if record.get("object_id") else ""),
                                   object_id=record.get("object_id"), outcome=record.get("outcome"))

    async def evaluate(self, ctx: Context, state: CheckState) -> CheckOutcome:
        return self.from_facts(ctx.scope, state) or CheckOutcome.failed(
            "Not done yet", "Apply the plan: the wizard does this step.",
            problem="The wizard's part of this step is not done")


async def _user(ctx: Context, user_id: str) -> User | None:
    return await ctx.cached(f"userid:{user_id}", lambda: ctx.okta.users.get(user_id))


class UserStatusParams(CheckParams):
    user: str
    statuses: list[str] = Field(default_factory=lambda: ["ACTIVE"])
    remedy: str = "Open the activation link, set the account's password and enrol its MFA."


def give_to_vendor(place: str) -> str:
    """The words "give it to the vendor", with where, in its document's words (the playbook's ``token_place``)."""
    return f"give it to the vendor: {place}" if place else "give it to the vendor"


def new_token(place: str = "") -> str:
    """What to do about a lost API token of the service account (revoked, expired)."""
    return ("Sign in to Okta as the service account, create a new API token, paste it on this onboarding's "
            f"page, and {give_to_vendor(place)}.")


NEW_TOKEN = new_token()

# The button of the onboarding's page that reactivates a deactivated service account without e-mail
# and shows its new activation link (app/onboardings/reactivation.py): Okta's e-mail may never reach
# an account the wizard made without one (QA walk 10, M3).
REACTIVATE = "Reactivate the service account"
ANY_IP_BUTTON = "Set the token to Any IP"  # the token step's button (templates/onboardings/_step.html)


def since_active(status: str, place: str = "") -> str | None:
    """What to do about an account deactivated, suspended or locked since it was active (drift)."""
    return {
        "DEPROVISIONED": "The account was deactivated in Okta, which revokes its API tokens: the vendor can no longer "
                         f"use it. Press “{REACTIVATE}” on this onboarding's page: the wizard reactivates it in "
                         "Okta without sending e-mail and shows you its new activation link once. Open that link "
                         "as the account (choose its password and enrol its MFA), sign in to Okta as it, create a "
                         f"new token, paste it on the token step and {give_to_vendor(place)}; or {START_AGAIN}.",
        "SUSPENDED": "The account was suspended in Okta: unsuspend it in Directory > People (the account, then More "
                     "Actions > Unsuspend), then re-verify.",
        "LOCKED_OUT": "The account is locked out: unlock it in Directory > People (the account, then Unlock), then "
                      "re-verify.",
    }.get(status)


# What went wrong, as an alert's title says it (the login, then the status).
_PROBLEM = {
    "DEPROVISIONED": "{} was deactivated in Okta ({}), which revoked its API tokens: the vendor can no longer connect",
    "SUSPENDED": "{} was suspended in Okta ({})",
    "LOCKED_OUT": "{} is locked out in Okta ({})",
}


def _rendered(check: Check, ctx: Context) -> Any | None:
    try:
        return check.params(ctx)
    except TemplateError:
        return None


@register
class UserStatus(Check):
    kind = "user_status"
    params_model = UserStatusParams

    async def evaluate(self, ctx: Context, state: CheckState) -> CheckOutcome:
        p: UserStatusParams | None = _rendered(self, ctx)
        if p is None:
            return CheckOutcome.failed("The account does not exist yet", "Apply the plan first.")
        user = await _user(ctx, p.user)
        if user is None:
            return CheckOutcome.failed("The account is not in Okta (deleted?)",
                                       f"Its token and the vendor's setup went with it: {START_AGAIN}.", user_id=p.user,
                                       problem="The account is no longer in Okta (deleted?), and its API token went "
                                               "with it")
        if user.status in p.statuses:
            return CheckOutcome.passed(f"{user.profile.login} is {user.status}", user_id=user.id)
        # The activation link is for an account never activated; one deactivated since (drift) gets a new
        # link from the page's button (QA walk 10, M3: Okta's e-mail may never reach it), one suspended or
        # locked is mended in the Admin Console (QA walk 6, M3: it said to open a link destroyed long ago).
        remedy = since_active(str(user.status), ctx.token_place) or p.remedy
        # Its status as evidence: the page offers a new activation link for a deactivated account.
        return CheckOutcome.failed(f"{user.profile.login} is {user.status}", remedy, user_id=user.id,
                                   status=str(user.status),
                                   problem=_PROBLEM.get(str(user.status), "{} is {} in Okta, not active").format(
                                       user.profile.login, user.status))


def _named(what: str, label: str) -> str:
    """An Okta object as an alert's sentence starts with it: "The custom role 'Defender'"."""
    return f"The {what}" + ("" if label in ("", f"the {what}") else f" “{label}”")


def _gaps(subject: str, what: str, missing: Any, extra: Any) -> str:
    """What an alert says first of an object whose contents differ from what was made: what it lacks, then
    what it gained (a finding listing all it holds read as if all were well). "permission x", "permissions
    x, y": one is not plural (QA walk 29, L8)."""
    listed = [f"{verb} {what}{'' if len(items) == 1 else 's'} {', '.join(sorted(items))}"
              for verb, items in (("lacks the", missing), ("has the unexpected", extra)) if items]
    return f"{subject} " + " and ".join(listed)


class CustomRoleParams(CheckParams):
    role: str
    permissions: list[str]
    label: str = "the custom role"  # how the page names it (the role's label)


@register
class CustomRoleCheck(Check):
    """The role's permissions, read by its known id: one read proves both that the role is still
    there (Okta answers 404 for a deleted role) and what it may do."""

    kind = "custom_role"
    params_model = CustomRoleParams

    async def evaluate(self, ctx: Context, state: CheckState) -> CheckOutcome:
        p: CustomRoleParams | None = _rendered(self, ctx)
        if p is None:
            return CheckOutcome.failed("The role does not exist yet", "Apply the plan first.")
        try:
            actual: list[str] = await ctx.cached(f"perms:{p.role}", lambda: ctx.okta.iam.permissions(p.role))
        except OktaNotFound:
            return CheckOutcome.failed("The custom role is not in Okta", f"{MAKE_AGAIN}.",
                                       problem=f"{_named('custom role', p.label)} is no longer in Okta")
        missing, extra = permission_gaps(p.permissions, actual)
        if missing or extra:
            return CheckOutcome.failed(
                f"“{p.label}” has permissions {', '.join(sorted(actual)) or 'none'}"
                + (f"; missing {', '.join(sorted(missing))}" if missing else "")
                + (f"; unexpected {', '.join(sorted(extra))}" if extra else ""),
                "Restore the permissions in Security > Administrators > Roles. (The permissions expected are the "
                "playbook's setting: if it was changed in Settings since the role was made, and Okta is as it was, "
                "set it back there instead.)", role_id=p.role, permissions=sorted(actual),
                problem=_gaps(_named("custom role", p.label), "permission", missing, extra))
        return CheckOutcome.passed(f"“{p.label}” has {', '.join(sorted(p.permissions))}", role_id=p.role,
                                   permissions=sorted(actual))


class ResourceSetCheckParams(CheckParams):
    resource_set: str
    resources: list[str]
    label: str = "the resource set"  # how the page names it (the set's label)


@register
class ResourceSetCheck(Check):
    """The set's resources, read by its known id: one read proves both that the set is still
    there (Okta answers 404 for a deleted set) and what it holds."""

    kind = "resource_set"
    params_model = ResourceSetCheckParams

    async def evaluate(self, ctx: Context, state: CheckState) -> CheckOutcome:
        p: ResourceSetCheckParams | None = _rendered(self, ctx)
        if p is None:
            return CheckOutcome.failed("The resource set does not exist yet", "Apply the plan first.")
        try:
            have: list[Resource] = await ctx.cached(f"resources:{p.resource_set}",
                                                    lambda: ctx.okta.iam.resources(p.resource_set))
        except OktaNotFound:
            return CheckOutcome.failed("The resource set is not in Okta", f"{MAKE_AGAIN}.",
                                       problem=f"{_named('resource set', p.label)} is no longer in Okta")
        org = ctx.scope.org
        missing, extra = same_resources(p.resources, [r.orn or r.link("self") or r.id for r in have],
                                        org_id=org.org_id if org else "", partition=org.partition if org else "okta")
        listed = sorted(r.orn or r.id for r in have)
        if missing or extra:
            return CheckOutcome.failed(f"“{p.label}” holds {', '.join(listed) or 'nothing'}"
                                       + (f"; missing {', '.join(sorted(missing))}" if missing else "")
                                       + (f"; unexpected {', '.join(sorted(extra))}" if extra else ""),
                                       "Restore the resources in Security > Administrators > Resources.",
                                       resource_set_id=p.resource_set, resources=listed,
                                       problem=_gaps(_named("resource set", p.label), "resource", missing, extra))
        return CheckOutcome.passed(f"“{p.label}” holds exactly the {len(p.resources)} expected resources",
                                   resource_set_id=p.resource_set, resources=listed)


class TokenParams(CheckParams):
    user: str
    # True only where the vendor's document asks for Any IP; elsewhere the token's network setting
    # is reported as information and never fails the check.
    any_ip: bool = False


def network_text(network: dict[str, Any], zone_names: dict[str, str] | None = None) -> str:
    """A token's network condition in words; its zones by name where known (read once, when the
    token was pasted), else by id."""
    if not network or network.get("connection") == "ANYWHERE":
        return "Any IP"
    names = zone_names or {}

    def zone(zone_id: Any) -> str:
        return f"“{names[zone_id]}”" if zone_id in names else str(zone_id)

    parts = [f"{key} {', '.join(zone(z) for z in network.get(key) or [])}" for key in ("include", "exclude")
             if network.get(key)]
    return f"network zones ({'; '.join(parts)})" if parts else str(network.get("connection"))


def _expired(expires_at: str | None, now: float) -> datetime | None:
    """When the token expired, if ``expiresAt`` is already past (None: not expired, or unknown)."""
    when = okta_moment(expires_at)
    return when if when is not None and when.timestamp() <= now else None


@register
class ServiceToken(Check):
    """The token the operator pasted (matched by id when it was verified) belonged to the service
    account, its metadata still exists in Okta and it has not expired; with ``any_ip``, it allows
    Any IP. A token Okta no longer accepts says how it was lost (``lost``: gone or expired), which
    the watch and the Health page read. The account's other live tokens, which no onboarding
    watches, fail it too, named (app/engine/checks/other_tokens.py)."""

    kind = "service_token"
    params_model = TokenParams

    async def evaluate(self, ctx: Context, state: CheckState) -> CheckOutcome:
        facts = ctx.scope.facts
        token_id = facts.get("service_token_id")
        if not token_id or not facts.get(TOKEN_VERIFIED):
            # Not yet (the paste answers it), not a fault: "failed" before the paste read as broken.
            return CheckOutcome.waiting("No token has been verified yet",
                                        "Sign in as the service account, create the token, and paste it here once.")
        p: TokenParams | None = _rendered(self, ctx)
        # One listing finds the watched token and the account's others; a read by id only for a
        # token the listing does not show (gone: Okta answers 404; or not listed yet).
        # One listing per verification or watch run with a verified token (a call per page; an org's
        # tokens, tens at most, are usually one page), shared with whatever else in the run lists them.
        listed = await ctx.api_tokens()
        token = next((t for t in listed if t.id == token_id), None) or \
            await ctx.cached(f"token:{token_id}", lambda: ctx.okta.tokens.get(str(token_id)))
        if token is None and not await _sees_every_token(ctx):
            # Okta shows a token only to a Super Administrator and to its owner: not found says nothing
            # (it read "revoked or expired", an alarm about a token the vendor still uses).
            return CheckOutcome.failed(f"{COULD_NOT_CHECK} Okta shows an API token only to a Super Administrator and "
                                       "to its owner, and the connection's administrator is not a Super Administrator "
                                       "now", REFUSED_REMEDY, token_id=token_id)
        if token is None:
            # Okta revokes a deactivated owner's tokens, and may drop expired ones from the list.
            return CheckOutcome.failed(f"Token {token_id} no longer exists in Okta (revoked or expired)",
                                       new_token(ctx.token_place), token_id=token_id, lost="gone",
                                       problem=f"The service account's API token was revoked or has expired: token "
                                               f"{token_id} no longer exists in Okta")
        expired = _expired(token.expiresAt, ctx.clock.now())
        if expired is not None:
            # Okta may keep listing a token past its expiry (the sandbox does) but refuses it: the
            # metadata being readable proves nothing about whether the vendor can still connect.
            return CheckOutcome.failed(f"Token “{token.name}” ({token_id}) expired on {stamp(expired)}: Okta refuses "
                                       "it, so the vendor can no longer connect with it", new_token(ctx.token_place),
                                       token_id=token_id, lost="expired", expires_at=token.expiresAt,
                                       token_window=token.tokenWindow,
                                       problem=f"The service account's API token expired on {stamp(expired)}: the "
                                               "vendor can no longer connect with it")
        if p is not None and token.userId != p.user:
            return CheckOutcome.failed(f"Token {token_id} belongs to {token.userId}, not to the service account",
                                       "Create the token while signed in as the service account.", token_id=token_id,
                                       problem=f"The API token recorded is not the service account's: token "
                                               f"{token_id} belongs to {token.userId}")
        network = network_text(token.network, facts.get("service_token_zone_names"))
        if p is not None and p.any_ip and token.network_connection != "ANYWHERE":
            return CheckOutcome.failed(f"Token “{token.name}” is limited to {network}; the vendor's document asks "
                                       "for Any IP",
                                       f"Press “{ANY_IP_BUTTON}” on the token's step of the onboarding's page.",
                                       token_id=token_id, network=token.network,
                                       problem=f"The service account's API token is limited to {network}, where the "
                                               "vendor's document asks for Any IP")
        about = "Any IP, as the vendor's document asks" if p is not None and p.any_ip else \
            f"network: {network} (for information: the vendor's document asks for no network setting)"
        found = (f"Token “{token.name}” ({token_id}, fingerprint {facts.get('service_token_fingerprint', '?')}) "
                 f"belongs to the service account; {about}")
        # ``token_live``: the watched token passed every test of its own, so the watch still reads
        # its expiry and use when the check fails only for the account's other tokens.
        evidence = {"token_id": token_id, "expires_at": token.expiresAt, "token_window": token.tokenWindow,
                    "network": token.network, "token_live": True}
        others = other_tokens.others_of(listed, str(token.userId), str(token_id), state.tokens_elsewhere,
                                        ctx.clock.now())
        if others:
            # Failed, not passed with a note: a failed item is what the page, the status and the
            # watch's alerts say and act on (a note in a passed row is read as all well), and its
            # remedy is two clicks in Okta or a paste here.
            listing = f"{other_tokens.unwatched(len(others))}: {other_tokens.described(others)}"
            return CheckOutcome.failed(f"{found}; but the account has {listing}",
                                       other_tokens.remedy(others, token.name),
                                       **evidence, other_tokens=other_tokens.evidence_of(others),
                                       problem=f"The service account has {listing}")
        return CheckOutcome.passed(found, **evidence, other_tokens=[])


async def _sees_every_token(ctx: Context) -> bool:
    """Whether the connection's administrator is a Super Administrator, who sees every API token (two
    reads, made only when the watched token is not found)."""
    me = await ctx.cached("connection:me", ctx.okta.users.me)
    roles = await ctx.cached("connection:roles", lambda: ctx.okta.roles.of_user(me.id))
    return any(role.type == "SUPER_ADMIN" for role in roles)


class FactParams(CheckParams):
    fact: str
    found: str
    missing: str
    remedy: str


@register
class FactCheck(Check):
    kind = "fact"
    reads_okta = False
    params_model = FactParams

    def from_facts(self, scope: Scope, state: CheckState) -> CheckOutcome | None:
        p: FactParams = FactParams.model_validate(self.raw_params)
        if scope.facts.get(p.fact):
            return CheckOutcome.passed(scope.render(p.found) if scope.can_render(p.found) else p.found)
        return None

    async def evaluate(self, ctx: Context, state: CheckState) -> CheckOutcome:
        p: FactParams = FactParams.model_validate(self.raw_params)
        # A fact is learnt once and never unlearnt (the token verified): missing, it is not there
        # *yet*, which counts as "waiting" (it read as failed, and as a fault, before the paste).
        return self.from_facts(ctx.scope, state) or CheckOutcome.waiting(p.missing, p.remedy)
