"""The service account: a dedicated Okta user, created inactive and activated without email so
that the operator gets the activation link (shown once, kept sealed until the account is used)."""

from __future__ import annotations

from app.engine import asked_inputs
from app.engine.actions.base import Action, ActionError, Applied, Params, PlanItem, Record, register
from app.engine.actions.roles import role_label, user_roles
from app.engine.actions.schema import cached_schema
from app.engine.context import Context
from app.okta.errors import OktaBadRequest, OktaError
from app.okta.models import User
from app.store.statuses import ActionOutcome, Intent, Verdict
from app.vault import Secret

SERVICE_ACCOUNT_TYPE = "Service Account"
# Where the API tokens an adopted account already had are kept ("service_account_id_tokens"): the
# token step proposes a name none of them has (app/onboardings/token_name.py).
TOKENS_HELD = "{fact}_tokens"


class UserParams(Params):
    login: str
    email: str
    first_name: str
    last_name: str
    user_type: str = SERVICE_ACCOUNT_TYPE
    fact: str = "service_account_id"  # where the user's id is remembered
    activation_secret: str = "activation_link"  # noqa: S105 - the name under which it is kept


async def _roles_held(ctx: Context, user_id: str) -> str | None:
    """What an adopted account already holds in the plan (a second Oort onboarding adopted the
    first one's account with its Organization Administrator and custom role unsaid, and its
    checklist then told the person to remove them: QA). Read through the phase cache the role steps
    read too, so it costs no call of its own."""
    roles = await user_roles(ctx, user_id)
    if not roles:
        return None
    named = sorted({role_label(r.type) for r in roles if r.type != "CUSTOM"}) + \
        [f"custom role “{r.label}”" if r.label else "a custom role" for r in roles if r.type == "CUSTOM"]
    return (f"It already holds {', '.join(named)}. The plan adds only the roles the document asks for and takes "
            "none away; another onboarding of this vendor may use the same account.")


async def _tokens_held(ctx: Context, user: User) -> list[dict[str, str | None]] | None:
    """The API tokens an account the wizard adopts already has, as it is adopted: a second
    onboarding proposed the first one's token name again, the person made a second token by that
    name, and the paste could not tell which was pasted (QA walk, M5). Read through the phase cache
    the role steps read the org's tokens with (Defender's Super Admin, only while no token exists),
    so at most one listing per Apply; none for an account not active (only a person signed in as
    it makes a token), nor for a new or reactivated one (which the caller does not ask about). None
    when Okta would not list them: the name is then proposed as given, and the paste asks."""
    if user.status != "ACTIVE":
        return []
    try:
        tokens = await ctx.api_tokens()
    except OktaError:
        return None
    return [{"id": t.id, "name": t.name, "created": t.created} for t in tokens if t.userId == user.id]


def _given(value: object) -> str:
    """A value as sent, quoted when it is text: “CC-42”, 7, True."""
    return f"“{value}”" if isinstance(value, str) else repr(value)


def _login_taken(exc: OktaBadRequest) -> bool:
    """Okta's answer to a user created with a login it has: a 400 E0000001 whose cause names the
    login ("login: An object with this field already exists in the current organization"). Okta
    keeps its codes, not its words (api-map, errors): the cause's field is read first, the words
    only as well, so a reworded answer still sends the retry after a lost answer to look the
    account up (and adopt the one its first attempt made) rather than fail."""
    names_login = exc.error_code == "E0000001" and any(c.lower().startswith("login:") for c in exc.error_causes)
    return names_login or "already exists" in exc.okta_said.lower()


