"""Checks on a user's profile: the service account is recognisable as one (a vendor may look for
"Service Account" in its name or in its User Type)."""

from __future__ import annotations

from app.engine.checks.base import START_AGAIN, Check, CheckOutcome, CheckParams, CheckState, register
from app.engine.context import Context
from app.okta.models import User

# The profile attributes a check may name, and "name": first and last name together.
NAME = "name"


class ProfileParams(CheckParams):
    user: str
    # attribute (or "name") -> text it must contain, case-insensitively
    contains: dict[str, str]


def _value(user: User, attribute: str) -> str:
    if attribute == NAME:
        return " ".join(p for p in (user.profile.firstName, user.profile.lastName) if p)
    value = getattr(user.profile, attribute, None)
    if value is None and user.profile.model_extra:
        value = user.profile.model_extra.get(attribute)
    return "" if value is None else str(value)


@register
class UserProfileCheck(Check):
    kind = "user_profile"
    params_model = ProfileParams

    def unready(self) -> CheckOutcome:
        return CheckOutcome.failed("The account does not exist yet", "Apply the plan first.")

    async def check(self, ctx: Context, state: CheckState, p: ProfileParams) -> CheckOutcome:
        user: User | None = await ctx.cached(f"userid:{p.user}", lambda: ctx.okta.users.get(p.user))
        if user is None:
            return CheckOutcome.failed("The account is not in Okta (deleted?)",
                                       f"Its token and the vendor's setup went with it: {START_AGAIN}.",
                                       problem="The service account is no longer in Okta (deleted?), and its API "
                                               "token went with it")
        seen = {attribute: _value(user, attribute) for attribute in p.contains}
        described = ", ".join(f"{'name' if a == NAME else a} “{v or 'empty'}”" for a, v in seen.items())
        wrong = [f"{'the name' if a == NAME else a} does not contain “{text}”" for a, text in p.contains.items()
                 if text.lower() not in seen[a].lower()]
        if wrong:
            return CheckOutcome.failed(f"{user.profile.login}: {described}; " + "; ".join(wrong),
                                       "Edit the account's profile in Directory > People so it is recognisable as a "
                                       "service account.", user_id=user.id,
                                       problem=f"The profile of {user.profile.login} no longer marks it as the "
                                               "vendor's service account: " + "; ".join(wrong))
        return CheckOutcome.passed(f"{user.profile.login}: {described}", user_id=user.id)
