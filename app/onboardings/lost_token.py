"""The service account's verified token, found revoked or expired by the last verification (its
account deactivated, which revokes it; revoked by hand; expired unused): the token step opens again
for a new paste, and the card leads there (QA walk 12, H1). The step read "done", "passed" with the
dead token and its field folded away, while the card kept saying to reactivate an account already
active again.

No Okta call here: what the last run found, and what the person did since (a new activation link
given: ``RELINKED_AT``). The paste itself proves the account active again (Okta accepts its token)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.common.moments import stamp
from app.engine.checks.base import CheckOutcome
from app.engine.checks.library import give_to_vendor
from app.engine.runtime import Loaded
from app.playbooks.tasks import TOKEN_VERIFIED
from app.store.models import CheckResult, VerificationRun
from app.store.statuses import CheckStatus
from app.watch import findings
from app.watch.findings import TOKEN_CHECK_KIND, check_kinds, token_lost

if TYPE_CHECKING:
    from app.onboardings.view import OnboardingView, StepView
    from app.playbooks.schema import CheckSpec, StepSpec

# Facts: when a new activation link of the service account was last given, and to whom (its
# operator's name): app/onboardings/reactivation.py.
RELINKED_AT = "service_account_relinked_at"
RELINKED_BY = "service_account_relinked_by"


@dataclass(frozen=True)
class LostToken:
    token_id: str
    expired_on: str | None  # Okta still lists it past its expiry; None: gone (revoked, or dropped once expired)

    @property
    def words(self) -> str:
        how = f"expired on {self.expired_on}" if self.expired_on else "was revoked or has expired"
        return f"The token verified earlier ({self.token_id}) {how} in Okta: the vendor cannot connect with it"


def lost_token(loaded: Loaded, results: Mapping[str, CheckResult]) -> LostToken | None:
    """The verified token, when the last run's token check found it gone or expired. A token pasted
    since has another id: it is not the lost one."""
    facts = loaded.scope.facts
    token_id = facts.get("service_token_id")
    if not facts.get(TOKEN_VERIFIED) or not token_id:
        return None
    lost = token_lost(results, check_kinds(loaded.playbook))
    if lost is None or (results[lost.check].evidence or {}).get("token_id") != token_id:
        return None
    return LostToken(str(token_id), stamp(lost.expired_at) if lost.expired_at is not None else None)


def lost_shown(lost: LostToken | None, step: StepSpec, check: CheckSpec) -> CheckOutcome | None:
    """The token step's own "verified" item, once its token is lost: failed, not "passed" by the
    fact that a token was verified once."""
    if lost is None or step.task is None or step.task.kind != TOKEN_CHECK_KIND \
            or check.kind != "fact" or check.params.get("fact") != TOKEN_VERIFIED:
        return None
    return CheckOutcome.failed(f"{lost.words}.", "Create a new token signed in as the service account and paste it "
                                                 "on this step.")


def account_down(loaded: Loaded, results: Mapping[str, CheckResult]) -> bool:
    """The last run found the service account itself not active (deactivated, suspended...), as the
    watch reads it (`findings.account_down`: not a check Okta could not be asked about)."""
    return findings.account_down(results, check_kinds(loaded.playbook)) is not None


def relinked_since(loaded: Loaded, run: VerificationRun | None) -> bool:
    """A new activation link was given after the last run: the person is bringing the account back."""
    at = loaded.scope.facts.get(RELINKED_AT)
    return run is not None and isinstance(at, int | float) and at > run.finished_at.timestamp()


def token_to_replace(view: OnboardingView, steps: list[StepView]) -> StepView | None:
    """The token step, when the card leads there for a new token: the verified one is lost, and the
    account is not what to mend first (active, as far as the last run saw, or a new activation link
    was given since: the paste proves it active again)."""
    if view.lost_token is None or view.run_outdated:
        return None
    if account_down(view.loaded, view.results) and not relinked_since(view.loaded, view.last_run):
        return None
    return next((sv for sv in steps if sv.step.task is not None and sv.step.task.kind == TOKEN_CHECK_KIND), None)


def renew_words(view: OnboardingView, step: StepView) -> str:
    """The card's words for a new token."""
    lost = view.lost_token
    assert lost is not None  # token_to_replace found it
    place = view.loaded.playbook.token_place or ""
    relinked = relinked_since(view.loaded, view.last_run)
    first = ("Open the new activation link as the service account (choose its password and enrol its MFA), then "
             if relinked else "")
    sign_in = "sign in to Okta as it" if relinked else "Sign in to Okta as the service account"
    return (f"{lost.words}. {first}{sign_in}, create a new API token, and paste it below on step "
            f"{step.step.number}; then {give_to_vendor(place)}.")


def zoned(loaded: Loaded, sv: StepView) -> bool:
    """Whether ``sv`` asks for a token that allows Any IP and the token verified is limited to network
    zones: the step is not done, whatever the token's paste showed of the rest (it read "done" and the
    card went on to the vendor's console: QA walk 17, M4)."""
    facts = loaded.scope.facts
    asks = [c for c in sv.checks if c.spec.kind == TOKEN_CHECK_KIND and c.spec.params.get("any_ip") is True]
    # The paste's reading, unless a verification since found the token allows Any IP (set so in the
    # Admin Console: the card asked to press Set to Any IP over a check that passed: review).
    return bool(facts.get(TOKEN_VERIFIED)) and facts.get("service_token_network") not in (None, "ANYWHERE") \
        and bool(asks) and not any(c.status == CheckStatus.passed for c in asks)


def zoned_token_step(view: OnboardingView, steps: list[StepView]) -> StepView | None:
    """The step whose Any IP the verified token lacks, for the card to lead to first."""
    return next((sv for sv in steps if zoned(view.loaded, sv)), None)


def zoned_words(view: OnboardingView, who: str = "") -> str:
    """The card's words; ``who``: for a reader, who sets it (they have no button)."""
    facts = view.loaded.scope.facts
    shown = str(facts.get("service_token_network_text") or "network zones")
    vendor = view.loaded.playbook.vendor
    todo = f"{who}, before the token is given to {vendor}." if who else \
        "Set the token to Any IP below (the wizard changes this token only), before you give it to the vendor."
    return (f"The token pasted is limited to {shown[:1].lower()}{shown[1:]}; {vendor}'s document asks for "
            f"Any IP, and {vendor} calls Okta from its own addresses. {todo}")