@register
class EnsureUser(Action):
    kind = "okta_user"
    # the user's id and login; the plan also keeps the profile attributes the org asks for (asked_inputs)
    produces = frozenset({"{fact}", "{fact}_login", TOKENS_HELD, asked_inputs.FACT})
    params_model = UserParams
    needs_super_admin = False
    description = "Create or adopt a dedicated service account"
    preview_words = "{what}: {login}"

    async def _find(self, ctx: Context, login: str) -> User | None:
        user: User | None = await ctx.cached(f"user:{login}", lambda: ctx.okta.users.find_by_login(login))
        if user is not None:
            ctx.remember(f"userid:{user.id}", user)  # later steps name the account by id
        return user

    def _check_adoptable(self, ctx: Context, user: User, p: UserParams) -> None:
        if user.id == ctx.scope.admin.get("id"):
            raise ActionError(f"{p.login} is the account of the credential the wizard uses. Choose another "
                              "login for the service account.", conflict=True)
        if (user.profile.userType or "") != p.user_type:
            raise ActionError(
                f"A user with the login {p.login} already exists and is not marked as a "
                f"“{p.user_type}” (its user type is “{user.profile.userType or 'empty'}”). The wizard will not "
                "change the roles of an existing person's account: choose another login, or set that "
                "account's User Type to the service-account value first.", conflict=True)

    async def plan(self, ctx: Context) -> PlanItem:
        p: UserParams = self.params(ctx)
        user = await self._find(ctx, p.login)
        if user is None:
            return await self._plan_create(ctx, p)
        try:
            self._check_adoptable(ctx, user, p)
        except ActionError as exc:
            return PlanItem(Verdict.conflict, f"User {p.login} exists", object_type="user", object_id=user.id,
                            detail=exc.message)
        if user.status == "DEPROVISIONED":
            # Confirming the plan is the operator's consent to bring the account back; undo puts it
            # back to deactivated.
            return PlanItem(Verdict.adopt, f"Reactivate the deactivated service account {p.login}: Okta gives a new "
                            "activation link, to be used as for a new account", object_type="user",
                            object_id=user.id, facts={p.fact: user.id},
                            calls=["POST /api/v1/users/{id}/lifecycle/activate?sendEmail=false"])
        return PlanItem(Verdict.adopt,
                        f"Use the existing service account {p.login} ({user.status})", object_type="user",
                        object_id=user.id, facts={p.fact: user.id}, detail=await _roles_held(ctx, user.id))

    async def _plan_create(self, ctx: Context, p: UserParams) -> PlanItem:
        """Okta refuses a new user without the attributes an admin made required, so the plan
        reads the user schema (the read the attribute steps share) and asks for each of them."""
        required = asked_inputs.required_attributes(await cached_schema(ctx, "default"))
        facts = {asked_inputs.FACT: [a.model_dump() for a in required]}
        calls = ["POST /api/v1/users?activate=false", "POST /api/v1/users/{id}/lifecycle/activate?sendEmail=false"]
        # The address Okta sends the account's mail to, named where it is not the login (QA walk 17, H1).
        mail = "" if p.email.casefold() == p.login.casefold() else f", e-mail {p.email}"
        summary = (f"Create the user {p.login} ({p.first_name} {p.last_name}{mail}, user type “{p.user_type}”), "
                   "then activate it without email to get its activation link")
        if not required:
            return PlanItem(Verdict.create, summary, calls=calls, object_type="user", facts=facts)
        found = "The user schema requires " + ", ".join(a.describe() for a in required)
        absent = asked_inputs.missing(required, ctx.scope.inputs)
        if absent:
            return PlanItem(Verdict.conflict,
                            f"{found}: Okta will not create {p.login} without them", object_type="user",
                            facts=facts, detail="Give " + ", ".join(a.title for a in absent) + " in this step's "
                            "values (they are asked for now), save, then make the plan again.")
        return PlanItem(Verdict.create, f"{summary}. {found}: sent as given ("
                        + ", ".join(f"{a.name}={_given(ctx.scope.inputs[a.key])}" for a in required) + ")",
                        calls=calls, object_type="user", facts=facts)

    async def apply(self, ctx: Context, record: Record) -> Applied:
        p: UserParams = self.params(ctx)
        ctx.forget(f"user:{p.login}")
        user = await self._find(ctx, p.login)
        if user is None and record.intent == Intent.create:
            user = await ctx.look_again(lambda: ctx.okta.users.find_by_login(p.login))
        # An intent to create or to activate what was created means an earlier attempt made the user.
        created = record.intent in (Intent.create, Intent.activate) and user is not None
        if user is not None and not created and not record.created_by_us:
            self._check_adoptable(ctx, user, p)
        if user is None:
            await ctx.intend(Intent.create, {"login": p.login})
            # The required attributes the plan found, as the operator gave them.
            profile = {**asked_inputs.profile_values(ctx.scope.facts, ctx.scope.inputs),
                       "login": p.login, "email": p.email, "firstName": p.first_name, "lastName": p.last_name,
                       "userType": p.user_type}
            try:
                user = await ctx.okta.users.create(profile, activate=False)
                ctx.remember(f"roles:{user.id}", [])  # a user made a moment ago holds no admin role
            except OktaBadRequest as exc:
                if not _login_taken(exc):
                    raise
                user = await ctx.look_again(lambda: ctx.okta.users.find_by_login(p.login))
                if user is None:
                    raise
            created = True
        created = created or record.created_by_us
        # A deactivated account that is adopted comes back (the confirmed plan said so), or an
        # earlier attempt brought it back already: it then waits for its activation link's use.
        reactivated = record.intent == Intent.reactivate or (user.status == "DEPROVISIONED" and not created)
        lost_link = (user.status == "PROVISIONED" and (created or reactivated)
                     and await ctx.read_secret(p.activation_secret) is None)
        if user.status == "DEPROVISIONED" and not created:
            await ctx.intend(Intent.reactivate, {"login": p.login, "user_id": user.id})
            result = await ctx.okta.users.activate(user.id, send_email=False)
            await self._keep_link(ctx, p, result)
            # Its new status; a read may miss it for a moment (a 404 then is expected: look again).
            user_id = user.id
            user = await ctx.look_again(lambda: ctx.okta.users.get(user_id, absent_ok=True)) or user
            ctx.remember(f"userid:{user.id}", user)
        elif user.status == "STAGED" or lost_link:
            await ctx.intend(Intent.activate if created else Intent.adopt, {"login": p.login, "user_id": user.id})
            if lost_link:
                # The activation reached Okta but its answer, the only one with the link, was lost:
                # a new link replaces it (and the lost one stops working).
                result = await ctx.okta.users.reactivate(user.id, send_email=False)
            else:
                result = await ctx.okta.users.activate(user.id, send_email=False)
            await self._keep_link(ctx, p, result)
            # Its new status; a user created a moment ago can be missing from reads for a while (a
            # 404 then is expected: look again).
            user_id = user.id
            user = await ctx.look_again(lambda: ctx.okta.users.get(user_id, absent_ok=True)) or user
            ctx.remember(f"userid:{user.id}", user)
        if reactivated and not created:
            return Applied(ActionOutcome.changed,
                           f"Reactivated the deactivated account {p.login} "
                           f"(Okta showed it then as {user.status_words})",
                           object_type="user", object_id=user.id,
                           details={"login": p.login, "status": user.status, "reactivated": True},
                           facts={p.fact: user.id, p.fact + "_login": p.login})
        facts: dict[str, object] = {p.fact: user.id, p.fact + "_login": p.login}
        held = None if created else await _tokens_held(ctx, user)
        if held is not None:
            facts[TOKENS_HELD.format(fact=p.fact)] = held
        # "then": this summary is also a later checklist's evidence that the account was made, beside
        # a check of its status now (ACTIVE once activated), and read as if it were current.
        return Applied(ActionOutcome.created if created else ActionOutcome.adopted,
                       f"{'Created' if created else 'Adopted'} {p.login} (Okta showed it then as {user.status_words})",
                       object_type="user", object_id=user.id,
                       details={"login": p.login, "status": user.status}, facts=facts)

    @staticmethod
    async def _keep_link(ctx: Context, p: UserParams, result: dict[str, object]) -> None:
        link = result.get("activationUrl")
        if link:
            await ctx.keep_secret(p.activation_secret, "Activation link of the service account", Secret(str(link)),
                                  None)

    async def undo(self, ctx: Context, record: Record) -> str | None:
        user_id = record.object_id
        # Already gone is nothing to undo: its 404 is an answer, not a failure.
        user = await ctx.okta.users.get(user_id, absent_ok=True) if user_id else None
        if user is None or user_id is None:
            return None
        if not record.created_by_us:
            # An account this onboarding only reactivated goes back to deactivated, and stays.
            if record.details.get("reactivated") and user.status != "DEPROVISIONED":
                await ctx.okta.users.deactivate(user_id)
                return f"Deactivated {record.details.get('login', user_id)} again, as it was before"
            return None
        if user.status != "DEPROVISIONED":
            await ctx.okta.users.deactivate(user_id)
        await ctx.okta.users.delete(user_id)
        return f"Deleted the user {record.details.get('login', user_id)}"

